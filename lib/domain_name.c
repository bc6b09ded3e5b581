/*
 * domain_name.c - the rule for a custom domain (see domain_name.h).
 *
 * Like validate.c, the checks work on explicit lengths and spell out
 * their character classes.  Internationalised names arrive as punycode
 * only: converting UTF-8 here would give one domain two spellings in
 * requests and logs, so a client is told to send the "xn--" form, and
 * libidn2 says whether such a label decodes and encodes back to itself.
 */
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "domain_name.h"

#define LABEL_MAX	63

/* Is `c` an ASCII lower-case letter or digit? */
static int
is_lower_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * Does the name `s` (NUL-terminated, syntax already checked) decode from
 * punycode and encode back to the same bytes?  Returns 1 or 0.
 */
static int
punycode_round_trips(const char *s)
{
	char	*unicode = NULL, *ascii = NULL;
	int	 ok = 0;

	if (idn2_to_unicode_8z8z(s, &unicode, 0) != IDN2_OK)
		goto out;
	if (idn2_to_ascii_8z(unicode, &ascii, IDN2_NONTRANSITIONAL) !=
	    IDN2_OK)
		goto out;
	ok = strcmp(ascii, s) == 0;
out:
	free(unicode);
	free(ascii);
	return ok;
}

/*
 * Is `len` bytes of `s` the name `zone` or a name under it?  Returns 1
 * or 0.
 */
static int
in_zone(const char *s, size_t len, const char *zone)
{
	size_t	zlen = strlen(zone);

	if (zlen == 0 || zlen > len)
		return 0;
	if (memcmp(s + len - zlen, zone, zlen) != 0)
		return 0;
	return zlen == len || s[len - zlen - 1] == '.';
}

/*
 * Checks the labels of `len` bytes of `s` (characters already checked):
 * none empty or longer than LABEL_MAX, none starting or ending with '-',
 * at least two, the last not all digits.  Sets *punycode when a label
 * starts "xn--".  Returns NULL or a message.
 */
static const char *
labels_check(const char *s, size_t len, int *punycode)
{
	size_t	i, label_start = 0, labels = 0;
	int	numeric = 1;

	for (i = 0; i <= len; i++) {
		size_t	label_len;

		if (i < len && s[i] != '.') {
			if (s[i] < '0' || s[i] > '9')
				numeric = 0;
			continue;
		}
		label_len = i - label_start;
		if (label_len == 0)
			return "must not have an empty label (no leading, "
			    "trailing or double dot)";
		if (label_len > LABEL_MAX)
			return "must have labels of at most 63 bytes";
		if (s[label_start] == '-' || s[i - 1] == '-')
			return "must not have a label starting or ending "
			    "with '-'";
		if (label_len >= 4 && memcmp(s + label_start, "xn--", 4) == 0)
			*punycode = 1;
		labels++;
		if (i < len) {
			label_start = i + 1;
			numeric = 1;
		}
	}
	if (labels < 2)
		return "must have at least two labels";
	if (numeric)
		return "must be a host name, not an IP address";
	return NULL;
}

/*
 * Checks a custom domain (domain_name.h).  Called by domain.c before a
 * row is written and by the handlers for the {domain} of a path.
 * Returns NULL or a message.
 */
const char *
domain_name_check(const char *s, size_t len, const char *base_domain)
{
	char		 name[DOMAIN_NAME_MAX + 1];
	const char	*why;
	size_t		 i;
	int		 punycode = 0;

	if (len == 0)
		return "must not be empty";
	if (len > DOMAIN_NAME_MAX)
		return "must be at most 253 bytes";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80)
			return "must be ASCII: send an internationalised "
			    "name in its punycode (xn--) form";
		if (c == ':' || c == '[' || c == ']')
			return "must be a host name, not an IP address";
		if (c >= 'A' && c <= 'Z')
			return "must be lower case";
		if (!is_lower_alnum(c) && c != '-' && c != '.')
			return "may contain only a-z, 0-9, '-' and '.'";
	}
	if ((why = labels_check(s, len, &punycode)) != NULL)
		return why;
	if (in_zone(s, len, "localhost"))
		return "must not be localhost";
	if (base_domain != NULL && in_zone(s, len, base_domain))
		return "must not be under base_domain: tenants have "
		    "their subdomain there";
	memcpy(name, s, len);
	name[len] = '\0';
	if (punycode && !punycode_round_trips(name))
		return "must have valid punycode in its xn-- labels";
	return NULL;
}
