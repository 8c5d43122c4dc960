/* mail.h: outgoing mail: building an RFC 5322 message (UTF-8 text, quoted-printable, RFC 2047
 * subject) and sending it over SMTP with libcurl; the mail worker that drains the outbox.
 * Addresses never appear in error messages. */
#ifndef SK_MAIL_H
#define SK_MAIL_H

#include <stddef.h>
#include <stdint.h>

struct sk_errctx;

struct sk_mail_config {
	const char *url;       /* smtp://host:port or smtps://host:port */
	const char *user;      /* NULL: no login */
	const char *password;
	const char *from;      /* "address" or "Display Name <address>" (sk_mail_from_parse) */
	int tls_required;      /* smtp:// must upgrade with STARTTLS (CURLUSESSL_ALL); else CURLUSESSL_TRY */
	long timeout;          /* seconds for the whole exchange; 0 or less: 30 */
	/* When set, polled during a transfer: nonzero abandons it (the server is stopping). */
	int (*stopping)(void *arg);
	void *stopping_arg;
	_Atomic double campaign_rate; /* the worker: campaign mails a second at most; 0: unpaced
				       * (serve's SIGHUP may change it: the worker takes it
				       * again before each pass) */
};

/* A sender as --mail-from gives it: a bare address, or a display name and the address in
 * angle brackets (the name may be quoted). */
struct sk_mail_sender {
	char address[321];     /* the envelope address */
	char name[128];        /* the display name; "" when none */
};
/* Parses and checks a sender; SK_ERR_INVALID naming what is wrong. */
int sk_mail_from_parse(const char *from, struct sk_mail_sender *out, struct sk_errctx *err);

struct sk_mail {
	const char *to;
	const char *subject;   /* UTF-8; encoded as RFC 2047 when not plain ASCII */
	const char *text;      /* UTF-8 plain text body; "\n" or "\r\n" line ends */
	const char *html;      /* NULL, or an HTML alternative: multipart/alternative */
	const char *list_unsub; /* NULL, or List-Unsubscribe's value, with List-Unsubscribe-Post:
				 * List-Unsubscribe=One-Click (RFC 8058) */
};

/* Builds an RFC 5322 message (Date, From, To, Subject, Message-ID, MIME-Version, Content-Type
 * text/plain; charset=utf-8, Content-Transfer-Encoding: quoted-printable) into *out (sk_malloc,
 * NUL-terminated, CRLF line ends). Refuses CR or LF in to, from and subject (header
 * injection), and controls, spaces or <>,;"()\ in the addresses, with SK_ERR_INVALID. */
int sk_mail_build(const struct sk_mail_config *cfg, const struct sk_mail *m, char **out,
		  size_t *outlen, struct sk_errctx *err);

/* Sends one message. SK_ERR_INVALID is permanent (trying again cannot help): as
 * sk_mail_build, a URL that is not smtp:// or smtps://, a 5xx reply, or an address whose local
 * part needs SMTPUTF8 that the server does not offer. SK_ERR_IO may pass later (no answer, a
 * 4xx reply). Messages name the SMTP step and the curl error (and the server's reply code),
 * never the address. Call curl_global_init once at start-up before
 * threads send mail (libcurl otherwise does it on first use). */
int sk_mail_send(const struct sk_mail_config *cfg, const struct sk_mail *m,
		 struct sk_errctx *err);

/* ---- the mail worker (mail/worker.c) ---- */

struct sk_core;
struct sk_vault;

struct sk_mail_worker_config {
	const char *db;                   /* store URI; the worker opens its own handle */
	struct sk_vault *vault;           /* shared; reloads its keys itself (vault.h) */
	const struct sk_mail_config *mail;
	const char *public_url;           /* base of the links in mails */
	long poll_ms;                     /* how often the outbox is read; 0: 250 */
	/* Several servers on one store (docs/internals/serve.md): only the holder of the lease
	 * "mail" sends. lease_holder: this server's id; NULL: no lease (one process alone).
	 * lease_ms: how long the lease holds. */
	const char *lease_holder;
	long lease_ms;
};
struct sk_mail_worker;
/* Starts the thread that drains the outbox. */
int sk_mail_worker_start(const struct sk_mail_worker_config *cfg, struct sk_mail_worker **out,
			 struct sk_errctx *err);
/* Stops it (a transfer in flight is abandoned and tried again later) and frees w. */
void sk_mail_worker_stop(struct sk_mail_worker *w);
/* One pass: sends up to max mails that are due; *nfailed (may be NULL) counts the attempts
 * that failed. */
int sk_mail_worker_pass(struct sk_core *c, const struct sk_mail_config *mail,
			const char *public_url, int max, int *nfailed, struct sk_errctx *err);

#endif
