/*
 * deploy_record.c - tenants/<sub>/.deployed, the record a finished deploy
 * leaves (deploy_record.h): its parser and its writer.
 *
 * The record is a header line, after it "# asset_base_url <url>" when
 * the deploy had one, then one line per template file the deploy wrote,
 * sorted by path like the manifest:
 *   <sha256> <size> <mtime_ns> <inode> <path>
 * It only saves hashing, so whatever cannot be read is logged and taken
 * as an empty record.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "deploy_record.h"
#include "folder.h"
#include "log.h"
#include "manifest.h"
#include "validate.h"

#define RECORD_URL_BYTES	(sizeof(RECORD_ASSET_BASE_URL) + \
				    ASSET_BASE_URL_MAX + 1)

#define RECORD_HEADER		"# tenantd deployed files 1"
#define RECORD_ASSET_BASE_URL	"# asset_base_url "
/* A record line: digest, three numbers of up to 20 digits, a path. */
#define RECORD_LINE_MAX		(64 + 3 * 21 + MANIFEST_PATH_MAX + 2)
#define RECORD_MAX_BYTES	((size_t)MANIFEST_MAX_FILES * RECORD_LINE_MAX + \
				    sizeof(RECORD_HEADER) + 1 + RECORD_URL_BYTES)

/* Frees the entries of a record and leaves it empty. */
void
deploy_record_release(struct deploy_record *r)
{
	size_t	i;

	for (i = 0; i < r->count; i++)
		free(r->entries[i].path);
	free(r->entries);
	free(r->asset_base_url);
	r->entries = NULL;
	r->count = 0;
	r->asset_base_url = NULL;
}

/* bsearch() order: a path against a record entry. */
static int
record_compare(const void *key, const void *member)
{
	const struct deploy_record_entry	*e = member;

	return strcmp(key, e->path);
}

/* The record's entry for template path `path`, or NULL. */
const struct deploy_record_entry *
deploy_record_find(const struct deploy_record *r, const char *path)
{
	if (r->count == 0)
		return NULL;
	return bsearch(path, r->entries, r->count, sizeof(r->entries[0]),
	    record_compare);
}

/*
 * Parses one record line "<sha256> <size> <mtime_ns> <inode> <path>"
 * (without its newline) into `e`.  Returns 0, or -1 if malformed.
 */
static int
record_parse_line(char *line, struct deploy_record_entry *e)
{
	const char	*errstr;
	char		*field, *space;
	int64_t		 numbers[3];
	size_t		 i, len;

	if (strlen(line) <= 64 || line[64] != ' ' ||
	    hex_decode_lower(line, e->sha256, sizeof(e->sha256)) == -1)
		return -1;
	field = line + 65;
	for (i = 0; i < 3; i++) {
		if ((space = strchr(field, ' ')) == NULL)
			return -1;
		*space = '\0';
		if (parse_int64(field, 0, INT64_MAX, &numbers[i],
		    &errstr) == -1)
			return -1;
		field = space + 1;
	}
	len = strlen(field);
	if (!manifest_path_valid(field))
		return -1;
	if ((e->path = strndup(field, len)) == NULL)
		return -1;
	e->size = (uint64_t)numbers[0];
	e->mtime_ns = numbers[1];
	e->inode = (uint64_t)numbers[2];
	return 0;
}

/*
 * Loads the record of tenant folder `folder` into `r` (see
 * deploy_record.h).  A missing, unreadable
 * or malformed record only costs hashing, so it is logged and treated as
 * empty.  Returns 0, or -1 if out of memory.
 */
int
deploy_record_load(int folder, const char *name, const char *subdomain,
    struct deploy_record *r)
{
	struct buf	 text;
	char		*line, *end;
	size_t		 lines = 0, capacity = 0;
	int		 fd = -1, rc = 0;
	struct deploy_record_entry *grown;

	buf_init(&text, RECORD_MAX_BYTES);
	fd = openat(folder, name, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT)
			log_warning("deploy of %s: cannot open %s: %s",
			    subdomain, name, strerror(errno));
		goto out;
	}
	if (buf_read_fd(&text, fd) == -1)
		goto malformed;
	for (line = text.data; *line != '\0'; line = end + 1) {
		if ((end = strchr(line, '\n')) == NULL)
			goto malformed;
		*end = '\0';
		if (lines++ == 0) {
			if (strcmp(line, RECORD_HEADER) != 0)
				goto malformed;
			continue;
		}
		if (lines == 2 && strncmp(line, RECORD_ASSET_BASE_URL,
		    strlen(RECORD_ASSET_BASE_URL)) == 0) {
			line += strlen(RECORD_ASSET_BASE_URL);
			if (validate_asset_base_url(line, strlen(line),
			    NULL) != NULL)
				goto malformed;
			if ((r->asset_base_url = strdup(line)) == NULL) {
				rc = -1;
				goto out;
			}
			continue;
		}
		if (r->count == capacity) {
			if (capacity >= MANIFEST_MAX_FILES)
				goto malformed;
			capacity = capacity == 0 ? 64 : capacity * 2;
			grown = reallocarray(r->entries, capacity,
			    sizeof(*grown));
			if (grown == NULL) {
				rc = -1;
				goto out;
			}
			r->entries = grown;
		}
		if (record_parse_line(line, &r->entries[r->count]) == -1)
			goto malformed;
		r->count++;
		if (r->count > 1 && strcmp(r->entries[r->count - 2].path,
		    r->entries[r->count - 1].path) >= 0)
			goto malformed;
	}
	goto out;
malformed:
	log_warning("deploy of %s: ignoring an unreadable %s",
	    subdomain, name);
	deploy_record_release(r);
out:
	if (fd != -1)
		close(fd);
	buf_release(&text);
	if (rc == -1)
		deploy_record_release(r);
	return rc;
}

/*
 * Writes the record of a deploy into tenant folder `folder` (see
 * deploy_record.h): every file written from the template, with the
 * identity it has now.  A failure is logged only: the next deploy
 * then hashes instead of trusting the record.
 */
void
deploy_record_write(int folder, const char *name, const char *subdomain,
    const struct manifest *m, const struct deploy_written_file *written,
    const char *asset_base_url, int sync)
{
	const struct manifest_entry	*e;
	struct buf			 text;
	char				 hex[65];
	size_t				 i;

	buf_init(&text, RECORD_MAX_BYTES);
	if (buf_printf(&text, "%s\n", RECORD_HEADER) == -1 ||
	    (asset_base_url != NULL && buf_printf(&text, "%s%s\n",
	    RECORD_ASSET_BASE_URL, asset_base_url) == -1))
		goto fail;
	for (i = 0; i < m->count; i++) {
		if (!written[i].valid)
			continue;
		e = &m->entries[i];
		sha256_hex(written[i].rendered ? written[i].sha256 : e->sha256,
		    hex);
		if (buf_printf(&text, "%s %llu %lld %llu %s\n", hex,
		    (unsigned long long)written[i].size,
		    (long long)written[i].mtime_ns,
		    (unsigned long long)written[i].inode, e->path) == -1)
			goto fail;
	}
	if ((sync ? file_write_atomic : file_write_replace)(folder,
	    name, text.data, text.len, FOLDER_FILE_MODE) == -1)
		goto fail;
	buf_release(&text);
	return;
fail:
	log_warning("deploy of %s: could not write %s: %s",
	    subdomain, name, strerror(errno));
	buf_release(&text);
}
