/* audience.c: a campaign audience (the console's "Audiences" page, docs/console.md): for one
 * purpose, every contact asked of the gate at one moment and in one read snapshot, counted
 * as allowed or by the reason the gate excludes it. The allowed list itself is the export's
 * (io/export.c, sk_export_contacts with allowed_only). */
#include <string.h>

#include "core/core.h"
#include "core/import.h"
#include "core/policy.h"
#include "util/mem.h"

#define PAGE 500

static const char *email_of(const struct sk_contact *ct)
{
	for (size_t i = 0; i < ct->nfields; i++)
		if (strcmp(ct->fields[i].name, "email") == 0)
			return ct->fields[i].value;
	return NULL;
}

int sk_audience(struct sk_core *c, const char *purpose, int64_t now, struct sk_audience *out,
		struct sk_errctx *err)
{
	return sk_audience_walk(c, purpose, now, NULL, NULL, out, err);
}

int sk_audience_walk(struct sk_core *c, const char *purpose, int64_t now, sk_audience_visit visit,
		     void *arg, struct sk_audience *out, struct sk_errctx *err)
{
	struct sk_audience a = {.at = now};
	char (*ids)[SK_ID_LEN + 1] = NULL;
	char after[SK_ID_LEN + 1] = "";
	size_t got = 0;
	int rc;

	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	if (!purpose || !sk_policy_purpose(sk_core_policy(c), purpose))
		return sk_errf(err, SK_ERR_UNKNOWN_PURPOSE, "that purpose is not in the policy");
	if (!(ids = sk_calloc(PAGE, sizeof(*ids))))
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	if ((rc = sk_core_read_begin(c, err))) {
		sk_free(ids);
		return rc;
	}
	do {
		if ((rc = sk_contact_page(c, after, PAGE, ids, &got, err)))
			break;
		for (size_t i = 0; !rc && i < got; i++) {
			struct sk_contact ct;
			struct sk_gate_result g;
			rc = sk_contact_fields_by_id(c, ids[i], &ct, err);
			if (rc == SK_ERR_NOT_FOUND) { /* erased meanwhile: no longer a contact */
				rc = 0;
				continue;
			}
			if (rc)
				break;
			const char *email = email_of(&ct);
			sk_gate_check(c, email ? email : "", purpose, now, &g);
			int out_of_segment = 0;
			if (g.allowed && visit) {
				int v = visit(arg, &ct, email ? email : "", &g);
				out_of_segment = v == SK_AUDIENCE_OUTSIDE;
				if (v && !out_of_segment) {
					rc = v;
					if (!err->msg[0])
						sk_errf(err, rc, "choosing the audience");
					sk_contact_reset(&ct);
					break;
				}
			}
			sk_contact_reset(&ct);
			a.contacts++;
			a.allowed += g.allowed && !out_of_segment;
			a.segment += out_of_segment;
			if ((unsigned)g.reason < SK_NREASONS && !out_of_segment)
				a.by_reason[g.reason]++;
		}
		if (got)
			memcpy(after, ids[got - 1], sizeof(after));
	} while (!rc && got == PAGE);
	sk_core_read_end(c);
	sk_free(ids);
	if (!rc)
		*out = a;
	return rc;
}
