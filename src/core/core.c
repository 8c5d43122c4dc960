/* core.c: opening the core over a store and a vault, the key check, batches, and the small
 * helpers the other core files share. */
#include "core/core_int.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/mem.h"

#define META_CANON_VERSION "canon_version" /* see core/canon.c */

int sk__store_err(struct sk_errctx *err, int rc, const char *what)
{
	if (rc == SK_ERR_NOMEM)
		return sk_errf(err, rc, "out of memory while %s", what);
	if (rc == SK_ERR_CORRUPT)
		return sk_errf(err, rc, "stored data is corrupt while %s: %s holds a text longer "
			       "than its field", what, sk_store_corrupt_where());
	return sk_errf(err, rc, "storage failed while %s (%s)", what, sk_err_name(rc));
}

int sk__meta_int(struct sk_core *c, const char *key, int64_t dflt, const char *what,
		 int64_t *out, struct sk_errctx *err)
{
	char v[32], *end = NULL;
	int rc = sk_store_meta_get(c->store, key, v, sizeof(v));
	*out = dflt;
	if (rc == SK_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return sk__store_err(err, rc, what);
	long long n = strtoll(v, &end, 10);
	if (end == v || *end || n < 1)
		return sk_errf(err, SK_ERR_STORAGE, "the stored value of %s is not a number", key);
	*out = n;
	return 0;
}

int sk_core_open(struct sk_store *store, struct sk_vault *vault, int init, struct sk_core **out,
		 struct sk_errctx *err)
{
	int rc;
	struct sk_core *c = sk_calloc(1, sizeof(*c));
	if (!c)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	c->store = store;
	c->vault = vault;
	if ((rc = sk__key_open(c, init, err)))
		goto out;
	if (init) {
		char ver[16];
		snprintf(ver, sizeof(ver), "%d", SK_EMAIL_CANON_VERSION);
		if ((rc = sk_store_meta_set(store, META_CANON_VERSION, ver))) {
			sk__store_err(err, rc, "storing the key check value");
			goto out;
		}
	} else if ((rc = sk__canon_upgrade(c, err)))
		goto out;
	rc = sk__policy_load(c, err);
out:
	if (rc)
		sk_core_free(c);
	else
		*out = c;
	return rc;
}

void sk_core_free(struct sk_core *c)
{
	if (!c)
		return;
	sk_policy_free(c->policy);
	sk_free(c);
}

int sk_core_reload_policy(struct sk_core *c, struct sk_errctx *err)
{
	return sk__policy_load(c, err);
}

int sk_core_policy_stored(struct sk_core *c, int *version, struct sk_errctx *err)
{
	char *text = NULL;
	size_t len = 0;
	int64_t at = 0;
	int rc = sk_store_policy_get(c->store, &text, &len, version, &at);
	sk_free(text);
	if (rc == SK_ERR_NOT_FOUND) {
		*version = 0;
		return 0;
	}
	return rc ? sk__store_err(err, rc, "reading the policy version") : 0;
}

int sk_core_lease_take(struct sk_core *c, const char *name, const char *holder, int64_t now_ms,
		       int64_t until_ms, int *got, struct sk_errctx *err)
{
	int rc = sk_store_lease_take(c->store, name, holder, now_ms, until_ms, got);
	if (rc)
		*got = 0;
	return rc ? sk__store_err(err, rc, "taking a lease") : 0;
}

int sk_core_lease_release(struct sk_core *c, const char *name, const char *holder,
			  struct sk_errctx *err)
{
	int rc = sk_store_lease_release(c->store, name, holder);
	return rc ? sk__store_err(err, rc, "releasing a lease") : 0;
}

int sk_core_need_policy(struct sk_core *c, struct sk_errctx *err)
{
	if (!c->policy)
		return sk_errf(err, SK_ERR_NO_POLICY,
			       "no policy has been applied: run 'samtycke policy apply FILE'");
	return 0;
}

int sk__core_begin(struct sk_core *c, struct sk_errctx *err)
{
	if (c->in_batch || c->in_group)
		return 0;
	int rc = sk_store_begin(c->store, 1);
	return rc ? sk__store_err(err, rc, "starting a transaction") : 0;
}

/* The change hook (sk_core_set_change_hook); the lock is held while it runs, so that
 * setting it NULL waits for a call in progress. */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static sk_change_hook hook_fn;
static void *hook_arg;

void sk_core_set_change_hook(sk_change_hook fn, void *arg)
{
	pthread_mutex_lock(&hook_lock);
	hook_fn = fn;
	hook_arg = arg;
	pthread_mutex_unlock(&hook_lock);
}

static void run_change_hook(void)
{
	pthread_mutex_lock(&hook_lock);
	if (hook_fn)
		hook_fn(hook_arg);
	pthread_mutex_unlock(&hook_lock);
}

int sk__core_end(struct sk_core *c, int rc, struct sk_errctx *err)
{
	if (c->in_batch || c->in_group)
		return rc;
	int changed = c->changed;
	c->changed = 0;
	if (rc) {
		sk_store_rollback(c->store);
		return rc;
	}
	rc = sk_store_commit(c->store);
	if (rc) {
		sk_store_rollback(c->store);
		return sk__store_err(err, rc, "committing");
	}
	if (changed)
		run_change_hook(); /* only once the change is committed and visible */
	return 0;
}

int sk_core_batch_begin(struct sk_core *c, struct sk_errctx *err)
{
	if (c->in_batch)
		return sk_errf(err, SK_ERR_USAGE, "a batch is already open");
	c->key_checked = 0;
	if (c->in_group) { /* the group's transaction; the job's savepoint bounds it */
		c->in_batch = 1;
		return 0;
	}
	int rc = sk__core_begin(c, err);
	if (!rc)
		c->in_batch = 1;
	return rc;
}

int sk_core_batch_commit(struct sk_core *c, struct sk_errctx *err)
{
	if (!c->in_batch)
		return sk_errf(err, SK_ERR_USAGE, "no batch is open");
	c->in_batch = 0;
	if (c->in_group)
		return 0; /* committed with its group */
	return sk__core_end(c, 0, err);
}

void sk_core_batch_rollback(struct sk_core *c)
{
	if (!c->in_batch)
		return;
	c->in_batch = 0;
	if (c->in_group) {
		/* undo the job's writes so far; a new savepoint keeps bounding the rest of it */
		if (sk_store_savepoint(c->store, SK_SAVEPOINT_UNDO) ||
		    sk_store_savepoint(c->store, SK_SAVEPOINT_SET))
			c->in_group = 2; /* the group cannot go on: sk_core_group_run fails it */
		return;
	}
	c->changed = 0;
	sk_store_rollback(c->store);
}

/* The group's error for every job that had succeeded (a failed job keeps its own). */
static void group_fail(struct sk_group_job *jobs, size_t n, int rc, const struct sk_errctx *err)
{
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].rc)
			continue;
		jobs[i].rc = rc;
		*jobs[i].err = *err;
	}
}

int sk_core_group_run(struct sk_core *c, struct sk_group_job *jobs, size_t n,
		      struct sk_errctx *err)
{
	int rc;
	for (size_t i = 0; i < n; i++)
		jobs[i].rc = 0;
	if (c->in_batch || c->in_group || c->read_depth) {
		rc = sk_errf(err, SK_ERR_USAGE, "a group runs outside any batch or snapshot "
			     "(batch %d, group %d, snapshot %d)", c->in_batch, c->in_group,
			     c->read_depth);
		group_fail(jobs, n, rc, err);
		return rc;
	}
	if ((rc = sk_store_begin(c->store, 1))) {
		sk__store_err(err, rc, "starting a group's transaction");
		group_fail(jobs, n, rc, err);
		return rc;
	}
	c->changed = 0;
	c->in_group = 1;
	c->key_checked = 0;
	for (size_t i = 0; i < n; i++) {
		int changed = c->changed;
		if ((rc = sk_store_savepoint(c->store, SK_SAVEPOINT_SET))) {
			sk__store_err(err, rc, "setting a job's savepoint");
			goto fail;
		}
		jobs[i].rc = jobs[i].run(c, jobs[i].arg, jobs[i].err);
		if (c->in_batch) { /* a job that left its batch open: its writes are undone */
			c->in_batch = 0;
			if (!jobs[i].rc)
				jobs[i].rc = sk_errf(jobs[i].err, SK_ERR_USAGE, "a batch was left open");
		}
		if (c->in_group == 2) {
			rc = sk__store_err(err, SK_ERR_STORAGE, "undoing a job's writes");
			goto fail;
		}
		if (jobs[i].rc) {
			c->changed = changed;
			rc = sk_store_savepoint(c->store, SK_SAVEPOINT_UNDO);
		} else {
			rc = sk_store_savepoint(c->store, SK_SAVEPOINT_RELEASE);
		}
		if (rc) {
			sk__store_err(err, rc, jobs[i].rc ? "undoing a job's writes"
							  : "releasing a job's savepoint");
			if (!jobs[i].rc) {
				jobs[i].rc = rc;
				*jobs[i].err = *err;
			}
			goto fail;
		}
	}
	c->in_group = 0;
	if ((rc = sk_store_commit(c->store))) {
		sk_store_rollback(c->store);
		c->changed = 0;
		sk__store_err(err, rc, "committing");
		group_fail(jobs, n, rc, err);
		return rc;
	}
	if (c->changed)
		run_change_hook(); /* once, after the group's commit */
	c->changed = 0;
	return 0;
fail:
	c->in_group = 0;
	c->changed = 0;
	sk_store_rollback(c->store);
	group_fail(jobs, n, rc, err);
	return rc;
}

int sk_core_bulk(struct sk_core *c, int on, struct sk_errctx *err)
{
	if (c->in_batch)
		return sk_errf(err, SK_ERR_USAGE, "bulk mode changes only between batches");
	int rc = sk_store_bulk(c->store, on);
	return rc ? sk__store_err(err, rc, on ? "starting the bulk checkpointer" :
					       "checkpointing after bulk mode") : 0;
}

int sk_core_read_begin(struct sk_core *c, struct sk_errctx *err)
{
	if (c->read_depth++ > 0 || c->in_batch || c->in_group)
		return 0;
	int rc = sk_store_begin(c->store, 0);
	if (rc) {
		c->read_depth--;
		return sk__store_err(err, rc, "starting a read transaction");
	}
	return 0;
}

void sk_core_read_end(struct sk_core *c)
{
	/* a read has nothing to keep: if even its end fails, it is rolled back, never left open */
	if (--c->read_depth == 0 && !c->in_batch && !c->in_group && sk_store_commit(c->store))
		sk_store_rollback(c->store);
}

int sk__email_key(struct sk_core *c, const char *email, uint8_t key[SK_HASH_LEN],
		  struct sk_errctx *err)
{
	char canon[SK_EMAIL_MAX + 1];
	int rc = sk_email_canonical(email, canon, err);
	if (rc)
		return rc;
	sk_vault_email_key(c->vault, canon, key);
	sk_vault_wipe(canon, sizeof(canon));
	return 0;
}

void sk__seal_ad(const char *contact_id, const char *name, char out[128])
{
	snprintf(out, 128, "%s/%s", contact_id, name);
}

int sk__datakey(struct sk_core *c, const char *contact_id, uint8_t dk[SK_VAULT_KEY_LEN],
		struct sk_errctx *err)
{
	uint8_t wrapped[SK_VAULT_WRAPPED_LEN];
	size_t len;
	int rc = sk_store_datakey_get(c->store, contact_id, wrapped, sizeof(wrapped), &len);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "the contact's data key is gone");
	if (rc)
		return sk__store_err(err, rc, "reading a data key");
	if (sk_vault_datakey_unwrap(c->vault, contact_id, wrapped, len, dk) &&
	    (!sk__key_retry(c) || /* a rotation elsewhere: the vault reloaded */
	     sk_vault_datakey_unwrap(c->vault, contact_id, wrapped, len, dk)))
		return sk_errf(err, SK_ERR_CRYPTO, "a data key could not be unwrapped");
	return 0;
}

int sk__states_add(void *arg, const struct sk_state_rec *st)
{
	struct sk__states *s = arg;
	if (s->n == s->alloc) {
		size_t na = s->alloc ? 2 * s->alloc : 16;
		struct sk_state_rec *p = sk_realloc(s->st, na * sizeof(*p));
		if (!p)
			return SK_ERR_NOMEM;
		s->st = p;
		s->alloc = na;
	}
	s->st[s->n++] = *st;
	return 0;
}

int sk__copy_event(void *arg, const struct sk_event_rec *ev)
{
	struct sk_event_rec *out = arg;
	*out = *ev;
	out->evidence = NULL;
	out->evidence_len = 0;
	return 0;
}

int sk_suppressed(struct sk_core *c, const char *email, int *out, struct sk_errctx *err)
{
	struct sk__addr a;
	struct sk_gate_rec g;
	int rc = sk__addr_parse(c, email, &a, err);
	if (rc)
		return rc;
	rc = sk__addr_lookup(c, &a, "", &g);
	sk__addr_wipe(&a);
	if (rc)
		return sk__store_err(err, rc, "reading the suppression list");
	*out = g.suppressed;
	return 0;
}

int sk_suppress(struct sk_core *c, const char *email, const char *reason, struct sk_errctx *err)
{
	struct sk__addr a;
	int rc = sk__addr_parse(c, email, &a, err);
	if (rc)
		return rc;
	rc = sk__core_begin(c, err);
	if (!rc)
		rc = sk__core_end(c, sk__addr_suppress(c, &a, reason, err), err);
	sk__addr_wipe(&a);
	return rc;
}

int sk_unsuppress(struct sk_core *c, const char *email, struct sk_errctx *err)
{
	struct sk__addr a;
	struct sk_gate_rec g;
	int lifted = 0, rc = sk__addr_parse(c, email, &a, err);
	if (rc || (rc = sk__core_begin(c, err))) {
		sk__addr_wipe(&a);
		return rc;
	}
	rc = sk__addr_lookup(c, &a, "", &g);
	if (rc)
		sk__store_err(err, rc, "reading the suppression list");
	else if ((rc = sk__addr_unsuppress(c, &a, &lifted, err)) == 0 && !lifted)
		rc = sk_errf(err, SK_ERR_NOT_FOUND, "the address is not on the suppression list");
	if (!rc)
		rc = sk__change_append(c, SK_CHG_UNSUPPRESSED, g.found ? g.contact_id : NULL, NULL,
				       NULL, sk_time_now(), err);
	/* Logged before the commit, inside the write transaction, as an erasure is: the
	 * store's write lock (SQLite's, PostgreSQL's writers' lock) is held from the log line to
	 * the commit, so the log's order is the commit order, across processes too
	 * (docs/operations.md, 4, "The order guarantee"). */
	size_t logged = 0;
	while (!rc && logged <= a.nlegacy) {
		rc = sk__erasure_log(c, "unsuppress", g.found ? g.contact_id : NULL,
				     logged == 0 ? a.key : a.legacy_key[logged - 1], NULL, err);
		if (!rc)
			logged++;
	}
	if ((rc = sk__core_end(c, rc, err)) != 0) {
		/* lines for an unsuppression that did not commit: put the suppression back in the
		 * log after them, so a replay ends where the database is */
		struct sk_errctx e2 = {0};
		for (size_t i = 0; i < logged; i++)
			(void)sk__erasure_log(c, "suppress", NULL,
					      i == 0 ? a.key : a.legacy_key[i - 1],
					      g.suppress_reason[0] ? g.suppress_reason : "erased", &e2);
	}
	sk__addr_wipe(&a);
	return rc;
}

int sk__erasure_log(struct sk_core *c, const char *op, const char *contact_id,
		    const uint8_t *key, const char *reason, struct sk_errctx *err)
{
	struct sk_erasure_entry e = {.at_ms = sk_time_now_ms(), .has_key = key != NULL};
	if (c->replaying)
		return 0;
	sk_strlcpy(e.op, op, sizeof(e.op));
	sk_strlcpy(e.contact_id, contact_id ? contact_id : "", sizeof(e.contact_id));
	if (key)
		memcpy(e.key, key, SK_HASH_LEN);
	sk_strlcpy(e.reason, reason ? reason : "", sizeof(e.reason));
	char body[256];
	int n = sk_erasure_entry_body(&e, body, sizeof(body));
	if (n < 0)
		return sk_errf(err, SK_ERR_USAGE, "an erasure log entry does not fit a line");
	sk_vault_erasure_mac(c->vault, body, (size_t)n, e.mac);
	if (sk_erasure_log_append(&e))
		return sk_errf(err, SK_ERR_IO, "cannot write the erasure log %s: nothing was "
			       "changed", sk_erasure_log_path());
	return 0;
}

int sk__suppress_key(struct sk_core *c, const uint8_t key[SK_HASH_LEN], const char *reason,
		     struct sk_errctx *err)
{
	/* logged before the write, inside its transaction: see sk__contact_erase */
	int rc = sk__erasure_log(c, "suppress", NULL, key, reason, err);
	return rc ? rc : sk__suppress_key_put(c, key, reason, err);
}

int sk__suppress_key_put(struct sk_core *c, const uint8_t key[SK_HASH_LEN], const char *reason,
			 struct sk_errctx *err)
{
	int rc = sk_store_suppression_put(c->store, key, reason, sk_time_now());
	if (rc)
		return sk__store_err(err, rc, "adding to the suppression list");
	/* Unconfirmed form submissions and their unsent mail go with it: a suppressed address
	 * is never mailed. */
	if ((rc = sk_store_request_delete_key(c->store, key)))
		return sk__store_err(err, rc, "deleting unconfirmed requests");
	return 0;
}

int sk_notice_get(struct sk_core *c, const char *purpose, int version, const char *lang,
		  struct sk_notice_rec *out, struct sk_errctx *err)
{
	int rc = sk_store_notice_get(c->store, purpose, version, lang, out);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no such notice");
	return rc ? sk__store_err(err, rc, "reading a notice") : 0;
}

void sk_notice_sets_free(struct sk_notice_set *n, size_t count)
{
	for (size_t i = 0; n && i < count; i++)
		for (int l = 0; l < SK_NLANG; l++)
			sk_free(n[i].text[l]);
	sk_free(n);
}

int sk_policy_notices(struct sk_core *c, struct sk_notice_set **out, struct sk_errctx *err)
{
	int rc = sk_core_need_policy(c, err);
	if (rc)
		return rc;
	size_t np = c->policy->npurposes;
	struct sk_notice_set *ns = sk_calloc(np ? np : 1, sizeof(*ns));
	if (!ns)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < np && !rc; i++) {
		const struct sk_purpose *p = &c->policy->purposes[i];
		ns[i].version = p->notice_version;
		for (int l = 0; l < SK_NLANG && !rc; l++) {
			struct sk_notice_rec n;
			if ((rc = sk_notice_get(c, p->id, p->notice_version, sk_lang_name(l), &n, err)))
				break;
			memcpy(ns[i].sha256[l], n.sha256, SK_HASH_LEN);
			if (!(ns[i].text[l] = sk_strdup(n.text)))
				rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		}
	}
	if (rc) {
		sk_notice_sets_free(ns, np);
		return rc;
	}
	*out = ns;
	return 0;
}

int sk_changes(struct sk_core *c, int64_t after, long limit, sk_change_fn cb, void *arg,
	       struct sk_errctx *err)
{
	struct sk__relay x = {.change = cb, .arg = arg};
	int rc = sk_store_change_each(c->store, after, limit, sk__relay_change, &x);
	return rc ? sk__relay_err(err, rc, &x, "reading changes") : 0;
}

const struct sk_policy *sk_core_policy(const struct sk_core *c)
{
	return c->policy;
}

int sk_core_policy_version(const struct sk_core *c)
{
	return c->policy_version;
}

const char *sk_core_open_note(const struct sk_core *c)
{
	return c->canon_note[0] ? c->canon_note : c->key_note;
}

void sk_core_versions(sk_version_fn *fn, void *arg)
{
	fn(arg, "jansson", jansson_version_str());
	fn(arg, "libyaml", yaml_get_version_string());
}
