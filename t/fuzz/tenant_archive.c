/*
 * tenant_archive.c - libFuzzer target: the reader of a tenant's archive
 * and the parser of its tenant.json (lib/tenant_archive.c), as an import
 * meets them.
 *
 * Arbitrary bytes must be refused with a message, or read with the
 * reader's promises kept: tenant.json first and only once, then files
 * opened, written and closed in pairs, each path one manifest_path_valid()
 * accepts and never given twice in a row, at most
 * TENANT_ARCHIVE_MAX_ENTRIES entries and TENANT_ARCHIVE_MAX_BYTES bytes.
 * tenant.json parses or is refused with a message.  Anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "manifest.h"
#include "tenant_archive.h"

/* What the sink has seen of one read. */
struct seen {
	int		 meta;		/* tenant.json handed over */
	int		 open;		/* a file is open */
	size_t		 files;
	uint64_t	 bytes;
	char		 last[MANIFEST_PATH_MAX + 16];
};

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sink's `meta`: once, first; parsed as an import parses it. */
static int
fuzz_meta(void *arg, const char *text, size_t len, char *err, size_t errlen)
{
	struct seen			*s = arg;
	struct tenant_archive_meta	 m;
	enum result			 rs;

	if (s->meta || s->files > 0 || len > TENANT_ARCHIVE_META_MAX)
		abort();
	s->meta = 1;
	tenant_archive_meta_init(&m);
	err[0] = '\0';
	rs = tenant_archive_meta_parse(&m, text, len, err, errlen);
	if (rs == RESULT_OK && (m.root == NULL || m.tenant == NULL))
		abort();
	if (rs == RESULT_INVALID && err[0] == '\0')
		abort();
	tenant_archive_meta_release(&m);
	return 0;
}

/* The sink's `open`: after tenant.json, a valid path, never nested. */
static int
fuzz_open(void *arg, enum tenant_archive_area area, const char *path,
    char *err, size_t errlen)
{
	struct seen	*s = arg;
	char		 key[sizeof(s->last)];

	if (!s->meta || s->open || !manifest_path_valid(path) ||
	    ++s->files >= TENANT_ARCHIVE_MAX_ENTRIES)
		abort();
	key[0] = area == TENANT_ARCHIVE_AREA_FILES ? 'f' : 't';
	memcpy(key + 1, path, strlen(path) + 1);
	if (strcmp(key, s->last) == 0)
		abort();
	memcpy(s->last, key, sizeof(key));
	s->open = 1;
	return 0;
}

/* The sink's `write`: inside a file, within the bound. */
static int
fuzz_write(void *arg, const void *data, size_t len, char *err, size_t errlen)
{
	struct seen	*s = arg;

	if (!s->open || len == 0)
		abort();
	s->bytes += len;
	if (s->bytes > TENANT_ARCHIVE_MAX_BYTES)
		abort();
	return 0;
}

/* The sink's `close`. */
static int
fuzz_close(void *arg, char *err, size_t errlen)
{
	struct seen	*s = arg;

	if (!s->open)
		abort();
	s->open = 0;
	return 0;
}

/* Called by libFuzzer once per input; aborts when a check fails. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tenant_archive_source	src;
	struct tenant_archive_sink	sink;
	struct seen			s;
	enum result			rs;
	char				err[512] = "";

	if (sodium_init() == -1)
		abort();
	memset(&s, 0, sizeof(s));
	src.fd = -1;
	src.data = data;
	src.len = size;
	sink.meta = fuzz_meta;
	sink.open = fuzz_open;
	sink.write = fuzz_write;
	sink.close = fuzz_close;
	sink.arg = &s;
	rs = tenant_archive_read(&src, &sink, err, sizeof(err));
	if (s.open)
		abort();
	if (rs == RESULT_OK && !s.meta)
		abort();
	if (rs != RESULT_OK && rs != RESULT_NO_MEMORY && err[0] == '\0')
		abort();
	return 0;
}
