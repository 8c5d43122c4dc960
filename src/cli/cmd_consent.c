/* cmd_consent.c: samtycke consent give|refuse|withdraw|confirm (append to the ledger),
 * consent show (state and history), consent proof (who, when, where, how, what text) and
 * consent receipt (a Kantara Consent Receipt v1.1 for one ledger event). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/sktime.h"
#include "util/str.h"

static int run_consent_record(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"method", required_argument, NULL, 'm'},
		{"source", required_argument, NULL, 's'},
		{"notice-version", required_argument, NULL, 'n'},
		{"lang", required_argument, NULL, 'l'},
		{"at", required_argument, NULL, 'a'},
		{"actor", required_argument, NULL, 'A'},
		{"evidence", required_argument, NULL, 'e'},
		{0},
	};
	struct sk_consent_req req = {.action = sk_action_from_name(argv[0]), .actor = "cli",
				     .lang = "en"};
	struct sk_consent_event ev;
	int c, done = 0, rc;
	char *end;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		switch (c) {
		case 'm': req.method = optarg; break;
		case 's': req.source = optarg; break;
		case 'l': req.lang = optarg; break;
		case 'A': req.actor = optarg; break;
		case 'e': req.evidence_json = optarg; break;
		case 'n':
			req.notice_version = (int)strtol(optarg, &end, 10);
			if (*end || req.notice_version <= 0) {
				return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE,
						    "--notice-version takes a positive number");
			}
			break;
		case 'a':
			if (sk_time_parse_human(optarg, &req.occurred_at))
				return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE,
						    "--at takes " SK_TIME_FORMS);
			break;
		default: return sk_cli_usage(cmd);
		}
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 2 || !req.method)
		return sk_cli_usage(cmd);
	if (req.evidence_json) {
		json_error_t je;
		json_t *v = json_loads(req.evidence_json, JSON_REJECT_DUPLICATES, &je);
		int is_obj = json_is_object(v);
		json_decref(v);
		if (!is_obj) {
			return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE,
					    "--evidence must be a JSON object (column %d: %s)",
					    je.column, v ? "not an object" : je.text);
		}
	}
	char who_id[SK_ID_LEN + 1], who[SK_CONTACT_WHO_MAX];
	req.email = who;
	req.purpose = argv[optind + 1];
	struct sk_state st;
	int64_t chseq = 0;
	char t[SK_TIME_STRLEN];
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_contact_resolve(cli->core, argv[optind], who_id, who, &cli->err)) ||
	    (rc = sk_consent_record_state(cli->core, &req, &ev, &st, &chseq, &cli->err)))
		return sk_cli_fail(cli, rc);
	/* The state now, not as stored: a give dated (--at) before the purpose's validity
	 * reaches back to today has already run out, and saying "given" would mislead. */
	enum sk_status now = sk_state_status(&st, sk_time_now());
	const char *status = sk_status_name(now);
	if (cli->json)
		sk_cli_print_json(sk_json_consent_recorded(&ev, status, chseq));
	else if (now == SK_ST_EXPIRED && st.status != SK_ST_EXPIRED && st.valid_until)
		printf("recorded %s as event %lld (%s); %s already expired at %s (its validity "
		       "counts from --at), so it is not given now\n", sk_action_name(ev.action),
		       (long long)ev.seq, ev.id, ev.purpose, sk_cli_time(st.valid_until, t));
	else
		printf("recorded %s as event %lld (%s); %s is now %s\n", sk_action_name(ev.action),
		       (long long)ev.seq, ev.id, ev.purpose, status);
	return SK_EXIT_OK;
}


static int show_state(void *arg, const struct sk_state *st)
{
	struct sk_json_list *x = arg;
	char t[SK_TIME_STRLEN];
	if (x->arr)
		return sk_json_list_state(x, st);
	printf("  %-20s %s", st->purpose, sk_status_name(sk_state_status(st, x->now)));
	if (st->valid_until)
		printf(", valid until %s", sk_cli_time(st->valid_until, t));
	printf("\n");
	return 0;
}

static int show_event(void *arg, const struct sk_consent_event *ev)
{
	struct sk_json_list *x = arg;
	char t[SK_TIME_STRLEN], source[sizeof(ev->source)];
	/* an old row's source may hold a page's query: shown without it (docs/rights.md) */
	sk_source_strip(ev->source, source, sizeof(source));
	if (x->arr)
		return sk_json_list_event(x, ev);
	printf("  %4lld %s %-20s %-8s %-17s %s%s\n", (long long)ev->seq,
	       sk_cli_time(ev->occurred_at, t), ev->purpose, sk_action_name(ev->action),
	       sk_method_name(ev->method), source,
	       ev->flags & SK_EV_UNVERIFIED ? " (unverified)" : "");
	return 0;
}

static int run_consent_show(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	char id[SK_ID_LEN + 1];
	int rc;

	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 1)) >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)) || (rc = sk_cli_contact(cli, argv[optind], id)))
		return sk_cli_fail(cli, rc);
	struct sk_json_list st = {cli->json ? json_array() : NULL, sk_time_now(), 0};
	struct sk_json_list hist = {cli->json ? json_array() : NULL, st.now, 0};
	if (!cli->json)
		printf("contact %s\nstate:\n", id);
	rc = sk_consent_states(cli->core, id, show_state, &st, &cli->err);
	if (!rc && !cli->json)
		printf("history:\n");
	if (!rc)
		rc = sk_consent_history(cli->core, id, show_event, &hist, &cli->err);
	if (rc) {
		json_decref(st.arr);
		json_decref(hist.arr);
		return sk_cli_fail(cli, rc);
	}
	if (cli->json)
		sk_cli_print_json(sk_json_consents(id, st.arr, hist.arr));
	return SK_EXIT_OK;
}

static int run_consent_proof(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct sk_proof p;
	char t1[SK_TIME_STRLEN], t2[SK_TIME_STRLEN], hash[2 * SK_HASH_LEN + 1];
	int rc;

	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 2)) >= 0)
		return rc;
	char who_id[SK_ID_LEN + 1], who[SK_CONTACT_WHO_MAX];
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_contact_resolve(cli->core, argv[optind], who_id, who, &cli->err)) ||
	    (rc = sk_consent_proof(cli->core, who, argv[optind + 1], &p, &cli->err)))
		return sk_cli_fail(cli, rc);
	const struct sk_consent_event *ev = &p.event;
	int64_t now = sk_time_now();
	const char *status = sk_status_name(sk_state_status(&p.state, now));
	if (cli->json) {
		sk_cli_print_json(sk_json_proof(&p, now));
	} else {
		sk_hex(ev->notice_sha256, SK_HASH_LEN, hash);
		char gsrc[sizeof(ev->source)], src[sizeof(ev->source)];
		sk_source_strip(p.given.source, gsrc, sizeof(gsrc));
		sk_source_strip(ev->source, src, sizeof(src));
		printf("contact:     %s\npurpose:     %s\nstatus:      %s\n", p.state.contact_id,
		       p.state.purpose, status);
		if (p.given.seq)
			printf("given:       %s (event %lld) by %s from %s\n",
			       sk_cli_time(p.given.occurred_at, t1), (long long)p.given.seq,
			       sk_method_name(p.given.method), gsrc);
		if (p.given_evidence_json)
			printf("given with:  %s\n", p.given_evidence_json);
		printf("action:      %s (event %lld, %s)%s\n", sk_action_name(ev->action),
		       (long long)ev->seq, ev->id,
		       ev->flags & SK_EV_UNVERIFIED ? ", unverified: claimed without evidence" : "");
		printf("when:        %s (recorded %s)\n", sk_cli_time(ev->occurred_at, t1),
		       sk_cli_time(ev->recorded_at, t2));
		printf("how:         %s\nwhere:       %s\nwho:         recorded by %s\n",
		       sk_method_name(ev->method),
		       src[0] ? src : "(no source)", ev->actor);
		if (ev->valid_until)
			printf("valid until: %s\n", sk_cli_time(ev->valid_until, t1));
		printf("notice:      version %d (%s), sha256 %s\n", ev->notice_version, ev->lang, hash);
		if (p.evidence_json)
			printf("evidence:    %s\n", p.evidence_json);
		else if (p.evidence_shredded)
			printf("evidence:    destroyed with the person's data key\n");
		printf("\nnotice text shown:\n%s\n", p.notice_text);
	}
	sk_proof_reset(&p);
	return SK_EXIT_OK;
}

/* The receipt is a JSON document (the API's), printed as such with or without --json. */
static int run_consent_receipt(const struct sk_cmd *cmd, struct sk_cli *cli, int argc,
			       char **argv)
{
	struct sk_consent_receipt r;
	int rc;

	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 1)) >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)) || (rc = sk_receipt(cli->core, argv[optind], &r, &cli->err)))
		return sk_cli_fail(cli, rc);
	sk_cli_print_json(sk_json_receipt(&r));
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_consent_give = {
	.name = "consent give",
	.summary = "record that a person gave consent",
	.usage = "EMAIL|ID PURPOSE --method METHOD --source SOURCE [--notice-version N] [--lang "
		"sv|en] [--at TIME] [--actor WHO] [--evidence JSON]",
	.help = "Record that the person gave consent for PURPOSE. METHOD is form, "
		"preference_centre, import, api, cli, mail_link, one_click, phone, paper or banner. Without a source, "
		"or an import without --at, the consent is stored as unverified and the gate "
		"denies it.",
	.run = run_consent_record,
};

const struct sk_cmd sk_cmd_entry_consent_refuse = {
	.name = "consent refuse",
	.summary = "record that a person refused consent",
	.usage = "EMAIL|ID PURPOSE --method METHOD --source SOURCE [options as for give]",
	.help = "Record that the person refused consent for PURPOSE.",
	.run = run_consent_record,
};

const struct sk_cmd sk_cmd_entry_consent_withdraw = {
	.name = "consent withdraw",
	.summary = "record that a person withdrew consent",
	.usage = "EMAIL|ID PURPOSE --method METHOD --source SOURCE [options as for give]",
	.help = "Record that the person withdrew consent for PURPOSE.",
	.run = run_consent_record,
};

const struct sk_cmd sk_cmd_entry_consent_confirm = {
	.name = "consent confirm",
	.summary = "record the confirmation of a pending consent",
	.usage = "EMAIL|ID PURPOSE --method METHOD --source SOURCE [options as for give]",
	.help = "Record the confirmation of a pending (double opt-in) consent for PURPOSE.",
	.run = run_consent_record,
};

const struct sk_cmd sk_cmd_entry_consent_show = {
	.name = "consent show",
	.summary = "a person's consent state and history",
	.usage = "EMAIL|ID",
	.help = "List the person's consent state per purpose and the whole history.",
	.run = run_consent_show,
};

const struct sk_cmd sk_cmd_entry_consent_proof = {
	.name = "consent proof",
	.summary = "who gave a consent, when, where, how, what text",
	.usage = "EMAIL|ID PURPOSE",
	.help = "Show who gave the current consent, when, where, how, and the exact notice text "
		"shown.",
	.run = run_consent_proof,
};

const struct sk_cmd sk_cmd_entry_consent_receipt = {
	.name = "consent receipt",
	.summary = "the Kantara consent receipt of one ledger event",
	.usage = "EVENT_ID",
	.help = "Print the Kantara Consent Receipt v1.1 (JSON) of one ledger event: a give, a "
		"refusal, a withdrawal, a confirmation or an expiry.",
	.run = run_consent_receipt,
};
