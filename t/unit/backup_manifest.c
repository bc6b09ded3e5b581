/*
 * backup_manifest.c - unit tests for lib/backup_manifest.c and
 * lib/program.c on a private temporary directory: a manifest written from
 * measured parts reads back member for member and verifies; a changed or
 * missing part is named; every malformed manifest is refused with its
 * reason; and program_run() tells a success, a failure, a status allowed
 * to the caller, a signal and a program not found apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "backup_manifest.h"
#include "folder.h"
#include "program.h"
#include "tap.h"

#define DIGEST	"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static int	root_fd = -1;	/* the mkdtemp() directory */

/* Writes `text` into file `name` of the test directory: 0 or -1. */
static int
put(const char *name, const char *text)
{
	return file_write_atomic(root_fd, name, text, strlen(text), 0600);
}

/* A manifest with the members given, the rest valid. */
static void
put_manifest(const char *format, const char *tenants_member,
    const char *sha256, const char *bytes)
{
	char	text[2048];

	snprintf(text, sizeof(text), "{\"format\": %s, "
	    "\"tenantd_version\": \"0.1.0\", \"schema_level\": 7, "
	    "\"created_at\": \"2026-12-02T14:00:00Z\", "
	    "\"tenants_member\": \"%s\", \"archive_member\": \"srv/archive\", "
	    "\"parts\": {\"database.sql\": {\"bytes\": %s, \"sha256\": \"%s\"}, "
	    "\"files.tar\": {\"bytes\": 5, \"sha256\": \"" DIGEST "\"}}}",
	    format, tenants_member, bytes, sha256);
	if (put(BACKUP_MANIFEST, text) == -1)
		diag("cannot write the manifest: %s", strerror(errno));
}

/* Whether reading the manifest fails with a message holding `needle`. */
static void
read_refused(const char *needle, const char *name)
{
	struct backup_manifest	m;
	char			err[512] = "";

	ok(backup_manifest_read(root_fd, &m, err, sizeof(err)) == -1 &&
	    strstr(err, needle) != NULL, "%s", name);
	if (strstr(err, needle) == NULL)
		diag("message: %s", err);
}

static void
test_round_trip(void)
{
	struct backup_manifest	m, back;
	char			err[512];
	size_t			i;

	backup_manifest_init(&m);
	m.schema_level = 7;
	snprintf(m.tenantd_version, sizeof(m.tenantd_version), "0.1.0");
	snprintf(m.created_at, sizeof(m.created_at), "2026-12-02T14:00:00Z");
	snprintf(m.tenants_member, sizeof(m.tenants_member), "srv/tenants");
	snprintf(m.archive_member, sizeof(m.archive_member), "srv/archive");
	ok(put(BACKUP_DATABASE, "-- dump\n") == 0 &&
	    put(BACKUP_FILES, "hello") == 0, "parts written");
	for (i = 0; i < BACKUP_PART_COUNT; i++)
		ok(backup_part_measure(root_fd, &m.parts[i], err,
		    sizeof(err)) == 0, "part %s measured", m.parts[i].name);
	is_string(m.parts[1].sha256, DIGEST, "the SHA-256 of files.tar");
	is_int((long long)m.parts[1].bytes, 5, "its size");
	ok(backup_manifest_write(root_fd, &m, err, sizeof(err)) == 0,
	    "manifest written");
	ok(backup_manifest_read(root_fd, &back, err, sizeof(err)) == 0,
	    "manifest read back");
	is_int(back.format, BACKUP_FORMAT, "format");
	is_int(back.schema_level, 7, "schema_level");
	is_string(back.tenantd_version, "0.1.0", "tenantd_version");
	is_string(back.created_at, m.created_at, "created_at");
	is_string(back.tenants_member, "srv/tenants", "tenants_member");
	is_string(back.archive_member, "srv/archive", "archive_member");
	is_string(back.parts[0].sha256, m.parts[0].sha256, "database.sql's SHA-256");
	ok(backup_manifest_verify(root_fd, &back, err, sizeof(err)) == 0,
	    "the parts verify");

	put(BACKUP_FILES, "hellO");
	ok(backup_manifest_verify(root_fd, &back, err, sizeof(err)) == -1 &&
	    strstr(err, "files.tar is damaged") != NULL,
	    "a changed byte is found: %s", err);
	unlinkat(root_fd, BACKUP_DATABASE, 0);
	ok(backup_manifest_verify(root_fd, &back, err, sizeof(err)) == -1 &&
	    strstr(err, "database.sql is missing") != NULL,
	    "a missing part is named: %s", err);
}

/* Manifests with one member wrong, and what the refusal says. */
static const struct bad_manifest {
	const char	*format, *tenants_member, *sha256, *bytes;
	const char	*needle, *name;
} bad_manifests[] = {
	{ "2", "srv/tenants", DIGEST, "5",
	  "format 2, this tenantctl reads format 1", "format 2" },
	{ "\"1\"", "srv/tenants", DIGEST, "5",
	  "no \"format\"", "format as a string" },
	{ "1", "../tenants", DIGEST, "5", "malformed", "a member path with .." },
	{ "1", "/srv/tenants", DIGEST, "5", "malformed",
	  "an absolute member path" },
	{ "1", "srv//tenants", DIGEST, "5", "malformed", "an empty segment" },
	{ "1", "srv/./tenants", DIGEST, "5", "malformed", "a . segment" },
	{ "1", "srv/tenants", "2CF24DBA", "5", "part database.sql",
	  "a short, upper-case SHA-256" },
	{ "1", "srv/tenants", DIGEST, "-1", "part database.sql",
	  "a negative size" },
	{ "1", "srv/tenants", DIGEST, "1.5", "part database.sql",
	  "a fractional size" }
};

static void
test_read_refusals(void)
{
	const struct bad_manifest	*b;
	size_t				 i;

	unlinkat(root_fd, BACKUP_MANIFEST, 0);
	read_refused("not a complete backup", "no manifest");
	put(BACKUP_MANIFEST, "{\"format\": 1,");
	read_refused("malformed JSON", "truncated JSON");
	put(BACKUP_MANIFEST, "[]");
	read_refused("no \"format\"", "not an object");
	for (i = 0; i < sizeof(bad_manifests) / sizeof(bad_manifests[0]);
	    i++) {
		b = &bad_manifests[i];
		put_manifest(b->format, b->tenants_member, b->sha256, b->bytes);
		read_refused(b->needle, b->name);
	}
	put(BACKUP_MANIFEST, "{\"format\": 1, \"tenantd_version\": \"0.1.0\", "
	    "\"schema_level\": 7, \"created_at\": \"now\", "
	    "\"tenants_member\": \"t\", \"archive_member\": \"a\", "
	    "\"parts\": {\"database.sql\": {\"bytes\": 1, \"sha256\": \""
	    DIGEST "\"}}}");
	read_refused("\"parts\" must name 2 parts", "a part left out");
}

static void
test_program_run(void)
{
	static const char *const yes[] = { "true", NULL };
	static const char *const no[] = { "false", NULL };
	static const char *const killed[] = { "sh", "-c", "kill -9 $$", NULL };
	static const char *const missing[] = { "tenantd-no-such-program",
	    NULL };
	char	err[256];

	ok(program_run(yes, -1, -1, 0, err, sizeof(err)) == 0, "true runs");
	ok(program_run(no, -1, -1, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "false exited with status 1") != NULL,
	    "false fails: %s", err);
	ok(program_run(no, -1, -1, 1, err, sizeof(err)) == 0,
	    "status 1 allowed by the caller");
	ok(program_run(killed, -1, -1, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "killed by signal 9") != NULL,
	    "a signal is named: %s", err);
	ok(program_run(missing, -1, -1, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "tenantd-no-such-program: not found") != NULL,
	    "a program not found is named: %s", err);
}

int
main(void)
{
	char	template[] = "/tmp/tenantd-backup-XXXXXX";
	int	tmp_fd;

	if (sodium_init() < 0 || mkdtemp(template) == NULL ||
	    (root_fd = open(template, O_RDONLY | O_DIRECTORY)) == -1) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	test_round_trip();
	test_read_refusals();
	test_program_run();

	close(root_fd);
	if ((tmp_fd = open("/tmp", O_RDONLY | O_DIRECTORY)) != -1) {
		if (dir_remove_tree(tmp_fd, template + strlen("/tmp/")) == -1)
			diag("could not remove %s: %s", template,
			    strerror(errno));
		close(tmp_fd);
	}
	done_testing();
	return exit_status();
}
