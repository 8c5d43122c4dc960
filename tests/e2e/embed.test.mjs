// embed.test.mjs: a samtycke form on the company's own site, in a real browser (issue 14,
// item 7; docs/forms.md, "Putting a form on your site"): the site's page holds
// <form data-samtycke-form="newsletter" action=".../f/newsletter"> and samtycke's
// /assets/embed.js, which sends it as JSON and shows the answer on the page without leaving
// it; and an <iframe> of /f/newsletter shows on an allowed origin and is refused on another
// (the form page's frame-ancestors). Run by tests/e2e/embed.sh: EMBED_URL (a server whose
// forms allow http://127.0.0.1:SITE_PORT), SITE_PORT and OTHER_PORT (the sites this file
// serves), KEY_READER. Each top-level test is one TAP case; addresses are at example.com.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, api, need, serveSite } from './lib.mjs';

const BASE = need('EMBED_URL');
const reader = api(BASE, need('KEY_READER'));
const T = { timeout: 60_000 };

// The company's pages: the snippet of docs/forms.md, and a page that frames the form.
const formPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Exempel AB: newsletter</title>
<script src="${BASE}/assets/embed.js" defer></script></head>
<body><main><h1>Our newsletter</h1>
<form data-samtycke-form="newsletter" action="${BASE}/f/newsletter" method="post">
<label for="email">E-mail address</label> <input type="email" id="email" name="email" required>
<input type="checkbox" id="nl" name="consent" value="newsletter"><label for="nl">Newsletter</label>
<input type="hidden" name="lang" value="en">
<button type="submit">Subscribe</button>
</form></main></body></html>`;
const framePage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Exempel AB: framed</title></head>
<body><main><h1>Our newsletter</h1>
<iframe name="samtycke" title="Newsletter sign-up" src="${BASE}/f/newsletter" width="600" height="600"></iframe>
</main></body></html>`;
const pages = { '/newsletter.html': formPage, '/framed.html': framePage };

let browser, site, other;
before(async () => {
	browser = await launch();
	site = await serveSite(pages, +need('SITE_PORT'));
	other = await serveSite(pages, +need('OTHER_PORT'));
});
after(async () => {
	await browser?.close();
	await site?.close();
	await other?.close();
});

test('GET /assets/embed.js answers the script (200, text/javascript)', T, async () => {
	const r = await fetch(`${BASE}/assets/embed.js`);
	assert.equal(r.status, 200, `GET /assets/embed.js answered ${r.status}: the embed script (issue 14 item 7) is not served by this build`);
	assert.match(r.headers.get('content-type') || '', /^(text|application)\/javascript\b/, 'its Content-Type');
});

test('a form on an allowed site, with embed.js, is sent without leaving the page and the answer is shown there in a live region', T, async () => {
	const email = 'e2e-embedded@example.com';
	const ctx = await newContext(browser, { lang: 'en' });
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
	const url = `${site.url}/newsletter.html`;
	await page.goto(url);
	await page.fill('#email', email);
	await page.check('#nl');
	await page.click('button[type=submit]');
	const said = () => [...document.querySelectorAll('[aria-live], [role=status], [role=alert]')]
		.map((e) => e.textContent.trim()).filter((t) => t).join(' | ');
	// The region says "Sending..." while the post runs: the answer is there once the form is
	// no longer busy (aria-busy="false") and the region holds something.
	const answered = () => document.querySelector('form[data-samtycke-form]')?.getAttribute('aria-busy') === 'false' &&
		[...document.querySelectorAll('[aria-live], [role=status], [role=alert]')].some((e) => e.textContent.trim());
	try {
		await page.waitForFunction(answered, null, { timeout: 10_000 });
	} catch {
		assert.fail(`no answer shown in an aria-live region of the company page within 10 s; the page is at ${page.url()}; ` +
			`browser errors: ${errors.join(' | ') || 'none'}; body: ${(await page.innerText('body')).slice(0, 300)}`);
	}
	assert.equal(page.url(), url, 'the company page stayed where it was (the script posted, not the browser)');
	assert.match(await page.evaluate(said), /We have sent you an e-mail/, 'the answer asks the person to confirm from the mail');
	const g = reader.ok(await reader.get(`/v1/check?email=${encodeURIComponent(email)}&purpose=newsletter`), 200, 'check');
	assert.deepEqual([g.allowed, g.reason], [false, 'pending_confirmation'], `the post from the company page made a request: ${JSON.stringify(g)}`);
	await ctx.close();
});

// framed(SITE): the framed form page's frame on SITE's page, and whether it shows the form.
async function framed(ctx, base) {
	const page = await ctx.newPage();
	const refused = [];
	page.on('console', (m) => /frame-ancestors|Refused to frame/i.test(m.text()) && refused.push(m.text()));
	await page.goto(`${base}/framed.html`);
	const el = await page.waitForSelector('iframe[name=samtycke]');
	const frame = await el.contentFrame();
	await frame?.waitForLoadState().catch(() => {});
	const shown = frame ? await frame.locator('form[action="/f/newsletter"]').count().catch(() => 0) : 0;
	return { shown: shown === 1, url: frame?.url(), refused };
}

test('an iframe of /f/newsletter shows the form on an allowed origin and is refused on another (frame-ancestors)', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const ok = await framed(ctx, site.url);
	assert.ok(ok.shown, `the form shows in an iframe on ${site.url}, an allowed origin; frame at ${ok.url}; browser said: ${ok.refused.join(' | ') || 'nothing'}`);
	const no = await framed(ctx, other.url);
	assert.ok(!no.shown, `the form must not show in an iframe on ${other.url}, which the form does not allow; frame at ${no.url}`);
	assert.ok(no.refused.length > 0, `the browser refused the frame on ${other.url} for its frame-ancestors`);
	await ctx.close();
});
