/*
 * trigram.c - which trigrams of a search term to look up (trigram.h).
 */
#include <string.h>

#include "trigram.h"
#include "validate.h"

/* More characters than any term a search takes (tenant_list.c). */
#define TRIGRAM_TERM_MAX	1024

/*
 * Finds where each character starts, then takes the windows of three
 * characters at evenly spread positions (see trigram.h).
 */
int
trigram_pick(const char *term, size_t len,
    struct trigram out[TRIGRAM_PICK_MAX])
{
	size_t starts[TRIGRAM_TERM_MAX + 1];
	size_t chars = 0, windows, want, i, j, k, from, to;
	long length;
	int picked = 0;

	if ((length = utf8_length(term, len)) < 0 ||
	    (size_t)length > TRIGRAM_TERM_MAX)
		return -1;
	/* Where each character starts, and the end as one more start. */
	for (i = 0; i < len; i++)
		if (((unsigned char)term[i] & 0xc0) != 0x80)
			starts[chars++] = i;
	starts[chars] = len;
	if (chars < 3)
		return 0;

	windows = chars - 2;
	want = windows < TRIGRAM_PICK_MAX ? windows : TRIGRAM_PICK_MAX;
	for (j = 0; j < want; j++) {
		/* Window j of `want`, spread from the first to the last. */
		i = want == 1 ? 0 : j * (windows - 1) / (want - 1);
		from = starts[i];
		to = starts[i + 3];
		for (k = 0; k < (size_t)picked; k++)
			if (strlen(out[k].text) == to - from &&
			    memcmp(out[k].text, term + from, to - from) == 0)
				break;
		if (k < (size_t)picked)
			continue;
		memcpy(out[picked].text, term + from, to - from);
		out[picked].text[to - from] = '\0';
		picked++;
	}
	return picked;
}
