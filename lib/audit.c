/*
 * audit.c - appending to audit_log.
 *
 * Callers run audit_record() inside the transaction of the change it
 * describes, so a rolled-back change leaves no audit row behind.
 */
#include <stdint.h>
#include <string.h>

#include "audit.h"
#include "db.h"

#define AUDIT_ACTION_MAX	50
#define AUDIT_DETAIL_MAX	500

/*
 * Shortens `len` bytes of UTF-8 text to at most `max` bytes without
 * cutting a character in two.  Returns the new length.
 */
static size_t
utf8_clip(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

/*
 * Appends one audit row: `user_id` and `tenant_id` are stored as NULL when
 * 0, `detail` (may be NULL) is clipped to the column's size so a long
 * detail never makes the change itself fail.  Returns 0 or -1.
 */
int
audit_record(struct db *db, int64_t user_id, int64_t tenant_id,
    const char *action, const char *detail)
{
	static const char sql[] = "INSERT INTO audit_log "
	    "(user_id, tenant_id, action, detail, created_at) "
	    "VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))";
	struct db_param p[4];

	if (action == NULL || action[0] == '\0' ||
	    strlen(action) > AUDIT_ACTION_MAX)
		return -1;
	if (detail == NULL)
		detail = "";
	p[0] = user_id > 0 ? db_int(user_id) : db_null();
	p[1] = tenant_id > 0 ? db_int(tenant_id) : db_null();
	p[2] = db_text(action);
	p[3] = db_textn(detail, utf8_clip(detail, strlen(detail),
	    AUDIT_DETAIL_MAX));
	return db_exec(db, sql, p, 4, NULL, NULL);
}
