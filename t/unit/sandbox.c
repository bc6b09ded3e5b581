/*
 * sandbox.c - unit tests for lib/sandbox.c: once confined, a process
 * (and its children) can create, change, rename and remove files beneath
 * the allowed directories only, still reads everywhere, and cannot escape
 * through a symlink.  The confinement cannot be undone, so the checks run
 * in a child process; the parent only cleans up the temporary tree.  An
 * allowed directory may be named through a symlink (a data volume).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "tap.h"

static char	root[256], allowed[512], outside[512];

/* Creates `name` under `dir` with `text`.  Returns 0, or an errno value. */
static int
create_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	int fd, saved;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return errno;
	if (write(fd, text, strlen(text)) == -1) {
		saved = errno;
		close(fd);
		return saved;
	}
	close(fd);
	return 0;
}

/* The errno of `result`: 0 when the call succeeded. */
static int
error_of(int result)
{
	return result == -1 ? errno : 0;
}

/* Every check on the confined side; runs in the child.  Returns its status. */
static int
confined_checks(void)
{
	const char *dirs[2];
	char err[1200], path[1024], other[1024], volume_link[1024], text[16];
	ssize_t got;
	pid_t pid;
	int fd, status, result;

	/* A bad directory is an error, and nothing is enforced after it. */
	snprintf(path, sizeof(path), "%s/missing", root);
	dirs[0] = path;
	result = sandbox_confine_writes(dirs, 1, err, sizeof(err));
	if (result == 0) {
		printf("1..0 # SKIP %s\n", err);
		return 0;
	}
	is_int(result, -1, "a missing directory is an error");
	ok(strstr(err, path) != NULL, "the message names it: %s", err);
	is_int(create_file(outside, "before", "x"), 0,
	    "and writes are not confined after the error");

	/* The second directory is named through a symlink onto a "volume". */
	snprintf(volume_link, sizeof(volume_link), "%s/volume-link", root);
	snprintf(other, sizeof(other), "%s/volume", root);
	if (mkdir(other, 0755) == -1 || symlink(other, volume_link) == -1) {
		ok(0, "setting up the volume symlink: %s", strerror(errno));
		done_testing();
		return exit_status();
	}
	dirs[0] = allowed;
	dirs[1] = volume_link;
	result = sandbox_confine_writes(dirs, 2, err, sizeof(err));
	is_int(result, 1, "writes are confined");
	if (result != 1) {
		diag("%s", err);
		done_testing();
		return exit_status();
	}

	is_int(create_file(allowed, "new", "x"), 0,
	    "a file can be created beneath the allowed directory");
	is_int(create_file(volume_link, "on-volume", "x"), 0,
	    "and beneath a directory named through a symlink");
	snprintf(path, sizeof(path), "%s/sub", allowed);
	is_int(error_of(mkdir(path, 0755)), 0,
	    "a directory can be made there");
	is_int(create_file(outside, "new", "x"), EACCES,
	    "creating a file elsewhere is refused");
	snprintf(path, sizeof(path), "%s/dir", outside);
	is_int(error_of(mkdir(path, 0755)), EACCES,
	    "making a directory elsewhere is refused");
	snprintf(path, sizeof(path), "%s/existing", outside);
	is_int(error_of(open(path, O_WRONLY | O_CLOEXEC)), EACCES,
	    "an existing file elsewhere cannot be opened for writing");
	is_int(error_of(truncate(path, 0)), EACCES,
	    "nor truncated");
	is_int(error_of(unlink(path)), EACCES, "nor removed");

	memset(text, 0, sizeof(text));
	got = -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		got = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	ok(got == 5 && strcmp(text, "kept\n") == 0,
	    "files elsewhere can still be read");

	snprintf(path, sizeof(path), "%s/new", allowed);
	snprintf(other, sizeof(other), "%s/sub/moved", allowed);
	is_int(error_of(rename(path, other)), 0,
	    "renames between allowed directories work");
	snprintf(path, sizeof(path), "%s/sub", allowed);
	snprintf(other, sizeof(other), "%s/swap", allowed);
	mkdir(other, 0755);
	is_int(error_of(renameat2(AT_FDCWD, path, AT_FDCWD, other,
	    RENAME_EXCHANGE)), 0, "and so do exchanges of directories");
	snprintf(path, sizeof(path), "%s/swap/moved", allowed);
	snprintf(other, sizeof(other), "%s/moved", outside);
	result = error_of(rename(path, other));
	ok(result == EACCES || result == EXDEV,
	    "moving a file out of the allowed tree is refused (errno %d)",
	    result);

	snprintf(path, sizeof(path), "%s/escape", allowed);
	is_int(error_of(symlink(outside, path)), 0,
	    "a symlink to elsewhere can be made inside");
	is_int(create_file(path, "through-link", "x"), EACCES,
	    "but writing through it is refused");

	fflush(stdout);
	if ((pid = fork()) == -1) {
		ok(0, "fork: %s", strerror(errno));
	} else if (pid == 0) {
		_exit(create_file(outside, "from-child", "x") == EACCES ? 0 : 1);
	} else {
		ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0,
		    "a forked child is confined too");
	}
	done_testing();
	return exit_status();
}

/* Removes the temporary tree (the parent is not confined). */
static void
cleanup(void)
{
	char command[300];

	snprintf(command, sizeof(command), "rm -rf '%s'", root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
}

int
main(void)
{
	const char *tmp;
	pid_t pid;
	int status;

	tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	snprintf(root, sizeof(root), "%s/sandbox-test.XXXXXX", tmp);
	if (mkdtemp(root) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(allowed, sizeof(allowed), "%s/allowed", root);
	snprintf(outside, sizeof(outside), "%s/outside", root);
	if (mkdir(allowed, 0755) == -1 || mkdir(outside, 0755) == -1 ||
	    create_file(outside, "existing", "kept\n") != 0) {
		printf("Bail out! setting up %s: %s\n", root, strerror(errno));
		cleanup();
		return 1;
	}

	fflush(stdout);
	if ((pid = fork()) == -1) {
		printf("Bail out! fork: %s\n", strerror(errno));
		cleanup();
		return 1;
	}
	if (pid == 0) {
		status = confined_checks();
		fflush(stdout);
		_exit(status);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		status = 1;
	else
		status = WEXITSTATUS(status);
	cleanup();
	return status;
}
