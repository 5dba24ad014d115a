#!/usr/bin/env python3
"""feedparser_check.py SEED URL... -- Python feedparser reads each feed without `bozo`, with
language `ar`, the date 2023-11-16, and each of the seed's five paragraphs verbatim; a second
poll with the validators feedparser kept comes back 304 Not Modified."""
import html
import sys
import time

import feedparser

seed, urls = sys.argv[1], sys.argv[2:]
lines = open(seed, encoding="utf-8").read().split("\n")
paragraphs = [l.strip() for l in lines[:-3] if l.strip()]
assert len(paragraphs) == 5, "the seed should have five paragraphs"
ok = True


def check(cond, what):
    global ok
    print("  %s %s" % ("ok  " if cond else "FAIL", what))
    ok = ok and cond


for url in urls:
    print(" " + url)
    d = feedparser.parse(url)
    check(not d.bozo, "not bozo (%s)" % (d.get("bozo_exception") or "well-formed"))
    check(d.get("version") in ("rss20", "atom10"), "version %s" % d.get("version"))
    check(d.feed.get("language") == "ar", "language %r" % d.feed.get("language"))
    check(len(d.entries) == 1, "%d entries" % len(d.entries))
    for e in d.entries:
        day = time.strftime("%Y-%m-%d", e.published_parsed) if e.get("published_parsed") else None
        check(day == "2023-11-16", "published %s" % day)
        content = " ".join(c.value for c in e.get("content", []))
        text = html.unescape(content)
        for i, p in enumerate(paragraphs, 1):
            check(p in text, "paragraph %d verbatim in the content" % i)
        check("المصدر: تاس" in text, "source attribution in the content")
        check('dir="rtl"' in content, "content keeps dir=rtl")
    if url.startswith("http"):
        check(d.get("etag") and d.get("modified"), "ETag %r and Last-Modified %r" % (d.get("etag"), d.get("modified")))
        again = feedparser.parse(url, etag=d.get("etag"), modified=d.get("modified"))
        check(again.get("status") == 304, "re-poll with validators: status %s" % again.get("status"))
sys.exit(0 if ok else 1)
