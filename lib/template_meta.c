/*
 * template_meta.c - a template's tenantd-template.json (template_meta.h):
 * reading it from the template's root and checking its two members.
 *
 * The file is small and flat, so it goes through json_parse_limited()
 * with a small node budget: that already refuses malformed JSON, nesting
 * past JSON_MAX_DEPTH, invalid UTF-8 and duplicated members (naming
 * them).  What is left here is the file's own rules, member by member.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "manifest.h"
#include "template_meta.h"
#include "validate.h"

/*
 * The most values the parse builds: a valid file holds three (the object
 * and two strings), so this only bounds the work a hostile one costs.
 */
#define TEMPLATE_META_MAX_NODES	1024

/*
 * Is there a control character (C0, DEL, or C1: U+0080 to U+009F, which
 * UTF-8 writes as 0xc2 0x80 to 0xc2 0x9f) in `len` bytes of UTF-8 `s`?
 * Returns 1 or 0.
 */
static int
meta_has_control(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 1;
		if (c == 0xc2 && i + 1 < len &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return 1;
	}
	return 0;
}

/* The rule of member `name`: NULL if `len` bytes of `s` pass, else why. */
static const char *
meta_name_check(const char *s, size_t len)
{
	if (len == 0)
		return "must not be empty";
	if (len > TEMPLATE_META_NAME_MAX)
		return "is longer than 100 bytes";
	if (meta_has_control(s, len))
		return "holds a control character";
	if (utf8_length(s, len) < 0)
		return "is not valid UTF-8";
	return NULL;
}

/*
 * The rule of member `web_root`: NULL if `len` bytes of `s` pass, else
 * why.  The common mistakes get a reason of their own; the rest of the
 * template names rule is manifest_path_valid()'s.
 */
static const char *
meta_web_root_check(const char *s, size_t len)
{
	if (len == 0)
		return "must not be empty (leave it out to serve the whole "
		    "tree)";
	if (len > MANIFEST_PATH_MAX)
		return "is longer than 4096 bytes";
	if (strlen(s) != len)
		return "holds U+0000";
	if (strcmp(s, ".") == 0)
		return "must name a directory below the template's root, not "
		    "\".\" (leave it out to serve the whole tree)";
	if (s[0] == '/')
		return "must be a relative path";
	if (s[len - 1] == '/')
		return "must not end in '/'";
	if (!manifest_path_valid(s))
		return "must be names separated by single '/', none of them "
		    "\".\" or \"..\" or holding a control character";
	return NULL;
}

/*
 * The members of the file, each declared once: its name, its rule, and
 * the field of struct template_meta it fills.  Every member is a string.
 */
static const struct meta_member {
	const char	*name;
	const char	*(*check)(const char *, size_t);
	size_t		 offset;
	size_t		 size;
} meta_members[] = {
	{ "name", meta_name_check, offsetof(struct template_meta, name),
	    TEMPLATE_META_NAME_MAX + 1 },
	{ "web_root", meta_web_root_check,
	    offsetof(struct template_meta, web_root), MANIFEST_PATH_MAX + 1 },
};

/* The declaration of member `key`, or NULL if there is none. */
static const struct meta_member *
meta_member_find(const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof(meta_members) / sizeof(meta_members[0]); i++)
		if (strcmp(meta_members[i].name, key) == 0)
			return &meta_members[i];
	return NULL;
}

/*
 * Judges member `key` of value `v` and copies it into `out`.  Returns 0,
 * or -1 with a message naming the member in `err`.
 */
static int
meta_member_take(struct template_meta *out, const char *key,
    const struct json_value *v, char *err, size_t errlen)
{
	const struct meta_member	*member;
	const char			*reason;
	char				 excerpt[JSON_KEY_EXCERPT_SIZE];

	if ((member = meta_member_find(key)) == NULL) {
		json_key_excerpt(key, excerpt);
		error_set(err, errlen, TEMPLATE_META_FILE ": unknown member "
		    "\"%s\" (only \"name\" and \"web_root\" are allowed)",
		    excerpt);
		return -1;
	}
	if (v->type != JSON_STRING) {
		error_set(err, errlen, TEMPLATE_META_FILE ": member \"%s\" "
		    "must be a string, not %s", member->name,
		    json_type_name(v->type));
		return -1;
	}
	if ((reason = member->check(v->text, v->len)) == NULL &&
	    v->len >= member->size)
		reason = "is too long";
	if (reason != NULL) {
		error_set(err, errlen, TEMPLATE_META_FILE ": member \"%s\" %s",
		    member->name, reason);
		return -1;
	}
	memcpy((char *)out + member->offset, v->text, v->len + 1);
	return 0;
}

/*
 * Parses the content of tenantd-template.json.  Called by
 * template_meta_read_at().  Returns 0, or -1 with the message in `err`
 * (see template_meta.h).
 */
int
template_meta_parse(struct template_meta *out, const char *json, size_t len,
    char *err, size_t errlen)
{
	struct json_value	*root = NULL;
	char			 reason[160];
	size_t			 i;
	int			 rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > TEMPLATE_META_FILE_MAX) {
		error_set(err, errlen, TEMPLATE_META_FILE " is larger than "
		    "64 KiB");
		goto out;
	}
	if ((root = json_parse_limited(json, len, TEMPLATE_META_MAX_NODES,
	    reason, sizeof(reason))) == NULL) {
		error_set(err, errlen, TEMPLATE_META_FILE ": %s", reason);
		goto out;
	}
	if (root->type != JSON_OBJECT) {
		error_set(err, errlen, TEMPLATE_META_FILE " must hold a JSON "
		    "object, not %s", json_type_name(root->type));
		goto out;
	}
	for (i = 0; i < root->count; i++)
		if (meta_member_take(out, root->keys[i], root->items[i], err,
		    errlen) == -1)
			goto out;
	rc = 0;
out:
	json_free(root);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return rc;
}

/*
 * Reads and parses tenantd-template.json at the root of the template open
 * on `dirfd`, for the template versions and deploys of SPEC 10.  Returns
 * 1, 0 or -1 (see template_meta.h).
 */
int
template_meta_read_at(struct template_meta *out, int dirfd, char *err,
    size_t errlen)
{
	struct buf	text;
	struct stat	st;
	int		fd = -1, rc = -1;

	memset(out, 0, sizeof(*out));
	buf_init(&text, TEMPLATE_META_FILE_MAX);
	fd = openat(dirfd, TEMPLATE_META_FILE, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		rc = 0;
		goto out;
	}
	if (fd == -1 && errno == ELOOP) {
		error_set(err, errlen, TEMPLATE_META_FILE " is a symbolic "
		    "link");
		goto out;
	}
	if (fd == -1 || fstat(fd, &st) == -1) {
		error_set(err, errlen, "cannot open " TEMPLATE_META_FILE ": %s",
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		error_set(err, errlen, TEMPLATE_META_FILE " is not a regular "
		    "file");
		goto out;
	}
	if (st.st_size > TEMPLATE_META_FILE_MAX ||
	    buf_read_fd(&text, fd) == -1) {
		if (st.st_size > TEMPLATE_META_FILE_MAX || errno == ENOBUFS)
			error_set(err, errlen, TEMPLATE_META_FILE " is larger "
			    "than 64 KiB");
		else
			error_set(err, errlen, "cannot read "
			    TEMPLATE_META_FILE ": %s", strerror(errno));
		goto out;
	}
	if (template_meta_parse(out, text.data, text.len, err, errlen) == -1)
		goto out;
	rc = 1;
out:
	if (fd != -1)
		close(fd);
	buf_release(&text);
	if (rc != 1)
		memset(out, 0, sizeof(*out));
	return rc;
}
