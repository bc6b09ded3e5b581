/*
 * project_files.c - the project files a deploy writes beside public/
 * (project_files.h): package.json (package_json.h writes it) and
 * .env.local, with the quoting rules that make .env.local plain data for
 * both dotenv readers and sh.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "folder.h"
#include "log.h"
#include "package_json.h"
#include "project_files.h"
#include "tenant.h"

#define ENV_FILE		".env.local"
#define SMALL_FILE_MAX		(64 * 1024)

/*
 * Appends `value` quoted for .env.local, which dotenv readers (Next.js,
 * node --env-file) and sh (`set -a; . ./.env.local`) must both take as
 * plain data.  Single quotes do that for both: sh expands nothing inside
 * them and dotenv readers unescape nothing.  A single quote in the value
 * is written as '\'' for sh; dotenv readers know no escape for it, so a
 * value holding one but nothing sh expands inside double quotes (" \ $
 * and the backtick) is double-quoted instead, which both read exactly.
 * Control characters are refused (EINVAL): names never hold them.
 * Returns 0, or -1 with errno set.
 */
static int
env_append_value(struct buf *b, const char *value)
{
	const char	*p;
	int		 rc = 0;

	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			errno = EINVAL;
			return -1;
		}
	if (strchr(value, '\'') != NULL && strpbrk(value, "\"\\$`") == NULL) {
		rc |= buf_append_char(b, '"');
		rc |= buf_append_str(b, value);
		rc |= buf_append_str(b, "\"\n");
	} else {
		rc |= buf_append_char(b, '\'');
		for (p = value; rc == 0 && *p != '\0'; p++) {
			if (*p == '\'')
				rc |= buf_append_str(b, "'\\''");
			else
				rc |= buf_append_char(b, *p);
		}
		rc |= buf_append_str(b, "'\n");
	}
	if (rc != 0) {
		errno = ENOBUFS;
		return -1;
	}
	return 0;
}

/*
 * Does file `name` of `folder` hold exactly `len` bytes `data`?  A file
 * already right is not written again: a rollout changes neither file of
 * most tenants, and a new file is a new inode.  1 or 0 (also when it
 * cannot be read: it is then written).
 */
static int
file_holds(int folder, const char *name, const void *data, size_t len)
{
	struct stat	st;
	struct buf	have;
	int		fd, same = 0;

	if ((fd = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return 0;
	buf_init(&have, len + 1);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size == len && buf_read_fd(&have, fd) == 0)
		same = have.len == len && memcmp(have.data, data, len) == 0;
	close(fd);
	buf_release(&have);
	return same;
}

/*
 * Writes package.json and .env.local of tenant `t` into its folder (see
 * project_files.h).  Called by deploy_tenant() after the swap.  Returns 0,
 * or -1 with errno set.
 */
int
project_files_write(int folder, const struct tenant *t, const char *api_url,
    const char *template_package, size_t template_package_len, int sync)
{
	int			(*write_file)(int, const char *, const void *,
				    size_t, int) = sync ? file_write_atomic :
				    file_write_replace;
	static const char	*env_names[] = {
		"NEXT_PUBLIC_TENANT_NAME", "NEXT_PUBLIC_TENANT_SUBDOMAIN",
		"NEXT_PUBLIC_API_URL", "NEXT_PUBLIC_PRIMARY_COLOR",
		"NEXT_PUBLIC_SECONDARY_COLOR"
	};
	const char		*env_values[5];
	struct buf		 package, env;
	char			 problem[256];
	size_t			 i;
	int			 rc = -1, saved;

	buf_init(&package, 2 * PACKAGE_JSON_INPUT_MAX);
	buf_init(&env, SMALL_FILE_MAX);
	if (template_package != NULL && package_json_customise(
	    template_package, template_package_len, t->subdomain, t->name,
	    &package, problem, sizeof(problem)) == -1) {
		/* template add checked it; a store damaged since is fsck's. */
		log_warning("%s: %s", t->subdomain, problem);
		errno = EINVAL;
		goto out;
	}
	if ((template_package == NULL && package_json_default(t->subdomain,
	    t->name, &package) == -1) || (!file_holds(folder,
	    PACKAGE_JSON_FILE, package.data, package.len) && write_file(folder,
	    PACKAGE_JSON_FILE, package.data, package.len,
	    FOLDER_FILE_MODE) == -1))
		goto out;

	env_values[0] = t->name;
	env_values[1] = t->subdomain;
	env_values[2] = api_url != NULL ? api_url : "";
	env_values[3] = t->primary_color;
	env_values[4] = t->secondary_color;
	for (i = 0; i < 5; i++) {
		if (buf_printf(&env, "%s=", env_names[i]) == -1) {
			errno = ENOBUFS;
			goto out;
		}
		if (env_append_value(&env, env_values[i]) == -1)
			goto out;
	}
	rc = file_holds(folder, ENV_FILE, env.data, env.len) ? 0 :
	    write_file(folder, ENV_FILE, env.data, env.len, FOLDER_FILE_MODE);
out:
	saved = errno;
	buf_release(&package);
	buf_release(&env);
	errno = saved;
	return rc;
}
