/*
 * log.h - one line per event, to standard error or syslog.
 *
 * Lines look like "2026-11-26T12:00:00Z tenantd[123] warning: message" so
 * they read well both on a terminal and through journald.  With the syslog
 * target (log_target = syslog in tenantd.conf) the message alone goes to
 * syslog(3), facility daemon, which adds its own time stamp and pid.
 * Secrets (passwords, session ids, tokens) must never be passed to these
 * functions.
 */
#ifndef TENANTD_LOG_H
#define TENANTD_LOG_H

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

enum log_target {
	LOG_TARGET_STDERR = 0,
	LOG_TARGET_SYSLOG
};

/* Sets the program name shown in each line (default "tenantd"). */
void	log_set_program(const char *name);

/* Drops messages less severe than `level`. */
void	log_set_level(enum log_level level);

/* Parses "error", "warning", "info" or "debug": 0, or -1 if unknown. */
int	log_level_parse(const char *text, enum log_level *level);

/* Sends lines to standard error (the default) or to syslog from now on. */
void	log_set_target(enum log_target target);

/* Parses "stderr" or "syslog": 0, or -1 if unknown. */
int	log_target_parse(const char *text, enum log_target *target);

void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
