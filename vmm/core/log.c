#include "log.h"

#include <stdarg.h>
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
    pthread_mutex_destroy(&log->lock);
}

void hk_logf(struct hk_log *log, int level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char msg[512];
    va_list ap;

    if (!log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&log->lock);
    if (level == HK_LOG_ERROR)
        snprintf(log->last_error, sizeof(log->last_error), "%s", msg);
    if (log->fp && level <= log->level) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        fprintf(log->fp, "[%5ld.%03ld] %s: %s\n", (long)ts.tv_sec % 100000, ts.tv_nsec / 1000000L,
                names[level < 0   ? 0
                      : level > 3 ? 3
                                  : level],
                msg);
        fflush(log->fp);
    }
    pthread_mutex_unlock(&log->lock);
}
