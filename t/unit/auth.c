/*
 * auth.c - unit tests for the parts of lib/auth*.c that need no database:
 * random secrets, hashing, the CSRF comparison, and the checks that refuse
 * malformed input before any query is made (those run with a NULL
 * database handle, so reaching the database would crash the test).
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "random.h"
#include "tap.h"

/* Is `s` exactly `len` lowercase hex digits? */
static int
is_lower_hex(const char *s, size_t len)
{
	size_t	i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

/* Random secrets: 64 lowercase hex digits, different each time. */
static void
test_random_hex(void)
{
	char	a[AUTH_SECRET_HEX + 1], b[AUTH_SECRET_HEX + 1];

	random_hex(a, AUTH_SECRET_HEX / 2);
	random_hex(b, AUTH_SECRET_HEX / 2);
	ok(is_lower_hex(a, AUTH_SECRET_HEX), "random secret is 64 hex digits");
	ok(is_lower_hex(b, AUTH_SECRET_HEX), "second secret too");
	ok(strcmp(a, b) != 0, "two secrets differ");
}

/* SHA-256 against the FIPS 180-2 test vectors. */
static void
test_hash_secret(void)
{
	char	out[AUTH_HASH_HEX + 1];

	auth_hash_secret("abc", 3, out);
	is_string(out, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "sha256(\"abc\")");
	auth_hash_secret("", 0, out);
	is_string(out, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855", "sha256(\"\")");
	auth_hash_secret("abcdef", 3, out);
	is_string(out, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "only `len` bytes are hashed");
}

/* The CSRF check matches its own token and nothing else. */
static void
test_csrf(void)
{
	char	token[AUTH_SECRET_HEX + 1], other[AUTH_SECRET_HEX + 1];
	char	hash[AUTH_HASH_HEX + 1], longer[AUTH_SECRET_HEX + 2];

	random_hex(token, AUTH_SECRET_HEX / 2);
	random_hex(other, AUTH_SECRET_HEX / 2);
	auth_hash_secret(token, AUTH_SECRET_HEX, hash);

	is_int(auth_csrf_matches(token, hash), 1, "the right token matches");
	is_int(auth_csrf_matches(other, hash), 0, "another token does not");
	is_int(auth_csrf_matches(NULL, hash), 0, "NULL token never matches");
	is_int(auth_csrf_matches("", hash), 0, "empty token never matches");
	is_int(auth_csrf_matches(token, NULL), 0, "no stored hash: no match");
	is_int(auth_csrf_matches(token, ""), 0, "empty stored hash: no match");
	is_int(auth_csrf_matches(hash, hash), 0,
	    "the hash itself is not the token");

	memcpy(longer, token, AUTH_SECRET_HEX);
	longer[AUTH_SECRET_HEX] = '0';
	longer[AUTH_SECRET_HEX + 1] = '\0';
	is_int(auth_csrf_matches(longer, hash), 0,
	    "token with a byte appended does not match");
	token[AUTH_SECRET_HEX - 1] = '\0';
	is_int(auth_csrf_matches(token, hash), 0,
	    "token with a byte cut does not match");
}

/* Malformed session ids and tokens are refused without a query. */
static void
test_shapes_refused(void)
{
	char	sid[AUTH_SECRET_HEX + 1];
	char	token[AUTH_TOKEN_LEN + 2];
	size_t	i;

	is_int(auth_session_lookup(NULL, NULL, NULL, NULL), 0,
	    "NULL session id: not found");
	is_int(auth_session_lookup(NULL, "abc", NULL, NULL), 0,
	    "short session id: not found");
	for (i = 0; i < AUTH_SECRET_HEX; i++)
		sid[i] = 'A';
	sid[AUTH_SECRET_HEX] = '\0';
	is_int(auth_session_lookup(NULL, sid, NULL, NULL), 0,
	    "upper-case session id: not found");
	is_int(auth_session_delete(NULL, "../etc"), 0,
	    "deleting a malformed session is a no-op");

	is_int(auth_token_lookup(NULL, NULL, NULL), 0, "NULL token");
	is_int(auth_token_lookup(NULL, "", NULL), 0, "empty token");
	random_hex(sid, AUTH_SECRET_HEX / 2);
	is_int(auth_token_lookup(NULL, sid, NULL), 0,
	    "token without its prefix");
	memcpy(token, "tnd_", 4);
	memcpy(token + 4, sid, AUTH_SECRET_HEX + 1);
	token[10] = 'g';
	is_int(auth_token_lookup(NULL, token, NULL), 0,
	    "token with a non-hex digit");
	memcpy(token + 4, sid, AUTH_SECRET_HEX + 1);
	token[AUTH_TOKEN_LEN] = 'a';
	token[AUTH_TOKEN_LEN + 1] = '\0';
	is_int(auth_token_lookup(NULL, token, NULL), 0,
	    "token one digit too long");
	memcpy(token, "TND_", 4);
	token[AUTH_TOKEN_LEN] = '\0';
	is_int(auth_token_lookup(NULL, token, NULL), 0,
	    "token with an upper-case prefix");
}

/* Bad user names and passwords fail with EINVAL before any query. */
static void
test_password_rules(void)
{
	char	long_password[PASSWORD_MAX + 2];
	int64_t	id = 0;

	memset(long_password, 'x', sizeof(long_password) - 1);
	long_password[sizeof(long_password) - 1] = '\0';

	errno = 0;
	is_int(auth_user_add(NULL, "bad name", "password1", &id), -1,
	    "user name with a space refused");
	is_int(errno, EINVAL, "... with EINVAL");
	errno = 0;
	is_int(auth_user_add(NULL, "alice", "short", &id), -1,
	    "7-byte password refused");
	is_int(errno, EINVAL, "... with EINVAL");
	errno = 0;
	is_int(auth_user_add(NULL, "alice", long_password, &id), -1,
	    "1025-byte password refused");
	is_int(errno, EINVAL, "... with EINVAL");
	errno = 0;
	is_int(auth_user_add(NULL, "alice", "pass\xc3\x28word", &id), -1,
	    "password with invalid UTF-8 refused");
	is_int(errno, EINVAL, "... with EINVAL");
	errno = 0;
	is_int(auth_user_add(NULL, "alice", NULL, &id), -1,
	    "NULL password refused");
	is_int(errno, EINVAL, "... with EINVAL");
	errno = 0;
	is_int(auth_user_set_password(NULL, "alice", "1234567"), -1,
	    "set_password applies the same rule");
	is_int(errno, EINVAL, "... with EINVAL");

	is_int(auth_user_find(NULL, "no such name!", NULL), 0,
	    "an impossible user name is simply not found");
	is_int(auth_check_password(NULL, "no such name!", "password1", NULL),
	    0, "login with an impossible user name fails without a query");
}

/* Malformed labels are refused before any query. */
static void
test_token_label(void)
{
	char	token[AUTH_TOKEN_LEN + 1];
	char	label[AUTH_LABEL_MAX + 2];
	int64_t	id = 0;

	memset(label, 'l', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	errno = 0;
	is_int(auth_token_create(NULL, 1, label, token, &id), -1,
	    "101-character label refused");
	is_int(errno, EINVAL, "... with EINVAL");
	is_string(token, "", "... and no token handed out");
	errno = 0;
	is_int(auth_token_create(NULL, 1, "tab\there", token, &id), -1,
	    "label with a control character refused");
	is_int(errno, EINVAL, "... with EINVAL");
	errno = 0;
	is_int(auth_token_create(NULL, 0, "ci", token, &id), -1,
	    "user id 0 refused");
	is_int(errno, EINVAL, "... with EINVAL");
}

int
main(void)
{
	if (sodium_init() < 0) {
		diag("sodium_init failed");
		return 1;
	}
	test_random_hex();
	test_hash_secret();
	test_csrf();
	test_shapes_refused();
	test_password_rules();
	test_token_label();
	done_testing();
	return exit_status();
}
