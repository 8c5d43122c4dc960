/* sktime.h: time as int64 seconds since the Unix epoch (UTC), RFC 3339 parsing and
 * formatting, and the calendar arithmetic used for consent validity and retention. */
#ifndef SK_SKTIME_H
#define SK_SKTIME_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SK_TIME_STRLEN 21 /* "2026-11-29T05:17:39Z" plus NUL */

/* A length of time as written in the policy: "24 months", "30 days", "2 years". */
struct sk_duration {
	int n;
	char unit; /* 'd' days, 'm' months, 'y' years; n == 0 means none */
};

int64_t sk_time_now(void);
/* The wall clock in Unix milliseconds, never pinned by SAMTYCKE_NOW: for leases shared
 * between servers (docs/internals/serve.md), whose expiry must pass in real time. */
int64_t sk_time_now_ms(void);
/* Tests and demos may pin the clock: SAMTYCKE_NOW=RFC3339 in the environment. */
/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"; returns 0 or SK_ERR_INVALID. */
int sk_time_parse(const char *s, int64_t *out);
/* The forms people type or spreadsheets export, for the command line and the CSV import
 * (never the API, which takes RFC 3339 only): RFC 3339 as above, or "YYYY-MM-DD HH:MM",
 * "YYYY-MM-DD HH:MM:SS" (a space or a T between; how Excel and HubSpot export them) or
 * "YYYY-MM-DD" (midnight), each without a zone and read as UTC. Returns 0 or
 * SK_ERR_INVALID; SK_TIME_FORMS names the forms for an error message. */
int sk_time_parse_human(const char *s, int64_t *out);
#define SK_TIME_FORMS                                                                      \
	"RFC 3339 (2025-05-01T10:00:00Z, 2025-05-01T12:00:00+02:00), or 2025-05-01 10:00, "   \
	"2025-05-01 10:00:00 or 2025-05-01 (UTC)"
/* Writes "YYYY-MM-DDTHH:MM:SSZ" into out (at least SK_TIME_STRLEN bytes). */
void sk_time_format(int64_t t, char *out);
/* Parses "N days|months|years" (singular too); returns 0 or SK_ERR_INVALID. */
int sk_duration_parse(const char *s, struct sk_duration *out);
/* t plus the duration, calendar-aware (31 January plus 1 month is the last day of February). */
int64_t sk_time_add(int64_t t, struct sk_duration d);
/* Writes "24 months" etc. into out (at least 24 bytes). */
void sk_duration_format(struct sk_duration d, char *out, size_t outlen);

/* For the background threads: with lock held, waits on cond for at most ms milliseconds
 * (wall clock), returning early when *stopping is set (and cond signalled); returns
 * *stopping. */
int sk_nap(pthread_cond_t *cond, pthread_mutex_t *lock, const int *stopping, long ms);
/* *out = the CLOCK_REALTIME time ms milliseconds from now, for pthread_cond_timedwait. */
void sk_deadline(long ms, struct timespec *out);

#endif
