/*
 * gate_files.h - the module gate as files a front end checks without
 * asking tenantd: tenants/<sub>/.gate/<module key>, an empty file, exists
 * only while the tenant's config.json enables that module.
 *
 * nginx looks for the file before it passes /api/m/<key>/... of a tenant
 * host on to the module's backend.  When it is there the request goes on
 * with one stat() and no FastCGI round trip; when it is not, nginx asks
 * tenantd's gate as before, whose answer is the exact one (403 disabled,
 * 404 unknown module, 403 archived, ...).  A missing file therefore costs
 * only speed, while a file that outlived its module's disabling would let
 * requests through.  So every rewrite of config.json removes the files of
 * the modules it no longer enables before the new config.json is written
 * (gate_files_withdraw()) and adds those of the enabled ones after it
 * (gate_files_publish()): at every moment a file means the module is
 * enabled in the config.json on disk, and a crash between the steps
 * leaves a file missing, never one too many.  fsck reports and repairs
 * any difference (gate_files_compare()).
 *
 * The files are derived from config.json's bytes (config_modules.h), the
 * same truth tenantd's own gate reads, so the two can never disagree.  An
 * archived tenant's folder, files and all, is out of tenants_dir, so its
 * modules fall back to tenantd, which says "archived".
 *
 * `folder` is a descriptor of the tenant folder; nothing here follows a
 * symlink.  Return convention: 0, or -1 with errno set.
 */
#ifndef TENANTD_GATE_FILES_H
#define TENANTD_GATE_FILES_H

#include <stddef.h>

/* In the tenant folder, next to config.json; never part of a template. */
#define GATE_FILES_DIR		".gate"

/*
 * Removes from the folder's .gate/ every entry that is not the file of a
 * module config.json (`len` bytes of `config`) enables, and flushes the
 * directory when anything went.  Bytes that are not a config.json with a
 * "modules" map enable nothing.  A missing .gate/ is fine.
 */
int	gate_files_withdraw(int folder, const char *config, size_t len);

/*
 * Makes .gate/ hold exactly the files of the modules `config` enables:
 * adds the missing ones (and .gate/ itself), removes any other entry.
 * With `sync`, flushes what it changed.
 */
int	gate_files_publish(int folder, const char *config, size_t len,
	    int sync);

/*
 * Counts, without changing anything, the enabled modules of `config`
 * whose file is missing (*missing) and the entries of .gate/ that are not
 * such a file (*stray): what gate_files_publish() would fix.
 */
int	gate_files_compare(int folder, const char *config, size_t len,
	    size_t *missing, size_t *stray);

#endif
