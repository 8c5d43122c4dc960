// speccheck.mjs: spec.mjs's check of one answer, for the scripts that talk HTTP with curl
// (import.sh). Usage: node speccheck.mjs METHOD PATH HEADERS_FILE BODY_FILE [prism]
// HEADERS_FILE is curl's --dump-header output (the status line first); with "prism" the
// answer came through Prism's proxy and its sl-violations header is read, without it the
// answer is checked against docs/openapi.yaml by schema. Exits 1 with the reason on stderr.
import { readFileSync } from 'node:fs';
import { answerCheck } from './spec.mjs';

const [method, p, headFile, bodyFile, via] = process.argv.slice(2);
const lines = readFileSync(headFile, 'latin1').split(/\r?\n/);
// the last response in the file (curl writes a 100 Continue's head too)
let start = 0;
lines.forEach((l, i) => {
	if (/^HTTP\/\d(\.\d)? \d{3}/.test(l)) start = i;
});
const status = Number(/^HTTP\/\S+ (\d{3})/.exec(lines[start])[1]);
const headers = {};
for (const l of lines.slice(start + 1)) {
	const i = l.indexOf(':');
	if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
}
try {
	answerCheck(via === 'prism', method, p, status, headers, readFileSync(bodyFile, 'utf8'));
} catch (e) {
	process.stderr.write(`${e.message}\n`);
	process.exit(1);
}
