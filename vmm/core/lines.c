#include "lines.h"

#include <stdio.h>
#include <string.h>

#include "hako/facts.h"

void hk_lines_init(struct hk_lines *l, void (*on_line)(void *opaque, const char *line),
                   void *opaque)
{
    memset(l, 0, sizeof(*l));
    pthread_mutex_init(&l->lock, NULL);
    l->on_line = on_line;
    l->opaque = opaque;
}

void hk_lines_destroy(struct hk_lines *l)
{
    pthread_mutex_destroy(&l->lock);
}

static void finish_line(struct hk_lines *l)
{
    l->cur[l->curlen] = 0;
    /* strip trailing CR and ANSI escapes are left as they are */
    while (l->curlen && (l->cur[l->curlen - 1] == '\r' || l->cur[l->curlen - 1] == ' '))
        l->cur[--l->curlen] = 0;
    char line[HK_LINE_MAX];
    memcpy(line, l->cur, l->curlen + 1);
    memcpy(l->last[l->nlines % HK_LINES_KEEP], line, sizeof(line));
    l->nlines++;
    l->curlen = 0;
    if (l->on_line && line[0]) {
        pthread_mutex_unlock(&l->lock);
        l->on_line(l->opaque, line);
        pthread_mutex_lock(&l->lock);
    }
}

void hk_lines_feed(struct hk_lines *l, const uint8_t *data, size_t len)
{
    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c == '\n') {
            finish_line(l);
        } else if (c == '\r' || c == 0) {
            continue;
        } else {
            if (l->curlen + 1 >= HK_LINE_MAX)
                finish_line(l);
            l->cur[l->curlen++] = (c >= 0x20 && c < 0x7F) || c >= 0x80 ? (char)c : '.';
        }
    }
    pthread_mutex_unlock(&l->lock);
}

size_t hk_lines_tail(struct hk_lines *l, unsigned n, char *buf, size_t buflen)
{
    size_t pos = 0;
    if (buflen)
        buf[0] = 0;
    pthread_mutex_lock(&l->lock);
    if (n > HK_LINES_KEEP)
        n = HK_LINES_KEEP;
    if (n > l->nlines)
        n = l->nlines;
    for (unsigned i = l->nlines - n; i < l->nlines && pos + 1 < buflen; i++) {
        int w = snprintf(buf + pos, buflen - pos, "%s\n", l->last[i % HK_LINES_KEEP]);
        if (w < 0)
            break;
        pos += (size_t)w;
        if (pos >= buflen)
            pos = buflen - 1;
    }
    pthread_mutex_unlock(&l->lock);
    return pos;
}

uint32_t hk_firmware_line_flags(const char *line)
{
    uint32_t flags = 0;
    if (strstr(line, "No VGA found"))
        flags |= HK_FACT_LINE_NO_VGA;
    /* OVMF's BdsDxe: "BdsDxe: failed to load Boot0001 ... : Not Found" */
    if (strstr(line, "failed to load Boot") || strstr(line, "No bootable option"))
        flags |= HK_FACT_LINE_EFI_BOOT_FAIL;
    return flags;
}
