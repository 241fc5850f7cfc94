/* SPDX-License-Identifier: MIT */
/* An init's exit kept in its bundle, in the reference's exit.json (exit_record.h). */
#include "exit_record.h"

#include "sys.h"
#include "wire/json.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int exit_record_save(const char *bundle, const struct exit_record *e)
{
	char path[PATH_MAX], doc[128];
	time_t t = (time_t)e->at.seconds;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return -EINVAL;
	/* RFC 3339 with nine digits of fraction: Go's time.Time reads any number of them. */
	int n = snprintf(doc, sizeof(doc),
	                 "{\"Timestamp\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09dZ\",\"Pid\":%d,"
	                 "\"Status\":%d}",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, (int)e->at.nanos, (int)e->pid, e->status);
	if (n < 0 || (size_t)n >= sizeof(doc))
		return -EINVAL;
	if (sys_fmt(path, sizeof(path), "%s/" EXIT_RECORD_FILE, bundle) < 0)
		return -ENAMETOOLONG;
	return sys_write_file_atomic(path, doc, (size_t)n, 0600);
}

/* n decimal digits at *p (exactly n; n 0: one or more, at most 9, for the fraction). */
static int digits(const char **p, int n, long long *v)
{
	const char *s = *p;
	int k = 0;
	*v = 0;
	while (s[k] >= '0' && s[k] <= '9' && (n ? k < n : k < 9))
		*v = *v * 10 + (s[k++] - '0');
	if (n ? k != n : k == 0)
		return -1;
	*p = s + k;
	return 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (H. Hinnant's formula). */
static long long days_from_civil(long long y, long long m, long long d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* An RFC 3339 time, "2006-01-02T15:04:05.999999999Z07:00", as Go writes time.Time. */
static int rfc3339(const char *s, struct tk_timestamp *at)
{
	long long y, mo, d, h, mi, sec, frac = 0, oh = 0, om = 0;
	int sign = 0, fdig = 0;
	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
	    digits(&s, 2, &d))
		return -1;
	if (*s != 'T' && *s != 't')
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) || *s++ != ':' ||
	    digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		const char *f = ++s;
		if (digits(&s, 0, &frac))
			return -1;
		fdig = (int)(s - f);
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
			return -1;
	} else {
		return -1;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    oh > 23 || om > 59)
		return -1;
	while (fdig++ < 9)
		frac *= 10;
	at->seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	              sign * (oh * 3600 + om * 60);
	at->nanos = (int32_t)frac;
	return 0;
}

int exit_record_load(const char *bundle, struct exit_record *e)
{
	char path[PATH_MAX], doc[512], ts[64];
	struct pb_str v;
	long long pid, status;
	if (sys_fmt(path, sizeof(path), "%s/" EXIT_RECORD_FILE, bundle) < 0)
		return -ENAMETOOLONG;
	ssize_t n = sys_read_file(path, doc, sizeof(doc));
	if (n < 0)
		return (int)n;
	struct pb_str obj = pb_str_of(doc, (size_t)n);
	if (json_get(obj, "Pid", &v) != 1 || json_int(v, &pid) < 0 || pid <= 0 || pid > INT_MAX ||
	    json_get(obj, "Status", &v) != 1 || json_int(v, &status) < 0 || status < 0 ||
	    status > INT_MAX || json_get(obj, "Timestamp", &v) != 1 ||
	    json_string(v, ts, sizeof(ts)) < 0 || rfc3339(ts, &e->at) < 0 ||
	    (e->at.seconds == TK_TS_UNSET_SECONDS && e->at.nanos == 0))
		return -EINVAL;
	e->pid = (pid_t)pid;
	e->status = (int)status;
	return 0;
}

void exit_record_delete_resp(const char *bundle, struct tk_delete_resp *r)
{
	char path[PATH_MAX], buf[32];
	long long pid = 0;
	struct exit_record e;

	memset(r, 0, sizeof(*r));
	if (exit_record_load(bundle, &e) == 0) {
		r->pid = (uint32_t)e.pid;
		r->exit_status = (uint32_t)e.status;
		r->exited_at = e.at;
		return;
	}
	if (sys_fmt(path, sizeof(path), "%s/init.pid", bundle) >= 0 &&
	    sys_read_file(path, buf, sizeof(buf)) > 0 &&
	    json_int(pb_str_of(buf, strlen(buf)), &pid) == 0 && pid > 0 && pid <= INT_MAX)
		r->pid = (uint32_t)pid;
	r->exit_status = 128 + SIGKILL;
	sys_now(&r->exited_at.seconds, &r->exited_at.nanos);
}
