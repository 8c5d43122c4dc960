#!/usr/bin/python3
# gen-manpage.py man|bash SAMTYCKE CLI_MD OUT: writes the man page samtycke(1) or the bash
# completion from the built binary's command table (`samtycke help --all --json`) and
# docs/cli.md (its global options, exit codes and command table), so that neither can drift.
# Fails (exit 1, naming each) when a command has no row in docs/cli.md's command table or a
# row names a command the binary does not have. Run by the build (meson.build, dist/).
import json
import re
import subprocess
import sys


def fail(msg):
    sys.stderr.write("gen-manpage: " + msg + "\n")
    sys.exit(1)


def table_of(binary):
    out = subprocess.run([binary, "help", "--all", "--json"], check=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out)


def section(md, title):
    """The lines under '## TITLE' up to the next '## '."""
    lines = md.split("\n")
    try:
        start = lines.index("## " + title) + 1
    except ValueError:
        fail("docs/cli.md has no section '## %s'" % title)
    end = start
    while end < len(lines) and not lines[end].startswith("## "):
        end += 1
    return lines[start:end]


def table_rows(lines):
    """Cells of a markdown table's body rows (the header and the --- row left out)."""
    rows = []
    for line in lines:
        if not line.startswith("|"):
            continue
        cells = [c.strip().replace("\\|", "|")
                 for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows.append(cells)
    return rows[2:]


def row_commands(cell):
    """The commands a command-table row names: `consent give|refuse EMAIL` names two."""
    m = re.match(r"`([^`]*)`", cell)
    if not m:
        return []
    words = []
    for w in m.group(1).split():
        if len(words) == 2 or not re.fullmatch(r"[a-z][a-z-]*(\|[a-z][a-z-]*)*", w):
            break
        words.append(w.split("|"))
    if len(words) == 1:
        return words[0]
    return [a + " " + b for a in words[0] for b in words[1]]


def check_rows(table, md):
    names = [c["name"] for c in table["commands"]]
    rows = []
    for cells in table_rows(section(md, "Commands")):
        rows += row_commands(cells[0])
    errors = ["docs/cli.md's command table has no row for '%s'" % n
              for n in names if n not in rows]
    errors += ["docs/cli.md's command table has a row for '%s', which is no command" % r
               for r in rows if r not in names]
    if errors:
        fail("\n".join(errors))


def roff(text):
    """Markdown inline text as roff: code and bold in bold, links as their text."""
    text = text.replace("\\|", "|").replace("\\", "\\e")
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\*\*([^*]*)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"`([^`]*)`", lambda m: "\\fB" + m.group(1).replace("-", "\\-") + "\\fR",
                  text)
    return text


def roff_lines(text):
    """Lines of roff text, none starting with a control character."""
    out = []
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def plain(text):
    """Text from the binary (no markdown): only escapes."""
    return roff_lines(text.replace("\\", "\\e").replace("-", "\\-"))


def bullets(lines):
    """The '- ' items of a markdown list, each joined into one line."""
    items = []
    for line in lines:
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
    return items


def global_options(md):
    """The lines of docs/cli.md's list of global options: after the synopsis block, before
    '## Exit codes'."""
    head = md.split("\n## Exit codes")[0].split("```")
    if len(head) < 3:
        fail("docs/cli.md has no synopsis block before '## Exit codes'")
    return head[2].split("\n")


def man(table, md):
    v = table["version"]
    out = [
        '.TH SAMTYCKE 1 "" "samtycke %s" "User Commands"' % v,
        ".nh",
        ".SH NAME",
        "samtycke \\- a self\\-hosted consent and personal\\-data hub",
        ".SH SYNOPSIS",
        ".B samtycke",
        "[\\fB\\-\\-db\\fR \\fIPATH\\fR|\\fIURI\\fR] [\\fB\\-\\-key\\-file\\fR \\fIPATH\\fR] "
        "[\\fB\\-\\-json\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]",
        ".br",
        ".B samtycke help",
        "[\\fICOMMAND\\fR|\\fIGROUP\\fR]",
        ".br",
        ".B samtycke \\-\\-version",
        "[\\fB\\-\\-json\\fR]",
        ".SH DESCRIPTION",
        "samtycke keeps who agreed to what, when, and under which notice: a ledger of consent "
        "events with a hash chain, personal fields sealed per contact, a gate that answers "
        "whether a purpose is allowed, an HTTP API and forms (\\fBsamtycke serve\\fR). Every "
        "command below works on one database; the page is generated from the command table "
        "of the program and from docs/cli.md.",
        ".SH GLOBAL OPTIONS",
    ]
    for item in bullets(global_options(md)):
        out += [".IP \\(bu 2", roff_lines(roff(item))]
    out += [".SH COMMANDS",
            "Every command takes \\fB\\-\\-json\\fR (machine\\-readable output) and "
            "\\fB\\-\\-help\\fR."]
    for c in table["commands"]:
        out += [".TP", "\\fBsamtycke %s\\fR %s" % (plain(c["name"]), plain(c["usage"])),
                plain(c["help"])]
    out += [
        ".SH ENVIRONMENT",
        ".TP", ".B SAMTYCKE_DB",
        "the database when \\fB\\-\\-db\\fR is not given.",
        ".TP", ".B SAMTYCKE_KEY_FILE",
        "the master key file when \\fB\\-\\-key\\-file\\fR is not given.",
        ".TP", ".B SAMTYCKE_SMTP_PASSWORD",
        "the SMTP password of \\fBsamtycke serve \\-\\-smtp\\-user\\fR.",
        ".TP", ".B SAMTYCKE_NOW",
        "an RFC 3339 time that pins the clock (demos and tests).",
        ".SH FILES",
        ".TP", ".I /etc/samtycke/samtycke.conf",
        "the configuration file of \\fBsamtycke serve\\fR (or \\fB\\-\\-config\\fR "
        "\\fIFILE\\fR): \\fBkey = value\\fR lines, the keys being serve's long option names "
        "and \\fBdb\\fR and \\fBkey\\-file\\fR.",
        ".TP", ".I /var/lib/samtycke/samtycke.db",
        "the database of the systemd service (\\fB./samtycke.db\\fR by default), with its "
        "\\fB\\-wal\\fR file and the \\fB.imports\\fR folder beside it.",
        ".TP", ".I /var/lib/samtycke/samtycke.db.key",
        "the master key file (the database path plus \\fB.key\\fR by default), mode 0600; "
        "keep it out of the database's backups.",
        ".SH EXIT STATUS",
    ]
    for cells in table_rows(section(md, "Exit codes")):
        out += [".TP", ".B " + cells[0], roff_lines(roff(cells[1]))]
    out += [
        ".SH SEE ALSO",
        "The documentation in the source tree: docs/cli.md (every command in full), "
        "docs/operations.md (installing, the service, backups), docs/api.md (the HTTP API).",
    ]
    return "\n".join(out) + "\n"


def bash(table):
    cmds = [c["name"] for c in table["commands"]]
    first = []
    groups = {}
    for n in cmds:
        w = n.split(" ")
        if w[0] not in first:
            first.append(w[0])
        if len(w) == 2:
            groups.setdefault(w[0], []).append(w[1])
    glob = " ".join("--" + o["name"] for o in table["global_options"])
    withargs = "|".join("--" + o["name"] for o in table["global_options"] if o["argument"])
    out = [
        "# bash completion for samtycke(1), generated by scripts/gen-manpage.py from the",
        "# command table of samtycke %s: commands, the commands of a group, options." %
        table["version"],
        "_samtycke()",
        "{",
        "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}",
        "\tlocal i=1 w p1=0 w1= w2= opts=",
        "\tCOMPREPLY=()",
        "\t# the first word that is no global option (nor its value) is the command",
        "\twhile [ $i -lt $COMP_CWORD ]; do",
        "\t\tw=${COMP_WORDS[i]}",
        "\t\tcase $w in",
        "\t\t%s) i=$((i + 2)); continue ;;" % withargs,
        "\t\t-*) i=$((i + 1)); continue ;;",
        "\t\tesac",
        "\t\tp1=$i",
        "\t\tw1=$w",
        "\t\tbreak",
        "\tdone",
        "\tcase $prev in",
        "\t%s) COMPREPLY=($(compgen -f -- \"$cur\")); return 0 ;;" % withargs,
        "\tesac",
        "\tif [ -z \"$w1\" ] || { [ \"$w1\" = help ] && [ $COMP_CWORD -eq $((p1 + 1)) ]; }; then",
        "\t\tcase $cur in",
        "\t\t-*) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")) ;;" % glob,
        "\t\t*) COMPREPLY=($(compgen -W \"help %s\" -- \"$cur\")) ;;" % " ".join(first),
        "\t\tesac",
        "\t\treturn 0",
        "\tfi",
        "\tcase $w1 in",
    ]
    for g, subs in groups.items():
        out.append("\t%s) w2=${COMP_WORDS[p1 + 1]}" % g)
        out.append("\t\tif [ $COMP_CWORD -eq $((p1 + 1)) ]; then")
        out.append("\t\t\tCOMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))" % " ".join(subs))
        out.append("\t\t\treturn 0")
        out.append("\t\tfi ;;")
    out += ["\tesac", "\tcase \"$w1${w2:+ $w2}\" in"]
    for c in table["commands"]:
        opts = []
        for o in re.findall(r"--[a-z][a-z0-9-]*", c["usage"]) + ["--json", "--help"]:
            if o not in opts:
                opts.append(o)
        out.append("\t\"%s\") opts=\"%s\" ;;" % (c["name"], " ".join(opts)))
    out += [
        "\tesac",
        "\tcase $cur in",
        "\t-*) COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")) ;;",
        "\t*) COMPREPLY=($(compgen -f -- \"$cur\")) ;;",
        "\tesac",
        "\treturn 0",
        "}",
        "complete -F _samtycke samtycke",
    ]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("man", "bash"):
        fail("usage: gen-manpage.py man|bash SAMTYCKE CLI_MD OUT")
    table = table_of(sys.argv[2])
    with open(sys.argv[3], encoding="utf-8") as f:
        md = f.read()
    check_rows(table, md)
    text = man(table, md) if sys.argv[1] == "man" else bash(table)
    with open(sys.argv[4], "w", encoding="utf-8") as f:
        f.write(text)


main()
