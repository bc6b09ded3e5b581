/*
 * log.h - one line per event, to standard error.
 *
 * Lines look like "2026-11-26T12:00:00Z tenantd[123] warning: message" so
 * they read well both on a terminal and through journald.  Secrets (passwords,
 * session ids, tokens) must never be passed to these functions.
 */
#ifndef TENANTD_LOG_H
#define TENANTD_LOG_H

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Sets the program name shown in each line (default "tenantd"). */
void	log_set_program(const char *name);

/* Drops messages less severe than `level`. */
void	log_set_level(enum log_level level);

/* Parses "error", "warning", "info" or "debug": 0, or -1 if unknown. */
int	log_level_parse(const char *text, enum log_level *level);

void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
