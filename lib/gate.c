/*
 * gate.c - the module gate's decisions (see gate.h): which tenant a host
 * names, which module a module API path names, and whether that tenant
 * may use that module.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_cache.h"
#include "folder.h"
#include "form.h"
#include "gate.h"
#include "validate.h"


/*
 * Finds tenant host `host` (see gate.h).  Called by the gate for every
 * request that comes without a TENANT_SUBDOMAIN from the front end.
 * Returns 1 or 0.
 */
int
gate_host_subdomain(const char *host, const char *base_domain, char *out,
    size_t outlen)
{
	char name[GATE_HOST_MAX + 1];
	size_t len, base_len, label_len, i;
	const char *colon;

	if (outlen > 0)
		out[0] = '\0';
	if (host == NULL || base_domain == NULL || base_domain[0] == '\0')
		return 0;
	len = strlen(host);
	if ((colon = strrchr(host, ':')) != NULL) {
		/* Only a port may follow the last colon; IPv6 has no label. */
		if (colon[1] == '\0' || strspn(colon + 1, "0123456789") !=
		    strlen(colon + 1) || memchr(host, ']', len) != NULL)
			return 0;
		len = (size_t)(colon - host);
	}
	if (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len > GATE_HOST_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)host[i];

		name[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') :
		    (char)c;
	}
	name[len] = '\0';

	base_len = strlen(base_domain);
	if (base_len + 2 > len)
		return 0;
	label_len = len - base_len - 1;
	if (name[label_len] != '.' ||
	    strcasecmp(name + label_len + 1, base_domain) != 0)
		return 0;
	if (validate_subdomain(name, label_len) != NULL || label_len >= outlen)
		return 0;
	memcpy(out, name, label_len);
	out[label_len] = '\0';
	return 1;
}

/*
 * Is `segment` (`len` bytes, after the module key) one the gate can judge
 * by its spelling alone?  Module backends differ in how they read a path:
 * Tomcat and Spring drop ";..." path parameters (so "..;" becomes ".."),
 * some decode twice ("%252e" becomes "."), some take '\' for '/', some
 * trim trailing dots.  So the segment must not be empty or only dots;
 * ';', '\' and control bytes are refused however written; and a '.',
 * '/' or '%' may not be percent-encoded, since a web server or a backend
 * may decode it into a separator or a dot segment.
 */
static int
segment_is_plain(const char *segment, size_t len)
{
	char decoded[GATE_SEGMENT_MAX + 1];
	size_t i, raw_dots = 0, dots = 0;
	long decoded_len;

	if (len == 0 || len > GATE_SEGMENT_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (segment[i] == '.')
			raw_dots++;
	if ((decoded_len = form_percent_decode(segment, len, decoded, 0)) < 0)
		return 0;
	for (i = 0; i < (size_t)decoded_len; i++) {
		unsigned char c = (unsigned char)decoded[i];

		if (c < 0x20 || c == 0x7f || c == ';' || c == '\\' ||
		    c == '/' || c == '%')
			return 0;
		if (c == '.')
			dots++;
	}
	return dots == raw_dots && dots < (size_t)decoded_len;
}

/*
 * Finds the module key of a module API path (see gate.h).  Called by the
 * gate for FastCGI Authorizer requests.  Returns 1, 0 or -1.
 */
int
gate_module_from_path(const char *path, size_t len, char *out,
    size_t outlen)
{
	const size_t prefix_len = sizeof(GATE_MODULE_PREFIX) - 1;
	size_t key_len, i, j, segment;

	if (outlen > 0)
		out[0] = '\0';
	if (len < prefix_len || memcmp(path, GATE_MODULE_PREFIX,
	    prefix_len) != 0)
		return 0;
	for (i = prefix_len; i < len && path[i] != '/'; i++)
		continue;
	key_len = i - prefix_len;
	if (key_len == 0 && i < len)
		return -1;
	if (validate_module_key(path + prefix_len, key_len) != NULL ||
	    key_len >= outlen)
		return 0;

	/*
	 * The rest, segment by segment, must be in a form every reader of
	 * a path agrees on; a trailing slash is the one empty segment.
	 */
	for (; i < len; i = j) {
		for (j = i + 1; j < len && path[j] != '/'; j++)
			continue;
		segment = j - i - 1;
		if (segment == 0 && j == len)
			break;
		if (!segment_is_plain(path + i + 1, segment))
			return -1;
	}
	memcpy(out, path + prefix_len, key_len);
	out[key_len] = '\0';
	return 1;
}

/*
 * Is there a config.json of `subdomain` in `archive_dir`?  One stat(), no
 * symlink followed at the end.  Returns 1, 0, or -1 on an error other than
 * "not there".
 */
static int
archived_config_exists(const char *archive_dir, const char *subdomain)
{
	char path[PATH_MAX];
	struct stat st;
	int written;

	if (archive_dir == NULL || archive_dir[0] == '\0')
		return 0;
	written = snprintf(path, sizeof(path), "%s/%s/%s", archive_dir,
	    subdomain, FOLDER_CONFIG_FILE);
	if (written < 0 || (size_t)written >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return -1;
	}
	return S_ISREG(st.st_mode) ? 1 : 0;
}

/*
 * Decides one gate question (see gate.h).  Called by the gate handlers.
 * Returns the answer; GATE_FAILED leaves errno set.
 */
enum gate_answer
gate_check(struct config_cache *cache, int tenants_dirfd,
    const char *archive_dir, const char *subdomain, const char *module_key)
{
	enum config_module_state state;
	int rc;

	rc = config_cache_module(cache, tenants_dirfd, subdomain, module_key,
	    &state);
	if (rc == -1)
		return GATE_FAILED;
	if (rc == 1) {
		if (state == CONFIG_MODULE_ENABLED)
			return GATE_ALLOW;
		if (state == CONFIG_MODULE_DISABLED)
			return GATE_MODULE_DISABLED;
		return GATE_UNKNOWN_MODULE;
	}
	rc = archived_config_exists(archive_dir, subdomain);
	if (rc == -1)
		return GATE_FAILED;
	return rc == 1 ? GATE_TENANT_ARCHIVED : GATE_NO_TENANT;
}
