/*
 * service.h - what a request or a tenantctl command works with.
 *
 * One struct service per process: the configuration, the database
 * connection, the libmagic handle and the tenants directory opened once.
 * Workers build it after fork (connections and magic handles are not shared
 * between processes).
 *
 * Ownership: service_open() takes a pointer to a conf the caller keeps alive
 * and owns everything else it opens; service_close() releases it.
 */
#ifndef TENANTD_SERVICE_H
#define TENANTD_SERVICE_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct db;
struct manifest;
struct template_files;
struct mime;

/* Manifests of versions a process keeps (a rollout needs two). */
#define SERVICE_TEMPLATE_SLOTS	4

struct service {
	const struct conf *conf;
	struct db	*db;		/* never NULL once open; may be down */
	struct mime	*mime;
	int		 tenants_dirfd;	/* O_DIRECTORY of conf->tenants_dir */

	/*
	 * template.c's: the template store (-1 until first used), the
	 * manifests of the versions used lately, and the identity of
	 * conf->template_manifest when it was last compared with the store
	 * (see template.h).
	 */
	int		 template_store_fd;
	struct service_template {
		char		 version[16];
		struct template_files *files;
	}		 templates[SERVICE_TEMPLATE_SLOTS];
	size_t		 template_next_slot;
	int		 template_dir_seen;
	uint64_t	 template_dir_dev;
	uint64_t	 template_dir_inode;
	int64_t		 template_dir_size;
	int64_t		 template_dir_mtime_ns;
};

/*
 * Opens the service described by `c`: creates the tenants directory if
 * needed, opens it, loads libmagic and connects to the database (a down
 * database is not an error here; callers check db_ensure()).  Returns 0, or
 * -1 with a message in `err`.
 */
int	service_open(struct service *svc, const struct conf *c, char *err,
	    size_t errlen);
void	service_close(struct service *svc);

/*
 * Makes tenants_dir and archive_dir with their missing parents (mode
 * 0755) where they do not exist yet, as service_open() and the first
 * archive would, then confines writes of this process and all it forks
 * to them and to the `extra_count` directories `extra` (sandbox.h).  Returns 1 when
 * confined, 0 when the kernel cannot confine (the reason in `err`, to be
 * logged), or -1 with a message in `err`.
 */
int	service_confine_writes(const struct conf *c, const char *const *extra,
	    size_t extra_count, char *err, size_t errlen);

#endif
