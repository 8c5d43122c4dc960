#!/usr/bin/env python3
"""webhook_latency.py: withdrawal-to-receiver latency of a running samtycke server.

Usage: webhook_latency.py SERVER_URL API_KEY RECEIVER_PORT COUNT
A receiver listens on 127.0.0.1:RECEIVER_PORT (the endpoint must already be registered for
consent.withdrawn); COUNT times, one after another, it withdraws the newsletter consent of
user0@bench.example, user2@, ... (given by bench_audit) with POST /v1/consents and waits for
the webhook. Prints p50, p99 and max in milliseconds, from sending the POST to the webhook's
arrival. Standard library only."""
import http.client
import http.server
import json
import sys
import threading
import time

url, key, rport, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
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
    body = json.dumps({'email': f'user{2 * i}@bench.example', 'purpose': 'newsletter',
                       'action': 'withdraw', 'method': 'api', 'source': 'bench'})
    t0 = time.monotonic()
    conn.request('POST', '/v1/consents', body, {'Authorization': f'Bearer {key}',
                                                'Content-Type': 'application/json'})
    r = conn.getresponse()
    r.read()
    if r.status != 201:
        sys.exit(f'webhook_latency: POST /v1/consents answered {r.status}')
    if not arrived.wait(5):
        sys.exit('webhook_latency: no webhook within 5 s')
    lat.append((arrivals[-1] - t0) * 1000)
srv.shutdown()
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f'withdrawal to webhook receiver, {count} withdrawals one after another: '
      f'p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {lat[-1]:.1f} ms')
