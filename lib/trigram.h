/*
 * trigram.h - the trigrams a tenant search looks up (lib/tenant_list.c,
 * etc/migrations/0007_list_index.sql).
 *
 * A trigram is a run of three characters (code points) of a name or
 * subdomain; the database keeps every trigram of every tenant.  A term of
 * three characters or more can only match a tenant that has each of the
 * term's trigrams, so looking up a few of them gives a set of candidates
 * that holds every match.  This module only picks which of the term's
 * trigrams to look up.
 */
#ifndef TENANTD_TRIGRAM_H
#define TENANTD_TRIGRAM_H

#include <stddef.h>

/* How many trigrams a search looks up at most (one join each). */
#define TRIGRAM_PICK_MAX	4
/* Three UTF-8 characters of at most four bytes each. */
#define TRIGRAM_BYTES_MAX	12

struct trigram {
	char	text[TRIGRAM_BYTES_MAX + 1];
};

/*
 * Picks up to TRIGRAM_PICK_MAX trigrams of the `len` bytes of `term` into
 * `out`: the first and the last, and others spread evenly between them,
 * each byte string once.  Any subset of a term's trigrams still finds
 * every match; spreading them out gives the database a choice of rare
 * ones to start from.  Returns how many were picked (0 for a term of
 * fewer than three characters), or -1 when `term` is not valid UTF-8.
 */
int	trigram_pick(const char *term, size_t len,
	    struct trigram out[TRIGRAM_PICK_MAX]);

#endif
