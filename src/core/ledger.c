/* ledger.c: integrity of the consent ledger. Each event's hash (SHA-256 before migration 7,
 * BLAKE2b-256 since) covers every field of the event and the hash of the one before it, so
 * an edit, a deletion or a reordering shows as the first sequence number whose chain no
 * longer holds. Replay rebuilds the consent state
 * from the ledger alone, with the same transition function that recording uses. */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* The domain strings of the two hash versions (docs/internals/core.md, "The hash"). */
#define LEDGER_DOMAIN_V1 "samtycke ledger v1"
#define LEDGER_DOMAIN_V2 "samtycke ledger v2"

void sk_ledger_hash(const struct sk_event_rec *ev, uint8_t out[SK_HASH_LEN])
{
	struct sk_hasher h;
	int version = ev->hash_version ? ev->hash_version : SK_LEDGER_HASH_CURRENT;
	if (version == SK_LEDGER_HASH_SHA256) {
		/* version 1, exactly as written before migration 7: its version is not hashed */
		sk_hasher_init(&h);
		sk_hasher_str(&h, LEDGER_DOMAIN_V1);
	} else {
		/* version 2 and any other number (which the audit refuses before hashing): the
		 * version is a hashed field, so that changing it breaks the chain */
		sk_hasher_init_blake2b(&h);
		sk_hasher_str(&h, LEDGER_DOMAIN_V2);
		sk_hasher_i64(&h, version);
	}
	sk_hasher_i64(&h, ev->seq);
	sk_hasher_str(&h, ev->id);
	sk_hasher_str(&h, ev->contact_id);
	sk_hasher_str(&h, ev->purpose);
	sk_hasher_str(&h, ev->action);
	sk_hasher_i64(&h, ev->occurred_at);
	sk_hasher_i64(&h, ev->recorded_at);
	sk_hasher_str(&h, ev->method);
	sk_hasher_str(&h, ev->source);
	sk_hasher_i64(&h, ev->notice_version);
	sk_hasher_field(&h, ev->notice_sha256, SK_HASH_LEN);
	sk_hasher_str(&h, ev->lang);
	sk_hasher_i64(&h, ev->valid_until);
	sk_hasher_str(&h, ev->actor);
	sk_hasher_i64(&h, ev->flags);
	sk_hasher_field(&h, ev->evidence, ev->evidence ? ev->evidence_len : 0);
	sk_hasher_field(&h, ev->prev_hash, SK_HASH_LEN);
	sk_hasher_final(&h, out);
}

struct verify_ctx {
	int64_t expect_seq;
	uint8_t prev[SK_HASH_LEN];
	int version; /* the highest hash version met so far; 0 before the first event */
	int64_t bad_seq;
	int64_t count;
};

static int verify_event(void *arg, const struct sk_event_rec *ev)
{
	struct verify_ctx *v = arg;
	uint8_t h[SK_HASH_LEN];
	v->count++;
	/* A gap (deleted row) is bad at the first missing number. */
	if (ev->seq != v->expect_seq) {
		v->bad_seq = v->expect_seq;
		return 1;
	}
	/* A version this build does not know, or one lower than an earlier event's (no
	 * downgrade: once a version-2 event is written, every later one is version 2), breaks
	 * the chain at this event. */
	if (ev->hash_version != SK_LEDGER_HASH_SHA256 && ev->hash_version != SK_LEDGER_HASH_BLAKE2B) {
		v->bad_seq = ev->seq;
		return 1;
	}
	if (ev->hash_version < v->version) {
		v->bad_seq = ev->seq;
		return 1;
	}
	sk_ledger_hash(ev, h);
	if (!sk_vault_equal(ev->prev_hash, v->prev, SK_HASH_LEN) ||
	    !sk_vault_equal(ev->hash, h, SK_HASH_LEN)) {
		v->bad_seq = ev->seq;
		return 1;
	}
	memcpy(v->prev, ev->hash, SK_HASH_LEN);
	v->version = ev->hash_version;
	v->expect_seq++;
	return 0;
}

int sk_audit_verify(struct sk_core *c, int64_t *bad_seq, int64_t *count, uint8_t head[SK_HASH_LEN],
		    struct sk_errctx *err)
{
	struct verify_ctx v = {.expect_seq = 1};
	int rc = sk_core_read_begin(c, err);
	if (rc)
		return rc;
	rc = sk_store_ledger_each(c->store, NULL, 0, verify_event, &v);
	sk_core_read_end(c);
	*bad_seq = v.bad_seq;
	*count = v.count;
	if (head)
		memcpy(head, v.prev, SK_HASH_LEN);
	if (rc == SK_ERR_CORRUPT) {
		/* the row after the last good one cannot even be read: the chain breaks there */
		*bad_seq = v.expect_seq;
		return sk_errf(err, SK_ERR_CHAIN_BROKEN,
			       "ledger chain broken at sequence number %lld (%s holds a text longer "
			       "than its field)", (long long)v.expect_seq, sk_store_corrupt_where());
	}
	if (rc == 1)
		return sk_errf(err, SK_ERR_CHAIN_BROKEN,
			       "ledger chain broken at sequence number %lld", (long long)v.bad_seq);
	return rc ? sk__store_err(err, rc, "reading the ledger") : 0;
}

/* Replay folds the events into states kept in one array, found through an open-addressing
 * index by (contact, purpose); the array is then sorted as the store returns its states
 * (contact, then purpose), so that the two lists are compared in one merge. */
struct replay_ctx {
	struct sk_state_rec *st;
	size_t n, alloc;
	size_t *slot; /* index + 1 into st; 0 empty */
	size_t nslot; /* a power of two, at least twice n */
};

static int state_cmp(const void *a, const void *b)
{
	const struct sk_state_rec *x = a, *y = b;
	int d = strcmp(x->contact_id, y->contact_id);
	return d ? d : strcmp(x->purpose, y->purpose);
}

static size_t key_hash(const char *contact_id, const char *purpose)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = contact_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ '/') * 1099511628211ull;
	for (const char *p = purpose; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return (size_t)h;
}

/* The slot of (contact, purpose): holding it, or the empty one where it belongs. */
static size_t *slot_find(struct replay_ctx *r, const char *contact_id, const char *purpose)
{
	size_t i = key_hash(contact_id, purpose) & (r->nslot - 1);
	while (r->slot[i]) {
		const struct sk_state_rec *st = &r->st[r->slot[i] - 1];
		if (strcmp(st->contact_id, contact_id) == 0 && strcmp(st->purpose, purpose) == 0)
			break;
		i = (i + 1) & (r->nslot - 1);
	}
	return &r->slot[i];
}

static int replay_grow(struct replay_ctx *r)
{
	size_t na = r->alloc ? r->alloc * 2 : 1024;
	struct sk_state_rec *st = sk_realloc(r->st, na * sizeof(*st));
	if (!st)
		return SK_ERR_NOMEM;
	r->st = st;
	r->alloc = na;
	size_t *slot = sk_calloc(2 * na, sizeof(*slot));
	if (!slot)
		return SK_ERR_NOMEM;
	sk_free(r->slot);
	r->slot = slot;
	r->nslot = 2 * na;
	for (size_t i = 0; i < r->n; i++)
		*slot_find(r, r->st[i].contact_id, r->st[i].purpose) = i + 1;
	return 0;
}

static int replay_event(void *arg, const struct sk_event_rec *ev)
{
	struct replay_ctx *r = arg;
	int rc;
	if (r->n == r->alloc && (rc = replay_grow(r)))
		return rc;
	size_t *slot = slot_find(r, ev->contact_id, ev->purpose);
	if (!*slot) {
		struct sk_state_rec *st = &r->st[r->n];
		memset(st, 0, sizeof(*st));
		sk_strlcpy(st->contact_id, ev->contact_id, sizeof(st->contact_id));
		sk_strlcpy(st->purpose, ev->purpose, sizeof(st->purpose));
		sk_strlcpy(st->status, sk_status_name(SK_ST_UNKNOWN), sizeof(st->status));
		*slot = ++r->n;
	}
	sk_state_apply(&r->st[*slot - 1], ev);
	return 0;
}

static int state_same(const struct sk_state_rec *a, const struct sk_state_rec *b)
{
	return strcmp(a->status, b->status) == 0 && a->seq == b->seq &&
	       strcmp(a->event_id, b->event_id) == 0 && a->updated_at == b->updated_at &&
	       a->valid_until == b->valid_until && a->notice_version == b->notice_version;
}

struct compare_ctx {
	struct replay_ctx *r;
	size_t i;
	long ndiff;
	sk_replay_cb cb;
	void *arg;
};

/* stored and derived: the states' words, NULL for missing. */
static int report(struct compare_ctx *x, const struct sk_state_rec *key, const char *stored,
		  const char *derived)
{
	struct sk_replay_diff d = {key->contact_id, key->purpose,
				   stored ? sk__status_from_stored(stored) : SK_ST_MISSING,
				   derived ? sk__status_from_stored(derived) : SK_ST_MISSING};
	x->ndiff++;
	return x->cb ? x->cb(x->arg, &d) : 0;
}

static int compare_state(void *arg, const struct sk_state_rec *st)
{
	struct compare_ctx *x = arg;
	struct replay_ctx *r = x->r;
	int rc;
	while (x->i < r->n && state_cmp(&r->st[x->i], st) < 0) {
		if ((rc = report(x, &r->st[x->i], NULL, r->st[x->i].status)))
			return rc;
		x->i++;
	}
	if (x->i < r->n && state_cmp(&r->st[x->i], st) == 0) {
		const struct sk_state_rec *d = &r->st[x->i++];
		return state_same(d, st) ? 0 : report(x, st, st->status, d->status);
	}
	return report(x, st, st->status, NULL);
}

/* ---- replay --check, streamed in bounded memory ----
 * The ledger is read in (contact, seq) order (the index consent_ledger_contact), so that one
 * contact's events are folded at a time into a few states; the stored states are read in
 * pages in the same (contact, purpose) order and merged with them as they come. Memory holds
 * one contact's states and one page of stored ones, whatever the size of the ledger; the
 * differences come out in the same order as from the whole-ledger replay. */
#define STORED_PAGE 256

struct stream_ctx {
	struct sk_core *c;
	struct compare_ctx *x;
	char contact[SK_ID_LEN + 1]; /* the contact being folded; "" before the first */
	struct sk_state_rec *cur;    /* its states, one per purpose */
	size_t ncur, alloc;
	struct sk_state_rec stored[STORED_PAGE];
	size_t nstored, istored;
	int stored_end;
	char after_contact[SK_ID_LEN + 1];
	char after_purpose[sizeof(((struct sk_state_rec *)0)->purpose)];
};

static int stored_add(void *arg, const struct sk_state_rec *st)
{
	struct stream_ctx *sc = arg;
	sc->stored[sc->nstored++] = *st;
	sk_strlcpy(sc->after_contact, st->contact_id, sizeof(sc->after_contact));
	sk_strlcpy(sc->after_purpose, st->purpose, sizeof(sc->after_purpose));
	return 0;
}

/* The next stored state (NULL after the last), a page read when needed; *rc on failure. */
static const struct sk_state_rec *stored_peek(struct stream_ctx *sc, int *rc)
{
	if (sc->istored == sc->nstored && !sc->stored_end) {
		sc->nstored = sc->istored = 0;
		*rc = sk_store_state_page(sc->c->store, sc->after_contact, sc->after_purpose,
					  STORED_PAGE, stored_add, sc);
		if (*rc)
			return NULL;
		sc->stored_end = sc->nstored < STORED_PAGE;
	}
	return sc->istored < sc->nstored ? &sc->stored[sc->istored] : NULL;
}

/* Compares the folded states of sc->contact (until: every stored state up to and including
 * that contact; NULL until: every stored state left) with the stored ones. */
static int stream_flush(struct stream_ctx *sc, const char *until)
{
	size_t n = 0;
	int rc = 0;
	if (until && sc->ncur) {
		/* States of contacts whose personal data was deleted are gone with them by design. */
		struct sk_contact_rec ct;
		int e = sk_store_contact_by_id(sc->c->store, sc->contact, &ct);
		if (e && e != SK_ERR_NOT_FOUND)
			return e;
		for (size_t i = 0; !e && i < sc->ncur; i++)
			if (sk_status_from_name(sc->cur[i].status) != SK_ST_UNKNOWN)
				sc->cur[n++] = sc->cur[i];
		qsort(sc->cur, n, sizeof(*sc->cur), state_cmp);
	}
	size_t i = 0;
	for (;;) {
		const struct sk_state_rec *st = stored_peek(sc, &rc);
		if (rc)
			return rc;
		const struct sk_state_rec *d = i < n ? &sc->cur[i] : NULL;
		int in = st && (!until || strcmp(st->contact_id, until) <= 0);
		if (!in && !d)
			break;
		int cmp = in && d ? state_cmp(st, d) : in ? -1 : 1;
		if (cmp < 0) {
			rc = report(sc->x, st, st->status, NULL);
			sc->istored++;
		} else if (cmp == 0) {
			rc = state_same(d, st) ? 0 : report(sc->x, st, st->status, d->status);
			sc->istored++;
			i++;
		} else {
			rc = report(sc->x, d, NULL, d->status);
			i++;
		}
		if (rc)
			return rc;
	}
	sc->ncur = 0;
	return 0;
}

static int stream_event(void *arg, const struct sk_event_rec *ev)
{
	struct stream_ctx *sc = arg;
	int rc;
	if (strcmp(ev->contact_id, sc->contact) != 0) {
		if (sc->contact[0] && (rc = stream_flush(sc, sc->contact)))
			return rc;
		sk_strlcpy(sc->contact, ev->contact_id, sizeof(sc->contact));
	}
	size_t i = 0;
	while (i < sc->ncur && strcmp(sc->cur[i].purpose, ev->purpose) != 0)
		i++;
	if (i == sc->ncur) {
		if (sc->ncur == sc->alloc) {
			size_t na = sc->alloc ? 2 * sc->alloc : 8;
			struct sk_state_rec *p = sk_realloc(sc->cur, na * sizeof(*p));
			if (!p)
				return SK_ERR_NOMEM;
			sc->cur = p;
			sc->alloc = na;
		}
		struct sk_state_rec *st = &sc->cur[sc->ncur++];
		memset(st, 0, sizeof(*st));
		sk_strlcpy(st->contact_id, ev->contact_id, sizeof(st->contact_id));
		sk_strlcpy(st->purpose, ev->purpose, sizeof(st->purpose));
		sk_strlcpy(st->status, sk_status_name(SK_ST_UNKNOWN), sizeof(st->status));
	}
	sk_state_apply(&sc->cur[i], ev);
	return 0;
}

static int replay_check_stream(struct sk_core *c, struct compare_ctx *x, struct sk_errctx *err)
{
	struct stream_ctx *sc = sk_calloc(1, sizeof(*sc));
	int rc;
	if (!sc)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	sc->c = c;
	sc->x = x;
	if ((rc = sk_core_read_begin(c, err))) {
		sk_free(sc);
		return rc;
	}
	rc = sk_store_ledger_each_by_contact(c->store, stream_event, sc);
	if (!rc && sc->contact[0])
		rc = stream_flush(sc, sc->contact);
	if (!rc)
		rc = stream_flush(sc, NULL); /* stored states of contacts without events */
	sk_core_read_end(c);
	sk_free(sc->cur);
	sk_free(sc);
	return rc ? sk__store_err(err, rc, "replaying the ledger") : 0;
}

int sk_ledger_replay(struct sk_core *c, int write, sk_replay_cb cb, void *arg, long *ndiff,
		     struct sk_errctx *err)
{
	struct replay_ctx r = {0};
	struct compare_ctx x = {&r, 0, 0, cb, arg};
	int rc;

	/* --check: streamed, in bounded memory, inside a read snapshot */
	if (!write) {
		*ndiff = 0;
		rc = replay_check_stream(c, &x, err);
		if (!rc)
			*ndiff = x.ndiff;
		return rc;
	}
	if ((rc = sk__core_begin(c, err)))
		return rc;
	rc = sk_store_ledger_each(c->store, NULL, 0, replay_event, &r);
	if (rc) {
		sk__store_err(err, rc, "reading the ledger");
		goto out;
	}
	/* States of contacts whose personal data was deleted are gone with them by design. */
	size_t kept = 0;
	for (size_t i = 0; !rc && i < r.n; i++) {
		struct sk_contact_rec ct;
		int e = sk_store_contact_by_id(c->store, r.st[i].contact_id, &ct);
		if (e == 0 && sk_status_from_name(r.st[i].status) != SK_ST_UNKNOWN)
			r.st[kept++] = r.st[i];
		else if (e && e != SK_ERR_NOT_FOUND)
			rc = e;
	}
	r.n = kept;
	if (rc) {
		sk__store_err(err, rc, "reading contacts");
		goto out;
	}
	qsort(r.st, r.n, sizeof(*r.st), state_cmp);
	rc = sk_store_state_each(c->store, NULL, compare_state, &x);
	for (; !rc && x.i < r.n; x.i++)
		rc = report(&x, &r.st[x.i], NULL, r.st[x.i].status);
	if (rc) {
		sk__store_err(err, rc, "reading consent state");
		goto out;
	}
	*ndiff = x.ndiff;
	if (write && x.ndiff) {
		rc = sk_store_state_clear(c->store);
		for (size_t i = 0; !rc && i < r.n; i++)
			rc = sk_store_state_put(c->store, &r.st[i]);
		if (rc)
			sk__store_err(err, rc, "writing the rebuilt state");
	}
out:
	sk_free(r.st);
	sk_free(r.slot);
	return sk__core_end(c, rc, err);
}

int sk_audit(struct sk_core *c, int retry_scrub, struct sk_audit *out, struct sk_errctx *err)
{
	int pending, rc;
	memset(out, 0, sizeof(*out));
	if (retry_scrub && (rc = sk_scrub_retry(c, &pending, err)))
		return rc;
	rc = sk_audit_verify(c, &out->first_bad_seq, &out->events, out->head, err);
	if (rc == SK_ERR_CHAIN_BROKEN) {
		out->broken = 1;
		sk_errctx_reset(err);
	} else if (rc) {
		return rc;
	}
	return sk_scrub_pending(c, &out->scrub_since, err);
}
