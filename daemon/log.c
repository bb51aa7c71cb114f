/* log: leveled messages to stderr.  control and PipeWire main-loop threads only; the
 * test build aborts when a thread marked real-time logs. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "rtcheck.h"

/* process-wide by nature, like stderr itself; set once at startup before threads */
static struct {
	enum log_level level;
	int journal;
} log_state = { LOG_LEVEL_INFO, 0 };

void log_init(enum log_level level, int journal)
{
	log_state.level = level;
	log_state.journal = journal;
}

enum log_level log_get_level(void)
{
	return log_state.level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	/* sd-daemon priorities: err, warning, info, debug */
	static const char *const prefix[] = { "<3>", "<4>", "<6>", "<7>" };
	static const char *const name[] = { "error", "warn", "info", "debug" };
	char line[1024];
	va_list ap;

	if (rtcheck_active()) {
		fputs("rtcheck: log called on a real-time thread\n", stderr);
		abort();
	}
	if (level > log_state.level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_state.journal)
		fprintf(stderr, "%s%s\n", prefix[level], line);
	else
		fprintf(stderr, "audiod: %s: %s\n", name[level], line);
}
