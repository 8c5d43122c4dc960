/* vocab.c: the name and parse functions of the closed vocabularies, generated from the
 * X-macro lists of core/vocab.h: one table of words per list, looked up by index and by
 * name. */
#include "core/vocab.h"

#include <string.h>

static const char *const action_names[] = {
#define SK__X(sfx, name, client) [SK_ACT_##sfx] = name,
	SK_ACTION_LIST(SK__X)
#undef SK__X
};
static const unsigned char action_client[] = {
#define SK__X(sfx, name, client) [SK_ACT_##sfx] = client,
	SK_ACTION_LIST(SK__X)
#undef SK__X
};
static const char *const status_names[] = {
#define SK__X(sfx, name) [SK_ST_##sfx] = name,
	SK_STATUS_LIST(SK__X)
#undef SK__X
};
static const char *const method_names[] = {
#define SK__X(sfx, name, phrase) [SK_METHOD_##sfx] = name,
	SK_METHOD_LIST(SK__X)
#undef SK__X
};
static const char *const method_phrases[] = {
#define SK__X(sfx, name, phrase) [SK_METHOD_##sfx] = phrase,
	SK_METHOD_LIST(SK__X)
#undef SK__X
};
static const char *const reason_names[] = {
#define SK__X(sfx, name, allowed) [SK_RSN_##sfx] = name,
	SK_REASON_LIST(SK__X)
#undef SK__X
};
static const unsigned char reason_allowed[] = {
#define SK__X(sfx, name, allowed) [SK_RSN_##sfx] = allowed,
	SK_REASON_LIST(SK__X)
#undef SK__X
};
static const char *const change_names[] = {
#define SK__X(sfx, name) [SK_CHG_##sfx] = name,
	SK_CHANGE_LIST(SK__X)
#undef SK__X
};
static const struct {
	const char *name;
	enum sk_change_type change;
	int status;
} events[] = {
#define SK__X(sfx, name, change, status) [SK_EVT_##sfx] = {name, change, status},
	SK_EVENT_LIST(SK__X)
#undef SK__X
};

/* The index of the len bytes at name in names[0..n), -1 when none. */
static int find(const char *const *names, int n, const char *name, size_t len)
{
	for (int i = 0; name && i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return i;
	return -1;
}

static int find_str(const char *const *names, int n, const char *name)
{
	return name ? find(names, n, name, strlen(name)) : -1;
}

static const char *at(const char *const *names, int n, int i)
{
	return i >= 0 && i < n ? names[i] : NULL;
}

const char *sk_action_name(enum sk_action a) { return at(action_names, SK_NACTIONS, (int)a); }
int sk_action_from_name(const char *name) { return find_str(action_names, SK_NACTIONS, name); }
int sk_action_client(enum sk_action a)
{
	return (int)a >= 0 && (int)a < SK_NACTIONS && action_client[a];
}

const char *sk_status_name(enum sk_status s) { return at(status_names, SK_NSTATUSES, (int)s); }
int sk_status_from_name(const char *name) { return find_str(status_names, SK_NSTATUSES, name); }

const char *sk_method_name(enum sk_method m) { return at(method_names, SK_NMETHODS, (int)m); }
int sk_method_from_name(const char *name) { return find_str(method_names, SK_NMETHODS, name); }
int sk_method_valid(const char *name) { return sk_method_from_name(name) >= 0; }
const char *sk_method_phrase(enum sk_method m) { return at(method_phrases, SK_NMETHODS, (int)m); }

const char *sk_reason_name(enum sk_reason r) { return at(reason_names, SK_NREASONS, (int)r); }
int sk_reason_from_name(const char *name) { return find_str(reason_names, SK_NREASONS, name); }
int sk_reason_allowed(enum sk_reason r)
{
	return (int)r >= 0 && (int)r < SK_NREASONS && reason_allowed[r];
}

const char *sk_change_type_name(enum sk_change_type t)
{
	return at(change_names, SK_NCHANGES, (int)t);
}
int sk_change_type_from_name(const char *name)
{
	return find_str(change_names, SK_NCHANGES, name);
}

const char *sk_event_name(enum sk_event e)
{
	return (int)e >= 0 && (int)e < SK_NEVENTS ? events[e].name : NULL;
}
int sk_event_from_namen(const char *name, size_t len)
{
	for (int i = 0; name && i < SK_NEVENTS; i++)
		if (strlen(events[i].name) == len && memcmp(events[i].name, name, len) == 0)
			return i;
	return -1;
}
int sk_event_from_name(const char *name)
{
	return name ? sk_event_from_namen(name, strlen(name)) : -1;
}
enum sk_change_type sk_event_change(enum sk_event e) { return events[e].change; }
int sk_event_status(enum sk_event e) { return events[e].status; }
