/* test_config.c: the configuration file's syntax (util/conf.c): key = value lines, comments,
 * quoted values and their escapes, and each syntax error named by file and line; the secret
 * file reader of the vault (serve's smtp-password-file), its mode check and first line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/conf.h"
#include "util/err.h"
#include "util/mem.h"
#include "vault/vault.h"

static void lines_comments_and_quotes(void **state)
{
	(void)state;
	struct sk_conf c;
	struct sk_errctx err = {0};
	const char *text = "# a comment\n"
			   "\n"
			   "listen = 127.0.0.1:9090\n"
			   "  rate-limit=5   # trailing comment\n"
			   "public-url = \"https://consent.example.com/#x \\\"q\\\" \\\\\"  # c\n"
			   "empty =\n"
			   "trusted-proxy = 10.0.0.0/8\r\n"
			   "trusted-proxy = 192.168.0.0/16";
	assert_int_equal(sk_conf_parse("f.conf", text, &c, &err), 0);
	assert_int_equal(c.n, 6);
	assert_string_equal(c.e[0].key, "listen");
	assert_string_equal(c.e[0].value, "127.0.0.1:9090");
	assert_int_equal(c.e[0].line, 3);
	assert_string_equal(c.e[1].key, "rate-limit");
	assert_string_equal(c.e[1].value, "5");
	assert_string_equal(c.e[2].value, "https://consent.example.com/#x \"q\" \\");
	assert_int_equal(c.e[2].line, 5);
	assert_string_equal(c.e[3].value, "");
	assert_string_equal(c.e[4].value, "10.0.0.0/8");
	assert_string_equal(c.e[5].value, "192.168.0.0/16");
	assert_int_equal(c.e[5].line, 8);
	sk_conf_reset(&c);
}

static void expect_error(const char *text, const char *msg)
{
	struct sk_conf c;
	struct sk_errctx err = {0};
	assert_int_equal(sk_conf_parse("/etc/x.conf", text, &c, &err), SK_ERR_USAGE);
	assert_string_equal(err.msg, msg);
	assert_int_equal(c.n, 0);
	assert_null(c.e);
}

static void syntax_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("a = 1\nlisten 127.0.0.1:80\n", "/etc/x.conf:2: no \"=\" (a line is key = value)");
	expect_error("# c\n\n  = 3\n", "/etc/x.conf:3: no key before \"=\"");
	expect_error("a b = 3\n", "/etc/x.conf:1: a key is letters, digits and \"-\" only");
	expect_error("x = 1\ny = \"open\n", "/etc/x.conf:2: unclosed quote");
	expect_error("y = \"ends with \\\"\n", "/etc/x.conf:1: unclosed quote");
	expect_error("y = \"a\\nb\"\n", "/etc/x.conf:1: unknown escape (only \\\" and \\\\)");
	expect_error("y = \"a\" b\n", "/etc/x.conf:1: text after the closing quote");
}

static void read_refuses_missing_and_binary(void **state)
{
	(void)state;
	struct sk_conf c;
	struct sk_errctx err = {0};
	char path[] = "/tmp/sk_conf_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a = 1\n\0b = 2\n", 13), 13);
	close(fd);
	assert_int_equal(sk_conf_read(path, &c, &err), SK_ERR_USAGE);
	assert_non_null(strstr(err.msg, "not a text file"));
	FILE *f = fopen(path, "w");
	fputs("threads = 4\n", f);
	fclose(f);
	assert_int_equal(sk_conf_read(path, &c, &err), 0);
	assert_int_equal(c.n, 1);
	sk_conf_reset(&c);
	unlink(path);
	assert_int_equal(sk_conf_read(path, &c, &err), SK_ERR_USAGE);
	assert_non_null(strstr(err.msg, "cannot read the configuration file"));
}

static void parse_survives_allocation_failure(void **state)
{
	(void)state;
	for (long n = 0; n < 12; n++) {
		struct sk_conf c;
		struct sk_errctx err = {0};
		sk_mem_fail_after(n);
		int rc = sk_conf_parse("f", "a = 1\nb = 2\nc = \"3\"\n", &c, &err);
		sk_mem_fail_after(-1);
		assert_true(rc == 0 || rc == SK_ERR_NOMEM);
		if (rc == 0)
			assert_int_equal(c.n, 3);
		sk_conf_reset(&c);
	}
}

static void secret_file_first_line_and_mode(void **state)
{
	(void)state;
	char path[] = "/tmp/sk_secret_XXXXXX", out[16];
	struct sk_errctx err = {0};
	int fd = mkstemp(path); /* mode 600 */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret pass\nsecond line\n", 24), 24);
	close(fd);
	assert_int_equal(sk_vault_secret_read(path, "smtp-password-file", out, sizeof(out), &err), 0);
	assert_string_equal(out, "s3cret pass");
	/* readable by the group: refused, as the key file is, the secret not in the message */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(sk_vault_secret_read(path, "smtp-password-file", out, sizeof(out), &err),
			 SK_ERR_USAGE);
	assert_non_null(strstr(err.msg, "must be readable by its owner only"));
	assert_null(strstr(err.msg, "s3cret"));
	assert_string_equal(out, "");
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(sk_vault_secret_read(path, "smtp-password-file", out, sizeof(out), &err),
			 SK_ERR_USAGE);
	assert_int_equal(chmod(path, 0600), 0);
	/* a first line longer than out holds, an empty first line */
	FILE *f = fopen(path, "w");
	fputs("0123456789abcdefXYZ\n", f);
	fclose(f);
	assert_int_equal(sk_vault_secret_read(path, "smtp-password-file", out, sizeof(out), &err),
			 SK_ERR_USAGE);
	assert_non_null(strstr(err.msg, "longer than"));
	f = fopen(path, "w");
	fputs("\nnext\n", f);
	fclose(f);
	assert_int_equal(sk_vault_secret_read(path, "smtp-password-file", out, sizeof(out), &err),
			 SK_ERR_USAGE);
	assert_non_null(strstr(err.msg, "empty"));
	unlink(path);
	assert_int_equal(sk_vault_secret_read(path, "smtp-password-file", out, sizeof(out), &err),
			 SK_ERR_USAGE);
	assert_non_null(strstr(err.msg, "cannot open smtp-password-file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_comments_and_quotes),
		cmocka_unit_test(syntax_errors_name_file_and_line),
		cmocka_unit_test(read_refuses_missing_and_binary),
		cmocka_unit_test(parse_survives_allocation_failure),
		cmocka_unit_test(secret_file_first_line_and_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
