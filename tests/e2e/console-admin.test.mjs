// console-admin.test.mjs: the console's audiences, retention, and webhooks and keys pages in a
// real browser (issue 15; the contract is docs/console.md). A marketer sees the newsletter's
// audience counts for the data this test made and downloads the allowed list (exactly the
// allowed addresses); a viewer sees the counts but no export link, and the export answers
// 403; an admin adds a webhook to a loopback receiver, sees a delivery, rotates its secret
// (the next delivery verifies with the new one only), disables it, creates an API key (shown
// once) and revokes it (the key then answers 401), adds a console user (password shown once)
// and disables them; a dpo cannot open the admin page (403)
// and, on a second server with its clock moved 800 days on, runs the purge's dry run and the
// purge and sees the counts the command line sees; the audit trail holds each of those
// actions. axe-core on every page state, in sv and en. Run by tests/e2e/console-admin.sh:
// CONSOLE_URL, MOVED_PORT. Addresses at example.com.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { noAddressInUrls, launch, newContext, said, watch, axeCheck, api, cli, need, receiver, signIn } from './lib.mjs';

const BASE = need('CONSOLE_URL');
const TMP = need('SK_TMP');
const T = { timeout: 120_000 };
const LANGS = ['sv', 'en'];
const PASSWORD = 'a long enough test password';
const USERS = { mia: 'marketer', vic: 'viewer', dana: 'dpo', ada: 'admin' };
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

// The newsletter's audience this test makes: two allowed, one of each exclusion.
const ALLOWED = ['aud-allowed1@example.com', 'aud-allowed2@example.com'];
const EXCLUDED = {
	withdrawn: 'aud-withdrawn@example.com',
	refused: 'aud-refused@example.com',
	suppressed: 'aud-suppressed@example.com',
	unverified: 'aud-unverified@example.com',
};

let browser, rx;
before(async () => {
	browser = await launch();
	rx = await receiver();
	const pw = path.join(TMP, 'staff-password');
	writeFileSync(pw, PASSWORD + '\n', { mode: 0o600 });
	for (const [name, role] of Object.entries(USERS)) cli(['user', 'add', name, '--role', role, '--password-file', pw]);
	const give = (email) => cli(['consent', 'give', email, 'newsletter', '--method', 'form', '--source', 'form:newsletter']);
	for (const e of ALLOWED) give(e);
	give(EXCLUDED.withdrawn);
	cli(['consent', 'withdraw', EXCLUDED.withdrawn, 'newsletter', '--method', 'form', '--source', 'form:newsletter']);
	cli(['consent', 'refuse', EXCLUDED.refused, 'newsletter', '--method', 'form', '--source', 'form:newsletter']);
	give(EXCLUDED.suppressed);
	cli(['suppress', EXCLUDED.suppressed, '--reason', 'bounced']);
	// claimed in an import without a date: no evidence
	cli(['consent', 'give', EXCLUDED.unverified, 'newsletter', '--method', 'import', '--source', 'crm.csv']);
});
after(async () => {
	await browser?.close();
	await rx?.close();
});

// as(NAME, LANG, BASE): a browser context signed in as NAME, and its first page.
async function as(name, lang = 'en', base = BASE) {
	const ctx = await newContext(browser, { lang });
	const page = watch(await ctx.newPage());
	await signIn(page, base, name, PASSWORD);
	return { ctx, page };
}

const cell = async (page, reason) => (await page.textContent(`tr[data-reason="${reason}"] td.num`))?.trim();

test('a marketer sees the newsletter audience: 2 may be contacted, 1 excluded for each reason the test made (sv and en)', T, async () => {
	for (const lang of LANGS) {
		const { ctx, page } = await as('mia', lang);
		const res = await page.goto(`${BASE}/console/audiences`);
		assert.equal(res.status(), 200, await said(page));
		await axeCheck(page, `audiences, nothing chosen (${lang})`, { lang });
		await page.selectOption('select#purpose', 'newsletter');
		await Promise.all([page.waitForURL(/\/console\/audiences\?purpose=newsletter/), page.click('form[action="/console/audiences"] button[type=submit]')]);
		assert.equal((await page.textContent('#allowed')).trim(), '2', `allowed count: ${await said(page)}`);
		for (const reason of Object.keys(EXCLUDED)) assert.equal(await cell(page, reason), '1', `${reason}: ${await said(page)}`);
		assert.equal(await page.locator('tr[data-reason="no_consent"]').count(), 0, 'nobody else is in the store');
		assert.equal(await page.locator('a#export').count(), 1, 'a marketer gets the export link');
		await axeCheck(page, `audiences, newsletter (${lang})`, { lang });
		await ctx.close();
	}
});

test('a marketer downloads the allowed list: a CSV of exactly the allowed addresses', T, async () => {
	const { ctx, page } = await as('mia');
	await page.goto(`${BASE}/console/audiences?purpose=newsletter`);
	const [dl] = await Promise.all([page.waitForEvent('download'), page.click('a#export')]);
	assert.equal(dl.suggestedFilename(), 'allowed.csv');
	const text = readFileSync(await dl.path(), 'utf8');
	const rows = text.trim().split('\r\n');
	const head = rows[0].split(',');
	assert.deepEqual(head.slice(0, 5), ['id', 'email', 'email_canonical', 'allowed', 'reason'], `header: ${rows[0]}`);
	const emails = rows.slice(1).map((r) => r.split(',')[1]).sort();
	assert.deepEqual(emails, [...ALLOWED].sort(), `the allowed list: ${text}`);
	for (const r of rows.slice(1)) assert.equal(r.split(',')[3], 'true', `every row allowed: ${r}`);
	await ctx.close();
});

test('a viewer sees the counts but no export link, and the export answers 403 (sv and en)', T, async () => {
	for (const lang of LANGS) {
		const { ctx, page } = await as('vic', lang);
		const res = await page.goto(`${BASE}/console/audiences?purpose=newsletter`);
		assert.equal(res.status(), 200, await said(page));
		assert.equal((await page.textContent('#allowed')).trim(), '2');
		assert.equal(await page.locator('a#export').count(), 0, 'no export link for a viewer');
		assert.equal(await page.locator('a[href$="allowed.csv"]').count(), 0);
		await axeCheck(page, `audiences as a viewer (${lang})`, { lang });
		const denied = await page.goto(`${BASE}/console/audiences/newsletter/allowed.csv`);
		assert.equal(denied.status(), 403, 'GET of the export as a viewer');
		assert.doesNotMatch(await page.content(), /example\.com/, 'the refusal holds no address');
		await axeCheck(page, `export refused to a viewer (${lang})`, { lang });
		await ctx.close();
	}
});

test('an unknown purpose is a 404 page, and its export too', T, async () => {
	const { ctx, page } = await as('mia');
	assert.equal((await page.goto(`${BASE}/console/audiences?purpose=no_such_purpose`)).status(), 404);
	assert.equal(await page.locator('#allowed').count(), 0);
	assert.equal((await page.goto(`${BASE}/console/audiences/no_such_purpose/allowed.csv`)).status(), 404);
	await ctx.close();
});

test('a dpo cannot open the webhooks and keys page (403)', T, async () => {
	const { ctx, page } = await as('dana');
	const res = await page.goto(`${BASE}/console/admin`);
	assert.equal(res.status(), 403, await said(page));
	assert.equal(await page.locator('form.add-webhook').count(), 0);
	assert.equal(await page.locator('nav a[href="/console/admin"]').count(), 0, 'no link to it either');
	await ctx.close();
});

// The webhook row of the endpoint named NAME.
const row = (name) => `tr[data-webhook]:has(th:text-is("${name}"))`;

test('an admin adds a webhook (secret shown once), sees a delivery, rotates its secret, and disables it (sv and en)', T, async () => {
	const { ctx, page } = await as('ada');
	let res = await page.goto(`${BASE}/console/admin`);
	assert.equal(res.status(), 200, await said(page));
	await axeCheck(page, 'webhooks and keys, empty (en)', { lang: 'en' });
	await page.fill('#wh-name', 'crm');
	await page.fill('#wh-url', rx.url);
	await page.fill('#wh-events', 'all');
	await Promise.all([page.waitForLoadState('load'), page.click('form.add-webhook button[type=submit]')]);
	const secret = (await page.textContent('#once'))?.trim();
	assert.match(secret || '', /^whsec_[A-Za-z0-9+/=]+$/, `the secret shown once: ${await said(page)}`);
	await axeCheck(page, 'webhook added, secret shown (en)', { lang: 'en' });
	rx.setSecret(secret);

	// a change after the endpoint was added reaches the receiver, signed with that secret
	cli(['consent', 'give', 'hook1@example.com', 'offers', '--method', 'form', '--source', 'form:offers']);
	await rx.waitFor((m) => m.type === 'consent.given' || /consent/.test(m.type || ''), 'after adding the endpoint');
	// the page shows the delivery: nothing waiting, the last answer 204
	let delivered = false;
	for (let i = 0; i < 50 && !delivered; i++) {
		await page.goto(`${BASE}/console/admin`);
		delivered = (await page.textContent(`${row('crm')} td.status`))?.trim() === '204' && (await page.textContent(`${row('crm')} td.lag`))?.trim() === '0';
		if (!delivered) await sleep(200);
	}
	assert.ok(delivered, `the delivery is on the page: ${await said(page)}`);
	assert.doesNotMatch(await page.content(), new RegExp(secret.replace(/[+/=]/g, '.')), 'the secret is not shown again');

	// rotate: a new secret, shown once; the next delivery verifies with it only
	await Promise.all([page.waitForLoadState('load'), page.click(`${row('crm')} form:has(input[value="webhook-rotate"]) button`)]);
	const second = (await page.textContent('#once'))?.trim();
	assert.match(second || '', /^whsec_/, await said(page));
	assert.notEqual(second, secret);
	await axeCheck(page, 'secret rotated (en)', { lang: 'en' });
	const before = rx.messages.length;
	rx.setSecret(second);
	cli(['consent', 'give', 'hook2@example.com', 'offers', '--method', 'form', '--source', 'form:offers']);
	await rx.waitFor(() => rx.messages.length > before, 'signed with the rotated secret');
	assert.ok(rx.messages.slice(before).every((m) => m.verified), `every delivery after the rotation verifies with the new secret: ${rx.messages.slice(before).map((m) => m.error).join(' | ')}`);

	// disable: the state says so, the button goes, and no more deliveries
	await Promise.all([page.waitForLoadState('load'), page.click(`${row('crm')} form:has(input[value="webhook-disable"]) button`)]);
	assert.equal(await page.locator(`${row('crm')} form:has(input[value="webhook-disable"])`).count(), 0);
	await axeCheck(page, 'webhook disabled (en)', { lang: 'en' });
	const after = rx.messages.length;
	cli(['consent', 'give', 'hook3@example.com', 'offers', '--method', 'form', '--source', 'form:offers']);
	await sleep(2500);
	assert.equal(rx.messages.length, after, 'a disabled endpoint gets nothing');
	await ctx.close();

	// the same page in Swedish
	const sv = await as('ada', 'sv');
	res = await sv.page.goto(`${BASE}/console/admin`);
	assert.equal(res.status(), 200);
	assert.match(await sv.page.textContent(`${row('crm')} td.state`), /Avstängd/);
	await axeCheck(sv.page, 'webhooks and keys (sv)', { lang: 'sv' });
	await sv.ctx.close();
});

test('an admin creates an API key (shown once) that works, revokes it, and it answers 401', T, async () => {
	const { ctx, page } = await as('ada', 'sv');
	await page.goto(`${BASE}/console/admin`);
	await page.fill('#key-name', 'console-made');
	await Promise.all([page.waitForLoadState('load'), page.click('form.create-key button[type=submit]')]);
	const k = (await page.textContent('#once'))?.trim();
	assert.match(k || '', /^k_/, `the key shown once: ${await said(page)}`);
	await axeCheck(page, 'key created (sv)', { lang: 'sv' });
	const client = api(BASE, k);
	client.ok(await client.get('/v1/purposes'), 200, 'the new key reads');
	await page.goto(`${BASE}/console/admin`);
	assert.doesNotMatch(await page.content(), new RegExp(k.replace(/\./g, '\\.')), 'the key is not shown again');
	await Promise.all([page.waitForLoadState('load'), page.click('tr[data-key="console-made"] form button')]);
	assert.equal(await page.locator('tr[data-key="console-made"] form').count(), 0, 'revoked: no button');
	await axeCheck(page, 'key revoked (sv)', { lang: 'sv' });
	assert.equal((await client.get('/v1/purposes')).status, 401, 'a revoked key answers 401');
	// a webhook to a link-local address is refused and nothing is added
	await page.fill('#wh-name', 'metadata');
	await page.fill('#wh-url', 'http://169.254.169.254/latest');
	const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('form.add-webhook button[type=submit]')]);
	assert.equal(res.status(), 422);
	await page.waitForLoadState('load');
	assert.equal(await page.locator('.error').count(), 1, await said(page));
	assert.equal(await page.locator(row('metadata')).count(), 0);
	await axeCheck(page, 'webhook refused (sv)', { lang: 'sv' });
	await ctx.close();
});

test('an admin adds a console user (password shown once) who can sign in, then disables them (en)', T, async () => {
	const { ctx, page } = await as('ada');
	await page.goto(`${BASE}/console/admin`);
	await page.fill('#user-name', 'newbie');
	await page.selectOption('#user-role', 'viewer');
	await Promise.all([page.waitForLoadState('load'), page.click('form.add-user button[type=submit]')]);
	const pw = (await page.textContent('#once'))?.trim();
	assert.ok(pw && pw.length >= 12, `the password shown once: ${await said(page)}`);
	assert.match(await page.textContent('tr[data-user="newbie"]'), /viewer/);
	await axeCheck(page, 'user added (en)', { lang: 'en' });
	// the new user signs in with it, as a viewer
	const nctx = await newContext(browser, { lang: 'en' });
	const np = watch(await nctx.newPage());
	await signIn(np, BASE, 'newbie', pw);
	assert.equal((await np.goto(`${BASE}/console/audiences`)).status(), 200);
	assert.equal((await np.goto(`${BASE}/console/admin`)).status(), 403, 'a viewer may not open the admin page');
	// disabled: the user's session ends at its next request
	await page.goto(`${BASE}/console/admin`);
	await Promise.all([page.waitForLoadState('load'), page.click('tr[data-user="newbie"] form:has(input[value="user-disable"]) button')]);
	assert.equal(await page.locator('tr[data-user="newbie"] form:has(input[value="user-disable"])').count(), 0, await said(page));
	assert.equal(await page.locator('tr[data-user="ada"] form:has(input[value="user-disable"])').count(), 0, 'an admin is not offered to disable themself');
	await np.goto(`${BASE}/console/audiences`);
	assert.match(new URL(np.url()).pathname, /^\/console\/sign-in/, 'the disabled user is sent to sign in');
	await nctx.close();
	await ctx.close();
});

// A server on the same store with its clock at NOW (SAMTYCKE_NOW), started after the first
// one's webhooks are done (it would otherwise deliver with a timestamp 800 days ahead).
async function movedServer(now) {
	const port = need('MOVED_PORT');
	const url = `http://127.0.0.1:${port}`;
	const outFile = path.join(TMP, 'moved.out');
	const out = openSync(outFile, 'w');
	const log = openSync(path.join(TMP, 'moved.log'), 'w');
	const proc = spawn(need('SAMTYCKE'), ['--db', need('SK_DB'), 'serve', '--listen', `127.0.0.1:${port}`, '--public-url', url, '--rate-limit', '0', '--form-rate-limit', '100000'], {
		stdio: ['ignore', out, log],
		env: { ...process.env, SAMTYCKE_NOW: iso(now) },
	});
	closeSync(out);
	closeSync(log);
	const end = Date.now() + 10_000;
	while (!readFileSync(outFile, 'utf8').split('\n').includes(`listening on ${url}`)) {
		if (proc.exitCode !== null || Date.now() > end) {
			proc.kill('SIGKILL');
			assert.fail(`the moved server printed 'listening on ${url}' within 10 s`);
		}
		await sleep(50);
	}
	const exited = new Promise((r) => proc.on('exit', r));
	return { url, stop: async () => (proc.kill('SIGTERM'), await exited) };
}

test('a dpo runs the purge dry run and the purge with the clock moved 800 days on, and sees the counts the command line sees (sv and en)', T, async () => {
	const now = Date.now() + 800 * 86400e3;
	const cliDry = () => {
		const r = spawnSync(need('SAMTYCKE'), ['--db', need('SK_DB'), '--json', 'purge', '--dry-run'], { encoding: 'utf8', env: { ...process.env, SAMTYCKE_NOW: iso(now) } });
		assert.equal(r.status, 0, r.stderr);
		return JSON.parse(r.stdout);
	};
	const want = cliDry();
	assert.ok(want.total >= 6, `the test's contacts are due: ${JSON.stringify(want)}`);
	const srv = await movedServer(now);
	try {
		for (const lang of LANGS) {
			const { ctx, page } = await as('dana', lang, srv.url);
			const res = await page.goto(`${srv.url}/console/retention`);
			assert.equal(res.status(), 200, await said(page));
			assert.equal((await page.textContent('#total')).trim(), String(want.total), await said(page));
			for (const [reason, ids] of Object.entries(want.contacts)) assert.equal(await cell(page, reason), String(ids.length), reason);
			const html = await page.content();
			for (const id of Object.values(want.contacts).flat()) assert.ok(!html.includes(id), `counts only: contact id ${id} is not on the page`);
			await axeCheck(page, `retention dry run (${lang})`, { lang });
			await ctx.close();
		}
		const { ctx, page } = await as('dana', 'en', srv.url);
		await page.goto(`${srv.url}/console/retention`);
		await Promise.all([page.waitForLoadState('load'), page.click('form[action="/console/retention"] button.danger')]);
		assert.equal((await page.textContent('#total')).trim(), String(want.total), `what the purge did: ${await said(page)}`);
		await axeCheck(page, 'purge done (en)', { lang: 'en' });
		assert.equal(cliDry().total, 0, 'nothing left to purge');
		await page.goto(`${srv.url}/console/retention`);
		assert.equal((await page.textContent('#total')).trim(), '0');
		await ctx.close();
		// a marketer may not
		const m = await as('mia', 'en', srv.url);
		assert.equal((await m.page.goto(`${srv.url}/console/retention`)).status(), 403);
		await m.ctx.close();
	} finally {
		await srv.stop();
	}
});

test('every change made on these pages, and the download of the allowed list, is in the audit trail with who did it', T, async () => {
	const { ctx } = await as('dana');
	const res = await ctx.request.get(`${BASE}/console/audit.csv`);
	assert.equal(res.status(), 200);
	const rows = (await res.text()).trim().split('\r\n').slice(1).map((r) => r.split(','));
	const has = (who, action, target, detail) =>
		rows.some((r) => r[2] === who && r[4] === action && (target === undefined || r[5] === target) && (detail === undefined || r[6] === detail));
	assert.ok(has('mia', 'audience.export', 'newsletter', 'count=2'), 'audience.export by the marketer, with the count');
	for (const action of ['webhook.add', 'webhook.rotate', 'webhook.disable', 'key.create', 'key.revoke']) assert.ok(has('ada', action), `${action} by the admin`);
	assert.ok(has('ada', 'key.revoke', 'console-made'), 'the key revoked is named');
	assert.ok(has('ada', 'user.add', 'newbie') && has('ada', 'user.disable', 'newbie'), 'the user added and disabled');
	assert.ok(rows.some((r) => r[2] === 'dana' && r[4] === 'retention.purge' && /total=[1-9]/.test(r[6] || '')), 'retention.purge by the dpo, with its counts');
	assert.ok(!rows.some((r) => r[4] === 'audience.export' && r[2] === 'vic'), 'the refused export is no export');
	assert.doesNotMatch(await res.text(), /@example\.com|whsec_|k_[a-z0-9]{24}\./, 'no address, secret or key in the trail');
	await ctx.close();
});

test('no URL the browsers requested holds an address', () => {
	noAddressInUrls();
});
