/* page.h: the HTML of the public pages (forms, confirmation): the message catalogue, one
 * text per language (sv, en) for every message, a writer that escapes every argument, so
 * that only the format strings written in the code can produce markup, and the pages
 * themselves. Sending a page is the adapter's (src/http/page.c: sk_page_reply). */
#ifndef SK_RENDER_PAGE_H
#define SK_RENDER_PAGE_H

#include "core/core.h"
#include "util/buf.h"

#define SK_PAGE_MAX (1 << 20) /* bytes of one page */

/* X(NAME, Swedish, English) */
#define SK_PAGE_MSG_LIST(X)                                                                  \
	X(SEND, "Skicka", "Send")                                                            \
	X(PRIVACY, "Integritetspolicy", "Privacy policy")                                    \
	X(WENT_WRONG, "Något gick fel", "Something went wrong")                              \
	X(THANKS, "Tack!", "Thank you!")                                                     \
	X(MAIL_SENT, "Vi har skickat ett mejl till dig. Följ länken i det för att bekräfta.", \
	  "We have sent you an e-mail. Follow the link in it to confirm.")                   \
	X(SAVED, "Dina val är sparade. Om vi redan har din adress får du ett mejl där du "   \
		 "bekräftar ändringen.",                                                     \
	  "Your choices are saved. If we already have your address, we have sent you an "    \
	  "e-mail to confirm the change.")                                                   \
	X(LINK_EXPIRED, "Länken har gått ut", "The link has expired")                        \
	X(LINK_EXPIRED_TEXT, "Förfrågan som länken gällde har gått ut. Om du inte bekräftade " \
			     "den innan dess har inget sparats. Anmäl dig gärna igen.",      \
	  "The request this link was for has lapsed. If you did not confirm it before, "     \
	  "nothing was recorded. You are welcome to sign up again.")                         \
	X(LAPSED, "Förfrågan har gått ut", "The request has lapsed")                         \
	X(LAPSED_TEXT, "Förfrågan som länken gällde är inte längre öppen: den har gått ut "  \
		       "eller tagits bort, och inget från den har sparats. Anmäl dig gärna "  \
		       "igen.",                                                              \
	  "The request this link was for is no longer open: it has lapsed or was "          \
	  "withdrawn, and nothing from it was recorded. You are welcome to sign up again.")  \
	X(ALREADY_CONFIRMED, "Redan bekräftat", "Already confirmed")                         \
	X(ALREADY_CONFIRMED_TEXT, "Du har redan bekräftat ditt samtycke till:",              \
	  "You have already confirmed your consent to:")                                     \
	X(ALREADY_CONFIRMED_DONE, "Inget mer behöver göras.", "Nothing more needs doing.")   \
	X(CONFIRM_WHAT, "Tryck på knappen för att bekräfta ditt samtycke till:",             \
	  "Press the button to confirm your consent to:")                                    \
	X(CONFIRM_FIELDS, "Med det sparas de här uppgifterna, som de skrevs i formuläret (de "  \
			  "ersätter dem vi har):",                                            \
	  "These details are saved with it, as they were typed into the form (they replace "   \
	  "the ones we hold):")                                                                \
	X(CONFIRMED_WHAT, "Du har bekräftat ditt samtycke till:",                            \
	  "You have confirmed your consent to:")                                             \
	X(LINK_INVALID, "Ogiltig länk", "Invalid link")                                      \
	X(LINK_INVALID_TEXT, "Länken är inte giltig. Inget har sparats.",                    \
	  "This link is not valid. Nothing was recorded.")                                   \
	X(CONFIRM, "Bekräfta", "Confirm")                                                    \
	X(CONFIRM_TEXT, "Tryck på knappen för att bekräfta ditt samtycke.",                  \
	  "Press the button to confirm your consent.")                                       \
	X(TRY_AGAIN, "Inget har sparats. Försök igen om en stund.",                          \
	  "Nothing was recorded. Please try again in a while.")                              \
	X(CONFIRMED, "Ditt samtycke är bekräftat.", "Your consent is confirmed.")            \
	X(NOTHING_LEFT, "Det finns inget kvar att bekräfta.", "There is nothing left to confirm.") \
	X(SEE_CHOICES, "Se och ändra dina val", "See and change your choices")               \
	/* the hidden honeypot field's label: for robots only, the same in every language */  \
	X(HONEYPOT_LABEL, "Website", "Website")

enum sk_page_msg {
#define SK__PAGE_MSG_ENUM(name, sv, en) SK_MSG_##name,
	SK_PAGE_MSG_LIST(SK__PAGE_MSG_ENUM)
#undef SK__PAGE_MSG_ENUM
	SK_PAGE_NMSG
};

/* The message in lang (SK_LANG_SV or SK_LANG_EN). */
const char *sk_page_msg(int lang, enum sk_page_msg m);

/* Appends fmt to b: "%s" writes its argument HTML-escaped (NULL writes nothing), "%d" an
 * int, "%%" a percent sign; nothing else is a conversion. Returns 0 or the buffer's error. */
int sk_html(struct sk_buf *b, const char *fmt, ...);
/* The start of a page in lang (initialises b, capped at SK_PAGE_MAX): doctype, title, the
 * stylesheet (/assets/page.css, and the brand's own after it), the header (the logo and the
 * organisation's name), <main> and the heading title; in the organisation's brand when pol
 * (may be NULL: no policy applied yet) has one. No inline style anywhere: the pages' CSP
 * allows styles from stylesheets only. */
int sk_page_begin(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *title);
/* The end of a page: </main>, the footer (the controller and its privacy policy, in the
 * language sk_page_begin wrote into <html lang>), </body></html>. pol may be NULL. */
int sk_page_end(struct sk_buf *b, const struct sk_policy *pol);
/* The stylesheet of the public pages in pol's brand (the defaults when pol is NULL or has
 * none), served as /assets/page.css; initialises b. */
int sk_page_css(struct sk_buf *b, const struct sk_policy *pol);
/* The Content-Security-Policy of a page (initialises b): no inline script or style, styles
 * from our own origin and the brand stylesheet's, images from the logo's origin only, forms
 * posting to our own origin, no <base>, and frame-ancestors 'none', except on a form's pages
 * (form not NULL): frame-ancestors the form's allowed_origins, form-action also the origins
 * of its success_url and error_url. */
int sk_page_csp(struct sk_buf *b, const struct sk_policy *pol, const struct sk_form *form);
/* The CSP of every other text/html answer: nothing but our own stylesheet. */
#define SK_PAGE_CSP_DEFAULT                                                                  \
	"default-src 'none'; style-src 'self'; img-src 'none'; form-action 'self'; "         \
	"base-uri 'none'; frame-ancestors 'none'"
/* A page of a heading and one paragraph, begun in b (not ended). */
int sk_page_message(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *title, const char *text);
/* A form's page in lang: its fields, its own purpose's notice, one unticked box per consent
 * (worded with the purpose's notice), the honeypot field named honeypot, the controller and
 * its privacy policy; begun in b (not ended). */
int sk_page_form(struct sk_buf *b, const struct sk_policy *pol, const struct sk_form *f,
		 int lang, const char *honeypot);
/* The double opt-in confirmation page of token: what is being confirmed (the titles of
 * info's purposes, when known; info may be NULL) and one button posting it back. */
int sk_page_confirm(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *token,
		    const struct sk_link_info *info);
/* The page after a confirmation (already: the link was confirmed before): the heading and
 * the purposes confirmed, when known, and with pref_url (may be NULL) a link to the person's
 * preference centre. */
int sk_page_confirmed(struct sk_buf *b, const struct sk_policy *pol, int lang,
		      const struct sk_link_info *info, int already, const char *pref_url);

#endif
