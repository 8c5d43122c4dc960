/* sktime.c: RFC 3339 times and policy durations, and the timed wait of background threads. */
#include "util/sktime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

int64_t sk_time_now(void)
{
	const char *pin = getenv("SAMTYCKE_NOW");
	int64_t t;
	if (pin && *pin && sk_time_parse(pin, &t) == 0)
		return t;
	return (int64_t)time(NULL);
}

int64_t sk_time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

int sk_time_parse(const char *s, int64_t *out)
{
	int Y, M, D, h, mi, sec;
	if (!s || strlen(s) < 20)
		return SK_ERR_INVALID;
	if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
	    digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return SK_ERR_INVALID;
	if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || mi > 59 || sec > 60)
		return SK_ERR_INVALID;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return SK_ERR_INVALID;
		while (isdigit((unsigned char)*p))
			p++;
	}
	int offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return SK_ERR_INVALID;
		offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return SK_ERR_INVALID;
	}
	if (*p)
		return SK_ERR_INVALID;
	if (sec == 60)
		sec = 59;
	*out = days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + sec - offset;
	return 0;
}

int sk_time_parse_human(const char *s, int64_t *out)
{
	char buf[SK_TIME_STRLEN];
	size_t n = s ? strlen(s) : 0;
	if (n >= 20 || n == 0)
		return sk_time_parse(s, out);
	/* no zone: "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS", read as UTC */
	if (n != 10 && n != 16 && n != 19)
		return SK_ERR_INVALID;
	snprintf(buf, sizeof(buf), "%.*s%s", (int)n, s,
		 n == 10 ? "T00:00:00Z" : n == 16 ? ":00Z" : "Z");
	if (n > 10 && buf[10] == ' ')
		buf[10] = 'T';
	return sk_time_parse(buf, out);
}

void sk_time_format(int64_t t, char *out)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	unsigned r = (unsigned)rem, yy = y < 0 ? 0u : (unsigned)y % 10000u;
	snprintf(out, SK_TIME_STRLEN, "%04u-%02u-%02uT%02u:%02u:%02uZ", yy, (unsigned)m % 13u,
		 (unsigned)d % 32u, r / 3600u % 24u, r / 60u % 60u, r % 60u);
}

int sk_duration_parse(const char *s, struct sk_duration *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return SK_ERR_INVALID;
	long n = strtol(s, &end, 10);
	if (n <= 0 || n > 100000)
		return SK_ERR_INVALID;
	while (*end == ' ')
		end++;
	static const struct {
		const char *word;
		char unit;
	} units[] = {{"day", 'd'}, {"days", 'd'}, {"month", 'm'}, {"months", 'm'},
		     {"year", 'y'}, {"years", 'y'}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].word) == 0) {
			out->n = (int)n;
			out->unit = units[i].unit;
			return 0;
		}
	}
	return SK_ERR_INVALID;
}

int64_t sk_time_add(int64_t t, struct sk_duration d)
{
	if (d.n <= 0)
		return t;
	if (d.unit == 'd')
		return t + (int64_t)d.n * 86400;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400;
	int y, m, dd;
	civil_from_days(days, &y, &m, &dd);
	int64_t months = (int64_t)y * 12 + (m - 1) + (d.unit == 'y' ? (int64_t)d.n * 12 : d.n);
	y = (int)(months / 12);
	m = (int)(months % 12) + 1;
	if (dd > days_in_month(y, m))
		dd = days_in_month(y, m);
	return days_from_civil(y, m, dd) * 86400 + rem;
}

void sk_duration_format(struct sk_duration d, char *out, size_t outlen)
{
	const char *w = d.unit == 'd' ? "day" : d.unit == 'm' ? "month" : "year";
	if (d.n <= 0)
		snprintf(out, outlen, "none");
	else
		snprintf(out, outlen, "%d %s%s", d.n, w, d.n == 1 ? "" : "s");
}

void sk_deadline(long ms, struct timespec *out)
{
	clock_gettime(CLOCK_REALTIME, out);
	out->tv_sec += ms / 1000;
	out->tv_nsec += (ms % 1000) * 1000000L;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}

int sk_nap(pthread_cond_t *cond, pthread_mutex_t *lock, const int *stopping, long ms)
{
	struct timespec until;
	sk_deadline(ms, &until);
	while (!*stopping && pthread_cond_timedwait(cond, lock, &until) == 0)
		;
	return *stopping;
}
