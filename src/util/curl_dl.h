/* curl_dl.h: libcurl loaded with dlopen on first use, so that a command that needs no network
 * never maps libcurl and its ~20 libraries. Include this instead of <curl/curl.h>: the curl_*
 * names below call through one table, which holds fallbacks that fail when libcurl cannot be loaded. */
#ifndef SK_CURL_DL_H
#define SK_CURL_DL_H

/* The type-checking macros of curl.h would wrap curl_easy_setopt before the names below. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "util/err.h"
#include "util/version.h"

/* The soname of Debian's libcurl4 (OpenSSL); the ABI has kept soname 4 since 2006. */
#define SK_CURL_SONAME "libcurl.so.4"

struct sk_curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode cc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *u, CURLUPart what, const char *part, unsigned int flags);
	CURLUcode (*url_get)(const CURLU *u, CURLUPart what, char **part, unsigned int flags);
	void (*url_cleanup)(CURLU *u);
	void (*free)(void *p);
	time_t (*getdate)(const char *p, const time_t *unused);
	curl_version_info_data *(*version_info)(CURLversion age);
};

/* Loads libcurl once (thread-safe) and calls curl_global_init. 0, or SK_ERR_IO with a message
 * naming the library and dlerror's reason; every later call returns the same answer. */
int sk_curl_load(struct sk_errctx *err);

/* The table: libcurl's functions once loaded, else fallbacks that fail closed (NULL handles,
 * CURLE_FAILED_INIT, CURLUE_OUT_OF_MEMORY, getdate -1). Loads on first call. Never NULL. */
const struct sk_curl_api *sk_curl(void);

/* 1 when this process has loaded libcurl (for tests and the commands' own checks). */
int sk_curl_loaded(void);

/* For tests: the loading step with another library name, without touching the table. 0 when
 * NAME loads and has every function, else SK_ERR_IO with the reason. */
int sk_curl_try(const char *name, struct sk_errctx *err);

/* libcurl's version as it runs ("7.88.1"), or "not loaded" when it cannot be loaded (for
 * samtycke --version: util/version.h). Loads it. */
void sk_curl_versions(sk_version_fn *fn, void *arg);

/* curl.h defines these two as macros of themselves (to stop a function pointer's use). */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init sk_curl()->global_init
#define curl_easy_init sk_curl()->easy_init
#define curl_easy_setopt sk_curl()->easy_setopt
#define curl_easy_perform sk_curl()->easy_perform
#define curl_easy_getinfo sk_curl()->easy_getinfo
#define curl_easy_cleanup sk_curl()->easy_cleanup
#define curl_easy_strerror sk_curl()->easy_strerror
#define curl_slist_append sk_curl()->slist_append
#define curl_slist_free_all sk_curl()->slist_free_all
#define curl_url sk_curl()->url
#define curl_url_set sk_curl()->url_set
#define curl_url_get sk_curl()->url_get
#define curl_url_cleanup sk_curl()->url_cleanup
#define curl_free sk_curl()->free
#define curl_getdate sk_curl()->getdate
#define curl_version_info sk_curl()->version_info

#endif
