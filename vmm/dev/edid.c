#include "edid.h"

#include <string.h>

static void descriptor_text(uint8_t *d, uint8_t tag, const char *text)
{
    memset(d, 0, 18);
    d[3] = tag;
    size_t n = strlen(text);
    if (n > 13)
        n = 13;
    memcpy(d + 5, text, n);
    if (n < 13) {
        d[5 + n] = 0x0A;
        memset(d + 6 + n, 0x20, 12 - n);
    }
}

int hk_edid_build(uint8_t e[HK_EDID_SIZE], unsigned width, unsigned height, const char *name)
{
    if (width < 64 || height < 64 || width > 4095 || height > 4095)
        return -1;
    memset(e, 0, HK_EDID_SIZE);
    static const uint8_t magic[8] = {0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
    memcpy(e, magic, 8);
    /* manufacturer "HKO": three 5-bit letters, big-endian */
    uint16_t mfg = (uint16_t)((('H' - '@') << 10) | (('K' - '@') << 5) | ('O' - '@'));
    e[8] = (uint8_t)(mfg >> 8);
    e[9] = (uint8_t)mfg;
    e[10] = 0x01; /* product code */
    e[12] = 0x01; /* serial */
    e[16] = 1;    /* week */
    e[17] = 2026 - 1990;
    e[18] = 1; /* EDID 1.4 */
    e[19] = 4;
    e[20] = 0xA5; /* digital, 8 bits per colour, DisplayPort */
    /* physical size in cm at ~96 dpi */
    e[21] = (uint8_t)((width * 254 / 96 + 50) / 1000 ? (width * 254 / 96 + 50) / 1000 : 1);
    e[22] = (uint8_t)((height * 254 / 96 + 50) / 1000 ? (height * 254 / 96 + 50) / 1000 : 1);
    e[23] = 120;  /* gamma 2.2 */
    e[24] = 0x06; /* RGB 4:4:4, sRGB default, preferred timing is native */
    /* sRGB chromaticity */
    static const uint8_t chroma[10] = {0xEE, 0x91, 0xA3, 0x54, 0x4C, 0x99, 0x26, 0x0F, 0x50, 0x54};
    memcpy(e + 25, chroma, 10);
    e[35] = 0x21; /* established: 640x480@60, 800x600@60 */
    e[36] = 0x08; /* 1024x768@60 */
    for (int i = 0; i < 8; i++) {
        e[38 + 2 * i] = 0x01; /* unused standard timings */
        e[39 + 2 * i] = 0x01;
    }

    /* detailed timing: reduced blanking at 60 Hz */
    unsigned hblank = 160, hfront = 48, hsync = 32;
    unsigned vblank = 30, vfront = 3, vsync = 6;
    unsigned long clock = (unsigned long)(width + hblank) * (height + vblank) * 60ul / 10000ul;
    if (clock > 0xFFFF)
        clock = 0xFFFF;
    unsigned hmm = width * 254 / 960, vmm = height * 254 / 960;
    uint8_t *d = e + 54;
    d[0] = (uint8_t)clock;
    d[1] = (uint8_t)(clock >> 8);
    d[2] = (uint8_t)width;
    d[3] = (uint8_t)hblank;
    d[4] = (uint8_t)(((width >> 8) & 0xF) << 4 | ((hblank >> 8) & 0xF));
    d[5] = (uint8_t)height;
    d[6] = (uint8_t)vblank;
    d[7] = (uint8_t)(((height >> 8) & 0xF) << 4 | ((vblank >> 8) & 0xF));
    d[8] = (uint8_t)hfront;
    d[9] = (uint8_t)hsync;
    d[10] = (uint8_t)((vfront & 0xF) << 4 | (vsync & 0xF));
    d[11] = (uint8_t)(((hfront >> 8) & 3) << 6 | ((hsync >> 8) & 3) << 4 |
                      ((vfront >> 4) & 3) << 2 | ((vsync >> 4) & 3));
    d[12] = (uint8_t)hmm;
    d[13] = (uint8_t)vmm;
    d[14] = (uint8_t)(((hmm >> 8) & 0xF) << 4 | ((vmm >> 8) & 0xF));
    d[17] = 0x1E; /* digital separate sync, +hsync +vsync */

    descriptor_text(e + 72, 0xFC, name ? name : "Hako");
    /* range limits: 50-125 Hz vertical, 30-160 kHz horizontal, 600 MHz */
    uint8_t *r = e + 90;
    memset(r, 0, 18);
    r[3] = 0xFD;
    r[5] = 50;
    r[6] = 125;
    r[7] = 30;
    r[8] = 160;
    r[9] = 60;
    r[10] = 0x01; /* range limits only */
    r[11] = 0x0A;
    memset(r + 12, 0x20, 6);
    descriptor_text(e + 108, 0xFE, "Hako display");

    e[126] = 0; /* no extensions */
    uint8_t sum = 0;
    for (int i = 0; i < 127; i++)
        sum = (uint8_t)(sum + e[i]);
    e[127] = (uint8_t)(0x100 - sum);
    return 0;
}
