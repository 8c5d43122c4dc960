/* version.c: `samtycke --version`: the program's version (meson's project version) and each
 * linked library with the version it runs with, asked of the layer that owns the library. */
#include <stdio.h>

#include "cli/cli.h"
#include "http/http.h"
#include "io/io.h"
#include "store/store.h"
#include "util/curl_dl.h"
#include "vault/vault.h"

static void print_line(void *arg, const char *lib, const char *version)
{
	(void)arg;
	printf("%s %s\n", lib, version);
}

static void add_member(void *arg, const char *lib, const char *version)
{
	json_object_set_new(arg, lib, json_string(version));
}

int sk_cli_version(int json)
{
	void (*const layers[])(sk_version_fn *, void *) = {
		sk_http_versions, sk_core_versions, sk_store_versions, sk_vault_versions,
		sk_io_versions, sk_curl_versions,
	};
	json_t *libs = json ? json_object() : NULL;
	if (json && !libs)
		return sk_cli_error(SK_EXIT_ERROR, SK_ERR_NOMEM, "out of memory");
	if (!json)
		printf("samtycke %s\n", SK_VERSION);
	for (size_t i = 0; i < sizeof(layers) / sizeof(layers[0]); i++)
		layers[i](json ? add_member : print_line, libs);
	if (json)
		sk_cli_print_json(json_pack("{s:s,s:o}", "samtycke", SK_VERSION, "libraries", libs));
	return SK_EXIT_OK;
}
