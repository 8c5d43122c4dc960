// console-overview.test.mjs: the staff console's overview and its purposes and notices page
// in a real browser (issue 15; docs/console.md, "The overview" and "Purposes and notices").
// A viewer signs in through the sign-in page and sees, for data this test makes through the
// API and the command line, the right counts per purpose, the week's gives and withdrawals
// in the chart's text alternative (a table of the same figures as the SVG), the suppression
// list by reason, and the last `audit verify` (the server's own at start, then the command
// line's). A viewer
// has no "verify now" button and its post is refused; a DPO's runs and shows. After a second
// policy changes the newsletter's Swedish notice, the purposes page shows both versions side
// by side with the change marked. axe-core in sv and en on both pages. No address in any URL
// or on any page. Run by tests/e2e/console-overview.sh (CONSOLE_URL, SK_POLICY_FILE).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { noAddressInUrls, launch, newContext, open, said, axeCheck, api, key, cli, need, signIn, staffUser } from './lib.mjs';

const BASE = need('CONSOLE_URL');
const TMP = need('SK_TMP');
const T = { timeout: 120_000 };
const LANGS = ['sv', 'en'];
const STAFF = {
	vera: { role: 'viewer', password: 'vera-viewer-pass-2026' },
	dora: { role: 'dpo', password: 'dora-dpo-pass-2026-x' },
};
const TEXT = {
	sv: { whole: 'kedjan hel', read: 'händelser lästa', verify: 'Granska kedjan nu' },
	en: { whole: 'chain whole', read: 'events read', verify: 'Verify the chain now' },
};

let browser, writer;
before(async () => {
	browser = await launch();
	writer = api(BASE, key('e2e-overview-writer', 'write'));
	for (const [name, u] of Object.entries(STAFF)) staffUser(name, u.role, u.password);
	// newsletter: two allowed, one withdrawn (given, then withdrawn), one refused; offers:
	// one allowed; one address suppressed as bounced. This week: 4 gives, 1 withdrawal.
	const consent = async (email, purpose, action) =>
		writer.ok(await writer.post('/v1/consents', { email, purpose, action, lang: 'en' }), 201, `POST /v1/consents ${purpose} ${action}`);
	await consent('ov-a1@example.com', 'newsletter', 'give');
	await consent('ov-a2@example.com', 'newsletter', 'give');
	await consent('ov-w1@example.com', 'newsletter', 'give');
	await consent('ov-w1@example.com', 'newsletter', 'withdraw');
	await consent('ov-r1@example.com', 'newsletter', 'refuse');
	await consent('ov-o1@example.com', 'offers', 'give');
	cli(['suppress', 'ov-s1@example.com', '--reason', 'bounced']);
});
after(async () => {
	await browser?.close();
});

// staff(NAME, LANG): a browser context in LANG, signed in as NAME through the sign-in page.
async function staff(name, lang) {
	const ctx = await newContext(browser, { lang });
	const page = await ctx.newPage();
	await signIn(page, BASE, name, STAFF[name].password);
	return { ctx, page };
}

async function overview(ctx, lang) {
	const page = await open(ctx, `${BASE}/console?lang=${lang}`);
	assert.equal(await page.getAttribute('html', 'lang'), lang);
	return page;
}

const cell = async (page, sel) => {
	const loc = page.locator(sel);
	assert.equal(await loc.count(), 1, `one ${sel} on ${page.url()}: the page says ${await said(page)}`);
	return (await loc.innerText()).trim();
};

test('a viewer sees the overview with the right figures, the chart and its table', T, async () => {
	for (const lang of LANGS) {
		const { ctx } = await staff('vera', lang);
		const page = await overview(ctx, lang);
		const row = (p) => `tr[data-purpose="${p}"]`;
		const want = { allowed: '2', withdrawn: '1', refused: '1', expired: '0', pending: '0', unverified: '0', suppressed: '0' };
		for (const [k, v] of Object.entries(want)) assert.equal(await cell(page, `${row('newsletter')} td[data-count="${k}"]`), v, `newsletter ${k} (${lang})`);
		assert.equal(await cell(page, `${row('offers')} td[data-count="allowed"]`), '1', `offers allowed (${lang})`);
		assert.equal(await cell(page, `${row('lead_scoring')} td[data-count="allowed"]`), '0', `lead_scoring allowed (${lang})`);
		// the chart: an image with a title and a description, its figures in a table
		const svg = page.locator('svg.ov-chart[role="img"]');
		assert.equal(await svg.count(), 1, 'one chart');
		const labelled = await svg.getAttribute('aria-labelledby');
		for (const id of labelled.split(' ')) assert.ok((await page.locator(`#${id}`).textContent()).trim().length > 0, `the chart's ${id} has text`);
		assert.equal(await page.locator('svg.ov-chart rect.give').count(), 12, '12 weeks of bars');
		const gives = await page.locator('table.ov-weeks td[data-gives]').allInnerTexts();
		const withdrawals = await page.locator('table.ov-weeks td[data-withdrawals]').allInnerTexts();
		assert.equal(gives.length, 12);
		assert.equal(gives[11].trim(), '4', `this week's gives (${lang})`);
		assert.equal(withdrawals[11].trim(), '1', `this week's withdrawals (${lang})`);
		assert.deepEqual(gives.slice(0, 11).map((s) => s.trim()), Array(11).fill('0'), 'nothing in earlier weeks');
		// the bars are as tall as the figures say: this week's give bar the tallest
		const h = await page.locator('svg.ov-chart rect.give').evaluateAll((rs) => rs.map((r) => +r.getAttribute('height')));
		assert.ok(h[11] > 0 && h.slice(0, 11).every((x) => x === 0), `bar heights ${h}`);
		assert.equal(await cell(page, 'td[data-supp="bounced"]'), '1');
		assert.equal(await cell(page, 'dd[data-outbox-waiting]'), '0');
		assert.equal(await cell(page, 'dd[data-ledger-seq]'), '6');
		// the last verify is the server's own, when it started on the empty ledger
		assert.match(await cell(page, 'dd[data-verify]'), new RegExp(`UTC: ${TEXT[lang].whole}; ${TEXT[lang].read}: 0$`));
		// a viewer may not run the audit: no button
		assert.equal(await page.locator('form[action^="/console/verify"]').count(), 0, 'no verify button for a viewer');
		assert.ok(!/@example\.com/.test(await page.innerText('body')), 'no address on the overview');
		await axeCheck(page, `overview (${lang})`, { lang });
		await ctx.close();
	}
});

test('audit verify from the command line shows on the overview; a viewer cannot run it from the console', T, async () => {
	cli(['audit', 'verify']);
	const { ctx, page: signedIn } = await staff('vera', 'en');
	const page = await overview(ctx, 'en');
	const v = await cell(page, 'dd[data-verify]');
	assert.match(v, /UTC: chain whole; events read: 6$/, `the last verify: ${v}`);
	// the viewer's own CSRF token (the sign-out form's) does not make the post allowed
	const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
	assert.ok(csrf, 'the page carries the session\'s CSRF token');
	const res = await ctx.request.post(`${BASE}/console/verify`, { form: { csrf }, maxRedirects: 0 });
	assert.equal(res.status(), 403, `a viewer's POST /console/verify: ${res.status()}`);
	await signedIn.close();
	await ctx.close();
});

test('a DPO runs audit verify from the overview', T, async () => {
	for (const lang of LANGS) {
		const { ctx } = await staff('dora', lang);
		const page = await overview(ctx, lang);
		const btn = page.locator('form[action^="/console/verify"] button[type=submit]');
		assert.equal(await btn.count(), 1, 'a DPO has the button');
		assert.equal((await btn.innerText()).trim(), TEXT[lang].verify);
		await axeCheck(page, `overview as a DPO (${lang})`, { lang });
		const before = await page.locator('dd[data-verify] time').getAttribute('datetime');
		await sleep(1100); // a later second, so the recorded time moves
		const [res] = await Promise.all([page.waitForNavigation(), btn.click()]);
		assert.equal(res.status(), 200, `after verify: ${await said(page)}`);
		assert.match(page.url(), /\/console\?lang=(sv|en)$/, 'back on the overview (303)');
		assert.equal(await page.getAttribute('html', 'lang'), lang, 'in the language it was run in');
		const after = await page.locator('dd[data-verify] time').getAttribute('datetime');
		assert.ok(after > before, `the verify time moved: ${before} -> ${after}`);
		assert.ok((await cell(page, 'dd[data-verify]')).includes(TEXT[lang].whole), 'whole');
		// a field the form does not have is refused (422, a console page naming it)
		const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
		const bad = await ctx.request.post(`${BASE}/console/verify`, { form: { csrf, extra: '1' }, headers: { origin: BASE }, maxRedirects: 0 });
		assert.equal(bad.status(), 422, `a verify post with an unknown field: ${bad.status()}`);
		assert.match(await bad.text(), /has no field (&#39;|')extra(&#39;|')/, 'the page says which field');
		// the staff audit trail holds the action, by this DPO
		const trail = await open(ctx, `${BASE}/console/audit?lang=${lang}`);
		const text = await trail.innerText('main');
		assert.match(text, /ledger\.verify/, `the audit trail shows ledger.verify: ${await said(trail)}`);
		assert.match(text, /dora/, 'by whom');
		await ctx.close();
	}
});

test('the purposes page shows two notice versions of a changed notice, the change marked', T, async () => {
	// a second policy whose newsletter notice (Swedish) says 12 months instead of 24
	const doc = YAML.parse(readFileSync(need('SK_POLICY_FILE'), 'utf8'));
	const from = 'Samtycket gäller i 24 månader';
	assert.ok(doc.purposes.newsletter.notice.sv.includes(from), 'the test policy holds the newsletter notice sentence');
	doc.purposes.newsletter.notice.sv = doc.purposes.newsletter.notice.sv.replace(from, 'Samtycket gäller i 12 månader');
	const second = path.join(TMP, 'policy2.yaml');
	writeFileSync(second, YAML.stringify(doc));
	cli(['policy', 'apply', second]);
	for (const lang of LANGS) {
		const { ctx } = await staff('vera', lang);
		let page;
		const sv = '.pu-versions[data-purpose="newsletter"][data-lang="sv"]';
		for (let i = 0; ; i++) { // the server reads a newly applied policy within a second or so
			page = await open(ctx, `${BASE}/console/purposes?lang=${lang}`);
			if ((await page.locator(`${sv} .pu-version`).count()) === 2 || i === 30) break;
			await page.close();
			await sleep(200);
		}
		assert.equal(await page.locator(`${sv} .pu-version`).count(), 2, `two versions of the newsletter's Swedish notice: ${await said(page)}`);
		const v2 = page.locator(`${sv} .pu-version[data-version="2"]`);
		assert.equal((await v2.locator('del').innerText()).replace(/\[.*?\]\s*/, '').trim(), '24');
		assert.equal((await v2.locator('ins').innerText()).replace(/\[.*?\]\s*/, '').trim(), '12');
		assert.equal(await page.locator(`${sv} .pu-version[data-version="1"] del, ${sv} .pu-version[data-version="1"] ins`).count(), 0, 'the first version is plain');
		assert.ok((await v2.locator('time').getAttribute('datetime')) >= (await page.locator(`${sv} .pu-version[data-version="1"] time`).getAttribute('datetime')), 'since when, in order');
		// the English notice did not change: nothing marked there
		assert.equal(await page.locator('.pu-versions[data-purpose="newsletter"][data-lang="en"] del').count(), 0);
		// the applied policy's purposes with their attributes, and the lint
		assert.equal(await page.locator('section.pu-purpose').count(), await page.locator('section.pu-purpose[data-purpose]').count());
		assert.ok((await page.locator('section.pu-purpose').count()) >= 7, 'every purpose of the policy');
		assert.equal(await page.locator('section[data-lint="ok"]').count(), 1, 'the lint passes');
		await axeCheck(page, `purposes (${lang})`, { lang });
		await ctx.close();
	}
});

test('no address in any URL the browser requested', T, async () => {
	noAddressInUrls();
});
