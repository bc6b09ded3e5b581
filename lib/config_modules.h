/*
 * config_modules.h - the "modules" map of a tenant's config.json bytes:
 * which module keys it names and which of them are enabled.
 *
 * config.json is the truth the module gate decides from; both readers of
 * that truth (the worker's config cache and the gate files the front ends
 * check, gate_files.h) parse the map here, so they can never disagree on
 * what a map means.
 *
 * Ownership: config_modules_parse() returns an array the caller frees
 * with free().
 */
#ifndef TENANTD_CONFIG_MODULES_H
#define TENANTD_CONFIG_MODULES_H

#include <stddef.h>

#include "validate.h"

#define CONFIG_MODULES_MAX	1024	/* keys in a map; more: invalid */

/* One key of config.json's "modules" map. */
struct config_module_flag {
	char	 key[MODULE_KEY_MAX + 1];
	int	 enabled;	/* the value is JSON true */
};

/*
 * Parses the "modules" map of config.json bytes (`len` bytes of `data`)
 * into a new array.  Keys that cannot be module keys are left out: no
 * question can name them.  Returns 1 with the array in *flags (NULL for an
 * empty map) and its length in *count; 0 when the bytes are not a JSON
 * object with a "modules" object of at most CONFIG_MODULES_MAX keys; -1
 * when memory ran out (errno ENOMEM).
 */
int	config_modules_parse(const char *data, size_t len,
	    struct config_module_flag **flags, size_t *count);

/*
 * Is `key` an enabled module in the `count` flags?  Returns 1 or 0.
 */
int	config_modules_enabled(const struct config_module_flag *flags,
	    size_t count, const char *key);

#endif
