#include "hako/diskimage.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "hako/bytes.h"

/* C12A7328-F81F-11D2-BA4B-00A0C93EC93B as stored (mixed endian) */
static const uint8_t esp_guid[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                     0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};

const char *hk_disk_format_name(enum hk_disk_format format)
{
    switch (format) {
    case HK_DISK_QCOW2: return "qcow2";
    case HK_DISK_VMDK: return "vmdk";
    case HK_DISK_VDI: return "vdi";
    case HK_DISK_VHD: return "vpc";
    case HK_DISK_VHDX: return "vhdx";
    case HK_DISK_RAW:
    default: return "raw";
    }
}

long hk_disk_read_fd(void *ctx, uint64_t off, void *buf, size_t len)
{
    int fd = *(const int *)ctx;
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (long)got;
}

bool hk_disk_image_is_disk(const struct hk_disk_image_info *info)
{
    return info->format != HK_DISK_RAW || info->table == HK_TABLE_GPT || info->partitions > 0;
}

static bool read_all(hk_disk_read_fn read, void *ctx, uint64_t off, void *buf, size_t len)
{
    return read(ctx, off, buf, len) == (long)len;
}

static void gpt(hk_disk_read_fn read, void *ctx, uint64_t size, const uint8_t *hdr,
                struct hk_disk_image_info *info)
{
    uint64_t lba = hk_le64(hdr + 72);
    uint32_t count = hk_le32(hdr + 80), esize = hk_le32(hdr + 84);
    if (esize < 128 || esize > 4096 || count > 1024 || lba < 2 || lba > size / 512)
        return;
    uint8_t e[4096];
    for (uint32_t i = 0; i < count; i++) {
        uint64_t off = lba * 512 + (uint64_t)i * esize;
        if (off + esize > size || !read_all(read, ctx, off, e, esize))
            return;
        static const uint8_t unused[16];
        if (!memcmp(e, unused, 16))
            continue;
        info->partitions++;
        if (!memcmp(e, esp_guid, 16))
            info->efi_system = true;
    }
}

int hk_disk_image_sniff(hk_disk_read_fn read, void *ctx, uint64_t size,
                        struct hk_disk_image_info *info)
{
    memset(info, 0, sizeof *info);
    info->size = size;
    uint8_t s0[512] = {0}, s1[512] = {0};
    long n = read(ctx, 0, s0, sizeof s0);
    if (n < 0)
        return -1;
    if (n >= 4 && !memcmp(s0, "QFI\xfb", 4)) {
        info->format = HK_DISK_QCOW2;
        return 0;
    }
    if (n >= 8 && !memcmp(s0, "vhdxfile", 8)) {
        info->format = HK_DISK_VHDX;
        return 0;
    }
    if (n >= 4 && !memcmp(s0, "KDMV", 4)) {
        info->format = HK_DISK_VMDK;
        return 0;
    }
    if (n >= 21 && !memcmp(s0, "# Disk DescriptorFile", 21)) {
        info->format = HK_DISK_VMDK;
        return 0;
    }
    if (n >= 68 && hk_le32(s0 + 64) == 0xbeda107f) {
        info->format = HK_DISK_VDI;
        return 0;
    }
    if (n >= 8 && !memcmp(s0, "conectix", 8)) { /* a dynamic VHD's copy of its footer */
        info->format = HK_DISK_VHD;
        return 0;
    }
    if (size >= 512) {
        uint8_t foot[512];
        if (read_all(read, ctx, size - 512, foot, sizeof foot) && !memcmp(foot, "conectix", 8)) {
            info->format = HK_DISK_VHD;
            return 0;
        }
    }
    info->format = HK_DISK_RAW;
    if (n < 512 || s0[510] != 0x55 || s0[511] != 0xaa)
        return 0; /* no MBR: blank, or a bare file system */
    /* boot code: the first 440 bytes are not all zero */
    bool code = false;
    for (int i = 0; i < 440 && !code; i++)
        code = s0[i] != 0;
    bool protective = false;
    for (int i = 0; i < 4; i++) {
        const uint8_t *p = s0 + 446 + 16 * i;
        if (p[4] == 0)
            continue;
        if (p[4] == 0xee)
            protective = true;
        else
            info->partitions++;
        if (p[4] == 0xef)
            info->efi_system = true;
    }
    info->bios_boot = code;
    /* a GPT header behind a protective MBR, or behind an MBR without any partition (an MBR with
     * partitions of its own and no protective entry is an MBR disk, whatever stale GPT header
     * follows it) */
    if ((protective || info->partitions == 0) && read_all(read, ctx, 512, s1, sizeof s1) &&
        !memcmp(s1, "EFI PART", 8)) {
        info->table = HK_TABLE_GPT;
        info->partitions = 0;
        gpt(read, ctx, size, s1, info);
    } else {
        info->table = HK_TABLE_MBR;
    }
    return 0;
}
