/* mail.c: builds plain-text UTF-8 messages (quoted-printable body, RFC 2047 subject), sends
 * them over SMTP with libcurl.
 * No address ever goes into an error message. See docs/internals/mail.md. */
#include "mail/mail.h"

#include "util/curl_dl.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/str.h"
#include "vault/vault.h"
#include "util/sktime.h"

#define MAIL_MAX (1024 * 1024)     /* a whole built message */
#define QP_LINE 76                 /* RFC 2045: encoded lines at most 76 characters */
#define DEFAULT_TIMEOUT 30L

static const char hexdigits[] = "0123456789ABCDEF";

/* ---- checks ---------------------------------------------------------------------------- */

static int check_header(const char *s, const char *what, struct sk_errctx *err)
{
	if (!s)
		return sk_errf(err, SK_ERR_INVALID, "mail %s is missing", what);
	if (strpbrk(s, "\r\n"))
		return sk_errf(err, SK_ERR_INVALID, "mail %s contains a line break", what);
	return 0;
}

/* A bare address: local@domain, no controls, spaces or characters that would let it be read
 * as more than one address or as a display name. */
static int check_address(const char *s, const char *what, struct sk_errctx *err)
{
	int rc = check_header(s, what, err);
	if (rc)
		return rc;
	size_t len = strlen(s);
	if (len == 0 || len > 320)
		return sk_errf(err, SK_ERR_INVALID, "mail %s address is empty or too long", what);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || strchr("<>,;\"()\\", c))
			return sk_errf(err, SK_ERR_INVALID,
				       "mail %s address has a forbidden character at byte %zu", what,
				       i + 1);
	}
	const char *at = strrchr(s, '@');
	if (!at || at == s || at[1] == '\0')
		return sk_errf(err, SK_ERR_INVALID, "mail %s address lacks local part or domain",
			       what);
	return 0;
}

/* The form of an address the envelope and the address headers carry: the local part as
 * written, an internationalised domain as its A-label. That is what a server without
 * SMTPUTF8 needs, and a server with it takes the same (RFC 6531 3.2); only a local part
 * beyond ASCII needs SMTPUTF8 (libcurl asks for it when the server offers it). One rule for
 * both kinds of server, decided here rather than left to how libcurl was built. */
static int ascii_domain(const char *s, const char *what, char out[SK_EMAIL_MAX + 1],
			struct sk_errctx *err)
{
	int rc = check_address(s, what, err);
	if (!rc && (rc = sk_email_ascii_domain(s, out, err)))
		rc = sk_errf(err, rc, "mail %s address: %s", what,
			     rc == SK_ERR_NOMEM ? "out of memory" : err ? err->msg : "invalid");
	return rc;
}

/* ---- headers --------------------------------------------------------------------------- */

static int append_date(struct sk_buf *b, int64_t t)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm))
		return SK_ERR_INVALID;
	return sk_buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
			     tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
			     tm.tm_min, tm.tm_sec);
}

/* Plain when short printable ASCII that cannot be mistaken for an encoded word. */
static int subject_is_plain(const char *s)
{
	size_t len = strlen(s);
	if (len > QP_LINE - 9 || strstr(s, "=?"))
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int q_literal(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

/* One header "NAME: TEXT TAIL": TEXT as it is when it is plain (and, for a display name,
 * holds no special), else as RFC 2047 "Q" encoded words of at most 75 characters, whole
 * UTF-8 characters in each, folded onto continuation lines so that no line passes 76
 * characters. The Q alphabet used is the one allowed in a phrase (RFC 2047, 5 (3)). */
static int append_words(struct sk_buf *b, const char *name, const char *s, int phrase,
			const char *tail)
{
	static const char open[] = "=?UTF-8?Q?", close[] = "?=";
	const size_t overhead = sizeof(open) - 1 + sizeof(close) - 1;
	int rc = sk_buf_printf(b, "%s: ", name);
	if (!rc && subject_is_plain(s) && !(phrase && strpbrk(s, "()<>@,;:\\\".[]")))
		return sk_buf_printf(b, "%s%s\r\n", s, tail);

	size_t room = 75 - overhead - (strlen(name) + 2); /* the first word shares its line */
	size_t used = 0;
	rc = rc ? rc : sk_buf_appends(b, open);
	const unsigned char *p = (const unsigned char *)s;
	while (!rc && *p) {
		/* one character: a lead byte and its continuation bytes */
		size_t n = 1;
		while (p[n] && (p[n] & 0xc0) == 0x80 && n < 4)
			n++;
		size_t enc = 0;
		for (size_t i = 0; i < n; i++)
			enc += (q_literal(p[i]) || p[i] == ' ') ? 1 : 3;
		if (used && used + enc > room) {
			rc = sk_buf_printf(b, "%s\r\n %s", close, open);
			room = 75 - overhead;
			used = 0;
		}
		for (size_t i = 0; !rc && i < n; i++) {
			if (p[i] == ' ')
				rc = sk_buf_append(b, "_", 1);
			else if (q_literal(p[i]))
				rc = sk_buf_append(b, &p[i], 1);
			else
				rc = sk_buf_printf(b, "=%c%c", hexdigits[p[i] >> 4],
						   hexdigits[p[i] & 15]);
		}
		used += enc;
		p += n;
	}
	return rc ? rc : sk_buf_printf(b, "%s%s\r\n", close, tail);
}

int sk_mail_from_parse(const char *from, struct sk_mail_sender *out, struct sk_errctx *err)
{
	const char *lt = from ? strrchr(from, '<') : NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_header(from, "sender", err)))
		return rc;
	if (!lt) {
		char a[SK_EMAIL_MAX + 1];
		if ((rc = ascii_domain(from, "sender", a, err)))
			return rc;
		sk_strlcpy(out->address, a, sizeof(out->address));
		return 0;
	}
	/* "Display Name <address>": the name may be quoted, the address is a bare one */
	const char *gt = strchr(lt, '>');
	size_t alen = gt ? (size_t)(gt - lt - 1) : 0;
	if (!gt || gt[1] != '\0' || alen == 0 || alen >= sizeof(out->address))
		return sk_errf(err, SK_ERR_INVALID, "mail sender: write it as 'Name <address>' or "
			       "as a bare address");
	memcpy(out->address, lt + 1, alen);
	out->address[alen] = '\0';
	char a[SK_EMAIL_MAX + 1];
	if ((rc = ascii_domain(out->address, "sender", a, err)))
		return rc;
	sk_strlcpy(out->address, a, sizeof(out->address));
	const char *n = from, *e = lt;
	while (n < e && (*n == ' ' || *n == '\t'))
		n++;
	while (e > n && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e - n >= 2 && *n == '"' && e[-1] == '"')
		n++, e--;
	if ((size_t)(e - n) >= sizeof(out->name))
		return sk_errf(err, SK_ERR_INVALID, "mail sender: the display name is longer than "
			       "%zu bytes", sizeof(out->name) - 1);
	for (const char *c = n; c < e; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\')
			return sk_errf(err, SK_ERR_INVALID, "mail sender: the display name has a "
				       "forbidden character at byte %zu", (size_t)(c - from) + 1);
	memcpy(out->name, n, (size_t)(e - n));
	out->name[e - n] = '\0';
	return 0;
}

/* ---- quoted-printable body ------------------------------------------------------------- */

/* Encodes one line (without its line end) and ends it with CRLF. Lines stay within 76
 * characters with soft breaks ("=" CRLF) that never split an "=XX"; '=' and every byte
 * outside printable ASCII are encoded, as are white space before a line end and a '.' that
 * starts a line (so that no relay's dot handling can touch it). */
static int qp_line(struct sk_buf *b, const unsigned char *p, size_t len)
{
	size_t col = 0;
	int rc = 0;
	for (size_t i = 0; !rc && i < len; i++) {
		unsigned char c = p[i];
		int last = i + 1 == len;
		int lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
		if (c == '.' && col == 0)
			lit = 0;
		size_t w = lit ? 1 : 3;
		/* the last character may use column 76; others leave room for the soft break */
		if (col + w > (last ? QP_LINE : QP_LINE - 1)) {
			rc = sk_buf_append(b, "=\r\n", 3);
			col = 0;
			if (!rc && c == '.')
				lit = 0, w = 3;
		}
		if (rc)
			break;
		if (lit)
			rc = sk_buf_append(b, &c, 1);
		else
			rc = sk_buf_printf(b, "=%c%c", hexdigits[c >> 4], hexdigits[c & 15]);
		col += w;
	}
	return rc ? rc : sk_buf_append(b, "\r\n", 2);
}

/* "\n" and "\r\n" end lines; a final line end adds no empty line. */
static int qp_body(struct sk_buf *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text);
	int rc = 0;
	while (!rc && len) {
		const unsigned char *nl = memchr(p, '\n', len);
		size_t n = nl ? (size_t)(nl - p) : len;
		size_t content = n;
		if (nl && content && p[content - 1] == '\r')
			content--;
		rc = qp_line(b, p, content);
		if (!nl)
			break;
		p += n + 1;
		len -= n + 1;
	}
	return rc;
}

int sk_mail_build(const struct sk_mail_config *cfg, const struct sk_mail *m, char **out,
		  size_t *outlen, struct sk_errctx *err)
{
	struct sk_buf b;
	uint8_t rnd[16];
	char id[2 * sizeof(rnd) + 1];
	int rc;

	*out = NULL;
	if (outlen)
		*outlen = 0;
	sk_buf_init(&b, MAIL_MAX);
	struct sk_mail_sender from;
	char tail[sizeof(from.address) + 4], to[SK_EMAIL_MAX + 1];
	if ((rc = sk_mail_from_parse(cfg->from, &from, err)) ||
	    (rc = ascii_domain(m->to, "recipient", to, err)) ||
	    (rc = check_header(m->subject, "subject", err)) ||
	    (m->list_unsub && (rc = check_header(m->list_unsub, "List-Unsubscribe", err))))
		goto out;
	if (!m->text) {
		rc = sk_errf(err, SK_ERR_INVALID, "mail text is missing");
		goto out;
	}
	if (sk_random(rnd, sizeof(rnd))) {
		rc = sk_errf(err, SK_ERR_IO, "no randomness for the Message-ID");
		goto out;
	}
	sk_hex(rnd, sizeof(rnd), id);
	if (from.name[0])
		snprintf(tail, sizeof(tail), " <%s>", from.address);
	else
		sk_strlcpy(tail, from.address, sizeof(tail));
	if ((rc = append_date(&b, sk_time_now())) ||
	    (rc = append_words(&b, "From", from.name, 1, tail)) ||
	    (rc = sk_buf_printf(&b, "To: %s\r\n", to)) ||
	    (rc = append_words(&b, "Subject", m->subject, 0, "")) ||
	    (rc = sk_buf_printf(&b, "Message-ID: <%s@%s>\r\n", id, strrchr(from.address, '@') + 1)) ||
	    /* RFC 2369 and RFC 8058: a campaign mail's one-click unsubscribe */
	    (m->list_unsub &&
	     (rc = sk_buf_printf(&b, "List-Unsubscribe: %s\r\n"
				     "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
				 m->list_unsub))) ||
	    (rc = sk_buf_appends(&b, "MIME-Version: 1.0\r\n")) ||
	    (m->html && (rc = sk_buf_printf(&b, "Content-Type: multipart/alternative;"
						" boundary=\"=_sk_%s\"\r\n"
						"Auto-Submitted: auto-generated\r\n"
						"\r\n--=_sk_%s\r\n",
					    id, id))) ||
	    (rc = sk_buf_appends(&b, "Content-Type: text/plain; charset=utf-8\r\n"
				     "Content-Transfer-Encoding: quoted-printable\r\n")) ||
	    (!m->html && (rc = sk_buf_appends(&b, "Auto-Submitted: auto-generated\r\n"))) ||
	    (rc = sk_buf_appends(&b, "\r\n")) || (rc = qp_body(&b, m->text)) ||
	    (m->html && (rc = sk_buf_printf(&b, "\r\n--=_sk_%s\r\n"
						"Content-Type: text/html; charset=utf-8\r\n"
						"Content-Transfer-Encoding: quoted-printable\r\n"
						"\r\n",
					    id))) ||
	    (m->html && (rc = qp_body(&b, m->html))) ||
	    (m->html && (rc = sk_buf_printf(&b, "\r\n--=_sk_%s--\r\n", id)))) {
		rc = sk_errf(err, rc, rc == SK_ERR_TOO_LARGE ? "mail message over %d bytes"
							       : "cannot build the mail message",
			     MAIL_MAX);
		goto out;
	}
	*out = sk_buf_steal(&b, outlen);
out:
	sk_buf_reset(&b);
	return rc;
}

/* ---- SMTP ------------------------------------------------------------------------------ */

struct upload {
	const char *p;
	size_t len;
	size_t off;
};

static size_t upload_read(char *dst, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	size_t n = size * nmemb, left = u->len - u->off;
	if (n > left)
		n = left;
	memcpy(dst, u->p + u->off, n);
	u->off += n;
	return n;
}

static int transfer_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			     curl_off_t ulnow)
{
	const struct sk_mail_config *cfg = arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return cfg->stopping(cfg->stopping_arg) ? 1 : 0;
}

static const char *smtp_step(CURLcode cc)
{
	switch (cc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
		return "setup";
	case CURLE_COULDNT_RESOLVE_HOST:
		return "name lookup";
	case CURLE_COULDNT_CONNECT:
		return "connect";
	case CURLE_USE_SSL_FAILED:
		return "STARTTLS";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
		return "TLS handshake";
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
		return "login";
	case CURLE_OPERATION_TIMEDOUT:
		return "exchange (timed out)";
	default:
		return "exchange";
	}
}

#define SETOPT(opt, val)                                                                   \
	do {                                                                               \
		if ((cc = curl_easy_setopt(curl, opt, val)) != CURLE_OK)                   \
			goto curl_failed;                                                  \
	} while (0)

int sk_mail_send(const struct sk_mail_config *cfg, const struct sk_mail *m,
		 struct sk_errctx *err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *rcpt = NULL;
	struct upload up = {0};
	CURL *curl = NULL;
	CURLcode cc = CURLE_OK;
	struct sk_mail_sender from;
	char *msg = NULL, to[SK_EMAIL_MAX + 1];
	size_t len = 0;
	int rc;

	if ((rc = sk_mail_from_parse(cfg->from, &from, err)) ||
	    (rc = ascii_domain(m->to, "recipient", to, err)))
		return rc;
	if (!cfg->url || (strncasecmp(cfg->url, "smtp://", 7) != 0 &&
			  strncasecmp(cfg->url, "smtps://", 8) != 0))
		return sk_errf(err, SK_ERR_INVALID, "SMTP URL must start with smtp:// or smtps://");
	if ((rc = sk_mail_build(cfg, m, &msg, &len, err)))
		return rc;
	up.p = msg;
	up.len = len;
	errbuf[0] = '\0';
	curl = curl_easy_init();
	rcpt = curl_slist_append(NULL, to);
	if (!curl || !rcpt) {
		rc = sk_errf(err, SK_ERR_NOMEM, "cannot set up the SMTP transfer");
		goto out;
	}
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_URL, cfg->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT, cfg->timeout > 0 ? cfg->timeout : DEFAULT_TIMEOUT);
	SETOPT(CURLOPT_USE_SSL, (long)(cfg->tls_required ? CURLUSESSL_ALL : CURLUSESSL_TRY));
	if (cfg->user) {
		SETOPT(CURLOPT_USERNAME, cfg->user);
		SETOPT(CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
	}
	SETOPT(CURLOPT_MAIL_FROM, from.address);
	if (cfg->stopping) {
		SETOPT(CURLOPT_XFERINFOFUNCTION, transfer_progress);
		SETOPT(CURLOPT_XFERINFODATA, (void *)cfg);
		SETOPT(CURLOPT_NOPROGRESS, 0L);
	}
	SETOPT(CURLOPT_MAIL_RCPT, rcpt);
	SETOPT(CURLOPT_UPLOAD, 1L);
	SETOPT(CURLOPT_READFUNCTION, upload_read);
	SETOPT(CURLOPT_READDATA, &up);
	SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	cc = curl_easy_perform(curl);
	if (cc == CURLE_OK)
		goto out;
curl_failed:;
	long reply = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
	/* curl's own text names the SMTP command ("RCPT failed: 550"); it is dropped if it
	 * ever carries an address. */
	int detail = errbuf[0] && !strchr(errbuf, '@');
	char code[48] = "";
	if (reply > 0)
		snprintf(code, sizeof(code), "; server replied %ld", reply);
	/* A local part beyond ASCII needs SMTPUTF8; curl uses it when the server offers it,
	 * and a server that refuses it (5xx) will never take this address. No answer at all is
	 * an ordinary failure that may pass. */
	const char *at = strrchr(to, '@');
	int utf8 = 0;
	for (const char *c = to; at && c < at; c++)
		utf8 |= (unsigned char)*c >= 0x80;
	if (utf8 && reply >= 500)
		rc = sk_errf(err, SK_ERR_INVALID, "SMTP %s failed: the address needs SMTPUTF8, "
			     "which the mail server does not offer%s", smtp_step(cc), code);
	else /* 5xx is permanent (SK_ERR_INVALID: do not try again); the rest may pass later */
		rc = sk_errf(err, reply >= 500 && reply < 600 ? SK_ERR_INVALID : SK_ERR_IO,
		     "SMTP %s failed: %s%s%s%s%s", smtp_step(cc), curl_easy_strerror(cc),
		     detail ? " (" : "", detail ? errbuf : "", detail ? ")" : "", code);
out:
	sk_vault_wipe(to, sizeof(to));
	curl_slist_free_all(rcpt);
	if (curl)
		curl_easy_cleanup(curl);
	if (msg) {
		memset(msg, 0, len);
		sk_free(msg);
	}
	return rc;
}
