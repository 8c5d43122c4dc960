/* staff_stub.c: TEMP stub of sk_staff_audit so that branch person builds and its unit tests
 * run before helper auth's implementation lands on main. Reverted before merging; never
 * merge. */
#include "core/core.h"

int sk_staff_audit(struct sk_core *c, const struct sk_staff *who, const char *action,
		   const char *target, const char *detail, struct sk_errctx *err)
{
	(void)c, (void)who, (void)action, (void)target, (void)detail, (void)err;
	return 0;
}
