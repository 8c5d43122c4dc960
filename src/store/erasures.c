/* erasures.c: the erasure log, a text file outside the database that every erasure,
 * suppression and unsuppression is appended to and synced before it is reported done, so
 * that a restored backup has them done again (docs/operations.md, 4; docs/rights.md). Only
 * ids, keyed hashes and reasons: never an address or a value. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/str.h"

#define LOG_LINE_MAX 256 /* an entry is at most about 170 bytes */

static char log_path[4096];

void sk_erasure_log_set(const char *path)
{
	sk_strlcpy(log_path, path ? path : "", sizeof(log_path));
}

const char *sk_erasure_log_path(void)
{
	return log_path;
}

/* A field as written: "-" for an empty one. Fields never hold a space (ids, reasons). */
static const char *field(const char *s)
{
	return s && s[0] ? s : "-";
}

static int sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		sk_strlcpy(dir, ".", sizeof(dir));
	else if (slash == path)
		sk_strlcpy(dir, "/", sizeof(dir));
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int sk_erasure_entry_body(const struct sk_erasure_entry *e, char *out, size_t cap)
{
	char hex[2 * SK_HASH_LEN + 1] = "-";
	if (e->has_key)
		sk_hex(e->key, SK_HASH_LEN, hex);
	int n = snprintf(out, cap, "2 %" PRId64 " %s %s %s %s", e->at_ms, field(e->op),
			 field(e->contact_id), hex, field(e->reason));
	if (n < 0 || (size_t)n >= cap || strchr(e->reason, ' ') || strchr(e->op, ' '))
		return -1;
	return n;
}

/* The log opened with flags (O_NOFOLLOW added): refused when group or others may write it or
 * another user owns it (a line slipped in by someone else would be replayed). */
static int open_checked(const char *path, int flags, mode_t mode)
{
	struct stat st;
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 022) ||
	    st.st_uid != geteuid()) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int sk_erasure_log_append(const struct sk_erasure_entry *e)
{
	char line[LOG_LINE_MAX];
	int made = 0, fd, n;
	if (!log_path[0])
		return 0;
	n = sk_erasure_entry_body(e, line, sizeof(line));
	if (n < 0 || strlen(e->mac) != 64 || (size_t)n + 66 >= sizeof(line))
		return SK_ERR_USAGE;
	n += snprintf(line + n, sizeof(line) - (size_t)n, " %s\n", e->mac);
	fd = open_checked(log_path, O_WRONLY | O_APPEND, 0);
	if (fd < 0 && errno == ENOENT) {
		fd = open_checked(log_path, O_WRONLY | O_APPEND | O_CREAT, 0600);
		made = 1;
	}
	if (fd < 0)
		return SK_ERR_IO;
	int rc = write(fd, line, (size_t)n) == n && fsync(fd) == 0 ? 0 : SK_ERR_IO;
	if (close(fd) != 0)
		rc = SK_ERR_IO;
	if (!rc && made && sync_dir(log_path) != 0)
		rc = SK_ERR_IO;
	return rc;
}

int sk_erasure_log_writable(const char *path, struct sk_errctx *err)
{
	int made = access(path, F_OK) != 0;
	int fd = open_checked(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd < 0 && errno == EPERM)
		return sk_errf(err, SK_ERR_IO, "cannot append to the erasure log %s: it must be a "
			       "file of this user that group and others cannot write (chmod 600), "
			       "not a symbolic link", path);
	if (fd < 0)
		return sk_errf(err, SK_ERR_IO, "cannot append to the erasure log %s (%s): every "
			       "erasure must be logged there; fix the path (erasure-log) or its "
			       "folder's permissions", path, strerror(errno));
	close(fd);
	if (made && sync_dir(path) != 0)
		return sk_errf(err, SK_ERR_IO, "cannot sync the folder of the erasure log %s", path);
	return 0;
}

/* One line into e; -1 when it is no entry. */
static int parse(char *line, struct sk_erasure_entry *e)
{
	char *f[7], *save = NULL, *end;
	int n = 0;
	for (char *t = strtok_r(line, " \n", &save); t && n < 7; t = strtok_r(NULL, " \n", &save))
		f[n++] = t;
	if (n < 6 || strtok_r(NULL, " \n", &save) ||
	    !(n == 6 ? strcmp(f[0], "1") == 0 : strcmp(f[0], "2") == 0))
		return -1;
	memset(e, 0, sizeof(*e));
	if (n == 7) {
		if (strlen(f[6]) != 64)
			return -1;
		sk_strlcpy(e->mac, f[6], sizeof(e->mac));
	}
	errno = 0;
	e->at_ms = strtoll(f[1], &end, 10);
	if (errno || *end || e->at_ms <= 0)
		return -1;
	if (strcmp(f[2], "erase") != 0 && strcmp(f[2], "suppress") != 0 &&
	    strcmp(f[2], "unsuppress") != 0)
		return -1;
	sk_strlcpy(e->op, f[2], sizeof(e->op));
	if (strcmp(f[3], "-") != 0) {
		if (strlen(f[3]) != SK_ID_LEN)
			return -1;
		sk_strlcpy(e->contact_id, f[3], sizeof(e->contact_id));
	}
	if (strcmp(f[4], "-") != 0) {
		if (sk_unhex(f[4], e->key, SK_HASH_LEN) != 0)
			return -1;
		e->has_key = 1;
	}
	if (strcmp(f[5], "-") != 0) {
		if (strlen(f[5]) >= sizeof(e->reason))
			return -1;
		sk_strlcpy(e->reason, f[5], sizeof(e->reason));
	}
	/* an erasure names its contact; the others their key */
	if (strcmp(e->op, "erase") == 0 ? !e->contact_id[0] : !e->has_key)
		return -1;
	return 0;
}

int sk_erasure_log_each(const char *path, int64_t since_ms, sk_erasure_cb cb, void *arg,
			long *outbad)
{
	char line[LOG_LINE_MAX + 2];
	struct sk_erasure_entry e;
	int rc = 0;
	if (outbad)
		*outbad = 0;
	int fd = open_checked(path, O_RDONLY, 0);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		int missing = fd < 0 && errno == ENOENT;
		if (fd >= 0)
			close(fd);
		return missing ? 0 : SK_ERR_IO;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		if (len && line[len - 1] != '\n' && !feof(f)) { /* too long: skip the rest */
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			if (outbad)
				(*outbad)++;
			continue;
		}
		if (parse(line, &e) != 0) {
			if (outbad)
				(*outbad)++;
			continue;
		}
		if (e.at_ms >= since_ms)
			rc = cb(arg, &e);
	}
	if (!rc && ferror(f))
		rc = SK_ERR_IO;
	fclose(f);
	return rc;
}
