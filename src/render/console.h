/* console.h: the HTML of the staff console (docs/console.md): its message catalogue (sv, en),
 * the frame every console page shares (header, navigation by role, the signed-in person,
 * sign-out) and the pages, one section per page file in render/. Values go through sk_html
 * (render/page.h), which escapes them. Sending a page is the adapter's (http/console.c). */
#ifndef SK_RENDER_CONSOLE_H
#define SK_RENDER_CONSOLE_H

#include "core/core.h"
#include "core/import.h"
#include "render/page.h"
#include "util/buf.h"

struct json_t;

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
	X(NAV_UTM, "UTM-länkar", "UTM links")                                                \
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
#define SK_CON_MSG_OVERVIEW(X)                                                               \
	X(OVERVIEW_TITLE, "Översikt", "Overview")                                            \
	X(OV_NO_POLICY, "Ingen policy är tillämpad än.", "No policy has been applied yet.")    \
	X(OV_PURPOSES, "Samtycke per ändamål", "Consent per purpose")                        \
	X(OV_PURPOSES_NOTE, "Vad spärren (gate) svarar nu för kontakterna som har ett "      \
	  "registrerat läge för ändamålet.", "What the gate answers now for the contacts "   \
	  "that hold a recorded state of the purpose.")                                      \
	X(OV_NONCONSENT_NOTE, "På en annan rättslig grund än samtycke tillåts också kontakter " \
	  "utan registrerat läge, om adressen inte är spärrad.", "On a legal basis other "   \
	  "than consent, contacts without a recorded state are allowed too, unless their "   \
	  "address is suppressed.")                                                          \
	X(OV_PURPOSE, "Ändamål", "Purpose")                                                  \
	X(OV_BASIS, "Rättslig grund", "Legal basis")                                         \
	X(OV_ALLOWED, "Tillåtna", "Allowed")                                                 \
	X(OV_WITHDRAWN, "Återkallade", "Withdrawn")                                          \
	X(OV_REFUSED, "Nekade", "Refused")                                                   \
	X(OV_EXPIRED, "Utgångna", "Expired")                                                 \
	X(OV_PENDING, "Väntar på bekräftelse", "Pending")                                    \
	X(OV_UNVERIFIED, "Overifierade", "Unverified")                                       \
	X(OV_SUPPRESSED, "Spärrade", "Suppressed")                                           \
	X(OV_REQUESTS, "Obekräftade formulär", "Unconfirmed form requests")                  \
	X(OV_CHART, "Givna och återkallade samtycken per vecka",                             \
	  "Consents given and withdrawn per week")                                           \
	X(OV_CHART_DESC, "De senaste 12 veckorna, äldst först; tabellen under diagrammet "   \
	  "har samma siffror.", "The last 12 weeks, oldest first; the table below the chart " \
	  "has the same figures.")                                                           \
	X(OV_WEEK, "Veckan som börjar", "Week starting")                                     \
	X(OV_GIVES, "Givna", "Given")                                                        \
	X(OV_WITHDRAWALS, "Återkallade", "Withdrawn")                                        \
	X(OV_LEDGER, "Samtyckesliggaren", "The consent ledger")                              \
	X(OV_HEAD_SEQ, "Senaste löpnummer", "Last sequence number")                          \
	X(OV_HEAD_HASH, "Kedjans senaste hash", "Hash at the head of the chain")             \
	X(OV_LEDGER_EMPTY, "Liggaren är tom.", "The ledger is empty.")                       \
	X(OV_VERIFY_LAST, "Senaste granskning (audit verify)", "Last audit verify")          \
	X(OV_VERIFY_NEVER, "aldrig körd", "never run")                                       \
	X(OV_VERIFY_WHOLE, "kedjan hel; händelser lästa:", "chain whole; events read:")      \
	X(OV_VERIFY_BROKEN, "kedjan bruten vid löpnummer", "chain broken at sequence number") \
	X(OV_VERIFY_RUN, "Granska kedjan nu", "Verify the chain now")                        \
	X(OV_WEBHOOKS, "Webhooks", "Webhooks")                                               \
	X(OV_WH_NONE, "Inga webhooks.", "No webhook endpoints.")                             \
	X(OV_NAME, "Namn", "Name")                                                           \
	X(OV_URL, "Webbplats", "Site")                                                           \
	X(OV_WH_STATE, "Läge", "State")                                                      \
	X(OV_WH_ENABLED, "på", "enabled")                                                    \
	X(OV_WH_DISABLED, "avstängd", "disabled")                                            \
	X(OV_WH_LAG, "Ej levererade ändringar", "Changes not delivered")                     \
	X(OV_WH_ERROR, "Senaste fel", "Last error")                                          \
	X(OV_OUTBOX, "Utkorgen för e-post", "Mail outbox")                                   \
	X(OV_OUTBOX_WAITING, "Väntar på att skickas", "Waiting to be sent")                  \
	X(OV_OUTBOX_OLDEST, "Den äldsta har väntat", "The oldest has waited")                \
	X(OV_OUTBOX_FAILED, "Uppgivna", "Given up")                                          \
	X(OV_SUPP, "Spärrlistan per orsak", "Suppressions by reason")                        \
	X(OV_SUPP_NONE, "Spärrlistan är tom.", "The suppression list is empty.")             \
	X(OV_REASON, "Orsak", "Reason")                                                      \
	X(OV_COUNT, "Antal", "Count")                                                        \
	X(OV_NONE, "inget", "none")                                                          \
	X(BASIS_CONSENT, "samtycke", "consent")                                              \
	X(BASIS_LEGITIMATE_INTEREST, "berättigat intresse", "legitimate interest")           \
	X(BASIS_CONTRACT, "avtal", "contract")                                               \
	X(BASIS_LEGAL_OBLIGATION, "rättslig förpliktelse", "legal obligation")               \
	X(KIND_COMMUNICATION, "kommunikation", "communication")                              \
	X(KIND_PROFILING, "profilering", "profiling")                                        \
	X(KIND_TRACKING, "spårning", "tracking")                                             \
	X(KIND_OTHER, "annat", "other")                                                      \
	X(DUR_DAY, "dag", "day")                                                             \
	X(DUR_DAYS, "dagar", "days")                                                         \
	X(DUR_MONTH, "månad", "month")                                                       \
	X(DUR_MONTHS, "månader", "months")                                                   \
	X(DUR_YEAR, "år", "year")                                                            \
	X(DUR_YEARS, "år", "years")                                                          \
	X(PURPOSES_TITLE, "Ändamål och texter", "Purposes and notices")                      \
	X(PU_POLICY, "Tillämpad policy, version", "Applied policy, version")                 \
	X(PU_APPLIED, "tillämpad", "applied")                                                \
	X(PU_ID, "Id", "Id")                                                                 \
	X(PU_TITLE, "Rubrik", "Title")                                                       \
	X(PU_KIND, "Slag", "Kind")                                                           \
	X(PU_VALIDITY, "Ett samtycke gäller", "A consent is valid for")                      \
	X(PU_UNTIL_WITHDRAWN, "tills det återkallas", "until withdrawn")                     \
	X(PU_RETENTION, "Sparas efter att grunden upphört", "Kept after the basis ends")     \
	X(PU_DOI, "Dubbel bekräftelse (double opt-in)", "Double opt-in")                     \
	X(PU_YES, "ja", "yes")                                                               \
	X(PU_NO, "nej", "no")                                                                \
	X(PU_FIELDS, "Fält som behövs", "Fields it needs")                                   \
	X(PU_NOTICES, "Texten som visas, version för version", "The notice, version by version") \
	X(PU_VERSION, "Version", "Version")                                                  \
	X(PU_SINCE, "sedan", "since")                                                        \
	X(PU_NO_TEXT, "Ingen text lagrad.", "No text stored.")                               \
	X(PU_DIFF_LEGEND, "Ändringar mot versionen före: borttagna ord är överstrukna, nya "  \
	  "ord understrukna.", "Changes from the version before: removed words are struck "  \
	  "through, new words underlined.")                                                  \
	X(PU_REMOVED, "borttaget:", "removed:")                                              \
	X(PU_ADDED, "nytt:", "added:")                                                       \
	X(PU_LANG_SV, "Svenska", "Swedish")                                                  \
	X(PU_LANG_EN, "Engelska", "English")                                                 \
	X(PU_LINT, "Policygranskning", "Policy lint")                                        \
	X(PU_LINT_INTRO, "Kontrollerna som policy apply gör, körda igen med dagens regler på " \
	  "den tillämpade policyn:", "The checks that policy apply makes, run again with "    \
	  "today's rules on the applied policy:")                                            \
	X(PU_LINT_C1, "Varje ändamål har sin text på svenska och engelska.",                 \
	  "Every purpose has its notice in Swedish and English.")                            \
	X(PU_LINT_C2, "Minimering: varje deklarerat fält behövs av något ändamål.",          \
	  "Minimisation: every declared field is needed by some purpose.")                   \
	X(PU_LINT_C3, "Ett samtyckesval är aldrig förkryssat och aldrig obligatoriskt.",     \
	  "A consent option is never pre-ticked and never required.")                        \
	X(PU_LINT_C4, "Ingen buntning (GDPR art. 7.4): att skicka ett formulär hänger aldrig " \
	  "på ett samtycke eller på uppgifter som bara ett samtycke behöver.",               \
	  "No bundling (GDPR Art. 7(4)): submitting a form never depends on a consent, nor " \
	  "on data only a consent needs.")                                                   \
	X(PU_LINT_C5, "Läsbara färger (WCAG 2 AA, kontrast minst 4,5:1).",                   \
	  "Readable colours (WCAG 2 AA, contrast at least 4.5:1).")                          \
	X(PU_LINT_OK, "Inga anmärkningar: policyn klarar alla kontroller.",                  \
	  "No findings: the policy passes every check.")                                     \
	X(PU_LINT_FINDING, "Anmärkning (policy apply skulle vägra filen i dag):",             \
	  "Finding (policy apply would refuse the file today):")
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
#define SK_CON_MSG_IMPORT(X)                                                                  \
	X(IMPORT_TITLE, "Import", "Import")                                                  \
	X(IMPORT_INTRO, "Ladda upp en CSV-fil och en mappning. Börja gärna med en "             \
	  "provkörning: den läser och kontrollerar allt men sparar ingenting.",                 \
	  "Upload a CSV file and a mapping. Start with a dry run: it reads and checks "         \
	  "everything but stores nothing.")                                                   \
	X(IMPORT_FILE, "CSV-fil", "CSV file")                                                \
	X(IMPORT_MAP_FILE, "Mappning (JSON eller YAML)", "Mapping (JSON or YAML)")           \
	X(IMPORT_MAP_SAVED, "… eller en sparad mappning", "… or a saved mapping")            \
	X(IMPORT_MAP_NONE, "(ingen)", "(none)")                                              \
	X(IMPORT_MAP_SAVE_AS, "Spara den uppladdade mappningen som (valfritt; a–z, 0–9, - och _)", \
	  "Save the uploaded mapping as (optional; a–z, 0–9, - and _)")                      \
	X(IMPORT_MODE, "Vad ska göras?", "What to do")                                       \
	X(IMPORT_MODE_DRY, "Provkörning (sparar ingenting)", "Dry run (stores nothing)")     \
	X(IMPORT_MODE_RUN, "Importera", "Import")                                            \
	X(IMPORT_UPLOAD, "Ladda upp", "Upload")                                              \
	X(IMPORT_NO_DIR, "Importen behöver en mapp för uppladdningar: starta servern med "      \
	  "--import-dir.", "Imports need a folder for uploads: start the server with "          \
	  "--import-dir.")                                                                     \
	X(IMPORT_BAD, "Uppladdningen kunde inte användas. Ingenting har sparats.",             \
	  "The upload could not be used. Nothing was stored.")                                 \
	X(IMPORT_DRY_TITLE, "Provkörning", "Dry run")                                        \
	X(IMPORT_QUEUED, "Väntar på att starta.", "Waiting to start.")                      \
	X(IMPORT_PROGRESS, "Förlopp", "Progress")                                            \
	X(IMPORT_ROWS_DONE, "rader klara", "rows done")                                      \
	X(IMPORT_RATE, "rader/s", "rows/s")                                                  \
	X(IMPORT_LEFT, "kvar", "left")                                                       \
	X(IMPORT_DONE, "Klar.", "Done.")                                                     \
	X(IMPORT_DRY_DONE, "Provkörningen är klar. Ingenting har sparats.",                   \
	  "The dry run is done. Nothing was stored.")                                          \
	X(IMPORT_ALREADY, "Den här filen med den här mappningen är redan importerad; inget nytt " \
	  "sparades.", "This file with this mapping was imported before; nothing new was stored.") \
	X(IMPORT_RESUMED, "Fortsatte efter rad", "Resumed after row")                       \
	X(IMPORT_INTERRUPTED, "Importen avbröts (servern stoppades). Raderna som redan sparats " \
	  "finns kvar; fortsätt för att importera resten.",                                     \
	  "The import was interrupted (the server stopped). The rows already committed stay; "  \
	  "resume to import the rest.")                                                        \
	X(IMPORT_COMMITTED, "rader sparade", "rows committed")                               \
	X(IMPORT_RESUME, "Fortsätt importen", "Resume the import")                           \
	X(IMPORT_RUN_NOW, "Importera filen", "Import the file")                              \
	X(IMPORT_FAILED, "Importen misslyckades:", "The import failed:")                     \
	X(IMPORT_GONE, "Filen sparas inte längre; ladda upp den igen.",                       \
	  "The file is no longer kept; upload it again.")                                      \
	X(IMPORT_COUNTS, "Resultat", "Counts")                                               \
	X(IMPORT_C_ROWS, "Rader", "Rows")                                                    \
	X(IMPORT_C_CREATED, "Nya kontakter", "Contacts created")                             \
	X(IMPORT_C_UPDATED, "Uppdaterade kontakter", "Contacts updated")                     \
	X(IMPORT_C_GIVEN, "Samtycken givna", "Consents given")                               \
	X(IMPORT_C_UNVERIFIED, "Overifierade (utan bevis)", "Unverified (no evidence)")      \
	X(IMPORT_C_REFUSED, "Nej och återkallade", "Refused")                                 \
	X(IMPORT_C_UNCHANGED, "Oförändrade", "Unchanged")                                    \
	X(IMPORT_C_REJECTED, "Avvisade rader", "Rows rejected")                              \
	X(IMPORT_C_DROPPED, "Fält som inte sparades", "Fields dropped")                      \
	X(IMPORT_REJECTS, "De första avvisade raderna", "First rejected rows")               \
	X(IMPORT_REJ_LINE, "Rad", "Line")                                                    \
	X(IMPORT_REJ_COLUMN, "Kolumn", "Column")                                             \
	X(IMPORT_REJ_REASON, "Skäl", "Reason")                                               \
	X(IMPORT_REJ_NONE, "Ingen rad avvisades.", "No row was rejected.")                   \
	X(IMPORT_REJ_FILE, "Ladda ner alla avvisade rader (CSV: rad, kolumn, skäl; inga värden)", \
	  "Download every rejected row (CSV: line, column, reason; no values)")                \
	X(IMPORT_NEW, "Ny import", "New import")                                             \
	X(IMPORT_NOT_FOUND, "Det finns ingen sådan import.", "There is no such import.")
/* audiences, retention, webhooks and keys (render/console_admin.c) */
#define SK_CON_MSG_ADMIN(X)                                                                  \
	X(AUDIENCES_TITLE, "Målgrupper", "Audiences")                                        \
	X(AUD_INTRO, "Hur många ett ändamål får kontakta nu, och varför de andra utesluts. "  \
	  "Grinden tillfrågas för varje kontakt.",                                            \
	  "How many a purpose may contact now, and why the others are excluded. The gate is " \
	  "asked for every contact.")                                                         \
	X(AUD_PURPOSE, "Ändamål", "Purpose")                                                 \
	X(AUD_SHOW, "Visa", "Show")                                                          \
	X(AUD_AS_OF, "Grinden tillfrågad", "The gate asked at")                              \
	X(AUD_CONTACTS, "Kontakter", "Contacts")                                             \
	X(AUD_ALLOWED, "Får kontaktas", "May be contacted")                                  \
	X(AUD_EXCLUDED, "Utesluts, per skäl", "Excluded, by reason")                         \
	X(AUD_NONE_EXCLUDED, "Ingen utesluts.", "Nobody is excluded.")                       \
	X(AUD_EXPORT, "Ladda ner listan över dem som får kontaktas (CSV)",                   \
	  "Download the list of those who may be contacted (CSV)")                           \
	X(AUD_NO_PURPOSE, "Det ändamålet finns inte i policyn.",                             \
	  "That purpose is not in the policy.")                                               \
	X(COL_REASON, "Skäl", "Reason")                                                      \
	X(COL_COUNT, "Antal", "Count")                                                       \
	X(RSN_CONSENT, "Samtycke", "Consent")                                                \
	X(RSN_LEGITIMATE_INTEREST, "Berättigat intresse", "Legitimate interest")             \
	X(RSN_CONTRACT, "Avtal", "Contract")                                                 \
	X(RSN_LEGAL_OBLIGATION, "Rättslig förpliktelse", "Legal obligation")                 \
	X(RSN_NO_CONSENT, "Inget samtycke", "No consent")                                    \
	X(RSN_REFUSED, "Nekat", "Refused")                                                   \
	X(RSN_WITHDRAWN, "Återkallat", "Withdrawn")                                          \
	X(RSN_EXPIRED, "Utgånget", "Expired")                                                \
	X(RSN_PENDING_CONFIRMATION, "Väntar på bekräftelse", "Awaiting confirmation")        \
	X(RSN_UNVERIFIED, "Samtycke utan bevis", "Consent without evidence")                 \
	X(RSN_SUPPRESSED, "Spärrad adress", "Suppressed address")                            \
	X(RSN_ERASED, "Raderad", "Erased")                                                   \
	X(RSN_OBJECTED, "Invändning", "Objected")                                            \
	X(RSN_UNKNOWN_PURPOSE, "Okänt ändamål", "Unknown purpose")                           \
	X(RSN_INVALID_EMAIL, "Ogiltig adress", "Invalid address")                            \
	X(RSN_ERROR, "Kunde inte kontrolleras", "Could not be checked")                      \
	X(RET_TITLE, "Gallring", "Retention")                                                \
	X(RET_INTRO, "Kontakter utan kvarvarande grund som gallringen skulle radera nu, per " \
	  "skäl. Den här provkörningen ändrar ingenting.",                                    \
	  "Contacts with no basis left that the purge would delete now, by reason. This dry " \
	  "run changes nothing.")                                                             \
	X(RET_DONE, "Gallringen är körd. Så här många kontakter raderades:",                 \
	  "The purge has run. This many contacts were deleted:")                             \
	X(RET_TOTAL, "Totalt", "Total")                                                      \
	X(RET_TRACKING, "Spårningshändelser äldre än tracking.retention som raderades:",      \
	  "Tracking events older than tracking.retention deleted:")                          \
	X(RET_TRACKING_DRY, "Spårningshändelser äldre än tracking.retention raderas också när " \
	  "gallringen körs (de räknas inte i förväg).",                                       \
	  "Tracking events older than tracking.retention are deleted too when the purge runs " \
	  "(they are not counted beforehand).")                                               \
	X(RET_RUN, "Kör gallringen nu", "Run the purge now")                                 \
	X(RET_RUN_NOTE, "Raderingen går inte att ångra.", "The deletion cannot be undone.")   \
	X(PRG_NEVER_CONSENTED, "Har aldrig samtyckt", "Never consented")                     \
	X(PRG_WITHDRAWN, "Återkallat", "Withdrawn")                                          \
	X(PRG_EXPIRED, "Utgånget", "Expired")                                                \
	X(PRG_PENDING, "Aldrig bekräftat", "Never confirmed")                                \
	X(PRG_UNVERIFIED, "Samtycke utan bevis", "Consent without evidence")                 \
	X(PRG_INACTIVE, "Inaktiv", "Inactive")                                               \
	X(ADM_TITLE, "Webhooks, API-nycklar och användare", "Webhooks, API keys and users")  \
	X(ADM_WEBHOOKS, "Webhooks", "Webhooks")                                              \
	X(ADM_NO_WEBHOOKS, "Inga webhooks ännu.", "No webhooks yet.")                        \
	X(ADM_NAME, "Namn", "Name")                                                          \
	X(ADM_URL, "Adress (URL)", "URL")                                                    \
	X(ADM_EVENTS, "Händelser", "Events")                                                 \
	X(ADM_EVENTS_HINT, "Händelsenamn med kommatecken emellan, eller all.",               \
	  "Event names separated by commas, or all.")                                         \
	X(ADM_STATE, "Läge", "State")                                                        \
	X(ADM_ENABLED, "På", "Enabled")                                                      \
	X(ADM_DISABLED, "Avstängd", "Disabled")                                              \
	X(ADM_LAG, "Ändringar som väntar", "Changes waiting")                                \
	X(ADM_DELIVERED, "Levererat till och med ändring", "Delivered up to change")         \
	X(ADM_LAST_STATUS, "Senaste svar (HTTP)", "Last answer (HTTP)")                      \
	X(ADM_LAST_ERROR, "Senaste fel", "Last error")                                       \
	X(ADM_FAILED, "Uppgivna ändringar", "Changes given up")                              \
	X(ADM_ACTIONS, "Åtgärder", "Actions")                                                \
	X(ADM_ROTATE, "Byt hemlighet", "Rotate secret")                                      \
	X(ADM_DISABLE, "Stäng av", "Disable")                                                \
	X(ADM_ADD_WEBHOOK, "Lägg till en webhook", "Add a webhook")                          \
	X(ADM_ADD, "Lägg till", "Add")                                                       \
	X(ADM_SECRET_ONCE, "Webhookens hemlighet visas bara nu. Spara den hos mottagaren:",  \
	  "The webhook's secret is shown only now. Store it with the receiver:")             \
	X(ADM_KEY_ONCE, "Nyckeln visas bara nu. Spara den där den ska användas:",            \
	  "The key is shown only now. Store it where it will be used:")                      \
	X(ADM_KEYS, "API-nycklar", "API keys")                                               \
	X(ADM_NO_KEYS, "Inga API-nycklar ännu.", "No API keys yet.")                         \
	X(ADM_SCOPES, "Behörigheter", "Scopes")                                              \
	X(ADM_CREATED, "Skapad", "Created")                                                  \
	X(ADM_REVOKED, "Återkallad", "Revoked")                                              \
	X(ADM_ACTIVE, "Aktiv", "Active")                                                     \
	X(ADM_REVOKE, "Återkalla", "Revoke")                                                 \
	X(ADM_CREATE_KEY, "Skapa en API-nyckel", "Create an API key")                        \
	X(ADM_CREATE, "Skapa", "Create")                                                     \
	X(ADM_ADDED, "Webhooken är tillagd.", "The webhook was added.")                      \
	X(ADM_ROTATED, "Webhookens hemlighet är bytt.", "The webhook's secret was rotated.")   \
	X(ADM_DISABLED_DONE, "Webhooken är avstängd.", "The webhook was disabled.")          \
	X(ADM_KEY_CREATED, "API-nyckeln är skapad.", "The API key was created.")             \
	X(ADM_KEY_REVOKED, "API-nyckeln är återkallad.", "The API key was revoked.")         \
	X(ADM_FAILED_TEXT, "Det gick inte, och inget ändrades:",                             \
	  "That did not work, and nothing was changed:")                                     \
	X(ADM_USERS, "Konsolens användare", "Console users")                                  \
	X(ADM_NO_USERS, "Inga användare ännu.", "No users yet.")                              \
	X(ADM_ROLE, "Roll", "Role")                                                          \
	X(ADM_LOCKED, "Låst efter misslyckade inloggningar", "Locked after failed sign-ins")  \
	X(ADM_UNLOCK, "Lås upp", "Unlock")                                                   \
	X(ADM_ADD_USER, "Lägg till en användare", "Add a user")                              \
	X(ADM_PASSWORD_ONCE, "Lösenordet visas bara nu. Ge det till användaren:",            \
	  "The password is shown only now. Give it to the user:")                            \
	X(ADM_USER_ADDED, "Användaren är tillagd.", "The user was added.")                   \
	X(ADM_USER_DISABLED, "Användaren är avstängd.", "The user was disabled.")             \
	X(ADM_USER_UNLOCKED, "Användaren är upplåst.", "The user was unlocked.")

/* the UTM link builder (render/console_utm.c); UTM_WHY_* are core's SK_UTM_WHY_LIST */
#define SK_CON_MSG_UTM(X)                                                                    \
	X(UTM_TITLE, "UTM-länkar", "UTM links")                                              \
	X(UTM_INTRO, "Bygg en länk till en landningssida med kampanjens UTM-värden. Värdena " \
	  "skrivs med små bokstäver och procentkodas; adressens egna parametrar och fragment " \
	  "behålls, och UTM-värden som redan finns i den ersätts. Skriv aldrig en persons "   \
	  "uppgifter i ett UTM-värde.", "Build a link to a landing page with the campaign's " \
	  "UTM values. The values are lowercased and percent-encoded; the address's own "    \
	  "parameters and fragment are kept, and UTM values already in it are replaced. "     \
	  "Never write a person's data in a UTM value.")                                      \
	X(UTM_URL, "Landningssidans adress (URL)", "Landing page address (URL)")               \
	X(UTM_SOURCE, "Källa (utm_source)", "Source (utm_source)")                           \
	X(UTM_SOURCE_HINT, "Varifrån besökaren kommer, till exempel newsletter eller "         \
	  "linkedin.", "Where the visitor comes from, such as newsletter or linkedin.")        \
	X(UTM_MEDIUM, "Medium (utm_medium)", "Medium (utm_medium)")                          \
	X(UTM_MEDIUM_HINT, "Kanalens slag, till exempel email, social eller cpc.",           \
	  "The kind of channel, such as email, social or cpc.")                              \
	X(UTM_CAMPAIGN, "Kampanj (utm_campaign)", "Campaign (utm_campaign)")                 \
	X(UTM_CAMPAIGN_HINT, "Kampanjens namn, till exempel spring-sale.",                    \
	  "The campaign's name, such as spring-sale.")                                       \
	X(UTM_TERM, "Sökord (utm_term), valfritt", "Term (utm_term), optional")              \
	X(UTM_CONTENT, "Innehåll (utm_content), valfritt", "Content (utm_content), optional") \
	X(UTM_KEEP_CASE, "Behåll stora och små bokstäver", "Keep upper and lower case")       \
	X(UTM_BUILD, "Bygg länken", "Build the link")                                        \
	X(UTM_RESULT, "Länken", "The link")                                                  \
	X(UTM_COPY, "Kopiera länken", "Copy the link")                                       \
	X(UTM_COPIED, "Länken är kopierad.", "The link was copied.")                          \
	X(UTM_FAILED, "Länken gick inte att bygga. Rätta de markerade fälten.",               \
	  "The link could not be built. Correct the fields marked.")                         \
	X(UTM_WHY_REQUIRED, "Fältet måste fyllas i.", "This field is required.")             \
	X(UTM_WHY_URL_TOO_LONG, "Adressen får vara högst 2048 byte.",                          \
	  "The address may be at most 2048 bytes.")                                          \
	X(UTM_WHY_VALUE_TOO_LONG, "Värdet får vara högst 200 byte.",                          \
	  "The value may be at most 200 bytes.")                                             \
	X(UTM_WHY_CONTROL, "Får inte innehålla styrtecken.", "Must not hold control characters.") \
	X(UTM_WHY_SPACE, "Adressen får inte innehålla mellanslag (skriv %20).",               \
	  "The address must not hold spaces (write %20).")                                   \
	X(UTM_WHY_NOT_ASCII, "Adressen får bara innehålla ASCII-tecken: procentkoda andra "   \
	  "(%C3%A5 för å).", "The address may hold ASCII characters only: percent-encode "   \
	  "others (%C3%A5 for å).")                                                          \
	X(UTM_WHY_BAD_CHAR, "Adressen innehåller ett tecken som inte får stå i en URL "        \
	  "(procentkoda det).", "The address holds a character that URLs do not allow "     \
	  "(percent-encode it).")                                                            \
	X(UTM_WHY_BAD_PERCENT, "Ett % i adressen måste följas av två hexadecimala siffror.",  \
	  "A % in the address must be followed by two hex digits.")                          \
	X(UTM_WHY_TWO_HASHES, "Adressen har mer än ett #.", "The address holds more than one #.") \
	X(UTM_WHY_SCHEME, "Adressen måste börja med http:// eller https://.",                 \
	  "The address must start with http:// or https://.")                                \
	X(UTM_WHY_USERINFO, "Adressen får inte innehålla användarnamn eller lösenord.",        \
	  "The address must not carry a user name or password.")                             \
	X(UTM_WHY_NO_HOST, "Adressen saknar värdnamn.", "The address has no host.")            \
	X(UTM_WHY_BAD_HOST, "Värdnamnet har tecken som ett värdnamn inte har (skriv ett "      \
	  "internationellt namn i sin xn---form).", "The host holds characters a host name "  \
	  "does not have (write an international name in its xn-- form).")                  \
	X(UTM_WHY_IPV6_UNCLOSED, "IPv6-adressen saknar sin avslutande ].",                      \
	  "The IPv6 host lacks its closing ].")                                              \
	X(UTM_WHY_IPV6_BAD, "IPv6-värden är inte en adress.", "The IPv6 host is not an address.") \
	X(UTM_WHY_IPV6_TRAILING, "Tecken står efter IPv6-adressen.",                           \
	  "Characters follow the IPv6 host.")                                                \
	X(UTM_WHY_BAD_PORT, "Porten måste vara ett tal från 1 till 65535.",                    \
	  "The port must be a number from 1 to 65535.")                                      \
	X(UTM_WHY_NOT_UTF8, "Värdet är inte giltig UTF-8.", "The value is not valid UTF-8.")

#define SK_CON_MSG_LIST(X)                                                                   \
	SK_CON_MSG_FRAME(X)                                                                  \
	SK_CON_MSG_AUTH(X)                                                                   \
	SK_CON_MSG_OVERVIEW(X)                                                               \
	SK_CON_MSG_PERSON(X)                                                                 \
	SK_CON_MSG_IMPORT(X)                                                                 \
	SK_CON_MSG_ADMIN(X)                                                                  \
	SK_CON_MSG_UTM(X)

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
	X(AUDIT, "/console/audit", NAV_AUDIT, AUDIT)                 \
	X(UTM, "/console/utm", NAV_UTM, VIEW)
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

/* ---- audiences, retention, webhooks and keys (console_admin.c; docs/console.md) ---- */

/* The audiences page, begun in b: the purpose select (the policy's communication purposes,
 * purpose chosen), and when a is not NULL its counts, with the allowed list's link when
 * can_export. error (NULL: none) is a message of the catalogue's shown instead of counts. */
int sk_con_audiences(struct sk_buf *b, const struct sk_con_frame *f, const char *purpose,
		     const struct sk_audience *a, int can_export, const char *error);
/* The retention page, begun in b: rep's counts by reason (a dry run, or what a run did) and
 * the button that runs the purge; error (NULL: none) in place of the counts. */
int sk_con_retention(struct sk_buf *b, const struct sk_con_frame *f,
		     const struct sk_purge_report *rep, const char *error);
/* What the webhooks, keys and users page shows. */
struct sk_webhook_info;
struct sk_con_admin_view {
	const struct sk_webhook_info *webhooks;
	size_t nwebhooks;
	const struct sk_key_rec *keys;
	size_t nkeys;
	const struct sk_staff_user *users;
	size_t nusers;
	int64_t now;         /* for "locked": a lock still running */
	const char *done;    /* what an action did (a catalogue message), NULL: none */
	const char *once;    /* a secret or key to show once, NULL: none */
	const char *once_label;
	const char *error;   /* why an action failed (core's message), NULL: none */
};
int sk_con_admin(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_con_admin_view *v);
/* ---- the overview and the purposes pages (render/console_overview.c) ---- */

/* The overview (GET /console), begun in b (not ended): the figures of o; with can_verify
 * (the role may SK_CAN_AUDIT) a button that runs audit verify (POST /console/verify). */
int sk_con_overview(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_overview *o,
		    int can_verify);
/* The purposes page (GET /console/purposes), begun in b (not ended): the applied policy
 * f->pol, hist[i] the notice versions of its purpose i (npurposes of them), and the lint. */
int sk_con_purposes(struct sk_buf *b, const struct sk_con_frame *f,
		    const struct sk_notice_history *hist, const struct sk_policy_lint *lint);
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

/* ---- the import pages (render/console_import.c) ---- */

/* The upload form: a CSV file, a mapping file or one of the saved mappings (names, n of
 * them), the name to save an uploaded mapping as, dry run or import. error (may be NULL) is
 * why the last upload was refused; no_dir: the server has no import folder, so the page
 * says so instead of the form. */
int sk_con_import_form(struct sk_buf *b, const struct sk_con_frame *f, const char *const *names,
		       size_t n, const char *error, int no_dir);
/* A job's page: its progress while it is active (a <progress> element and text; without
 * JavaScript the page refreshes itself, with it /assets/console.js polls the progress), or
 * its counts and first rejects once done (a dry run's with the button that imports the
 * file), or the resume button when it was interrupted (state queued or running but not
 * active in this server), or why it failed. has_upload: the staged file is still kept. */
int sk_con_import_job(struct sk_buf *b, const struct sk_con_frame *f,
		      const struct sk_import_job *j, int active, int has_upload,
		      const struct sk_import_reject *rejects, size_t nrejects);
/* The JSON that /console/import/{id}/progress answers (docs/console.md). */
struct json_t *sk_con_import_progress_json(const struct sk_import_job *j, int active);
/* The console's script (/assets/console.js): the import page's live progress, and the UTM
 * page's copy button. */
extern const char sk_console_js[];

/* ---- the UTM link builder (render/console_utm.c; docs/utm.md) ---- */

struct sk_utm_in;
struct sk_utm_fault;
/* The UTM page (GET /console/utm), begun in b (not ended): the form filled with in (NULL:
 * empty), and either the link built (link, with its copy button) or the nfaults refusals,
 * each next to its field. */
int sk_con_utm(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_utm_in *in,
	       const char *link, const struct sk_utm_fault *faults, size_t nfaults);

#endif
