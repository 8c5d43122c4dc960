// console-person.test.mjs: the console's "find a person" pages in a real browser (issue 15; the
// contract is docs/console.md, "Finding a person"). A marketer finds a person by address and
// records a consent given by phone, which the change feed and the person's consents (method
// phone, actor staff:NAME) then show; the marketer sees the summary but neither the sealed
// evidence nor the history; a viewer sees no action and a POST of one is 403 and changes
// nothing; a DPO sees the sealed evidence and the notice text shown, exports, and erases with
// the typed confirmation (a wrong one first: nothing erased), by keyboard alone, ending on the
// receipt, after which the gate says erased and the page is 404; the audit trail lists the
// actions. axe-core on every page state in sv and en. Run by tests/e2e/console-person.sh
// (CONSOLE_URL). Addresses are at example.com only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, watch, said, axeCheck, tabTo, api, key, need, noAddressInUrls, staffUser, signIn } from './lib.mjs';

const BASE = need('CONSOLE_URL');
const T = { timeout: 120_000 };
const LANGS = ['sv', 'en'];
const EMAIL = 'kim.phone@example.com';

let browser, writer, reader, person;
const passwords = {};
before(async () => {
	browser = await launch();
	writer = api(BASE, key('e2e-writer', 'write'));
	reader = api(BASE, key('e2e-reader', 'read'));
	for (const [name, role] of [['vera', 'viewer'], ['mia', 'marketer'], ['dana', 'dpo']])
		passwords[name] = staffUser(name, role);
	const c = writer.ok(await writer.post('/v1/contacts', { email: EMAIL, fields: { first_name: 'Kim' } }), 201, 'POST /v1/contacts');
	writer.ok(await writer.post('/v1/consents', { email: EMAIL, purpose: 'newsletter', action: 'give', lang: 'en', source: 'https://www.example.com/signup' }), 201, 'POST /v1/consents');
	person = { id: c.id };
});
after(async () => {
	await browser?.close();
});

// staff(NAME, LANG): a signed-in browser page of NAME in LANG.
async function staff(name, lang = 'en') {
	const ctx = await newContext(browser, { lang });
	const page = watch(await ctx.newPage());
	await signIn(page, BASE, name, passwords[name], { next: '/console/person' });
	return page;
}

// both(page, URL-path, WHAT): the page at path in sv and en, each checked by axe.
async function both(page, p, what, status = 200) {
	for (const lang of LANGS) {
		const sep = p.includes('?') ? '&' : '?';
		const res = await page.goto(`${BASE}${p}${sep}lang=${lang}`);
		assert.equal(res.status(), status, `${what} (${lang}): ${await said(page)}`);
		await axeCheck(page, `${what} (${lang})`, { lang });
	}
}

async function history() {
	return reader.ok(await reader.get(`/v1/contacts/${person.id}/consents`), 200, 'GET consents').history;
}

test('a marketer finds a person by address and records a consent given by phone', T, async () => {
	const page = await staff('mia');
	await both(page, '/console/person', 'the find form');
	// not found, in both languages
	for (const lang of LANGS) {
		await page.goto(`${BASE}/console/person?lang=${lang}`);
		await page.fill('input[name=email]', 'nobody@example.com');
		await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
		assert.equal(new URL(page.url()).pathname, '/console/person', `not found: the form again (${page.url()})`);
		assert.ok((await page.locator('[role=status]').count()) === 1, `not found says so: ${await said(page)}`);
		await axeCheck(page, `not found (${lang})`, { lang });
	}
	await page.goto(`${BASE}/console/person`);
	await page.fill('input[name=email]', '  KIM.Phone@EXAMPLE.com ');
	await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
	assert.equal(new URL(page.url()).pathname, `/console/person/${person.id}`, `found: the page by id (${await said(page)})`);
	assert.ok(!page.url().includes('@') && !/kim/i.test(page.url()), `no address in the URL: ${page.url()}`);
	const text = await page.innerText('main');
	assert.match(text, /Kim/);
	assert.match(text, /allowed: consent/, 'the gate answer of newsletter');
	assert.doesNotMatch(text, /Sealed evidence|History/, 'a marketer sees no sealed evidence and no history');
	assert.equal(await page.locator('a[href^="/console/receipt/"]').count(), 0, 'no receipts for a marketer');
	assert.equal(await page.locator('a[href$="/erase"]').count(), 0, 'no erase for a marketer');
	await both(page, `/console/person/${person.id}`, "the person's page (marketer)");

	const before = (await history()).length;
	const feed = reader.ok(await reader.get('/v1/changes?after=0&limit=1000'), 200, 'GET /v1/changes');
	await page.goto(`${BASE}/console/person/${person.id}?lang=en`);
	await page.selectOption('#r-purpose', 'offers');
	await page.check('input[name=action][value=give]');
	await page.check('form[action*="/record?"] input[name=method][value=phone]');
	await page.fill('#r-ref', 'CALL-2026-17');
	await page.fill('#r-note', 'asked for offers on the phone');
	await Promise.all([page.waitForNavigation(), page.click('form[action*="/record?"] button[type=submit]')]);
	assert.equal(new URL(page.url()).searchParams.get('done'), 'record');
	assert.match(await page.locator('[role=status]').innerText(), /recorded/);
	await both(page, `/console/person/${person.id}?done=record`, 'the page after recording');

	const after = await history();
	assert.equal(after.length, before + 1, 'one ledger event');
	const ev = after.find((e) => e.purpose === 'offers');
	assert.equal(ev.method, 'phone');
	assert.equal(ev.actor, 'staff:mia');
	const feed2 = reader.ok(await reader.get(`/v1/changes?after=${feed.next ?? 0}&limit=1000`), 200, 'GET /v1/changes');
	assert.ok(
		feed2.changes.some((c) => c.contact_id === person.id && c.purpose === 'offers' && c.status === 'given'),
		`the change feed has the consent: ${JSON.stringify(feed2.changes)}`,
	);
	noAddressInUrls();
});

test('a viewer sees no action, and a POST of one is refused and changes nothing', T, async () => {
	const page = await staff('vera');
	await both(page, `/console/person/${person.id}`, "the person's page (viewer)");
	assert.equal(await page.locator('form[action^="/console/person/"]').count(), 0, 'no action form');
	const csrf = await page.getAttribute('input[name=csrf]', 'value');
	const before = (await history()).length;
	const res = await page.request.post(`${BASE}/console/person/${person.id}/record`, {
		form: { csrf, purpose: 'offers', action: 'refuse', method: 'phone', reference: 'X' },
		headers: { origin: BASE },
	});
	assert.equal(res.status(), 403, 'a viewer may not record');
	assert.equal((await history()).length, before, 'nothing recorded');
});

test('a DPO sees the full evidence, exports, and erases with the typed confirmation', T, async () => {
	const page = await staff('dana');
	await page.goto(`${BASE}/console/person/${person.id}?lang=en`);
	const text = await page.innerText('main');
	assert.match(text, /Sealed evidence/);
	assert.match(text, /CALL-2026-17/, 'the reference, sealed, opened for the DPO');
	assert.match(text, /History, newest first/);
	assert.ok((await page.locator('blockquote.notice').count()) >= 2, 'the notice texts shown');
	assert.ok((await page.locator('a[href^="/console/receipt/"]').count()) >= 2, 'receipts');
	await both(page, `/console/person/${person.id}`, "the person's page (dpo)");

	// a receipt
	const rid = (await page.getAttribute('a[href^="/console/receipt/"]', 'href')).split('/').pop();
	const receipt = await page.request.get(`${BASE}/console/receipt/${rid}`);
	assert.equal(receipt.status(), 200);
	assert.equal((await receipt.json()).piiPrincipalId, person.id);

	// the export, as a page and as JSON
	await both(page, `/console/person/${person.id}/export`, 'the export page');
	const x = await page.request.get(`${BASE}/console/person/${person.id}/export.json`);
	assert.equal(x.status(), 200);
	assert.match(x.headers()['content-disposition'] || '', /attachment/);

	// erase: a wrong confirmation first, in both languages
	await both(page, `/console/person/${person.id}/erase`, 'the erasure page');
	for (const lang of LANGS) {
		await page.goto(`${BASE}/console/person/${person.id}/erase?lang=${lang}`);
		await page.fill('#confirm', 'someone.else@example.com');
		const [res] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
		assert.equal(res.status(), 422, 'a wrong confirmation');
		assert.equal(await page.locator('[role=alert]').count(), 1, 'says nothing was erased');
		await axeCheck(page, `wrong confirmation (${lang})`, { lang });
	}
	assert.equal((await reader.get(`/v1/contacts/${person.id}`)).status, 200, 'nothing erased');

	// by keyboard alone: Tab to the field, type the code shown, Enter
	await page.goto(`${BASE}/console/person/${person.id}/erase?lang=en`);
	const code = (await page.innerText('#confirm-how code')).trim();
	await tabTo(page, () => document.activeElement?.id === 'confirm', 'the confirmation field');
	await page.keyboard.type(code);
	await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
	assert.match(await page.innerText('main'), /erased/i);
	assert.match(await page.innerText('pre'), new RegExp(person.id));
	await axeCheck(page, 'the erasure receipt (en)', { lang: 'en' });

	// a second person erased in Swedish, by their address typed in another case
	const lee = writer.ok(await writer.post('/v1/contacts', { email: 'lee.paper@example.com' }), 201, 'POST /v1/contacts');
	await page.goto(`${BASE}/console/person/${lee.id}/erase?lang=sv`);
	await page.fill('#confirm', 'LEE.paper@example.com');
	await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
	assert.match(await page.innerText('pre'), new RegExp(lee.id));
	await axeCheck(page, 'the erasure receipt (sv)', { lang: 'sv' });

	const gate = reader.ok(await reader.get(`/v1/check?email=${encodeURIComponent(EMAIL)}&purpose=newsletter`), 200, 'gate');
	assert.equal(gate.reason, 'erased');
	await both(page, `/console/person/${person.id}`, 'the page of an erased person', 404);

	// the audit trail lists the actions
	const audit = await page.goto(`${BASE}/console/audit?lang=en`);
	assert.equal(audit.status(), 200);
	const trail = await page.innerText('main');
	for (const a of ['contact.view', 'consent.record', 'contact.export', 'contact.erase'])
		assert.ok(trail.includes(a), `the audit trail lists ${a}`);
	noAddressInUrls();
});
