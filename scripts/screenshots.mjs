// screenshots.mjs: the PNGs of the public pages in docs/img/ (README.md shows one), in
// Debian's chromium through playwright-core, 1000 px wide and full page. Run by
// scripts/screenshots.sh (`make screenshots`), which starts a server with the example policy
// and its clock pinned (SAMTYCKE_NOW), so that the pages show the same fixed fake person at
// example.com and the same times on every run. Each picture is one TAP case; one that cannot
// be made (a page not there yet) fails and the others are still made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, newContext, open, api, key, cli, need, waitLink, ROOT } from '../tests/e2e/lib.mjs';

const BASE = need('SHOTS_URL');
const NOW = need('SAMTYCKE_NOW');
const OUT = process.env.SHOTS_DIR || path.join(ROOT, 'docs', 'img');
const T = { timeout: 60_000 };
const PERSON = {
	email: 'anna.andersson@example.com',
	fields: { first_name: 'Anna', last_name: 'Andersson', company: 'Exempel Kund AB' },
};

let browser, link;
before(async () => {
	browser = await launch();
	const writer = api(BASE, key('screenshots', 'write'));
	writer.ok(await writer.post('/v1/contacts', PERSON), 201, 'POST /v1/contacts');
	const consents = [
		['newsletter', 'give', '2026-05-04T08:15:00Z', 'form', 'form:newsletter https://www.example.com'],
		['offers', 'refuse', '2026-05-04T08:15:00Z', 'form', 'form:webinar https://www.example.com'],
		['lead_scoring', 'give', '2026-09-21T13:40:00Z', 'form', 'form:webinar https://www.example.com'],
	];
	for (const [purpose, action, at, method, source] of consents) {
		writer.ok(await writer.post('/v1/consents', { email: PERSON.email, purpose, action, occurred_at: at, method, source, lang: 'sv' }), 201, `POST /v1/consents ${purpose}`);
	}
});
after(async () => {
	await browser?.close();
});

async function shot(page, name) {
	await page.screenshot({ path: path.join(OUT, name), fullPage: true, animations: 'disabled' });
}

test('form-webinar-en.png: the webinar form (en)', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	await shot(await open(ctx, `${BASE}/f/webinar`), 'form-webinar-en.png');
	await ctx.close();
});

test('form-newsletter-sv-phone.png: the newsletter form on a phone (sv)', T, async () => {
	const ctx = await newContext(browser, { lang: 'sv', viewport: { width: 390, height: 700 } });
	await shot(await open(ctx, `${BASE}/f/newsletter`), 'form-newsletter-sv-phone.png');
	await ctx.close();
});

test('confirm-sv.png: the double opt-in confirmation page (sv)', T, async () => {
	const email = 'bo.berg@example.com';
	const r = await fetch(`${BASE}/f/newsletter`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email, consent: ['newsletter'], lang: 'sv' }),
	});
	assert.equal(r.status, 200, `the newsletter form's JSON post: ${r.status} ${await r.text()}`);
	const confirm = await waitLink(email, /https?:\/\/\S+\/f\/confirm\/[A-Za-z0-9._~-]+/);
	const ctx = await newContext(browser, { lang: 'sv' });
	await shot(await open(ctx, confirm), 'confirm-sv.png');
	await ctx.close();
});

for (const lang of ['sv', 'en']) {
	test(`preference-centre-${lang}.png: the person's page (${lang})`, T, async () => {
		link ||= cli(['link', PERSON.email, '--base', BASE], { env: { SAMTYCKE_NOW: NOW } }).trim();
		const ctx = await newContext(browser, { lang });
		await shot(await open(ctx, `${link}?lang=${lang}`), `preference-centre-${lang}.png`);
		await ctx.close();
	});
}
