/* bench_campaign.c: the campaign benchmark (issue 16). N recipients, each with a newsletter
 * consent (2 % of them suppressed), mailed to a loopback SMTP server (bench/smtp_sink.c):
 * samtycke as a campaign (sk_campaign_send queues it through the outbox, the mail worker's
 * passes send it, the gate asked again for each mail), and as a plain loop of the gate and
 * its sender (sk_mail_send); the reference is a bare libcurl loop sending the same message
 * bytes to the same server over one reused connection (one message built once), with no
 * check. Prints mails per second and the
 * ratio; never fails on speed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define BENCH_NAME "bench_campaign"
#include "bench.h"
#include "core/core.h"
#include "mail/mail.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "vault/vault.h"

#define BATCH 10000
#define PURPOSE "newsletter"
#define FROM "news@bench.example.com"
#define SUBJECT "Spring news from Example"
#define TEXT "Hello,\n\nour spring offers are here: https://www.example.com/spring?utm_source=" \
	     "newsletter&utm_medium=email&utm_campaign=spring\n\nTo stop these mails, use the link" \
	     " below.\n"

static void address(char *out, size_t len, long i)
{
	snprintf(out, len, "rcpt%ld@bench.example.com", i);
}

static int suppressed(long i)
{
	return i % 50 == 7;
}

static struct sk_core *load(const char *dir, const char *policy_path, long n,
			    struct sk_store **st, struct sk_vault **v)
{
	char keyfile[4096], db[4096], addr[64];
	struct sk_errctx err = {0};
	struct sk_core *core;
	snprintf(keyfile, sizeof(keyfile), "%s/master.key", dir);
	snprintf(db, sizeof(db), "%s/samtycke.db", dir);
	if (sk_vault_keyfile_create(keyfile, &err) || sk_vault_open(keyfile, v, &err) ||
	    sk_store_open(db, 1, st, &err) || sk_core_open(*st, *v, 1, &core, &err))
		die("opening samtycke", err.msg);
	apply_policy(core, policy_path);
	struct sk_consent_req req = {.email = addr, .purpose = PURPOSE, .action = SK_ACT_GIVE,
				     .method = "import", .source = "bench",
				     .occurred_at = sk_time_now() - 86400};
	for (long i = 0; i < n; i += BATCH) {
		if (sk_core_batch_begin(core, &err))
			die("batch", err.msg);
		for (long j = i; j < n && j < i + BATCH; j++) {
			address(addr, sizeof(addr), j);
			if (sk_consent_record(core, &req, NULL, &err))
				die("consent", err.msg);
			if (suppressed(j) && sk_suppress(core, addr, "bounced", &err))
				die("suppress", err.msg);
		}
		if (sk_core_batch_commit(core, &err))
			die("commit", err.msg);
	}
	return core;
}

/* samtycke: the gate for every recipient, then its sender for each allowed one. */
static double sk_send_all(struct sk_core *core, const struct sk_mail_config *cfg, long n,
			  long *sent)
{
	char addr[64];
	struct sk_gate_result g;
	struct sk_errctx err = {0};
	int64_t now = sk_time_now();
	*sent = 0;
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		address(addr, sizeof(addr), i);
		sk_gate_check(core, addr, PURPOSE, now, &g);
		if (!g.allowed)
			continue;
		struct sk_mail m = {.to = addr, .subject = SUBJECT, .text = TEXT};
		if (sk_mail_send(cfg, &m, &err))
			die("sk_mail_send", err.msg);
		(*sent)++;
	}
	return now_s() - t0;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *out, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems < u->left ? size * nitems : u->left;
	memcpy(out, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* The reference: one libcurl handle (its connection reused), the same message bytes; with
 * fresh, a new handle (a new connection, EHLO and QUIT) per mail, as sk_mail_send does. */
static double curl_send_all(const char *url, const struct sk_mail_config *cfg, long n,
			    int fresh, long *sent)
{
	char addr[64], from[80];
	struct sk_errctx err = {0};
	CURL *curl = curl_easy_init();
	if (!curl)
		die("curl", "curl_easy_init");
	char *msg;
	size_t len;
	snprintf(from, sizeof(from), "<%s>", FROM);
	/* one message as samtycke builds it, sent to every recipient as it is */
	address(addr, sizeof(addr), 0);
	struct sk_mail m = {.to = addr, .subject = SUBJECT, .text = TEXT};
	if (sk_mail_build(cfg, &m, &msg, &len, &err))
		die("sk_mail_build", err.msg);
	*sent = 0;
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		address(addr, sizeof(addr), i);
		struct upload u = {msg, len};
		if (fresh && i > 0) {
			curl_easy_cleanup(curl);
			if (!(curl = curl_easy_init()))
				die("curl", "curl_easy_init");
		}
		struct curl_slist *rcpt = curl_slist_append(NULL, addr);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
		curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(curl, CURLOPT_READDATA, &u);
		CURLcode rc = curl_easy_perform(curl);
		curl_slist_free_all(rcpt);
		if (rc != CURLE_OK)
			die("curl_easy_perform", curl_easy_strerror(rc));
		(*sent)++;
	}
	double t = now_s() - t0;
	sk_free(msg);
	curl_easy_cleanup(curl);
	return t;
}

/* samtycke's campaign: queued (sk_campaign_send), then sent by the mail worker's passes
 * (unpaced) until nothing is left; *queue_s is the queueing's share. */
static double campaign_send_all(struct sk_core *core, struct sk_mail_config *cfg,
				double *queue_s, long *sent)
{
	char id[SK_ID_LEN + 1];
	struct sk_errctx err = {0};
	struct sk_campaign_status st;
	long queued = 0;
	if (sk_campaign_create(core,
			       "{\"name\": \"Bench\", \"purpose\": \"newsletter\", \"subject\":"
			       " {\"en\": \"" SUBJECT "\"}, \"text\": {\"en\": \"Hello,\\n\\nour"
			       " spring offers are here: {{link:1}}\\n\"}, \"links\":"
			       " [\"https://www.example.com/spring\"], \"utm\": {\"source\":"
			       " \"newsletter\", \"medium\": \"email\", \"campaign\": \"spring\"}}",
			       sk_time_now(), id, &err))
		die("creating the campaign", err.msg);
	cfg->campaign_rate = 0;
	double t0 = now_s();
	if (sk_campaign_send(core, id, sk_time_now(), &queued, &err))
		die("queueing the campaign", err.msg);
	*queue_s = now_s() - t0;
	do {
		int failed = 0;
		if (sk_mail_worker_pass(core, cfg, "http://127.0.0.1:8080", 1000, &failed, &err))
			die("the mail worker", err.msg);
		if (failed)
			die("the mail worker", "a mail failed");
		if (sk_campaign_status(core, id, &st, &err))
			die("the campaign's status", err.msg);
	} while (st.queued + st.sending > 0);
	*sent = st.sent;
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	const char *root = getenv("SK_SOURCE_ROOT");
	char policy[4096], url[64];
	struct sk_store *store;
	struct sk_vault *vault;
	long n = 10000, sk_sent, curl_sent, fresh_sent;
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_campaign DIR SMTP_PORT [N]\n");
		return 2;
	}
	if (argc == 4 && (n = strtol(argv[3], NULL, 10)) <= 0)
		die("N", "must be a positive number");
	snprintf(policy, sizeof(policy), "%s/examples/policy.yaml", root && *root ? root : ".");
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%s", argv[2]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct sk_mail_config cfg = {.url = url, .from = FROM, .timeout = 30};

	double t0 = now_s();
	struct sk_core *core = load(argv[1], policy, n, &store, &vault);
	double load_s = now_s() - t0;
	double curl_s = curl_send_all(url, &cfg, n, 0, &curl_sent);
	double fresh_s = curl_send_all(url, &cfg, n, 1, &fresh_sent);
	double sk_s = sk_send_all(core, &cfg, n, &sk_sent);
	long camp_sent = 0;
	double queue_s = 0, camp_s = campaign_send_all(core, &cfg, &queue_s, &camp_sent);
	long want = 0;
	for (long i = 0; i < n; i++)
		want += !suppressed(i);

	printf("bench/campaign: N=%ld recipients (%ld allowed, %ld suppressed), one thread, "
	       "loopback SMTP sink\n", n, want, n - want);
	printf("%-40s%-14s%-14s%s\n", "", "samtycke", "bare libcurl", "ratio");
	printf("%-40s%-14.0f%-14.0f%.3g x\n", "campaign (outbox + worker) mails /s",
	       camp_sent / camp_s, curl_sent / curl_s, (camp_sent / camp_s) / (curl_sent / curl_s));
	printf("%-40s%-14.0f%-14.0f%.3g x\n", "gate + sk_mail_send loop mails /s", sk_sent / sk_s,
	       curl_sent / curl_s, (sk_sent / sk_s) / (curl_sent / curl_s));
	printf("%-40s%-14s%-14.0f%.3g x\n", "  libcurl, a new connection per mail /s", "",
	       fresh_sent / fresh_s, (sk_sent / sk_s) / (fresh_sent / fresh_s));
	printf("%-40s%-14.0f%-14s\n", "recipients decided /s (gate + send)", n / sk_s, "-");
	printf("%-40s%-14.2f%-14.2f(seconds; a new connection per mail: %.2f)\n",
	       "time (gate + sk_mail_send loop)", sk_s, curl_s, fresh_s);
	printf("%-40s%-14.2f%-14s(seconds, of which queueing %.2f)\n", "time (campaign)", camp_s, "",
	       queue_s);
	printf("%-40s%-14ld%-14ld%s\n", "mails sent (loop; campaign below)", sk_sent, curl_sent,
	       sk_sent == want ? "" : "  MISMATCH: samtycke sent another number than allowed");
	printf("%-40s%-14ld%s\n", "mails sent by the campaign", camp_sent,
	       camp_sent == want ? "" : "  MISMATCH: the campaign sent another number than allowed");
	printf("%-40s%.1f s\n", "load of the recipients (not timed above)", load_s);
	sk_core_free(core);
	sk_store_close(store);
	sk_vault_free(vault);
	curl_global_cleanup();
	return sk_sent == want && camp_sent == want ? 0 : 1;
}
