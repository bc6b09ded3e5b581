/*
 * template_store.c - unit tests for the checks and restores of stored
 * files in lib/template_store.c, on a private temporary directory: a
 * stored file is judged good, of the wrong mode, damaged (size or bytes),
 * missing or not a regular file; a restore from a good copy renames a new
 * file over the damaged one and leaves the damaged inode to its links
 * (and to the holding directory), while a bad copy changes nothing and
 * leaves no temporary file; adding a stored version again restores what
 * it lost; a manifest is rewritten only for its own version.
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

#include "deploy_copy.h"
#include "folder.h"
#include "manifest.h"
#include "tap.h"
#include "template_store.h"

#define CSS	"body { color: #123456; }\n"
#define PAGE	"<p>hello</p>\n"

static char		root[64];	/* the mkdtemp() directory */
static char		version[TEMPLATE_VERSION_LEN + 1];
static struct manifest	m;
static int		store = -1;

/* Writes `text` into `path` below the test root.  0 or -1. */
static int
write_file(const char *path, const char *text)
{
	char	full[PATH_MAX];
	FILE	*f;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	if ((f = fopen(full, "w")) == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The full path of `path` in the stored version's tree. */
static const char *
stored(const char *path)
{
	static char	full[PATH_MAX];

	snprintf(full, sizeof(full), "%s/tenants/%s/%s/%s/%s", root,
	    TEMPLATE_STORE_DIR, version, TEMPLATE_STORE_TREE, path);
	return full;
}

/* Appends `text` to the file at `full`, whatever its mode. */
static int
append(const char *full, const char *text)
{
	struct stat	st;
	FILE		*f;

	if (stat(full, &st) == -1 || chmod(full, 0644) == -1 ||
	    (f = fopen(full, "a")) == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) == EOF)
		return -1;
	return chmod(full, st.st_mode & 07777);
}

/* Judges manifest entry `path` of the stored version afresh. */
static int
judge(const char *path)
{
	struct dir_cursor	c;
	struct stat		st;
	int			tree, state;

	if ((tree = template_store_tree(store, version)) == -1)
		return -1;
	dir_cursor_init(&c, tree, 0);
	state = template_store_check_file(&c, manifest_find(&m, path), &st);
	dir_cursor_close(&c);
	close(tree);
	return state;
}

/* template_store_chmod_file() of manifest entry `path`.  0 or -1. */
static int
chmod_stored(const char *path)
{
	struct dir_cursor	c;
	int			tree, rc;

	if ((tree = template_store_tree(store, version)) == -1)
		return -1;
	dir_cursor_init(&c, tree, 0);
	rc = template_store_chmod_file(&c, manifest_find(&m, path));
	dir_cursor_close(&c);
	close(tree);
	return rc;
}

/* Changes the first byte of the file at `full` in place.  0 or -1. */
static int
overwrite_first_byte(const char *full)
{
	struct stat	st;
	int		fd, rc = -1;

	if (stat(full, &st) == -1 || chmod(full, 0644) == -1)
		return -1;
	if ((fd = open(full, O_WRONLY)) != -1) {
		if (pwrite(fd, "B", 1, 0) == 1)
			rc = 0;
		close(fd);
	}
	if (chmod(full, st.st_mode & 07777) == -1)
		rc = -1;
	return rc;
}

/*
 * Restores `path` of the stored version from `source_path` below the
 * test root, holding the damaged file in `holding` (or -1).
 */
static int
restore(const char *path, const char *source_path, int holding)
{
	const struct manifest_entry	*e = manifest_find(&m, path);
	struct dir_cursor		 c;
	char				 full[PATH_MAX];
	int				 tree, source, rc;

	snprintf(full, sizeof(full), "%s/%s", root, source_path);
	if ((tree = template_store_tree(store, version)) == -1)
		return -2;
	if ((source = open(full, O_RDONLY)) == -1) {
		close(tree);
		return -2;
	}
	dir_cursor_init(&c, tree, 1);
	rc = template_store_restore_file(&c, e, (size_t)(e - m.entries),
	    source, holding);
	dir_cursor_close(&c);
	close(source);
	close(tree);
	return rc;
}

/* How many entries of directory `full` start with `prefix`. */
static int
count_entries(const char *full, const char *prefix)
{
	DIR		*dir;
	struct dirent	*entry;
	int		 count = 0;

	if ((dir = opendir(full)) == NULL)
		return -1;
	while ((entry = readdir(dir)) != NULL)
		if (strncmp(entry->d_name, prefix, strlen(prefix)) == 0)
			count++;
	closedir(dir);
	return count;
}

static ino_t
inode_of(const char *full)
{
	struct stat	st;

	return lstat(full, &st) == 0 ? st.st_ino : 0;
}

static nlink_t
links_of(const char *full)
{
	struct stat	st;

	return lstat(full, &st) == 0 ? st.st_nlink : 0;
}

/* The template, its manifest and the stored version. */
static int
set_up(void)
{
	char	path[PATH_MAX], err[256];
	int	tenants;

	snprintf(path, sizeof(path), "%s/template", root);
	if (mkdir(path, 0755) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/template/css", root);
	if (mkdir(path, 0755) == -1 || write_file("template/index.html",
	    PAGE) == -1 || write_file("template/css/site.css", CSS) == -1 ||
	    write_file("other.css", "body { color: red; }\n\n\n") == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/tenants", root);
	if (mkdir(path, 0755) == -1 ||
	    (tenants = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	store = template_store_open(tenants, 1);
	close(tenants);
	snprintf(path, sizeof(path), "%s/template", root);
	manifest_init(&m);
	if (store == -1 || manifest_build(&m, path, err, sizeof(err)) == -1 ||
	    template_version_of(&m, version) == -1 ||
	    template_store_add(store, path, &m, version, err,
	    sizeof(err)) != 1) {
		diag("set up: %s", err);
		return -1;
	}
	return 0;
}

static void
test_check(void)
{
	char	full[PATH_MAX];

	is_int(judge("index.html"), TEMPLATE_FILE_GOOD, "a stored file is good");
	is_int(judge("css/site.css"), TEMPLATE_FILE_GOOD, "... every one");

	chmod(stored("index.html"), 0644);
	is_int(judge("index.html"), TEMPLATE_FILE_MODE, "mode 0644 is found");
	ok(chmod_stored("index.html") == 0, "template_store_chmod_file: 0");
	is_int(judge("index.html"), TEMPLATE_FILE_GOOD, "... and 0444 again");

	ok(append(stored("index.html"), "more\n") == 0, "(appended)");
	is_int(judge("index.html"), TEMPLATE_FILE_DAMAGED,
	    "a file of another size is damaged");

	snprintf(full, sizeof(full), "%s", stored("css/site.css"));
	ok(overwrite_first_byte(full) == 0, "(one byte changed)");
	is_int(judge("css/site.css"), TEMPLATE_FILE_DAMAGED,
	    "a file of the right size with other bytes is damaged");
}

static void
test_restore(void)
{
	char	linked[PATH_MAX], held_path[PATH_MAX], name[NAME_MAX + 1];
	char	held_version[TEMPLATE_VERSION_LEN + 1];
	ino_t	damaged;
	int	holding;

	/* A tenant's hard link to the damaged stored file. */
	snprintf(linked, sizeof(linked), "%s/tenant-site.css", root);
	ok(link(stored("css/site.css"), linked) == 0, "(a tenant links it)");
	damaged = inode_of(linked);

	holding = template_store_hold(store, version, name, sizeof(name));
	ok(holding != -1, "template_store_hold makes a holding directory");
	ok(template_store_held_version(name, held_version) == 1 &&
	    strcmp(held_version, version) == 0, "... named after the version");

	is_int(restore("css/site.css", "other.css", holding), 0,
	    "a copy with other bytes is not restored");
	ok(inode_of(stored("css/site.css")) == damaged,
	    "... the stored file is left as it was");
	snprintf(held_path, sizeof(held_path), "%s/tenants/%s/%s/%s", root,
	    TEMPLATE_STORE_DIR, version, TEMPLATE_STORE_TREE);
	snprintf(held_path + strlen(held_path), sizeof(held_path) -
	    strlen(held_path), "/css");
	is_int(count_entries(held_path, TEMPLATE_STORE_RESTORE_PREFIX), 0,
	    "... and no temporary file is left");

	is_int(restore("css/site.css", "template/css/site.css", holding), 1,
	    "a good copy is restored");
	is_int(judge("css/site.css"), TEMPLATE_FILE_GOOD, "... the file is good");
	ok(inode_of(stored("css/site.css")) != damaged,
	    "... as a new inode renamed over the damaged one");
	ok(inode_of(linked) == damaged && links_of(linked) == 2,
	    "... the tenant keeps the damaged inode, held once more");
	snprintf(held_path, sizeof(held_path), "%s/tenants/%s/%s/%zu", root,
	    TEMPLATE_STORE_DIR, name,
	    (size_t)(manifest_find(&m, "css/site.css") - m.entries));
	ok(inode_of(held_path) == damaged, "... in the holding directory");

	/* A symlink, then a missing directory, where a file should be. */
	unlink(stored("index.html"));
	ok(symlink("/etc/passwd", stored("index.html")) == 0, "(a symlink)");
	is_int(judge("index.html"), TEMPLATE_FILE_NOT_REGULAR,
	    "a symlink in a file's place is not a regular file");
	is_int(restore("index.html", "template/index.html", -1), 1,
	    "... and is replaced by a restore");
	is_int(judge("index.html"), TEMPLATE_FILE_GOOD, "... with the file");

	unlink(stored("css/site.css"));
	is_int(judge("css/site.css"), TEMPLATE_FILE_MISSING,
	    "a removed file is missing");
	snprintf(held_path, sizeof(held_path), "%s/tenants/%s/%s/%s/css", root,
	    TEMPLATE_STORE_DIR, version, TEMPLATE_STORE_TREE);
	rmdir(held_path);
	is_int(restore("css/site.css", "template/css/site.css", -1), 1,
	    "a restore makes the missing directory on the way");
	is_int(judge("css/site.css"), TEMPLATE_FILE_GOOD, "... and the file");
	close(holding);

	ok(template_store_held_version(".repairing-0123", held_version) == 0 &&
	    template_store_held_version(".adding-0123456789ab-0123456789abcdef",
	    held_version) == 0 && template_store_held_version(
	    ".repairing-0123456789ab-0123456789abcdeg", held_version) == 0,
	    "other names are no holding directory's");
}

static void
test_add_again(void)
{
	char	path[PATH_MAX], err[256], full[PATH_MAX];

	snprintf(path, sizeof(path), "%s/template", root);
	is_int(template_store_add(store, path, &m, version, err, sizeof(err)),
	    0, "adding an intact stored version again: 0");
	ok(append(stored("index.html"), "damage\n") == 0, "(damaged)");
	is_int(template_store_add(store, path, &m, version, err, sizeof(err)),
	    2, "adding it again after a damage: 2");
	is_int(judge("index.html"), TEMPLATE_FILE_GOOD, "... the file restored");
	snprintf(full, sizeof(full), "%s/tenants/%s", root, TEMPLATE_STORE_DIR);
	ok(count_entries(full, TEMPLATE_STORE_REPAIRING_PREFIX) >= 1,
	    "... the damaged one held for the tenants' redeploy");
}

static void
test_manifest(void)
{
	struct manifest	other, read_back;
	char		full[PATH_MAX], err[256];

	manifest_init(&other);
	manifest_init(&read_back);
	snprintf(full, sizeof(full), "%s/tenants/%s/%s/%s", root,
	    TEMPLATE_STORE_DIR, version, TEMPLATE_STORE_MANIFEST);
	ok(append(full, "# junk\n") == 0, "(the stored manifest damaged)");
	ok(template_store_manifest(store, version, &read_back, err,
	    sizeof(err)) == -1, "a damaged manifest does not read");
	manifest_release(&read_back);
	snprintf(full, sizeof(full), "%s/template", root);
	if (manifest_build(&other, full, err, sizeof(err)) == -1) {
		ok(0, "manifest_build: %s", err);
		return;
	}
	other.entries[0].size++;
	errno = 0;
	ok(template_store_write_manifest(store, version, &other) == -1 &&
	    errno == EINVAL, "another version's manifest is not written");
	ok(template_store_write_manifest(store, version, &m) == 0,
	    "the version's own manifest is written");
	ok(template_store_manifest(store, version, &read_back, err,
	    sizeof(err)) == 0, "... and reads back");
	manifest_release(&read_back);
	manifest_release(&other);
}

int
main(void)
{
	char	template[] = "/tmp/tenantd-template-store-XXXXXX";
	int	fd;

	if (sodium_init() < 0 || mkdtemp(template) == NULL) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	snprintf(root, sizeof(root), "%s", template);
	if (set_up() == -1) {
		printf("Bail out! cannot store the test template\n");
		return 1;
	}

	test_check();
	test_restore();
	test_add_again();
	test_manifest();

	close(store);
	manifest_release(&m);
	if ((fd = open("/tmp", O_RDONLY | O_DIRECTORY)) != -1) {
		if (dir_remove_tree(fd, template + strlen("/tmp/")) == -1)
			diag("could not remove %s: %s", root, strerror(errno));
		close(fd);
	}
	done_testing();
	return exit_status();
}
