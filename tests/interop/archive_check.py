#!/usr/bin/env python3
"""archive_check.py BASE OUT SLUG PAGE... -- each archive page's four documents as `serve`
answers them: the bytes `build` wrote, `Cache-Control: immutable` on every page but the newest
(PAGEs come oldest first), and feedparser reads the RSS and Atom ones with entries and no error."""
import sys
import urllib.request

import feedparser

base, out, slug, pages = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
ok = True
for i, page in enumerate(pages):
    for name in ("rss.xml", "atom.xml", "feed.json", "index.html"):
        rel = "%s/archive/%s/%s" % (slug, page, name)
        url = base + "/" + (rel[: -len("index.html")] if name == "index.html" else rel)
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "interop-archive"})) as r:
            body, cache = r.read(), r.headers["Cache-Control"]
        checks = [(body == open(out + "/" + rel, "rb").read(), "served = built")]
        closed = i < len(pages) - 1
        checks.append((("immutable" in cache) == closed, "Cache-Control: %s" % cache))
        if name.endswith(".xml"):
            d = feedparser.parse(body)
            checks.append((not d.bozo and len(d.entries) >= 1, "feedparser: %d entries" % len(d.entries)))
        for good, what in checks:
            print("  %s %s: %s" % ("ok  " if good else "FAIL", rel, what))
            ok = ok and good
sys.exit(0 if ok else 1)
