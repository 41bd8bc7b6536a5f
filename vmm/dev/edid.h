/*
 * EDID 1.4 base block (VESA E-EDID Standard, Release A Rev. 2) for the virtual monitor: the first
 * detailed timing descriptor is the preferred mode (what SeaBIOS's VGA BIOS, OVMF's GOP and Linux
 * pick), followed by the monitor name and range limits.
 */
#ifndef HK_DEV_EDID_H
#define HK_DEV_EDID_H

#include <stdint.h>

#define HK_EDID_SIZE 128

/* width/height in pixels (64..4095). Returns 0 or -1 for an unrepresentable mode. */
int hk_edid_build(uint8_t out[HK_EDID_SIZE], unsigned width, unsigned height, const char *name);

#endif
