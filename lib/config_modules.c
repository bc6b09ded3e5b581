/*
 * config_modules.c - parsing the "modules" map of config.json (see
 * config_modules.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_modules.h"
#include "json.h"
#include "validate.h"

/* Room for the message of a JSON parse error nobody reads. */
#define PARSE_ERROR_MAX		128

/* See config_modules.h.  Called by the config cache and the gate files. */
int
config_modules_parse(const char *data, size_t len,
    struct config_module_flag **flags, size_t *count)
{
	char err[PARSE_ERROR_MAX];
	struct json_value *root = NULL;
	const struct json_value *modules, *value;
	struct config_module_flag *parsed = NULL;
	size_t i, used = 0;
	int rc = -1;

	*flags = NULL;
	*count = 0;
	if ((root = json_parse(data, len, err, sizeof(err))) == NULL) {
		if (errno != ENOMEM)
			rc = 0;
		goto out;
	}
	modules = json_object_get(root, "modules");
	if (modules == NULL || modules->type != JSON_OBJECT ||
	    modules->count > CONFIG_MODULES_MAX) {
		rc = 0;
		goto out;
	}
	if (modules->count > 0 &&
	    (parsed = calloc(modules->count, sizeof(*parsed))) == NULL)
		goto out;
	for (i = 0; i < modules->count; i++) {
		if (validate_module_key(modules->keys[i],
		    strlen(modules->keys[i])) != NULL)
			continue;
		value = modules->items[i];
		snprintf(parsed[used].key, sizeof(parsed[used].key), "%s",
		    modules->keys[i]);
		parsed[used].enabled = value->type == JSON_BOOL &&
		    value->boolean;
		used++;
	}
	*flags = parsed;
	*count = used;
	parsed = NULL;
	rc = 1;
out:
	free(parsed);
	json_free(root);
	return rc;
}

/* See config_modules.h. */
int
config_modules_enabled(const struct config_module_flag *flags, size_t count,
    const char *key)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(flags[i].key, key) == 0)
			return flags[i].enabled;
	return 0;
}
