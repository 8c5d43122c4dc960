/* main.c: the samtycke command. Global options, the one command table, dispatch, and the
 * helpers every command file shares (opening the database, errors, JSON output). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "vault/vault.h"

static const struct sk_cmd commands[] = {
	{"init", sk_cmd_init, "",
	 "Create a new database and its master key file. The key file is written beside the "
	 "database as DB.key with mode 0600 (SAMTYCKE_KEY_FILE or --key-file choose another "
	 "path); keep it out of backups of the database."},
	{"policy apply", sk_cmd_policy_apply, "FILE [--dry-run] [--force]",
	 "Validate the policy file and store it. A notice whose text changed becomes a new "
	 "version; old versions stay readable forever. Prints the difference from the applied "
	 "policy; a file equal to it stores nothing. A file that drops a purpose contacts still "
	 "hold (given, pending or unverified consents) is refused (exit 3) unless --force. "
	 "--dry-run validates and prints the difference without storing (exit 3 when the apply "
	 "would be refused)."},
	{"policy show", sk_cmd_policy_show, "",
	 "Show the applied policy: organisation, fields and purposes with current notice versions."},
	{"contact add", sk_cmd_contact_add, "EMAIL [--field NAME=VALUE]...",
	 "Add a contact. Only fields that some purpose of the policy needs are accepted."},
	{"contact show", sk_cmd_contact_show, "EMAIL", "Show a contact's fields."},
	{"contact edit", sk_cmd_contact_edit, "EMAIL --field NAME=VALUE...",
	 "Change a contact's fields."},
	{"consent give", sk_cmd_consent_record, "EMAIL PURPOSE --method METHOD --source SOURCE "
	 "[--notice-version N] [--lang sv|en] [--at RFC3339] [--actor WHO] [--evidence JSON]",
	 "Record that the person gave consent for PURPOSE. METHOD is form, preference_centre, "
	 "import, api, cli, mail_link or one_click. Without a source, or an import without --at, "
	 "the consent is stored as unverified and the gate denies it."},
	{"consent refuse", sk_cmd_consent_record, "EMAIL PURPOSE --method METHOD --source SOURCE "
	 "[options as for give]", "Record that the person refused consent for PURPOSE."},
	{"consent withdraw", sk_cmd_consent_record, "EMAIL PURPOSE --method METHOD --source SOURCE "
	 "[options as for give]", "Record that the person withdrew consent for PURPOSE."},
	{"consent confirm", sk_cmd_consent_record, "EMAIL PURPOSE --method METHOD --source SOURCE "
	 "[options as for give]",
	 "Record the confirmation of a pending (double opt-in) consent for PURPOSE."},
	{"consent show", sk_cmd_consent_show, "EMAIL",
	 "List the person's consent state per purpose and the whole history."},
	{"consent proof", sk_cmd_consent_proof, "EMAIL PURPOSE",
	 "Show who gave the current consent, when, where, how, and the exact notice text shown."},
	{"check", sk_cmd_check, "EMAIL PURPOSE [--at RFC3339]",
	 "Ask the gate. Exit 0 and 'allowed' when processing is allowed, exit 1 and the reason "
	 "when denied. Any storage error answers denied with reason 'error'."},
	{"suppress", sk_cmd_suppress, "EMAIL [--reason erased|bounced|complained|opted_out]",
	 "Put an address on the suppression list; it outranks every consent."},
	{"unsuppress", sk_cmd_unsuppress, "EMAIL",
	 "Take an address off the suppression list, when the person asks to come back (forms "
	 "never mail a suppressed address). Connected systems are told by an 'unsuppressed' "
	 "change. Exit 1 when the address was not suppressed."},
	{"export", sk_cmd_export, "EMAIL [--lang sv|en]",
	 "Everything held about the person, as one JSON document: fields, every consent with its "
	 "evidence and the notice texts shown, the purposes and their legal basis and retention, "
	 "the systems the data is shared with, rectifications, behavioural records."},
	{"forget", sk_cmd_forget, "EMAIL",
	 "Erase the person: every row about them and their data key go, the keyed hash of the "
	 "address goes on the suppression list (reason erased), connected systems are told by an "
	 "'erased' change. Prints the erasure receipt (--json: as JSON)."},
	{"purge", sk_cmd_purge, "[--dry-run] [--pending-days N]",
	 "Delete the contacts that have no basis left (never consented, withdrawn, expired, "
	 "pending double opt-ins older than N days (default 7), unverified legacy data, "
	 "inactive), one transaction each; --dry-run lists them by reason without deleting."},
	{"ledger replay", sk_cmd_ledger_replay, "[--check]",
	 "Rebuild the consent state from the ledger and report every difference from the stored "
	 "state; with --check only report. Exit 1 when differences were found."},
	{"serve", sk_cmd_serve, "[--listen HOST:PORT] [--threads N] [--timeout SECONDS] "
	 "[--rate-limit PER_SECOND] [--form-rate-limit PER_MINUTE] [--public-url URL] "
	 "[--smtp-url smtp://HOST:PORT --mail-from ADDRESS [--smtp-user USER] "
	 "[--smtp-tls required|try]] [--confirm-days N] [--pending-days N] [--purge-daily] "
	 "[--allow-private-webhooks] [--webhook-backoff SECONDS] [--webhook-retry-for SECONDS] "
	 "[--webhook-proxy URL] [--max-connections N] [--max-client-connections N] "
	 "[--trusted-proxy CIDR]...",
	 "Serve the HTTP API (docs/api.md). Listens on 127.0.0.1:8080 unless told otherwise; port 0 "
	 "picks a free one. --threads (default 2) worker threads, --timeout (default 15) seconds a "
	 "silent client is kept, --rate-limit (default 100, 0 for none) requests per second per "
	 "key. Prints 'listening on http://HOST:PORT' when ready and one access-log line per request "
	 "on stderr. SIGTERM or SIGINT stop it after in-flight requests; SIGHUP reloads the policy. "
	 "Forms (docs/forms.md): --form-rate-limit (default 10) posts per minute per address; "
	 "double opt-in mails go through --smtp-url from --mail-from (password in "
	 "$SAMTYCKE_SMTP_PASSWORD) with links under --public-url (default http://LISTEN) that hold "
	 "--confirm-days (default 7); consents unconfirmed after --pending-days (default 7, 0 "
	 "never) expire hourly. --purge-daily runs 'samtycke purge' once a day. Webhooks "
	 "(docs/webhooks.md) are delivered by a thread of their own; a failed delivery is retried "
	 "after --webhook-backoff (default 5) seconds, doubling up to an hour, for "
	 "--webhook-retry-for (default 259200, 3 days) seconds; --allow-private-webhooks lets "
	 "endpoints on loopback and private networks be added and reached (link-local and cloud "
	 "metadata addresses never); deliveries ignore http_proxy, https_proxy and all_proxy and "
	 "go through --webhook-proxy (http://, https://, socks5://, socks5h://) only. Limits "
	 "(docs/internals/http.md): --max-connections (default 1000) open connections in all, "
	 "--max-client-connections (default 64) per client address; --trusted-proxy CIDR "
	 "(repeatable) names reverse proxies whose X-Forwarded-For gives the client address."},
	{"pending expire", sk_cmd_pending_expire, "[--days N]",
	 "Delete form requests whose confirmation link has expired (nothing about the person "
	 "changes), expire consents left pending by the API for more than N days (default 7) "
	 "and delete the personal data of contacts that have nothing else."},
	{"keys create", sk_cmd_keys_create, "--name NAME --scope SCOPES",
	 "Create an API key. SCOPES is a comma-separated set of read, write, dsr, admin. The key is "
	 "printed alone on stdout, once; only its hash is stored."},
	{"keys list", sk_cmd_keys_list, "", "List API keys (names, scopes, created, revoked)."},
	{"keys revoke", sk_cmd_keys_revoke, "NAME", "Revoke the active API key named NAME."},
	{"audit verify", sk_cmd_audit_verify, "",
	 "Verify the ledger's hash chain. Exit 0 when whole; otherwise exit 1 naming the first "
	 "bad sequence number."},
	{"webhook add", sk_cmd_webhook_add, "URL --events EVENTS [--name NAME] [--allow-private]",
	 "Add a webhook endpoint (docs/webhooks.md). EVENTS is a comma-separated set of "
	 "consent.given, consent.withdrawn, consent.refused, consent.expired, consent.pending, "
	 "consent.unverified, contact.changed, contact.erased, contact.unsuppressed, or all. Only "
	 "http and https URLs; a host on loopback or a private network is refused unless "
	 "--allow-private. Prints the endpoint id and its signing secret (whsec_...), once; "
	 "'samtycke serve' delivers every change from now on, signed per Standard Webhooks."},
	{"webhook list", sk_cmd_webhook_list, "",
	 "List webhook endpoints with their delivery state: last delivered seq, pending changes, "
	 "last error."},
	{"webhook remove", sk_cmd_webhook_remove, "ID", "Remove the webhook endpoint ID."},
	{"import", sk_cmd_import, "FILE --map MAPPING [--rejects FILE [--rejects-with-data]] "
	 "[--dry-run]",
	 "Import contacts and consents from a CSV file (RFC 4180, ',' or ';', UTF-8 with or without "
	 "BOM, or the encoding the mapping names). MAPPING (JSON) names the address column, the "
	 "declared fields and, per purpose, the consent, date and source columns "
	 "(docs/import-export.md). The file is checked whole first: a wrong encoding or a quote "
	 "never closed stops it naming the line, and nothing is stored. A 'yes' with date and "
	 "source is a give by method import; without them it is stored as unverified; 'no' is a "
	 "refusal. A row stores only the fields its consents need. Rejected rows go to --rejects "
	 "as CSV (line,reason,column; no values); --rejects-with-data adds each row's cells to fix "
	 "and re-import (personal data: delete the file after use). Runs in transactions of 1,000 "
	 "rows; re-running the same file and mapping resumes after the last committed row. "
	 "--dry-run counts without writing."},
	{"export-contacts", sk_cmd_export_contacts, "--purpose P [--format csv|ndjson] "
	 "[--allowed-only] [--for-spreadsheet]",
	 "Every contact with the gate's answer for purpose P (allowed and reason) and its fields, "
	 "streamed to stdout as CSV (RFC 4180, every value exactly as stored) or NDJSON. "
	 "--allowed-only: only the contacts the gate allows. --for-spreadsheet (CSV only): a UTF-8 "
	 "BOM, and cells starting with = + - @ tab or CR get a leading ' so that a spreadsheet "
	 "never runs them (not for machines: values change). The export carries every opt-out."},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void global_usage(FILE *f)
{
	fprintf(f, "usage: samtycke [--db PATH] [--key-file PATH] [--json] COMMAND [ARGS]\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-17s %s\n", commands[i].name, commands[i].usage);
	fprintf(f, "\nEvery command takes --help. Exit codes: 0 ok or allowed, 1 denied or not "
		   "found, 2 usage, 3 data or storage error.\n"
		   "The database is --db, else $SAMTYCKE_DB, else ./samtycke.db; the key file is "
		   "--key-file, else $SAMTYCKE_KEY_FILE, else the database path plus '.key'.\n");
}

const struct sk_cmd *sk_cli_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int sk_cli_usage(const struct sk_cmd *cmd)
{
	fprintf(stderr, "usage: samtycke %s %s\n(samtycke %s --help for more)\n", cmd->name,
		cmd->usage, cmd->name);
	return SK_EXIT_USAGE;
}

int sk_cli_help(const struct sk_cmd *cmd)
{
	printf("usage: samtycke %s %s\n\n%s\n\nCommon options: --json (machine-readable output), "
	       "--help.\n", cmd->name, cmd->usage, cmd->help);
	return SK_EXIT_OK;
}

int sk_cli_getopt(struct sk_cli *cli, const struct sk_cmd *cmd, int argc, char **argv,
		  const char *shortopts, const struct option *longopts, int *done)
{
	struct option all[32];
	char sopts[64];
	size_t n = 0;
	for (; longopts && longopts[n].name && n < 29; n++)
		all[n] = longopts[n];
	all[n++] = (struct option){"json", no_argument, NULL, 'j'};
	all[n++] = (struct option){"help", no_argument, NULL, 'h'};
	all[n] = (struct option){0};
	snprintf(sopts, sizeof(sopts), ":%s", shortopts ? shortopts : "");
	for (;;) {
		int c = getopt_long(argc, argv, sopts, all, NULL);
		if (c == 'j') {
			cli->json = 1;
			continue;
		}
		if (c == 'h') {
			sk_cli_help(cmd);
			*done = 1;
			return -1;
		}
		if (c == '?' || c == ':') {
			fprintf(stderr, "samtycke %s: %s option '%s'\n", cmd->name,
				c == '?' ? "unknown" : "missing value for", argv[optind - 1]);
			return '?';
		}
		return c;
	}
}

int sk_cli_plain(struct sk_cli *cli, const struct sk_cmd *cmd, int argc, char **argv, int nargs)
{
	int done = 0;
	if (sk_cli_getopt(cli, cmd, argc, argv, "", NULL, &done) != -1)
		return sk_cli_usage(cmd);
	if (done)
		return SK_EXIT_OK;
	return argc - optind == nargs ? -1 : sk_cli_usage(cmd);
}

int sk_cli_open(struct sk_cli *cli)
{
	int rc = sk_store_open(cli->db, 0, &cli->store, &cli->err);
	if (!rc)
		rc = sk_vault_open(cli->keyfile, &cli->vault, &cli->err);
	if (!rc)
		rc = sk_core_open(cli->store, cli->vault, 0, &cli->core, &cli->err);
	if (!rc && cli->core->canon_note[0]) /* once, on the run that upgraded the database */
		fprintf(stderr, "samtycke: %s\n", cli->core->canon_note);
	return rc;
}

void sk_cli_close(struct sk_cli *cli)
{
	sk_core_free(cli->core);
	sk_vault_free(cli->vault);
	sk_store_close(cli->store);
	cli->core = NULL;
	cli->vault = NULL;
	cli->store = NULL;
}

int sk_cli_fail(struct sk_cli *cli, int code)
{
	const char *msg = cli->err.code == code && cli->err.msg[0] ? cli->err.msg
								   : sk_err_message(code);
	if (cli->json) {
		json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", sk_err_name(code),
				      "message", msg);
		sk_cli_print_json(e);
	} else {
		fprintf(stderr, "samtycke: %s\n", msg);
	}
	switch (code) {
	case SK_ERR_NOT_FOUND: return SK_EXIT_NO;
	case SK_ERR_USAGE: return SK_EXIT_USAGE;
	default: return SK_EXIT_ERROR;
	}
}

void sk_cli_print_json(json_t *v)
{
	if (!v) {
		fprintf(stderr, "samtycke: out of memory\n");
		return;
	}
	json_dumpf(v, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(v);
}

const char *sk_cli_time(int64_t t, char *out)
{
	if (t == 0)
		return "unknown";
	sk_time_format(t, out);
	return out;
}

int sk_cli_field_arg(char *arg, struct sk_field_value *f, struct sk_errctx *err)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return sk_errf(err, SK_ERR_USAGE, "--field takes NAME=VALUE");
	*eq = '\0';
	f->name = arg;
	f->value = eq + 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"key-file", required_argument, NULL, 'k'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	struct sk_cli cli = {0};
	const char *keyfile = getenv("SAMTYCKE_KEY_FILE");
	int c;

	cli.db = getenv("SAMTYCKE_DB");
	while ((c = getopt_long(argc, argv, "+d:k:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cli.db = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': global_usage(stdout); return SK_EXIT_OK;
		case 'V': printf("samtycke %s\n", SK_VERSION); return SK_EXIT_OK;
		default: global_usage(stderr); return SK_EXIT_USAGE;
		}
	}
	if (!cli.db || !*cli.db)
		cli.db = "samtycke.db";
	if (keyfile && *keyfile) {
		cli.keyfile = keyfile;
	} else {
		const char *file = sk_store_uri_file(cli.db); /* a store URI's file (docs/cli.md) */
		snprintf(cli.keyfile_buf, sizeof(cli.keyfile_buf), "%s.key", file ? file : "samtycke");
		cli.keyfile = cli.keyfile_buf;
	}
	if (optind >= argc) {
		global_usage(stderr);
		return SK_EXIT_USAGE;
	}

	/* A command is one word or two ("policy apply"). */
	const struct sk_cmd *cmd = NULL;
	int first = optind;
	if (optind + 1 < argc) {
		char two[128];
		snprintf(two, sizeof(two), "%s %s", argv[optind], argv[optind + 1]);
		if ((cmd = sk_cli_find(two)))
			first = optind + 1;
	}
	if (!cmd)
		cmd = sk_cli_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "samtycke: unknown command '%s'\n", argv[optind]);
		global_usage(stderr);
		return SK_EXIT_USAGE;
	}
	optind = 0; /* full reinitialisation of getopt for the command's own options */
	int rc = cmd->run(&cli, argc - first, argv + first);
	sk_cli_close(&cli);
	return rc;
}
