/* cmd_campaign.c: samtycke campaign create|list|preview|send|status, mail campaigns under
 * consent (docs/campaigns.md). A campaign is described in a JSON or YAML file (YAML is read
 * into the same JSON document: a plain scalar that is a whole number becomes a number). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli/cli.h"
#include "util/mem.h"
#include "util/sktime.h"

#define FILE_MAX (1024 * 1024)

static json_t *yaml_node_json(yaml_document_t *d, yaml_node_t *n, int depth)
{
	if (!n || depth > 32)
		return NULL;
	if (n->type == YAML_SCALAR_NODE) {
		const char *v = (const char *)n->data.scalar.value;
		size_t len = n->data.scalar.length;
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && len && len < 19) {
			char *end;
			errno = 0;
			long long x = strtoll(v, &end, 10);
			if (!errno && end == v + len)
				return json_integer(x);
		}
		return json_stringn(v, len);
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		json_t *a = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     a && i < n->data.sequence.items.top; i++) {
			json_t *v = yaml_node_json(d, yaml_document_get_node(d, *i), depth + 1);
			if (!v || json_array_append_new(a, v)) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	json_t *o = json_object();
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; o && p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		json_t *v = yaml_node_json(d, yaml_document_get_node(d, p->value), depth + 1);
		if (!k || k->type != YAML_SCALAR_NODE || !v ||
		    json_object_set_new(o, (const char *)k->data.scalar.value, v)) {
			json_decref(v);
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* The file as JSON text (sk_free); YAML when its name ends in .yaml or .yml. */
static char *read_description(const char *path, struct sk_errctx *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *out = NULL;
	size_t n = 0;
	if (!f) {
		sk_errf(err, SK_ERR_IO, "cannot open %s", path);
		return NULL;
	}
	if (!(buf = sk_malloc(FILE_MAX + 1)) || (n = fread(buf, 1, FILE_MAX + 1, f)) > FILE_MAX) {
		sk_errf(err, buf ? SK_ERR_TOO_LARGE : SK_ERR_NOMEM, "%s: over 1 MiB", path);
		goto out;
	}
	buf[n] = '\0';
	size_t pl = strlen(path);
	if ((pl > 5 && strcmp(path + pl - 5, ".yaml") == 0) ||
	    (pl > 4 && strcmp(path + pl - 4, ".yml") == 0)) {
		yaml_parser_t p;
		yaml_document_t d;
		yaml_parser_initialize(&p);
		yaml_parser_set_input_string(&p, (const unsigned char *)buf, n);
		if (!yaml_parser_load(&p, &d)) {
			sk_errf(err, SK_ERR_INVALID, "%s: not YAML (line %zu)", path,
				p.problem_mark.line + 1);
			yaml_parser_delete(&p);
			goto out;
		}
		json_t *doc = yaml_node_json(&d, yaml_document_get_root_node(&d), 0);
		yaml_document_delete(&d);
		yaml_parser_delete(&p);
		char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
		json_decref(doc);
		if (!s) {
			sk_errf(err, SK_ERR_INVALID, "%s: not a campaign", path);
			goto out;
		}
		out = sk_strdup(s);
		free(s);
	} else {
		out = buf;
		buf = NULL;
	}
out:
	fclose(f);
	sk_free(buf);
	return out;
}

/* Parses no option but the common ones, and takes exactly want arguments. */
static int args(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv, int want,
		int *done)
{
	int c;
	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", NULL, done)) != -1)
		return -1;
	return *done || argc - optind == want ? 0 : -1;
}

static int run_create(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	char id[SK_ID_LEN + 1];
	int done = 0, rc;
	if (args(cmd, cli, argc, argv, 1, &done))
		return sk_cli_usage(cmd);
	if (done)
		return SK_EXIT_OK;
	char *text = read_description(argv[optind], &cli->err);
	if (!text)
		return sk_cli_fail(cli, SK_ERR_INVALID);
	rc = sk_cli_open(cli);
	if (!rc)
		rc = sk_campaign_create(cli->core, text, sk_time_now(), id, &cli->err);
	sk_free(text);
	if (rc)
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(sk_json_created(id));
	else
		printf("%s\n", id);
	return SK_EXIT_OK;
}

static int list_line(void *arg, const struct sk_campaign_rec *c)
{
	char t[SK_TIME_STRLEN];
	if (arg)
		return json_array_append_new(arg, sk_json_campaign(c)) ? SK_ERR_NOMEM : 0;
	sk_time_format(c->created_at, t);
	printf("%s %s %s %s %s\n", c->id, c->status, c->purpose, t, c->name);
	return 0;
}

static int run_list(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	int done = 0, rc;
	if (args(cmd, cli, argc, argv, 0, &done))
		return sk_cli_usage(cmd);
	if (done)
		return SK_EXIT_OK;
	json_t *a = cli->json ? json_array() : NULL;
	if ((rc = sk_cli_open(cli)) || (rc = sk_campaign_list(cli->core, list_line, a, &cli->err))) {
		json_decref(a);
		return sk_cli_fail(cli, rc);
	}
	if (a)
		sk_cli_print_json(json_pack("{s:o}", "campaigns", a));
	return SK_EXIT_OK;
}

static int run_preview(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct sk_audience a;
	int done = 0, rc;
	if (args(cmd, cli, argc, argv, 1, &done))
		return sk_cli_usage(cmd);
	if (done)
		return SK_EXIT_OK;
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_campaign_preview(cli->core, argv[optind], sk_time_now(), &a, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json) {
		sk_cli_print_json(sk_json_campaign_preview(argv[optind], &a));
		return SK_EXIT_OK;
	}
	printf("audience %ld of %ld contacts\n", a.allowed, a.contacts);
	for (int i = 0; i < SK_NREASONS; i++)
		if (!sk_reason_allowed((enum sk_reason)i) && a.by_reason[i])
			printf("excluded %s %ld\n", sk_reason_name((enum sk_reason)i), a.by_reason[i]);
	if (a.segment)
		printf("excluded segment %ld\n", a.segment);
	return SK_EXIT_OK;
}

static int run_send(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	long queued = 0;
	int done = 0, rc;
	if (args(cmd, cli, argc, argv, 1, &done))
		return sk_cli_usage(cmd);
	if (done)
		return SK_EXIT_OK;
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_campaign_send(cli->core, argv[optind], sk_time_now(), &queued, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(json_pack("{s:s,s:I}", "id", argv[optind], "queued",
					    (json_int_t)queued));
	else
		printf("queued %ld\n", queued);
	return SK_EXIT_OK;
}

static int run_status(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct sk_campaign_status st;
	int done = 0, rc;
	if (args(cmd, cli, argc, argv, 1, &done))
		return sk_cli_usage(cmd);
	if (done)
		return SK_EXIT_OK;
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_campaign_status(cli->core, argv[optind], &st, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json) {
		sk_cli_print_json(sk_json_campaign_status(argv[optind], &st));
		return SK_EXIT_OK;
	}
	printf("queued %ld\nsending %ld\nsent %ld\nfailed %ld\nskipped %ld\n", st.queued,
	       st.sending, st.sent, st.failed, st.skipped);
	for (int i = 0; i < SK_NREASONS; i++)
		if (st.skipped_by[i])
			printf("skipped %s %ld\n", sk_reason_name((enum sk_reason)i), st.skipped_by[i]);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_campaign_create = {
	.name = "campaign create",
	.summary = "create a mail campaign from a JSON or YAML file",
	.usage = "FILE",
	.help = "Create a campaign (docs/campaigns.md) from FILE, JSON, or YAML when its name "
		"ends in .yaml or .yml: name, purpose (of kind communication), segment, subject, "
		"text and html by language, links, utm. Merge fields are limited to the fields "
		"the purpose lists. Prints the campaign's id.",
	.run = run_create,
};

const struct sk_cmd sk_cmd_entry_campaign_list = {
	.name = "campaign list",
	.summary = "list campaigns",
	.usage = "",
	.help = "List campaigns, newest first: id, status, purpose, created, name.",
	.run = run_list,
};

const struct sk_cmd sk_cmd_entry_campaign_preview = {
	.name = "campaign preview",
	.summary = "count a campaign's audience and whom it leaves out, by reason",
	.usage = "ID",
	.help = "Ask the gate for every contact now: the audience of campaign ID, and the "
		"contacts left out by the gate's reason or by the campaign's segment.",
	.run = run_preview,
};

const struct sk_cmd sk_cmd_entry_campaign_send = {
	.name = "campaign send",
	.summary = "queue a campaign's mail",
	.usage = "ID",
	.help = "Queue one mail per contact in campaign ID's audience; 'samtycke serve' sends "
		"them (--campaign-rate), asking the gate again for each. Run again, it queues "
		"only those not queued before: nobody twice. Prints how many were queued.",
	.run = run_send,
};

const struct sk_cmd sk_cmd_entry_campaign_status = {
	.name = "campaign status",
	.summary = "count a campaign's send log by state",
	.usage = "ID",
	.help = "The send log of campaign ID: queued, sending, sent, failed, and skipped by the "
		"gate's reason at the moment of sending.",
	.run = run_status,
};
