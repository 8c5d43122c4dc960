// http.test.mjs: the HTTP API of the real server against docs/api.md. Run by http.sh, which
// starts two servers on one fresh database (BASE_URL without rate limiting, BASE_URL_LIMITED
// with --rate-limit 5 --timeout 2) and exports the API keys. Each top-level test is one
// user-visible behaviour and one TAP case. Only addresses at example domains are used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawConn } from './rawhttp.mjs';
import { wireCheck, schemaCheck, SPEC } from './spec.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.SK_SOURCE_ROOT || path.resolve(here, '..', '..');
const need = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set: run this file through tests/integration/http.sh`);
	return v;
};
const BASE = need('BASE_URL'); // Prism's validating proxy in front of the main server
const DIRECT = process.env.BASE_URL_DIRECT || BASE; // the main server itself
const LIMITED = need('BASE_URL_LIMITED');
const GUARDED = need('BASE_URL_GUARDED');
const LIMITED_TIMEOUT = Number(process.env.SK_LIMITED_TIMEOUT || 2);
const SAMTYCKE = need('SAMTYCKE');
const DB = need('SK_DB');
const KEY = {
	admin: need('KEY_ADMIN'),
	reader: need('KEY_READER'),
	writer: need('KEY_WRITER'),
	crm: need('KEY_CRM'),
	ma: need('KEY_MA'),
	revoked: need('KEY_REVOKED'),
	limited: need('KEY_LIMITED'),
};
const T = { timeout: 30_000 };

const require = createRequire(path.join(ROOT, 'package.json'));
const AjvDraft04 = require('ajv-draft-04');
const Ajv = AjvDraft04.default || AjvDraft04;
const KANTARA = path.join(ROOT, 'docs', 'standards', 'kantara-consent-receipt-v1.1.schema.json');

// ---- bookkeeping for http.sh: requests per server (one access log line each: every request
// whose headers arrived, answered or not) and the addresses used ----
const answered = { main: 0, limited: 0, guarded: 0 };
const serverOf = (base) => (base === LIMITED ? 'limited' : base === GUARDED ? 'guarded' : 'main');
// A JSON text Prism can carry: it answers a malformed body itself (or hangs on it), and sends
// on a re-encoded copy of the rest; so a body other than compact JSON goes straight to the
// server, and its answer is checked by schema.
const wellFormed = (raw) => {
	try {
		return typeof raw === 'string' && JSON.stringify(JSON.parse(raw)) === raw;
	} catch {
		return false;
	}
};
// Every answer is held against docs/openapi.yaml: through the proxy by its marks, else by schema.
// And every answer says Cache-Control: no-store (docs/api.md).
function specCheck(method, p, via, r) {
	if (via === BASE && BASE !== DIRECT) wireCheck(method, p, r.status, r.headers);
	else schemaCheck(method, p, r.status, r.headers, r.text);
	assert.equal(r.headers.get('cache-control'), 'no-store', `Cache-Control of ${method} ${p} (${r.status})`);
}
const emails = new Set();
const addr = (local, domain = 'example.com') => {
	const a = `${local}@${domain}`;
	emails.add(a);
	return a;
};
process.on('exit', () => {
	const out = process.env.SK_TEST_REPORT;
	if (!out) return;
	writeFileSync(out, `main ${answered.main}\nlimited ${answered.limited}\nguarded ${answered.guarded}\n`);
	writeFileSync(`${out}.emails`, [...emails].join('\n') + '\n');
});

// ---- requests ----
function parse(text) {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

// api(METHOD, PATH, {key, body, raw, headers, base}): one request with fetch.
// Requests to the limited server (--timeout 2) go through node:http on a fresh connection
// each, so that no pooled connection can be one the server is just closing for idleness.
async function api(method, p, { key, body, raw, headers = {}, base = BASE } = {}) {
	if (base === LIMITED) return nodeReq(method, p, { key, body: raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined, headers, base });
	const h = { ...headers };
	if (key) h.authorization = `Bearer ${key}`;
	let payload;
	if (raw !== undefined) payload = raw;
	else if (body !== undefined) payload = JSON.stringify(body);
	if (payload !== undefined && !('content-type' in h)) h['content-type'] = 'application/json';
	const via = base === BASE && ((raw !== undefined && !wellFormed(raw)) || method === 'HEAD') ? DIRECT : base;
	const res = await fetch(via + p, { method, headers: h, body: payload });
	const text = await res.text();
	answered[serverOf(base)]++;
	const r = { status: res.status, headers: res.headers, text, json: parse(text) };
	specCheck(method, p, via, r);
	return r;
}

// nodeReq(METHOD, PATH, {key, body (string|Buffer|array of chunks), headers, base, agent}):
// one request with node:http, for big or chunked bodies and for keep-alive. Resolves with the
// response even when the server answers before the whole body is sent. Goes straight to the
// server (not through the proxy: these tests are about the server's connections), and the
// answer is checked against the spec by schema.
function nodeReq(method, p, { key, body, headers = {}, base = BASE, agent = false, chunked = false, localAddress } = {}) {
	return new Promise((resolve, reject) => {
		const u = new URL((base === BASE ? DIRECT : base) + p);
		const h = body !== undefined ? { 'content-type': 'application/json', ...headers } : { ...headers };
		if (key) h.authorization = `Bearer ${key}`;
		if (body !== undefined && !chunked) h['content-length'] = Buffer.byteLength(body);
		const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h, agent, localAddress });
		let done = false;
		req.on('response', (res) => {
			const parts = [];
			res.on('data', (c) => parts.push(c));
			res.on('end', () => {
				done = true;
				answered[serverOf(base)]++;
				const text = Buffer.concat(parts).toString('utf8');
				const hs = new Headers();
				for (const [k, v] of Object.entries(res.headers)) hs.set(k, Array.isArray(v) ? v.join(', ') : v);
				const r = { status: res.statusCode, headers: hs, text, json: parse(text), reused: req.reusedSocket, socket: res.socket };
				try {
					schemaCheck(method, p, r.status, hs, text);
				} catch (e) {
					reject(e);
					return;
				}
				resolve(r);
			});
			res.on('error', reject);
		});
		req.on('error', (e) => {
			if (!done) reject(e);
		});
		if (body === undefined) req.end();
		else if (chunked) {
			const b = Buffer.from(body);
			const step = 64 * 1024;
			(async () => {
				for (let i = 0; i < b.length && !done && !req.destroyed; i += step) {
					if (!req.write(b.subarray(i, i + step))) {
						await new Promise((r) => {
							const done2 = () => {
								req.off('drain', done2);
								req.off('close', done2);
								r();
							};
							req.on('drain', done2);
							req.on('close', done2);
						});
					}
				}
				req.end();
			})().catch(() => {});
		} else req.end(body);
	});
}

// ---- assertions ----
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const CID = /^c_[A-Za-z0-9]{24}$/;
const EID = /^e_[A-Za-z0-9]{24}$/;

function show(r) {
	return `${r.status} ${r.text.length > 600 ? r.text.slice(0, 600) + '...' : r.text}`;
}

function isJson(r) {
	const ct = r.headers.get('content-type');
	assert.match(ct || '', /^application\/json\b/, `content-type of ${show(r)}`);
}

function ok(r, status = 200) {
	assert.equal(r.status, status, `wanted ${status}, got ${show(r)}`);
	isJson(r);
	assert.ok(r.json && typeof r.json === 'object', `JSON body: ${show(r)}`);
	return r.json;
}

// err(r, STATUS, CODE, {names: [text the message must contain], not: [values it must not]}).
function err(r, status, code, { names = [], not = [] } = {}) {
	assert.equal(r.status, status, `wanted ${status} ${code}, got ${show(r)}`);
	isJson(r);
	assert.ok(r.json && typeof r.json === 'object', `JSON body: ${show(r)}`);
	assert.deepEqual(Object.keys(r.json), ['error'], `error envelope: ${show(r)}`);
	const e = r.json.error;
	assert.equal(e.code, code, `error code: ${show(r)}`);
	assert.equal(typeof e.message, 'string', `error message: ${show(r)}`);
	assert.ok(e.message.length > 0, 'error message is not empty');
	for (const n of names) assert.ok(e.message.toLowerCase().includes(n.toLowerCase()), `message ${JSON.stringify(e.message)} names ${n}`);
	for (const v of not) assert.ok(!e.message.toLowerCase().includes(v.toLowerCase()), `message ${JSON.stringify(e.message)} must not contain the value ${v}`);
	return e;
}

const get = (p, key = KEY.admin) => api('GET', p, { key });
const post = (p, body, key = KEY.admin, headers) => api('POST', p, { key, body, headers });

// The head of the change feed and the ledger size: what "nothing was written" compares.
async function snapshot() {
	let after = 0;
	for (;;) {
		const c = ok(await get(`/v1/changes?after=${after}&limit=1000`));
		if (c.changes.length === 0) {
			const a = ok(await get('/v1/audit/verify'));
			return { next: c.next, events: a.events, head: a.head };
		}
		after = c.next;
	}
}
async function unchanged(before, what) {
	assert.deepEqual(await snapshot(), before, `${what} wrote nothing (change feed head and ledger unchanged)`);
}

async function allChanges(key = KEY.admin) {
	const all = [];
	let after = 0;
	for (;;) {
		const c = ok(await get(`/v1/changes?after=${after}&limit=1000`, key));
		if (c.changes.length === 0) return { changes: all, next: c.next };
		all.push(...c.changes);
		after = c.next;
	}
}

async function contactByEmail(email) {
	return get(`/v1/contacts?email=${encodeURIComponent(email)}`);
}

async function consent(body, key = KEY.crm, headers = {}) {
	const { base = BASE, ...h } = headers;
	return api('POST', '/v1/consents', { key, body, headers: h, base });
}

async function history(cid) {
	return ok(await get(`/v1/contacts/${cid}/consents`));
}

function nest(depth) {
	// an object nested depth levels deep: nest(1) = {"a":1}
	let v = 1;
	for (let i = 0; i < depth; i++) v = { a: v };
	return v;
}

let purposes; // GET /v1/purposes, filled by the first test that needs it
async function purposeList() {
	if (!purposes) purposes = ok(await get('/v1/purposes', KEY.reader)).purposes;
	return purposes;
}

function sha256(text) {
	return createHash('sha256').update(text, 'utf8').digest('hex');
}

// ===================================================================================
// health and reference data
// ===================================================================================

test('GET /healthz answers 200 {"status":"ok"} without a key', T, async () => {
	const r = await api('GET', '/healthz');
	assert.deepEqual(ok(r), { status: 'ok' });
});

test('GET /v1/purposes lists every purpose of the policy with its notice', T, async () => {
	const list = await purposeList();
	assert.ok(Array.isArray(list));
	assert.deepEqual(list.map((p) => p.id).sort(),
		['event_invitations', 'ip_tracking', 'lead_scoring', 'newsletter', 'offers', 'sales_followup', 'webinar_registration']);
	for (const p of list) {
		for (const k of ['id', 'kind', 'legal_basis', 'double_opt_in', 'validity', 'retention', 'fields', 'title', 'description', 'notice'])
			assert.ok(k in p, `purpose ${p.id} has ${k}`);
		assert.equal(p.legal_basis, 'consent');
		assert.equal(typeof p.double_opt_in, 'boolean');
		assert.ok(Array.isArray(p.fields) && p.fields.includes('email'), `${p.id} fields`);
		assert.equal(typeof p.title.sv, 'string');
		assert.equal(typeof p.title.en, 'string');
		assert.equal(typeof p.description.en, 'string');
		assert.equal(typeof p.notice.version, 'number');
		assert.ok(p.notice.version >= 1);
		for (const lang of ['sv', 'en']) {
			assert.equal(typeof p.notice.text[lang], 'string');
			assert.equal(p.notice.sha256[lang], sha256(p.notice.text[lang]), `${p.id} notice sha256.${lang} is the SHA-256 of its text`);
		}
	}
	const nl = list.find((p) => p.id === 'newsletter');
	assert.equal(nl.kind, 'communication');
	assert.equal(nl.title.en, 'Newsletter');
	assert.equal(nl.title.sv, 'Nyhetsbrev');
	assert.deepEqual([...nl.fields].sort(), ['email', 'first_name']);
	assert.match(nl.notice.text.en, /^Exempel AB will send our newsletter/);
	assert.equal(list.find((p) => p.id === 'lead_scoring').kind, 'profiling');
	assert.equal(list.find((p) => p.id === 'ip_tracking').kind, 'tracking');
});

test('samtycke policy show --json gives each purpose in the shape of GET /v1/purposes (one renderer)', T, async () => {
	const list = await purposeList();
	const r = spawnSync(SAMTYCKE, ['--db', DB, '--json', 'policy', 'show'], { encoding: 'utf8' });
	assert.equal(r.status, 0, `policy show --json: ${r.stderr}`);
	const doc = JSON.parse(r.stdout);
	assert.deepEqual(Object.keys(doc), ['policy_version', 'organisation', 'fields', 'purposes']);
	assert.equal(typeof doc.policy_version, 'number');
	assert.deepEqual(doc.purposes, list, 'the same purposes, key for key and in the same order');
	assert.deepEqual(Object.keys(doc.purposes[0]), Object.keys(list[0]));
});

// ===================================================================================
// authentication and scopes
// ===================================================================================

test('auth: no key is 401 unauthorized', T, async () => {
	err(await api('GET', '/v1/purposes'), 401, 'unauthorized');
	err(await api('GET', `/v1/check?email=${encodeURIComponent(addr('nokey'))}&purpose=newsletter`), 401, 'unauthorized');
});

test('auth: a wrong key or a malformed Authorization header is 401 unauthorized', T, async () => {
	err(await api('GET', '/v1/purposes', { key: 'sk_not_a_real_key' }), 401, 'unauthorized', { not: ['sk_not_a_real_key'] });
	err(await api('GET', '/v1/purposes', { key: KEY.reader.slice(0, -1) + (KEY.reader.endsWith('A') ? 'B' : 'A') }), 401, 'unauthorized');
	err(await api('GET', '/v1/purposes', { headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } }), 401, 'unauthorized');
	err(await api('GET', '/v1/purposes', { headers: { authorization: 'Bearer' } }), 401, 'unauthorized');
});

test('auth: a revoked key is 401 unauthorized', T, async () => {
	err(await api('GET', '/v1/purposes', { key: KEY.revoked }), 401, 'unauthorized');
});

test('auth: no key on a write is 401 and writes nothing', T, async () => {
	const before = await snapshot();
	err(await api('POST', '/v1/consents', { body: { email: addr('anon'), purpose: 'newsletter', action: 'give' } }), 401, 'unauthorized');
	await unchanged(before, 'an unauthenticated consent');
});

test('done-when: a read key can check but gets 403 forbidden on POST /v1/consents', T, async () => {
	const email = addr('reader-try');
	const c = ok(await api('GET', `/v1/check?email=${encodeURIComponent(email)}&purpose=newsletter`, { key: KEY.reader }));
	assert.equal(c.allowed, false);
	const before = await snapshot();
	err(await consent({ email, purpose: 'newsletter', action: 'give' }, KEY.reader), 403, 'forbidden');
	err(await post('/v1/contacts', { email, fields: {} }, KEY.reader), 403, 'forbidden');
	await unchanged(before, 'a read key posting');
	err(await contactByEmail(email), 404, 'not_found');
});

test('auth: a write-only key cannot read (403 forbidden; no scope implies another)', T, async () => {
	const email = addr('writer-try');
	err(await api('GET', `/v1/check?email=${encodeURIComponent(email)}&purpose=newsletter`, { key: KEY.writer }), 403, 'forbidden');
	err(await api('GET', '/v1/purposes', { key: KEY.writer }), 403, 'forbidden');
	err(await api('GET', '/v1/changes', { key: KEY.writer }), 403, 'forbidden');
	err(await api('GET', '/v1/audit/verify', { key: KEY.writer }), 403, 'forbidden');
	// but it can write
	const r = ok(await consent({ email, purpose: 'newsletter', action: 'give' }, KEY.writer), 201);
	assert.match(r.id, EID);
	err(await api('GET', `/v1/contacts/${r.contact_id}`, { key: KEY.writer }), 403, 'forbidden');
	err(await api('GET', `/v1/contacts/${r.contact_id}/consents`, { key: KEY.writer }), 403, 'forbidden');
	err(await api('GET', `/v1/consents/${r.id}/receipt`, { key: KEY.writer }), 403, 'forbidden');
});

// ===================================================================================
// contacts
// ===================================================================================

let anna; // {id, email}

test('POST /v1/contacts creates a contact: 201 {"id":"c_.."} and a contact change', T, async () => {
	const before = await snapshot();
	const email = addr('anna');
	const r = ok(await post('/v1/contacts', { email, fields: { first_name: 'Anna', company: 'Exempel AB' } }, KEY.crm), 201);
	assert.deepEqual(Object.keys(r), ['id']);
	assert.match(r.id, CID);
	anna = { id: r.id, email };
	const c = ok(await get(`/v1/changes?after=${before.next}`));
	assert.ok(c.changes.some((ch) => ch.type === 'contact' && ch.contact_id === r.id), `contact change in ${JSON.stringify(c)}`);
});

test('POST /v1/contacts on an existing address is 409 exists, for any variant of the address', T, async () => {
	assert.ok(anna, 'needs the contact of the test before');
	const before = await snapshot();
	err(await post('/v1/contacts', { email: anna.email, fields: {} }, KEY.crm), 409, 'exists', { not: [anna.email] });
	err(await post('/v1/contacts', { email: ' Anna@EXAMPLE.com ', fields: { first_name: 'X' } }, KEY.ma), 409, 'exists', { not: ['anna@example.com'] });
	await unchanged(before, 'a duplicate contact');
});

test('POST /v1/contacts with an undeclared field is 422 undeclared_field naming it, and stores nothing', T, async () => {
	const email = addr('olle');
	const before = await snapshot();
	err(await post('/v1/contacts', { email, fields: { first_name: 'Olle', shoe_size: '44' } }, KEY.crm), 422, 'undeclared_field', { names: ['shoe_size'], not: [email] });
	await unchanged(before, 'an undeclared field');
	err(await contactByEmail(email), 404, 'not_found');
});

test('POST /v1/contacts with an invalid address or field value is 422 and never echoes the value', T, async () => {
	const before = await snapshot();
	err(await post('/v1/contacts', { email: 'not-an-address', fields: {} }, KEY.crm), 422, 'invalid_email', { not: ['not-an-address'] });
	const email = addr('phoney');
	const e = err(await post('/v1/contacts', { email, fields: { phone: 'call-me-maybe' } }, KEY.crm), 422, 'invalid', { names: ['phone'], not: ['call-me-maybe', email] });
	assert.ok(e);
	err(await post('/v1/contacts', { email, fields: { first_name: 'x'.repeat(101) } }, KEY.crm), 422, 'invalid', { names: ['first_name'] });
	err(await post('/v1/contacts', { fields: {} }, KEY.crm), 422, 'invalid', { names: ['email'] });
	await unchanged(before, 'invalid contacts');
	err(await contactByEmail(email), 404, 'not_found');
});

test('GET /v1/contacts/{id} answers the contact with its opened fields', T, async () => {
	assert.ok(anna);
	const c = ok(await get(`/v1/contacts/${anna.id}`, KEY.reader));
	assert.deepEqual(Object.keys(c).sort(), ['created_at', 'fields', 'id', 'updated_at']);
	assert.equal(c.id, anna.id);
	assert.match(c.created_at, RFC3339);
	assert.match(c.updated_at, RFC3339);
	assert.deepEqual(c.fields, { email: 'anna@example.com', first_name: 'Anna', company: 'Exempel AB' });
});

test('GET /v1/contacts?email= finds a contact by any variant of its address; unknown is 404', T, async () => {
	assert.ok(anna);
	const a = ok(await contactByEmail(anna.email));
	const b = ok(await contactByEmail(' Anna@EXAMPLE.com '));
	assert.equal(a.id, anna.id);
	assert.deepEqual(b, a);
	assert.equal(a.fields.email, 'anna@example.com');
	err(await contactByEmail(addr('nobody')), 404, 'not_found', { not: ['nobody@example.com'] });
	err(await get('/v1/contacts/c_aaaaaaaaaaaaaaaaaaaaaaaa'), 404, 'not_found');
});

test('PATCH /v1/contacts/{id} changes a field, answers the contact and emits a contact change', T, async () => {
	assert.ok(anna);
	const before = await snapshot();
	await sleep(1100); // so that updated_at can move on (RFC 3339 seconds)
	const r = ok(await api('PATCH', `/v1/contacts/${anna.id}`, { key: KEY.ma, body: { fields: { last_name: 'Andersson', first_name: 'Annie' } } }));
	assert.equal(r.id, anna.id);
	assert.deepEqual(r.fields, { email: 'anna@example.com', first_name: 'Annie', last_name: 'Andersson', company: 'Exempel AB' });
	assert.ok(r.updated_at > r.created_at, `updated_at ${r.updated_at} after created_at ${r.created_at}`);
	const c = ok(await get(`/v1/changes?after=${before.next}`));
	assert.ok(c.changes.length >= 1);
	assert.ok(c.changes.some((ch) => ch.type === 'contact' && ch.contact_id === anna.id), `contact change in ${JSON.stringify(c)}`);
	assert.deepEqual(ok(await get(`/v1/contacts/${anna.id}`)), r);
});

test('PATCH /v1/contacts/{id} refuses undeclared fields and unknown ids, writing nothing', T, async () => {
	assert.ok(anna);
	const before = await snapshot();
	err(await api('PATCH', `/v1/contacts/${anna.id}`, { key: KEY.crm, body: { fields: { shoe_size: '44' } } }), 422, 'undeclared_field', { names: ['shoe_size'] });
	err(await api('PATCH', '/v1/contacts/c_aaaaaaaaaaaaaaaaaaaaaaaa', { key: KEY.crm, body: { fields: { last_name: 'X' } } }), 404, 'not_found');
	err(await api('PATCH', `/v1/contacts/${anna.id}`, { key: KEY.reader, body: { fields: { last_name: 'X' } } }), 403, 'forbidden');
	await unchanged(before, 'refused patches');
	assert.equal(ok(await get(`/v1/contacts/${anna.id}`)).fields.last_name, 'Andersson');
});

test('POST /v1/contacts/{id}/preference-link mints a link without the address: 201 {"url","expires_at"}, 30 days or {"days"}', T, async () => {
	assert.ok(anna, 'needs the contact of the tests before');
	const before = await snapshot();
	const t0 = Date.now();
	const r = ok(await post(`/v1/contacts/${anna.id}/preference-link`, undefined, KEY.admin), 201);
	assert.deepEqual(Object.keys(r).sort(), ['expires_at', 'url']);
	assert.match(r.url, /^https?:\/\/[^/]+\/p\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
	assert.ok(!r.url.toLowerCase().includes('anna') && !r.url.includes('example'), `no address in ${r.url}`);
	assert.match(r.expires_at, RFC3339);
	const days = (Date.parse(r.expires_at) - t0) / 86400e3;
	assert.ok(days > 29.99 && days < 30.01, `30 days, got ${days}`);
	const r7 = ok(await post(`/v1/contacts/${anna.id}/preference-link`, { days: 7 }, KEY.admin), 201);
	const d7 = (Date.parse(r7.expires_at) - t0) / 86400e3;
	assert.ok(d7 > 6.99 && d7 < 7.01, `7 days, got ${d7}`);
	assert.notEqual(r7.url, r.url);
	await unchanged(before, 'minting a link');
});

test('POST /v1/contacts/{id}/preference-link refuses bad days (422), bad JSON (400), unknown contacts (404) and keys without dsr (403: a write key may not, since the link opens the export and the erasure)', T, async () => {
	assert.ok(anna);
	for (const days of [0, 366, -1, 1.5, '7', null])
		err(await post(`/v1/contacts/${anna.id}/preference-link`, { days }, KEY.admin), 422, 'invalid', { names: ['days'] });
	err(await post(`/v1/contacts/${anna.id}/preference-link`, { days: 7, email: 'x' }, KEY.admin), 422, 'invalid', { names: ['email'] });
	const bad = await api('POST', `/v1/contacts/${anna.id}/preference-link`, { key: KEY.admin, raw: '{"days":', headers: { 'content-type': 'application/json' } });
	err(bad, 400, 'bad_json');
	err(await post('/v1/contacts/c_aaaaaaaaaaaaaaaaaaaaaaaa/preference-link', undefined, KEY.admin), 404, 'not_found');
	for (const k of [KEY.reader, KEY.writer, KEY.crm])
		err(await post(`/v1/contacts/${anna.id}/preference-link`, undefined, k), 403, 'forbidden');
	err(await api('POST', `/v1/contacts/${anna.id}/preference-link`, {}), 401, 'unauthorized');
});

test('POST /v1/contacts for a suppressed address is 409 suppressed and check says suppressed', T, async () => {
	const email = addr('gone');
	const r = spawnSync(SAMTYCKE, ['--db', DB, 'suppress', email, '--reason', 'opted_out']);
	assert.equal(r.status, 0, `samtycke suppress: ${r.stderr}`);
	const before = await snapshot();
	err(await post('/v1/contacts', { email, fields: {} }, KEY.crm), 409, 'suppressed', { not: [email] });
	await unchanged(before, 'a suppressed contact');
	const c = ok(await get(`/v1/check?email=${encodeURIComponent(email)}&purpose=newsletter`, KEY.reader));
	assert.equal(c.allowed, false);
	assert.equal(c.reason, 'suppressed');
});

// ===================================================================================
// consents
// ===================================================================================

let carl; // {email, contact_id, give: answer of the give}

test('POST /v1/consents records a give: 201 {"id":"e_..","seq","ledger_seq","change_seq","contact_id","status":"given"}', T, async () => {
	const email = addr('carl');
	const before = await snapshot();
	const r = ok(await consent({ email, purpose: 'newsletter', action: 'give', evidence: { ip: '203.0.113.9', user_agent: 'Mozilla/5.0' } }), 201);
	assert.deepEqual(Object.keys(r).sort(), ['change_seq', 'contact_id', 'id', 'ledger_seq', 'seq', 'status']);
	assert.equal(r.ledger_seq, r.seq, 'seq is the ledger\'s sequence number, ledger_seq names it');
	assert.match(r.id, EID);
	assert.match(r.contact_id, CID);
	assert.equal(r.status, 'given');
	assert.ok(Number.isInteger(r.seq) && r.seq > 0);
	carl = { email, contact_id: r.contact_id, give: r };
	const after = await snapshot();
	assert.equal(after.events, before.events + 1, 'one ledger event');
	assert.equal(r.ledger_seq, after.events, 'ledger_seq is the event\'s place in the ledger (audit verify counts it)');
	assert.ok(after.next > before.next, 'the change feed moved');
	assert.equal(r.change_seq, after.next, 'change_seq is the consent change\'s place in the feed, the last one made');
	const c = ok(await contactByEmail(email));
	assert.equal(c.id, r.contact_id, 'a give for a new address created the contact');
});

test('GET /v1/contacts/{id}/consents answers state and history with the defaults filled in', T, async () => {
	assert.ok(carl);
	const h = await history(carl.contact_id);
	assert.deepEqual(Object.keys(h).sort(), ['contact_id', 'history', 'state']);
	assert.equal(h.contact_id, carl.contact_id);
	assert.equal(h.state.length, 1);
	const s = h.state[0];
	for (const k of ['purpose', 'status', 'event_id', 'valid_until', 'notice_version']) assert.ok(k in s, `state has ${k}`);
	assert.equal(s.purpose, 'newsletter');
	assert.equal(s.status, 'given');
	assert.equal(s.event_id, carl.give.id);
	assert.match(s.valid_until, RFC3339);
	assert.equal(h.history.length, 1);
	const e = h.history[0];
	for (const k of ['seq', 'id', 'purpose', 'action', 'occurred_at', 'recorded_at', 'method', 'source', 'notice_version', 'notice_sha256', 'lang', 'actor', 'verified', 'valid_until'])
		assert.ok(k in e, `history entry has ${k}`);
	assert.equal(e.id, carl.give.id);
	assert.equal(e.seq, carl.give.seq);
	assert.equal(e.action, 'give');
	assert.equal(e.purpose, 'newsletter');
	assert.equal(e.method, 'api');
	assert.equal(e.source, 'api:crm');
	assert.equal(e.actor, 'api:crm');
	assert.equal(e.lang, 'en');
	const nl = (await purposeList()).find((p) => p.id === 'newsletter');
	assert.equal(e.notice_version, nl.notice.version);
	assert.equal(s.notice_version, nl.notice.version);
	assert.equal(e.notice_sha256, nl.notice.sha256.en);
	assert.equal(typeof e.verified, 'boolean');
	assert.match(e.occurred_at, RFC3339);
	assert.match(e.recorded_at, RFC3339);
	assert.ok(Math.abs(Date.parse(e.recorded_at) - Date.now()) < 120_000, 'recorded just now');
	assert.ok(Math.abs(Date.parse(e.occurred_at) - Date.now()) < 120_000, 'occurred_at defaults to now');
	const months = (Date.parse(e.valid_until) - Date.parse(e.occurred_at)) / (30.44 * 86400_000);
	assert.ok(months > 23 && months < 25, `newsletter consent valid for 24 months, got ${e.valid_until}`);
	err(await get('/v1/contacts/c_aaaaaaaaaaaaaaaaaaaaaaaa/consents'), 404, 'not_found');
});

test('POST /v1/consents keeps the given method, source, language, notice version and time (in UTC)', T, async () => {
	const email = addr('cecilia');
	const t = new Date(Math.floor(Date.now() / 1000) * 1000 - 3 * 86400_000);
	const utc = t.toISOString().replace('.000Z', 'Z');
	const local = new Date(t.getTime() + 3600_000).toISOString().replace('.000Z', '+01:00');
	const nl = (await purposeList()).find((p) => p.id === 'offers');
	const r = ok(await consent({ email, purpose: 'offers', action: 'give', method: 'form', source: 'form:signup page:/offers', lang: 'sv', notice_version: nl.notice.version, occurred_at: local, evidence: { ip: '198.51.100.7' } }, KEY.ma), 201);
	const h = await history(r.contact_id);
	const e = h.history.find((x) => x.id === r.id);
	assert.ok(e);
	assert.equal(e.method, 'form');
	assert.equal(e.source, 'form:signup page:/offers');
	assert.equal(e.actor, 'api:ma');
	assert.equal(e.lang, 'sv');
	assert.equal(e.notice_version, nl.notice.version);
	assert.equal(e.notice_sha256, nl.notice.sha256.sv);
	assert.equal(e.occurred_at, utc);
	// with contact_id instead of email
	const w = ok(await consent({ contact_id: r.contact_id, purpose: 'offers', action: 'refuse' }, KEY.ma), 201);
	assert.equal(w.contact_id, r.contact_id);
	assert.equal(w.status, 'refused');
});

test('POST /v1/consents with an Idempotency-Key: a retry returns the first answer and appends nothing', T, async () => {
	const body = { email: addr('idem'), purpose: 'offers', action: 'give', evidence: { ip: '203.0.113.10' } };
	const idem = `retry-${Date.now()}`;
	const r1 = await consent(body, KEY.crm, { 'idempotency-key': idem });
	ok(r1, 201);
	const before = await snapshot();
	const h1 = await history(r1.json.contact_id);
	const r2 = await consent(body, KEY.crm, { 'idempotency-key': idem });
	assert.equal(r2.status, r1.status);
	assert.equal(r2.text, r1.text, 'identical body');
	await unchanged(before, 'an idempotent retry');
	assert.deepEqual(await history(r1.json.contact_id), h1);
	// the key is kept with the data (24 hours), not in one server's memory: a retry that
	// reaches the other server on the same database gets the same answer
	const r3 = await consent(body, KEY.crm, { 'idempotency-key': idem, base: LIMITED });
	assert.equal(r3.status, r1.status, show(r3));
	assert.equal(r3.text, r1.text, 'identical body from the other server');
	await unchanged(before, 'an idempotent retry on another server');
});

test('POST /v1/consents: concurrent retries with one Idempotency-Key write once and answer alike', T, async () => {
	const body = { email: addr('idem-race'), purpose: 'event_invitations', action: 'give' };
	const idem = `race-${Date.now()}`;
	const before = await snapshot();
	const rs = await Promise.all(Array.from({ length: 8 }, () => consent(body, KEY.crm, { 'idempotency-key': idem })));
	const after = await snapshot();
	assert.equal(after.events, before.events + 1, `one ledger event for 8 concurrent retries, got ${after.events - before.events}`);
	const first = rs.find((r) => r.status === 201);
	assert.ok(first, rs.map(show).join('\n'));
	for (const r of rs) {
		assert.equal(r.status, 201, show(r));
		assert.equal(r.text, first.text);
	}
});

test('POST /v1/consents: the same Idempotency-Key with another body is 422 idempotency_mismatch', T, async () => {
	const email = addr('idem2');
	const idem = `mismatch-${Date.now()}`;
	const r1 = ok(await consent({ email, purpose: 'offers', action: 'give' }, KEY.crm, { 'idempotency-key': idem }), 201);
	const before = await snapshot();
	err(await consent({ email, purpose: 'newsletter', action: 'give' }, KEY.crm, { 'idempotency-key': idem }), 422, 'idempotency_mismatch', { not: [email] });
	await unchanged(before, 'an idempotency mismatch');
	// the same Idempotency-Key from another API key is another request
	const r3 = ok(await consent({ email, purpose: 'newsletter', action: 'give' }, KEY.ma, { 'idempotency-key': idem }), 201);
	assert.notEqual(r3.id, r1.id);
});

test('POST /v1/contacts with an Idempotency-Key: a retry returns the first 201, not 409', T, async () => {
	const body = { email: addr('idem3'), fields: { first_name: 'Ida' } };
	const idem = `contact-${Date.now()}`;
	const r1 = await post('/v1/contacts', body, KEY.crm, { 'idempotency-key': idem });
	ok(r1, 201);
	const before = await snapshot();
	const r2 = await post('/v1/contacts', body, KEY.crm, { 'idempotency-key': idem });
	assert.equal(r2.status, 201, show(r2));
	assert.equal(r2.text, r1.text);
	await unchanged(before, 'an idempotent contact retry');
	err(await post('/v1/contacts', { ...body, fields: { first_name: 'Other' } }, KEY.crm, { 'idempotency-key': idem }), 422, 'idempotency_mismatch');
	await unchanged(before, 'a contact idempotency mismatch');
});

test('Idempotency-Key must be 1 to 255 printable ASCII characters', T, async () => {
	const before = await snapshot();
	const body = { email: addr('idem4'), purpose: 'offers', action: 'give' };
	for (const bad of ['x'.repeat(256), '', 'tab\there']) {
		const r = await consent(body, KEY.crm, { 'idempotency-key': bad });
		assert.ok(r.status === 400 || r.status === 422, `Idempotency-Key of ${bad.length} characters: ${show(r)}`);
		err(r, r.status, r.status === 400 ? r.json?.error?.code : 'invalid', { names: ['Idempotency-Key'] });
	}
	await unchanged(before, 'bad Idempotency-Keys');
	ok(await consent(body, KEY.crm, { 'idempotency-key': 'k'.repeat(255) }), 201);
});

test('POST /v1/consents with an unknown purpose is 422 unknown_purpose', T, async () => {
	const before = await snapshot();
	err(await consent({ email: addr('dave'), purpose: 'telepathy', action: 'give' }), 422, 'unknown_purpose');
	await unchanged(before, 'an unknown purpose');
});

test('POST /v1/consents with a bad action, method or evidence is 422 invalid naming the field', T, async () => {
	const before = await snapshot();
	const email = addr('dave');
	err(await consent({ email, purpose: 'newsletter', action: 'maybe' }), 422, 'invalid', { names: ['action'], not: ['maybe'] });
	err(await consent({ email, purpose: 'newsletter' }), 422, 'invalid', { names: ['action'] });
	err(await consent({ email, purpose: 'newsletter', action: 'give', method: 'telegram' }), 422, 'invalid', { names: ['method'] });
	err(await consent({ email, purpose: 'newsletter', action: 'give', evidence: 'signed in blood' }), 422, 'invalid', { names: ['evidence'] });
	err(await consent({ email, purpose: 'newsletter', action: 'give', evidence: [1, 2] }), 422, 'invalid', { names: ['evidence'] });
	err(await consent({ email, purpose: 'newsletter', action: 'give', occurred_at: 'yesterday' }), 422, 'invalid', { names: ['occurred_at'] });
	err(await consent({ email, purpose: 'newsletter', action: 'give', lang: 'xx' }), 422, 'invalid', { names: ['lang'] });
	err(await consent({ purpose: 'newsletter', action: 'give' }), 422, 'invalid', { names: ['email'] });
	err(await consent({ email: 'not-an-address', purpose: 'newsletter', action: 'give' }), 422, 'invalid_email', { not: ['not-an-address'] });
	err(await consent({ contact_id: 'c_aaaaaaaaaaaaaaaaaaaaaaaa', purpose: 'newsletter', action: 'give' }), 404, 'not_found');
	await unchanged(before, 'invalid consents');
});

test('unknown keys in any request body are 422 invalid naming the key, and write nothing', T, async () => {
	assert.ok(anna);
	const before = await snapshot();
	err(await consent({ email: addr('eve'), purpose: 'newsletter', action: 'give', colour: 'blue' }), 422, 'invalid', { names: ['colour'], not: ['blue'] });
	err(await post('/v1/contacts', { email: addr('eve'), fields: {}, nickname: 'E' }, KEY.crm), 422, 'invalid', { names: ['nickname'] });
	err(await api('PATCH', `/v1/contacts/${anna.id}`, { key: KEY.crm, body: { fields: { last_name: 'Z' }, reason: 'typo' } }), 422, 'invalid', { names: ['reason'] });
	err(await post('/v1/check', { purpose: 'newsletter', emails: [addr('eve')], verbose: true }, KEY.reader), 422, 'invalid', { names: ['verbose'] });
	await unchanged(before, 'bodies with unknown keys');
	assert.equal(ok(await get(`/v1/contacts/${anna.id}`)).fields.last_name, 'Andersson');
});

test('concurrent writes through two servers on one database keep the feed gap-free', T, async () => {
	const before = await snapshot();
	const jobs = [];
	for (let i = 0; i < 24; i++) {
		const key = [KEY.crm, KEY.ma, KEY.admin][i % 3];
		jobs.push(consent({ email: addr(`crowd${i}`), purpose: ['newsletter', 'offers'][i % 2], action: 'give' }, key));
	}
	for (let i = 0; i < 4; i++) jobs.push(consent({ email: addr(`crowd-far${i}`), purpose: 'newsletter', action: 'give' }, KEY.writer, { base: LIMITED }));
	const rs = await Promise.all(jobs);
	for (const r of rs) ok(r, 201);
	const seqs = rs.map((r) => r.json.seq);
	assert.equal(new Set(seqs).size, seqs.length, `distinct ledger seqs: ${seqs}`);
	const after = await snapshot();
	assert.equal(after.events, before.events + rs.length);
	const c = ok(await get(`/v1/changes?after=${before.next}&limit=1000`));
	c.changes.forEach((ch, i) => assert.equal(ch.seq, before.next + 1 + i, 'no gaps'));
	// each new address: one contact change and one consent change
	assert.equal(c.changes.length, 2 * rs.length);
	assert.equal(c.next, after.next);
	const v = ok(await get('/v1/audit/verify'));
	assert.equal(v.ok, true);
});

test('addresses with + and non-ASCII domains round-trip through query strings', T, async () => {
	const plus = addr('nils+news');
	const r = ok(await consent({ email: plus, purpose: 'newsletter', action: 'give' }), 201);
	const c = ok(await get(`/v1/check?email=${encodeURIComponent(plus)}&purpose=newsletter`, KEY.reader));
	assert.equal(c.allowed, true);
	assert.equal(c.consent_id, r.id);
	assert.equal(ok(await contactByEmail(plus)).id, r.contact_id);
	const idn = addr('olof', 'bücher.example');
	const r2 = ok(await consent({ email: idn, purpose: 'newsletter', action: 'give' }), 201);
	emails.add('olof@xn--bcher-kva.example');
	const c2 = ok(await get(`/v1/check?email=${encodeURIComponent('OLOF@BÜCHER.example')}&purpose=newsletter`, KEY.reader));
	assert.equal(c2.consent_id, r2.id, 'the IDNA domain is canonicalised');
	const c3 = ok(await get(`/v1/check?email=${encodeURIComponent('olof@xn--bcher-kva.example')}&purpose=newsletter`, KEY.reader));
	assert.equal(c3.consent_id, r2.id, 'the A-label is the same address');
});

// ===================================================================================
// the done-when: CRM withdraws, MA sees it; receipts
// ===================================================================================

test('done-when: a withdrawal posted by the CRM appears in GET /v1/changes for the MA tool', T, async () => {
	// the MA tool catches up with the feed first
	let after = 0;
	for (;;) {
		const c = ok(await get(`/v1/changes?after=${after}&limit=1000`, KEY.ma));
		if (c.changes.length === 0) break;
		after = c.next;
	}
	const email = addr('dora');
	const g = ok(await consent({ email, purpose: 'newsletter', action: 'give', method: 'form', source: 'form:signup' }, KEY.crm), 201);
	const w = ok(await consent({ email, purpose: 'newsletter', action: 'withdraw' }, KEY.crm), 201);
	assert.equal(w.status, 'withdrawn');
	assert.equal(w.contact_id, g.contact_id);
	assert.ok(w.seq > g.seq);
	const c = ok(await get(`/v1/changes?after=${after}`, KEY.ma));
	assert.deepEqual(Object.keys(c).sort(), ['changes', 'next']);
	const seqs = c.changes.map((x) => x.seq);
	assert.ok(seqs.length >= 2, JSON.stringify(c));
	seqs.forEach((s, i) => assert.equal(s, after + 1 + i, `seq ${s} follows ${after} without gaps: ${seqs}`));
	assert.equal(c.next, seqs[seqs.length - 1]);
	const mine = c.changes.filter((x) => x.contact_id === g.contact_id && x.type === 'consent');
	assert.equal(mine.at(-1).status, 'withdrawn');
	assert.equal(mine.at(-1).purpose, 'newsletter');
	assert.match(mine.at(-1).at, RFC3339);
	assert.ok(mine.some((x) => x.status === 'given'));
	const chk = ok(await get(`/v1/check?email=${encodeURIComponent(email)}&purpose=newsletter`, KEY.ma));
	assert.equal(chk.allowed, false);
	assert.equal(chk.reason, 'withdrawn');
});

test('done-when: GET /v1/consents/{id}/receipt is a valid Kantara Consent Receipt v1.1', T, async () => {
	assert.ok(carl);
	const r = ok(await get(`/v1/consents/${carl.give.id}/receipt`, KEY.reader));
	const schema = JSON.parse(readFileSync(KANTARA, 'utf8'));
	const ajv = new Ajv({ allErrors: true, strict: false });
	const validate = ajv.compile(schema);
	assert.ok(validate(r), `receipt is not valid: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(r, null, 1)}`);
	const s = JSON.stringify(r);
	assert.ok(s.includes('Exempel AB'), 'names the controller of the policy');
	assert.ok(s.includes('newsletter') || s.includes('Newsletter'), 'names the purpose');
	assert.ok(Math.abs(r.consentTimestamp - Date.now() / 1000) < 86400, `consentTimestamp ${r.consentTimestamp} is the time of the consent (seconds)`);
	err(await get('/v1/consents/e_aaaaaaaaaaaaaaaaaaaaaaaa/receipt'), 404, 'not_found');
});

// ===================================================================================
// check
// ===================================================================================

let mix; // addresses for the check tests

test('GET /v1/check answers allowed with reason consent and the consent relied on', T, async () => {
	assert.ok(carl);
	const c = ok(await get(`/v1/check?email=${encodeURIComponent(carl.email)}&purpose=newsletter`, KEY.reader));
	assert.deepEqual(c, { allowed: true, reason: 'consent', consent_id: carl.give.id });
	const v = ok(await get(`/v1/check?email=${encodeURIComponent(' CARL@Example.COM ')}&purpose=newsletter`, KEY.reader));
	assert.deepEqual(v, c, 'any variant of the address');
});

test('GET /v1/check denies with reasons no_consent, refused and withdrawn', T, async () => {
	const unknown = addr('stranger');
	const c1 = ok(await get(`/v1/check?email=${encodeURIComponent(unknown)}&purpose=newsletter`, KEY.reader));
	assert.deepEqual(c1, { allowed: false, reason: 'no_consent', consent_id: null });
	assert.ok(carl);
	const c2 = ok(await get(`/v1/check?email=${encodeURIComponent(carl.email)}&purpose=offers`, KEY.reader));
	assert.equal(c2.allowed, false);
	assert.equal(c2.reason, 'no_consent');
	const refuser = addr('frida');
	const rf = ok(await consent({ email: refuser, purpose: 'lead_scoring', action: 'refuse' }), 201);
	const c3 = ok(await get(`/v1/check?email=${encodeURIComponent(refuser)}&purpose=lead_scoring`, KEY.reader));
	assert.equal(c3.allowed, false);
	assert.equal(c3.reason, 'refused');
	assert.equal(c3.consent_id, rf.id);
	const wd = addr('gustav');
	ok(await consent({ email: wd, purpose: 'ip_tracking', action: 'give' }), 201);
	const w = ok(await consent({ email: wd, purpose: 'ip_tracking', action: 'withdraw' }), 201);
	const c4 = ok(await get(`/v1/check?email=${encodeURIComponent(wd)}&purpose=ip_tracking`, KEY.reader));
	assert.equal(c4.allowed, false);
	assert.equal(c4.reason, 'withdrawn');
	assert.ok(c4.consent_id === null || c4.consent_id === w.id, `consent_id ${c4.consent_id}`);
	mix = { refuser, wd };
});

test('POST /v1/check answers every address in the same order', T, async () => {
	assert.ok(carl && mix);
	const before = await snapshot();
	const emailsIn = [carl.email, addr('stranger2'), 'not-an-address', mix.wd, ' CARL@example.com', mix.refuser];
	const r = ok(await post('/v1/check', { purpose: 'newsletter', emails: emailsIn }, KEY.reader));
	assert.deepEqual(Object.keys(r), ['results']);
	assert.equal(r.results.length, emailsIn.length);
	for (const x of r.results) assert.deepEqual(Object.keys(x).sort(), ['allowed', 'consent_id', 'reason']);
	assert.deepEqual(r.results.map((x) => [x.allowed, x.reason]), [
		[true, 'consent'], [false, 'no_consent'], [false, 'invalid_email'], [false, 'no_consent'], [true, 'consent'], [false, 'no_consent'],
	]);
	assert.equal(r.results[0].consent_id, carl.give.id);
	assert.equal(r.results[1].consent_id, null);
	const r2 = ok(await post('/v1/check', { purpose: 'ip_tracking', emails: [mix.wd, carl.email] }, KEY.reader));
	assert.deepEqual(r2.results.map((x) => x.reason), ['withdrawn', 'no_consent']);
	await unchanged(before, 'checks');
});

test('POST /v1/check takes 10,000 addresses and refuses 10,001 with 413 too_large', T, async () => {
	const many = Array.from({ length: 10_000 }, (_, i) => `bulk${i}@example.com`);
	const r = ok(await post('/v1/check', { purpose: 'offers', emails: many }, KEY.reader));
	assert.equal(r.results.length, 10_000);
	assert.ok(r.results.every((x) => x.allowed === false && x.reason === 'no_consent'));
	many.push('bulk10000@example.com');
	err(await post('/v1/check', { purpose: 'offers', emails: many }, KEY.reader), 413, 'too_large');
});

test('POST /v1/check with an unknown purpose or without emails is refused', T, async () => {
	const r = await post('/v1/check', { purpose: 'telepathy', emails: [addr('x')] }, KEY.reader);
	if (r.status === 200) assert.deepEqual(r.json.results.map((x) => [x.allowed, x.reason]), [[false, 'unknown_purpose']]);
	else err(r, 422, 'unknown_purpose');
	err(await post('/v1/check', { purpose: 'newsletter' }, KEY.reader), 422, 'invalid', { names: ['emails'] });
	err(await post('/v1/check', { purpose: 'newsletter', emails: 'x' }, KEY.reader), 422, 'invalid', { names: ['emails'] });
});

// ===================================================================================
// changes
// ===================================================================================

test('GET /v1/changes is one gap-free sequence from 1, paged by after and limit', T, async () => {
	const { changes: all, next } = await allChanges(KEY.reader);
	assert.ok(all.length >= 10, `${all.length} changes so far`);
	all.forEach((ch, i) => {
		assert.equal(ch.seq, i + 1, 'seq is 1, 2, 3, ... without gaps');
		for (const k of ['seq', 'type', 'contact_id', 'purpose', 'status', 'at']) assert.ok(k in ch, `change has ${k}`);
		assert.ok(ch.type === 'contact' || ch.type === 'consent', `type ${ch.type}`);
		assert.match(ch.contact_id, CID);
		assert.match(ch.at, RFC3339);
		if (ch.type === 'consent') {
			assert.equal(typeof ch.purpose, 'string');
			assert.ok(['pending', 'given', 'refused', 'withdrawn', 'expired', 'unverified'].includes(ch.status), ch.status);
		}
	});
	assert.equal(next, all.length);
	// pages of 3
	const paged = [];
	let after = 0;
	for (;;) {
		const c = ok(await get(`/v1/changes?after=${after}&limit=3`, KEY.reader));
		assert.ok(c.changes.length <= 3);
		if (c.changes.length === 0) {
			assert.equal(c.next, after, 'next equals after when nothing is new');
			break;
		}
		assert.equal(c.next, c.changes.at(-1).seq, 'next is the last seq returned');
		paged.push(...c.changes);
		after = c.next;
	}
	assert.deepEqual(paged, all);
	// defaults: after 0, limit 100
	const d = ok(await get('/v1/changes', KEY.reader));
	assert.deepEqual(d.changes, all.slice(0, 100));
	// after beyond the head
	const far = ok(await get(`/v1/changes?after=${next + 1000}`, KEY.reader));
	assert.deepEqual(far, { changes: [], next: next + 1000 });
});

test('GET /v1/changes with limit 0, 1001 or not a number is 422 invalid', T, async () => {
	for (const q of ['limit=0', 'limit=1001', 'limit=ten', 'limit=-1', 'limit=']) {
		err(await get(`/v1/changes?after=0&${q}`, KEY.reader), 422, 'invalid', { names: ['limit'] });
	}
	ok(await get('/v1/changes?after=0&limit=1000', KEY.reader));
	ok(await get('/v1/changes?after=0&limit=1', KEY.reader));
	const r = await get('/v1/changes?after=abc', KEY.reader);
	assert.ok(r.status === 400 || r.status === 422, show(r));
	err(r, r.status, r.json?.error?.code, { names: ['after'] });
});

// ===================================================================================
// audit
// ===================================================================================

test('GET /v1/audit/verify answers ok with the number of events and the head hash', T, async () => {
	const a = ok(await get('/v1/audit/verify', KEY.reader));
	assert.equal(a.ok, true);
	assert.ok(Number.isInteger(a.events) && a.events >= 10, `events ${a.events}`);
	assert.match(a.head, /^[0-9a-f]{64}$/);
	ok(await consent({ email: addr('hugo'), purpose: 'newsletter', action: 'give' }), 201);
	const b = ok(await get('/v1/audit/verify', KEY.reader));
	assert.equal(b.ok, true);
	assert.equal(b.events, a.events + 1);
	assert.notEqual(b.head, a.head);
});

// ===================================================================================
// errors and limits (none of them writes anything)
// ===================================================================================

test('malformed JSON is 400 bad_json naming line, column and byte position, never values', T, async () => {
	const before = await snapshot();
	const raw = '{\n  "email": "ivan@example.com",\n  "purpose": ,\n  "action": "give"\n}';
	emails.add('ivan@example.com');
	const e = err(await api('POST', '/v1/consents', { key: KEY.crm, raw }), 400, 'bad_json', { not: ['ivan@example.com'] });
	assert.match(e.message, /line\D{0,3}3\b/i, `names line 3: ${e.message}`);
	assert.match(e.message, /column/i, `names the column: ${e.message}`);
	assert.match(e.message, /byte|position|offset/i, `names the byte position: ${e.message}`);
	const leak = '{"purpose":"newsletter","email" "jonna@example.com"}';
	emails.add('jonna@example.com');
	err(await api('POST', '/v1/consents', { key: KEY.crm, raw: leak }), 400, 'bad_json', { not: ['jonna@example.com', 'jonna'] });
	err(await api('POST', '/v1/contacts', { key: KEY.crm, raw: '' }), 400, 'bad_json');
	err(await api('POST', '/v1/contacts', { key: KEY.crm, raw: '{"email":"k@example.com"} trailing' }), 400, 'bad_json');
	err(await api('PATCH', `/v1/contacts/${anna.id}`, { key: KEY.crm, raw: '{"fields":' }), 400, 'bad_json');
	err(await api('POST', '/v1/check', { key: KEY.reader, raw: "{'purpose':'newsletter'}" }), 400, 'bad_json');
	const badUtf8 = Buffer.concat([Buffer.from('{"email":"l'), Buffer.from([0xff, 0xfe]), Buffer.from('@example.com","purpose":"newsletter","action":"give"}')]);
	err(await api('POST', '/v1/consents', { key: KEY.crm, raw: badUtf8 }), 400, 'bad_json');
	for (const raw of ['[]', '"give"', '42', 'null']) {
		const r = await api('POST', '/v1/consents', { key: KEY.crm, raw });
		assert.ok(r.status === 400 || r.status === 422, `body ${raw}: ${show(r)}`);
		err(r, r.status, r.status === 400 ? 'bad_json' : 'invalid');
	}
	await unchanged(before, 'malformed JSON');
});

test('a body over 1 MiB is 413 too_large and writes nothing', T, async () => {
	const before = await snapshot();
	const email = addr('big');
	const base = JSON.stringify({ email, purpose: 'newsletter', action: 'give', evidence: { pad: '' } });
	const body = base.replace('"pad":""', `"pad":"${'x'.repeat(1024 * 1024 + 1 - base.length)}"`);
	assert.equal(Buffer.byteLength(body), 1024 * 1024 + 1);
	err(await nodeReq('POST', '/v1/consents', { key: KEY.crm, body }), 413, 'too_large');
	await unchanged(before, 'a body over 1 MiB');
	err(await contactByEmail(email), 404, 'not_found');
});

test('a chunked body over 1 MiB is 413 too_large too', T, async () => {
	const before = await snapshot();
	const email = addr('bigchunk');
	const body = JSON.stringify({ email, purpose: 'newsletter', action: 'give', evidence: { pad: 'y'.repeat(1100 * 1024) } });
	err(await nodeReq('POST', '/v1/consents', { key: KEY.crm, body, chunked: true }), 413, 'too_large');
	await unchanged(before, 'a chunked body over 1 MiB');
});

test('a body of exactly 1 MiB is not too large', T, async () => {
	const email = addr('justfits');
	const base = JSON.stringify({ email, purpose: 'newsletter', action: 'give' });
	const body = base + ' '.repeat(1024 * 1024 - base.length);
	assert.equal(Buffer.byteLength(body), 1024 * 1024);
	const r = ok(await nodeReq('POST', '/v1/consents', { key: KEY.crm, body }), 201);
	assert.equal(r.status, 'given');
});

test('JSON nested 33 levels is 400 too_deep; 32 levels are accepted', T, async () => {
	const before = await snapshot();
	// the body object is level 1, evidence level 2: evidence nested 31 deep makes 32 levels
	const email = addr('deep');
	err(await consent({ email, purpose: 'newsletter', action: 'give', evidence: nest(32) }), 400, 'too_deep');
	let arr = '1';
	for (let i = 0; i < 33; i++) arr = `[${arr}]`;
	err(await api('POST', '/v1/check', { key: KEY.reader, raw: arr }), 400, 'too_deep');
	err(await api('POST', '/v1/consents', { key: KEY.crm, raw: '['.repeat(500_000) }), 400, 'too_deep');
	await unchanged(before, 'too deep JSON');
	err(await contactByEmail(email), 404, 'not_found');
	ok(await consent({ email, purpose: 'newsletter', action: 'give', evidence: nest(31) }), 201);
	ok(await api('GET', '/healthz'));
});

test('an unknown route is 404 not_found', T, async () => {
	err(await get('/v1/nothing-here'), 404, 'not_found');
	err(await get('/v2/purposes'), 404, 'not_found');
	err(await get('/v1/contacts/c_aaaaaaaaaaaaaaaaaaaaaaaa/nothing'), 404, 'not_found');
	err(await post('/v1/nothing-here', { a: 1 }), 404, 'not_found');
});

test('a known path with the wrong method is 405 method_not_allowed with an Allow header', T, async () => {
	assert.ok(anna && carl);
	const before = await snapshot();
	const cases = [
		['DELETE', '/v1/purposes', ['GET']],
		['PUT', '/v1/consents', ['POST']],
		['PATCH', '/v1/contacts', ['GET', 'POST']],
		['PUT', `/v1/contacts/${anna.id}`, ['GET', 'PATCH']],
		['POST', `/v1/contacts/${anna.id}/consents`, ['GET']],
		['POST', `/v1/consents/${carl.give.id}/receipt`, ['GET']],
		['DELETE', '/v1/check', ['GET', 'POST']],
		['POST', '/v1/changes', ['GET']],
		['POST', '/v1/audit/verify', ['GET']],
		['POST', '/healthz', ['GET']],
	];
	for (const [method, p, allow] of cases) {
		const r = await api(method, p, { key: KEY.admin, body: method === 'DELETE' ? undefined : { a: 1 } });
		err(r, 405, 'method_not_allowed');
		const h = (r.headers.get('allow') || '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
		for (const m of allow) assert.ok(h.includes(m), `${method} ${p}: Allow "${r.headers.get('allow')}" includes ${m}`);
		assert.ok(!h.includes(method), `${method} ${p}: Allow "${r.headers.get('allow')}" excludes ${method}`);
	}
	await unchanged(before, 'wrong methods');
});

test('keep-alive: several requests share one connection, none answers Connection: close', T, async () => {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	try {
		const a = await nodeReq('GET', '/healthz', { agent });
		const b = await nodeReq('GET', '/v1/purposes', { key: KEY.reader, agent });
		const c = await nodeReq('POST', '/v1/check', { key: KEY.reader, agent, body: JSON.stringify({ purpose: 'newsletter', emails: [addr('kim')] }) });
		const d = await nodeReq('POST', '/v1/consents', { key: KEY.crm, agent, body: JSON.stringify({ email: addr('kim'), purpose: 'newsletter', action: 'give' }) });
		for (const [r, st] of [[a, 200], [b, 200], [c, 200], [d, 201]]) {
			assert.equal(r.status, st, show(r));
			assert.notEqual((r.headers.get('connection') || '').toLowerCase(), 'close', `Connection: close on ${show(r)}`);
		}
		assert.equal(b.reused, true, 'second request reused the socket');
		assert.equal(c.reused, true, 'third request (a POST) reused the socket');
		assert.equal(d.reused, true, 'fourth request (a write) reused the socket');
		assert.equal(b.socket, a.socket);
		assert.equal(d.socket, a.socket);
	} finally {
		agent.destroy();
	}
});

test('keep-alive: two requests in sequence on one raw connection get two answers', T, async () => {
	const conn = await RawConn.open(DIRECT);
	try {
		const req = (p) => `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY.reader}\r\n\r\n`;
		conn.write(req('/healthz'));
		const r1 = await conn.response();
		conn.write(req('/v1/changes?limit=1'));
		const r2 = await conn.response();
		answered.main += 2;
		assert.equal(r1.status, 200);
		assert.deepEqual(r1.json, { status: 'ok' });
		assert.equal(r2.status, 200);
		assert.equal(r2.json.changes.length, 1);
		for (const r of [r1, r2]) assert.notEqual((r.headers.connection || '').toLowerCase(), 'close');
		await sleep(100);
		assert.equal(conn.closed, false, 'the connection stays open');
		// pipelined: both requests in one write
		conn.write(req('/healthz') + req('/healthz'));
		const p1 = await conn.response();
		const p2 = await conn.response();
		answered.main += 2;
		assert.equal(p1.status, 200);
		assert.equal(p2.status, 200);
	} finally {
		conn.end();
	}
});

// ---- the limited server: --rate-limit 5 --timeout 2 ----

test('rate limit: a burst over --rate-limit per key is 429 rate_limited with Retry-After', T, async () => {
	const statuses = [];
	let limited;
	for (let i = 0; i < 40 && !limited; i++) {
		const r = await api('GET', '/v1/purposes', { key: KEY.limited, base: LIMITED });
		statuses.push(r.status);
		if (r.status === 429) limited = r;
		else assert.equal(r.status, 200, show(r));
	}
	assert.ok(limited, `no 429 in ${statuses.length} requests at once`);
	err(limited, 429, 'rate_limited');
	const ra = limited.headers.get('retry-after');
	assert.match(ra || '', /^\d+$/, `Retry-After is whole seconds: ${ra}`);
	assert.ok(Number(ra) >= 1 && Number(ra) <= 60, `Retry-After ${ra}`);
	const okCount = statuses.filter((s) => s === 200).length;
	assert.ok(okCount >= 10, `bursts of 2x the rate (10) pass, got ${okCount} before the 429`);
	// per key: another key on the same server is not limited
	ok(await api('GET', '/v1/purposes', { key: KEY.reader, base: LIMITED }));
	// and after Retry-After the key works again
	await sleep(Number(ra) * 1000 + 100);
	ok(await api('GET', '/v1/purposes', { key: KEY.limited, base: LIMITED }));
});

test('slow client: a partial request line is closed after --timeout, others are still served', T, async () => {
	const t0 = Date.now();
	const conn = await RawConn.open(LIMITED);
	try {
		conn.write('GET /healthz HT');
		const t1 = Date.now();
		ok(await api('GET', '/healthz', { base: LIMITED }));
		assert.ok(Date.now() - t1 < 1000, 'another client is answered at once');
		const closed = await conn.closedWithin((LIMITED_TIMEOUT + 3) * 1000);
		assert.ok(closed, `connection still open after ${LIMITED_TIMEOUT + 3} s`);
		const took = conn.closedAt - t0;
		assert.ok(took >= (LIMITED_TIMEOUT * 1000) / 2, `closed after ${took} ms, not before the timeout`);
		// a 408 before closing is allowed, but it counts as an access log line
		const extra = conn.buf.length > 0 ? 1 : 0;
		answered.limited += extra;
	} finally {
		conn.end();
	}
});

test('slow client: a connection that sends nothing is closed after --timeout', T, async () => {
	const conn = await RawConn.open(LIMITED);
	try {
		const closed = await conn.closedWithin((LIMITED_TIMEOUT + 3) * 1000);
		assert.ok(closed, `idle connection still open after ${LIMITED_TIMEOUT + 3} s`);
		assert.equal(conn.buf.length, 0, 'nothing is sent to a client that sent nothing');
	} finally {
		conn.end();
	}
});

test('slow client: a request whose body stalls is closed after --timeout and writes nothing', T, async () => {
	const before = await snapshot();
	const conn = await RawConn.open(LIMITED);
	try {
		const body = JSON.stringify({ email: addr('stall'), purpose: 'newsletter', action: 'give' });
		conn.write(`POST /v1/consents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY.crm}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`);
		const closed = await conn.closedWithin((LIMITED_TIMEOUT + 3) * 1000);
		// its headers were complete: that is a request, and the access log has a line for it
		answered.limited += 1;
		assert.ok(closed, `connection still open after ${LIMITED_TIMEOUT + 3} s`);
	} finally {
		conn.end();
	}
	await unchanged(before, 'a stalled body');
});

// ---- abuse limits (docs/internals/http.md) ----

const MiB = 1024 * 1024;

// Sends only the headers of a request on a raw connection and waits for the answer: a server
// that answers has not waited for the body.
async function headersOnly(base, head, { localAddress, timeoutMs = 2000 } = {}) {
	const conn = await RawConn.open(base === BASE ? DIRECT : base, { localAddress });
	try {
		conn.write(head);
		const r = await conn.response(timeoutMs);
		answered[serverOf(base)]++;
		const closed = await conn.closedWithin(2000);
		return { ...r, closed };
	} finally {
		conn.end();
	}
}

// Sends a request with a big body on a raw connection, 256 KiB at a time, and stops sending
// as soon as an answer arrives or the server closes, as curl does: a server that refuses a
// body unread answers at once, while the client may still be sending.
async function rawSend(base, method, p, body, { key, headers = {} } = {}) {
	const conn = await RawConn.open(base === BASE ? DIRECT : base);
	try {
		let head = `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n`;
		if (key) head += `Authorization: Bearer ${key}\r\n`;
		for (const [k, v] of Object.entries({ 'content-type': 'application/json', ...headers })) head += `${k}: ${v}\r\n`;
		conn.write(head + '\r\n');
		const step = 256 * 1024;
		for (let i = 0; i < body.length && !conn.closed && conn.buf.length === 0; i += step) {
			if (!conn.sock.write(body.subarray(i, i + step))) {
				await Promise.race([new Promise((r) => conn.sock.once('drain', r)), new Promise((r) => conn.sock.once('data', r)), conn.closedPromise, sleep(5000)]);
			}
		}
		const r = await conn.response(5000);
		answered[serverOf(base)]++;
		return r;
	} finally {
		conn.end();
	}
}

test('bodies: a 20 MiB body without a key, with a bad key or without the scope is refused at once, unread', T, async () => {
	const before = await snapshot();
	const big = Buffer.alloc(20 * MiB, 0x20);
	const cases = [
		[undefined, 401, 'unauthorized'],
		[`k_${'a'.repeat(24)}.${'b'.repeat(64)}`, 401, 'unauthorized'],
		[KEY.revoked, 401, 'unauthorized'],
		[KEY.reader, 403, 'forbidden'],
	];
	for (const [key, status, code] of cases) {
		const t0 = Date.now();
		const r = await rawSend(BASE, 'POST', '/v1/consents', big, { key });
		assert.equal(r.status, status, `${r.status} ${r.text}`);
		assert.deepEqual(r.json, { error: { code, message: r.json.error.message } });
		assert.ok(Date.now() - t0 < 2000, `answered in ${Date.now() - t0} ms`);
	}
	// only the headers are sent: the answer does not wait for a body that never comes
	const r = await headersOnly(BASE, `POST /v1/contacts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${20 * MiB}\r\n\r\n`);
	assert.equal(r.status, 401, r.text);
	assert.equal(r.json.error.code, 'unauthorized');
	assert.ok(r.closed, 'the connection is closed after the answer: the body is never read');
	await unchanged(before, 'refused bodies');
});

test('bodies: over the route cap with a key is 413 too_large before the body is read', T, async () => {
	const before = await snapshot();
	const big = Buffer.alloc(20 * MiB, 0x20);
	const t0 = Date.now();
	const r0 = await rawSend(BASE, 'POST', '/v1/consents', big, { key: KEY.crm });
	assert.equal(r0.status, 413, r0.text);
	assert.deepEqual(Object.keys(r0.json), ['error']);
	assert.equal(r0.json.error.code, 'too_large');
	assert.match(r0.json.error.message, /1048576/);
	assert.ok(Date.now() - t0 < 2000, `answered in ${Date.now() - t0} ms`);
	const r = await headersOnly(BASE, `POST /v1/imports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY.crm}\r\nContent-Type: text/csv\r\nContent-Length: ${2 * MiB}\r\n\r\n`);
	assert.equal(r.status, 413, r.text);
	assert.deepEqual(Object.keys(r.json), ['error']);
	assert.equal(r.json.error.code, 'too_large');
	assert.ok(r.closed, 'the connection is closed after the answer');
	// a route that takes no body refuses one
	err(await nodeReq('GET', '/v1/purposes', { key: KEY.reader, body: '{"a":1}' }), 413, 'too_large', { names: ['takes no body'] });
	err(await nodeReq('GET', '/healthz', { body: 'x'.repeat(1000) }), 413, 'too_large');
	// an unknown route with a body is answered without reading it
	const r404 = await rawSend(BASE, 'POST', '/v1/nothing-here', big, { key: KEY.crm });
	assert.equal(r404.status, 404, r404.text);
	assert.equal(r404.json.error.code, 'not_found');
	await unchanged(before, 'bodies over the cap');
	// and the connection of an ordinary request is kept
	ok(await api('GET', '/healthz'));
});

test('connections: one client is held to 64 open connections; another client and a trusted proxy are still served', T, async () => {
	const conns = [];
	const proxied = [];
	try {
		for (let i = 0; i < 80; i++) conns.push(await RawConn.open(GUARDED));
		await sleep(500);
		const closed = conns.filter((c) => c.closed);
		// two threads accepting at the same moment may pass the cap by one
		assert.ok(closed.length === 16 || closed.length === 15, `${closed.length} of 80 idle connections closed by the server, wanted 16 (cap 64)`);
		for (const c of closed) assert.equal(c.buf.length, 0, 'a refused connection gets no bytes');
		// another client address is served at once
		const t0 = Date.now();
		const other = await nodeReq('GET', '/healthz', { base: GUARDED, localAddress: '127.0.0.2' });
		assert.equal(other.status, 200, show(other));
		assert.ok(Date.now() - t0 < 1000, `127.0.0.2 answered in ${Date.now() - t0} ms`);
		// the capped client gets no further connection
		const more = await RawConn.open(GUARDED);
		more.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
		assert.ok(await more.closedWithin(2000), 'a connection over the cap is closed');
		assert.equal(more.buf.length, 0, 'and answered nothing');
		more.end();
		// a trusted proxy carries many clients: it is not held to the cap
		for (let i = 0; i < 70; i++) proxied.push(await RawConn.open(GUARDED, { localAddress: '127.0.0.3' }));
		await sleep(300);
		assert.equal(proxied.filter((c) => c.closed).length, 0, 'connections from the trusted proxy stay open');
	} finally {
		for (const c of [...conns, ...proxied]) c.end();
	}
	// once its connections are closed, the client is served again
	let r;
	for (let i = 0; i < 30 && !r; i++) {
		try {
			r = await nodeReq('GET', '/healthz', { base: GUARDED });
		} catch {
			await sleep(100);
		}
	}
	assert.equal(r && r.status, 200, 'served again after closing its connections');
});

test('X-Forwarded-For counts only from a --trusted-proxy, read from the right', T, async () => {
	// --form-rate-limit 2 on this server: the third post from one client is 429
	const post = (xff, localAddress) => nodeReq('POST', '/f/newsletter', {
		base: GUARDED, localAddress, body: '{}',
		headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
	});
	const limited = (r) => {
		if (r.status === 429) err(r, 429, 'rate_limited');
		else assert.equal(r.status, 422, show(r));
		return r.status === 429;
	};
	// an untrusted peer: its header is ignored, all three posts are one client's
	assert.equal(limited(await post('198.51.100.31', '127.0.0.4')), false);
	assert.equal(limited(await post('198.51.100.32', '127.0.0.4')), false);
	assert.equal(limited(await post('198.51.100.33', '127.0.0.4')), true, 'a forged header does not make a new client');
	// the trusted proxy: the address it forwards is the client
	assert.equal(limited(await post('198.51.100.1', '127.0.0.3')), false);
	assert.equal(limited(await post('198.51.100.1', '127.0.0.3')), false);
	assert.equal(limited(await post('198.51.100.1', '127.0.0.3')), true, 'the forwarded client is limited');
	// what a client writes to the left of it is not believed
	assert.equal(limited(await post('203.0.113.77, 198.51.100.1', '127.0.0.3')), true, 'a client cannot choose its address');
	// another forwarded client has its own limit, also behind a second trusted hop
	assert.equal(limited(await post('198.51.100.2', '127.0.0.3')), false);
	assert.equal(limited(await post('198.51.100.3, 127.0.0.3', '127.0.0.3')), false);
	// the proxy itself, without the header, is a client of its own
	assert.equal(limited(await post(undefined, '127.0.0.3')), false);
	// an IPv6 client's bucket is its /64: other addresses of the same prefix are the same client
	assert.equal(limited(await post('2001:db8:1:2::1', '127.0.0.3')), false);
	assert.equal(limited(await post('2001:db8:1:2::2', '127.0.0.3')), false);
	assert.equal(limited(await post('2001:db8:1:2:ffff::3', '127.0.0.3')), true, 'a third address of one /64 is limited');
	assert.equal(limited(await post('2001:db8:1:3::1', '127.0.0.3')), false, 'another /64 is another client');
});

test('revocation: a key revoked with DELETE /v1/keys/{name} fails on the very next request, on every worker', T, async () => {
	const made = spawnSync(SAMTYCKE, ['--db', DB, 'keys', 'create', '--name', 'short-lived', '--scope', 'read'], { encoding: 'utf8' });
	assert.equal(made.status, 0, made.stderr);
	const k = made.stdout.trim();
	// used on many connections at once, so that each worker thread has it in its cache
	const use = () => Promise.all(Array.from({ length: 16 }, () => nodeReq('GET', '/v1/purposes', { key: k })));
	for (const r of await use()) ok(r);
	err(await api('DELETE', '/v1/keys/short-lived', { key: KEY.crm }), 403, 'forbidden');
	err(await api('DELETE', '/v1/keys/short-lived'), 401, 'unauthorized');
	for (const r of await use()) ok(r);
	assert.deepEqual(ok(await api('DELETE', '/v1/keys/short-lived', { key: KEY.admin })), { name: 'short-lived', revoked: true });
	for (const r of await use()) err(r, 401, 'unauthorized');
	err(await api('DELETE', '/v1/keys/short-lived', { key: KEY.admin }), 404, 'not_found');
	err(await api('DELETE', '/v1/keys/no-such-key', { key: KEY.admin }), 404, 'not_found');
});

test('revocation: a key revoked by another process (the CLI) fails within a second', T, async () => {
	const made = spawnSync(SAMTYCKE, ['--db', DB, 'keys', 'create', '--name', 'cli-revoked', '--scope', 'read'], { encoding: 'utf8' });
	assert.equal(made.status, 0, made.stderr);
	const k = made.stdout.trim();
	const use = () => Promise.all(Array.from({ length: 16 }, () => nodeReq('GET', '/v1/purposes', { key: k })));
	for (const r of await use()) ok(r);
	const revoked = spawnSync(SAMTYCKE, ['--db', DB, 'keys', 'revoke', 'cli-revoked'], { encoding: 'utf8' });
	assert.equal(revoked.status, 0, revoked.stderr);
	await sleep(1100);
	for (const r of await use()) err(r, 401, 'unauthorized');
});

// ---- the wire against the spec (tests/integration/spec.mjs) ----

test('the spec check itself: Prism is in the path and its marks fail a test', T, async () => {
	assert.notEqual(BASE, DIRECT, 'http.sh puts Prism\'s proxy in front of the main server');
	// a request the spec refuses (no key) is marked, and passes: the server refused it too
	const r = await api('GET', '/v1/purposes');
	err(r, 401, 'unauthorized');
	const marks = JSON.parse(r.headers.get('sl-violations') || '[]');
	assert.ok(marks.some((v) => v.location[0] === 'request'), `Prism marked the request: ${r.headers.get('sl-violations')}`);
	// a mark on a response fails, whatever its severity; a marked request that was taken fails
	const h = (v) => new Headers({ 'sl-violations': JSON.stringify([v]) });
	assert.throws(() => wireCheck('GET', '/x', 200, h({ location: ['response'], severity: 'Warning', message: 'Unable to match the returned status code' })), /does not describe/);
	assert.throws(() => wireCheck('POST', '/x', 201, h({ location: ['request', 'body'], severity: 'Error', message: 'must match pattern' })), /does not describe/);
	wireCheck('POST', '/x', 422, h({ location: ['request', 'body'], severity: 'Error', message: 'must match pattern' }));
	// by schema: an unlisted status, a body off its schema
	assert.throws(() => schemaCheck('GET', '/healthz', 418, new Headers(), ''), /lists no 418/);
	assert.throws(() => schemaCheck('GET', '/healthz', 200, new Headers({ 'content-type': 'application/json' }), '{"status":"fine"}'), /does not match/);
	schemaCheck('GET', '/healthz', 200, new Headers({ 'content-type': 'application/json' }), '{"status":"ok"}');
});

// ---- HTTP as RFC 9110 and 9112 say (docs/api.md, "HTTP") ----

// What a header list looks like for comparing a GET's answer with its HEAD's: every header
// but Date.
function headerList(r) {
	const out = {};
	for (const [k, v] of r.headers) if (k !== 'date' && k !== 'connection' && k !== 'keep-alive') out[k] = v;
	return out;
}

test('HEAD answers every GET route with the GET\'s status and headers and no body', T, async () => {
	assert.ok(anna && carl);
	const q = encodeURIComponent(anna.email);
	// one concrete path per GET route of the spec; a new GET route without one here fails
	const sample = {
		'/healthz': '/healthz',
		// an admin key: 403 to GET and HEAD alike (the scope metrics is no admin's)
		'/metrics': '/metrics',
		'/assets/page.css': '/assets/page.css',
		'/assets/embed.js': '/assets/embed.js',
		'/assets/console.css': '/assets/console.css',
		'/v1/purposes': '/v1/purposes',
		'/v1/contacts': `/v1/contacts?email=${q}`,
		'/v1/contacts/{id}': `/v1/contacts/${anna.id}`,
		'/v1/contacts/{id}/consents': `/v1/contacts/${anna.id}/consents`,
		'/v1/contacts/{id}/export': `/v1/contacts/${anna.id}/export`,
		'/v1/contacts/{id}/score': `/v1/contacts/${anna.id}/score`,
		'/v1/suppressions/check': `/v1/suppressions/check?email=${q}`,
		'/v1/consents/{id}/receipt': `/v1/consents/${carl.give.id}/receipt`,
		'/v1/check': `/v1/check?email=${q}&purpose=newsletter`,
		'/v1/changes': '/v1/changes?limit=2',
		'/v1/audit/verify': '/v1/audit/verify',
		'/f/{id}': '/f/newsletter',
		'/f/confirm/{token}': '/f/confirm/r_not_a_real_token',
		'/v1/webhooks/{id}': '/v1/webhooks/w_aaaaaaaaaaaaaaaaaaaaaaaa',
		'/p': '/p',
		'/p/{token}': '/p/not_a_real_token',
		'/p/{token}/export': '/p/not_a_real_token/export',
		'/p/{token}/export.json': '/p/not_a_real_token/export.json',
		'/p/{token}/erase': '/p/not_a_real_token/erase',
		'/assets/console.css': '/assets/console.css',
		// the console (without a session: the same refusal to GET and HEAD)
		'/console': '/console',
		'/console/purposes': '/console/purposes',
		'/console/audiences': '/console/audiences?purpose=newsletter',
		'/console/audiences/{purpose}/allowed.csv': '/console/audiences/newsletter/allowed.csv',
		'/console/retention': '/console/retention',
		'/console/admin': '/console/admin',
		'/console/import': '/console/import',
		'/console/import/{id}': '/console/import/j_not_a_real_job',
		'/console/import/{id}/progress': '/console/import/j_not_a_real_job/progress',
		'/console/import/{id}/rejects.csv': '/console/import/j_not_a_real_job/rejects.csv',
		'/assets/console.js': '/assets/console.js',
		'/console/person': '/console/person',
		'/console/person/{id}': `/console/person/${anna.id}`,
		'/console/person/{id}/export': `/console/person/${anna.id}/export`,
		'/console/person/{id}/export.json': `/console/person/${anna.id}/export.json`,
		'/console/person/{id}/erase': `/console/person/${anna.id}/erase`,
		'/console/receipt/{id}': `/console/receipt/${carl.give.id}`,
		'/console/sign-in': '/console/sign-in',
		'/v1/utm': '/v1/utm?url=https%3A%2F%2Fwww.example.com%2F&source=s&medium=m&campaign=c',
		'/console/utm': '/console/utm',
		'/console/audit': '/console/audit',
		'/console/audit.csv': '/console/audit.csv',
		'/console/audit.json': '/console/audit.json',
		'/c.js': '/c.js',
		'/v1/visitors/{id}': '/v1/visitors/v_aaaaaaaaaaaaaaaaaaaaaaaa',
		// campaigns (helper campaign)
		'/v1/campaigns': '/v1/campaigns',
		'/v1/campaigns/{id}': '/v1/campaigns/g_not_a_real_campaign',
		'/v1/campaigns/{id}/preview': '/v1/campaigns/g_not_a_real_campaign/preview',
		'/u/{token}': '/u/not_a_real_token',
		'/o/{token}': '/o/not_a_real_token',
		'/l/{token}': '/l/not_a_real_token',
	};
	const gets = Object.keys(SPEC.paths).filter((p) => SPEC.paths[p].get);
	assert.deepEqual(gets.filter((p) => !(p in sample)), [], 'every GET route of the spec has a sample path here');
	for (const tpl of gets) {
		const p = sample[tpl];
		const g = await nodeReq('GET', p, { key: KEY.admin });
		const h = await nodeReq('HEAD', p, { key: KEY.admin });
		assert.equal(h.status, g.status, `HEAD ${p}: ${h.status}, GET: ${show(g)}`);
		assert.notEqual(h.status, 405, `HEAD ${p} is answered`);
		assert.equal(h.text, '', `HEAD ${p} has no body`);
		const gh = headerList(g);
		const hh = headerList(h);
		// an export and the change feed hold times of the moment: the length may differ by a digit or two
		if (tpl === '/v1/contacts/{id}/export' || tpl === '/v1/audit/verify') {
			delete gh['content-length'];
			delete hh['content-length'];
		}
		assert.deepEqual(hh, gh, `HEAD ${p} has the GET's headers`);
	}
	// without a key, as a health monitor probes
	const probe = await nodeReq('HEAD', '/healthz');
	assert.equal(probe.status, 200);
	assert.equal(probe.headers.get('content-length'), String('{"status":"ok"}'.length));
	// HEAD is listed in Allow wherever GET is
	const r = await api('DELETE', '/v1/purposes', { key: KEY.admin });
	err(r, 405, 'method_not_allowed');
	assert.match(r.headers.get('allow'), /\bGET, HEAD\b/);
	// a route without GET has no HEAD either
	const none = await nodeReq('HEAD', '/v1/consents', { key: KEY.admin });
	assert.equal(none.status, 405);
	assert.equal(none.headers.get('allow'), 'POST');
});

test('Cache-Control: no-store is on every answer: data, pages, errors and refusals before the body', T, async () => {
	const answers = [
		await get(`/v1/contacts/${anna.id}`),
		await get(`/v1/contacts/${anna.id}/export`),
		await api('GET', '/healthz'),
		await api('GET', '/f/newsletter'),
		await get('/v1/nothing-here'),
		await api('GET', '/v1/purposes'),
		await api('DELETE', '/v1/purposes', { key: KEY.admin }),
		await nodeReq('POST', '/v1/consents', { body: '{}' }),
		await nodeReq('POST', '/v1/consents', { key: KEY.crm, body: 'x'.repeat(2 * 1024 * 1024) }),
	];
	for (const r of answers) assert.equal(r.headers.get('cache-control'), 'no-store', `Cache-Control of ${show(r)}`);
});

test('pages that follow Accept-Language say Vary: Accept-Language; the API\'s JSON does not', T, async () => {
	const vary = (r) => (r.headers.get('vary') || '').split(',').map((x) => x.trim().toLowerCase());
	const sv = { 'accept-language': 'sv-SE, en;q=0.5' };
	const page = await api('GET', '/f/newsletter', { headers: sv });
	assert.equal(page.status, 200);
	assert.match(page.text, /<html lang="sv"/);
	assert.ok(vary(page).includes('accept-language'), `form page Vary: ${page.headers.get('vary')}`);
	const confirm = await api('GET', '/f/confirm/r_not_a_real_token', { headers: sv });
	assert.equal(confirm.status, 400, show(confirm));
	assert.ok(vary(confirm).includes('accept-language'), `confirmation page Vary: ${confirm.headers.get('vary')}`);
	// a form post's answer page (straight to the server: a redirect would be followed by the proxy)
	const post = await nodeReq('POST', '/f/webinar', { body: 'email=not-an-address', headers: { ...sv, 'content-type': 'application/x-www-form-urlencoded' } });
	assert.equal(post.status, 422, show(post));
	assert.match(post.text, /<html lang="sv"/);
	assert.ok(vary(post).includes('accept-language'), `form answer Vary: ${post.headers.get('vary')}`);
	const json = await get('/v1/purposes');
	assert.ok(!vary(json).includes('accept-language'), `the API's JSON does not vary by language: ${json.headers.get('vary')}`);
	// a cross-origin post's answer varies by both
	const cors = await nodeReq('POST', '/f/webinar', { body: '{"email":"not-an-address"}', headers: { ...sv, origin: 'https://www.example.com' } });
	assert.equal(cors.headers.get('access-control-allow-origin'), 'https://www.example.com', show(cors));
	assert.deepEqual(vary(cors).sort(), ['accept-language', 'origin'], `Vary: ${cors.headers.get('vary')}`);
});

test('a request without Host (HTTP/1.1) or with two Host headers is 400 bad_request', T, async () => {
	const send = async (head) => {
		const conn = await RawConn.open(DIRECT);
		try {
			conn.write(head);
			const r = await conn.response();
			answered.main++;
			return r;
		} finally {
			conn.end();
		}
	};
	const none = await send('GET /healthz HTTP/1.1\r\n\r\n');
	assert.equal(none.status, 400, none.text);
	assert.equal(none.json?.error?.code, 'bad_request', none.text);
	assert.match(none.json.error.message, /Host/);
	const two = await send('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.com\r\n\r\n');
	assert.equal(two.status, 400, two.text);
	assert.equal(two.json?.error?.code, 'bad_request', two.text);
	const twoPost = await send(`POST /v1/check HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nAuthorization: Bearer ${KEY.reader}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
	assert.equal(twoPost.status, 400, twoPost.text);
	for (const r of [none, two, twoPost]) schemaCheck('GET', '/healthz', r.status, r.headers, r.text);
	// HTTP/1.0 has no Host requirement; one Host is fine
	const old = await send('GET /healthz HTTP/1.0\r\n\r\n');
	assert.equal(old.status, 200, old.text);
	const one = await send('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
	assert.equal(one.status, 200, one.text);
});

test('a JSON route refuses another Content-Type with 415 unsupported_media_type and writes nothing', T, async () => {
	const before = await snapshot();
	const body = JSON.stringify({ email: addr('media'), purpose: 'newsletter', action: 'give' });
	for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'text/csv', 'application/jsonx']) {
		const r = await api('POST', '/v1/consents', { key: KEY.crm, raw: body, headers: { 'content-type': ct } });
		err(r, 415, 'unsupported_media_type', { names: ['application/json'] });
	}
	err(await nodeReq('POST', '/v1/contacts', { key: KEY.crm, body, headers: { 'content-type': '' } }), 415, 'unsupported_media_type');
	err(await api('PATCH', `/v1/contacts/${anna.id}`, { key: KEY.crm, raw: '{"fields":{}}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
	err(await api('POST', '/v1/check', { key: KEY.reader, raw: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
	err(await api('POST', '/v1/webhooks', { key: KEY.admin, raw: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
	err(await api('POST', '/v1/imports', { key: KEY.admin, raw: 'email\n', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type', { names: ['text/csv'] });
	await unchanged(before, 'bodies of another media type');
	// the type is matched without case and with parameters; text/csv stays accepted on /v1/imports
	ok(await api('POST', '/v1/consents', { key: KEY.crm, raw: body, headers: { 'content-type': 'Application/JSON; charset=utf-8' } }), 201);
	const csv = await api('POST', '/v1/imports?dry_run=true&map=' + encodeURIComponent('{"columns":{"email":"email"}}'), { key: KEY.admin, raw: `email\n${addr('csvmedia')}\n`, headers: { 'content-type': 'text/csv' } });
	assert.notEqual(csv.status, 415, show(csv));
	// the public form takes a form post or JSON, and answers another type with 415 too
	const f = await nodeReq('POST', '/f/webinar', { body: 'email=x', headers: { 'content-type': 'text/plain' } });
	assert.equal(f.status, 415, show(f));
	assert.match(f.headers.get('content-type'), /^text\/html/);
	const redirected = await nodeReq('POST', '/f/newsletter', { body: 'email=x', headers: { 'content-type': 'text/plain' } });
	assert.equal(redirected.status, 303, show(redirected));
	assert.match(redirected.headers.get('location'), /[?&]error=unsupported_media_type$/);
});

// Straight to the server (nodeReq): Prism 5.14 itself takes only "Bearer" with that case
// and marks "bearer" as an invalid scheme, which RFC 9110 11.1 says it is not.
test('the Bearer scheme is matched without regard to case (RFC 9110 11.1)', T, async () => {
	const as = (authorization) => nodeReq('GET', '/v1/purposes', { headers: { authorization } });
	for (const scheme of ['bearer', 'BEARER', 'bEaReR']) ok(await as(`${scheme} ${KEY.reader}`));
	ok(await as(`Bearer   ${KEY.reader}`));
	err(await as(`Bearer${KEY.reader}`), 401, 'unauthorized');
	err(await as(`Bearers ${KEY.reader}`), 401, 'unauthorized');
	err(await as(`Token ${KEY.reader}`), 401, 'unauthorized');
});

test('serve on a port in use fails, naming the address and port it tried', T, async () => {
	const port = new URL(DIRECT).port;
	const r = spawnSync(SAMTYCKE, ['--db', DB, 'serve', '--listen', `127.0.0.1:${port}`], { encoding: 'utf8', timeout: 10_000 });
	assert.notEqual(r.status, 0, `serve on a used port exits non-zero: ${r.stdout} ${r.stderr}`);
	assert.ok(r.stderr.includes(`127.0.0.1:${port}`), `stderr names 127.0.0.1:${port}: ${r.stderr}`);
	assert.match(r.stderr, /in use/i);
	assert.doesNotMatch(r.stderr, /port 0\b/, `stderr does not name port 0: ${r.stderr}`);
});

// ---- shutdown ----

test('SIGTERM: an in-flight request is finished, then the server exits 0', T, async () => {
	const child = spawn(SAMTYCKE, ['--db', DB, 'serve', '--listen', '127.0.0.1:0', '--rate-limit', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let errText = '';
	child.stdout.on('data', (c) => (out += c));
	child.stderr.on('data', (c) => (errText += c));
	const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
	try {
		const deadline = Date.now() + 10_000;
		let m;
		while (!(m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out)) && Date.now() < deadline) await sleep(50);
		assert.ok(m, `listening line: ${out} ${errText}`);
		const email = addr('lena');
		const conn = await RawConn.open(m[1]);
		const body = JSON.stringify({ email, purpose: 'newsletter', action: 'give' });
		conn.write(`POST /v1/consents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY.crm}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
		await sleep(200);
		child.kill('SIGTERM');
		await sleep(200);
		conn.write(body.slice(10));
		const r = await conn.response(5000);
		conn.end();
		assert.equal(r.status, 201, `${r.status} ${r.text}`);
		const t0 = Date.now();
		const how = await Promise.race([exited, sleep(5000).then(() => null)]);
		assert.ok(how, 'exited within 5 s of SIGTERM');
		assert.deepEqual(how, { code: 0, signal: null });
		assert.ok(Date.now() - t0 < 5000);
		const c = ok(await get(`/v1/check?email=${encodeURIComponent(email)}&purpose=newsletter`, KEY.reader));
		assert.equal(c.allowed, true, 'the finished request was stored');
		assert.ok(!/@|%40/.test(errText), 'its access log holds no address');
	} finally {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	}
});
