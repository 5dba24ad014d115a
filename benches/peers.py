#!/usr/bin/env python3
"""peers.py DIR [REPEATS] -- the Python peers on the inputs `cargo bench --bench compare` wrote
into DIR: feedgen renders items-N.json as RSS + Atom; feedparser parses upstream-N.xml and
repoll-N.xml (the next poll's document). Prints
one JSON object per case, like compare.rs: median/min/max seconds and the bytes (output for
render, input for ingest)."""
import glob
import json
import os
import re
import sys
import time

import feedgen.feed
import feedparser

out, repeats = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5


def timed(f):
    f()  # warm-up, as in compare.rs
    times = []
    result = None
    for _ in range(repeats):
        t = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t)
    times.sort()
    return times, result


def report(tool, case, n, times, nbytes):
    print(json.dumps({"tool": tool, "case": case, "n": n, "median_s": times[len(times) // 2],
                      "min_s": times[0], "max_s": times[-1], "bytes": nbytes, "repeats": len(times)}))


def size(path):
    return int(re.search(r"-(\d+)\.", os.path.basename(path)).group(1))


for path in sorted(glob.glob(os.path.join(out, "items-*.json")), key=size):
    items = json.load(open(path, encoding="utf-8"))

    def render():
        fg = feedgen.feed.FeedGenerator()
        fg.id("https://example.org/bench/")
        fg.title("Bench")
        fg.link(href="https://example.org/bench/", rel="alternate")
        fg.description("d")
        fg.language("ar")
        for it in reversed(items):
            fe = fg.add_entry()
            fe.id("https://example.org/bench/%s.html" % it["id"])
            fe.guid("https://example.org/bench/%s.html" % it["id"], permalink=False)
            fe.title(it["title"])
            fe.link(href=it["link"])
            fe.description(it["summary"])
            fe.content(it["content"], type="html")
            fe.published(it["published"])
            fe.updated(it["published"])
        return len(fg.rss_str()) + len(fg.atom_str())

    times, nbytes = timed(render)
    report("feedgen", "render", size(path), times, nbytes)


def feedparser_on(pattern, case):
    """feedparser on each document matching `pattern` in DIR: N entries, not bozo."""
    for path in sorted(glob.glob(os.path.join(out, pattern)), key=size):
        data = open(path, "rb").read()

        def parse():
            d = feedparser.parse(data)
            assert len(d.entries) == size(path) and not d.bozo
            return len(data)

        times, nbytes = timed(parse)
        report("feedparser", case, size(path), times, nbytes)


feedparser_on("upstream-*.xml", "ingest")

# The re-poll case: the next document (one new item on top, the oldest gone). feedparser has no
# notion of what it read before, so it parses the whole document again.
feedparser_on("repoll-*.xml", "re-poll: 1 new among N")
