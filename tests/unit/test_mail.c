/* test_mail.c: signed link tokens (vault), building mail messages (headers, RFC 2047
 * subject, quoted-printable body), the double opt-in texts, and real delivery over SMTP to
 * aiosmtpd started on a free loopback port with a Maildir under /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "mail/mail.h"
#include "util/err.h"
#include "util/mem.h"
#include "vault/vault.h"
#include "smtpd.h"

#define PYTHON "/usr/bin/python3"
#define T0 ((int64_t)1767225600) /* 2026-01-01T00:00:00Z */

static char dir[64];
static struct sk_vault *vault, *vault2;

static int group_setup(void **state)
{
	(void)state;
	char key[128];
	snprintf(dir, sizeof(dir), "/tmp/sk-mail.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(key, sizeof(key), "%s/a.key", dir);
	if (sk_vault_keyfile_create(key, NULL) || sk_vault_open(key, &vault, NULL))
		return -1;
	snprintf(key, sizeof(key), "%s/b.key", dir);
	if (sk_vault_keyfile_create(key, NULL) || sk_vault_open(key, &vault2, NULL))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	sk_vault_free(vault);
	sk_vault_free(vault2);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* ---- tokens ---------------------------------------------------------------------------- */

static int token_rc(const struct sk_vault *v, const char *tag, const char *tok, int64_t now)
{
	char subject[SK_TOKEN_MAX];
	int64_t exp = -1;
	int rc = sk_vault_token_verify(v, tag, tok, now, subject, &exp);
	if (rc == SK_ERR_INVALID) {
		assert_string_equal(subject, "");
		assert_int_equal(exp, 0);
	}
	return rc;
}

static void token_round_trip(void **state)
{
	(void)state;
	char tok[SK_TOKEN_MAX], subject[SK_TOKEN_MAX];
	int64_t exp = 0;
	assert_int_equal(sk_vault_token_sign(vault, "confirm", "e_01HZX3K9QF7M2V8R", T0 + 3600, tok),
			 0);
	/* URL-safe: [A-Za-z0-9_-] and exactly one '.' */
	assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
			 strlen(tok));
	assert_non_null(strchr(tok, '.'));
	assert_ptr_equal(strchr(tok, '.'), strrchr(tok, '.'));
	assert_int_equal(sk_vault_token_verify(vault, "confirm", tok, T0, subject, &exp), 0);
	assert_string_equal(subject, "e_01HZX3K9QF7M2V8R");
	assert_int_equal(exp, T0 + 3600);
	/* the same input signs the same way; expires may be NULL */
	char again[SK_TOKEN_MAX];
	assert_int_equal(sk_vault_token_sign(vault, "confirm", "e_01HZX3K9QF7M2V8R", T0 + 3600, again),
			 0);
	assert_string_equal(tok, again);
	assert_int_equal(sk_vault_token_verify(vault, "confirm", tok, T0, subject, NULL), 0);

	/* bounds: 100 bytes of any non-NUL bytes, the empty subject, extreme times */
	char big[101];
	memset(big, 0xff, 100);
	big[0] = '.';
	big[100] = '\0';
	assert_int_equal(sk_vault_token_sign(vault, "unsubscribe", big, INT64_MAX, tok), 0);
	assert_true(strlen(tok) < SK_TOKEN_MAX);
	assert_int_equal(sk_vault_token_verify(vault, "unsubscribe", tok, T0, subject, &exp), 0);
	assert_string_equal(subject, big);
	assert_int_equal(exp, INT64_MAX);
	assert_int_equal(sk_vault_token_sign(vault, "confirm", "", T0 + 1, tok), 0);
	assert_int_equal(sk_vault_token_verify(vault, "confirm", tok, T0, subject, &exp), 0);
	assert_string_equal(subject, "");
	assert_int_equal(sk_vault_token_sign(vault, "confirm", "x", INT64_MIN, tok), 0);
	assert_int_equal(token_rc(vault, "confirm", tok, T0), SK_ERR_EXPIRED);

	/* refused inputs */
	char over[102];
	memset(over, 'a', 101);
	over[101] = '\0';
	assert_int_equal(sk_vault_token_sign(vault, "confirm", over, T0, tok), SK_ERR_INVALID);
	assert_string_equal(tok, "");
	assert_int_equal(sk_vault_token_sign(vault, "", "x", T0, tok), SK_ERR_INVALID);
	assert_int_equal(sk_vault_token_sign(vault, "a-tag-that-is-longer-than-32-bytes", "x", T0, tok),
			 SK_ERR_INVALID);
	assert_int_equal(sk_vault_token_sign(vault, NULL, "x", T0, tok), SK_ERR_INVALID);
	assert_int_equal(sk_vault_token_sign(vault, "confirm", NULL, T0, tok), SK_ERR_INVALID);
}

static void token_tampered(void **state)
{
	(void)state;
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char tok[SK_TOKEN_MAX], t[SK_TOKEN_MAX + 8];
	assert_int_equal(sk_vault_token_sign(vault, "confirm", "e_01HZX3K9QF7M2V8R", T0 + 60, tok), 0);
	size_t len = strlen(tok);
	/* every character changed to several others: payload and MAC alike */
	for (size_t i = 0; i < len; i++) {
		if (tok[i] == '.')
			continue;
		for (size_t k = 0; k < 64; k += 7) {
			memcpy(t, tok, len + 1);
			if (alphabet[k] == tok[i])
				continue;
			t[i] = alphabet[k];
			assert_int_equal(token_rc(vault, "confirm", t, T0), SK_ERR_INVALID);
		}
	}
	/* every truncation, and additions at both ends */
	for (size_t n = 0; n < len; n++) {
		memcpy(t, tok, n);
		t[n] = '\0';
		assert_int_equal(token_rc(vault, "confirm", t, T0), SK_ERR_INVALID);
	}
	snprintf(t, sizeof(t), "%sA", tok);
	assert_int_equal(token_rc(vault, "confirm", t, T0), SK_ERR_INVALID);
	snprintf(t, sizeof(t), "%s=", tok);
	assert_int_equal(token_rc(vault, "confirm", t, T0), SK_ERR_INVALID);
	snprintf(t, sizeof(t), "A%s", tok);
	assert_int_equal(token_rc(vault, "confirm", t, T0), SK_ERR_INVALID);
	/* the payload of one token with the MAC of another */
	char other[SK_TOKEN_MAX];
	assert_int_equal(sk_vault_token_sign(vault, "confirm", "e_01HZX3K9QF7M2V8R", T0 + 61, other),
			 0);
	size_t p = (size_t)(strchr(tok, '.') - tok);
	snprintf(t, sizeof(t), "%.*s%s", (int)p, tok, strchr(other, '.'));
	assert_int_equal(token_rc(vault, "confirm", t, T0), SK_ERR_INVALID);
	/* tampering is refused before the expiry is looked at */
	assert_int_equal(sk_vault_token_sign(vault, "confirm", "e_1", T0 - 60, tok), 0);
	assert_int_equal(token_rc(vault, "confirm", tok, T0), SK_ERR_EXPIRED);
	tok[3] = tok[3] == 'A' ? 'B' : 'A';
	assert_int_equal(token_rc(vault, "confirm", tok, T0), SK_ERR_INVALID);
}

static void token_garbage(void **state)
{
	(void)state;
	char longtok[400];
	memset(longtok, 'A', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	longtok[200] = '.';
	const char *bad[] = {"", ".", "..", "abc", "a.b", "!!!!!!!!!!!!.????", "AAAA.AAAA",
			     "AAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			     "AAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.A",
			     "AAAAAAAAAAAA=.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			     "AAAA AAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			     "AAAAAAAA+/AA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			     longtok, NULL};
	for (size_t i = 0; bad[i]; i++)
		assert_int_equal(token_rc(vault, "confirm", bad[i], T0), SK_ERR_INVALID);
	assert_int_equal(token_rc(vault, "confirm", NULL, T0), SK_ERR_INVALID);
}

static void token_other_tag_or_key(void **state)
{
	(void)state;
	char tok[SK_TOKEN_MAX];
	assert_int_equal(sk_vault_token_sign(vault, "confirm", "e_abc", T0 + 60, tok), 0);
	assert_int_equal(token_rc(vault, "unsubscribe", tok, T0), SK_ERR_INVALID);
	assert_int_equal(token_rc(vault, "confirmx", tok, T0), SK_ERR_INVALID);
	assert_int_equal(token_rc(vault, "consent", tok, T0), SK_ERR_INVALID); /* same length */
	assert_int_equal(token_rc(vault, "", tok, T0), SK_ERR_INVALID);
	/* a key from another key file */
	assert_int_equal(token_rc(vault2, "confirm", tok, T0), SK_ERR_INVALID);
	/* and an expired token from another key is INVALID, not EXPIRED */
	assert_int_equal(sk_vault_token_sign(vault2, "confirm", "e_abc", T0 - 60, tok), 0);
	assert_int_equal(token_rc(vault2, "confirm", tok, T0), SK_ERR_EXPIRED);
	assert_int_equal(token_rc(vault, "confirm", tok, T0), SK_ERR_INVALID);
}

static void token_expired(void **state)
{
	(void)state;
	char tok[SK_TOKEN_MAX], subject[SK_TOKEN_MAX];
	int64_t exp = 0;
	assert_int_equal(sk_vault_token_sign(vault, "confirm", "e_abc", T0, tok), 0);
	assert_int_equal(sk_vault_token_verify(vault, "confirm", tok, T0 - 1, subject, &exp), 0);
	/* at the expiry time itself the token is no longer valid */
	assert_int_equal(sk_vault_token_verify(vault, "confirm", tok, T0, subject, &exp),
			 SK_ERR_EXPIRED);
	assert_string_equal(subject, "e_abc");
	assert_int_equal(exp, T0);
	assert_int_equal(sk_vault_token_verify(vault, "confirm", tok, T0 + 86400 * 30, subject, &exp),
			 SK_ERR_EXPIRED);
	assert_string_equal(sk_err_name(SK_ERR_EXPIRED), "expired");
	assert_int_equal(sk_err_http_status(SK_ERR_EXPIRED), 410);
}

/* ---- decoding helpers ------------------------------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	fail_msg("bad hex digit %c in quoted-printable", c);
	return 0;
}

/* Decodes quoted-printable (CRLF or LF line ends, as Maildir stores them); the result has
 * LF line ends. */
static char *qp_decode(const char *in, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		if (in[i] == '=') {
			if (i + 1 < len && in[i + 1] == '\n') {
				i += 2;
			} else if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n') {
				i += 3;
			} else {
				assert_true(i + 2 < len);
				out[o++] = (char)(hexval(in[i + 1]) << 4 | hexval(in[i + 2]));
				i += 3;
			}
		} else if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') {
			i++;
		} else {
			out[o++] = in[i++];
		}
	}
	out[o] = '\0';
	return out;
}

/* The start of the body: after the first empty line (CRLF or LF). */
static const char *body_of(const char *msg)
{
	const char *p = strstr(msg, "\r\n\r\n");
	if (p)
		return p + 4;
	p = strstr(msg, "\n\n");
	assert_non_null(p);
	return p + 2;
}

/* The unfolded value of a header (CRLF or LF), malloc'ed; NULL when absent. */
static char *header(const char *msg, const char *name)
{
	size_t nlen = strlen(name), hlen = (size_t)(body_of(msg) - msg);
	for (const char *p = msg; p < msg + hlen;) {
		const char *eol = strchr(p, '\n');
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1;
			while (*v == ' ')
				v++;
			char *out = malloc(hlen + 1);
			size_t o = 0;
			for (;;) {
				for (const char *q = v; q < eol; q++)
					if (*q != '\r')
						out[o++] = *q;
				if (eol[1] != ' ' && eol[1] != '\t')
					break;
				v = eol + 1;
				eol = strchr(v, '\n');
			}
			out[o] = '\0';
			return out;
		}
		p = eol + 1;
	}
	return NULL;
}

/* Decodes a header of RFC 2047 Q-encoded UTF-8 words (or plain text). */
static char *rfc2047_decode(const char *v)
{
	char *out = malloc(strlen(v) + 1);
	size_t o = 0;
	if (strncmp(v, "=?", 2) != 0) {
		memcpy(out, v, strlen(v) + 1);
		return out;
	}
	while (*v) {
		while (*v == ' ' || *v == '\t')
			v++;
		if (!*v)
			break;
		assert_int_equal(strncasecmp(v, "=?UTF-8?Q?", 10), 0);
		const char *end = strstr(v + 10, "?=");
		assert_non_null(end);
		assert_true(end - v + 2 <= 75); /* RFC 2047: an encoded word is at most 75 */
		for (const char *q = v + 10; q < end;) {
			if (*q == '_') {
				out[o++] = ' ';
				q++;
			} else if (*q == '=') {
				out[o++] = (char)(hexval(q[1]) << 4 | hexval(q[2]));
				q += 3;
			} else {
				out[o++] = *q++;
			}
		}
		v = end + 2;
	}
	out[o] = '\0';
	return out;
}

/* Every line of a built message ends in CRLF, is printable ASCII and at most 76 long. */
static void check_lines(const char *msg, size_t len)
{
	assert_int_equal(strlen(msg), len);
	const char *p = msg;
	while (*p) {
		const char *eol = strstr(p, "\r\n");
		assert_non_null(eol);
		assert_true(eol - p <= 76);
		for (const char *q = p; q < eol; q++)
			assert_true((*q >= 0x20 && *q < 0x7f) || *q == '\t');
		if (eol > p && p >= body_of(msg))
			assert_true(eol[-1] != ' ' && eol[-1] != '\t');
		p = eol + 2;
	}
}

/* ---- building -------------------------------------------------------------------------- */

static const struct sk_mail_config cfg_local = {
	.url = "smtp://127.0.0.1:1", .from = "samtycke@example.com", .timeout = 10};

#define LONG_URL                                                                           \
	"https://consent.example.com/f/confirm/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_-.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB?lang=sv&a=b%20c"

static void build_headers_and_body(void **state)
{
	(void)state;
	const char *text = "Hej!\n"
			   "Line with = and trailing space \n"
			   "Tab\tinside and trailing tab\t\n"
			   ".starts with a dot\n"
			   "Räksmörgås på svenska, 100 % ✓\r\n"
			   "\n"
			   LONG_URL "\n"
			   "A long line of prose that goes on and on well past the seventy-six "
			   "character limit of quoted-printable, so that it needs soft breaks, and "
			   "then some more words to make it need two of them at least.\n"
			   "==========================================================================="
			   "=====\n"
			   "last line without a line end";
	struct sk_mail m = {.to = "anna@example.com", .subject = "Welcome", .text = text};
	struct sk_errctx e;
	char *msg;
	size_t len;
	assert_int_equal(sk_mail_build(&cfg_local, &m, &msg, &len, &e), 0);
	check_lines(msg, len);
	const char *want[][2] = {{"From", "samtycke@example.com"},
				 {"To", "anna@example.com"},
				 {"Subject", "Welcome"},
				 {"MIME-Version", "1.0"},
				 {"Content-Type", "text/plain; charset=utf-8"},
				 {"Content-Transfer-Encoding", "quoted-printable"}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *v = header(msg, want[i][0]);
		if (!v)
			fail_msg("no %s header", want[i][0]);
		assert_string_equal(v, want[i][1]);
		free(v);
	}
	char *date = header(msg, "Date"), *mid = header(msg, "Message-ID");
	assert_non_null(date);
	assert_non_null(mid);
	struct tm tm = {0};
	assert_non_null(strptime(date, "%a, %d %b %Y %H:%M:%S +0000", &tm));
	assert_int_equal(mid[0], '<');
	assert_non_null(strstr(mid, "@example.com>"));
	free(date);
	free(mid);

	/* the body decodes back to the text (line ends become LF) */
	char *dec = qp_decode(body_of(msg), strlen(body_of(msg)));
	char *want_text = malloc(strlen(text) + 2);
	size_t o = 0;
	for (const char *p = text; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			want_text[o++] = *p;
	want_text[o++] = '\n';
	want_text[o] = '\0';
	assert_string_equal(dec, want_text);
	assert_non_null(strstr(dec, "\n" LONG_URL "\n"));
	/* the URL was long enough to need a soft break */
	assert_null(strstr(msg, LONG_URL));
	free(dec);
	free(want_text);
	sk_free(msg);

	/* an empty body */
	m.text = "";
	assert_int_equal(sk_mail_build(&cfg_local, &m, &msg, &len, &e), 0);
	assert_string_equal(body_of(msg), "");
	sk_free(msg);
}

static void build_subject_rfc2047(void **state)
{
	(void)state;
	const char *subjects[] = {
		"Bekräfta ditt samtycke – Exempel AB",
		"Bekräfta",
		"A plain ASCII subject that is far too long to fit on one header line with its name",
		"Looks =?like?= an encoded word",
		"Ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ✓✓✓✓✓",
		"under_score? question = equals (plain)",
		NULL};
	for (size_t i = 0; subjects[i]; i++) {
		struct sk_mail m = {.to = "anna@example.com", .subject = subjects[i], .text = "x"};
		char *msg;
		size_t len;
		assert_int_equal(sk_mail_build(&cfg_local, &m, &msg, &len, NULL), 0);
		check_lines(msg, len);
		char *raw = header(msg, "Subject");
		assert_non_null(raw);
		/* plain only when short printable ASCII with nothing like an encoded word */
		if (strstr(subjects[i], "(plain)"))
			assert_string_equal(raw, subjects[i]);
		else
			assert_int_equal(strncmp(raw, "=?UTF-8?Q?", 10), 0);
		char *dec = rfc2047_decode(raw);
		assert_string_equal(dec, subjects[i]);
		free(raw);
		free(dec);
		sk_free(msg);
	}
	struct sk_mail m = {.to = "anna@example.com", .subject = "Bekräfta", .text = "x"};
	char *msg;
	size_t len;
	assert_int_equal(sk_mail_build(&cfg_local, &m, &msg, &len, NULL), 0);
	assert_non_null(strstr(msg, "\r\nSubject: =?UTF-8?Q?Bekr=C3=A4fta?=\r\n"));
	sk_free(msg);
}

/* --mail-from as a display name and an address: the envelope takes the address, the From:
 * header the name (encoded when it is not plain ASCII). */
static void build_from_display_name(void **state)
{
	(void)state;
	struct {
		const char *from, *header, *address;
	} ok[] = {
		{"noreply@example.com", "From: noreply@example.com\r\n", "noreply@example.com"},
		{"Exempel AB <noreply@example.com>", "From: Exempel AB <noreply@example.com>\r\n",
		 "noreply@example.com"},
		{"\"Exempel AB\" <noreply@example.com>", "From: Exempel AB <noreply@example.com>\r\n",
		 "noreply@example.com"},
		{"Åsa & Co <x@example.com>", "From: =?UTF-8?Q?=C3=85sa_=26_Co?= <x@example.com>\r\n",
		 "x@example.com"},
		{"Berg, Holm <x@example.com>", "From: =?UTF-8?Q?Berg=2C_Holm?= <x@example.com>\r\n",
		 "x@example.com"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sk_mail_config cfg = cfg_local;
		struct sk_mail_sender snd;
		struct sk_errctx e = {0};
		cfg.from = ok[i].from;
		assert_int_equal(sk_mail_from_parse(ok[i].from, &snd, &e), 0);
		assert_string_equal(snd.address, ok[i].address);
		struct sk_mail m = {.to = "anna@example.com", .subject = "Hi", .text = "x"};
		char *msg = NULL;
		size_t len = 0;
		assert_int_equal(sk_mail_build(&cfg, &m, &msg, &len, &e), 0);
		if (!strstr(msg, ok[i].header))
			fail_msg("no '%s' in:\n%s", ok[i].header, msg);
		char want[128];
		snprintf(want, sizeof(want), "@%s>", strrchr(ok[i].address, '@') + 1);
		assert_non_null(strstr(msg, want)); /* the Message-ID's domain */
		sk_free(msg);
	}
}

static void build_refuses_injection(void **state)
{
	(void)state;
	struct {
		const char *to, *from, *subject;
	} bad[] = {
		{"anna@example.com\r\nBcc: eve@example.com", NULL, "Hi"},
		{"anna@example.com\nBcc: eve@example.com", NULL, "Hi"},
		{"anna@example.com\r", NULL, "Hi"},
		{"anna@example.com", "samtycke@example.com\r\nBcc: eve@example.com", "Hi"},
		{"anna@example.com", "samtycke@example.com\n", "Hi"},
		{"anna@example.com", NULL, "Hi\r\nBcc: eve@example.com"},
		{"anna@example.com", NULL, "Hi\nthere"},
		{"anna@example.com", NULL, "Hi\r"},
		{"anna@example.com, eve@example.com", NULL, "Hi"},
		{"Anna <anna@example.com>", NULL, "Hi"},
		{"anna@example.com", "Eve <eve@example.com", "Hi"},
		{"anna@example.com", "Eve <eve@example.com> x", "Hi"},
		{"anna@example.com", "\"Eve\" <>", "Hi"},
		{"anna@example.com", "Eve \"the\" <eve@example.com>", "Hi"},
		{"anna@example.com", "Eve\x01 <eve@example.com>", "Hi"},
		{"", NULL, "Hi"},
		{"anna", NULL, "Hi"},
		{"anna@", NULL, "Hi"},
		{NULL, NULL, "Hi"},
		{"anna@example.com", NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sk_mail_config cfg = cfg_local;
		if (bad[i].from)
			cfg.from = bad[i].from;
		struct sk_mail m = {.to = bad[i].to, .subject = bad[i].subject, .text = "x"};
		struct sk_errctx e = {0};
		char *msg = (char *)1;
		size_t len = 1;
		assert_int_equal(sk_mail_build(&cfg, &m, &msg, &len, &e), SK_ERR_INVALID);
		assert_null(msg);
		assert_int_equal(len, 0);
		assert_true(e.msg[0] != '\0');
		assert_null(strchr(e.msg, '@'));
		/* sending refuses it the same way, before any connection */
		assert_int_equal(sk_mail_send(&cfg, &m, &e), SK_ERR_INVALID);
		assert_null(strchr(e.msg, '@'));
	}
	/* a URL of another scheme */
	struct sk_mail_config cfg = cfg_local;
	cfg.url = "http://127.0.0.1:1/";
	struct sk_mail m = {.to = "anna@example.com", .subject = "Hi", .text = "x"};
	assert_int_equal(sk_mail_send(&cfg, &m, NULL), SK_ERR_INVALID);
}

static void build_survives_allocation_failures(void **state)
{
	(void)state;
	struct sk_mail m = {.to = "anna@example.com", .subject = "Bekräfta ditt samtycke",
			    .text = "Hej!\n" LONG_URL "\n"};
	const char *titles[] = {"Nyhetsbrev"};
	int ok = 0;
	for (long n = 0; n < 200 && !ok; n++) {
		char *msg = NULL, *subject = NULL, *text = NULL;
		size_t len;
		sk_mem_fail_after(n);
		int rc = sk_mail_build(&cfg_local, &m, &msg, &len, NULL);
		int rc2 = sk_mail_confirmation("sv", "Exempel AB", titles, 1, 0, LONG_URL, T0, &subject,
					       &text, NULL);
		sk_mem_fail_after(-1);
		if (rc == 0 && rc2 == 0)
			ok = 1;
		if (rc)
			assert_null(msg);
		if (rc2) {
			assert_null(subject);
			assert_null(text);
		}
		sk_free(msg);
		sk_free(subject);
		sk_free(text);
	}
	assert_true(ok);
}

/* ---- the double opt-in texts ------------------------------------------------------------ */

static void confirmation_texts(void **state)
{
	(void)state;
	const char *titles_sv[] = {"Nyhetsbrev", "Inbjudningar till evenemang"};
	const char *titles_en[] = {"Newsletter"};
	char *subject, *text;
	struct sk_errctx e;
	/* 2026-03-10T14:05:00Z */
	int64_t exp = T0 + (31 + 28 + 9) * 86400 + 14 * 3600 + 5 * 60;

	assert_int_equal(sk_mail_confirmation("sv", "Exempel AB", titles_sv, 2, 0, LONG_URL, exp,
					      &subject, &text, &e),
			 0);
	assert_string_equal(subject, "Bekräfta ditt samtycke – Exempel AB");
	assert_non_null(strstr(text, "Exempel AB"));
	assert_non_null(strstr(text, "  - Nyhetsbrev\n  - Inbjudningar till evenemang\n"));
	assert_non_null(strstr(text, "\n" LONG_URL "\n"));
	assert_non_null(strstr(text, "10 mars 2026 kl. 14:05 (UTC)"));
	assert_non_null(strstr(text, "händer ingenting"));
	sk_free(subject);
	sk_free(text);

	assert_int_equal(sk_mail_confirmation("en", "Example Ltd", titles_en, 1, 0, LONG_URL, exp,
					      &subject, &text, &e),
			 0);
	assert_string_equal(subject, "Confirm your consent – Example Ltd");
	assert_non_null(strstr(text, "ask Example Ltd for:\n  - Newsletter\n\n"));
	assert_non_null(strstr(text, "\n" LONG_URL "\n"));
	assert_non_null(strstr(text, "10 March 2026 at 14:05 UTC"));
	assert_non_null(strstr(text, "Nothing will happen"));
	/* prose is wrapped at 72 characters; only the link may be longer */
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		assert_non_null(eol);
		if (strncmp(p, LONG_URL, strlen(LONG_URL)) != 0)
			assert_true(eol - p <= 72);
		p = eol + 1;
	}
	sk_free(subject);
	sk_free(text);

	assert_int_equal(sk_mail_confirmation("de", "Example Ltd", titles_en, 1, 0, LONG_URL, exp,
					      &subject, &text, &e),
			 SK_ERR_INVALID);
	assert_null(subject);
	assert_null(text);
	assert_int_equal(sk_mail_confirmation(NULL, "Example Ltd", titles_en, 1, 0, LONG_URL, exp,
					      &subject, &text, &e),
			 SK_ERR_INVALID);
	assert_int_equal(sk_mail_confirmation("en", "Example\nLtd", titles_en, 1, 0, LONG_URL, exp,
					      &subject, &text, &e),
			 SK_ERR_INVALID);
	assert_int_equal(sk_mail_confirmation("en", "Example Ltd", titles_en, 0, 0, LONG_URL, exp,
					      &subject, &text, &e),
			 SK_ERR_INVALID);
	assert_int_equal(sk_mail_confirmation("en", "Example Ltd", titles_en, 1, 0, "https://x y",
					      exp, &subject, &text, &e),
			 SK_ERR_INVALID);
	const char *bad_titles[] = {"News\nletter"};
	assert_int_equal(sk_mail_confirmation("en", "Example Ltd", bad_titles, 1, 0, LONG_URL, exp,
					      &subject, &text, &e),
			 SK_ERR_INVALID);
}

/* ---- delivery -------------------------------------------------------------------------- */


/* Python's email module reads the stored file: "to\nsubject\nbody" (the body decoded). */
static char *python_read(const char *path)
{
	char script[256], cmd[4096], out[256];
	snprintf(script, sizeof(script), "%s/read.py", dir);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fputs("import sys, email, email.policy\n"
	      "with open(sys.argv[1], 'rb') as f:\n"
	      "    m = email.message_from_binary_file(f, policy=email.policy.default)\n"
	      "sys.stdout.write('%s\\n%s\\n%s' % (m['to'], m['subject'], m.get_content()))\n",
	      f);
	fclose(f);
	snprintf(out, sizeof(out), "%s/read.out", dir);
	snprintf(cmd, sizeof(cmd), "%s '%s' '%s' > '%s'", PYTHON, script, path, out);
	assert_int_equal(system(cmd), 0);
	return slurp(out);
}

struct sent {
	const char *to, *lang, *subject_start;
	char link[256];
	char *subject, *text;
};

/* The header section of a raw message as Mailbox stored it (up to the empty line). */
static int headers_ascii(const char *raw)
{
	const char *end = strstr(raw, "\n\n");
	for (const char *p = raw; *p && (!end || p < end); p++)
		if ((unsigned char)*p >= 0x80)
			return 0;
	return 1;
}

/* An internationalised domain goes out as its A-label, in the envelope (MAIL FROM, RCPT TO)
 * and in From:, To: and the Message-ID, to a server without SMTPUTF8 and to one with it;
 * the local part goes as written, which only the latter takes when it is not ASCII. An
 * address whose domain is no valid IDN is refused before connecting, without naming it. */
static void idn_envelope_both_kinds_of_server(void **state)
{
	(void)state;
	for (int utf8 = 0; utf8 <= 1; utf8++) {
		char maildir[128], url[64], names[4][512];
		int port = free_port();
		snprintf(maildir, sizeof(maildir), "%s/maildir-idn%d", dir, utf8);
		smtpd_start_in(dir, port, maildir, utf8);
		snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
		struct sk_mail_config cfg = {.url = url, .timeout = 10,
					     .from = "Räksmörgås AB <noreply@Räksmörgås.example>"};
		struct sk_errctx e = {0};
		struct sk_mail m = {.to = utf8 ? "björn@bücher.example" : "anna@Bücher.example",
				    .subject = "Hej", .text = "x"};
		int rc = sk_mail_send(&cfg, &m, &e);
		if (rc)
			fail_msg("send (SMTPUTF8 %d): %s", utf8, e.msg);
		assert_int_equal(maildir_list(maildir, names, 4, 1), 1);
		char *raw = slurp(names[0]);
		assert_non_null(strstr(raw, "X-MailFrom: noreply@xn--rksmrgs-5wao1o.example"));
		assert_non_null(strstr(raw, "<noreply@xn--rksmrgs-5wao1o.example>"));
		assert_non_null(strstr(raw, "@xn--rksmrgs-5wao1o.example>\nMIME-Version"));
		if (utf8) {
			/* Mailbox writes a header beyond ASCII as an encoded word */
			assert_non_null(strstr(raw, "X-RcptTo: =?utf-8?q?bj=C3=B6rn=40xn--bcher-kva=2Eexample?="));
			assert_non_null(strstr(raw, "\nTo: björn@xn--bcher-kva.example\n"));
		} else {
			assert_non_null(strstr(raw, "X-RcptTo: anna@xn--bcher-kva.example"));
			assert_non_null(strstr(raw, "\nTo: anna@xn--bcher-kva.example\n"));
			assert_true(headers_ascii(raw)); /* nothing that needs SMTPUTF8 */
			/* a local part beyond ASCII cannot go to this server: refused for good */
			m.to = "björn@bücher.example";
			assert_int_equal(sk_mail_send(&cfg, &m, &e), SK_ERR_INVALID);
			assert_non_null(strstr(e.msg, "SMTPUTF8"));
			assert_null(strchr(e.msg, '@'));
		}
		free(raw);
		/* no valid IDN (a snowman is no letter): refused, the address not named */
		m.to = "anna@\xe2\x98\x83.example";
		assert_int_equal(sk_mail_send(&cfg, &m, &e), SK_ERR_INVALID);
		assert_non_null(strstr(e.msg, "recipient"));
		assert_null(strstr(e.msg, "\xe2\x98\x83"));
		assert_int_equal(maildir_list(maildir, names, 4, 1), 1);
		smtpd_stop(NULL);
	}
	/* the sender is read once, at start: a bad domain there is refused, the envelope
	 * address is the A-label form */
	struct sk_mail_sender snd;
	struct sk_errctx e = {0};
	assert_int_equal(sk_mail_from_parse("noreply@Räksmörgås.example", &snd, &e), 0);
	assert_string_equal(snd.address, "noreply@xn--rksmrgs-5wao1o.example");
	assert_int_equal(sk_mail_from_parse("X <noreply@\xe2\x98\x83.example>", &snd, &e),
			 SK_ERR_INVALID);
	assert_non_null(strstr(e.msg, "sender"));
}

static void delivery_to_aiosmtpd(void **state)
{
	(void)state;
	char maildir[128], url[64];
	int port = free_port();
	snprintf(maildir, sizeof(maildir), "%s/maildir", dir);
	smtpd_start_in(dir, port, maildir, 0);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	struct sk_mail_config cfg = {.url = url, .from = "samtycke@example.com", .timeout = 10};

	struct sent sent[2] = {{.to = "anna@example.com", .lang = "sv",
				.subject_start = "=?UTF-8?Q?Bekr=C3=A4fta"},
			       {.to = "bob@example.org", .lang = "en",
				.subject_start = "=?UTF-8?Q?Confirm"}};
	const char *titles[] = {"Nyhetsbrev"};
	struct sk_errctx e;
	for (int i = 0; i < 2; i++) {
		char subj[32];
		snprintf(subj, sizeof(subj), "e_%d", i);
		char tok[SK_TOKEN_MAX];
		assert_int_equal(sk_vault_token_sign(vault, "confirm", subj, T0 + 7 * 86400, tok), 0);
		/* a long link, so that quoted-printable has to break it */
		snprintf(sent[i].link, sizeof(sent[i].link),
			 "https://consent.example.com/f/confirm/%s?lang=%s", tok, sent[i].lang);
		assert_true(strlen(sent[i].link) > 76);
		assert_int_equal(sk_mail_confirmation(sent[i].lang, "Exempel AB", titles, 1, 0,
						      sent[i].link, T0 + 7 * 86400,
						      &sent[i].subject, &sent[i].text, &e),
				 0);
		struct sk_mail m = {.to = sent[i].to, .subject = sent[i].subject,
				    .text = sent[i].text};
		int rc = sk_mail_send(&cfg, &m, &e);
		if (rc)
			fail_msg("send %d: %s", i, e.msg);
	}
	/* STARTTLS required, and this server does not offer it: refused, nothing delivered */
	cfg.tls_required = 1;
	struct sk_mail m = {.to = "carl@example.net", .subject = "x", .text = "x"};
	assert_int_equal(sk_mail_send(&cfg, &m, &e), SK_ERR_IO);
	assert_non_null(strstr(e.msg, "STARTTLS"));
	assert_null(strchr(e.msg, '@'));

	char names[4][512];
	assert_int_equal(maildir_list(maildir, names, 4, 2), 2);
	int seen[2] = {0, 0};
	for (int f = 0; f < 2; f++) {
		char *raw = slurp(names[f]);
		char *to = header(raw, "To");
		assert_non_null(to);
		int i = strcmp(to, sent[0].to) == 0 ? 0 : strcmp(to, sent[1].to) == 0 ? 1 : -1;
		assert_true(i >= 0);
		seen[i]++;
		char *subject = header(raw, "Subject");
		assert_non_null(subject);
		assert_int_equal(strncmp(subject, sent[i].subject_start,
					 strlen(sent[i].subject_start)),
				 0);
		char *dsub = rfc2047_decode(subject);
		assert_string_equal(dsub, sent[i].subject);
		/* the link is intact, on a line of its own, after decoding */
		const char *body = body_of(raw);
		char *dec = qp_decode(body, strlen(body));
		char want[300];
		snprintf(want, sizeof(want), "\n%s\n", sent[i].link);
		assert_non_null(strstr(dec, want));
		assert_string_equal(dec, sent[i].text);
		/* and its token still verifies */
		char tsub[SK_TOKEN_MAX];
		const char *tok = strstr(dec, "/f/confirm/") + strlen("/f/confirm/");
		char tokbuf[SK_TOKEN_MAX];
		size_t tlen = strcspn(tok, "?\n");
		assert_true(tlen < sizeof(tokbuf));
		memcpy(tokbuf, tok, tlen);
		tokbuf[tlen] = '\0';
		assert_int_equal(sk_vault_token_verify(vault, "confirm", tokbuf, T0, tsub, NULL), 0);
		char wantsub[32];
		snprintf(wantsub, sizeof(wantsub), "e_%d", i);
		assert_string_equal(tsub, wantsub);
		/* Python's email module reads the same */
		char *py = python_read(names[f]);
		char expect[8192];
		snprintf(expect, sizeof(expect), "%s\n%s\n%s", sent[i].to, sent[i].subject,
			 sent[i].text);
		assert_string_equal(py, expect);
		free(py);
		free(dec);
		free(dsub);
		free(subject);
		free(to);
		free(raw);
	}
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 1);
	for (int i = 0; i < 2; i++) {
		sk_free(sent[i].subject);
		sk_free(sent[i].text);
	}
	smtpd_stop(NULL);
}

static void delivery_nothing_listening(void **state)
{
	(void)state;
	char url[64];
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", free_port());
	struct sk_mail_config cfg = {.url = url, .from = "samtycke@example.com", .timeout = 5};
	struct sk_mail m = {.to = "anna@example.com", .subject = "Hi", .text = "x"};
	struct sk_errctx e = {0};
	assert_int_equal(sk_mail_send(&cfg, &m, &e), SK_ERR_IO);
	assert_non_null(strstr(e.msg, "connect"));
	assert_null(strstr(e.msg, "anna"));
	assert_null(strchr(e.msg, '@'));
	/* the same with a login configured: the password never shows either */
	cfg.user = "mailer";
	cfg.password = "s3cret-password";
	assert_int_equal(sk_mail_send(&cfg, &m, &e), SK_ERR_IO);
	assert_null(strstr(e.msg, "s3cret"));
	assert_null(strchr(e.msg, '@'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_round_trip),
		cmocka_unit_test(token_tampered),
		cmocka_unit_test(token_garbage),
		cmocka_unit_test(token_other_tag_or_key),
		cmocka_unit_test(token_expired),
		cmocka_unit_test(build_headers_and_body),
		cmocka_unit_test(build_subject_rfc2047),
		cmocka_unit_test(build_refuses_injection),
		cmocka_unit_test(build_from_display_name),
		cmocka_unit_test(build_survives_allocation_failures),
		cmocka_unit_test(confirmation_texts),
		cmocka_unit_test_teardown(delivery_to_aiosmtpd, smtpd_stop),
		cmocka_unit_test_teardown(idn_envelope_both_kinds_of_server, smtpd_stop),
		cmocka_unit_test(delivery_nothing_listening),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
