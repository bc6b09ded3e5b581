/*
 * mime.c - unit tests for lib/mime.c: logo types judged from bytes built
 * here (never from a name), SVG and text refused as logos, and the table
 * of served types, including text refined by extension.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"
#include "tap.h"

/* A 1x1 PNG header: signature and IHDR chunk. */
static const unsigned char png_bytes[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
	0x00, 0x00, 0x00, 0x0d, 'I', 'H', 'D', 'R',
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89
};

/* The start of a JFIF JPEG. */
static const unsigned char jpeg_bytes[] = {
	0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00,
	0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00
};

/* A GIF89a header with a 1x1 logical screen. */
static const unsigned char gif_bytes[] = {
	'G', 'I', 'F', '8', '9', 'a', 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00
};

/* A lossless 1x1 WebP. */
static const unsigned char webp_bytes[] = {
	'R', 'I', 'F', 'F', 0x1a, 0x00, 0x00, 0x00, 'W', 'E', 'B', 'P',
	'V', 'P', '8', 'L', 0x0d, 0x00, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00,
	0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00
};

static const char svg_text[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\">"
    "<script>alert(1)</script></svg>\n";

static const char plain_text[] = "hello, this is plain text\n";

static const char css_text[] = "body {\n\tcolor: #333;\n\tmargin: 0;\n}\n";

/* What libmagic says about the image bytes. */
static void
test_detect(struct mime *m)
{
	char type[128], tiny[4];

	ok(mime_detect(m, png_bytes, sizeof(png_bytes), type,
	    sizeof(type)) == 0, "detect png");
	is_string(type, "image/png", "png bytes are image/png");
	ok(mime_detect(m, jpeg_bytes, sizeof(jpeg_bytes), type,
	    sizeof(type)) == 0, "detect jpeg");
	is_string(type, "image/jpeg", "jpeg bytes are image/jpeg");
	ok(mime_detect(m, svg_text, strlen(svg_text), type,
	    sizeof(type)) == 0, "detect svg");
	is_string(type, "image/svg+xml", "svg text is image/svg+xml");
	ok(mime_detect(m, plain_text, strlen(plain_text), type,
	    sizeof(type)) == 0, "detect text");
	is_string(type, "text/plain", "text is text/plain");
	ok(mime_detect(m, png_bytes, sizeof(png_bytes), tiny,
	    sizeof(tiny)) == -1, "a type that does not fit is an error");
	ok(mime_detect(NULL, png_bytes, sizeof(png_bytes), type,
	    sizeof(type)) == -1, "no handle is an error");
}

/* Logos: the four image types by their bytes; everything else refused. */
static void
test_logo_extension(struct mime *m)
{
	const char *ext;

	ext = mime_logo_extension(m, png_bytes, sizeof(png_bytes));
	is_string(ext, "png", "png logo");
	ext = mime_logo_extension(m, jpeg_bytes, sizeof(jpeg_bytes));
	is_string(ext, "jpg", "jpeg logo gets .jpg");
	ext = mime_logo_extension(m, gif_bytes, sizeof(gif_bytes));
	is_string(ext, "gif", "gif logo");
	ext = mime_logo_extension(m, webp_bytes, sizeof(webp_bytes));
	is_string(ext, "webp", "webp logo");
	ok(mime_logo_extension(m, svg_text, strlen(svg_text)) == NULL,
	    "svg refused as a logo");
	ok(mime_logo_extension(m, plain_text, strlen(plain_text)) == NULL,
	    "text refused as a logo");
	ok(mime_logo_extension(m, "", 0) == NULL, "empty refused as a logo");
	ok(mime_logo_extension(m, png_bytes, 4) == NULL,
	    "a truncated png signature is refused");
}

/* The served type for a name and a detected type. */
static void
test_for_file(void)
{
	static const struct {
		const char	*name;
		const char	*detected;
		const char	*expected;
	} cases[] = {
		{ "style.css", "text/plain", "text/css; charset=utf-8" },
		{ "style.css", "text/x-asm", "text/css; charset=utf-8" },
		{ "app.js", "text/plain", "text/javascript; charset=utf-8" },
		{ "mod.MJS", "text/plain", "text/javascript; charset=utf-8" },
		{ "data.json", "application/json",
		    "application/json; charset=utf-8" },
		{ "app.js.map", "text/plain",
		    "application/json; charset=utf-8" },
		{ "site.webmanifest", "application/json",
		    "application/manifest+json; charset=utf-8" },
		{ "index.html", "text/html", "text/html; charset=utf-8" },
		{ "page.htm", "text/plain", "text/html; charset=utf-8" },
		{ "img/icon.svg", "text/plain", "image/svg+xml" },
		{ "img/icon.svg", "image/svg+xml", "image/svg+xml" },
		{ "notes.txt", "text/html", "text/plain; charset=utf-8" },
		{ "README", "text/plain", "text/plain; charset=utf-8" },
		{ "empty.css", "application/x-empty",
		    "text/css; charset=utf-8" },
		{ "empty.js", "inode/x-empty",
		    "text/javascript; charset=utf-8" },
		{ "logo.png", "image/png", "image/png" },
		{ "logo.css", "image/png", "image/png" },
		{ "photo.jpg", "image/jpeg", "image/jpeg" },
		{ "anim.gif", "image/gif", "image/gif" },
		{ "pic.webp", "image/webp", "image/webp" },
		{ "font.woff2", "font/woff2", "font/woff2" },
		{ "tool.exe", "application/x-dosexec",
		    "application/octet-stream" },
		{ "script.sh", "text/x-shellscript",
		    "text/plain; charset=utf-8" },
		{ ".css", "text/plain", "text/plain; charset=utf-8" },
		{ "dir.css/file", "text/plain", "text/plain; charset=utf-8" },
		{ "blob.bin", "application/octet-stream",
		    "application/octet-stream" },
		{ NULL, "text/css", "text/css; charset=utf-8" },
		{ "style.css", NULL, "text/css; charset=utf-8" },
	};
	size_t i;
	char name[160];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "%s judged %s",
		    cases[i].name != NULL ? cases[i].name : "(no name)",
		    cases[i].detected != NULL ? cases[i].detected :
		    "(nothing)");
		is_string(mime_for_file(cases[i].name, cases[i].detected),
		    cases[i].expected, name);
	}
}

/* Detection and the table together, as the asset handler uses them. */
static void
test_detect_then_serve(struct mime *m)
{
	char type[128];

	ok(mime_detect(m, css_text, strlen(css_text), type,
	    sizeof(type)) == 0, "detect css text");
	is_string(mime_for_file("theme.css", type), "text/css; charset=utf-8",
	    "css served as text/css whatever libmagic guessed");
	ok(mime_detect(m, png_bytes, sizeof(png_bytes), type,
	    sizeof(type)) == 0, "detect png again");
	is_string(mime_for_file("looks-like.html", type), "image/png",
	    "png bytes named .html are served as png");
	ok(mime_detect(m, "", 0, type, sizeof(type)) == 0, "detect empty");
	is_string(mime_for_file("blank.txt", type), "text/plain; charset=utf-8",
	    "an empty .txt is text/plain");
}

/* Writes `len` bytes to a new temporary file; returns it open, or -1. */
static int
temporary_file(const void *data, size_t len)
{
	char path[] = "/tmp/mime-test.XXXXXX";
	int fd;

	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * mime_for_open_file() types a file once and then answers from its table
 * while the file's identity (device, inode, size, times, name) stays; the
 * table is seen at work by handing it a stat that no longer matches the
 * bytes.
 */
static void
test_for_open_file(struct mime *m)
{
	struct stat png_stat, css_stat, changed;
	int png_fd, css_fd;

	png_fd = temporary_file(png_bytes, sizeof(png_bytes));
	css_fd = temporary_file(css_text, strlen(css_text));
	if (png_fd == -1 || css_fd == -1 || fstat(png_fd, &png_stat) == -1 ||
	    fstat(css_fd, &css_stat) == -1) {
		ok(0, "temporary files for mime_for_open_file");
		goto out;
	}
	is_string(mime_for_open_file(m, png_fd, &png_stat, "logo.png"),
	    "image/png", "an open png file");
	is_string(mime_for_open_file(m, css_fd, &css_stat, "site.css"),
	    "text/css; charset=utf-8", "an open css file");
	is_string(mime_for_open_file(m, css_fd, &png_stat, "logo.png"),
	    "image/png", "the png's identity is answered from the table, "
	    "whatever the bytes");
	changed = png_stat;
	changed.st_mtim.tv_nsec = (changed.st_mtim.tv_nsec + 1) % 1000000000;
	is_string(mime_for_open_file(m, css_fd, &changed, "logo.png"),
	    "text/plain; charset=utf-8", "a changed modification time types "
	    "the bytes again (text named .png)");
	changed = css_stat;
	changed.st_size++;
	is_string(mime_for_open_file(m, png_fd, &changed, "site.css"),
	    "image/png", "so does a changed size");
	is_string(mime_for_open_file(m, png_fd, &css_stat, "other.css"),
	    "image/png", "and another name for the same file");
out:
	if (png_fd != -1)
		close(png_fd);
	if (css_fd != -1)
		close(css_fd);
}

int
main(void)
{
	struct mime *m;

	if (!ok((m = mime_open()) != NULL, "mime_open loads the magic database")) {
		done_testing();
		return exit_status();
	}
	test_detect(m);
	test_logo_extension(m);
	test_for_file();
	test_detect_then_serve(m);
	test_for_open_file(m);
	mime_close(m);
	mime_close(NULL);
	done_testing();
	return exit_status();
}
