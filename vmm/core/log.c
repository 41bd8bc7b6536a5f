#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void hk_log_init(struct hk_log *log, FILE *fp, int level)
{
    memset(log, 0, sizeof(*log));
    log->fp = fp;
    log->level = level;
    pthread_mutex_init(&log->lock, NULL);
}

void hk_log_destroy(struct hk_log *log)
{
    free(log->held);
    log->held = NULL;
    pthread_mutex_destroy(&log->lock);
}

void hk_log_hold(struct hk_log *log)
{
    pthread_mutex_lock(&log->lock);
    log->hold = true;
    pthread_mutex_unlock(&log->lock);
}

/* One held message: its level as a digit, then the line as it would have been written. */
static void hold_line(struct hk_log *log, int level, const char *line)
{
    size_t n = strlen(line);
    if (log->held_len + n + 2 > log->held_cap) {
        size_t cap = log->held_cap ? log->held_cap * 2 : 4096;
        while (cap < log->held_len + n + 2)
            cap *= 2;
        if (cap > (1u << 20))
            return; /* a runaway: keep the first MiB */
        char *p = realloc(log->held, cap);
        if (!p)
            return;
        log->held = p;
        log->held_cap = cap;
    }
    log->held[log->held_len++] = (char)('0' + (level < 0 ? 0 : level > 3 ? 3 : level));
    memcpy(log->held + log->held_len, line, n + 1);
    log->held_len += n + 1;
}

void hk_log_set_output(struct hk_log *log, FILE *fp, int level)
{
    pthread_mutex_lock(&log->lock);
    log->fp = fp;
    log->level = level;
    log->hold = false;
    for (size_t pos = 0; pos < log->held_len;) {
        int l = log->held[pos] - '0';
        const char *line = log->held + pos + 1;
        if (fp && l <= level)
            fputs(line, fp);
        pos += 1 + strlen(line) + 1;
    }
    if (fp)
        fflush(fp);
    free(log->held);
    log->held = NULL;
    log->held_len = log->held_cap = 0;
    pthread_mutex_unlock(&log->lock);
}

void hk_log_defer_errors(struct hk_log *log, bool defer)
{
    pthread_mutex_lock(&log->lock);
    log->defer_errors = defer;
    pthread_mutex_unlock(&log->lock);
}

void hk_logf(struct hk_log *log, int level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char msg[HK_LOG_MSG_MAX], line[HK_LOG_MSG_MAX + 64];
    va_list ap;

    if (!log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(line, sizeof(line), "[%5ld.%03ld] %s: %s\n", (long)ts.tv_sec % 100000,
             ts.tv_nsec / 1000000L,
             names[level < 0   ? 0
                   : level > 3 ? 3
                               : level],
             msg);
    pthread_mutex_lock(&log->lock);
    if (level == HK_LOG_ERROR)
        snprintf(log->last_error, sizeof(log->last_error), "%s", msg);
    if (log->hold) {
        hold_line(log, level, line);
    } else if (log->fp && level <= log->level &&
               !(level == HK_LOG_ERROR && log->defer_errors && log->fp == stderr)) {
        fputs(line, log->fp);
        fflush(log->fp);
    }
    pthread_mutex_unlock(&log->lock);
}
