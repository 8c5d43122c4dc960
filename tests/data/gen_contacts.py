#!/usr/bin/env python3
"""Deterministic synthetic CRM export for import tests and benchmarks.

Usage: gen_contacts.py N [SEED] > contacts.csv
       gen_contacts.py --sample > contacts-sample.csv   (the fixed sample the import tests use)

Each row is one contact with three consent columns (newsletter, offers, lead_scoring), each
as value, date and source, the way a CRM or spreadsheet export holds them:
  yes + date + source   consent with evidence            (about 55 %)
  yes + nothing         consent claimed without evidence (about 10 %)
  no  + date + source   refusal or withdrawal            (about 15 %)
  empty                 never asked                      (about 20 %)
Some companies are quoted (they contain a comma) and some names are not ASCII.
All addresses are under the reserved .example top-level domain."""
import random
import sys

# The hand-made rows at the end of the sample: an invalid address, the first contact again in
# another case with surrounding spaces, and a row whose quoted fields hold commas and quotes.
SAMPLE_TAIL = [
    'not-an-address,Bad,Row,Volvo,yes,2025-03-01T10:00:00Z,form:newsletter,,,,,,',
    ' EMMA.Karlsson0@ATLAS.example ,Emma,Karlsson,Atlas,yes,2025-03-02T10:00:00Z,form:newsletter,,,,,,',
    '"quoted.row@ikea.example","Karin ""KG""",Gustafsson,"IKEA, Kungens Kurva",yes,'
    '2025-04-01T10:00:00Z,form:newsletter,no,2025-04-01T10:00:00Z,preference-centre,,,',
]

def main():
    sample = sys.argv[1:] == ["--sample"]
    n = 1000 if sample else int(sys.argv[1])
    rnd = random.Random(7 if sample else int(sys.argv[2]) if len(sys.argv) > 2 else 42)
    first = ["Anna", "Erik", "Maja", "Lars", "Sara", "Johan", "Elin", "Karl", "Ida", "Nils",
             "Emma", "Oskar", "Åsa", "Björn", "Märta", "Jörgen"]
    last = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
            "Persson", "Öberg", "Lindström"]
    comp = ["Volvo", "Ericsson", "Spotify", "Klarna", "IKEA", "Scania", "Atlas", "Saab",
            "Telia", "Berg, Holm & Co"]
    out = sys.stdout
    out.write("email,first_name,last_name,company,newsletter,newsletter_at,newsletter_source,"
              "offers,offers_at,offers_source,lead_scoring,lead_scoring_at,lead_scoring_source\n")
    for i in range(n):
        f, l, c = rnd.choice(first), rnd.choice(last), rnd.choice(comp)
        local = f"{f}.{l}{i}".lower().translate(str.maketrans("åäöé", "aaoe"))
        domain = c.split(",")[0].lower().replace(" ", "")
        row = [f"{local}@{domain}.example", f, l, f'"{c}"' if "," in c else c]
        for _ in range(3):
            r = rnd.random()
            day = f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T10:00:00Z"
            if r < 0.55:
                row += ["yes", day, rnd.choice(["form:webinar-signup", "form:newsletter",
                                                "event:stockholm-2025"])]
            elif r < 0.65:
                row += ["yes", "", ""]
            elif r < 0.80:
                row += ["no", day, "preference-centre"]
            else:
                row += ["", "", ""]
        out.write(",".join(row) + "\n")
    if sample:
        out.write("\n".join(SAMPLE_TAIL) + "\n")

if __name__ == "__main__":
    main()
