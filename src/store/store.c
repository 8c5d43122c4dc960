/* store.c: the sk_store_* wrappers, generated from SK_STORE_METHOD_LIST; the only way the
 * rest of samtycke calls a storage backend. */
#include "store/store.h"

#include "util/err.h"

#define SK__STORE_WRAPPER(name, params, args)                     \
	int sk_store_##name params                                \
	{                                                         \
		if (!s || !s->m || !s->m->name)                   \
			return SK_ERR_STORAGE;                    \
		return s->m->name args;                           \
	}
SK_STORE_METHOD_LIST(SK__STORE_WRAPPER)
#undef SK__STORE_WRAPPER

void sk_store_close(struct sk_store *s)
{
	if (s && s->m && s->m->close)
		s->m->close(s);
}
