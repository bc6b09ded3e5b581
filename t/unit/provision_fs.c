/*
 * provision_fs.c - unit tests for the filesystem helpers of lib/folder.c
 * and lib/config_file.c on a private temporary directory: atomic writes
 * replace content and leave no temporary files, dir_remove_tree() removes
 * nested trees without ever following a symlink out of them, and
 * config_write_atomic_with() writes only inside a real tenant folder.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "config_file.h"
#include "folder.h"
#include "module.h"
#include "service.h"
#include "tap.h"
#include "tenant.h"

static char	root[PATH_MAX];

/* Reads file `name` under `dirfd` into `out` (NUL-terminated). */
static int
read_file(int dirfd, const char *name, char *out, size_t outlen)
{
	ssize_t	n;
	int	fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/* Writes `text` into file `path` (absolute). */
static int
write_text(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Number of entries other than "." and ".." in directory `name`. */
static int
count_entries(int dirfd, const char *name)
{
	DIR		*dir;
	struct dirent	*entry;
	int		 fd, count = 0;

	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((entry = readdir(dir)) != NULL)
		if (strcmp(entry->d_name, ".") != 0 &&
		    strcmp(entry->d_name, "..") != 0)
			count++;
	closedir(dir);
	return count;
}

/* Does `name` exist under `dirfd` (without following a last symlink)? */
static int
exists(int dirfd, const char *name)
{
	struct stat	st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Atomic writes: content, mode, replacement, no temporary files left. */
static void
test_file_write_atomic(int dirfd)
{
	struct stat	st;
	char		text[64];
	mode_t		old_mask;

	mkdirat(dirfd, "w", 0755);
	old_mask = umask(077);
	is_int(file_write_atomic(dirfd, "w/../w-file", "x", 1, 0644), -1,
	    "a name with a slash is refused");
	is_int(errno, EINVAL, "slash: EINVAL");

	is_int(file_write_atomic(dirfd, "first.txt", "hello", 5, 0644), 0,
	    "write a new file");
	read_file(dirfd, "first.txt", text, sizeof(text));
	is_string(text, "hello", "content written");
	fstatat(dirfd, "first.txt", &st, 0);
	is_int(st.st_mode & 07777, 0644, "mode is as given despite umask 077");

	is_int(file_write_atomic(dirfd, "first.txt", "replaced", 8, 0644), 0,
	    "write over an existing file");
	read_file(dirfd, "first.txt", text, sizeof(text));
	is_string(text, "replaced", "content replaced");

	is_int(file_write_atomic(dirfd, "empty.txt", "", 0, 0600), 0,
	    "an empty file can be written");
	fstatat(dirfd, "empty.txt", &st, 0);
	is_int(st.st_size, 0, "empty file is empty");
	is_int(st.st_mode & 07777, 0600, "empty file has its mode");

	is_int(file_write_atomic(dirfd, "w", "data", 4, 0644), -1,
	    "writing over a directory fails");
	umask(old_mask);

	is_int(count_entries(dirfd, "."), 3,
	    "only first.txt, empty.txt and w exist: no temporary files left");
}

/* Builds tree/a/b/c with files, and symlinks pointing outside of it. */
static void
make_tree(int dirfd)
{
	char	path[PATH_MAX + 64];

	mkdirat(dirfd, "outside", 0755);
	snprintf(path, sizeof(path), "%s/outside/precious.txt", root);
	write_text(path, "keep me");
	mkdirat(dirfd, "outside/dir", 0755);
	snprintf(path, sizeof(path), "%s/outside/dir/inner.txt", root);
	write_text(path, "keep me too");

	mkdirat(dirfd, "tree", 0755);
	mkdirat(dirfd, "tree/a", 0755);
	mkdirat(dirfd, "tree/a/b", 0700);
	mkdirat(dirfd, "tree/a/b/c", 0755);
	mkdirat(dirfd, "tree/empty", 0755);
	snprintf(path, sizeof(path), "%s/tree/top.txt", root);
	write_text(path, "top");
	snprintf(path, sizeof(path), "%s/tree/a/b/c/deep.txt", root);
	write_text(path, "deep");
	snprintf(path, sizeof(path), "%s/outside/precious.txt", root);
	symlinkat(path, dirfd, "tree/a/link-to-file");
	snprintf(path, sizeof(path), "%s/outside/dir", root);
	symlinkat(path, dirfd, "tree/a/b/link-to-dir");
	symlinkat("../../outside", dirfd, "tree/relative-link");
	mkfifoat(dirfd, "tree/a/fifo", 0600);
}

/* Tree removal: nested directories, symlinks left pointing, depth limit. */
static void
test_dir_remove_tree(int dirfd)
{
	char	name[32], path[PATH_MAX + 64];
	int	i, inner;

	make_tree(dirfd);
	is_int(dir_remove_tree(dirfd, "tree"), 0, "remove a nested tree");
	ok(!exists(dirfd, "tree"), "the tree is gone");
	ok(exists(dirfd, "outside/precious.txt"),
	    "a file a symlink pointed at is still there");
	ok(exists(dirfd, "outside/dir/inner.txt"),
	    "a directory a symlink pointed at keeps its content");

	is_int(dir_remove_tree(dirfd, "tree"), -1, "a missing tree fails");
	is_int(errno, ENOENT, "missing: ENOENT");
	is_int(dir_remove_tree(dirfd, ".."), -1, "\"..\" is refused");
	is_int(dir_remove_tree(dirfd, "outside/dir"), -1,
	    "a path with a slash is refused");
	ok(exists(dirfd, "outside/dir/inner.txt"), "refused: nothing removed");

	snprintf(path, sizeof(path), "%s/outside", root);
	symlinkat(path, dirfd, "link-tree");
	is_int(dir_remove_tree(dirfd, "link-tree"), 0,
	    "a tree that is itself a symlink: the link is removed");
	ok(!exists(dirfd, "link-tree"), "the link is gone");
	ok(exists(dirfd, "outside/precious.txt"), "its target is intact");

	mkdirat(dirfd, "deep", 0755);
	snprintf(path, sizeof(path), "deep");
	for (i = 0; i < 70; i++) {
		snprintf(name, sizeof(name), "/%d", i % 10);
		strncat(path, name, sizeof(path) - strlen(path) - 1);
		mkdirat(dirfd, path, 0755);
	}
	is_int(dir_remove_tree(dirfd, "deep"), -1,
	    "a tree deeper than the limit is refused, not overflowed");
	ok(exists(dirfd, "deep"), "the over-deep tree is still there");
	/* Ten levels down, the remaining sixty are within the limit. */
	inner = openat(dirfd, "deep/0/1/2/3/4/5/6/7/8/9",
	    O_RDONLY | O_DIRECTORY);
	is_int(dir_remove_tree(inner, "0"), 0, "sixty levels are removed");
	if (inner != -1)
		close(inner);
	is_int(dir_remove_tree(dirfd, "deep"), 0, "then the rest goes too");
}

/* config.json goes only into a real tenant folder, never through a symlink. */
static void
test_config_write(int dirfd)
{
	struct module_def	modules[] = {
		{ "employees", "Employee Management", "Manage your team",
		    "users", "/employees", 1, 1 },
	};
	struct module_catalog	catalog = { modules, 1 };
	struct conf		conf;
	struct service		svc;
	struct tenant		t;
	char			text[4096], path[PATH_MAX + 64];

	if (conf_init(&conf) == -1) {
		ok(0, "conf_init");
		return;
	}
	memset(&svc, 0, sizeof(svc));
	svc.conf = &conf;
	mkdirat(dirfd, "tenants", 0755);
	svc.tenants_dirfd = openat(dirfd, "tenants", O_RDONLY | O_DIRECTORY);
	mkdirat(svc.tenants_dirfd, "acme", 0755);

	tenant_init(&t);
	t.id = 3;
	t.name = "Acme";
	snprintf(t.subdomain, sizeof(t.subdomain), "acme");
	t.contact_email = "";
	is_int(config_write_atomic_with(&svc, &t, &catalog), 0,
	    "config.json written into the tenant folder");
	read_file(svc.tenants_dirfd, "acme/config.json", text, sizeof(text));
	ok(strncmp(text, "{\n  \"version\": 1,\n", 18) == 0,
	    "config.json is the rendered document");
	ok(strstr(text, "\"employees\": true") != NULL,
	    "config.json lists the modules");
	is_int(count_entries(svc.tenants_dirfd, "acme"), 2,
	    "only config.json and .gate/ in the folder");
	ok(exists(svc.tenants_dirfd, "acme/.gate/employees"),
	    "with the gate file of an enabled module");

	snprintf(t.subdomain, sizeof(t.subdomain), "ghost");
	is_int(config_write_atomic_with(&svc, &t, &catalog), -1,
	    "a missing tenant folder fails");
	ok(!exists(svc.tenants_dirfd, "ghost"), "and is not created");

	snprintf(path, sizeof(path), "%s/outside", root);
	symlinkat(path, svc.tenants_dirfd, "evil");
	snprintf(t.subdomain, sizeof(t.subdomain), "evil");
	is_int(config_write_atomic_with(&svc, &t, &catalog), -1,
	    "a tenant folder that is a symlink is refused");
	ok(!exists(dirfd, "outside/config.json"),
	    "nothing written through the symlink");

	snprintf(t.subdomain, sizeof(t.subdomain), "..");
	is_int(config_write_atomic_with(&svc, &t, &catalog), -1,
	    "an invalid subdomain is refused");
	is_int(errno, EINVAL, "invalid subdomain: EINVAL");
	ok(!exists(dirfd, "config.json"), "nothing written above tenants/");

	close(svc.tenants_dirfd);
	conf_release(&conf);
}

/* Removes the temporary directory `root` and everything in it. */
static void
clean_up(void)
{
	char	parent_path[PATH_MAX];
	char	*slash;
	int	parent;

	snprintf(parent_path, sizeof(parent_path), "%s", root);
	if ((slash = strrchr(parent_path, '/')) == NULL)
		return;
	*slash = '\0';
	parent = open(parent_path[0] != '\0' ? parent_path : "/",
	    O_RDONLY | O_DIRECTORY);
	if (parent == -1 || dir_remove_tree(parent, slash + 1) == -1)
		diag("could not clean up %s", root);
	if (parent != -1)
		close(parent);
}

/* Runs every test group and reports in TAP. */
int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	size_t		 len;
	int		 dirfd;

	if (sodium_init() < 0) {
		printf("Bail out! sodium_init failed\n");
		return 1;
	}
	/* mkdtemp() replaces the six trailing X characters. */
	snprintf(root, sizeof(root), "%s/tenantd-provision-fs-......",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	len = strlen(root);
	memset(root + len - 6, 'X', 6);
	if (mkdtemp(root) == NULL) {
		printf("1..0 # SKIP mkdtemp failed: %s\n", strerror(errno));
		return 0;
	}
	if ((dirfd = open(root, O_RDONLY | O_DIRECTORY)) == -1) {
		printf("1..0 # SKIP cannot open %s\n", root);
		return 0;
	}

	test_file_write_atomic(dirfd);
	test_dir_remove_tree(dirfd);
	test_config_write(dirfd);

	close(dirfd);
	clean_up();
	done_testing();
	return exit_status();
}
