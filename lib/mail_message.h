/*
 * mail_message.h - an e-mail as RFC 5322 and MIME want it, built from a
 * template of etc/mail/ and values that may come from any tenant field.
 *
 * A template is two files of mail_templates_dir: <stem>.txt, whose first
 * line is "Subject: ..." and whose text after the blank line that follows
 * is the plain-text body, and <stem>.html, the HTML alternative.  Both may
 * hold the placeholders {{name}}, {{url}} and {{subdomain}}; any other
 * "{{...}}" is an error when the template is loaded, so a typo never
 * reaches a customer.
 *
 * The message is multipart/alternative with a text/plain and a text/html
 * part, both UTF-8 in quoted-printable; the HTML part HTML-escapes every
 * value filled in.  Header values from the outside (the subject once
 * filled in, display names) are always written as RFC 2047 encoded words
 * (base64 of UTF-8), so no quote, angle bracket, "=?" or line separator in
 * a tenant's name can change the header's meaning; a value holding a C0
 * control character (CR, LF and NUL among them), DEL or invalid UTF-8 is
 * refused outright, and addresses are checked by validate_email() again.
 * Every line of the message is at most 998 bytes and ends in CRLF.
 *
 * The Message-ID is derived from the notification's id, so every attempt
 * at sending one notification carries the same Message-ID.
 *
 * Ownership: struct mail_template owns its strings; release it with
 * mail_template_release().  Return convention: 0 / -1 with the reason in
 * an `err` buffer.
 */
#ifndef TENANTD_MAIL_MESSAGE_H
#define TENANTD_MAIL_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;

/* Largest template file, and largest message built. */
#define MAIL_TEMPLATE_MAX	(64 * 1024)
#define MAIL_MESSAGE_MAX	(1024 * 1024)

/* Room for an address (validate.h's EMAIL_MAX) and a Message-ID. */
#define MAIL_ADDRESS_SIZE	255
#define MAIL_MESSAGE_ID_SIZE	320

struct mail_template {
	char	*subject;	/* one line of UTF-8 */
	char	*text;		/* the plain-text body */
	char	*html;		/* the HTML body */
};

/* The values a template's placeholders stand for. */
struct mail_values {
	const char	*name;		/* {{name}} */
	const char	*subdomain;	/* {{subdomain}} */
	const char	*url;		/* {{url}} */
};

/* What the headers say. */
struct mail_headers {
	const char	*from;		/* "Name <addr>" or "addr" (mail_from) */
	const char	*to;		/* the recipient's address */
	const char	*to_name;	/* its display name, or NULL */
	int64_t		 notification_id; /* the Message-ID is made from it */
	time_t		 date;
};

void	mail_template_init(struct mail_template *t);
void	mail_template_release(struct mail_template *t);

/*
 * Parses a template from the text of its two files (`text` the .txt with
 * its Subject line, `html` the .html), checking UTF-8 and placeholders.
 * Used by mail_template_load() and directly by the tests and the fuzz
 * target.  Returns 0 with `t` filled, or -1 with the reason in `err`.
 */
int	mail_template_parse(struct mail_template *t, const char *text,
	    size_t textlen, const char *html, size_t htmllen, char *err,
	    size_t errlen);

/*
 * Loads template `stem` (a file name without extension, [a-z0-9-] only)
 * from directory `dir`.  Returns 0, or -1 with the reason in `err`.
 */
int	mail_template_load(struct mail_template *t, const char *dir,
	    const char *stem, char *err, size_t errlen);

/*
 * Splits `mailbox` ("Display Name <local@domain>" or "local@domain") into
 * its address (checked with validate_email()) and display name ("" when
 * none) of at most `namelen` - 1 bytes.  Returns 0, or -1 with the reason
 * in `err`.
 */
int	mail_mailbox_parse(const char *mailbox, char *address,
	    size_t addresslen, char *name, size_t namelen, char *err,
	    size_t errlen);

/*
 * Writes the Message-ID, with its angle brackets, of notification
 * `notification_id` sent from address `from_address` into `out`.
 * Returns 0, or -1 when it does not fit.
 */
int	mail_message_id(int64_t notification_id, const char *from_address,
	    char *out, size_t outlen);

/*
 * Builds the whole message (headers and MIME body) of template `t` with
 * `values` and `headers` into `out` (replacing what it held).  Returns 0,
 * or -1 with the reason in `err`: a value refused (see above), a line too
 * long, or the message past `out`'s limit.
 */
int	mail_message_build(const struct mail_template *t,
	    const struct mail_values *values, const struct mail_headers *headers,
	    struct buf *out, char *err, size_t errlen);

#endif
