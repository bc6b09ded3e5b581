/*
 * template.h - template versions as the rest of tenantd uses them (SPEC
 * 10): adding a version (files into the store, then its row), the default
 * version, and the manifest of a version, read once per process.
 *
 * template_dir.  tenantd.conf's template_dir (with its manifest, built by
 * `make`) is the template an installation starts with and the one
 * developers edit: whenever its manifest holds files no stored version
 * has, it is stored as a new version and becomes the default, the first
 * time any process asks for the default.  Versions added with `tenantctl
 * template add` are the operators' own; `tenantctl template default`
 * chooses among all of them, until template_dir changes again.
 *
 * Return convention: enum result with a message in `err`; the manifest
 * lookups return a pointer or NULL with `err` set.
 */
#ifndef TENANTD_TEMPLATE_H
#define TENANTD_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct manifest;
struct template_files;
struct service;
struct tenant;
struct template_version;

/*
 * Stores the template in directory `dir` as a version and records its
 * row (source "added", or "template_dir" for template_dir itself).  With
 * `manifest_path` the files must match that manifest; without, `dir` is
 * walked and hashed (the names rule of manifest.h).  `out` receives the
 * version's row; *added is 1 when it was new.  Returns RESULT_OK,
 * RESULT_INVALID (the template is refused: a name, a symlink, a bad
 * tenantd-template.json; `err` names the path), RESULT_DB_DOWN or
 * RESULT_FAILED.
 */
enum result template_add(struct service *svc, const char *dir,
	    const char *manifest_path, int from_template_dir,
	    struct template_version *out, int *added, char *err,
	    size_t errlen);

/*
 * Fills the name and web root of row `v` from tenantd-template.json in
 * the template directory open on `dirfd` (without one: no name, the
 * whole tree as the web root).  Used by template_add() and by fsck for a
 * stored version that lost its row.  Returns 0, or -1 with `err` set.
 */
int	template_version_meta_at(int dirfd, struct template_version *v,
	    char *err, size_t errlen);

/*
 * Writes the default version into `version` (16 bytes), storing
 * template_dir first when it changed (see above).  Returns RESULT_OK,
 * RESULT_NOT_FOUND (no version at all and no template_dir),
 * RESULT_DB_DOWN or RESULT_FAILED.
 */
enum result template_default(struct service *svc, char *version,
	    char *err, size_t errlen);

/*
 * The files of stored version `version` (template_files.h's struct
 * template_files: its manifest split by its web root), kept by `svc` and
 * valid until SERVICE_TEMPLATE_SLOTS other versions were asked for.
 * Returns them, or NULL with `err` set.
 */
const struct template_files *template_files_of(struct service *svc,
	    const char *version, char *err, size_t errlen);

/*
 * The version tenant `t`'s site should be judged against: its own, or
 * the default for a tenant not deployed since versions exist.  Writes it
 * into `version` (16 bytes) and returns its files, or NULL with `err`
 * set.
 */
const struct template_files *template_files_of_tenant(struct service *svc,
	    const struct tenant *t, char *version, char *err, size_t errlen);

/*
 * Queues a "rollout" job (job_deploy.h) moving tenants to stored version
 * `version`: the `count` tenants `ids`, or with `percent` (1 to 100; 0:
 * use `ids`) the active tenants template_rows_rollout_tenants() chooses,
 * those on the version already included only when `force`.  Records
 * "template.rollout" for `user_id` in the audit log.  Sets *job_id and
 * *tenants (how many the job names).  Returns RESULT_OK, RESULT_NO_MEMORY,
 * RESULT_DB_DOWN or RESULT_FAILED.
 */
enum result template_rollout_queue(struct service *svc, const char *version,
	    const int64_t *ids, size_t count, int percent, int force,
	    int64_t user_id, int64_t *job_id, size_t *tenants, char *err,
	    size_t errlen);

/*
 * The store's directory descriptor, opened (and made) on first use and
 * kept by `svc`.  Returns it, or -1 with errno set.
 */
int	template_store_fd(struct service *svc);

#endif
