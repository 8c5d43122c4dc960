/* curl_dl.c: libcurl through dlopen, loaded the first time a command sends mail, delivers a
 * webhook or reads a URL, so that the other commands start without it (docs/internals/cli.md).
 * Until loaded, or when it cannot be, the table holds fallbacks that fail closed. */
#include "util/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static CURLcode absent_global_init(long flags)
{
	(void)flags;
	return CURLE_FAILED_INIT;
}
static CURL *absent_easy_init(void)
{
	return NULL;
}
static CURLcode absent_easy_setopt(CURL *h, CURLoption opt, ...)
{
	(void)h;
	(void)opt;
	return CURLE_FAILED_INIT;
}
static CURLcode absent_easy_perform(CURL *h)
{
	(void)h;
	return CURLE_FAILED_INIT;
}
static CURLcode absent_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	(void)h;
	(void)info;
	return CURLE_FAILED_INIT;
}
static void absent_easy_cleanup(CURL *h)
{
	(void)h;
}
static const char *absent_easy_strerror(CURLcode cc)
{
	(void)cc;
	return "libcurl could not be loaded";
}
static struct curl_slist *absent_slist_append(struct curl_slist *l, const char *s)
{
	(void)l;
	(void)s;
	return NULL;
}
static void absent_slist_free_all(struct curl_slist *l)
{
	(void)l;
}
static CURLU *absent_url(void)
{
	return NULL;
}
static CURLUcode absent_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	(void)u;
	(void)what;
	(void)part;
	(void)flags;
	return CURLUE_OUT_OF_MEMORY;
}
static CURLUcode absent_url_get(const CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	(void)u;
	(void)what;
	(void)flags;
	if (part)
		*part = NULL;
	return CURLUE_OUT_OF_MEMORY;
}
static void absent_url_cleanup(CURLU *u)
{
	(void)u;
}
static void absent_free(void *p)
{
	(void)p;
}
static time_t absent_getdate(const char *p, const time_t *unused)
{
	(void)p;
	(void)unused;
	return (time_t)-1;
}
static curl_version_info_data *absent_version_info(CURLversion age)
{
	(void)age;
	return NULL;
}

static const struct sk_curl_api absent = {
	absent_global_init,  absent_easy_init,     absent_easy_setopt,   absent_easy_perform,
	absent_easy_getinfo, absent_easy_cleanup,  absent_easy_strerror, absent_slist_append,
	absent_slist_free_all, absent_url,         absent_url_set,       absent_url_get,
	absent_url_cleanup,  absent_free,          absent_getdate,       absent_version_info,
};

static struct sk_curl_api api;
static const struct sk_curl_api *table = &absent;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[256]; /* why loading failed; empty when it worked */

/* Resolves every name into OUT; 0, or -1 with WHY set (the library is closed again). */
static int resolve(const char *name, struct sk_curl_api *out, char *reason, size_t len)
{
	static const char *const names[] = {
		"curl_global_init", "curl_easy_init",     "curl_easy_setopt", "curl_easy_perform",
		"curl_easy_getinfo", "curl_easy_cleanup", "curl_easy_strerror", "curl_slist_append",
		"curl_slist_free_all", "curl_url",        "curl_url_set",     "curl_url_get",
		"curl_url_cleanup",  "curl_free",         "curl_getdate",     "curl_version_info",
	};
	void *fn[sizeof(names) / sizeof(names[0])];
	void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *e = dlerror();
		snprintf(reason, len, "cannot load %s: %s", name, e ? e : "unknown reason");
		return -1;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(fn[i] = dlsym(lib, names[i]))) {
			snprintf(reason, len, "%s lacks %s", name, names[i]);
			dlclose(lib);
			return -1;
		}
	}
	/* POSIX lets a data pointer from dlsym become a function pointer; copy by bytes so that
	 * -Wpedantic sees no cast between the two kinds. */
	_Static_assert(sizeof(*out) == sizeof(fn), "one pointer per name");
	memcpy(out, fn, sizeof(fn));
	return 0;
}

static void load_once(void)
{
	if (resolve(SK_CURL_SONAME, &api, why, sizeof(why)))
		return;
	if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(why, sizeof(why), "curl_global_init failed");
		return;
	}
	table = &api;
}

int sk_curl_load(struct sk_errctx *err)
{
	pthread_once(&once, load_once);
	if (table == &api)
		return 0;
	return sk_errf(err, SK_ERR_IO, "libcurl (for mail and webhooks): %s", why);
}

const struct sk_curl_api *sk_curl(void)
{
	pthread_once(&once, load_once);
	return table;
}

int sk_curl_loaded(void)
{
	return table == &api;
}

int sk_curl_try(const char *name, struct sk_errctx *err)
{
	struct sk_curl_api t;
	char reason[256];
	if (resolve(name, &t, reason, sizeof(reason)))
		return sk_errf(err, SK_ERR_IO, "libcurl (for mail and webhooks): %s", reason);
	return 0;
}

void sk_curl_versions(sk_version_fn *fn, void *arg)
{
	struct sk_errctx err = {0};
	const curl_version_info_data *v = NULL;
	if (!sk_curl_load(&err))
		v = curl_version_info(CURLVERSION_NOW);
	fn(arg, "libcurl", v && v->version ? v->version : "not loaded");
}
