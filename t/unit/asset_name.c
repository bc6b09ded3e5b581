/*
 * asset_name.c - unit tests for lib/asset_name.c: which files get a
 * content-named alias, the alias's name, and recognising one.
 */
#include <errno.h>
#include <string.h>

#include "asset_name.h"
#include "tap.h"

#define HEX	"0123456789abcdef0123"

static void
test_kinds(void)
{
	ok(asset_name_is_static("style.css") && asset_name_is_static(
	    "js/config.js") && asset_name_is_static("a/b/font.woff2") &&
	    asset_name_is_static("logo.png"), "static files by extension");
	ok(!asset_name_is_static("index.html") && !asset_name_is_static(
	    "config.json") && !asset_name_is_static(".css") &&
	    !asset_name_is_static("style.CSS") && !asset_name_is_static(
	    "css") && !asset_name_is_static("dir.css/x"),
	    "others are not: HTML, JSON, dotfiles, upper case, no stem");
	ok(asset_name_is_html("index.html") && asset_name_is_html("a/b.htm") &&
	    !asset_name_is_html("app.js") && !asset_name_is_html(".html"),
	    "HTML files");
}

static void
test_alias(void)
{
	char	out[64], original[64], hex[ASSET_NAME_HASH_LEN + 1];

	ok(asset_name_alias("js/config.js", HEX, out, sizeof(out)) == 0,
	    "an alias of js/config.js");
	is_string(out, "js/config.0123456789ab.js", "twelve digits before "
	    "the extension");
	ok(asset_name_alias("style.min.css", HEX, out, sizeof(out)) == 0,
	    "an alias of a name with two dots");
	is_string(out, "style.min.0123456789ab.css", "before the last one");
	errno = 0;
	ok(asset_name_alias("index.html", HEX, out, sizeof(out)) == -1 &&
	    errno == EINVAL, "no alias for HTML");
	errno = 0;
	ok(asset_name_alias("js/config.js", HEX, out, 10) == -1 &&
	    errno == ENAMETOOLONG, "an alias that does not fit");

	ok(asset_name_parse("js/config.0123456789ab.js", original,
	    sizeof(original), hex), "an alias is recognised");
	is_string(original, "js/config.js", "with the path it aliases");
	is_string(hex, "0123456789ab", "and its digits");
	ok(asset_name_parse("style.min.0123456789ab.css", original,
	    sizeof(original), hex) && strcmp(original, "style.min.css") == 0,
	    "a stem with a dot");
	ok(!asset_name_parse("js/config.js", original, sizeof(original), hex),
	    "a plain name is no alias");
	ok(!asset_name_parse(".0123456789ab.js", original, sizeof(original),
	    hex) && !asset_name_parse("a.0123456789AB.js", original,
	    sizeof(original), hex) && !asset_name_parse("a.0123456789a.js",
	    original, sizeof(original), hex) && !asset_name_parse(
	    "a0123456789ab.js", original, sizeof(original), hex) &&
	    !asset_name_parse("a.0123456789ab.html", original,
	    sizeof(original), hex), "nor an empty stem, upper case, eleven "
	    "digits, no dot before them, HTML");
	ok(!asset_name_parse("js/config.0123456789ab.js", original, 8, hex),
	    "nor one whose path does not fit");
}

int
main(void)
{
	test_kinds();
	test_alias();
	done_testing();
	return exit_status();
}
