/* The network card next to the firmware's boot devices, without KVM: the board hako-vmm builds
 * (host/config.c + hk_pc_init_nokvm, as hako-replay and --dump-tables build it) with a CD, a disk
 * and --net user. The card sits at 00:0c.0 (1af4:1041, class 0x0200), the CD-ROM and the disk
 * keep 00:03.0 and 00:04.0, and fw_cfg's "bootorder" file -- what SeaBIOS and OVMF boot from --
 * lists the CD and the disk exactly as without the card (CD first, or the disk first with --boot
 * disk), never the card. passt is pointed at a program that does not exist (HAKO_PASST): the
 * card is there with its link down, as on a computer without passt. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdimage.h"
#include "check.h"

#include "core/log.h"
#include "host/config.h"
#include "pc/board.h"

static char dir[256];

static const char *tmp(const char *name)
{
    static char bufs[8][512];
    static unsigned k;
    char *b = bufs[k++ % 8];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

static void put(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK_EQ(write(fd, data, len), len);
        close(fd);
    }
}

/* A 64 KiB firmware image with a far jump at its reset vector, a 1 MiB disk, a small disc. */
static void make_files(void)
{
    static uint8_t fw[65536];
    fw[sizeof(fw) - 16] = 0xEA;
    put(tmp("fw.bin"), fw, sizeof(fw));
    static uint8_t disk[1 << 20];
    put(tmp("disk.img"), disk, sizeof(disk));
    put(tmp("disk2.img"), disk, sizeof(disk)); /* each board locks its own */
    static uint8_t cd[64 * 2048];
    for (unsigned i = 0; i < 64; i++)
        cdimage_block(cd + i * 2048, i);
    put(tmp("cd.iso"), cd, sizeof(cd));
}

struct board {
    struct hk_config c;
    struct hk_log log;
    struct hk_pc pc;
    bool built;
};

/* The board of a NULL-terminated hako-vmm argument list (after the program name). */
static struct board *build(const char *first, ...)
{
    struct board *b = calloc(1, sizeof(*b));
    char *argv[32];
    int argc = 0;
    argv[argc++] = "hako-vmm";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    hk_log_init(&b->log, NULL, HK_LOG_DEBUG);
    hk_log_hold(&b->log);
    hk_config_init(&b->c);
    hk_config_parse(&b->c, argc, argv);
    hk_config_check(&b->c, &b->log);
    for (unsigned i = 0; i < b->c.nissues; i++)
        if (b->c.issues[i].problem < HK_CONFIG_WARN_NO_PASST) /* warnings come last */
            fprintf(stderr, "  refused: %s\n", b->c.issues[i].message);
    hk_config_open(&b->c, &b->log);
    int r = hk_pc_init_nokvm(&b->pc, &b->c.pc, &b->c.in, &b->log, NULL);
    if (r < 0)
        fprintf(stderr, "  board: %s\n", b->log.last_error);
    CHECK_EQ(r, 0);
    b->built = r == 0;
    return b;
}

static void done(struct board *b)
{
    hk_pc_stop(&b->pc);
    hk_pc_destroy(&b->pc);
    hk_config_free(&b->c);
    hk_log_set_output(&b->log, NULL, 0);
    hk_log_destroy(&b->log);
    free(b);
}

/* fw_cfg as the firmware reads it: the selector at 0x510, the bytes at 0x511. NULL when the
 * file is not there; else a malloc'ed NUL-terminated copy. */
static char *fw_cfg_file(struct board *b, const char *name)
{
    int key = hk_fw_cfg_find(&b->pc.fwcfg, name);
    if (key < 0)
        return NULL;
    /* the size from the file directory (selector 0x19): count, then 64-byte entries */
    CHECK(hk_bus_write(&b->pc.vm.pio, 0x510, 2, 0x19));
    uint32_t count = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        hk_bus_read(&b->pc.vm.pio, 0x511, 1, &v);
        count = count << 8 | (uint32_t)v;
    }
    uint32_t size = 0;
    for (uint32_t e = 0; e < count; e++) {
        uint8_t ent[64];
        for (int i = 0; i < 64; i++) {
            uint64_t v = 0;
            hk_bus_read(&b->pc.vm.pio, 0x511, 1, &v);
            ent[i] = (uint8_t)v;
        }
        if ((ent[4] << 8 | ent[5]) == key) /* size, select, reserved, name */
            size = (uint32_t)ent[0] << 24 | ent[1] << 16 | ent[2] << 8 | ent[3];
    }
    CHECK(size > 0 && size < 4096);
    char *s = calloc(1, size + 1);
    CHECK(hk_bus_write(&b->pc.vm.pio, 0x510, 2, (uint64_t)key));
    for (uint32_t i = 0; i < size; i++) {
        uint64_t v = 0;
        hk_bus_read(&b->pc.vm.pio, 0x511, 1, &v);
        s[i] = (char)v;
    }
    return s;
}

/* A PCI configuration register through 0xCF8/0xCFC, as the firmware reads it. */
static uint32_t pci_read(struct board *b, unsigned devfn, unsigned reg)
{
    CHECK(hk_bus_write(&b->pc.vm.pio, 0xCF8, 4, 0x80000000u | devfn << 8 | reg));
    uint64_t v = 0;
    CHECK(hk_bus_read(&b->pc.vm.pio, 0xCFC, 4, &v));
    return (uint32_t)v;
}

/* the slots firmware and guests know (PLATFORM.md), written out: the test must not move with
 * the board's constants */
#define NET_DEVFN   (0x0c << 3)
#define CDROM_DEVFN (0x03 << 3)
#define DISK_DEVFN  (0x04 << 3)

#define CD_PATH   "/pci@i0cf8/scsi@3/channel@0/disk@0,0"
#define DISK_PATH "/pci@i0cf8/scsi@4/disk@0,0"

static void test_bootorder(const char *boot, const char *want)
{
    struct board *plain =
        build("--firmware", tmp("fw.bin"), "--memory", "64M", "--no-display", "--cdrom",
              tmp("cd.iso"), "--disk", tmp("disk.img"), "--boot", boot, NULL);
    struct board *net = build("--firmware", tmp("fw.bin"), "--memory", "64M", "--no-display",
                              "--cdrom", tmp("cd.iso"), "--disk", tmp("disk2.img"), "--boot", boot,
                              "--net", "user", "--mac", "52:54:00:ab:cd:ef", NULL);
    if (!plain->built || !net->built) {
        done(plain);
        done(net);
        return;
    }
    /* the devices: the card at 00:0c.0, the CD-ROM and the disk where they are without it */
    CHECK(net->pc.net != NULL);
    CHECK(plain->pc.net == NULL);
    CHECK_EQ(pci_read(net, NET_DEVFN, 0), 0x10411AF4u);
    CHECK_EQ(pci_read(net, NET_DEVFN, 8) >> 8, 0x020000u); /* Ethernet controller */
    CHECK_EQ(pci_read(plain, NET_DEVFN, 0), 0xFFFFFFFFu);
    CHECK_EQ(pci_read(net, CDROM_DEVFN, 0), 0x10481AF4u);
    CHECK_EQ(pci_read(net, DISK_DEVFN, 0), 0x10421AF4u);
    CHECK_EQ(pci_read(plain, CDROM_DEVFN, 0), 0x10481AF4u);
    CHECK_EQ(pci_read(plain, DISK_DEVFN, 0), 0x10421AF4u);
    /* no option ROM: the firmware finds nothing to boot from the network with */
    CHECK_EQ(pci_read(net, NET_DEVFN, 0x30), 0u);

    /* fw_cfg bootorder: the same with and without the card, and the card is not in it */
    char *a = fw_cfg_file(plain, "bootorder"), *n = fw_cfg_file(net, "bootorder");
    CHECK(a != NULL && n != NULL);
    if (a && n) {
        if (strcmp(n, want) != 0)
            fprintf(stderr, "  --boot %s with the card: bootorder \"%s\", expected \"%s\"\n", boot,
                    n, want);
        CHECK_STR(a, want);
        CHECK_STR(n, want);
        CHECK(strstr(n, "ethernet") == NULL && strstr(n, "@c") == NULL);
    }
    free(a);
    free(n);
    /* CMOS's boot order (SeaBIOS's fallback) is the same too */
    for (unsigned i = 0; i < 3; i++)
        CHECK_EQ(net->pc.cfg.cmos_boot[i], plain->pc.cfg.cmos_boot[i]);
    done(plain);
    done(net);
}

static void test_card_leaves_cd_first(void)
{
    test_bootorder("cdrom", CD_PATH "\n" DISK_PATH);
}

static void test_card_leaves_disk_first(void)
{
    test_bootorder("disk", DISK_PATH "\n" CD_PATH);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "%s/hako-test-board-net-XXXXXX", getenv("TMPDIR") ?: "/tmp");
    if (!mkdtemp(dir))
        return 1;
    setenv("HAKO_PASST", "/nonexistent/hako-test/passt", 1);
    make_files();
    static const struct hk_test_case cases[] = {TEST(test_card_leaves_cd_first),
                                                TEST(test_card_leaves_disk_first)};
    int r = hk_test_run(cases, sizeof(cases) / sizeof(cases[0]));
    unlink(tmp("fw.bin"));
    unlink(tmp("disk.img"));
    unlink(tmp("disk2.img"));
    unlink(tmp("cd.iso"));
    rmdir(dir);
    return r;
}
