// banner.test.mjs: the visitor banner /c.js on the company's own site, in a real browser
// (issue 16; docs/banner.md): nothing sent before an answer, Google Consent Mode v2 defaults
// denied before anything and updated after, a refusal recorded and read back, GPC honoured
// (navigator.globalPrivacyControl and the Sec-GPC header), the reopen link changing the
// choice, the samtycke:consent event, a form submitted with the banner carrying the answer to
// the new contact, and axe in sv and en. Run by tests/e2e/banner.sh: BANNER_URL (a server
// whose banner and forms allow http://127.0.0.1:SITE_PORT), SITE_PORT, KEY_READER.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { launch, newContext, api, need, serveSite, ROOT } from './lib.mjs';
import { dbsql } from '../integration/store.mjs';

const BASE = need('BANNER_URL');
const DB = need('SK_DB');
const reader = api(BASE, need('KEY_READER'));
const T = { timeout: 60_000 };
const AXE = readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

// The company's page: the banner first in <head> (before any tag), a probe that notes what
// Consent Mode held when the next script ran, a listener for the event, a reopen link, and
// an embedded samtycke form.
const page = (lang) => `<!DOCTYPE html>
<html lang="${lang}"><head><meta charset="utf-8"><title>Exempel AB</title>
<script src="${BASE}/c.js"></script>
<script>
window.__firstTag = JSON.stringify(Array.from(window.dataLayer[0] || []));
window.__events = [];
document.addEventListener('samtycke:consent', function (e) { window.__events.push(e.detail); });
</script>
<script src="${BASE}/assets/embed.js" defer></script></head>
<body><header><a href="#" data-samtycke-open>Cookie settings</a></header>
<main><h1>${lang === 'sv' ? 'Vårt webbinarium' : 'Our webinar'}</h1>
<form data-samtycke-form="webinar" action="${BASE}/f/webinar" method="post">
<label for="email">E-mail</label> <input type="email" id="email" name="email" required>
<label for="fn">First name</label> <input id="fn" name="first_name" required>
<label for="ln">Last name</label> <input id="ln" name="last_name" required>
<input type="checkbox" id="of" name="consent" value="offers"><label for="of">Offers</label>
<input type="hidden" name="lang" value="en">
<button type="submit">Sign up</button>
</form></main></body></html>`;

let browser, site;
before(async () => {
	browser = await launch();
	site = await serveSite({ '/en.html': page('en'), '/sv.html': page('sv') }, +need('SITE_PORT'));
});
after(async () => {
	await browser?.close();
	await site?.close();
});

// A page of the site with every request it makes recorded.
async function visit(ctx, p = '/en.html') {
	const pg = await ctx.newPage();
	pg.requests = [];
	pg.on('request', (r) => pg.requests.push(`${r.method()} ${r.url()}`));
	const errors = [];
	pg.on('pageerror', (e) => errors.push(String(e)));
	pg.errors = errors;
	await pg.goto(site.url + p);
	return pg;
}
const dialog = (pg) => pg.locator('div.sk-b[role=dialog]');
const dataLayer = (pg) => pg.evaluate(() => window.dataLayer.map((a) => Array.from(a)));
const stored = (pg) => pg.evaluate(() => JSON.parse(localStorage.getItem('samtycke') || 'null'));
async function visitor(id) {
	return reader.ok(await reader.get(`/v1/visitors/${id}`), 200, 'GET /v1/visitors');
}
// The tracking events stored for a visitor, read from the store with its backend's own shell
// (no route lists a visitor's events; the test's URLs hold no '|').
function tracked(vid) {
	assert.match(vid, /^v_[a-z2-7]{24}$/);
	const cols = ['type', 'name', 'url', 'utm_source', 'utm_medium', 'utm_campaign', 'contact_id'];
	const out = dbsql(DB, `SELECT type, name, url, utm_source, utm_medium, utm_campaign, coalesce(contact_id, '') FROM track_events WHERE visitor_id = '${vid}' ORDER BY at, type DESC, utm_source DESC`);
	return out.split('\n').filter((l) => l).map((l) => {
		const v = l.split('|');
		const row = Object.fromEntries(cols.map((c, i) => [c, v[i]]));
		row.contact_id = row.contact_id || null;
		return row;
	});
}
async function waitTracked(vid, n) {
	for (let i = 0; i < 100; i++) {
		const rows = tracked(vid);
		if (rows.length >= n) return rows;
		await new Promise((r) => setTimeout(r, 100));
	}
	return tracked(vid);
}
const toT = (pg) => pg.requests.filter((r) => r.startsWith('POST ') && new URL(r.slice(5)).pathname === '/t');
async function waitEvents(pg, n) {
	await pg.waitForFunction((k) => window.__events.length >= k, n, { timeout: 10_000 });
	return pg.evaluate(() => window.__events);
}

test('before an answer: Consent Mode defaults are all denied before the next script, the dialog shows, and nothing is sent or stored', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const pg = await visit(ctx);
	await dialog(pg).waitFor({ state: 'visible' });
	await pg.waitForTimeout(1500);
	const first = JSON.parse(await pg.evaluate(() => window.__firstTag));
	assert.deepEqual(first, ['consent', 'default', { ad_storage: 'denied', ad_user_data: 'denied',
		ad_personalization: 'denied', analytics_storage: 'denied', wait_for_update: 500 }],
	'the first entry of dataLayer, there before the page\'s next script ran');
	const sent = pg.requests.filter((r) => !r.startsWith('GET '));
	assert.deepEqual(sent, [], 'no request but the page\'s own loads');
	assert.deepEqual(pg.requests.filter((r) => r.includes('/v/')), [], 'nothing to /v/...');
	assert.equal(await pg.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
	assert.equal(await pg.evaluate(() => document.cookie), '', 'no cookie');
	assert.equal((await pg.evaluate(() => window.__events)).length, 0, 'no consent event yet');
	// equal weight: Accept all and Reject all are the same size and style
	const box = async (name) => pg.getByRole('button', { name, exact: true }).boundingBox();
	const a = await box('Accept all'), r = await box('Reject all');
	assert.ok(a && r && Math.abs(a.height - r.height) < 1 && Math.abs(a.width - r.width) < 40, `equal buttons: ${JSON.stringify([a, r])}`);
	assert.deepEqual(pg.errors, []);
	await ctx.close();
});

test('Reject all: the refusal is recorded (read back through GET /v1/visitors/{id}), Consent Mode updated denied, the event fires', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const pg = await visit(ctx);
	await pg.getByRole('button', { name: 'Reject all' }).click();
	const ev = await waitEvents(pg, 1);
	assert.deepEqual(ev[0].answers, { ip_tracking: false, lead_scoring: false });
	assert.match(ev[0].version, /^[0-9a-f]{64}$/);
	const dl = await dataLayer(pg);
	assert.deepEqual(dl.filter((e) => e[1] === 'update').pop(), ['consent', 'update', { analytics_storage: 'denied',
		ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied' }]);
	const s = await stored(pg);
	assert.match(s.visitor, /^v_[a-z2-7]{24}$/);
	const v = await visitor(s.visitor);
	assert.deepEqual(v.answers.map((a) => [a.purpose, a.action, a.signal]),
		[['ip_tracking', 'refuse', 'click'], ['lead_scoring', 'refuse', 'click']]);
	assert.equal(v.answers[0].page, `${site.url}/en.html`);
	assert.equal(v.answers[0].banner_version, ev[0].version);
	assert.ok(await dialog(pg).isHidden(), 'the dialog is gone');
	// a later page: no dialog, the stored answer announced again, nothing new sent
	const n = (await visitor(s.visitor)).answers.length;
	const pg2 = await visit(ctx);
	await waitEvents(pg2, 1);
	assert.ok(await dialog(pg2).isHidden(), 'no dialog on the next page');
	assert.deepEqual(pg2.requests.filter((r) => r.includes('/v/')), []);
	assert.equal((await visitor(s.visitor)).answers.length, n);
	// a refusal of both tracking purposes: nothing to /t, not even a custom event
	assert.equal(await pg2.evaluate(() => window.samtycke.track('signup_click')), false);
	await pg2.waitForTimeout(500);
	assert.deepEqual([...toT(pg), ...toT(pg2)], [], 'nothing sent to /t');
	assert.deepEqual(tracked(s.visitor), [], 'nothing stored');
	await ctx.close();
});

test('Accept all: a page view with the page\'s UTM values reaches POST /t and is stored, again on a later page, and samtycke.track sends a custom event', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const pg = await visit(ctx, '/en.html?utm_source=newsletter&utm_medium=email&utm_campaign=spring_launch&ref=x');
	await pg.waitForTimeout(300);
	assert.deepEqual(toT(pg), [], 'nothing to /t before the answer');
	assert.equal(await pg.evaluate(() => window.samtycke.track('too_early')), false, 'no custom event before the answer');
	await pg.getByRole('button', { name: 'Accept all' }).click();
	await waitEvents(pg, 1);
	const vid = (await stored(pg)).visitor;
	let rows = await waitTracked(vid, 1);
	assert.deepEqual(rows, [{ type: 'page_view', name: '', url: `${site.url}/en.html`, utm_source: 'newsletter',
		utm_medium: 'email', utm_campaign: 'spring_launch', contact_id: null }], 'the page view, its query left out but its UTM values');
	const pg2 = await visit(ctx, '/en.html');
	await waitEvents(pg2, 1);
	rows = await waitTracked(vid, 2);
	assert.equal(rows.length, 2, `a page view on the later page: ${JSON.stringify(rows)}`);
	assert.deepEqual(rows.map((r) => [r.type, r.utm_source]), [['page_view', 'newsletter'], ['page_view', '']]);
	assert.equal(await pg2.evaluate(() => window.samtycke.track('signup_click')), true);
	rows = await waitTracked(vid, 3);
	assert.deepEqual(rows.slice(2).map((r) => [r.type, r.name]), [['event', 'signup_click']]);
	assert.deepEqual([...pg.errors, ...pg2.errors], []);
	await ctx.close();
});

test('the reopen link changes the choice: a give of lead_scoring recorded, Consent Mode updated granted for ads', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const pg = await visit(ctx);
	await pg.getByRole('button', { name: 'Reject all' }).click();
	await waitEvents(pg, 1);
	await pg.getByRole('link', { name: 'Cookie settings' }).click();
	await dialog(pg).waitFor({ state: 'visible' });
	const box = pg.getByRole('checkbox', { name: 'Lead scoring' });
	assert.equal(await box.isChecked(), false, 'the box shows the earlier refusal');
	await box.check();
	await pg.getByRole('button', { name: 'Save my choice' }).click();
	const ev = await waitEvents(pg, 2);
	assert.deepEqual(ev[1].answers, { ip_tracking: false, lead_scoring: true });
	const dl = await dataLayer(pg);
	assert.deepEqual(dl.filter((e) => e[1] === 'update').pop()[2], { analytics_storage: 'denied',
		ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' });
	const v = await visitor((await stored(pg)).visitor);
	assert.deepEqual(v.answers.slice(-2).map((a) => [a.purpose, a.action]), [['ip_tracking', 'refuse'], ['lead_scoring', 'give']]);
	// the fixed button reopens it too, and the keyboard reaches it
	await pg.locator('button.sk-b-open').click();
	await dialog(pg).waitFor({ state: 'visible' });
	assert.equal(await pg.getByRole('checkbox', { name: 'Lead scoring' }).isChecked(), true);
	await ctx.close();
});

for (const how of ['navigator.globalPrivacyControl', 'the Sec-GPC header']) {
	test(`GPC (${how}): a refusal recorded with signal gpc, and no dialog`, T, async () => {
		const opts = how === 'the Sec-GPC header' ? { extraHTTPHeaders: { 'Sec-GPC': '1' } } : {};
		const ctx = await newContext(browser, { lang: 'en', ...opts });
		if (how !== 'the Sec-GPC header') {
			await ctx.addInitScript(() => Object.defineProperty(navigator, 'globalPrivacyControl', { get: () => true }));
		}
		const pg = await visit(ctx);
		const ev = await waitEvents(pg, 1);
		assert.deepEqual(ev[0].answers, { ip_tracking: false, lead_scoring: false });
		assert.ok(await dialog(pg).isHidden(), 'no dialog');
		const v = await visitor((await stored(pg)).visitor);
		assert.deepEqual(v.answers.map((a) => [a.action, a.signal]), [['refuse', 'gpc'], ['refuse', 'gpc']]);
		await ctx.close();
	});
}

test('a form submitted with the banner carries the answer to the new contact (method banner in its history)', T, async () => {
	const email = 'e2e-banner-form@example.com';
	const ctx = await newContext(browser, { lang: 'en' });
	const pg = await visit(ctx);
	await pg.getByRole('button', { name: 'Accept all' }).click();
	await waitEvents(pg, 1);
	const vid = (await stored(pg)).visitor;
	assert.equal(await pg.inputValue('form input[name=sk_visitor]'), vid, 'the form carries the visitor id');
	await pg.fill('#email', email);
	await pg.fill('#fn', 'Berit');
	await pg.fill('#ln', 'Banner');
	await pg.check('#of');
	await pg.click('button[type=submit]');
	await pg.waitForFunction(() => /Thank|Tack/.test(document.querySelector('[data-samtycke-answer]')?.textContent || ''), null, { timeout: 10_000 });
	const found = reader.ok(await reader.get(`/v1/contacts?email=${encodeURIComponent(email)}`), 200, 'find');
	const id = found.id || found.contact?.id || found.contacts?.[0]?.id;
	assert.ok(id, `the contact: ${JSON.stringify(found)}`);
	const v = await visitor(vid);
	assert.equal(v.contact_id, id, 'the visitor is tied to the new contact');
	const h = reader.ok(await reader.get(`/v1/contacts/${id}/consents`), 200, 'consents');
	const events = JSON.stringify(h);
	assert.match(events, /"method":"banner"/, `the history has banner events: ${events.slice(0, 600)}`);
	const check = reader.ok(await reader.get(`/v1/check?email=${encodeURIComponent(email)}&purpose=lead_scoring`), 200, 'check');
	assert.equal(check.allowed, true, 'lead_scoring, given on the banner, holds for the contact');
	await ctx.close();
});

test('the keyboard alone answers: Tab reaches the dialog\'s buttons first, with a visible focus, and Enter records the choice', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const pg = await visit(ctx);
	await dialog(pg).waitFor({ state: 'visible' });
	const focused = () => pg.evaluate(() => {
		const e = document.activeElement;
		const cs = getComputedStyle(e);
		return { text: e.textContent.trim(), inDialog: !!e.closest('div.sk-b'), outline: parseFloat(cs.outlineWidth) || 0 };
	});
	await pg.keyboard.press('Tab');
	let f = await focused();
	assert.deepEqual([f.text, f.inDialog], ['Accept all', true], `the first Tab stop: ${JSON.stringify(f)}`);
	assert.ok(f.outline >= 2, `the focus is drawn: ${JSON.stringify(f)}`);
	await pg.keyboard.press('Tab');
	f = await focused();
	assert.equal(f.text, 'Reject all');
	await pg.keyboard.press('Enter');
	const ev = await waitEvents(pg, 1);
	assert.deepEqual(ev[0].answers, { ip_tracking: false, lead_scoring: false });
	await ctx.close();
});

for (const lang of ['en', 'sv']) {
	test(`axe finds no serious or critical violation with the banner open (${lang}), nor with its choices shown`, T, async () => {
		const ctx = await newContext(browser, { lang });
		const pg = await visit(ctx, `/${lang}.html`);
		await dialog(pg).waitFor({ state: 'visible' });
		assert.equal(await dialog(pg).getAttribute('lang'), lang);
		const run = async (what) => {
			if (!(await pg.evaluate(() => typeof window.axe === 'object'))) await pg.evaluate(AXE);
			const bad = await pg.evaluate(() => window.axe.run(document.querySelector('div.sk-b'), { resultTypes: ['violations'] })
				.then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
					.map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)));
			assert.deepEqual(bad, [], `${what}: axe violations`);
		};
		await run('the dialog');
		await pg.getByRole('button', { name: lang === 'sv' ? 'Välj själv' : 'Let me choose' }).click();
		await run('the dialog with its choices');
		await ctx.close();
	});
}
