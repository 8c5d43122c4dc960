// body-flood.mjs: what unauthenticated bodies cost the server. Opens N connections at once,
// each sending POST /v1/consents with a body of SIZE bytes and no API key, and samples the
// server's resident memory (/proc/PID/status) until every connection has been answered or
// closed. Prints the RSS before, at its peak and after, and how the connections ended.
// Usage: node bench/body-flood.mjs URL SERVER_PID [N=300] [SIZE=1048576]
// Never fails on the figures; docs/internals/http.md records a run.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [url, pidText, nText = '300', sizeText = String(1024 * 1024)] = process.argv.slice(2);
if (!url || !pidText) {
	console.error('usage: node bench/body-flood.mjs URL SERVER_PID [N] [SIZE]');
	process.exit(2);
}
const u = new URL(url);
const n = Number(nText);
const size = Number(sizeText);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pidText}/status`, 'utf8'))[1]) / 1024;

const before = rss();
let peak = before;
const sampler = setInterval(() => {
	peak = Math.max(peak, rss());
}, 20);
const body = Buffer.alloc(size, 0x20);
const ends = { answered: {}, closed_unanswered: 0 };
const t0 = Date.now();
await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
	const sock = net.connect({ port: Number(u.port), host: u.hostname });
	let got = '';
	sock.on('connect', () => {
		sock.write(`POST /v1/consents HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`);
		sock.write(body);
	});
	sock.on('data', (c) => {
		got += c.toString('latin1');
		const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
		if (m && got.includes('\r\n\r\n')) {
			ends.answered[m[1]] = (ends.answered[m[1]] || 0) + 1;
			sock.destroy();
			resolve();
		}
	});
	sock.on('error', () => {});
	sock.on('close', () => {
		if (!/^HTTP/.test(got)) ends.closed_unanswered++;
		resolve();
	});
})));
const took = Date.now() - t0;
await sleep(300);
peak = Math.max(peak, rss());
clearInterval(sampler);
console.log(`${n} connections x ${size} bytes, no key: RSS ${before.toFixed(1)} MB before, ` +
	`${peak.toFixed(1)} MB at peak, ${rss().toFixed(1)} MB after; ${took} ms; ${JSON.stringify(ends)}`);
