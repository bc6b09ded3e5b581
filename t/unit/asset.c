/*
 * asset.c - unit tests for lib/asset.c: every rule of the asset path
 * check (raw and percent-encoded traversal, NUL, backslash, overlong
 * UTF-8, hidden names, lengths), the O_NOFOLLOW walk on a private
 * temporary tree with symlinks planted in it, and the encoding of a path
 * for the web server.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asset.h"
#include "tap.h"

static char	root[1024];	/* short, so every path built from it fits */

/* Decodes `raw` and checks that it is accepted as `expected`. */
static void
accepts(const char *raw, const char *expected)
{
	char out[ASSET_PATH_MAX + 1];
	const char *reason;

	reason = asset_path_decode(raw, strlen(raw), out);
	if (!ok(reason == NULL, "accepted: %s", raw))
		diag("refused: %s", reason);
	else
		is_string(out, expected, "  decodes to the expected path");
}

/* Decodes `len` bytes of `raw` and checks that they are refused. */
static void
refuses_len(const char *raw, size_t len, const char *name)
{
	char out[ASSET_PATH_MAX + 1];
	const char *reason;

	reason = asset_path_decode(raw, len, out);
	if (!ok(reason != NULL, "refused: %s", name))
		diag("accepted as '%s'", out);
}

static void
refuses(const char *raw)
{
	refuses_len(raw, strlen(raw), raw);
}

/* Writes `text` into `path` below the test root. */
static int
write_text(const char *path, const char *text)
{
	char full[PATH_MAX];
	FILE *f;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	if ((f = fopen(full, "w")) == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Creates directory `path` below the test root. */
static int
make_dir(const char *path)
{
	char full[PATH_MAX];

	snprintf(full, sizeof(full), "%s/%s", root, path);
	return mkdir(full, 0755);
}

/* Plants a symlink `path` (below the test root) pointing at `target`. */
static int
make_link(const char *target, const char *path)
{
	char full[PATH_MAX];

	snprintf(full, sizeof(full), "%s/%s", root, path);
	return symlink(target, full);
}

/* Removes the test tree. */
static void
cleanup(void)
{
	char command[PATH_MAX + 16];

	if (root[0] == '\0')
		return;
	snprintf(command, sizeof(command), "rm -rf '%s'", root);
	if (system(command) != 0)
		diag("could not remove %s", root);
}

static void
test_path_rules(void)
{
	char long_segment[ASSET_SEGMENT_MAX + 2];
	char long_path[ASSET_PATH_MAX + 2];
	char ok_segment[ASSET_SEGMENT_MAX + 1];
	size_t i;

	accepts("logo.png", "logo.png");
	accepts("css/site.css", "css/site.css");
	accepts("a%20b.txt", "a b.txt");
	accepts("a+b.txt", "a+b.txt");
	accepts("%252e%252e/x", "%2e%2e/x");
	accepts("%252e", "%2e");
	accepts("caf%C3%A9.png", "caf\xc3\xa9.png");
	accepts("dir.with.dots/file..name", "dir.with.dots/file..name");
	accepts("a-b_c~d", "a-b_c~d");

	refuses("");
	refuses("/etc/passwd");
	refuses("//etc/passwd");
	refuses("%2Fetc%2Fpasswd");
	refuses("%2F");
	refuses("a//b");
	refuses("a/");
	refuses("a%2F");
	refuses("a%2F%2Fb");
	refuses(".");
	refuses("..");
	refuses("../x");
	refuses("../../etc/passwd");
	refuses("a/../../x");
	refuses("a/./b");
	refuses("%2e%2e/x");
	refuses("%2E%2E/x");
	refuses("%2e%2e%2fx");
	refuses("..%2fx");
	refuses("..%2Fx");
	refuses("a%2F..%2F..%2Fb");
	refuses("%2e");
	refuses(".env");
	refuses("a/.git/config");
	refuses(".hidden/x");
	refuses("%2ehidden");
	refuses("%00");
	refuses("logo.png%00.txt");
	refuses_len("a\0b", 3, "a raw NUL byte");
	refuses("a\\b");
	refuses("..\\x");
	refuses("%5c..%5cx");
	refuses("a%5Cb");
	refuses("%c0%ae%c0%ae/x");
	refuses("%c0%ae");
	refuses("a%c0%afb");
	refuses("%e0%80%ae");
	refuses("%ff");
	refuses("%ed%a0%80");
	refuses("a%01b");
	refuses("a%0ab");
	refuses("a%0db");
	refuses("a%09b");
	refuses("a%7fb");
	refuses("%");
	refuses("%4");
	refuses("%zz");
	refuses("a%g0");

	memset(ok_segment, 'a', ASSET_SEGMENT_MAX);
	ok_segment[ASSET_SEGMENT_MAX] = '\0';
	accepts(ok_segment, ok_segment);
	memset(long_segment, 'a', ASSET_SEGMENT_MAX + 1);
	long_segment[ASSET_SEGMENT_MAX + 1] = '\0';
	refuses_len(long_segment, strlen(long_segment),
	    "a segment of 256 bytes");
	for (i = 0; i < ASSET_PATH_MAX + 1; i++)
		long_path[i] = (i % 100 == 99) ? '/' : 'b';
	long_path[ASSET_PATH_MAX + 1] = '\0';
	refuses_len(long_path, strlen(long_path), "a path of 1025 bytes");
	long_path[ASSET_PATH_MAX] = '\0';
	ok(asset_path_check(long_path, ASSET_PATH_MAX) == NULL,
	    "a path of exactly 1024 bytes is accepted");

	is_string(asset_path_check("../x", 4), "dot segment",
	    "the reason for '..' is given");
	is_string(asset_path_check(".env", 4), "hidden name",
	    "the reason for a hidden name is given");
	is_string(asset_path_check("/x", 2), "absolute path",
	    "the reason for an absolute path is given");
}

static void
test_walk(void)
{
	char path[PATH_MAX];
	struct stat st;
	int tenants = -1, fd = -1, rc;

	if (!ok(make_dir("tenants") == 0 && make_dir("tenants/acme") == 0 &&
	    make_dir("tenants/acme/public") == 0 &&
	    make_dir("tenants/acme/public/css") == 0 &&
	    make_dir("tenants/other") == 0 &&
	    make_dir("tenants/other/public") == 0 &&
	    write_text("tenants/acme/config.json", "{}\n") == 0 &&
	    write_text("tenants/acme/public/index.html", "<p>hi</p>\n") == 0 &&
	    write_text("tenants/acme/public/css/site.css", "p{}\n") == 0 &&
	    write_text("tenants/other/public/secret.txt", "other\n") == 0 &&
	    write_text("secret.txt", "outside\n") == 0,
	    "the test tree is built"))
		return;
	ok(make_link("/etc/passwd", "tenants/acme/public/passwd") == 0 &&
	    make_link("../../other/public/secret.txt",
	    "tenants/acme/public/other.txt") == 0 &&
	    make_link("../../other/public", "tenants/acme/public/otherdir") ==
	    0 && make_link("css", "tenants/acme/public/style") == 0,
	    "symlinks are planted in public/");
	snprintf(path, sizeof(path), "%s/tenants/acme/public/pipe", root);
	ok(mkfifo(path, 0644) == 0, "a FIFO is planted in public/");

	snprintf(path, sizeof(path), "%s/tenants", root);
	tenants = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!ok(tenants != -1, "the tenants directory opens"))
		return;

	rc = asset_open(tenants, "acme", "index.html", &fd, &st);
	ok(rc == 1 && fd != -1 && S_ISREG(st.st_mode) && st.st_size == 10,
	    "a file of public/ opens");
	if (fd != -1)
		close(fd);
	fd = -1;
	rc = asset_open(tenants, "acme", "css/site.css", &fd, &st);
	ok(rc == 1 && st.st_size == 4, "a file in a subdirectory opens");
	if (fd != -1)
		close(fd);
	fd = -1;

	is_int(asset_open(tenants, "acme", "missing.png", &fd, &st), 0,
	    "a missing file is not found");
	is_int(fd, -1, "  and no descriptor is returned");
	is_int(asset_open(tenants, "acme", "passwd", &fd, &st), 0,
	    "a symlink to /etc/passwd is not followed");
	is_int(asset_open(tenants, "acme", "other.txt", &fd, &st), 0,
	    "a symlink to another tenant's file is not followed");
	is_int(asset_open(tenants, "acme", "otherdir/secret.txt", &fd, &st), 0,
	    "a symlinked directory is not followed");
	is_int(asset_open(tenants, "acme", "style/site.css", &fd, &st), 0,
	    "a symlinked directory inside public/ is not followed either");
	is_int(asset_open(tenants, "acme", "css", &fd, &st), 0,
	    "a directory is not served");
	is_int(asset_open(tenants, "acme", "pipe", &fd, &st), 0,
	    "a FIFO is not served (and opening it does not block)");
	is_int(asset_open(tenants, "acme", "index.html/x", &fd, &st), 0,
	    "a file used as a directory is not found");
	is_int(asset_open(tenants, "acme", "../config.json", &fd, &st), 0,
	    "config.json next to public/ is out of reach");
	is_int(asset_open(tenants, "acme", "../../secret.txt", &fd, &st), 0,
	    "a file above the tenants directory is out of reach");
	is_int(asset_open(tenants, "nobody", "index.html", &fd, &st), 0,
	    "an unknown tenant has no files");
	is_int(asset_open(tenants, "..", "secret.txt", &fd, &st), 0,
	    "'..' as a subdomain is refused");
	is_int(asset_open(tenants, "Acme", "index.html", &fd, &st), 0,
	    "an upper-case subdomain is refused");
	is_int(asset_open_at(tenants, "acme/public/index.html", &fd, &st), 1,
	    "asset_open_at walks several directories");
	if (fd != -1)
		close(fd);
	fd = -1;
	is_int(asset_open_at(tenants, "acme/public/../config.json", &fd, &st),
	    0, "asset_open_at checks its path itself");
	close(tenants);
}

/* The percent-encoding of a checked path for the web server's offload. */
static void
test_encode(void)
{
	char encoded[64];

	ok(asset_path_encode("a b/caf\xc3\xa9.css", encoded,
	    sizeof(encoded)) == 0, "a path encodes");
	is_string(encoded, "a%20b/caf%C3%A9.css", "  with %XX for unsafe bytes");
	ok(asset_path_encode("%2e+x", encoded, sizeof(encoded)) == 0,
	    "'%%' and '+' encode");
	is_string(encoded, "%252e%2Bx", "  so the web server decodes them back");
	ok(asset_path_encode("abcdef", encoded, 6) == -1,
	    "a path that does not fit is refused");
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/tenantd-asset-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		root[0] = '\0';
		plan(1);
		ok(0, "mkdtemp: %s", strerror(errno));
		return exit_status();
	}
	test_path_rules();
	test_walk();
	test_encode();
	cleanup();
	done_testing();
	return exit_status();
}
