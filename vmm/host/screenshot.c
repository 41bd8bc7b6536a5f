#include "screenshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "png.h"

int hk_scanout_to_rgb(const uint8_t *vram, size_t vram_size, const struct hk_scanout *s,
                      uint8_t *rgb)
{
    if (!s->enabled || s->offset + (uint64_t)s->stride * s->height > vram_size)
        return -1;
    for (uint32_t y = 0; y < s->height; y++) {
        const uint8_t *src = vram + s->offset + (size_t)y * s->stride;
        uint8_t *dst = rgb + (size_t)y * s->width * 3;
        for (uint32_t x = 0; x < s->width; x++, dst += 3) {
            if (s->bpp == 32) {
                const uint8_t *p = src + 4 * x;
                if (s->big_endian) {
                    dst[0] = p[1];
                    dst[1] = p[2];
                    dst[2] = p[3];
                } else {
                    dst[0] = p[2];
                    dst[1] = p[1];
                    dst[2] = p[0];
                }
            } else {
                uint16_t v = (uint16_t)(src[2 * x] | src[2 * x + 1] << 8);
                unsigned r = (v >> 11) & 0x1F, g = (v >> 5) & 0x3F, b = v & 0x1F;
                dst[0] = (uint8_t)((r << 3) | (r >> 2));
                dst[1] = (uint8_t)((g << 2) | (g >> 4));
                dst[2] = (uint8_t)((b << 3) | (b >> 2));
            }
        }
    }
    return 0;
}

int hk_screenshot_png(struct hk_bochs_display *d, const char *path)
{
    struct hk_scanout s;
    hk_bochs_display_scanout(d, &s);
    uint32_t w = s.enabled ? s.width : 640, h = s.enabled ? s.height : 480;
    uint8_t *rgb = calloc((size_t)w * h, 3);
    if (!rgb)
        return -1;
    if (s.enabled && hk_scanout_to_rgb(d->vram, d->vram_size, &s, rgb) < 0)
        memset(rgb, 0, (size_t)w * h * 3);
    int r = hk_png_write_file(path, rgb, w, h);
    int e = errno;
    free(rgb);
    errno = e;
    return r;
}
