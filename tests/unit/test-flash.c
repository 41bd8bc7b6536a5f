/* The UEFI variable flash (vmm/pc/flash.c) against the command sequences OVMF's
 * QemuFlashFvbServicesRuntimeDxe (edk2-stable202211 QemuFlash.c) uses: the probe (0x50, then
 * 0x70: must read 0x00 = flash, not RAM or ROM), byte programs (0x10 + data, then 0xFF), block
 * erases (0x20 + 0xD0), and that every change reaches the VM's store file. Also the memslot switch
 * between read-array and command modes, CFI/ID queries, write-to-buffer and bad sequences. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fakevm.h"
#include "fwimages.h"

#include "pc/flash.h"

#define BASE  0xFFC00000ull
#define SIZE  0x84000u /* the 4 MiB build's store */
#define BLOCK 0x1000u

static uint8_t *vars_image(void)
{
    /* an empty store of the 4 MiB build (fwimages.h) */
    uint8_t *v = malloc(SIZE);
    fwimg_vars(v, SIZE);
    return v;
}

static char tmp_path[64];

static int store_file(const uint8_t *contents)
{
    snprintf(tmp_path, sizeof(tmp_path), "/tmp/hako-test-flash-XXXXXX");
    int fd = mkstemp(tmp_path);
    CHECK(fd >= 0);
    CHECK_EQ(pwrite(fd, contents, SIZE, 0), SIZE);
    return fd;
}

static uint8_t rd(struct hk_flash *f, uint64_t off)
{
    return (uint8_t)hk_flash_read(f, off, 1);
}

static void wr(struct hk_flash *f, uint64_t off, uint8_t v)
{
    hk_flash_write(f, off, v, 1);
}

static bool mapped(struct fakevm *vm)
{
    struct hk_mem_region r;
    return hk_mem_find(&vm->vm.mem, BASE, &r) && r.gpa == BASE && r.size == SIZE &&
           (r.flags & HK_MEM_READONLY);
}

/* OVMF's QemuFlashDetected(), step by step. Returns what it would conclude: 1 flash, 0 not. */
static int ovmf_probe(struct hk_flash *f)
{
    uint64_t off;
    for (off = 0; off < BLOCK; off++) {
        uint8_t b = rd(f, off);
        if (b != 0x50 && b != 0x70 && b != 0x00)
            break;
    }
    CHECK_EQ(off, 0x10); /* the first byte of the GUID */
    uint8_t original = rd(f, off);
    wr(f, off, 0x50);
    uint8_t probe = rd(f, off);
    if (original != 0x50 && probe == 0x50)
        return 0; /* behaves as RAM */
    wr(f, off, 0x70);
    probe = rd(f, off);
    if (probe == original || probe == 0x70)
        return 0; /* ROM or RAM */
    if (probe != 0x00)
        return 0;
    wr(f, off, 0xFF);
    return 1;
}

static void test_probe(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 0);
    uint8_t *img = vars_image();
    struct hk_flash f;
    CHECK_EQ(hk_flash_init(&f, &vm.vm, BASE, img, SIZE, -1, NULL), 0);
    CHECK_EQ(hk_flash_attach(&f), 0);
    CHECK(mapped(&vm));
    CHECK_EQ(ovmf_probe(&f), 1);
    CHECK(mapped(&vm)); /* back in read-array mode */
    CHECK_EQ(rd(&f, 0x10), 0x8d);
    CHECK_EQ(facts_of(&vm, HK_FACT_FLASH_PROBE, NULL), 1);
    /* OVMF probes on every boot: still one fact */
    CHECK_EQ(ovmf_probe(&f), 1);
    CHECK_EQ(facts_of(&vm, HK_FACT_FLASH_PROBE, NULL), 1);
    /* the probe changed nothing */
    CHECK(memcmp(f.array, img, SIZE) == 0);
    CHECK_EQ(facts_of(&vm, HK_FACT_FLASH_WRITE, NULL), 0);
    hk_flash_destroy(&f);
    free(img);
    fakevm_destroy(&vm);
}

/* QemuFlashWrite(): 0x10 + byte for each byte, then 0xFF at the last address. */
static void ovmf_write(struct hk_flash *f, uint64_t off, const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        wr(f, off + i, 0x10);
        wr(f, off + i, data[i]);
    }
    if (n)
        wr(f, off + n - 1, 0xFF);
}

/* QemuFlashEraseBlock(): 0x20, 0xD0 at the block's first byte (and no 0xFF afterwards). */
static void ovmf_erase(struct hk_flash *f, uint64_t lba)
{
    wr(f, lba * BLOCK, 0x20);
    wr(f, lba * BLOCK, 0xD0);
}

static void test_program_erase_persist(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 0);
    uint8_t *img = vars_image();
    int fd = store_file(img);
    struct hk_flash f;
    CHECK_EQ(hk_flash_init(&f, &vm.vm, BASE, img, SIZE, fd, tmp_path), 0);
    CHECK_EQ(hk_flash_attach(&f), 0);

    /* a variable header and name, as the variable driver writes it */
    static const uint8_t var[] = {0xAA, 0x55, 0x3F, 0x00, 0x07, 0x00, 0x00, 0x00, 'B', 0,
                                  'o',  0,    'o',  0,    't',  0,    'O',  0,    'r', 0,
                                  'd',  0,    'e',  0,    'r',  0,    0,    0};
    uint64_t at = 0x48 + 28;
    /* while programming, reads return the status register (ready) and the slot is gone */
    wr(&f, at, 0x10);
    CHECK(!mapped(&vm));
    wr(&f, at, var[0]);
    CHECK_EQ(rd(&f, at), 0x80);
    CHECK_EQ(rd(&f, 0), 0x80);
    wr(&f, at, 0xFF);
    CHECK(mapped(&vm));
    ovmf_write(&f, at + 1, var + 1, sizeof(var) - 1);
    CHECK(mapped(&vm));
    CHECK(memcmp(f.array + at, var, sizeof(var)) == 0);
    CHECK_EQ(f.programs, sizeof(var));
    /* the first write is a stored fact, every write is counted */
    struct hk_fact last;
    CHECK_EQ(facts_of(&vm, HK_FACT_FLASH_WRITE, &last), 1);
    CHECK_EQ(last.a, 1);
    CHECK_EQ(hk_facts_get_count(&vm.vm.facts, HK_FACT_FLASH_WRITE), sizeof(var));

    /* every change is in the file already (pwrite), before any sync */
    uint8_t disk[sizeof(var)];
    CHECK_EQ(pread(fd, disk, sizeof(disk), (off_t)at), sizeof(disk));
    CHECK(memcmp(disk, var, sizeof(var)) == 0);

    /* erase block 0x40 (the FTW spare area of the 4 MiB layout) after dirtying it */
    uint8_t junk[16];
    memset(junk, 0x12, sizeof(junk));
    ovmf_write(&f, 0x40 * BLOCK + 100, junk, sizeof(junk));
    ovmf_erase(&f, 0x40);
    /* the chip stays in status mode after an erase: ready, no error */
    CHECK_EQ(rd(&f, 0x40 * BLOCK), 0x80);
    CHECK(!mapped(&vm));
    wr(&f, 0, 0xFF);
    CHECK(mapped(&vm));
    for (unsigned i = 0; i < BLOCK; i++)
        if (f.array[0x40 * BLOCK + i] != 0xFF) {
            CHECK(!"block not erased");
            break;
        }
    CHECK_EQ(f.erases, 1);
    /* an erase in the middle of a block erases that whole block and only it */
    ovmf_write(&f, 0x41 * BLOCK, junk, 4);
    wr(&f, 0x40 * BLOCK + 0x800, 0x20);
    wr(&f, 0x40 * BLOCK + 0x800, 0xD0);
    wr(&f, 0, 0xFF);
    CHECK_EQ(f.array[0x41 * BLOCK], 0x12);

    CHECK_EQ(hk_flash_sync(&f), 0);
    hk_flash_destroy(&f);

    /* the next run of the VM starts from the file */
    size_t n;
    int fd2 = open(tmp_path, O_RDONLY);
    uint8_t *again = malloc(SIZE);
    n = (size_t)pread(fd2, again, SIZE, 0);
    CHECK_EQ(n, SIZE);
    close(fd2);
    CHECK(memcmp(again + at, var, sizeof(var)) == 0);
    CHECK_EQ(again[0x40 * BLOCK + 100], 0xFF);
    CHECK_EQ(again[0x41 * BLOCK], 0x12);
    CHECK_EQ(again[0x10], 0x8d);
    free(again);
    unlink(tmp_path);
    free(img);
    fakevm_destroy(&vm);
}

static void test_queries_and_errors(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 0);
    uint8_t *img = vars_image();
    struct hk_flash f;
    CHECK_EQ(hk_flash_init(&f, &vm.vm, BASE, img, SIZE, -1, NULL), 0);
    CHECK_EQ(hk_flash_attach(&f), 0);

    /* CFI query */
    wr(&f, 0x55, 0x98);
    CHECK_EQ(rd(&f, 0x10), 'Q');
    CHECK_EQ(rd(&f, 0x11), 'R');
    CHECK_EQ(rd(&f, 0x12), 'Y');
    CHECK_EQ(rd(&f, 0x13), 0x01);
    CHECK_EQ(1u << rd(&f, 0x27), 0x100000u); /* 2^n bytes covering the 528 KiB */
    unsigned blocks = (unsigned)rd(&f, 0x2D) | (unsigned)rd(&f, 0x2E) << 8;
    CHECK_EQ(blocks + 1, SIZE / BLOCK);
    CHECK_EQ(((unsigned)rd(&f, 0x2F) | (unsigned)rd(&f, 0x30) << 8) * 256, BLOCK);
    wr(&f, 0, 0xFF);
    CHECK_EQ(rd(&f, 0x10), 0x8d);
    /* identifier */
    wr(&f, 0, 0x90);
    CHECK_EQ(rd(&f, 0), 0x89);
    CHECK_EQ(rd(&f, 1), 0x18);
    wr(&f, 0, 0xFF);
    /* a wide read in array mode while trapped is little-endian */
    wr(&f, 0, 0x70);
    CHECK_EQ(hk_flash_read(&f, 0, 4), 0x80808080u);
    wr(&f, 0, 0x00); /* 0x00 is read array too */
    CHECK_EQ(hk_flash_read(&f, 0x10, 2), 0x2b8du);

    /* an erase without its confirm: sequence error bits, status mode, nothing erased */
    wr(&f, 0x2000, 0x20);
    wr(&f, 0x2000, 0x55);
    CHECK_EQ(rd(&f, 0x2000) & 0x30, 0x30);
    CHECK_EQ(facts_of(&vm, HK_FACT_GUEST_ERROR, NULL), 1);
    wr(&f, 0, 0x50); /* clear status */
    wr(&f, 0, 0x70);
    CHECK_EQ(rd(&f, 0), 0x00);
    wr(&f, 0, 0xFF);
    CHECK_EQ(f.erases, 0);
    /* an unknown command is refused and leaves the array readable */
    wr(&f, 0, 0x42);
    CHECK_EQ(rd(&f, 0x10), 0x8d);

    /* write to buffer: 0xE8, count - 1, the bytes, 0xD0 */
    wr(&f, 0x3000, 0xE8);
    CHECK_EQ(rd(&f, 0x3000) & 0x80, 0x80);
    wr(&f, 0x3000, 3);
    for (unsigned i = 0; i < 4; i++)
        wr(&f, 0x3004 + i, (uint8_t)(0xA0 + i));
    wr(&f, 0x3000, 0xD0);
    wr(&f, 0x3000, 0xFF);
    CHECK_EQ(f.array[0x3004], 0xA0);
    CHECK_EQ(f.array[0x3007], 0xA3);
    CHECK_EQ(f.array[0x3003], 0xFF);
    /* a buffer longer than the chip's buffer is refused */
    wr(&f, 0x3000, 0xE8);
    wr(&f, 0x3000, 200);
    CHECK_EQ(rd(&f, 0x3000) & 0x30, 0x30);
    wr(&f, 0x3000, 0xFF);

    /* accesses past the end are ignored */
    hk_flash_write(&f, SIZE - 1, 0x10, 2);
    hk_flash_write(&f, SIZE, 0x10, 1);
    CHECK(mapped(&vm));

    /* reset: read-array mode, memslot back, status ready */
    wr(&f, 0, 0x70);
    CHECK(!mapped(&vm));
    hk_flash_reset(&f);
    CHECK(mapped(&vm));
    CHECK_EQ(rd(&f, 0x10), 0x8d);
    wr(&f, 0, 0x70);
    CHECK_EQ(rd(&f, 0), 0x80);

    hk_flash_destroy(&f);
    free(img);
    fakevm_destroy(&vm);
}

/* A broken VARS (for example one that belongs to another build) makes OVMF write over and over:
 * the count keeps every write, the timeline keeps milestones only. */
static void test_storm_counting(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 0);
    uint8_t *img = vars_image();
    struct hk_flash f;
    CHECK_EQ(hk_flash_init(&f, &vm.vm, BASE, img, SIZE, -1, NULL), 0);
    CHECK_EQ(hk_flash_attach(&f), 0);
    for (unsigned i = 0; i < 1500; i++) {
        wr(&f, 0x100 + (i % 64), 0x10);
        wr(&f, 0x100 + (i % 64), (uint8_t)i);
    }
    for (unsigned i = 0; i < 500; i++)
        ovmf_erase(&f, 0x10 + i % 8);
    wr(&f, 0, 0xFF);
    CHECK_EQ(hk_facts_get_count(&vm.vm.facts, HK_FACT_FLASH_WRITE), 2000);
    struct hk_fact last;
    CHECK_EQ(facts_of(&vm, HK_FACT_FLASH_WRITE, &last), 3); /* 1, 100, 1000 */
    CHECK_EQ(last.a, 1000);
    hk_flash_destroy(&f);
    free(img);
    fakevm_destroy(&vm);
}

TEST_MAIN(TEST(test_probe), TEST(test_program_erase_persist), TEST(test_queries_and_errors),
          TEST(test_storm_counting))
