// webhooks.test.mjs: webhook delivery of the real server (docs/webhooks.md). Run by
// webhooks.sh, which makes the database and the API keys. This file starts the server itself
// (so that it can kill -9 and restart it) and two receivers on loopback, "crm" and "ma", that
// verify every delivery with the standardwebhooks library, the specification's own.
// Every server runs with http_proxy, https_proxy and all_proxy pointing at a listener that
// counts connections: deliveries must not use them. Only addresses at example domains are used.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPrism, answerCheck } from './spec.mjs';
import { newDb } from './store.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.SK_SOURCE_ROOT || path.resolve(here, '..', '..');
const need = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set: run this file through tests/integration/webhooks.sh`);
	return v;
};
const SAMTYCKE = need('SAMTYCKE');
const DB = need('SK_DB');
const TMP = need('SK_TMP');
const KEY = { admin: need('KEY_ADMIN'), crm: need('KEY_CRM'), ma: need('KEY_MA'), reader: need('KEY_READER') };
// --lease-seconds 2: a server restarted after kill -9 waits for the dead one's endpoint
// leases to run out before it delivers (docs/webhooks.md); 2 s keeps that test short.
const SERVER_ARGS = ['--allow-private-webhooks', '--webhook-backoff', '1', '--rate-limit', '0', '--lease-seconds', '2'];
const T = { timeout: 60_000 };

const require = createRequire(path.join(ROOT, 'package.json'));
const { Webhook } = require('standardwebhooks');

// ---- a proxy in the environment that must never be used ----
const envProxy = { connections: 0 };
envProxy.server = net.createServer((s) => {
	envProxy.connections++;
	s.destroy();
});
await new Promise((r) => envProxy.server.listen(0, '127.0.0.1', r));
const ENV_PROXY = `http://127.0.0.1:${envProxy.server.address().port}`;
const SERVER_ENV = { ...process.env, http_proxy: ENV_PROXY, https_proxy: ENV_PROXY, HTTPS_PROXY: ENV_PROXY, all_proxy: ENV_PROXY, ALL_PROXY: ENV_PROXY, no_proxy: '', NO_PROXY: '' };

// ---- the server ----
const servers = new Set();
async function startServer(args = SERVER_ARGS, db = DB, listen = '127.0.0.1:0') {
	const p = spawn(SAMTYCKE, ['--db', db, 'serve', '--listen', listen, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: SERVER_ENV });
	servers.add(p);
	p.log = '';
	p.stderr.on('data', (c) => (p.log += c));
	p.exited = new Promise((r) => p.on('exit', (code, sig) => r({ code, sig })));
	let out = '';
	p.url = await new Promise((resolve, reject) => {
		const t = setTimeout(() => reject(new Error('the server printed no listening line in 10 s')), 10_000);
		p.stdout.on('data', (c) => {
			out += c;
			const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
			if (m) {
				clearTimeout(t);
				resolve(m[1]);
			}
		});
		p.exited.then(({ code }) => reject(new Error(`the server exited (${code}): ${p.log}`)));
	});
	return p;
}
// The main server ("srv") always listens on one port, so that one Prism proxy for
// docs/openapi.yaml stands in front of it across its restarts; webhooks.sh reads its log.
const MAIN_PORT = await new Promise((resolve) => {
	const s = net.createServer().listen(0, '127.0.0.1', () => {
		const p = s.address().port;
		s.close(() => resolve(p));
	});
});
let prism;
async function startMain(args = SERVER_ARGS) {
	const p = await startServer(args, DB, `127.0.0.1:${MAIN_PORT}`);
	if (!prism) prism = await startPrism(p.url, path.join(TMP, 'main.prism.log'));
	return p;
}
async function stopServer(p, signal = 'SIGTERM') {
	p.kill(signal);
	const r = await p.exited;
	servers.delete(p);
	return r;
}
after(async () => {
	for (const p of servers) p.kill('SIGKILL');
	for (const r of receivers) await r.stop().catch(() => {});
	if (prism) await prism.stop();
	envProxy.server.close();
});

let srv;
async function api(method, p, { key = KEY.admin, body, base } = {}) {
	const h = {};
	if (key) h.authorization = `Bearer ${key}`;
	if (body !== undefined) h['content-type'] = 'application/json';
	// the main server's API through the proxy; another server's answers are checked by schema
	const via = prism && (base || srv.url) === srv.url ? prism.url : null;
	const res = await fetch((via || base || srv.url) + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
	const text = await res.text();
	answerCheck(!!via, method, p, res.status, res.headers, text);
	assert.equal(res.headers.get('cache-control'), 'no-store', `Cache-Control of ${method} ${p}: the answers hold a webhook's secret`);
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, text, json };
}
function expectError(r, status, code) {
	assert.equal(r.status, status, r.text);
	assert.equal(r.json?.error?.code, code, r.text);
}

async function waitFor(what, fn, ms = 15_000) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

// ---- receivers ----
const receivers = new Set();
class Receiver {
	constructor(name) {
		this.name = name;
		this.mode = 200; // the status to answer (after verifying), or 503, 410
		this.modeHeaders = {}; // headers sent with a mode other than 200
		this.delay = 0;
		this.got = []; // verified deliveries, duplicates included
		this.bad = []; // deliveries whose signature did not verify
		this.requests = 0;
		this.secret = null;
		this.sockets = new Set();
		receivers.add(this);
	}
	async start(port = 0) {
		this.server = http.createServer((req, res) => this.handle(req, res));
		this.server.on('connection', (s) => {
			this.sockets.add(s);
			s.on('close', () => this.sockets.delete(s));
		});
		await new Promise((r) => this.server.listen(port, '127.0.0.1', r));
		this.port = this.server.address().port;
		return this;
	}
	async stop() {
		if (!this.server) return;
		const s = this.server;
		this.server = null;
		for (const k of this.sockets) k.destroy();
		await new Promise((r) => s.close(r));
	}
	get url() {
		return `http://127.0.0.1:${this.port}/hooks/${this.name}`;
	}
	handle(req, res) {
		const parts = [];
		req.on('data', (c) => parts.push(c));
		req.on('end', async () => {
			this.requests++;
			this.times = [...(this.times || []), Date.now()];
			const body = Buffer.concat(parts).toString('utf8');
			if (this.mode !== 200) {
				res.writeHead(this.mode, this.modeHeaders).end();
				return;
			}
			if (this.delay) await sleep(this.delay);
			try {
				const payload = new Webhook(this.secret).verify(body, {
					'webhook-id': req.headers['webhook-id'],
					'webhook-timestamp': req.headers['webhook-timestamp'],
					'webhook-signature': req.headers['webhook-signature'],
				});
				this.got.push({ id: req.headers['webhook-id'], payload, body, at: Date.now(), ctype: req.headers['content-type'] });
				res.writeHead(204).end();
			} catch (e) {
				this.bad.push({ error: String(e), body });
				res.writeHead(400).end();
			}
		});
	}
	// Deliveries after dedupe by webhook-id, in the order first received.
	unique() {
		const seen = new Set();
		return this.got.filter((g) => !seen.has(g.id) && seen.add(g.id));
	}
}

async function addEndpoint(rcv, events) {
	const r = await api('POST', '/v1/webhooks', { body: { url: rcv.url, events, name: rcv.name } });
	assert.equal(r.status, 201, r.text);
	assert.match(r.json.id, /^w_[a-z0-9]{24}$/);
	assert.match(r.json.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
	rcv.secret = r.json.secret;
	rcv.endpoint = r.json.id;
	const st = await api('GET', `/v1/webhooks/${r.json.id}`);
	rcv.startSeq = st.json.last_delivered_seq;
	return r.json.id;
}
const status = async (rcv) => (await api('GET', `/v1/webhooks/${rcv.endpoint}`)).json;

let nextAddr = 0;
const addr = () => `wh${process.pid}-${nextAddr++}@example.com`;
async function consent(key, body) {
	const r = await api('POST', '/v1/consents', { key, body });
	assert.equal(r.status, 201, r.text);
	return r.json;
}
async function changesAfter(seq) {
	const all = [];
	for (;;) {
		const r = await api('GET', `/v1/changes?after=${seq}&limit=1000`, { key: KEY.reader });
		assert.equal(r.status, 200, r.text);
		if (!r.json.changes.length) return all;
		all.push(...r.json.changes);
		seq = r.json.next;
	}
}

const crm = new Receiver('crm');
const ma = new Receiver('ma');

test('setup: the server starts and both receivers are registered', T, async () => {
	srv = await startMain();
	await crm.start();
	await ma.start();
	await addEndpoint(crm, ['all']);
	await addEndpoint(ma, ['consent.withdrawn', 'contact.erased']);
});

test('webhook routes need the admin scope and refuse bad input', T, async () => {
	const body = { url: crm.url, events: ['all'] };
	expectError(await api('POST', '/v1/webhooks', { key: null, body }), 401, 'unauthorized');
	expectError(await api('POST', '/v1/webhooks', { key: KEY.crm, body }), 403, 'forbidden');
	expectError(await api('GET', `/v1/webhooks/${crm.endpoint}`, { key: KEY.reader }), 403, 'forbidden');
	expectError(await api('DELETE', `/v1/webhooks/${crm.endpoint}`, { key: KEY.ma }), 403, 'forbidden');
	expectError(await api('GET', `/v1/webhooks/${crm.endpoint}`, { key: null }), 401, 'unauthorized');
	expectError(await api('POST', '/v1/webhooks', { body: { url: crm.url } }), 422, 'invalid');
	expectError(await api('POST', '/v1/webhooks', { body: { url: crm.url, events: [] } }), 422, 'invalid');
	expectError(await api('POST', '/v1/webhooks', { body: { url: crm.url, events: ['consent.bogus'] } }), 422, 'invalid');
	expectError(await api('POST', '/v1/webhooks', { body: { url: crm.url, events: 'all' } }), 422, 'invalid');
	expectError(await api('POST', '/v1/webhooks', { body: { url: crm.url, events: ['all'], secret: 'x' } }), 422, 'invalid');
	expectError(await api('POST', '/v1/webhooks', { body: { url: 'ftp://example.com/x', events: ['all'] } }), 422, 'invalid');
	expectError(await api('POST', '/v1/webhooks', { body: { url: 'not a url', events: ['all'] } }), 422, 'invalid');
	expectError(await api('GET', '/v1/webhooks/w_nosuchendpoint00000000000'), 404, 'not_found');
	expectError(await api('DELETE', '/v1/webhooks/w_nosuchendpoint00000000000'), 404, 'not_found');
	expectError(await api('PATCH', `/v1/webhooks/${crm.endpoint}`, { body: {} }), 405, 'method_not_allowed');
});

test('targets on loopback and private networks are refused without the flag', T, async () => {
	const db2 = newDb(TMP, 'private');
	assert.equal(spawnSync(SAMTYCKE, ['--db', db2, 'init']).status, 0);
	const k = spawnSync(SAMTYCKE, ['--db', db2, 'keys', 'create', '--name', 'admin', '--scope', 'admin'], { encoding: 'utf8' });
	assert.equal(k.status, 0, k.stderr);
	const key = k.stdout.trim();
	const s2 = await startServer(['--rate-limit', '0'], db2);
	for (const url of ['http://127.0.0.1:9/x', 'http://localhost:9/x', 'http://[::1]:9/x', 'http://10.1.2.3/x', 'http://172.20.0.1/x', 'http://192.168.1.10/x', 'http://[fd00::1]/x', 'http://[::ffff:127.0.0.1]:9/x', 'http://100.64.0.1/x', 'http://2130706433:9/x']) {
		const r = await api('POST', '/v1/webhooks', { key, base: s2.url, body: { url, events: ['all'] } });
		expectError(r, 422, 'invalid');
		assert.match(r.json.error.message, /private/, url);
	}
	// special-purpose ranges: refused on this server, and on the main one, which allows private targets
	const never = ['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://100.100.100.200/', 'http://[fe80::1]/x', 'http://0.0.0.0:9/x', 'http://[::ffff:169.254.169.254]/', 'http://[::a9fe:a9fe]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[fec0::1]/', 'http://198.18.0.1/', 'http://192.0.2.1/hook', 'http://224.0.0.1/', 'http://255.255.255.255/', 'http://[ff02::1]/', 'http://[2001:db8::1]/'];
	for (const base of [s2.url, srv.url]) {
		for (const url of never) {
			const r = await api('POST', '/v1/webhooks', { key: base === srv.url ? KEY.admin : key, base, body: { url, events: ['all'] } });
			expectError(r, 422, 'invalid');
			assert.match(r.json.error.message, /never reach/, url);
		}
	}
	// a public literal address is accepted (nothing is sent: this database has no changes)
	const r = await api('POST', '/v1/webhooks', { key, base: s2.url, body: { url: 'https://8.8.8.8/hook', events: ['all'] } });
	assert.equal(r.status, 201, r.text);
	assert.deepEqual((await stopServer(s2)).code, 0);
	// link-local stays refused on the command line, even with --allow-private
	const meta = spawnSync(SAMTYCKE, ['--db', DB, 'webhook', 'add', 'http://169.254.169.254/latest', '--events', 'all', '--allow-private'], { encoding: 'utf8' });
	assert.equal(meta.status, 3);
	assert.match(meta.stderr, /never reach/);
	// the command line: refused without --allow-private, accepted with it
	const no = spawnSync(SAMTYCKE, ['--db', DB, 'webhook', 'add', 'http://127.0.0.1:9/x', '--events', 'all'], { encoding: 'utf8' });
	assert.equal(no.status, 3);
	assert.match(no.stderr, /private/);
	const yes = spawnSync(SAMTYCKE, ['--db', DB, 'webhook', 'add', 'http://127.0.0.1:9/x', '--events', 'consent.given,contact.erased', '--allow-private', '--name', 'cli'], { encoding: 'utf8' });
	assert.equal(yes.status, 0, yes.stderr);
	const [id, secret, ...rest] = yes.stdout.trim().split('\n');
	assert.match(id, /^w_/);
	assert.match(secret, /^whsec_/);
	assert.equal(rest.length, 0);
	const list = spawnSync(SAMTYCKE, ['--db', DB, '--json', 'webhook', 'list'], { encoding: 'utf8' });
	assert.equal(list.status, 0);
	assert.ok(!list.stdout.includes(secret), 'list never shows a secret');
	assert.ok(JSON.parse(list.stdout).webhooks.some((w) => w.id === id && w.events.join() === 'consent.given,contact.erased'));
	assert.equal(spawnSync(SAMTYCKE, ['--db', DB, 'webhook', 'remove', id]).status, 0);
	assert.equal(spawnSync(SAMTYCKE, ['--db', DB, 'webhook', 'remove', id]).status, 1);
	const bad = spawnSync(SAMTYCKE, ['--db', DB, 'webhook', 'add', 'http://127.0.0.1:9/x', '--events', 'consent.nope', '--allow-private'], { encoding: 'utf8' });
	assert.equal(bad.status, 3);
	assert.match(bad.stderr, /consent\.nope/);
	assert.equal(spawnSync(SAMTYCKE, ['--db', DB, 'webhook', 'add', 'http://127.0.0.1:9/x']).status, 2);
});

test('a withdrawal posted by the CRM reaches the MA within seconds, correctly signed', T, async () => {
	const email = addr();
	const given = await consent(KEY.crm, { email, purpose: 'newsletter', action: 'give' });
	const t0 = Date.now();
	const w = await consent(KEY.crm, { email, purpose: 'newsletter', action: 'withdraw' });
	const got = await waitFor('the withdrawal at the MA', () => ma.got.find((g) => g.payload.contact_id === w.contact_id && g.payload.type === 'consent.withdrawn'), 5_000);
	const latency = got.at - t0;
	assert.ok(latency < 3_000, `took ${latency} ms`);
	assert.equal(ma.bad.length, 0, JSON.stringify(ma.bad));
	assert.equal(got.ctype, 'application/json');
	assert.match(got.id, new RegExp(`^msg_${ma.endpoint}_\\d+$`));
	assert.equal(got.id, `msg_${ma.endpoint}_${got.payload.seq}`);
	assert.deepEqual(Object.keys(got.payload), ['type', 'seq', 'contact_id', 'purpose', 'status', 'at']);
	assert.equal(got.payload.purpose, 'newsletter');
	assert.equal(got.payload.status, 'withdrawn');
	assert.match(got.payload.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
	assert.ok(!got.body.includes('@') && !got.body.includes('example'), 'no personal data in the body');
	// the CRM endpoint (all events) got the contact, the give and the withdrawal, in order
	await waitFor('the CRM deliveries', () => crm.unique().some((g) => g.payload.seq === got.payload.seq));
	const mine = crm.unique().filter((g) => g.payload.contact_id === given.contact_id).map((g) => g.payload.type);
	assert.deepEqual(mine, ['contact.changed', 'consent.given', 'consent.withdrawn']);
	// the MA's filter: no give ever reached it
	await sleep(300);
	assert.ok(!ma.got.some((g) => g.payload.type !== 'consent.withdrawn' && g.payload.type !== 'contact.erased'));
});

test('an erasure is sent as contact.erased with the id only', T, async () => {
	const email = addr();
	const c = await consent(KEY.crm, { email, purpose: 'offers', action: 'give' });
	const r = await api('DELETE', `/v1/contacts/${c.contact_id}`);
	assert.equal(r.status, 200, r.text);
	const got = await waitFor('contact.erased at the MA', () => ma.got.find((g) => g.payload.type === 'contact.erased' && g.payload.contact_id === c.contact_id), 5_000);
	assert.equal(got.payload.purpose, null);
	assert.equal(got.payload.status, null);
	assert.ok(!got.body.includes('@'));
});

test('a receiver that answers 503, then refuses connections, then comes back gets every change once, in order', T, async () => {
	// the changes of the tests before are delivered first (endpoints are served at once)
	await waitFor('the CRM caught up', async () => (await status(crm)).pending === 0);
	const from = (await status(crm)).last_delivered_seq;
	crm.mode = 503;
	for (let i = 0; i < 3; i++) await consent(KEY.crm, { email: addr(), purpose: 'newsletter', action: 'give' });
	let st = await waitFor('a 503 in the status', async () => {
		const s = await status(crm);
		return s.last_status === 503 && s.failures >= 1 ? s : null;
	});
	assert.ok(st.pending >= 1);
	assert.equal(st.last_error, 'answered HTTP 503');
	assert.ok(st.next_attempt_at);
	assert.equal(st.last_delivered_seq, from);
	const port = crm.port;
	await crm.stop();
	await consent(KEY.crm, { email: addr(), purpose: 'newsletter', action: 'give' });
	st = await waitFor('a refused connection in the status', async () => {
		const s = await status(crm);
		return s.last_status === null && s.last_error ? s : null;
	});
	assert.equal(st.last_delivered_seq, from);
	// a fixed text: no address, no port, no curl wording
	assert.equal(st.last_error, 'connection refused');
	crm.mode = 200;
	await crm.start(port);
	await waitFor('every pending change delivered', async () => (await status(crm)).pending === 0, 30_000);
	const want = (await changesAfter(from)).map((c) => c.seq);
	assert.ok(want.length >= 8);
	const seqs = crm.unique().map((g) => g.payload.seq).filter((s) => s > from && s <= want[want.length - 1]);
	assert.deepEqual(seqs, want);
	st = await status(crm);
	assert.equal(st.failures, 0);
	assert.equal(st.last_error, null);
	assert.equal(st.next_attempt_at, null);
});

test('kill -9 during deliveries loses nothing: after a restart every change arrives (dedupe by webhook-id)', T, async () => {
	const from = (await status(crm)).last_delivered_seq;
	crm.delay = 100;
	for (let i = 0; i < 12; i++) await consent(KEY.crm, { email: addr(), purpose: 'newsletter', action: 'give' });
	await waitFor('a few deliveries', () => crm.unique().filter((g) => g.payload.seq > from).length >= 3);
	const r = await stopServer(srv, 'SIGKILL');
	assert.equal(r.sig, 'SIGKILL');
	const before = crm.unique().filter((g) => g.payload.seq > from).length;
	srv = await startMain();
	crm.delay = 0;
	await waitFor('every change after the restart', async () => (await status(crm)).pending === 0, 30_000);
	const want = (await changesAfter(from)).map((c) => c.seq);
	assert.equal(want.length, 24);
	assert.ok(before < want.length, 'the kill came before the end');
	const seqs = crm.unique().map((g) => g.payload.seq).filter((s) => s > from);
	assert.deepEqual(seqs, want);
	// duplicates, if any, are the same message: the same id carries the same body
	const byId = new Map();
	for (const g of crm.got) {
		if (byId.has(g.id)) assert.equal(byId.get(g.id), g.body);
		byId.set(g.id, g.body);
	}
});

test('410 Gone disables the endpoint', T, async () => {
	const gone = await new Receiver('gone').start();
	gone.mode = 410;
	await addEndpoint(gone, ['all']);
	await consent(KEY.crm, { email: addr(), purpose: 'newsletter', action: 'give' });
	const st = await waitFor('the endpoint disabled', async () => {
		const s = await status(gone);
		return s.enabled === false ? s : null;
	});
	assert.equal(st.last_status, 410);
	assert.match(st.last_error, /410/);
	assert.equal(gone.requests, 1);
	await consent(KEY.crm, { email: addr(), purpose: 'newsletter', action: 'give' });
	await sleep(1_800); /* longer than the 1 s back-off: a retry would have come by now */
	assert.equal(gone.requests, 1, 'nothing more is sent to a disabled endpoint');
});

test('GET /v1/webhooks/{id} tells the delivery state; DELETE stops deliveries', T, async () => {
	const st = await status(ma);
	for (const k of ['id', 'url', 'events', 'enabled', 'last_delivered_seq', 'pending', 'last_status', 'last_error', 'next_attempt_at', 'failures']) assert.ok(k in st, k);
	assert.equal(st.id, ma.endpoint);
	assert.equal(st.url, ma.url);
	assert.deepEqual(st.events, ['consent.withdrawn', 'contact.erased']);
	assert.equal(st.enabled, true);
	assert.equal(st.pending, 0);
	assert.equal(st.last_status, 204);
	assert.ok(!JSON.stringify(st).includes('whsec_'), 'the secret is never shown again');
	const d = await api('DELETE', `/v1/webhooks/${ma.endpoint}`);
	assert.equal(d.status, 200, d.text);
	expectError(await api('GET', `/v1/webhooks/${ma.endpoint}`), 404, 'not_found');
	const n = ma.requests;
	const email = addr();
	await consent(KEY.crm, { email, purpose: 'newsletter', action: 'give' });
	await consent(KEY.crm, { email, purpose: 'newsletter', action: 'withdraw' });
	await sleep(800);
	assert.equal(ma.requests, n);
});

test('every delivery verified; the CRM got every change since it was added exactly once in order', T, async () => {
	await waitFor('the CRM caught up', async () => (await status(crm)).pending === 0);
	assert.equal(crm.bad.length, 0, JSON.stringify(crm.bad.slice(0, 3)));
	assert.equal(ma.bad.length, 0, JSON.stringify(ma.bad.slice(0, 3)));
	const want = (await changesAfter(crm.startSeq)).map((c) => c.seq);
	assert.deepEqual(crm.unique().map((g) => g.payload.seq), want);
});

test('Retry-After on 503 and 429 is honoured: no attempt before it, then delivery', T, async () => {
	const busy = await new Receiver('busy').start();
	await addEndpoint(busy, ['all']);
	for (const [mode, header] of [
		[503, () => '3'],
		[429, () => new Date(Date.now() + 4000).toUTCString()],
	]) {
		busy.mode = mode;
		busy.modeHeaders = { 'Retry-After': header() };
		busy.times = [];
		const n = busy.unique().length;
		await consent(KEY.crm, { email: addr(), purpose: 'newsletter', action: 'give' });
		await waitFor(`a ${mode}`, () => busy.times.length >= 1);
		const st = await waitFor('the failure in the status', async () => {
			const s = await status(busy);
			return s.last_status === mode ? s : null;
		});
		assert.equal(st.last_error, `answered HTTP ${mode}`);
		// the server's back-off is 1 s; the receiver asked for 3 s or more
		const wait = Date.parse(st.next_attempt_at) - busy.times[0];
		assert.ok(wait >= 2_000, `next attempt ${wait} ms after the answer`);
		await sleep(1_800);
		assert.equal(busy.times.length, 1, 'no attempt before Retry-After');
		busy.mode = 200;
		await waitFor('the delivery after Retry-After', () => busy.unique().length >= n + 2, 10_000);
		assert.ok(busy.times[1] - busy.times[0] >= 2_000, `retried after ${busy.times[1] - busy.times[0]} ms`);
		const after = await status(busy);
		assert.equal(after.failures, 0);
		assert.equal(after.failed_changes, 0);
	}
	assert.equal(busy.bad.length, 0);
	await api('DELETE', `/v1/webhooks/${busy.endpoint}`);
});

test('deliveries go through --webhook-proxy when given, never through the environment\'s proxy', T, async () => {
	// a forward proxy on loopback that records what it carried
	const carried = [];
	const proxy = http.createServer((req, res) => {
		carried.push(`${req.method} ${req.url}`);
		const u = new URL(req.url);
		const out = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers }, (r) => {
			res.writeHead(r.statusCode, r.headers);
			r.pipe(res);
		});
		out.on('error', () => res.writeHead(502).end());
		req.pipe(out);
	});
	await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
	await stopServer(srv);
	srv = await startMain([...SERVER_ARGS, '--webhook-proxy', `http://127.0.0.1:${proxy.address().port}`]);
	const email = addr();
	const c = await consent(KEY.crm, { email, purpose: 'newsletter', action: 'give' });
	await waitFor('the delivery through the proxy', () => crm.got.some((g) => g.payload.contact_id === c.contact_id && g.payload.type === 'consent.given'));
	assert.ok(carried.some((l) => l.startsWith(`POST ${crm.url}`)), JSON.stringify(carried.slice(0, 3)));
	await stopServer(srv);
	srv = await startMain();
	await new Promise((r) => proxy.close(r));
	// the environment's proxy (set for every server of this file) was never connected to
	assert.equal(envProxy.connections, 0);
	// a malformed proxy is a usage error
	const bad = spawnSync(SAMTYCKE, ['--db', DB, 'serve', '--listen', '127.0.0.1:0', '--webhook-proxy', 'proxy.example.com:3128'], { encoding: 'utf8', timeout: 10_000 });
	assert.equal(bad.status, 2);
	assert.match(bad.stderr, /--webhook-proxy/);
});

const hanging = [];
test('three endpoints that never answer do not delay a healthy one', T, async () => {
	for (let i = 0; i < 3; i++) {
		const h = await new Receiver(`dead${i}`).start();
		h.handle = () => {
			h.requests++; // never answers
		};
		await addEndpoint(h, ['all']);
		hanging.push(h);
	}
	// Endpoints used to be served one after another in id order: take a healthy one whose id
	// comes after a dead one's, so that a dead one would have gone first.
	const deadIds = hanging.map((h) => h.endpoint).sort();
	let healthy;
	for (let i = 0; i < 8 && !healthy; i++) {
		const r = await new Receiver(`healthy${i}`).start();
		await addEndpoint(r, ['consent.given']);
		if (r.endpoint > deadIds[0]) healthy = r;
	}
	assert.ok(healthy, 'no healthy endpoint sorted after a dead one');
	const email = addr();
	const t0 = Date.now();
	const c = await consent(KEY.crm, { email, purpose: 'newsletter', action: 'give' });
	await waitFor('every dead endpoint holding a request', () => hanging.every((h) => h.requests >= 1), 5_000);
	const got = await waitFor('the change at the healthy endpoint', () => healthy.got.find((g) => g.payload.contact_id === c.contact_id), 12_000);
	const latency = got.at - t0;
	assert.ok(latency < 1_500, `the healthy endpoint waited ${latency} ms`);
	// the dead ones are still waiting for their answer
	for (const h of hanging) assert.equal((await status(h)).last_delivered_seq, h.startSeq);
});

test('SIGTERM stops the server promptly even while a receiver never answers', T, async () => {
	const hang = await new Receiver('hang').start();
	hang.handle = () => {
		hang.requests++; // never answers
	};
	await addEndpoint(hang, ['all']);
	await consent(KEY.crm, { email: addr(), purpose: 'newsletter', action: 'give' });
	await waitFor('the request to the hanging receiver', () => hang.requests >= 1);
	assert.ok(hanging.length === 3, 'the three endpoints that never answer are still there');
	const t0 = Date.now();
	const r = await stopServer(srv);
	assert.equal(r.code, 0, srv.log);
	assert.ok(Date.now() - t0 < 3_000, `took ${Date.now() - t0} ms`);
	assert.ok(!/@|example\.com/.test(srv.log), 'the server log holds no address');
	// the abandoned attempt is not counted against the receiver
	const st = JSON.parse(spawnSync(SAMTYCKE, ['--db', DB, '--json', 'webhook', 'list'], { encoding: 'utf8' }).stdout).webhooks.find((w) => w.id === hang.endpoint);
	assert.equal(st.failures, 0);
	assert.equal(st.pending, 2);
});
