/* console.h: the HTML of the staff console (docs/console.md): its message catalogue (sv, en),
 * the frame every console page shares (header, navigation by role, the signed-in person,
 * sign-out) and the pages, one section per page file in render/. Values go through sk_html
 * (render/page.h), which escapes them. Sending a page is the adapter's (http/console.c). */
#ifndef SK_RENDER_CONSOLE_H
#define SK_RENDER_CONSOLE_H

#include "core/core.h"
#include "render/page.h"
#include "util/buf.h"

/* The catalogue: one list per page file, each X(NAME, Swedish, English); SK_CON_NAME. */
#define SK_CON_MSG_FRAME(X)                                                                  \
	X(CONSOLE, "Konsol", "Console")                                                      \
	X(NAV_LABEL, "Konsolens sidor", "Console pages")                                      \
	X(SIGNED_IN_AS, "Inloggad som", "Signed in as")                                      \
	X(SIGN_OUT, "Logga ut", "Sign out")                                                  \
	X(LANG_OTHER, "English", "Svenska")                                                  \
	X(NAV_OVERVIEW, "Översikt", "Overview")                                              \
	X(NAV_PERSON, "Hitta en person", "Find a person")                                    \
	X(NAV_PURPOSES, "Ändamål och texter", "Purposes and notices")                        \
	X(NAV_IMPORT, "Import", "Import")                                                    \
	X(NAV_AUDIENCES, "Målgrupper", "Audiences")                                          \
	X(NAV_RETENTION, "Gallring", "Retention")                                            \
	X(NAV_ADMIN, "Webhooks och nycklar", "Webhooks and keys")                            \
	X(NAV_AUDIT, "Granskningslogg", "Audit trail")                                       \
	X(FORBIDDEN, "Inte tillåtet", "Not allowed")                                         \
	X(FORBIDDEN_TEXT, "Din roll får inte göra det här. Inget har ändrats.",              \
	  "Your role may not do this. Nothing was changed.")
/* the sign-in page, sessions and the audit trail (render/console_auth.c) */
#define SK_CON_MSG_AUTH(X)                                                                   \
	X(SIGN_IN, "Logga in", "Sign in")                                                    \
	X(SIGN_IN_NAME, "Användarnamn", "User name")                                          \
	X(SIGN_IN_PASSWORD, "Lösenord", "Password")                                            \
	X(SIGN_IN_KEY_TITLE, "Logga in med en API-nyckel", "Sign in with an API key")          \
	X(SIGN_IN_KEY, "API-nyckel", "API key")                                                \
	X(SIGN_IN_KEY_HINT, "Du får den roll vars behörigheter nyckeln har.",                   \
	  "You get the role whose scopes the key holds.")                                      \
	X(SIGN_IN_FAILED, "Fel namn eller lösenord, eller så är användaren låst eller "        \
	  "avstängd. Efter 5 misslyckade försök i rad låses användaren i 15 minuter.",         \
	  "Wrong name or password, or the user is locked or disabled. After 5 failed "         \
	  "attempts in a row a user is locked for 15 minutes.")                                \
	X(SIGN_IN_KEY_FAILED, "Nyckeln är okänd eller återkallad, eller saknar behörigheten "  \
	  "read.", "The key is unknown or revoked, or lacks the read scope.")                  \
	X(SIGN_IN_RATE, "För många försök. Vänta en stund och försök igen.",                   \
	  "Too many attempts. Wait a moment and try again.")                                   \
	X(SIGN_IN_ORIGIN, "Formuläret skickades från en annan webbplats.",                      \
	  "The form was sent from another site.")                                              \
	X(SIGNED_OUT, "Du är utloggad.", "You are signed out.")                                \
	X(CSRF_TEXT, "Formuläret var inaktuellt eller kom från en annan webbplats. Inget har " \
	  "ändrats. Ladda om sidan och försök igen.",                                          \
	  "The form was stale or came from another site. Nothing was changed. Reload the "     \
	  "page and try again.")                                                               \
	X(ERROR_TITLE, "Det gick inte", "That did not work")                                   \
	X(AUDIT_TITLE, "Granskningslogg", "Audit trail")                                       \
	X(AUDIT_INTRO, "Varje inloggning, misslyckad inloggning, utloggning och ändring av "   \
	  "användare, och varje åtgärd i konsolen, nyast först.",                              \
	  "Every sign-in, failed sign-in, sign-out and user change, and every action taken "   \
	  "in the console, newest first.")                                                     \
	X(AUDIT_CAPTION, "Händelser i granskningsloggen", "Events of the audit trail")         \
	X(AUDIT_SEQ, "Nr", "No.")                                                              \
	X(AUDIT_AT, "Tid (UTC)", "Time (UTC)")                                                 \
	X(AUDIT_WHO, "Vem", "Who")                                                             \
	X(AUDIT_ROLE, "Roll", "Role")                                                          \
	X(AUDIT_ACTION, "Åtgärd", "Action")                                                    \
	X(AUDIT_TARGET, "Gäller", "Target")                                                    \
	X(AUDIT_DETAIL, "Detaljer", "Detail")                                                  \
	X(AUDIT_EMPTY, "Inget har loggats än.", "Nothing has been logged yet.")                \
	X(AUDIT_OLDER, "Äldre händelser", "Older events")                                      \
	X(AUDIT_NEWEST, "Nyaste händelserna", "Newest events")                                 \
	X(AUDIT_EXPORT, "Exportera hela loggen:", "Export the whole trail:")
/* the overview and purposes pages (render/console_overview.c) */
#define SK_CON_MSG_OVERVIEW(X) X(OVERVIEW_TITLE, "Översikt", "Overview")
/* find a person and its actions (render/console_person.c) */
#define SK_CON_MSG_PERSON(X)                                                                 \
	X(PERSON_TITLE, "Hitta en person", "Find a person")                                   \
	X(PN_FIND_INTRO, "Skriv personens exakta e-postadress. Personer listas aldrig och kan inte " \
	  "sökas på del av en adress.", "Type the person's exact e-mail address. People are "  \
	  "never listed and cannot be searched by part of an address.")                        \
	X(PN_FIND_EMAIL, "E-postadress", "E-mail address")                                       \
	X(PN_FIND_SUBMIT, "Hitta", "Find")                                                        \
	X(PN_FIND_NONE, "Ingen kontakt har den adressen.", "No contact has that address.")        \
	X(PN_FIND_SUPPRESSED, "Adressen finns på spärrlistan (efter en radering, ett klagomål "   \
	  "eller en studs): den importeras och kontaktas aldrig.", "The address is on the "     \
	  "suppression list (after an erasure, a complaint or a bounce): it is never imported " \
	  "or contacted.")                                                                     \
	X(PN_FIND_BAD, "Det är ingen giltig e-postadress.", "That is not a valid e-mail address.") \
	X(PN_P_TITLE, "Person", "Person")                                                         \
	X(PN_P_ID, "Kontakt-id", "Contact id")                                                    \
	X(PN_P_FIELDS, "Uppgifter", "Data held")                                                  \
	X(PN_P_SUPPRESSED, "Adressen är spärrad: ingenting skickas, vad samtyckena än säger.",     \
	  "The address is suppressed: nothing is sent, whatever the consents say.")            \
	X(PN_P_PURPOSES, "Ändamål: vad grinden svarar nu, och varför",                             \
	  "Purposes: what the gate answers now, and why")                                       \
	X(PN_P_PURPOSE, "Ändamål", "Purpose")                                                     \
	X(PN_P_STATUS, "Status", "Status")                                                        \
	X(PN_P_GATE, "Grinden", "Gate")                                                           \
	X(PN_P_ALLOWED, "tillåtet", "allowed")                                                    \
	X(PN_P_DENIED, "nekat", "denied")                                                         \
	X(PN_P_RESTS_ON, "Vilar på", "Rests on")                                                  \
	X(PN_P_METHOD, "Sätt", "Method")                                                          \
	X(PN_P_SOURCE, "Källa", "Source")                                                         \
	X(PN_P_WHEN, "När", "When")                                                               \
	X(PN_P_NOTICE_VERSION, "Textversion", "Notice version")                                   \
	X(PN_P_VALID_UNTIL, "Gäller till", "Valid until")                                         \
	X(PN_P_UNTIL_WITHDRAWN, "tills det återkallas", "until withdrawn")                        \
	X(PN_P_BY, "Registrerat av", "Recorded by")                                               \
	X(PN_P_NOTHING, "Inget registrerat", "Nothing recorded")                                  \
	X(PN_P_EVIDENCE, "Förseglade bevis", "Sealed evidence")                                   \
	X(PN_P_GIVEN_EVIDENCE, "Bevis för samtycket före bekräftelsen",                           \
	  "Evidence of the give before its confirmation")                                      \
	X(PN_P_NONE, "inga", "none")                                                              \
	X(PN_P_NOTICE_SHOWN, "Texten som visades", "The notice text shown")                       \
	X(PN_P_RECEIPT, "Kvitto (JSON)", "Receipt (JSON)")                                        \
	X(PN_P_HISTORY, "Historik, nyast först", "History, newest first")                         \
	X(PN_P_EVENT, "Händelse", "Event")                                                        \
	X(PN_P_ACTIONS, "Åtgärder", "Actions")                                                    \
	X(PN_R_TITLE, "Registrera ett samtycke per telefon eller på papper",                      \
	  "Record a consent given by phone or on paper")                                       \
	X(PN_R_ACTION, "Personen", "The person")                                                  \
	X(PN_R_GIVE, "gav samtycke", "gave consent")                                              \
	X(PN_R_REFUSE, "nekade", "refused")                                                       \
	X(PN_R_METHOD_PHONE, "per telefon", "by phone")                                           \
	X(PN_R_METHOD_PAPER, "på papper", "on paper")                                             \
	X(PN_R_WHEN, "När (UTC; tomt: nu)", "When (UTC; empty: now)")                             \
	X(PN_R_NOTICE, "Textversionen personen fick", "The notice version the person was told")   \
	X(PN_R_CURRENT, "gällande", "current")                                                    \
	X(PN_R_NOTICE_LANG, "Textens språk", "The notice's language")                           \
	X(PN_R_REF, "Referens (samtals-id eller blankettens id)",                                 \
	  "Reference (a call id or the form's id)")                                            \
	X(PN_R_NOTE, "Anteckning (förseglas med bevisen)", "Note (sealed with the evidence)")     \
	X(PN_R_DOI, "Ändamål med dubbel bekräftelse blir väntande: personen får en länk och "      \
	  "bekräftar själv.", "A purpose with double opt-in stays pending: the person is "     \
	  "mailed a link and confirms it themselves.")                                         \
	X(PN_R_SUBMIT, "Registrera", "Record")                                                    \
	X(PN_W_TITLE, "Återkalla ett samtycke", "Withdraw a consent")                             \
	X(PN_W_SUBMIT, "Återkalla", "Withdraw")                                                   \
	X(PN_C_TITLE, "Rätta en uppgift", "Correct a field")                                      \
	X(PN_C_FIELD, "Uppgift", "Field")                                                         \
	X(PN_C_VALUE, "Nytt värde", "New value")                                                  \
	X(PN_C_SUBMIT, "Rätta", "Correct")                                                        \
	X(PN_L_TITLE, "Skicka en länk till personens sida för val",                               \
	  "Send a preference-centre link")                                                     \
	X(PN_L_TEXT, "Länken mejlas till adressen i registret och visas aldrig här.",             \
	  "The link is mailed to the address on file and never shown here.")                   \
	X(PN_L_SUBMIT, "Mejla länken", "Mail the link")                                           \
	X(PN_X_TITLE, "Registerutdrag (art. 15 och 20)", "Access export (Art. 15 and 20)")        \
	X(PN_X_PAGE, "Visa utdraget", "Show the export")                                          \
	X(PN_X_JSON, "Ladda ner som JSON", "Download as JSON")                                    \
	X(PN_X_CONSENTS, "Samtycken och deras historik", "Consents and their history")           \
	X(PN_X_RECTS, "Rättelser", "Rectifications")                                              \
	X(PN_X_SHARED, "Delas med", "Shared with")                                                \
	X(PN_E_TITLE, "Radera personen (art. 17)", "Erase the person (Art. 17)")                  \
	X(PN_E_LINK, "Radera personen…", "Erase this person…")                                    \
	X(PN_E_TEXT, "Raderingen tar bort alla uppgifter om personen och förstör nyckeln till "   \
	  "bevisen; adressen spärras så att den aldrig importeras igen. Det går inte att "      \
	  "ångra.", "The erasure deletes everything held about the person and destroys the "    \
	  "key to the evidence; the address is suppressed so that it is never imported again. " \
	  "It cannot be undone.")                                                              \
	X(PN_E_HOW, "Skriv personens e-postadress, eller koden", "Type the person's e-mail "      \
	  "address, or the code")                                                              \
	X(PN_E_CONFIRM, "Bekräftelse", "Confirmation")                                            \
	X(PN_E_SUBMIT, "Radera för alltid", "Erase for good")                                     \
	X(PN_E_WRONG, "Bekräftelsen stämde inte. Ingenting raderades.",                           \
	  "The confirmation did not match. Nothing was erased.")                               \
	X(PN_E_DONE, "Personen är raderad", "The person is erased")                               \
	X(PN_E_DONE_TEXT, "Alla uppgifter är borttagna och adressen är spärrad. Spara kvittot.",  \
	  "Everything is deleted and the address is suppressed. Keep the receipt.")            \
	X(PN_E_RECEIPT_JSON, "Ladda ner raderingskvittot (JSON)", "Download the erasure receipt (JSON)") \
	X(PN_E_SCRUB, "Filerna skrubbas så snart ingen läsare hindrar det.",                      \
	  "The files are scrubbed as soon as no reader prevents it.")                          \
	X(PN_DONE_RECORD, "Samtycket registrerades.", "The consent was recorded.")                \
	X(PN_DONE_PENDING, "Samtycket väntar på bekräftelse: en länk mejlades till personen.",    \
	  "The consent waits for confirmation: a link was mailed to the person.")              \
	X(PN_DONE_REFUSE, "Nejet registrerades.", "The refusal was recorded.")                    \
	X(PN_DONE_WITHDRAW, "Samtycket återkallades.", "The consent was withdrawn.")              \
	X(PN_DONE_RECTIFY, "Uppgiften rättades.", "The field was corrected.")                     \
	X(PN_DONE_LINK, "En länk mejlades till adressen i registret.",                            \
	  "A link was mailed to the address on file.")                                         \
	X(PN_REFUSED, "Ingenting ändrades:", "Nothing was changed:")                              \
	X(PN_MISSING, "Ingen sådan person", "No such person")                                     \
	X(PN_MISSING_TEXT, "Ingen kontakt har det id:t. Den kan ha raderats.",                    \
	  "No contact has that id. It may have been erased.")                                  \
	X(PN_BACK, "Tillbaka till personen", "Back to the person")
/* the import pages (render/console_import.c) */
#define SK_CON_MSG_IMPORT(X) X(IMPORT_TITLE, "Import", "Import")
/* audiences, retention, webhooks and keys (render/console_admin.c) */
#define SK_CON_MSG_ADMIN(X) X(AUDIENCES_TITLE, "Målgrupper", "Audiences")

#define SK_CON_MSG_LIST(X)                                                                   \
	SK_CON_MSG_FRAME(X)                                                                  \
	SK_CON_MSG_AUTH(X)                                                                   \
	SK_CON_MSG_OVERVIEW(X)                                                               \
	SK_CON_MSG_PERSON(X)                                                                 \
	SK_CON_MSG_IMPORT(X)                                                                 \
	SK_CON_MSG_ADMIN(X)

enum sk_con_msg {
#define SK__CON_MSG_ENUM(name, sv, en) SK_CON_##name,
	SK_CON_MSG_LIST(SK__CON_MSG_ENUM)
#undef SK__CON_MSG_ENUM
	SK_CON_NMSG
};

/* The message in lang (SK_LANG_SV or SK_LANG_EN). */
const char *sk_con_msg(int lang, enum sk_con_msg m);

/* The console's sections, in the order of its navigation: X(NAME, path, message, permission
 * needed to see the link). */
#define SK_CON_NAV_LIST(X)                                           \
	X(OVERVIEW, "/console", NAV_OVERVIEW, VIEW)                  \
	X(PERSON, "/console/person", NAV_PERSON, FIND)               \
	X(PURPOSES, "/console/purposes", NAV_PURPOSES, VIEW)         \
	X(IMPORT, "/console/import", NAV_IMPORT, IMPORT)             \
	X(AUDIENCES, "/console/audiences", NAV_AUDIENCES, VIEW)      \
	X(RETENTION, "/console/retention", NAV_RETENTION, RETENTION) \
	X(ADMIN, "/console/admin", NAV_ADMIN, ADMIN)                 \
	X(AUDIT, "/console/audit", NAV_AUDIT, AUDIT)
enum sk_con_nav {
#define SK__CON_NAV_ENUM(n, path, msg, can) SK_NAV_##n,
	SK_CON_NAV_LIST(SK__CON_NAV_ENUM)
#undef SK__CON_NAV_ENUM
	SK_NAV_NONE
};

/* The console's stylesheet, served as /assets/console.css. */
extern const char sk_console_css[];

/* What every console page is drawn with. */
struct sk_con_frame {
	const struct sk_policy *pol; /* NULL: no policy applied yet */
	int lang;
	const struct sk_staff *who;  /* NULL: nobody signed in (the sign-in page) */
	const char *csrf;            /* the session's CSRF token (NULL when nobody is) */
	enum sk_con_nav nav;         /* the section this page belongs to */
};

/* The start of a console page (initialises b, capped at SK_PAGE_MAX): doctype, title, the
 * stylesheet, the header (the organisation's name, the signed-in person and role, the
 * language switch, the sign-out button), the navigation with only the sections f->who's
 * role may see, <main id="main"> and the heading title. */
int sk_con_begin(struct sk_buf *b, const struct sk_con_frame *f, const char *title);
/* </main></body></html>. */
int sk_con_end(struct sk_buf *b);
/* The hidden CSRF field every console form carries: <input type=hidden name=csrf ...>. */
int sk_con_csrf(struct sk_buf *b, const struct sk_con_frame *f);
/* A page of a heading and one paragraph, begun in b (not ended). */
int sk_con_message(struct sk_buf *b, const struct sk_con_frame *f, const char *title,
		   const char *text);

/* ---- the sign-in page and the audit trail (console_auth.c) ---- */

/* The sign-in page: the form of name and password, and the form of an API key; next (the
 * page to go on to, already checked; NULL: none) rides in both. error: a refusal's text
 * shown above the form it concerns (key_error: the key's). */
int sk_con_sign_in_page(struct sk_buf *b, const struct sk_con_frame *f, const char *next,
			const char *error, int key_error);
/* A page of the audit trail: rows newest first; older: the seq to continue before (0:
 * none older); first: this is the newest page. */
int sk_con_audit_page(struct sk_buf *b, const struct sk_con_frame *f,
		      const struct sk_staff_audit_rec *rows, size_t n, int64_t older, int first);
/* The exports: CSV (RFC 4180, CRLF, a header line) and JSON (each row an object appended to
 * list, a json_t array). */
int sk_con_audit_csv_head(struct sk_buf *b);
int sk_con_audit_csv_row(struct sk_buf *b, const struct sk_staff_audit_rec *a);
struct json_t;
int sk_con_audit_json_row(struct json_t *list, const struct sk_staff_audit_rec *a);

/* ---- find a person and act on them (render/console_person.c) ---- */

struct sk_person_view;
struct sk_access_export;
struct sk_erasure_receipt;
/* The find form; with what (SK_CON_PFIND_*), the answer to a search. */
enum { SK_CON_PFIND_ASK, SK_CON_PFIND_NONE, SK_CON_PFIND_SUPPRESSED, SK_CON_PFIND_BAD };
int sk_con_person_find(struct sk_buf *b, const struct sk_con_frame *f, int what);
/* The message of a done code (?done= after an action's 303), NULL for an unknown code. */
const char *sk_con_person_done(int lang, const char *code);
/* The person's page: fields, each purpose's gate answer and what it rests on (with the full
 * evidence when v->full), the history, and the actions f->who's role may use. done (a
 * role="status" line) and error (a role="alert" line after "nothing was changed") may be
 * NULL. */
int sk_con_person_page(struct sk_buf *b, const struct sk_con_frame *f,
		       const struct sk_person_view *v, const char *done, const char *error);
/* The access export as a page. */
int sk_con_person_export(struct sk_buf *b, const struct sk_con_frame *f,
			 const struct sk_access_export *x);
/* The erasure's confirmation page of contact id with its short code; wrong: the last
 * confirmation did not match. */
int sk_con_person_erase_ask(struct sk_buf *b, const struct sk_con_frame *f, const char *id,
			    const char *code, int wrong);
/* The erasure receipt, with json (its JSON text) to download. */
int sk_con_person_erased(struct sk_buf *b, const struct sk_con_frame *f,
			 const struct sk_erasure_receipt *r, const char *json);
/* The page for an unknown or erased id. */
int sk_con_person_missing(struct sk_buf *b, const struct sk_con_frame *f);

#endif
