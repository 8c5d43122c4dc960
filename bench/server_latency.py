#!/usr/bin/env python3
"""server_latency.py: two latencies of a running samtycke server, one request at a time.

Usage: server_latency.py SERVER_URL API_KEY RECEIVER_PORT COUNT [FIRST]
(FIRST, default 0, shifts the addresses used below by that many: for repeated runs on one
database.)
1. Withdrawal to webhook: a receiver listens on 127.0.0.1:RECEIVER_PORT (the endpoint must
   already be registered for consent.withdrawn); COUNT times it withdraws the newsletter
   consent of user0@bench.example, user2@, ... (given by bench_audit) with POST
   /v1/consents and waits for the webhook; timed from sending the POST to its arrival.
2. Erasure: COUNT times it finds user1@bench.example, user3@, ... (GET /v1/contacts, not
   timed) and erases it with DELETE /v1/contacts/{id}, timed from sending the DELETE to the
   end of the answer (the erasure receipt); it counts the receipts that say scrub_pending.
The key needs the scopes read, write and dsr. Prints p50, p99 and max in milliseconds for
each. Standard library only."""
import http.client
import http.server
import json
import sys
import threading
import time

url, key, rport, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
first = int(sys.argv[5]) if len(sys.argv) > 5 else 0
arrived = threading.Event()
arrivals = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('Content-Length', '0'))
        self.rfile.read(n)
        arrivals.append(time.monotonic())
        arrived.set()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(('127.0.0.1', rport), Receiver)
threading.Thread(target=srv.serve_forever, daemon=True).start()
host, port = url.split('://')[1].split(':')
conn = http.client.HTTPConnection(host, int(port), timeout=10)
lat = []
for i in range(count):
    arrived.clear()
    body = json.dumps({'email': f'user{first + 2 * i}@bench.example', 'purpose': 'newsletter',
                       'action': 'withdraw', 'method': 'api', 'source': 'bench'})
    t0 = time.monotonic()
    conn.request('POST', '/v1/consents', body, {'Authorization': f'Bearer {key}',
                                                'Content-Type': 'application/json'})
    r = conn.getresponse()
    r.read()
    if r.status != 201:
        sys.exit(f'server_latency: POST /v1/consents answered {r.status}')
    if not arrived.wait(5):
        sys.exit('server_latency: no webhook within 5 s')
    lat.append((arrivals[-1] - t0) * 1000)
srv.shutdown()


def quantiles(lat):
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    return f'p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {lat[-1]:.1f} ms'


print(f'withdrawal to webhook receiver, {count} withdrawals one after another: {quantiles(lat)}')

auth = {'Authorization': f'Bearer {key}'}
erase, pending = [], 0
for i in range(count):
    conn.request('GET', f'/v1/contacts?email=user{first + 2 * i + 1}%40bench.example', headers=auth)
    r = conn.getresponse()
    found = r.read()
    if r.status != 200:
        sys.exit(f'server_latency: GET /v1/contacts answered {r.status}')
    cid = json.loads(found)['id']
    t0 = time.monotonic()
    conn.request('DELETE', f'/v1/contacts/{cid}', headers=auth)
    r = conn.getresponse()
    receipt = r.read()
    erase.append((time.monotonic() - t0) * 1000)
    if r.status != 200:
        sys.exit(f'server_latency: DELETE /v1/contacts/{{id}} answered {r.status}')
    pending += 1 if json.loads(receipt).get('scrub_pending') else 0
print(f'erasure (DELETE /v1/contacts/{{id}}), {count} one after another: {quantiles(erase)}; '
      f'scrub pending in {pending} receipts')
