/* A small PNG encoder (RGB, 8 bits per channel) for screenshots: zlib stream with fixed-Huffman
 * deflate and run matches against the previous pixel and the previous row (RFC 1950, 1951, PNG
 * specification 2nd edition). No external libraries. */
#ifndef HK_HOST_PNG_H
#define HK_HOST_PNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* rgb: width*height*3 bytes, rows top to bottom. Returns 0 or -1. */
int hk_png_write(FILE *out, const uint8_t *rgb, uint32_t width, uint32_t height);
/* Writes a PNG file without ever writing through an existing name: a symbolic link (ELOOP), a
 * FIFO, device or folder is refused; the picture goes to a new file in the same folder that is
 * then renamed over path. Returns 0, or -1 with errno. */
int hk_png_write_file(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height);

#endif
