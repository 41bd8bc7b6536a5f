/* Converts the guest's scanout (as bochs-display describes it) to RGB and writes PNG screenshots.
 */
#ifndef HK_HOST_SCREENSHOT_H
#define HK_HOST_SCREENSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "../dev/bochs-display.h"

/* rgb must hold width*height*3 bytes. Returns 0 or -1 (scanout outside VRAM). */
int hk_scanout_to_rgb(const uint8_t *vram, size_t vram_size, const struct hk_scanout *s,
                      uint8_t *rgb);
/* Writes the current scanout as PNG; with no mode set, a 640x480 black image. */
int hk_screenshot_png(struct hk_bochs_display *d, const char *path);

#endif
