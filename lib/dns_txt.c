/*
 * dns_txt.c - the TXT look-up of a custom domain's verification (see
 * dns_txt.h).
 *
 * Each look-up has a resolver state of its own (res_ninit() on a local
 * struct __res_state), so tenantd.conf's dns_server and dns_timeout apply
 * to this look-up alone and nothing is shared between workers' calls.
 * The query goes through res_nquery(), the answer is walked with
 * ns_initparse()/ns_parserr(), which check every length against the
 * message; what this file adds is the bound on what it keeps and quotes.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "dns_txt.h"
#include "validate.h"

/* Bytes of an answer read; a longer one is refused, not cut. */
#define ANSWER_MAX	8192
/* Bytes of one record's text compared; a longer record is no token. */
#define TXT_MAX		1024
/* Records quoted in a message, and bytes of each. */
#define QUOTED_RECORDS	4
#define QUOTED_BYTES	64
/* The message under construction, before it is cut to the caller's. */
#define TEXT_MAX	2048

/* What the answer section holds for the name asked. */
struct txt_found {
	int	 matched;		/* a record equals the token */
	size_t	 records;		/* TXT records of the name */
	char	 cname[NS_MAXDNAME];	/* the CNAME target, or "" */
	struct buf quoted;		/* the first records, quoted */
};

/*
 * Reads "a.b.c.d[:port]", "[v6]" or "[v6]:port" into `out` (the port 53
 * when none is given).  Returns 0, or -1 when `server` is none of these.
 */
static int
server_parse(const char *server, struct sockaddr_storage *out)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)(void *)out;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)(void *)out;
	char			 host[INET6_ADDRSTRLEN];
	const char		*end, *port_text = NULL, *errstr;
	int64_t			 port = NS_DEFAULTPORT;
	size_t			 hostlen;
	int			 v6 = server[0] == '[';

	memset(out, 0, sizeof(*out));
	if (v6) {
		if ((end = strchr(server, ']')) == NULL)
			return -1;
		hostlen = (size_t)(end - server - 1);
		server++;
		if (end[1] == ':')
			port_text = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else {
		end = strchr(server, ':');
		hostlen = end != NULL ? (size_t)(end - server) : strlen(server);
		if (end != NULL)
			port_text = end + 1;
	}
	if (hostlen >= sizeof(host))
		return -1;
	memcpy(host, server, hostlen);
	host[hostlen] = '\0';
	if (port_text != NULL &&
	    parse_int64(port_text, 1, 65535, &port, &errstr) == -1)
		return -1;
	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1 ? 0 : -1;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

/*
 * Checks tenantd.conf's dns_server (dns_txt.h).  Called by conf.c.
 * Returns NULL or a message.
 */
const char *
dns_server_check(const char *server)
{
	struct sockaddr_storage	ss;

	return server_parse(server, &ss) == 0 ? NULL : "must be an IPv4 "
	    "address or an IPv6 address in brackets, with an optional :port";
}

/*
 * Forgets the IPv6 servers res_ninit() read from resolv.conf: glibc keeps
 * them in memory it allocated (_u._ext.nsaddrs) and frees only those
 * below nscount when the state is closed.
 */
static void
forget_ipv6_servers(struct __res_state *rs)
{
	int	i;

	for (i = 0; i < MAXNS; i++) {
		free(rs->_u._ext.nsaddrs[i]);
		rs->_u._ext.nsaddrs[i] = NULL;
	}
}

/*
 * Points `rs` at the one server `server` (dns_txt.h).  An IPv6 server
 * goes where glibc keeps them: an entry of _u._ext.nsaddrs it frees when
 * the state is closed, with nsaddr_list's entry of family 0.  Returns 0,
 * or -1 with `msg` saying what is wrong.
 */
static int
use_server(struct __res_state *rs, const char *server, char *msg,
    size_t msglen)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in6	*sin6 = NULL;

	if (server_parse(server, &ss) == -1) {
		snprintf(msg, msglen, "dns_server %s", dns_server_check(server));
		return -1;
	}
	if (ss.ss_family == AF_INET6) {
		if ((sin6 = malloc(sizeof(*sin6))) == NULL) {
			snprintf(msg, msglen, "out of memory");
			return -1;
		}
		memcpy(sin6, &ss, sizeof(*sin6));
	}
	forget_ipv6_servers(rs);
	memset(&rs->nsaddr_list[0], 0, sizeof(rs->nsaddr_list[0]));
	if (sin6 == NULL)
		memcpy(&rs->nsaddr_list[0], &ss, sizeof(rs->nsaddr_list[0]));
	rs->_u._ext.nsaddrs[0] = sin6;
	rs->nscount = 1;
	return 0;
}

/*
 * Appends `len` bytes of `s` to `b` in double quotes, at most
 * QUOTED_BYTES of them, bytes other than printable ASCII (and the quote
 * and backslash) as \xHH.  Returns 0 or -1 (the buffer's limit).
 */
static int
quote(struct buf *b, const unsigned char *s, size_t len)
{
	size_t	i, n = len < QUOTED_BYTES ? len : QUOTED_BYTES;

	if (buf_append_char(b, '"') == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
		    s[i] != '\\') {
			if (buf_append_char(b, (char)s[i]) == -1)
				return -1;
		} else if (buf_printf(b, "\\x%02x", s[i]) == -1)
			return -1;
	}
	return buf_append_str(b, n < len ? "\"..." : "\"");
}

/*
 * Reads the TXT record `rr` into `text` (its strings joined, at most
 * TXT_MAX bytes kept, *len the full length).  Returns 0, or -1 when its
 * strings overrun the record.
 */
static int
txt_join(const ns_rr *rr, unsigned char text[TXT_MAX], size_t *len)
{
	const unsigned char *p = ns_rr_rdata(*rr);
	const unsigned char *end = p + ns_rr_rdlen(*rr);
	size_t n;

	*len = 0;
	while (p < end) {
		n = *p++;
		if (n > (size_t)(end - p))
			return -1;
		if (*len < TXT_MAX)
			memcpy(text + *len, p,
			    n < TXT_MAX - *len ? n : TXT_MAX - *len);
		*len += n;
		p += n;
	}
	return 0;
}

/*
 * Walks the answer section of the `len` bytes of `answer` for the records
 * owned by `name`.  Returns 0, or -1 for a malformed answer.
 */
static int
answer_read(const unsigned char *answer, int len, const char *name,
    const char *token, struct txt_found *f)
{
	unsigned char	text[TXT_MAX];
	ns_msg		m;
	ns_rr		rr;
	size_t		text_len, token_len = strlen(token);
	int		i, count;

	if (ns_initparse(answer, len, &m) == -1)
		return -1;
	count = ns_msg_count(m, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&m, ns_s_an, i, &rr) == -1)
			return -1;
		if (ns_rr_class(rr) != ns_c_in ||
		    strcasecmp(ns_rr_name(rr), name) != 0)
			continue;
		if (ns_rr_type(rr) == ns_t_cname) {
			if (dn_expand(ns_msg_base(m), ns_msg_end(m),
			    ns_rr_rdata(rr), f->cname, sizeof(f->cname)) == -1)
				return -1;
			continue;
		}
		if (ns_rr_type(rr) != ns_t_txt)
			continue;
		if (txt_join(&rr, text, &text_len) == -1)
			return -1;
		if (text_len == token_len &&
		    memcmp(text, token, token_len) == 0)
			f->matched = 1;
		if (f->records < QUOTED_RECORDS &&
		    ((f->records > 0 && buf_append_str(&f->quoted, ", ") == -1) ||
		    quote(&f->quoted, text,
		    text_len < TXT_MAX ? text_len : TXT_MAX) == -1))
			return -1;
		f->records++;
	}
	return 0;
}

/*
 * Says why res_nquery() found nothing: `herr` is its h_errno, `err` its
 * errno, `elapsed` the seconds it took.
 */
static void
describe_failure(const char *name, int herr, int err, double elapsed,
    int timeout_s, char *msg, size_t msglen)
{
	switch (herr) {
	case HOST_NOT_FOUND:
		snprintf(msg, msglen, "NXDOMAIN: %s does not exist", name);
		break;
	case NO_DATA:
		snprintf(msg, msglen, "no TXT record at %s", name);
		break;
	case TRY_AGAIN:
		if (err == ECONNREFUSED)
			snprintf(msg, msglen, "the DNS server refused the "
			    "connection for %s (nothing listens there)", name);
		else if (err == ETIMEDOUT || elapsed >= timeout_s)
			snprintf(msg, msglen, "the DNS look-up of %s timed "
			    "out after %d s", name, timeout_s);
		else
			snprintf(msg, msglen, "the DNS server failed to "
			    "answer for %s (SERVFAIL)", name);
		break;
	case NO_RECOVERY:
		snprintf(msg, msglen, "the DNS server refused to answer "
		    "for %s", name);
		break;
	default:
		snprintf(msg, msglen, "the DNS look-up of %s failed", name);
		break;
	}
}

/*
 * Reads the answer `answer` of `len` bytes to the TXT query for `name`
 * and compares its records with `token` (dns_txt.h).  Called by
 * dns_txt_check() and the fuzz target.  Returns 1 or 0.
 */
int
dns_txt_answer_check(const unsigned char *answer, int len, const char *name,
    const char *token, char *msg, size_t msglen)
{
	struct txt_found	 f;
	int			 rc = 0;

	memset(&f, 0, sizeof(f));
	buf_init(&f.quoted, TEXT_MAX);
	if (len > ANSWER_MAX) {
		snprintf(msg, msglen, "the DNS answer for %s is larger than "
		    "%d bytes", name, ANSWER_MAX);
		goto out;
	}
	if (answer_read(answer, len, name, token, &f) == -1) {
		snprintf(msg, msglen, "the DNS answer for %s is malformed",
		    name);
		goto out;
	}
	if (f.matched)
		rc = 1;
	else if (f.records > 0)
		snprintf(msg, msglen, "%zu TXT record%s at %s, %s the token: "
		    "%s%s", f.records, f.records == 1 ? "" : "s", name,
		    f.records == 1 ? "not" : "none is", f.quoted.data,
		    f.records > QUOTED_RECORDS ? ", ..." : "");
	else if (f.cname[0] != '\0')
		snprintf(msg, msglen, "CNAME to %s: put the TXT record at %s "
		    "itself", f.cname, name);
	else
		snprintf(msg, msglen, "no TXT record at %s", name);
out:
	buf_release(&f.quoted);
	return rc;
}

/*
 * Looks up the TXT records of `name` and compares them with `token`
 * (dns_txt.h).  Called by domain_verify().  Returns 1, 0 or -1.
 */
int
dns_txt_check(const char *server, int timeout_s, const char *name,
    const char *token, char *msg, size_t msglen)
{
	struct __res_state	 rs;
	struct timespec		 start, end;
	unsigned char		 answer[ANSWER_MAX];
	double			 elapsed;
	int			 len, rc = -1, ready = 0;

	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) == -1) {
		snprintf(msg, msglen, "the resolver could not be set up");
		goto out;
	}
	ready = 1;
	/* One try of timeout_s per server; no search list. */
	rs.retrans = timeout_s;
	rs.retry = 1;
	rs.options &= ~(RES_DNSRCH | RES_DEFNAMES);
	if (server != NULL && use_server(&rs, server, msg, msglen) == -1)
		goto out;
	if (clock_gettime(CLOCK_MONOTONIC, &start) == -1) {
		snprintf(msg, msglen, "the clock could not be read");
		goto out;
	}
	errno = 0;
	len = res_nquery(&rs, name, ns_c_in, ns_t_txt, answer,
	    sizeof(answer));
	if (len == -1) {
		int err = errno;

		if (clock_gettime(CLOCK_MONOTONIC, &end) == -1)
			end = start;
		elapsed = (double)(end.tv_sec - start.tv_sec) +
		    (double)(end.tv_nsec - start.tv_nsec) / 1e9;
		describe_failure(name, rs.res_h_errno, err, elapsed,
		    timeout_s, msg, msglen);
		rc = 0;
		goto out;
	}
	rc = dns_txt_answer_check(answer, len, name, token, msg, msglen);
out:
	if (ready)
		res_nclose(&rs);
	return rc;
}
