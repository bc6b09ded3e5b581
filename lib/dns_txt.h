/*
 * dns_txt.h - does a DNS TXT record hold a token?  The look-up behind the
 * verification of a custom domain (SPEC 11), through the C library's
 * resolver (libresolv), asking the system's name servers or one given
 * server.
 *
 * Answers are hostile: their size, the records read and the text quoted
 * back are bounded, and bytes that are not printable ASCII are quoted as
 * \xHH.
 */
#ifndef TENANTD_DNS_TXT_H
#define TENANTD_DNS_TXT_H

#include <stddef.h>

/* Room for dns_txt_check()'s message. */
#define DNS_TXT_MESSAGE_MAX	512

/*
 * Checks tenantd.conf's dns_server: "a.b.c.d" or "[v6 address]", each
 * with an optional ":port".  Returns NULL when valid, else a static
 * message.
 */
const char *dns_server_check(const char *server);

/*
 * Looks up the TXT records of `name` and compares each (its strings
 * joined) with `token`.  `server` is NULL for the system resolver
 * (resolv.conf), or "a.b.c.d", "[v6 address]", each with an optional
 * ":port" (tenantd.conf's dns_server); `timeout_s` bounds the whole look-up (one try of that
 * many seconds).  Only records owned by `name` itself count: a CNAME
 * there is reported, not followed.
 *
 * Returns 1 when a record equals the token; 0 when none does, with `msg`
 * saying what was found ("no TXT record at ...", "2 TXT records, none is
 * the token: ...", "timed out after 3 s", "NXDOMAIN: ... does not exist",
 * "CNAME to ..."); -1 when the look-up cannot be made (a bad `server`,
 * which tenantd.conf's check refuses before, the resolver not set up),
 * `msg` saying why.  `msg` has `msglen` bytes.
 */
int	dns_txt_check(const char *server, int timeout_s, const char *name,
	    const char *token, char *msg, size_t msglen);

/*
 * The part of dns_txt_check() that reads what the server sent: the
 * `len` bytes of `answer` (at most 8 KiB are accepted) to the TXT
 * query for `name`.  Returns 1 when a record owned by `name` equals
 * `token`, else 0 with `msg` saying what was found or that the answer is
 * malformed.  Apart so the fuzz target can feed it hostile answers.
 */
int	dns_txt_answer_check(const unsigned char *answer, int len,
	    const char *name, const char *token, char *msg, size_t msglen);

#endif
