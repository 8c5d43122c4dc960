// screenshots.mjs: the PNGs of the public pages and the console in docs/img/ (README.md
// shows some), in Debian's chromium through playwright-core, 1000 px wide and full page. Run by
// scripts/screenshots.sh (`make screenshots`), which starts a server with the example policy
// and its clock pinned (SAMTYCKE_NOW), so that the pages show the same fixed fake person at
// example.com and the same times on every run. Each picture is one TAP case; one that cannot
// be made (a page not there yet) fails and the others are still made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, newContext, open, api, key, cli, need, waitLink, signIn, staffUser, ROOT } from '../tests/e2e/lib.mjs';

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
	// the overview's weeks: sign-ups at fixed times in the twelve weeks before NOW, and a few
	// withdrawals, by people numbered at example.com
	const DAY = 86400e3;
	for (let i = 0; i < 40; i++) {
		const email = `kund${i}@example.com`;
		const at = new Date(Date.parse(NOW) - (2 + ((i * 37) % 80)) * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
		writer.ok(await writer.post('/v1/consents', { email, purpose: 'offers', action: 'give', occurred_at: at, method: 'form', source: 'form:webinar https://www.example.com', lang: 'sv' }), 201, `POST /v1/consents ${email}`);
		if (i % 6 === 5) {
			const later = new Date(Date.parse(at) + 9 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
			writer.ok(await writer.post('/v1/consents', { email, purpose: 'offers', action: 'withdraw', occurred_at: later, method: 'api', source: 'crm-sync', lang: 'sv' }), 201, `POST /v1/consents ${email} withdraw`);
		}
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

// The staff console, as the data-protection officer sees it (docs/console.md).
const DPO = { name: 'dana', password: staffUser('dana', 'dpo') };

test('console-overview-en.png: the console\'s overview (en)', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const page = await ctx.newPage();
	await signIn(page, BASE, DPO.name, DPO.password);
	await shot(page, 'console-overview-en.png');
	await ctx.close();
});

test('console-person-en.png: a person\'s page in the console, as the DPO sees it (en)', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const page = await ctx.newPage();
	await signIn(page, BASE, DPO.name, DPO.password, { next: '/console/person' });
	await page.fill('input[name=email]', PERSON.email);
	await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
	assert.match(new URL(page.url()).pathname, /^\/console\/person\/c_/, `the person was found: ${page.url()}`);
	await shot(page, 'console-person-en.png');
	await ctx.close();
});
