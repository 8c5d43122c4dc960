/* fuzz_csv_import.c: libFuzzer target for the CSV reader (io/csv_import.c): decoding (UTF-8
 * checks, UTF-16 detection, iconv), libcsv fed line by line, quotes, NUL bytes, row limits
 * and the row rules, in dry-run mode against a core on a temporary SQLite file with the
 * example policy. The first byte picks the mapping's encoding. Built by scripts/fuzz.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "io/io.h"
#include "store/store.h"
#include "vault/vault.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sk_core *core;
static char dir[] = "/tmp/sk-fuzz-csv.XXXXXX";

static void cleanup(void)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_csv_import: could not remove %s\n", dir);
}

static int ignore(void *arg, int64_t line, const char *reason, const char *column,
		  const char *const *cells, size_t ncells)
{
	(void)arg;
	(void)line;
	(void)reason;
	(void)column;
	for (size_t i = 0; i < ncells; i++)
		(void)strlen(cells[i]); /* every cell must be a string */
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char db[96], key[96], path[1024];
	struct sk_errctx err = {0};
	struct sk_vault *vault;
	struct sk_store *store;
	const char *root = getenv("SK_SOURCE_ROOT");
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	snprintf(db, sizeof(db), "%s/t.db", dir);
	snprintf(key, sizeof(key), "%s/t.key", dir);
	snprintf(path, sizeof(path), "%s/examples/policy.yaml", root ? root : ".");
	FILE *f = fopen(path, "rb");
	static char policy[65536];
	size_t n = f ? fread(policy, 1, sizeof(policy), f) : 0;
	if (f)
		fclose(f);
	if (!n || sk_vault_keyfile_create(key, &err) || sk_vault_open(key, &vault, &err) ||
	    sk_store_open(db, 1, &store, &err) || sk_core_open(store, vault, 1, &core, &err) ||
	    sk_policy_apply(core, policy, n, "policy.yaml", NULL, NULL, &err)) {
		fprintf(stderr, "fuzz_csv_import: setup failed: %s\n", err.msg);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const maps[] = {
		/* parenthesised: one literal each, split over lines */
		("{\"email\":\"email\",\"fields\":{\"first_name\":\"first_name\",\"company\":\"company\"},"
		 "\"consents\":{\"newsletter\":{\"value\":\"nl\",\"at\":\"nl_at\",\"source\":\"nl_src\"},"
		 "\"lead_scoring\":{\"value\":\"ls\"}}}"),
		"{\"email\":\"email\",\"encoding\":\"windows-1252\",\"fields\":{\"first_name\":\"a\"}}",
		("{\"email\":\"email\",\"encoding\":\"utf-16\",\"consents\":{\"newsletter\":"
		 "{\"value\":\"nl\"}}}"),
	};
	struct sk_csv_import_report rep;
	struct sk_errctx err = {0};
	if (size < 2) /* fmemopen wants at least one byte */
		return 0;
	const char *map = maps[data[0] % 3];
	struct sk_csv_import_opts o = {.map_text = map, .map_len = strlen(map), .dry_run = 1,
				       .reject = ignore};
	FILE *in = fmemopen((void *)(data + 1), size - 1, "rb");
	if (!in)
		return 0;
	(void)sk_csv_import(core, in, &o, &rep, &err);
	fclose(in);
	return 0;
}
