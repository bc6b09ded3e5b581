/*
 * mail_send.h - one message handed to the SMTP relay of tenantd.conf,
 * with libcurl, and what the relay's answer means for a retry.
 *
 * The relay is smtp_url: "smtp://host:port" (plain, or with STARTTLS
 * required when smtp_starttls = yes: the session fails rather than go on
 * in the clear) or "smtps://host:port" (TLS from the first byte).  The
 * relay's certificate is always verified, against smtp_ca_file when set
 * (a private CA) or the system's CAs.  With smtp_user set, tenantd logs in
 * (AUTH, whichever mechanism libcurl and the relay agree on) with the
 * first line of smtp_password_file, read for every message so the file
 * can change without a reload and the password never sits in
 * tenantd.conf.  A message may take smtp_timeout seconds in all (the
 * connection itself at most a third of it, and at most 30 s).
 *
 * The outcome: MAIL_SENT when the relay took the message (250 after the
 * body); MAIL_PERMANENT on a 5xx reply (the relay refuses it: trying
 * again cannot help); MAIL_TEMPORARY for everything else (no connection,
 * a timeout, TLS or AUTH trouble, a 4xx reply) as long as the body did
 * not start to go out; MAIL_UNKNOWN when it did and the relay's verdict
 * never came (the connection broke or timed out after DATA): the message
 * may or may not have been delivered.  The relay's last reply line, or
 * libcurl's message when there was none, is left in `err`.
 *
 * libcurl must be set up once per process, before any thread or runner
 * starts: mail_send_global_init() at start-up (tenantd's master,
 * tenantctl), never per message.
 */
#ifndef TENANTD_MAIL_SEND_H
#define TENANTD_MAIL_SEND_H

#include <stddef.h>

struct conf;

enum mail_send_outcome {
	MAIL_SENT,
	MAIL_TEMPORARY,
	MAIL_PERMANENT,
	MAIL_UNKNOWN
};

/*
 * Called once, the moment the message body starts to go out: the relay
 * has answered DATA with 354 and nothing of the message was sent yet.
 * Returns 0 to go on, non-zero to abort before any byte of the body
 * leaves (the outcome is then MAIL_TEMPORARY).
 */
typedef int (*mail_data_fn)(void *arg);

/* Called now and then while the transfer runs, to show life. */
typedef void (*mail_alive_fn)(void *arg);

struct mail_send_request {
	const char	*from;		/* envelope sender address */
	const char	*to;		/* envelope recipient address */
	const char	*message;	/* the whole message, CRLF lines */
	size_t		 message_len;
	mail_data_fn	 on_data;	/* may be NULL */
	mail_alive_fn	 on_alive;	/* may be NULL */
	void		*arg;		/* for both */
};

/* Sets libcurl up for this process.  Returns 0 or -1. */
int	mail_send_global_init(void);

/* Releases what mail_send_global_init() set up. */
void	mail_send_global_cleanup(void);

/*
 * Sends `r` through the relay `c` names (see above).  *data_started is
 * set to 1 once on_data was called and let the body go.  Returns the
 * outcome, with the relay's reply or the reason in `err`.
 */
enum mail_send_outcome mail_send(const struct conf *c,
	    const struct mail_send_request *r, int *data_started, char *err,
	    size_t errlen);

/*
 * The outcome of a transfer that ended with libcurl code `curl_code`
 * (CURLE_OK is 0) after the relay's last reply `response_code` (0 when
 * it never answered), `data_started` non-zero when the body had started
 * to go out: the rule above, as a function of its own for the tests.
 */
enum mail_send_outcome mail_send_classify(int curl_code, long response_code,
	    int data_started);

#endif
