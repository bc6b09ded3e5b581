/*
 * asset_html.h - rewrites the asset references of a tenant site's HTML
 * file for a CDN (SPEC 12, asset_base_url).
 *
 * A deploy with asset_base_url set gives each HTML file of the web root
 * to asset_html_rewrite(), which copies it to `out` unchanged except for
 * the `src` and `href` attributes of <link>, <script> and <img> elements
 * whose value is a local path (relative to the file, or absolute from the
 * web root, of the characters [A-Za-z0-9._~/-] only): the path is
 * resolved and handed to the caller's lookup, and the value becomes the
 * URL the lookup returns (when it returns one).  Absolute URLs, "//host"
 * references, data:, fragments, paths with a query, an escape, white
 * space or a ".." above the web root, and paths the lookup does not know
 * stay as they are.  (No import map is added: it would be an inline
 * script, which the tenant sites' CSP refuses; see README.md.)
 *
 * This is a tokenizer of the tags only, enough for HTML the template
 * authors write: comments, <!doctype>, end tags and the contents of raw
 * text elements (<script>, <style>, <title>, <textarea> ...) are copied
 * without looking into them; attribute values may be double-, single- or
 * unquoted and keep their quotes.  Input that is no well-formed HTML is
 * copied through, never refused: the worst a strange file gets is a
 * reference left alone.  Bounded: at most ASSET_HTML_INPUT_MAX bytes in,
 * each resolved path at most ASSET_HTML_PATH_MAX bytes, `out` by its own
 * limit.
 */
#ifndef TENANTD_ASSET_HTML_H
#define TENANTD_ASSET_HTML_H

#include <stddef.h>

struct buf;

#define ASSET_HTML_INPUT_MAX	(4 * 1024 * 1024)
#define ASSET_HTML_PATH_MAX	4096

/*
 * Looks up the file at web-root path `path` (`len` bytes, no leading '/',
 * no "." or ".." segment; not NUL-terminated).  Returns the URL to
 * reference instead, a NUL-terminated string of the characters an
 * attribute value may hold unquoted and unescaped (the callback's, valid
 * until asset_html_rewrite() returns), or NULL to leave the reference.
 */
typedef const char *(*asset_html_lookup_fn)(void *arg, const char *path,
	    size_t len);

/*
 * Appends the HTML file `html` (`len` bytes) with its references
 * rewritten, as described above, to `out`.  `directory` is the file's
 * directory below the web root ("" at the top, no trailing '/'), for
 * relative paths.  Returns 0, or -1 with errno set: EFBIG for an input
 * above ASSET_HTML_INPUT_MAX, ENOMEM when `out` reaches its limit.
 */
int	asset_html_rewrite(const char *html, size_t len, const char *directory,
	    asset_html_lookup_fn lookup, void *arg, struct buf *out);

#endif
