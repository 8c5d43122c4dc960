/* cmd_webhook.c: samtycke webhook add|list|remove, the endpoints that the server's delivery
 * thread sends the change feed to (docs/webhooks.md). A new secret is printed once. */
#include <string.h>

#include "cli/cli.h"
#include "sync/sync.h"
#include "util/mem.h"

static int run_webhook_add(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"events", required_argument, NULL, 'e'},
		{"name", required_argument, NULL, 'n'},
		{"allow-private", no_argument, NULL, 'P'},
		{0},
	};
	const char *events = NULL, *name = NULL;
	char id[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX];
	int c, done = 0, rc, allow_private = 0;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		switch (c) {
		case 'e': events = optarg; break;
		case 'n': name = optarg; break;
		case 'P': allow_private = 1; break;
		default: return sk_cli_usage(cmd);
		}
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 1 || !events)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_webhook_add(cli->core, argv[optind], events, name, allow_private, id, secret,
				 &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(sk_json_webhook_created(id, secret));
	else
		printf("%s\n%s\n", id, secret);
	memset(secret, 0, sizeof(secret));
	return SK_EXIT_OK;
}

static int run_webhook_list(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct sk_webhook_info *all = NULL;
	size_t n = 0;
	int c, done = 0, rc;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", NULL, &done)) != -1)
		return sk_cli_usage(cmd);
	if (done)
		return SK_EXIT_OK;
	if (optind != argc)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)) || (rc = sk_webhook_list(cli->core, &all, &n, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json) {
		json_t *o = sk_json_webhooks(all, n);
		sk_free(all);
		if (!o)
			return sk_cli_fail(cli, sk_errf(&cli->err, SK_ERR_NOMEM, "out of memory"));
		sk_cli_print_json(o);
		return SK_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sk_webhook_info *w = &all[i];
		printf("%s %s seq %lld pending %lld %s %s", w->id, w->enabled ? "enabled" : "disabled",
		       (long long)w->last_delivered_seq, (long long)w->pending, w->url, w->events);
		if (w->last_error[0])
			printf(" (last error: %s)", w->last_error);
		if (w->delivered_by[0])
			printf(" (delivered by %s)", w->delivered_by);
		printf("\n");
	}
	sk_free(all);
	return SK_EXIT_OK;
}

static int run_webhook_remove(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	int c, done = 0, rc;
	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", NULL, &done)) != -1)
		return sk_cli_usage(cmd);
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 1)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)) || (rc = sk_webhook_remove(cli->core, argv[optind], &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(sk_json_webhook_removed(argv[optind]));
	else
		printf("removed %s\n", argv[optind]);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_webhook_add = {
	.name = "webhook add",
	.summary = "add a webhook endpoint",
	.usage = "URL --events EVENTS [--name NAME] [--allow-private]",
	.help = "Add a webhook endpoint (docs/webhooks.md). EVENTS is a comma-separated set of "
		"consent.given, consent.withdrawn, consent.refused, consent.expired, "
		"consent.pending, consent.unverified, contact.changed, contact.erased, "
		"contact.unsuppressed, or all. Only http and https URLs. Nothing is looked up "
		"now: a host written as a loopback or private address, or localhost, is refused "
		"unless --allow-private; other names are resolved and judged before every "
		"delivery, and private addresses are reached only by 'serve "
		"--allow-private-webhooks'. Prints the endpoint id and "
		"its signing secret (whsec_...), once; 'samtycke serve' delivers every change "
		"from now on, signed per Standard Webhooks.",
	.run = run_webhook_add,
};

const struct sk_cmd sk_cmd_entry_webhook_list = {
	.name = "webhook list",
	.summary = "list webhook endpoints and their delivery state",
	.usage = "",
	.help = "List webhook endpoints with their delivery state: last delivered seq, pending "
		"changes, last error.",
	.run = run_webhook_list,
};

const struct sk_cmd sk_cmd_entry_webhook_remove = {
	.name = "webhook remove",
	.summary = "remove a webhook endpoint",
	.usage = "ID",
	.help = "Remove the webhook endpoint ID.",
	.run = run_webhook_remove,
};
