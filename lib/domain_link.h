/*
 * domain_link.h - how the web servers find the site of a custom domain:
 * tenants_dir/.domains/<domain> is a symlink to ../<subdomain> for each
 * active domain, and for nothing else.
 *
 * The front ends serve a custom domain's host from
 * .domains/<host>/public, following that one link and no other (nginx's
 * disable_symlinks from=, lighttpd's follow-symlink past the document
 * root), and tenantd reads the same link to know the tenant of such a
 * host (config, assets, the module gate).  So a verified domain is live
 * the moment its link is renamed into place, with no reload; a removed
 * domain is gone with its link; an archived tenant's links dangle (its
 * folder moved to archive_dir) and come back to life when it is restored
 * under the same name.  The name starts with a dot, which no subdomain
 * does, so nothing that lists tenant folders takes it for one.
 *
 * Return convention: 0, or -1 with errno set; the lookup 1, 0 or -1.
 */
#ifndef TENANTD_DOMAIN_LINK_H
#define TENANTD_DOMAIN_LINK_H

#include "validate.h"

/* The directory of the links, in tenants_dir. */
#define DOMAIN_LINK_DIR		".domains"

/*
 * Points the link of `domain` (valid by domain_name.h) at the folder of
 * `subdomain`, atomically (a new link renamed over the old one), making
 * .domains when it is missing.  Returns 0 or -1.
 */
int	domain_link_set(int tenants_dirfd, const char *domain,
	    const char *subdomain);

/* Removes the link of `domain`; none is no error.  Returns 0 or -1. */
int	domain_link_remove(int tenants_dirfd, const char *domain);

/*
 * The subdomain the link of the host `host` (a Host header: any case, an
 * optional :port and trailing dot) points at, into `out`.  Returns 1, 0
 * when `host` is no valid domain or has no link (pending, removed, never
 * added), or -1 with errno set.  Whether that tenant's folder is there
 * (archived) is the caller's to find out.
 */
int	domain_link_subdomain(int tenants_dirfd, const char *host,
	    char out[SUBDOMAIN_MAX + 1]);

#endif
