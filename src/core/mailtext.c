/* mailtext.c: the texts of the mails core sends, in Swedish and English: the double opt-in
 * mail names the controller and each purpose, puts the link on a line of its own, says when
 * it expires and what happens if it is ignored (nothing; or, when the same form gave other
 * consents at once, that those stay), and offers the preference centre; the preference link
 * mail says what the link shows and when it expires. Prose is wrapped at 72 characters.
 * Building the message and sending it are src/mail's. */
#include "core/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/str.h"

#define WRAP 72 /* prose in the confirmation mail */

/* ---- the double opt-in mail ------------------------------------------------------------ */

/* A text of the mail named mail (in messages): present, without control characters. */
static int check_text(const char *mail, const char *s, const char *what, struct sk_errctx *err)
{
	if (!s || !*s)
		return sk_errf(err, SK_ERR_INVALID, "%s: %s is missing", mail, what);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return sk_errf(err, SK_ERR_INVALID, "%s: %s contains a control character",
				       mail, what);
	return 0;
}

/* A link, on a line of its own: a text without spaces. */
static int check_link(const char *mail, const char *s, const char *what, struct sk_errctx *err)
{
	int rc = check_text(mail, s, what, err);
	if (!rc && strchr(s, ' '))
		rc = sk_errf(err, SK_ERR_INVALID, "%s: %s contains a space", mail, what);
	return rc;
}

/* What every mail with a link checks: the controller's name, the link, and its expiry as a
 * UTC calendar time in *tm. */
static int check_common(const char *mail, const char *controller, const char *link,
			int64_t expires, struct tm *tm, struct sk_errctx *err)
{
	time_t tt = (time_t)expires;
	int rc = check_text(mail, controller, "controller name", err);
	rc = rc ? rc : check_link(mail, link, "link", err);
	if (!rc && !gmtime_r(&tt, tm))
		rc = sk_errf(err, SK_ERR_INVALID, "%s: expiry time out of range", mail);
	return rc;
}

/* Appends a paragraph (printf-style) wrapped at WRAP characters (UTF-8 aware), then end.
 * A word longer than a line stands alone on its line. */
static int append_para(struct sk_buf *b, const char *end, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int append_para(struct sk_buf *b, const char *end, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(text))
		return SK_ERR_TOO_LARGE;
	const char *p = text;
	size_t col = 0;
	int rc = 0;
	while (!rc && *p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, " "), chars = 0;
		for (size_t i = 0; i < n; i++)
			chars += ((unsigned char)p[i] & 0xc0) != 0x80;
		if (col && col + 1 + chars > WRAP) {
			rc = sk_buf_append(b, "\n", 1);
			col = 0;
		} else if (col) {
			rc = sk_buf_append(b, " ", 1);
			col++;
		}
		if (!rc)
			rc = sk_buf_append(b, p, n);
		col += chars;
		p += n;
	}
	return rc ? rc : sk_buf_appends(b, end);
}

struct confirm_lang {
	const char *code;
	const char *subject;  /* %s: controller */
	const char *greeting;
	const char *asked;    /* %s: controller */
	const char *how;
	const char *expires;  /* day, month name, year, hour, minute */
	const char *ignore;
	const char *ignore_given; /* the same, when the submission recorded others at once */
	const char *regards;
	const char *months[12];
	const char *prefs;    /* the preference centre, before its link */
};

static const struct confirm_lang confirm_langs[] = {
	{"sv", "Bekräfta ditt samtycke – %s", "Hej!",
	 "Någon, förhoppningsvis du, har med den här e-postadressen bett %s om:",
	 "Bekräfta genom att öppna länken nedan och trycka på knappen på sidan som visas:",
	 "Länken slutar gälla den %d %s %d kl. %02d:%02d (UTC).",
	 "Om det inte var du, eller om du har ändrat dig, kan du strunta i det här "
	 "meddelandet. Då händer ingenting: inget samtycke registreras, och den obekräftade "
	 "anmälan tas bort automatiskt.",
	 "Om det inte var du, eller om du har ändrat dig, kan du strunta i det här "
	 "meddelandet. Då registreras inget av det som står ovan, och den obekräftade "
	 "anmälan tas bort automatiskt. Det som du gav i samma formulär utan att det behövde "
	 "bekräftas är redan registrerat; det kan du när som helst återkalla.",
	 "Med vänliga hälsningar",
	 {"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
	  "oktober", "november", "december"},
	 "På den här sidan kan du när som helst se vilka uppgifter vi har om dig och ändra "
	 "dina val:"},
	{"en", "Confirm your consent – %s", "Hello,",
	 "Someone, hopefully you, used this e-mail address to ask %s for:",
	 "To confirm, open the link below and press the button on the page that opens:",
	 "The link expires on %d %s %d at %02d:%02d UTC.",
	 "If this was not you, or you have changed your mind, simply ignore this message. "
	 "Nothing will happen: no consent is recorded, and the unconfirmed request is removed "
	 "automatically.",
	 "If this was not you, or you have changed your mind, simply ignore this message. "
	 "Then nothing listed above is recorded, and the unconfirmed request is removed "
	 "automatically. What you gave on the same form that needed no confirmation is "
	 "recorded already; you can withdraw it at any time.",
	 "Kind regards",
	 {"January", "February", "March", "April", "May", "June", "July", "August", "September",
	  "October", "November", "December"},
	 "On this page you can see the data we hold about you and change your choices at any "
	 "time:"},
};

int sk_mail_confirmation(const char *lang, const char *controller,
			 const char *const *purpose_titles, size_t n, int others_given,
			 const char *link, int64_t expires, char **subject, char **text,
			 struct sk_errctx *err)
{
	return sk_mail_confirmation_pref(lang, controller, purpose_titles, n, others_given, link,
					 expires, NULL, subject, text, err);
}

int sk_mail_confirmation_pref(const char *lang, const char *controller,
			      const char *const *purpose_titles, size_t n, int others_given,
			      const char *link, int64_t expires, const char *pref_link,
			      char **subject, char **text, struct sk_errctx *err)
{
	const struct confirm_lang *L = NULL;
	struct sk_buf s, t;
	struct tm tm;
	const char *mail = "confirmation mail";
	int rc = 0;

	*subject = NULL;
	*text = NULL;
	sk_buf_init(&s, 4096);
	sk_buf_init(&t, 64 * 1024);
	for (size_t i = 0; lang && i < sizeof(confirm_langs) / sizeof(confirm_langs[0]); i++)
		if (strcmp(lang, confirm_langs[i].code) == 0)
			L = &confirm_langs[i];
	if (!L) {
		rc = sk_errf(err, SK_ERR_INVALID, "%s: language must be sv or en", mail);
		goto out;
	}
	if ((rc = check_common(mail, controller, link, expires, &tm, err)) ||
	    (pref_link && (rc = check_link(mail, pref_link, "preference link", err))))
		goto out;
	if (n == 0 || !purpose_titles) {
		rc = sk_errf(err, SK_ERR_INVALID, "%s: no purpose to confirm", mail);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = check_text(mail, purpose_titles[i], "purpose title", err)))
			goto out;

	if ((rc = sk_buf_printf(&s, L->subject, controller)) ||
	    (rc = sk_buf_printf(&t, "%s\n\n", L->greeting)) ||
	    (rc = append_para(&t, "\n", L->asked, controller)))
		goto failed;
	for (size_t i = 0; i < n; i++)
		if ((rc = sk_buf_printf(&t, "  - %s\n", purpose_titles[i])))
			goto failed;
	if ((rc = sk_buf_appends(&t, "\n")) || (rc = append_para(&t, "\n\n", "%s", L->how)) ||
	    (rc = sk_buf_printf(&t, "%s\n\n", link)) ||
	    (rc = append_para(&t, "\n\n", L->expires, tm.tm_mday, L->months[tm.tm_mon],
			      tm.tm_year + 1900, tm.tm_hour, tm.tm_min)) ||
	    (rc = append_para(&t, "\n\n", "%s", others_given ? L->ignore_given : L->ignore)))
		goto failed;
	if (pref_link && ((rc = append_para(&t, "\n\n", "%s", L->prefs)) ||
			  (rc = sk_buf_printf(&t, "%s\n\n", pref_link))))
		goto failed;
	if ((rc = sk_buf_printf(&t, "%s\n%s\n", L->regards, controller)))
		goto failed;
	*subject = sk_buf_steal(&s, NULL);
	*text = sk_buf_steal(&t, NULL);
	goto out;
failed:
	rc = sk_errf(err, rc, "cannot build the confirmation mail");
out:
	sk_buf_reset(&s);
	sk_buf_reset(&t);
	return rc;
}

/* ---- the preference link mail --------------------------------------------------------- */

struct preflink_lang {
	const char *code;
	const char *subject;  /* %s: controller */
	const char *greeting;
	const char *what;     /* %s: controller */
	const char *expires;  /* day, month name, year, hour, minute */
	const char *ignore;
	const char *regards;
	const char *const *months;
};

static const struct preflink_lang preflink_langs[] = {
	{"sv", "Din länk till dina uppgifter och val – %s", "Hej!",
	 "Här är din personliga länk till %s. På sidan ser du vilka uppgifter vi har om dig, "
	 "vad varje samtycke gäller och hur det gavs, och där kan du ge eller återkalla varje "
	 "samtycke, ladda ner dina uppgifter eller be oss radera dem:",
	 "Länken slutar gälla den %d %s %d kl. %02d:%02d (UTC). Dela den inte: den som har "
	 "länken kan se och ändra dina val.",
	 "Om du inte bad om den här länken kan du strunta i det här meddelandet. Ingenting "
	 "ändras.",
	 "Med vänliga hälsningar", confirm_langs[0].months},
	{"en", "Your link to your data and choices – %s", "Hello,",
	 "Here is your personal link to %s. The page shows the data we hold about you, what "
	 "each consent is for and how it was given, and there you can give or withdraw each "
	 "consent, download your data or ask us to erase it:",
	 "The link expires on %d %s %d at %02d:%02d UTC. Do not share it: anyone who has the "
	 "link can see and change your choices.",
	 "If you did not ask for this link, simply ignore this message. Nothing changes.",
	 "Kind regards", confirm_langs[1].months},
};

int sk_mail_preflink(const char *lang, const char *controller, const char *link,
		     int64_t expires, char **subject, char **text, struct sk_errctx *err)
{
	const struct preflink_lang *L = NULL;
	struct sk_buf s, t;
	struct tm tm;
	const char *mail = "preference link mail";
	int rc = 0;

	*subject = NULL;
	*text = NULL;
	sk_buf_init(&s, 4096);
	sk_buf_init(&t, 64 * 1024);
	for (size_t i = 0; lang && i < sizeof(preflink_langs) / sizeof(preflink_langs[0]); i++)
		if (strcmp(lang, preflink_langs[i].code) == 0)
			L = &preflink_langs[i];
	if (!L) {
		rc = sk_errf(err, SK_ERR_INVALID, "%s: language must be sv or en", mail);
		goto out;
	}
	if ((rc = check_common(mail, controller, link, expires, &tm, err)))
		goto out;
	if ((rc = sk_buf_printf(&s, L->subject, controller)) ||
	    (rc = sk_buf_printf(&t, "%s\n\n", L->greeting)) ||
	    (rc = append_para(&t, "\n\n", L->what, controller)) ||
	    (rc = sk_buf_printf(&t, "%s\n\n", link)) ||
	    (rc = append_para(&t, "\n\n", L->expires, tm.tm_mday, L->months[tm.tm_mon],
			      tm.tm_year + 1900, tm.tm_hour, tm.tm_min)) ||
	    (rc = append_para(&t, "\n\n", "%s", L->ignore)) ||
	    (rc = sk_buf_printf(&t, "%s\n%s\n", L->regards, controller))) {
		rc = sk_errf(err, rc, "cannot build the preference link mail");
		goto out;
	}
	*subject = sk_buf_steal(&s, NULL);
	*text = sk_buf_steal(&t, NULL);
out:
	sk_buf_reset(&s);
	sk_buf_reset(&t);
	return rc;
}

/* ---- the end of a campaign mail ---- */

static const struct {
	const char *code, *why, *unsub, *prefs;
} footer_langs[] = {
	{"sv", "Du får det här utskicket från %s eftersom du har samtyckt till det.",
	 "Avsluta prenumerationen med ett klick:", "Ändra dina e-postinställningar:"},
	{"en", "You receive this mailing from %s because you consented to it.",
	 "Unsubscribe with one click:", "Change your e-mail settings:"},
};

int sk_mail_campaign_footer(const char *lang, const char *controller, const char *unsub,
			    const char *pref, int html, char **out, struct sk_errctx *err)
{
	struct sk_buf b, why;
	int rc = 0;
	size_t i = 0;
	*out = NULL;
	while (lang && i < 2 && strcmp(lang, footer_langs[i].code) != 0)
		i++;
	if (!lang || i == 2)
		return sk_errf(err, SK_ERR_INVALID, "campaign mail: language must be sv or en");
	sk_buf_init(&b, 16384);
	sk_buf_init(&why, 1024);
	if ((rc = sk_buf_printf(&why, footer_langs[i].why, controller ? controller : "")))
		goto out;
	if (!html)
		rc = sk_buf_printf(&b, "\n\n-- \n%s\n\n%s\n%s\n\n%s\n%s\n", why.data,
				   footer_langs[i].unsub, unsub, footer_langs[i].prefs, pref);
	else if (!(rc = sk_buf_appends(&b, "\n<hr>\n<p style=\"font-size:small\">")) &&
		 !(rc = sk_buf_append_html(&b, why.data)) &&
		 !(rc = sk_buf_printf(&b, "<br>\n%s <a href=\"", footer_langs[i].unsub)) &&
		 !(rc = sk_buf_append_html(&b, unsub)) && !(rc = sk_buf_appends(&b, "\">")) &&
		 !(rc = sk_buf_append_html(&b, unsub)) &&
		 !(rc = sk_buf_printf(&b, "</a><br>\n%s <a href=\"", footer_langs[i].prefs)) &&
		 !(rc = sk_buf_append_html(&b, pref)) && !(rc = sk_buf_appends(&b, "\">")) &&
		 !(rc = sk_buf_append_html(&b, pref)))
		rc = sk_buf_appends(&b, "</a></p>\n");
out:
	if (!rc && !(*out = sk_buf_steal(&b, NULL)))
		rc = SK_ERR_NOMEM;
	sk_buf_reset(&b);
	sk_buf_reset(&why);
	return rc ? sk_errf(err, rc, "cannot build the end of the campaign mail") : 0;
}
