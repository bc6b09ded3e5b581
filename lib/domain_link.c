/*
 * domain_link.c - the links of active custom domains in tenants_dir (see
 * domain_link.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "domain_link.h"
#include "domain_name.h"
#include "folder.h"
#include "validate.h"

/* What a link holds: "../" and a subdomain. */
#define LINK_PREFIX	"../"
#define LINK_MAX	(sizeof(LINK_PREFIX) + SUBDOMAIN_MAX)

/*
 * Opens .domains in `tenants_dirfd`, making it first with `create`.
 * Returns the descriptor, or -1 with errno set (ENOENT: none yet).
 */
static int
links_open(int tenants_dirfd, int create)
{
	if (create && mkdirat(tenants_dirfd, DOMAIN_LINK_DIR,
	    FOLDER_DIR_MODE) == -1 && errno != EEXIST)
		return -1;
	return folder_open_dir(tenants_dirfd, DOMAIN_LINK_DIR);
}

/*
 * Makes the link of an active domain (domain_link.h).  Called by
 * domain_verify().  Returns 0 or -1.
 */
int
domain_link_set(int tenants_dirfd, const char *domain, const char *subdomain)
{
	char	target[LINK_MAX + 1], fresh[NAME_MAX + 1];
	int	dfd = -1, rc = -1, made = 0, saved;

	if (snprintf(target, sizeof(target), "%s%s", LINK_PREFIX,
	    subdomain) >= (int)sizeof(target)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((dfd = links_open(tenants_dirfd, 1)) == -1 ||
	    folder_hidden_name(fresh, sizeof(fresh), ".new-", domain) == -1 ||
	    symlinkat(target, dfd, fresh) == -1)
		goto out;
	made = 1;
	if (renameat(dfd, fresh, dfd, domain) == -1 || fsync(dfd) == -1)
		goto out;
	made = 0;
	rc = 0;
out:
	saved = errno;
	if (made)
		unlinkat(dfd, fresh, 0);
	if (dfd != -1)
		close(dfd);
	errno = saved;
	return rc;
}

/*
 * Removes the link of a domain (domain_link.h).  Called when a domain is
 * removed and when its tenant is deleted.  Returns 0 or -1.
 */
int
domain_link_remove(int tenants_dirfd, const char *domain)
{
	int	dfd, rc = 0, saved;

	if ((dfd = links_open(tenants_dirfd, 0)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (unlinkat(dfd, domain, 0) == -1 && errno != ENOENT)
		rc = -1;
	else if (fsync(dfd) == -1)
		rc = -1;
	saved = errno;
	close(dfd);
	errno = saved;
	return rc;
}

/*
 * Copies the host part of Host header `host` into `out` (of
 * DOMAIN_NAME_MAX + 1 bytes), lower-cased, without its :port and trailing
 * dot.  Returns 1, or 0 when it cannot be a custom domain.
 */
static int
host_name(const char *host, char out[DOMAIN_NAME_MAX + 1])
{
	size_t	len = strcspn(host, ":"), i;

	if (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		out[i] = host[i] >= 'A' && host[i] <= 'Z' ?
		    (char)(host[i] - 'A' + 'a') : host[i];
	out[len] = '\0';
	return domain_name_check(out, len, NULL) == NULL;
}

/*
 * The subdomain behind a custom domain's host (domain_link.h).  Called by
 * the handlers for requests through a custom domain.  Returns 1, 0 or -1.
 */
int
domain_link_subdomain(int tenants_dirfd, const char *host,
    char out[SUBDOMAIN_MAX + 1])
{
	char	name[DOMAIN_NAME_MAX + 1], target[LINK_MAX + 1];
	ssize_t	n;
	size_t	prefix = sizeof(LINK_PREFIX) - 1;
	int	dfd, rc = -1, saved;

	if (host == NULL || !host_name(host, name))
		return 0;
	if ((dfd = links_open(tenants_dirfd, 0)) == -1)
		return errno == ENOENT ? 0 : -1;
	n = readlinkat(dfd, name, target, sizeof(target));
	if (n == -1) {
		rc = errno == ENOENT || errno == EINVAL ? 0 : -1;
		goto out;
	}
	rc = 0;
	if ((size_t)n >= sizeof(target) || (size_t)n <= prefix ||
	    memcmp(target, LINK_PREFIX, prefix) != 0 ||
	    validate_subdomain(target + prefix, (size_t)n - prefix) != NULL)
		goto out;
	memcpy(out, target + prefix, (size_t)n - prefix);
	out[(size_t)n - prefix] = '\0';
	rc = 1;
out:
	saved = errno;
	close(dfd);
	errno = saved;
	return rc;
}
