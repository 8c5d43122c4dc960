// console-auth.test.mjs: the staff console's sign-in in a real browser (issue 15; the contract
// is docs/console.md, "Signing in and sessions"): a user of each role (viewer, marketer, dpo,
// admin) signs in through the sign-in page and the navigation offers exactly the sections the
// role may use; a viewer and a marketer get the console's 403 page for the audit trail, a dpo
// and an admin read it; a wrong password shows one refusal; signing out ends the session (the
// audit page then leads to the sign-in page again). axe-core on the sign-in page (as it comes,
// and refused), the audit page and the 403 page, in sv and en. In the browser too: a form whose
// CSRF token was changed is refused and does nothing, and a session past its idle time (on a
// second server of the same store whose clock is 31 minutes on) leads to the sign-in page.
// Run by tests/e2e/console-auth.sh (CONSOLE_URL, LATER_PORT). Each top-level test is one TAP case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { launch, newContext, open, said, watch, axeCheck, signIn, staffUser, need, noAddressInUrls } from './lib.mjs';

const BASE = need('CONSOLE_URL');
const T = { timeout: 120_000 };
const LANGS = ['sv', 'en'];
const ROLES = ['viewer', 'marketer', 'dpo', 'admin'];
// The console's sections (SK_CON_NAV_LIST) and the lowest role that sees each (SK_CAN_LIST).
const NAV = [
	['/console', 'viewer'],
	['/console/person', 'viewer'],
	['/console/purposes', 'viewer'],
	['/console/import', 'marketer'],
	['/console/audiences', 'viewer'],
	['/console/retention', 'dpo'],
	['/console/admin', 'admin'],
	['/console/audit', 'dpo'],
	['/console/utm', 'viewer'],
];
const TEXT = {
	sv: { forbidden: 'Inte tillåtet', audit: 'Granskningslogg', signIn: 'Logga in', signOut: 'Logga ut' },
	en: { forbidden: 'Not allowed', audit: 'Audit trail', signIn: 'Sign in', signOut: 'Sign out' },
};

let browser;
const users = {};
before(async () => {
	browser = await launch();
	for (const r of ROLES) users[r] = { name: `e2e-${r}`, password: staffUser(`e2e-${r}`, r) };
});
after(async () => {
	await browser?.close();
});

const navLinks = (page) => page.$$eval('nav.con a', (as) => as.map((a) => a.getAttribute('href')));

for (const lang of LANGS) {
	test(`the sign-in page, as it comes and after a wrong password (${lang}; axe)`, T, async () => {
		const ctx = await newContext(browser, { lang });
		const page = await open(ctx, `${BASE}/console/sign-in`);
		assert.equal(await page.getAttribute('html', 'lang'), lang);
		assert.equal((await page.innerText('h1')).trim(), TEXT[lang].signIn);
		assert.equal(await page.locator('nav.con').count(), 0, 'no navigation before signing in');
		await axeCheck(page, `the sign-in page (${lang})`, { lang });
		await page.fill('input[name=name]', users.dpo.name);
		await page.fill('input[name=password]', 'not the password at all');
		const [res] = await Promise.all([page.waitForNavigation(), page.click('form:has(input[name=password]) button[type=submit]')]);
		assert.equal(res.status(), 403, `a wrong password: the page says ${await said(page)}`);
		const alert = page.locator('[role=alert]');
		assert.equal(await alert.count(), 1, 'one refusal, as an alert');
		assert.equal(await page.inputValue('input[name=name]'), '', 'the name typed is not shown again');
		assert.equal((await ctx.cookies()).filter((c) => c.name === 'sk_session').length, 0, 'no session cookie');
		await axeCheck(page, `the sign-in page after a wrong password (${lang})`, { lang });
		await ctx.close();
	});
}

for (const role of ROLES) {
	test(`${role === "admin" ? "an" : "a"} ${role} signs in and sees only the sections the role may use`, T, async () => {
		const lang = role === 'viewer' || role === 'dpo' ? 'sv' : 'en';
		const ctx = await newContext(browser, { lang });
		const page = watch(await ctx.newPage());
		const res = await signIn(page, BASE, users[role].name, users[role].password, { next: '/console/audit' });
		const mayAudit = role === 'dpo' || role === 'admin';
		assert.equal(res.status(), mayAudit ? 200 : 403, `${role} at /console/audit: ${await said(page)}`);
		assert.equal(new URL(page.url()).pathname, '/console/audit', 'signing in went on to next');
		const cookie = (await ctx.cookies()).find((c) => c.name === 'sk_session');
		assert.ok(cookie, 'the session cookie is set');
		assert.equal(cookie.httpOnly, true, 'HttpOnly');
		assert.equal(cookie.sameSite, 'Strict', 'SameSite=Strict');
		assert.equal(cookie.path, '/console', 'Path=/console');
		const rank = ROLES.indexOf(role);
		const want = NAV.filter(([, lowest]) => ROLES.indexOf(lowest) <= rank).map(([href]) => href);
		assert.deepEqual(await navLinks(page), want, `the sections a ${role} sees`);
		assert.match(await page.innerText('header.con'), new RegExp(`${users[role].name} \\(${role}\\)`));
		if (mayAudit) {
			assert.equal((await page.innerText('h1')).trim(), TEXT[lang].audit);
			assert.ok((await page.locator('table.audit tbody tr').count()) >= 1, 'the trail has rows');
			assert.match(await page.innerText('table.audit'), /sign_in/, 'the sign-in is in the trail');
			assert.equal(await page.getAttribute('nav.con a[aria-current=page]', 'href'), '/console/audit');
		} else {
			assert.equal((await page.innerText('h1')).trim(), TEXT[lang].forbidden);
		}
		await ctx.close();
	});
}

for (const lang of LANGS) {
	test(`the audit page and the 403 page (${lang}; axe)`, T, async () => {
		const ctx = await newContext(browser, { lang });
		const page = watch(await ctx.newPage());
		let res = await signIn(page, BASE, users.admin.name, users.admin.password, { next: '/console/audit' });
		assert.equal(res.status(), 200);
		await axeCheck(page, `the audit page (${lang})`, { lang });
		const viewer = watch(await (await newContext(browser, { lang })).newPage());
		res = await signIn(viewer, BASE, users.viewer.name, users.viewer.password, { next: '/console/audit' });
		assert.equal(res.status(), 403, 'a viewer gets the 403 page for the audit trail');
		assert.equal((await viewer.innerText('h1')).trim(), TEXT[lang].forbidden);
		await axeCheck(viewer, `the 403 page (${lang})`, { lang });
		await viewer.context().close();
		await ctx.close();
	});
}

test('signing out ends the session: the audit page leads to the sign-in page again', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const page = watch(await ctx.newPage());
	await signIn(page, BASE, users.dpo.name, users.dpo.password, { next: '/console/audit' });
	const [res] = await Promise.all([page.waitForNavigation(), page.click(`header.con form[action="/console/sign-out"] button`)]);
	assert.equal(res.status(), 200, `after signing out: ${await said(page)}`);
	assert.equal(new URL(page.url()).pathname, '/console/sign-in', 'signing out lands on the sign-in page');
	assert.equal((await ctx.cookies()).filter((c) => c.name === 'sk_session').length, 0, 'the cookie is gone');
	const again = await page.goto(`${BASE}/console/audit`);
	assert.equal(again.status(), 200);
	const u = new URL(page.url());
	assert.equal(u.pathname, '/console/sign-in', 'the audit page without a session leads to the sign-in page');
	assert.equal(u.searchParams.get('next'), '/console/audit', 'with the way back');
	// signing in from there goes back to it
	await page.fill('input[name=name]', users.dpo.name);
	await page.fill('input[name=password]', users.dpo.password);
	await Promise.all([page.waitForNavigation(), page.click('form:has(input[name=password]) button[type=submit]')]);
	assert.equal(new URL(page.url()).pathname, '/console/audit');
	noAddressInUrls();
	await ctx.close();
});

test('a form whose CSRF token was changed is refused (403) and does nothing; the session goes on', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const page = watch(await ctx.newPage());
	await signIn(page, BASE, users.dpo.name, users.dpo.password, { next: '/console/audit' });
	await page.evaluate(() => {
		document.querySelector('header.con form[action="/console/sign-out"] input[name=csrf]').value = '0'.repeat(64);
	});
	const [res] = await Promise.all([page.waitForNavigation(), page.click('header.con form[action="/console/sign-out"] button')]);
	assert.equal(res.status(), 403, `a sign-out with a changed token: ${await said(page)}`);
	assert.equal((await page.innerText('h1')).trim(), TEXT.en.forbidden);
	await axeCheck(page, 'the CSRF refusal (en)', { lang: 'en' });
	assert.equal((await ctx.cookies()).filter((c) => c.name === 'sk_session').length, 1, 'the cookie is kept');
	const again = await page.goto(`${BASE}/console/audit`);
	assert.equal(again.status(), 200, 'the session was not ended by the refused post');
	assert.equal(new URL(page.url()).pathname, '/console/audit');
	await ctx.close();
});

test('a session past its idle time leads to the sign-in page (a server of the same store, its clock 31 minutes on)', T, async () => {
	const ctx = await newContext(browser, { lang: 'en' });
	const page = watch(await ctx.newPage());
	await signIn(page, BASE, users.dpo.name, users.dpo.password, { next: '/console/audit' });
	const port = need('LATER_PORT');
	const later = new Date(Date.now() + 31 * 60e3).toISOString().replace(/\.\d{3}Z$/, 'Z');
	const srv = spawn(need('SAMTYCKE'), ['--db', need('SK_DB'), 'serve', '--listen', `127.0.0.1:${port}`, '--rate-limit', '0'], {
		stdio: ['ignore', 'pipe', 'pipe'],
		env: { ...process.env, SAMTYCKE_NOW: later },
	});
	try {
		let out = '';
		srv.stdout.on('data', (b) => (out += b));
		srv.stderr.on('data', () => {});
		const end = Date.now() + 10_000;
		while (!out.includes(`listening on http://127.0.0.1:${port}`)) {
			assert.ok(Date.now() < end && srv.exitCode === null, `the later server did not start: ${out}`);
			await new Promise((r) => setTimeout(r, 50));
		}
		// the browser sends the same cookie: cookies are per host, not per port
		const res = await page.goto(`http://127.0.0.1:${port}/console/audit`);
		assert.equal(res.status(), 200);
		const u = new URL(page.url());
		assert.equal(u.pathname, '/console/sign-in', `an idle session is refused: ${await said(page)}`);
		assert.equal(u.searchParams.get('next'), '/console/audit', 'with the way back');
	} finally {
		srv.kill('SIGTERM');
		await new Promise((r) => (srv.exitCode !== null ? r() : srv.on('exit', r)));
	}
	await ctx.close();
});
