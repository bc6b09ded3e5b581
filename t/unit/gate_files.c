/*
 * gate_files.c - unit tests for lib/gate_files.c, the module gate as files
 * (tenants/<sub>/.gate/<key>), and for file_write_atomic_newer(), on a
 * private temporary directory: the files follow config.json's "modules"
 * map, withdrawing never adds and publishing removes every other entry,
 * nothing follows a symlink, and a rewrite always moves config.json's
 * modification time into a new second.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "folder.h"
#include "gate_files.h"
#include "tap.h"

#define CONFIG_AB	"{\"version\": 1, \"modules\": {\"alpha\": true, " \
	"\"beta\": true, \"gamma\": false}}"
#define CONFIG_A	"{\"version\": 1, \"modules\": {\"alpha\": true, " \
	"\"beta\": false, \"gamma\": false}}"

static char	root[PATH_MAX];

/* Is `name` under `dirfd` a regular file (no symlink followed)? */
static int
is_file(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

/* Does `name` exist under `dirfd` (without following a last symlink)? */
static int
exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Creates the empty file `name` under `dirfd`. */
static void
touch(int dirfd, const char *name)
{
	int fd;

	if ((fd = openat(dirfd, name, O_WRONLY | O_CREAT, 0644)) != -1)
		close(fd);
}

/* Publishing, withdrawing, strays and comparing. */
static void
test_publish_withdraw(int folder)
{
	struct stat st;
	size_t missing, stray;
	mode_t old_mask;

	is_int(gate_files_withdraw(folder, CONFIG_AB, strlen(CONFIG_AB)), 0,
	    "withdraw without .gate/: nothing to do");
	ok(!exists(folder, GATE_FILES_DIR), "withdraw makes no .gate/");
	is_int(gate_files_compare(folder, CONFIG_AB, strlen(CONFIG_AB),
	    &missing, &stray), 0, "compare without .gate/");
	ok(missing == 2 && stray == 0, "both enabled modules are missing");

	old_mask = umask(077);
	is_int(gate_files_publish(folder, CONFIG_AB, strlen(CONFIG_AB), 1),
	    0, "publish");
	umask(old_mask);
	ok(is_file(folder, ".gate/alpha") && is_file(folder, ".gate/beta"),
	    "an empty file per enabled module");
	ok(!exists(folder, ".gate/gamma"), "none for a disabled module");
	fstatat(folder, ".gate/alpha", &st, 0);
	is_int(st.st_mode & 07777, 0644, "files readable by the web server "
	    "despite umask 077");
	fstatat(folder, ".gate", &st, 0);
	is_int(st.st_mode & 07777, 0755, ".gate/ searchable by it too");
	gate_files_compare(folder, CONFIG_AB, strlen(CONFIG_AB), &missing,
	    &stray);
	ok(missing == 0 && stray == 0, "compare: nothing to fix");
	is_int(gate_files_publish(folder, CONFIG_AB, strlen(CONFIG_AB), 1),
	    0, "publishing again changes nothing");

	is_int(gate_files_withdraw(folder, CONFIG_A, strlen(CONFIG_A)), 0,
	    "withdraw for a config.json that disables beta");
	ok(!exists(folder, ".gate/beta"), "beta's file is gone");
	ok(is_file(folder, ".gate/alpha"), "alpha's stays");

	is_int(gate_files_withdraw(folder, CONFIG_AB, strlen(CONFIG_AB)), 0,
	    "withdraw for a config.json that enables beta again");
	ok(!exists(folder, ".gate/beta"), "withdrawing never adds a file");
	is_int(gate_files_publish(folder, CONFIG_AB, strlen(CONFIG_AB), 0),
	    0, "publish without sync");
	ok(is_file(folder, ".gate/beta"), "beta's file is back");

	touch(folder, ".gate/gamma");
	touch(folder, ".gate/Not-A-Key");
	mkdirat(folder, ".gate/delta", 0755);
	gate_files_compare(folder, CONFIG_AB, strlen(CONFIG_AB), &missing,
	    &stray);
	ok(missing == 0 && stray == 3, "compare: three stray entries");
	is_int(gate_files_publish(folder, CONFIG_AB, strlen(CONFIG_AB), 1),
	    0, "publish removes them");
	ok(!exists(folder, ".gate/gamma") && !exists(folder, ".gate/Not-A-Key")
	    && !exists(folder, ".gate/delta"), "disabled module, bad name and "
	    "empty directory are gone");

	is_int(gate_files_withdraw(folder, "not json", 8), 0,
	    "bytes that are no config.json enable nothing");
	ok(!exists(folder, ".gate/alpha") && !exists(folder, ".gate/beta"),
	    "so every file is withdrawn");
}

/* Symlinks are never followed, in .gate/ or as .gate/ itself. */
static void
test_symlinks(int dirfd, int folder)
{
	char target[PATH_MAX + 32];
	size_t missing, stray;
	int other;

	mkdirat(dirfd, "outside", 0755);
	touch(dirfd, "outside/precious");
	snprintf(target, sizeof(target), "%s/outside/precious", root);
	gate_files_publish(folder, CONFIG_A, strlen(CONFIG_A), 1);
	unlinkat(folder, ".gate/alpha", 0);
	symlinkat(target, folder, ".gate/alpha");
	gate_files_compare(folder, CONFIG_A, strlen(CONFIG_A), &missing,
	    &stray);
	ok(missing == 1 && stray == 1, "a symlink in place of a file is "
	    "stray, and the file missing");
	is_int(gate_files_publish(folder, CONFIG_A, strlen(CONFIG_A), 1),
	    0, "publish replaces it");
	ok(is_file(folder, ".gate/alpha"), "by a file");
	ok(is_file(dirfd, "outside/precious"), "its target untouched");

	mkdirat(dirfd, "other", 0755);
	other = openat(dirfd, "other", O_RDONLY | O_DIRECTORY);
	snprintf(target, sizeof(target), "%s/outside", root);
	symlinkat(target, other, GATE_FILES_DIR);
	is_int(gate_files_publish(other, CONFIG_AB, strlen(CONFIG_AB), 1),
	    -1, "a .gate that is a symlink is refused");
	ok(!exists(dirfd, "outside/alpha"), "nothing written through it");
	is_int(gate_files_withdraw(other, CONFIG_A, strlen(CONFIG_A)), -1,
	    "withdraw refuses it too");
	ok(exists(dirfd, "outside/precious"), "and removes nothing through it");
	close(other);
}

/* file_write_atomic_newer(): a new second for every rewrite. */
static void
test_newer(int folder)
{
	struct stat before, after;
	struct timespec times[2];
	int i, increasing = 1;

	is_int(file_write_atomic_newer(folder, "config.json", "{}", 2, 0644),
	    0, "first write");
	for (i = 0; i < 5; i++) {
		fstatat(folder, "config.json", &before, AT_SYMLINK_NOFOLLOW);
		file_write_atomic_newer(folder, "config.json", "{}", 2, 0644);
		fstatat(folder, "config.json", &after, AT_SYMLINK_NOFOLLOW);
		if (after.st_mtim.tv_sec <= before.st_mtim.tv_sec)
			increasing = 0;
	}
	ok(increasing, "five rewrites of the same size in a row: each in a "
	    "later second than the one before");

	times[0].tv_sec = 0;
	times[0].tv_nsec = UTIME_OMIT;
	times[1].tv_sec = time(NULL) + 3600;
	times[1].tv_nsec = 0;
	utimensat(folder, "config.json", times, AT_SYMLINK_NOFOLLOW);
	file_write_atomic_newer(folder, "config.json", "{}", 2, 0644);
	fstatat(folder, "config.json", &after, AT_SYMLINK_NOFOLLOW);
	is_int(after.st_mtim.tv_sec, times[1].tv_sec + 1,
	    "a file dated ahead of the clock is followed by the next second");

	times[1].tv_sec = time(NULL) - 3600;
	utimensat(folder, "config.json", times, AT_SYMLINK_NOFOLLOW);
	file_write_atomic_newer(folder, "config.json", "{}", 2, 0644);
	fstatat(folder, "config.json", &after, AT_SYMLINK_NOFOLLOW);
	ok(after.st_mtim.tv_sec >= time(NULL) - 5,
	    "an old file is followed by the clock's time");
}

/* Runs every test group and reports in TAP. */
int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	size_t len;
	int dirfd, folder, parent;

	if (sodium_init() < 0) {
		printf("Bail out! sodium_init failed\n");
		return 1;
	}
	/* mkdtemp() replaces the six trailing X characters. */
	snprintf(root, sizeof(root), "%s/tenantd-gate-files-......",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	len = strlen(root);
	memset(root + len - 6, 'X', 6);
	if (mkdtemp(root) == NULL ||
	    (dirfd = open(root, O_RDONLY | O_DIRECTORY)) == -1 ||
	    mkdirat(dirfd, "acme", 0755) == -1 ||
	    (folder = openat(dirfd, "acme", O_RDONLY | O_DIRECTORY)) == -1) {
		printf("Bail out! cannot make a directory under %s: %s\n",
		    root, strerror(errno));
		return 1;
	}

	test_publish_withdraw(folder);
	test_symlinks(dirfd, folder);
	test_newer(folder);

	close(folder);
	close(dirfd);
	parent = open(tmp != NULL && tmp[0] == '/' ? tmp : "/tmp",
	    O_RDONLY | O_DIRECTORY);
	if (parent == -1 || dir_remove_tree(parent, strrchr(root, '/') + 1)
	    == -1)
		diag("could not clean up %s", root);
	if (parent != -1)
		close(parent);
	done_testing();
	return exit_status();
}
