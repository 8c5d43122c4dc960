// console-import.test.mjs: the console's import pages in a real browser (issue 15; the
// contract is docs/console.md, "Importing"). A marketer uploads a CSV file made here (3,000
// rows at example.com, some of them bad) with a mapping in YAML, sees the dry run's counts and
// first rejects (never a value), runs the import and sees the <progress> bar reach its max and
// the page say done, and downloads the rejects file; a viewer cannot import (403, nothing
// stored); an upload without the session's CSRF token is refused; an import whose server is
// killed (kill -9) mid-way is offered "resume" by the server started again, and ends with
// every row in once; a file without a header row fails without quoting its addresses; saving
// a mapping is audited (new, then replaced). axe-core on every page state in sv and en. Run by
// tests/e2e/console-import.sh: IMPORT_URL, IMPORT_DIR, IMPORT_PORT2, IMPORT_DIR2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as lib from './lib.mjs';

const { launch, newContext, open, said, watch, axeCheck, api, key, cli, need, noAddressInUrls } = lib;
const BASE = need('IMPORT_URL');
const DIR = need('IMPORT_DIR');
const PORT2 = need('IMPORT_PORT2');
const DIR2 = need('IMPORT_DIR2');
const T = { timeout: 120_000 };

const MAP_YAML = `# the mapping, in YAML
email: email
fields:
  first_name: first_name
consents:
  newsletter: {value: newsletter, at: newsletter_at, source: newsletter_source}
`;

// csv(PREFIX, ROWS, BAD): ROWS data rows at example.com; with bad, every 97th has an address
// that cannot be one and every 101st a consent cell that is neither yes nor no. Returns the
// text and the rejects expected (line, column, reason), in file order.
function csv(prefix, rows, bad) {
	const lines = ['email,first_name,newsletter,newsletter_at,newsletter_source'];
	const rejects = [];
	for (let i = 0; i < rows; i++) {
		const line = i + 2;
		if (bad && i % 97 === 96) {
			lines.push(`not-an-address-${i},Secretname${i},yes,2025-03-01,form:web`);
			rejects.push(`${line},email,invalid_email`);
		} else if (bad && i % 101 === 100) {
			lines.push(`${prefix}-${i}@example.com,Secretname${i},maybe,2025-03-01,form:web`);
			rejects.push(`${line},newsletter,invalid`);
		} else {
			lines.push(`${prefix}-${i}@example.com,Ann${i},yes,2025-03-01,form:web`);
		}
	}
	return { text: lines.join('\r\n') + '\r\n', rejects };
}

const users = {};
// user(ROLE): a staff user of ROLE made by `samtycke user add` (lib.mjs's staffUser; once per
// role).
function user(role) {
	if (!users[role]) {
		const name = `e2e-${role}`;
		users[role] = { name, password: lib.staffUser(name, role) };
	}
	return users[role];
}

// signedIn(ROLE, lang, base): a browser context and page signed in as ROLE.
async function signedIn(role, lang = 'en', base = BASE) {
	assert.equal(typeof lib.signIn, 'function', 'tests/e2e/lib.mjs exports signIn (helper auth)');
	const ctx = await newContext(browser, { lang });
	const page = watch(await ctx.newPage());
	const u = user(role);
	await lib.signIn(page, base, u.name, u.password);
	return { ctx, page };
}

const jobs = () => (existsSync(DIR) ? readdirSync(DIR).filter((f) => f.startsWith('im')) : []);

// upload(page, CSV, MODE): fills the form and sends it; the job's page (after the 303).
async function upload(page, base, text, mode, name = 'contacts.csv') {
	await page.goto(`${base}/console/import`);
	await page.setInputFiles('#imp-csv', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
	await page.setInputFiles('#imp-map', { name: 'mapping.yaml', mimeType: 'application/yaml', buffer: Buffer.from(MAP_YAML) });
	await page.check(`input[name=mode][value=${mode}]`);
	const [res] = await Promise.all([page.waitForNavigation(), page.click('form.imp-form button[type=submit]')]);
	assert.equal(res.status(), 200, `the upload ends on the job's page: ${await said(page)}`);
	const m = page.url().match(/\/console\/import\/(im[A-Za-z0-9_]+)(\?lang=(sv|en))?$/);
	assert.ok(m, `the upload answered 303 to /console/import/{id}: ${page.url()}`);
	return m[1];
}

// uploadWith(page, OPTIONS): the form sent with a saved mapping or a mapping file of its own;
// the answer.
async function uploadWith(page, { saved, map, saveAs, text = small.text }) {
	await page.goto(`${BASE}/console/import`);
	await page.setInputFiles('#imp-csv', { name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
	if (map !== undefined) await page.setInputFiles('#imp-map', { name: 'mapping.yaml', mimeType: 'application/yaml', buffer: Buffer.from(map) });
	if (saved) await page.selectOption('#imp-saved', saved);
	if (saveAs) await page.fill('#imp-save', saveAs);
	const [res] = await Promise.all([page.waitForNavigation(), page.click('form.imp-form button[type=submit]')]);
	return res;
}

// finished(page): waits (up to 60 s) until the job's page shows its counts: the script
// reloads the page when the job is over.
async function finished(page) {
	await page.waitForSelector('table.imp-counts', { timeout: 60_000 });
}

async function counts(page) {
	const out = {};
	for (const row of await page.locator('table.imp-counts tr[data-count]').all()) {
		out[await row.getAttribute('data-count')] = Number((await row.locator('td').innerText()).trim());
	}
	return out;
}

let browser, reader, main;
const small = csv('e2e-imp', 3000, true);
before(async () => {
	browser = await launch();
	reader = api(BASE, key('e2e-import-reader', 'read'));
});
after(async () => {
	await browser?.close();
	if (second && second.exitCode === null) second.kill('SIGKILL');
});

test('the upload form and a dry run: the counts and the first rejects, no value shown, nothing stored; axe in sv and en', T, async () => {
	main = await signedIn('marketer', 'en');
	const { page } = main;
	await page.goto(`${BASE}/console/import`);
	await axeCheck(page, 'the import form (en)', { lang: 'en' });
	await page.goto(`${BASE}/console/import?lang=sv`);
	await axeCheck(page, 'the import form (sv)', { lang: 'sv' });
	const before = jobs().length;
	const id = await upload(page, BASE, small.text, 'dry_run');
	assert.equal(jobs().length, before + 1, 'the upload staged one job');
	await finished(page);
	assert.equal(await page.locator('h1').innerText(), 'Dry run');
	const n = await counts(page);
	const bad = small.rejects.length;
	assert.deepEqual(n, { rows: 3000, created: 3000 - bad, updated: 0, given: 3000 - bad, unverified: 0, refused: 0, unchanged: 0, rejected: bad, fields_dropped: 0 }, 'the dry run\'s counts');
	const shown = await page.locator('table.imp-rejects tbody tr').allInnerTexts();
	assert.equal(shown.length, 20, 'the first 20 rejects are listed');
	assert.deepEqual(shown.map((r) => r.split('\t').map((c) => c.trim()).join(',')), small.rejects.slice(0, 20), 'the first rejects: line, column, reason, in file order');
	const body = await page.innerText('body');
	assert.ok(!/Secretname|not-an-address|@example\.com/.test(body), 'the page shows no value of the file');
	await axeCheck(page, 'a dry run done (en)', { lang: 'en' });
	await page.goto(`${BASE}/console/import/${id}?lang=sv`);
	await axeCheck(page, 'a dry run done (sv)', { lang: 'sv' });
	assert.equal((await reader.get(`/v1/contacts?email=${encodeURIComponent('e2e-imp-0@example.com')}`)).status, 404, 'the dry run stored nothing');
	main.dry = id;
});

test('the import of the dry run\'s file: the <progress> bar reaches its max and the page says done; the rejects file holds line, column, reason only', T, async () => {
	assert.ok(main?.dry, 'the dry run of the first case is needed');
	const { page } = main;
	await page.goto(`${BASE}/console/import/${main.dry}`);
	const [res] = await Promise.all([page.waitForNavigation(), page.click(`form[action^="/console/import/${main.dry}/run"] button`)]);
	assert.equal(res.status(), 200, `the import runs: ${await said(page)}`);
	assert.equal(await page.locator('h1').innerText(), 'Import');
	// while it runs (when the browser sees it running): the bar and its text; axe
	if (await page.locator('#imp-live').count()) {
		assert.equal(await page.locator('progress#imp-bar').count(), 1, 'a running import shows a <progress> bar');
		await axeCheck(page, 'an import running (en)', { lang: 'en' });
	}
	await finished(page);
	const bar = page.locator('progress#imp-bar');
	const max = Number(await bar.getAttribute('max'));
	assert.ok(max > 0, 'the bar has a max');
	assert.equal(Number(await bar.getAttribute('value')), max, 'the bar\'s value reached its max');
	assert.equal(await bar.evaluate((e) => e.value === e.max), true, 'the <progress> element is full');
	assert.equal((await page.locator('#imp-state').innerText()).trim(), 'Done.', 'the page says done');
	const bad = small.rejects.length;
	const n = await counts(page);
	assert.equal(n.created, 3000 - bad, 'contacts created');
	assert.equal(n.rejected, bad, 'rows rejected');
	await axeCheck(page, 'an import done (en)', { lang: 'en' });
	await page.goto(`${BASE}/console/import/${main.dry}?lang=sv`);
	assert.equal(await page.locator('#imp-state').innerText(), 'Klar.');
	await axeCheck(page, 'an import done (sv)', { lang: 'sv' });
	// the link's file, fetched with the page's session (a browser download is cancelled
	// under the context's request routing, which keeps the test's requests on loopback)
	const link = page.locator(`a[href="/console/import/${main.dry}/rejects.csv"]`);
	assert.equal(await link.getAttribute('download'), '', 'the rejects link is a download');
	const dl = await page.request.get(`${BASE}/console/import/${main.dry}/rejects.csv`);
	assert.equal(dl.status(), 200);
	assert.match(dl.headers()['content-disposition'] || '', /^attachment/, 'the rejects file comes as an attachment');
	assert.match(dl.headers()['content-type'] || '', /^text\/csv/, 'the rejects file is text/csv');
	const text = await dl.text();
	assert.deepEqual(text.trimEnd().split('\r\n'), ['line,column,reason', ...small.rejects], 'the rejects file: its header and every reject, no values');
	assert.equal((await reader.get(`/v1/contacts?email=${encodeURIComponent('e2e-imp-0@example.com')}`)).status, 200, 'the import stored the contacts');
	assert.equal(existsSync(path.join(DIR, main.dry, 'upload.csv')), false, 'the staged file is removed once imported');
	noAddressInUrls();
});

test('a mapping saved with an upload is offered by name and used; a bad mapping shows the form again with the reason and stages nothing; axe in sv and en', T, async () => {
	assert.ok(main, 'the first case signed the marketer in');
	const { page } = main;
	let res = await uploadWith(page, { map: MAP_YAML, saveAs: 'e2e-crm' });
	assert.equal(res.status(), 200, `the upload with a name to save its mapping as: ${await said(page)}`);
	await finished(page);
	await page.goto(`${BASE}/console/import`);
	assert.equal(await page.locator('#imp-saved option[value="e2e-crm"]').count(), 1, 'the saved mapping is offered by name');
	res = await uploadWith(page, { saved: 'e2e-crm' });
	assert.equal(res.status(), 200);
	assert.match(page.url(), /\/console\/import\/im[A-Za-z0-9_]+(\?lang=en)?$/, 'the saved mapping was taken');
	await finished(page);
	assert.equal((await counts(page)).rows, 3000, 'the dry run with the saved mapping read the file');
	// saved again under the same name: it replaces the one others use, and the audit says so
	res = await uploadWith(page, { map: MAP_YAML, saveAs: 'e2e-crm' });
	assert.equal(res.status(), 200, `the upload that saves the mapping again: ${await said(page)}`);
	await finished(page);
	const before = jobs().length;
	for (const lang of ['en', 'sv']) {
		await page.goto(`${BASE}/console/import?lang=${lang}`);
		await page.setInputFiles('#imp-csv', { name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(small.text) });
		await page.setInputFiles('#imp-map', { name: 'mapping.yaml', mimeType: 'application/yaml', buffer: Buffer.from('email: email\nnonsense: [1\n') });
		const [r] = await Promise.all([page.waitForNavigation(), page.click('form.imp-form button[type=submit]')]);
		assert.equal(r.status(), 422, `a bad mapping is refused (${lang})`);
		assert.equal(await page.locator('.error[role=alert]').count(), 1, `the form says why (${lang}): ${await said(page)}`);
		await axeCheck(page, `the form after a bad mapping (${lang})`, { lang });
	}
	assert.equal(jobs().length, before, 'a refused upload stages nothing');
});

test('a file without a header row, its first line addresses: the job fails naming columns by position, no address on its page or in job.json', T, async () => {
	assert.ok(main, 'the first case signed the marketer in');
	const { page } = main;
	const text = 'e2e-nohdr@example.com,Jane,e2e-nohdr@example.com\r\ne2e-nohdr2@example.com,John,e2e-nohdr2@example.com\r\n';
	const res = await uploadWith(page, { map: MAP_YAML, text });
	assert.equal(res.status(), 200, `the upload is staged: ${await said(page)}`);
	const id = page.url().match(/\/console\/import\/(im[A-Za-z0-9_]+)/)[1];
	await page.waitForSelector('.error[role=alert]', { timeout: 60_000 });
	const shown = await page.locator('main').innerText();
	assert.match(shown, /columns 1 and 3/, `the page says which columns, by position: ${shown}`);
	assert.ok(!shown.includes('@'), `no address on the job's page: ${shown}`);
	const state = readFileSync(path.join(DIR, id, 'job.json'), 'utf8');
	assert.match(state, /columns 1 and 3/);
	assert.ok(!state.includes('@'), `no address in job.json: ${state}`);
	noAddressInUrls();
});

test('a viewer cannot import: no link, 403 on the page and on an upload, nothing stored', T, async () => {
	const { ctx, page } = await signedIn('viewer', 'en');
	for (const lang of ['en', 'sv']) {
		const res = await page.goto(`${BASE}/console/import?lang=${lang}`);
		assert.equal(res.status(), 403, `GET /console/import as a viewer (${lang})`);
		assert.ok((await page.locator('nav a').count()) > 0, 'the 403 page has the console\'s navigation');
		assert.equal(await page.locator('nav a[href="/console/import"]').count(), 0, 'the viewer\'s navigation has no import link');
		await axeCheck(page, `the import page refused to a viewer (${lang})`, { lang });
	}
	const before = jobs().length;
	const r = await page.request.post(`${BASE}/console/import`, {
		multipart: { csrf: 'whatever', mode: 'import', csv: { name: 'c.csv', mimeType: 'text/csv', buffer: Buffer.from(small.text) }, map: { name: 'm.yaml', mimeType: 'text/yaml', buffer: Buffer.from(MAP_YAML) } },
		maxRedirects: 0,
	});
	assert.equal(r.status(), 403, 'POST /console/import as a viewer');
	assert.equal(jobs().length, before, 'nothing was staged');
	await ctx.close();
});

test('an upload without the session\'s CSRF token, or with another, is refused and stages nothing', T, async () => {
	const { page } = main;
	const before = jobs().length;
	for (const csrf of [undefined, 'not-the-token']) {
		const multipart = { mode: 'import', csv: { name: 'c.csv', mimeType: 'text/csv', buffer: Buffer.from(small.text) }, map: { name: 'm.yaml', mimeType: 'text/yaml', buffer: Buffer.from(MAP_YAML) } };
		if (csrf) multipart.csrf = csrf;
		const r = await page.request.post(`${BASE}/console/import`, { multipart, maxRedirects: 0 });
		assert.equal(r.status(), 403, `POST /console/import with csrf ${csrf ?? '(none)'}`);
	}
	assert.equal(jobs().length, before, 'nothing was staged');
});

// ---- the server killed mid-import ----
let second;
async function startSecond() {
	second = spawn(need('SAMTYCKE'), ['--db', need('SK_DB'), 'serve', '--listen', `127.0.0.1:${PORT2}`, '--rate-limit', '0', '--import-dir', DIR2], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	second.stdout.on('data', (b) => (out += b));
	second.stderr.on('data', () => {});
	const end = Date.now() + 10_000;
	while (!out.includes(`listening on http://127.0.0.1:${PORT2}`)) {
		assert.ok(Date.now() < end && second.exitCode === null, `the second server did not start: ${out}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

test('the server killed during an import and started again: the page offers resume, and resume ends with every row in once; axe in sv and en', T, async () => {
	const BASE2 = `http://127.0.0.1:${PORT2}`;
	const big = csv('e2e-kill', 20000, false);
	await startSecond();
	const { ctx, page } = await signedIn('marketer', 'en', BASE2);
	const id = await upload(page, BASE2, big.text, 'import', 'big.csv');
	// kill -9 once the first batch (5,000 rows) is committed and before the end
	let p;
	const end = Date.now() + 60_000;
	for (;;) {
		p = await (await page.request.get(`${BASE2}/console/import/${id}/progress`)).json();
		if (p.committed >= 5000 || p.done) break;
		assert.ok(Date.now() < end, `the import committed its first batch within 60 s: ${JSON.stringify(p)}`);
		await new Promise((r) => setTimeout(r, 20));
	}
	second.kill('SIGKILL');
	await new Promise((r) => second.once('exit', r));
	assert.equal(p.done, false, `the server was killed before the import was done: ${JSON.stringify(p)}`);
	await startSecond();
	for (const lang of ['sv', 'en']) {
		await page.goto(`${BASE2}/console/import/${id}?lang=${lang}`);
		assert.equal(await page.locator('#imp-interrupted').count(), 1, `the page says the import was interrupted (${lang}): ${await said(page)}`);
		await axeCheck(page, `an interrupted import (${lang})`, { lang });
	}
	const prog = await (await page.request.get(`${BASE2}/console/import/${id}/progress`)).json();
	assert.equal(prog.state, 'interrupted');
	assert.ok(prog.committed >= 5000 && prog.committed < 20000, `rows committed before the kill: ${prog.committed}`);
	const [res] = await Promise.all([page.waitForNavigation(), page.click(`form[action^="/console/import/${id}/run"] button`)]);
	assert.equal(res.status(), 200);
	await finished(page);
	assert.equal(Number(await page.locator('progress#imp-bar').getAttribute('value')), Number(await page.locator('progress#imp-bar').getAttribute('max')), 'the bar is full');
	assert.match(await page.innerText('main'), new RegExp(`Resumed after row ${prog.committed}\\b`), 'the page says where it resumed');
	const n = await counts(page);
	assert.deepEqual(n, { rows: 20000, created: 20000, updated: 0, given: 20000, unverified: 0, refused: 0, unchanged: 0, rejected: 0, fields_dropped: 0 }, 'the counts of one clean run');
	// every row in once: 20,000 contacts of the file, each allowed once
	const ex = spawnSync(need('SAMTYCKE'), ['--db', need('SK_DB'), 'export-contacts', '--purpose', 'newsletter', '--format', 'csv'], { encoding: 'utf8', maxBuffer: 64 << 20 });
	assert.equal(ex.status, 0, `samtycke export-contacts: ${ex.stderr}`);
	const rows = ex.stdout.split('\r\n').filter((l) => l.includes('e2e-kill-'));
	assert.equal(rows.length, 20000, 'every row of the file is one contact');
	assert.equal(new Set(rows.map((l) => l.split(',')[1])).size, 20000, 'no contact twice');
	assert.ok(rows.every((l) => l.includes(',true,')), 'each allowed for newsletter');
	await axeCheck(page, 'a resumed import done (en)', { lang: 'en' });
	await ctx.close();
	second.kill('SIGTERM');
	await new Promise((r) => second.once('exit', r));
});

test('the staff audit trail names each import: import.dry_run, import.run and import.resume, by whom, with the counts and no value', T, async () => {
	const { ctx, page } = await signedIn('dpo', 'en');
	const r = await page.request.get(`${BASE}/console/audit.json`);
	assert.equal(r.status(), 200, 'GET /console/audit.json as a dpo');
	const body = await r.json();
	const rows = body.events;
	assert.ok(Array.isArray(rows), 'the audit trail lists its events');
	const imports = rows.filter((a) => a.action.startsWith('import.'));
	const of = (action) => imports.filter((a) => a.action === action);
	assert.ok(of('import.dry_run').length >= 2, `two dry runs audited: ${JSON.stringify(imports)}`);
	const run = of('import.run').find((a) => a.target === main.dry);
	assert.ok(run, `the import of the dry run's file is audited with its job id: ${JSON.stringify(imports)}`);
	assert.equal(run.who, 'e2e-marketer');
	assert.match(run.detail, /^rows=3000 created=\d+ .*rejected=\d+ fields_dropped=0$/, 'the detail is the counts');
	const resume = of('import.resume');
	assert.equal(resume.length, 1, 'the resumed import is audited once, as a resume');
	assert.match(resume[0].detail, /^rows=20000 created=20000 /);
	const saves = of('import.mapping_save').filter((a) => a.target === 'e2e-crm');
	assert.deepEqual(saves.map((a) => a.detail).sort(), ['name=e2e-crm new', 'name=e2e-crm replaced'], `saving a mapping is audited, new then replaced: ${JSON.stringify(imports)}`);
	assert.equal(saves[0].who, 'e2e-marketer');
	assert.ok(!/@|Secretname|not-an-address/.test(JSON.stringify(imports)), 'no value of a file in the audit trail');
	await ctx.close();
});
