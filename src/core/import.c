/* import.c: one row of a bulk import applied to the core: validation first (address,
 * suppression, duplicates, field values, consent cells), then the contact and the ledger
 * events, so that a rejected row writes nothing. The rules are in docs/import-export.md. */
#include "core/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_int.h"
#include "util/mem.h"
#include "util/sktime.h"

#define SOURCE_MAX 255

static const char *const reject_names[] = {"",          "invalid_email", "suppressed",
					   "undeclared_field", "invalid", "duplicate",
					   "too_large", "nul_byte", "replacement_char"};

const char *sk_reject_name(int r)
{
	if (r < 0 || r >= (int)(sizeof(reject_names) / sizeof(reject_names[0])))
		return "invalid";
	return reject_names[r];
}

/* One consent write of a row: what it does, with its cell's date and source. */
struct act {
	const char *purpose;
	int what;            /* DO_GIVE, DO_UNVERIFIED, DO_REFUSE, DO_WITHDRAW */
	int64_t at;
	const char *source;
};

/* A row validated and waiting for its write: everything steps 2 and 3 of sk_import_row
 * need. In deferred mode its strings live in the batch's arena until the batch is written. */
struct pend {
	uint8_t key[SK_HASH_LEN]; /* the sort key: email_key */
	size_t seq;               /* file order within the batch (a stable sort) */
	int found;
	char id[SK_ID_LEN + 1];   /* the contact, when found */
	const char *email;        /* as in the file (for a new contact, immediate mode) */
	const char *written;      /* its written form (for a new contact, deferred mode) */
	const char *evidence_json;
	const struct sk_field_value *keep;
	size_t nkeep;
	const struct act *acts;   /* in the order they are written: gives, then refusals */
	size_t nacts;
};

/* The batch arena: chunks that never move, freed together when the batch is written. */
struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};
#define CHUNK_BYTES (1024 * 1024)

/* Addresses seen in this file: 64 bits of their keyed hash, open addressing. */
struct sk_import {
	struct sk_core *core;
	int dry_run;
	uint64_t *slot;
	size_t nslots, nused;
	/* deferred mode (sk_import_set_deferred): the batch's validated rows */
	int deferred;
	struct pend *pend;
	size_t npend, cappend;
	struct chunk *chunks;
	size_t bytes;            /* arena and pend array, for sk_import_pending_bytes */
};

int sk_import_new(struct sk_core *c, int dry_run, struct sk_import **out)
{
	struct sk_import *im = sk_calloc(1, sizeof(*im));
	if (!im)
		return SK_ERR_NOMEM;
	im->core = c;
	im->dry_run = dry_run;
	im->nslots = 1024;
	if (!(im->slot = sk_calloc(im->nslots, sizeof(uint64_t)))) {
		sk_free(im);
		return SK_ERR_NOMEM;
	}
	*out = im;
	return 0;
}

static void pend_clear(struct sk_import *im)
{
	for (struct chunk *k = im->chunks, *nx; k; k = nx) {
		nx = k->next;
		sk_vault_wipe(k->data, k->used); /* addresses and field values */
		sk_free(k);
	}
	im->chunks = NULL;
	im->npend = 0;
	im->bytes = im->cappend * sizeof(struct pend);
}

void sk_import_free(struct sk_import *im)
{
	if (!im)
		return;
	pend_clear(im);
	sk_free(im->pend);
	sk_free(im->slot);
	sk_free(im);
}

void sk_import_set_deferred(struct sk_import *im, int deferred)
{
	im->deferred = deferred;
}

size_t sk_import_pending(const struct sk_import *im)
{
	return im->npend;
}

size_t sk_import_pending_bytes(const struct sk_import *im)
{
	return im->bytes;
}

/* n bytes from the arena, aligned for any member; NULL when out of memory. */
static void *arena_alloc(struct sk_import *im, size_t n)
{
	struct chunk *k = im->chunks;
	n = (n + 15) & ~(size_t)15;
	if (!k || k->cap - k->used < n) {
		size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
		if (!(k = sk_malloc(sizeof(*k) + cap)))
			return NULL;
		k->next = im->chunks;
		k->used = 0;
		k->cap = cap;
		im->chunks = k;
		im->bytes += sizeof(*k) + cap;
	}
	void *p = k->data + k->used;
	k->used += n;
	return p;
}

static const char *arena_str(struct sk_import *im, const char *s)
{
	size_t n = strlen(s ? s : "") + 1;
	char *p = arena_alloc(im, n);
	if (p)
		memcpy(p, s ? s : "", n);
	return p;
}

/* Copies p (pointing into the caller's row) into the batch: SK_ERR_NOMEM or 0. */
static int pend_add(struct sk_import *im, const struct pend *p)
{
	struct pend q = *p;
	q.email = NULL; /* the written form and the key are what the write needs */
	if (im->npend == im->cappend) {
		size_t n = im->cappend ? 2 * im->cappend : 1024;
		struct pend *a = sk_realloc(im->pend, n * sizeof(*a));
		if (!a)
			return SK_ERR_NOMEM;
		im->bytes += (n - im->cappend) * sizeof(*a);
		im->pend = a;
		im->cappend = n;
	}
	struct sk_field_value *keep = p->nkeep ? arena_alloc(im, p->nkeep * sizeof(*keep)) : NULL;
	struct act *acts = p->nacts ? arena_alloc(im, p->nacts * sizeof(*acts)) : NULL;
	if ((p->nkeep && !keep) || (p->nacts && !acts) ||
	    !(q.written = arena_str(im, p->written)) ||
	    (p->evidence_json && !(q.evidence_json = arena_str(im, p->evidence_json))))
		return SK_ERR_NOMEM;
	for (size_t i = 0; i < p->nkeep; i++)
		if (!(keep[i].name = arena_str(im, p->keep[i].name)) ||
		    !(keep[i].value = arena_str(im, p->keep[i].value)))
			return SK_ERR_NOMEM;
	for (size_t i = 0; i < p->nacts; i++) {
		acts[i] = p->acts[i];
		if (!(acts[i].purpose = arena_str(im, p->acts[i].purpose)) ||
		    !(acts[i].source = arena_str(im, p->acts[i].source)))
			return SK_ERR_NOMEM;
	}
	q.keep = keep;
	q.acts = acts;
	q.seq = im->npend;
	im->pend[im->npend++] = q;
	return 0;
}

void sk_import_set_dry_run(struct sk_import *im, int dry_run)
{
	im->dry_run = dry_run;
}

static uint64_t key64(const uint8_t key[SK_HASH_LEN])
{
	uint64_t h;
	memcpy(&h, key, sizeof(h));
	return h ? h : 1; /* 0 marks an empty slot */
}

/* Inserts h; 1 when it was there already, 0 when added, SK_ERR_NOMEM. */
static int seen_add(struct sk_import *im, uint64_t h)
{
	if (2 * (im->nused + 1) > im->nslots) {
		size_t n = im->nslots * 2;
		uint64_t *s = sk_calloc(n, sizeof(uint64_t));
		if (!s)
			return SK_ERR_NOMEM;
		for (size_t i = 0; i < im->nslots; i++) {
			if (!im->slot[i])
				continue;
			size_t j = im->slot[i] & (n - 1);
			while (s[j])
				j = (j + 1) & (n - 1);
			s[j] = im->slot[i];
		}
		sk_free(im->slot);
		im->slot = s;
		im->nslots = n;
	}
	size_t j = h & (im->nslots - 1);
	while (im->slot[j]) {
		if (im->slot[j] == h)
			return 1;
		j = (j + 1) & (im->nslots - 1);
	}
	im->slot[j] = h;
	im->nused++;
	return 0;
}

void sk_import_mark_seen(struct sk_import *im, const char *email)
{
	uint8_t key[SK_HASH_LEN];
	if (email && sk__email_key(im->core, email, key, NULL) == 0)
		(void)seen_add(im, key64(key));
}

static int is_blank(const char *s)
{
	size_t n = 0;
	return !s || (sk_trim(s, &n), n == 0);
}

int sk_import_yesno(const char *v)
{
	static const char *const yes[] = {"yes", "ja", "true", "1", "y"};
	static const char *const no[] = {"no", "nej", "false", "0", "n"};
	size_t n;
	if (is_blank(v))
		return -1;
	v = sk_trim(v, &n);
	for (size_t i = 0; i < 5; i++) {
		if (strlen(yes[i]) == n && strncasecmp(v, yes[i], n) == 0)
			return 1;
		if (strlen(no[i]) == n && strncasecmp(v, no[i], n) == 0)
			return 0;
	}
	return -2;
}

int sk_import_date(const char *v, int64_t *out)
{
	char buf[40];
	size_t n;
	v = sk_trim(v, &n);
	if (n == 0 || n >= sizeof(buf))
		return SK_ERR_INVALID;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return sk_time_parse_human(buf, out); /* RFC 3339, or a date and time in UTC */
}

/* A consent cell parsed and checked. */
struct cell {
	int yes;          /* 1, 0, -1 (nothing) */
	int64_t at;       /* 0: none */
	char source[SOURCE_MAX + 1];
};

static int cell_parse(const struct sk_import_consent *ic, int64_t now, struct cell *out,
		      const char **column)
{
	memset(out, 0, sizeof(*out));
	out->yes = sk_import_yesno(ic->value);
	if (out->yes == -2) {
		*column = ic->value_col;
		return SK_REJ_INVALID;
	}
	if (!is_blank(ic->at) && (sk_import_date(ic->at, &out->at) || out->at > now + SK__FUTURE_SLACK ||
				  out->at <= 0)) {
		*column = ic->at_col;
		return SK_REJ_INVALID;
	}
	if (!is_blank(ic->source)) {
		size_t n;
		const char *s = sk_trim(ic->source, &n);
		for (size_t i = 0; i < n && n <= SOURCE_MAX; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				n = SOURCE_MAX + 1; /* no control characters in a source */
		if (n > SOURCE_MAX) {
			*column = ic->source_col;
			return SK_REJ_INVALID;
		}
		memcpy(out->source, s, n);
		out->source[n] = '\0';
	}
	return SK_REJ_NONE;
}

enum { DO_NOTHING, DO_GIVE, DO_UNVERIFIED, DO_REFUSE, DO_WITHDRAW };

/* What a cell does to the current state (st NULL: none). An import never turns a refusal or
 * a withdrawal back into a consent, and never replaces a consent by an older or unproven
 * one; an opt-out always applies. */
static int decide(const struct cell *cl, const struct sk_state_rec *st)
{
	int s = st ? sk_status_from_name(st->status) : SK_ST_UNKNOWN;
	if (cl->yes < 0)
		return DO_NOTHING;
	if (cl->yes == 0) {
		if (s == SK_ST_REFUSED || s == SK_ST_WITHDRAWN)
			return DO_NOTHING;
		return s == SK_ST_GIVEN || s == SK_ST_PENDING ? DO_WITHDRAW : DO_REFUSE;
	}
	if (!cl->at || !cl->source[0])
		return s == SK_ST_UNKNOWN ? DO_UNVERIFIED : DO_NOTHING;
	switch (s) {
	case SK_ST_REFUSED:
	case SK_ST_WITHDRAWN:
		return DO_NOTHING;
	case SK_ST_GIVEN:
	case SK_ST_PENDING:
		return st->updated_at >= cl->at ? DO_NOTHING : DO_GIVE;
	default:
		return DO_GIVE;
	}
}

#define MAX_CONSENTS 64
#define MAX_FIELDS 64

/* The row consents to the purpose of cell i: a yes that the import records (given or
 * unverified), or one that meets a consent already live. A yes against a refusal or a
 * withdrawal does not count: the import leaves those as they are. */
static int consents_to(const struct cell *cl, int what, const struct sk_state_rec *st,
		       int64_t now)
{
	if (cl->yes != 1)
		return 0;
	if (what == DO_GIVE || what == DO_UNVERIFIED)
		return 1;
	if (what != DO_NOTHING || !st)
		return 0;
	enum sk_status s = sk_state_effective(st, now);
	return s == SK_ST_GIVEN || s == SK_ST_PENDING || s == SK_ST_UNVERIFIED;
}

static int purpose_needs(const struct sk_purpose *p, const char *field)
{
	for (size_t k = 0; p && k < p->nfields; k++)
		if (strcmp(p->fields[k], field) == 0)
			return 1;
	return 0;
}

/* Writes one validated row: the contact (new, or its kept fields), then its consents. */
static int apply(struct sk_import *im, const struct pend *p, struct sk_errctx *err)
{
	struct sk_core *c = im->core;
	char id[SK_ID_LEN + 1];
	int rc;

	if (p->found) {
		sk_strlcpy(id, p->id, sizeof(id));
		if (p->nkeep && (rc = sk_contact_edit(c, id, p->keep, p->nkeep, "import", err)))
			return rc;
	} else if (p->written) { /* deferred: looked up in this batch, in file order */
		if ((rc = sk__contact_add_checked(c, p->written, p->key, p->keep, p->nkeep, id,
						  err)))
			return rc;
	} else if ((rc = sk_contact_add(c, p->email, p->keep, p->nkeep, id, err))) {
		return rc;
	}
	for (size_t i = 0; i < p->nacts; i++) {
		const struct act *a = &p->acts[i];
		struct sk_consent_req req = {
			.contact_id = id,
			.purpose = a->purpose,
			.method = sk_method_name(SK_METHOD_IMPORT),
			.actor = "import",
			.occurred_at = a->at,
			.source = a->source,
		};
		switch (a->what) {
		case DO_GIVE:
			req.action = SK_ACT_GIVE;
			req.evidence_json = p->evidence_json;
			break;
		case DO_UNVERIFIED:
			/* no date or no source: stored as unverified, never given */
			req.action = SK_ACT_GIVE;
			req.occurred_at = 0;
			req.source = "";
			break;
		default:
			req.action = a->what == DO_WITHDRAW ? SK_ACT_WITHDRAW : SK_ACT_REFUSE;
			break;
		}
		if ((rc = sk_consent_record(c, &req, NULL, err)))
			return rc;
	}
	return 0;
}

/* email_key order; rows of one key (never two in one file: the second is a duplicate) keep
 * their file order */
static int pend_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	int d = memcmp(x->key, y->key, SK_HASH_LEN);
	return d ? d : (x->seq > y->seq) - (x->seq < y->seq);
}

int sk_import_flush(struct sk_import *im, struct sk_errctx *err)
{
	int rc = 0;
	if (im->npend > 1)
		qsort(im->pend, im->npend, sizeof(*im->pend), pend_cmp);
	for (size_t i = 0; !rc && i < im->npend; i++)
		rc = apply(im, &im->pend[i], err);
	pend_clear(im);
	return rc;
}

int sk_import_row(struct sk_import *im, const struct sk_import_row *row,
		  struct sk_import_counts *counts, int *reason, const char **column,
		  struct sk_errctx *err)
{
	struct sk_core *c = im->core;
	struct sk__addr a;
	uint8_t key[SK_HASH_LEN];
	struct sk_gate_rec g;
	struct cell cells[MAX_CONSENTS];
	struct sk_state_rec st[MAX_CONSENTS];
	int has_st[MAX_CONSENTS], what[MAX_CONSENTS], wants[MAX_CONSENTS];
	struct sk_field_value keep[MAX_FIELDS];
	struct act acts[MAX_CONSENTS];
	char written[SK_EMAIL_MAX + 1];
	size_t nkeep = 0;
	long dropped = 0;
	int64_t now = sk_time_now();
	int rc;

	*reason = SK_REJ_NONE;
	*column = "";
	counts->rows++;
	if (row->nconsents > MAX_CONSENTS)
		return sk_errf(err, SK_ERR_TOO_LARGE, "at most %d consents per row", MAX_CONSENTS);
	if (row->nfields > MAX_FIELDS)
		return sk_errf(err, SK_ERR_TOO_LARGE, "at most %d fields per row", MAX_FIELDS);
	if ((rc = sk_core_need_policy(c, err)))
		return rc;

	/* 1. everything that can reject the row, before any write */
	rc = 0;
	if (is_blank(row->email) || (rc = sk__addr_parse(c, row->email, &a, NULL))) {
		if (rc == SK_ERR_NOMEM) /* not the row's fault: the import stops */
			return sk_errf(err, rc, "out of memory while canonicalising an address");
		*reason = SK_REJ_INVALID_EMAIL;
		*column = row->email_col;
		goto reject;
	}
	rc = sk__addr_lookup(c, &a, "", &g);
	memcpy(key, a.key, sizeof(key));
	memcpy(written, a.written, sizeof(written));
	sk__addr_wipe(&a);
	if (rc)
		return sk__store_err(err, rc, "looking up an address");
	if (g.suppressed) {
		*reason = SK_REJ_SUPPRESSED;
		*column = row->email_col;
		goto reject;
	}
	for (size_t i = 0; i < row->nfields; i++) {
		if (!sk_policy_field(c->policy, row->fields[i].name) ||
		    !sk_policy_field_needed(c->policy, row->fields[i].name) ||
		    strcmp(row->fields[i].name, "email") == 0) {
			*reason = SK_REJ_UNDECLARED_FIELD;
			*column = row->field_cols[i];
			goto reject;
		}
	}
	for (size_t i = 0; i < row->nconsents; i++) {
		if (!sk_policy_purpose(c->policy, row->consents[i].purpose))
			return sk_errf(err, SK_ERR_UNKNOWN_PURPOSE, "purpose '%.63s' is not in the policy",
				       row->consents[i].purpose);
		if ((*reason = cell_parse(&row->consents[i], now, &cells[i], column)))
			goto reject;
	}
	/* what each cell does to the state there is (reads only) */
	for (size_t i = 0; i < row->nconsents; i++) {
		has_st[i] = 0;
		if (g.found) {
			rc = sk_store_state_get(c->store, g.contact_id, row->consents[i].purpose,
						&st[i]);
			if (rc && rc != SK_ERR_NOT_FOUND)
				return sk__store_err(err, rc, "reading consent state");
			has_st[i] = rc == 0;
		}
		what[i] = decide(&cells[i], has_st[i] ? &st[i] : NULL);
		wants[i] = consents_to(&cells[i], what[i], has_st[i] ? &st[i] : NULL, now);
	}
	/* minimisation: the fields a purpose the row consents to (or one on another basis than
	 * consent) needs are kept and checked; the others are dropped unread */
	for (size_t i = 0; i < row->nfields; i++) {
		const char *name = row->fields[i].name;
		int needed = 0;
		for (size_t j = 0; j < row->nconsents && !needed; j++)
			needed = wants[j] && purpose_needs(sk_policy_purpose(c->policy,
									     row->consents[j].purpose),
							   name);
		for (size_t j = 0; j < c->policy->npurposes && !needed; j++)
			needed = c->policy->purposes[j].basis != SK_BASIS_CONSENT &&
				 purpose_needs(&c->policy->purposes[j], name);
		if (!needed) {
			dropped++;
			continue;
		}
		if (sk_policy_field_validate(sk_policy_field(c->policy, name), row->fields[i].value,
					     NULL)) {
			*reason = SK_REJ_INVALID;
			*column = row->field_cols[i];
			goto reject;
		}
		keep[nkeep++] = row->fields[i];
	}
	/* a duplicate is decided last, so that a rejected first copy does not hide a good one */
	if ((rc = seen_add(im, key64(key))) == 1) {
		*reason = SK_REJ_DUPLICATE;
		*column = row->email_col;
		goto reject;
	}
	if (rc)
		return sk_errf(err, rc, "out of memory");
	counts->fields_dropped += dropped;

	/* what the row writes: the contact, then its consents, gives first, then refusals, so
	 * that the clean-up after a refusal keeps the fields that the row's other consents need */
	struct pend pd = {.found = g.found, .email = row->email, .written = written,
			  .evidence_json = row->evidence_json, .keep = keep, .nkeep = nkeep,
			  .acts = acts};
	memcpy(pd.key, key, sizeof(key));
	if (g.found) {
		counts->updated++;
		sk_strlcpy(pd.id, g.contact_id, sizeof(pd.id));
	} else {
		counts->created++;
	}
	for (size_t k = 0; k < 2 * row->nconsents; k++) {
		size_t i = k % row->nconsents;
		if ((k < row->nconsents) != (what[i] == DO_GIVE || what[i] == DO_UNVERIFIED))
			continue;
		struct act *a = &acts[pd.nacts];
		*a = (struct act){.purpose = row->consents[i].purpose, .what = what[i],
				  .at = cells[i].at, .source = cells[i].source};
		switch (what[i]) {
		case DO_NOTHING:
			if (cells[i].yes >= 0)
				counts->unchanged++;
			continue;
		case DO_GIVE:
			counts->given++;
			break;
		case DO_UNVERIFIED:
			counts->unverified++;
			break;
		default:
			counts->refused++;
			break;
		}
		pd.nacts++;
	}
	if (im->dry_run)
		return 0;
	if (im->deferred) {
		rc = pend_add(im, &pd) ? sk_errf(err, SK_ERR_NOMEM, "out of memory") : 0;
	} else {
		pd.written = NULL;
		rc = apply(im, &pd, err);
	}
	sk_vault_wipe(written, sizeof(written));
	return rc;

reject:
	sk_vault_wipe(written, sizeof(written));
	counts->rejected++;
	return 0;
}

/* ---- the import record (in the store's meta table, key "import:<id>") ---- */

int sk_import_record_get(struct sk_core *c, const char *id, struct sk_import_counts *out,
			 int *done, int *found, struct sk_errctx *err)
{
	char key[160], v[256];
	struct sk_import_counts n = {0};
	int d = 0;
	snprintf(key, sizeof(key), "import:%.140s", id);
	int rc = sk_store_meta_get(c->store, key, v, sizeof(v));
	*found = 0;
	if (rc == SK_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return sk__store_err(err, rc, "reading the import record");
	/* nine numbers before fields_dropped was counted, ten since */
	if (sscanf(v, "%ld %ld %ld %ld %ld %ld %ld %ld %d %ld", &n.rows, &n.created, &n.updated,
		   &n.given, &n.unverified, &n.refused, &n.unchanged, &n.rejected, &d,
		   &n.fields_dropped) < 9)
		return sk_errf(err, SK_ERR_STORAGE, "the import record is damaged");
	*out = n;
	*done = d;
	*found = 1;
	return 0;
}

int sk_import_record_put(struct sk_core *c, const char *id, const struct sk_import_counts *n,
			 int done, struct sk_errctx *err)
{
	char key[160], v[256];
	snprintf(key, sizeof(key), "import:%.140s", id);
	snprintf(v, sizeof(v), "%ld %ld %ld %ld %ld %ld %ld %ld %d %ld", n->rows, n->created,
		 n->updated, n->given, n->unverified, n->refused, n->unchanged, n->rejected, done,
		 n->fields_dropped);
	int rc = sk_store_meta_set(c->store, key, v);
	return rc ? sk__store_err(err, rc, "storing the import record") : 0;
}

/* ---- paging through contacts (for exports) ---- */

struct page {
	char (*ids)[SK_ID_LEN + 1];
	size_t n;
};

static int page_add(void *arg, const struct sk_contact_rec *ct)
{
	struct page *p = arg;
	sk_strlcpy(p->ids[p->n++], ct->id, SK_ID_LEN + 1);
	return 0;
}

int sk_contact_page(struct sk_core *c, const char *after, long limit,
		    char (*ids)[SK_ID_LEN + 1], size_t *n, struct sk_errctx *err)
{
	struct page p = {ids, 0};
	int rc = sk_store_contact_each(c->store, after ? after : "", limit, page_add, &p);
	*n = p.n;
	return rc ? sk__store_err(err, rc, "listing contacts") : 0;
}

const char *sk_job_state_name(enum sk_job_state s)
{
	static const char *const names[] = {"queued", "running", "done", "failed"};
	return (unsigned)s < sizeof(names) / sizeof(*names) ? names[s] : "?";
}
