/* mail.h: outgoing mail: building an RFC 5322 message (UTF-8 text, quoted-printable, RFC 2047
 * subject), sending it over SMTP with libcurl, and the texts of the double opt-in mail.
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
	const char *from;      /* envelope and From: address */
	int tls_required;      /* smtp:// must upgrade with STARTTLS (CURLUSESSL_ALL); else CURLUSESSL_TRY */
	long timeout;          /* seconds for the whole exchange; 0 or less: 30 */
};

struct sk_mail {
	const char *to;
	const char *subject;   /* UTF-8; encoded as RFC 2047 when not plain ASCII */
	const char *text;      /* UTF-8 plain text body; "\n" or "\r\n" line ends */
};

/* Builds an RFC 5322 message (Date, From, To, Subject, Message-ID, MIME-Version, Content-Type
 * text/plain; charset=utf-8, Content-Transfer-Encoding: quoted-printable) into *out (sk_malloc,
 * NUL-terminated, CRLF line ends). Refuses CR or LF in to, from and subject (header
 * injection), and controls, spaces or <>,;"()\ in the addresses, with SK_ERR_INVALID. */
int sk_mail_build(const struct sk_mail_config *cfg, const struct sk_mail *m, char **out,
		  size_t *outlen, struct sk_errctx *err);

/* Sends one message; SK_ERR_INVALID as sk_mail_build or for a URL that is not smtp:// or
 * smtps://; SK_ERR_IO with a message naming the SMTP step and the curl error (and the
 * server's reply code), never the address. Call curl_global_init once at start-up before
 * threads send mail (libcurl otherwise does it on first use). */
int sk_mail_send(const struct sk_mail_config *cfg, const struct sk_mail *m,
		 struct sk_errctx *err);

/* The double opt-in mail: subject and body in lang ("sv" or "en"; anything else is
 * SK_ERR_INVALID) naming the controller and the n purpose titles, the link on a line of its
 * own, when it expires (UTC), and that nothing happens if the person ignores it. *subject
 * and *text are sk_malloc'ed. */
int sk_mail_confirmation(const char *lang, const char *controller,
			 const char *const *purpose_titles, size_t n, const char *link,
			 int64_t expires, char **subject, char **text, struct sk_errctx *err);

#endif
