#!/usr/bin/env python3
"""jsonfeed_check.py SCHEMA FILE -- JSON Feed 1.1: the JSON Schema with format checks, plus
rules of the spec text the schema cannot express. Exit 1 on any finding."""
import json
import sys

from jsonschema import Draft7Validator, FormatChecker

schema_path, path = sys.argv[1:3]
raw = open(path, "rb").read()
problems = []
if raw.startswith(b"\xef\xbb\xbf"):
    problems.append("starts with a byte-order mark")
doc = json.loads(raw.decode("utf-8"))
schema = json.load(open(schema_path, encoding="utf-8"))
for err in Draft7Validator(schema, format_checker=FormatChecker()).iter_errors(doc):
    problems.append("schema: %s at %s" % (err.message, "/".join(map(str, err.absolute_path))))
if doc.get("version") != "https://jsonfeed.org/version/1.1":
    problems.append("version is %r" % doc.get("version"))
for key in ("home_page_url", "feed_url", "language", "authors"):
    if key not in doc:
        problems.append("missing " + key)
ids = [item.get("id") for item in doc.get("items", [])]
if len(ids) != len(set(ids)):
    problems.append("duplicate item ids")
for i, item in enumerate(doc.get("items", [])):
    for key in ("url", "content_html", "date_published", "language"):
        if key not in item:
            problems.append("items[%d] has no %s" % (i, key))
for p in problems:
    print("  " + p)
print("  %d items, %d problems" % (len(ids), len(problems)))
sys.exit(1 if problems else 0)
