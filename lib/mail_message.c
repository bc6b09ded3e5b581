/*
 * mail_message.c - e-mail templates of etc/mail/ and the RFC 5322/MIME
 * message built from one (see mail_message.h): placeholders, HTML
 * escaping, RFC 2047 encoded words, quoted-printable, and the checks that
 * keep any value from reaching a header as anything but text.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "error.h"
#include "mail_message.h"
#include "validate.h"

/* RFC 5322's limit on a line, without its CRLF. */
#define MAIL_LINE_MAX		998

/*
 * Bytes of UTF-8 per RFC 2047 encoded word: 39 bytes are 52 base64
 * characters, 64 with "=?UTF-8?B?" and "?=", so that even the first word,
 * after "Subject: ", keeps its line within the 76 characters RFC 2047
 * asks of lines holding encoded words.
 */
#define ENCODED_WORD_BYTES	39

/* Quoted-printable lines are at most 76 characters with the soft break. */
#define QP_LINE_MAX		75

/* The longest subject once filled in, and the longest display name. */
#define SUBJECT_MAX		2048
#define DISPLAY_NAME_MAX	1024

#define SUBJECT_PREFIX		"Subject:"

/* The placeholders a template may hold. */
static const char *const placeholder_names[] = { "name", "subdomain", "url" };

#define PLACEHOLDER_COUNT \
	(sizeof(placeholder_names) / sizeof(placeholder_names[0]))

static const char *const weekday_names[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};

static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

/* Prepares `t`: no strings. */
void
mail_template_init(struct mail_template *t)
{
	memset(t, 0, sizeof(*t));
}

/* Frees the strings of `t` and initialises it again. */
void
mail_template_release(struct mail_template *t)
{
	free(t->subject);
	free(t->text);
	free(t->html);
	mail_template_init(t);
}

/*
 * The index in placeholder_names of the `len` bytes at `s`, or -1 when
 * they name no placeholder.
 */
static int
placeholder_index(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < PLACEHOLDER_COUNT; i++)
		if (strlen(placeholder_names[i]) == len &&
		    memcmp(placeholder_names[i], s, len) == 0)
			return (int)i;
	return -1;
}

/*
 * Checks that the `len` bytes at `s` (part `what` of a template) are
 * UTF-8 whose every "{{" opens a known placeholder closed by "}}".
 * Returns 0, or -1 with the reason in `err`.
 */
static int
template_part_check(const char *what, const char *s, size_t len, char *err,
    size_t errlen)
{
	const char *open, *close, *end = s + len;

	if (utf8_length(s, len) < 0) {
		error_set(err, errlen, "%s: not UTF-8 text", what);
		return -1;
	}
	while ((open = memmem(s, (size_t)(end - s), "{{", 2)) != NULL) {
		close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
		if (close == NULL) {
			error_set(err, errlen, "%s: \"{{\" without \"}}\"",
			    what);
			return -1;
		}
		if (placeholder_index(open + 2, (size_t)(close - open - 2)) ==
		    -1) {
			error_set(err, errlen, "%s: unknown placeholder "
			    "\"{{%.*s}}\"", what, (int)(close - open - 2 > 32 ?
			    32 : close - open - 2), open + 2);
			return -1;
		}
		s = close + 2;
	}
	return 0;
}

/*
 * Parses a template from its two files' text (see mail_message.h): the
 * .txt starts with "Subject: ..." and a blank line.  Returns 0 or -1.
 */
int
mail_template_parse(struct mail_template *t, const char *text,
    size_t textlen, const char *html, size_t htmllen, char *err,
    size_t errlen)
{
	const char *line_end, *subject, *body;
	size_t subject_len;
	int rc = -1;

	mail_template_release(t);
	if (textlen < sizeof(SUBJECT_PREFIX) - 1 ||
	    strncmp(text, SUBJECT_PREFIX, sizeof(SUBJECT_PREFIX) - 1) != 0) {
		error_set(err, errlen, "the text part must start with a "
		    "\"Subject:\" line");
		goto out;
	}
	if ((line_end = memchr(text, '\n', textlen)) == NULL) {
		error_set(err, errlen, "the text part has no body after its "
		    "Subject line");
		goto out;
	}
	subject = text + sizeof(SUBJECT_PREFIX) - 1;
	subject += strspn(subject, " \t");
	subject_len = (size_t)(line_end - subject);
	if (subject_len > 0 && subject[subject_len - 1] == '\r')
		subject_len--;
	if (subject > line_end || subject_len == 0) {
		error_set(err, errlen, "the Subject line is empty");
		goto out;
	}
	body = line_end + 1;
	if (body < text + textlen && *body == '\r')
		body++;
	if (body >= text + textlen || *body != '\n') {
		error_set(err, errlen, "the Subject line must be followed by "
		    "a blank line");
		goto out;
	}
	body++;
	if (template_part_check("the subject", subject, subject_len, err,
	    errlen) == -1 || template_part_check("the text part", body,
	    (size_t)(text + textlen - body), err, errlen) == -1 ||
	    template_part_check("the HTML part", html, htmllen, err,
	    errlen) == -1)
		goto out;
	if ((t->subject = strndup(subject, subject_len)) == NULL ||
	    (t->text = strndup(body, (size_t)(text + textlen - body))) ==
	    NULL || (t->html = strndup(html, htmllen)) == NULL) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		mail_template_release(t);
	return rc;
}

/*
 * Reads file `stem``extension` of directory `dir` into `out` (at most
 * MAIL_TEMPLATE_MAX bytes).  Returns 0, or -1 with the reason in `err`.
 */
static int
template_file_read(const char *dir, const char *stem, const char *extension,
    struct buf *out, char *err, size_t errlen)
{
	char path[4096];
	int fd = -1, n, rc = -1;

	n = snprintf(path, sizeof(path), "%s/%s%s", dir, stem, extension);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		error_set(err, errlen, "mail_templates_dir: path too long");
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    buf_read_fd(out, fd) == -1) {
		error_set(err, errlen, "mail template %s%s: %s", stem,
		    extension, errno == ENOBUFS ? "larger than 64 KiB" :
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * Loads template `stem` of `dir` (mail_message.h).  Called by the mail
 * job for every message, so an edited template needs no reload.  Returns
 * 0 or -1.
 */
int
mail_template_load(struct mail_template *t, const char *dir,
    const char *stem, char *err, size_t errlen)
{
	struct buf text, html;
	int rc = -1;

	buf_init(&text, MAIL_TEMPLATE_MAX);
	buf_init(&html, MAIL_TEMPLATE_MAX);
	if (stem[0] == '\0' || strspn(stem, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789-") != strlen(stem)) {
		error_set(err, errlen, "invalid mail template name");
		goto out;
	}
	if (template_file_read(dir, stem, ".txt", &text, err, errlen) == -1 ||
	    template_file_read(dir, stem, ".html", &html, err, errlen) == -1)
		goto out;
	if (mail_template_parse(t, text.data, text.len, html.data, html.len,
	    err, errlen) == -1)
		goto out;
	rc = 0;
out:
	buf_release(&text);
	buf_release(&html);
	return rc;
}

/*
 * Is `s` valid UTF-8 free of C0 control characters (CR, LF, NUL and tab
 * among them) and DEL, so that it may stand in a header once encoded?
 * Anything else, U+2028 or NEL included, is harmless inside an encoded
 * word.  1 or 0.
 */
static int
header_text_ok(const char *s)
{
	size_t len = strlen(s), i = 0, n;
	unsigned char c;

	while (i < len) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
		if ((n = utf8_char_length(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Appends `value` HTML-escaped.  0 or -1. */
static int
append_html_escaped(struct buf *out, const char *value)
{
	const char *p;
	int rc = 0;

	for (p = value; *p != '\0' && rc == 0; p++)
		switch (*p) {
		case '&':
			rc = buf_append_str(out, "&amp;");
			break;
		case '<':
			rc = buf_append_str(out, "&lt;");
			break;
		case '>':
			rc = buf_append_str(out, "&gt;");
			break;
		case '"':
			rc = buf_append_str(out, "&quot;");
			break;
		case '\'':
			rc = buf_append_str(out, "&#39;");
			break;
		default:
			rc = buf_append_char(out, *p);
			break;
		}
	return rc;
}

/*
 * Fills the placeholders of template part `part` with `values` (each
 * HTML-escaped when `html`) into `out`.  The part was checked at load, so
 * every "{{" opens a known placeholder.  Returns 0 or -1.
 */
static int
render(const char *part, const struct mail_values *values, int html,
    struct buf *out)
{
	const char *open, *close, *value;
	int index;

	buf_reset(out);
	while ((open = strstr(part, "{{")) != NULL) {
		if ((close = strstr(open + 2, "}}")) == NULL ||
		    (index = placeholder_index(open + 2,
		    (size_t)(close - open - 2))) == -1)
			return -1;
		value = index == 0 ? values->name : index == 1 ?
		    values->subdomain : values->url;
		if (buf_append(out, part, (size_t)(open - part)) == -1 ||
		    (html ? append_html_escaped(out, value) :
		    buf_append_str(out, value)) == -1)
			return -1;
		part = close + 2;
	}
	return buf_append_str(out, part);
}

/*
 * Appends header `name` whose value is `text` as RFC 2047 encoded words
 * (base64 of UTF-8, cut on character boundaries), folded one word a line,
 * followed by `tail` (an address in angle brackets, say) and CRLF.
 * Returns 0 or -1.
 */
static int
append_encoded_header(struct buf *out, const char *name, const char *text,
    const char *tail)
{
	char encoded[sodium_base64_ENCODED_LEN(ENCODED_WORD_BYTES,
	    sodium_base64_VARIANT_ORIGINAL)];
	size_t len = strlen(text), start = 0, end, n;

	if (buf_printf(out, "%s:", name) == -1)
		return -1;
	while (start < len) {
		end = start;
		while (end < len && (n = utf8_char_length(text + end,
		    len - end)) > 0 && end + n - start <= ENCODED_WORD_BYTES)
			end += n;
		if (end == start)
			return -1;
		sodium_bin2base64(encoded, sizeof(encoded),
		    (const unsigned char *)text + start, end - start,
		    sodium_base64_VARIANT_ORIGINAL);
		if (buf_printf(out, "%s=?UTF-8?B?%s?=", start > 0 ? "\r\n " :
		    " ", encoded) == -1)
			return -1;
		start = end;
	}
	if (tail != NULL && buf_printf(out, "%s%s", len > 0 ? "\r\n " : " ",
	    tail) == -1)
		return -1;
	return buf_append_str(out, "\r\n");
}

/*
 * Appends the `len` bytes at `text` quoted-printable (RFC 2045 6.7):
 * lines end in CRLF, none is longer than 76 characters, '=' and bytes
 * outside printable ASCII are encoded, as are a space or tab that ends a
 * line and a '.' that starts one (so no line is ever a lone dot).
 * Returns 0 or -1.
 */
static int
append_quoted_printable(struct buf *out, const char *text, size_t len)
{
	char token[4];
	size_t i, column = 0, token_len;
	unsigned char c;
	int at_line_end;

	for (i = 0; i < len; i++) {
		c = (unsigned char)text[i];
		if (c == '\n' || (c == '\r' && i + 1 < len &&
		    text[i + 1] == '\n')) {
			if (c == '\r')
				i++;
			if (buf_append_str(out, "\r\n") == -1)
				return -1;
			column = 0;
			continue;
		}
		at_line_end = i + 1 == len || text[i + 1] == '\n' ||
		    text[i + 1] == '\r';
		if ((c >= 33 && c <= 126 && c != '=' &&
		    !(c == '.' && column == 0)) ||
		    ((c == ' ' || c == '\t') && !at_line_end)) {
			token[0] = (char)c;
			token_len = 1;
		} else {
			snprintf(token, sizeof(token), "=%02X", c);
			token_len = 3;
		}
		if (column + token_len > QP_LINE_MAX) {
			if (buf_append_str(out, "=\r\n") == -1)
				return -1;
			column = 0;
			if (token[0] == '.') {
				snprintf(token, sizeof(token), "=2E");
				token_len = 3;
			}
		}
		if (buf_append(out, token, token_len) == -1)
			return -1;
		column += token_len;
	}
	return column > 0 ? buf_append_str(out, "\r\n") : 0;
}

/*
 * Splits `mailbox` into address and display name (mail_message.h).
 * Called for mail_from on every message.  Returns 0 or -1.
 */
int
mail_mailbox_parse(const char *mailbox, char *address, size_t addresslen,
    char *name, size_t namelen, char *err, size_t errlen)
{
	const char *open, *close, *addr = mailbox;
	size_t addr_len = strlen(mailbox), name_len = 0;

	if ((open = strrchr(mailbox, '<')) != NULL) {
		close = strchr(open, '>');
		if (close == NULL || close[1] != '\0') {
			error_set(err, errlen, "mail_from: an address in "
			    "angle brackets must end the value");
			return -1;
		}
		addr = open + 1;
		addr_len = (size_t)(close - addr);
		name_len = (size_t)(open - mailbox);
		while (name_len > 0 && (mailbox[name_len - 1] == ' ' ||
		    mailbox[name_len - 1] == '\t'))
			name_len--;
	}
	if (addr_len == 0 || validate_email(addr, addr_len) != NULL ||
	    addr_len >= addresslen) {
		error_set(err, errlen, "mail_from: not a valid address");
		return -1;
	}
	if (name_len >= namelen) {
		error_set(err, errlen, "mail_from: display name too long");
		return -1;
	}
	memcpy(address, addr, addr_len);
	address[addr_len] = '\0';
	memcpy(name, mailbox, name_len);
	name[name_len] = '\0';
	if (!header_text_ok(name)) {
		error_set(err, errlen, "mail_from: a control character or "
		    "invalid UTF-8 in the display name");
		return -1;
	}
	return 0;
}

/*
 * Writes the Message-ID of a notification (mail_message.h): its id at the
 * domain of the sender's address.  Returns 0 or -1.
 */
int
mail_message_id(int64_t notification_id, const char *from_address,
    char *out, size_t outlen)
{
	const char *at = strrchr(from_address, '@');
	int n;

	if (at == NULL || at[1] == '\0')
		return -1;
	n = snprintf(out, outlen, "<tenantd-notification-%" PRId64 "@%s>",
	    notification_id, at + 1);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/*
 * Appends a "Name: value" header of `from` (a display name and address,
 * the name encoded when there is one).  Returns 0 or -1.
 */
static int
append_mailbox_header(struct buf *out, const char *header, const char *name,
    const char *address)
{
	char bracketed[MAIL_ADDRESS_SIZE + 2];

	snprintf(bracketed, sizeof(bracketed), "<%s>", address);
	if (name != NULL && name[0] != '\0')
		return append_encoded_header(out, header, name, bracketed);
	return buf_printf(out, "%s: %s\r\n", header, address);
}

/*
 * Checks the finished message: every line ends in CRLF, none is longer
 * than MAIL_LINE_MAX, and no NUL or bare CR or LF is anywhere in it.
 * Returns 0 or -1.
 */
static int
message_lines_ok(const struct buf *message)
{
	size_t i, column = 0;

	for (i = 0; i < message->len; i++) {
		switch (message->data[i]) {
		case '\0':
			return -1;
		case '\r':
			if (i + 1 >= message->len ||
			    message->data[i + 1] != '\n')
				return -1;
			i++;
			column = 0;
			continue;
		case '\n':
			return -1;
		default:
			if (++column > MAIL_LINE_MAX)
				return -1;
		}
	}
	return 0;
}

/*
 * Appends the Date header of `when` in RFC 5322's form, in UTC, with
 * English names whatever the locale.  Returns 0 or -1.
 */
static int
append_date_header(struct buf *out, time_t when)
{
	struct tm tm;

	if (gmtime_r(&when, &tm) == NULL || tm.tm_wday < 0 ||
	    tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	return buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    weekday_names[tm.tm_wday], tm.tm_mday, month_names[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * Builds the message (mail_message.h).  Called by the mail job once per
 * attempt; every attempt builds the same bytes but for the Date.
 * Returns 0 or -1.
 */
int
mail_message_build(const struct mail_template *t,
    const struct mail_values *values, const struct mail_headers *headers,
    struct buf *out, char *err, size_t errlen)
{
	struct buf subject, part;
	char from_address[MAIL_ADDRESS_SIZE], from_name[DISPLAY_NAME_MAX];
	char message_id[MAIL_MESSAGE_ID_SIZE], boundary[64];
	const char *to_name = headers->to_name != NULL ? headers->to_name : "";
	int rc = -1;

	buf_init(&subject, SUBJECT_MAX);
	buf_init(&part, MAIL_MESSAGE_MAX);
	buf_reset(out);
	if (!header_text_ok(values->name) ||
	    !header_text_ok(values->subdomain) ||
	    !header_text_ok(values->url) || !header_text_ok(to_name)) {
		error_set(err, errlen, "a value holds a control character or "
		    "invalid UTF-8");
		goto out;
	}
	if (headers->to == NULL || headers->to[0] == '\0' ||
	    validate_email(headers->to, strlen(headers->to)) != NULL) {
		error_set(err, errlen, "the recipient is not a valid address");
		goto out;
	}
	if (strlen(to_name) >= DISPLAY_NAME_MAX) {
		error_set(err, errlen, "the recipient's name is too long");
		goto out;
	}
	if (mail_mailbox_parse(headers->from, from_address,
	    sizeof(from_address), from_name, sizeof(from_name), err,
	    errlen) == -1)
		goto out;
	if (mail_message_id(headers->notification_id, from_address,
	    message_id, sizeof(message_id)) == -1) {
		error_set(err, errlen, "the Message-ID does not fit");
		goto out;
	}
	snprintf(boundary, sizeof(boundary), "=_tenantd_%" PRId64 "_alt",
	    headers->notification_id);
	if (render(t->subject, values, 0, &subject) == -1) {
		error_set(err, errlen, "the subject is longer than %d bytes",
		    SUBJECT_MAX);
		goto out;
	}
	if (append_mailbox_header(out, "From", from_name, from_address) ==
	    -1 || append_mailbox_header(out, "To", to_name, headers->to) == -1 ||
	    append_encoded_header(out, "Subject", subject.data, NULL) == -1 ||
	    append_date_header(out, headers->date) == -1 ||
	    buf_printf(out, "Message-ID: %s\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
	    "\r\n"
	    "This is a message in MIME format.\r\n"
	    "\r\n"
	    "--%s\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n", message_id, boundary, boundary) == -1 ||
	    render(t->text, values, 0, &part) == -1 ||
	    append_quoted_printable(out, part.data, part.len) == -1 ||
	    buf_printf(out, "--%s\r\n"
	    "Content-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n", boundary) == -1 ||
	    render(t->html, values, 1, &part) == -1 ||
	    append_quoted_printable(out, part.data, part.len) == -1 ||
	    buf_printf(out, "--%s--\r\n", boundary) == -1) {
		error_set(err, errlen, "the message is larger than %d bytes",
		    MAIL_MESSAGE_MAX);
		goto out;
	}
	if (message_lines_ok(out) == -1) {
		error_set(err, errlen, "the message breaks the line rules");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		buf_reset(out);
	buf_release(&subject);
	buf_release(&part);
	return rc;
}
