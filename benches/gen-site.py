#!/usr/bin/env python3
"""Generates a site of FEEDS feeds x ITEMS articles for the benchmarks, from the seed article.

    benches/gen-site.py OUT --feeds 100 --items 1000 [--limit 100] [--minutes-apart 720]

Writes OUT/feeds/<slug>/feed.toml and OUT/feeds/<slug>/NNNN.md: each article is the seed's five
Arabic paragraphs with its own number in the title and the lede, and its own date (one minute
apart; --minutes-apart 720 spreads 1,000 articles over 16 months, so over 16 archive months),
as Markdown with TOML front matter. Also writes OUT/feedpub.toml pointing at them, with its
store at OUT/store.sqlite3 and its output at OUT/public. Deterministic: the same arguments give
the same bytes, so a second build of them changes nothing.
"""

import argparse
import datetime
import os
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = ROOT / "feeds/russia-islamic-world/000_216685895bd1f649.txt"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--feeds", type=int, default=1)
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--limit", type=int, default=None, help="items per feed document (default: all)")
    ap.add_argument("--minutes-apart", type=int, default=1, help="between two articles' dates")
    args = ap.parse_args()
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n") if p.strip()][:5]
    t0 = datetime.datetime(2023, 11, 16, tzinfo=datetime.timezone.utc)
    for f in range(args.feeds):
        slug = f"feed-{f:03d}"
        d = args.out / "feeds" / slug
        d.mkdir(parents=True, exist_ok=True)
        (d / "feed.toml").write_text(
            f'title = "مجموعة الرؤية {f}"\ndescription = "أخبار وتقارير {f}"\nlanguage = "ar"\n'
            f"limit = {args.limit or args.items}\n",
            encoding="utf-8",
        )
        for i in range(args.items):
            date = (t0 + datetime.timedelta(minutes=i * args.minutes_apart)).strftime("%Y-%m-%dT%H:%M:%SZ")
            # The seed's words, shuffled per article: text that compresses like real text does
            # (a site of one paragraph repeated compresses 170:1 and flatters every encoder).
            rng = random.Random(f * 1_000_003 + i)
            paras = [" ".join(rng.sample(p.split(), len(p.split()))) for p in paragraphs]
            body = "\n\n".join([f"{i}: {paras[0]}"] + paras[1:])
            text = f'+++\ntitle = "خبر رقم {i} من {f}"\ndate = {date}\n+++\n{body}\n'
            (d / f"{i:04d}.md").write_text(text, encoding="utf-8")
    (args.out / "feedpub.toml").write_text(
        'base_url = "http://127.0.0.1:8080/"\ntitle = "bench"\nlanguage = "en"\n'
        'feeds_dir = "feeds"\noutput_dir = "public"\ndatabase_url = "sqlite:store.sqlite3"\n',
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
