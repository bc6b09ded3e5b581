/*
 * asset_html.c - rewriting the asset references of a tenant site's HTML
 * file for a CDN (see asset_html.h for what is rewritten and what is not).
 *
 * One pass over the bytes, tag by tag.  Nothing is copied until it has to
 * be: `copied` marks how far the input is in `out`, so a file without a
 * reference to change costs one append.  Every index is checked against
 * the input's length before it is read.
 */
#include <errno.h>
#include <string.h>

#include "asset_html.h"
#include "buf.h"

/* The state of one rewrite. */
struct rewrite {
	const char		*html;
	size_t			 len;
	size_t			 pos;		/* the next byte to look at */
	size_t			 copied;	/* html[0, copied) is in out */
	const char		*directory;
	asset_html_lookup_fn	 lookup;
	void			*arg;
	struct buf		*out;
};

/* Elements whose contents are text up to their end tag, never tags. */
static const char *const raw_text_elements[] = {
	"script", "style", "title", "textarea", "xmp", "iframe", "noembed",
	"noframes"
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Is `c` a character a rewritten path may hold? */
static int
is_path_char(char c)
{
	return is_letter(c) || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("._~/-", c) != NULL);
}

/* Are the `len` bytes at `s` ASCII-case-insensitively `word`? */
static int
equal_ignoring_case(const char *s, size_t len, const char *word)
{
	size_t	i;
	char	c;

	if (len != strlen(word))
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return 1;
}

/* Appends the input from `copied` up to `to` to the output.  0 or -1. */
static int
copy_up_to(struct rewrite *r, size_t to)
{
	if (buf_append(r->out, r->html + r->copied, to - r->copied) == -1)
		return -1;
	r->copied = to;
	return 0;
}

/*
 * Appends segment `segment` (`len` bytes) of a reference to `path`
 * (`*path_len` bytes so far): "." is nothing, ".." drops the last segment.
 * Returns 0, or -1 for a segment that makes the reference one to leave
 * alone (empty, ".." above the web root, too long).
 */
static int
path_push(char *path, size_t *path_len, const char *segment, size_t len)
{
	if (len == 0)
		return -1;
	if (len == 1 && segment[0] == '.')
		return 0;
	if (len == 2 && segment[0] == '.' && segment[1] == '.') {
		if (*path_len == 0)
			return -1;
		while (*path_len > 0 && path[*path_len - 1] != '/')
			(*path_len)--;
		if (*path_len > 0)
			(*path_len)--;
		return 0;
	}
	if (*path_len > 0) {
		if (*path_len >= ASSET_HTML_PATH_MAX)
			return -1;
		path[(*path_len)++] = '/';
	}
	if (len > ASSET_HTML_PATH_MAX - *path_len)
		return -1;
	memcpy(path + *path_len, segment, len);
	*path_len += len;
	return 0;
}

/*
 * Resolves reference `value` (`len` bytes) of an HTML file in `directory`
 * to a web-root path in `path` (ASSET_HTML_PATH_MAX bytes).  Returns its
 * length, or 0 for a reference that is no local path to look up.
 */
static size_t
resolve(const char *directory, const char *value, size_t len, char *path)
{
	const char	*segment, *end = value + len;
	size_t		 i, path_len = 0, segment_len;

	if (len == 0 || (len >= 2 && value[0] == '/' && value[1] == '/'))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_path_char(value[i]))
			return 0;
	segment = value;
	if (value[0] == '/')
		segment++;
	else if (directory[0] != '\0') {
		path_len = strlen(directory);
		if (path_len > ASSET_HTML_PATH_MAX)
			return 0;
		memcpy(path, directory, path_len);
	}
	for (;;) {
		segment_len = 0;
		while (segment + segment_len < end &&
		    segment[segment_len] != '/')
			segment_len++;
		if (path_push(path, &path_len, segment, segment_len) == -1)
			return 0;
		if (segment + segment_len == end)
			break;
		segment += segment_len + 1;
	}
	return path_len;
}

/*
 * Replaces the attribute value html[start, end) by what the lookup
 * returns for it, if anything.  Returns 0 or -1.
 */
static int
rewrite_value(struct rewrite *r, size_t start, size_t end)
{
	char		 path[ASSET_HTML_PATH_MAX];
	const char	*url;
	size_t		 path_len;

	path_len = resolve(r->directory, r->html + start, end - start, path);
	if (path_len == 0 ||
	    (url = r->lookup(r->arg, path, path_len)) == NULL)
		return 0;
	if (copy_up_to(r, start) == -1 || buf_append_str(r->out, url) == -1)
		return -1;
	r->copied = end;
	return 0;
}

/*
 * Reads the attributes of a start tag from r->pos up to and past its
 * '>' (or the end of the input), rewriting src and href when
 * `rewrite_references`.  Returns 0 or -1.
 */
static int
read_attributes(struct rewrite *r, int rewrite_references)
{
	const char	*h = r->html;
	size_t		 name, name_end, value, value_end;
	char		 quote;

	for (;;) {
		while (r->pos < r->len && (is_space(h[r->pos]) ||
		    h[r->pos] == '/'))
			r->pos++;
		if (r->pos == r->len)
			return 0;
		if (h[r->pos] == '>') {
			r->pos++;
			return 0;
		}
		/* A name may start with '=' (it is then part of the name). */
		name = r->pos++;
		while (r->pos < r->len && !is_space(h[r->pos]) &&
		    h[r->pos] != '/' && h[r->pos] != '>' && h[r->pos] != '=')
			r->pos++;
		name_end = r->pos;
		while (r->pos < r->len && is_space(h[r->pos]))
			r->pos++;
		if (r->pos == r->len || h[r->pos] != '=')
			continue;
		r->pos++;
		while (r->pos < r->len && is_space(h[r->pos]))
			r->pos++;
		if (r->pos == r->len)
			return 0;
		if (h[r->pos] == '"' || h[r->pos] == '\'') {
			quote = h[r->pos++];
			value = r->pos;
			while (r->pos < r->len && h[r->pos] != quote)
				r->pos++;
			if (r->pos == r->len)
				return 0;	/* unterminated: left alone */
			value_end = r->pos++;
		} else {
			value = r->pos;
			while (r->pos < r->len && !is_space(h[r->pos]) &&
			    h[r->pos] != '>')
				r->pos++;
			value_end = r->pos;
		}
		if (rewrite_references &&
		    (equal_ignoring_case(h + name, name_end - name, "src") ||
		    equal_ignoring_case(h + name, name_end - name, "href")) &&
		    rewrite_value(r, value, value_end) == -1)
			return -1;
	}
}

/*
 * Moves r->pos past the text of raw text element `name` (`len` bytes) to
 * its end tag, or to the end of the input when there is none.
 */
static void
skip_raw_text(struct rewrite *r, const char *name, size_t len)
{
	const char	*h = r->html;
	size_t		 at;

	for (at = r->pos; r->len - at >= len + 2; at++) {
		if (h[at] != '<' || h[at + 1] != '/' ||
		    !equal_ignoring_case(h + at + 2, len, name))
			continue;
		if (r->len - at == len + 2 || is_space(h[at + len + 2]) ||
		    h[at + len + 2] == '/' || h[at + len + 2] == '>') {
			r->pos = at;
			return;
		}
	}
	r->pos = r->len;
}

/* Moves r->pos past the next `terminator` from r->pos, or to the end. */
static void
skip_past(struct rewrite *r, const char *terminator)
{
	size_t	at, tlen = strlen(terminator);

	for (at = r->pos; r->len - at >= tlen; at++)
		if (memcmp(r->html + at, terminator, tlen) == 0) {
			r->pos = at + tlen;
			return;
		}
	r->pos = r->len;
}

/*
 * Handles the start tag whose '<' is at r->pos: its attributes, the text
 * of a raw text element.  Returns 0 or -1.
 */
static int
start_tag(struct rewrite *r)
{
	const char	*h = r->html;
	size_t		 name = r->pos + 1, name_len, i;
	int		 references;

	r->pos = name;
	while (r->pos < r->len && !is_space(h[r->pos]) && h[r->pos] != '/' &&
	    h[r->pos] != '>')
		r->pos++;
	name_len = r->pos - name;
	references = equal_ignoring_case(h + name, name_len, "link") ||
	    equal_ignoring_case(h + name, name_len, "script") ||
	    equal_ignoring_case(h + name, name_len, "img");
	if (read_attributes(r, references) == -1)
		return -1;
	if (equal_ignoring_case(h + name, name_len, "plaintext")) {
		r->pos = r->len;
		return 0;
	}
	for (i = 0; i < sizeof(raw_text_elements) /
	    sizeof(raw_text_elements[0]); i++)
		if (equal_ignoring_case(h + name, name_len,
		    raw_text_elements[i])) {
			skip_raw_text(r, raw_text_elements[i], name_len);
			break;
		}
	return 0;
}

/*
 * Rewrites `html` into `out` (see asset_html.h).  Returns 0, or -1 with
 * errno set (EFBIG, ENOMEM); `out` may then hold part of the output.
 */
int
asset_html_rewrite(const char *html, size_t len, const char *directory,
    asset_html_lookup_fn lookup, void *arg, struct buf *out)
{
	struct rewrite	r;
	size_t		rest;

	if (len > ASSET_HTML_INPUT_MAX) {
		errno = EFBIG;
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.html = html;
	r.len = len;
	r.directory = directory;
	r.lookup = lookup;
	r.arg = arg;
	r.out = out;
	while (r.pos < r.len) {
		if (html[r.pos] != '<') {
			r.pos++;
			continue;
		}
		rest = r.len - r.pos;
		if (rest >= 4 && memcmp(html + r.pos, "<!--", 4) == 0) {
			r.pos += 2;
			skip_past(&r, "-->");
		} else if (rest >= 2 && is_letter(html[r.pos + 1])) {
			if (start_tag(&r) == -1)
				goto fail;
		} else if (rest >= 2 && (html[r.pos + 1] == '!' ||
		    html[r.pos + 1] == '?' || html[r.pos + 1] == '/'))
			skip_past(&r, ">");
		else
			r.pos++;
	}
	if (copy_up_to(&r, r.len) == -1)
		goto fail;
	return 0;
fail:
	errno = ENOMEM;
	return -1;
}
