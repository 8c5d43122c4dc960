// spec.mjs: docs/openapi.yaml held against the wire. The integration scripts start Prism's
// validating proxy (server.inc's start_prism) in front of the real server; Prism forwards each
// request and marks what the spec does not describe in an `sl-violations` response header.
// wireCheck fails a test on such a mark. The few requests Prism cannot carry (it hangs on a
// malformed body, follows redirects, and cannot send raw bytes) go straight to the server, and
// schemaCheck checks their answers against the spec's responses with ajv.
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.SK_SOURCE_ROOT || path.resolve(here, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020').default;

export const SPEC = YAML.parse(readFileSync(path.join(ROOT, 'docs', 'openapi.yaml'), 'utf8'));

const header = (headers, name) =>
	typeof headers?.get === 'function' ? headers.get(name) : headers?.[name.toLowerCase()];

// wireCheck(METHOD, URL, STATUS, HEADERS): the answer came through Prism; fails when Prism
// marked the response as undescribed (any severity: an unlisted status, a body or header
// off its schema), or the request as undescribed while the server took it (a 2xx or 3xx: the
// server accepts what the spec says it refuses). A request the spec says is wrong that the
// server refused (4xx) is what a test of bad input sends on purpose, and passes.
export function wireCheck(method, url, status, headers) {
	const raw = header(headers, 'sl-violations');
	if (!raw) return;
	let list;
	try {
		list = JSON.parse(raw);
	} catch {
		assert.fail(`${method} ${url}: unreadable sl-violations header ${raw}`);
	}
	const bad = list.filter((v) => v.location?.[0] === 'response' || status < 400);
	assert.equal(bad.length, 0, `${method} ${url} answered ${status}: docs/openapi.yaml does not describe this: ${JSON.stringify(bad)}`);
}

// The spec's path template matching a concrete path ('/v1/contacts/c_x' -> '/v1/contacts/{id}').
export function specPath(p) {
	const want = p.split('?')[0].split('/');
	for (const tpl of Object.keys(SPEC.paths)) {
		const parts = tpl.split('/');
		if (parts.length !== want.length) continue;
		if (parts.every((s, i) => (s.startsWith('{') && want[i].length > 0) || s === want[i])) return tpl;
	}
	return null;
}

function deref(o) {
	while (o && o.$ref) {
		o = o.$ref
			.replace(/^#\//, '')
			.split('/')
			.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
			.reduce((a, k) => a[k], SPEC);
	}
	return o;
}

let ajv;
const validators = new Map();
function validator(schema) {
	if (!ajv) {
		ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
		ajv.addSchema({ ...SPEC, $id: 'openapi' }, 'openapi');
	}
	if (!validators.has(schema)) {
		// Resolve the spec's local references ('#/components/...') inside the whole document.
		const text = JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"openapi#/');
		validators.set(schema, ajv.compile(JSON.parse(text)));
	}
	return validators.get(schema);
}

// schemaCheck(METHOD, URL, STATUS, HEADERS, TEXT): an answer that did not pass through Prism
// is one the spec lists for that operation (status, or its class such as 4XX), with a
// documented media type, and, when JSON, a body that validates against the listed schema.
export function schemaCheck(method, url, status, headers, text) {
	const what = `${method} ${url} answered ${status}`;
	const tpl = specPath(url);
	if (!tpl) {
		assert.equal(status, 404, `${what}: a path docs/openapi.yaml does not list must be 404`);
		return;
	}
	const m = method.toUpperCase() === 'HEAD' ? 'get' : method.toLowerCase();
	const op = SPEC.paths[tpl][m];
	if (!op) {
		assert.equal(status, 405, `${what}: a method docs/openapi.yaml does not list under ${tpl} must be 405`);
		return;
	}
	const responses = op.responses || {};
	const resp = deref(responses[String(status)] || responses[`${String(status)[0]}XX`] || responses.default);
	assert.ok(resp, `${what}: docs/openapi.yaml lists no ${status} for ${m.toUpperCase()} ${tpl}`);
	for (const h of Object.keys(resp.headers || {})) {
		if (deref(resp.headers[h]).required) assert.ok(header(headers, h), `${what}: the spec's required header ${h} is missing`);
	}
	if (!resp.content || method.toUpperCase() === 'HEAD') return;
	const ct = (header(headers, 'content-type') || '').split(';')[0].trim().toLowerCase();
	const media = resp.content[ct];
	assert.ok(media, `${what}: Content-Type ${ct || '(none)'} is not one the spec lists (${Object.keys(resp.content).join(', ')})`);
	if (!media.schema || ct !== 'application/json') return;
	let body;
	try {
		body = JSON.parse(text);
	} catch {
		assert.fail(`${what}: the body is not JSON: ${text.slice(0, 200)}`);
	}
	const v = validator(media.schema);
	assert.ok(v(body), `${what}: the body does not match the spec's schema: ${JSON.stringify(v.errors)} in ${text.slice(0, 300)}`);
}

// proxied(URL, BASE, PRISM, METHOD, HEADERS, BODY): the URL through Prism for a request to the
// server at BASE, or null when it must go straight there: a form post (Prism would follow its
// redirect to the company's site), or a JSON body other than its compact form (Prism answers
// or hangs on a malformed one, and sends on a re-encoded copy, so padding would be lost).
export function proxied(url, base, prism, method, headers = {}, body = undefined) {
	if (!prism || !url.startsWith(base)) return null;
	const ct = String(headers['content-type'] || headers['Content-Type'] || '').toLowerCase();
	const p = new URL(url).pathname;
	if (method === 'POST' && /^\/f\/[^/]+$/.test(p) && !ct.startsWith('application/json')) return null;
	if (body !== undefined && ct.startsWith('application/json')) {
		try {
			if (JSON.stringify(JSON.parse(body)) !== body) return null;
		} catch {
			return null;
		}
	}
	return prism + url.slice(base.length);
}

// answerCheck(VIA_PRISM, METHOD, PATH, STATUS, HEADERS, TEXT): wireCheck for an answer that
// came through Prism, schemaCheck for one that did not.
export function answerCheck(viaPrism, method, p, status, headers, text) {
	if (viaPrism) wireCheck(method, p, status, headers);
	else schemaCheck(method, p, status, headers, text);
}

// startPrism(UPSTREAM, LOGFILE): Prism's validating proxy in front of UPSTREAM, as server.inc's
// start_prism starts it, for the tests that start their own servers. Resolves with
// {url, stop()} once it listens; its log (LOGFILE) is for the script to read after the run.
export async function startPrism(upstream, logFile) {
	const { spawn } = await import('node:child_process');
	const { openSync, closeSync, readFileSync: read } = await import('node:fs');
	const net = await import('node:net');
	const bin = path.join(ROOT, 'node_modules', '.bin', 'prism');
	for (let attempt = 0; ; attempt++) {
		const port = await new Promise((resolve) => {
			const s = net.createServer().listen(0, '127.0.0.1', () => {
				const p = s.address().port;
				s.close(() => resolve(p));
			});
		});
		const fd = openSync(logFile, 'a');
		const child = spawn(bin, ['proxy', path.join(ROOT, 'docs', 'openapi.yaml'), upstream, '--host', '127.0.0.1', '--port', String(port), '--cors', 'false'], { stdio: ['ignore', fd, fd] });
		closeSync(fd);
		const exited = new Promise((r) => child.on('exit', r));
		const deadline = Date.now() + 30_000;
		let up = false;
		while (!up && Date.now() < deadline && child.exitCode === null) {
			await new Promise((r) => setTimeout(r, 100));
			up = read(logFile, 'utf8').includes(`Prism is listening on http://127.0.0.1:${port}`);
		}
		if (up) {
			return {
				url: `http://127.0.0.1:${port}`,
				stop: async () => {
					child.kill('SIGKILL');
					await exited;
				},
			};
		}
		child.kill('SIGKILL');
		await exited;
		if (attempt >= 2) throw new Error(`Prism's proxy did not listen within 30 s: see ${logFile}`);
	}
}
