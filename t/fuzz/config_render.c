/*
 * config_render.c - libFuzzer target: config.json rendered for a tenant
 * built from the input.
 *
 * The input is split at newlines into name, contact e-mail, subdomain,
 * primary and secondary color, logo and api_url (each cut to its column's
 * size, as the database would hold it); the bytes after those seven lines
 * switch modules on and off.  Whatever renders must parse back as JSON
 * (the generator refuses invalid UTF-8), so no byte of a field can break
 * out of its string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config_render.h"
#include "json.h"
#include "module.h"
#include "tenant.h"

#define FIELD_COUNT	7
#define FIELD_MAX	512

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char module_keys[][MODULE_KEY_MAX + 1] = {
	"employees", "wallet", "payroll"
};

/*
 * Copies the next line of the input (at most FIELD_MAX - 1 bytes) into
 * `out`, advancing *pos past its newline.
 */
static void
next_field(const uint8_t *data, size_t size, size_t *pos, char *out,
    size_t outlen)
{
	size_t start = *pos, len;

	while (*pos < size && data[*pos] != '\n')
		(*pos)++;
	len = *pos - start;
	if (len > outlen - 1)
		len = outlen - 1;
	memcpy(out, data + start, len);
	out[len] = '\0';
	if (*pos < size)
		(*pos)++;
}

/* Called by libFuzzer once per input; aborts when the output is no JSON. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char fields[FIELD_COUNT][FIELD_MAX];
	struct module_def defs[3];
	struct module_catalog cat;
	struct tenant_module modules[3];
	struct tenant t;
	struct json_value *parsed;
	struct buf out;
	char err[256];
	size_t pos = 0, i;

	for (i = 0; i < FIELD_COUNT; i++)
		next_field(data, size, &pos, fields[i], FIELD_MAX);
	memset(defs, 0, sizeof(defs));
	memset(modules, 0, sizeof(modules));
	for (i = 0; i < 3; i++) {
		defs[i].key = module_keys[i];
		defs[i].name = fields[0];
		defs[i].description = fields[1];
		defs[i].icon = module_keys[i];
		defs[i].route = fields[5];
		defs[i].is_core = i == 0;
		defs[i].sort_order = (int)i;
		memcpy(modules[i].key, module_keys[i], sizeof(modules[i].key));
		modules[i].enabled = pos + i < size && (data[pos + i] & 1);
	}
	cat.modules = defs;
	cat.count = 3;

	memset(&t, 0, sizeof(t));
	t.id = size > 0 ? (int64_t)data[0] * 1000003 : 1;
	t.name = fields[0];
	t.contact_email = fields[1];
	memcpy(t.subdomain, fields[2], sizeof(t.subdomain) - 1);
	memcpy(t.primary_color, fields[3], sizeof(t.primary_color) - 1);
	memcpy(t.secondary_color, fields[4], sizeof(t.secondary_color) - 1);
	t.logo = fields[5][0] != '\0' ? fields[5] : NULL;
	t.is_active = 1;
	t.modules = modules;
	t.module_count = 3;

	buf_init(&out, 1024 * 1024);
	if (config_render(&t, &cat, fields[6], NULL, (time_t)size * 86400, &out) ==
	    0) {
		parsed = json_parse(out.data, out.len, err, sizeof(err));
		if (parsed == NULL)
			abort();
		json_free(parsed);
	}
	buf_release(&out);
	return 0;
}
