/*
 * mail.c - unit tests for lib/mail_message.c and the outcome rule of
 * lib/mail_send.c: template parsing and its refusals, the message's
 * headers (RFC 2047 words, no value reaching a header as anything but
 * text), quoted-printable parts, HTML escaping, line lengths, the
 * Message-ID, mailbox parsing, and sent / temporary / permanent /
 * unknown.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "buf.h"
#include "mail_message.h"
#include "mail_send.h"
#include "tap.h"

#define TEXT_TEMPLATE \
	"Subject: Your site {{name}} is ready\n" \
	"\n" \
	"Hello {{name}}, see {{url}} ({{subdomain}}).\n"
#define HTML_TEMPLATE \
	"<p>{{name}} at <a href=\"{{url}}\">{{url}}</a></p>\n"

/* Parses the two template texts; 0 or -1 with the reason in `err`. */
static int
parse(struct mail_template *t, const char *text, const char *html,
    char *err, size_t errlen)
{
	return mail_template_parse(t, text, strlen(text), html, strlen(html),
	    err, errlen);
}

static void
test_template_parse(void)
{
	struct mail_template t;
	char err[256];

	mail_template_init(&t);
	ok(parse(&t, TEXT_TEMPLATE, HTML_TEMPLATE, err, sizeof(err)) == 0,
	    "template: a valid one parses");
	is_string(t.subject, "Your site {{name}} is ready", "template: subject");
	ok(strncmp(t.text, "Hello", 5) == 0, "template: the text after the "
	    "blank line");
	ok(parse(&t, "Subject: x\n\n{{nmae}}\n", "", err, sizeof(err)) == -1 &&
	    strstr(err, "unknown placeholder") != NULL,
	    "template: an unknown placeholder is refused (%s)", err);
	ok(parse(&t, "Subject: x\n\nok\n", "{{url", err, sizeof(err)) == -1,
	    "template: an unclosed placeholder is refused");
	ok(parse(&t, "Hello\n\nbody\n", "", err, sizeof(err)) == -1,
	    "template: no Subject line is refused");
	ok(parse(&t, "Subject: x\nbody\n", "", err, sizeof(err)) == -1,
	    "template: no blank line after the subject is refused");
	ok(parse(&t, "Subject: \n\nbody\n", "", err, sizeof(err)) == -1,
	    "template: an empty subject is refused");
	ok(parse(&t, "Subject: x\n\n\xff\n", "", err, sizeof(err)) == -1,
	    "template: invalid UTF-8 is refused");
	ok(parse(&t, "Subject: x\r\n\r\nbody\r\n", "", err, sizeof(err)) == 0,
	    "template: CRLF lines are fine");
	mail_template_release(&t);
}

/* Builds a message of the test template with `name`; 0 or -1. */
static int
build(const char *name, const char *to, const char *from, struct buf *out,
    char *err, size_t errlen)
{
	struct mail_template t;
	struct mail_values v;
	struct mail_headers h;
	int rc;

	mail_template_init(&t);
	if (parse(&t, TEXT_TEMPLATE, HTML_TEMPLATE, err, errlen) == -1)
		return -1;
	v.name = name;
	v.subdomain = "acme";
	v.url = "https://acme.example.com/";
	h.from = from;
	h.to = to;
	h.to_name = name;
	h.notification_id = 42;
	h.date = 0;
	rc = mail_message_build(&t, &v, &h, out, err, errlen);
	mail_template_release(&t);
	return rc;
}

/* The longest line of `b` without its CRLF, and whether all end in CRLF. */
static size_t
longest_line(const struct buf *b, int *crlf_only)
{
	size_t i, column = 0, longest = 0;

	*crlf_only = 1;
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && i + 1 < b->len &&
		    b->data[i + 1] == '\n') {
			i++;
			column = 0;
			continue;
		}
		if (b->data[i] == '\r' || b->data[i] == '\n')
			*crlf_only = 0;
		if (++column > longest)
			longest = column;
	}
	return longest;
}

/* Counts lines of the header block of `b` starting with `name`. */
static int
header_count(const struct buf *b, const char *name)
{
	const char *p = b->data, *end = strstr(b->data, "\r\n\r\n");
	size_t len = strlen(name);
	int count = 0;

	while (p != NULL && end != NULL && p < end) {
		if (strncmp(p, name, len) == 0)
			count++;
		if ((p = strstr(p, "\r\n")) != NULL)
			p += 2;
	}
	return count;
}

static void
test_message(void)
{
	struct buf b;
	char err[256], name[1024];
	int crlf_only;
	size_t i;

	buf_init(&b, MAIL_MESSAGE_MAX);
	err[0] = '\0';
	ok(build("Acme", "a@acme.example.com", "HR <hr@example.com>", &b, err,
	    sizeof(err)) == 0, "message: built (%s)", err);
	ok(strstr(b.data, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n") !=
	    NULL, "message: Date in RFC 5322 form");
	ok(strstr(b.data, "Message-ID: <tenantd-notification-42@example.com>"
	    "\r\n") != NULL, "message: Message-ID from the notification id");
	ok(strstr(b.data, "MIME-Version: 1.0\r\n") != NULL, "message: MIME");
	ok(strstr(b.data, "Content-Type: multipart/alternative; boundary=") !=
	    NULL, "message: multipart/alternative");
	ok(strstr(b.data, "Content-Type: text/plain; charset=UTF-8") != NULL &&
	    strstr(b.data, "Content-Type: text/html; charset=UTF-8") != NULL,
	    "message: both parts");
	ok(strstr(b.data, "From: =?UTF-8?B?SFI=?=\r\n <hr@example.com>\r\n") !=
	    NULL, "message: From with its name encoded");
	ok(strstr(b.data, "Subject: =?UTF-8?B?") != NULL,
	    "message: Subject encoded");

	ok(build("Tom & <b>\"Jerry\"</b>", "a@acme.example.com",
	    "hr@example.com", &b, err, sizeof(err)) == 0,
	    "message: a name with markup is built");
	ok(strstr(b.data, "Tom &amp; &lt;b&gt;&quot;Jerry&quot;&lt;/b&gt;") !=
	    NULL, "message: the HTML part escapes the name");
	ok(strstr(b.data, "Hello Tom & <b>\"Jerry\"</b>") != NULL,
	    "message: the text part keeps it as it is");
	ok(strstr(b.data, "From: hr@example.com\r\n") != NULL,
	    "message: a bare From address");

	ok(build("Evil\r\nBcc: x@example.com", "a@acme.example.com",
	    "hr@example.com", &b, err, sizeof(err)) == -1,
	    "message: CR LF in the name is refused");
	ok(build("Nul\tTab", "a@acme.example.com", "hr@example.com", &b, err,
	    sizeof(err)) == -1, "message: a tab (C0) in the name is refused");
	ok(build("Bad \xc3", "a@acme.example.com", "hr@example.com", &b, err,
	    sizeof(err)) == -1, "message: invalid UTF-8 is refused");
	ok(build("Acme", "a@acme.example.com\r\nBcc: x@example.com",
	    "hr@example.com", &b, err, sizeof(err)) == -1,
	    "message: a recipient with CR LF is refused");
	ok(build("Acme", "not an address", "hr@example.com", &b, err,
	    sizeof(err)) == -1, "message: a recipient that is no address");
	ok(build("Acme", "a@acme.example.com", "HR <hr@example.com> x", &b,
	    err, sizeof(err)) == -1, "message: a malformed mail_from");

	ok(build("Line\xe2\x80\xa8Sep =?utf-8?q?x?= <a@b.c>",
	    "a@acme.example.com", "hr@example.com", &b, err, sizeof(err)) == 0,
	    "message: U+2028, encoded words and brackets in a name are built");
	is_int(header_count(&b, "To:"), 1, "message: one To header");
	is_int(header_count(&b, "Bcc:"), 0, "message: no Bcc header");
	ok(strstr(b.data, "=?utf-8?q?x?=") == NULL ||
	    strstr(b.data, "=?utf-8?q?x?=") > strstr(b.data, "\r\n\r\n"),
	    "message: no encoded word of the name in the headers as it is");

	for (i = 0; i < 200; i++)
		memcpy(name + i * 2, "\xc3\xbc", 2);	/* ü */
	name[400] = '\0';
	ok(build(name, "a@acme.example.com", "hr@example.com", &b, err,
	    sizeof(err)) == 0, "message: a 200-character name is built");
	ok(longest_line(&b, &crlf_only) <= 76,
	    "message: no line longer than 76 (%zu)",
	    longest_line(&b, &crlf_only));
	ok(crlf_only, "message: every line ends in CRLF");
	buf_release(&b);
}

static void
test_mailbox(void)
{
	char address[MAIL_ADDRESS_SIZE], name[256], err[256], id[320];

	ok(mail_mailbox_parse("Acme HR <hr@example.com>", address,
	    sizeof(address), name, sizeof(name), err, sizeof(err)) == 0,
	    "mailbox: name and address");
	is_string(address, "hr@example.com", "mailbox: the address");
	is_string(name, "Acme HR", "mailbox: the name");
	ok(mail_mailbox_parse("hr@example.com", address, sizeof(address),
	    name, sizeof(name), err, sizeof(err)) == 0 && name[0] == '\0',
	    "mailbox: an address alone");
	ok(mail_mailbox_parse("HR <hr@example.com", address, sizeof(address),
	    name, sizeof(name), err, sizeof(err)) == -1,
	    "mailbox: an unclosed bracket is refused");
	ok(mail_message_id(7, "hr@example.com", id, sizeof(id)) == 0,
	    "Message-ID built");
	is_string(id, "<tenantd-notification-7@example.com>",
	    "Message-ID: stable, from the id and the sender's domain");
}

static void
test_classify(void)
{
	is_int(mail_send_classify(CURLE_OK, 250, 1), MAIL_SENT, "250: sent");
	is_int(mail_send_classify(CURLE_WEIRD_SERVER_REPLY, 451, 1),
	    MAIL_TEMPORARY, "451 after DATA: temporary");
	is_int(mail_send_classify(CURLE_SEND_ERROR, 450, 0), MAIL_TEMPORARY,
	    "450 at RCPT: temporary");
	is_int(mail_send_classify(CURLE_WEIRD_SERVER_REPLY, 550, 1),
	    MAIL_PERMANENT, "550: permanent");
	is_int(mail_send_classify(CURLE_LOGIN_DENIED, 535, 0), MAIL_PERMANENT,
	    "535 (AUTH): permanent");
	is_int(mail_send_classify(CURLE_COULDNT_CONNECT, 0, 0), MAIL_TEMPORARY,
	    "no connection: temporary");
	is_int(mail_send_classify(CURLE_OPERATION_TIMEDOUT, 220, 0),
	    MAIL_TEMPORARY, "a timeout before DATA: temporary");
	is_int(mail_send_classify(CURLE_OPERATION_TIMEDOUT, 354, 1),
	    MAIL_UNKNOWN, "a timeout after the body started: unknown");
	is_int(mail_send_classify(CURLE_RECV_ERROR, 354, 1), MAIL_UNKNOWN,
	    "a broken connection after the body started: unknown");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_template_parse();
	test_message();
	test_mailbox();
	test_classify();
	done_testing();
	return exit_status();
}
