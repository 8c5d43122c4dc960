// prefs.test.mjs: the preference centre in a real browser (issue 14, items 5 and 6; the
// contract is docs/preference-centre.md): a link minted by `samtycke link` opens the person's
// page; withdrawing newsletter is one click and the gate, the change feed's webhook (its
// Standard Webhooks signature verified) and the page all say so; giving offers and a double
// opt-in purpose is one click each and allowed at once; "download my data" is this person's;
// "erase me" takes one confirmation, ends in the receipt, and the link then stops working and
// the address is suppressed. axe-core on every page state in sv and en, and the withdraw
// button reached and pressed with the keyboard alone. Run by tests/e2e/prefs.sh: PREFS_URL
// (real mail, private webhooks allowed); an expired link is minted with the command's clock
// set back. Each top-level test is one TAP case; the cases of one person run in
// order and share that person. Addresses are at example.com only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { noAddressInUrls, launch, newContext, open, said, watch, axeCheck, tabTo, api, key, cli, need, waitLink, receiver } from './lib.mjs';

const BASE = need('PREFS_URL');
const T = { timeout: 120_000 };
const LANGS = ['sv', 'en'];
const TEXT = {
	en: { withdraw: 'Withdraw consent', give: 'Give consent', invalid: 'Invalid link', expired: 'The link has expired' },
	sv: { withdraw: 'Återkalla samtycke', give: 'Ge samtycke' },
};

let browser, rx, admin, writer, reader, purposes;
before(async () => {
	browser = await launch();
	rx = await receiver();
	admin = api(BASE, key('e2e-admin', 'admin'));
	writer = api(BASE, key('e2e-writer', 'write'));
	reader = api(BASE, key('e2e-reader', 'read'));
	purposes = reader.ok(await reader.get('/v1/purposes'), 200, 'GET /v1/purposes').purposes;
});
after(async () => {
	await browser?.close();
	await rx?.close();
});

// person(EMAIL, FIRST): a contact with newsletter given through the API, and a link to their
// page minted by `samtycke link EMAIL --base PREFS_URL` ({email, id, link, token}).
// mintedAgo: the link is minted that many days ago (the command's clock set back), so that a
// one-day link is already expired on the server.
async function person(email, first, { days, mintedAgo } = {}) {
	const c = writer.ok(await writer.post('/v1/contacts', { email, fields: { first_name: first } }), 201, 'POST /v1/contacts');
	writer.ok(await writer.post('/v1/consents', { email, purpose: 'newsletter', action: 'give', lang: 'en' }), 201, 'POST /v1/consents newsletter give');
	const env = mintedAgo ? { SAMTYCKE_NOW: new Date(Date.now() - mintedAgo * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z') } : {};
	const link = cli(['link', email, '--base', BASE, ...(days ? ['--days', String(days)] : [])], { env }).trim();
	assert.match(link, new RegExp(`^${BASE.replace(/[.]/g, '\\.')}/p/[A-Za-z0-9._~-]{16,}$`), `samtycke link printed the URL of a page under --base: ${link}`);
	assert.ok(!link.includes(email) && !link.includes(encodeURIComponent(email)), `the link carries no address: ${link}`);
	return { email, id: c.id, link, token: link.slice(link.lastIndexOf('/') + 1) };
}

async function gate(email, purpose) {
	return reader.ok(await reader.get(`/v1/check?email=${encodeURIComponent(email)}&purpose=${purpose}`), 200, `GET /v1/check ${purpose}`);
}

// The one consent form of PURPOSE on the person's page, and its button.
const section = (id) => `section#purpose-${id}.purpose`;
const buttonOf = (id) => `${section(id)} form[method=post][action$="/consent"] button[name=action]`;

// click(page, SELECTOR, WHAT): one click that navigates; the answer's status.
async function click(page, selector, what) {
	const n = await page.locator(selector).count();
	assert.equal(n, 1, `${what}: exactly one ${selector} on ${page.url()}, found ${n}`);
	const [res] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
	return res;
}

// change(page, PURPOSE, ACTION, lang): presses PURPOSE's button, which must say ACTION; the
// answer is the page again (after the contract's 303) with a role="status" message.
async function change(page, id, action, lang) {
	const btn = page.locator(buttonOf(id));
	assert.equal(await btn.count(), 1, `one button in ${section(id)}, found ${await btn.count()}`);
	assert.equal(await btn.getAttribute('value'), action, `${section(id)}'s button has value ${action}`);
	assert.equal((await btn.innerText()).trim(), TEXT[lang][action], `${section(id)}'s button says what it does (${lang})`);
	const res = await click(page, buttonOf(id), `${action} ${id}`);
	assert.equal(res.status(), 200, `after ${action} ${id}: the page says ${await said(page)}`);
	assert.match(page.url(), new RegExp(`/p/[^/?]+\\?(.*&)?saved=${id}\\b`), `${action} ${id} answered 303 to /p/{token}?saved=${id}`);
	const status = page.locator('[role=status]');
	assert.ok((await status.count()) >= 1, `the page after ${action} ${id} has a role="status" message`);
	const other = action === 'give' ? 'withdraw' : 'give';
	assert.equal(await page.locator(buttonOf(id)).getAttribute('value'), other, `after ${action}, ${section(id)}'s one button offers ${other}`);
}

const anna = { email: 'e2e-anna@example.com' };
// The cases after the first go on with Anna's page: without it they say so, not a TypeError.
function annaPage() {
	assert.ok(anna.page, 'the first case did not open Anna\'s page (its failure above says why); this case needs it');
	return anna.page;
}
let webhookSecret;

test('the link from `samtycke link` opens the person\'s page: their data, each purpose with its evidence and one button, three links, no-store; axe passes (en)', T, async () => {
	const w = admin.ok(await admin.post('/v1/webhooks', { url: rx.url, events: ['all'], name: 'e2e-crm' }), 201, 'POST /v1/webhooks');
	webhookSecret = w.secret;
	rx.setSecret(webhookSecret);
	Object.assign(anna, await person(anna.email, 'Anna'));
	const ctx = await newContext(browser, { lang: 'en' });
	const page = watch(await ctx.newPage());
	const res = await page.goto(anna.link);
	assert.equal(res.status(), 200, `GET ${anna.link}: the page says ${await said(page)}`);
	assert.equal((await res.allHeaders())['cache-control'], 'no-store', 'the person\'s page says Cache-Control: no-store');
	const data = await page.locator('section#data').innerText();
	assert.ok(data.includes(anna.email) && data.includes('Anna'), `section#data shows the address and first name: ${data}`);
	assert.ok((await page.locator('section#data dl').count()) === 1, 'section#data holds a <dl>');
	for (const p of purposes) {
		const s = page.locator(section(p.id));
		assert.equal(await s.count(), 1, `one ${section(p.id)} for the policy's purpose ${p.id}`);
		assert.equal((await s.locator('h2').innerText()).trim(), p.title.en, `${section(p.id)}'s <h2> is the purpose's title`);
		assert.ok((await s.innerText()).includes(p.description.en), `${section(p.id)} says what the purpose is for`);
		if (p.legal_basis === 'consent') {
			assert.equal(await s.locator('form button').count(), 1, `${section(p.id)}: one button, withdrawing as easy as giving`);
		}
	}
	const nl = page.locator(section('newsletter'));
	assert.equal(await nl.locator('details').count() >= 1, true, 'newsletter\'s evidence shows the notice text in a <details>');
	const notice = purposes.find((p) => p.id === 'newsletter').notice.text.en;
	const shown = (await nl.locator('details').first().textContent()).replace(/\s+/g, ' ');
	assert.ok(shown.includes(notice.replace(/\s+/g, ' ').slice(0, 60)), `newsletter's <details> holds the notice text that was shown ("${notice.slice(0, 60)}..."), got: ${shown.slice(0, 300)}`);
	assert.equal(await page.locator(buttonOf('newsletter')).getAttribute('value'), 'withdraw', 'newsletter (given) offers withdraw');
	assert.equal(await page.locator(buttonOf('offers')).getAttribute('value'), 'give', 'offers (nothing recorded) offers give');
	for (const [href, what] of [['/export.json', 'Download my data (JSON)'], ['/export', 'See my data as a page'], ['/erase', 'Erase me']]) {
		const a = page.locator(`a[href^="/p/${anna.token}${href}"]`).filter({ hasText: what });
		assert.equal(await a.count(), 1, `a link "${what}" to /p/{token}${href}`);
	}
	assert.equal(await page.locator('nav.lang a[href*="lang=sv"]').count(), 1, 'nav.lang links to ?lang=sv');
	await axeCheck(page, 'the person\'s page (en)', { lang: 'en' });
	anna.ctx = ctx;
	anna.page = page;
});

test('withdrawing newsletter is one click on its button; the page says what was saved; the gate then denies it (withdrawn); axe passes', T, async () => {
	await change(annaPage(), 'newsletter', 'withdraw', 'en');
	await axeCheck(annaPage(), 'the person\'s page after a change, with its status message (en)', { lang: 'en' });
	const g = await gate(anna.email, 'newsletter');
	assert.deepEqual([g.allowed, g.reason], [false, 'withdrawn'], `GET /v1/check after the withdrawal: ${JSON.stringify(g)}`);
});

test('the withdrawal went out at once as a webhook whose Standard Webhooks signature verifies: this contact, newsletter, withdrawn', T, async () => {
	annaPage();
	const m = await rx.waitFor((j) => j.type === 'consent.withdrawn' && j.contact_id === anna.id && j.purpose === 'newsletter', `consent.withdrawn newsletter for ${anna.id}`);
	assert.equal(m.json.status, 'withdrawn');
	const forged = rx.messages.filter((x) => !x.verified);
	assert.deepEqual(forged.map((x) => x.error), [], 'every delivery verified');
});

test('giving offers on the page is one click and the gate allows it at once', T, async () => {
	await change(annaPage(), 'offers', 'give', 'en');
	const g = await gate(anna.email, 'offers');
	assert.equal(g.allowed, true, `GET /v1/check offers after giving it on the page: ${JSON.stringify(g)}`);
});

test('a double opt-in purpose (event_invitations) given on the page is allowed at once: the link went to the person\'s own address', T, async () => {
	assert.equal(purposes.find((p) => p.id === 'event_invitations')?.double_opt_in, true, 'the tests\' policy makes event_invitations double opt-in');
	await change(annaPage(), 'event_invitations', 'give', 'en');
	const g = await gate(anna.email, 'event_invitations');
	assert.equal(g.allowed, true, `GET /v1/check event_invitations after giving it on the page (not pending_confirmation): ${JSON.stringify(g)}`);
});

test('"Download my data (JSON)" downloads my-data.json, which is this person\'s: contact id, address, the consents as changed', T, async () => {
	const a = annaPage().locator(`a[href^="/p/${anna.token}/export.json"]`);
	const [dl] = await Promise.all([annaPage().waitForEvent('download'), a.click()]);
	assert.equal(dl.suggestedFilename(), 'my-data.json', 'Content-Disposition names my-data.json');
	const x = JSON.parse(readFileSync(await dl.path(), 'utf8'));
	assert.equal(x.contact?.id, anna.id, 'the export\'s contact id');
	assert.equal(x.contact?.fields?.email, anna.email, 'the export\'s address');
	const st = Object.fromEntries((x.consents || []).map((c) => [c.purpose, c.status]));
	assert.equal(st.newsletter, 'withdrawn', `newsletter in the export: ${JSON.stringify(st)}`);
	assert.equal(st.offers, 'given', `offers in the export: ${JSON.stringify(st)}`);
	assert.equal(st.event_invitations, 'given', `event_invitations in the export: ${JSON.stringify(st)}`);
});

test('"See my data as a page" shows the readable export, which passes axe (en)', T, async () => {
	const res = await click(annaPage(), `a[href^="/p/${anna.token}/export"]:not([href*="export.json"])`, 'the readable export link');
	assert.equal(res.status(), 200, `the readable export: the page says ${await said(annaPage())}`);
	assert.ok((await annaPage().innerText('body')).includes(anna.email), 'the readable export shows the address');
	await axeCheck(annaPage(), 'the readable export (en)', { lang: 'en' });
	await annaPage().goBack();
});

test('"Erase me" asks one confirmation, then shows the erasure receipt (both pass axe); the link then answers 400 "Invalid link" and the address is suppressed', T, async () => {
	const page = annaPage();
	await page.goto(anna.link);
	let res = await click(page, `a[href^="/p/${anna.token}/erase"]`, 'the "Erase me" link');
	assert.equal(res.status(), 200);
	await axeCheck(page, 'the erase confirmation (en)', { lang: 'en' });
	const asked = await page.innerText('h1');
	const g = await gate(anna.email, 'offers');
	assert.equal(g.allowed, true, `opening the erase page erased nothing (one confirmation is asked): ${JSON.stringify(g)}`);
	res = await click(page, `form[method=post][action^="/p/${anna.token}/erase"] button`, 'the erase button');
	assert.equal(res.status(), 200, `the erasure's answer: the page says ${await said(page)}`);
	assert.notEqual(await page.innerText('h1'), asked, 'the answer to the erase button is the receipt, not the question again');
	assert.equal(await page.locator('form[action$="/erase"]').count(), 0, 'the receipt offers no erase button');
	await axeCheck(page, 'the erasure receipt (en)', { lang: 'en' });
	const after = await open(anna.ctx, anna.link, 400);
	assert.match(await after.innerText('h1'), /Invalid link/, 'the erased person\'s link says "Invalid link"');
	assert.equal(await after.locator('a[href^="/p"]').count() >= 1, true, 'the invalid link page links to /p');
	const s = reader.ok(await reader.get(`/v1/suppressions/check?email=${encodeURIComponent(anna.email)}`), 200, 'suppressions/check');
	assert.equal(s.suppressed, true, 'the erased address is suppressed');
	await rx.waitFor((j) => j.type === 'contact.erased' && j.contact_id === anna.id, `contact.erased for ${anna.id}`);
	await anna.ctx.close();
});

test('keyboard alone: Tab reaches newsletter\'s withdraw button (every stop visibly outlined) and Enter withdraws it', T, async () => {
	const bo = await person('e2e-bo@example.com', 'Bo');
	const ctx = await newContext(browser, { lang: 'en' });
	const page = await open(ctx, bo.link);
	await tabTo(page, () => {
		const el = document.activeElement;
		return el?.tagName === 'BUTTON' && el.name === 'action' && !!el.closest('section#purpose-newsletter');
	}, 'newsletter\'s withdraw button');
	assert.equal(await page.evaluate(() => document.activeElement.value), 'withdraw');
	const [res] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
	assert.equal(res.status(), 200, 'Enter on the focused button posts it');
	assert.ok((await page.locator('[role=status]').count()) >= 1, 'the page says what was saved');
	const g = await gate(bo.email, 'newsletter');
	assert.deepEqual([g.allowed, g.reason], [false, 'withdrawn'], `the keyboard's withdrawal: ${JSON.stringify(g)}`);
	await ctx.close();
});

test('in Swedish (Accept-Language sv, and the visible switch): the person\'s page before and after a change, the readable export, the erase confirmation and the receipt pass axe', T, async () => {
	const cay = await person('e2e-cay@example.com', 'Cay');
	const ctx = await newContext(browser, { lang: 'sv' });
	const page = await open(ctx, cay.link);
	await axeCheck(page, 'the person\'s page (sv, by Accept-Language)', { lang: 'sv' });
	assert.equal((await page.locator(buttonOf('newsletter')).innerText()).trim(), TEXT.sv.withdraw);
	// the switch: to English and back, the choice kept in the page's forms
	let res = await click(page, 'nav.lang a[href*="lang=en"]', 'the switch to English');
	assert.equal(await page.getAttribute('html', 'lang'), 'en', 'the switch shows the page in English');
	res = await click(page, 'nav.lang a[href*="lang=sv"]', 'the switch to Swedish');
	assert.equal(res.status(), 200);
	assert.equal(await page.getAttribute('html', 'lang'), 'sv');
	assert.equal(await page.locator(`${section('newsletter')} form input[type=hidden][name=lang]`).getAttribute('value'), 'sv', 'the consent form keeps the language');
	await change(page, 'newsletter', 'withdraw', 'sv');
	await axeCheck(page, 'the person\'s page after a change (sv)', { lang: 'sv' });
	res = await click(page, `a[href^="/p/${cay.token}/export"]:not([href*="export.json"])`, 'the readable export link (sv)');
	assert.equal(res.status(), 200);
	await axeCheck(page, 'the readable export (sv)', { lang: 'sv' });
	await page.goto(cay.link);
	res = await click(page, `a[href^="/p/${cay.token}/erase"]`, 'the erase link (sv)');
	await axeCheck(page, 'the erase confirmation (sv)', { lang: 'sv' });
	res = await click(page, `form[method=post][action^="/p/${cay.token}/erase"] button`, 'the erase button (sv)');
	assert.equal(res.status(), 200);
	await axeCheck(page, 'the erasure receipt (sv)', { lang: 'sv' });
	await ctx.close();
});

test('/p and its "link on its way" page pass axe in sv and en, the same page for a known and an unknown address; the mailed link opens the page', T, async () => {
	const dag = await person('e2e-dag@example.com', 'Dag');
	for (const lang of LANGS) {
		const ctx = await newContext(browser, { lang });
		const texts = [];
		for (const email of [dag.email, `e2e-nobody-${lang}@example.com`]) {
			const page = await open(ctx, `${BASE}/p`);
			await axeCheck(page, `/p (${lang})`, { lang });
			await page.fill('form[action="/p"] input[name=email]', email);
			const res = await click(page, 'form[action="/p"] button[type=submit]', `/p's send button (${lang})`);
			assert.equal(res.status(), 200, `POST /p (${lang}): the page says ${await said(page)}`);
			await axeCheck(page, `the "link on its way" page (${lang})`, { lang });
			texts.push(await page.innerText('body'));
		}
		assert.equal(texts[0], texts[1], `POST /p answers the same page for a known and an unknown address (${lang})`);
		const link = await waitLink(dag.email, /https?:\/\/\S+\/p\/[A-Za-z0-9._~-]{16,}/);
		const page = await open(ctx, link, 200);
		assert.ok((await page.innerText('section#data')).includes(dag.email), `the mailed link opens Dag's page (${lang})`);
		await ctx.close();
	}
});

test('an invalid link (400 "Invalid link", a link to /p) and an expired one (410, a button for a fresh link) pass axe in sv and en', T, async () => {
	const eva = await person('e2e-eva@example.com', 'Eva', { days: 1, mintedAgo: 2 });
	for (const lang of LANGS) {
		const ctx = await newContext(browser, { lang });
		const t = eva.token;
		for (const bad of [`${t.slice(0, -4)}${t.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`, 'not-a-token']) {
			const page = await open(ctx, `${BASE}/p/${bad}`, 400);
			if (lang === 'en') assert.match(await page.innerText('h1'), /Invalid link/);
			assert.ok((await page.locator('a[href^="/p"]').count()) >= 1, 'the invalid link page links to /p');
			await axeCheck(page, `the invalid link page (${lang})`, { lang });
		}
		const page = await open(ctx, `${BASE}/p/${t}`, 410);
		if (lang === 'en') assert.match(await page.innerText('h1'), /The link has expired/);
		assert.equal(await page.locator(`form[method=post][action^="/p/${t}/renew"] button`).count(), 1, 'the expired page has a button for a fresh link');
		await axeCheck(page, `the expired link page (${lang})`, { lang });
		await ctx.close();
	}
});

test('no URL the browser requested in the preference centre held an e-mail address', T, async () => {
	noAddressInUrls();
});
