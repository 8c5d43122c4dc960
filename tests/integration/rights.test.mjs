// rights.test.mjs: data-subject rights and disposal against docs/rights.md. Run by rights.sh,
// which starts aiosmtpd (a Maildir at SK_MAILDIR) and one server (BASE_URL) on a fresh
// database (SK_DB) with the example policy and the keys KEY_DSR (privacy: dsr), KEY_READER
// (reader: read), KEY_WRITER (writer: write), KEY_CRM (crm: read,write) and KEY_REVOKED
// (oldsync: read, revoked). The canary, purge and kill cases make their own databases (each
// in its own directory under SK_TMP) and, where they need one, their own servers. Each
// top-level test is one user-visible behaviour and one TAP case. Only addresses at
// example.com and *.example are used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { proxied, answerCheck } from './spec.mjs';
import { ON_PG, PSQL, dbsql, newDb as storeDb, storeDump } from './store.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.SK_SOURCE_ROOT || path.resolve(here, '..', '..');
const need = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set: run this file through tests/integration/rights.sh`);
	return v;
};
const BASE = need('BASE_URL');
// Prism's validating proxy in front of BASE (rights.sh); answers are held against docs/openapi.yaml.
const PRISM = process.env.BASE_URL_PRISM || '';
const SAMTYCKE = need('SAMTYCKE');
const DB = need('SK_DB');
const TMP = need('SK_TMP');
const MAILDIR = need('SK_MAILDIR');
const SMTP_URL = need('SK_SMTP_URL');
const PY = process.env.SK_PYTHON || '/usr/bin/python3';
const KEY = {
	dsr: need('KEY_DSR'),
	reader: need('KEY_READER'),
	writer: need('KEY_WRITER'),
	crm: need('KEY_CRM'),
	revoked: need('KEY_REVOKED'),
};
const POLICY = path.join(ROOT, 'examples', 'policy.yaml');
const MIME_PY = path.join(here, 'mime.py');
const SCAN_PY = path.join(here, 'rights-scan.py');
const T = { timeout: 120_000 };
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const CID = /^c_[A-Za-z0-9]{24}$/;
const EID = /^e_[A-Za-z0-9]{24}$/;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) samtycke-rights-test/1.0';
const ERASURE_CATEGORIES = ['contact', 'fields', 'data_key', 'consent_state', 'rectifications', 'tracking_events', 'score', 'mails_sent', 'visitors'];
const REASONS = ['never_consented', 'withdrawn', 'expired', 'pending', 'unverified', 'inactive'];

// ---- bookkeeping for rights.sh: the addresses used on the main server ----
const emails = new Set();
const addr = (local, domain = 'example.com') => {
	const a = `${local}@${domain}`;
	emails.add(a);
	return a;
};
const children = new Set();
process.on('exit', () => {
	for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
	const out = process.env.SK_TEST_REPORT;
	if (out) writeFileSync(`${out}.emails`, [...emails].join('\n') + '\n');
});

// ---- requests (node:http on a fresh connection each) ----
function parse(text) {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}
function request(method, url, { headers = {}, body } = {}) {
	return new Promise((resolve, reject) => {
		const via = proxied(url, BASE, PRISM, method, headers, body);
		const u = new URL(via || url);
		const h = { ...headers };
		if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
		const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h, agent: false });
		req.on('response', (res) => {
			const parts = [];
			res.on('data', (c) => parts.push(c));
			res.on('end', () => {
				const text = Buffer.concat(parts).toString('utf8');
				try {
					answerCheck(!!via, method, u.pathname + u.search, res.statusCode, res.headers, text);
				} catch (e) {
					reject(e);
					return;
				}
				resolve({ status: res.statusCode, headers: res.headers, text, json: parse(text), url });
			});
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(body);
	});
}
// api(METHOD, PATH, {key, body, headers, base}): one JSON API request.
function api(method, p, { key, body, headers = {}, base = BASE } = {}) {
	const h = { ...headers };
	if (key) h.authorization = `Bearer ${key}`;
	let payload;
	if (body !== undefined) {
		payload = typeof body === 'string' ? body : JSON.stringify(body);
		h['content-type'] = 'application/json';
	}
	return request(method, base + p, { headers: h, body: payload });
}
const get = (p, key = KEY.reader, base = BASE) => api('GET', p, { key, base });
const q = encodeURIComponent;

function show(r) {
	const t = r.text.length > 1200 ? r.text.slice(0, 1200) + '...' : r.text;
	const loc = r.headers.location ? ` Location: ${r.headers.location}` : '';
	return `${r.status}${loc} ${t}`;
}
function ok(r, status = 200) {
	assert.equal(r.status, status, `wanted ${status}, got ${show(r)}`);
	assert.match(r.headers['content-type'] || '', /^application\/json\b/, `content-type of ${show(r)}`);
	assert.ok(r.json && typeof r.json === 'object', `JSON body: ${show(r)}`);
	return r.json;
}
function err(r, status, code) {
	assert.equal(r.status, status, `wanted ${status} ${code}, got ${show(r)}`);
	assert.match(r.headers['content-type'] || '', /^application\/json\b/, `content-type of ${show(r)}`);
	assert.ok(r.json && typeof r.json === 'object', `JSON body: ${show(r)}`);
	assert.deepEqual(Object.keys(r.json), ['error'], `error envelope: ${show(r)}`);
	assert.equal(r.json.error.code, code, `error code: ${show(r)}`);
	return r.json.error;
}
function formPost(form, pairs, { headers = {}, base = BASE } = {}) {
	return request('POST', `${base}/f/${form}`, {
		headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA, ...headers },
		body: new URLSearchParams(pairs).toString(),
	});
}

// ---- the CLI ----
// cli([--db DB] ARGS..., {db, now}): runs samtycke on DB (default the main one) with the clock
// pinned to `now` (a Date, a number of ms or an RFC 3339 string) or real.
function iso(t) {
	return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
// Every database's key file, named explicitly (a PostgreSQL store has no file next to which
// one could be implied): the main one from rights.sh, the others beside their database.
const KEYS = new Map([[DB, need('SK_KEY_FILE')]]);
const dbArgs = (db) => ['--db', db, '--key-file', KEYS.get(db)];
function cli(args, { db = DB, now } = {}) {
	const env = { ...process.env };
	delete env.SAMTYCKE_NOW;
	delete env.SAMTYCKE_DB;
	delete env.SAMTYCKE_KEY_FILE;
	if (now !== undefined) env.SAMTYCKE_NOW = typeof now === 'string' ? now : iso(now);
	const r = spawnSync(SAMTYCKE, [...dbArgs(db), ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
	return { status: r.status, signal: r.signal, error: r.error, out: r.stdout ?? '', err: r.stderr ?? '', json: parse(r.stdout), args };
}
const showCli = (r) => `samtycke ${r.args.join(' ')}: status ${r.status}${r.signal ? ` signal ${r.signal}` : ''}${r.error ? ` (${r.error.message})` : ''}\nout: ${r.out.slice(0, 1500)}\nerr: ${r.err.slice(0, 1500)}`;
function must(r, status = 0) {
	assert.equal(r.status, status, showCli(r));
	return r;
}
function gate(email, purpose, opts = {}) {
	const r = cli(['--json', 'check', email, purpose], opts);
	assert.ok(r.json && typeof r.json.allowed === 'boolean', `check --json answers: ${showCli(r)}`);
	assert.equal(r.status, r.json.allowed ? 0 : 1, `check exits 0 when allowed, 1 when denied: ${showCli(r)}`);
	return { allowed: r.json.allowed, reason: r.json.reason };
}
function contactOf(email, opts = {}) {
	const r = cli(['--json', 'contact', 'show', email], opts);
	if (r.status === 1) return null;
	must(r);
	assert.ok(r.json && CID.test(r.json.id), `contact show --json has the id: ${showCli(r)}`);
	return r.json;
}
// sqlite(DB, SQL): the rows SQL reads, by the backend's own shell (sqlite3, or psql).
function sqlite(db, sql) {
	return dbsql(db, sql).trim();
}
const HEX = (col) => (ON_PG ? `upper(encode(${col}, 'hex'))` : `hex(${col})`);
const sqlCount = (db, sql) => Number(sqlite(db, sql));

// ---- databases and servers of their own ----
function policyText(edit = (s) => s) {
	return edit(readFileSync(POLICY, 'utf8'));
}
// newDb(NAME, POLICY TEXT): a fresh database alone in TMP/NAME (so that every file in that
// directory is the database's; on PostgreSQL the database of its own that store.mjs makes,
// whose rows scanDir dumps into that directory), with the policy applied; the policy file
// lives outside it, the key file is TMP/NAME/t.db.key (where SQLite would imply it).
const DIR_DB = new Map();
function newDb(name, text = policyText()) {
	const dir = path.join(TMP, name);
	mkdirSync(dir, { recursive: true });
	const db = storeDb(dir, 't');
	KEYS.set(db, path.join(dir, 't.db.key'));
	DIR_DB.set(dir, db);
	must(cli(['init'], { db }));
	const pfile = path.join(TMP, `${name}.policy.yaml`);
	writeFileSync(pfile, text);
	must(cli(['policy', 'apply', pfile], { db }));
	return { db, dir };
}
function newKey(db, name, scope) {
	const r = must(cli(['keys', 'create', '--name', name, '--scope', scope], { db }));
	const k = r.out.trim();
	assert.ok(k && !/\s/.test(k), `keys create prints the key alone: ${showCli(r)}`);
	return k;
}
function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}
// startServer(NAME, DB, ARGS, {now}): a samtycke server with its own log files in TMP; resolves
// when it prints its "listening on" line.
async function startServer(name, db, args = [], { now } = {}) {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const outFile = path.join(TMP, `${name}.out`);
	const logFile = path.join(TMP, `${name}.log`);
	const out = openSync(outFile, 'w');
	const log = openSync(logFile, 'w');
	const env = { ...process.env };
	delete env.SAMTYCKE_NOW;
	if (now !== undefined) env.SAMTYCKE_NOW = iso(now);
	const proc = spawn(SAMTYCKE, [...dbArgs(db), 'serve', '--listen', `127.0.0.1:${port}`, '--public-url', url, '--rate-limit', '0', ...args], {
		stdio: ['ignore', out, log],
		env,
	});
	closeSync(out);
	closeSync(log);
	children.add(proc);
	const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
	const end = Date.now() + 10_000;
	for (;;) {
		const text = readFileSync(outFile, 'utf8');
		if (text.split('\n').includes(`listening on ${url}`)) break;
		if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > end) {
			proc.kill('SIGKILL');
			assert.fail(`server ${name} printed 'listening on ${url}' within 10 s:\n${text}\n${readFileSync(logFile, 'utf8').slice(0, 2000)}`);
		}
		await sleep(50);
	}
	return {
		url,
		proc,
		logFile,
		async stop() {
			proc.kill('SIGTERM');
			const r = await Promise.race([exited, sleep(5000).then(() => null)]);
			if (r === null) {
				proc.kill('SIGKILL');
				assert.fail(`server ${name} exited within 5 s of SIGTERM`);
			}
			assert.deepEqual(r, { code: 0, signal: null }, `server ${name} exits 0 on SIGTERM: ${readFileSync(logFile, 'utf8').slice(-800)}`);
		},
	};
}

// ---- "nothing was written": the change feed head and the ledger (size and hash head) ----
async function allChanges(after = 0, base = BASE, key = KEY.reader) {
	const all = [];
	for (;;) {
		const c = ok(await get(`/v1/changes?after=${after}&limit=1000`, key, base));
		if (c.changes.length === 0) return { changes: all, next: c.next };
		all.push(...c.changes);
		after = c.next;
	}
}
async function snapshot(base = BASE, key = KEY.reader) {
	const c = await allChanges(0, base, key);
	const a = ok(await get('/v1/audit/verify', key, base));
	return { next: c.next, events: a.events, head: a.head };
}
async function unchanged(before, what, base = BASE, key = KEY.reader) {
	assert.deepEqual(await snapshot(base, key), before, `${what} wrote nothing (change feed head and ledger unchanged)`);
}

let purposeMap;
async function purposes() {
	if (!purposeMap) {
		const list = ok(await get('/v1/purposes')).purposes;
		purposeMap = Object.fromEntries(list.map((p) => [p.id, p]));
	}
	return purposeMap;
}
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

// ---- mail: the Maildir of aiosmtpd, each message parsed by Python's email package ----
const mails = new Map();
function readMaildir() {
	const dir = path.join(MAILDIR, 'new');
	if (!existsSync(dir)) return;
	const fresh = readdirSync(dir).filter((f) => !mails.has(f));
	if (fresh.length === 0) return;
	const r = spawnSync(PY, [MIME_PY, ...fresh.map((f) => path.join(dir, f))], { encoding: 'utf8' });
	assert.equal(r.status, 0, `mime.py: ${r.stderr}`);
	for (const m of JSON.parse(r.stdout)) mails.set(path.basename(m.file), m);
}
function mailsTo(email) {
	readMaildir();
	const want = email.toLowerCase();
	return [...mails.values()].filter((m) => (m.rcpt_to || '').toLowerCase() === want);
}
async function waitMail(email, n = 1) {
	const end = Date.now() + 10_000;
	while (mailsTo(email).length < n && Date.now() < end) await sleep(100);
	await sleep(200);
	const got = mailsTo(email);
	assert.equal(got.length, n, `${n} mail(s) to ${email}, got ${got.length}: ${got.map((m) => m.subject).join(' | ')}`);
	return got;
}
async function noMail(email) {
	await sleep(500);
	assert.equal(mailsTo(email).length, 0, `no mail to ${email}`);
}
// linkIn(MAIL, BASE): the one confirmation link in the mail.
function linkIn(m, base = BASE) {
	assert.equal(m.error, null, `the message parses: ${m.error}`);
	const re = new RegExp(`${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/f/confirm/[^\\s<>"]+`, 'g');
	const links = [...(m.text || '').matchAll(re)];
	assert.equal(links.length, 1, `exactly one link ${base}/f/confirm/TOKEN in the mail:\n${m.text}`);
	return links[0][0];
}
function decodeEntities(s) {
	const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
	return s.replace(/&(#[xX][0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (m, e) => {
		if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
		return e in named ? named[e] : m;
	});
}
function attrs(tagText) {
	const out = {};
	for (const m of tagText.matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) out[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
	return out;
}
// confirm(LINK, UA): as a browser: GET the link, then submit the one form on the page.
async function confirm(link, ua = UA) {
	const page = await request('GET', link, { headers: { 'user-agent': ua } });
	assert.equal(page.status, 200, `GET ${link}: ${show(page)}`);
	const forms = [...page.text.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
	assert.equal(forms.length, 1, `one form on the confirmation page: ${page.text}`);
	const action = new URL(attrs(forms[0][1]).action ?? '', link).href;
	const pairs = [...forms[0][2].matchAll(/<input\b([^>]*)>/gi)].map((m) => attrs(m[1])).filter((i) => i.name && i.type !== 'submit').map((i) => [i.name, i.value ?? '']);
	const r = await request('POST', action, {
		headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': ua, origin: new URL(link).origin, referer: link },
		body: new URLSearchParams(pairs).toString(),
	});
	assert.equal(r.status, 200, `POST ${action} (the confirm button): ${show(r)}`);
	return r;
}

// ---- the scan for an erased person's bytes ----
// The store's own bytes that the scan reads: SQLite's files in DIR, or on PostgreSQL every row
// of every table written to DIR/STORE_FILE by storeDump (binary COPY: text and bytea as raw bytes).
const STORE_FILE = ON_PG ? 'tables.copy' : 't.db';
function scanDir(dir, values) {
	if (ON_PG) storeDump(DIR_DB.get(dir), path.join(dir, STORE_FILE));
	const r = spawnSync(PY, [SCAN_PY, 'scan', dir, '--exclude', 't.db.key', '--', ...values], { encoding: 'utf8', maxBuffer: 64 << 20 });
	assert.equal(r.status, 0, `rights-scan.py: ${r.stderr}`);
	return JSON.parse(r.stdout);
}
// sealedOf(DB, ID): the contact's sealed fields and wrapped data key as stored, as scan
// values "raw:LABEL:HEX": their ciphertext must go with the erasure too.
function sealedOf(db, id) {
	const rows = sqlite(db, `SELECT 'field-' || name || ':' || ${HEX('sealed')} FROM contact_fields WHERE contact_id = '${id}' UNION ALL SELECT 'data_key:' || ${HEX('wrapped')} FROM contact_keys WHERE contact_id = '${id}'`);
	return rows.split('\n').filter(Boolean).map((r) => `raw:${r}`);
}
// tracePresent(DIR, VALUES): the scan's positive control on the real files: each raw value
// (the sealed bytes as stored now) is found before the erasure, so that a scan that finds
// nothing afterwards means the bytes went, not that the scan cannot see them.
function tracePresent(dir, values) {
	const found = new Set(scanDir(dir, values).hits.map((h) => h.value));
	for (const v of values) {
		const label = v.split(':').slice(0, 2).join(':');
		assert.ok(found.has(label), `positive control: the scan finds ${label} in the files before the erasure`);
	}
}
function noTrace(dir, values) {
	const res = scanDir(dir, values);
	const names = res.files.map((f) => f.file);
	assert.ok(names.includes(STORE_FILE), `the database file (on PostgreSQL the dump of its rows) itself was scanned: ${JSON.stringify(res.files)}`);
	assert.ok(res.needles > values.length * 10, `the scan searched every encoding (${res.needles} needles)`);
	const hits = res.hits.map((h) => `${h.file} @${h.offset}: ${JSON.stringify(h.value)} as ${h.encoding}, near ${JSON.stringify(h.context)}`);
	assert.deepEqual(hits, [], `no byte of the erased person in ${names.map((n, i) => `${n} (${res.files[i].size} bytes)`).join(', ')}`);
	return res;
}

// the export document (docs/rights.md): the shape every export must have
function checkExportShape(x) {
	assert.ok(x && typeof x === 'object', 'an export document');
	for (const k of ['exported_at', 'controller', 'contact', 'consents', 'purposes', 'shared_with', 'rectifications', 'behaviour']) assert.ok(k in x, `the export has ${k}: ${JSON.stringify(x).slice(0, 400)}`);
	assert.match(x.exported_at, RFC3339, 'exported_at');
	assert.ok(Array.isArray(x.consents), 'consents is an array');
	assert.ok(Array.isArray(x.purposes), 'purposes is an array');
	assert.ok(Array.isArray(x.shared_with), 'shared_with is an array');
	assert.ok(Array.isArray(x.rectifications), 'rectifications is an array');
	assert.ok(x.behaviour && typeof x.behaviour === 'object', 'behaviour is an object');
	for (const k of ['tracking_events', 'scores', 'mails_sent']) assert.ok(Array.isArray(x.behaviour[k]), `behaviour.${k} is an array: ${JSON.stringify(x.behaviour)}`);
}
function exportCli(email, opts = {}, extra = []) {
	const r = must(cli(['export', email, ...extra], opts));
	assert.ok(r.json, `samtycke export prints the JSON document: ${showCli(r)}`);
	return r.json;
}

// ===================================================================================
// 1. the canary: no byte of an erased person in any file of the database
// ===================================================================================

const CANARY = {
	email: 'zq-canary-7f3e@canary.example',
	first_name: 'Quintessa',
	last_name: 'Zwonkowitz',
	company: 'Yttergrund AB',
	phone: '+46 70 999 88 77',
	ip: '203.0.113.199',
	ua: 'CanaryAgent/9.9',
	patched: 'Ärlemyrsbruk Oy',
};
// every form a canary value might take: whole, in parts, and the phone as digits
const canaryValues = (c) => [
	c.email,
	c.email.split('@')[0],
	c.first_name,
	c.last_name,
	c.company,
	c.company.split(' ')[0],
	c.phone,
	c.phone.replace(/ /g, ''),
	c.phone.replace(/ /g, '').replace(/^\+46/, ''),
	c.phone.replace(/^\+46 /, '0'),
	c.ip,
	c.ua,
	c.patched,
	c.patched.split(' ')[0],
];

test('the canary scanner finds each value in every encoding it searches for (its positive control)', T, () => {
	const r = spawnSync(PY, [SCAN_PY, 'selftest', ...canaryValues(CANARY)], { encoding: 'utf8' });
	assert.equal(r.status, 0, `rights-scan.py selftest: ${r.stderr}`);
	const res = JSON.parse(r.stdout);
	assert.ok(res.needles > 100, `${res.needles} needles`);
	assert.deepEqual(res.missed, [], 'every needle is found in random bytes, in any letter case');
});

test('canary: after DELETE /v1/contacts/{id} no byte of the person is in the database, its WAL or any file beside it', T, async (t) => {
	const c = CANARY;
	const { db, dir } = newDb('canary');
	const crm = newKey(db, 'canary-crm', 'read,write');
	const dsr = newKey(db, 'canary-dsr', 'dsr');
	const srv = await startServer('canary', db, ['--smtp-url', SMTP_URL, '--mail-from', 'noreply@example.com', '--form-rate-limit', '100000', '--pending-days', '0']);
	let stopped = false;
	try {
		const B = srv.url;
		// created by the API, with an Idempotency-Key and a retry
		const body = { email: c.email, fields: { first_name: c.first_name, last_name: c.last_name, company: c.company, phone: c.phone } };
		const idem = { 'idempotency-key': 'canary-create-1' };
		const created = ok(await api('POST', '/v1/contacts', { key: crm, body, headers: idem, base: B }), 201);
		assert.match(created.id, CID);
		const id = created.id;
		assert.deepEqual(ok(await api('POST', '/v1/contacts', { key: crm, body, headers: idem, base: B }), 201), created, 'the retry answers the first 201');
		const sealed = new Set(sealedOf(db, id));
		assert.ok(sealed.size >= 6, `the sealed fields and the data key are stored: ${[...sealed].map((v) => v.split(':')[1])}`);
		// consents by the API with evidence, one with an Idempotency-Key and a retry
		const evidence = { ip: c.ip, user_agent: c.ua };
		const g1 = { email: c.email, purpose: 'sales_followup', action: 'give', evidence };
		const h1 = { 'idempotency-key': 'canary-consent-1' };
		const e1 = ok(await api('POST', '/v1/consents', { key: crm, body: g1, headers: h1, base: B }), 201);
		assert.deepEqual(ok(await api('POST', '/v1/consents', { key: crm, body: g1, headers: h1, base: B }), 201), e1);
		ok(await api('POST', '/v1/consents', { key: crm, body: { contact_id: id, purpose: 'newsletter', action: 'give', lang: 'sv', evidence }, base: B }), 201);
		// a form post with the same fields (a real mail goes out for the double opt-in) and its confirmation
		const page = 'https://www.example.com/webinar';
		const f = await formPost(
			'webinar',
			[['email', c.email], ['first_name', c.first_name], ['last_name', c.last_name], ['company', c.company], ['consent', 'event_invitations'], ['consent', 'offers'], ['lang', 'en'], ['page_url', page]],
			{ base: B, headers: { 'user-agent': c.ua, referer: page } },
		);
		assert.ok(f.status === 303 || f.status === 200, `the form post is accepted: ${show(f)}`);
		const [m] = await waitMail(c.email);
		await confirm(linkIn(m, B), c.ua);
		for (const v of sealedOf(db, id)) sealed.add(v);
		// rectification by PATCH
		const patched = ok(await api('PATCH', `/v1/contacts/${id}`, { key: crm, body: { fields: { company: c.patched } }, base: B }));
		assert.equal(patched.fields.company, c.patched, 'the PATCH took');
		for (const v of sealedOf(db, id)) sealed.add(v);
		// the gate, lookups and the suppression check with the address
		assert.equal(ok(await get(`/v1/check?email=${q(c.email)}&purpose=offers`, crm, B)).allowed, true, 'offers given through the form');
		assert.equal(ok(await get(`/v1/check?email=${q(c.email)}&purpose=event_invitations`, crm, B)).allowed, true, 'event invitations confirmed');
		assert.equal(ok(await api('POST', '/v1/check', { key: crm, body: { purpose: 'sales_followup', emails: [c.email] }, base: B })).results[0].allowed, true);
		assert.equal(ok(await get(`/v1/contacts?email=${q(c.email)}`, crm, B)).id, id);
		assert.deepEqual(ok(await get(`/v1/suppressions/check?email=${q(c.email)}`, crm, B)), { suppressed: false });
		// positive control: the data really is there, and the export opens it
		const x = ok(await get(`/v1/contacts/${id}/export`, dsr, B));
		const xs = JSON.stringify(x);
		for (const v of [c.email, c.first_name, c.last_name, c.patched, c.ip, c.ua]) assert.ok(xs.includes(v) || xs.includes(JSON.stringify(v).slice(1, -1)), `before erasure the export holds ${v}`);
		const hist = ok(await get(`/v1/contacts/${id}/consents`, crm, B)).history;
		assert.ok(hist.length >= 5, `the history holds every event: ${hist.length}`);
		tracePresent(dir, sealedOf(db, id));
		// erasure
		const rc = ok(await api('DELETE', `/v1/contacts/${id}`, { key: dsr, base: B }));
		assert.match(rc.erasure_id ?? '', /^x_/, `erasure_id: ${JSON.stringify(rc)}`);
		assert.equal(rc.contact_id, id);
		assert.match(rc.erased_at ?? '', RFC3339);
		assert.deepEqual([...(rc.categories ?? [])].sort(), [...ERASURE_CATEGORIES].sort(), 'the categories erased');
		assert.equal(rc.suppressed, true);
		assert.equal(rc.ledger_events_kept, hist.length, 'the ledger keeps every event of the contact');
		// at once, with the server still running: the WAL is checkpointed and truncated, freed
		// pages are zeroed; neither the values nor their sealed form are left
		const values = [...canaryValues(c), ...sealed];
		let scanned = noTrace(dir, values);
		t.diagnostic(`right after the erasure: scanned ${scanned.files.map((f) => `${f.file} (${f.size} bytes)`).join(', ')} for ${scanned.needles} needles`);
		await srv.stop();
		stopped = true;
		scanned = noTrace(dir, values);
		t.diagnostic(`after shutdown: scanned ${scanned.files.map((f) => `${f.file} (${f.size} bytes)`).join(', ')} for ${scanned.needles} needles`);
		for (const tb of ['contacts', 'contact_fields', 'contact_keys', 'consent_state']) assert.equal(sqlCount(db, `SELECT count(*) FROM ${tb}`), 0, `no ${tb} row left`);
		t.diagnostic(`idempotency rows left after the erasure (hashes of requests that carried the person's data; not named by the contract): ${sqlCount(db, 'SELECT count(*) FROM idempotency')}`);
		// the access log of this server holds none of it either
		const log = readFileSync(srv.logFile, 'utf8');
		for (const v of [c.email, c.email.split('@')[0], 'canary.example', '%40', c.first_name, c.last_name, c.ip, c.ua]) assert.ok(!log.includes(v), `the access log does not hold ${v}`);
		must(cli(['audit', 'verify'], { db }));
		must(cli(['ledger', 'replay', '--check'], { db }));
		assert.equal(sqlCount(db, `SELECT count(*) FROM consent_ledger WHERE contact_id = '${id}'`), hist.length, 'the ledger rows are kept');
		assert.equal(sqlCount(db, `SELECT count(*) FROM contacts`), 0, 'no contact left');
	} finally {
		if (!stopped) srv.proc.kill('SIGKILL');
	}
});

test('canary by the CLI: samtycke forget leaves no byte of the person in the database files', T, async () => {
	const c = {
		email: 'zq-clicanary-4b1d@canary.example',
		first_name: 'Ottiliana',
		last_name: 'Brzęczyszczykiewicz',
		company: 'Skärvallsgruvan AB',
		phone: '+46 73 555 01 23',
		ip: '198.51.100.77',
		ua: 'CliCanary/3.1',
		patched: 'Ödmårdsvreten HB',
	};
	const { db, dir } = newDb('canary-cli');
	const o = { db };
	must(cli(['contact', 'add', c.email, '--field', `first_name=${c.first_name}`, '--field', `last_name=${c.last_name}`, '--field', `company=${c.company}`, '--field', `phone=${c.phone}`], o));
	const ev = JSON.stringify({ ip: c.ip, user_agent: c.ua });
	const sealed = new Set(sealedOf(db, contactOf(c.email, o).id));
	must(cli(['consent', 'give', c.email, 'sales_followup', '--method', 'api', '--source', 'crm', '--evidence', ev], o));
	must(cli(['consent', 'give', c.email, 'offers', '--method', 'form', '--source', 'f', '--lang', 'sv', '--evidence', ev], o));
	must(cli(['contact', 'edit', c.email, '--field', `company=${c.patched}`], o));
	must(cli(['consent', 'withdraw', c.email, 'offers', '--method', 'mail_link', '--source', 'm'], o));
	must(cli(['check', c.email, 'sales_followup'], o));
	const shown = contactOf(c.email, o);
	assert.equal(shown.fields.last_name, c.last_name, 'positive control: the fields are there');
	for (const v of sealedOf(db, shown.id)) sealed.add(v);
	const x = exportCli(c.email, o);
	assert.ok(JSON.stringify(x).includes(c.ip), 'positive control: the export opens the evidence');
	tracePresent(dir, sealedOf(db, shown.id));
	const r = must(cli(['forget', c.email, '--json'], o));
	assert.ok(r.json, `forget --json prints the receipt: ${showCli(r)}`);
	assert.equal(r.json.contact_id, shown.id);
	assert.equal(r.json.suppressed, true);
	assert.equal(r.json.ledger_events_kept, 3);
	noTrace(dir, [...canaryValues(c), ...sealed]);
	assert.equal(sqlCount(db, `SELECT count(*) FROM contact_fields`) + sqlCount(db, `SELECT count(*) FROM contact_keys`), 0, 'no field or key row left');
	must(cli(['audit', 'verify'], o));
	must(cli(['ledger', 'replay', '--check'], o));
	assert.equal(gate(c.email, 'sales_followup', o).reason, 'erased');
});

// ===================================================================================
// 2. erasure and suppression on the main server
// ===================================================================================

const er = {}; // shared by the erasure steps

test('DELETE /v1/contacts/{id} needs the dsr scope, answers the erasure receipt, and 404 for an unknown id', T, async () => {
	const email = addr('erika.raderad');
	const id = ok(await api('POST', '/v1/contacts', { key: KEY.crm, body: { email, fields: { first_name: 'Erika' } } }), 201).id;
	ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'newsletter', action: 'give', evidence: { ip: '192.0.2.10' } } }), 201);
	ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'offers', action: 'give' } }), 201);
	assert.deepEqual(gate(email, 'newsletter'), { allowed: true, reason: 'consent' });
	const before = await snapshot();
	err(await api('DELETE', `/v1/contacts/${id}`, {}), 401, 'unauthorized');
	err(await api('DELETE', `/v1/contacts/${id}`, { key: KEY.reader }), 403, 'forbidden');
	err(await api('DELETE', `/v1/contacts/${id}`, { key: KEY.writer }), 403, 'forbidden');
	err(await api('DELETE', `/v1/contacts/${id}`, { key: KEY.crm }), 403, 'forbidden');
	err(await api('DELETE', `/v1/contacts/c_${'Q'.repeat(24)}`, { key: KEY.dsr }), 404, 'not_found');
	await unchanged(before, 'refused and unknown erasures');
	assert.deepEqual(gate(email, 'newsletter'), { allowed: true, reason: 'consent' }, 'a refused erasure changed nothing');
	const rc = ok(await api('DELETE', `/v1/contacts/${id}`, { key: KEY.dsr }));
	assert.deepEqual(Object.keys(rc).sort(), ['categories', 'contact_id', 'erased_at', 'erasure_id', 'ledger_events_kept', 'scrub_pending', 'suppressed'], `the receipt's keys: ${JSON.stringify(rc)}`);
	assert.equal(rc.scrub_pending, false, 'no reader held the database: the WAL scrub is done');
	assert.match(rc.erasure_id, /^x_[A-Za-z0-9]+$/);
	assert.equal(rc.contact_id, id);
	assert.match(rc.erased_at, RFC3339);
	assert.deepEqual([...rc.categories].sort(), [...ERASURE_CATEGORIES].sort());
	assert.equal(rc.suppressed, true);
	assert.equal(rc.ledger_events_kept, 2);
	err(await api('DELETE', `/v1/contacts/${id}`, { key: KEY.dsr }), 404, 'not_found');
	err(await get(`/v1/contacts/${id}`), 404, 'not_found');
	err(await get(`/v1/contacts/${id}/consents`), 404, 'not_found');
	err(await get(`/v1/contacts?email=${q(email)}`), 404, 'not_found');
	assert.equal(contactOf(email), null, 'contact show: no contact');
	Object.assign(er, { email, id, after: before.next });
});

test('erased change: GET /v1/changes carries {"type":"erased","contact_id"} and nothing about the person or purpose', T, async () => {
	assert.ok(er.id, 'needs the test before');
	const { changes } = await allChanges(er.after);
	const erased = changes.filter((c) => c.type === 'erased');
	assert.equal(erased.length, 1, `one erased change after the erasure: ${JSON.stringify(changes)}`);
	const e = erased[0];
	assert.equal(e.contact_id, er.id);
	assert.ok(Number.isInteger(e.seq), 'it has its place in the feed');
	// the feed's other keys may be there, but empty (null): no purpose, no status, nothing else
	for (const [k, v] of Object.entries(e)) assert.ok(['seq', 'type', 'contact_id', 'at'].includes(k) || v === null, `the erased change holds only type and contact_id (and its seq and time), not ${k}: ${JSON.stringify(e)}`);
	assert.ok(e.purpose == null && e.status == null, `no purpose or status: ${JSON.stringify(e)}`);
	assert.ok(!JSON.stringify(e).includes('erika'), 'no personal data');
});

test('after erasure the gate says erased and every way back is refused with suppressed, writing nothing', T, async () => {
	assert.ok(er.email, 'needs the erasure test');
	const email = er.email;
	const variant = ` ${email.toUpperCase()} `;
	assert.deepEqual(gate(email, 'newsletter'), { allowed: false, reason: 'erased' });
	assert.deepEqual(gate(variant, 'offers'), { allowed: false, reason: 'erased' });
	const txt = cli(['check', email, 'newsletter']);
	assert.equal(txt.status, 1);
	assert.match(txt.out + txt.err, /denied erased/, showCli(txt));
	const g = ok(await get(`/v1/check?email=${q(email)}&purpose=newsletter`));
	assert.deepEqual({ allowed: g.allowed, reason: g.reason }, { allowed: false, reason: 'erased' });
	const pc = ok(await api('POST', '/v1/check', { key: KEY.reader, body: { purpose: 'offers', emails: [email, variant] } }));
	assert.deepEqual(pc.results.map((r) => [r.allowed, r.reason]), [[false, 'erased'], [false, 'erased']]);
	const before = await snapshot();
	err(await api('POST', '/v1/contacts', { key: KEY.crm, body: { email } }), 409, 'suppressed');
	err(await api('POST', '/v1/contacts', { key: KEY.crm, body: { email: variant, fields: { first_name: 'Erika' } } }), 409, 'suppressed');
	err(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'newsletter', action: 'give' } }), 409, 'suppressed');
	err(await api('POST', '/v1/consents', { key: KEY.crm, body: { email: variant, purpose: 'offers', action: 'give', method: 'import', source: 'crm-sync', occurred_at: iso(Date.now() - 86400e3) } }), 409, 'suppressed');
	let r = cli(['consent', 'give', email, 'newsletter', '--method', 'form', '--source', 'f']);
	assert.equal(r.status, 3, `consent give exits 3: ${showCli(r)}`);
	assert.match(r.out + r.err, /suppress/i, showCli(r));
	r = cli(['--json', 'consent', 'give', variant, 'offers', '--method', 'import', '--source', 'old.csv', '--at', '2025-01-01T00:00:00Z']);
	assert.equal(r.status, 3, showCli(r));
	// with --json an error is a JSON object on stderr, nothing on stdout (docs/cli.md)
	assert.equal(parse(r.err)?.error?.code, 'suppressed', showCli(r));
	assert.equal(r.out, '', showCli(r));
	r = cli(['contact', 'add', email, '--field', 'first_name=Erika']);
	assert.equal(r.status, 3, `contact add exits 3: ${showCli(r)}`);
	assert.match(r.out + r.err, /suppress/i, showCli(r));
	await unchanged(before, 'the refused ways back');
	assert.equal(contactOf(email), null, 'no contact came back');
	assert.deepEqual(gate(email, 'newsletter'), { allowed: false, reason: 'erased' });
});

test('GET /v1/suppressions/check answers exactly {"suppressed":true|false} and needs the read scope', T, async () => {
	assert.ok(er.email, 'needs the erasure test');
	const email = er.email;
	assert.deepEqual(ok(await get(`/v1/suppressions/check?email=${q(email)}`)), { suppressed: true });
	assert.deepEqual(ok(await get(`/v1/suppressions/check?email=${q(` ${email.toUpperCase()}`)}`, KEY.crm)), { suppressed: true }, 'any variant of the address');
	assert.deepEqual(ok(await get(`/v1/suppressions/check?email=${q(addr('never.seen'))}`)), { suppressed: false });
	const live = addr('levande.kontakt');
	ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email: live, purpose: 'newsletter', action: 'give' } }), 201);
	assert.deepEqual(ok(await get(`/v1/suppressions/check?email=${q(live)}`)), { suppressed: false }, 'a contact with consent is not suppressed');
	err(await get(`/v1/suppressions/check?email=${q(email)}`, KEY.writer), 403, 'forbidden');
	err(await get(`/v1/suppressions/check?email=${q(email)}`, KEY.revoked), 401, 'unauthorized');
	err(await get(`/v1/suppressions/check?email=${q(email)}`, null), 401, 'unauthorized');
	// suppress by the CLI shows up at once
	const b = addr('studsande');
	must(cli(['suppress', b, '--reason', 'bounced']));
	assert.deepEqual(ok(await get(`/v1/suppressions/check?email=${q(b)}`)), { suppressed: true });
	assert.deepEqual(gate(b, 'newsletter'), { allowed: false, reason: 'suppressed' });
});

test('a form post from an erased address with only consents that need no confirmation stores nothing and sends nothing', T, async () => {
	assert.ok(er.email, 'needs the erasure test');
	const email = er.email;
	const before = await snapshot();
	const r = await formPost('webinar', [['email', email], ['first_name', 'Erika'], ['last_name', 'Raderad'], ['company', 'Tillbaka AB'], ['consent', 'offers'], ['consent', 'lead_scoring'], ['lang', 'en']]);
	assert.ok(r.status < 500, `the form answers: ${show(r)}`);
	await unchanged(before, 'the form post from a suppressed address');
	assert.equal(contactOf(email), null, 'no contact was stored');
	assert.deepEqual(gate(email, 'offers'), { allowed: false, reason: 'erased' });
	assert.deepEqual(gate(email, 'lead_scoring'), { allowed: false, reason: 'erased' });
	await noMail(email);
});

test('a form never mails an erased address: the post gets the usual answer, nothing is stored or sent, the suppression holds', T, async () => {
	assert.ok(er.email, 'needs the erasure test');
	const email = er.email;
	const before = await snapshot();
	const page = 'https://www.example.com/nyhetsbrev';
	const r = await formPost('newsletter', [['email', email], ['consent', 'newsletter'], ['lang', 'en'], ['page_url', page]], { headers: { referer: page } });
	assert.equal(r.status, 303, `the sign-up gets the answer any address gets: ${show(r)}`);
	assert.equal(r.headers.location, 'https://www.example.com/tack');
	const w = await formPost('webinar', [['email', email], ['first_name', 'I'], ['last_name', 'Å'], ['consent', 'event_invitations'], ['consent', 'offers'], ['lang', 'sv']]);
	assert.ok(w.status === 303 || w.status === 200, `the webinar post too: ${show(w)}`);
	await noMail(email);
	assert.deepEqual(await snapshot(), before, 'nothing was written');
	assert.deepEqual(gate(email, 'newsletter'), { allowed: false, reason: 'erased' });
	assert.deepEqual(gate(email, 'offers'), { allowed: false, reason: 'erased' });
	assert.deepEqual(ok(await get(`/v1/suppressions/check?email=${q(email)}`)), { suppressed: true });
});

test('the way back: samtycke unsuppress, on the person\'s request, lifts the suppression with an unsuppressed change; then a sign-up works', T, async () => {
	assert.ok(er.email, 'needs the erasure test');
	const email = er.email;
	const mark = (await snapshot()).next;
	const never = addr('never.suppressed');
	const n = cli(['unsuppress', never]);
	assert.equal(n.status, 1, `unsuppress of an address that is not suppressed exits 1: ${showCli(n)}`);
	must(cli(['unsuppress', email]));
	assert.deepEqual(ok(await get(`/v1/suppressions/check?email=${q(email)}`)), { suppressed: false });
	const un = (await allChanges(mark)).changes.filter((c) => c.type === 'unsuppressed');
	assert.equal(un.length, 1, 'one unsuppressed change');
	assert.equal(un[0].contact_id, null, 'no contact holds the erased address: contact_id null');
	assert.deepEqual(gate(email, 'newsletter'), { allowed: false, reason: 'no_consent' });
	const r = await formPost('newsletter', [['email', email], ['consent', 'newsletter'], ['lang', 'en']]);
	assert.equal(r.status, 303, show(r));
	const [m] = await waitMail(email);
	await confirm(linkIn(m));
	assert.deepEqual(gate(email, 'newsletter'), { allowed: true, reason: 'consent' }, 'after the confirmation the newsletter is allowed');
	const ct = contactOf(email);
	assert.ok(ct, 'the person is a contact again');
	assert.notEqual(ct.id, er.id, 'a new contact, not the erased one');
	assert.equal(gate(email, 'offers').allowed, false, 'offers stays not given');
});

test('samtycke forget: a receipt (--json as the API), and an unknown address is still suppressed with "no contact" said', T, async () => {
	const email = addr('gustav.glomd');
	must(cli(['contact', 'add', email, '--field', 'first_name=Gustav', '--field', 'company=Glömska AB']));
	must(cli(['consent', 'give', email, 'offers', '--method', 'cli', '--source', 'phone call', '--evidence', '{"ip":"192.0.2.77"}']));
	must(cli(['consent', 'withdraw', email, 'offers', '--method', 'cli', '--source', 'phone call']));
	const id = contactOf(email).id;
	const r = must(cli(['forget', email, '--json']));
	assert.ok(r.json, showCli(r));
	assert.deepEqual(Object.keys(r.json).sort(), ['categories', 'contact_id', 'erased_at', 'erasure_id', 'ledger_events_kept', 'scrub_pending', 'suppressed'], `receipt keys: ${r.out}`);
	assert.equal(r.json.scrub_pending, false, 'the server beside it holds no read transaction: the scrub is done');
	assert.match(r.json.erasure_id, /^x_/);
	assert.equal(r.json.contact_id, id);
	assert.match(r.json.erased_at, RFC3339);
	assert.deepEqual([...r.json.categories].sort(), [...ERASURE_CATEGORIES].sort());
	assert.equal(r.json.suppressed, true);
	assert.equal(r.json.ledger_events_kept, 2);
	assert.equal(contactOf(email), null);
	assert.deepEqual(gate(email, 'offers'), { allowed: false, reason: 'erased' });
	// the human form names the contact erased
	const email2 = addr('hedda.glomd');
	must(cli(['contact', 'add', email2]));
	const id2 = contactOf(email2).id;
	const h = must(cli(['forget', email2]));
	assert.ok((h.out + h.err).includes(id2), `forget names the contact erased: ${showCli(h)}`);
	// an address never seen
	const ghost = addr('aldrig.sedd');
	const before = await snapshot();
	const u = cli(['forget', ghost]);
	assert.ok(u.status === 0 || u.status === 1, `forget of an unknown address: ${showCli(u)}`);
	assert.match(u.out + u.err, /no contact/i, `it says that no contact was found: ${showCli(u)}`);
	assert.deepEqual(ok(await get(`/v1/suppressions/check?email=${q(ghost)}`)), { suppressed: true }, 'the unknown address is on the suppression list');
	assert.deepEqual(gate(ghost, 'newsletter'), { allowed: false, reason: 'erased' });
	err(await api('POST', '/v1/contacts', { key: KEY.crm, body: { email: ghost } }), 409, 'suppressed');
	const after = await snapshot();
	assert.equal(after.events, before.events, 'no ledger event for an address never seen');
	// suppress takes the reason erased; serve takes --purge-daily
	const se = addr('sjalv.raderad');
	must(cli(['suppress', se, '--reason', 'erased']));
	assert.deepEqual(gate(se, 'newsletter'), { allowed: false, reason: 'erased' });
	const sh = cli(['serve', '--help']);
	assert.equal(sh.status, 0);
	assert.match(sh.out, /--purge-daily/, 'serve --help names --purge-daily');
	// usage
	const uh = cli(['forget', '--help']);
	assert.equal(uh.status, 0, showCli(uh));
	assert.match(uh.out, /usage: samtycke forget/);
	assert.equal(cli(['forget']).status, 2, 'forget without an address is a usage error');
});

// ===================================================================================
// 4. access and portability: the export
// ===================================================================================

const ex = {};

test('GET /v1/contacts/{id}/export: fields, consents with history, notice texts, evidence, purposes, shared_with, rectifications, behaviour', T, async () => {
	const ps = await purposes();
	const email = addr('exportina.utdrag');
	const old = { last_name: 'Gammalnamnsson' };
	const id = ok(await api('POST', '/v1/contacts', { key: KEY.crm, body: { email, fields: { first_name: 'Exportina', last_name: old.last_name, company: 'Exportbolaget AB' } } }), 201).id;
	const evidence = { ip: '203.0.113.44', user_agent: 'ExportAgent/1.0' };
	const g = ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'newsletter', action: 'give', lang: 'sv', evidence } }), 201);
	must(cli(['consent', 'give', email, 'offers', '--method', 'form', '--source', 'form:offers https://www.example.com/erbjudanden', '--at', iso(Date.now() - 10 * 86400e3), '--evidence', '{"ip":"203.0.113.45"}']));
	const newLast = 'Nynamnsdottir';
	ok(await api('PATCH', `/v1/contacts/${id}`, { key: KEY.crm, body: { fields: { last_name: newLast } } }));
	// (the withdrawal deletes last_name and company: only offers needed them)
	must(cli(['consent', 'withdraw', email, 'offers', '--method', 'mail_link', '--source', 'mail:2026-11']));
	// scopes
	err(await get(`/v1/contacts/${id}/export`, KEY.reader), 403, 'forbidden');
	err(await get(`/v1/contacts/${id}/export`, KEY.writer), 403, 'forbidden');
	err(await get(`/v1/contacts/${id}/export`, KEY.crm), 403, 'forbidden');
	err(await get(`/v1/contacts/${id}/export`, null), 401, 'unauthorized');
	err(await get(`/v1/contacts/c_${'Z'.repeat(24)}/export`, KEY.dsr), 404, 'not_found');
	assert.match(err(await get(`/v1/contacts/${id}/export?lang=xx`, KEY.dsr), 422, 'invalid').message, /lang/);
	const x = ok(await get(`/v1/contacts/${id}/export`, KEY.dsr));
	checkExportShape(x);
	// controller
	assert.equal(x.controller.name, 'Exempel AB');
	assert.equal(x.controller.contact, 'dpo@example.com');
	assert.equal(x.controller.address, 'Exempelgatan 1, 111 22 Stockholm, Sweden');
	assert.equal(x.controller.privacy_policy_url, 'https://www.example.com/privacy');
	// contact
	assert.equal(x.contact.id, id);
	assert.match(x.contact.created_at, RFC3339);
	assert.match(x.contact.updated_at, RFC3339);
	assert.deepEqual(x.contact.fields, { email, first_name: 'Exportina' }, 'the fields held now (offers withdrawn: its fields are gone)');
	// consents, each with its whole history
	const byP = Object.fromEntries(x.consents.map((c) => [c.purpose, c]));
	assert.deepEqual(Object.keys(byP).sort(), ['newsletter', 'offers'], `one entry per purpose with events: ${JSON.stringify(x.consents)}`);
	const api_hist = ok(await get(`/v1/contacts/${id}/consents`)).history;
	const nl = byP.newsletter;
	assert.equal(nl.status, 'given');
	assert.match(nl.valid_until, RFC3339);
	assert.equal(nl.history.length, 1);
	const h = nl.history[0];
	assert.equal(h.id, g.id);
	assert.equal(h.seq, g.seq);
	assert.equal(h.action, 'give');
	assert.match(h.occurred_at, RFC3339);
	assert.match(h.recorded_at, RFC3339);
	assert.equal(h.method, 'api');
	assert.equal(h.source, 'api:crm');
	assert.equal(h.lang, 'sv');
	assert.equal(h.notice_version, ps.newsletter.notice.version);
	assert.equal(h.notice_text, ps.newsletter.notice.text.sv, 'the exact Swedish text shown');
	assert.equal(h.notice_sha256, sha256(ps.newsletter.notice.text.sv));
	assert.deepEqual(h.evidence, evidence, 'the evidence, opened');
	const of = byP.offers;
	assert.equal(of.status, 'withdrawn');
	assert.deepEqual(of.history.map((e) => e.action), ['give', 'withdraw'], 'the history in order');
	assert.ok(of.history[0].seq < of.history[1].seq);
	assert.equal(of.history[0].notice_text, ps.offers.notice.text.en);
	assert.equal(of.history[0].evidence.ip, '203.0.113.45');
	assert.equal(of.history[0].source, 'form:offers https://www.example.com/erbjudanden');
	const allIds = x.consents.flatMap((c) => c.history.map((e) => e.id)).sort();
	assert.deepEqual(allIds, api_hist.map((e) => e.id).sort(), 'every ledger event of the contact, and no other');
	for (const e of x.consents.flatMap((c) => c.history)) assert.match(e.id, EID);
	// purposes used, in English by default
	const xp = Object.fromEntries(x.purposes.map((p) => [p.id, p]));
	assert.deepEqual(Object.keys(xp).sort(), ['newsletter', 'offers'], 'the purposes the person has events for');
	for (const pid of ['newsletter', 'offers']) {
		const p = xp[pid];
		const want = ps[pid];
		assert.equal(p.legal_basis, want.legal_basis);
		assert.equal(p.kind, want.kind);
		assert.equal(p.validity, want.validity);
		assert.equal(p.retention, want.retention);
		assert.equal(p.retention, '30 days');
		assert.deepEqual(p.fields, want.fields);
		assert.equal(p.title, want.title.en);
		assert.equal(p.description, want.description.en);
	}
	// shared_with: active keys that can read contact data (read or dsr)
	const sw = Object.fromEntries(x.shared_with.map((s) => [s.name, s]));
	assert.deepEqual(Object.keys(sw).sort(), ['crm', 'privacy', 'reader'], `active keys with read or dsr, not the write-only nor the revoked one: ${JSON.stringify(x.shared_with)}`);
	assert.deepEqual(sw.crm, { name: 'crm', scopes: 'read,write', kind: 'api_key' });
	assert.deepEqual(sw.privacy, { name: 'privacy', scopes: 'dsr', kind: 'api_key' });
	assert.deepEqual(sw.reader, { name: 'reader', scopes: 'read', kind: 'api_key' });
	// rectifications: names only
	assert.equal(x.rectifications.length, 1, `one rectification: ${JSON.stringify(x.rectifications)}`);
	assert.deepEqual(x.rectifications[0].fields, ['last_name']);
	assert.equal(x.rectifications[0].actor, 'api:crm');
	assert.match(x.rectifications[0].at, RFC3339);
	const rs = JSON.stringify(x.rectifications);
	assert.ok(!rs.includes(newLast) && !rs.includes(old.last_name), 'no value, old or new, in rectifications');
	for (const v of [old.last_name, newLast, 'Exportbolaget']) assert.ok(!JSON.stringify(x).includes(v), `the deleted value ${v} is nowhere in the export`);
	Object.assign(ex, { email, id, x });
});

test('samtycke export EMAIL gives the same document; --lang sv gives the purposes in Swedish; an unknown address exits 1', T, async () => {
	assert.ok(ex.x, 'needs the test before');
	const ps = await purposes();
	const c = exportCli(ex.email);
	checkExportShape(c);
	const strip = (d) => ({ ...d, exported_at: undefined });
	assert.deepEqual(strip(c), strip(ex.x), 'the CLI export equals the API export');
	const v = exportCli(` ${ex.email.toUpperCase()}`);
	assert.deepEqual(strip(v), strip(ex.x), 'found by any variant of the address');
	const sv = exportCli(ex.email, {}, ['--lang', 'sv']);
	const xp = Object.fromEntries(sv.purposes.map((p) => [p.id, p]));
	assert.equal(xp.newsletter.title, ps.newsletter.title.sv);
	assert.equal(xp.offers.description, ps.offers.description.sv);
	assert.deepEqual(sv.consents, ex.x.consents, 'the consents (and the texts shown) do not depend on --lang');
	const en = exportCli(ex.email, {}, ['--lang', 'en']);
	assert.deepEqual(strip(en), strip(ex.x));
	const u = cli(['export', addr('okand.person')]);
	assert.equal(u.status, 1, `export of an unknown address exits 1: ${showCli(u)}`);
	const de = cli(['export', ex.email, '--lang', 'de']);
	assert.ok(de.status === 2 || de.status === 3, `--lang de is refused (as consent give --lang de): ${showCli(de)}`);
	assert.equal(de.out, '', 'and nothing is exported');
	assert.equal(cli(['export']).status, 2, 'export without an address is a usage error');
	const hl = cli(['export', '--help']);
	assert.equal(hl.status, 0);
	assert.match(hl.out, /usage: samtycke export/);
});

// ===================================================================================
// 7. withdrawal clean-up
// ===================================================================================

test('withdrawal clean-up: withdrawing offers deletes last_name and company, withdrawing newsletter first_name; the address stays', T, async () => {
	const email = addr('wilma.rensas');
	must(cli(['contact', 'add', email, '--field', 'first_name=Wilma', '--field', 'last_name=Rensadottir', '--field', 'company=Städbolaget AB']));
	const id = contactOf(email).id;
	ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'offers', action: 'give' } }), 201);
	must(cli(['consent', 'give', email, 'newsletter', '--method', 'form', '--source', 'f']));
	const names = () => sqlite(DB, `SELECT name FROM contact_fields WHERE contact_id = '${id}' ORDER BY name`).split('\n').filter(Boolean);
	assert.deepEqual(contactOf(email).fields, { email, first_name: 'Wilma', last_name: 'Rensadottir', company: 'Städbolaget AB' });
	// withdrawn by the API
	ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'offers', action: 'withdraw' } }), 201);
	assert.deepEqual(contactOf(email).fields, { email, first_name: 'Wilma' }, 'company and last_name went at once; newsletter still needs first_name');
	assert.deepEqual(names(), ['email', 'first_name'], 'the rows are gone from contact_fields');
	assert.deepEqual(ok(await get(`/v1/contacts/${id}`)).fields, { email, first_name: 'Wilma' });
	// withdrawn by the CLI
	must(cli(['consent', 'withdraw', email, 'newsletter', '--method', 'mail_link', '--source', 'm']));
	assert.deepEqual(contactOf(email).fields, { email }, 'first_name went too; the address stays while the contact exists');
	assert.deepEqual(names(), ['email']);
	assert.equal(ok(await get(`/v1/contacts?email=${q(email)}`)).id, id, 'still found by its address');
	assert.deepEqual(gate(email, 'newsletter'), { allowed: false, reason: 'withdrawn' });
	must(cli(['ledger', 'replay', '--check']));
});

test('withdrawal clean-up: a refusal deletes what only that purpose needed, a purpose still given keeps its fields', T, async () => {
	const email = addr('rut.vagrar');
	must(cli(['contact', 'add', email, '--field', 'first_name=Rut', '--field', 'company=Nejtack AB', '--field', 'phone=+46701112233', '--field', 'last_name=Vägrarsson']));
	must(cli(['consent', 'give', email, 'lead_scoring', '--method', 'form', '--source', 'f']));
	must(cli(['consent', 'give', email, 'sales_followup', '--method', 'form', '--source', 'f']));
	must(cli(['consent', 'refuse', email, 'sales_followup', '--method', 'form', '--source', 'f']));
	assert.deepEqual(contactOf(email).fields, { email, company: 'Nejtack AB' }, 'lead_scoring (email, company) still holds company; phone and names went');
});

// ===================================================================================
// 8. rectification audit
// ===================================================================================

test('rectification: contact edit and PATCH each record time, actor (cli, api:KEYNAME) and field names, never a value', T, async () => {
	const email = addr('rakel.rattad');
	const vals = { first_name: 'Rakel', last_name: 'Felstavadsson', company: 'Gammalt Namn AB' };
	const id = ok(await api('POST', '/v1/contacts', { key: KEY.crm, body: { email, fields: vals } }), 201).id;
	must(cli(['consent', 'give', email, 'offers', '--method', 'form', '--source', 'f']));
	const mark = (await snapshot()).next;
	must(cli(['contact', 'edit', email, '--field', 'last_name=Rättstavadsson']));
	ok(await api('PATCH', `/v1/contacts/${id}`, { key: KEY.crm, body: { fields: { company: 'Nytt Namn AB', first_name: 'Rakelina' } } }));
	const x = ok(await get(`/v1/contacts/${id}/export`, KEY.dsr));
	const r = x.rectifications;
	assert.equal(r.length, 2, `two rectifications: ${JSON.stringify(r)}`);
	assert.equal(r[0].actor, 'cli');
	assert.deepEqual(r[0].fields, ['last_name']);
	assert.equal(r[1].actor, 'api:crm');
	assert.deepEqual([...r[1].fields].sort(), ['company', 'first_name']);
	for (const e of r) {
		assert.match(e.at, RFC3339);
		assert.deepEqual(Object.keys(e).sort(), ['actor', 'at', 'fields'], `an entry holds time, actor and field names only: ${JSON.stringify(e)}`);
	}
	assert.ok(r[0].at <= r[1].at, 'in order of time');
	const rs = JSON.stringify(r);
	for (const v of ['Rakel', 'Felstavadsson', 'Rättstavadsson', 'Gammalt', 'Nytt Namn', email]) assert.ok(!rs.includes(v), `rectifications do not hold ${v}`);
	for (const v of ['Felstavadsson', 'Gammalt Namn']) assert.ok(!JSON.stringify(x).includes(v), `the old value ${v} is nowhere in the export`);
	assert.deepEqual(x.contact.fields, { email, first_name: 'Rakelina', last_name: 'Rättstavadsson', company: 'Nytt Namn AB' });
	const { changes } = await allChanges(mark);
	const cc = changes.filter((c) => c.contact_id === id && c.type === 'contact');
	assert.equal(cc.length, 2, `each change is in the feed as a contact change: ${JSON.stringify(changes)}`);
	// the entries go with the contact
	must(cli(['forget', email]));
	assert.equal(contactOf(email), null);
});

// ===================================================================================
// 5. retention and purge, with the clock moved by SAMTYCKE_NOW
// ===================================================================================

const DAY = 86400e3;

test('purge: --dry-run --json lists each contact under its reason, purge deletes exactly that set, withdrawals become opted_out', T, async () => {
	// the example policy with retention limits and event invitations by double opt-in
	const text = policyText((s) => {
		const a = s.replace(/^retention:\n(?:(?:  .*|\s*)\n)*/m, '').replace(/^purposes:$/m, 'retention:\n  no_basis: 30 days\n  inactive: 24 months\n\npurposes:');
		const b = a.replace(/(  event_invitations:\n(?:    .*\n)*?    double_opt_in: )false/, '$1true');
		assert.notEqual(a, s, 'the retention block went in');
		assert.notEqual(b, a, 'event_invitations got double_opt_in');
		return b;
	});
	const { db } = newDb('purge', text);
	const T0 = Math.floor(Date.now() / 1000) * 1000;
	const TP = T0 + 60 * DAY;
	const at = (t) => ({ db, now: t });
	const a = (n) => `purge-${n}@example.com`;
	const give = (e, p, t, extra = []) => must(cli(['consent', 'give', e, p, '--method', 'form', '--source', 'f', ...extra], at(t)));
	// never consented: added 60 days before the purge (listed) and 2 days before (not yet)
	must(cli(['contact', 'add', a('nc-old'), '--field', 'first_name=Nils'], at(T0)));
	must(cli(['contact', 'add', a('nc-new'), '--field', 'first_name=Nora'], at(TP - 2 * DAY)));
	// withdrawn 59 days before the purge (retention 30 days: listed) and 5 days before (not yet)
	give(a('wd-old'), 'offers', T0);
	must(cli(['consent', 'withdraw', a('wd-old'), 'offers', '--method', 'mail_link', '--source', 'm'], at(T0 + DAY)));
	give(a('wd-new'), 'offers', T0);
	must(cli(['consent', 'withdraw', a('wd-new'), 'offers', '--method', 'mail_link', '--source', 'm'], at(TP - 5 * DAY)));
	// expired: given three years ago (24 months' validity ran out a year ago)
	must(cli(['consent', 'give', a('exp'), 'newsletter', '--method', 'import', '--source', 'old.csv', '--at', iso(T0 - 3 * 365 * DAY)], at(T0)));
	// unverified: imported without a date
	must(cli(['consent', 'give', a('unv'), 'offers', '--method', 'import', '--source', 'crm.csv'], at(T0)));
	// pending double opt-in: 60 days old (listed) and 1 day old (not yet)
	give(a('pend-old'), 'event_invitations', T0);
	give(a('pend-new'), 'event_invitations', TP - DAY);
	// inactive: a refusal three years ago and nothing since
	must(cli(['contact', 'add', a('inact')], at(T0 - 3 * 365 * DAY)));
	must(cli(['consent', 'refuse', a('inact'), 'offers', '--method', 'form', '--source', 'f'], at(T0 - 3 * 365 * DAY)));
	// live: newsletter given; and one with newsletter given and offers withdrawn long ago
	give(a('live'), 'newsletter', T0);
	give(a('live-mixed'), 'newsletter', T0);
	give(a('live-mixed'), 'offers', T0);
	must(cli(['consent', 'withdraw', a('live-mixed'), 'offers', '--method', 'mail_link', '--source', 'm'], at(T0 + DAY)));
	// the states the scenario relies on
	assert.equal(gate(a('exp'), 'newsletter', at(TP)).reason, 'expired');
	assert.equal(gate(a('unv'), 'offers', at(TP)).reason, 'unverified');
	assert.equal(gate(a('pend-old'), 'event_invitations', at(TP)).reason, 'pending_confirmation');
	assert.equal(gate(a('live'), 'newsletter', at(TP)).reason, 'consent');
	const names = ['nc-old', 'nc-new', 'wd-old', 'wd-new', 'exp', 'unv', 'pend-old', 'pend-new', 'inact', 'live', 'live-mixed'];
	const ids = Object.fromEntries(names.map((n) => [n, contactOf(a(n), { db }).id]));
	const nameOf = Object.fromEntries(Object.entries(ids).map(([n, i]) => [i, n]));
	const named = (c) => Object.fromEntries(Object.entries(c).map(([r, l]) => [r, l.map((i) => nameOf[i] ?? i).sort()]));
	const total0 = sqlCount(db, 'SELECT count(*) FROM contacts');

	// the dry run
	const dr = must(cli(['purge', '--dry-run', '--json'], at(TP)));
	assert.ok(dr.json, `purge --dry-run --json prints JSON: ${showCli(dr)}`);
	const d = dr.json;
	assert.equal(d.dry_run, true);
	assert.deepEqual(Object.keys(d.contacts).sort(), [...REASONS].sort(), `one list per reason: ${dr.out}`);
	const got = named(d.contacts);
	// (the refusal ended no basis, as there was none: not withdrawn but inactive)
	const want = { never_consented: ['nc-old'], withdrawn: ['wd-old'], expired: ['exp'], pending: ['pend-old'], unverified: ['unv'], inactive: ['inact'] };
	assert.deepEqual(got, want, `each contact under its reason, none that may stay (dry run: ${dr.out})`);
	assert.equal(d.total, 6);
	assert.equal(sqlCount(db, 'SELECT count(*) FROM contacts'), total0, 'the dry run deletes nothing');
	const longer = must(cli(['purge', '--dry-run', '--json', '--pending-days', '90'], at(TP))).json;
	assert.deepEqual(longer.contacts.pending, [], `--pending-days 90: a double opt-in pending for 60 days is not due yet: ${JSON.stringify(longer)}`);
	assert.equal(longer.total, 5);
	const human = must(cli(['purge', '--dry-run'], at(TP)));
	for (const r of ['never_consented', 'withdrawn', 'expired', 'pending', 'unverified']) assert.ok(human.out.includes(r), `the dry run names ${r}: ${human.out}`);

	// the purge
	const pr = must(cli(['purge', '--json'], at(TP)));
	assert.ok(pr.json, showCli(pr));
	assert.equal(pr.json.dry_run, false);
	assert.deepEqual(named(pr.json.contacts), got, 'the purge deleted exactly the dry-run set');
	assert.equal(pr.json.total, d.total);
	for (const n of Object.values(got).flat()) assert.equal(contactOf(a(n), { db }), null, `${n} is gone`);
	for (const n of ['nc-new', 'wd-new', 'pend-new', 'live', 'live-mixed']) assert.ok(contactOf(a(n), { db }), `${n} stays`);
	assert.equal(sqlCount(db, 'SELECT count(*) FROM contacts'), total0 - 6);
	for (const t of ['contact_fields', 'contact_keys', 'consent_state']) assert.equal(sqlCount(db, `SELECT count(*) FROM ${t} WHERE contact_id NOT IN (SELECT id FROM contacts)`), 0, `no ${t} row of a purged contact`);
	assert.deepEqual(gate(a('live'), 'newsletter', at(TP)), { allowed: true, reason: 'consent' }, 'the live contact stays allowed');
	assert.deepEqual(gate(a('live-mixed'), 'newsletter', at(TP)), { allowed: true, reason: 'consent' });
	// a withdrawal is an opt-out: its address stays suppressed; the others may come back
	assert.deepEqual(gate(a('wd-old'), 'offers', at(TP)), { allowed: false, reason: 'suppressed' }, 'the purged withdrawal is suppressed');
	assert.equal(cli(['consent', 'give', a('wd-old'), 'offers', '--method', 'form', '--source', 'f'], at(TP)).status, 3, 'and cannot be given consent again by the CLI');
	assert.equal(sqlite(db, "SELECT reason || ':' || count(*) FROM suppressions GROUP BY reason"), 'opted_out:1', 'the withdrawal kept as opted_out, nothing else suppressed');
	for (const n of ['nc-old', 'exp', 'unv', 'pend-old']) {
		const g = gate(a(n), 'newsletter', at(TP));
		assert.deepEqual(g, { allowed: false, reason: 'no_consent' }, `${n} is gone and not suppressed`);
	}
	must(cli(['contact', 'add', a('nc-old')], at(TP)));
	must(cli(['consent', 'give', a('exp'), 'newsletter', '--method', 'form', '--source', 'f'], at(TP)));
	// the ledger stays whole; nothing more is due
	must(cli(['audit', 'verify'], at(TP)));
	must(cli(['ledger', 'replay', '--check'], at(TP)));
	const after = must(cli(['purge', '--dry-run', '--json'], at(TP)));
	assert.equal(after.json.total, 0, `nothing left to purge: ${after.out}`);
	const hp = cli(['purge', '--help']);
	assert.equal(hp.status, 0);
	assert.match(hp.out, /usage: samtycke purge/);
});

// ===================================================================================
// 6. a purge killed midway leaves every contact whole or gone
// ===================================================================================

test('purge killed with SIGKILL midway leaves every contact whole or gone; a second purge finishes the rest', { timeout: 180_000 }, async (t) => {
	const { db } = newDb('kill');
	const key = newKey(db, 'loader', 'read,write');
	const srv = await startServer('loader', db, ['--threads', '4']);
	const N = 3000;
	const LIVE = 5;
	const old = iso(Date.now() - 3 * 365 * DAY);
	const t0 = Date.now();
	try {
		const jobs = [];
		for (let i = 0; i < N / 2; i++) jobs.push(['POST', '/v1/contacts', { email: `kill-nc-${i}@purge.example`, fields: { first_name: `Kalle${i}`, company: `Bolag ${i} AB` } }]);
		for (let i = 0; i < N / 2; i++) jobs.push(['POST', '/v1/consents', { email: `kill-exp-${i}@purge.example`, purpose: 'offers', action: 'give', occurred_at: old, evidence: { ip: '192.0.2.1' } }]);
		for (let i = 0; i < LIVE; i++) jobs.push(['POST', '/v1/consents', { email: `kill-live-${i}@purge.example`, purpose: 'newsletter', action: 'give' }]);
		let next = 0;
		const failures = [];
		const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
		const one = ([method, p, body]) =>
			new Promise((resolve, reject) => {
				const u = new URL(srv.url + p);
				const data = JSON.stringify(body);
				const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method, agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } });
				req.on('response', (res) => {
					const parts = [];
					res.on('data', (c) => parts.push(c));
					res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(parts).toString() }));
				});
				req.on('error', reject);
				req.end(data);
			});
		await Promise.all(
			Array.from({ length: 16 }, async () => {
				while (next < jobs.length) {
					const j = jobs[next++];
					const r = await one(j);
					if (r.status !== 201 && failures.length < 5) failures.push(`${j[1]} ${r.status} ${r.text}`);
				}
			}),
		);
		agent.destroy();
		assert.deepEqual(failures, [], 'every load request was accepted');
	} finally {
		await srv.stop();
	}
	const loadMs = Date.now() - t0;
	assert.equal(sqlCount(db, 'SELECT count(*) FROM contacts'), N + LIVE, `the load made ${N + LIVE} contacts (in ${loadMs} ms)`);
	const TP = Date.now() + 40 * DAY;
	const env = { ...process.env, SAMTYCKE_NOW: iso(TP) };
	delete env.SAMTYCKE_DB;
	const dry = must(cli(['purge', '--dry-run', '--json'], { db, now: TP })).json;
	assert.equal(dry.total, N, `all ${N} are due: ${JSON.stringify({ ...dry, contacts: Object.fromEntries(Object.entries(dry.contacts).map(([k, v]) => [k, v.length])) })}`);
	assert.equal(dry.contacts.never_consented.length, N / 2);
	assert.equal(dry.contacts.expired.length, N / 2);

	// whole or gone: the checks after each kill
	const q1 = (sql) => sqlite(db, sql);
	const wholeOrGone = (when) => {
		if (!ON_PG) { // SQLite's own checks of its file; PostgreSQL enforces its keys itself
			assert.equal(q1('PRAGMA integrity_check'), 'ok', `${when}: integrity_check`);
			assert.equal(q1('PRAGMA foreign_key_check'), '', `${when}: no dangling reference`);
		}
		assert.equal(q1('SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM contact_keys k WHERE k.contact_id = c.id)'), '0', `${when}: every contact left has its data key`);
		assert.equal(q1("SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM contact_fields f WHERE f.contact_id = c.id AND f.name = 'email')"), '0', `${when}: every contact left has its address`);
		assert.equal(q1('SELECT count(*) FROM contacts c WHERE c.id IN (SELECT contact_id FROM consent_ledger) AND NOT EXISTS (SELECT 1 FROM consent_state s WHERE s.contact_id = c.id)'), '0', `${when}: every contact left with consent events has its consent state`);
		assert.equal(q1("SELECT count(*) FROM contacts c WHERE c.id NOT IN (SELECT contact_id FROM consent_ledger) AND (SELECT count(*) FROM contact_fields f WHERE f.contact_id = c.id AND f.name IN ('first_name', 'company')) <> 2"), '0', `${when}: every never-consented contact left has all its fields`);
		// every table with a contact_id column but the ledger and the change feed (which keep
		// ids by design) holds only rows of contacts that exist
		const tables = q1(ON_PG
			? "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'contact_id'"
			: "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) i WHERE m.type = 'table' AND i.name = 'contact_id'").split('\n').filter(Boolean);
		for (const tb of ['contact_fields', 'contact_keys', 'consent_state']) assert.ok(tables.includes(tb), `${tb} has contact_id`);
		for (const tb of tables.filter((x) => !['consent_ledger', 'changes'].includes(x))) assert.equal(q1(`SELECT count(*) FROM "${tb}" WHERE contact_id NOT IN (SELECT id FROM contacts)`), '0', `${when}: no ${tb} row of a contact that is gone`);
		must(cli(['audit', 'verify'], { db, now: TP }));
		must(cli(['ledger', 'replay', '--check'], { db, now: TP }));
	};

	// the purge, killed with SIGKILL three times: after a few, some hundred and a thousand more
	// contacts are gone
	let remaining = N + LIVE;
	for (const step of [25, 300, 1000]) {
		const p = spawn(SAMTYCKE, [...dbArgs(db), 'purge'], { stdio: ['ignore', 'pipe', 'pipe'], env });
		children.add(p);
		let pout = '';
		p.stdout.on('data', (c) => (pout += c));
		p.stderr.on('data', (c) => (pout += c));
		const exited = new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));
		const start = Date.now();
		let killedAt = null;
		while (p.exitCode === null && p.signalCode === null && Date.now() - start < 60_000) {
			let n = Infinity;
			try {
				n = Number(dbsql(db, 'SELECT count(*) FROM contacts').trim());
			} catch {
				// busy: ask again
			}
			if (n <= remaining - step) {
				p.kill('SIGKILL');
				killedAt = n;
				break;
			}
			await sleep(2);
		}
		const ex = await exited;
		assert.ok(killedAt !== null, `the purge was killed midway (it ended first: ${JSON.stringify(ex)} after ${Date.now() - start} ms: ${pout.slice(0, 500)})`);
		assert.equal(ex.signal, 'SIGKILL');
		const left = sqlCount(db, 'SELECT count(*) FROM contacts');
		t.diagnostic(`kill after ${step}: killed after ${Date.now() - start} ms with ${killedAt} seen, ${left} left`);
		assert.ok(left > LIVE && left < remaining, `killed midway: ${left} of ${remaining} contacts left`);
		remaining = left;
		wholeOrGone(`after the kill at ${step}`);
	}
	t.diagnostic(`loaded ${N + LIVE} contacts in ${loadMs} ms`);

	// the rest
	const dry2 = must(cli(['purge', '--dry-run', '--json'], { db, now: TP })).json;
	assert.equal(dry2.total, remaining - LIVE, 'the dry run lists exactly the contacts the killed purge left');
	const second = must(cli(['purge', '--json'], { db, now: TP })).json;
	assert.equal(second.total, remaining - LIVE, 'the second purge completes the rest');
	assert.equal(must(cli(['purge', '--dry-run', '--json'], { db, now: TP })).json.total, 0, 'then nothing is due');
	assert.equal(sqlCount(db, 'SELECT count(*) FROM contacts'), LIVE, 'only the live contacts are left');
	for (let i = 0; i < LIVE; i++) assert.deepEqual(gate(`kill-live-${i}@purge.example`, 'newsletter', { db, now: TP }), { allowed: true, reason: 'consent' });
	wholeOrGone('after the second purge');
});

// ===================================================================================
// 4. erasure while another program reads; URLs in sources; a broken ledger at start
// ===================================================================================

// holdReader(DB): another process (Python's sqlite3, or psql on PostgreSQL) that opens DB
// and keeps a read transaction open until release() is called. On PostgreSQL it is a
// REPEATABLE READ transaction that has read: its snapshot keeps deleted rows in the pages.
async function holdReader(db) {
	if (ON_PG) return holdReaderPg(db);
	const code = [
		'import sqlite3, sys',
		'c = sqlite3.connect(sys.argv[1], isolation_level=None)',
		'c.execute("BEGIN")',
		'c.execute("SELECT count(*) FROM contacts").fetchall()',
		'print("held", flush=True)',
		'sys.stdin.readline()',
		'c.execute("COMMIT")',
		'c.close()',
		'print("released", flush=True)',
	].join('\n');
	const p = spawn(PY, ['-c', code, db], { stdio: ['pipe', 'pipe', 'pipe'] });
	children.add(p);
	let out = '';
	let errText = '';
	p.stdout.on('data', (c) => (out += c));
	p.stderr.on('data', (c) => (errText += c));
	const exited = new Promise((resolve) => p.on('exit', (code) => resolve(code)));
	const end = Date.now() + 10_000;
	while (!out.includes('held')) {
		assert.ok(Date.now() < end && p.exitCode === null, `the reader holds a read transaction: ${errText}`);
		await sleep(20);
	}
	return {
		async release() {
			p.stdin.write('\n');
			assert.equal(await exited, 0, `the reader ended cleanly: ${errText}`);
			assert.ok(out.includes('released'));
		},
	};
}
async function holdReaderPg(db) {
	const flag = path.join(TMP, `reader-held-${process.pid}-${Date.now()}`);
	const p = spawn(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db], { stdio: ['pipe', 'pipe', 'pipe'] });
	children.add(p);
	let errText = '';
	p.stderr.on('data', (c) => (errText += c));
	p.stdout.on('data', () => {});
	const exited = new Promise((resolve) => p.on('exit', (code) => resolve(code)));
	p.stdin.write(`BEGIN ISOLATION LEVEL REPEATABLE READ;\nSELECT count(*) FROM contacts;\n\\! touch '${flag}'\n`);
	const end = Date.now() + 10_000;
	while (!existsSync(flag)) {
		assert.ok(Date.now() < end && p.exitCode === null, `the reader holds a read transaction: ${errText}`);
		await sleep(20);
	}
	return {
		async release() {
			p.stdin.end('COMMIT;\n');
			assert.equal(await exited, 0, `the reader ended cleanly: ${errText}`);
		},
	};
}
// until(FN, MS): polls FN (true when done) every 100 ms for at most MS.
async function until(fn, ms, what) {
	const end = Date.now() + ms;
	for (;;) {
		if (fn()) return;
		assert.ok(Date.now() < end, `${what} within ${ms} ms`);
		await sleep(100);
	}
}
const scanHits = (dir, values) => scanDir(dir, values).hits.map((h) => `${h.file}: ${h.value} as ${h.encoding}`);

test('DELETE /v1/contacts/{id} while another program holds a read transaction: the receipt at once, the scrub pending in audit verify, complete once the reader goes', T, async (t) => {
	const c = { email: 'zq-held-5c2a@canary.example', first_name: 'Wilhelmina', last_name: 'Kvarnströmsson' };
	const { db, dir } = newDb('held');
	const crm = newKey(db, 'held-crm', 'read,write');
	const dsr = newKey(db, 'held-dsr', 'dsr');
	const srv = await startServer('held', db, ['--pending-days', '0']);
	let reader = null;
	try {
		const B = srv.url;
		const id = ok(await api('POST', '/v1/contacts', { key: crm, body: { email: c.email, fields: { first_name: c.first_name, last_name: c.last_name } }, base: B }), 201).id;
		ok(await api('POST', '/v1/consents', { key: crm, body: { contact_id: id, purpose: 'newsletter', action: 'give', evidence: { ip: '198.51.100.31' } }, base: B }), 201);
		const sealed = sealedOf(db, id);
		const values = [c.email, c.first_name, c.last_name, ...sealed];
		reader = await holdReader(db);
		const t0 = Date.now();
		const r = await api('DELETE', `/v1/contacts/${id}`, { key: dsr, base: B });
		const took = Date.now() - t0;
		const rc = ok(r);
		t.diagnostic(`DELETE answered in ${took} ms while the reader held the database`);
		assert.ok(took < 2500, `the receipt comes at once (${took} ms), not after a busy timeout`);
		assert.equal(rc.contact_id, id);
		assert.equal(rc.suppressed, true);
		assert.equal(rc.scrub_pending, true, `the receipt says the scrub waits: ${JSON.stringify(rc)}`);
		// the erasure is committed: the contact is gone for everyone
		err(await get(`/v1/contacts/${id}`, crm, B), 404, 'not_found');
		assert.equal(gate(c.email, 'newsletter', { db }).reason, 'erased');
		// positive control: the files still hold the wrapped data key while the reader stays
		// (the WAL, or the database file when the server's checkpointer copied it there
		// before the reader came: the erasure's zeroed pages cannot be copied past it)
		// (on PostgreSQL the deleted rows stay in the pages, which test_rights reads with
		// pageinspect; the dump of the live rows cannot see them: the pending scrub is the sign)
		if (!ON_PG) assert.ok(scanHits(dir, sealed).some((h) => h.startsWith('t.db')), 'while the reader holds it, the database files still have the sealed data (the scan can see it)');
		const v = must(cli(['--json', 'audit', 'verify'], { db }));
		assert.equal(v.json.ok, true);
		assert.ok(v.json.scrub_pending && RFC3339.test(v.json.scrub_pending.since), `audit verify --json reports the pending scrub: ${v.out}`);
		const vt = must(cli(['audit', 'verify'], { db }));
		assert.match(vt.out, /erasure scrub pending since \d{4}-/, `audit verify says so: ${vt.out}`);
		const va = ok(await get('/v1/audit/verify', crm, B));
		assert.ok(va.scrub_pending && RFC3339.test(va.scrub_pending.since), `GET /v1/audit/verify reports it too: ${JSON.stringify(va)}`);
		// the reader goes: the server's retry completes the scrub by itself (within seconds)
		await reader.release();
		reader = null;
		if (ON_PG) await until(() => sqlCount(db, "SELECT count(*) FROM meta WHERE key = 'scrub_pending' AND value <> ''") === 0, 10_000, 'the server completes the scrub (VACUUM) once the reader is gone');
		else await until(() => scanHits(dir, values).length === 0, 10_000, 'the server scrubs the WAL once the reader is gone');
		noTrace(dir, values);
		const after = must(cli(['--json', 'audit', 'verify'], { db }));
		assert.equal(after.json.scrub_pending, null, `no scrub pending any more: ${after.out}`);
		assert.equal(ok(await get('/v1/audit/verify', crm, B)).scrub_pending, null);
		assert.doesNotMatch(must(cli(['audit', 'verify'], { db })).out, /scrub pending/);
	} finally {
		if (reader) await reader.release().catch(() => {});
		await srv.stop();
	}
	noTrace(dir, [c.email, c.first_name, c.last_name]);
});

test('samtycke forget while another program reads: committed and answered, the scrub left recorded, completed by audit verify once the reader goes', T, async () => {
	const c = { email: 'zq-heldcli-9d01@canary.example', first_name: 'Hjördis', last_name: 'Pettersdotter' };
	const { db, dir } = newDb('held-cli');
	must(cli(['contact', 'add', c.email, '--field', `first_name=${c.first_name}`, '--field', `last_name=${c.last_name}`], { db }));
	const sealed = sealedOf(db, contactOf(c.email, { db }).id);
	const reader = await holdReader(db);
	let released = false;
	try {
		const r = must(cli(['forget', c.email, '--json'], { db }));
		assert.equal(r.json.suppressed, true);
		assert.equal(r.json.scrub_pending, true, `the receipt says the scrub waits: ${showCli(r)}`);
		assert.match(r.err, /not scrubbed yet/, `forget says so on stderr: ${r.err}`);
		assert.equal(contactOf(c.email, { db }), null, 'the contact is gone');
		assert.ok(must(cli(['--json', 'audit', 'verify'], { db })).json.scrub_pending, 'audit verify reports it while the reader stays');
		await reader.release();
		released = true;
		const v = must(cli(['--json', 'audit', 'verify'], { db }));
		assert.equal(v.json.scrub_pending, null, `audit verify completes the scrub once the reader is gone: ${v.out}`);
	} finally {
		if (!released) await reader.release().catch(() => {});
	}
	noTrace(dir, [c.email, c.first_name, c.last_name, ...sealed]);
});

test('a URL in a consent source keeps scheme, host and path: the query (an address) and the fragment are never stored or served', T, async () => {
	const email = addr('sigrid.source');
	const src = `landing https://user:pw@www.example.com/offer?email=${q(email)}&n=Sigrid#s=${email}`;
	const e = ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'offers', action: 'give', source: src } }), 201);
	assert.equal(sqlite(DB, `SELECT source FROM consent_ledger WHERE id = '${e.id}'`), 'landing https://www.example.com/offer', 'as stored');
	const hist = ok(await get(`/v1/contacts/${e.contact_id}/consents`, KEY.crm)).history;
	assert.deepEqual(hist.filter((h) => h.id === e.id).map((h) => h.source), ['landing https://www.example.com/offer'], `the history: ${JSON.stringify(hist)}`);
	const rec = ok(await get(`/v1/consents/${e.id}/receipt`));
	assert.equal(rec.collectionMethod, 'Recorded by a connected system via the API (source: landing https://www.example.com/offer)');
	must(cli(['consent', 'give', email, 'newsletter', '--method', 'cli', '--source', `https://www.example.com/nl?e=${email}`]));
	assert.equal(sqlite(DB, `SELECT source FROM consent_ledger WHERE contact_id = '${e.contact_id}' ORDER BY seq DESC LIMIT 1`), 'https://www.example.com/nl', 'the CLI too');
	// a plain label stays as it was given
	const l = ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'offers', action: 'give', source: 'crm import #42' } }), 201);
	assert.equal(sqlite(DB, `SELECT source FROM consent_ledger WHERE id = '${l.id}'`), 'crm import #42');
});

test('serve refuses to start on a broken ledger chain, names the first bad sequence number, and writes nothing', T, async () => {
	const { db } = newDb('broken');
	for (const p of ['newsletter', 'offers', 'event_invitations']) must(cli(['consent', 'give', 'brita.broken@example.com', p, '--method', 'cli', '--source', 'test'], { db }));
	must(cli(['audit', 'verify'], { db }));
	sqlite(db, "UPDATE consent_ledger SET source = 'altered' WHERE seq = 2");
	const before = sqlite(db, 'SELECT count(*), max(seq) FROM consent_ledger; SELECT count(*) FROM changes');
	const port = await freePort();
	const r = spawnSync(SAMTYCKE, [...dbArgs(db), 'serve', '--listen', `127.0.0.1:${port}`], { encoding: 'utf8', timeout: 15_000 });
	assert.equal(r.status, 3, `serve exits 3: ${r.status} ${r.signal} ${r.stderr}`);
	assert.doesNotMatch(r.stdout, /listening on/, 'it never listened');
	assert.match(r.stderr, /refuses to start/);
	assert.match(r.stderr, /sequence number 2\b/, `the first bad sequence number: ${r.stderr}`);
	assert.equal(sqlite(db, 'SELECT count(*), max(seq) FROM consent_ledger; SELECT count(*) FROM changes'), before, 'nothing was written');
	const v = cli(['--json', 'audit', 'verify'], { db });
	assert.equal(v.status, 1);
	assert.equal(v.json.first_bad_seq, 2);
	// repaired (here: the altered text put back), it starts
	sqlite(db, "UPDATE consent_ledger SET source = 'test' WHERE seq = 2");
	const srv = await startServer('broken-repaired', db);
	await srv.stop();
});

// ===================================================================================
// consent receipts (Kantara CR v1.1) that mean what they say (docs/rights.md, "Consent receipts")
// ===================================================================================

const KANTARA_SCHEMA = path.join(ROOT, 'docs', 'standards', 'kantara-consent-receipt-v1.1.schema.json');
// Kantara CR v1.1's appendix lists: purpose categories and PII categories.
const KANTARA_PURPOSE_CATEGORIES = ['Core Function', 'Contracted Service', 'Delivery', 'Contact Requested',
	'Personalized Experience', 'Marketing', 'Marketing Third Parties', 'Sharing for Delivery',
	'Sharing for Marketing', '3rd Party Sharing for Core Function', 'Legally Required Data Retention',
	'Required by Law Enforcement or Government', 'Protecting Your Health', 'Protecting Our Interests',
	'Improve Performance'];
const KANTARA_PII_CATEGORIES = ['Biographical', 'Contact', 'Biometric', 'Communications/Social',
	'Network/Service', 'Health', 'Financial', 'Official/Government Identifiers', 'Social Welfare',
	'Judicial', 'Property', 'Employee Personnel Information', 'Psychological', 'Membership',
	'Behavioral', 'Profiling', 'Criminal'];
let kantaraValidate;
function kantara() {
	if (!kantaraValidate) {
		const AjvDraft04 = createRequire(path.join(ROOT, 'package.json'))('ajv-draft-04');
		const Ajv = AjvDraft04.default || AjvDraft04;
		const ajv = new Ajv({ allErrors: true, strict: false });
		kantaraValidate = ajv.compile(JSON.parse(readFileSync(KANTARA_SCHEMA, 'utf8')));
		kantaraValidate.ajv = ajv;
	}
	return kantaraValidate;
}
// The receipt of ledger event id, from the API and from `samtycke consent receipt` (the same
// document), valid against the vendored schema and with the policy's controller and purpose.
async function receiptOf(id, { db = DB, base = BASE, key = KEY.reader, purpose } = {}) {
	const fromCli = must(cli(['consent', 'receipt', id], { db }));
	assert.ok(fromCli.json, `consent receipt prints JSON: ${showCli(fromCli)}`);
	const r = base ? ok(await get(`/v1/consents/${id}/receipt`, key, base)) : fromCli.json;
	assert.deepEqual(fromCli.json, r, 'the command line prints the API\'s receipt');
	const v = kantara();
	assert.ok(v(r), `not a valid Kantara CR v1.1: ${v.ajv.errorsText(v.errors)}\n${JSON.stringify(r, null, 1)}`);
	assert.equal(r.consentReceiptID, id);
	const [ctl] = r.piiControllers;
	assert.deepEqual(ctl.address, { streetAddress: 'Exempelgatan 1', postalCode: '111 22', addressLocality: 'Stockholm', addressCountry: 'Sweden' }, 'the address split as the policy splits it');
	assert.equal(r.services.length, 1);
	assert.equal(r.services[0].service, 'Exempel AB', 'the service is the controller\'s');
	assert.equal(r.services[0].purposes.length, 1);
	const p = r.services[0].purposes[0];
	if (purpose) assert.equal(p.purpose, purpose, 'the purpose is its title');
	for (const c of p.purposeCategory) assert.ok(KANTARA_PURPOSE_CATEGORIES.includes(c), `purposeCategory ${c} is Kantara's`);
	for (const c of p.piiCategory) assert.ok(KANTARA_PII_CATEGORIES.includes(c), `piiCategory ${c} is Kantara's`);
	assert.doesNotMatch(r.collectionMethod, /^(form|api|cli|import|mail_link|one_click|preference_centre)\b/, 'the method in words');
	return { r, p };
}
const epoch = (t) => Math.floor(Date.parse(t) / 1000);
const atOf = (t) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

test('consent receipts for give, refuse and withdraw (API and CLI) validate and say what happened: only a given consent is EXPLICIT and valid until', T, async () => {
	const email = addr('rut.receipt');
	const give = ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'newsletter', action: 'give', source: 'https://www.example.com/signup', lang: 'en' } }), 201);
	let { r, p } = await receiptOf(give.id, { purpose: 'Newsletter' });
	assert.equal(p.consentType, 'EXPLICIT');
	assert.match(p.termination, /^valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ or until withdrawn/);
	assert.ok(Math.abs(r.consentTimestamp - Date.now() / 1000) < 600, `consentTimestamp ${r.consentTimestamp} is now`);
	assert.deepEqual(p.purposeCategory, ['Marketing']);
	assert.deepEqual(p.piiCategory, ['Biographical', 'Contact'], 'email and first_name, as categories');
	assert.equal(r.collectionMethod, 'Recorded by a connected system via the API (source: https://www.example.com/signup)');

	const refuse = ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'lead_scoring', action: 'refuse', source: 'crm', lang: 'en' } }), 201);
	({ r, p } = await receiptOf(refuse.id, { purpose: 'Lead scoring' }));
	assert.equal(p.consentType, 'REFUSED');
	assert.equal(p.termination, `no consent: refused at ${atOf(r.consentTimestamp)}; nothing is processed on consent for this purpose`);
	assert.ok(p.piiCategory.includes('Profiling'), 'a profiling purpose records a score');

	const withdraw = ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'newsletter', action: 'withdraw', source: 'crm', lang: 'en' } }), 201);
	({ r, p } = await receiptOf(withdraw.id, { purpose: 'Newsletter' }));
	assert.equal(p.consentType, 'WITHDRAWN');
	assert.match(p.termination, /^ended: withdrawn at /);
	assert.doesNotMatch(p.termination, /valid until/);
	const hist = ok(await get(`/v1/contacts/${withdraw.contact_id}/consents`, KEY.crm)).history;
	assert.equal(r.consentTimestamp, epoch(hist.find((h) => h.id === withdraw.id).occurred_at), 'the time of the withdrawal');

	// a receipt in Swedish: the purpose's Swedish title
	const sv = ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'offers', action: 'give', source: 'crm', lang: 'sv' } }), 201);
	await receiptOf(sv.id, { purpose: 'Erbjudanden' });
	// an unknown event: 404 and exit 1 (not found)
	err(await get(`/v1/consents/e_${'a'.repeat(24)}/receipt`), 404, 'not_found');
	must(cli(['consent', 'receipt', `e_${'a'.repeat(24)}`]), 1);
});

test('a consent receipt for an unverified import has no invented consent time, and one for an expired pending consent says it ended', T, async () => {
	const email = addr('ulla.unverified');
	// imported without a time or a source: unverified, no time known
	const imp = must(cli(['--json', 'consent', 'give', email, 'newsletter', '--method', 'import', '--source', 'old-crm.csv']));
	let { r, p } = await receiptOf(imp.json.id, { purpose: 'Newsletter' });
	assert.equal(r.consentTimestamp, 0, 'no consent time is invented (not the time of the import)');
	assert.equal(p.consentType, 'UNVERIFIED');
	assert.match(p.termination, /^not in force: consent was claimed without evidence/);
	assert.equal(r.collectionMethod, 'Imported from another system (source: old-crm.csv)');

	// a pending (double opt-in) consent never confirmed expires: its receipt says it ended
	const { db } = newDb('receipts', policyText((s) => s.replace(/(newsletter:\n    kind: communication\n    legal_basis: consent\n    validity: 24 months\n    retention: 30 days\n    double_opt_in:) false/, '$1 true')));
	const e2 = 'ebba.expired@example.com';
	must(cli(['consent', 'give', e2, 'offers', '--method', 'cli', '--source', 'phone call'], { db }));
	const pend = must(cli(['--json', 'consent', 'give', e2, 'newsletter', '--method', 'form', '--source', 'https://www.example.com/nl'], { db }));
	assert.equal(pend.json.status, 'pending', showCli(pend));
	({ p } = await receiptOf(pend.json.id, { db, base: null, purpose: 'Newsletter' }));
	assert.equal(p.consentType, 'EXPLICIT');
	assert.match(p.termination, /^not in force until the person confirms it/);
	must(cli(['pending', 'expire', '--days', '7'], { db, now: Date.now() + 8 * 86400_000 }));
	const shown = must(cli(['--json', 'consent', 'show', e2], { db }));
	const exp = (shown.json.history || []).find((h) => h.action === 'expire');
	assert.ok(exp, `an expire event: ${shown.out.slice(0, 600)}`);
	({ r, p } = await receiptOf(exp.id, { db, base: null, purpose: 'Newsletter' }));
	assert.equal(p.consentType, 'EXPIRED');
	assert.equal(p.termination, `ended: expired at ${atOf(r.consentTimestamp)}; nothing is processed on this consent until it is given again`);
	assert.equal(r.consentTimestamp, epoch(exp.occurred_at));
});

test('the export carries the ISO/IEC TS 27560 record fields of each consent: language, validity, actor, jurisdiction, retention, withdrawal method', T, async () => {
	const email = addr('tove.ts27560');
	const g = ok(await api('POST', '/v1/consents', { key: KEY.crm, body: { email, purpose: 'newsletter', action: 'give', source: 'crm', lang: 'sv' } }), 201);
	const x = ok(await get(`/v1/contacts/${g.contact_id}/export`, KEY.dsr));
	const [c] = x.consents;
	assert.deepEqual(Object.keys(c), ['purpose', 'history', 'status', 'valid_until', 'language', 'validity', 'actor', 'jurisdiction', 'retention', 'withdrawal_method']);
	assert.equal(c.language, 'sv');
	assert.equal(c.validity, '24 months');
	assert.equal(c.retention, '30 days');
	assert.equal(c.jurisdiction, 'SE');
	assert.equal(c.actor, c.history[c.history.length - 1].actor || null, 'who recorded the event that set the state');
	assert.match(c.withdrawal_method, /at any time/);
	assert.match(c.withdrawal_method, /dpo@example\.com/);
	// the command line's export is the same document
	const fromCli = exportCli(email);
	assert.deepEqual(fromCli.consents[0], { ...c }, 'samtycke export prints the same consent record');
});
