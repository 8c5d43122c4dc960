// rawhttp.mjs: a raw TCP connection that reads HTTP/1.1 responses one by one, for the tests
// that need to control the bytes on the wire (slow clients, pipelining, keep-alive, a request
// in flight during shutdown). Only what those tests need: Content-Length and chunked bodies.
import net from 'node:net';
import { once } from 'node:events';

export class RawConn {
	constructor(sock) {
		this.sock = sock;
		this.buf = Buffer.alloc(0);
		this.waiters = [];
		this.closed = false;
		this.closedAt = 0;
		this.error = null;
		this.closedPromise = new Promise((resolve) => {
			sock.on('close', () => {
				this.closed = true;
				this.closedAt = Date.now();
				this.#wake();
				resolve();
			});
		});
		sock.on('data', (chunk) => {
			this.buf = Buffer.concat([this.buf, chunk]);
			this.#wake();
		});
		sock.on('error', (e) => {
			this.error = e;
		});
	}

	// open(URL, {localAddress}): connects from localAddress when given (127.0.0.2 is another
	// client on loopback).
	static async open(baseUrl, { localAddress } = {}) {
		const u = new URL(baseUrl);
		const sock = net.connect({ port: Number(u.port), host: u.hostname, localAddress });
		await once(sock, 'connect');
		return new RawConn(sock);
	}

	write(data) {
		this.sock.write(data);
	}

	end() {
		this.sock.destroy();
	}

	#wake() {
		const w = this.waiters;
		this.waiters = [];
		for (const f of w) f();
	}

	// Parses one complete response off the front of the buffer, or returns null.
	#take() {
		const head = this.buf.indexOf('\r\n\r\n');
		if (head < 0) return null;
		const lines = this.buf.subarray(0, head).toString('latin1').split('\r\n');
		const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
		if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
		const headers = {};
		for (const l of lines.slice(1)) {
			const i = l.indexOf(':');
			const k = l.slice(0, i).trim().toLowerCase();
			const v = l.slice(i + 1).trim();
			headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
		}
		let pos = head + 4;
		let body;
		if (/chunked/i.test(headers['transfer-encoding'] || '')) {
			const parts = [];
			for (;;) {
				const eol = this.buf.indexOf('\r\n', pos);
				if (eol < 0) return null;
				const size = parseInt(this.buf.subarray(pos, eol).toString('latin1'), 16);
				if (Number.isNaN(size)) throw new Error('bad chunk size');
				if (this.buf.length < eol + 2 + size + 2) return null;
				if (size === 0) {
					// no trailers expected
					pos = eol + 4;
					break;
				}
				parts.push(this.buf.subarray(eol + 2, eol + 2 + size));
				pos = eol + 2 + size + 2;
			}
			body = Buffer.concat(parts);
		} else {
			const len = Number(headers['content-length'] || 0);
			if (this.buf.length < pos + len) return null;
			body = this.buf.subarray(pos, pos + len);
			pos += len;
		}
		this.buf = this.buf.subarray(pos);
		const text = body.toString('utf8');
		let json;
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
		return { status: Number(m[1]), headers, text, json };
	}

	// The next response; rejects when the connection closes first or after timeoutMs.
	async response(timeoutMs = 5000) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const r = this.#take();
			if (r) return r;
			if (this.closed) throw new Error(`connection closed before a full response (${this.buf.length} bytes buffered)`);
			const left = deadline - Date.now();
			if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
			await new Promise((resolve) => {
				const t = setTimeout(resolve, left);
				this.waiters.push(() => {
					clearTimeout(t);
					resolve();
				});
			});
		}
	}

	// Resolves true when the peer closes the connection within timeoutMs, false otherwise.
	async closedWithin(timeoutMs) {
		if (this.closed) return true;
		let t;
		const timer = new Promise((resolve) => {
			t = setTimeout(() => resolve(false), timeoutMs);
		});
		const r = await Promise.race([this.closedPromise.then(() => true), timer]);
		clearTimeout(t);
		return r;
	}
}
