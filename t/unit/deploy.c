/*
 * deploy.c - unit tests for lib/deploy.c without a database, on a private
 * temporary directory: progress is reported per file up to the total; a
 * cancelled deploy, a template that no longer matches its manifest and a
 * missing tenant folder all leave public/ as it was with no staging
 * directory; symlinks in public/ are never followed; leftovers of a killed
 * deploy are removed; template files are hard links to the stored
 * version (or copies with template_files = copy); a damaged stored file
 * fails the deploy; template_files_of() reads a version's files once
 * and refuses one that does not match the version's name.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "deploy.h"
#include "folder.h"
#include "log.h"
#include "manifest.h"
#include "service.h"
#include "template.h"
#include "template_files.h"
#include "template_store.h"
#include "tap.h"
#include "tenant.h"

static char	root[64];	/* the mkdtemp() directory */
static char	version[16];	/* the stored version deployed */
static struct template_files files;	/* its files */

/* Progress calls seen, and the call that cancels (0: none). */
struct progress_log {
	size_t	calls;
	size_t	last_done;
	size_t	last_total;
	int	monotonic;
	size_t	cancel_at;
};

/*
 * Writes `text` into `name` below the root (a relative path), replacing
 * the file by a rename as editors do: a tenant's template files may be
 * hard links shared with the template store, which an in-place write
 * would change too.
 */
static int
write_file(const char *name, const char *text)
{
	char	path[PATH_MAX], temp[PATH_MAX];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	snprintf(temp, sizeof(temp), "%s/%s.new", root, name);
	if ((f = fopen(temp, "w")) == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return rename(temp, path);
}

/* Reads `name` below the root into `out`; "" if it cannot be read. */
static const char *
read_file(const char *name, char *out, size_t outlen)
{
	char	path[PATH_MAX];
	FILE	*f;
	size_t	n = 0;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(out, 1, outlen - 1, f);
		fclose(f);
	}
	out[n] = '\0';
	return out;
}

/* Makes directory `name` below the root. */
static int
make_dir(const char *name)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return mkdir(path, 0755);
}

/* lstat() of `name` below the root: 0, or -1. */
static int
stat_of(const char *name, struct stat *st)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return lstat(path, st);
}

/* Number of entries of tenants/acme whose name starts with `prefix`. */
static int
count_prefixed(const char *prefix)
{
	char		 path[PATH_MAX];
	struct dirent	*entry;
	DIR		*dir;
	int		 count = 0;

	snprintf(path, sizeof(path), "%s/tenants/acme", root);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((entry = readdir(dir)) != NULL)
		if (strncmp(entry->d_name, prefix, strlen(prefix)) == 0)
			count++;
	closedir(dir);
	return count;
}

/* deploy_progress_fn: records the calls; cancels at cancel_at. */
static int
record_progress(void *arg, size_t done, size_t total)
{
	struct progress_log	*log = arg;

	if (done != log->last_done + 1)
		log->monotonic = 0;
	log->calls++;
	log->last_done = done;
	log->last_total = total;
	return log->cancel_at != 0 && done == log->cancel_at;
}

/* deploy_tenant() of the stored version with these options. */
static int
deploy(struct service *svc, struct tenant *t, struct manifest *m, int force,
    deploy_progress_fn progress, void *arg, struct deploy_report *report,
    char *err, size_t errlen)
{
	struct deploy_options	o;

	memset(&o, 0, sizeof(o));
	o.force = force;
	o.version = version;
	o.progress = progress;
	o.progress_arg = arg;
	(void)m;
	return deploy_tenant(svc, t, &files, &o, report, err, errlen);
}

/* Writes the manifest of template/ to template.manifest.  0 or -1. */
static int
write_manifest(struct manifest *m)
{
	char	path[PATH_MAX], final[PATH_MAX], err[256];
	FILE	*f;
	int	rc;

	snprintf(path, sizeof(path), "%s/template", root);
	if (manifest_build(m, path, err, sizeof(err)) == -1) {
		diag("%s", err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/template.manifest.new", root);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	rc = manifest_write(m, f);
	if (fclose(f) != 0)
		rc = -1;
	snprintf(final, sizeof(final), "%s/template.manifest", root);
	if (rc == 0)
		rc = rename(path, final);
	return rc;
}

/* A deploy with progress, symlinks in public/ and leftovers. */
static void
test_deploy(struct service *svc, struct tenant *t, struct manifest *m)
{
	struct deploy_report	 report;
	struct progress_log	 progress;
	struct stat		 st;
	char			 err[256], text[256];
	char			 from[PATH_MAX], to[PATH_MAX];

	memset(&progress, 0, sizeof(progress));
	progress.monotonic = 1;
	is_int(deploy(svc, t, m, 0, record_progress, &progress,
	    &report, err, sizeof(err)), 0, "deploy succeeds");
	is_int((long long)report.files_copied, (long long)m->count,
	    "every template file copied");
	is_int((long long)report.files_carried, 3,
	    "logo, outside link and its own directory's file carried");
	is_int((long long)progress.calls, (long long)m->count + 3,
	    "progress called once per file");
	is_int((long long)progress.last_done, (long long)progress.last_total,
	    "progress ends at the total");
	ok(progress.monotonic, "progress counts up by one");
	is_string(read_file("tenants/acme/public/css/site.css", text,
	    sizeof(text)), "body{}\n", "a nested template file is in place");
	ok(stat_of("tenants/acme/public/link-out", &st) == 0 &&
	    S_ISLNK(st.st_mode), "a symlink of the tenant stays a symlink");
	ok(stat_of("tenants/acme/public/app.js", &st) == 0 &&
	    S_ISREG(st.st_mode), "a symlink at a template path is replaced");
	is_string(read_file("outside/secret.txt", text, sizeof(text)),
	    "secret\n", "nothing was written through a symlink");
	is_string(read_file("tenants/acme/public/own/deep.txt", text,
	    sizeof(text)), "deep\n", "a file in the tenant's directory stays");
	is_string(read_file("tenants/acme/.env.local", text, sizeof(text)),
	    "NEXT_PUBLIC_TENANT_NAME='Acme'\n"
	    "NEXT_PUBLIC_TENANT_SUBDOMAIN='acme'\n"
	    "NEXT_PUBLIC_API_URL='/api'\n"
	    "NEXT_PUBLIC_PRIMARY_COLOR='#3498db'\n"
	    "NEXT_PUBLIC_SECONDARY_COLOR='#2ecc71'\n", ".env.local");
	is_int(count_prefixed(".public."), 0, "no staging directory left");
	ok(stat_of("tenants/acme/.deployed", &st) == 0, "a record is written");

	/* A killed deploy left these; the next deploy clears them. */
	make_dir("tenants/acme/.public.staging-0123456789abcdef");
	write_file("tenants/acme/.public.staging-0123456789abcdef/x", "x");
	make_dir("tenants/acme/.public.old-0123456789abcdef");
	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err,
	    sizeof(err)), 0, "deploy without a progress callback");
	is_int(count_prefixed(".public."), 0,
	    "leftovers of a killed deploy are removed");
	is_int((long long)report.files_kept, 0, "nothing counts as changed");

	/* Killed between the two renames of a swap without RENAME_EXCHANGE. */
	snprintf(from, sizeof(from), "%s/tenants/acme/public", root);
	snprintf(to, sizeof(to), "%s/tenants/acme/.public.old-fedcba9876543210",
	    root);
	ok(rename(from, to) == 0, "public/ moved aside as a killed swap would");
	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err,
	    sizeof(err)), 0, "deploy after the killed swap");
	is_string(read_file("tenants/acme/public/own/deep.txt", text,
	    sizeof(text)), "deep\n", "the old public/ was put back, not lost");
	ok(stat_of("tenants/acme/public/logo.png", &st) == 0 &&
	    stat_of("tenants/acme/public/link-out", &st) == 0,
	    "its own files are there");
	is_int((long long)report.files_linked, (long long)m->count,
	    "the template files are the stored ones");
	is_int(count_prefixed(".public."), 0, "nothing left aside");
}

/* Failures leave public/ as it was and no staging directory. */
static void
test_failures(struct service *svc, struct tenant *t, struct manifest *m)
{
	struct deploy_report	 report;
	struct progress_log	 progress;
	struct stat		 before, after;
	char			 err[256], text[256], stored[PATH_MAX];
	FILE			*f;

	write_file("tenants/acme/public/index.html", "tenant's own index\n");
	stat_of("tenants/acme/public/index.html", &before);

	memset(&progress, 0, sizeof(progress));
	progress.monotonic = 1;
	progress.cancel_at = 2;
	err[0] = '\0';
	is_int(deploy(svc, t, m, 1, record_progress, &progress,
	    &report, err, sizeof(err)), -1, "a cancelled deploy fails");
	ok(strstr(err, "cancelled") != NULL, "... saying it was cancelled");
	is_int(count_prefixed(".public."), 0, "... and leaves no staging");
	is_string(read_file("tenants/acme/public/index.html", text,
	    sizeof(text)), "tenant's own index\n", "... nor a changed public/");
	stat_of("tenants/acme/public/index.html", &after);
	ok(before.st_ino == after.st_ino, "... the very same file");

	snprintf(stored, sizeof(stored), "%s/tenants/.templates/%s/tree/app.js",
	    root, version);
	chmod(stored, 0644);
	if ((f = fopen(stored, "w")) != NULL) {
		fputs("export const damaged = true;\n", f);
		fclose(f);
	}
	err[0] = '\0';
	is_int(deploy(svc, t, m, 1, NULL, NULL, &report, err,
	    sizeof(err)), -1, "a damaged stored file fails the deploy");
	ok(strstr(err, "app.js") != NULL && strstr(err, "fsck") != NULL,
	    "... naming the file and fsck (%s)", err);
	ok(strstr(err, root) == NULL, "... without an absolute path");
	is_int(count_prefixed(".public."), 0, "... leaving no staging");
	is_string(read_file("tenants/acme/public/index.html", text,
	    sizeof(text)), "tenant's own index\n", "... nor a changed public/");
	if ((f = fopen(stored, "w")) != NULL) {
		fputs("export {};\n", f);
		fclose(f);
	}
	chmod(stored, 0444);

	snprintf(t->subdomain, sizeof(t->subdomain), "ghost");
	err[0] = '\0';
	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err,
	    sizeof(err)), -1, "a missing tenant folder fails");
	ok(strstr(err, "missing") != NULL, "... saying so (%s)", err);
	snprintf(t->subdomain, sizeof(t->subdomain), "../x");
	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err,
	    sizeof(err)), -1, "an invalid subdomain is refused");
	snprintf(t->subdomain, sizeof(t->subdomain), "acme");

	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err,
	    sizeof(err)), 0, "the same deploy works once the store is back");
	is_int((long long)report.files_kept, 1, "the changed index.html kept");
	is_string(report.kept[0], "index.html", "kept names it");
}

/*
 * Template files are hard links to the stored version: the same inode,
 * written nowhere; with template_files = copy each tenant has its own.
 */
static void
test_links(struct service *svc, struct tenant *t, struct manifest *m,
    struct conf *conf)
{
	struct deploy_report	report;
	struct stat		tenant_file, stored_file;
	char			err[256], stored[PATH_MAX];

	snprintf(stored, sizeof(stored), ".templates/%s/tree/css/site.css",
	    version);
	is_int(deploy(svc, t, m, 1, NULL, NULL, &report, err, sizeof(err)), 0,
	    "deploy with links");
	is_int((long long)report.files_linked, (long long)m->count,
	    "every template file linked");
	is_int((long long)report.bytes_copied, 0, "no byte copied");
	ok(stat_of("tenants/acme/public/css/site.css", &tenant_file) == 0 &&
	    fstatat(svc->tenants_dirfd, stored, &stored_file, 0) == 0 &&
	    tenant_file.st_ino == stored_file.st_ino,
	    "the tenant's file is the stored file");
	ok((tenant_file.st_mode & 0777) == 0444, "read-only: mode 0444");
	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err, sizeof(err)), 0,
	    "deploy again");
	is_int((long long)report.files_kept, 0,
	    "a shared file is never the tenant's change");

	conf_set(conf, "template_files", "copy", NULL, 0);
	is_int(deploy(svc, t, m, 1, NULL, NULL, &report, err, sizeof(err)), 0,
	    "deploy with copies");
	is_int((long long)report.files_linked, 0, "nothing linked");
	ok(stat_of("tenants/acme/public/css/site.css", &tenant_file) == 0 &&
	    tenant_file.st_ino != stored_file.st_ino &&
	    tenant_file.st_nlink == 1, "the tenant has a file of its own");
	conf_set(conf, "template_files", "link", NULL, 0);
}

/* The tenant's public/ as one text: each entry's name, inode and bytes. */
static void
public_listing(const char *dir, char *out, size_t outlen)
{
	char		 path[PATH_MAX], name[1024], text[512];
	struct dirent	*entry;
	struct stat	 st;
	DIR		*d;
	size_t		 len = strlen(out);

	snprintf(path, sizeof(path), "%s/%s", root, dir);
	if ((d = opendir(path)) == NULL)
		return;
	while ((entry = readdir(d)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%s/%s", dir, entry->d_name);
		if (stat_of(name, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			public_listing(name, out, outlen);
			len = strlen(out);
			continue;
		}
		snprintf(out + len, outlen - len, "%s %llu %s|", name,
		    (unsigned long long)st.st_ino, S_ISREG(st.st_mode) ?
		    read_file(name, text, sizeof(text)) : "(link)");
		len = strlen(out);
	}
	closedir(d);
}

/* The alias of css/site.css and app.js as asset_name.h names them. */
static void
alias_of(const char *path, const char *ext, const char *text, char *out,
    size_t outlen)
{
	unsigned char	digest[32];
	char		hex[65];

	crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
	sha256_hex(digest, hex);
	snprintf(out, outlen, "%s.%.12s.%s", path, hex, ext);
}

/*
 * asset_base_url: aliases hard-linked beside the static files, the HTML
 * rewritten and recorded, a second deploy finding it all current, a
 * lost alias restored, a changed setting redone, and unset the tree as
 * before.
 */
static void
test_cdn(struct service *svc, struct tenant *t, struct manifest *m,
    struct conf *conf)
{
	struct deploy_report	report;
	struct stat		alias_file, plain_file;
	char			err[256], text[512], expected[512];
	char			css_alias[64], js_alias[64], path[PATH_MAX];
	static char		before[16384], after[16384];

	/* The tenant is on the version deployed, as its row would say. */
	snprintf(t->template_version, sizeof(t->template_version), "%s",
	    version);
	alias_of("css/site", "css", "body{}\n", css_alias, sizeof(css_alias));
	alias_of("app", "js", "export {};\n", js_alias, sizeof(js_alias));
	before[0] = '\0';
	is_int(deploy(svc, t, m, 1, NULL, NULL, &report, err, sizeof(err)), 0,
	    "deploy without asset_base_url");
	public_listing("tenants/acme/public", before, sizeof(before));

	conf_set(conf, "asset_base_url", "https://cdn.example.com/t", NULL, 0);
	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err, sizeof(err)), 0,
	    "deploy with asset_base_url");
	snprintf(path, sizeof(path), "tenants/acme/public/%s", css_alias);
	ok(stat_of(path, &alias_file) == 0 &&
	    stat_of("tenants/acme/public/css/site.css", &plain_file) == 0 &&
	    alias_file.st_ino == plain_file.st_ino,
	    "the stylesheet's alias is a hard link to it (%s)", css_alias);
	snprintf(path, sizeof(path), "tenants/acme/public/%s", js_alias);
	ok(stat_of(path, &alias_file) == 0 &&
	    stat_of("tenants/acme/public/app.js", &plain_file) == 0 &&
	    alias_file.st_ino == plain_file.st_ino, "so is the script's");
	snprintf(expected, sizeof(expected), "<link href=\"https://cdn.example."
	    "com/t/acme/%s\"><script type=\"module\" src=\"https://cdn."
	    "example.com/t/acme/%s\"></script><img src=\"https://example.com/"
	    "x.png\">\n", css_alias, js_alias);
	is_string(read_file("tenants/acme/public/index.html", text,
	    sizeof(text)), expected, "index.html references the CDN aliases");
	ok(stat_of("tenants/acme/public/index.html", &plain_file) == 0 &&
	    plain_file.st_nlink == 1, "index.html is the tenant's own file");
	ok(strstr(read_file("tenants/acme/.deployed", text, sizeof(text)),
	    "\n# asset_base_url https://cdn.example.com/t\n") != NULL,
	    "the record names asset_base_url");
	ok(stat_of("tenants/acme/public/logo.png", &plain_file) == 0,
	    "the tenant's own files stay");

	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err, sizeof(err)), 0,
	    "deploy again");
	is_int((long long)report.files_kept, 0,
	    "the rewritten HTML is not the tenant's change");
	is_int((long long)report.files_carried, 0,
	    "public/ is current: nothing carried, no aliases as own files");
	snprintf(path, sizeof(path), "%s/tenants/acme/public/%s", root,
	    css_alias);
	ok(unlink(path) == 0, "an alias is lost");
	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err, sizeof(err)), 0,
	    "deploy after losing it");
	ok(stat_of(path + strlen(root) + 1, &alias_file) == 0,
	    "the alias is back");
	is_int((long long)report.files_carried, 3,
	    "the tenant's own files carried, no alias among them");

	conf_set(conf, "asset_base_url", "http://127.0.0.1:9/cdn", NULL, 0);
	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err, sizeof(err)), 0,
	    "deploy after asset_base_url changed, without force");
	ok(strstr(read_file("tenants/acme/public/index.html", text,
	    sizeof(text)), "http://127.0.0.1:9/cdn/acme/") != NULL,
	    "the HTML follows the new setting");
	is_int((long long)report.files_kept, 0, "nothing kept");

	conf_set(conf, "asset_base_url", "", NULL, 0);
	is_int(deploy(svc, t, m, 0, NULL, NULL, &report, err, sizeof(err)), 0,
	    "deploy after asset_base_url is unset, without force");
	after[0] = '\0';
	public_listing("tenants/acme/public", after, sizeof(after));
	is_string(after, before, "public/ is as it was before asset_base_url: "
	    "the same files, links and bytes");
	ok(strstr(read_file("tenants/acme/.deployed", text, sizeof(text)),
	    "asset_base_url") == NULL, "the record names no asset_base_url");
	t->template_version[0] = '\0';
}

/*
 * template_files_of() reads a version once and refuses a manifest that
 * does not match the version's name.
 */
static void
test_manifest_cache(struct service *svc, struct manifest *m)
{
	const struct template_files *first, *again;
	char			 err[256], path[PATH_MAX];
	FILE			*f;

	first = template_files_of(svc, version, err, sizeof(err));
	ok(first != NULL && first->manifest.count == m->count &&
	    first->web.count == m->count, "files read, all of the web root");
	again = template_files_of(svc, version, err, sizeof(err));
	ok(again == first, "read once: the same copy again");
	err[0] = '\0';
	ok(template_files_of(svc, "0123456789ab", err, sizeof(err)) == NULL &&
	    strstr(err, "0123456789ab") != NULL, "an unknown version is an "
	    "error naming it");
	ok(strstr(err, root) == NULL, "... without an absolute path");
	snprintf(path, sizeof(path), "%s/tenants/.templates/%s/manifest", root,
	    version);
	chmod(path, 0644);
	if ((f = fopen(path, "a")) != NULL) {
		fputs("0000000000000000000000000000000000000000000000000000000000000000 1 zz\n", f);
		fclose(f);
	}
	service_close(svc);
	snprintf(path, sizeof(path), "%s/tenants", root);
	svc->tenants_dirfd = open(path, O_RDONLY | O_DIRECTORY);
	err[0] = '\0';
	ok(template_files_of(svc, version, err, sizeof(err)) == NULL &&
	    strstr(err, "does not match") != NULL,
	    "a manifest that does not match its version is refused (%s)", err);
}

/* Builds a template, a manifest and a tenant folder, then runs the tests. */
int
main(void)
{
	char		template[] = "/tmp/tenantd-deploy-XXXXXX";
	char		path[PATH_MAX], link[PATH_MAX];
	struct conf	conf;
	struct service	svc;
	struct manifest	m;
	struct tenant	t;
	char		err[256];
	int		fd;

	log_set_level(LOG_LEVEL_ERROR);
	if (sodium_init() < 0 || mkdtemp(template) == NULL ||
	    conf_init(&conf) == -1) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	snprintf(root, sizeof(root), "%s", template);
	make_dir("template");
	make_dir("template/css");
	write_file("template/index.html", "<link href=\"css/site.css\">"
	    "<script type=\"module\" src=\"/app.js\"></script>"
	    "<img src=\"https://example.com/x.png\">\n");
	write_file("template/app.js", "export {};\n");
	write_file("template/css/site.css", "body{}\n");
	make_dir("outside");
	write_file("outside/secret.txt", "secret\n");
	make_dir("tenants");
	make_dir("tenants/acme");
	make_dir("tenants/acme/public");
	make_dir("tenants/acme/public/own");
	write_file("tenants/acme/public/logo.png", "png");
	write_file("tenants/acme/public/own/deep.txt", "deep\n");
	/* Symlinks out of public/: at a template path and of its own. */
	snprintf(path, sizeof(path), "%s/outside/secret.txt", root);
	snprintf(link, sizeof(link), "%s/tenants/acme/public/app.js", root);
	symlink(path, link);
	snprintf(link, sizeof(link), "%s/tenants/acme/public/link-out", root);
	symlink(path, link);

	manifest_init(&m);
	if (write_manifest(&m) == -1) {
		printf("Bail out! cannot write the manifest\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/template", root);
	conf_set(&conf, "template_dir", path, NULL, 0);
	snprintf(path, sizeof(path), "%s/template.manifest", root);
	conf_set(&conf, "template_manifest", path, NULL, 0);
	memset(&svc, 0, sizeof(svc));
	svc.conf = &conf;
	svc.template_store_fd = -1;
	snprintf(path, sizeof(path), "%s/tenants", root);
	svc.tenants_dirfd = open(path, O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof(path), "%s/template", root);
	if (template_version_of(&m, version) == -1 ||
	    template_store_add(template_store_fd(&svc), path, &m, version, err,
	    sizeof(err)) != 1) {
		printf("Bail out! cannot store the template: %s\n", err);
		return 1;
	}
	template_files_init(&files);
	if (template_store_load(template_store_fd(&svc), version, &files, err,
	    sizeof(err)) == -1) {
		printf("Bail out! cannot load the version: %s\n", err);
		return 1;
	}

	tenant_init(&t);
	t.id = 1;
	t.name = strdup("Acme");
	snprintf(t.subdomain, sizeof(t.subdomain), "acme");
	snprintf(t.primary_color, sizeof(t.primary_color), "#3498db");
	snprintf(t.secondary_color, sizeof(t.secondary_color), "#2ecc71");
	t.logo = strdup("logo.png");

	test_deploy(&svc, &t, &m);
	test_failures(&svc, &t, &m);
	test_links(&svc, &t, &m, &conf);
	test_cdn(&svc, &t, &m, &conf);
	test_manifest_cache(&svc, &m);

	tenant_release(&t);
	template_files_release(&files);
	manifest_release(&m);
	service_close(&svc);
	conf_release(&conf);
	if ((fd = open("/tmp", O_RDONLY | O_DIRECTORY)) != -1) {
		if (dir_remove_tree(fd, template + strlen("/tmp/")) == -1)
			diag("could not remove %s: %s", root, strerror(errno));
		close(fd);
	}
	done_testing();
	return exit_status();
}
