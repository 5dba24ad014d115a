#!/usr/bin/env python3
"""report.py JSONL... -- turns the JSON lines of compare.rs and peers.py into the markdown
tables of docs/benchmarks.md (every figure: median, min, max) with each ratio against its
target, and writes an SVG bar chart of the ratios next to it (--svg PATH)."""
import json
import sys

args = sys.argv[1:]
svg_path = None
if "--svg" in args:
    i = args.index("--svg")
    svg_path = args[i + 1]
    del args[i:i + 2]
rows = [json.loads(l) for path in args for l in open(path) if l.startswith("{")]
by = {(r["tool"], r["case"], r["n"]): r for r in rows}


def mbps(r):
    return r["bytes"] / r["median_s"] / 1e6


def fmt(r):
    return "%.4f / %.4f / %.4f" % (r["median_s"], r["min_s"], r["max_s"])


ratios = []
for case, peer, target, what in [("render", "feedgen", 10, "RSS + Atom + JSON Feed vs feedgen's RSS + Atom"),
                                 ("ingest", "feedparser", 20, "parse + sanitise + dedupe + store vs feedparser's parse")]:
    print("### %s: feedpub vs %s (%s)\n" % (case.capitalize(), peer, what))
    print("| items | tool | seconds: median / min / max | bytes | MB/s (median) |")
    print("|---:|---|---|---:|---:|")
    for n in sorted({k[2] for k in by if k[1] == case}):
        for tool in ("feedpub", peer):
            r = by.get((tool, case, n))
            if r:
                print("| %s | %s | %s | %s | %.1f |" % (f"{n:,}", tool, fmt(r), f"{r['bytes']:,}", mbps(r)))
    print()
    print("| items | throughput ratio (feedpub MB/s ÷ %s MB/s) | target | met |" % peer)
    print("|---:|---:|---:|---|")
    for n in sorted({k[2] for k in by if k[1] == case}):
        a, b = by.get(("feedpub", case, n)), by.get((peer, case, n))
        if a and b:
            ratio = mbps(a) / mbps(b)
            ratios.append(("%s %s" % (case, f"{n:,}"), ratio, target))
            print("| %s | %.1f× | %d× | %s |" % (f"{n:,}", ratio, target, "yes" if ratio >= target else "**no**"))
    print()

if svg_path and ratios:
    width, bar_h, gap, left = 640, 22, 10, 130
    scale = (width - left - 60) / max(max(r for _, r, _ in ratios), max(t for _, _, t in ratios))
    height = len(ratios) * (bar_h + gap) + 40
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (width, height),
             '<text x="%d" y="16">feedpub ÷ peer, throughput (bars); targets (lines)</text>' % left]
    for i, (label, ratio, target) in enumerate(ratios):
        y = 28 + i * (bar_h + gap)
        colour = "#2a7" if ratio >= target else "#d54"
        parts.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + 15, label))
        parts.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (left, y, ratio * scale, bar_h, colour))
        parts.append('<text x="%.1f" y="%d">%.1f×</text>' % (left + ratio * scale + 4, y + 15, ratio))
        tx = left + target * scale
        parts.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#000" stroke-dasharray="3,2"/>' % (tx, tx, y - 2, y + bar_h + 2))
    parts.append("</svg>")
    open(svg_path, "w").write("\n".join(parts) + "\n")
