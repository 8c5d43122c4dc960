/* migrate.c: samtycke migrate's use case. Every row of a store, as stored, copied into a new
 * store of any backend in one write transaction, and checked there (the key, the ledger chain
 * and its head, the state against the ledger) before it commits (docs/migrate.md). */
#include <string.h>

#include "core/core_int.h"
#include "util/str.h"

/* What a table's rows add up to: how many, and a hash of every value with its type, in
 * row order (rows_each's order is the same on every backend). */
struct rows_sum {
	int64_t n;
	struct sk_hasher h;
};

static void sum_add(struct rows_sum *sum, const struct sk_value *row, int ncols)
{
	for (int i = 0; i < ncols; i++) {
		sk_hasher_i64(&sum->h, row[i].type);
		if (row[i].type == SK_VALUE_INT)
			sk_hasher_i64(&sum->h, row[i].i);
		else
			sk_hasher_field(&sum->h, row[i].p, row[i].type == SK_VALUE_NULL ? 0 : row[i].len);
	}
	sum->n++;
}

static int sum_row(void *arg, const struct sk_value *row, int ncols)
{
	sum_add(arg, row, ncols);
	return 0;
}

/* The digest of a whole store: every table of SK__TABLE_LIST in its order, its name, its rows
 * (rows_each's order) and their number; the meta row skip_meta left out (NULL: none). */
struct digest_ctx {
	struct rows_sum sum;
	const char *table, *skip_meta;
};

static int digest_row(void *arg, const struct sk_value *row, int ncols)
{
	struct digest_ctx *x = arg;
	if (x->skip_meta && strcmp(x->table, "meta") == 0 && row[0].type != SK_VALUE_INT &&
	    row[0].type != SK_VALUE_NULL && row[0].len == strlen(x->skip_meta) &&
	    memcmp(row[0].p, x->skip_meta, row[0].len) == 0)
		return 0;
	sum_add(&x->sum, row, ncols);
	return 0;
}

int sk__store_digest(struct sk_store *s, const char *skip_meta, uint8_t out[32])
{
	struct digest_ctx x = {.skip_meta = skip_meta};
	int rc = 0;
	sk_hasher_init_blake2b(&x.sum.h);
	for (int t = 0; t < sk_store_ntables && !rc; t++) {
		x.table = sk_store_tables[t].name;
		sk_hasher_field(&x.sum.h, x.table, strlen(x.table));
		x.sum.n = 0;
		rc = sk_store_rows_each(s, x.table, digest_row, &x);
		sk_hasher_i64(&x.sum.h, x.sum.n);
	}
	sk_hasher_final(&x.sum.h, out);
	return rc;
}

struct copy_ctx {
	struct sk_store *to;
	const char *table;
	struct rows_sum sum; /* of the rows read from the source */
	int put_rc; /* the target's error, to tell it from the source's */
	struct sk_migrate_result *out;
	long every;
	sk_migrate_progress_fn progress;
	void *parg;
};

static int copy_row(void *arg, const struct sk_value *row, int ncols)
{
	struct copy_ctx *x = arg;
	int rc = sk_store_rows_put(x->to, x->table, row);
	if (rc) {
		x->put_rc = rc;
		return rc;
	}
	sum_add(&x->sum, row, ncols);
	x->out->total++;
	if (x->progress && x->every > 0 && x->out->total % x->every == 0)
		x->progress(x->parg, x->table, x->out->total);
	return 0;
}

static int count_row(void *arg, const struct sk_value *row, int ncols)
{
	(void)row;
	(void)ncols;
	(*(int64_t *)arg)++;
	return 0;
}

static int count_diff(void *arg, const struct sk_replay_diff *d)
{
	(void)arg;
	(void)d;
	return 0;
}

/* A copy's message: "SIDE: " before what the core said. */
static int side_err(struct sk_errctx *err, int rc, const char *side, const char *what)
{
	char msg[sizeof(err->msg)];
	sk_strlcpy(msg, err && err->code == rc && err->msg[0] ? err->msg : sk_err_message(rc),
		   sizeof(msg));
	return sk_errf(err, rc, "%s: %s%s%s", side, what ? what : "", what ? ": " : "", msg);
}

int sk__verify_copy(struct sk_vault *vault, struct sk_store *copy, int in_tx, const char *side,
		    int64_t want_seq, const uint8_t *want_head, struct sk_errctx *err)
{
	struct sk_core *tc = NULL;
	uint8_t head[SK_HASH_LEN];
	int64_t bad = 0, count = 0;
	long ndiff = 0;
	int rc;

	sk_errctx_reset(err);
	if ((rc = sk_core_open(copy, vault, 0, &tc, err)))
		return side_err(err, rc, side, "opening the copy");
	tc->in_batch = in_tx; /* its reads run in the caller's write transaction */
	rc = sk_audit_verify(tc, &bad, &count, head, err);
	if (rc == SK_ERR_CHAIN_BROKEN) {
		rc = sk_errf(err, rc, "%s: the copied ledger's hash chain is broken at "
				      "sequence number %lld", side, (long long)bad);
		goto out;
	}
	if (rc) {
		side_err(err, rc, side, "verifying the ledger");
		goto out;
	}
	if (want_head && (count != want_seq ||
			  (count && memcmp(head, want_head, SK_HASH_LEN) != 0))) {
		rc = sk_errf(err, SK_ERR_CHAIN_BROKEN, "%s: the ledger ends at sequence number "
			     "%lld, not at the head it was copied with (%lld)", side,
			     (long long)count, (long long)want_seq);
		goto out;
	}
	if ((rc = sk_ledger_replay(tc, 0, count_diff, NULL, &ndiff, err))) {
		side_err(err, rc, side, "replaying the ledger");
		goto out;
	}
	if (ndiff)
		rc = sk_errf(err, SK_ERR_STATE_MISMATCH, "%s: the stored consent state differs "
			     "from the ledger in %ld place%s ('ledger replay --check' lists them)",
			     side, ndiff, ndiff == 1 ? "" : "s");
out:
	tc->in_batch = 0;
	sk_core_free(tc);
	return rc;
}

int sk_migrate(struct sk_core *from, struct sk_store *to, long progress_every,
	       sk_migrate_progress_fn progress, void *parg, struct sk_migrate_result *out,
	       struct sk_errctx *err)
{
	int rc, reading = 0;
	uint8_t digest[SK_MIGRATE_MAX_TABLES][32];

	memset(out, 0, sizeof(*out));
	if (sk_store_ntables > SK_MIGRATE_MAX_TABLES)
		return sk_errf(err, SK_ERR_USAGE, "more tables than a migration reports");
	if ((rc = sk_store_begin(to, SK_TX_WRITE)))
		return sk_errf(err, rc, "target: starting a write transaction: %s",
			       sk_err_message(rc));
	/* Only into a new store: an initialised one has its key check value in meta, and
	 * nothing of another store is ever mixed with the copy. */
	for (int t = 0; t < sk_store_ntables; t++) {
		int64_t n = 0;
		if ((rc = sk_store_rows_each(to, sk_store_tables[t].name, count_row, &n))) {
			sk_errf(err, rc, "target: reading table %s: %s", sk_store_tables[t].name,
				sk_err_message(rc));
			goto out;
		}
		if (n) {
			rc = sk_errf(err, SK_ERR_EXISTS, "target: the store is not empty (table %s "
				     "has rows): migrate writes only into a new store",
				     sk_store_tables[t].name);
			goto out;
		}
	}
	/* One snapshot of the source, however its servers go on writing. */
	if ((rc = sk_core_read_begin(from, err))) {
		sk_errf(err, rc, "source: starting a read transaction: %s", sk_err_message(rc));
		goto out;
	}
	reading = 1;
	if ((rc = sk_store_ledger_last(from->store, &out->ledger_seq, out->ledger_head))) {
		sk_errf(err, rc, "source: reading the ledger head: %s", sk_err_message(rc));
		goto out;
	}
	out->ntables = sk_store_ntables;
	for (int t = 0; t < sk_store_ntables; t++) {
		struct copy_ctx x = {.to = to, .table = sk_store_tables[t].name, .out = out,
				     .every = progress_every, .progress = progress, .parg = parg};
		sk_hasher_init_blake2b(&x.sum.h);
		out->table[t] = x.table;
		rc = sk_store_rows_each(from->store, x.table, copy_row, &x);
		out->rows[t] = x.sum.n;
		sk_hasher_final(&x.sum.h, digest[t]);
		if (rc && x.put_rc) {
			sk_errf(err, rc, "target: writing a row of table %s: %s", x.table,
				sk_err_message(rc));
			goto out;
		}
		if (rc) {
			sk_errf(err, rc, "source: reading table %s: %s", x.table, sk_err_message(rc));
			goto out;
		}
	}
	sk_core_read_end(from);
	reading = 0;
	/* Each table reads back from the target as it was read from the source: as many rows,
	 * and every value of every row with its type (a backend that dropped a row, or stored
	 * a value as something else, fails here). */
	for (int t = 0; t < sk_store_ntables; t++) {
		struct rows_sum back = {0};
		uint8_t d[32];
		sk_hasher_init_blake2b(&back.h);
		if ((rc = sk_store_rows_each(to, out->table[t], sum_row, &back))) {
			sk_errf(err, rc, "target: reading table %s: %s", out->table[t],
				sk_err_message(rc));
			goto out;
		}
		sk_hasher_final(&back.h, d);
		if (back.n != out->rows[t]) {
			rc = sk_errf(err, SK_ERR_STORAGE, "target: table %s holds %lld rows after the "
				     "copy, the source %lld", out->table[t], (long long)back.n,
				     (long long)out->rows[t]);
			goto out;
		}
		if (memcmp(d, digest[t], sizeof(d)) != 0) {
			rc = sk_errf(err, SK_ERR_STORAGE, "target: table %s reads back otherwise than "
				     "the source's rows were read (a value changed in the copy)",
				     out->table[t]);
			goto out;
		}
	}
	rc = sk__verify_copy(from->vault, to, 1, "target", out->ledger_seq, out->ledger_head, err);
	if (rc)
		goto out;
	if ((rc = sk_store_commit(to))) {
		sk_errf(err, rc, "target: committing: %s", sk_err_message(rc));
		goto out;
	}
	out->verified = 1;
out:
	if (reading)
		sk_core_read_end(from);
	if (rc)
		sk_store_rollback(to);
	return rc;
}
