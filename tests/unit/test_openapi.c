/* test_openapi.c: docs/openapi.yaml describes exactly the server's route table: the same
 * paths, the same methods on each, and the same scope (x-scope) on each operation; and every
 * enum in it that lists a closed vocabulary (core/vocab.h) holds exactly that list's words;
 * the Error schema names every error code the API answers (util/err.h). */
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

#include "core/vocab.h"
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

/* ---- the enums of closed vocabularies (core/vocab.h) ---- */

enum vocab { V_ACTION, V_ACTION_CLIENT, V_STATUS, V_METHOD, V_REASON, V_CHANGE, V_EVENT_OR_ALL };
static const char *const vocab_label[] = {
	"SK_ACTION_LIST", "SK_ACTION_LIST (client column)", "SK_STATUS_LIST", "SK_METHOD_LIST",
	"SK_REASON_LIST", "SK_CHANGE_LIST", "SK_EVENT_LIST and 'all'",
};

/* The words of vocabulary v, in list order, into out (at most max); returns how many. */
static size_t vocab_words(enum vocab v, const char **out, size_t max)
{
	size_t n = 0;
	switch (v) {
	case V_ACTION:
	case V_ACTION_CLIENT:
		for (int i = 0; i < SK_NACTIONS && n < max; i++)
			if (v == V_ACTION || sk_action_client((enum sk_action)i))
				out[n++] = sk_action_name((enum sk_action)i);
		break;
	case V_STATUS:
		for (int i = 0; i < SK_NSTATUSES && n < max; i++)
			out[n++] = sk_status_name((enum sk_status)i);
		break;
	case V_METHOD:
		for (int i = 0; i < SK_NMETHODS && n < max; i++)
			out[n++] = sk_method_name((enum sk_method)i);
		break;
	case V_REASON:
		for (int i = 0; i < SK_NREASONS && n < max; i++)
			out[n++] = sk_reason_name((enum sk_reason)i);
		break;
	case V_CHANGE:
		for (int i = 0; i < SK_NCHANGES && n < max; i++)
			out[n++] = sk_change_type_name((enum sk_change_type)i);
		break;
	case V_EVENT_OR_ALL:
		out[n++] = "all"; /* a subscription to every event (sk_webhook_events_parse) */
		for (int i = 0; i < SK_NEVENTS && n < max; i++)
			out[n++] = sk_event_name((enum sk_event)i);
		break;
	}
	return n;
}

/* Where docs/openapi.yaml lists a vocabulary: the enum's path (keys joined by '/', sequence
 * items by their index) and the list it must equal, as a set. */
static const struct {
	const char *path;
	enum vocab vocab;
} vocab_enums[] = {
	{"components/schemas/ConsentStatus/enum", V_STATUS},
	{"components/schemas/Method/enum", V_METHOD},
	{"components/schemas/ConsentCreate/properties/action/enum", V_ACTION_CLIENT},
	{"components/schemas/ConsentEvent/properties/action/enum", V_ACTION},
	{"components/schemas/CheckResult/properties/reason/enum", V_REASON},
	{"components/schemas/Change/properties/type/enum", V_CHANGE},
	{"components/schemas/WebhookCreate/properties/events/items/enum", V_EVENT_OR_ALL},
};

/* Enums that share words with a vocabulary but list something else. */
static const char *const other_enums[] = {
	"components/schemas/Purpose/properties/legal_basis/enum",      /* core/policy.c */
	"components/schemas/ImportReport/properties/rejects/items/properties/reason/enum", /* io */
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define VOCAB_MAX 64

struct enum_walk {
	int seen[NELEM(vocab_enums)]; /* how many times each path was found */
	int checked;                  /* enums compared with their list */
};

static int has_word(const char *const *words, size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(words[i], w) == 0)
			return 1;
	return 0;
}

/* The scalars of sequence node seq into out; fails on anything else or too many. */
static size_t enum_words(yaml_node_t *seq, const char *path, const char **out, size_t max)
{
	size_t n = 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		fail_msg("%s is not a sequence", path);
	yaml_node_item_t *end = seq->data.sequence.items.top;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < end; it++) {
		yaml_node_t *w = yaml_document_get_node(&doc, *it);
		if (w->type != YAML_SCALAR_NODE || n == max)
			fail_msg("%s: an item is not a word, or too many", path);
		out[n++] = (const char *)w->data.scalar.value;
	}
	return n;
}

/* Fails unless the enum at path lists the words of v, each once, and no other. */
static void check_enum(yaml_node_t *seq, const char *path, enum vocab v)
{
	const char *doc_words[VOCAB_MAX], *want[VOCAB_MAX];
	size_t nd = enum_words(seq, path, doc_words, VOCAB_MAX);
	size_t nw = vocab_words(v, want, VOCAB_MAX);
	for (size_t i = 0; i < nd; i++) {
		if (!has_word(want, nw, doc_words[i]))
			fail_msg("docs/openapi.yaml %s lists '%s', which is not in %s (core/vocab.h)",
				 path, doc_words[i], vocab_label[v]);
		if (has_word(doc_words, i, doc_words[i]))
			fail_msg("docs/openapi.yaml %s lists '%s' twice", path, doc_words[i]);
	}
	for (size_t i = 0; i < nw; i++)
		if (!has_word(doc_words, nd, want[i]))
			fail_msg("docs/openapi.yaml %s lacks '%s' of %s (core/vocab.h)", path, want[i],
				 vocab_label[v]);
}

/* 1 when some word of the enum at seq is a word of any vocabulary. */
static int shares_vocab_word(yaml_node_t *seq, const char *path)
{
	const char *doc_words[VOCAB_MAX], *w[VOCAB_MAX];
	size_t nd = enum_words(seq, path, doc_words, VOCAB_MAX);
	for (int v = V_ACTION; v <= V_EVENT_OR_ALL; v++) {
		size_t nw = vocab_words((enum vocab)v, w, VOCAB_MAX);
		for (size_t i = 0; i < nd; i++)
			if (strcmp(doc_words[i], "all") != 0 && has_word(w, nw, doc_words[i]))
				return 1;
	}
	return 0;
}

static void visit_enum(struct enum_walk *x, yaml_node_t *seq, const char *path)
{
	for (size_t i = 0; i < NELEM(vocab_enums); i++) {
		if (strcmp(vocab_enums[i].path, path) != 0)
			continue;
		x->seen[i]++;
		x->checked++;
		check_enum(seq, path, vocab_enums[i].vocab);
		return;
	}
	for (size_t i = 0; i < NELEM(other_enums); i++)
		if (strcmp(other_enums[i], path) == 0)
			return;
	if (shares_vocab_word(seq, path))
		fail_msg("docs/openapi.yaml %s lists words of a closed vocabulary: name its list "
			 "in vocab_enums (tests/unit/test_openapi.c)", path);
}

static void walk(struct enum_walk *x, yaml_node_t *n, char *path, size_t len, size_t cap)
{
	if (n->type == YAML_MAPPING_NODE) {
		yaml_node_pair_t *end = n->data.mapping.pairs.top;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < end; p++) {
			yaml_node_t *k = yaml_document_get_node(&doc, p->key);
			yaml_node_t *v = yaml_document_get_node(&doc, p->value);
			if (k->type != YAML_SCALAR_NODE)
				continue;
			int w = snprintf(path + len, cap - len, "%s%s", len ? "/" : "",
					 (char *)k->data.scalar.value);
			assert_true(w > 0 && (size_t)w < cap - len);
			if (strcmp((char *)k->data.scalar.value, "enum") == 0)
				visit_enum(x, v, path);
			else
				walk(x, v, path, len + (size_t)w, cap);
			path[len] = '\0';
		}
	} else if (n->type == YAML_SEQUENCE_NODE) {
		size_t i = 0;
		yaml_node_item_t *end = n->data.sequence.items.top;
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < end; it++, i++) {
			int w = snprintf(path + len, cap - len, "%s%zu", len ? "/" : "", i);
			assert_true(w > 0 && (size_t)w < cap - len);
			walk(x, yaml_document_get_node(&doc, *it), path, len + (size_t)w, cap);
			path[len] = '\0';
		}
	}
}

static void vocabulary_enums_equal_the_tables(void **state)
{
	(void)state;
	struct enum_walk x = {{0}, 0};
	char path[1024] = "";
	walk(&x, yaml_document_get_root_node(&doc), path, 0, sizeof(path));
	for (size_t i = 0; i < NELEM(vocab_enums); i++)
		if (x.seen[i] != 1)
			fail_msg("docs/openapi.yaml has no enum at %s (moved? update vocab_enums)",
				 vocab_enums[i].path);
	assert_int_equal(x.checked, NELEM(vocab_enums));
}

/* The gate's reasons are named in CheckResult's description too: allowed ones before
 * "Denied reasons", denied ones after, each as `name`. */
static void check_result_description_names_every_reason(void **state)
{
	(void)state;
	yaml_node_t *d = map_get(map_get(map_get(map_get(yaml_document_get_root_node(&doc),
							 "components"), "schemas"), "CheckResult"),
				 "description");
	assert_non_null(d);
	const char *text = (const char *)d->data.scalar.value;
	const char *denied = strstr(text, "Denied reasons");
	assert_non_null(denied);
	for (int i = 0; i < SK_NREASONS; i++) {
		char quoted[64];
		snprintf(quoted, sizeof(quoted), "`%s`", sk_reason_name((enum sk_reason)i));
		const char *at = strstr(sk_reason_allowed((enum sk_reason)i) ? text : denied, quoted);
		if (!at || (sk_reason_allowed((enum sk_reason)i) && at > denied))
			fail_msg("CheckResult's description does not name %s among the %s reasons",
				 quoted, sk_reason_allowed((enum sk_reason)i) ? "allowed" : "denied");
	}
}

/* Every error code the API answers (an HTTP status of 4xx in src/util/err.h) is named in the
 * Error schema's description, as `code`; the few only the command line or the HTML pages give
 * are listed here. */
static void error_description_names_every_api_code(void **state)
{
	(void)state;
	static const char *const not_api[] = {"usage", "policy_invalid", "expired", NULL};
	static const struct {
		const char *name;
		int http;
	} codes[] = {
#define SK__X(sfx, num, name, http, msg) {name, http},
		SK_ERROR_MAP(SK__X)
#undef SK__X
	};
	yaml_node_t *d = map_get(map_get(map_get(map_get(yaml_document_get_root_node(&doc),
							 "components"), "schemas"), "Error"),
				 "description");
	assert_non_null(d);
	const char *text = (const char *)d->data.scalar.value;
	size_t named = 0;
	for (size_t i = 0; i < NELEM(codes); i++) {
		int skip = codes[i].http < 400 || codes[i].http >= 500;
		for (int j = 0; !skip && not_api[j]; j++)
			skip = strcmp(not_api[j], codes[i].name) == 0;
		if (skip)
			continue;
		char quoted[64];
		snprintf(quoted, sizeof(quoted), "`%s`", codes[i].name);
		if (!strstr(text, quoted))
			fail_msg("the Error schema's description in docs/openapi.yaml does not name %s "
				 "(src/util/err.h)", quoted);
		named++;
	}
	assert_true(named > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_route_is_described),
		cmocka_unit_test(every_description_is_a_route),
		cmocka_unit_test(vocabulary_enums_equal_the_tables),
		cmocka_unit_test(check_result_description_names_every_reason),
		cmocka_unit_test(error_description_names_every_api_code),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
