/*
 * module.h - feature module definitions (employees, wallet, ...).
 *
 * The set of modules is data: etc/modules.json lists them and
 * `tenantctl init-modules` upserts them into module_definitions.  A
 * struct module_catalog is that table loaded into memory, ordered by
 * sort_order, for validation and for rendering config.json.
 *
 * Ownership: a catalog owns its strings; module_catalog_release() frees them.
 */
#ifndef TENANTD_MODULE_H
#define TENANTD_MODULE_H

#include <stddef.h>

struct db;
struct json_value;

struct module_def {
	char	*key;
	char	*name;
	char	*description;
	char	*icon;
	char	*route;
	int	 is_core;
	int	 sort_order;
};

struct module_catalog {
	struct module_def *modules;
	size_t		   count;
};

void	module_catalog_init(struct module_catalog *cat);
void	module_catalog_release(struct module_catalog *cat);

/* Loads module_definitions ordered by sort_order, key.  0 or -1. */
int	module_catalog_load(struct module_catalog *cat, struct db *db);

/*
 * Reads a modules.json file (an array of objects with module_key,
 * module_name, description, icon, route, is_core, sort_order) into `cat`,
 * validating every entry.  Returns 0, or -1 with a message in `err`.
 */
int	module_catalog_read_file(struct module_catalog *cat, const char *path,
	    char *err, size_t errlen);

/*
 * Inserts or updates every module of `cat` in module_definitions, in one
 * transaction.  Running it twice changes nothing.  Returns 0 or -1.
 */
int	module_catalog_upsert(const struct module_catalog *cat, struct db *db);

/* The module with `key`, or NULL. */
const struct module_def *module_catalog_find(const struct module_catalog *cat,
	    const char *key);

#endif
