/*
 * dns_answer.c - libFuzzer target: what tenantd reads from the outside
 * when it verifies a custom domain (SPEC 11).  An input whose first byte
 * is 'N' is a domain name for domain_name_check(); any other is a DNS
 * server's answer to the TXT query for the challenge name, read by
 * dns_txt_answer_check().
 *
 * A name the check accepts must be lower-case letters, digits, '-' and
 * '.', at most DOMAIN_NAME_MAX bytes, with a dot; the message about an
 * answer, which reaches an API client and the log, must be printable
 * ASCII whatever bytes the server sent.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_txt.h"
#include "domain_name.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called by libFuzzer once per input; aborts when an invariant breaks. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[DNS_TXT_MESSAGE_MAX];
	size_t i;

	if (size > 0 && data[0] == 'N') {
		const char *s = (const char *)data + 1;
		size_t len = size - 1;

		if (domain_name_check(s, len, "example.com") != NULL)
			return 0;
		if (len > DOMAIN_NAME_MAX || memchr(s, '.', len) == NULL)
			abort();
		for (i = 0; i < len; i++)
			if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-.",
			    s[i]) == NULL || s[i] == '\0')
				abort();
		return 0;
	}
	if (size > INT_MAX)
		return 0;
	memset(msg, 0, sizeof(msg));
	if (dns_txt_answer_check(data, (int)size,
	    "_tenantd-challenge.hr.acme.test", "token0123456789", msg,
	    sizeof(msg)) == 1)
		return 0;
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
			abort();
	return 0;
}
