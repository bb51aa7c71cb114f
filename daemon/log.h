/* log: leveled messages to stderr (journald-prefixed when stderr is the journal).
 * control and PipeWire main-loop threads only: never the render thread or process(). */
#ifndef AUDIOD_LOG_H
#define AUDIOD_LOG_H

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* messages above `level` are dropped; journal: prefix lines with sd-daemon "<N>" levels */
void log_init(enum log_level level, int journal);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
