#!/usr/bin/env python3
"""Draws benches/growth.sh's figures as an SVG (no plotting library needed).

    benches/plot-growth.py growth.tsv > docs/growth.svg

Left: seconds against articles (both logarithmic: a cost that grows with the archive rises
along the diagonal, one that does not stays flat). Right: peak memory in MB, the same way.
"""

import math
import sys

SERIES_S = [("full_s", "full build", "#999"), ("nochange_s", "no-change build", "#1b7837"),
            ("edit_s", "one edit, then build", "#2166ac"), ("ready_s", "serve ready", "#b2182b")]
SERIES_MB = [("full_mb", "full build", "#999"), ("nochange_mb", "no-change build", "#1b7837"),
             ("compressed_mb", "serve, compressed", "#b2182b"), ("browsed_mb", "serve, after browsing", "#ef8a62")]
W, H, PAD = 420, 300, 50


def panel(rows, series, x0, title, unit):
    xs = [r["articles"] for r in rows]
    ys = [r[k] for r in rows for k, _, _ in series if r[k] > 0]
    lx = (math.log10(min(xs)), math.log10(max(xs)) if max(xs) > min(xs) else math.log10(min(xs)) + 1)
    ly = (math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys))))
    if ly[0] == ly[1]:
        ly = (ly[0], ly[0] + 1)
    px = lambda v: x0 + PAD + (math.log10(v) - lx[0]) / (lx[1] - lx[0]) * (W - 2 * PAD)
    py = lambda v: H - PAD - (math.log10(max(v, 1e-3)) - ly[0]) / (ly[1] - ly[0]) * (H - 2 * PAD)
    out = [f'<text x="{x0 + W / 2}" y="20" text-anchor="middle" font-weight="bold">{title}</text>']
    out.append(f'<rect x="{x0 + PAD}" y="{PAD}" width="{W - 2 * PAD}" height="{H - 2 * PAD}" fill="none" stroke="#ccc"/>')
    for e in range(ly[0], ly[1] + 1):
        y = py(10 ** e)
        out.append(f'<line x1="{x0 + PAD}" x2="{x0 + W - PAD}" y1="{y}" y2="{y}" stroke="#eee"/>')
        out.append(f'<text x="{x0 + PAD - 4}" y="{y + 4}" text-anchor="end" font-size="10">{10 ** e:g} {unit}</text>')
    for v in xs:
        out.append(f'<text x="{px(v)}" y="{H - PAD + 14}" text-anchor="middle" font-size="10">{v:,}</text>')
    out.append(f'<text x="{x0 + W / 2}" y="{H - 12}" text-anchor="middle" font-size="11">articles</text>')
    for i, (key, label, colour) in enumerate(series):
        pts = [(px(r["articles"]), py(r[key])) for r in rows if r[key] > 0]
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in pts]
        out.append(f'<text x="{x0 + PAD + 6}" y="{PAD + 14 + 13 * i}" font-size="11" fill="{colour}">{label}</text>')
    return out


def main():
    lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
    head = lines[0].split("\t")
    rows = [dict(zip(head, map(float, l.split("\t")))) for l in lines[1:] if l.strip()]
    for r in rows:
        r["articles"] = int(r["articles"])
    body = panel(rows, SERIES_S, 0, "Time", "s") + panel(rows, SERIES_MB, W, "Peak memory", "MB")
    print(f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H}" font-family="sans-serif">')
    print("\n".join(body))
    print("</svg>")


if __name__ == "__main__":
    main()
