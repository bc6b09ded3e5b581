/*
 * log.c - unit tests for lib/log.c: one line per message, control
 * characters replaced, bytes that are not valid UTF-8 written as \xNN while
 * valid UTF-8 is kept, and long messages cut without breaking a character
 * or an escape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"
#include "validate.h"

/* Where standard error goes while a test logs. */
static FILE	*capture;

/*
 * Logs `message` with log_info("%s") and returns what the line holds after
 * "info: ", without its newline, in `out` (of `outlen` bytes).  Returns 0,
 * or -1 if no single line was written.
 */
static int
logged(const char *message, char *out, size_t outlen)
{
	char	line[8192];
	char	*text, *newline;
	size_t	got;
	int	saved;

	if ((saved = dup(STDERR_FILENO)) == -1)
		return -1;
	rewind(capture);
	if (ftruncate(fileno(capture), 0) == -1 ||
	    dup2(fileno(capture), STDERR_FILENO) == -1) {
		close(saved);
		return -1;
	}
	log_info("%s", message);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(capture);
	got = fread(line, 1, sizeof(line) - 1, capture);
	line[got] = '\0';
	if ((text = strstr(line, " info: ")) == NULL ||
	    (newline = strchr(text, '\n')) == NULL || newline[1] != '\0')
		return -1;
	text += strlen(" info: ");
	*newline = '\0';
	snprintf(out, outlen, "%s", text);
	return 0;
}

/* Does logging `message` write exactly `expected`? */
static void
logs_as(const char *message, const char *expected, const char *name)
{
	char	out[8192] = "";

	ok(logged(message, out, sizeof(out)) == 0, "%s: one line", name);
	is_string(out, expected, name);
}

/* Invalid UTF-8 is escaped, valid UTF-8 and tabs kept, controls replaced. */
static void
test_escapes(void)
{
	logs_as("GET /caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
	    "GET /caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
	    "valid UTF-8 is kept");
	logs_as("GET /a\xff" "b", "GET /a\\xffb", "a stray byte is escaped");
	logs_as("GET /a\\xffb", "GET /a\\\\xffb",
	    "a backslash is doubled, so a client's \\xNN is not an escape");
	logs_as("\xc0\xaf", "\\xc0\\xaf", "an overlong form is escaped");
	logs_as("\xed\xa0\x80", "\\xed\\xa0\\x80", "a surrogate is escaped");
	logs_as("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80",
	    "past U+10FFFF is escaped");
	logs_as("ok\xe2\x82", "ok\\xe2\\x82", "a truncated character is escaped");
	logs_as("\x80\xc3\xa9\x80", "\\x80\xc3\xa9\\x80",
	    "stray continuation bytes around a valid character");
	logs_as("a\nb\rc\td\x7f", "a?b?c\td?", "controls replaced, tab kept");
}

/* Long messages are cut to one line that ends in "..." and stays UTF-8. */
static void
test_cut(void)
{
	char	*message, out[8192] = "";
	size_t	 i, len;

	if ((message = malloc(6001)) == NULL) {
		ok(0, "memory for a long message");
		return;
	}
	memset(message, 0xff, 6000);
	message[6000] = '\0';
	ok(logged(message, out, sizeof(out)) == 0, "6000 stray bytes: one line");
	len = strlen(out);
	ok(len < 4096, "the line is cut (%zu bytes)", len);
	ok(len >= 7 && strcmp(out + len - 7, "\\xff...") == 0,
	    "it ends with a whole escape and \"...\"");
	for (i = 0; i + 3 < len && memcmp(out + i, "\\xff", 4) == 0; i += 4)
		continue;
	is_int((long long)i, (long long)len - 3, "escapes all the way");

	for (i = 0; i < 3000; i++)
		memcpy(message + 2 * i, "\xc3\xa9", 2);
	message[6000] = '\0';
	ok(logged(message, out, sizeof(out)) == 0, "3000 x U+00E9: one line");
	len = strlen(out);
	ok(len > 3 && strcmp(out + len - 3, "...") == 0, "cut with \"...\"");
	ok(utf8_length(out, len) >= 0, "not inside a character");
	free(message);
}

/* Runs every log test; the exit status says whether all passed. */
int
main(void)
{
	if ((capture = tmpfile()) == NULL) {
		ok(0, "a temporary file for standard error");
		return exit_status();
	}
	test_escapes();
	test_cut();
	fclose(capture);
	done_testing();
	return exit_status();
}
