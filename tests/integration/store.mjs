// store.mjs: the store a node test runs on, SQLite or PostgreSQL, as store.inc does for the
// sh scripts: with SK_TEST_PG (a base URI from tests/pg.sh) each store is a fresh database of
// that cluster, dropped when the process exits; else a SQLite file in the given folder.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const PG_SH = path.join(here, '..', 'pg.sh');
export const PSQL = '/usr/lib/postgresql/15/bin/psql';
const PG_DUMP = '/usr/lib/postgresql/15/bin/pg_dump';
export const ON_PG = !!process.env.SK_TEST_PG;
export const SQLITE_ONLY = 'sqlite only: it looks inside the SQLite file';
const made = [];

// newDb(DIR, NAME): the URI of a fresh, uninitialised store: DIR/NAME.db, or on PostgreSQL a
// new database named after DIR and NAME. Pass a key file explicitly with it (a PostgreSQL
// URI has no file next to which a key file could be implied).
export function newDb(dir, name) {
	if (!ON_PG) return path.join(dir, `${name}.db`);
	const db = `n_${path.basename(dir)}_${name}`.replace(/[^a-zA-Z0-9]/g, '_').slice(0, 60);
	const r = spawnSync('sh', [PG_SH, 'createdb', process.env.SK_TEST_PG, db], { encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`tests/pg.sh createdb ${db}: ${r.stderr}`);
	made.push(db);
	return r.stdout.trim();
}

process.on('exit', () => {
	for (const db of made) spawnSync('sh', [PG_SH, 'dropdb', process.env.SK_TEST_PG, db]);
});

// dbsql(DB, SQL): runs SQL on the store with its backend's own shell (sqlite3 or psql), rows
// as values separated by '|' without a header; throws on an error. For counting rows and
// for tampering with one as another program could.
export function dbsql(db, sql) {
	const r = ON_PG
		? spawnSync(PSQL, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql], { encoding: 'utf8' })
		: spawnSync('sqlite3', ['-batch', '-bail', db, sql], { encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`${ON_PG ? 'psql' : 'sqlite3'} ${sql}: ${r.stderr}`);
	return r.stdout;
}

// storeHolds(DB, TEXT): whether the store's bytes hold TEXT in clear: on SQLite the database
// file and its WAL as they are on disk; on PostgreSQL every row of every table as pg_dump
// prints it, where TEXT may stand as text or, in a bytea column, as its hex.
export function storeHolds(db, text) {
	if (!ON_PG) {
		return ['', '-wal'].some((suffix) => existsSync(db + suffix) && readFileSync(db + suffix).includes(text));
	}
	const r = spawnSync(PG_DUMP, ['--data-only', '--no-owner', '-d', db], { encoding: 'utf8', maxBuffer: 256 << 20 });
	if (r.status !== 0) throw new Error(`pg_dump: ${r.stderr}`);
	return r.stdout.includes(text) || r.stdout.toLowerCase().includes(Buffer.from(text).toString('hex'));
}

// storeDump(DB, FILE): on PostgreSQL writes every row of every table of DB to FILE as binary
// COPY (text and bytea as their raw bytes), so that a scan of FILE for a person's bytes is a
// scan of everything the database holds in its tables.
export function storeDump(db, file) {
	const q = (sql, encoding) => {
		const r = spawnSync(PSQL, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql], { encoding, maxBuffer: 256 << 20 });
		if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr}`);
		return r.stdout;
	};
	const tables = q("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1", 'utf8').split('\n').filter(Boolean);
	if (tables.length === 0) throw new Error(`storeDump: no table in ${db}`);
	writeFileSync(file, Buffer.concat(tables.map((t) => q(`COPY "${t}" TO STDOUT (FORMAT binary)`, 'buffer'))));
}
