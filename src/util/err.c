/* err.c: name, message and HTTP status of every error code, generated from SK_ERROR_MAP,
 * and the error context helpers. */
#include "util/err.h"

#include <stdio.h>
#include <string.h>

struct sk__err_info {
	int code;
	const char *name;
	int http;
	const char *msg;
};

static const struct sk__err_info err_table[] = {
#define SK__ERR_ROW(sfx, num, name, http, msg) {num, name, http, msg},
	SK_ERROR_MAP(SK__ERR_ROW)
#undef SK__ERR_ROW
};

static const struct sk__err_info *err_find(int code)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == code)
			return &err_table[i];
	return NULL;
}

const char *sk_err_name(int code)
{
	const struct sk__err_info *e = err_find(code);
	return e ? e->name : "unknown_error";
}

const char *sk_err_message(int code)
{
	const struct sk__err_info *e = err_find(code);
	return e ? e->msg : "unknown error";
}

int sk_err_http_status(int code)
{
	const struct sk__err_info *e = err_find(code);
	return e ? e->http : 500;
}

int sk_errf(struct sk_errctx *ctx, int code, const char *fmt, ...)
{
	if (!ctx)
		return code;
	ctx->code = code;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
		va_end(ap);
	} else {
		snprintf(ctx->msg, sizeof(ctx->msg), "%s", sk_err_message(code));
	}
	return code;
}

void sk_errctx_reset(struct sk_errctx *ctx)
{
	if (!ctx)
		return;
	ctx->code = 0;
	ctx->msg[0] = '\0';
}
