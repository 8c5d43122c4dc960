/* cmd_webhook.c: samtycke webhook add|list|remove, the endpoints that the server's delivery
 * thread sends the change feed to (docs/webhooks.md). A new secret is printed once. */
#include <string.h>

#include "cli/cli.h"
#include "sync/sync.h"

int sk_cmd_webhook_add(struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"events", required_argument, NULL, 'e'},
		{"name", required_argument, NULL, 'n'},
		{"allow-private", no_argument, NULL, 'P'},
		{0},
	};
	const struct sk_cmd *cmd = sk_cli_find("webhook add");
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
		sk_cli_print_json(json_pack("{s:s,s:s}", "id", id, "secret", secret));
	else
		printf("%s\n%s\n", id, secret);
	memset(secret, 0, sizeof(secret));
	return SK_EXIT_OK;
}

int sk_cmd_webhook_list(struct sk_cli *cli, int argc, char **argv)
{
	const struct sk_cmd *cmd = sk_cli_find("webhook list");
	json_t *all, *w;
	size_t i;
	int c, done = 0, rc;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", NULL, &done)) != -1)
		return sk_cli_usage(cmd);
	if (done)
		return SK_EXIT_OK;
	if (optind != argc)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)) || (rc = sk_webhook_status(cli->core, NULL, &all, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json) {
		sk_cli_print_json(all);
		return SK_EXIT_OK;
	}
	json_array_foreach(json_object_get(all, "webhooks"), i, w) {
		json_t *ev = json_object_get(w, "events"), *e;
		size_t j;
		printf("%s %s seq %lld pending %lld %s", json_string_value(json_object_get(w, "id")),
		       json_is_true(json_object_get(w, "enabled")) ? "enabled" : "disabled",
		       (long long)json_integer_value(json_object_get(w, "last_delivered_seq")),
		       (long long)json_integer_value(json_object_get(w, "pending")),
		       json_string_value(json_object_get(w, "url")));
		json_array_foreach(ev, j, e)
			printf("%s%s", j ? "," : " ", json_string_value(e));
		const char *err = json_string_value(json_object_get(w, "last_error"));
		if (err)
			printf(" (last error: %s)", err);
		printf("\n");
	}
	json_decref(all);
	return SK_EXIT_OK;
}

int sk_cmd_webhook_remove(struct sk_cli *cli, int argc, char **argv)
{
	const struct sk_cmd *cmd = sk_cli_find("webhook remove");
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
		sk_cli_print_json(json_pack("{s:s,s:b}", "id", argv[optind], "removed", 1));
	else
		printf("removed %s\n", argv[optind]);
	return SK_EXIT_OK;
}
