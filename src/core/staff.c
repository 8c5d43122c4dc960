/* staff.c: the console's staff: roles and what each may do (core.h, docs/console.md). */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

static const char *const role_names[] = {
#define SK__ROLE_NAME(n, s, sc) s,
	SK_ROLE_LIST(SK__ROLE_NAME)
#undef SK__ROLE_NAME
};

static const struct {
	const char *name;
	enum sk_role lowest;
} cans[] = {
#define SK__CAN_ROW(n, s, r) {s, SK_ROLE_##r},
	SK_CAN_LIST(SK__CAN_ROW)
#undef SK__CAN_ROW
};

const char *sk_role_name(enum sk_role r)
{
	return (unsigned)r < SK_ROLE_COUNT ? role_names[r] : "?";
}

int sk_role_parse(const char *s)
{
	for (int i = 0; s && i < SK_ROLE_COUNT; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

const char *sk_can_name(enum sk_can what)
{
	return (unsigned)what < SK_CAN_COUNT ? cans[what].name : "?";
}

int sk_role_may(enum sk_role role, enum sk_can what)
{
	return (unsigned)what < SK_CAN_COUNT && (unsigned)role < SK_ROLE_COUNT &&
	       role >= cans[what].lowest;
}

void sk_staff_actor(const struct sk_staff *who, char *out, size_t outlen)
{
	snprintf(out, outlen, "staff:%s", who->name);
}
