/* smtp_sink.c: a loopback SMTP server for bench/campaign.sh that accepts every message and
 * keeps nothing but a count: one thread per connection, the least ESMTP a sender needs
 * (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT). Prints "listening PORT" when ready, and the
 * count of messages on SIGTERM or SIGINT. Never for anything but a benchmark. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static atomic_long messages;

static int say(int fd, const char *s)
{
	size_t n = strlen(s);
	return write(fd, s, n) == (ssize_t)n ? 0 : -1;
}

static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536], line[4096];
	size_t ll = 0;
	int data = 0;
	if (say(fd, "220 sink ESMTP\r\n"))
		goto out;
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got <= 0)
			goto out;
		for (ssize_t i = 0; i < got; i++) {
			char ch = buf[i];
			if (ll < sizeof(line) - 1)
				line[ll++] = ch;
			if (ch != '\n')
				continue;
			line[ll] = 0;
			if (data) {
				if (!strcmp(line, ".\r\n") || !strcmp(line, ".\n")) {
					data = 0;
					atomic_fetch_add(&messages, 1);
					if (say(fd, "250 ok\r\n"))
						goto out;
				}
			} else if (!strncasecmp(line, "EHLO", 4)) {
				if (say(fd, "250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n"))
					goto out;
			} else if (!strncasecmp(line, "HELO", 4) || !strncasecmp(line, "MAIL", 4) ||
				   !strncasecmp(line, "RCPT", 4) || !strncasecmp(line, "RSET", 4) ||
				   !strncasecmp(line, "NOOP", 4)) {
				if (say(fd, "250 ok\r\n"))
					goto out;
			} else if (!strncasecmp(line, "DATA", 4)) {
				data = 1;
				if (say(fd, "354 go on\r\n"))
					goto out;
			} else if (!strncasecmp(line, "QUIT", 4)) {
				say(fd, "221 bye\r\n");
				goto out;
			} else if (say(fd, "502 no\r\n")) {
				goto out;
			}
			ll = 0;
		}
	}
out:
	close(fd);
	return NULL;
}

static void done(int sig)
{
	(void)sig;
	char out[64];
	int n = snprintf(out, sizeof(out), "messages %ld\n", atomic_load(&messages));
	if (write(1, out, (size_t)n) < 0)
		_exit(1);
	_exit(0);
}

int main(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 128) ||
	    getsockname(s, (struct sockaddr *)&a, &alen)) {
		perror("smtp_sink");
		return 1;
	}
	signal(SIGTERM, done);
	signal(SIGINT, done);
	signal(SIGPIPE, SIG_IGN);
	printf("listening %d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		pthread_t t;
		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, serve, (void *)(intptr_t)c)) {
			close(c);
			continue;
		}
		pthread_detach(t);
	}
}
