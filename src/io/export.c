/* export.c: every contact with the gate's answer for one purpose and its declared fields,
 * as RFC 4180 CSV (exact by default; for a spreadsheet, cells that it would run as a formula
 * are defused with a leading ' and a BOM goes first) or as NDJSON; streamed page by page
 * inside one read snapshot. --allowed-only walks the state index (sk_gate_candidates) and
 * opens only the contacts the gate may allow. */
#include <jansson.h>
#include <string.h>

#include "io/io.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "vault/vault.h"

#define PAGE 500

static int csv_cell(FILE *out, const char *s, int sheet)
{
	int quote = 0, formula;
	size_t len;
	if (!s)
		s = "";
	len = strlen(s);
	formula = sheet && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
			    s[0] == '\t' || s[0] == '\r');
	/* leading or trailing blanks are quoted: an unquoted cell is read back trimmed */
	quote = len && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t');
	for (const char *p = s; *p && !quote; p++)
		quote = *p == ',' || *p == '"' || *p == '\n' || *p == '\r' || *p == ';';
	if (quote && fputc('"', out) == EOF)
		return SK_ERR_IO;
	if (formula && fputc('\'', out) == EOF)
		return SK_ERR_IO;
	for (const char *p = s; *p; p++) {
		if (*p == '"' && fputc('"', out) == EOF)
			return SK_ERR_IO;
		if (fputc(*p, out) == EOF)
			return SK_ERR_IO;
	}
	if (quote && fputc('"', out) == EOF)
		return SK_ERR_IO;
	return 0;
}

int sk_csv_cell(FILE *out, const char *s)
{
	return csv_cell(out, s, 0);
}

int sk_csv_cell_sheet(FILE *out, const char *s)
{
	return csv_cell(out, s, 1);
}

static const char *field_of(const struct sk_contact *ct, const char *name)
{
	for (size_t i = 0; i < ct->nfields; i++)
		if (strcmp(ct->fields[i].name, name) == 0)
			return ct->fields[i].value;
	return NULL;
}

/* The address as the person or the CRM wrote it is the contact's "email" field; its canonical
 * form (the key it is found under) goes beside it, "" (CSV) or null (NDJSON) for an address
 * stored before canonical form version 2 that the rules now refuse. */
static const char *canonical_of(const char *email, char out[SK_EMAIL_MAX + 1])
{
	return email && sk_email_canonical(email, out, NULL) == 0 ? out : NULL;
}

/* The score column (helper track): the stored score only with sales_followup given. */
struct score_cell {
	int has;
	int64_t score;
};

static int write_csv(FILE *out, const struct sk_policy *pol, const struct sk_contact *ct,
		     const char *email, const char *canon, const struct sk_gate_result *g, int sheet,
		     const struct score_cell *sc)
{
	/* every cell through cellf: exact, or escaped for a spreadsheet */
	int (*cellf)(FILE *, const char *) = sheet ? sk_csv_cell_sheet : sk_csv_cell;
	int rc = cellf(out, ct->id);
	if (!rc && fputc(',', out) == EOF)
		rc = SK_ERR_IO;
	if (!rc)
		rc = cellf(out, email);
	if (!rc && fputc(',', out) == EOF)
		rc = SK_ERR_IO;
	if (!rc)
		rc = cellf(out, canon);
	if (!rc && fprintf(out, ",%s,%s", g->allowed ? "true" : "false",
			   sk_reason_name(g->reason)) < 0)
		rc = SK_ERR_IO;
	for (size_t i = 0; !rc && i < pol->nfields; i++) {
		if (strcmp(pol->fields[i].name, "email") == 0)
			continue;
		if (fputc(',', out) == EOF)
			rc = SK_ERR_IO;
		else
			rc = cellf(out, field_of(ct, pol->fields[i].name));
	}
	if (!rc && (sc->has ? fprintf(out, ",%lld", (long long)sc->score) : fputc(',', out)) < 0)
		rc = SK_ERR_IO;
	if (!rc && fputs("\r\n", out) == EOF)
		rc = SK_ERR_IO;
	return rc;
}

static int write_ndjson(FILE *out, const char *purpose, const struct sk_contact *ct,
			const char *email, const char *canon, const struct sk_gate_result *g,
			const struct score_cell *sc)
{
	json_t *f = json_object(), *o;
	for (size_t i = 0; f && i < ct->nfields; i++)
		if (strcmp(ct->fields[i].name, "email") != 0)
			json_object_set_new(f, ct->fields[i].name, json_string(ct->fields[i].value));
	/* an address not valid UTF-8 (stored before version 2) is null, not the end of the export */
	o = json_pack("{s:s,s:o?,s:s?,s:s,s:b,s:s,s:o,s:o}", "id", ct->id, "email",
		      json_string(email), "email_canonical", canon, "purpose", purpose, "allowed",
		      g->allowed, "reason", sk_reason_name(g->reason), "fields", f, "score",
		      sc->has ? json_integer(sc->score) : json_null());
	if (!o)
		return SK_ERR_NOMEM;
	int rc = json_dumpf(o, out, JSON_COMPACT) || fputc('\n', out) == EOF ? SK_ERR_IO : 0;
	json_decref(o);
	return rc;
}

int sk_export_contacts(struct sk_core *c, const char *purpose, enum sk_export_format fmt,
		       int allowed_only, FILE *out, long *n, struct sk_errctx *err)
{
	char (*ids)[SK_ID_LEN + 1] = NULL;
	struct sk_gate_candidate *cands = NULL;
	char after[SK_ID_LEN + 1] = "";
	int64_t now = sk_time_now();
	size_t got;
	int rc, all = 1;

	*n = 0;
	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	if (!sk_policy_purpose(sk_core_policy(c), purpose))
		return sk_errf(err, SK_ERR_UNKNOWN_PURPOSE, "purpose '%.63s' is not in the policy",
			       purpose);
	if (!(ids = sk_calloc(PAGE, sizeof(*ids))) ||
	    (allowed_only && !(cands = sk_calloc(PAGE, sizeof(*cands))))) {
		sk_free(ids);
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	}
	if ((rc = sk_core_read_begin(c, err))) {
		sk_free(ids);
		sk_free(cands);
		return rc;
	}
	if (fmt == SK_EXPORT_CSV_SPREADSHEET)
		fputs("\xEF\xBB\xBF", out); /* a BOM, so that Excel reads UTF-8 */
	if (fmt != SK_EXPORT_NDJSON) {
		fputs("id,email,email_canonical,allowed,reason", out);
		for (size_t i = 0; i < sk_core_policy(c)->nfields; i++)
			if (strcmp(sk_core_policy(c)->fields[i].name, "email") != 0)
				fprintf(out, ",%s", sk_core_policy(c)->fields[i].name);
		fputs(",score\r\n", out);
	}
	do {
		/* --allowed-only: the candidates from the state index, when the basis allows
		 * only a given consent; every contact otherwise. The gate decides each: for a
		 * candidate from the state it has already read in this snapshot
		 * (sk_gate_check_candidate), otherwise by its own lookup. */
		if (allowed_only &&
		    (rc = sk_gate_candidates(c, purpose, after, PAGE, cands, &got, &all, err)))
			break;
		if (all && (rc = sk_contact_page(c, after, PAGE, ids, &got, err)))
			break;
		for (size_t i = 0; !rc && i < got; i++) {
			struct sk_contact ct;
			struct sk_gate_result g;
			char canon_buf[SK_EMAIL_MAX + 1];
			const char *canon;
			const char *id = all ? ids[i] : cands[i].state.contact_id;
			rc = all ? sk_contact_get_by_id(c, id, &ct, err)
				 : sk_contact_fields_by_id(c, id, &ct, err);
			if (rc) {
				if (rc == SK_ERR_NOT_FOUND) { /* erased meanwhile */
					rc = 0;
					continue;
				}
				break;
			}
			const char *email = field_of(&ct, "email");
			if (all) {
				sk_gate_check(c, email ? email : "", purpose, now, &g);
				canon = canonical_of(email, canon_buf);
			} else {
				sk_gate_check_candidate(c, &cands[i], email ? email : "", purpose, now,
							&g, canon_buf);
				canon = canon_buf[0] ? canon_buf : NULL;
			}
			struct score_cell sc = {0};
			if ((!allowed_only || g.allowed) &&
			    (rc = sk_score_shared(c, id, email, now, &sc.has, &sc.score, err))) {
				sk_contact_reset(&ct);
				break;
			}
			if (!allowed_only || g.allowed) {
				rc = fmt != SK_EXPORT_NDJSON
					     ? write_csv(out, sk_core_policy(c), &ct, email, canon, &g,
							 fmt == SK_EXPORT_CSV_SPREADSHEET, &sc)
					     : write_ndjson(out, purpose, &ct, email ? email : "", canon,
							    &g, &sc);
				if (rc)
					sk_errf(err, rc, "writing the export");
				else
					(*n)++;
			}
			sk_contact_reset(&ct);
		}
		if (got)
			memcpy(after, all ? ids[got - 1] : cands[got - 1].state.contact_id,
			       sizeof(after));
	} while (!rc && got == PAGE);
	sk_core_read_end(c);
	sk_free(ids);
	sk_free(cands);
	if (!rc && fflush(out))
		rc = sk_errf(err, SK_ERR_IO, "writing the export");
	return rc;
}
