/* staff_audit_stub.c: TEMPORARY, until helper auth's sk_staff_audit (core.h) is on main:
 * audits nothing, so that branch admin links and its pages can be tried. Removed (this
 * commit reverted) when "console auth ready" is merged; never merge it into main. */
#include "core/core.h"

int sk_staff_audit(struct sk_core *c, const struct sk_staff *who, const char *action,
		   const char *target, const char *detail, struct sk_errctx *err)
{
	(void)c, (void)who, (void)action, (void)target, (void)detail, (void)err;
	return 0;
}
