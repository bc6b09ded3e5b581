/*
 * folder.h - the tenant folder on disk: its layout, and the file-system
 * operations every module that touches it shares (provision, lifecycle,
 * deploy, bulk, fsck, config_file).
 *
 * A tenant folder is tenants_dir/<sub>/ holding config.json, .gate/
 * (gate_files.h) and public/ (the logo and the deployed site).  Folders being built, put aside or
 * thrown away carry hidden names that start with a dot, so they can never
 * be a subdomain: ".staging-<sub>-<hex>", ".trash-<sub>-<hex>",
 * ".old-<sub>-<hex>", ".orphan-<name>-<hex>".
 *
 * Every path here is one name relative to a directory descriptor, and
 * nothing follows a symlink, so a link planted in the tree never
 * redirects a write or a removal.  Nothing here replaces an existing
 * folder.  The random parts of names come from random.h, whose
 * precondition (sodium_init() called by the program) applies.
 *
 * This module knows files and directories only: rendering config.json
 * from a tenant row is config_file.h's job, one layer up.
 *
 * Return convention: 0, or -1 with errno set (folder_failure() turns one
 * into an enum result).
 */
#ifndef TENANTD_FOLDER_H
#define TENANTD_FOLDER_H

#include <stddef.h>

#include "result.h"

struct conf;

#define FOLDER_CONFIG_FILE	"config.json"	/* in the tenant folder */
#define FOLDER_PUBLIC_DIR	"public"	/* in the tenant folder */
#define FOLDER_FILE_MODE	0644	/* readable by the web server */
#define FOLDER_DIR_MODE		0755

/*
 * Opens directory `name` under `dirfd` without following a symlink.
 * Returns the descriptor (the caller closes it), or -1 with errno set.
 */
int	folder_open_dir(int dirfd, const char *name);

/*
 * Writes `len` bytes to `name` in directory `dirfd` atomically: a temporary
 * file in the same directory, fsync, rename over `name`, fsync of the
 * directory.  Readers see the old content or the new, never a mix.  The
 * file gets `mode` whatever the umask.  Returns 0, or -1 with errno set;
 * the temporary file is removed on failure.
 */
int	file_write_atomic(int dirfd, const char *name, const void *data,
	    size_t len, int mode);

/*
 * file_write_atomic(), and the new file's modification time lies in a
 * later second than the replaced file's, even when both are written in
 * one second: a web server serving the file itself builds its ETag and
 * Last-Modified from whole seconds and the size, and must never answer
 * 304 for a content it has not seen (config.json, which nginx, lighttpd
 * and Caddy serve directly).  A burst of rewrites moves the time ahead of
 * the clock by at most one second per rewrite.  Returns 0, or -1 with
 * errno set.
 */
int	file_write_atomic_newer(int dirfd, const char *name, const void *data,
	    size_t len, int mode);

/*
 * file_write_atomic() without its two fsyncs, for a batch that flushes
 * the filesystem once for many files (syncfs()): readers still see the
 * old content or the new, never a mix, but a crash before the caller's
 * flush may lose the new content.  Returns 0, or -1 with errno set.
 */
int	file_write_replace(int dirfd, const char *name, const void *data,
	    size_t len, int mode);

/*
 * Removes directory `name` under `dirfd` and everything in it, without
 * following symlinks (a symlink is removed, not its target).  Returns 0,
 * or -1 with errno set (ENOENT when there is nothing called `name`).
 */
int	dir_remove_tree(int dirfd, const char *name);

/*
 * Writes "<prefix><name>-<16 random hex digits>" into `out` (of `len`
 * bytes): the name of a folder put aside or being built.  Returns 0, or
 * -1 with errno set (ENAMETOOLONG when it would not fit or pass NAME_MAX).
 */
int	folder_hidden_name(char *out, size_t len, const char *prefix,
	    const char *name);

/*
 * Renames `from` in `from_dirfd` to `to` in `to_dirfd`, failing with
 * EEXIST (or ENOTEMPTY) when `to` exists, even as an empty directory,
 * which rename() would replace.  Returns 0, or -1 with errno set (EXDEV
 * across filesystems).
 */
int	folder_rename_noreplace(int from_dirfd, const char *from,
	    int to_dirfd, const char *to);

/*
 * Renames entry `name` of `from_dirfd` to "<prefix><name>-<16 hex>" in
 * `to_dirfd` (the same filesystem), never over an existing entry, and
 * syncs both directories.  The new name goes to `moved_to` (of `len`
 * bytes).  Used to put a folder aside instead of deleting it (archive:
 * ".old-", fsck: ".orphan-").  Returns 0, or -1 with errno set.
 */
int	folder_move_aside(int from_dirfd, const char *name, int to_dirfd,
	    const char *prefix, char *moved_to, size_t len);

/*
 * Moves entry `name` of `dirfd` out of sight (to ".trash-<name>-<hex>" in
 * the same directory) and removes it.  A missing entry is not an error.
 * A trash folder that cannot be removed is logged and left for tenantctl
 * fsck: it is no longer visible under its name.  Returns 0, or -1 with
 * errno set if `name` is still there.
 */
int	folder_discard(int dirfd, const char *name);

/*
 * Opens conf->archive_dir (the configured path may be a symlink).  With
 * `create`, a missing directory is made with mode 0755 (its parent must
 * exist).  Returns the descriptor, or -1 with errno set (ENOENT when it
 * does not exist and `create` is 0, or none is configured).
 */
int	folder_open_archive_dir(const struct conf *c, int create);

/* What folder_create_staged() puts into a new tenant folder. */
struct folder_content {
	const char	*config;	/* config.json, rendered */
	size_t		 config_len;
	const char	*logo_name;	/* in public/; NULL for no logo */
	const void	*logo;
	size_t		 logo_len;
	const char	*logo_alias;	/* a second name of the logo in
					   public/ (a hard link: its
					   content-named alias for a CDN),
					   or NULL */
	int		 sync;		/* fsync files and folders first */
	/*
	 * Called with the staged folder open, before anything is flushed
	 * or renamed, to add to it (bulk create deploys the site there,
	 * an import its files); NULL for nothing.  It returns 0, or -1
	 * with errno set to give up: the staged folder is removed.
	 */
	int		(*fill)(void *arg, int folder);
	void		*fill_arg;
	const char	*crash_staged;	/* crash points (crash.h): built, */
	const char	*crash_placed;	/* renamed into place */
};

/*
 * Builds a new tenant folder: ".staging-<sub>-<hex>" in `tenants_dirfd`
 * with public/ (and the logo in it), config.json and the gate files
 * of the modules it enables (gate_files.h), then renamed to
 * <sub>, never over an existing entry.  With `sync` every file and both
 * folders are fsynced before the rename; without, the caller makes them
 * durable (bulk create: one syncfs() per chunk).  The caller syncs
 * `tenants_dirfd` after the rename.  Used by provision_create, bulk create
 * and fsck.  Returns 0, or -1 with errno set (EEXIST or ENOTEMPTY when
 * <sub> exists, EINVAL for a name that is not a subdomain or a logo name
 * that is not one entry); nothing is left behind on failure.
 */
int	folder_create_staged(int tenants_dirfd, const char *sub,
	    const struct folder_content *content);

/*
 * Reports a failed operation on the folder of `sub`: logs it with errno's
 * text and puts "<what>: <reason>" into `err` (no path in it).  Returns
 * RESULT_FAILED, for callers that return an enum result; errno is kept.
 */
enum result folder_failure(const char *sub, const char *what, char *err,
	    size_t errlen);

#endif
