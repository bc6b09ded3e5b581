/*
 * mail_template.c - libFuzzer target: an e-mail template of etc/mail/ and
 * the message built from it (lib/mail_message.c).
 *
 * The input is the text part (with its Subject line) up to the first NUL
 * byte, the HTML part after it.  A template must be refused with a
 * message, or give, with a tenant name full of what a header must not
 * carry, a message whose every line ends in CRLF and is at most 998
 * bytes, without a NUL or a bare CR or LF, whose header block holds
 * exactly one each of From, To and Subject and no line starting with
 * "Bcc", and whose first blank line ends the headers.  Anything else
 * aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "mail_message.h"

#define TENANT_NAME	"Bcc: x@example.com \"q\" <a@b.c> =?utf-8?q?x?= " \
			"\xe2\x80\xa8 \xc3\xbc"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Counts header lines of the block `headers` (len bytes) starting with `name`. */
static int
header_lines(const char *headers, size_t len, const char *name)
{
	size_t i = 0, name_len = strlen(name);
	int count = 0;

	while (i < len) {
		if (len - i >= name_len && memcmp(headers + i, name,
		    name_len) == 0)
			count++;
		while (i < len && headers[i] != '\n')
			i++;
		i++;
	}
	return count;
}

/* Aborts unless `m` keeps the rules the file comment lists. */
static void
check_message(const struct buf *m)
{
	const char *end;
	size_t i, column = 0, headers_len;

	for (i = 0; i < m->len; i++) {
		if (m->data[i] == '\0' || m->data[i] == '\n')
			abort();
		if (m->data[i] == '\r') {
			if (i + 1 >= m->len || m->data[i + 1] != '\n')
				abort();
			i++;
			column = 0;
			continue;
		}
		if (++column > 998)
			abort();
	}
	if ((end = strstr(m->data, "\r\n\r\n")) == NULL)
		abort();
	headers_len = (size_t)(end - m->data) + 2;
	if (header_lines(m->data, headers_len, "From:") != 1 ||
	    header_lines(m->data, headers_len, "To:") != 1 ||
	    header_lines(m->data, headers_len, "Subject:") != 1 ||
	    header_lines(m->data, headers_len, "Bcc") != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	struct mail_template t;
	struct mail_values v;
	struct mail_headers h;
	struct buf message;
	const char *text = (const char *)data, *html = "", *nul;
	size_t text_len = size, html_len = 0;
	char err[256];

	if (size == 0)
		return 0;
	if (!initialised) {
		if (sodium_init() < 0)
			abort();
		initialised = 1;
	}
	if ((nul = memchr(data, '\0', size)) != NULL) {
		text_len = (size_t)(nul - text);
		html = nul + 1;
		html_len = size - text_len - 1;
	}
	mail_template_init(&t);
	buf_init(&message, MAIL_MESSAGE_MAX);
	if (mail_template_parse(&t, text, text_len, html, html_len, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		goto out;
	}
	v.name = TENANT_NAME;
	v.subdomain = "fuzz-co";
	v.url = "https://fuzz-co.example.com/";
	h.from = "Fuzz <noreply@example.com>";
	h.to = "o'neil+tag@example.com";
	h.to_name = TENANT_NAME;
	h.notification_id = 7;
	h.date = 0;
	err[0] = '\0';
	if (mail_message_build(&t, &v, &h, &message, err, sizeof(err)) == 0)
		check_message(&message);
	else if (err[0] == '\0')
		abort();
out:
	buf_release(&message);
	mail_template_release(&t);
	return 0;
}
