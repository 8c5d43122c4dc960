"""metrics.py: reads a GET /metrics answer (the file named) with the Prometheus client's own
text parser (Debian's python3-prometheus-client) and prints one sample a line,
NAME{LABEL="VALUE",...} VALUE, labels sorted, whole numbers without a decimal point; or
"not ok - ..." lines and exit status 1 when the text is not what Prometheus takes: a family
without # HELP or # TYPE, a histogram whose buckets are not cumulative or whose +Inf bucket
is not its _count. Usage: /usr/bin/python3 metrics.py FILE (tests/integration/metrics.sh)."""
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
bad = []
helped = set()
typed = set()
for line in text.splitlines():
    parts = line.split(" ", 3)
    if len(parts) >= 3 and parts[0] == "#" and parts[1] == "HELP":
        helped.add(parts[2])
    if len(parts) >= 3 and parts[0] == "#" and parts[1] == "TYPE":
        typed.add(parts[2])

out = []
try:
    families = list(text_string_to_metric_families(text))
except Exception as e:  # the parser refuses the text
    print("not ok - the Prometheus parser reads the text: %s" % e)
    sys.exit(1)


def num(v):
    return str(int(v)) if v == int(v) and not math.isinf(v) else repr(v)


for f in families:
    # the parser names a counter's family without its _total
    name = f.name + "_total" if f.type == "counter" and f.name + "_total" in typed else f.name
    if name not in helped or name not in typed:
        bad.append("family %s has # HELP and # TYPE" % name)
    if f.type == "histogram":
        series = {}
        for s in f.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            e = series.setdefault(key, {"buckets": [], "count": None})
            if s.name.endswith("_bucket"):
                e["buckets"].append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                e["count"] = s.value
        for key, e in series.items():
            b = sorted(e["buckets"])
            if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
                bad.append("%s %s: buckets cumulative" % (f.name, key))
            if not b or not math.isinf(b[-1][0]) or b[-1][1] != e["count"]:
                bad.append("%s %s: +Inf bucket equals _count" % (f.name, key))
    for s in f.samples:
        labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
        out.append("%s%s %s" % (s.name, "{%s}" % labels if labels else "", num(s.value)))

for b in bad:
    print("not ok - " + b)
if bad:
    sys.exit(1)
print("\n".join(out))
