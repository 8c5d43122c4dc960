/* vocab.h: the closed vocabularies of samtycke, each written once as an X-macro list (as
 * util/err.h does for errors): consent actions, statuses and methods, the gate's reasons, the
 * change types of the change feed, and the webhook event names. Each list generates its enum,
 * its name function and its parse function (core/vocab.c); tests/unit/test_openapi.c holds
 * the enums of docs/openapi.yaml equal to these lists. A new word is added here only. */
#ifndef SK_VOCAB_H
#define SK_VOCAB_H

#include <stddef.h>

/* Names are stored (ledger, state, change feed) and sent (API, webhooks): never rename one.
 * The order of each list is the order of its enum. */

/* Consent actions. client: 1 when a client may record it (API POST /v1/consents and the
 * `consent` commands); expire is recorded by samtycke itself.
 *        enum suffix  name        client */
#define SK_ACTION_LIST(X)                  \
	X(GIVE,      "give",      1)       \
	X(REFUSE,    "refuse",    1)       \
	X(WITHDRAW,  "withdraw",  1)       \
	X(CONFIRM,   "confirm",   1)       \
	X(EXPIRE,    "expire",    0)

/* Statuses of a (contact, purpose) consent state.
 *        enum suffix  name */
#define SK_STATUS_LIST(X)                  \
	X(UNKNOWN,     "unknown")          \
	X(PENDING,     "pending")          \
	X(GIVEN,       "given")            \
	X(REFUSED,     "refused")          \
	X(WITHDRAWN,   "withdrawn")        \
	X(EXPIRED,     "expired")          \
	X(UNVERIFIED,  "unverified")

/* Methods a consent may be recorded by. phrase: how the consent was collected, in words, as
 * a consent receipt's collectionMethod says it (docs/rights.md).
 *        enum suffix         name                   phrase */
#define SK_METHOD_LIST(X)                                                                         \
	X(FORM,              "form",                "Web form")                                   \
	X(PREFERENCE_CENTRE, "preference_centre",   "Preference centre")                          \
	X(IMPORT,            "import",              "Imported from another system")               \
	X(API,               "api",                 "Recorded by a connected system via the API") \
	X(CLI,               "cli",                 "Recorded by the controller's staff")         \
	X(MAIL_LINK,         "mail_link",           "Link in an e-mail")                          \
	X(ONE_CLICK,         "one_click",           "One-click unsubscribe in an e-mail") \
	X(PHONE,             "phone",               "Told to the controller's staff by phone") \
	X(PAPER,             "paper",               "Given on paper, recorded by the controller's staff") \
	X(BANNER,            "banner",              "The visitor banner of the web site")

/* The gate's reasons (struct sk_gate_result.reason). allowed: 1 for the reasons of an
 * allowed answer, 0 for those of a denied one.
 *        enum suffix            name                    allowed */
#define SK_REASON_LIST(X)                                          \
	X(CONSENT,              "consent",              1)         \
	X(LEGITIMATE_INTEREST,  "legitimate_interest",  1)         \
	X(CONTRACT,             "contract",             1)         \
	X(LEGAL_OBLIGATION,     "legal_obligation",     1)         \
	X(NO_CONSENT,           "no_consent",           0)         \
	X(REFUSED,              "refused",              0)         \
	X(WITHDRAWN,            "withdrawn",            0)         \
	X(EXPIRED,              "expired",              0)         \
	X(PENDING_CONFIRMATION, "pending_confirmation", 0)         \
	X(UNVERIFIED,           "unverified",           0)         \
	X(SUPPRESSED,           "suppressed",           0)         \
	X(ERASED,               "erased",               0)         \
	X(OBJECTED,             "objected",             0)         \
	X(UNKNOWN_PURPOSE,      "unknown_purpose",      0)         \
	X(INVALID_EMAIL,        "invalid_email",        0)         \
	X(ERROR,                "error",                0)

/* Types of the change feed (struct sk_change_rec.type).
 *        enum suffix     name */
#define SK_CHANGE_LIST(X)                        \
	X(CONSENT,       "consent")              \
	X(CONTACT,       "contact")              \
	X(ERASED,        "erased")               \
	X(UNSUPPRESSED,  "unsuppressed")         \
	X(SCORE,         "score")

/* Webhook events: the event a change is sent as. A change of type `change` is sent as the
 * event; for consent changes the new status must be `status` too (-1: any status).
 *        enum suffix          name                    change          status */
#define SK_EVENT_LIST(X)                                                                   \
	X(CONSENT_GIVEN,       "consent.given",        SK_CHG_CONSENT, SK_ST_GIVEN)       \
	X(CONSENT_WITHDRAWN,   "consent.withdrawn",    SK_CHG_CONSENT, SK_ST_WITHDRAWN)   \
	X(CONSENT_REFUSED,     "consent.refused",      SK_CHG_CONSENT, SK_ST_REFUSED)     \
	X(CONSENT_EXPIRED,     "consent.expired",      SK_CHG_CONSENT, SK_ST_EXPIRED)     \
	X(CONSENT_PENDING,     "consent.pending",      SK_CHG_CONSENT, SK_ST_PENDING)     \
	X(CONSENT_UNVERIFIED,  "consent.unverified",   SK_CHG_CONSENT, SK_ST_UNVERIFIED)  \
	X(CONTACT_CHANGED,     "contact.changed",      SK_CHG_CONTACT, -1)                \
	X(CONTACT_ERASED,      "contact.erased",       SK_CHG_ERASED, -1)                 \
	X(CONTACT_UNSUPPRESSED, "contact.unsuppressed", SK_CHG_UNSUPPRESSED, -1)         \
	X(SCORE_CHANGED,       "score.changed",        SK_CHG_SCORE, -1)

/* ---- the enums and their sizes ---- */

#define SK__VOCAB_COUNT2(sfx, name) +1
#define SK__VOCAB_COUNT3(sfx, name, a) +1
#define SK__VOCAB_COUNT4(sfx, name, a, b) +1

enum sk_action {
#define SK__X(sfx, name, client) SK_ACT_##sfx,
	SK_ACTION_LIST(SK__X)
#undef SK__X
};
enum sk_status {
#define SK__X(sfx, name) SK_ST_##sfx,
	SK_STATUS_LIST(SK__X)
#undef SK__X
	SK_ST_MISSING = -1, /* no state at all (replay's differences): no name, never stored */
};
enum sk_method {
#define SK__X(sfx, name, phrase) SK_METHOD_##sfx,
	SK_METHOD_LIST(SK__X)
#undef SK__X
};
enum sk_reason {
#define SK__X(sfx, name, allowed) SK_RSN_##sfx,
	SK_REASON_LIST(SK__X)
#undef SK__X
};
enum sk_change_type {
#define SK__X(sfx, name) SK_CHG_##sfx,
	SK_CHANGE_LIST(SK__X)
#undef SK__X
};
enum sk_event {
#define SK__X(sfx, name, change, status) SK_EVT_##sfx,
	SK_EVENT_LIST(SK__X)
#undef SK__X
};

enum {
	SK_NACTIONS = 0 SK_ACTION_LIST(SK__VOCAB_COUNT3),
	SK_NSTATUSES = 0 SK_STATUS_LIST(SK__VOCAB_COUNT2),
	SK_NMETHODS = 0 SK_METHOD_LIST(SK__VOCAB_COUNT3),
	SK_NREASONS = 0 SK_REASON_LIST(SK__VOCAB_COUNT3),
	SK_NCHANGES = 0 SK_CHANGE_LIST(SK__VOCAB_COUNT2),
	SK_NEVENTS = 0 SK_EVENT_LIST(SK__VOCAB_COUNT4),
};

/* ---- name and parse functions (core/vocab.c) ---- */
/* _name: the word of a value (NULL when out of range); _from_name: the value of a word, -1
 * when it is none of the list (or NULL). */

const char *sk_action_name(enum sk_action a);
int sk_action_from_name(const char *name);
/* 1 when a client may record action a (the list's client column). */
int sk_action_client(enum sk_action a);

const char *sk_status_name(enum sk_status s);
int sk_status_from_name(const char *name);

const char *sk_method_name(enum sk_method m);
int sk_method_from_name(const char *name);
/* 1 when name is one of the methods. */
int sk_method_valid(const char *name);
/* The list's phrase column: how a consent was collected, in words (NULL when out of range). */
const char *sk_method_phrase(enum sk_method m);

const char *sk_reason_name(enum sk_reason r);
int sk_reason_from_name(const char *name);
/* 1 when r is a reason of an allowed answer. */
int sk_reason_allowed(enum sk_reason r);

const char *sk_change_type_name(enum sk_change_type t);
int sk_change_type_from_name(const char *name);

const char *sk_event_name(enum sk_event e);
int sk_event_from_name(const char *name);
/* The same for the len bytes at name (not NUL-terminated). */
int sk_event_from_namen(const char *name, size_t len);
/* The change type an event is about, and the status it needs (-1: any). */
enum sk_change_type sk_event_change(enum sk_event e);
int sk_event_status(enum sk_event e);

#endif
