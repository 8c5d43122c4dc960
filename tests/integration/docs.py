#!/usr/bin/python3
"""docs.py: runs the shell examples of README.md and docs/*.md as printed, so that a doc
example cannot fail (docs/internals/build-and-tests.md, "Docs that run"). Prints TAP.

Usage: docs.py BIN            run every page against the samtycke binary BIN
       docs.py BIN PAGE...    only those pages (paths relative to the source root)
The wrappers of the generated page scripts call back into it: `docs.py subst DIR ARG...`
and `docs.py check DIR LINE KIND STATUS OUT ERR HDR`.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("SK_SOURCE_ROOT") or os.path.dirname(os.path.dirname(HERE))
PORT_IN_DOCS = "127.0.0.1:8080"
MAX_NORUN = 8          # blocks marked norun in all pages; raise it only with a good reason
                       # (7 and 8: operations.md's make install into the system and the
                       # systemd service, which need root and systemd; install.sh tests both)
PAGE_TIMEOUT = 180     # seconds for one page
# Ids as the docs print them (any length of base32) and as the server makes them.
DOC_ID = re.compile(r"\b([a-z])_([a-z0-9]{16,32}|\.\.)(?![a-z0-9])")
REAL_ID = re.compile(r"\b([a-z])_([a-z2-7]{20,30})\b")
# Keys whose documented values are vocabulary (not ids, times or counts): the output must
# hold the same key with the same value.
VOCAB = ("allowed", "reason", "status", "code", "type", "action", "enabled")
PAIR = re.compile(r'"(' + "|".join(VOCAB) + r')"\s*:\s*("[^"]*"|true|false|null)')

# ---- reading a page ----


def scan_line(line, state):
    """One line of shell: returns (code, comment, state) where state is the open quote
    (None, "'" or '"') at the end of the line. Good enough for documentation examples:
    quotes, backslashes and comments; no here-documents."""
    quote = state
    i = 0
    while i < len(line):
        c = line[i]
        if quote == "'":
            if c == "'":
                quote = None
        elif quote == '"':
            if c == "\\":
                i += 1
            elif c == '"':
                quote = None
        elif c == "\\":
            i += 1
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i], line[i + 1:].strip(), quote
        i += 1
    return line, "", quote


def commands(lines):
    """Splits a block into commands: [(first, last, [comment texts])], indices into lines.
    A command goes on while a quote is open or a line ends with \\, |, && or ||; the
    comment lines right after a command (up to a blank line or code) are its documented
    output."""
    out = []
    state = None
    cur = None
    for i, line in enumerate(lines):
        was_open = state is not None
        code, comment, state = scan_line(line, state)
        if cur is None and not was_open and not code.strip():
            if comment and out and out[-1][3]:
                out[-1][2].append(comment)
            elif not comment and out:
                out[-1][3] = False
            continue
        if cur is None:
            cur = [i, i, [], True]
        cur[1] = i
        if comment:
            cur[2].append(comment)
        c = code.rstrip()
        if state is None and not c.endswith(("\\", "|", "&&", "||")):
            out.append(cur)
            cur = None
    if cur is not None:
        out.append(cur)
    return [(a, b, texts) for a, b, texts, _ in out]


def expectations(texts):
    """The outcomes a command's comments allow: a list of {"status": N or None, "exit": N or
    None, "pairs": [...], "text": TEXT or None}; empty means success (exit 0, HTTP below
    400)."""
    alts = []
    for t in texts:
        m = re.match(r"(\d{3})\b", t)
        e = re.search(r"\bexit (\d)\b(?::\s*(.*))?", t)
        pairs = PAIR.findall(t)
        if m:
            alts.append({"status": int(m.group(1)), "exit": None, "pairs": pairs, "text": None})
        elif e:
            text = (e.group(2) or "").strip() or None
            alts.append({"status": None, "exit": int(e.group(1)), "pairs": pairs, "text": text})
        elif pairs:
            if alts:
                alts[-1]["pairs"].extend(pairs)
            else:
                alts.append({"status": None, "exit": None, "pairs": pairs, "text": None})
    return alts


def parse_page(text):
    """The page's steps in order: {"kind": run|norun|file|hidden, "line": first line (1-based)
    of the block's content, "lines": [...], "reason"/"name": ...}."""
    lines = text.split("\n")
    steps = []
    pending = None          # a norun or file marker waiting for its block
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*<!--\s*(norun|file|run):\s*(.*?)\s*(-->)?\s*$", line)
        if m:
            kind, rest, closed = m.group(1), m.group(2), m.group(3)
            if kind == "run":
                # <!-- run: COMMAND --> on one line, or <!-- run: what it is for, then
                # commands on the lines up to -->
                body = [rest] if closed and rest else []
                start = i + 1 if closed else i + 2
                j = i
                while not closed:
                    j += 1
                    if j >= len(lines):
                        raise ValueError("line %d: <!-- run: never closed" % (i + 1))
                    cl = lines[j]
                    if cl.strip().endswith("-->"):
                        cl = cl.strip()[:-3]
                        closed = True
                    if cl.strip():
                        body.append(cl)
                steps.append({"kind": "hidden", "line": start, "lines": body})
                i = j + 1
                continue
            pending = (kind, rest)
            i += 1
            continue
        m = re.match(r"(\s*)```(\S*)\s*$", line)
        if m:
            indent, lang = m.group(1), m.group(2)
            j = i + 1
            while j < len(lines) and not re.match(r"\s*```\s*$", lines[j]):
                j += 1
            body = [ln[len(indent):] if ln.startswith(indent) else ln for ln in lines[i + 1:j]]
            if pending and pending[0] == "file":
                steps.append({"kind": "file", "line": i + 2, "lines": body,
                              "name": pending[1]})
            elif lang == "sh":
                if pending and pending[0] == "norun":
                    steps.append({"kind": "norun", "line": i + 2, "lines": body,
                                  "reason": pending[1]})
                else:
                    steps.append({"kind": "run", "line": i + 2, "lines": body})
            pending = None
            i = j + 1
            continue
        if line.strip() and pending:
            raise ValueError("line %d: a <!-- %s: --> marker must come right before a ```sh "
                             "block" % (i + 1, pending[0]))
        i += 1
    return steps


# ---- the page script ----

PRELUDE = r'''# generated by tests/integration/docs.py
SKD=$1; SKBIN=$2; SKPY=$3; SKPORT=$4
set +e
trap 'echo "ERR $LINENO $?" >>"$SKD/.results"' ERR
sk_args() { mapfile -d '' SKARGS < <("$SKPY" "$SKD/.docs.py" subst "$SKD" "$@"); }
sk_wait_server() {
	[ -f "$SKD/.ready" ] && return 0
	local i=0
	until command curl -s -o /dev/null "http://127.0.0.1:$SKPORT/healthz"; do
		i=$((i + 1))
		if [ $i -ge 100 ]; then touch "$SKD/.ready"; return 1; fi
		sleep 0.1
	done
	touch "$SKD/.ready"
}
samtycke() {
	local line=${BASH_LINENO[0]} st a listen=1 o="$SKD/.out.$BASHPID" e="$SKD/.err.$BASHPID"
	sk_args "$@"
	for a in "${SKARGS[@]}"; do
		case $a in --listen|--listen=*) listen=0 ;; esac
	done
	for a in "${SKARGS[@]}"; do
		if [ "$a" = serve ]; then
			[ $listen = 1 ] && SKARGS+=(--listen "127.0.0.1:$SKPORT")
			rm -f "$SKD/.ready"
			if [ "$BASHPID" != "$$" ]; then
				exec "$SKBIN" "${SKARGS[@]}" >>"$SKD/.serve.log" 2>&1
			fi
			"$SKBIN" "${SKARGS[@]}" >>"$SKD/.serve.log" 2>&1
			return
		fi
	done
	"$SKBIN" "${SKARGS[@]}" >"$o" 2>"$e"
	st=$?
	cat "$o"
	cat "$e" >&2
	"$SKPY" "$SKD/.docs.py" check "$SKD" "$line" cli "$st" "$o" "$e" - && return 0
	return $((st ? st : 1))
}
curl() {
	local line=${BASH_LINENO[0]} st o="$SKD/.out.$BASHPID" e="$SKD/.err.$BASHPID" h="$SKD/.hdr.$BASHPID"
	sk_wait_server "$line"
	sk_args "$@"
	rm -f "$h"
	command curl -D "$h" "${SKARGS[@]}" >"$o" 2>"$e"
	st=$?
	cat "$o"
	cat "$e" >&2
	"$SKPY" "$SKD/.docs.py" check "$SKD" "$line" curl "$st" "$o" "$e" "$h" && return 0
	return $((st ? st : 22))
}
'''


def build_script(steps, port):
    """The page as one bash script; returns (script text, {script line: (step index, page
    line, alternatives)})."""
    out = PRELUDE.split("\n")
    table = {}
    for k, st in enumerate(steps):
        if st["kind"] not in ("run", "hidden"):
            continue
        out.append("echo \"BLOCK %d\" >>\"$SKD/.results\"" % k)
        lines = [ln.replace(PORT_IN_DOCS, "127.0.0.1:%d" % port) for ln in st["lines"]]
        base = len(out) + 1
        for a, b, texts in commands(lines):
            alts = expectations(texts)
            for i in range(a, b + 1):
                table[base + i] = (k, st["line"] + a, alts, texts)
        out.extend(lines)
        out.append("")
    out.append("echo END >>\"$SKD/.results\"")
    return "\n".join(out) + "\n", table


# ---- the callbacks of the wrappers ----


def load_map(d):
    try:
        with open(os.path.join(d, ".ids")) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def cmd_subst(d, args):
    """Each id that the page showed as an output stands for the id really printed there."""
    ids = load_map(d)
    pat = re.compile("|".join(re.escape(k) for k in sorted(ids, key=len, reverse=True)))
    res = [pat.sub(lambda m: ids[m.group(0)], a) if ids else a for a in args]
    sys.stdout.write("".join(a + "\0" for a in res))
    return 0


def cmd_check(d, line, kind, status, outf, errf, hdrf):
    with open(os.path.join(d, ".table.json")) as f:
        table = json.load(f)
    entry = table.get(str(line))
    with open(outf, errors="replace") as f:
        out = f.read()
    with open(errf, errors="replace") as f:
        err = f.read()
    http = None
    if kind == "curl" and os.path.exists(hdrf):
        with open(hdrf, errors="replace") as f:
            codes = re.findall(r"^HTTP/\S+ (\d{3})", f.read(), re.M)
        http = int(codes[-1]) if codes else None
    status = int(status)
    if entry is None:
        return 0 if status == 0 and (http is None or http < 400) else 1
    _, _, alts, texts = entry
    # learn the ids that the documented output shows
    ids = load_map(d)
    real = REAL_ID.findall(out)
    for t in texts:
        for p, rest in DOC_ID.findall(t):
            doc = "%s_%s" % (p, rest)
            if doc in ids or REAL_ID.fullmatch(doc) and doc in out:
                continue
            for j, (rp, rrest) in enumerate(real):
                if rp == p:
                    ids[doc] = "%s_%s" % (rp, rrest)
                    del real[j]
                    break
    with open(os.path.join(d, ".ids"), "w") as f:
        json.dump(ids, f)

    def why_not(alt):
        if kind == "curl":
            if status not in (0, 22):
                return "curl failed with exit %d (%s)" % (status, err.strip()[:200])
            want = alt["status"] if alt else None
            if want is None and (http is None or http >= 400):
                return "answered HTTP %s, the page shows success" % http
            if want is not None and http != want:
                return "answered HTTP %s, the page shows %d" % (http, want)
        else:
            want = alt["exit"] if alt and alt["exit"] is not None else 0
            if status != want:
                return "exited %d, the page shows exit %d" % (status, want)
            if alt and alt["text"] and alt["text"] not in out + err:
                return "the output lacks '%s'" % alt["text"]
        for k, v in (alt["pairs"] if alt else []):
            if not re.search(r'"%s"\s*:\s*%s' % (re.escape(k), re.escape(v)), out + err):
                return "the output lacks \"%s\":%s" % (k, v)
        return None

    reasons = [why_not(a) for a in (alts or [None])]
    if any(r is None for r in reasons):
        return 0
    body = (out + err).strip().replace("\n", " ")[:300]
    with open(os.path.join(d, ".results"), "a") as f:
        f.write("FAIL %s %s; it printed: %s\n" % (line, "; or ".join(reasons), body))
    return 1


# ---- running a page ----


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run_page(name, text, binary):
    """Runs one page; returns (steps, {step index: [failures]}, [page failures], [notes: the
    end of its output and of the server's log, when anything failed])."""
    steps = parse_page(text)
    if not any(s["kind"] in ("run", "hidden") for s in steps):
        return steps, {}, [], []
    d = tempfile.mkdtemp(prefix="samtycke-docs.")
    try:
        # the examples run at the top of a source tree: the files they name are there
        shutil.copytree(os.path.join(ROOT, "examples"), os.path.join(d, "examples"))
        shutil.copytree(os.path.join(ROOT, "tests", "data"), os.path.join(d, "tests", "data"))
        shutil.copy(os.path.abspath(__file__), os.path.join(d, ".docs.py"))
        port = free_port()
        for st in steps:
            if st["kind"] == "file":
                with open(os.path.join(d, st["name"]), "w") as f:
                    f.write("\n".join(ln.replace(PORT_IN_DOCS, "127.0.0.1:%d" % port)
                                      for ln in st["lines"]) + "\n")
        script, table = build_script(steps, port)
        with open(os.path.join(d, ".page.sh"), "w") as f:
            f.write(script)
        with open(os.path.join(d, ".table.json"), "w") as f:
            json.dump(table, f)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("SAMTYCKE_") and k not in ("http_proxy", "https_proxy")}
        env["HOME"] = d
        # the page runs in its own process group: whatever it leaves running (a server,
        # nginx, a sync loop) is killed with it
        p = subprocess.Popen(["bash", ".page.sh", d, binary, sys.executable, str(port)],
                             cwd=d, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            out, _ = p.communicate(timeout=PAGE_TIMEOUT)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
        output = out.decode(errors="replace")
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        results = open(os.path.join(d, ".results")).read().split("\n") \
            if os.path.exists(os.path.join(d, ".results")) else []
        fails = {}
        page_fails = []
        seen = set()
        reached = set()
        for r in results:
            parts = r.split(" ", 2)
            if parts[0] == "BLOCK":
                reached.add(int(parts[1]))
            elif parts[0] in ("FAIL", "ERR"):
                line = parts[1]
                entry = table.get(int(line))
                key = tuple(entry[:2]) if entry else line
                if key in seen:
                    continue
                seen.add(key)
                k, pline = (entry[0], entry[1]) if entry else (None, None)
                msg = parts[2] if parts[0] == "FAIL" else "exited %s" % parts[2]
                src = steps[k]["lines"][pline - steps[k]["line"]].strip() if entry else ""
                where = "%s:%s" % (name, pline) if entry else name
                (fails.setdefault(k, []) if entry else page_fails).append(
                    "%s: `%s` %s" % (where, src[:120], msg))
        if timed_out:
            page_fails.append("%s: did not finish within %d s" % (name, PAGE_TIMEOUT))
        elif "END" not in results:
            page_fails.append("%s: the page's commands stopped early (an exit?)" % name)
        for k, st in enumerate(steps):
            if st["kind"] in ("run", "hidden") and k not in reached and not timed_out:
                fails.setdefault(k, []).append("%s:%d: never reached" % (name, st["line"]))
        notes = []
        if page_fails or fails:
            tail = output.strip().split("\n")[-15:]
            notes.extend("output: " + t for t in tail if t)
            log = os.path.join(d, ".serve.log")
            if os.path.exists(log):
                notes.extend("server: " + t for t in open(log).read().split("\n")[-8:] if t)
        return steps, fails, page_fails, notes
    finally:
        shutil.rmtree(d, ignore_errors=True)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def case(self, ok, name, notes=(), always=False):
        """One TAP case; its notes are printed when it fails (or always)."""
        self.n += 1
        if not ok:
            self.failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, name))
        for note in notes if always or not ok else ():
            print("#   " + note)
        sys.stdout.flush()


def self_test(tap, binary):
    """The runner must be able to fail: a page of wrong examples is caught, line by line."""
    page = "\n".join([
        "```sh",
        "samtycke --db t.db init",
        "samtycke --db t.db check a@example.com newsletter",          # 3: exits 3, unannotated
        "samtycke --db t.db policy apply examples/policy.yaml",
        "samtycke --db t.db check a@example.com newsletter   # exit 0: allowed",  # 5
        "samtycke --db t.db check a@example.com newsletter   # exit 1: denied no_consent",
        "samtycke --db t.db serve &",
        "curl -s http://127.0.0.1:8080/v1/nothing",                       # 8: 404
        "curl -s http://127.0.0.1:8080/v1/nothing",
        '# 404 {"error":{"code":"not_found",...}}',
        "curl -s http://127.0.0.1:8080/v1/nothing",                       # 11
        '# 404 {"error":{"code":"unauthorized",...}}',
        "false",                                                          # 13
        "samtycke --db t.db check a@example.com newsletter   # exit 1: denied withdrawn",
        "samtycke --db t.db webhook add https://ma.example.com/h --events all",
        "# w_k3xq7mfa2bzr5tdwe6ynhp4u",
        "samtycke --db t.db webhook remove w_k3xq7mfa2bzr5tdwe6ynhp4u",  # 17: the id printed
        "samtycke --db t.db webhook remove w_k3xq7mfa2bzr5tdwe6ynhp4u",  # 18: gone now
        "```",
    ])
    steps, fails, page_fails, notes = run_page("selftest.md", page, binary)
    lines = sorted(int(f.split(":")[1]) for fs in fails.values() for f in fs)
    want = [3, 5, 8, 11, 13, 14, 18]
    tap.case(lines == want and not page_fails,
             "the runner catches a failing command, a wrong exit, an HTTP error, a wrong "
             "error code, a failing plain command and a wrong message, and passes the "
             "documented ones, with the ids they printed",
             ["failures on lines %s, wanted %s" % (lines, want)] +
             [f for fs in fails.values() for f in fs] + page_fails + notes)
    bad = "<!-- norun: x -->\ntext\n```sh\ntrue\n```\n"
    try:
        parse_page(bad)
        tap.case(False, "a norun marker that is not right before its block is refused")
    except ValueError as e:
        tap.case("right before" in str(e), "a norun marker that is not right before its block "
                 "is refused")


def main(argv):
    if len(argv) >= 2 and argv[1] == "subst":
        return cmd_subst(argv[2], argv[3:])
    if len(argv) >= 2 and argv[1] == "check":
        return cmd_check(*argv[2:9])
    if len(argv) < 2:
        print("usage: docs.py BIN [PAGE...]", file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    tap = Tap()
    if not os.access(binary, os.X_OK):
        tap.case(False, "a samtycke binary at %s" % binary)
        print("1..%d" % tap.n)
        return 1
    pages = argv[2:] or ["README.md"] + sorted(
        "docs/" + f for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))
    if not argv[2:]:
        self_test(tap, binary)
    norun = []
    hidden = 0
    for page in pages:
        with open(os.path.join(ROOT, page), encoding="utf-8") as f:
            text = f.read()
        try:
            steps, fails, page_fails, notes = run_page(page, text, binary)
        except ValueError as e:
            tap.case(False, "%s: the markers are well formed" % page, [str(e)])
            continue
        for k, st in enumerate(steps):
            if st["kind"] == "norun":
                norun.append("%s:%d: %s" % (page, st["line"], st["reason"] or "(no reason)"))
            if st["kind"] == "hidden":
                hidden += 1
            if st["kind"] in ("run", "hidden"):
                what = "example" if st["kind"] == "run" else "hidden step"
                tap.case(not fails.get(k), "%s:%d: the %s runs as printed (%d lines)"
                         % (page, st["line"], what, len(st["lines"])), fails.get(k, []))
        if any(st["kind"] in ("run", "hidden") for st in steps):
            tap.case(not page_fails, "%s: the page runs to its end" % page, page_fails + notes)
    if not argv[2:]:
        tap.case(len(norun) <= MAX_NORUN and all("(no reason)" not in n for n in norun),
                 "%d example blocks are not run (at most %d, each with a reason); %d hidden "
                 "steps" % (len(norun), MAX_NORUN, hidden), norun, always=True)
    print("1..%d" % tap.n)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
