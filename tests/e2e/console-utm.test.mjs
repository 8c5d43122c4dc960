// console-utm.test.mjs: the console's UTM link builder in a real browser (issue 16;
// docs/utm.md). A viewer (the least role) signs in through the sign-in page, finds the page
// in the navigation, fills the form and gets the link the command line gives for the same
// values, and copies it with the copy button (the clipboard then holds it). A bad URL and a
// missing campaign are each refused next to their own field (aria-invalid, described by the
// error), and two at once are both marked; the form keeps what was typed. Without a session
// the page sends to the sign-in. axe-core in sv and en on the form, the link and the
// refusals. Run by tests/e2e/console-utm.sh (CONSOLE_URL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, open, said, axeCheck, cli, need, signIn, staffUser, watch } from './lib.mjs';

const BASE = need('CONSOLE_URL');
const T = { timeout: 120_000 };
const LANGS = ['sv', 'en'];
const PASSWORD = 'ulla-viewer-pass-2026';
const TEXT = {
	sv: { nav: 'UTM-länkar', build: 'Bygg länken', copied: 'Länken är kopierad.', required: 'Fältet måste fyllas i.', scheme: 'Adressen måste börja med http:// eller https://.' },
	en: { nav: 'UTM links', build: 'Build the link', copied: 'The link was copied.', required: 'This field is required.', scheme: 'The address must start with http:// or https://.' },
};
const URL_IN = 'https://www.example.com/spring?ref=7&utm_source=old#top';
const VALUES = { source: ' Newsletter ', medium: 'Email', campaign: 'Vår Rea', content: 'Hero' };

let browser;
before(async () => {
	browser = await launch();
	staffUser('ulla', 'viewer', PASSWORD);
});
after(async () => {
	await browser?.close();
});

async function staff(lang) {
	const ctx = await newContext(browser, { lang });
	await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
	const page = watch(await ctx.newPage());
	await signIn(page, BASE, 'ulla', PASSWORD);
	return { ctx, page };
}

// fill(page, values): types each value into its field of the form, then presses Build.
async function build(page, lang, values) {
	for (const [name, v] of Object.entries(values)) await page.fill(`#utm-${name}`, v);
	const [res] = await Promise.all([page.waitForNavigation(), page.click(`form.utm-form button[type=submit]`)]);
	assert.equal(await page.locator('form.utm-form button[type=submit]').innerText(), TEXT[lang].build);
	return res;
}

test('a viewer builds a link from the navigation and copies it', T, async () => {
	const want = cli(['utm', URL_IN, '--source', VALUES.source, '--medium', VALUES.medium, '--campaign', VALUES.campaign, '--content', VALUES.content]).trim();
	assert.equal(want, 'https://www.example.com/spring?ref=7&utm_source=newsletter&utm_medium=email&utm_campaign=v%C3%A5r%20rea&utm_content=hero#top');
	for (const lang of LANGS) {
		const { ctx, page } = await staff(lang);
		await page.goto(`${BASE}/console?lang=${lang}`);
		const nav = page.locator('nav.con a[href="/console/utm"]');
		assert.equal(await nav.innerText(), TEXT[lang].nav, `the navigation's link (${lang})`);
		await Promise.all([page.waitForNavigation(), nav.click()]);
		assert.equal(await page.getAttribute('nav.con a[href="/console/utm"]', 'aria-current'), 'page');
		assert.equal(await page.getAttribute('html', 'lang'), lang);
		assert.equal(await page.locator('#utm-link').count(), 0, 'no link before one is asked for');
		await axeCheck(page, `the UTM form (${lang})`, { lang });

		const res = await build(page, lang, { url: URL_IN, ...VALUES });
		assert.equal(res.status(), 200, `the build answered ${res.status()}: ${await said(page)}`);
		assert.equal(await page.inputValue('#utm-link'), want, `the link is the command line's (${lang})`);
		assert.equal(await page.getAttribute('html', 'lang'), lang, 'the language stays');
		assert.equal(await page.inputValue('#utm-campaign'), VALUES.campaign, 'the form keeps the values');
		assert.equal(await page.locator('.field-error').count(), 0);
		const copy = page.locator('#utm-copy');
		assert.ok(await copy.isVisible(), 'the copy button is shown (the script runs under the CSP)');
		await copy.click();
		await page.waitForFunction((t) => document.getElementById('utm-copied').textContent === t, TEXT[lang].copied);
		assert.equal(await page.evaluate(() => navigator.clipboard.readText()), want, 'the clipboard holds the link');
		await axeCheck(page, `the UTM link (${lang})`, { lang });
		await ctx.close();
	}
});

test('each refusal is shown next to its field, and the form keeps what was typed', T, async () => {
	for (const lang of LANGS) {
		const { ctx } = await staff(lang);
		const page = await open(ctx, `${BASE}/console/utm?lang=${lang}`);
		let res = await build(page, lang, { url: 'ftp://files.example.com/x', source: 'a', medium: 'b', campaign: 'c' });
		assert.equal(res.status(), 400);
		const urlErr = page.locator('#utm-url-error');
		assert.equal((await urlErr.innerText()).trim(), TEXT[lang].scheme, `the URL's refusal (${lang})`);
		assert.equal(await page.getAttribute('#utm-url', 'aria-invalid'), 'true');
		assert.match(await page.getAttribute('#utm-url', 'aria-describedby'), /\butm-url-error\b/);
		assert.equal(await page.locator('.field-error').count(), 1, 'only the field at fault is marked');
		assert.equal(await page.locator('#utm-source[aria-invalid]').count(), 0);
		assert.equal(await page.inputValue('#utm-url'), 'ftp://files.example.com/x', 'the URL typed is kept');
		assert.equal(await page.locator('#utm-link').count(), 0, 'no link');
		assert.ok(await page.locator('#utm-failed[role=alert]').isVisible());
		// the error sits beside its field: between the field's label and the field itself
		const order = await page.evaluate(() => {
			const els = [...document.querySelectorAll('label[for=utm-url], #utm-url-error, #utm-url')];
			return els.map((e) => e.id || e.tagName.toLowerCase());
		});
		assert.deepEqual(order, ['label', 'utm-url-error', 'utm-url']);
		await axeCheck(page, `the refusal of the URL (${lang})`, { lang });

		res = await build(page, lang, { url: 'https://www.example.com/', campaign: '   ' });
		assert.equal(res.status(), 400);
		assert.equal((await page.locator('#utm-campaign-error').innerText()).trim(), TEXT[lang].required);
		assert.equal(await page.getAttribute('#utm-campaign', 'aria-invalid'), 'true');
		assert.equal(await page.locator('#utm-url-error').count(), 0, 'the URL is no longer marked');
		assert.equal(await page.inputValue('#utm-source'), 'a', 'the other values are kept');
		await axeCheck(page, `the refusal of the campaign (${lang})`, { lang });

		// two fields wrong at once: both marked, each with its own reason
		res = await build(page, lang, { url: 'www.example.com', campaign: '' });
		assert.equal(res.status(), 400);
		assert.equal((await page.locator('#utm-url-error').innerText()).trim(), TEXT[lang].scheme);
		assert.equal((await page.locator('#utm-campaign-error').innerText()).trim(), TEXT[lang].required);
		assert.equal(await page.locator('.field-error').count(), 2);
		assert.equal(await page.locator('[aria-invalid=true]').count(), 2);
		await ctx.close();
	}
});

test('without a session the page sends to the sign-in', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const page = await ctx.newPage();
	await page.goto(`${BASE}/console/utm?url=https%3A%2F%2Fwww.example.com%2F&source=a&medium=b&campaign=c`);
	assert.equal(new URL(page.url()).pathname, '/console/sign-in');
	assert.equal(await page.locator('#utm-link').count(), 0);
	await ctx.close();
});
