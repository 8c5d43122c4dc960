/* err.h: the one table of error codes. Each code has a stable number, a name that the
 * HTTP API and --json output use, the HTTP status it maps to, and a default message.
 * Codes are never renumbered or reused; retired codes stay as SK_ERR_OBSOLETE_n. */
#ifndef SK_ERR_H
#define SK_ERR_H

#include <stdarg.h>

/*        enum suffix       number name                  http message */
#define SK_ERROR_MAP(X)                                                                   \
	X(OK,                0, "ok",                   200, "success")                        \
	X(NOMEM,             1, "out_of_memory",        503, "out of memory")                  \
	X(USAGE,             2, "usage",                400, "bad usage")                      \
	X(INVALID,           3, "invalid",              422, "invalid input")                  \
	X(NOT_FOUND,         4, "not_found",            404, "not found")                      \
	X(EXISTS,            5, "exists",               409, "already exists")                 \
	X(UNDECLARED_FIELD,  6, "undeclared_field",     422, "field is not declared by any purpose") \
	X(INVALID_EMAIL,     7, "invalid_email",        422, "invalid e-mail address")         \
	X(UNKNOWN_PURPOSE,   8, "unknown_purpose",      422, "unknown purpose")                \
	X(POLICY,            9, "policy_invalid",       422, "invalid policy")                 \
	X(NO_POLICY,        10, "no_policy",            409, "no policy has been applied")     \
	X(STORAGE,          11, "storage_error",        500, "storage error")                  \
	X(CRYPTO,           12, "crypto_error",         500, "cryptographic failure")          \
	X(KEY,              13, "key_error",            500, "master key missing or wrong")    \
	X(IO,               14, "io_error",             500, "input/output error")             \
	X(CHAIN_BROKEN,     15, "chain_broken",         500, "ledger hash chain is broken")    \
	X(STATE_MISMATCH,   16, "state_mismatch",       500, "stored state differs from the ledger") \
	X(TOO_LARGE,        17, "too_large",            413, "input too large")                \
	X(SUPPRESSED,       18, "suppressed",           409, "address is on the suppression list") \
	X(NOT_INITIALISED,  19, "not_initialised",      500, "database is not initialised")    \
	X(BUSY,             20, "busy",                 503, "storage busy")                   \
	X(UNAUTHORIZED,     21, "unauthorized",         401, "missing, unknown or revoked API key") \
	X(FORBIDDEN,        22, "forbidden",            403, "the API key lacks the scope for this route") \
	X(BAD_JSON,         23, "bad_json",             400, "malformed JSON")                 \
	X(TOO_DEEP,         24, "too_deep",             400, "JSON nested too deeply")         \
	X(METHOD_NOT_ALLOWED, 25, "method_not_allowed", 405, "method not allowed on this route") \
	X(RATE_LIMITED,     26, "rate_limited",         429, "too many requests")              \
	X(IDEMPOTENCY_MISMATCH, 27, "idempotency_mismatch", 422, "Idempotency-Key was used for another request") \
	X(EXPIRED,          28, "expired",              410, "the link has expired")          \
	X(CORRUPT,          29, "corrupt",              500, "stored data is corrupt")     \
	X(UNSUPPORTED_MEDIA, 30, "unsupported_media_type", 415, "the body's Content-Type is not one this route takes") \
	X(BAD_REQUEST,      31, "bad_request",          400, "malformed request")

enum sk_err {
#define SK__ERR_ENUM(sfx, num, name, http, msg) SK_ERR_##sfx = num,
	SK_ERROR_MAP(SK__ERR_ENUM)
#undef SK__ERR_ENUM
};

const char *sk_err_name(int code);
const char *sk_err_message(int code);
int sk_err_http_status(int code);

/* Details of the last error, filled by whoever failed; passed down explicitly. */
struct sk_errctx {
	int code;
	char msg[512];
};

/* Record code and a formatted message in ctx (which may be NULL); returns code. The message
 * must never contain personal data: name fields, lines and bytes, not values. */
int sk_errf(struct sk_errctx *ctx, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sk_errctx_reset(struct sk_errctx *ctx);

#endif
