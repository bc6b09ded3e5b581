/*
 * manifest.c - unit tests for lib/manifest.c on a private temporary
 * directory: a manifest built from a template tree is sorted and hashes
 * every file, survives a write/read round trip byte for byte, accepts the
 * names of real app trees (SPEC 10), refuses the rest with the path named,
 * symlinks and special files too, and the reader
 * rejects every kind of malformed line.  file_sha256_at() hashes regular
 * files only and never follows a symlink.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "manifest.h"
#include "folder.h"
#include "tap.h"

#define HEADER	"# tenantd template manifest 1\n"
#define DIGEST	"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static char	root[64];	/* the mkdtemp() directory */

/* Writes `text` into file `name` below the test root. */
/* manifest_release() in the shape lives_ok() calls. */
static void
release_manifest(void *m)
{
	manifest_release(m);
}

static int
write_file(const char *name, const char *text)
{
	char	path[PATH_MAX];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Makes directory `name` below the test root. */
static int
make_dir(const char *name)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return mkdir(path, 0755);
}

/* The hex SHA-256 of `text`, for comparing with the manifest. */
static void
hex_of(const char *text, char out[65])
{
	unsigned char	digest[32];

	crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
	sha256_hex(digest, out);
}

/* Builds the manifest of directory `name` below the root. */
static int
build(struct manifest *m, const char *name, char *err, size_t errlen)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return manifest_build(m, path, err, errlen);
}

/* Reads manifest text `text` through a file: manifest_read()'s result. */
static int
read_text(struct manifest *m, const char *text, char *err, size_t errlen)
{
	char	path[PATH_MAX];

	if (write_file("input.manifest", text) == -1)
		return -2;
	snprintf(path, sizeof(path), "%s/input.manifest", root);
	return manifest_read(m, path, err, errlen);
}

/* A template tree is walked, hashed and sorted. */
static void
test_build(void)
{
	struct manifest			 m;
	const struct manifest_entry	*e;
	char				 err[256] = "", hex[65], expected[65];

	make_dir("template");
	make_dir("template/css");
	make_dir("template/css/deep");
	make_dir("template/empty");
	write_file("template/index.html", "<h1>hi</h1>\n");
	write_file("template/app.js", "export {};\n");
	write_file("template/css/site.css", "body {}\n");
	write_file("template/css/deep/a-b_c.1.css", "");
	write_file("template/css.min", "x");

	manifest_init(&m);
	is_int(build(&m, "template", err, sizeof(err)), 0, "build: succeeds");
	if (err[0] != '\0')
		diag("%s", err);
	is_int((long long)m.count, 5, "build: five files (empty dir ignored)");
	if (m.count == 5) {
		is_string(m.entries[0].path, "app.js", "build: sorted 1");
		is_string(m.entries[1].path, "css.min", "build: sorted 2");
		is_string(m.entries[2].path, "css/deep/a-b_c.1.css",
		    "build: sorted 3 (strcmp order, nested path)");
		is_string(m.entries[3].path, "css/site.css", "build: sorted 4");
		is_string(m.entries[4].path, "index.html", "build: sorted 5");
	}
	is_int((long long)m.total_bytes, 12 + 11 + 8 + 0 + 1,
	    "build: total bytes");
	e = manifest_find(&m, "index.html");
	ok(e != NULL && e->size == 12, "find: index.html with its size");
	if (e != NULL) {
		sha256_hex(e->sha256, hex);
		hex_of("<h1>hi</h1>\n", expected);
		is_string(hex, expected, "build: digest of index.html");
	}
	ok(manifest_find(&m, "css/site.css") != NULL, "find: nested path");
	ok(manifest_find(&m, "missing.js") == NULL, "find: absent path");
	ok(manifest_find(&m, "css") == NULL, "find: a directory is no entry");
	manifest_release(&m);
	is_int((long long)m.count, 0, "release: empties");
	lives_ok(release_manifest, NULL, "release: accepts NULL");
	lives_ok(release_manifest, &m, "release: a second release is harmless");
}

/* write then read gives the same manifest, and the text is canonical. */
static void
test_round_trip(void)
{
	struct manifest	 built, loaded;
	char		 err[256] = "", path[PATH_MAX], text[4096];
	FILE		*f;
	size_t		 i, n;
	int		 same = 1;

	manifest_init(&built);
	manifest_init(&loaded);
	build(&built, "template", err, sizeof(err));
	snprintf(path, sizeof(path), "%s/template.manifest", root);
	f = fopen(path, "w");
	ok(f != NULL && manifest_write(&built, f) == 0, "write: succeeds");
	if (f != NULL)
		fclose(f);
	is_int(manifest_read(&loaded, path, err, sizeof(err)), 0,
	    "read: accepts what write wrote");
	if (err[0] != '\0')
		diag("%s", err);
	is_int((long long)loaded.count, (long long)built.count,
	    "read: same count");
	is_int((long long)loaded.total_bytes, (long long)built.total_bytes,
	    "read: same total");
	for (i = 0; i < built.count && i < loaded.count; i++)
		if (strcmp(built.entries[i].path, loaded.entries[i].path) != 0 ||
		    built.entries[i].size != loaded.entries[i].size ||
		    memcmp(built.entries[i].sha256, loaded.entries[i].sha256,
		    32) != 0)
			same = 0;
	ok(same, "read: every entry equal");

	f = fopen(path, "r");
	n = f != NULL ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = '\0';
	if (f != NULL)
		fclose(f);
	ok(strncmp(text, HEADER, strlen(HEADER)) == 0, "write: header line");
	ok(strstr(text, " 1 css.min\n") != NULL, "write: <sha> <size> <path>");
	manifest_release(&built);
	manifest_release(&loaded);
}

/*
 * Makes `depth` nested directories of 250 'd's below directory `name` of
 * the test root, then file `leaf_len` 'f's in the deepest, so the file's
 * path in the template is depth * 251 + leaf_len bytes.  Works through
 * descriptors, as the whole path is longer than the kernel takes at once.
 */
static int
make_deep_file(const char *name, int depth, size_t leaf_len)
{
	char	path[PATH_MAX], segment[256], leaf[256];
	int	fd, next, i, rc = -1;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	memset(segment, 'd', 250);
	segment[250] = '\0';
	for (i = 0; i < depth; i++) {
		if (mkdirat(fd, segment, 0755) == -1 ||
		    (next = openat(fd, segment, O_RDONLY | O_DIRECTORY)) == -1)
			goto out;
		close(fd);
		fd = next;
	}
	memset(leaf, 'f', leaf_len);
	leaf[leaf_len] = '\0';
	if ((next = openat(fd, leaf, O_WRONLY | O_CREAT, 0644)) == -1)
		goto out;
	close(next);
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * The names of real app trees (SPEC 10) build, and survive a write/read
 * round trip: route groups, dynamic and catch-all segments, parallel
 * routes, dotfiles, spaces, quotes, '#', '%', UTF-8, 255-byte names and a
 * 4,096-byte path.
 */
static void
test_build_app_names(void)
{
	static const char *const names[] = {
		"app/(auth)/login/page.tsx",
		"app/@modal/default.tsx",
		"app/[...slug]/page.tsx",
		"app/reports/[id]/page.tsx",
		".eslintrc.json",
		".gitignore",
		"public/.well-known/security.txt",
		"public/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.txt",
		"public/#100% \"quoted\" 'name'.txt",
	};
	struct manifest	m, again;
	char		err[256] = "", path[PATH_MAX], long_name[256];
	FILE		*f;
	size_t		i;
	int		same;

	make_dir("next");
	make_dir("next/app");
	make_dir("next/app/(auth)");
	make_dir("next/app/(auth)/login");
	make_dir("next/app/@modal");
	make_dir("next/app/[...slug]");
	make_dir("next/app/reports");
	make_dir("next/app/reports/[id]");
	make_dir("next/public");
	make_dir("next/public/.well-known");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "next/%s", names[i]);
		write_file(path, names[i]);
	}
	memset(long_name, 'n', 255);
	long_name[255] = '\0';
	snprintf(path, sizeof(path), "next/public/%s", long_name);
	write_file(path, "x");

	manifest_init(&m);
	manifest_init(&again);
	is_int(build(&m, "next", err, sizeof(err)), 0,
	    "build: a Next.js-shaped tree succeeds");
	if (err[0] != '\0')
		diag("%s", err);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ok(manifest_find(&m, names[i]) != NULL, "build: lists %s",
		    names[i]);
	snprintf(path, sizeof(path), "public/%s", long_name);
	ok(manifest_find(&m, path) != NULL, "build: a 255-byte name");

	snprintf(path, sizeof(path), "%s/next.manifest", root);
	f = fopen(path, "w");
	ok(f != NULL && manifest_write(&m, f) == 0, "app names: write");
	if (f != NULL)
		fclose(f);
	is_int(manifest_read(&again, path, err, sizeof(err)), 0,
	    "app names: read back");
	same = again.count == m.count;
	for (i = 0; same && i < m.count; i++)
		same = strcmp(again.entries[i].path, m.entries[i].path) == 0 &&
		    memcmp(again.entries[i].sha256, m.entries[i].sha256,
		    32) == 0 && again.entries[i].size == m.entries[i].size;
	ok(same, "app names: every entry survives the round trip");

	make_dir("deep-ok");
	ok(make_deep_file("deep-ok", 16, 80) == 0,
	    "set up a 4,096-byte path");
	is_int(build(&m, "deep-ok", err, sizeof(err)), 0,
	    "build: a 4,096-byte path succeeds");
	ok(m.count == 1 && strlen(m.entries[0].path) == 4096,
	    "build: the 4,096-byte path is listed");
	manifest_release(&again);
	manifest_release(&m);
}

/* Names, symlinks and special files outside the rules fail the build. */
static void
test_build_refusals(void)
{
	static const struct {
		const char	*name;		/* in directory "bad<i>" */
		const char	*what;
		const char	*message;
	} bad_names[] = {
		{ "tab\tname", "a tab", "control character" },
		{ "bell\aname", "a control character", "control character" },
		{ "del\x7fname", "DEL", "control character" },
		{ "nl\nname", "a newline", "control character" },
		{ "bad\xc3(utf8", "invalid UTF-8", "invalid UTF-8" },
		{ "overlong\xc0\xaf", "overlong UTF-8", "invalid UTF-8" },
	};
	struct manifest	m;
	char		err[8192], path[PATH_MAX], dir[32];
	char		long_name[300];
	size_t		i;

	manifest_init(&m);

	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		snprintf(dir, sizeof(dir), "bad%zu", i);
		make_dir(dir);
		make_dir(strcat(strcpy(path, dir), "/sub"));
		snprintf(path, sizeof(path), "%s/sub/%s", dir,
		    bad_names[i].name);
		write_file(path, "x");
		err[0] = '\0';
		ok(build(&m, dir, err, sizeof(err)) == -1,
		    "build: a name with %s fails", bad_names[i].what);
		snprintf(path, sizeof(path), "sub/%s: ", bad_names[i].name);
		ok(strncmp(err, path, strlen(path)) == 0 &&
		    strstr(err, bad_names[i].message) != NULL,
		    "build: %s: message names the path and says \"%s\"",
		    bad_names[i].what, bad_names[i].message);
		is_int((long long)m.count, 0, "build: failure leaves it empty");
	}

	make_dir("link");
	write_file("link/real.txt", "x");
	snprintf(path, sizeof(path), "%s/link/alias.txt", root);
	symlink("real.txt", path);
	err[0] = '\0';
	is_int(build(&m, "link", err, sizeof(err)), -1,
	    "build: a symlink to a file fails");
	ok(strstr(err, "alias.txt") != NULL && strstr(err, "symbolic") != NULL,
	    "build: message names the symlink");

	make_dir("dirlink");
	make_dir("dirlink/real");
	snprintf(path, sizeof(path), "%s/dirlink/other", root);
	symlink("/etc", path);
	is_int(build(&m, "dirlink", err, sizeof(err)), -1,
	    "build: a symlink to a directory fails");

	make_dir("fifo");
	make_dir("fifo/app");
	snprintf(path, sizeof(path), "%s/fifo/app/pipe", root);
	mkfifo(path, 0644);
	err[0] = '\0';
	is_int(build(&m, "fifo", err, sizeof(err)), -1,
	    "build: a fifo fails");
	ok(strncmp(err, "app/pipe: ", 10) == 0 && strstr(err, "FIFO") != NULL,
	    "build: message names the FIFO (%s)", err);

	/* No file system holds a 256-byte name: judge it as the walk would. */
	memset(long_name, 'a', 252);
	snprintf(long_name + 252, sizeof(long_name) - 252, ".txt");
	ok(template_name_check(long_name, 256) != NULL &&
	    strstr(template_name_check(long_name, 256), "255") != NULL,
	    "a 256-byte name is refused");
	ok(template_name_check(long_name + 1, 255) == NULL,
	    "a 255-byte name is allowed");
	ok(template_name_check(".", 1) != NULL &&
	    template_name_check("..", 2) != NULL &&
	    template_name_check("...", 3) == NULL,
	    "\".\" and \"..\" are refused, \"...\" is a name");
	ok(template_name_check("a/b", 3) != NULL &&
	    template_name_check("a\0b", 3) != NULL,
	    "'/' and NUL are refused in a name");

	make_dir("deep-bad");
	ok(make_deep_file("deep-bad", 16, 81) == 0,
	    "set up a 4,097-byte path");
	err[0] = '\0';
	is_int(build(&m, "deep-bad", err, sizeof(err)), -1,
	    "build: a 4,097-byte path fails");
	ok(strncmp(err, "dddd", 4) == 0 && strstr(err, "ffff: path longer "
	    "than 4096 bytes") != NULL, "build: message names the long path");

	is_int(build(&m, "does-not-exist", err, sizeof(err)), -1,
	    "build: a missing directory fails");
	manifest_release(&m);
}

/* The reader accepts exactly the format and rejects the rest. */
static void
test_read_rejects(void)
{
	static const struct {
		const char	*text;
		const char	*name;
		const char	*message;
	} bad[] = {
		{ "", "empty file", "empty" },
		{ "# tenantd template manifest 2\n", "wrong header",
		  "line 1" },
		{ HEADER DIGEST " 5 a.txt", "no final newline", "truncated" },
		{ HEADER "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E"
		  "73043362938B9824 5 a.txt\n", "upper-case digest", "digest" },
		{ HEADER "2cf24dba 5 a.txt\n", "short digest", "line 2" },
		{ HEADER DIGEST "5 a.txt\n", "no space after the digest",
		  "line 2" },
		{ HEADER DIGEST " -1 a.txt\n", "negative size", "size" },
		{ HEADER DIGEST " 12a a.txt\n", "size with letters", "size" },
		{ HEADER DIGEST " 99999999999999999999 a.txt\n",
		  "size too large", "size" },
		{ HEADER DIGEST " 5\n", "no path", "line 2" },
		{ HEADER DIGEST " 5 ../a.txt\n", "dot-dot path", "path" },
		{ HEADER DIGEST " 5 /etc/passwd\n", "absolute path", "path" },
		{ HEADER DIGEST " 5 a//b.txt\n", "empty segment", "path" },
		{ HEADER DIGEST " 5 a/./b.txt\n", "dot segment", "path" },
		{ HEADER DIGEST " 5 a\tb.txt\n", "tab in path", "path" },
		{ HEADER DIGEST " 5 a\x01.txt\n", "control character", "path" },
		{ HEADER DIGEST " 5 caf\xc3.txt\n", "invalid UTF-8", "path" },
		{ HEADER DIGEST " 5 a/\n", "trailing slash", "path" },
		{ HEADER DIGEST " 5 b.txt\n" DIGEST " 5 a.txt\n", "unsorted",
		  "sorted" },
		{ HEADER DIGEST " 5 a.txt\n" DIGEST " 5 a.txt\n", "duplicate",
		  "duplicate" },
		{ HEADER DIGEST " 5 a.txt\n\n", "blank line", "line 3" },
	};
	struct manifest	m;
	char		err[256], long_line[512];
	size_t		i;

	manifest_init(&m);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		is_int(read_text(&m, bad[i].text, err, sizeof(err)), -1,
		    bad[i].name);
		ok(strstr(err, bad[i].message) != NULL && m.count == 0,
		    "%s: message mentions \"%s\" (%s)", bad[i].name,
		    bad[i].message, err);
	}

	is_int(read_text(&m, HEADER, err, sizeof(err)), 0,
	    "read: a header alone is an empty manifest");
	is_int((long long)m.count, 0, "read: no entries");
	is_int(read_text(&m, HEADER DIGEST " 5 a.txt\n" DIGEST " 5 a/b.txt\n"
	    DIGEST " 5 a0.txt\n", err, sizeof(err)), 0,
	    "read: strcmp order with a nested path");
	is_int((long long)m.count, 3, "read: three entries");

	is_int((long long)m.total_bytes, 15, "read: total bytes");
	ok(manifest_find(&m, "a/b.txt") != NULL, "read: find nested");
	is_int(read_text(&m, HEADER DIGEST " 5 .env\n" DIGEST " 5 a b/[id]/"
	    "#1 %20 \"q\".txt\n", err, sizeof(err)), 0,
	    "read: dotfiles, spaces, brackets, '#', '%' and quotes");
	ok(manifest_find(&m, "a b/[id]/#1 %20 \"q\".txt") != NULL,
	    "read: the path is kept as written");
	memset(long_line, 'a', sizeof(long_line));
	memcpy(long_line, HEADER DIGEST " 5 ", strlen(HEADER DIGEST " 5 "));
	snprintf(long_line + strlen(HEADER DIGEST " 5 ") + 256,
	    sizeof(long_line) - strlen(HEADER DIGEST " 5 ") - 256, "\n");
	err[0] = '\0';
	is_int(read_text(&m, long_line, err, sizeof(err)), -1,
	    "read: a 256-byte name is refused");
	ok(strstr(err, "path") != NULL, "read: message says path (%s)", err);
	is_int(manifest_read(&m, "/nonexistent/manifest", err, sizeof(err)),
	    -1, "read: a missing file fails");
	ok(strstr(err, "/nonexistent") == NULL,
	    "read: message names no absolute path");
	manifest_release(&m);
}

/* file_sha256_at() hashes regular files only, never through a symlink. */
static void
test_file_sha256_at(void)
{
	unsigned char	digest[32];
	char		hex[65], expected[65], path[PATH_MAX];
	uint64_t	size = 0;
	int		dirfd;

	make_dir("hash");
	make_dir("hash/sub");
	make_dir("hash/real");
	write_file("hash/sub/file.txt", "hello");
	write_file("hash/real/inner.txt", "inner");
	snprintf(path, sizeof(path), "%s/hash/link.txt", root);
	symlink("sub/file.txt", path);
	snprintf(path, sizeof(path), "%s/hash/linkdir", root);
	symlink("real", path);

	snprintf(path, sizeof(path), "%s/hash", root);
	dirfd = open(path, O_RDONLY | O_DIRECTORY);
	is_int(file_sha256_at(dirfd, "sub/file.txt", digest, &size), 0,
	    "sha256_at: regular file");
	sha256_hex(digest, hex);
	is_string(hex, DIGEST, "sha256_at: digest of \"hello\"");
	hex_of("hello", expected);
	is_string(hex, expected, "sha256_at: agrees with libsodium");
	is_int((long long)size, 5, "sha256_at: size");
	is_int(file_sha256_at(dirfd, "sub/missing.txt", digest, &size), 1,
	    "sha256_at: missing file is 1");
	is_int(file_sha256_at(dirfd, "nodir/file.txt", digest, &size), 1,
	    "sha256_at: missing directory is 1");
	is_int(file_sha256_at(dirfd, "sub", digest, &size), 1,
	    "sha256_at: a directory is 1");
	is_int(file_sha256_at(dirfd, "link.txt", digest, &size), 1,
	    "sha256_at: a symlinked file is 1");
	is_int(file_sha256_at(dirfd, "linkdir/inner.txt", digest, &size), 1,
	    "sha256_at: a path through a symlinked directory is 1");
	is_int(file_sha256_at(dirfd, "real/inner.txt", digest, &size), 0,
	    "sha256_at: the same file by its real path is 0");
	is_int(file_sha256_at(dirfd, "../hash/sub/file.txt", digest, &size), 1,
	    "sha256_at: a dot-dot path is refused");
	is_int(file_sha256_at(dirfd, "sub/file.txt/x", digest, &size), 1,
	    "sha256_at: a file used as a directory is 1");
	close(dirfd);
}

/* Runs every test on a fresh temporary directory, removed at the end. */
int
main(void)
{
	char	template[] = "/tmp/tenantd-manifest-XXXXXX";
	int	fd;

	if (sodium_init() < 0 || mkdtemp(template) == NULL) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	snprintf(root, sizeof(root), "%s", template);

	test_build();
	test_round_trip();
	test_build_app_names();
	test_build_refusals();
	test_read_rejects();
	test_file_sha256_at();

	if ((fd = open("/tmp", O_RDONLY | O_DIRECTORY)) != -1) {
		if (dir_remove_tree(fd, template + strlen("/tmp/")) == -1)
			diag("could not remove %s: %s", root, strerror(errno));
		close(fd);
	}
	done_testing();
	return exit_status();
}
