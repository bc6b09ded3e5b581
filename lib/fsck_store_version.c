/*
 * fsck_store_version.c - the record of one stored version under check
 * by fsck of the template store: setting it up and releasing it, adding
 * its problems and rewriting their details after a repair.  Called by
 * fsck_store.c (the check) and fsck_store_repair.c (the repairs); see
 * fsck_store_internal.h.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy_copy.h"
#include "fsck_store_internal.h"
#include "manifest.h"

/* --- the version under check ---------------------------------------------- */

void
version_init(struct version_check *vc, const char *version)
{
	memset(vc, 0, sizeof(*vc));
	snprintf(vc->version, sizeof(vc->version), "%s", version);
	snprintf(vc->label, sizeof(vc->label), "template %s", version);
	vc->dir = -1;
	vc->tree = -1;
	vc->hold = -1;
	manifest_init(&vc->manifest);
	dir_cursor_init(&vc->check, -1, 0);
	dir_cursor_init(&vc->restore, -1, 1);
}

void
version_release(struct version_check *vc)
{
	size_t	i;

	for (i = 0; i < vc->count; i++)
		free(vc->problems[i].path);
	free(vc->problems);
	for (i = 0; i < vc->tenants.count; i++)
		free(vc->tenants.subdomains[i]);
	free(vc->tenants.subdomains);
	free(vc->tenants.ids);
	dir_cursor_close(&vc->check);
	dir_cursor_close(&vc->restore);
	manifest_release(&vc->manifest);
	if (vc->hold != -1)
		close(vc->hold);
	if (vc->tree != -1)
		close(vc->tree);
	if (vc->dir != -1)
		close(vc->dir);
}

/*
 * Adds a problem of kind `p` about manifest entry `index` (NO_ENTRY for
 * none) to `vc`, its detail from `fmt`.  Returns it, or NULL when out of
 * memory.
 */
struct store_problem *
add_problem(struct version_check *vc, enum problem p, size_t index,
    const char *fmt, ...)
{
	struct store_problem	*grown, *sp;
	size_t			 capacity;
	va_list			 ap;

	if (vc->count == vc->capacity) {
		capacity = vc->capacity == 0 ? 8 : vc->capacity * 2;
		if ((grown = reallocarray(vc->problems, capacity,
		    sizeof(*grown))) == NULL)
			return NULL;
		vc->problems = grown;
		vc->capacity = capacity;
	}
	sp = &vc->problems[vc->count++];
	memset(sp, 0, sizeof(*sp));
	sp->problem = p;
	sp->index = index;
	va_start(ap, fmt);
	vsnprintf(sp->detail, sizeof(sp->detail), fmt, ap);
	va_end(ap);
	return sp;
}

/* Notes that `sp`'s file (or version) was restored from `source`. */
void
note_restored(struct store_problem *sp, const char *fmt, ...)
{
	va_list	ap;

	sp->restored = 1;
	va_start(ap, fmt);
	vsnprintf(sp->source, sizeof(sp->source), fmt, ap);
	va_end(ap);
}

/* Replaces the detail of `sp` after a repair attempt. */
void
redetail(struct store_problem *sp, int repaired, const char *fmt, ...)
{
	va_list	ap;

	sp->repaired = repaired;
	va_start(ap, fmt);
	vsnprintf(sp->detail, sizeof(sp->detail), fmt, ap);
	va_end(ap);
}

/* The template path of problem `sp` of `vc`, for its detail. */
const char *
problem_path(const struct version_check *vc, const struct store_problem *sp)
{
	if (sp->path != NULL)
		return sp->path;
	if (sp->index != NO_ENTRY)
		return vc->manifest.entries[sp->index].path;
	return "";
}
