#!/usr/bin/python3
# mutants.py: reads tests/mutants.list (one-line mutants of src/, each with the test command that
# must fail with it), checks that the list names real lines (`check`, run by make check through
# tests/mutants-check.sh) and runs the mutants on a scratch copy of the tree (`run`, make mutate).
# Usage: mutants.py check [LIST]  |  mutants.py run [--keep] [NAME...]
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

SEP = " | "
NAME_RE = re.compile(r"^[a-z0-9_-]+$")
TIMEOUT = 1200  # seconds per test command; a hang counts as caught (the command failed)


class Mutant:
    def __init__(self, lineno, name, path, pattern, replacement, command):
        self.lineno, self.name, self.path = lineno, name, path
        self.pattern, self.replacement, self.command = pattern, replacement, command


def parse(text, where):
    """Returns (mutants, errors): the well-formed lines, and one message per bad line."""
    mutants, errors, seen = [], [], {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(SEP)
        if len(fields) != 5:
            errors.append("%s:%d: %d fields, wanted 5 separated by ' | '" % (where, lineno, len(fields)))
            continue
        name, path, pattern, repl, cmd = fields
        name, path, cmd = name.strip(), path.strip(), cmd.strip()
        if not NAME_RE.match(name):
            errors.append("%s:%d: name '%s' is not [a-z0-9_-]+" % (where, lineno, name))
            continue
        if name in seen:
            errors.append("%s:%d: name '%s' already used on line %d" % (where, lineno, name, seen[name]))
            continue
        seen[name] = lineno
        if not pattern or not cmd:
            errors.append("%s:%d: %s: empty pattern or test command" % (where, lineno, name))
            continue
        if pattern == repl:
            errors.append("%s:%d: %s: the replacement equals the pattern" % (where, lineno, name))
            continue
        mutants.append(Mutant(lineno, name, path, pattern, repl, cmd))
    return mutants, errors


def unit_tests(root):
    """The unit test binaries that meson.build builds (its unit_tests table)."""
    try:
        with open(os.path.join(root, "meson.build")) as f:
            return set(re.findall(r"'(test_[a-z0-9_]+)'\s*:", f.read()))
    except OSError:
        return set()


def command_target(cmd):
    """The program or script a test command runs: its first word after VAR=value
    assignments, or the script an interpreter (sh, bash, python3, node) is given."""
    try:
        words = shlex.split(cmd)
    except ValueError:
        return None
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words.pop(0)
    if words and words[0] in ("sh", "bash", "python3", "/usr/bin/python3", "node", "timeout"):
        words.pop(0)
        while words and (words[0].startswith("-") or words[0][:1].isdigit()):
            words.pop(0)  # interpreter options, timeout's duration
    return words[0] if words else None


def check_mutant(root, m, tests):
    """The messages for one parsed line whose file, pattern or command is not real."""
    where = "line %d: %s" % (m.lineno, m.name)
    norm = os.path.normpath(m.path)
    if m.path.startswith("/") or not norm.startswith("src" + os.sep):
        return ["%s: file %s is not under src/" % (where, m.path)]
    full = os.path.join(root, norm)
    if not os.path.isfile(full):
        return ["%s: file %s does not exist" % (where, m.path)]
    with open(full, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    out = []
    if "\n" in m.pattern:
        out.append("%s: the pattern spans lines" % where)
    count = text.count(m.pattern)
    if count != 1:
        out.append("%s: pattern occurs %d times in %s, wanted exactly once: %s"
                   % (where, count, m.path, m.pattern))
    target = command_target(m.command)
    if target is None:
        out.append("%s: cannot read the test command: %s" % (where, m.command))
    elif target.startswith("build/"):
        prog = target[len("build/"):]
        if prog not in tests and prog != "samtycke":
            out.append("%s: %s is not a unit test in meson.build" % (where, target))
    elif not os.path.isfile(os.path.join(root, target)):
        out.append("%s: %s does not exist" % (where, target))
    return out


def load(root, listpath):
    with open(listpath, encoding="utf-8") as f:
        mutants, errors = parse(f.read(), os.path.relpath(listpath, root))
    tests = unit_tests(root)
    for m in mutants:
        errors += check_mutant(root, m, tests)
    return mutants, errors


def cmd_check(root, args):
    listpath = args[0] if args else os.path.join(root, "tests", "mutants.list")
    mutants, errors = load(root, listpath)
    for e in errors:
        print(e)
    if errors:
        print("%d error(s) in %s" % (len(errors), listpath))
        return 1
    print("%d mutants, every one names a real line and a real test" % len(mutants))
    return 0


def tracked_files(root):
    out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others",
                          "--exclude-standard"], check=True, capture_output=True).stdout
    return [p for p in out.decode().split("\0") if p]


def make_scratch(root):
    scratch = tempfile.mkdtemp(prefix="samtycke-mutate.")
    for rel in tracked_files(root):
        src = os.path.join(root, rel)
        if not os.path.isfile(src):
            continue  # deleted in the working copy
        dst = os.path.join(scratch, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
    # the npm test tools (npm ci at the top of the checkout) are only read: linked, not copied
    nm = os.path.join(root, "node_modules")
    if os.path.isdir(nm):
        os.symlink(nm, os.path.join(scratch, "node_modules"))
    return scratch


def sh(cmd, cwd, log, timeout=None):
    with open(log, "ab") as f:
        f.write(("$ %s\n" % cmd).encode())
        f.flush()
        try:
            return subprocess.run(["sh", "-c", cmd], cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=timeout,
                                  start_new_session=True).returncode
        except subprocess.TimeoutExpired:
            f.write(b"\n# timed out\n")
            return 124


def cmd_run(root, args):
    keep = "--keep" in args
    names = [a for a in args if a != "--keep"]
    mutants, errors = load(root, os.path.join(root, "tests", "mutants.list"))
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        print("mutate: tests/mutants.list has errors; nothing run", file=sys.stderr)
        return 2
    if names:
        known = {m.name for m in mutants}
        unknown = [n for n in names if n not in known]
        if unknown:
            print("mutate: no mutant named %s" % ", ".join(unknown), file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m.name in names]
    scratch = make_scratch(root)
    rc = 2
    try:
        rc = run_all(mutants, scratch)
        return rc
    finally:
        # kept with --keep, and when the run fails, so that its logs can be read
        if rc == 0 and not keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print("mutate: the scratch copy and its logs stay in %s" % scratch, file=sys.stderr)


def run_all(mutants, scratch):
    """Builds the scratch copy, checks each test command without a mutant, then runs each
    mutant; returns the exit status (0: every mutant caught)."""
    logs = os.path.join(scratch, "mutate-logs")
    os.makedirs(logs)
    print("mutate: scratch copy %s, logs in %s" % (scratch, logs), flush=True)
    base = os.path.join(logs, "baseline.log")
    if sh("meson setup build --buildtype=debugoptimized && ninja -C build", scratch, base):
        print("mutate: the unmutated tree does not build (%s)" % base, file=sys.stderr)
        return 2
    # Each test command must pass on the unmutated tree, or its failure proves nothing.
    for cmd in dict.fromkeys(m.command for m in mutants):
        if sh(cmd, scratch, base, TIMEOUT):
            print("mutate: fails without any mutant (%s): %s" % (base, cmd), file=sys.stderr)
            return 2
    caught = survived = broken = 0
    for m in mutants:
        log = os.path.join(logs, m.name + ".log")
        path = os.path.join(scratch, m.path)
        with open(path, "rb") as f:
            orig = f.read()
        text = orig.decode("utf-8", "surrogateescape")
        if text.count(m.pattern) != 1:  # checked by load(); the copy is the same tree
            print("mutate: %s: pattern not found exactly once" % m.name, file=sys.stderr)
            return 2
        mutated = text.replace(m.pattern, m.replacement, 1).encode("utf-8", "surrogateescape")
        t0 = time.time()
        try:
            with open(path, "wb") as f:
                f.write(mutated)
            if sh("ninja -C build", scratch, log):
                broken += 1
                print("BROKEN %s (does not build; see %s)" % (m.name, log), flush=True)
                continue
            st = sh(m.command, scratch, log, TIMEOUT)
        finally:
            with open(path, "wb") as f:
                f.write(orig)
        if st:
            caught += 1
            print("caught %s (%.0f s)" % (m.name, time.time() - t0), flush=True)
        else:
            survived += 1
            print("SURVIVED %s (%s: %s)" % (m.name, m.path, m.command), flush=True)
    line = "%d caught, %d survived" % (caught, survived)
    if broken:
        line += ", %d do not build" % broken
    print(line)
    return 1 if survived or broken else 0


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if len(argv) >= 2 and argv[1] == "check":
        return cmd_check(root, argv[2:])
    if len(argv) >= 2 and argv[1] == "run":
        return cmd_run(root, argv[2:])
    print("usage: mutants.py check [LIST] | mutants.py run [--keep] [NAME...]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
