/* visitor_stub.c: TEMP stand-in for helper visitor's sk_visitor_given and sk_visitor_contact
 * (core/visitor.c), so that branch track links before "visitor ready" is merged: nothing is
 * given, no visitor is tied (fail closed). Delete this file (and its line in meson.build)
 * when core/visitor.c is on the branch; never merge it on its own. */
#include "core/core_int.h"

int sk_visitor_given(struct sk_core *c, const char *visitor_id, const char *purpose,
		     int64_t now, int *given, struct sk_errctx *err)
{
	(void)c, (void)visitor_id, (void)purpose, (void)now, (void)err;
	*given = 0;
	return 0;
}

int sk_visitor_contact(struct sk_core *c, const char *visitor_id, char *contact_id,
		       struct sk_errctx *err)
{
	(void)c, (void)visitor_id, (void)err;
	contact_id[0] = '\0';
	return 0;
}
