#!/usr/bin/env python3
"""Public parser test suites, read by feedparser and by feedpub (issue 15).

For every feed file of a suite (feedparser's tests/, feed-rs's fixtures, gofeed's testdata, laid
out under SUITES_DIR by benches/suites.sh), this asks: where feedparser finds at least one entry,
does feedpub publish at least one item?

- feedparser 6.0.14 parses the file's bytes with the HTTP headers the file is served with
  (`feedparser.parse(data, response_headers=...)`): entries, bozo, the bozo exception, version,
  encoding.
- feedpub reads the same file through the real binary: a loopback HTTP server (this process,
  127.0.0.1, ephemeral port) serves every file; a temporary site per batch has one feed per file
  (`feeds/fNNNN/feed.toml`, no local article, one `[[source]]` with the file's URL, feed limit
  1000); `feedpub --config SITE/config/feedpub.toml poll --force` prints one line per source, and
  the number of new items on a file's line is what feedpub publishes for it.
  "feedpub publishes an item" means: `N new` > 0 on the first poll of a fresh store (the line's
  status may be 200 or anything else; an error line has 0 new). Cross-check: `feedpub build`
  on the same site, and the item count of each feed's published feed.json (one feed per file,
  so it is per file) must equal N; mismatches are listed in the report.
- Headers: feedparser's own harness serves files whose path contains "http" with the headers of
  their leading `Header: Name: value` comments (Content-type defaults to text/xml); we do the
  same. Every other file is served by extension: .xml as application/xml, .json as
  application/feed+json, without charset (what a local file gives feedparser).

Output: the table on stdout; per suite, /tmp/suites/report-<suite>.txt (every miss with its
cause, feedparser's view and feedpub's line; the reverse; build mismatches) and
results-<suite>.json (one record per file, for comparing runs: --compare DIR of an earlier run).

    python3 benches/suites.py --bin target/release/feedpub [--suites-dir /tmp/suites]
        [--suite feedparser --suite gofeed] [--batch 300] [--no-build] [--compare DIR]
"""

import argparse
import codecs
import collections
import glob
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import xml.parsers.expat

import feedparser

SUITES = {
    # name: (root under SUITES_DIR/<name>, upstream repository)
    "feedparser": ("tests", "kurtmckee/feedparser"),
    "feed-rs": ("feed-rs/fixture", "feed-rs/feed-rs"),
    "gofeed": ("testdata", "mmcdole/gofeed"),
}

HEADER_RE = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)  # feedparser's tests/helpers.py
XML_DECL_ENC_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")
LINE_RE = re.compile(r"^(f\d{4}) (\S+): (.*)$")
# The counts follow the status; what was not kept, and how the document was read, may follow
# them (`, 2 not kept (…)`, `; recovered: …`, `; read as …`) before the next poll time.
TAIL_RE = re.compile(r"; (\d+) new, (\d+) updated(?:, (\d+) removed \(past keep\))?(?:, \d+ not kept \([^;]*\))?(?:; [^;]*)*?; next poll (\S+)$")


# ---------------------------------------------------------------------------------------------
# Which files a suite has, and how each is served


def feed_files(suite, base):
    """Paths (relative to SUITES_DIR/suite) of the suite's feed documents, sorted."""
    root = os.path.join(base, SUITES[suite][0])
    out = []
    for path in glob.glob(os.path.join(root, "**", "*"), recursive=True):
        if not os.path.isfile(path):
            continue
        name = os.path.basename(path)
        if suite == "feedparser":
            # tests/{wellformed,illformed,encoding,entities}/**/*.xml and tests/json/*.json
            rel = os.path.relpath(path, root)
            top = rel.split(os.sep)[0]
            if not ((top in ("wellformed", "illformed", "encoding", "entities") and name.endswith(".xml"))
                    or (top == "json" and name.endswith(".json"))):
                continue
        elif suite == "feed-rs":
            # fixtures: *.xml and *.json; *.serde.json are the expected parse results
            if not (name.endswith(".xml") or (name.endswith(".json") and not name.endswith(".serde.json"))):
                continue
        elif suite == "gofeed":
            # testdata: *.xml; *.json are inputs unless *_expected.json or the expected output of
            # the .xml of the same stem beside it
            if name.endswith(".xml"):
                pass
            elif name.endswith(".json"):
                if name.endswith("_expected.json") or os.path.exists(path[: -len(".json")] + ".xml"):
                    continue
            else:
                continue
        out.append(os.path.relpath(path, base))
    return sorted(out)


def decoded_text(data):
    """feedparser's tests/helpers.py get_file_contents: the text its harness reads Header comments from."""
    boms = [
        (b"\x00\x00\xfe\xff", "utf-32be", 0), (b"\xff\xfe\x00\x00", "utf-32le", 0),
        (b"\x00\x00\x00\x3c", "utf-32be", 0), (b"\x3c\x00\x00\x00", "utf-32le", 0),
        (b"\x00\x3c\x00\x3f", "utf-16be", 0), (b"\x3c\x00\x3f\x00", "utf-16le", 0),
    ]
    try:
        for bom, enc, skip in boms:
            if data[:4] == bom:
                return data[skip:].decode(enc)
        if data[:2] == b"\xfe\xff" and data[2:4] != b"\x00\x00":
            return data[2:].decode("utf-16be")
        if data[:2] == b"\xff\xfe" and data[2:4] != b"\x00\x00":
            return data[2:].decode("utf-16le")
    except UnicodeDecodeError:
        pass
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    return data.decode("utf-8", errors="ignore")


def served_headers(suite, rel, data):
    """The HTTP headers a file is served with (feedparser's harness rules for its "http" files)."""
    if suite == "feedparser" and "http" in rel:
        headers = {k: v.strip() for k, v in HEADER_RE.findall(decoded_text(data))}
        headers.pop("Content-Length", None)
        ctype = headers.pop("Content-type", "text/xml")
        return dict(headers, **{"Content-Type": ctype}), True
    ctype = "application/feed+json" if rel.endswith(".json") else "application/xml"
    return {"Content-Type": ctype}, False


# ---------------------------------------------------------------------------------------------
# The loopback upstream


class Upstream:
    """Serves /<suite>/<path> of SUITES_DIR on 127.0.0.1 with each file's headers."""

    def __init__(self, base):
        self.files = {}  # url path -> (bytes, headers)
        files = self.files

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                entry = files.get(urllib.parse.unquote(self.path.split("?")[0]))
                if entry is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data, headers = entry
                self.send_response(200)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, suite, rel, data, headers):
        path = "/%s/%s" % (suite, rel)
        self.files[path] = (data, headers)
        return "http://127.0.0.1:%d%s" % (self.port, urllib.parse.quote(path))


# ---------------------------------------------------------------------------------------------
# What feedparser sees, and facts about the bytes (for the categories)


def expat_error(data):
    """None if expat reads the document as well-formed XML, else its error message."""
    p = xml.parsers.expat.ParserCreate()
    try:
        p.Parse(data, True)
        return None
    except xml.parsers.expat.ExpatError as e:
        return str(e)
    except Exception as e:  # noqa: BLE001 (unknown encoding and the like)
        return "%s: %s" % (type(e).__name__, e)


def facts(data, headers):
    """Encoding facts: BOM, declared encoding, HTTP charset, whether the bytes are UTF-8."""
    bom = None
    for b, name in ((codecs.BOM_UTF32_BE, "utf-32be"), (codecs.BOM_UTF32_LE, "utf-32le"),
                    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16be"), (codecs.BOM_UTF16_LE, "utf-16le")):
        if data.startswith(b):
            bom = name
            break
    m = XML_DECL_ENC_RE.match(data.lstrip(codecs.BOM_UTF8))
    declared = m.group(1).decode("ascii", "replace").lower() if m else None
    ctype = headers.get("Content-Type", "")
    cm = re.search(r"charset\s*=\s*\"?([^;\"\s]+)", ctype, re.I)
    charset = cm.group(1).lower() if cm else None
    try:
        data.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    utf16ish = data[:4] in (b"\x00<\x00?", b"<\x00?\x00", b"\x00\x00\x00<", b"<\x00\x00\x00")
    return {"bom": bom, "declared": declared, "charset": charset, "utf8": utf8, "utf16_no_bom": utf16ish}


UTF8ISH = {None, "utf-8", "utf8", "us-ascii", "ascii"}


def run_feedparser(data, headers):
    d = feedparser.parse(data, response_headers={k.lower(): v for k, v in headers.items()})
    exc = d.get("bozo_exception")
    entries = d.get("entries", [])
    lacks = collections.Counter()
    for e in entries:
        if not (e.get("published_parsed") or e.get("updated_parsed") or e.get("created_parsed")):
            lacks["date"] += 1
        if not e.get("link"):
            lacks["link"] += 1
        if not e.get("id"):
            lacks["id"] += 1
        if not e.get("title"):
            lacks["title"] += 1
    return {
        "entries": len(entries),
        "bozo": bool(d.get("bozo")),
        "exception": ("%s: %s" % (type(exc).__name__, exc))[:300] if exc else None,
        "version": d.get("version") or "",
        "encoding": d.get("encoding"),
        "lacks": dict(lacks),
    }


def json_items(data):
    """Items of a JSON Feed by json.load (feedparser 6.0.14 reads no JSON Feed)."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
        items = doc.get("items") if isinstance(doc, dict) else None
        return len(items) if isinstance(items, list) else 0
    except Exception:  # noqa: BLE001
        return 0


# ---------------------------------------------------------------------------------------------
# feedpub


def write_site(site, repo_root, batch):
    """A site with one feed per file of `batch` [(slug, url, rel)] and no local article."""
    if os.path.exists(site):
        shutil.rmtree(site)
    os.makedirs(os.path.join(site, "config"))
    with open(os.path.join(repo_root, "config", "feedpub.toml"), encoding="utf-8") as f:
        config = f.read()
    # no .gz/.br siblings: `build` here is only the cross-check
    config = re.sub(r"(?m)^gzip = true", "gzip = false", config)
    config = re.sub(r"(?m)^brotli = true", "brotli = false", config)
    with open(os.path.join(site, "config", "feedpub.toml"), "w", encoding="utf-8") as f:
        f.write(config)
    for slug, url, rel in batch:
        d = os.path.join(site, "feeds", slug)
        os.makedirs(d)
        with open(os.path.join(d, "feed.toml"), "w", encoding="utf-8") as f:
            f.write('title = "%s"\ndescription = %s\nlanguage = "en"\nlimit = 1000\n\n'
                    '[[source]]\nurl = "%s"\n' % (slug, json.dumps(rel), url))


def feedpub_env():
    env = dict(os.environ)
    for k in ("FEEDPUB_DATABASE_URL", "FEEDPUB_CONFIG", "RUST_LOG"):
        env.pop(k, None)
    env["FEEDPUB_ALLOW_PRIVATE_NETWORKS"] = "true"
    return env


def poll(binary, site, feed=None, timeout=900):
    args = [binary, "--config", os.path.join(site, "config", "feedpub.toml"), "poll", "--force"]
    if feed:
        args += ["--feed", feed]
    t0 = time.monotonic()
    try:
        p = subprocess.run(args, capture_output=True, env=feedpub_env(), timeout=timeout)
        out, err, rc = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        err, rc = "timeout after %ds" % timeout, None
    lines = {}
    for line in out.splitlines():
        m = LINE_RE.match(line)
        if m:
            lines[m.group(1)] = line
    return lines, out, err, rc, time.monotonic() - t0


def parse_line(line):
    """(new, status text) from a poll line; new is None when the line does not parse."""
    status = line.split(": ", 1)[1] if ": " in line else line
    m = TAIL_RE.search(line)
    if not m:
        return None, status
    return int(m.group(1)), status[: len(status) - len(m.group(0))]


def build_counts(binary, site, slugs):
    """Item count of each feed's published feed.json after `feedpub build`, or an error text."""
    p = subprocess.run([binary, "--config", os.path.join(site, "config", "feedpub.toml"), "build"],
                       capture_output=True, env=feedpub_env(), timeout=900)
    if p.returncode != 0:
        return None, p.stderr.decode("utf-8", "replace")[-2000:]
    counts = {}
    for slug in slugs:
        try:
            with open(os.path.join(site, "public", slug, "feed.json"), encoding="utf-8") as f:
                counts[slug] = len(json.load(f).get("items", []))
        except Exception as e:  # noqa: BLE001
            counts[slug] = "unreadable: %s" % e
    return counts, None


def run_feedpub(binary, repo_root, work, suite, records, batch_size, do_build, log):
    """Fills rec['feedpub'] for each record: new, line, build."""
    for b0 in range(0, len(records), batch_size):
        batch = records[b0: b0 + batch_size]
        site = os.path.join(work, suite, "b%02d" % (b0 // batch_size))
        write_site(site, repo_root, [(r["slug"], r["url"], r["path"]) for r in batch])
        lines, out, err, rc, secs = poll(binary, site)
        log("  %s batch %d: %d files, poll exit %s, %.1fs" % (suite, b0 // batch_size, len(batch), rc, secs))
        missing = [r for r in batch if r["slug"] not in lines]
        if missing and len(missing) < len(batch) or (missing and rc not in (0, 3)):
            log("    %d files without a line (exit %s: %s); polling them one by one"
                % (len(missing), rc, err.strip().splitlines()[-1:] if err.strip() else ""))
        if missing:
            # a crash of the whole process leaves no lines: poll each remaining feed alone
            for r in missing:
                l1, _, e1, rc1, _ = poll(binary, site, feed=r["slug"], timeout=120)
                if r["slug"] in l1:
                    lines[r["slug"]] = l1[r["slug"]]
                else:
                    tail = e1.strip().splitlines()[-3:]
                    lines[r["slug"]] = None
                    r["feedpub_crash"] = "exit %s: %s" % (rc1, " | ".join(tail))[:500]
        for r in batch:
            line = lines.get(r["slug"])
            if line is None:
                r["feedpub"] = {"new": 0, "line": "(no poll line) " + r.get("feedpub_crash", ""), "status": "crash"}
                continue
            new, status = parse_line(line)
            r["feedpub"] = {"new": new or 0, "line": line, "status": status}
        if do_build:
            counts, berr = build_counts(binary, site, [r["slug"] for r in batch])
            for r in batch:
                r["feedpub"]["build"] = counts.get(r["slug"]) if counts else "build failed: " + berr


# ---------------------------------------------------------------------------------------------
# Why a miss is a miss: probes, then categories
#
# Each miss is served again in variants, one transformation more at each stage, and polled by
# the same binary: the first stage at which feedpub publishes an item names the cause.
#   utf8     decoded as feedparser decoded it, re-encoded as UTF-8, declaration says utf-8,
#            no BOM, no HTTP charset                              (only if the bytes hint at
#            another encoding: BOM, declaration, charset, not UTF-8)
#   recover  lxml's recovering parser, serialised again           (only if expat finds the
#            document ill-formed)
#   rss20    version="2.0" on an <rss> root with no version or one other than 0.91/0.92/2.0
#   channel  an <rss> with no <channel>: its children moved into one
#   rssns    RSS 2.0 in the userland namespace (backend.userland.com/rss2) taken out of it
#   atom03   Atom 0.3 mapped plainly to Atom 1.0 (namespace, issued/modified, mode/type)
#   rss090   the RSS 0.90 namespace replaced by RSS 1.0's
#   rdflink  a <link> (its rdf:about) in every RSS 0.90/1.0 item that has none
# Then each earlier stage is dropped in turn if the file still reads without it, so a category
# names only what was needed. Files no probe helps get a category by rule (format, media-type
# content, root element, encoding hints, expat's verdict, the poll line's text).


def root_of(data):
    """(local name, namespace, attributes) of the root element, read leniently; None if none."""
    try:
        import lxml.etree as etree
        root = etree.fromstring(data, etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False))
        if root is None:
            return None
        q = etree.QName(root)
        return q.localname, q.namespace or "", dict(root.attrib)
    except Exception:  # noqa: BLE001
        return None


def to_utf8(data, encoding):
    try:
        text = data.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    text = text.lstrip("\ufeff")
    text = re.sub(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""", r"\1\2utf-8\2", text, count=1)
    return text.encode("utf-8")


def recovered(data):
    import lxml.etree as etree
    try:
        root = etree.fromstring(data, etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    except Exception:  # noqa: BLE001
        return None
    if root is None:
        return None
    return etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=True)


def with_rss20(data):
    m = re.search(rb"<rss\b[^>]*>", data)
    if not m:
        return None
    tag = m.group(0)
    vm = re.search(rb"""\sversion\s*=\s*["']([^"']*)["']""", tag)
    if vm and vm.group(1).strip() in (b"0.91", b"0.92", b"2.0"):
        return None
    new = re.sub(rb"""\sversion\s*=\s*["'][^"']*["']""", b"", tag)
    new = new[:4] + b' version="2.0"' + new[4:]
    return data[: m.start()] + new + data[m.end():]


def with_rdf_links(data):
    n = [0]

    def add(m):
        item = m.group(0)
        if re.search(rb"<(\w+:)?link\b", item):
            return item
        about = re.search(rb"""rdf:about\s*=\s*["']([^"']+)["']""", item)
        n[0] += 1
        href = about.group(1) if about else b"http://example.invalid/item/%d" % n[0]
        return re.sub(rb"(<(?:\w+:)?item\b[^>]*>)", lambda t: t.group(1) + b"<link>" + href + b"</link>", item, count=1)

    out = re.sub(rb"<(?:\w+:)?item\b[^>]*>.*?</(?:\w+:)?item>", add, data, flags=re.S)
    return out if n[0] else None


RSS_USERLAND = "http://backend.userland.com/rss2"
ATOM03 = "http://purl.org/atom/ns#"
ATOM10 = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"


def lxml_edit(data, edit):
    """`data` parsed by lxml, edited in place by `edit(root)` (which says whether it changed
    anything), serialised again; None when nothing changed or `data` is not well-formed (the
    parse is strict, so these probes never repair by the way: that is the recover probe's job)."""
    import lxml.etree as etree
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except Exception:  # noqa: BLE001
        return None
    if root is None or not edit(root):
        return None
    etree.cleanup_namespaces(root)
    return etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=True)


def with_channel(data):
    """Items directly under <rss> (no <channel>) moved into one."""
    def edit(root):
        import lxml.etree as etree
        if etree.QName(root).localname != "rss" or any(
                isinstance(c.tag, str) and etree.QName(c).localname == "channel" for c in root):
            return False
        ch = etree.SubElement(root, "channel")
        for c in list(root):
            if c is not ch:
                ch.append(c)
        return True
    return lxml_edit(data, edit)


def without_userland_ns(data):
    """RSS 2.0 in the userland namespace (http://backend.userland.com/rss2) as plain RSS 2.0."""
    def edit(root):
        import lxml.etree as etree
        changed = False
        for el in root.iter():
            if isinstance(el.tag, str) and etree.QName(el).namespace == RSS_USERLAND:
                el.tag = etree.QName(el).localname
                changed = True
        return changed
    return lxml_edit(data, edit)


def as_atom10(data):
    """Atom 0.3 mapped to Atom 1.0 the plain way: namespace; issued/created/modified to
    published/updated; mode and MIME types to text/html/xhtml (a probe, not a converter)."""
    def edit(root):
        import lxml.etree as etree
        if etree.QName(root).namespace != ATOM03:
            return False
        for el in list(root.iter()):
            if not isinstance(el.tag, str) or etree.QName(el).namespace != ATOM03:
                continue
            name = {"issued": "published", "created": "published", "modified": "updated",
                    "tagline": "subtitle", "copyright": "rights"}.get(etree.QName(el).localname, etree.QName(el).localname)
            el.tag = "{%s}%s" % (ATOM10, name)
            mode = el.attrib.pop("mode", None)
            ty = el.get("type")
            if ty is None and mode is None:
                continue
            children = [c for c in el if isinstance(c.tag, str)]
            if mode == "xml" or (children and mode != "escaped"):
                div = etree.Element("{%s}div" % XHTML)
                div.text, el.text = el.text, None
                for c in children:
                    div.append(c)
                el.append(div)
                el.set("type", "xhtml")
            elif ty in ("text/html", "html") or mode == "escaped":
                el.set("type", "html")
            elif ty in ("text/plain", "text"):
                el.set("type", "text")
        parent_published = {}
        for el in root.iter("{%s}published" % ATOM10):
            parent = el.getparent()
            if parent in parent_published:  # created and issued both: keep the first
                parent.remove(el)
            parent_published[parent] = True
        return True
    return lxml_edit(data, edit)


def rss090_as_rss10(data):
    if b"http://my.netscape.com/rdf/simple/0.9/" not in data:
        return None
    return data.replace(b"http://my.netscape.com/rdf/simple/0.9/", b"http://purl.org/rss/1.0/")


def encoding_hints(fx):
    hints = []
    if fx["bom"] and fx["bom"] != "utf-8":
        hints.append("BOM " + fx["bom"])
    if fx["utf16_no_bom"]:
        hints.append("UTF-16/32 without BOM")
    if fx["declared"] not in UTF8ISH:
        hints.append("declared " + fx["declared"])
    if fx["charset"] not in UTF8ISH:
        hints.append("HTTP charset " + fx["charset"])
    if fx["declared"] and fx["charset"] and fx["declared"] != fx["charset"]:
        hints.append("HTTP charset %s vs declared %s" % (fx["charset"], fx["declared"]))
    if not fx["utf8"]:
        hints.append("bytes are not UTF-8")
    return hints


PROBES = ("utf8", "recover", "rss20", "channel", "rssns", "atom03", "rss090", "rdflink")


def transform(stage, r, data):
    """One probe's transformation of `data`, or None when it does not apply."""
    if stage == "utf8":
        return to_utf8(data, r["feedparser"]["encoding"]) if encoding_hints(r["facts"]) else None
    if stage == "recover":
        return recovered(data) if expat_error(data) else None
    if stage == "rss20":
        return with_rss20(data)
    if stage == "channel":
        return with_channel(data) if re.search(rb"<rss\b", data) else None
    if stage == "rssns":
        return without_userland_ns(data) if RSS_USERLAND.encode() in data else None
    if stage == "atom03":
        return as_atom10(data) if ATOM03.encode() in data else None
    if stage == "rss090":
        return rss090_as_rss10(data)
    if stage == "rdflink":
        return with_rdf_links(data) if r["feedparser"]["version"] in ("rss10", "rss090") else None
    raise ValueError(stage)


def apply(stages, r, data):
    """`data` through `stages` in order (those that do not apply leave it as it is)."""
    for stage in stages:
        data = transform(stage, r, data) or data
    return data


def probe_variants(r, data):
    """[(stage, bytes)]: the cumulative variants of a missed file, one per stage that applies."""
    out, cur = [], data
    for stage in PROBES:
        v = transform(stage, r, cur)
        if v is not None and v != cur:
            cur = v
            out.append((stage, cur))
    return out


def poll_variants(binary, repo_root, work, suite, up, log, name, wanted):
    """Polls [(record, bytes)] served under /probe-<name>/; returns [new] in the same order."""
    todo = [{"path": r["path"], "slug": "f%04d" % i,
             "url": up.add("probe-" + name, suite + "/" + r["path"], data, {"Content-Type": "application/xml"})}
            for i, (r, data) in enumerate(wanted)]
    if not todo:
        return []
    run_feedpub(binary, repo_root, os.path.join(work, "probe-" + name), suite, todo, 400, False, log)
    return [(p["feedpub"]["new"], p["feedpub"]["line"], p["feedpub"]["status"]) for p in todo]


def reached(r, new, status):
    """A probe's goal: an item published for a miss; a 200 for a feed-level failure."""
    return new > 0 if r.get("goal", "items") == "items" else status.strip() == "200"


def run_probes(binary, repo_root, work, suite, misses, datas, up, log):
    """Sets r['probe']: the fewest stages (of the cumulative sequence) after which feedpub publishes
    an item, or None; r['probe_tried']: the stages that applied; r['probe_lines']: failed lines."""
    variants = {r["path"]: probe_variants(r, datas[r["path"]]) for r in misses}
    for r in misses:
        r["probe"] = None
        r["probe_tried"] = [s for s, _ in variants[r["path"]]]
    for k, stage in enumerate(PROBES):
        wanted, stages = [], []
        for r in misses:
            vs = variants[r["path"]]
            idx = [i for i, (s, _) in enumerate(vs) if s == stage]
            if r["probe"] is None and idx:
                wanted.append((r, vs[idx[0]][1]))
                stages.append([s for s, _ in vs[: idx[0] + 1]])
        for (r, _), st, (new, line, status) in zip(wanted, stages, poll_variants(
                binary, repo_root, work, suite, up, log, stage, wanted)):
            if reached(r, new, status):
                r["probe"] = st
            else:
                r.setdefault("probe_lines", {})[stage] = line
    # Minimal: drop each earlier stage in turn if the file still reads without it.
    for k, stage in enumerate(PROBES[:-1]):
        cands = [r for r in misses if r["probe"] and len(r["probe"]) > 1 and stage in r["probe"][:-1]]
        wanted = [(r, apply([s for s in r["probe"] if s != stage], r, datas[r["path"]])) for r in cands]
        for (r, _), (new, _, status) in zip(wanted, poll_variants(
                binary, repo_root, work, suite, up, log, "without-" + stage, wanted)):
            if reached(r, new, status):
                r["probe"] = [s for s in r["probe"] if s != stage]


STAGE_NAMES = {
    "utf8": "encoding",
    "recover": "ill-formed XML",
    "rss20": "format/version: <rss> without a version feed-rs knows (none, 0.93, 0.94)",
    "channel": "<rss> without a <channel> (items, if any, right under <rss>)",
    "rssns": "RSS 2.0 in the userland namespace",
    "atom03": "format/version: Atom 0.3",
    "rss090": "format/version: RSS 0.90",
    "rdflink": "RSS 0.90/1.0 items without <link>",
}
KNOWN_ROOTS = {("rss", ""), ("RDF", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
               ("feed", "http://www.w3.org/2005/Atom"), ("feed", "http://purl.org/atom/ns#")}


LEGACY = {"rss090": "RSS 0.90", "atom03": "Atom 0.3", "atom02": "Atom 0.2", "atom01": "Atom 0.1", "cdf": "CDF"}


def category(r):
    """(category, why) of a miss."""
    fp, fb, fx = r["feedparser"], r["feedpub"], r["facts"]
    st = fb["status"]
    is_json = r["path"].endswith(".json")
    ok200 = st.strip() == "200"
    probe = r.get("probe")
    root = fx.get("root")
    rootdesc = "root <%s> in %s" % (root[0], root[1] or "no namespace") if root else "no root element"
    if st == "crash":
        return "crash (no poll line)", fb["line"]
    if is_json:
        if "unsupported version" in st:
            return "format/version: JSON Feed \"version\" not the spec's URL", st
        return "JSON Feed: other parse error", st
    if probe:
        why = "reads after: " + " + ".join(probe)
        if "utf8" in probe:
            why += " (%s; feedparser: %s)" % (", ".join(encoding_hints(fx)), fp["encoding"])
        if "recover" in probe:
            why += " (expat: %s)" % fx["expat"]
        return " + ".join(STAGE_NAMES[p] for p in probe), why
    tried = " (probes tried, none helped: %s)" % ", ".join(r["probe_tried"]) if r.get("probe_tried") else ""
    if fp["version"] in LEGACY or (root and root[0] == "CHANNEL"):
        name = LEGACY.get(fp["version"], "CDF")
        if fp["version"] in ("atom03", "rss090") and fp["version"].replace("rss090", "rss090") in r.get("probe_tried", []):
            name += " and more (not read even after the probes)"
        return "format/version: %s" % name, rootdesc + "; " + st[:120] + tried
    if root and (root[0], root[1]) not in KNOWN_ROOTS and not (root[0] == "rss"):
        return "format: a root no feed format defines (feedparser reads it loosely)", rootdesc + "; " + st[:120] + tried
    if "unsupported content type" in st:
        return "Atom content of a media type (base64, application/xhtml+xml, custom): whole feed refused", st[:160]
    if ok200:
        lacks = fp.get("lacks", {})
        n = fp["entries"]
        missing = [k for k in ("date", "link", "id", "title") if lacks.get(k) == n]
        return "0 items, no error: other", "%s; every entry lacks %s%s" % (rootdesc, "+".join(missing) or "nothing", tried)
    if encoding_hints(fx):
        return "encoding (probe did not help)", ", ".join(encoding_hints(fx)) + "; " + st[:120] + tried
    if fx["expat"]:
        return "ill-formed XML (recover did not help)", fx["expat"] + "; " + st[:120] + tried
    return "parse error, other", rootdesc + "; " + st[:160] + tried


# ---------------------------------------------------------------------------------------------
# Reports


def describe_fp(fp):
    s = "%d entries, version %s, encoding %s" % (fp["entries"], fp["version"] or "?", fp["encoding"])
    if fp["bozo"]:
        s += ", bozo (%s)" % fp["exception"]
    return s


def report(suite, records, out_dir, compare_dir, upstream_commit):
    xmls = [r for r in records if not r["path"].endswith(".json")]
    jsons = [r for r in records if r["path"].endswith(".json")]
    fp_pos = [r for r in xmls if r["feedparser"]["entries"] > 0]
    both = [r for r in fp_pos if r["feedpub"]["new"] > 0]
    misses = [r for r in fp_pos if r["feedpub"]["new"] == 0]
    reverse = [r for r in xmls if r["feedparser"]["entries"] == 0 and r["feedpub"]["new"] > 0]
    j_pos = [r for r in jsons if r["json_items"] > 0]
    j_both = [r for r in j_pos if r["feedpub"]["new"] > 0]
    mismatch = [r for r in records if "build" in r["feedpub"] and r["feedpub"]["build"] != r["feedpub"]["new"]]
    j_miss = [r for r in j_pos if r["feedpub"]["new"] == 0]
    feed_level = [r for r in records if r.get("goal") == "200"]
    fl_cats = collections.OrderedDict()
    for r in feed_level:
        c, why = category(r)
        r["category"], r["why"] = c, why
        fl_cats.setdefault(c, []).append(r)
    cats = collections.OrderedDict()
    for r in misses + j_miss:
        c, why = category(r)
        r["category"], r["why"] = c, why
        cats.setdefault(c, []).append(r)
    row = {
        "suite": suite, "files": len(records), "xml": len(xmls), "fp_pos": len(fp_pos), "both": len(both),
        "misses": len(misses), "reverse": len(reverse), "json": len(jsons), "json_pos": len(j_pos),
        "json_both": len(j_both), "mismatch": len(mismatch),
        "cats": {c: len(v) for c, v in cats.items()},
        "feed_level": len(feed_level), "fl_cats": {c: len(v) for c, v in fl_cats.items()},
        "silent": {c: sum(1 for r in v if r["feedpub"]["status"].strip() == "200") for c, v in cats.items()},
        "fp_header_diff": sum(1 for r in records if "feedparser_no_headers" in r),
    }

    prev = {}
    if compare_dir:
        try:
            with open(os.path.join(compare_dir, "results-%s.json" % suite), encoding="utf-8") as f:
                prev = {r["path"]: r for r in json.load(f)}
        except OSError:
            prev = {}

    path = os.path.join(out_dir, "report-%s.txt" % suite)
    with open(path, "w", encoding="utf-8") as f:
        w = lambda s="": f.write(s + "\n")  # noqa: E731
        w("suite %s (%s)" % (suite, upstream_commit))
        w("files: %d (XML %d, JSON %d)" % (len(records), len(xmls), len(jsons)))
        w("XML files where feedparser finds >=1 entry: %d; feedpub publishes >=1 of those: %d; misses: %d"
          % (len(fp_pos), len(both), len(misses)))
        w("feedpub >0 where feedparser finds 0: %d" % len(reverse))
        w("JSON Feed files (feedparser 6.0.14 reads none; reference = items per json.load): %d, >=1 item: %d, "
          "feedpub publishes >=1: %d" % (len(jsons), len(j_pos), len(j_both)))
        w("poll 'N new' vs items in the built feed.json differ for: %d files" % len(mismatch))
        w("feedparser with the served headers vs without (as its own harness parses local files): "
          "entries differ for %d files" % row["fp_header_diff"])
        w()
        w("== misses by category (feedparser >=1 entry, or JSON items >=1, and feedpub 0 new)")
        for c, rs in sorted(cats.items(), key=lambda kv: -len(kv[1])):
            w()
            w("-- %s: %d (%d of them silently: 200; 0 new)"
              % (c, len(rs), sum(1 for r in rs if r["feedpub"]["status"].strip() == "200")))
            for r in rs:
                w("  %s" % r["path"])
                w("      why:        %s" % r["why"])
                w("      served as:  %s" % r["headers"].get("Content-Type"))
                w("      feedparser: %s" % describe_fp(r["feedparser"]))
                w("      feedpub:    %s" % r["feedpub"]["line"])
                for stage, line in sorted(r.get("probe_lines", {}).items()):
                    w("      probe %-8s %s" % (stage + ":", line.split(": ", 1)[-1]))
        w()
        w("== feed-level failures by category (feedparser knows the format and finds 0 entries; feedpub's "
          "poll is not 200; probe goal: a 200)")
        for c, rs in sorted(fl_cats.items(), key=lambda kv: -len(kv[1])):
            w()
            w("-- %s: %d" % (c, len(rs)))
            for r in rs:
                w("  %s" % r["path"])
                w("      why:        %s" % r["why"])
                w("      served as:  %s" % r["headers"].get("Content-Type"))
                w("      feedparser: %s" % describe_fp(r["feedparser"]))
                w("      feedpub:    %s" % r["feedpub"]["line"])
        w()
        w("== JSON Feed files where json.load finds items and feedpub publishes none")
        for r in j_pos:
            if r["feedpub"]["new"] == 0:
                w("  %s (%d items)\n      feedpub:    %s" % (r["path"], r["json_items"], r["feedpub"]["line"]))
        w()
        w("== reverse: feedpub publishes, feedparser finds 0 entries")
        for r in reverse:
            w("  %s\n      feedparser: %s\n      feedpub:    %s" % (r["path"], describe_fp(r["feedparser"]), r["feedpub"]["line"]))
        w()
        w("== poll 'N new' differs from the built feed.json's item count")
        for r in mismatch:
            w("  %s: poll %s new, build %s\n      feedpub:    %s"
              % (r["path"], r["feedpub"]["new"], r["feedpub"]["build"], r["feedpub"]["line"]))
        if prev:
            w()
            w("== against %s" % compare_dir)
            for r in records:
                p = prev.get(r["path"])
                if not p:
                    continue
                was, now = p["feedpub"]["new"] > 0, r["feedpub"]["new"] > 0
                if was != now:
                    w("  %s %s\n      was: %s\n      now: %s"
                      % ("FIXED  " if now else "REGRESSED", r["path"], p["feedpub"]["line"], r["feedpub"]["line"]))
        w()
        w("== every file: feedparser entries / feedpub new / poll status")
        for r in records:
            ref = r["feedparser"]["entries"] if not r["path"].endswith(".json") else "json:%d" % r["json_items"]
            w("  %-6s %4s  %s  %s" % (ref, r["feedpub"]["new"], r["path"], r["feedpub"]["status"][:150]))
    with open(os.path.join(out_dir, "results-%s.json" % suite), "w", encoding="utf-8") as f:
        json.dump(records, f, ensure_ascii=False, indent=0)
    if prev:
        row["fixed"] = sum(1 for r in records if r["path"] in prev and r["feedpub"]["new"] > 0
                           and prev[r["path"]]["feedpub"]["new"] == 0)
        row["regressed"] = sum(1 for r in records if r["path"] in prev and r["feedpub"]["new"] == 0
                               and prev[r["path"]]["feedpub"]["new"] > 0)
    return row, path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the feedpub binary")
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--suites-dir", default="/tmp/suites")
    ap.add_argument("--suite", action="append", choices=list(SUITES), help="default: all three")
    ap.add_argument("--batch", type=int, default=300, help="files (feeds) per site and poll")
    ap.add_argument("--no-build", action="store_true", help="skip the `feedpub build` cross-check")
    ap.add_argument("--no-probes", action="store_true", help="skip the probes that find each miss's cause")
    ap.add_argument("--compare", help="a directory with results-<suite>.json of an earlier run")
    ap.add_argument("--label", help="what the binary is, for the table's title (e.g. the commit)")
    ap.add_argument("--out", help="where reports go (default: the suites dir)")
    a = ap.parse_args()
    suites = a.suite or list(SUITES)
    out_dir = a.out or a.suites_dir
    os.makedirs(out_dir, exist_ok=True)
    work = os.path.join(a.suites_dir, "run")
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    binary = os.path.abspath(a.bin)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    up = Upstream(a.suites_dir)
    log("upstream on 127.0.0.1:%d; %s" % (up.port, version))
    rows = []
    repo_root = a.repo
    for suite in suites:
        base = os.path.join(a.suites_dir, suite)
        try:
            with open(os.path.join(base, ".commit"), encoding="utf-8") as f:
                commit = f.read().strip()
        except OSError:
            commit = "commit unknown"
        files = feed_files(suite, base)
        if not files:
            log("%s: no files under %s (see benches/suites.sh for the fetch step)" % (suite, base))
            continue
        t0 = time.monotonic()
        records, datas = [], {}
        for i, rel in enumerate(files):
            with open(os.path.join(base, rel), "rb") as f:
                data = f.read()
            headers, is_http = served_headers(suite, rel, data)
            r = {"path": rel, "slug": "f%04d" % (i % 10000), "headers": headers,
                 "url": up.add(suite, rel, data, headers)}
            r["facts"] = facts(data, headers)
            r["feedparser"] = run_feedparser(data, headers)
            r["facts"]["expat"] = expat_error(data if r["facts"]["utf8"] and not encoding_hints(r["facts"])
                                              else to_utf8(data, r["feedparser"]["encoding"]))
            if not rel.endswith(".json"):
                root = root_of(data)
                r["facts"]["root"] = list(root[:2]) if root else None
                if not is_http:
                    bare = len(feedparser.parse(data).get("entries", []))
                    if bare != r["feedparser"]["entries"]:
                        r["feedparser_no_headers"] = bare
            datas[rel] = data
            r["json_items"] = json_items(data) if rel.endswith(".json") else None
            records.append(r)
        log("%s: %d files; feedparser %.1fs" % (suite, len(records), time.monotonic() - t0))
        run_feedpub(binary, repo_root, work, suite, records, a.batch, not a.no_build, log)
        misses = [r for r in records if r["feedpub"]["new"] == 0 and (
            (r["json_items"] or 0) > 0 if r["path"].endswith(".json") else r["feedparser"]["entries"] > 0)]
        # feed-level failures: feedparser knows the format (and finds no entry), feedpub errors
        feed_level = [r for r in records if not r["path"].endswith(".json") and r["feedparser"]["entries"] == 0
                      and r["feedparser"]["version"] and r["feedpub"]["status"].strip() != "200"]
        for r in feed_level:
            r["goal"] = "200"
        probed = [r for r in misses if not r["path"].endswith(".json")] + feed_level
        if probed and not a.no_probes:
            run_probes(binary, repo_root, work, suite, probed, datas, up, log)
        row, path = report(suite, records, out_dir, a.compare, commit)
        row["report"] = path
        rows.append(row)
    up.server.shutdown()

    print("## Public suites: feedparser 6.0.14 vs feedpub (%s)" % (a.label or version))
    print()
    print("| suite | files | feedparser ≥1 entry | feedpub ≥1 item of those | misses | feedpub >0, feedparser 0 "
          "| JSON Feed files (items ≥1 / feedpub ≥1) | poll≠build |" + (" fixed / regressed |" if a.compare else ""))
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if a.compare else ""))
    tot = collections.Counter()
    for row in rows:
        pct = 100.0 * row["both"] / row["fp_pos"] if row["fp_pos"] else 0
        extra = " %s / %s |" % (row.get("fixed", "-"), row.get("regressed", "-")) if a.compare else ""
        print("| %s | %d | %d | %d (%.1f %%) | %d | %d | %d (%d / %d) | %d |%s"
              % (row["suite"], row["files"], row["fp_pos"], row["both"], pct, row["misses"], row["reverse"],
                 row["json"], row["json_pos"], row["json_both"], row["mismatch"], extra))
        for k in ("files", "fp_pos", "both", "misses", "reverse", "json", "json_pos", "json_both", "mismatch"):
            tot[k] += row[k]
    if len(rows) > 1:
        pct = 100.0 * tot["both"] / tot["fp_pos"] if tot["fp_pos"] else 0
        print("| **all** | %d | %d | %d (%.1f %%) | %d | %d | %d (%d / %d) | %d |%s"
              % (tot["files"], tot["fp_pos"], tot["both"], pct, tot["misses"], tot["reverse"], tot["json"],
                 tot["json_pos"], tot["json_both"], tot["mismatch"], " |" if a.compare else ""))
    print()
    print("Misses by category:")
    print()
    print("| suite | category (the fewest probes after which feedpub publishes; else the rule) | files "
          "| of which silent (200; 0 new) |")
    print("|---|---|---:|---:|")
    for row in rows:
        for c, n in sorted(row["cats"].items(), key=lambda kv: -kv[1]):
            print("| %s | %s | %d | %d |" % (row["suite"], c, n, row["silent"][c]))
    print()
    print("Feed-level failures (feedparser reads the document as a feed with 0 entries; feedpub's poll "
          "fails), by category:")
    print()
    print("| suite | category | files |")
    print("|---|---|---:|")
    for row in rows:
        for c, n in sorted(row["fl_cats"].items(), key=lambda kv: -kv[1]):
            print("| %s | %s | %d |" % (row["suite"], c, n))
    print()
    for row in rows:
        print("Details: %s" % row["report"])


if __name__ == "__main__":
    main()
