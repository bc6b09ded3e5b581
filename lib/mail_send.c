/*
 * mail_send.c - one message to the SMTP relay through libcurl (see
 * mail_send.h): the session's options, the body fed from memory with a
 * hook at its first byte, the relay's last reply kept for the record,
 * and the outcome classified for the retry rules.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "conf.h"
#include "error.h"
#include "mail_send.h"

/* The connect timeout: a third of smtp_timeout, at most this. */
#define MAIL_CONNECT_TIMEOUT_MAX_S	30

/* The relay's last reply line kept, in bytes. */
#define MAIL_REPLY_MAX			400

/* What the callbacks of one transfer share. */
struct transfer {
	const struct mail_send_request *r;
	size_t		 sent;		/* bytes of the message handed over */
	int		 data_started;
	char		 reply[MAIL_REPLY_MAX + 1];	/* last line, printable */
};

/* Sets libcurl up once for the process (mail_send.h).  0 or -1. */
int
mail_send_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* Releases libcurl's global state at exit. */
void
mail_send_global_cleanup(void)
{
	curl_global_cleanup();
}

/*
 * libcurl's read callback: hands the message over.  Its first call is
 * the moment the body starts to go out (libcurl asks for the body only
 * after the relay answered DATA with 354), so the request's on_data runs
 * there, and may stop the transfer before any byte of the body leaves.
 */
static size_t
transfer_read(char *dest, size_t size, size_t count, void *arg)
{
	struct transfer *t = arg;
	size_t room = size * count, left;

	if (!t->data_started) {
		if (t->r->on_data != NULL && t->r->on_data(t->r->arg) != 0)
			return CURL_READFUNC_ABORT;
		t->data_started = 1;
	}
	left = t->r->message_len - t->sent;
	if (room > left)
		room = left;
	memcpy(dest, t->r->message + t->sent, room);
	t->sent += room;
	return room;
}

/*
 * libcurl's debug callback, with CURLOPT_VERBOSE on only for this: keeps
 * the relay's last reply line (CURLINFO_HEADER_IN carries the SMTP
 * replies), with any byte that is not printable ASCII made a '?'.  What
 * tenantd sends (CURLINFO_HEADER_OUT, AUTH included) is never looked at.
 */
static int
transfer_debug(CURL *curl, curl_infotype type, char *data, size_t size,
    void *arg)
{
	struct transfer *t = arg;
	size_t i, n = 0;
	unsigned char c;

	(void)curl;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	for (i = 0; i < size && n < MAIL_REPLY_MAX; i++) {
		c = (unsigned char)data[i];
		if (c == '\r' || c == '\n')
			break;
		t->reply[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n > 0)
		t->reply[n] = '\0';
	return 0;
}

/* libcurl's progress callback: passes a sign of life on.  Returns 0. */
static int
transfer_alive(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (t->r->on_alive != NULL)
		t->r->on_alive(t->r->arg);
	return 0;
}

/*
 * The outcome of a transfer (mail_send.h): taken, refused for good (5xx),
 * refused for now (4xx, or no verdict before the body went out), or no
 * verdict after it did (unknown).
 */
enum mail_send_outcome
mail_send_classify(int curl_code, long response_code, int data_started)
{
	if (curl_code == CURLE_OK)
		return MAIL_SENT;
	if (response_code >= 500 && response_code <= 599)
		return MAIL_PERMANENT;
	if (response_code >= 400 && response_code <= 499)
		return MAIL_TEMPORARY;
	return data_started ? MAIL_UNKNOWN : MAIL_TEMPORARY;
}

/*
 * Sets the options of the session for t->r on `curl`: the relay, TLS,
 * AUTH with the password `password`, the envelope (`sender` and
 * `recipients`, in angle brackets), body and timeouts.
 * Returns CURLE_OK or the first option refused.
 */
static CURLcode
transfer_setup(CURL *curl, const struct conf *c, struct transfer *t,
    const char *sender, struct curl_slist *recipients, const char *password,
    char *errorbuffer)
{
	long connect_timeout = c->smtp_timeout / 3;
	CURLcode rc;

	if (connect_timeout < 1)
		connect_timeout = 1;
	if (connect_timeout > MAIL_CONNECT_TIMEOUT_MAX_S)
		connect_timeout = MAIL_CONNECT_TIMEOUT_MAX_S;
	if ((rc = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorbuffer)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_URL, c->smtp_url)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps")) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
	    connect_timeout)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_TIMEOUT,
	    (long)c->smtp_timeout)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_MAIL_FROM, sender)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)t->r->message_len)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_READFUNCTION,
	    transfer_read)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_READDATA, t)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION,
	    transfer_debug)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_DEBUGDATA, t)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION,
	    transfer_alive)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_XFERINFODATA, t)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L)) != CURLE_OK)
		return rc;
	if (c->smtp_starttls && (rc = curl_easy_setopt(curl, CURLOPT_USE_SSL,
	    (long)CURLUSESSL_ALL)) != CURLE_OK)
		return rc;
	if (c->smtp_ca_file != NULL && (rc = curl_easy_setopt(curl,
	    CURLOPT_CAINFO, c->smtp_ca_file)) != CURLE_OK)
		return rc;
	if (c->smtp_user != NULL && ((rc = curl_easy_setopt(curl,
	    CURLOPT_USERNAME, c->smtp_user)) != CURLE_OK ||
	    (rc = curl_easy_setopt(curl, CURLOPT_PASSWORD, password)) !=
	    CURLE_OK))
		return rc;
	return CURLE_OK;
}

/*
 * Sends one message (mail_send.h).  Called by the mail job for every
 * attempt.  Returns the outcome, with the relay's reply or the reason in
 * `err`.
 */
enum mail_send_outcome
mail_send(const struct conf *c, const struct mail_send_request *r,
    int *data_started, char *err, size_t errlen)
{
	struct transfer t;
	struct curl_slist *recipients = NULL;
	char sender[300], recipient[300], errorbuffer[CURL_ERROR_SIZE];
	char password[CONF_SECRET_MAX + 1];
	CURL *curl = NULL;
	CURLcode rc;
	long response = 0;
	enum mail_send_outcome outcome = MAIL_TEMPORARY;

	memset(&t, 0, sizeof(t));
	t.r = r;
	password[0] = '\0';
	errorbuffer[0] = '\0';
	*data_started = 0;
	if (c->smtp_url == NULL) {
		error_set(err, errlen, "smtp_url is not set");
		goto out;
	}
	if (c->smtp_user != NULL && c->smtp_password_file != NULL &&
	    conf_read_secret("smtp_password_file", c->smtp_password_file,
	    password, sizeof(password), err, errlen) == -1)
		goto out;
	snprintf(sender, sizeof(sender), "<%s>", r->from);
	snprintf(recipient, sizeof(recipient), "<%s>", r->to);
	if ((curl = curl_easy_init()) == NULL ||
	    (recipients = curl_slist_append(NULL, recipient)) == NULL) {
		error_set(err, errlen, "could not set up libcurl");
		goto out;
	}
	if ((rc = transfer_setup(curl, c, &t, sender, recipients, password,
	    errorbuffer)) != CURLE_OK) {
		error_set(err, errlen, "libcurl refused an option: %s",
		    curl_easy_strerror(rc));
		goto out;
	}
	rc = curl_easy_perform(curl);
	if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response) !=
	    CURLE_OK)
		response = 0;
	outcome = mail_send_classify(rc, response, t.data_started);
	if (outcome == MAIL_SENT)
		error_set(err, errlen, "%s", t.reply);
	else if (response >= 400 && t.reply[0] != '\0')
		error_set(err, errlen, "%s", t.reply);
	else
		error_set(err, errlen, "%s%s%s", curl_easy_strerror(rc),
		    errorbuffer[0] != '\0' ? ": " : "", errorbuffer);
out:
	*data_started = t.data_started;
	explicit_bzero(password, sizeof(password));
	curl_slist_free_all(recipients);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return outcome;
}
