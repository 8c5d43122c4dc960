// forms.test.mjs: the public form pages in a real browser (Debian's chromium through
// playwright-core), against docs/forms.md: axe-core on every page state of a form and its
// double opt-in link in Swedish and English, and a form sent with the keyboard alone. Run by
// tests/e2e/forms.sh: FORMS_URL is a server with tests/e2e/policy.mjs's policy and real mail
// (SK_MAILDIR), FORMS_URL_FUTURE the same store with its clock 30 days ahead, KEY_READER a read
// key. Each top-level test is one TAP case; addresses are at example.com only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { noAddressInUrls, launch, newContext, open, said, axeCheck, tabTo, api, need, waitLink } from './lib.mjs';

const BASE = need('FORMS_URL');
const FUTURE = need('FORMS_URL_FUTURE');
const reader = api(BASE, need('KEY_READER'));
const T = { timeout: 120_000 };
const LANGS = ['sv', 'en'];
const CONFIRM_LINK = /https?:\/\/\S+\/f\/confirm\/[A-Za-z0-9._~-]+/;

let browser;
before(async () => {
	browser = await launch();
});
after(async () => {
	await browser?.close();
});

async function gate(email, purpose) {
	return reader.ok(await reader.get(`/v1/check?email=${encodeURIComponent(email)}&purpose=${purpose}`), 200, `check ${purpose}`);
}

// send(ctx, lang, email): the newsletter form filled and sent with the mouse; the thank-you page.
async function send(ctx, lang, email) {
	const page = await open(ctx, `${BASE}/f/newsletter`);
	await page.fill('input[name=email]', email);
	await page.check('input[name=consent][value=newsletter]');
	const [res] = await Promise.all([page.waitForNavigation(), page.click('form[action="/f/newsletter"] button[type=submit]')]);
	assert.equal(res.status(), 200, `the newsletter form's answer (${lang}): the page says ${await said(page)}`);
	return page;
}

test('every form page (newsletter, webinar) passes axe with no serious or critical violation, in sv and en', T, async () => {
	for (const lang of LANGS) {
		const ctx = await newContext(browser, { lang });
		for (const form of ['newsletter', 'webinar']) {
			const page = await open(ctx, `${BASE}/f/${form}`);
			await axeCheck(page, `/f/${form} (${lang})`, { lang });
		}
		await ctx.close();
	}
});

test('a form is filled in and sent with the keyboard alone, every focused control visibly outlined', T, async () => {
	const email = 'e2e-keyboard@example.com';
	const ctx = await newContext(browser, { lang: 'en' });
	const page = await open(ctx, `${BASE}/f/newsletter`);
	await tabTo(page, () => document.activeElement?.name === 'email', 'the e-mail field of /f/newsletter');
	await page.keyboard.type(email);
	await tabTo(page, () => document.activeElement?.name === 'consent' && document.activeElement.value === 'newsletter', 'the newsletter box');
	await page.keyboard.press('Space');
	assert.equal(await page.isChecked('input[name=consent][value=newsletter]'), true, 'Space ticks the focused box');
	await tabTo(page, () => document.activeElement?.tagName === 'BUTTON' && document.activeElement.type === 'submit', 'the send button');
	const [res] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
	assert.equal(res.status(), 200, `Enter on the send button posts the form: the page says ${await said(page)}`);
	await axeCheck(page, 'the thank-you page (en)', { lang: 'en' });
	const g = await gate(email, 'newsletter');
	assert.deepEqual([g.allowed, g.reason], [false, 'pending_confirmation'], `the keyboard's post made a request: ${JSON.stringify(g)}`);
	await ctx.close();
});

test('the thank-you, confirmation and confirmed pages pass axe, in sv and en, and confirming gives the consent', T, async () => {
	for (const lang of LANGS) {
		const email = `e2e-confirm-${lang}@example.com`;
		const ctx = await newContext(browser, { lang });
		const thanks = await send(ctx, lang, email);
		await axeCheck(thanks, `the thank-you page (${lang})`, { lang });
		const link = await waitLink(email, CONFIRM_LINK);
		// the link's pages are in the form's language, whatever the browser asks
		const other = await newContext(browser, { lang: lang === 'sv' ? 'en' : 'sv' });
		const page = await open(other, link);
		await axeCheck(page, `the confirmation page (${lang})`, { lang });
		const [res] = await Promise.all([page.waitForNavigation(), page.click('form[action^="/f/confirm/"] button')]);
		assert.equal(res.status(), 200, `confirming (${lang}): the page says ${await said(page)}`);
		await axeCheck(page, `the confirmed page (${lang})`, { lang });
		const again = await open(other, link);
		await axeCheck(again, `the "already confirmed" page (${lang})`, { lang });
		const g = await gate(email, 'newsletter');
		assert.equal(g.allowed, true, `the button confirmed the newsletter (${lang}): ${JSON.stringify(g)}`);
		await other.close();
		await ctx.close();
	}
});

test('an invalid and an expired confirmation link answer plain pages that pass axe, in sv and en', T, async () => {
	for (const lang of LANGS) {
		// a request made on the form in LANG, never confirmed: its link's pages are in LANG
		const email = `e2e-lapsing-${lang}@example.com`;
		const ctx = await newContext(browser, { lang });
		await send(ctx, lang, email);
		const link = await waitLink(email, CONFIRM_LINK);
		const token = link.slice(link.lastIndexOf('/') + 1);
		const old = await open(ctx, `${FUTURE}/f/confirm/${token}`, 410);
		await axeCheck(old, `the expired link page (${lang})`, { lang });
		// a link that is not valid names no request: its page follows the browser
		const bad = await open(ctx, `${BASE}/f/confirm/${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`, 400);
		await axeCheck(bad, `the invalid link page (${lang})`, { lang });
		const junk = await open(ctx, `${BASE}/f/confirm/not-a-token`, 400);
		await axeCheck(junk, `the invalid link page for a malformed token (${lang})`, { lang });
		await ctx.close();
	}
});

test('no URL the browser requested in the forms and their links held an e-mail address', T, async () => {
	noAddressInUrls();
});
