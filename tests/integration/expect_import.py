#!/usr/bin/env python3
"""expect_import.py CSV [SUPPRESSED...]: the counts an import of CSV into an empty database
should report, computed from the rules in docs/import-export.md independently of the
program: prints "key value" lines (rows, created, given, unverified, refused, rejected,
fields_dropped, newsletter_allowed) and "reject LINE REASON" lines. Addresses given after CSV
count as suppressed. fields_dropped follows examples/policy.yaml: a field cell is kept only
when a purpose the row says yes to needs it (minimisation)."""
import csv, io, re, sys

YES = {"yes", "ja", "true", "1", "y"}
NO = {"no", "nej", "false", "0", "n"}
PURPOSES = ["newsletter", "offers", "lead_scoring"]
# the fields of the mapping each purpose needs (examples/policy.yaml)
NEEDS = {"newsletter": {"first_name"}, "offers": {"first_name", "last_name", "company"},
         "lead_scoring": {"company"}}
FIELDS = ["first_name", "last_name", "company"]

def main():
    raw = open(sys.argv[1], "rb").read().decode("utf-8-sig")
    suppressed = {a.strip().lower() for a in sys.argv[2:]}
    header_line = raw.split("\n", 1)[0]
    delim = ";" if header_line.count(";") > header_line.count(",") else ","
    lines = raw.split("\n")
    n = {"rows": 0, "created": 0, "given": 0, "unverified": 0, "refused": 0, "rejected": 0,
         "fields_dropped": 0, "newsletter_allowed": 0}
    rejects = []
    seen = set()
    reader = csv.reader(io.StringIO(raw), delimiter=delim)
    header = next(reader)
    for row in reader:
        if not row:
            continue
        line = reader.line_num  # physical lines read so far: the row ends here
        line -= sum(f.count("\n") for f in row)  # where it began
        n["rows"] += 1
        r = dict(zip(header, row))
        email = r["email"].strip().lower()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            n["rejected"] += 1
            rejects.append((line, "invalid_email"))
            continue
        if email in suppressed:
            n["rejected"] += 1
            rejects.append((line, "suppressed"))
            continue
        if email in seen:
            n["rejected"] += 1
            rejects.append((line, "duplicate"))
            continue
        seen.add(email)
        n["created"] += 1
        wanted = set()
        for p in PURPOSES:
            if r[p].strip().lower() in YES:
                wanted |= NEEDS[p]
        n["fields_dropped"] += sum(1 for f in FIELDS if r[f].strip() and f not in wanted)
        for p in PURPOSES:
            v = r[p].strip().lower()
            if v in YES and r[p + "_at"].strip() and r[p + "_source"].strip():
                n["given"] += 1
                if p == "newsletter":
                    n["newsletter_allowed"] += 1
            elif v in YES:
                n["unverified"] += 1
            elif v in NO:
                n["refused"] += 1
    for k, v in n.items():
        print(k, v)
    for line, reason in rejects:
        print("reject", line, reason)

main()
