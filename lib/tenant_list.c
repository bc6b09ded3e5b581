/*
 * tenant_list.c - pages of tenants: the API's listing (search, filters,
 * orderings, offset and keyset pages), the walks by id list and by id
 * range that bulk changes and fsck use, and the statistics.  One tenant's
 * rows are tenant.c's; both read rows through tenant_row.h.
 *
 * SQL text is assembled only from constant fragments (the WHERE and ORDER
 * BY pieces of a listing, runs of "?" parameter markers: sql.h); every
 * client value travels as a bound parameter.  Modules of several tenants
 * are always loaded with one query for all of them, never one query per
 * tenant.
 *
 * What keeps this cheap at any number of tenants lives in the database
 * (etc/migrations/0007_list_index.sql): counters, kept by triggers, that
 * the statistics and the count of an unsearched listing add up, and a
 * trigram index of names and subdomains from which a search takes its
 * candidates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "module.h"
#include "sql.h"
#include "tenant.h"
#include "tenant_row.h"
#include "trigram.h"
#include "validate.h"

/* The page size limit of a listing and so of its IN (...) module query. */
#define TENANT_LIST_MAX		100
/* Longest search term that can match, in bytes (a name is at most 800). */
#define TENANT_SEARCH_MAX	1024
/*
 * How many tenants may hold a trigram before a count does better to check
 * every tenant than to start from that trigram's.
 */
#define TRIGRAM_COMMON		2000

/*
 * The filters of a listing, indexed by which are present (TENANT_FILTER_*
 * bits).  The name is searched through its case-insensitive collation; the
 * subdomain column is ascii and case-sensitive, so it is compared with the
 * lowered pattern, and only for an ASCII term: a subdomain cannot contain
 * anything else, and MariaDB refuses to compare ascii with non-ASCII text
 * ("Illegal mix of collations").
 *
 * A term of three characters or more first joins the tenants to a few of
 * its trigrams (trigram.h), and the LIKE then runs on those candidates
 * only.  That finds every match because LIKE in utf8mb4_unicode_ci
 * compares a name with the pattern one character to one character, two
 * characters matching when their collation weights are equal (so 'é'
 * matches 'e', and 'ß' matches 'ß' only, never "ss").  A name matching
 * the term therefore has, for each trigram of the term, three characters
 * in a row with the same weights, and that trigram, stored in the same
 * collation, is "=" to the term's: "=" compares the weights of whole
 * strings, which is coarser still ('ß' = "ss", trailing spaces ignored).
 * A coarser lookup only adds candidates, which the LIKE then drops.  The
 * subdomain's trigrams are stored in the same column: a subdomain
 * matching the lowered pattern byte for byte has trigrams equal to the
 * term's in that collation.  Shorter terms have no trigram and are
 * matched by the LIKE over all tenants.
 */
#define TENANT_FILTER_ACTIVE	0x1
#define TENANT_FILTER_SEARCH	0x2
#define TENANT_FILTER_NAME_ONLY	0x4

#define TENANT_SEARCH_BOTH \
	"(name LIKE ? ESCAPE '\\\\' OR subdomain LIKE LOWER(?) ESCAPE '\\\\')"
#define TENANT_SEARCH_NAME	"name LIKE ? ESCAPE '\\\\'"

/*
 * The joins of a search to the trigrams it looks up, one per trigram.
 * Each finds at most one row per tenant (the primary key of
 * tenant_trigrams is (gram, tenant_id) in the collation of the lookup);
 * MariaDB starts from the rarest trigram, whose index range it measures,
 * and probes the others by primary key.
 */
static const char *const tenant_trigram_join[TRIGRAM_PICK_MAX] = {
	" JOIN tenant_trigrams g1 ON g1.tenant_id = tenants.id AND g1.gram = ?",
	" JOIN tenant_trigrams g2 ON g2.tenant_id = tenants.id AND g2.gram = ?",
	" JOIN tenant_trigrams g3 ON g3.tenant_id = tenants.id AND g3.gram = ?",
	" JOIN tenant_trigrams g4 ON g4.tenant_id = tenants.id AND g4.gram = ?",
};

static const char *const tenant_where[8] = {
	"",
	" WHERE is_active = ?",
	" WHERE " TENANT_SEARCH_BOTH,
	" WHERE is_active = ? AND " TENANT_SEARCH_BOTH,
	"",
	" WHERE is_active = ?",
	" WHERE " TENANT_SEARCH_NAME,
	" WHERE is_active = ? AND " TENANT_SEARCH_NAME
};

/*
 * ORDER BY for each enum tenant_order, with id as the tiebreaker: once for
 * the page of ids (which an index covers) and once for the rows joined to
 * it.  For keyset paging, the ordering's key as the rows query returns it
 * (created_at with its microseconds, so no two places collapse) and the
 * condition "after (key, id)" that the same index serves as a range.
 */
#define TENANT_CREATED_KEY 	"DATE_FORMAT(t.created_at, '%Y-%m-%d %H:%i:%s.%f')"

static const struct {
	const char		*text;
	enum tenant_order	 order;
	const char		*ids_sql;
	const char		*rows_sql;
	const char		*key_sql;
	const char		*after_sql;
} tenant_orders[] = {
	{ "-created_at", TENANT_ORDER_CREATED_DESC,
	    " ORDER BY created_at DESC, id DESC",
	    " ORDER BY t.created_at DESC, t.id DESC",
	    TENANT_CREATED_KEY,
	    "(created_at < ? OR (created_at = ? AND id < ?))" },
	{ "created_at", TENANT_ORDER_CREATED_ASC,
	    " ORDER BY created_at ASC, id ASC",
	    " ORDER BY t.created_at ASC, t.id ASC",
	    TENANT_CREATED_KEY,
	    "(created_at > ? OR (created_at = ? AND id > ?))" },
	{ "name", TENANT_ORDER_NAME_ASC,
	    " ORDER BY name ASC, id ASC",
	    " ORDER BY t.name ASC, t.id ASC",
	    "t.name",
	    "(name > ? OR (name = ? AND id > ?))" },
	{ "-name", TENANT_ORDER_NAME_DESC,
	    " ORDER BY name DESC, id DESC",
	    " ORDER BY t.name DESC, t.id DESC",
	    "t.name",
	    "(name < ? OR (name = ? AND id < ?))" },
	/*
	 * Subdomains are unique: no tiebreaker, which would make MariaDB
	 * sort the rows instead of reading uq_tenants_subdomain in order.
	 */
	{ "subdomain", TENANT_ORDER_SUBDOMAIN_ASC,
	    " ORDER BY subdomain ASC",
	    " ORDER BY t.subdomain ASC",
	    "t.subdomain",
	    "(subdomain > ? OR (subdomain = ? AND id > ?))" },
	{ "-subdomain", TENANT_ORDER_SUBDOMAIN_DESC,
	    " ORDER BY subdomain DESC",
	    " ORDER BY t.subdomain DESC",
	    "t.subdomain",
	    "(subdomain < ? OR (subdomain = ? AND id < ?))" },
};

#define TENANT_ORDER_COUNT (sizeof(tenant_orders) / sizeof(tenant_orders[0]))

/*
 * Parses an API "ordering" value: "name", "subdomain", "created_at", each
 * with an optional leading '-'.  NULL or "" gives the default (newest
 * first).  Returns 0, or -1 if unknown.
 */
int
tenant_order_parse(const char *text, enum tenant_order *order)
{
	size_t i;

	if (text == NULL || *text == '\0') {
		*order = TENANT_ORDER_CREATED_DESC;
		return 0;
	}
	for (i = 0; i < TENANT_ORDER_COUNT; i++) {
		if (strcmp(tenant_orders[i].text, text) == 0) {
			*order = tenant_orders[i].order;
			return 0;
		}
	}
	return -1;
}

/*
 * The API spelling of `order`, for cursors and links; the default's for
 * a value out of range.
 */
const char *
tenant_order_name(enum tenant_order order)
{
	size_t i;

	for (i = 0; i < TENANT_ORDER_COUNT; i++)
		if (tenant_orders[i].order == order)
			return tenant_orders[i].text;
	return tenant_orders[0].text;
}

/* The index of `order` in tenant_orders; unknown values get the default. */
static size_t
order_index(enum tenant_order order)
{
	size_t i;

	for (i = 0; i < TENANT_ORDER_COUNT; i++)
		if (tenant_orders[i].order == order)
			return i;
	return 0;
}

/*
 * Turns a search term into a LIKE pattern "%term%" with '\', '%' and '_'
 * escaped, so they match literally.  Returns a string to free, or NULL.
 */
static char *
like_pattern(const char *term)
{
	size_t len, i, used = 0;
	char *pattern;

	len = strlen(term);
	if (len > TENANT_SEARCH_MAX)
		return NULL;
	if ((pattern = malloc(len * 2 + 3)) == NULL)
		return NULL;
	pattern[used++] = '%';
	for (i = 0; i < len; i++) {
		if (term[i] == '\\' || term[i] == '%' || term[i] == '_')
			pattern[used++] = '\\';
		pattern[used++] = term[i];
	}
	pattern[used++] = '%';
	pattern[used] = '\0';
	return pattern;
}

/* Is `s` plain ASCII? */
static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/*
 * Loads the module rows of the tenants whose ids are the `slots` values
 * of `params` (an "IN (...)" list padded by sql_pad_params()) with one
 * query, and hands them to the tenants of `list`.  Returns 0 or -1.
 */
static int
load_modules_in(struct db *db, struct tenant_list *list,
    const struct db_param *params, size_t slots)
{
	static const char head[] =
	    TENANT_MODULE_SELECT "WHERE tm.tenant_id IN (";
	static const char tail[] = ")" TENANT_MODULE_ORDER;
	struct buf sql;
	struct db_result r;
	int rc = -1;

	buf_init(&sql, SQL_TEXT_MAX);
	db_result_init(&r);
	if (sql_repeat(&sql, head, "?", slots, tail) == -1 ||
	    db_query(db, sql.data, params, slots, &r) == -1 ||
	    tenant_modules_attach(list->items, list->count, &r) == -1)
		goto out;
	rc = 0;
out:
	db_result_release(&r);
	buf_release(&sql);
	return rc;
}

/*
 * Loads the modules of every tenant of a page `list` with one query, the
 * number of its markers padded (sql.h) so the statement cache holds a
 * handful of variants instead of one per page length.  Returns 0 or -1.
 */
static int
load_list_modules(struct db *db, struct tenant_list *list)
{
	struct db_param p[TENANT_LIST_MAX];
	size_t slots, i;

	if (list->count == 0)
		return 0;
	slots = sql_in_list_slots(list->count);
	if (slots > TENANT_LIST_MAX)
		return -1;
	for (i = 0; i < list->count; i++)
		p[i] = db_int(list->items[i].id);
	sql_pad_params(p, list->count, slots);
	return load_modules_in(db, list, p, slots);
}

/*
 * Checks the key of a keyset place against the shape ordering `order`
 * gives it (see tenant.h).  Returns 1 when valid, 0 when not.
 */
int
tenant_position_key_valid(enum tenant_order order, const char *key)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd.dddddd";
	size_t len, i;

	if (key == NULL)
		return 0;
	len = strlen(key);
	switch (order) {
	case TENANT_ORDER_NAME_ASC:
	case TENANT_ORDER_NAME_DESC:
		return len > 0 && len <= TENANT_POSITION_KEY_MAX &&
		    utf8_length(key, len) > 0;
	case TENANT_ORDER_SUBDOMAIN_ASC:
	case TENANT_ORDER_SUBDOMAIN_DESC:
		return validate_subdomain(key, len) == NULL;
	case TENANT_ORDER_CREATED_ASC:
	case TENANT_ORDER_CREATED_DESC:
		if (len != sizeof(shape) - 1)
			return 0;
		for (i = 0; i < len; i++) {
			if (shape[i] == 'd' ? key[i] < '0' || key[i] > '9' :
			    key[i] != shape[i])
				return 0;
		}
		return 1;
	}
	return 0;
}

/*
 * Sets `*total` to the number of tenants an unsearched listing shows, from
 * the counters (tenant_counts, one row per slot): the active ones for
 * `is_active` 1, the archived ones for 0, all of them otherwise.  Returns
 * 0 or -1.
 */
static int
count_from_counters(struct db *db, int is_active, int64_t *total)
{
	static const char sql[] = "SELECT COALESCE(SUM(active), 0), "
	    "COALESCE(SUM(archived), 0) FROM tenant_counts";
	struct db_result r;
	int64_t active, archived;
	int rc = -1;

	db_result_init(&r);
	if (db_query(db, sql, NULL, 0, &r) == -1 || r.rows != 1)
		goto out;
	active = db_cell_int(&r, 0, 0, 0);
	archived = db_cell_int(&r, 0, 1, 0);
	*total = is_active == 1 ? active : is_active == 0 ? archived :
	    active + archived;
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Sets `*common` to 1 when each of the `count` trigrams of `grams` is held
 * by TRIGRAM_COMMON tenants or more, 0 when one is rarer.  Each probe
 * reads at most TRIGRAM_COMMON entries of tenant_trigrams' primary key.
 * Returns 0 or -1.
 */
static int
trigrams_all_common(struct db *db, const struct trigram *grams, size_t count,
    int *common)
{
	static const char sql[] = "SELECT COUNT(*) FROM (SELECT 1 FROM "
	    "tenant_trigrams WHERE gram = ? LIMIT ?) held";
	struct db_param p[2];
	struct db_result r;
	size_t i;
	int rc = -1;

	db_result_init(&r);
	*common = 1;
	for (i = 0; i < count && *common; i++) {
		p[0] = db_text(grams[i].text);
		p[1] = db_int(TRIGRAM_COMMON);
		if (db_query(db, sql, p, 2, &r) == -1)
			goto out;
		*common = db_cell_int(&r, 0, 0, 0) >= TRIGRAM_COMMON;
		db_result_release(&r);
	}
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Fills `list` with one page of tenants matching `q`, each with its
 * modules: the page at q->offset with the number of all matching tenants,
 * or with q->after the page after that place, uncounted.  The limit is
 * clamped to 1..100 and a negative offset taken as 0.
 *
 * The page is chosen as ids first ("deferred join"): an index on the sort
 * column holds the id, so skipping a deep offset walks the index instead
 * of sorting whole rows, and only the page's rows are read.  A keyset page
 * starts with a range of that index and skips nothing.  A search joins
 * the trigrams of its term first (see tenant_where).  One row more than
 * the page is asked for, to know whether more follow.
 *
 * The count: a last page shows it; without a search the counters give
 * it.  A search counts its matches with its LIKE, among the candidates
 * of its trigrams when one of them is rare, else (a common term, or one
 * of one or two characters) among all tenants: probing each candidate's
 * trigrams costs more than the LIKE on every row.  So the count of a
 * common term costs a scan of the tenants, as it did before the index.
 * Returns 0 or -1 (`list` is then empty).
 */
int
tenant_list_query(struct db *db, const struct tenant_query *q,
    struct tenant_list *list)
{
	struct buf sql, count_sql;
	const char *parts[16], *count_parts[2 + TRIGRAM_PICK_MAX];
	struct db_param p[16];
	struct trigram grams[TRIGRAM_PICK_MAX];
	struct db_result r;
	char *pattern = NULL;
	const char *where, *key;
	size_t nfilter = 0, nparams, rows, order, nparts = 0, i;
	size_t ngrams = 0, joins;
	int64_t limit, offset;
	int picked, common, which = 0, rc = -1;

	memset(list, 0, sizeof(*list));
	db_result_init(&r);
	buf_init(&sql, SQL_TEXT_MAX);
	buf_init(&count_sql, SQL_TEXT_MAX);

	limit = q->limit;
	if (limit <= 0 || limit > TENANT_LIST_MAX)
		limit = TENANT_LIST_MAX;
	offset = q->offset > 0 && q->after == NULL ? q->offset : 0;

	if (q->search != NULL && q->search[0] != '\0') {
		/* Longer than any name or subdomain: nothing can match. */
		if (strlen(q->search) > TENANT_SEARCH_MAX) {
			list->total = q->after != NULL ? -1 : 0;
			rc = 0;
			goto out;
		}
		which |= TENANT_FILTER_SEARCH;
		if (!is_ascii(q->search))
			which |= TENANT_FILTER_NAME_ONLY;
		if ((picked = trigram_pick(q->search, strlen(q->search),
		    grams)) == -1 || (pattern = like_pattern(q->search)) == NULL)
			goto out;
		ngrams = (size_t)picked;
	}
	/* Parameters in the order of their markers: joins, then WHERE. */
	for (i = 0; i < ngrams; i++)
		p[nfilter++] = db_text(grams[i].text);
	if (q->is_active == 0 || q->is_active == 1) {
		which |= TENANT_FILTER_ACTIVE;
		p[nfilter++] = db_int(q->is_active);
	}
	if (which & TENANT_FILTER_SEARCH) {
		p[nfilter++] = db_text(pattern);
		if (!(which & TENANT_FILTER_NAME_ONLY))
			p[nfilter++] = db_text(pattern);
	}
	where = tenant_where[which];
	order = order_index(q->order);
	nparams = nfilter;

	parts[nparts++] = "SELECT " TENANT_COLUMNS ", ";
	parts[nparts++] = tenant_orders[order].key_sql;
	parts[nparts++] = " FROM tenants t JOIN (SELECT id FROM tenants";
	for (i = 0; i < ngrams; i++)
		parts[nparts++] = tenant_trigram_join[i];
	parts[nparts++] = where;
	if (q->after != NULL) {
		if (!tenant_position_key_valid(q->order, q->after->key))
			goto out;
		parts[nparts++] = where[0] == '\0' ? " WHERE " : " AND ";
		parts[nparts++] = tenant_orders[order].after_sql;
		p[nparams++] = db_text(q->after->key);
		p[nparams++] = db_text(q->after->key);
		p[nparams++] = db_int(q->after->id);
	}
	parts[nparts++] = tenant_orders[order].ids_sql;
	parts[nparts++] = " LIMIT ? OFFSET ?) page ON page.id = t.id";
	parts[nparts++] = tenant_orders[order].rows_sql;
	if (sql_join(&sql, parts, nparts) == -1)
		goto out;

	p[nparams++] = db_int(limit + 1);
	p[nparams++] = db_int(offset);
	if (db_query(db, sql.data, p, nparams, &r) == -1)
		goto out;

	rows = r.rows;
	if (rows > (size_t)limit) {
		list->more = 1;
		rows = (size_t)limit;
	}
	if (tenant_rows_load(list, &r, rows) == -1)
		goto out;
	if (rows > 0) {
		key = db_cell(&r, rows - 1, TENANT_COL_COUNT);
		if (key == NULL || strlen(key) > TENANT_POSITION_KEY_MAX)
			goto out;
		memcpy(list->last.key, key, strlen(key) + 1);
		list->last.id = list->items[rows - 1].id;
	}
	db_result_release(&r);

	/* A keyset page is not counted; a last page shows the total. */
	if (q->after != NULL)
		list->total = -1;
	else if (!list->more && (list->count > 0 || offset == 0))
		list->total = offset + (int64_t)list->count;
	else if (!(which & TENANT_FILTER_SEARCH)) {
		if (count_from_counters(db, q->is_active, &list->total) == -1)
			goto out;
	} else {
		/* The trigram joins only help when one of them is rare. */
		if (ngrams > 0 && trigrams_all_common(db, grams, ngrams,
		    &common) == -1)
			goto out;
		joins = ngrams > 0 && common ? 0 : ngrams;
		count_parts[0] = "SELECT COUNT(*) FROM tenants";
		for (i = 0; i < joins; i++)
			count_parts[1 + i] = tenant_trigram_join[i];
		count_parts[1 + joins] = where;
		if (sql_join(&count_sql, count_parts, 2 + joins) == -1 ||
		    db_query(db, count_sql.data, p + (ngrams - joins),
		    nfilter - (ngrams - joins), &r) == -1)
			goto out;
		list->total = db_cell_int(&r, 0, 0, 0);
	}

	if (load_list_modules(db, list) == -1)
		goto out;
	rc = 0;
out:
	db_result_release(&r);
	buf_release(&sql);
	buf_release(&count_sql);
	free(pattern);
	if (rc == -1)
		tenant_list_release(list);
	return rc;
}

/* Frees the tenants of `list` and empties it.  Accepts NULL. */
void
tenant_list_release(struct tenant_list *list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < list->count; i++)
		tenant_release(&list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/*
 * Loads the tenants among `ids` with their modules (see tenant.h): two
 * queries with "IN (?,...)" whose number of markers is padded (sql.h), so
 * the statement cache holds a handful of variants.  Returns 0 or -1
 * (`list` is then empty).
 */
int
tenant_list_by_ids(struct db *db, const int64_t *ids, size_t count,
    struct tenant_list *list)
{
	static const char rows_head[] = "SELECT " TENANT_COLUMNS
	    " FROM tenants t WHERE t.id IN (";
	static const char rows_tail[] = ") ORDER BY t.id";
	struct db_param *p = NULL;
	struct db_result r;
	struct buf sql;
	size_t slots, i;
	int rc = -1;

	memset(list, 0, sizeof(*list));
	db_result_init(&r);
	buf_init(&sql, SQL_TEXT_MAX);
	if (count == 0)
		return 0;
	if (count > TENANT_BY_IDS_MAX)
		goto out;
	slots = sql_in_list_slots(count);
	if ((p = calloc(slots, sizeof(*p))) == NULL)
		goto out;
	for (i = 0; i < count; i++)
		p[i] = db_int(ids[i]);
	sql_pad_params(p, count, slots);

	if (sql_repeat(&sql, rows_head, "?", slots, rows_tail) == -1 ||
	    db_query(db, sql.data, p, slots, &r) == -1)
		goto out;
	if (tenant_rows_load(list, &r, r.rows) == -1)
		goto out;
	list->total = (int64_t)list->count;
	if (list->count > 0 && load_modules_in(db, list, p, slots) == -1)
		goto out;
	rc = 0;
out:
	db_result_release(&r);
	buf_release(&sql);
	free(p);
	if (rc == -1)
		tenant_list_release(list);
	return rc;
}

/*
 * Fills `list` with the next page of a walk over all tenants by id (see
 * tenant.h).  Two queries whatever the page size: the rows, then the
 * module rows of the page's id range, which the primary key of
 * tenant_modules serves.  Returns 0 or -1 (`list` is then empty).
 */
int
tenant_list_after(struct db *db, int64_t after_id, int64_t limit,
    struct tenant_list *list)
{
	static const char rows_sql[] = "SELECT " TENANT_COLUMNS
	    " FROM tenants t WHERE t.id > ? ORDER BY t.id LIMIT ?";
	static const char modules_sql[] = TENANT_MODULE_SELECT
	    "WHERE tm.tenant_id > ? AND tm.tenant_id <= ?" TENANT_MODULE_ORDER;
	struct db_param p[2];
	struct db_result r;
	int rc = -1;

	memset(list, 0, sizeof(*list));
	db_result_init(&r);
	if (limit <= 0 || limit > TENANT_PAGE_AFTER_MAX)
		limit = TENANT_PAGE_AFTER_MAX;
	p[0] = db_int(after_id);
	p[1] = db_int(limit);
	if (db_query(db, rows_sql, p, 2, &r) == -1)
		goto out;
	if (tenant_rows_load(list, &r, r.rows) == -1)
		goto out;
	list->total = (int64_t)list->count;
	if (list->count == 0) {
		rc = 0;
		goto out;
	}
	db_result_release(&r);

	p[1] = db_int(list->items[list->count - 1].id);
	if (db_query(db, modules_sql, p, 2, &r) == -1)
		goto out;
	if (tenant_modules_attach(list->items, list->count, &r) == -1)
		goto out;
	rc = 0;
out:
	db_result_release(&r);
	if (rc == -1)
		tenant_list_release(list);
	return rc;
}

/*
 * Counts tenants (all, active, archived, created in the last 30 days) and,
 * for every catalog module in catalog order, the tenants that have it
 * enabled, from the counters the triggers of migration 0007 keep: two
 * queries whose cost does not grow with the number of tenants.  The
 * window of the last 30 days starts inside a day: its whole days come
 * from the per-day counters, and the tenants of the day it starts in are
 * counted on idx_tenants_created (one day's creations at most).  One
 * statement reads all of that, so one UTC_TIMESTAMP() and one snapshot
 * hold for every part.  Returns 0 or -1 (`st` is then empty).
 */
int
tenant_statistics_load(struct db *db, const struct module_catalog *cat,
    struct tenant_statistics *st)
{
	static const char counts_sql[] = "SELECT "
	    "(SELECT COALESCE(SUM(active), 0) FROM tenant_counts), "
	    "(SELECT COALESCE(SUM(archived), 0) FROM tenant_counts), "
	    "(SELECT COALESCE(SUM(created), 0) FROM tenant_created_days "
	    "WHERE day > DATE(UTC_TIMESTAMP(6) - INTERVAL 30 DAY)) + "
	    "(SELECT COUNT(*) FROM tenants WHERE "
	    "created_at >= UTC_TIMESTAMP(6) - INTERVAL 30 DAY AND "
	    "created_at < DATE(UTC_TIMESTAMP(6) - INTERVAL 30 DAY) + "
	    "INTERVAL 1 DAY)";
	static const char modules_sql[] = "SELECT md.module_key, "
	    "(SELECT COALESCE(SUM(c.enabled), 0) FROM tenant_module_counts c "
	    "WHERE c.module_key = md.module_key) "
	    "FROM module_definitions md";
	struct db_result r;
	size_t i, row, count;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	db_result_init(&r);
	if (db_query(db, counts_sql, NULL, 0, &r) == -1 || r.rows != 1)
		goto out;
	st->active = db_cell_int(&r, 0, 0, 0);
	st->archived = db_cell_int(&r, 0, 1, 0);
	st->total = st->active + st->archived;
	st->created_last_30_days = db_cell_int(&r, 0, 2, 0);

	count = cat != NULL ? cat->count : 0;
	if (count > 0) {
		if ((st->modules = calloc(count, sizeof(*st->modules))) == NULL)
			goto out;
		for (i = 0; i < count; i++) {
			if (strlen(cat->modules[i].key) >=
			    sizeof(st->modules[i].key))
				goto out;
			memcpy(st->modules[i].key, cat->modules[i].key,
			    strlen(cat->modules[i].key) + 1);
		}
		st->module_count = count;
	}
	if (db_query(db, modules_sql, NULL, 0, &r) == -1)
		goto out;
	for (row = 0; row < r.rows; row++) {
		const char *key = db_cell(&r, row, 0);

		if (key == NULL)
			continue;
		for (i = 0; i < st->module_count; i++) {
			if (strcmp(st->modules[i].key, key) == 0) {
				st->modules[i].enabled =
				    db_cell_int(&r, row, 1, 0);
				break;
			}
		}
	}
	rc = 0;
out:
	db_result_release(&r);
	if (rc == -1)
		tenant_statistics_release(st);
	return rc;
}

/* Frees the module counts of `st` and empties it.  Accepts NULL. */
void
tenant_statistics_release(struct tenant_statistics *st)
{
	if (st == NULL)
		return;
	free(st->modules);
	memset(st, 0, sizeof(*st));
}
