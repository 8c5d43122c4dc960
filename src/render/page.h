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
	/* the preference centre (render/prefs.c) */                                          \
	X(PREF_TITLE, "Dina uppgifter och val", "Your data and choices")                     \
	X(PREF_LANG_NAV, "Språk", "Language")                                                \
	X(PREF_LANG_SV, "Svenska", "Svenska")                                                \
	X(PREF_LANG_EN, "English", "English")                                                \
	X(PREF_INTRO, "Här ser du vad vi har om dig, varför, och du ändrar dina val själv.", \
	  "Here you see what we hold about you and why, and you change your choices yourself.") \
	X(PREF_DATA, "Uppgifter vi har om dig", "The data we hold about you")                \
	X(PREF_NO_DATA, "Vi har inga uppgifter om dig utöver din adress.",                   \
	  "We hold no data about you beyond your address.")                                  \
	X(PREF_PURPOSES, "Vad vi använder dem till", "What we use them for")                 \
	X(PREF_BASIS, "Rättslig grund", "Legal basis")                                       \
	X(PREF_STATUS, "Status", "Status")                                                   \
	X(PREF_EVIDENCE, "Så registrerades ditt val", "How your choice was recorded")        \
	X(PREF_WHEN, "När", "When")                                                          \
	X(PREF_WHERE, "Var", "Where")                                                        \
	X(PREF_HOW, "Hur", "How")                                                            \
	X(PREF_NOTICE_VERSION, "Version av texten", "Version of the notice")                 \
	X(PREF_NOTICE_SHOWN, "Texten du fick se", "The notice text you were shown")          \
	X(PREF_NOTICE_GONE, "Texten finns inte längre att läsa.", "The text can no longer be read.") \
	X(PREF_CONFIRMED_AT, "Bekräftat via mejl", "Confirmed by e-mail")                    \
	X(PREF_NO_EVENT, "Inget är registrerat för det här ändamålet.",                      \
	  "Nothing is recorded for this purpose.")                                           \
	X(PREF_NOT_CONSENT, "Det här bygger inte på ditt samtycke utan på den rättsliga "    \
			    "grunden ovan. Kontakta oss om du vill invända.",                \
	  "This does not rest on your consent but on the legal basis above. Contact us if "  \
	  "you wish to object.")                                                             \
	X(PREF_NOTICE_NOW, "Det här samtycker du till:", "What you consent to:")             \
	X(PREF_GIVE, "Ge samtycke", "Give consent")                                          \
	X(PREF_WITHDRAW, "Återkalla samtycke", "Withdraw consent")                           \
	X(PREF_SAVED_GIVEN, "Sparat: du har gett ditt samtycke till", "Saved: you have given your consent to") \
	X(PREF_SAVED_WITHDRAWN, "Sparat: du har återkallat ditt samtycke till",             \
	  "Saved: you have withdrawn your consent to")                                       \
	X(PREF_NOT_SAVED, "Inget har sparats:", "Nothing was saved:")                        \
	X(PREF_YOUR_DATA, "Dina uppgifter", "Your data")                                     \
	X(PREF_DOWNLOAD, "Ladda ner mina uppgifter (JSON)", "Download my data (JSON)")       \
	X(PREF_SEE_EXPORT, "Se mina uppgifter som en sida", "See my data as a page")         \
	X(PREF_ERASE_LINK, "Radera mig", "Erase me")                                         \
	X(PREF_LINK_VALID, "Länken gäller till", "This link works until")                    \
	X(PREF_BACK, "Tillbaka till dina val", "Back to your choices")                       \
	/* legal bases, statuses, methods and actions, worded for people */                 \
	X(BASIS_CONSENT, "Ditt samtycke", "Your consent")                                    \
	X(BASIS_LEGITIMATE_INTEREST, "Berättigat intresse", "Legitimate interest")           \
	X(BASIS_CONTRACT, "Avtal med dig", "A contract with you")                            \
	X(BASIS_LEGAL_OBLIGATION, "Rättslig förpliktelse", "A legal obligation")             \
	X(ST_UNKNOWN, "Inget val gjort", "No choice made")                                   \
	X(ST_PENDING, "Väntar på din bekräftelse", "Awaiting your confirmation")             \
	X(ST_GIVEN, "Samtycke givet", "Consent given")                                       \
	X(ST_REFUSED, "Samtycke nekat", "Consent refused")                                   \
	X(ST_WITHDRAWN, "Samtycke återkallat", "Consent withdrawn")                          \
	X(ST_EXPIRED, "Samtycket har gått ut", "Consent expired")                            \
	X(ST_UNVERIFIED, "Samtycke utan bevis (räknas inte)", "Consent without proof (does not count)") \
	X(ST_NOT_CONSENT, "Kräver inte ditt samtycke", "Does not need your consent")         \
	X(M_FORM, "Ett webbformulär", "A web form")                                          \
	X(M_PREFERENCE_CENTRE, "Sidan för dina val", "Your preference page")                  \
	X(M_IMPORT, "Importerat från ett annat system", "Imported from another system")      \
	X(M_API, "Registrerat av ett anslutet system", "Recorded by a connected system")     \
	X(M_CLI, "Registrerat av vår personal", "Recorded by our staff")                     \
	X(M_MAIL_LINK, "En länk i ett mejl", "A link in an e-mail")                          \
	X(M_ONE_CLICK, "Avregistrering med ett klick i ett mejl", "One-click unsubscribe in an e-mail") \
	X(M_PHONE, "Per telefon till vår personal", "By phone to our staff") \
	X(M_PAPER, "På papper, registrerat av vår personal", "On paper, recorded by our staff") \
	X(M_BANNER, "Webbplatsens fråga om spårning", "The web site's tracking banner") \
	X(A_GIVE, "Gav samtycke", "Gave consent")                                            \
	X(A_REFUSE, "Nekade samtycke", "Refused consent")                                    \
	X(A_WITHDRAW, "Återkallade samtycke", "Withdrew consent")                            \
	X(A_CONFIRM, "Bekräftade via mejl", "Confirmed by e-mail")                           \
	X(A_EXPIRE, "Samtycket gick ut", "The consent expired")                              \
	/* the readable export */                                                            \
	X(EXP_TITLE, "Allt vi har om dig", "Everything we hold about you")                   \
	X(EXP_AT, "Sammanställt", "Compiled")                                                \
	X(EXP_CONSENTS, "Samtycken och deras historik", "Consents and their history")        \
	X(EXP_NO_CONSENTS, "Inga samtycken är registrerade.", "No consents are recorded.")   \
	X(EXP_VALID_UNTIL, "Gäller till", "Valid until")                                     \
	X(EXP_HISTORY, "Historik", "History")                                                \
	X(EXP_ACTION, "Händelse", "Event")                                                   \
	X(EXP_RECTS, "Rättelser", "Corrections")                                             \
	X(EXP_NO_RECTS, "Inga uppgifter har rättats.", "No data has been corrected.")        \
	X(EXP_MAILS, "Utskick till dig", "Mailings to you")                                  \
	X(EXP_NO_MAILS, "Inga utskick.", "No mailings.")                                     \
	X(EXP_MAIL_CAMPAIGN, "Utskick", "Mailing")                                           \
	X(EXP_MAIL_STATE, "Status", "State")                                                 \
	X(EXP_FIELDS, "Fält", "Fields")                                                      \
	X(EXP_BY, "Av", "By")                                                                \
	X(EXP_VISITORS, "Dina svar på webbplatsens fråga om spårning",                        \
	  "Your answers to our web site's tracking banner")                                  \
	X(EXP_NO_VISITORS, "Ingen webbläsare är kopplad till dig.",                           \
	  "No browser is linked to you.")                                                    \
	X(EXP_PURPOSE, "Ändamål", "Purpose")                                                 \
	X(EXP_ANSWER, "Svar", "Answer")                                                      \
	X(EXP_PAGE, "Sida eller länk", "Page or link")                                 \
	X(EXP_SHARED, "Delas med", "Shared with")                                            \
	X(EXP_NO_SHARED, "Dina uppgifter delas inte med något annat system.",                \
	  "Your data is not shared with any other system.")                                  \
	X(EXP_KEY, "System med läsbehörighet", "A system with read access")                  \
	X(EXP_WEBHOOK, "System som får ändringar skickade till sig", "A system sent every change") \
	/* the export's tracking part (helper track; docs/tracking.md) */                    \
	X(EXP_TRACKING, "Din aktivitet och intressepoäng", "Your activity and interest score") \
	X(EXP_NO_TRACKING, "Vi har ingen aktivitet eller poäng kopplad till dig.",              \
	  "We hold no activity or score tied to you.")                                       \
	X(EXP_SCORE, "Intressepoäng", "Interest score")                                      \
	X(EXP_EVENT, "Händelse", "Event")                                                    \
	/* erasure */                                                                        \
	X(ERASE_TITLE, "Radera mig", "Erase me")                                             \
	X(ERASE_TEXT, "Allt vi har om dig raderas: dina uppgifter och dina val. Det går inte " \
		      "att ångra. Din adress sparas bara som en oläsbar kontrollsumma, så att " \
		      "den aldrig läggs in igen.",                                           \
	  "Everything we hold about you is erased: your data and your choices. This cannot " \
	  "be undone. Your address is kept only as an unreadable checksum, so that it is "    \
	  "never added again.")                                                              \
	X(ERASE_BUTTON, "Radera allt om mig", "Erase everything about me")                   \
	X(ERASED_TITLE, "Du är raderad", "You are erased")                                   \
	X(ERASED_TEXT, "Det här raderades:", "This was erased:")                             \
	X(ERASED_SUPPRESSED, "Din adress finns nu på vår spärrlista, bara som en oläsbar "   \
			     "kontrollsumma: den importeras eller synkas aldrig in igen och får " \
			     "inga utskick.",                                                \
	  "Your address is now on our suppression list, only as an unreadable checksum: it " \
	  "is never imported or synced again and gets no mail.")                             \
	X(ERASED_LEDGER, "Vår logg över samtycken behåller %d händelser, utan dina uppgifter " \
			 "och med bevisen förseglade med en nyckel som inte längre finns: så kan " \
			 "vi visa att vi följt lagen utan att kunna läsa vem du var.",       \
	  "Our consent log keeps %d events, without your data and with their evidence sealed " \
	  "under a key that no longer exists: so we can show that we followed the law "      \
	  "without being able to read who you were.")                                        \
	X(ERASED_ID, "Kvittots nummer", "Receipt number")                                    \
	X(ERASED_AT, "Raderat", "Erased")                                                    \
	X(ERASED_SCRUB, "De sista spåren i databasfilen tas bort inom kort.",                \
	  "The last traces in the database file are removed shortly.")                       \
	X(CAT_CONTACT, "Din kontaktpost", "Your contact record")                             \
	X(CAT_FIELDS, "Dina uppgifter (fälten)", "Your data (the fields)")                   \
	X(CAT_DATA_KEY, "Nyckeln som dina uppgifter var krypterade med",                     \
	  "The key your data was encrypted with")                                            \
	X(CAT_CONSENT_STATE, "Dina val", "Your choices")                                     \
	X(CAT_RECTIFICATIONS, "Historiken över rättelser", "The history of corrections")     \
	X(CAT_TRACKING_EVENTS, "Dina besök och klick som vi registrerat",                    \
	  "The visits and clicks we recorded of you")                                        \
	X(CAT_SCORE, "Din poäng", "Your score")                                              \
	X(CAT_MAILS_SENT, "Loggen över utskick till dig", "The log of mailings sent to you")  \
	X(CAT_VISITORS, "Dina svar i webbplatsens samtyckesruta",                            \
	  "Your answers in the consent banner of the web site")                                   \
	/* asking for a link (/p) */                                                         \
	X(ASK_TITLE, "Få en länk till dina uppgifter", "Get a link to your data")            \
	X(ASK_TEXT, "Skriv din e-postadress så mejlar vi en länk till sidan där du ser dina " \
		    "uppgifter och ändrar dina val.",                                        \
	  "Type your e-mail address and we will mail you a link to the page where you see "  \
	  "your data and change your choices.")                                              \
	X(ASK_EMAIL, "E-postadress", "E-mail address")                                       \
	X(ASK_BUTTON, "Mejla mig en länk", "Mail me a link")                                 \
	X(ASK_BAD_EMAIL, "Det där är inte en e-postadress. Inget har skickats.",             \
	  "That is not an e-mail address. Nothing was sent.")                                \
	X(ASK_SENT_TITLE, "Kolla din inkorg", "Check your inbox")                            \
	X(ASK_SENT, "Om vi har den adressen är en länk på väg dit. Den gäller i 30 dagar.",  \
	  "If we hold this address, a link is on its way to it. It works for 30 days.")      \
	X(LINK_INVALID_PREF, "Länken är inte giltig. Be om en ny länk här:",                 \
	  "This link is not valid. Ask for a new link here:")                                \
	X(LINK_EXPIRED_PREF, "Länken har gått ut. Vi kan mejla en ny länk till adressen vi har.", \
	  "This link has expired. We can mail a fresh link to the address we hold.")         \
	X(RENEW_BUTTON, "Mejla mig en ny länk", "Mail me a fresh link")                      \
	X(PREF_FORBIDDEN, "Formuläret kom inte från den här sidan eller är för gammalt. Inget " \
			  "har sparats. Ladda om sidan och försök igen.",                    \
	  "The form did not come from this page or is too old. Nothing was saved. Reload "   \
	  "the page and try again.")                                                         \
	X(PREF_RATE, "För många försök. Inget har sparats. Vänta en stund och försök igen.", \
	  "Too many attempts. Nothing was saved. Wait a while and try again.")               \
	X(PREF_BAD_FORM, "Formuläret var inte ifyllt som det ska. Inget har sparats.",       \
	  "The form was not filled in as it should be. Nothing was saved.")                  \
	/* one-click unsubscribe from a campaign mail (/u/TOKEN, docs/campaigns.md) */       \
	X(UNSUB_TITLE, "Avsluta prenumerationen", "Unsubscribe")                             \
	X(UNSUB_TEXT, "Med knappen återkallar du ditt samtycke till det här, och du får inga " \
		      "fler sådana utskick:",                                                \
	  "The button withdraws your consent to this, and you get no more such mailings:")  \
	X(UNSUB_BUTTON, "Avsluta prenumerationen", "Unsubscribe")                            \
	X(UNSUB_DONE_TITLE, "Du har avslutat prenumerationen", "You are unsubscribed")       \
	X(UNSUB_DONE, "Ditt samtycke är återkallat. Du får inga fler sådana utskick.",       \
	  "Your consent is withdrawn. You get no more such mailings.")                       \
	X(UNSUB_INVALID, "Länken är inte giltig eller har gått ut. Inget har ändrats.",      \
	  "This link is not valid or has expired. Nothing was changed.")                     \
	X(UNSUB_BAD, "Begäran var inte en avregistrering. Inget har ändrats.",               \
	  "The request was not an unsubscribe. Nothing was changed.")                        \
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

/* How a consent was given or changed (a ledger event's method), in words, in lang. */
const char *sk_page_method(int lang, enum sk_method m);
/* Appends fmt to b: "%s" writes its argument HTML-escaped (NULL writes nothing), "%d" an
 * int, "%%" a percent sign; nothing else is a conversion. Returns 0 or the buffer's error. */
int sk_html(struct sk_buf *b, const char *fmt, ...);
/* The start of a page in lang (initialises b, capped at SK_PAGE_MAX): doctype, title, the
 * stylesheet (/assets/page.css, and the brand's own after it), the header (the logo and the
 * organisation's name), <main> and the heading title; in the organisation's brand when pol
 * (may be NULL: no policy applied yet) has one. No inline style anywhere: the pages' CSP
 * allows styles from stylesheets only. */
int sk_page_begin(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *title);
/* The one-click unsubscribe page of a campaign mail (render/campaign.c): what the button
 * withdraws (the purpose's title) and a form posting List-Unsubscribe=One-Click back to
 * /u/TOKEN. */
int sk_page_unsub(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *token,
		  const char *purpose_title);
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

/* ---- the preference centre's pages (render/prefs.c; docs/preference-centre.md) ----
 * Each is begun in b (not ended), in lang, with the language switch (<nav class="lang">,
 * links ?lang=sv and ?lang=en; on a page answering a POST, to the page to show instead:
 * /p, or the person's page for their page shown with an error) and its content in <main>. token is the person's link token
 * (it goes into the page's links and forms), csrf the form token of the page's forms. */

/* The person's page (/p/TOKEN): their data (<section id="data">), each purpose of the
 * view (<section id="purpose-ID" class="purpose">: title, description, legal basis,
 * status, the evidence summary with the notice text in a <details>, and on consent one
 * form with one button, give or withdraw), and the links to the exports and the erasure.
 * saved (may be NULL): the purpose just changed, said in a role="status" element (nothing
 * when it names no purpose on consent of the view); error
 * (may be NULL): why nothing was saved, in a role="alert" element. */
int sk_page_pref(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *token,
		 const char *csrf, const struct sk_pref_view *v, const char *saved,
		 const char *error);
struct sk_access_export;
struct sk_erasure_receipt;
/* The access export as a readable page: the data, every consent with its history, the
 * corrections, the systems it is shared with. */
int sk_page_pref_export(struct sk_buf *b, const struct sk_policy *pol, int lang,
			const char *token, const struct sk_access_export *x);
/* The export's marketing part (issue 16) as three <section>s with <h2> headings: the
 * banner's answers of the tied visitors, the campaigns' send log, the score and the
 * attached tracking events. The preference centre's and the console's export pages both
 * show it. */
int sk_page_export_behaviour(struct sk_buf *b, int lang, const struct sk_access_export *x);
/* The erasure's one confirmation: what it does, and one button posting to
 * /p/TOKEN/erase. */
int sk_page_pref_erase(struct sk_buf *b, const struct sk_policy *pol, int lang,
		       const char *token, const char *csrf);
/* The erasure receipt: what was erased, that the address is suppressed, the ledger events
 * kept and why. */
int sk_page_pref_erased(struct sk_buf *b, const struct sk_policy *pol, int lang,
			const struct sk_erasure_receipt *rc);
/* /p: a form for an address (fields email, csrf, lang) posting to /p; error (may be NULL)
 * in a role="alert" element. */
int sk_page_pref_ask(struct sk_buf *b, const struct sk_policy *pol, int lang,
		     const char *csrf, const char *error);
/* The answer to POST /p and to a renewal: "if we hold this address, a link is on its way". */
int sk_page_pref_sent(struct sk_buf *b, const struct sk_policy *pol, int lang);
/* A heading and one paragraph in the frame of these pages (a refusal, a failure); the
 * switch's links lead to self (NULL: this address again; an answer to a POST names the page
 * to show instead). */
int sk_page_pref_message(struct sk_buf *b, const struct sk_policy *pol, int lang,
			 const char *self, const char *title, const char *text);
/* An invalid link (altered, malformed, erased person): says so and links to /p. */
int sk_page_pref_invalid(struct sk_buf *b, const struct sk_policy *pol, int lang);
/* An expired link: says so, with a button mailing a fresh link (POST /p/TOKEN/renew). */
int sk_page_pref_expired(struct sk_buf *b, const struct sk_policy *pol, int lang,
			 const char *token, const char *csrf);

#endif
