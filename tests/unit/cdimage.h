/*
 * A small disc for the CD-ROM's tests (plain C: test-scsi and fuzz-scsi): block n filled with the
 * byte n, except an El Torito boot record at 17 pointing to a boot catalog at 20 with a BIOS
 * default entry (4 sectors at LBA 30) and a UEFI section (LBA 40). No ISO 9660 volume descriptor:
 * the firmware reads sector 17 whatever comes before it. For full ISO images see isoimage.h.
 */
#ifndef HAKO_TEST_CDIMAGE_H
#define HAKO_TEST_CDIMAGE_H

#include <stdint.h>
#include <string.h>

/* Block i of the disc into b (2048 bytes). */
static inline void cdimage_block(uint8_t *b, unsigned i)
{
    memset(b, (uint8_t)i, 2048);
    if (i == 17) {
        memset(b, 0, 2048);
        memcpy(b + 1, "CD001", 5);
        b[6] = 1;
        memcpy(b + 7, "EL TORITO SPECIFICATION", 23);
        b[0x47] = 20;
    } else if (i == 20) {
        memset(b, 0, 2048);
        b[0] = 1; /* validation entry: header, platform 0 (x86) */
        b[0x1E] = 0x55;
        b[0x1F] = 0xAA;
        uint16_t sum = 0;
        for (unsigned k = 0; k < 32; k += 2)
            sum = (uint16_t)(sum + (b[k] | b[k + 1] << 8));
        uint16_t fix = (uint16_t)-sum;
        b[0x1C] = (uint8_t)fix;
        b[0x1D] = (uint8_t)(fix >> 8);
        b[32] = 0x88; /* the default entry: bootable, 4 sectors at LBA 30 */
        b[32 + 6] = 4;
        b[32 + 8] = 30;
        b[64] = 0x91; /* the last section header: UEFI, one entry */
        b[65] = 0xEF;
        b[66] = 1;
        b[96] = 0x88;
        b[96 + 8] = 40;
    }
}

#endif
