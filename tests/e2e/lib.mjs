// lib.mjs: what the browser tests share: Debian's chromium driven by playwright-core (one
// browser per test file), contexts that reach only loopback, axe-core run on a page under its
// own CSP, the keyboard and focus checks, the API, mails from the Maildir, and a webhook
// receiver that verifies Standard Webhooks signatures. Read by tests/e2e/*.test.mjs, which
// tests/e2e/*.sh run (they set the SK_* variables through e2e.inc).
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { Webhook } from 'standardwebhooks';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = process.env.SK_SOURCE_ROOT || path.resolve(here, '..', '..');

// need(NAME): an environment variable the test's .sh sets.
export function need(name) {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set: run this file through its tests/e2e/*.sh script`);
	return v;
}

// Debian's chromium as the tests run it: headless, no sandbox (the tests may run as root, where
// chromium's sandbox refuses to start), no GPU, and nothing fetched in the background (no
// component updates, no first-run set-up).
export const CHROMIUM_FLAGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--no-first-run',
];

export async function launch() {
	return chromium.launch({
		executablePath: process.env.SK_CHROMIUM || '/usr/bin/chromium',
		args: CHROMIUM_FLAGS,
	});
}

// Every URL the browsers of this file requested (a test holds them free of addresses).
export const requested = [];

// noAddressInUrls(): no URL requested so far holds an e-mail address, whole or encoded.
export function noAddressInUrls() {
	assert.ok(requested.length > 0, 'the browser requested something');
	const bad = requested.filter((u) => /@|%40/i.test(u));
	assert.deepEqual(bad, [], `of ${requested.length} URLs requested, these hold an address`);
}

// A context as a person's browser: its language (Accept-Language and navigator.language from
// locale), 1000 px wide, no request leaving loopback (the example brand's logo at
// www.example.com is aborted: the pages must stand without it). The page's CSP is enforced
// (no bypassCSP): axe is injected through the DevTools protocol (see axeCheck).
export async function newContext(browser, { lang = 'en', ...opts } = {}) {
	const ctx = await browser.newContext({
		locale: lang === 'sv' ? 'sv-SE' : 'en-GB',
		viewport: { width: 1000, height: 800 },
		acceptDownloads: true,
		...opts,
	});
	ctx.setDefaultTimeout(10_000);
	ctx.setDefaultNavigationTimeout(15_000);
	await ctx.route('**/*', (route) => {
		requested.push(route.request().url());
		const u = new URL(route.request().url());
		if (/^127\.\d+\.\d+\.\d+$/.test(u.hostname) || u.protocol === 'data:') return route.continue();
		return route.abort('blockedbyclient');
	});
	return ctx;
}

// watch(page): collects what the browser says about the page's CSP (each refused load or
// script), so that a test can hold a page free of violations: page.cspErrors.
export function watch(page) {
	page.cspErrors = [];
	page.on('console', (m) => {
		if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) page.cspErrors.push(m.text());
	});
	return page;
}

// said(page): what the page says, its visible text in one line (for failure messages).
export async function said(page) {
	const t = await page.innerText('body').catch(() => '');
	return JSON.stringify(t.replace(/\s+/g, ' ').trim().slice(0, 400));
}

// open(ctx, URL, STATUS): a new page at URL whose answer must have STATUS; returns the page.
export async function open(ctx, url, status = 200) {
	const page = watch(await ctx.newPage());
	const res = await page.goto(url);
	assert.ok(res, `no answer for ${url}`);
	assert.equal(res.status(), status, `GET ${url} answered ${res.status()}, wanted ${status}: the page says ${await said(page)}`);
	return page;
}

// ---- axe-core ----
const AXE = readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
export const AXE_VERSION = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'package.json'), 'utf8')).version;

// axeCheck(page, WHAT): runs axe-core on the page as it is and fails on any violation of
// impact serious or critical, listing rule, impact, the element and axe's summary. The
// page's own CSP forbids inline scripts, so playwright's addScriptTag({content}) is refused
// there (and that refusal is checked: a page that ran it would allow an inline script); axe
// goes in through page.evaluate (the DevTools protocol, which a page's CSP does not govern),
// so the page is checked with its real CSP and its real styles. Also: the page's lang is the
// wanted one and the browser reported no CSP violation of the page's own loads.
export async function axeCheck(page, what, { lang } = {}) {
	const loadErrors = [...page.cspErrors];
	let inline = 'ran';
	try {
		await page.addScriptTag({ content: 'window.__skInline = 1;' });
		if (!(await page.evaluate(() => window.__skInline === 1))) inline = 'refused';
	} catch {
		inline = 'refused';
	}
	page.cspErrors.length = 0;
	assert.equal(inline, 'refused', `${what}: an inline script ran on the page (${page.url()}): its Content-Security-Policy must forbid inline scripts`);
	assert.deepEqual(loadErrors, [], `${what}: the browser reported CSP violations of the page's own loads (${page.url()})`);
	if (lang) {
		assert.equal(await page.getAttribute('html', 'lang'), lang, `${what}: <html lang> of ${page.url()}`);
	}
	if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
	assert.equal(await page.evaluate(() => typeof window.axe), 'object', `${what}: axe-core could not be injected`);
	const r = await page.evaluate(() =>
		window.axe.run(document, { resultTypes: ['violations'] }).then((r) =>
			r.violations.map((v) => ({
				id: v.id,
				impact: v.impact,
				help: v.help,
				nodes: v.nodes.map((n) => ({ target: n.target.join(' '), impact: n.impact, summary: n.failureSummary })),
			})),
		),
	);
	const bad = r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	const text = bad
		.map((v) => `${v.id} (${v.impact}): ${v.help}\n` + v.nodes.map((n) => `    at ${n.target}: ${(n.summary || '').replace(/\n/g, ' ')}`).join('\n'))
		.join('\n');
	assert.equal(bad.length, 0, `${what}: axe-core ${AXE_VERSION} found serious or critical violations on ${page.url()}:\n${text}`);
}

// ---- keyboard ----

// focusInfo(page): what has the keyboard focus: a short description, and whether it is drawn
// visibly (its computed style while focused has an outline of some width, or a box-shadow).
export async function focusInfo(page) {
	return page.evaluate(() => {
		const el = document.activeElement;
		if (!el || el === document.body) return { desc: 'body', visible: false };
		const s = getComputedStyle(el);
		const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
		const shadow = s.boxShadow && s.boxShadow !== 'none';
		const desc =
			el.tagName.toLowerCase() +
			(el.id ? '#' + el.id : '') +
			(el.name ? `[name=${el.name}]` : '') +
			(el.value && el.tagName === 'BUTTON' ? `[value=${el.value}]` : '') +
			(el.getAttribute('href') ? `[href=${el.getAttribute('href')}]` : '');
		return {
			desc,
			visible: !!(outline || shadow),
			style: `outline: ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}; box-shadow: ${s.boxShadow}`,
		};
	});
}

// tabTo(page, PREDICATE-in-page, WHAT, max): presses Tab until the focused element matches
// (a function run in the page on document.activeElement), at most max times; checks that
// every element focused on the way and the target are visibly outlined. Returns the trail.
export async function tabTo(page, pred, what, max = 60) {
	const trail = [];
	for (let i = 0; i < max; i++) {
		await page.keyboard.press('Tab');
		const f = await focusInfo(page);
		trail.push(f);
		assert.ok(f.visible, `${what}: Tab reached ${f.desc}, which shows no focus outline or box-shadow (${f.style}); trail: ${trail.map((t) => t.desc).join(' > ')}`);
		if (await page.evaluate(pred)) return trail;
	}
	assert.fail(`${what}: ${max} presses of Tab never reached it; trail: ${trail.map((t) => t.desc).join(' > ')}`);
}

// ---- the API ----
export function api(base, key) {
	const call = async (method, p, body) => {
		const res = await fetch(base + p, {
			method,
			headers: {
				authorization: `Bearer ${key}`,
				...(body !== undefined ? { 'content-type': 'application/json' } : {}),
			},
			body: body !== undefined ? JSON.stringify(body) : undefined,
		});
		const text = await res.text();
		let json;
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
		return { status: res.status, json, text, headers: res.headers };
	};
	return {
		get: (p) => call('GET', p),
		post: (p, body) => call('POST', p, body),
		// ok(answer, STATUS): the answer's JSON, after checking its status.
		ok(r, status = 200, what = '') {
			assert.equal(r.status, status, `${what}: wanted ${status}, got ${r.status} ${r.text.slice(0, 400)}`);
			return r.json;
		},
	};
}

// key(NAME, SCOPE): a new API key (samtycke keys create).
export function key(name, scope) {
	return cli(['keys', 'create', '--name', name, '--scope', scope]).trim();
}

// cli(ARGS): runs `samtycke --db DB ARGS` (the key file from SAMTYCKE_KEY_FILE); its stdout.
export function cli(args, { status = 0, env = {} } = {}) {
	const r = spawnSync(need('SAMTYCKE'), ['--db', need('SK_DB'), ...args], {
		encoding: 'utf8',
		env: { ...process.env, ...env },
	});
	assert.equal(r.status, status, `samtycke ${args.join(' ')} exited ${r.status}, wanted ${status}: ${r.stdout}${r.stderr}`);
	return r.stdout;
}

// ---- the staff console (docs/console.md) ----

// staffUser(NAME, ROLE, PASSWORD): a console user made as an operator makes one, with
// `samtycke user add NAME --role ROLE --password-file FILE` (FILE in SK_TMP); returns
// PASSWORD (by default one made of the name, long enough).
export function staffUser(name, role, password = `${name} has a long test password`) {
	const file = path.join(need('SK_TMP'), `pw-${name}`);
	writeFileSync(file, `${password}\n`, { mode: 0o600 });
	cli(['user', 'add', name, '--role', role, '--password-file', file]);
	return password;
}

// signIn(page, BASE, NAME, PASSWORD, {next}): signs in through the console's sign-in page as
// a person does: its fields name and password, then its submit button. The sign-in answers
// 303 to next (a path under /console; by default /console, the overview) with the session's
// cookie; returns the answer of the page it lands on (whatever its status: a role that may
// not see next gets the console's 403 page). Fails when the sign-in page is shown again.
export async function signIn(page, base, name, password, { next } = {}) {
	const q = next ? `?next=${encodeURIComponent(next)}` : '';
	const res = await page.goto(`${base}/console/sign-in${q}`);
	assert.equal(res.status(), 200, `GET /console/sign-in answered ${res.status()}`);
	await page.fill('input[name=name]', name);
	await page.fill('input[name=password]', password);
	const [landed] = await Promise.all([
		page.waitForNavigation(),
		page.click('form:has(input[name=password]) button[type=submit]'),
	]);
	assert.ok(landed, `signing in as ${name}: no answer`);
	assert.ok(!new URL(page.url()).pathname.startsWith('/console/sign-in'),
		`signing in as ${name} was refused: the page says ${await said(page)}`);
	return landed;
}

// ---- mail ----
const mails = new Map();
function readMaildir() {
	const dir = path.join(need('SK_MAILDIR'), 'new');
	if (!existsSync(dir)) return;
	const fresh = readdirSync(dir).filter((f) => !mails.has(f));
	if (fresh.length === 0) return;
	const py = process.env.SK_PYTHON || '/usr/bin/python3';
	const r = spawnSync(py, [path.join(ROOT, 'tests', 'integration', 'mime.py'), ...fresh.map((f) => path.join(dir, f))], { encoding: 'utf8' });
	assert.equal(r.status, 0, `mime.py: ${r.stderr}`);
	for (const m of JSON.parse(r.stdout)) mails.set(path.basename(m.file), m);
}

// waitLink(ADDRESS, PATTERN): the first link matching PATTERN in a mail to ADDRESS not seen
// by an earlier call; waits up to 15 s (the mail worker sends within a second or so).
const taken = new Set();
export async function waitLink(addr, pattern) {
	const end = Date.now() + 15_000;
	for (;;) {
		readMaildir();
		for (const [f, m] of mails) {
			if (taken.has(f)) continue;
			const to = `${m.rcpt_to} ${m.to}`.toLowerCase();
			if (!to.includes(addr.toLowerCase())) continue;
			const hit = (m.text || '').match(pattern);
			if (hit) {
				taken.add(f);
				return hit[0];
			}
		}
		if (Date.now() > end) {
			const seen = [...mails.values()].filter((m) => `${m.rcpt_to} ${m.to}`.toLowerCase().includes(addr.toLowerCase()));
			assert.fail(`no new mail to ${addr} with a link matching ${pattern} within 15 s; mails to it: ${seen.map((m) => m.subject).join(' | ') || 'none'}`);
		}
		await sleep(150);
	}
}

// ---- a webhook receiver (a CRM, say), on loopback ----
// receiver(): a node http server; rx.url, rx.setSecret(whsec), rx.messages (each
// {verified, error, body, headers}), rx.waitFor(PREDICATE-on-msg-json, WHAT), rx.close().
export async function receiver() {
	const rx = { messages: [], wh: null };
	const srv = http.createServer((req, res) => {
		const parts = [];
		req.on('data', (c) => parts.push(c));
		req.on('end', () => {
			const body = Buffer.concat(parts).toString('utf8');
			const m = { body, headers: req.headers, verified: false, error: null, json: null };
			try {
				m.json = rx.wh.verify(body, req.headers);
				m.verified = true;
			} catch (e) {
				m.error = String(e && e.message);
			}
			rx.messages.push(m);
			res.writeHead(m.verified ? 204 : 400);
			res.end();
		});
	});
	await new Promise((r) => srv.listen(0, '127.0.0.1', r));
	rx.url = `http://127.0.0.1:${srv.address().port}/hooks/samtycke`;
	rx.setSecret = (s) => {
		rx.wh = new Webhook(s);
	};
	rx.waitFor = async (pred, what, ms = 15_000) => {
		const end = Date.now() + ms;
		for (;;) {
			const hit = rx.messages.find((m) => m.verified && pred(m.json));
			if (hit) return hit;
			if (Date.now() > end) {
				const seen = rx.messages.map((m) => (m.verified ? m.body : `UNVERIFIED (${m.error}) ${m.body}`));
				assert.fail(`no verified webhook ${what} within ${ms / 1000} s; received: ${seen.join(' | ') || 'nothing'}`);
			}
			await sleep(100);
		}
	};
	rx.close = () => new Promise((r) => srv.close(r));
	return rx;
}

// serveSite(HTML-by-path): a tiny web site (the company's) on 127.0.0.1:PORT given or free.
export async function serveSite(pages, port = 0) {
	const srv = http.createServer((req, res) => {
		const body = pages[new URL(req.url, 'http://x').pathname];
		if (body === undefined) {
			res.writeHead(404, { 'content-type': 'text/plain' });
			res.end('not found');
			return;
		}
		res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
		res.end(body);
	});
	await new Promise((r) => srv.listen(port, '127.0.0.1', r));
	return {
		url: `http://127.0.0.1:${srv.address().port}`,
		close: () => new Promise((r) => srv.close(r)),
	};
}
