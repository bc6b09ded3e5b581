/*
 * result.h - the one outcome type of lib/, and the return conventions of
 * lib/ as a whole.
 *
 * Return conventions.  A lib/ function follows exactly one of these, and
 * its header says which:
 *
 * - enum result, with a message in an `err` buffer for every value but
 *   RESULT_OK: operations whose outcomes a caller must tell apart to answer
 *   them differently (a tenant's create, update, delete, archive, restore
 *   and deploy, bulk create and bulk module changes, request-body parsing).
 *   The message is for people: no secrets, no absolute paths.
 * - 0 / -1, the reason in errno: thin layers over the system (buffers,
 *   folders and atomic writes, random bytes, file reads), whose caller adds
 *   the context the errno lacks.
 * - 0 / -1, the reason in db_error() of the connection: statements and
 *   rows of db.h and the record modules built on it.
 * - 0 / -1, the reason in an `err` buffer: multi-step work whose failure an
 *   administrator reads as one sentence (loading tenantd.conf, the
 *   manifest, a deploy's copy, config.json rendering); errno is then not
 *   part of the contract.
 * - Lookups return 1 (found), 0 (not found) or -1 (error, as above).
 * - Validators (validate.h and the like) return NULL when a value is
 *   valid, else a static reason for the client.
 *
 * enum result names outcomes, never HTTP: src/status_http.c alone maps each
 * value to an HTTP status, an API error code and a message.  A value is
 * listed here only when some lib/ function returns it; each function's
 * header says which values it returns.
 */
#ifndef TENANTD_RESULT_H
#define TENANTD_RESULT_H

enum result {
	RESULT_OK = 0,		/* done as asked */
	RESULT_NOT_FOUND,	/* what the call names does not exist: no
				   tenant of that id, no module of that key */
	RESULT_INVALID,		/* the input is refused by a rule: an item
				   that is not a valid tenant, disabling a
				   core module */
	RESULT_TAKEN,		/* an existing tenant already has the
				   subdomain */
	RESULT_DUPLICATE,	/* an earlier item of the same batch has the
				   subdomain */
	RESULT_BUSY,		/* another deploy, archive, restore or repair
				   of the tenant holds its lock or is queued */
	RESULT_ARCHIVED,	/* the tenant is archived: restore it first */
	RESULT_CONFLICT,	/* the folder and the rows disagree: a folder
				   in the way, or the tenant's folder gone */
	RESULT_MALFORMED,	/* a request body or query string breaks its
				   syntax; the message says where */
	RESULT_UNSUPPORTED,	/* a body of a media type not understood */
	RESULT_TOO_LARGE,	/* a limit on a body, field or file passed */
	RESULT_NO_MEMORY,	/* out of memory */
	RESULT_DB_DOWN,		/* the database cannot be reached, or it
				   aborted the transaction in a conflict
				   (a deadlock, a Galera certification
				   failure); for the locked deploy: any
				   database error.  Trying again later may
				   succeed */
	RESULT_FAILED		/* a disk or database error; what was
				   changed is rolled back */
};

#endif
