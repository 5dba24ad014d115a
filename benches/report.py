#!/usr/bin/env python3
"""report.py [--summary --svg PATH] JSONL... -- turns the JSON lines of compare.rs, peers.py
and serve.sh (RATIOS_OUT) into the markdown of docs/benchmarks.md.

Without --summary: the render and ingest tables (every figure: median, min, max) with each
ratio against its target. With --summary: one table of every ratio against its target, and an
SVG bar chart of them (log scale: ratios run from under 1x to over 10x) at PATH. With --stages:
the table of where feedpub's ingest time goes.

Lines may carry a "round" (benches/inprocess.sh): a ratio is then taken within each round, from
the two sides' medians in it, and the median of those is quoted with the rounds' range. A time
is the median of the rounds' medians, with the least minimum and the greatest maximum."""
import json
import math
import sys

args = sys.argv[1:]
summary = "--summary" in args
if summary:
    args.remove("--summary")
stages = "--stages" in args
if stages:
    args.remove("--stages")
svg_path = None
if "--svg" in args:
    i = args.index("--svg")
    svg_path = args[i + 1]
    del args[i:i + 2]
rows = [json.loads(l) for path in args for l in open(path) if l.startswith("{")]
rounds = {}  # (tool, case, n) -> {round: row}
for r in rows:
    if "tool" in r:
        rounds.setdefault((r["tool"], r["case"], r["n"]), {})[r.get("round", 0)] = r


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def pooled(runs):
    """One row of a case over its rounds."""
    rs = list(runs.values())
    return {"median_s": median([r["median_s"] for r in rs]), "min_s": min(r["min_s"] for r in rs),
            "max_s": max(r["max_s"] for r in rs), "bytes": rs[0]["bytes"], "rounds": len(rs)}


by = {k: pooled(v) for k, v in rounds.items()}


def mbps(r):
    return r["bytes"] / r["median_s"] / 1e6


def fmt(r):
    return "%.4f / %.4f / %.4f" % (r["median_s"], r["min_s"], r["max_s"])


def ratio_over_rounds(a, b):
    """feedpub's MB/s over the peer's within each round both ran: (median, least, greatest)."""
    each = [mbps(a[k]) / mbps(b[k]) for k in sorted(a.keys() & b.keys())]
    return (median(each), min(each), max(each)) if each else None


if stages:
    print("| stage | items | seconds: median / min / max |")
    print("|---|---:|---|")
    for (tool, case, n), r in by.items():
        for prefix, note in (("ingest: ", ""), ("not in ingest: ", " (not in the ingest time)")):
            if tool == "feedpub" and case.startswith(prefix):
                print("| %s%s | %s | %s |" % (case[len(prefix):], note, f"{n:,}" if n else "", fmt(r)))
    sys.exit(0)


ratios = []  # (label, ratio, target)
out = print if not summary else (lambda *a, **k: None)
for case, peer, target, what in [("render", "feedgen", 10, "RSS + Atom + JSON Feed vs feedgen's RSS + Atom"),
                                 ("ingest", "feedparser", 20, "parse + sanitise + dedupe + store vs feedparser's parse"),
                                 ("re-poll: 1 new among N", "feedparser", 100,
                                  "the next poll of the same source, one new item on top: read, sanitise and store "
                                  "what is new vs feedparser parsing the document")]:
    out("### %s: feedpub vs %s (%s)\n" % (case[0].upper() + case[1:], peer, what))
    out("| items | tool | seconds: median / min / max | bytes | MB/s (median) |")
    out("|---:|---|---|---:|---:|")
    for n in sorted({k[2] for k in by if k[1] == case}):
        for tool in ("feedpub", peer):
            r = by.get((tool, case, n))
            if r:
                out("| %s | %s | %s | %s | %.1f |" % (f"{n:,}", tool, fmt(r), f"{r['bytes']:,}", mbps(r)))
    out()
    out("| items | throughput ratio (feedpub MB/s ÷ %s MB/s): median of rounds | least / greatest round | rounds | target | met |" % peer)
    out("|---:|---:|---|---:|---:|---|")
    for n in sorted({k[2] for k in by if k[1] == case}):
        a, b = rounds.get(("feedpub", case, n)), rounds.get((peer, case, n))
        r = a and b and ratio_over_rounds(a, b)
        if r:
            ratios.append(("%s %s" % (case, f"{n:,}"), r[0], target))
            out("| %s | %.1f× | %.1f× / %.1f× | %d | %d× | %s |" % (
                f"{n:,}", r[0], r[1], r[2], len(a.keys() & b.keys()), target, "yes" if r[0] >= target else "**no**"))
    out()

ratios += [(r["chart"], r["ratio"], r["target"]) for r in rows if "chart" in r]

if summary:
    print("| comparison | feedpub ÷ peer | target | met |")
    print("|---|---:|---:|---|")
    for label, ratio, target in ratios:
        print("| %s | %.2f× | %g× | %s |" % (label, ratio, target, "yes" if ratio >= target else "**no**"))
    print()

if svg_path and ratios:
    width, bar_h, gap, left, right = 720, 18, 6, 250, 60
    lo, hi = 0.1, 100.0
    x = lambda r: left + (math.log10(max(r, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (width - left - right)
    height = len(ratios) * (bar_h + gap) + 56
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (width, height),
             '<text x="%d" y="16">feedpub ÷ peer (bars, log scale); targets (dashed); green = target met</text>' % left]
    for tick in (0.1, 1, 10, 100):
        parts.append('<line x1="%.1f" x2="%.1f" y1="24" y2="%d" stroke="#ccc"/>' % (x(tick), x(tick), height - 20))
        parts.append('<text x="%.1f" y="%d" text-anchor="middle">%g×</text>' % (x(tick), height - 6, tick))
    for i, (label, ratio, target) in enumerate(ratios):
        y = 28 + i * (bar_h + gap)
        colour = "#2a7" if ratio >= target else "#d54"
        parts.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + 13, label))
        parts.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (left, y, x(ratio) - left, bar_h, colour))
        parts.append('<text x="%.1f" y="%d">%.2f×</text>' % (x(ratio) + 4, y + 13, ratio))
        parts.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#000" stroke-dasharray="3,2"/>' % (x(target), x(target), y - 2, y + bar_h + 2))
    parts.append("</svg>")
    open(svg_path, "w").write("\n".join(parts) + "\n")
