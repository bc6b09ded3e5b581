/*
 * template_meta.c - unit tests for lib/template_meta.c: the members of
 * tenantd-template.json are taken when they follow SPEC 10 and refused,
 * with the member named, when they do not (names too long, empty or with
 * control characters; web roots that are absolute, end in '/', hold ".."
 * or empty names; members unknown, duplicated or of the wrong type;
 * hostile JSON); and the file is read from a directory only as a regular
 * file, never through a symlink, at most 64 KiB.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "folder.h"
#include "template_meta.h"
#include "tap.h"

static char	root[64];	/* the mkdtemp() directory */

/* Parses `len` bytes of `text` into `meta`; the function's result. */
static int
parse_len(struct template_meta *meta, const char *text, size_t len,
    char *err, size_t errlen)
{
	err[0] = '\0';
	return template_meta_parse(meta, text, len, err, errlen);
}

/* Parses C string `text` and expects `name` and `web_root`. */
static void
taken(const char *text, const char *name, const char *web_root,
    const char *test)
{
	struct template_meta	meta;
	char			err[256];

	if (!is_int(parse_len(&meta, text, strlen(text), err, sizeof(err)), 0,
	    test))
		diag("%s", err);
	is_string(meta.name, name, test);
	is_string(meta.web_root, web_root, test);
}

/*
 * Parsing `len` bytes of `text` is refused with a message holding
 * `expected` and naming the file, and leaves the defaults.
 */
static void
refused_len(const char *text, size_t len, const char *expected,
    const char *test)
{
	struct template_meta	meta;
	char			err[256];

	memset(&meta, 'x', sizeof(meta));
	is_int(parse_len(&meta, text, len, err, sizeof(err)), -1, test);
	if (!ok(strstr(err, expected) != NULL &&
	    strncmp(err, TEMPLATE_META_FILE, strlen(TEMPLATE_META_FILE)) == 0,
	    "%s: says \"%s\"", test, expected))
		diag("message: %s", err);
	ok(meta.name[0] == '\0' && meta.web_root[0] == '\0',
	    "%s: leaves the defaults", test);
}

/* refused_len() of a C string. */
static void
refused(const char *text, const char *expected, const char *test)
{
	refused_len(text, strlen(text), expected, test);
}

/* `{"<member>": "` + `count` copies of `unit` + `"}`, or NULL. */
static char *
member_of(const char *member, const char *unit, size_t count)
{
	struct buf	b;
	size_t		i;
	char		*s;

	buf_init(&b, BUF_NO_LIMIT);
	buf_printf(&b, "{\"%s\": \"", member);
	for (i = 0; i < count; i++)
		buf_append_str(&b, unit);
	buf_append_str(&b, "\"}");
	if ((s = buf_detach(&b, NULL)) == NULL)
		buf_release(&b);
	return s;
}

/* Valid files, and the defaults for what they leave out. */
static void
test_taken(void)
{
	char	*text, hundred[101];

	taken("{\"name\": \"Micro system\", \"web_root\": \"public\"}",
	    "Micro system", "public", "both members");
	taken("{\"web_root\": \"out/public\", \"name\": \"x\"}", "x",
	    "out/public", "members in any order, a nested web root");
	taken("{\"name\": \"Only a name\"}", "Only a name", "",
	    "no web_root: the whole tree");
	taken("{\"web_root\": \"public\"}", "", "public", "no name: empty");
	taken("{}", "", "", "an empty object: the defaults");
	taken(" \n{ \"name\" : \"s\" }\n ", "s", "", "white space around");
	taken("{\"web_root\": \"(site)/[id]/.well-known\"}", "",
	    "(site)/[id]/.well-known",
	    "web_root: names the template rule accepts");
	taken("{\"name\": \"Caf\\u00e9 \xe6\x97\xa5\xe6\x9c\xac \\\"q\\\" "
	    "\\\\\"}", "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \"q\" \\", "",
	    "name: UTF-8, escapes, quotes and backslashes");

	memset(hundred, 'n', 100);
	hundred[100] = '\0';
	text = member_of("name", "n", 100);
	if (text != NULL)
		taken(text, hundred, "", "name: 100 bytes");
	free(text);
	text = member_of("name", "\xc3\xa9", 50);
	if (text != NULL) {
		struct template_meta	meta;
		char			err[256];

		is_int(parse_len(&meta, text, strlen(text), err, sizeof(err)),
		    0, "name: 100 bytes of two-byte characters");
		is_int((long long)strlen(meta.name), 100,
		    "name: ... kept whole");
	}
	free(text);
	text = member_of("web_root", "d/", 2047);
	if (text != NULL) {
		struct template_meta	meta;
		char			err[256];

		/* 2047 * 2 + "dd" is 4,096 bytes. */
		text[strlen(text) - 2] = '\0';
		strcat(text, "dd\"}");
		is_int(parse_len(&meta, text, strlen(text), err, sizeof(err)),
		    0, "web_root: 4096 bytes");
		is_int((long long)strlen(meta.web_root), 4096,
		    "web_root: ... kept whole");
	}
	free(text);
}

/* The rules of `name`. */
static void
test_name(void)
{
	char	*text;

	refused("{\"name\": \"\"}", "\"name\" must not be empty",
	    "name: empty");
	text = member_of("name", "n", 101);
	if (text != NULL)
		refused(text, "\"name\" is longer than 100 bytes",
		    "name: 101 bytes");
	free(text);
	text = member_of("name", "\xe6\x97\xa5", 34);
	if (text != NULL)
		refused(text, "\"name\" is longer than 100 bytes",
		    "name: 34 three-byte characters are 102 bytes");
	free(text);
	refused("{\"name\": \"a\\nb\"}", "\"name\" holds a control character",
	    "name: a newline");
	refused("{\"name\": \"a\\tb\"}", "\"name\" holds a control character",
	    "name: a tab");
	refused("{\"name\": \"a\\u007fb\"}", "\"name\" holds a control "
	    "character", "name: DEL");
	refused("{\"name\": \"a\\u0085b\"}", "\"name\" holds a control "
	    "character", "name: a C1 control (NEL)");
	refused("{\"name\": \"a\\u0000b\"}", "\"name\" holds a control "
	    "character", "name: U+0000");
	refused("{\"name\": \"\xff\"}", "UTF", "name: invalid UTF-8");
	refused("{\"name\": \"\xc0\xaf\"}", "UTF-8", "name: an overlong form");
	refused("{\"name\": \"\\ud800\"}", "surrogate",
	    "name: a lone surrogate escape");
	refused("{\"name\": 1e400}", "\"name\" must be a string, not number",
	    "name: a huge number");
	refused("{\"name\": null}", "\"name\" must be a string, not null",
	    "name: null");
	refused("{\"name\": [\"x\"]}", "\"name\" must be a string, not array",
	    "name: an array");
	refused("{\"name\": {\"x\": 1}}", "\"name\" must be a string, not "
	    "object", "name: an object");
	refused("{\"name\": true}", "\"name\" must be a string, not boolean",
	    "name: a boolean");
}

/* The rules of `web_root`. */
static void
test_web_root(void)
{
	char	*text;

	refused("{\"web_root\": \"\"}", "\"web_root\" must not be empty",
	    "web_root: empty");
	refused("{\"web_root\": \".\"}", "not \".\"", "web_root: \".\"");
	refused("{\"web_root\": \"/srv/www\"}", "must be a relative path",
	    "web_root: absolute");
	refused("{\"web_root\": \"/\"}", "must be a relative path",
	    "web_root: \"/\"");
	refused("{\"web_root\": \"public/\"}", "must not end in '/'",
	    "web_root: a trailing '/'");
	refused("{\"web_root\": \"a//b\"}", "\"web_root\" must be names",
	    "web_root: an empty name");
	refused("{\"web_root\": \"..\"}", "\"web_root\" must be names",
	    "web_root: \"..\"");
	refused("{\"web_root\": \"../etc\"}", "\"web_root\" must be names",
	    "web_root: leading \"..\"");
	refused("{\"web_root\": \"public/../..\"}", "\"web_root\" must be "
	    "names", "web_root: inner \"..\"");
	refused("{\"web_root\": \"./public\"}", "\"web_root\" must be names",
	    "web_root: a \".\" name");
	refused("{\"web_root\": \"pub\\nlic\"}", "\"web_root\" must be names",
	    "web_root: a control character");
	refused("{\"web_root\": \"pub\\u0000lic\"}", "\"web_root\" holds "
	    "U+0000", "web_root: U+0000");
	refused("{\"web_root\": \"\xed\xa0\x80\"}", "UTF-8",
	    "web_root: a surrogate encoded in UTF-8");
	refused("{\"web_root\": [\"public\"]}", "\"web_root\" must be a "
	    "string, not array", "web_root: an array");
	refused("{\"web_root\": false}", "\"web_root\" must be a string, not "
	    "boolean", "web_root: a boolean");
	text = member_of("web_root", "d", 4097);
	if (text != NULL)
		refused(text, "\"web_root\" is longer than 4096 bytes",
		    "web_root: 4097 bytes");
	free(text);
	text = member_of("web_root", "d", 256);
	if (text != NULL)
		refused(text, "\"web_root\" must be names",
		    "web_root: a name of 256 bytes");
	free(text);
}

/* Other members, duplicates and hostile documents. */
static void
test_document(void)
{
	char	*text;
	size_t	 i;

	refused("{\"webroot\": \"public\"}", "unknown member \"webroot\"",
	    "a typo is an unknown member, named");
	refused("{\"name\": \"x\", \"Name\": \"y\"}", "unknown member \"Name\"",
	    "member names are case-sensitive");
	refused("{\"a\\nb\\\"c\": 1}", "unknown member \"a?b?c\"",
	    "an unknown member's controls and quotes are replaced");
	refused("{\"0123456789012345678901234567890123456789012345678901234"
	    "5678901234567890\": 1}", "unknown member \"0123456789012345678"
	    "901234567890123456789012345678901234567890123...\"",
	    "a long unknown member is cut");
	refused("{\"name\": \"a\", \"name\": \"b\"}", "duplicate key \"name\"",
	    "a duplicated name");
	refused("{\"web_root\": \"a\", \"web_root\": \"a\"}",
	    "duplicate key \"web_root\"", "a duplicated web_root");
	refused("[]", "must hold a JSON object, not array", "an array");
	refused("\"public\"", "must hold a JSON object, not string",
	    "a string");
	refused("null", "must hold a JSON object, not null", "null");
	refused("", "malformed JSON", "an empty file");
	refused_len(NULL, 0, "malformed JSON", "no text at all");
	refused("{\"name\": \"x\"", "malformed JSON", "truncated");
	refused("{\"name\": \"x\"} {}", "malformed JSON", "trailing garbage");
	refused("{\"name\": \"x\",}", "malformed JSON", "a trailing comma");
	refused("{// comment\n}", "malformed JSON", "a comment");
	refused_len("{\"name\": \"x\0\"}", sizeof("{\"name\": \"x\0\"}") - 1,
	    "malformed JSON", "a raw NUL byte");

	text = calloc(1, 20001);
	if (text != NULL) {
		for (i = 0; i < 10000; i++) {
			text[i] = '[';
			text[19999 - i] = ']';
		}
		refused(text, "nested deeper", "10000 levels of nesting");
	}
	free(text);
	text = malloc(4000);
	if (text != NULL) {
		strcpy(text, "{\"x\": [");
		for (i = 0; i < 1500; i++)
			strcat(text, "0,");
		strcat(text, "0]}");
		refused(text, "more than 1024 values", "too many values");
	}
	free(text);
	text = member_of("name", "n", TEMPLATE_META_FILE_MAX);
	if (text != NULL)
		refused_len(text, TEMPLATE_META_FILE_MAX + 1, "larger than 64 KiB",
		    "64 KiB + 1 bytes");
	free(text);
}

/* Writes `text` into `name` below the test root: 0 or -1. */
static int
write_file(const char *name, const char *text, size_t len)
{
	char	path[PATH_MAX];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/* Opens directory `name` below the test root, made first. */
static int
make_dir(const char *name)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if (mkdir(path, 0755) == -1)
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY);
}

/* template_meta_read_at() on directory `dirfd`; its result. */
static int
read_at(int dirfd, struct template_meta *meta, char *err, size_t errlen)
{
	err[0] = '\0';
	memset(meta, 'x', sizeof(*meta));
	return template_meta_read_at(meta, dirfd, err, errlen);
}

/* Reading the file from a template directory. */
static void
test_read_at(void)
{
	static const char	valid[] = "{\"name\": \"T\", \"web_root\": "
	    "\"public\"}\n";
	struct template_meta	meta;
	char			err[256], path[PATH_MAX], *big;
	int			dirfd;

	if ((dirfd = make_dir("none")) == -1) {
		diag("cannot make a directory: %s", strerror(errno));
		return;
	}
	is_int(read_at(dirfd, &meta, err, sizeof(err)), 0,
	    "read: no file is 0");
	ok(meta.name[0] == '\0' && meta.web_root[0] == '\0',
	    "read: ... with the defaults");
	close(dirfd);

	dirfd = make_dir("valid");
	write_file("valid/" TEMPLATE_META_FILE, valid, strlen(valid));
	is_int(read_at(dirfd, &meta, err, sizeof(err)), 1, "read: a file is 1");
	is_string(meta.name, "T", "read: ... with its name");
	is_string(meta.web_root, "public", "read: ... and its web root");
	close(dirfd);

	dirfd = make_dir("bad");
	write_file("bad/" TEMPLATE_META_FILE, "{\"webroot\": \"x\"}", 16);
	is_int(read_at(dirfd, &meta, err, sizeof(err)), -1,
	    "read: refused content is -1");
	ok(strstr(err, "unknown member \"webroot\"") != NULL,
	    "read: ... with the parser's message");
	ok(meta.web_root[0] == '\0', "read: ... and the defaults");
	close(dirfd);

	dirfd = make_dir("link");
	snprintf(path, sizeof(path), "%s/link/" TEMPLATE_META_FILE, root);
	if (symlink("../valid/" TEMPLATE_META_FILE, path) == -1)
		diag("symlink: %s", strerror(errno));
	is_int(read_at(dirfd, &meta, err, sizeof(err)), -1,
	    "read: a symlink to a valid file is refused");
	is_string(err, TEMPLATE_META_FILE " is a symbolic link",
	    "read: ... saying so");
	close(dirfd);

	dirfd = make_dir("directory");
	close(make_dir("directory/" TEMPLATE_META_FILE));
	is_int(read_at(dirfd, &meta, err, sizeof(err)), -1,
	    "read: a directory of that name is refused");
	is_string(err, TEMPLATE_META_FILE " is not a regular file",
	    "read: ... saying so");
	close(dirfd);

	dirfd = make_dir("fifo");
	snprintf(path, sizeof(path), "%s/fifo/" TEMPLATE_META_FILE, root);
	if (mkfifo(path, 0644) == -1)
		diag("mkfifo: %s", strerror(errno));
	is_int(read_at(dirfd, &meta, err, sizeof(err)), -1,
	    "read: a FIFO is refused without waiting for a writer");
	is_string(err, TEMPLATE_META_FILE " is not a regular file",
	    "read: ... saying so");
	close(dirfd);

	dirfd = make_dir("big");
	if ((big = malloc(TEMPLATE_META_FILE_MAX + 1)) != NULL) {
		memset(big, ' ', TEMPLATE_META_FILE_MAX + 1);
		big[0] = '{';
		big[TEMPLATE_META_FILE_MAX] = '}';
		write_file("big/" TEMPLATE_META_FILE, big,
		    TEMPLATE_META_FILE_MAX + 1);
		is_int(read_at(dirfd, &meta, err, sizeof(err)), -1,
		    "read: 64 KiB + 1 bytes are refused");
		is_string(err, TEMPLATE_META_FILE " is larger than 64 KiB",
		    "read: ... saying so");
		big[1] = '{';
		write_file("big/" TEMPLATE_META_FILE, big + 1,
		    TEMPLATE_META_FILE_MAX);
		is_int(read_at(dirfd, &meta, err, sizeof(err)), 1,
		    "read: 64 KiB are read");
	}
	free(big);
	close(dirfd);

	is_int(read_at(-1, &meta, err, sizeof(err)), -1,
	    "read: a bad directory descriptor is -1");
	ok(strstr(err, "cannot open " TEMPLATE_META_FILE) != NULL,
	    "read: ... saying so");
}

int
main(void)
{
	char	template[] = "/tmp/tenantd-template-meta-XXXXXX";
	int	fd;

	if (mkdtemp(template) == NULL) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	snprintf(root, sizeof(root), "%s", template);

	test_taken();
	test_name();
	test_web_root();
	test_document();
	test_read_at();

	if ((fd = open("/tmp", O_RDONLY | O_DIRECTORY)) != -1) {
		if (dir_remove_tree(fd, template + strlen("/tmp/")) == -1)
			diag("could not remove %s: %s", root, strerror(errno));
		close(fd);
	}
	done_testing();
	return exit_status();
}
