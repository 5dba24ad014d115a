#!/usr/bin/env python3
"""w3c_check.py FEEDVALIDATOR_DIR URL... -- the W3C Feed Validation Service's own code (a local
checkout of w3c/feedvalidator, not part of this repository) on each URL, at the level the online
service reports ("AA": errors and warnings). Exit 1 on any error or warning."""
import os
import urllib.request  # noqa: F401  (feedvalidator uses it without importing it)
import sys

sys.path.insert(0, os.path.join(sys.argv[1], "src"))
import feedvalidator  # noqa: E402
from feedvalidator import compatibility  # noqa: E402
from feedvalidator.formatter.text_plain import Formatter  # noqa: E402
from feedvalidator.logging import Error  # noqa: E402

ok = True
for url in sys.argv[2:]:
    events = feedvalidator.validateURL(url, firstOccurrenceOnly=1)["loggedEvents"]
    events = compatibility.AA(events)
    errors = [e for e in events if isinstance(e, Error)]
    print(" %s: %d errors, %d warnings" % (url, len(errors), len(events) - len(errors)))
    for line in Formatter(events):
        print("   " + line)
    ok = ok and not events
sys.exit(0 if ok else 1)
