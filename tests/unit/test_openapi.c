/* test_openapi.c: docs/openapi.yaml describes exactly the server's route table: the same
 * paths, the same methods on each, and the same scope (x-scope) on each operation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "http/http_int.h"

static yaml_document_t doc;

static yaml_node_t *map_get(yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		if (k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(&doc, p->value);
	}
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	char path[1024];
	const char *root = getenv("SK_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/docs/openapi.yaml", root ? root : ".");
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	int ok = yaml_parser_load(&parser, &doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return ok ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	yaml_document_delete(&doc);
	return 0;
}

static void lower(const char *in, char *out, size_t len)
{
	size_t i = 0;
	for (; in[i] && i + 1 < len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static void every_route_is_described(void **state)
{
	(void)state;
	yaml_node_t *paths = map_get(yaml_document_get_root_node(&doc), "paths");
	assert_non_null(paths);
	for (size_t i = 0; i < sk_nroutes; i++) {
		char m[16];
		lower(sk_routes[i].method, m, sizeof(m));
		yaml_node_t *op = map_get(map_get(paths, sk_routes[i].path), m);
		if (!op)
			fail_msg("%s %s is not in docs/openapi.yaml", sk_routes[i].method,
				 sk_routes[i].path);
		yaml_node_t *scope = map_get(op, "x-scope");
		assert_non_null(scope);
		const char *want = sk_routes[i].scope ? sk_routes[i].scope : "none";
		if (strcmp((char *)scope->data.scalar.value, want) != 0)
			fail_msg("%s %s: x-scope %s, the server needs %s", sk_routes[i].method,
				 sk_routes[i].path, scope->data.scalar.value, want);
	}
}

static void every_description_is_a_route(void **state)
{
	(void)state;
	static const char *const methods[] = {"get", "put", "post", "delete", "options", "head",
					      "patch", "trace", NULL};
	yaml_node_t *paths = map_get(yaml_document_get_root_node(&doc), "paths");
	size_t described = 0;
	for (yaml_node_pair_t *p = paths->data.mapping.pairs.start; p < paths->data.mapping.pairs.top; p++) {
		const char *path = (char *)yaml_document_get_node(&doc, p->key)->data.scalar.value;
		yaml_node_t *item = yaml_document_get_node(&doc, p->value);
		for (int j = 0; methods[j]; j++) {
			if (!map_get(item, methods[j]))
				continue;
			described++;
			int found = 0;
			for (size_t i = 0; i < sk_nroutes && !found; i++) {
				char m[16];
				lower(sk_routes[i].method, m, sizeof(m));
				found = strcmp(sk_routes[i].path, path) == 0 && strcmp(m, methods[j]) == 0;
			}
			if (!found)
				fail_msg("docs/openapi.yaml describes %s %s, which the server lacks",
					 methods[j], path);
		}
	}
	assert_int_equal(described, sk_nroutes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_route_is_described),
		cmocka_unit_test(every_description_is_a_route),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
