/*
 * asset_html.c - unit tests for lib/asset_html.c: which references of an
 * HTML file are rewritten, which are left alone, and the bounds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "asset_html.h"
#include "buf.h"
#include "tap.h"

/*
 * The test lookup: the files of a small web root, each "<path>" becoming
 * "CDN/<path>.HASH"; the last path asked for is kept for the checks.
 */
static char	last_path[ASSET_HTML_PATH_MAX + 1];

static const char *
lookup(void *arg, const char *path, size_t len)
{
	static const char *const known[] = { "style.css", "app.js",
	    "favicon.svg", "js/config.js", "img/logo.png", "a b.css" };
	static char	url[ASSET_HTML_PATH_MAX + 32];
	size_t		i;

	(void)arg;
	snprintf(last_path, sizeof(last_path), "%.*s", (int)len, path);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == len && memcmp(known[i], path, len) == 0) {
			snprintf(url, sizeof(url), "CDN/%s.HASH", known[i]);
			return url;
		}
	return NULL;
}

/* Rewrites `html` from `directory` and compares with `expected`. */
static void
rewrites(const char *directory, const char *html, const char *expected,
    const char *name)
{
	struct buf	out;

	buf_init(&out, 1 << 20);
	if (asset_html_rewrite(html, strlen(html), directory, lookup, NULL,
	    &out) == -1)
		ok(0, "%s (failed: %s)", name, strerror(errno));
	else
		is_string(out.data, expected, name);
	buf_release(&out);
}

/* The same when nothing may change. */
static void
unchanged(const char *html, const char *name)
{
	rewrites("", html, html, name);
}

static void
test_references(void)
{
	rewrites("", "<link rel=\"stylesheet\" href=\"/style.css\">",
	    "<link rel=\"stylesheet\" href=\"CDN/style.css.HASH\">",
	    "an absolute path of a link");
	rewrites("", "<script type=\"module\" src=\"app.js\"></script>",
	    "<script type=\"module\" src=\"CDN/app.js.HASH\"></script>",
	    "a relative path of a script");
	rewrites("", "<IMG SRC='img/logo.png' alt=x>",
	    "<IMG SRC='CDN/img/logo.png.HASH' alt=x>",
	    "upper-case names, single quotes");
	rewrites("", "<link href=/favicon.svg rel=icon>",
	    "<link href=CDN/favicon.svg.HASH rel=icon>", "an unquoted value");
	rewrites("", "<img\nsrc\n=\n\"./img/logo.png\"/>",
	    "<img\nsrc\n=\n\"CDN/img/logo.png.HASH\"/>",
	    "white space around '=', ./ and a self-closing slash");
	rewrites("js", "<script src=\"config.js\"></script>",
	    "<script src=\"CDN/js/config.js.HASH\"></script>",
	    "a path relative to the file's directory");
	rewrites("js/deep", "<link href=\"../../style.css\">",
	    "<link href=\"CDN/style.css.HASH\">", "\"..\" inside the web root");
	rewrites("", "<link href=\"/js/../style.css\">",
	    "<link href=\"CDN/style.css.HASH\">", "\"..\" in the middle");
	is_string(last_path, "style.css", "the lookup sees the resolved path");
}

static void
test_left_alone(void)
{
	unchanged("<link href=\"https://example.com/style.css\">",
	    "an absolute URL");
	unchanged("<link href=\"//example.com/style.css\">",
	    "a scheme-relative URL");
	unchanged("<img src=\"data:image/png;base64,AAAA\">", "data:");
	unchanged("<a href=\"/style.css\">x</a>", "an <a> element");
	unchanged("<link data-href=\"/style.css\">", "another attribute");
	unchanged("<link href=\"#top\">", "a fragment");
	unchanged("<link href=\"/style.css?v=1\">", "a query");
	unchanged("<link href=\"/style.css#x\">", "a path with a fragment");
	unchanged("<link href=\"/unknown.css\">", "a path the lookup lacks");
	unchanged("<link href=\"a%20b.css\">", "an escape");
	unchanged("<link href=\"a b.css\">", "a space");
	unchanged("<link href=\" /style.css\">", "leading white space");
	unchanged("<link href=\"../style.css\">", "\"..\" above the web root");
	unchanged("<link href=\"/js//config.js\">", "an empty segment");
	unchanged("<link href=\"/js/\">", "a trailing '/'");
	unchanged("<link href=\"\">", "an empty value");
	unchanged("<link href>", "no value");
	unchanged("<link href=\"/style.css>", "an unterminated value");
	unchanged("<link href=\"javascript:alert(1)\">", "javascript:");
	unchanged("<!-- <link href=\"/style.css\"> -->", "inside a comment");
	unchanged("<script>var s = '<img src=\"/app.js\">';</script>",
	    "inside a script's text");
	unchanged("<style>/* <link href=\"/style.css\"> */</style>",
	    "inside a style's text");
	unchanged("<title><link href=/style.css></title>", "inside a title");
	unchanged("<textarea><img src=app.js></TEXTAREA >",
	    "inside a textarea");
	unchanged("<plaintext><img src=app.js>", "after <plaintext>");
	unchanged("<!doctype html><? x ?></p><link", "a tag cut short");
	unchanged("<", "a lone '<'");
	unchanged("<<<>>></ >< a", "stray brackets");
	unchanged("", "nothing");
}

static void
test_bounds(void)
{
	static char	big[ASSET_HTML_INPUT_MAX + 1];
	struct buf	out;
	char		html[ASSET_HTML_PATH_MAX * 2 + 64];
	size_t		len;

	buf_init(&out, BUF_NO_LIMIT);
	memset(big, ' ', sizeof(big));
	errno = 0;
	ok(asset_html_rewrite(big, sizeof(big), "", lookup, NULL,
	    &out) == -1 && errno == EFBIG, "an input too large is refused");
	buf_release(&out);

	buf_init(&out, 8);
	errno = 0;
	ok(asset_html_rewrite("<link href=/style.css>", 22, "", lookup, NULL,
	    &out) == -1 && errno == ENOMEM,
	    "an output past its limit fails");
	buf_release(&out);

	len = (size_t)snprintf(html, sizeof(html), "<img src=\"");
	memset(html + len, 'a', ASSET_HTML_PATH_MAX + 1);
	len += ASSET_HTML_PATH_MAX + 1;
	len += (size_t)snprintf(html + len, sizeof(html) - len, "\">");
	last_path[0] = '\0';
	unchanged(html, "a path longer than ASSET_HTML_PATH_MAX");
	is_string(last_path, "", "is not looked up");
}

int
main(void)
{
	test_references();
	test_left_alone();
	test_bounds();
	done_testing();
	return exit_status();
}
