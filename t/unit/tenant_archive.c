/*
 * tenant_archive.c - unit tests for lib/tenant_archive.c: an archive
 * libarchive writes (pax, zstd) reaches the sink in order, tenant.json
 * first; every hostile entry is refused naming it (absolute path, "..",
 * symlink, hard link, device, FIFO, a duplicate, a name outside files/ and
 * template/, tenant.json not first or twice, more than 10,000 entries),
 * as are another compression and a truncated stream; tenant.json's
 * parser checks the format, the types and the members.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>

#include "buf.h"
#include "tap.h"
#include "tenant_archive.h"

#define META	"{\"format\": 1, \"tenant\": {\"name\": \"Acme\", " \
		"\"subdomain\": \"acme\"}, \"logo\": null, \"domains\": [], " \
		"\"template_version\": null, \"template_embedded\": false}"

/* One entry to write: a name, its type and content or link target. */
struct entry {
	const char	*name;
	mode_t		 type;		/* 0: a regular file */
	const char	*content;	/* or the link target */
	int		 hardlink;
};

/* What the sink saw: "meta;f:path=len;t:path=len;..." */
struct seen {
	struct buf	log;
	size_t		bytes;
};

static int
sink_meta(void *arg, const char *text, size_t len, char *err, size_t errlen)
{
	struct seen	*s = arg;

	(void)text;
	return buf_printf(&s->log, "meta=%zu;", len);
}

static int
sink_open(void *arg, enum tenant_archive_area area, const char *path,
    char *err, size_t errlen)
{
	struct seen	*s = arg;

	s->bytes = 0;
	return buf_printf(&s->log, "%c:%s", area == TENANT_ARCHIVE_AREA_FILES ?
	    'f' : 't', path);
}

static int
sink_write(void *arg, const void *data, size_t len, char *err, size_t errlen)
{
	struct seen	*s = arg;

	(void)data;
	s->bytes += len;
	return 0;
}

static int
sink_close(void *arg, char *err, size_t errlen)
{
	struct seen	*s = arg;

	return buf_printf(&s->log, "=%zu;", s->bytes);
}

/*
 * Writes the `count` entries into `out` as a tar, compressed with zstd
 * unless `plain`.
 */
static void
write_archive(const struct entry *entries, size_t count, int plain,
    struct buf *out)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*e;
	size_t			 i, used = 0, size = 1024 * 1024 * 4;

	buf_reset(out);
	if (buf_grow(out, size) == -1)
		abort();
	if ((!plain && archive_write_add_filter_zstd(a) != ARCHIVE_OK) ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_memory(a, out->data, size, &used) != ARCHIVE_OK)
		abort();
	for (i = 0; i < count; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, entries[i].name);
		archive_entry_set_perm(e, 0644);
		if (entries[i].hardlink) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, entries[i].content);
		} else if (entries[i].type == AE_IFLNK) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, entries[i].content);
		} else if (entries[i].type != 0) {
			archive_entry_set_filetype(e, entries[i].type);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)strlen(
			    entries[i].content));
		}
		if (archive_write_header(a, e) != ARCHIVE_OK)
			abort();
		if (entries[i].type == 0 && !entries[i].hardlink &&
		    archive_write_data(a, entries[i].content,
		    strlen(entries[i].content)) < 0)
			abort();
		archive_entry_free(e);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		abort();
	archive_write_free(a);
	out->len = used;
}

/* Reads `archive` through a logging sink; returns the result. */
static enum result
read_back(const struct buf *archive, struct seen *s, char *err,
    size_t errlen)
{
	struct tenant_archive_source	src = { -1, archive->data,
					    archive->len };
	struct tenant_archive_sink	sink = { sink_meta, sink_open,
					    sink_write, sink_close, s };

	buf_reset(&s->log);
	err[0] = '\0';
	return tenant_archive_read(&src, &sink, err, errlen);
}

/* An archive of META and `second` is refused with `message` in it. */
static void
refused(const struct entry *second, const char *message, const char *name)
{
	struct entry	entries[2] = { { "tenant.json", 0, META, 0 } };
	struct buf	archive;
	struct seen	s;
	char		err[256];

	entries[1] = *second;
	buf_init(&archive, BUF_NO_LIMIT);
	buf_init(&s.log, BUF_NO_LIMIT);
	write_archive(entries, 2, 0, &archive);
	is_int(read_back(&archive, &s, err, sizeof(err)), RESULT_INVALID,
	    name);
	if (!ok(strstr(err, message) != NULL, "... naming it"))
		diag("said: %s", err);
	buf_release(&archive);
	buf_release(&s.log);
}

static void
test_reader(void)
{
	static const struct entry good[] = {
		{ "tenant.json", 0, META, 0 },
		{ "files/", AE_IFDIR, NULL, 0 },
		{ "files/config.json", 0, "{}", 0 },
		{ "files/public/app/(auth)/page.tsx", 0, "x", 0 },
		{ "template/index.html", 0, "<html>", 0 }
	};
	static const struct entry meta_later[] = {
		{ "files/config.json", 0, "{}", 0 },
		{ "tenant.json", 0, META, 0 }
	};
	struct entry	 e;
	struct buf	 archive;
	struct seen	 s;
	char		 err[256], expected[256];

	buf_init(&archive, BUF_NO_LIMIT);
	buf_init(&s.log, BUF_NO_LIMIT);
	write_archive(good, 5, 0, &archive);
	is_int(read_back(&archive, &s, err, sizeof(err)), RESULT_OK,
	    "a good archive is read");
	if (buf_append_char(&s.log, '\0') == -1)
		abort();
	snprintf(expected, sizeof(expected), "meta=%zu;f:config.json=2;"
	    "f:public/app/(auth)/page.tsx=1;t:index.html=6;", strlen(META));
	is_string(s.log.data, expected,
	    "... tenant.json first, then the files in order");

	write_archive(good, 5, 1, &archive);
	is_int(read_back(&archive, &s, err, sizeof(err)), RESULT_INVALID,
	    "an uncompressed tar is refused");
	ok(strstr(err, "zstd") != NULL, "... asking for zstd");

	write_archive(good, 5, 0, &archive);
	archive.len -= 10;
	is_int(read_back(&archive, &s, err, sizeof(err)), RESULT_INVALID,
	    "a truncated archive is refused");
	ok(strstr(err, "damaged archive") != NULL, "... as damaged");

	write_archive(meta_later, 2, 0, &archive);
	is_int(read_back(&archive, &s, err, sizeof(err)), RESULT_INVALID,
	    "tenant.json not first is refused");

	e = (struct entry){ "/etc/passwd", 0, "x", 0 };
	refused(&e, "absolute path", "an absolute path is refused");
	e = (struct entry){ "files/public/../../x", 0, "x", 0 };
	refused(&e, "\"..\" in the path", "a .. path is refused");
	e = (struct entry){ "files/public/l", AE_IFLNK, "/etc/passwd", 0 };
	refused(&e, "symbolic link", "a symlink is refused");
	e = (struct entry){ "files/public/h", 0, "tenant.json", 1 };
	refused(&e, "hard links", "a hard link is refused");
	e = (struct entry){ "files/public/d", AE_IFCHR, NULL, 0 };
	refused(&e, "a device", "a device is refused");
	e = (struct entry){ "files/public/p", AE_IFIFO, NULL, 0 };
	refused(&e, "a FIFO", "a FIFO is refused");
	e = (struct entry){ "elsewhere/x", 0, "x", 0 };
	refused(&e, "not under files/ or template/",
	    "a name outside files/ and template/ is refused");
	e = (struct entry){ "tenant.json", 0, META, 0 };
	refused(&e, "given twice", "tenant.json twice is refused");
	e = (struct entry){ "files/public/a\001b", 0, "x", 0 };
	refused(&e, "files/public/a?b", "a control character is refused, shown as ?");

	buf_release(&archive);
	buf_release(&s.log);
}

static void
test_duplicates_and_count(void)
{
	struct entry	*many;
	struct buf	 archive;
	struct seen	 s;
	char		 err[256], (*names)[32];
	size_t		 i, count = TENANT_ARCHIVE_MAX_ENTRIES + 1;

	many = calloc(count, sizeof(*many));
	names = calloc(count, sizeof(*names));
	if (many == NULL || names == NULL)
		abort();
	many[0] = (struct entry){ "tenant.json", 0, META, 0 };
	for (i = 1; i < count; i++) {
		snprintf(names[i], sizeof(names[i]), "files/public/f%zu", i);
		many[i] = (struct entry){ names[i], 0, "", 0 };
	}
	buf_init(&archive, BUF_NO_LIMIT);
	buf_init(&s.log, BUF_NO_LIMIT);
	write_archive(many, count - 1, 0, &archive);
	is_int(read_back(&archive, &s, err, sizeof(err)), RESULT_OK,
	    "10,000 entries are read");
	write_archive(many, count, 0, &archive);
	is_int(read_back(&archive, &s, err, sizeof(err)), RESULT_INVALID,
	    "10,001 entries are refused");
	ok(strstr(err, "more than 10000 entries") != NULL, "... saying so");
	many[3].name = many[2].name;
	write_archive(many, 5, 0, &archive);
	is_int(read_back(&archive, &s, err, sizeof(err)), RESULT_INVALID,
	    "a duplicate entry is refused");
	ok(strstr(err, "files/public/f2: given twice") != NULL,
	    "... naming it");
	buf_release(&archive);
	buf_release(&s.log);
	free(many);
	free(names);
}

/* tenant.json `text` parses to `expected`; on a refusal `message` is in it. */
static void
meta(const char *text, enum result expected, const char *message,
    const char *name)
{
	struct tenant_archive_meta	m;
	char				err[256] = "";

	tenant_archive_meta_init(&m);
	is_int(tenant_archive_meta_parse(&m, text, strlen(text), err,
	    sizeof(err)), expected, name);
	if (message != NULL && !ok(strstr(err, message) != NULL,
	    "... saying \"%s\"", message))
		diag("said: %s", err);
	tenant_archive_meta_release(&m);
}

static void
test_meta(void)
{
	struct tenant_archive_meta	m;
	const char			*full = "{\"format\": 1, \"id\": 42, "
	    "\"tenant\": {}, "
	    "\"logo\": \"logo.png\", \"domains\": [{\"domain\": \"hr.a.example\","
	    " \"status\": \"active\"}], \"template_version\": \"0123456789ab\","
	    " \"template_embedded\": true}";
	char				err[256];

	tenant_archive_meta_init(&m);
	is_int(tenant_archive_meta_parse(&m, full, strlen(full), err,
	    sizeof(err)), RESULT_OK, "a full tenant.json parses");
	is_int(m.id, 42, "... its id");
	is_string(m.logo, "logo.png", "... its logo");
	is_string(m.template_version, "0123456789ab", "... its version");
	ok(m.template_embedded, "... embedded");
	is_int((long long)m.domain_count, 1, "... one domain");
	ok(m.domain_count == 1 && m.domains[0].active &&
	    strcmp(m.domains[0].name, "hr.a.example") == 0, "... active");
	tenant_archive_meta_release(&m);

	meta(META, RESULT_OK, NULL, "the minimal tenant.json parses");
	meta("[]", RESULT_INVALID, "must be an object", "an array is refused");
	meta("{\"format\": 1, \"tenant\": {}", RESULT_INVALID,
	    "malformed JSON", "truncated JSON is refused");
	meta("{\"tenant\": {}}", RESULT_INVALID, "format is missing",
	    "no format is refused");
	meta("{\"format\": \"1\", \"tenant\": {}}", RESULT_INVALID,
	    "format must be a number", "a format string is refused");
	meta("{\"format\": 2, \"tenant\": {}}", RESULT_INVALID,
	    "format is not 1", "format 2 is refused");
	meta("{\"format\": 1, \"id\": 0, \"tenant\": {}}", RESULT_INVALID,
	    "id must be an integer from 1 to 2^40", "id 0 is refused");
	meta("{\"format\": 1, \"id\": 1099511627777, \"tenant\": {}}",
	    RESULT_INVALID, "id must be", "an id past 2^40 is refused");
	meta("{\"format\": 1, \"id\": \"7\", \"tenant\": {}}",
	    RESULT_INVALID, "id must be", "an id string is refused");
	meta("{\"format\": 1}", RESULT_INVALID, "tenant is missing",
	    "no tenant is refused");
	meta("{\"format\": 1, \"tenant\": []}", RESULT_INVALID,
	    "tenant must be an object", "a tenant array is refused");
	meta("{\"format\": 1, \"tenant\": {}, \"extra\": 1}", RESULT_INVALID,
	    "extra is not a member", "an unknown member is refused");
	meta("{\"format\": 1, \"tenant\": {}, \"logo\": \"../x\"}",
	    RESULT_INVALID, "logo must be logo.", "a logo path is refused");
	meta("{\"format\": 1, \"tenant\": {}, \"logo\": 5}", RESULT_INVALID,
	    "logo must be a name or null", "a logo number is refused");
	meta("{\"format\": 1, \"tenant\": {}, \"template_version\": \"xyz\"}",
	    RESULT_INVALID, "is not a version", "a bad version is refused");
	meta("{\"format\": 1, \"tenant\": {}, \"template_embedded\": true}",
	    RESULT_INVALID, "needs a template_version",
	    "embedded without a version is refused");
	meta("{\"format\": 1, \"tenant\": {}, \"domains\": {}}",
	    RESULT_INVALID, "domains must be an array",
	    "a domains object is refused");
	meta("{\"format\": 1, \"tenant\": {}, \"domains\": [{\"domain\": "
	    "\"a.example\", \"status\": \"gone\"}]}", RESULT_INVALID,
	    "status must be", "an unknown domain status is refused");
	meta("{\"format\": 1, \"tenant\": {}, \"domains\": [{\"domain\": 1,"
	    " \"status\": \"active\"}]}", RESULT_INVALID, "domains must be",
	    "a domain number is refused");
}

int
main(void)
{
	if (sodium_init() == -1)
		return 1;
	test_reader();
	test_duplicates_and_count();
	test_meta();
	done_testing();
	return exit_status();
}
