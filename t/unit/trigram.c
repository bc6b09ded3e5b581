/*
 * trigram.c - unit tests for lib/trigram.c: which trigrams of a search
 * term are looked up, counted in characters, not bytes.
 */
#include <string.h>

#include "tap.h"
#include "trigram.h"

/* Picks the trigrams of C string `term`; returns the count. */
static int
pick(const char *term, struct trigram out[TRIGRAM_PICK_MAX])
{
	memset(out, 0, sizeof(struct trigram) * TRIGRAM_PICK_MAX);
	return trigram_pick(term, strlen(term), out);
}

/* Terms too short to have a trigram, and invalid UTF-8. */
static void
test_short_and_invalid(void)
{
	struct trigram g[TRIGRAM_PICK_MAX];

	is_int(pick("", g), 0, "empty term: no trigram");
	is_int(pick("ab", g), 0, "two characters: no trigram");
	is_int(pick("\xc3\x9f\xc3\xa9", g), 0,
	    "two characters of four bytes: no trigram");
	is_int(pick("ab\xff", g), -1, "invalid UTF-8 refused");
	is_int(pick("a\xc3", g), -1, "a cut character refused");
}

/* Short terms: every trigram, in order. */
static void
test_every_window(void)
{
	struct trigram g[TRIGRAM_PICK_MAX];

	is_int(pick("abc", g), 1, "three characters: one trigram");
	is_string(g[0].text, "abc", "the term itself");
	is_int(pick("Straße", g), 4, "six characters: four trigrams");
	is_string(g[0].text, "Str", "first");
	is_string(g[1].text, "tra", "second");
	is_string(g[2].text, "raß", "a two-byte character inside");
	is_string(g[3].text, "aße", "last, by characters not bytes");
	is_int(pick("%_\\", g), 1, "LIKE wildcards are plain characters");
	is_string(g[0].text, "%_\\", "kept as they are");
	is_int(pick("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", g), 1,
	    "three four-byte characters: one trigram of 12 bytes");
	is_int((int)strlen(g[0].text), 12, "all 12 bytes");
}

/* Long terms: the first, the last and two spread between them. */
static void
test_spread(void)
{
	struct trigram g[TRIGRAM_PICK_MAX];

	is_int(pick("abcdefghij", g), 4, "ten characters: four picked");
	is_string(g[0].text, "abc", "the first");
	is_string(g[1].text, "cde", "one third in");
	is_string(g[2].text, "efg", "two thirds in");
	is_string(g[3].text, "hij", "the last");
	is_int(pick("aaaaaaa", g), 1, "repeated trigrams are looked up once");
	is_string(g[0].text, "aaa", "the one trigram");
	is_int(pick("abcabcab", g), 3, "a repeat among the picks is skipped");
}

int
main(void)
{
	test_short_and_invalid();
	test_every_window();
	test_spread();
	done_testing();
	return exit_status();
}
