"""multiserver.py: the parts of multiserver.sh that need threads: a webhook receiver that
records every delivery (and can be made slow), concurrent writers through several servers
with a poller following GET /v1/changes on one of them, and concurrent Idempotency-Key
retries spread over servers. Results are printed as "PASS text" or "FAIL text | detail"
lines, which multiserver.sh turns into TAP cases.
Usage: python3 multiserver.py recv PORTFILE LOG SLOWFLAG
       python3 multiserver.py writers KEY N URL... (the poller follows the first URL)
       python3 multiserver.py idem KEY EMAIL URL URL
"""
import http.client
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse


def result(ok, text, detail=""):
    print(("PASS " if ok else "FAIL ") + text + ((" | " + detail) if detail and not ok else ""),
          flush=True)


class Client:
    """One keep-alive connection to a server."""

    def __init__(self, url, key):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.key = u.hostname, u.port, key
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        h = {"Authorization": "Bearer " + self.key}
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        h.update(headers or {})
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, data
            except (http.client.HTTPException, OSError):
                if self.conn:
                    self.conn.close()
                self.conn = None
                if attempt:
                    raise
        return 0, b""


# ---- recv: the webhook receiver ----

def recv(portfile, log, slowflag):
    lock = threading.Lock()
    out = open(log, "a", buffering=1)

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            try:
                seq = json.loads(body)["seq"]
            except (ValueError, KeyError, TypeError):
                seq = -1
            with lock:  # recorded on receipt: a delivery in flight at a kill is recorded
                out.write("%d %s\n" % (seq, self.headers.get("webhook-id", "")))
            if os.path.exists(slowflag):
                time.sleep(1.0)
            try:
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


# ---- writers: concurrent writes through every server, a poller on the first ----

def writers(key, n, urls):
    n = int(n)
    per_thread = 4
    codes = {}
    lock = threading.Lock()
    done = threading.Event()
    seen = []
    poll_err = []

    def write(si, ti):
        c = Client(urls[si], key)
        for i in range(ti, n, per_thread):
            email = "m%d-%d@example.com" % (si, i)
            try:
                st, _ = c.request("POST", "/v1/consents",
                                  {"email": email, "purpose": "newsletter", "action": "give"})
            except OSError as e:
                st = "error %s" % e.__class__.__name__
            with lock:
                codes[st] = codes.get(st, 0) + 1

    def poll():
        c = Client(urls[0], key)
        after, idle = 0, 0
        while idle < 3:
            finished = done.is_set()
            try:
                st, data = c.request("GET", "/v1/changes?after=%d&limit=100" % after)
            except OSError as e:
                poll_err.append(str(e))
                return
            if st != 200:
                poll_err.append("status %d" % st)
                return
            o = json.loads(data)
            seen.extend(ch["seq"] for ch in o["changes"])
            after = o["next"]
            if not o["changes"]:
                idle = idle + 1 if finished else 0
                time.sleep(0.05)

    p = threading.Thread(target=poll)
    p.start()
    ts = [threading.Thread(target=write, args=(si, ti))
          for si in range(len(urls)) for ti in range(per_thread)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.time() - t0
    done.set()
    p.join()
    total = len(urls) * n
    result(codes == {201: total}, "%d x %d concurrent POST /v1/consents through %d servers "
           "all answered 201 (%.1f s)" % (len(urls), n, len(urls), took), "codes %r" % codes)
    gaps = [s for s in range(1, (max(seen) if seen else 0) + 1) if s not in set(seen)]
    dups = len(seen) - len(set(seen))
    result(not poll_err and seen and seen == sorted(seen) and not gaps and not dups,
           "a poller following GET /v1/changes on one server while the others wrote saw seq "
           "1..N in order, no gap, each once", "errors %r, %d seen, gaps %r, %d duplicates, "
           "in order %r" % (poll_err, len(seen), gaps[:10], dups, seen == sorted(seen)))
    print("MAXSEQ %d" % (max(seen) if seen else 0), flush=True)


# ---- idem: concurrent retries with one Idempotency-Key over two servers ----

def events(url, key):
    st, data = Client(url, key).request("GET", "/v1/audit/verify")
    return json.loads(data)["events"] if st == 200 else -1


def idem(key, email, url_a, url_b):
    before = events(url_a, key)
    body = {"email": email, "purpose": "offers", "action": "give"}
    answers = [None] * 10
    go = threading.Barrier(10)

    def one(i):
        c = Client(url_a if i % 2 == 0 else url_b, key)
        go.wait()
        try:
            answers[i] = c.request("POST", "/v1/consents", body,
                                   {"Idempotency-Key": "multi-" + email})
        except OSError as e:
            answers[i] = ("error", str(e).encode())

    ts = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    # and once more each, after the others: the stored answer
    for url in (url_a, url_b):
        answers.append(Client(url, key).request("POST", "/v1/consents", body,
                                                {"Idempotency-Key": "multi-" + email}))
    after = events(url_a, key)
    first = answers[0]
    result(first[0] == 201 and all(a == first for a in answers),
           "12 retries of one POST /v1/consents with one Idempotency-Key over two servers, "
           "10 at once, all answered the same 201 and body",
           "answers %r" % sorted(set((a[0], a[1][:120]) for a in answers)))
    result(before >= 0 and after == before + 1,
           "those retries appended exactly one ledger event",
           "events before %d, after %d" % (before, after))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "recv":
        recv(*args)
    elif cmd == "writers":
        writers(args[0], args[1], args[2:])
    elif cmd == "idem":
        idem(*args)
    else:
        sys.exit("usage: see the comment at the top")
