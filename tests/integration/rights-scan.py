#!/usr/bin/python3
# rights-scan.py: searches files byte for byte for values that must be gone after an erasure,
# plain and in the encodings a program might have stored them in: any letter case, UTF-8,
# UTF-16 (LE and BE), Latin-1, URL-encoded (%40, + for space), JSON-escaped (\u00e4, \/,
# \u0040), HTML entities, base64 (standard and URL-safe, at each of the three alignments) and
# hex. Letter case is ignored (ASCII bytes are compared lowercased, and upper, lower and title
# case variants of non-ASCII text are encoded too).
#
# Usage:
#   rights-scan.py scan DIR [--exclude NAME]... -- VALUE...
#       every regular file under DIR (recursively) but the excluded names; prints one JSON
#       object {"files":[{"file","size"}],"needles":N,"hits":[{"file","value","encoding",
#       "offset","context"}]}
#       A VALUE "raw:LABEL:HEX" is searched as those exact bytes (whole and in 16-byte pieces).
#   rights-scan.py selftest VALUE...
#       embeds every needle of every value at a random offset in random bytes and checks that
#       the scan finds each (the scanner's own positive control); prints
#       {"needles":N,"missed":[...]}
import base64
import json
import os
import random
import sys
import urllib.parse

MIN_LEN = 6  # shorter needles would match random bytes of sealed data


def b64_fragments(raw, alphabet):
    """The parts of base64(prefix + raw + suffix) that depend on raw alone, for each of the
    three positions raw can start at within a 3-byte group."""
    out = []
    for k in range(3):
        data = b"\0" * k + raw
        enc = base64.b64encode(data) if alphabet == "std" else base64.urlsafe_b64encode(data)
        enc = enc.rstrip(b"=")
        lo, hi = 8 * k, 8 * (k + len(raw))
        clean = [i for i in range(len(enc)) if 6 * i >= lo and 6 * i + 6 <= hi]
        if clean:
            frag = enc[clean[0]:clean[-1] + 1]
            out.append((f"base64-{alphabet}+{k}", frag))
    return out


def variants(value):
    vs = []
    for v in (value, value.lower(), value.upper(), value.title(), value.casefold()):
        if v not in vs:
            vs.append(v)
    return vs


def raw_needles(value):
    """A value "raw:LABEL:HEX" is bytes as stored (a sealed field, a wrapped key): searched
    exactly, whole and in 16-byte pieces (a remnant of it is a finding too)."""
    b = bytes.fromhex(value.split(":", 2)[2])
    res = [("raw", b, True)]
    for i in range(0, len(b) - 15, 16):
        res.append((f"raw[{i}:{i + 16}]", b[i:i + 16], True))
    return res


def needles(value):
    """(encoding, bytes) pairs for one value; bytes are compared ASCII-lowercased, except for
    base64, whose letter case carries information."""
    if value.startswith("raw:"):
        return raw_needles(value)
    out = []
    for v in variants(value):
        u8 = v.encode("utf-8")
        out.append(("utf-8", u8))
        out.append(("utf-16le", v.encode("utf-16-le")))
        out.append(("utf-16be", v.encode("utf-16-be")))
        try:
            out.append(("latin-1", v.encode("latin-1")))
        except UnicodeEncodeError:
            pass
        out.append(("url", urllib.parse.quote(v, safe="").encode()))
        out.append(("url-plus", urllib.parse.quote_plus(v, safe="").encode()))
        out.append(("url-keep-@", urllib.parse.quote(v, safe="@/").encode()))
        j = json.dumps(v, ensure_ascii=True)[1:-1]
        out.append(("json", j.encode()))
        out.append(("json-utf8", json.dumps(v, ensure_ascii=False)[1:-1].encode("utf-8")))
        out.append(("json-slash", j.replace("/", "\\/").encode()))
        out.append(("json-u0040", j.replace("@", "\\u0040").encode()))
        out.append(("json-u002b", j.replace("+", "\\u002b").encode()))
        out.append(("html-dec", v.replace("@", "&#64;").encode("utf-8")))
        out.append(("html-hex", v.replace("@", "&#x40;").encode("utf-8")))
        out.append(("hex", u8.hex().encode()))
        out.append(("hex-utf16le", v.encode("utf-16-le").hex().encode()))
        for alphabet in ("std", "url"):
            for name, frag in b64_fragments(u8, alphabet):
                out.append((name, frag))
    seen = set()
    res = []
    for enc, b in out:
        case_sensitive = enc.startswith("base64")
        key = (b if case_sensitive else b.lower(), case_sensitive)
        if len(b) < MIN_LEN or key in seen:
            continue
        seen.add(key)
        res.append((enc, key[0], case_sensitive))
    return res


def find_all(hay, hay_lower, needle, case_sensitive):
    h = hay if case_sensitive else hay_lower
    i = h.find(needle)
    while i >= 0:
        yield i
        i = h.find(needle, i + 1)


def scan_blob(hay, values):
    hay_lower = hay.lower()
    for value in values:
        for enc, needle, cs in needles(value):
            for off in find_all(hay, hay_lower, needle, cs):
                yield value, enc, off


def scan(root, excludes, values):
    files, hits = [], []
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            if name in excludes or not os.path.isfile(path) or os.path.islink(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            files.append({"file": os.path.relpath(path, root), "size": len(data)})
            for value, enc, off in scan_blob(data, values):
                if len(hits) < 200:
                    ctx = data[max(0, off - 24):off + 64]
                    label = ":".join(value.split(":")[:2]) if value.startswith("raw:") else value
                    hits.append({"file": os.path.relpath(path, root), "value": label, "encoding": enc,
                                 "offset": off, "context": ctx.decode("latin-1")})
    n = sum(len(needles(v)) for v in values)
    return {"files": files, "needles": n, "hits": hits}


def selftest(values):
    rnd = random.Random(7)
    missed = []
    n = 0
    for value in values:
        for enc, needle, cs in needles(value):
            n += 1
            # put the needle as it would be written (upper-cased where case does not matter,
            # to prove case is ignored) between random bytes
            stored = needle if cs else needle.upper()
            blob = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 300))) + stored + \
                bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 300)))
            found = any(e == enc and v == value for v, e, _ in scan_blob(blob, [value]))
            if not found:
                missed.append({"value": value, "encoding": enc})
        # base64 at every alignment, inside a longer encoded text, as a program would write it
        raw = value.encode("utf-8")
        for k in range(3):
            for alphabet in ("std", "url"):
                data = bytes(rnd.getrandbits(8) for _ in range(k)) + raw + b"tail"
                enc = base64.b64encode(data) if alphabet == "std" else base64.urlsafe_b64encode(data)
                n += 1
                if len(raw) >= 8 and not any(e.startswith("base64") for _, e, _ in scan_blob(b"xx" + enc + b"yy", [value])):
                    missed.append({"value": value, "encoding": f"base64-{alphabet} in text at +{k}"})
    return {"needles": n, "missed": missed}


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "selftest":
        res = selftest(sys.argv[2:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "scan":
        root = sys.argv[2]
        args = sys.argv[3:]
        excludes = set()
        while args and args[0] == "--exclude":
            excludes.add(args[1])
            args = args[2:]
        if not args or args[0] != "--":
            sys.exit("usage: rights-scan.py scan DIR [--exclude NAME]... -- VALUE...")
        res = scan(root, excludes, args[1:])
    else:
        sys.exit("usage: rights-scan.py scan DIR [--exclude NAME]... -- VALUE... | selftest VALUE...")
    json.dump(res, sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
