/*
 * log.c - one line per event, to standard error or syslog (see log.h).
 *
 * Each line is assembled in a fixed buffer and written with a single
 * write(2), so lines from the master, workers and job runners sharing one
 * stderr never interleave.  Control characters in messages are replaced so a
 * client-supplied value cannot forge extra log lines, and bytes that are not
 * valid UTF-8 (a raw path or header from a client) are written as \xNN, so
 * the log stays valid UTF-8 for whatever reads it; valid UTF-8 is kept.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "validate.h"

/* Longest line written; longer messages are cut and end in "...". */
#define LOG_LINE_MAX	4096
#define LOG_PROGRAM_MAX	64

static char		program_name[LOG_PROGRAM_MAX] = "tenantd";
static enum log_level	current_level = LOG_LEVEL_INFO;
static enum log_target	current_target = LOG_TARGET_STDERR;

static void	log_vwrite(enum log_level, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static const char *const level_names[] = {
	"error",
	"warning",
	"info",
	"debug"
};

/* The syslog priority of each level, in the order of level_names. */
static const int level_priorities[] = {
	LOG_ERR,
	LOG_WARNING,
	LOG_INFO,
	LOG_DEBUG
};

/* Sets the name shown before the pid; longer names are cut. */
void
log_set_program(const char *name)
{
	if (name == NULL || *name == '\0')
		name = "tenantd";
	snprintf(program_name, sizeof(program_name), "%s", name);
	if (current_target == LOG_TARGET_SYSLOG)
		openlog(program_name, LOG_PID, LOG_DAEMON);
}

/*
 * Switches between standard error and syslog.  Called by tenantd after
 * reading the configuration and on reload; children inherit the choice.
 */
void
log_set_target(enum log_target target)
{
	if (target == LOG_TARGET_SYSLOG && current_target != LOG_TARGET_SYSLOG)
		openlog(program_name, LOG_PID, LOG_DAEMON);
	else if (target != LOG_TARGET_SYSLOG &&
	    current_target == LOG_TARGET_SYSLOG)
		closelog();
	current_target = target == LOG_TARGET_SYSLOG ? LOG_TARGET_SYSLOG :
	    LOG_TARGET_STDERR;
}

/*
 * Parses a log target name as found in tenantd.conf.  Returns 0 with
 * *target set, or -1 if the name is unknown.
 */
int
log_target_parse(const char *text, enum log_target *target)
{
	if (text != NULL && strcmp(text, "stderr") == 0)
		*target = LOG_TARGET_STDERR;
	else if (text != NULL && strcmp(text, "syslog") == 0)
		*target = LOG_TARGET_SYSLOG;
	else
		return -1;
	return 0;
}

/* Drops messages less severe than `level` from now on. */
void
log_set_level(enum log_level level)
{
	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	current_level = level;
}

/*
 * Parses a level name as found in tenantd.conf.  Returns 0 with *level set,
 * or -1 if the name is unknown.
 */
int
log_level_parse(const char *text, enum log_level *level)
{
	size_t	i;

	if (text == NULL)
		return -1;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(text, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/*
 * Copies `len` bytes of `message` into `line` from `used` on, replacing
 * control characters other than tab by '?', writing each byte that does
 * not belong to a valid UTF-8 character as \xNN and a backslash as two,
 * so a client cannot send text that reads as an escape.  Stops before a
 * piece that would not fit in `room` bytes, then marks the cut with "...".
 * Returns the new length of `line`.
 */
static size_t
log_escape(char *line, size_t used, size_t room, const char *message,
    size_t len, int cut)
{
	size_t		i = 0, step;
	unsigned char	c;

	while (i < len) {
		c = (unsigned char)message[i];
		step = c >= 0x80 ? utf8_char_length(message + i, len - i) : 1;
		if (step == 0) {
			if (used + 4 > room) {
				cut = 1;
				break;
			}
			snprintf(line + used, 5, "\\x%02x", c);
			used += 4;
			i++;
			continue;
		}
		if (used + step + (c == '\\') > room) {
			cut = 1;
			break;
		}
		if (c == '\\')
			line[used++] = '\\';
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			line[used] = '?';
		else
			memcpy(line + used, message + i, step);
		used += step;
		i += step;
	}
	if (cut) {
		memcpy(line + used, "...", 3);
		used += 3;
	}
	return used;
}

/*
 * Formats and writes one line at `level`, if the filter lets it through.
 * Called by the public log_* functions; keeps errno as it found it so a
 * caller may log and then still report errno.
 */
static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	char		 line[LOG_LINE_MAX], message[LOG_LINE_MAX];
	char		 stamp[32];
	struct tm	 tm;
	time_t		 now;
	size_t		 used, start, message_len;
	ssize_t		 written;
	int		 n, saved_errno;

	if (level > current_level)
		return;
	saved_errno = errno;

	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "-");

	n = snprintf(line, sizeof(line), "%s %s[%ld] %s: ", stamp,
	    program_name, (long)getpid(), level_names[level]);
	if (n < 0)
		goto out;
	used = (size_t)n;
	if (used > sizeof(line) - 4)
		used = sizeof(line) - 4;
	start = used;

	/*
	 * The message proper, escaped into the line, leaving room for "..."
	 * and the newline.
	 */
	errno = saved_errno;	/* for %m */
	n = vsnprintf(message, sizeof(message), fmt, ap);
	if (n < 0)
		n = 0;
	message_len = (size_t)n < sizeof(message) ? (size_t)n :
	    sizeof(message) - 1;
	used = log_escape(line, used, sizeof(line) - 4, message, message_len,
	    message_len < (size_t)n);
	if (current_target == LOG_TARGET_SYSLOG) {
		line[used] = '\0';
		syslog(level_priorities[level], "%s", line + start);
		goto out;
	}
	line[used++] = '\n';

	do
		written = write(STDERR_FILENO, line, used);
	while (written == -1 && errno == EINTR);
out:
	errno = saved_errno;
}

/* Logs a failure that needs an operator's attention. */
void
log_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
}

/* Logs something unusual that tenantd survived. */
void
log_warning(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

/* Logs a normal event worth keeping (start, stop, tenant created). */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

/* Logs detail for debugging; dropped unless log_level is debug. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}
