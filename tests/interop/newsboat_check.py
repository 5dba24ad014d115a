#!/usr/bin/env python3
"""newsboat_check.py URL... -- Debian's newsboat fetches each feed (loopback URLs only) and
stores it right-to-left, with one item dated 2023-11-16 and no error in its log. It reloads three
times with one cache: newsboat 2.21 keeps a new feed's validators only from its second fetch, so
the third reload is the first conditional one (and must get 304)."""
import datetime
import os
import sqlite3
import subprocess
import sys
import tempfile

ok = True


def check(cond, what):
    global ok
    print("  %s %s" % ("ok  " if cond else "FAIL", what))
    ok = ok and cond


for url in sys.argv[1:]:
    print(" " + url)
    with tempfile.TemporaryDirectory() as t:
        urls, cache, log, conf = (os.path.join(t, n) for n in ("urls", "cache.db", "log.txt", "config"))
        open(urls, "w").write(url + "\n")
        open(conf, "w").close()
        env = dict(os.environ, HOME=t, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        for attempt in ("first", "second", "third"):
            rc = subprocess.run(["newsboat", "-q", "-u", urls, "-c", cache, "-C", conf, "-l", "3", "-d", log,
                                 "-x", "reload"], env=env, timeout=120).returncode
            check(rc == 0, "%s reload: newsboat exit %d" % (attempt, rc))
        errors = [l.strip() for l in open(log, encoding="utf-8", errors="replace") if "ERROR" in l]
        check(not errors, "no errors logged %s" % errors[:3])
        con = sqlite3.connect(cache)
        feed = con.execute("select title, is_rtl from rss_feed where rssurl=?", (url,)).fetchone()
        check(feed is not None, "feed stored")
        if feed:
            check(feed[1] == 1, "marked right-to-left (is_rtl=%s)" % feed[1])
            check(feed[0].startswith("مجموعة الرؤية الإستراتيجية"), "title %s" % feed[0])
        items = con.execute("select title, pubDate, length(content) from rss_item where feedurl=?", (url,)).fetchall()
        check(len(items) == 1, "%d items" % len(items))
        for title, pub, length in items:
            day = datetime.datetime.fromtimestamp(pub, datetime.timezone.utc).strftime("%Y-%m-%d")
            check(day == "2023-11-16", "pubDate %s" % day)
            check(length > 2000, "content of %d characters" % length)
sys.exit(0 if ok else 1)
