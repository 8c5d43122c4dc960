// forms.test.mjs: web forms with double opt-in by real mail, against docs/forms.md. Run by
// forms.sh, which starts aiosmtpd (a Maildir at SK_MAILDIR) and four servers on one fresh
// database with the example policy: FORMS_URL (the functional one), FORMS_URL_LIMITED
// (--form-rate-limit 3), FORMS_URL_FUTURE (clock pinned 30 days ahead) and FORMS_URL_NOMAIL
// (no --smtp-url). Every request is
// made as a browser or a site's script would make it; every mail is read from the Maildir
// and parsed as MIME by Python's email package (mime.py). Each top-level test is one
// user-visible behaviour and one TAP case. Only addresses at example domains are used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { proxied, answerCheck } from './spec.mjs';
import { newDb, storeHolds } from './store.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.SK_SOURCE_ROOT || path.resolve(here, '..', '..');
const need = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set: run this file through tests/integration/forms.sh`);
	return v;
};
const BASE = need('FORMS_URL');
// Prism's validating proxy in front of BASE (forms.sh); answers are held against docs/openapi.yaml.
const PRISM = process.env.FORMS_URL_PRISM || '';
const LIMITED = need('FORMS_URL_LIMITED');
const FUTURE = need('FORMS_URL_FUTURE');
const NOMAIL = need('FORMS_URL_NOMAIL');
const SLOW = need('FORMS_URL_SLOW');
const SAMTYCKE = need('SAMTYCKE');
const DB = need('SK_DB');
const TMP = need('SK_TMP');
const MAILDIR = need('SK_MAILDIR');
const PY = process.env.SK_PYTHON || '/usr/bin/python3';
const KEY_READER = need('KEY_READER');
const MIME_PY = path.join(here, 'mime.py');
const T = { timeout: 60_000 };

// The example policy's newsletter form (examples/policy.yaml).
const ORIGIN = 'https://www.example.com';
const SUCCESS_URL = 'https://www.example.com/tack';
const ERROR_URL = 'https://www.example.com/fel';
const UA_FORM = 'Mozilla/5.0 (X11; Linux x86_64) samtycke-forms-test/1.0';
const UA_CONFIRM = 'Mozilla/5.0 (Android 14; Mobile) samtycke-confirm-test/2.0';
const UA_SCRIPT = 'Mozilla/5.0 (Macintosh) samtycke-site-script/3.0';
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

// ---- bookkeeping for forms.sh: the addresses and tokens used (never in an access log) ----
const emails = new Set();
const tokens = new Set();
const addr = (local, domain = 'example.com') => {
	const a = `${local}@${domain}`;
	emails.add(a);
	return a;
};
process.on('exit', () => {
	const out = process.env.SK_TEST_REPORT;
	if (!out) return;
	writeFileSync(`${out}.emails`, [...emails].join('\n') + '\n');
	writeFileSync(`${out}.tokens`, [...tokens].filter((t) => t.length >= 16).join('\n') + '\n');
});

// ---- requests (node:http, so that Origin, Referer and Sec-GPC go out exactly as given) ----
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
				const p = u.pathname + u.search;
				try {
					answerCheck(!!via, method, p, res.statusCode, res.headers, text);
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

// formPost(FORM, [[name, value], ...], {headers, base}): as a browser posts a form.
function formPost(form, pairs, { headers = {}, base = BASE } = {}) {
	const body = new URLSearchParams(pairs).toString();
	return request('POST', `${base}/f/${form}`, {
		headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA_FORM, ...headers },
		body,
	});
}

// jsonPost(FORM, OBJECT or raw string, {headers, base}): as a site's own script posts.
function jsonPost(form, obj, { headers = {}, base = BASE } = {}) {
	const body = typeof obj === 'string' ? obj : JSON.stringify(obj);
	return request('POST', `${base}/f/${form}`, {
		headers: { 'content-type': 'application/json', 'user-agent': UA_SCRIPT, ...headers },
		body,
	});
}

const api = (p) => request('GET', BASE + p, { headers: { authorization: `Bearer ${KEY_READER}` } });

function show(r) {
	const t = r.text.length > 800 ? r.text.slice(0, 800) + '...' : r.text;
	const loc = r.headers.location ? ` Location: ${r.headers.location}` : '';
	return `${r.status}${loc} ${t}`;
}

function isHtml(r) {
	assert.match(r.headers['content-type'] || '', /^text\/html\b/i, `content-type of ${show(r)}`);
}

function ok(r, status = 200) {
	assert.equal(r.status, status, `wanted ${status}, got ${show(r)}`);
	assert.match(r.headers['content-type'] || '', /^application\/json\b/, `content-type of ${show(r)}`);
	assert.ok(r.json && typeof r.json === 'object', `JSON body: ${show(r)}`);
	return r.json;
}

// err(r, STATUS, CODE, {names: [text the message must contain], not: [values it must not]}).
function err(r, status, code, { names = [], not = [] } = {}) {
	assert.equal(r.status, status, `wanted ${status} ${code}, got ${show(r)}`);
	assert.match(r.headers['content-type'] || '', /^application\/json\b/, `content-type of ${show(r)}`);
	assert.ok(r.json && typeof r.json === 'object', `JSON body: ${show(r)}`);
	assert.deepEqual(Object.keys(r.json), ['error'], `error envelope: ${show(r)}`);
	const e = r.json.error;
	assert.equal(e.code, code, `error code: ${show(r)}`);
	assert.equal(typeof e.message, 'string');
	assert.ok(e.message.length > 0, 'error message is not empty');
	for (const n of names) assert.ok(e.message.toLowerCase().includes(n.toLowerCase()), `message ${JSON.stringify(e.message)} names ${n}`);
	for (const v of not) assert.ok(!e.message.toLowerCase().includes(v.toLowerCase()), `message ${JSON.stringify(e.message)} must not contain the value ${v}`);
	return e;
}

function redirectsTo(r, url) {
	assert.equal(r.status, 303, `wanted 303 See Other to ${url}, got ${show(r)}`);
	assert.equal(r.headers.location, url, `Location of ${show(r)}`);
}

function redirectsToError(r, code) {
	assert.equal(r.status, 303, `wanted 303 See Other to ${ERROR_URL}?error=${code}, got ${show(r)}`);
	const loc = r.headers.location;
	assert.ok(loc, `a Location header: ${show(r)}`);
	const u = new URL(loc);
	assert.equal(u.origin + u.pathname, ERROR_URL, `Location ${loc} is the form's error_url`);
	assert.equal(u.searchParams.get('error'), code, `Location ${loc} says error=${code}`);
}

// ---- the CLI on the same database ----
function cli(...args) {
	const r = spawnSync(SAMTYCKE, ['--db', DB, ...args], { encoding: 'utf8', env: { ...process.env, SAMTYCKE_NOW: '' } });
	return { status: r.status, out: r.stdout, err: r.stderr, json: parse(r.stdout) };
}

function gate(email, purpose) {
	const r = cli('--json', 'check', email, purpose);
	assert.ok(r.json && typeof r.json.allowed === 'boolean', `samtycke check ${purpose} --json: ${r.status} ${r.out} ${r.err}`);
	return r.json;
}
function isPending(email, purpose) {
	const g = gate(email, purpose);
	assert.deepEqual({ allowed: g.allowed, reason: g.reason }, { allowed: false, reason: 'pending_confirmation' }, `check ${purpose} while unconfirmed`);
}
function isAllowed(email, purpose) {
	const g = gate(email, purpose);
	assert.deepEqual({ allowed: g.allowed, reason: g.reason }, { allowed: true, reason: 'consent' }, `check ${purpose}`);
}
function isNotGiven(email, purpose) {
	const g = gate(email, purpose);
	assert.equal(g.allowed, false, `check ${purpose}: ${JSON.stringify(g)}`);
	assert.notEqual(g.reason, 'pending_confirmation', `check ${purpose}: ${JSON.stringify(g)}`);
}

function proof(email, purpose) {
	const r = cli('--json', 'consent', 'proof', email, purpose);
	assert.equal(r.status, 0, `consent proof ${purpose}: ${r.out} ${r.err}`);
	assert.ok(r.json, `consent proof --json prints JSON: ${r.out}`);
	return r.json;
}

function history(email) {
	const r = cli('--json', 'consent', 'show', email);
	assert.equal(r.status, 0, `consent show: ${r.out} ${r.err}`);
	assert.ok(r.json && Array.isArray(r.json.history), `consent show --json has a history: ${r.out}`);
	return r.json.history;
}

function noContact(email) {
	const r = cli('contact', 'show', email);
	assert.equal(r.status, 1, `contact show exits 1 for an address that was never stored (status ${r.status}: ${r.out} ${r.err})`);
}

let policyVersion;
function pv() {
	if (policyVersion === undefined) {
		const r = cli('--json', 'policy', 'show');
		assert.equal(r.status, 0, `policy show: ${r.err}`);
		policyVersion = r.json.policy_version;
		assert.equal(typeof policyVersion, 'number');
	}
	return policyVersion;
}

// ---- "nothing was written": the change feed head and the ledger (size and hash head) ----
async function snapshot() {
	let after = 0;
	for (;;) {
		const c = ok(await api(`/v1/changes?after=${after}&limit=1000`));
		if (c.changes.length === 0) {
			const a = ok(await api('/v1/audit/verify'));
			return { next: c.next, events: a.events, head: a.head };
		}
		after = c.next;
	}
}
async function unchanged(before, what) {
	assert.deepEqual(await snapshot(), before, `${what} wrote nothing (change feed head and ledger unchanged)`);
}

let purposeMap;
async function purposes() {
	if (!purposeMap) {
		const list = ok(await api('/v1/purposes')).purposes;
		purposeMap = Object.fromEntries(list.map((p) => [p.id, p]));
	}
	return purposeMap;
}
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

// ---- mail: the Maildir of aiosmtpd, each message parsed by Python's email package ----
const mails = new Map(); // file name -> parsed message
function readMaildir() {
	const dir = path.join(MAILDIR, 'new');
	if (!existsSync(dir)) return;
	const fresh = readdirSync(dir).filter((f) => !mails.has(f));
	if (fresh.length === 0) return;
	const r = spawnSync(PY, [MIME_PY, ...fresh.map((f) => path.join(dir, f))], { encoding: 'utf8' });
	assert.equal(r.status, 0, `mime.py: ${r.stderr}`);
	const arr = JSON.parse(r.stdout);
	for (const m of arr) mails.set(path.basename(m.file), m);
}
function mailsTo(email) {
	readMaildir();
	const want = email.toLowerCase();
	return [...mails.values()].filter((m) => (m.rcpt_to || '').toLowerCase() === want || (m.to || '').toLowerCase().includes(want));
}
// waitMail(ADDRESS): the one message to the address (waits up to 10 s for it).
async function waitMail(email, n = 1) {
	const end = Date.now() + 10_000;
	while (mailsTo(email).length < n && Date.now() < end) await sleep(100);
	await sleep(200); // a second message, if one is wrongly sent, has time to arrive
	const got = mailsTo(email);
	assert.equal(got.length, n, `${n} mail(s) to ${email}, got ${got.length}: ${got.map((m) => m.subject).join(' | ')}`);
	return got;
}
async function noMail(email) {
	await sleep(400);
	const got = mailsTo(email);
	assert.equal(got.length, 0, `no mail to ${email}, got: ${got.map((m) => m.subject).join(' | ')}`);
}

// A confirmation mail: to the address, from --mail-from, plain UTF-8 text that decodes, a
// subject about confirming in the page's language, and exactly one confirmation link.
function checkMail(m, email, lang) {
	assert.equal(m.error, null, `the message parses and its body decodes: ${m.error}`);
	assert.deepEqual(m.defects, [], `no MIME defects in ${m.file}`);
	assert.equal(m.rcpt_to.toLowerCase(), email.toLowerCase(), 'envelope recipient');
	assert.equal(m.to.toLowerCase(), email.toLowerCase(), 'To: header');
	assert.ok(m.from.includes('noreply@example.com'), `From: ${m.from}`);
	assert.equal(m.content_type, 'text/plain', `Content-Type of the mail: ${m.content_type}`);
	assert.ok(m.max_line <= 998, `no line over 998 characters (RFC 5322), longest ${m.max_line}`);
	assert.ok(typeof m.text === 'string' && m.text.length > 0, 'a text body');
	assert.ok(!/=[0-9A-F]{2}/.test(m.text.replace(/https?:\/\/\S+/g, '')), `the body is decoded (no quoted-printable left): ${m.text}`);
	if (lang === 'sv') assert.match(m.subject, /bekräfta/i, `a Swedish subject about confirming, decoded: ${m.subject} (raw ${m.raw_subject})`);
	else assert.match(m.subject, /confirm/i, `an English subject about confirming: ${m.subject}`);
	const text = m.text.replace(/\r\n/g, '\n');
	const re = new RegExp(`${BASE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/f/confirm/([^\\s<>"]+)`, 'g');
	const links = [...text.matchAll(re)];
	assert.equal(links.length, 1, `exactly one link ${BASE}/f/confirm/TOKEN in the mail:\n${text}`);
	const token = links[0][1];
	tokens.add(token);
	return { url: links[0][0], token, text };
}

// ---- HTML ----
function decodeEntities(s) {
	const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
	return s.replace(/&(#[xX][0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (m, e) => {
		if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
		return e in named ? named[e] : m;
	});
}
function attrs(tagText) {
	const out = {};
	for (const m of tagText.matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
		out[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
	}
	return out;
}
const tagsOf = (html, name) => [...html.matchAll(new RegExp(`<${name}\\b([^>]*)>`, 'gi'))].map((m) => attrs(m[1]));
// the forms on a page, each with its attributes, inputs and buttons
function formsOf(html) {
	return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((m) => ({
		attrs: attrs(m[1]),
		inputs: tagsOf(m[2], 'input'),
		buttons: tagsOf(m[2], 'button'),
		selects: tagsOf(m[2], 'select').length + tagsOf(m[2], 'textarea').length,
	}));
}
const pageText = (html) => decodeEntities(html).replace(/\s+/g, ' ');
const norm = (s) => s.replace(/\s+/g, ' ');

async function getPage(url, headers = {}) {
	const r = await request('GET', url, { headers: { 'user-agent': UA_FORM, ...headers } });
	assert.equal(r.status, 200, `GET ${url}: ${show(r)}`);
	isHtml(r);
	return r;
}

// A form page: one form posting to /f/ID, the given fields and nothing else (besides the hidden
// lang and the honeypot), one unticked checkbox per consent worded with the exact notice text.
async function checkFormPage(r, id, lang, fields, consentIds) {
	const ps = await purposes();
	const other = lang === 'sv' ? 'en' : 'sv';
	const html = r.text;
	const m = html.match(/<html\b[^>]*\blang="([^"]+)"/i);
	assert.ok(m, 'the page says its language in <html lang>');
	assert.equal(m[1], lang, `<html lang> of the ${lang} page`);
	const forms = formsOf(html);
	assert.equal(forms.length, 1, `one form on the page: ${html}`);
	const f = forms[0];
	assert.equal((f.attrs.method || 'get').toLowerCase(), 'post', 'the form posts');
	assert.equal(new URL(f.attrs.action ?? '', r.url).pathname, `/f/${id}`, `the form posts to /f/${id}`);
	assert.equal(f.selects, 0, 'no select or textarea');
	const named = f.inputs.filter((i) => i.name !== undefined);
	const names = [...new Set(named.map((i) => i.name))].sort();
	assert.deepEqual(names, [...new Set(['consent', 'lang', 'website', ...fields])].sort(), 'the inputs are the fields, consent, lang and the honeypot website');
	const langInput = named.filter((i) => i.name === 'lang');
	assert.equal(langInput.length, 1);
	assert.equal(langInput[0].type, 'hidden', 'lang is a hidden input');
	assert.equal(langInput[0].value, lang, 'the hidden lang carries the page language');
	const boxes = named.filter((i) => i.name === 'consent');
	assert.deepEqual(boxes.map((b) => b.value), consentIds, 'one consent checkbox per option, in the order of the policy');
	for (const b of boxes) {
		assert.equal(b.type, 'checkbox', `consent ${b.value} is a checkbox`);
		assert.ok(!('checked' in b), `consent ${b.value} is not pre-ticked`);
	}
	assert.ok(!/\bchecked\b/i.test(html.replace(/<(?:style|script)\b[\s\S]*?<\/(?:style|script)>/gi, '').replace(/>[^<]*</g, '><')), 'nothing on the page is ticked');
	const text = pageText(html);
	for (const c of consentIds) {
		const p = ps[c];
		assert.ok(text.includes(norm(p.notice.text[lang])), `the page shows the exact ${lang} notice text of ${c}`);
		assert.ok(!text.includes(norm(p.notice.text[other])), `the page does not show the ${other} notice text of ${c}`);
	}
	for (const fname of fields) {
		const inp = named.filter((i) => i.name === fname);
		assert.equal(inp.length, 1, `one input for ${fname}`);
	}
	const hp = named.filter((i) => i.name === 'website');
	assert.equal(hp.length, 1, 'one honeypot input');
	return f;
}

// follow the confirmation page as a browser: GET the link, then submit the form on it
async function confirmPage(url, base = BASE) {
	const page = await getPage(url.replace(BASE, base), { 'user-agent': UA_CONFIRM });
	const forms = formsOf(page.text);
	assert.equal(forms.length, 1, `one form on the confirmation page: ${page.text}`);
	const f = forms[0];
	assert.equal((f.attrs.method || 'get').toLowerCase(), 'post', 'the confirmation form posts');
	assert.ok(f.buttons.length + f.inputs.filter((i) => i.type === 'submit').length >= 1, 'the confirmation page has a button');
	const action = new URL(f.attrs.action ?? '', page.url);
	assert.equal(action.origin + action.pathname, new URL(page.url).origin + new URL(page.url).pathname, 'the button posts to the link itself');
	return { page, form: f, action: action.href };
}
function submitConfirm(c) {
	const pairs = c.form.inputs.filter((i) => i.name && i.type !== 'submit').map((i) => [i.name, i.value ?? '']);
	return request('POST', c.action, {
		headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA_CONFIRM, origin: new URL(c.action).origin, referer: c.page.url },
		body: new URLSearchParams(pairs).toString(),
	});
}

function tamper(token, at) {
	let i = Math.floor(token.length * at);
	while (i < token.length && !/[A-Za-z0-9]/.test(token[i])) i++;
	assert.ok(i < token.length, `a character to change in ${token}`);
	const c = token[i] === 'A' ? 'B' : 'A';
	return token.slice(0, i) + c + token.slice(i + 1);
}

// ===================================================================================
// 1. the form page
// ===================================================================================

test('GET /f/newsletter: an English HTML page by default, only the address, one unticked box with the exact notice', T, async () => {
	const before = await snapshot();
	const r = await getPage(`${BASE}/f/newsletter`);
	await checkFormPage(r, 'newsletter', 'en', ['email'], ['newsletter']);
	const ps = await purposes();
	assert.ok(pageText(r.text).includes('Subscribe to our newsletter'), 'the English title of the form');
	assert.ok(pageText(r.text).includes(ps.newsletter.title.en), 'the purpose title');
	const email = tagsOf(r.text, 'input').find((i) => i.name === 'email');
	assert.equal(email.type, 'email', 'the address field is an e-mail input');
	// no Accept-Language we know: English too
	await checkFormPage(await getPage(`${BASE}/f/newsletter`, { 'accept-language': 'fr-FR, de;q=0.8' }), 'newsletter', 'en', ['email'], ['newsletter']);
	await checkFormPage(await getPage(`${BASE}/f/newsletter`, { 'accept-language': 'en-GB,en;q=0.9' }), 'newsletter', 'en', ['email'], ['newsletter']);
	await unchanged(before, 'showing the form');
});

test('GET /f/newsletter in Swedish with ?lang=sv and with Accept-Language: sv-SE; ?lang wins over the header', T, async () => {
	const a = await getPage(`${BASE}/f/newsletter?lang=sv`);
	await checkFormPage(a, 'newsletter', 'sv', ['email'], ['newsletter']);
	assert.ok(pageText(a.text).includes('Prenumerera på vårt nyhetsbrev'), 'the Swedish title of the form');
	const b = await getPage(`${BASE}/f/newsletter`, { 'accept-language': 'sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7' });
	await checkFormPage(b, 'newsletter', 'sv', ['email'], ['newsletter']);
	const c = await getPage(`${BASE}/f/newsletter?lang=en`, { 'accept-language': 'sv-SE,sv;q=0.9' });
	await checkFormPage(c, 'newsletter', 'en', ['email'], ['newsletter']);
	const d = await getPage(`${BASE}/f/newsletter?lang=sv`, { 'accept-language': 'en-US' });
	await checkFormPage(d, 'newsletter', 'sv', ['email'], ['newsletter']);
});

test('GET /f/{form} for a form the policy does not declare is 404', T, async () => {
	for (const id of ['no_such_form', 'Newsletter', 'newsletter2']) {
		const r = await request('GET', `${BASE}/f/${id}`);
		assert.equal(r.status, 404, `GET /f/${id}: ${show(r)}`);
	}
	const email = addr('ghostform');
	const p = await formPost('no_such_form', [['email', email], ['consent', 'newsletter']]);
	assert.equal(p.status, 404, `POST /f/no_such_form: ${show(p)}`);
	noContact(email);
});

// ===================================================================================
// 2. the done-when: a form post, a real mail, the link, the proof
// ===================================================================================

const done = {}; // shared by the done-when steps

test('done-when 1: the newsletter form posted from its page answers 303 to success_url; the consent is pending', T, async () => {
	const email = addr('ada.lovelace');
	const pageUrl = `${BASE}/f/newsletter?lang=en`;
	const page = await getPage(pageUrl);
	const f = await checkFormPage(page, 'newsletter', 'en', ['email'], ['newsletter']);
	const action = new URL(f.attrs.action ?? '', pageUrl).href;
	// what a browser sends: the hidden fields as they are, the address typed, the box ticked
	const pairs = [];
	for (const i of f.inputs) {
		if (!i.name || i.type === 'submit') continue;
		if (i.name === 'email') pairs.push(['email', email]);
		else if (i.type === 'checkbox') pairs.push([i.name, i.value]);
		else pairs.push([i.name, i.value ?? '']);
	}
	const r = await request('POST', action, {
		headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA_FORM, origin: BASE, referer: pageUrl },
		body: new URLSearchParams(pairs).toString(),
	});
	redirectsTo(r, SUCCESS_URL);
	isPending(email, 'newsletter');
	Object.assign(done, { email, pageUrl, postedAt: Date.now() });
});

test('done-when 2: a real mail arrives at the address, about confirming, with the link', T, async () => {
	assert.ok(done.email, 'needs the test before');
	const [m] = await waitMail(done.email);
	const l = checkMail(m, done.email, 'en');
	assert.ok(l.text.includes('Newsletter'), `the mail names the purpose being confirmed:\n${l.text}`);
	// not on file before it confirms: the preference centre's page that mails a link
	assert.ok(l.text.includes(`\n${BASE}/p\n`), `the mail offers ${BASE}/p on a line of its own:\n${l.text}`);
	done.link = l.url;
	done.token = l.token;
});

test('done-when 3: the link shows a page with a button and records nothing; the consent stays pending', T, async () => {
	assert.ok(done.link, 'needs the test before');
	const before = await snapshot();
	const c = await confirmPage(done.link);
	done.confirm = c;
	await unchanged(before, 'opening the confirmation page');
	isPending(done.email, 'newsletter');
});

test('done-when 4: pressing the button confirms (200); the gate then allows the newsletter', T, async () => {
	assert.ok(done.confirm, 'needs the test before');
	// the give and the confirm in different seconds, so that their times tell them apart
	const wait = 1100 - (Date.now() - done.postedAt);
	if (wait > 0) await sleep(wait);
	const r = await submitConfirm(done.confirm);
	assert.equal(r.status, 200, `POST ${done.link}: ${show(r)}`);
	isHtml(r);
	isAllowed(done.email, 'newsletter');
	done.confirmed = true;
	// the page offers the person's own preference centre: a link bound to this contact
	const m = r.text.match(/<a href="(\/p\/([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+)">See and change your choices<\/a>/);
	assert.ok(m, `a link to /p/TOKEN on the page: ${r.text}`);
	const c = cli('--json', 'contact', 'show', done.email);
	assert.ok(c.json && c.json.id, `contact show: ${c.out} ${c.err}`);
	assert.ok(Buffer.from(m[2], 'base64url').toString('latin1').startsWith(c.json.id), 'the link names the contact just confirmed');
	assert.ok(!m[1].includes('example'), 'no address in the link');
});

test('done-when 5: consent proof shows the form, page, notice text, both times and the sealed IP and user agent', T, async () => {
	assert.ok(done.confirmed, 'needs the test before');
	const ps = await purposes();
	const nl = ps.newsletter;
	const p = proof(done.email, 'newsletter');
	assert.equal(p.purpose, 'newsletter');
	assert.equal(p.status, 'given');
	assert.equal(p.event.action, 'confirm', `the latest event is the confirmation: ${JSON.stringify(p.event)}`);
	assert.ok(p.given, `the proof holds the give before the confirmation: ${JSON.stringify(p)}`);
	assert.equal(p.given.action, 'give');
	assert.equal(p.given.method, 'form');
	// the page kept as scheme, host and path: a query or fragment may carry personal data
	assert.ok(done.pageUrl.includes('?'), 'the form page was opened with a query string');
	assert.equal(p.given.source, `form:newsletter v${pv()} ${new URL(done.pageUrl).origin}`, 'source: form:ID v{policy version} SITE (the Referer\'s scheme and host: its path is the sealed evidence\'s)');
	assert.equal(p.given.lang, 'en');
	assert.equal(p.notice_text, nl.notice.text.en, 'the exact notice text shown');
	assert.equal(p.given.notice_version, nl.notice.version);
	assert.equal(p.given.notice_sha256, sha256(nl.notice.text.en), 'the SHA-256 of the English notice');
	assert.equal(p.event.notice_version, nl.notice.version);
	assert.equal(p.event.notice_sha256, p.given.notice_sha256, 'the confirmation is of the same notice');
	assert.match(p.given.occurred_at, RFC3339);
	assert.match(p.event.occurred_at, RFC3339);
	assert.ok(p.event.occurred_at > p.given.occurred_at, `the confirmation (${p.event.occurred_at}) has its own time, after the give (${p.given.occurred_at})`);
	assert.ok(p.evidence && typeof p.evidence === 'object', `sealed evidence: ${JSON.stringify(p.evidence)}`);
	assert.equal(p.evidence.ip, '127.0.0.1', 'the IP that confirmed');
	assert.equal(p.evidence.user_agent, UA_CONFIRM, 'the user agent that confirmed');
	assert.equal(p.evidence_shredded, false);
	// valid from the confirmation: valid_until is 24 months after the confirm, to the second
	assert.match(p.event.valid_until, RFC3339);
	assert.equal(p.event.valid_until.slice(10, 19), p.event.occurred_at.slice(10, 19), `valid_until ${p.event.valid_until} counts from the confirmation ${p.event.occurred_at}`);
	const days = (Date.parse(p.event.valid_until) - Date.parse(p.event.occurred_at)) / 86400e3;
	assert.ok(days >= 729 && days <= 732, `24 months of validity, got ${days} days`);
});

test('done-when 6: following the same link again is fine and records nothing new', T, async () => {
	assert.ok(done.confirmed, 'needs the test before');
	const h = history(done.email).length;
	const before = await snapshot();
	// the link says plainly that it was confirmed already, and offers no button (issue 11)
	const c = await getPage(done.link, { 'user-agent': UA_CONFIRM });
	assert.equal(formsOf(c.text).length, 0, `no confirmation button once confirmed: ${c.text}`);
	assert.match(pageText(c.text), /already confirmed/i, `the page says it was confirmed already: ${c.text}`);
	const r = await request('POST', done.link, { headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA_CONFIRM }, body: '' });
	assert.equal(r.status, 200, `POST ${done.link} again: ${show(r)}`);
	isHtml(r);
	assert.match(pageText(r.text), /already confirmed/i, `the answer says it was confirmed already: ${r.text}`);
	const r2 = await request('POST', done.link, { headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA_CONFIRM }, body: '' });
	assert.equal(r2.status, 200, `a third POST: ${show(r2)}`);
	await unchanged(before, 'confirming twice');
	assert.equal(history(done.email).length, h, 'history length unchanged');
	isAllowed(done.email, 'newsletter');
	assert.equal(mailsTo(done.email).length, 1, 'no further mail');
});

// ===================================================================================
// 3. undeclared fields
// ===================================================================================

test('a form post with an undeclared field goes 303 to error_url?error=undeclared_field and stores nothing', T, async () => {
	const email = addr('shoe.form');
	const before = await snapshot();
	const r = await formPost('newsletter', [['email', email], ['consent', 'newsletter'], ['lang', 'en'], ['shoe_size', '38']]);
	redirectsToError(r, 'undeclared_field');
	// a field the policy declares but this form does not ask for is undeclared here too
	const r2 = await formPost('newsletter', [['email', email], ['first_name', 'Ada'], ['consent', 'newsletter']]);
	redirectsToError(r2, 'undeclared_field');
	await unchanged(before, 'an undeclared field');
	noContact(email);
	await noMail(email);
});

test('a JSON post with an undeclared field is 422 undeclared_field naming it, and stores nothing', T, async () => {
	const email = addr('shoe.json');
	const before = await snapshot();
	const r = await jsonPost('newsletter', { email, consent: ['newsletter'], lang: 'en', shoe_size: '38' }, { headers: { origin: ORIGIN } });
	err(r, 422, 'undeclared_field', { names: ['shoe_size'], not: [email, '38'] });
	const r2 = await jsonPost('newsletter', { email, consent: ['newsletter'], company: 'Exempel AB' }, { headers: { origin: ORIGIN } });
	err(r2, 422, 'undeclared_field', { names: ['company'], not: [email, 'Exempel AB'] });
	await unchanged(before, 'an undeclared field');
	noContact(email);
	await noMail(email);
});

// ===================================================================================
// 4. altered and expired links
// ===================================================================================

async function pendingSignup(local) {
	const email = addr(local);
	const r = await formPost('newsletter', [['email', email], ['consent', 'newsletter'], ['lang', 'en']]);
	redirectsTo(r, SUCCESS_URL);
	const [m] = await waitMail(email);
	const l = checkMail(m, email, 'en');
	isPending(email, 'newsletter');
	return { email, ...l };
}

test('an altered confirmation link is refused (400, a page saying so) and records nothing', T, async () => {
	const s = await pendingSignup('tamper');
	const before = await snapshot();
	for (const at of [0.25, 0.5, 0.9]) {
		const bad = tamper(s.token, at);
		assert.notEqual(bad, s.token);
		for (const method of ['GET', 'POST']) {
			const r = await request(method, `${BASE}/f/confirm/${bad}`, method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA_CONFIRM }, body: '' } : {});
			assert.equal(r.status, 400, `${method} a link with one character changed (at ${at}): ${show(r)}`);
			isHtml(r);
			assert.equal(formsOf(r.text).length, 0, 'no confirmation button on the refusal page');
		}
	}
	for (const junk of ['x', 'not-a-token', `${s.token}x`, s.token.slice(0, -1)]) {
		const r = await request('POST', `${BASE}/f/confirm/${encodeURIComponent(junk)}`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
		assert.equal(r.status, 400, `POST a malformed token ${junk.slice(0, 20)}...: ${show(r)}`);
	}
	await unchanged(before, 'altered links');
	isPending(s.email, 'newsletter');
});

// docs/openapi.yaml describes these answers too (issue 11): a path segment longer than a
// token can be is no route (404), a malformed JSON post is 400 bad_json.
test('a link too long to be a token is 404 not_found, a malformed JSON post 400 bad_json; both as the spec says', T, async () => {
	const before = await snapshot();
	for (const method of ['GET', 'POST']) {
		const r = await request(method, `${BASE}/f/confirm/r_${'a'.repeat(300)}`, method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' } : {});
		err(r, 404, 'not_found');
	}
	err(await jsonPost('newsletter', '{"email":', { headers: { origin: ORIGIN } }), 400, 'bad_json');
	const wrong = await request('POST', `${BASE}/f/webinar`, { headers: { 'content-type': 'text/plain' }, body: 'email=x' });
	assert.equal(wrong.status, 415, show(wrong));
	isHtml(wrong);
	await unchanged(before, 'a long link and bad posts');
});

test('an expired confirmation link is refused (410, a page saying so) and records nothing', T, async () => {
	const s = await pendingSignup('late');
	noContact(s.email); // the request alone holds the address until it is confirmed
	const before = await snapshot();
	// the server whose clock is 30 days ahead: the link (7 days by default) has expired
	const g = await request('GET', `${FUTURE}/f/confirm/${s.token}`, { headers: { 'user-agent': UA_CONFIRM } });
	assert.equal(g.status, 410, `GET the link 30 days later: ${show(g)}`);
	isHtml(g);
	assert.equal(formsOf(g.text).length, 0, 'no confirmation button on the expired page');
	const p = await request('POST', `${FUTURE}/f/confirm/${s.token}`, { headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA_CONFIRM }, body: '' });
	assert.equal(p.status, 410, `POST the link 30 days later: ${show(p)}`);
	isHtml(p);
	await unchanged(before, 'an expired link');
	noContact(s.email);
	isPending(s.email, 'newsletter');
	// control: the very same link, today, is whole
	const today = await getPage(s.url, { 'user-agent': UA_CONFIRM });
	assert.equal(formsOf(today.text).length, 1, 'today the link shows its button');
});

// ===================================================================================
// 5. JSON posts and CORS
// ===================================================================================

test('a JSON post from an allowed origin: 200 {"status":"ok","pending":["newsletter"]} with CORS, a mail, sealed form evidence', T, async () => {
	const email = addr('script.post');
	const pageUrl = 'https://www.example.com/blogg/nyhetsbrev';
	const r = await jsonPost('newsletter', { email, consent: ['newsletter'], lang: 'sv', page_url: pageUrl }, { headers: { origin: ORIGIN, referer: 'https://www.example.com/other' } });
	const j = ok(r);
	assert.equal(j.status, 'ok');
	assert.deepEqual(j.pending, ['newsletter']);
	assert.deepEqual(j.given, []);
	if ('ignored' in j) assert.deepEqual(j.ignored, []);
	assert.equal(r.headers['access-control-allow-origin'], ORIGIN, 'Access-Control-Allow-Origin');
	isPending(email, 'newsletter');
	const [m] = await waitMail(email);
	checkMail(m, email, 'sv');
	noContact(email); // held as a request until the person confirms
	const ps = await purposes();
	const l = checkMail(m, email, 'sv');
	assert.equal((await submitConfirm(await confirmPage(l.url))).status, 200, 'confirmed');
	const p = proof(email, 'newsletter');
	assert.equal(p.given.action, 'give');
	assert.equal(p.given.method, 'form');
	assert.equal(p.given.source, `form:newsletter v${pv()} ${new URL(pageUrl).origin}`, 'the site of page_url in the source');
	assert.equal(p.given.lang, 'sv');
	assert.equal(p.notice_text, ps.newsletter.notice.text.sv);
	assert.equal(p.given.notice_sha256, sha256(ps.newsletter.notice.text.sv));
	assert.deepEqual(p.given_evidence, { form: 'newsletter', form_version: pv(), page_url: pageUrl, ip: '127.0.0.1', user_agent: UA_SCRIPT, gpc: false },
		'sealed evidence {form, form_version, page_url, ip, user_agent, gpc}');
});

test('OPTIONS /f/newsletter from an allowed origin is a 204 preflight with the CORS headers', T, async () => {
	const r = await request('OPTIONS', `${BASE}/f/newsletter`, {
		headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
	});
	assert.equal(r.status, 204, `preflight: ${show(r)}`);
	assert.equal(r.headers['access-control-allow-origin'], ORIGIN);
	assert.match(r.headers['access-control-allow-methods'] || '', /\bPOST\b/, 'Access-Control-Allow-Methods has POST');
	assert.match(r.headers['access-control-allow-headers'] || '', /\bcontent-type\b/i, 'Access-Control-Allow-Headers has Content-Type (a JSON post needs it)');
});

test('cross-origin posts and preflights from an origin the form does not allow are 403 and store nothing', T, async () => {
	const email = addr('evil.target');
	const before = await snapshot();
	for (const origin of ['https://evil.example', 'http://www.example.com', 'https://www.example.com.evil.example', 'https://www.example.com:8443']) {
		const o = await request('OPTIONS', `${BASE}/f/newsletter`, { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
		assert.equal(o.status, 403, `preflight from ${origin}: ${show(o)}`);
		assert.notEqual(o.headers['access-control-allow-origin'], origin, `no Access-Control-Allow-Origin for ${origin}`);
		assert.notEqual(o.headers['access-control-allow-origin'], '*');
		const r = await jsonPost('newsletter', { email, consent: ['newsletter'], lang: 'en' }, { headers: { origin } });
		err(r, 403, 'forbidden', { not: [email] });
		assert.notEqual(r.headers['access-control-allow-origin'], origin, `no Access-Control-Allow-Origin for ${origin}`);
		assert.notEqual(r.headers['access-control-allow-origin'], '*');
	}
	await unchanged(before, 'posts from a foreign origin');
	noContact(email);
	await noMail(email);
});

// ===================================================================================
// 6. the webinar form: more fields, several consents
// ===================================================================================

test('GET /f/webinar: address, names and company; three separate unticked boxes with their notices', T, async () => {
	await checkFormPage(await getPage(`${BASE}/f/webinar`), 'webinar', 'en', ['email', 'first_name', 'last_name', 'company'], ['event_invitations', 'offers', 'lead_scoring']);
	await checkFormPage(await getPage(`${BASE}/f/webinar?lang=sv`), 'webinar', 'sv', ['email', 'first_name', 'last_name', 'company'], ['event_invitations', 'offers', 'lead_scoring']);
});

test('webinar: a missing or empty required field is an error naming it, and stores nothing', T, async () => {
	const email = addr('half.named');
	const before = await snapshot();
	// a form post (the webinar form has no error_url: an HTML page naming the field)
	const r = await formPost('webinar', [['email', email], ['last_name', 'Lind'], ['consent', 'offers'], ['lang', 'en']]);
	assert.ok(r.status >= 400 && r.status < 500, `a form post without first_name is refused: ${show(r)}`);
	isHtml(r);
	assert.ok(r.text.includes('first_name') || pageText(r.text).includes('First name'), `the page names the field first_name: ${r.text}`);
	const r2 = await formPost('webinar', [['email', email], ['first_name', ''], ['last_name', 'Lind'], ['consent', 'offers']]);
	assert.ok(r2.status >= 400 && r2.status < 500, `an empty first_name is refused: ${show(r2)}`);
	// JSON
	err(await jsonPost('webinar', { email, first_name: 'Lo', consent: ['offers'] }, { headers: { origin: ORIGIN } }), 422, 'invalid', { names: ['last_name'], not: [email] });
	err(await jsonPost('webinar', { first_name: 'Lo', last_name: 'Lind', consent: ['offers'] }, { headers: { origin: ORIGIN } }), 422, 'invalid', { names: ['email'] });
	await unchanged(before, 'refused webinar sign-ups');
	noContact(email);
	await noMail(email);
});

test('a bad address is 422 invalid_email naming the field email (never echoing it), and stores nothing', T, async () => {
	const before = await snapshot();
	for (const bad of ['not-an-address', 'two@@example.com', 'space in@example.com']) {
		err(await jsonPost('newsletter', { email: bad, consent: ['newsletter'] }, { headers: { origin: ORIGIN } }), 422, 'invalid_email', { names: ['email'], not: [bad] });
		redirectsToError(await formPost('newsletter', [['email', bad], ['consent', 'newsletter']]), 'invalid_email');
	}
	await unchanged(before, 'bad addresses');
});

test('webinar: company is optional; offers is given at once, event_invitations waits for the mail, which lists only it', T, async () => {
	const email = addr('asa.oberg');
	const r = await formPost('webinar', [['email', email], ['first_name', 'Åsa'], ['last_name', 'Öberg'], ['consent', 'event_invitations'], ['consent', 'offers'], ['lang', 'sv']],
		{ headers: { referer: 'https://www.example.com/webbinarium' } });
	assert.equal(r.status, 200, `no success_url: a thank-you page, got ${show(r)}`);
	isHtml(r);
	isAllowed(email, 'offers');
	isPending(email, 'event_invitations');
	isNotGiven(email, 'lead_scoring');
	const c = ok(await api(`/v1/contacts?email=${encodeURIComponent(email)}`));
	assert.deepEqual(c.fields, { email, first_name: 'Åsa', last_name: 'Öberg' }, 'the fields given, no company');
	const ps = await purposes();
	const [m] = await waitMail(email);
	const l = checkMail(m, email, 'sv');
	assert.ok(l.text.includes(ps.event_invitations.title.sv), `the mail lists the pending purpose "${ps.event_invitations.title.sv}":\n${l.text}`);
	for (const other of ['offers', 'lead_scoring'])
		for (const lang of ['sv', 'en'])
			assert.ok(!l.text.includes(ps[other].title[lang]), `the mail does not list ${other} ("${ps[other].title[lang]}"):\n${l.text}`);
	// confirm
	const cp = await confirmPage(l.url);
	assert.equal((await submitConfirm(cp)).status, 200);
	isAllowed(email, 'event_invitations');
	isAllowed(email, 'offers');
	const p = proof(email, 'event_invitations');
	assert.equal(p.given.lang, 'sv');
	assert.equal(p.notice_text, ps.event_invitations.notice.text.sv);
	assert.equal(p.given.source, `form:webinar v${pv()} https://www.example.com`);
	const o = proof(email, 'offers');
	assert.equal(o.event.action, 'give');
	assert.equal(o.evidence.gpc, false, 'no Sec-GPC: gpc false');
	assert.equal(o.evidence.form, 'webinar');
});

test('webinar: company is stored when given', T, async () => {
	const email = addr('with.company');
	const j = ok(await jsonPost('webinar', { email, first_name: 'Bo', last_name: 'Ek', company: 'Exempel AB', consent: ['offers'] }, { headers: { origin: ORIGIN } }));
	assert.deepEqual(j.given, ['webinar_registration', 'offers'], 'the registration, the form\'s own purpose, and the box ticked');
	assert.deepEqual(j.pending, []);
	const c = ok(await api(`/v1/contacts?email=${encodeURIComponent(email)}`));
	assert.deepEqual(c.fields, { email, first_name: 'Bo', last_name: 'Ek', company: 'Exempel AB' });
	await noMail(email);
});

// ===================================================================================
// 7. Global Privacy Control
// ===================================================================================

test('GPC: a JSON post with Sec-GPC: 1 does not give lead_scoring (listed as ignored); the other consent records gpc true', T, async () => {
	const email = addr('gpc.script');
	const pageUrl = 'https://www.example.com/webbinarium';
	const r = await jsonPost('webinar', { email, first_name: 'Gun', last_name: 'Pe', company: 'Exempel AB', consent: ['offers', 'lead_scoring'], page_url: pageUrl },
		{ headers: { origin: ORIGIN, 'sec-gpc': '1' } });
	const j = ok(r);
	assert.equal(j.status, 'ok');
	assert.deepEqual(j.given, ['webinar_registration', 'offers']);
	assert.deepEqual(j.pending, []);
	assert.deepEqual(j.ignored, ['lead_scoring'], 'lead_scoring is listed under ignored');
	isAllowed(email, 'offers');
	isNotGiven(email, 'lead_scoring');
	const p = proof(email, 'offers');
	assert.deepEqual(p.evidence, { form: 'webinar', form_version: pv(), page_url: pageUrl, ip: '127.0.0.1', user_agent: UA_SCRIPT, gpc: true });
	assert.ok(!history(email).some((e) => e.purpose === 'lead_scoring'), 'nothing recorded for lead_scoring');
	await noMail(email);
});

test('GPC: a form post with Sec-GPC: 1 that ticks lead_scoring gives it, and the evidence says gpc true', T, async () => {
	const email = addr('gpc.form');
	const r = await formPost('webinar', [['email', email], ['first_name', 'Gun'], ['last_name', 'Fo'], ['company', 'Exempel AB'], ['consent', 'lead_scoring'], ['lang', 'en']],
		{ headers: { 'sec-gpc': '1', origin: BASE, referer: `${BASE}/f/webinar` } });
	assert.equal(r.status, 200, `thank-you page: ${show(r)}`);
	isHtml(r);
	isAllowed(email, 'lead_scoring');
	const p = proof(email, 'lead_scoring');
	assert.equal(p.event.action, 'give');
	assert.equal(p.evidence.gpc, true, `evidence records the signal: ${JSON.stringify(p.evidence)}`);
	assert.equal(p.evidence.form, 'webinar');
	assert.equal(p.evidence.user_agent, UA_FORM);
	assert.equal(p.evidence.page_url, `${BASE}/f/webinar`);
	// without the signal, a ticked lead_scoring is given and gpc is false
	const email2 = addr('nogpc.form');
	const r2 = await formPost('webinar', [['email', email2], ['first_name', 'No'], ['last_name', 'Gpc'], ['consent', 'lead_scoring']]);
	assert.equal(r2.status, 200, show(r2));
	isAllowed(email2, 'lead_scoring');
	assert.equal(proof(email2, 'lead_scoring').evidence.gpc, false);
});

// ===================================================================================
// 8. the honeypot
// ===================================================================================

test('honeypot: a form post that fills "website" gets the success redirect and stores nothing, sends nothing', T, async () => {
	const email = addr('robot.form');
	const before = await snapshot();
	const r = await formPost('newsletter', [['email', email], ['consent', 'newsletter'], ['lang', 'en'], ['website', 'https://spam.example/']]);
	redirectsTo(r, SUCCESS_URL);
	const r2 = await formPost('webinar', [['email', email], ['first_name', 'Ro'], ['last_name', 'Bot'], ['consent', 'offers'], ['website', 'x']]);
	assert.equal(r2.status, 200, `the webinar thank-you page: ${show(r2)}`);
	await unchanged(before, 'a filled honeypot');
	noContact(email);
	await noMail(email);
});

test('honeypot: a JSON post that fills "website" gets exactly the answer of a real success, and stores nothing', T, async () => {
	const real = addr('human.json');
	const robot = addr('robot.json');
	const a = await jsonPost('newsletter', { email: real, consent: ['newsletter'], lang: 'en' }, { headers: { origin: ORIGIN } });
	const ja = ok(a);
	await waitMail(real);
	const before = await snapshot();
	const b = await jsonPost('newsletter', { email: robot, consent: ['newsletter'], lang: 'en', website: 'https://spam.example/' }, { headers: { origin: ORIGIN } });
	const jb = ok(b);
	assert.deepEqual(jb, ja, 'the robot cannot tell its answer from a real one');
	assert.equal(b.headers['access-control-allow-origin'], a.headers['access-control-allow-origin']);
	await unchanged(before, 'a filled honeypot');
	noContact(robot);
	await noMail(robot);
});

// ===================================================================================
// 9. refusals and limits
// ===================================================================================

test('no consent ticked is an error (303 error=invalid; JSON 422 invalid) and stores nothing', T, async () => {
	const email = addr('undecided');
	const before = await snapshot();
	redirectsToError(await formPost('newsletter', [['email', email], ['lang', 'en']]), 'invalid');
	err(await jsonPost('newsletter', { email, lang: 'en' }, { headers: { origin: ORIGIN } }), 422, 'invalid', { not: [email] });
	err(await jsonPost('newsletter', { email, consent: [] }, { headers: { origin: ORIGIN } }), 422, 'invalid', { not: [email] });
	await unchanged(before, 'no consent');
	noContact(email);
	await noMail(email);
});

test('a consent the form does not offer is an error naming consent, and stores nothing', T, async () => {
	const email = addr('greedy');
	const before = await snapshot();
	redirectsToError(await formPost('newsletter', [['email', email], ['consent', 'newsletter'], ['consent', 'offers']]), 'invalid');
	redirectsToError(await formPost('newsletter', [['email', email], ['consent', 'ip_tracking']]), 'invalid');
	err(await jsonPost('newsletter', { email, consent: ['newsletter', 'sales_followup'] }, { headers: { origin: ORIGIN } }), 422, 'invalid', { names: ['consent'], not: [email] });
	err(await jsonPost('newsletter', { email, consent: ['no_such_purpose'] }, { headers: { origin: ORIGIN } }), 422, 'invalid', { names: ['consent'] });
	err(await jsonPost('webinar', { email, first_name: 'G', last_name: 'R', consent: ['newsletter'] }, { headers: { origin: ORIGIN } }), 422, 'invalid', { names: ['consent'] });
	await unchanged(before, 'a consent not on offer');
	noContact(email);
	await noMail(email);
});

test('a body over 64 KiB is 413 too_large (JSON) or error=too_large (form post) and stores nothing; 64 KiB exactly is fine', T, async () => {
	const big = addr('big.body');
	const before = await snapshot();
	const head = JSON.stringify({ email: big, consent: ['newsletter'], lang: 'en' }).slice(0, -1);
	const over = head + ' '.repeat(64 * 1024 + 1 - head.length - 1) + '}';
	assert.equal(Buffer.byteLength(over), 64 * 1024 + 1);
	err(await jsonPost('newsletter', over, { headers: { origin: ORIGIN } }), 413, 'too_large', { not: [big] });
	const form = new URLSearchParams([['email', big], ['consent', 'newsletter']]).toString();
	const overForm = form + '&'.repeat(70 * 1024);
	const r = await request('POST', `${BASE}/f/newsletter`, { headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA_FORM }, body: overForm });
	redirectsToError(r, 'too_large');
	await unchanged(before, 'an oversized body');
	noContact(big);
	await noMail(big);
	// the limit itself is allowed
	const fits = addr('fits.body');
	const head2 = JSON.stringify({ email: fits, consent: ['newsletter'], lang: 'en' }).slice(0, -1);
	const exact = head2 + ' '.repeat(64 * 1024 - head2.length - 1) + '}';
	assert.equal(Buffer.byteLength(exact), 64 * 1024);
	const j = ok(await jsonPost('newsletter', exact, { headers: { origin: ORIGIN } }));
	assert.deepEqual(j.pending, ['newsletter']);
	await waitMail(fits);
});

test('more posts than --form-rate-limit per minute from one IP: 429 rate_limited with Retry-After, nothing stored', T, async () => {
	// page views are not posts
	for (let i = 0; i < 5; i++) await getPage(`${LIMITED}/f/webinar`);
	for (let i = 1; i <= 3; i++) {
		const email = addr(`rate${i}`);
		const j = ok(await jsonPost('webinar', { email, first_name: 'R', last_name: `${i}`, consent: ['offers'] }, { base: LIMITED, headers: { origin: ORIGIN } }));
		assert.deepEqual(j.given, ['webinar_registration', 'offers'], `post ${i} of 3 is accepted`);
	}
	const email = addr('rate4');
	const before = await snapshot();
	const r = await jsonPost('webinar', { email, first_name: 'R', last_name: '4', consent: ['offers'] }, { base: LIMITED, headers: { origin: ORIGIN } });
	err(r, 429, 'rate_limited', { not: [email] });
	const ra = r.headers['retry-after'];
	assert.match(ra || '', /^[1-9][0-9]*$/, `Retry-After in whole seconds: ${ra}`);
	assert.ok(Number(ra) <= 60, `Retry-After at most a minute: ${ra}`);
	const f = await formPost('newsletter', [['email', email], ['consent', 'newsletter']], { base: LIMITED });
	redirectsToError(f, 'rate_limited');
	await unchanged(before, 'a rate-limited post');
	noContact(email);
	await noMail(email);
	// the other server keeps its own count
	const other = addr('rate.other');
	ok(await jsonPost('webinar', { email: other, first_name: 'R', last_name: 'O', consent: ['offers'] }, { headers: { origin: ORIGIN } }));
});

test('without --smtp-url a double opt-in submission is 503 and stores nothing; one without double opt-in works', T, async () => {
	const email = addr('no.mailserver');
	const before = await snapshot();
	const r = await jsonPost('newsletter', { email, consent: ['newsletter'] }, { base: NOMAIL, headers: { origin: ORIGIN } });
	assert.equal(r.status, 503, `a double opt-in consent with no mail server: ${show(r)}`);
	const w = await jsonPost('webinar', { email, first_name: 'N', last_name: 'M', consent: ['event_invitations', 'offers'] }, { base: NOMAIL, headers: { origin: ORIGIN } });
	assert.equal(w.status, 503, `event_invitations (double opt-in) with offers: ${show(w)}`);
	await unchanged(before, 'a double opt-in post without a mail server');
	noContact(email);
	const j = ok(await jsonPost('webinar', { email, first_name: 'N', last_name: 'M', consent: ['offers'] }, { base: NOMAIL, headers: { origin: ORIGIN } }));
	assert.deepEqual(j.given, ['webinar_registration', 'offers']);
	isAllowed(email, 'offers');
	await noMail(email);
});

// ===================================================================================
// 10. policy apply refuses forms that break the rules
// ===================================================================================

const EXAMPLE = readFileSync(path.join(ROOT, 'examples', 'policy.yaml'), 'utf8');
const PDIR = path.join(TMP, 'policy-tests');
mkdirSync(PDIR, { recursive: true });
const PDB = newDb(PDIR, 'p');
function pcli(...args) {
	const r = spawnSync(SAMTYCKE, ['--db', PDB, ...args], { encoding: 'utf8' });
	return { status: r.status, out: r.stdout, err: r.stderr, json: parse(r.stdout) };
}
let pdbReady = false;
function policyDb() {
	if (pdbReady) return;
	const i = pcli('init');
	assert.equal(i.status, 0, `init: ${i.err}`);
	const a = pcli('policy', 'apply', path.join(ROOT, 'examples', 'policy.yaml'));
	assert.equal(a.status, 0, `the example policy applies: ${a.err}`);
	pdbReady = true;
}

// index of the first line at or after `from` matching re
function find(lines, re, from = 0) {
	for (let i = from; i < lines.length; i++) if (re.test(lines[i])) return i;
	throw new Error(`no line matching ${re} in the example policy after line ${from + 1}`);
}
const formAt = (lines, id) => find(lines, new RegExp(`^  ${id}:\\s*$`), find(lines, /^forms:\s*$/));

// refused(NAME, EDIT(lines) -> 1-based line of the offence, KEYPATH): writes the edited copy,
// applies it, and wants exit 3 with "FILE:LINE: KEYPATH: " and the stored policy unchanged.
function refused(name, edit, keypath) {
	policyDb();
	const lines = EXAMPLE.split('\n');
	const line = edit(lines);
	const file = path.join(PDIR, `${name}.yaml`);
	writeFileSync(file, lines.join('\n'));
	const before = pcli('--json', 'policy', 'show');
	assert.equal(before.status, 0, `policy show: ${before.err}`);
	const r = pcli('policy', 'apply', file);
	assert.equal(r.status, 3, `policy apply ${name}.yaml is refused with exit 3: status ${r.status}, ${r.out} ${r.err}`);
	const want = `${file}:${line}: ${keypath}: `;
	assert.ok(r.err.includes(want), `the message names file, line and key "${want}...": ${r.err}`);
	const after = pcli('--json', 'policy', 'show');
	assert.deepEqual(after.json, before.json, 'the stored policy is unchanged');
	return r.err;
}

test('policy apply refuses a pre-ticked consent option (pre_ticked: true, checked: true), naming file, line and key', T, () => {
	for (const key of ['pre_ticked', 'checked']) {
		refused(`preticked-${key}`, (lines) => {
			const i = find(lines, /^        double_opt_in: true\s*$/, formAt(lines, 'newsletter'));
			lines.splice(i + 1, 0, `        ${key}: true`);
			return i + 2;
		}, `forms.newsletter.consents[0].${key}`);
	}
});

test('policy apply refuses a form field that no consent purpose of the form needs (minimisation)', T, () => {
	refused('unneeded-field', (lines) => {
		const i = find(lines, /^      email: \{required: true\}\s*$/, formAt(lines, 'newsletter'));
		lines.splice(i + 1, 0, '      company: {required: false}');
		return i + 2;
	}, 'forms.newsletter.fields.company');
});

test('policy apply refuses a form field that the policy does not declare', T, () => {
	refused('undeclared-field', (lines) => {
		const i = find(lines, /^      email: \{required: true\}\s*$/, formAt(lines, 'webinar'));
		lines.splice(i + 1, 0, '      shoe_size: {required: false}');
		return i + 2;
	}, 'forms.webinar.fields.shoe_size');
});

test('policy apply refuses a purpose whose notice text is empty in one language', T, () => {
	refused('empty-notice', (lines) => {
		const p = find(lines, /^  newsletter:\s*$/, find(lines, /^purposes:\s*$/));
		const n = find(lines, /^    notice:\s*$/, p);
		const e = find(lines, /^      en: >-\s*$/, n);
		lines[e] = '      en: ""';
		let k = e + 1;
		while (k < lines.length && /^        \S/.test(lines[k])) k++;
		lines.splice(e + 1, k - e - 1);
		return e + 1;
	}, 'purposes.newsletter.notice.en');
});

test('policy apply refuses an allowed origin that is not scheme://host[:port]', T, () => {
	refused('origin-path', (lines) => {
		const i = find(lines, /^    allowed_origins: \[https:\/\/www\.example\.com\]\s*$/, formAt(lines, 'newsletter'));
		lines[i] = '    allowed_origins: [https://www.example.com/nyhetsbrev]';
		return i + 1;
	}, 'forms.newsletter.allowed_origins[0]');
});

// ===================================================================================
// 9. An anonymous post is a request, not a change (docs/forms.md, "Known addresses")
// ===================================================================================

function fieldOf(email, name) {
	const r = cli('--json', 'contact', 'show', email);
	assert.equal(r.status, 0, `contact show: ${r.out} ${r.err}`);
	return r.json.fields ? r.json.fields[name] : undefined;
}
function mustCli(...args) {
	const r = cli(...args);
	assert.equal(r.status, 0, `samtycke ${args.join(' ')}: ${r.out} ${r.err}`);
	return r;
}

test('an anonymous post about a known person changes nothing: states, fields and the lapse of the request leave them as they were', T, async () => {
	const email = addr('known.person');
	mustCli('contact', 'add', email, '--field', 'first_name=Anna', '--field', 'last_name=Berg');
	mustCli('consent', 'give', email, 'event_invitations', '--method', 'api', '--source', 'crm');
	mustCli('consent', 'give', email, 'newsletter', '--method', 'api', '--source', 'crm');
	mustCli('consent', 'withdraw', email, 'newsletter', '--method', 'api', '--source', 'crm');
	const h = history(email).length;
	// the attacker: the newsletter form (double opt-in) and the webinar form with new names
	redirectsTo(await formPost('newsletter', [['email', email], ['consent', 'newsletter']]), SUCCESS_URL);
	const j = ok(await jsonPost('webinar', { email, first_name: 'Mallory', last_name: 'X', consent: ['event_invitations', 'offers'] }, { headers: { origin: ORIGIN } }));
	// the answer is the one any address gets: it does not tell that the address is known
	assert.deepEqual({ given: j.given, pending: j.pending }, { given: ['webinar_registration', 'offers'], pending: ['event_invitations'] });
	const g = gate(email, 'newsletter');
	assert.deepEqual({ allowed: g.allowed, reason: g.reason }, { allowed: false, reason: 'withdrawn' }, 'the withdrawal stands');
	isAllowed(email, 'event_invitations');
	isPending(email, 'offers'); // held for the person's confirmation, not given
	assert.equal(fieldOf(email, 'first_name'), 'Anna', 'the first name is not overwritten');
	assert.equal(history(email).length, h, 'no event was recorded');
	// each post is held as its own request and mailed to the person
	const got = await waitMail(email, 2);
	// the requests lapse: only they go; the person, with the withdrawal, stays
	const later = new Date(Date.now() + 8 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
	const r = spawnSync(SAMTYCKE, ['--db', DB, '--json', 'pending', 'expire'], { encoding: 'utf8', env: { ...process.env, SAMTYCKE_NOW: later } });
	assert.equal(r.status, 0, `pending expire 8 days later: ${r.stdout} ${r.stderr}`);
	assert.ok(JSON.parse(r.stdout).requests_deleted >= 2, `the lapsed requests are deleted: ${r.stdout}`);
	assert.equal(fieldOf(email, 'first_name'), 'Anna');
	assert.equal(history(email).length, h, 'the lapse recorded nothing about the person');
	const g2 = gate(email, 'newsletter');
	assert.equal(g2.reason, 'withdrawn', 'still withdrawn after the lapse: the next CRM import cannot resubscribe them');
	// and a lapsed request's link confirms nothing, and says that the request has lapsed
	// (410 Gone, issue 11), though the link itself has not expired yet
	const l = checkMail(got[0], email, 'en');
	const p = await request('POST', l.url, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
	assert.equal(p.status, 410, `POST a lapsed request's link: ${show(p)}`);
	assert.match(pageText(p.text), /request has lapsed/i, `the page says the request has lapsed: ${p.text}`);
	assert.equal(formsOf(p.text).length, 0, 'no confirmation button for a lapsed request');
	assert.equal(history(email).length, h, 'the lapsed link recorded nothing');
});

test('a known person who confirms their own request gets exactly what it asked for, fields included, after the page showed them', T, async () => {
	const email = addr('known.confirms');
	mustCli('contact', 'add', email, '--field', 'first_name=Old', '--field', 'last_name=Name');
	mustCli('consent', 'give', email, 'event_invitations', '--method', 'api', '--source', 'crm');
	ok(await jsonPost('webinar', { email, first_name: 'New <b>&', last_name: 'Name', consent: ['offers'] }, { headers: { origin: ORIGIN } }));
	isPending(email, 'offers');
	assert.equal(fieldOf(email, 'first_name'), 'Old');
	const [m] = await waitMail(email);
	const l = checkMail(m, email, 'en');
	assert.ok(!JSON.stringify(m).includes('New <b>'), 'the mail carries no value typed into the form');
	// anyone may type an address into a form: before confirming, the page shows the details
	// that confirming stores (escaped), so the person does not replace their own unawares
	const c = await confirmPage(l.url);
	assert.ok(c.page.text.includes('<li>First name: New &lt;b&gt;&amp;</li>'), `the page lists the new first name, escaped: ${c.page.text}`);
	assert.ok(c.page.text.includes('they replace the ones we hold'), 'and says they replace what is held');
	assert.equal((await submitConfirm(c)).status, 200);
	isAllowed(email, 'offers');
	assert.equal(fieldOf(email, 'first_name'), 'New <b>&', 'the confirmed request rectified the first name');
	isAllowed(email, 'event_invitations');
});

test("a person's own earlier confirmation link keeps working when someone submits the address again", T, async () => {
	const email = addr('own.link');
	redirectsTo(await formPost('newsletter', [['email', email], ['consent', 'newsletter']]), SUCCESS_URL);
	const [m1] = await waitMail(email);
	const first = checkMail(m1, email, 'en');
	redirectsTo(await formPost('newsletter', [['email', email], ['consent', 'newsletter']]), SUCCESS_URL);
	await waitMail(email, 2);
	isPending(email, 'newsletter');
	assert.equal((await submitConfirm(await confirmPage(first.url))).status, 200);
	isAllowed(email, 'newsletter');
});

test('confirmation mails to one address: at most 3 a day; the 4th post gets the same answer and sends nothing', T, async () => {
	const email = addr('mail.bomb');
	const answers = [];
	for (let i = 0; i < 4; i++) answers.push(ok(await jsonPost('newsletter', { email, consent: ['newsletter'] }, { headers: { origin: ORIGIN } })));
	for (const a of answers) assert.deepEqual(a, answers[0], 'every answer is the same');
	await waitMail(email, 3);
	await sleep(800);
	assert.equal(mailsTo(email).length, 3, 'the 4th post sent no mail');
});

test('a suppressed address gets the answer anyone gets, and nothing is stored or mailed', T, async () => {
	const email = addr('suppressed.one');
	mustCli('suppress', email, '--reason', 'complained');
	const before = await snapshot();
	const j = ok(await jsonPost('webinar', { email, first_name: 'S', last_name: 'P', consent: ['event_invitations', 'offers'] }, { headers: { origin: ORIGIN } }));
	assert.deepEqual({ given: j.given, pending: j.pending }, { given: ['webinar_registration', 'offers'], pending: ['event_invitations'] });
	await noMail(email);
	await unchanged(before, 'a post for a suppressed address');
	noContact(email);
});

test('a post is answered at once and stored even when mail cannot go now: the mail is queued, not sent on the request', T, async () => {
	// the "limited" server shares the database and the outbox: the mail worker of whichever
	// server is up sends it; what matters here is that the answer never waits for SMTP
	const email = addr('queued.mail');
	const t0 = Date.now();
	ok(await jsonPost('newsletter', { email, consent: ['newsletter'] }, { headers: { origin: ORIGIN } }));
	assert.ok(Date.now() - t0 < 2000, `answered in ${Date.now() - t0} ms`);
	isPending(email, 'newsletter');
	await waitMail(email);
});

test('a mail server that never answers holds no request: posts and checks are answered at once while the mail waits', T, async () => {
	const email = addr('slow.smtp');
	const t0 = Date.now();
	const r = await jsonPost('newsletter', { email, consent: ['newsletter'] }, { base: SLOW, headers: { origin: ORIGIN } });
	ok(r);
	assert.ok(Date.now() - t0 < 2000, `the post answered in ${Date.now() - t0} ms`);
	// the worker is now stuck in the SMTP exchange; the API is not
	await sleep(300);
	for (let i = 0; i < 5; i++) {
		const t1 = Date.now();
		const c = await request('GET', `${SLOW}/v1/check?email=${encodeURIComponent(email)}&purpose=newsletter`, { headers: { authorization: `Bearer ${need('KEY_SLOW')}` } });
		assert.equal(c.status, 200, show(c));
		assert.equal(JSON.parse(c.text).reason, 'pending_confirmation');
		assert.ok(Date.now() - t1 < 2000, `GET /v1/check answered in ${Date.now() - t1} ms`);
	}
	const t2 = Date.now();
	ok(await jsonPost('newsletter', { email: addr('slow.smtp2'), consent: ['newsletter'] }, { base: SLOW, headers: { origin: ORIGIN } }));
	assert.ok(Date.now() - t2 < 2000, `a second post answered in ${Date.now() - t2} ms`);
});

test("a form's own purpose (webinar_registration) comes with every post, without a box, and is shown on the page as its notice", T, async () => {
	const ps = await purposes();
	const page = await getPage(`${BASE}/f/webinar?lang=en`);
	assert.ok(decodeEntities(page.text).includes(ps.webinar_registration.notice.text.en), 'the page says what registering does');
	assert.ok(!formsOf(page.text)[0].inputs.some((i) => i.value === 'webinar_registration'), 'no box for the registration');
	const email = addr('registers.only');
	const j = ok(await jsonPost('webinar', { email, first_name: 'Reg', last_name: 'Only' }, { headers: { origin: ORIGIN } }));
	assert.deepEqual({ given: j.given, pending: j.pending }, { given: ['webinar_registration'], pending: [] }, 'registering needs no marketing consent (Art. 7(4))');
	isAllowed(email, 'webinar_registration');
	isNotGiven(email, 'offers');
	err(await jsonPost('webinar', { email: addr('reg.box'), first_name: 'R', last_name: 'B', consent: ['webinar_registration'] }, { headers: { origin: ORIGIN } }), 422, 'invalid', { names: ['webinar_registration'] });
});

test('a known person is mailed at the address on file, never at the spelling of the post (a Kelvin sign K is another mailbox)', T, async () => {
	const email = addr('k9');
	mustCli('contact', 'add', email);
	const kelvin = `\u212a9@example.com`; // the same key as k9@example.com
	ok(await jsonPost('newsletter', { email: kelvin, consent: ['newsletter'] }, { headers: { origin: ORIGIN } }));
	const [m] = await waitMail(email);
	assert.equal(m.rcpt_to, email, `the envelope recipient is the stored address: ${m.rcpt_to}`);
});

test('field values are checked the same way for every address: a value over its max_length is 422 for known, unknown and suppressed alike', T, async () => {
	const known = addr('len.known');
	mustCli('contact', 'add', known);
	const sup = addr('len.suppressed');
	mustCli('suppress', sup);
	const before = await snapshot();
	for (const email of [known, addr('len.unknown'), sup]) {
		const r = await jsonPost('webinar', { email, first_name: 'A'.repeat(101), last_name: 'B', consent: ['offers'] }, { headers: { origin: ORIGIN } });
		err(r, 422, 'invalid', { names: ['first_name'] });
		const h = await jsonPost('webinar', { email, first_name: 'A'.repeat(101), last_name: 'B', consent: ['offers'], website: 'x' }, { headers: { origin: ORIGIN } });
		assert.equal(h.status, 422, `the honeypot answers the same error: ${show(h)}`);
	}
	await unchanged(before, 'over-long values');
});

test('surrounding Unicode white space is trimmed before the address is stored and mailed', T, async () => {
	const email = addr('nbsp.lead');
	ok(await jsonPost('newsletter', { email: `\u00a0\ufeff${email} `, consent: ['newsletter'] }, { headers: { origin: ORIGIN } }));
	const [m] = await waitMail(email);
	assert.equal(m.rcpt_to, email);
	const l = checkMail(m, email, 'en');
	assert.equal((await submitConfirm(await confirmPage(l.url))).status, 200);
	isAllowed(email, 'newsletter');
	assert.equal(fieldOf(email, 'email'), email, 'stored without the spaces');
});

test('page_url: only an http(s) URL is kept, as scheme, host and path (sealed; the clear source has the site only); free text and user:password@ are dropped', T, async () => {
	const cases = [
		['Jane Doe 19800101-1234 jane.doe@example.org', ''],
		['https://jane.doe@example.org@www.example.com/p?email=x#y', 'https://www.example.com/p'],
		['javascript:alert(1)', ''],
	];
	for (const [i, [pageUrl, kept]] of cases.entries()) {
		const email = addr(`page.url${i}`);
		ok(await jsonPost('webinar', { email, first_name: 'P', last_name: 'U', consent: ['offers'], page_url: pageUrl }, { headers: { origin: ORIGIN } }));
		const p = proof(email, 'offers');
		assert.equal(p.event.source, `form:webinar v${pv()} ${kept && new URL(kept).origin}`.trimEnd(), `source for ${pageUrl}`);
		assert.equal(p.evidence.page_url, kept || null, `evidence page_url for ${pageUrl}`);
	}
});

test('no answer may be cached: form pages, confirmation pages (they hold the link) and form answers say Cache-Control: no-store', T, async () => {
	const email = addr('no.cache');
	const page = await getPage(`${BASE}/f/newsletter`);
	assert.equal(page.headers['cache-control'], 'no-store', 'the form page');
	const r = await jsonPost('newsletter', { email, consent: ['newsletter'] }, { headers: { origin: ORIGIN } });
	assert.equal(r.headers['cache-control'], 'no-store', 'the answer to a post');
	const [m] = await waitMail(email);
	const l = checkMail(m, email, 'en');
	const c = await request('GET', l.url);
	assert.equal(c.status, 200);
	assert.equal(c.headers['cache-control'], 'no-store', 'the confirmation page');
});

// ===================================================================================
// issue 11: the confirmation page and mail speak of what is being confirmed
// ===================================================================================

test('the confirmation page names the purposes being confirmed, in the language of the submission, not the browser\'s', T, async () => {
	const email = addr('page.names');
	const r = await formPost('webinar', [['email', email], ['first_name', 'Sara'], ['last_name', 'Lind'], ['consent', 'event_invitations'], ['consent', 'offers'], ['lang', 'sv']]);
	assert.equal(r.status, 200, show(r));
	const ps = await purposes();
	const [m] = await waitMail(email);
	const l = checkMail(m, email, 'sv');
	// the browser asks for English; the person filled in the Swedish form
	const g = await getPage(l.url, { 'user-agent': UA_CONFIRM, 'accept-language': 'en-GB,en;q=0.9' });
	assert.match(g.text, /<html lang="sv">/, `the page is in the submission's language: ${g.text.slice(0, 200)}`);
	const text = pageText(g.text);
	assert.ok(text.includes(ps.event_invitations.title.sv), `the page names "${ps.event_invitations.title.sv}": ${text}`);
	assert.ok(!text.includes(ps.event_invitations.title.en), `not in English: ${text}`);
	for (const lang of ['sv', 'en'])
		assert.ok(!text.includes(ps.offers.title[lang]), `offers (given at once) is not on the page: ${text}`);
	assert.equal(formsOf(g.text).length, 1, 'one confirmation form');
	// pressed: the answer names what was confirmed, in Swedish too
	const c = await confirmPage(l.url);
	const p = await submitConfirm(c);
	assert.equal(p.status, 200, show(p));
	assert.match(p.text, /<html lang="sv">/);
	assert.ok(pageText(p.text).includes(ps.event_invitations.title.sv), `the answer names what was confirmed: ${p.text}`);
	isAllowed(email, 'event_invitations');
	// and the link afterwards: already confirmed, in Swedish, naming it, no button
	const again = await getPage(l.url, { 'accept-language': 'en' });
	assert.match(again.text, /<html lang="sv">/);
	assert.match(pageText(again.text), /Redan bekräftat/, `already confirmed, in Swedish: ${again.text}`);
	assert.ok(pageText(again.text).includes(ps.event_invitations.title.sv));
	assert.equal(formsOf(again.text).length, 0, 'no button once confirmed');
});

test('the confirmation mail does not say that nothing is recorded when the same post recorded other consents', T, async () => {
	for (const lang of ['sv', 'en']) {
		const both = addr(`mail.both.${lang}`), only = addr(`mail.only.${lang}`);
		// the webinar form gives its registration (and here offers) at once
		ok(await jsonPost('webinar', { email: both, first_name: 'B', last_name: 'O', consent: ['event_invitations', 'offers'], lang }, { headers: { origin: ORIGIN } }));
		isAllowed(both, 'offers');
		// the newsletter form gives nothing at once
		ok(await jsonPost('newsletter', { email: only, consent: ['newsletter'], lang }, { headers: { origin: ORIGIN } }));
		isNotGiven(only, 'offers');
		const lb = checkMail((await waitMail(both))[0], both, lang), lo = checkMail((await waitMail(only))[0], only, lang);
		const nothing = lang === 'sv' ? 'inget samtycke registreras' : 'no consent is recorded';
		const stays = lang === 'sv' ? 'redan registrerat' : 'recorded already';
		assert.ok(!norm(lb.text).includes(nothing), `${lang}: offers was recorded, so the mail must not say "${nothing}":\n${lb.text}`);
		assert.ok(norm(lb.text).includes(stays), `${lang}: the mail says what was given at once stays:\n${lb.text}`);
		assert.ok(norm(lo.text).includes(nothing), `${lang}: nothing else recorded, the mail says "${nothing}":\n${lo.text}`);
		assert.ok(!norm(lo.text).includes(stays), `${lang}: and nothing about other consents:\n${lo.text}`);
	}
});

// A page's path is the visitor's to choose (/thanks/anna@example.com/): it is evidence, sealed
// with the person's data key, and never in the clear-text ledger source that an erasure keeps.
test('a page path that names the person is kept sealed only: no clear byte of it in the database, from page_url or Referer', T, async () => {
	const marker = `pathsecret${process.pid}x${Date.now()}`;
	for (const [i, how] of ['page_url', 'referer'].entries()) {
		const email = addr(`path.secret${i}`);
		const page = `https://www.example.com/thanks/${marker}${i}/Anna-Berg`;
		const body = { email, first_name: 'P', last_name: 'U', consent: ['offers'] };
		if (how === 'page_url')
			body.page_url = page;
		ok(await jsonPost('webinar', body, { headers: { origin: ORIGIN, ...(how === 'referer' ? { referer: page } : {}) } }));
		const p = proof(email, 'offers');
		assert.equal(p.event.source, `form:webinar v${pv()} https://www.example.com`, `${how}: the source names the site only`);
		assert.equal(p.evidence.page_url, page, `${how}: the whole page is in the sealed evidence`);
	}
	assert.ok(!storeHolds(DB, marker), 'the database (file and WAL, or every table) holds the page path in clear');
});

// A name rebound to the server (DNS rebinding) makes Origin and Host agree on the attacker's
// name: with --public-url set, only that URL counts as the server's own origin.
test('with --public-url, a post whose Origin merely equals its own Host, or is a prefix of the public URL, is refused (forbidden), and the public URL is accepted', T, async () => {
	const email = addr('rebound');
	const r = await formPost('newsletter', [['email', email], ['consent', 'newsletter']], { headers: { origin: 'http://rebound.example', host: 'rebound.example' } });
	redirectsToError(r, 'forbidden'); // the form has an error_url: the refusal goes there
	assert.equal(mailsTo(email).length, 0, 'nothing queued');
	// an origin that is only the start of the public URL (another port) is not ours either
	const pub = new URL(BASE).origin;
	const r3 = await formPost('newsletter', [['email', email], ['consent', 'newsletter']], { headers: { origin: pub.slice(0, -1) } });
	redirectsToError(r3, 'forbidden');
	assert.equal(mailsTo(email).length, 0, 'nothing queued');
	const r2 = await formPost('newsletter', [['email', email], ['consent', 'newsletter']], { headers: { origin: pub } });
	assert.ok(r2.status < 400, `Origin = the public URL: ${show(r2)}`);
});
