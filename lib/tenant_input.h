/*
 * tenant_input.h - the fields a client may send to create or change a
 * tenant, declared and validated in one place.
 *
 * Handlers (and tenantctl) never read a tenant field from a form directly:
 * tenant_input_read() checks every field against SPEC.md section 3 and fills
 * a struct tenant_input with typed, valid values, or records one message per
 * bad field in a struct field_errors for the 400 response.  Fields the
 * client did not send are marked absent, which is what PATCH needs.
 *
 * Ownership: a tenant_input borrows the logo bytes from the form it was read
 * from (the form must outlive it) and owns nothing else.
 */
#ifndef TENANTD_TENANT_INPUT_H
#define TENANTD_TENANT_INPUT_H

#include <stddef.h>

#include "validate.h"

struct conf;
struct form;
struct mime;
struct module_catalog;

#define FIELD_ERRORS_MAX	16
#define TENANT_INPUT_MAX_MODULES 64

struct field_errors {
	size_t	count;
	struct {
		char	field[64];
		char	message[160];
	} items[FIELD_ERRORS_MAX];
};

/* Records an error for `field` (the first message per field wins). */
void	field_errors_add(struct field_errors *e, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

enum tenant_input_mode {
	TENANT_INPUT_CREATE,	/* name and subdomain required */
	TENANT_INPUT_PATCH	/* everything optional; subdomain refused */
};

/* Bits of tenant_input.present. */
#define TENANT_FIELD_NAME		0x01u
#define TENANT_FIELD_SUBDOMAIN		0x02u
#define TENANT_FIELD_EMAIL		0x04u
#define TENANT_FIELD_PRIMARY_COLOR	0x08u
#define TENANT_FIELD_SECONDARY_COLOR	0x10u
#define TENANT_FIELD_LOGO		0x20u	/* logo_data NULL: remove logo */
#define TENANT_FIELD_MODULES		0x40u

struct tenant_input {
	unsigned	 present;
	char		 name[NAME_MAX_CHARS * 4 + 1];
	char		 subdomain[SUBDOMAIN_MAX + 1];
	char		 contact_email[EMAIL_MAX + 1];
	char		 primary_color[8];	/* "#3498db" by default */
	char		 secondary_color[8];	/* "#2ecc71" by default */
	const char	*logo_data;		/* borrowed from the form */
	size_t		 logo_len;
	const char	*logo_extension;	/* "png", "jpg", "gif", "webp" */
	char		 module_keys[TENANT_INPUT_MAX_MODULES][MODULE_KEY_MAX + 1];
	size_t		 module_count;		/* core modules included */
	int		 deploy;		/* create: deploy the frontend */
};

/*
 * Reads and validates the tenant fields of `form` for `mode`.  Reserved
 * subdomains and limits come from `c`; module keys are checked against
 * `cat` (core modules are added); logos are judged by `mime`.  Unknown
 * fields are ignored.  Returns 0 when valid, or -1 with `errors` filled.
 */
int	tenant_input_read(struct tenant_input *in, enum tenant_input_mode mode,
	    const struct form *form, const struct conf *c,
	    const struct module_catalog *cat, struct mime *mime,
	    struct field_errors *errors);

#endif
