/* smtpd.h: a real SMTP server for unit tests: aiosmtpd (Debian's python3-aiosmtpd, run with
 * /usr/bin/python3) on a free loopback port with a Maildir, and helpers to read what it got.
 * Header-only, for the test binaries that send mail. */
#ifndef SK_TEST_SMTPD_H
#define SK_TEST_SMTPD_H

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SMTPD_PYTHON "/usr/bin/python3"

static pid_t smtpd;

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static int port_accepts(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Starts aiosmtpd on port, storing into maildir (which must not exist yet); smtputf8 turns
 * on the SMTPUTF8 extension. Its log goes to logdir/smtpd.log. */
static void smtpd_start_in(const char *logdir, int port, const char *maildir, int smtputf8)
{
	char listen[32], log[128];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(log, sizeof(log), "%s/smtpd.log", logdir);
	smtpd = fork();
	assert_true(smtpd >= 0);
	if (smtpd == 0) {
		if (!freopen(log, "w", stdout) || !freopen(log, "a", stderr))
			_exit(126);
		if (smtputf8)
			execl(SMTPD_PYTHON, SMTPD_PYTHON, "-m", "aiosmtpd", "-n", "-u", "-l", listen,
			      "-c", "aiosmtpd.handlers.Mailbox", maildir, (char *)NULL);
		else
			execl(SMTPD_PYTHON, SMTPD_PYTHON, "-m", "aiosmtpd", "-n", "-l", listen, "-c",
			      "aiosmtpd.handlers.Mailbox", maildir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		int status;
		if (waitpid(smtpd, &status, WNOHANG) == smtpd) {
			smtpd = 0;
			fail_msg("aiosmtpd exited early (see %s)", log);
		}
		if (port_accepts(port))
			return;
		sleep_ms(50);
	}
	fail_msg("aiosmtpd did not accept connections on port %d within 5 s", port);
}

static int smtpd_stop(void **state)
{
	(void)state;
	if (smtpd > 0) {
		int status;
		kill(smtpd, SIGTERM);
		for (int i = 0; i < 40 && waitpid(smtpd, &status, WNOHANG) == 0; i++)
			sleep_ms(50);
		if (waitpid(smtpd, &status, WNOHANG) == 0) {
			kill(smtpd, SIGKILL);
			waitpid(smtpd, &status, 0);
		}
		smtpd = 0;
	}
	return 0;
}

/* Files in maildir/new, waiting up to 2 s for want of them. */
static int maildir_list(const char *maildir, char names[][512], int max, int want)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/new", maildir);
	int n = 0;
	for (int tries = 0; tries < 40; tries++) {
		n = 0;
		DIR *d = opendir(path);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d)) && n < max)
				if (de->d_name[0] != '.')
					snprintf(names[n++], 512, "%s/%s", path, de->d_name);
			closedir(d);
		}
		if (n >= want)
			break;
		sleep_ms(50);
	}
	return n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *p = NULL;
	size_t n = 0, cap = 0, r;
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			p = realloc(p, cap);
		}
		r = fread(p + n, 1, 4096, f);
		n += r;
	} while (r > 0);
	p[n] = '\0';
	fclose(f);
	return p;
}

#endif
