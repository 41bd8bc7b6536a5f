/* hk_disk_image_sniff (vmm/common/diskimage.c): container formats by their magic, raw images by
 * their partition tables (MBR boot code, GPT with an EFI system partition), blanks. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "hako/diskimage.h"

struct mem {
    const uint8_t *p;
    size_t n;
};

static long read_mem(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct mem *m = ctx;
    if (off >= m->n)
        return 0;
    size_t k = len < m->n - off ? len : m->n - off;
    memcpy(buf, m->p + off, k);
    return (long)k;
}

static struct hk_disk_image_info sniff(const uint8_t *p, size_t n)
{
    struct mem m = {p, n};
    struct hk_disk_image_info info;
    CHECK(hk_disk_image_sniff(read_mem, &m, n, &info) == 0);
    return info;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

int main(void)
{
    size_t n = 1 << 20;
    uint8_t *d = calloc(1, n);

    memcpy(d, "QFI\xfb\0\0\0\3", 8);
    CHECK(sniff(d, n).format == HK_DISK_QCOW2);
    CHECK(strcmp(hk_disk_format_name(HK_DISK_QCOW2), "qcow2") == 0);
    memset(d, 0, 8);
    memcpy(d, "KDMV", 4);
    CHECK(sniff(d, n).format == HK_DISK_VMDK);
    memset(d, 0, 8);
    put32(d + 64, 0xbeda107f);
    CHECK(sniff(d, n).format == HK_DISK_VDI);
    memset(d, 0, 128);
    memcpy(d, "vhdxfile", 8);
    CHECK(sniff(d, n).format == HK_DISK_VHDX);
    memset(d, 0, 8);
    memcpy(d + n - 512, "conectix", 8);
    CHECK(sniff(d, n).format == HK_DISK_VHD);
    memset(d + n - 512, 0, 8);

    /* blank: raw, no table */
    struct hk_disk_image_info i = sniff(d, n);
    CHECK(i.format == HK_DISK_RAW && i.table == HK_TABLE_NONE && !i.bios_boot);
    CHECK(sniff(d, 100).table == HK_TABLE_NONE); /* too small for an MBR */

    /* MBR: boot code, one bootable Linux partition */
    d[0] = 0xeb;
    d[1] = 0x63;
    d[510] = 0x55;
    d[511] = 0xaa;
    d[446] = 0x80;
    d[446 + 4] = 0x83;
    i = sniff(d, n);
    CHECK(i.table == HK_TABLE_MBR && i.bios_boot && !i.efi_system && i.partitions == 1);
    /* an MBR EFI system partition */
    d[446 + 16 + 4] = 0xef;
    i = sniff(d, n);
    CHECK(i.efi_system && i.partitions == 2);

    /* GPT: protective MBR without boot code, an EFI system partition and a Linux one */
    memset(d, 0, 512);
    d[510] = 0x55;
    d[511] = 0xaa;
    d[446 + 4] = 0xee;
    memcpy(d + 512, "EFI PART", 8);
    put64(d + 512 + 72, 2);
    put32(d + 512 + 80, 128);
    put32(d + 512 + 84, 128);
    static const uint8_t esp[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                    0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
    memcpy(d + 1024, esp, 16);
    memset(d + 1024 + 128, 0x11, 16);
    i = sniff(d, n);
    CHECK(i.table == HK_TABLE_GPT && i.efi_system && !i.bios_boot && i.partitions == 2);
    CHECK(hk_disk_image_is_disk(&i));
    /* a hostile entry count or size is not followed */
    put32(d + 512 + 80, 0xffffffff);
    i = sniff(d, n);
    CHECK(i.table == HK_TABLE_GPT && i.partitions == 0);
    CHECK(hk_disk_image_is_disk(&i));
    /* a GPT header behind an MBR without any entry is still GPT; behind an MBR with partitions
     * of its own (and no protective entry) the MBR is what counts */
    put32(d + 512 + 80, 128);
    d[446 + 4] = 0;
    i = sniff(d, n);
    CHECK(i.table == HK_TABLE_GPT && i.partitions == 2);
    d[446 + 4] = 0x83;
    i = sniff(d, n);
    CHECK(i.table == HK_TABLE_MBR && i.partitions == 1);
    /* an MBR signature alone: raw, a table without partitions, not a disk's image */
    memset(d, 0, 1024);
    d[510] = 0x55;
    d[511] = 0xaa;
    i = sniff(d, n);
    CHECK(i.format == HK_DISK_RAW && i.partitions == 0 && !hk_disk_image_is_disk(&i));
    /* the same through a file descriptor */
    char path[] = "/tmp/test-diskimage-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    memcpy(d, "QFI\xfb\0\0\0\3", 8);
    CHECK(write(fd, d, n) == (ssize_t)n);
    struct hk_disk_image_info fi;
    CHECK(hk_disk_image_sniff(hk_disk_read_fd, &fd, n, &fi) == 0);
    CHECK(fi.format == HK_DISK_QCOW2 && hk_disk_image_is_disk(&fi));
    uint8_t tail[16];
    CHECK(hk_disk_read_fd(&fd, n - 8, tail, sizeof(tail)) == 8);
    close(fd);
    unlink(path);
    free(d);
    printf("disk image formats and partition tables: ok\n");
    return 0;
}
