/* bochs-display: DISPI registers and the scanout they describe (16/32 bpp, virtual width, pan,
 * out-of-range values), the EDID block, and the mode-set facts. */
#include "check.h"
#include "fakevm.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev/bochs-display.h"
#include "dev/edid.h"
#include "hako/protocol.h"

static void set(uint16_t *r, unsigned idx, uint16_t v)
{
    r[idx] = v;
}

static void test_scanout_math(void)
{
    uint16_t r[HK_DISPI_NREGS] = {0};
    struct hk_scanout s;
    size_t vram = 16 << 20;
    CHECK(!hk_dispi_scanout(r, vram, false, &s)); /* disabled */
    set(r, HK_DISPI_XRES, 1280);
    set(r, HK_DISPI_YRES, 800);
    set(r, HK_DISPI_BPP, 32);
    set(r, HK_DISPI_ENABLE, 0x41);
    CHECK(hk_dispi_scanout(r, vram, false, &s));
    CHECK(s.width == 1280 && s.height == 800 && s.bpp == 32 && s.stride == 5120 && s.offset == 0);
    /* virtual width and panning (Linux bochs-drm flips pages this way) */
    set(r, HK_DISPI_VIRT_WIDTH, 2048);
    set(r, HK_DISPI_X_OFFSET, 16);
    set(r, HK_DISPI_Y_OFFSET, 800);
    CHECK(hk_dispi_scanout(r, vram, false, &s));
    CHECK_EQ(s.stride, 8192);
    CHECK_EQ(s.offset, 800ull * 8192 + 16 * 4);
    /* a virtual width below XRES counts as XRES */
    set(r, HK_DISPI_VIRT_WIDTH, 100);
    set(r, HK_DISPI_X_OFFSET, 0);
    set(r, HK_DISPI_Y_OFFSET, 0);
    CHECK(hk_dispi_scanout(r, vram, false, &s));
    CHECK_EQ(s.stride, 5120);
    /* 16 bpp */
    set(r, HK_DISPI_BPP, 16);
    CHECK(hk_dispi_scanout(r, vram, false, &s));
    CHECK(s.bpp == 16 && s.stride == 2560);
    /* unsupported depths, tiny modes and modes past the end of VRAM show nothing */
    set(r, HK_DISPI_BPP, 8);
    CHECK(!hk_dispi_scanout(r, vram, false, &s));
    set(r, HK_DISPI_BPP, 24);
    CHECK(!hk_dispi_scanout(r, vram, false, &s));
    set(r, HK_DISPI_BPP, 32);
    set(r, HK_DISPI_XRES, 63);
    CHECK(!hk_dispi_scanout(r, vram, false, &s));
    set(r, HK_DISPI_XRES, 0xFFFF);
    set(r, HK_DISPI_YRES, 0xFFFF);
    CHECK(!hk_dispi_scanout(r, vram, false, &s));
    set(r, HK_DISPI_XRES, 1280);
    set(r, HK_DISPI_YRES, 800);
    set(r, HK_DISPI_Y_OFFSET, 0xFFFF);
    CHECK(!hk_dispi_scanout(r, vram, false, &s));
    set(r, HK_DISPI_Y_OFFSET, 0);
    set(r, HK_DISPI_X_OFFSET, 0xFFFF);
    set(r, HK_DISPI_VIRT_WIDTH, 0xFFFF);
    CHECK(!hk_dispi_scanout(r, vram, false, &s));
}

static void test_edid(void)
{
    uint8_t e[HK_EDID_SIZE];
    CHECK_EQ(hk_edid_build(e, 1280, 800, "Hako"), 0);
    static const uint8_t magic[8] = {0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0};
    CHECK(memcmp(e, magic, 8) == 0);
    uint8_t sum = 0;
    for (int i = 0; i < 128; i++)
        sum = (uint8_t)(sum + e[i]);
    CHECK_EQ(sum, 0);
    CHECK_EQ(e[18], 1);
    CHECK_EQ(e[19], 4);
    /* the preferred mode as SeaBIOS's VGA BIOS decodes the first detailed timing */
    unsigned w = e[54 + 2] | (e[54 + 4] & 0xF0) << 4;
    unsigned h = e[54 + 5] | (e[54 + 7] & 0xF0) << 4;
    CHECK_EQ(w, 1280);
    CHECK_EQ(h, 800);
    CHECK(e[54] | e[55]); /* a pixel clock: it is a timing, not a descriptor */
    CHECK(memmem(e + 54, 72, "Hako", 4) != NULL);
    CHECK_EQ(hk_edid_build(e, 1920, 1080, NULL), 0);
    CHECK_EQ(e[54 + 2] | (e[54 + 4] & 0xF0) << 4, 1920);
    CHECK_EQ(e[54 + 5] | (e[54 + 7] & 0xF0) << 4, 1080);
    CHECK_EQ(hk_edid_build(e, 4096, 100, NULL), -1);
    CHECK_EQ(hk_edid_build(e, 32, 100, NULL), -1);
}

static void wr16(struct hk_bochs_display *d, unsigned idx, uint16_t v)
{
    hk_bochs_mmio_write(d, 0x500 + 2 * idx, v, 2);
}

static void test_registers_and_facts(void)
{
    struct fakevm f;
    struct hk_bochs_display d;
    fakevm_init(&f, 0);
    CHECK_EQ(hk_bochs_display_init(&d, &f.vm, 16 << 20, NULL, 0, 1024, 768), 0);
    CHECK_EQ(hk_bochs_mmio_read(&d, 0x500, 2), 0xB0C5);
    CHECK_EQ(hk_bochs_mmio_read(&d, 0x500 + 2 * 10, 2), 256);
    CHECK_EQ(hk_bochs_mmio_read(&d, 0x600, 4), 8);
    CHECK_EQ(hk_bochs_mmio_read(&d, 0x604, 4), 0x1e1e1e1e);
    /* EDID through the BAR: the header and the preferred mode */
    CHECK_EQ(hk_bochs_mmio_read(&d, 0, 4), 0xFFFFFF00);
    CHECK_EQ(hk_bochs_mmio_read(&d, 54 + 2, 1), 1024 & 0xFF);
    /* ID and memory size are read-only */
    wr16(&d, HK_DISPI_ID, 0xB0C0);
    CHECK_EQ(hk_bochs_mmio_read(&d, 0x500, 2), 0xB0C5);
    /* the mode set sequence OVMF's QemuVideoDxe uses: one mode-set fact at the end */
    hk_bochs_mmio_write(&d, 0x400, 0x20, 1);
    /* nothing decodes the VGA register image: reads are all ones, as on QEMU's device (the
     * conformance replay saw OVMF and Linux read 0x41a, the input status register) */
    CHECK_EQ(hk_bochs_mmio_read(&d, 0x400, 1), 0xFF);
    CHECK_EQ(hk_bochs_mmio_read(&d, 0x41A, 1), 0xFF);
    CHECK_EQ(hk_bochs_mmio_read(&d, 0x41A, 2), 0xFFFF);
    wr16(&d, HK_DISPI_ENABLE, 0);
    wr16(&d, HK_DISPI_BANK, 0);
    wr16(&d, HK_DISPI_X_OFFSET, 0);
    wr16(&d, HK_DISPI_Y_OFFSET, 0);
    wr16(&d, HK_DISPI_BPP, 32);
    wr16(&d, HK_DISPI_XRES, 1024);
    wr16(&d, HK_DISPI_VIRT_WIDTH, 1024);
    wr16(&d, HK_DISPI_YRES, 768);
    wr16(&d, HK_DISPI_VIRT_HEIGHT, 768);
    wr16(&d, HK_DISPI_ENABLE, 0x41);
    struct hk_fact fact;
    CHECK_EQ(facts_of(&f, HK_FACT_MODE_SET, &fact), 1);
    CHECK(fact.a == 1024 && fact.b == 768 && fact.c == 32);
    struct hk_scanout s;
    uint64_t gen = hk_bochs_display_scanout(&d, &s);
    CHECK(s.enabled && s.width == 1024 && s.height == 768);
    /* byte-wise writes land in the right halves; a single byte does not complete a mode set */
    hk_bochs_mmio_write(&d, 0x500 + 2 * HK_DISPI_XRES, 0x00, 1);
    hk_bochs_mmio_write(&d, 0x500 + 2 * HK_DISPI_XRES + 1, 0x03, 1);
    CHECK_EQ(hk_bochs_mmio_read(&d, 0x500 + 2 * HK_DISPI_XRES, 2), 0x300);
    CHECK(hk_bochs_display_scanout(&d, &s) != gen);
    wr16(&d, HK_DISPI_ENABLE, 0);
    CHECK_EQ(facts_of(&f, HK_FACT_DISPLAY_DISABLED, NULL), 1);
    /* big-endian framebuffer switch through the QEMU extension */
    hk_bochs_mmio_write(&d, 0x604, 0xbebebebe, 4);
    CHECK_EQ(hk_bochs_mmio_read(&d, 0x604, 4), 0xbebebebe);
    /* out-of-range offsets read as all ones or zero, never crash */
    CHECK_EQ(hk_bochs_mmio_read(&d, 0xFFC, 4), 0xFFFFFFFF);
    hk_bochs_mmio_write(&d, 0x500 + 2 * 0x7F, 1, 2);
    hk_bochs_mmio_write(&d, 0x3FF, 0xFF, 1); /* EDID is read-only */
    CHECK_EQ(hk_bochs_mmio_read(&d, 0, 1), 0);
    hk_bochs_display_destroy(&d);
    fakevm_destroy(&f);
}

/* The VRAM memfd the app maps is sealed at its size: nobody can shrink it under the app's
 * mapping (SIGBUS) or grow it, and the seals cannot be taken off. */
static void test_vram_sealed(void)
{
    struct fakevm f;
    struct hk_bochs_display d;
    fakevm_init(&f, 0);
    CHECK_EQ(hk_bochs_display_init(&d, &f.vm, 16 << 20, NULL, 0, 1024, 768), 0);
    CHECK(hk_proto_vram_sealed(d.vram_fd));
    CHECK_EQ(fcntl(d.vram_fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
             F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    CHECK(ftruncate(d.vram_fd, 4096) < 0 && errno == EPERM);
    CHECK(ftruncate(d.vram_fd, 32 << 20) < 0 && errno == EPERM);
    CHECK(fcntl(d.vram_fd, F_ADD_SEALS, F_SEAL_WRITE) < 0);
    struct stat st;
    CHECK(fstat(d.vram_fd, &st) == 0 && st.st_size == 16 << 20);
    d.vram[0] = 1; /* still writable: the guest draws into it */
    hk_bochs_display_destroy(&d);
    fakevm_destroy(&f);
}

static void test_init_refuses_nonsense(void)
{
    struct fakevm f;
    struct hk_bochs_display d;
    fakevm_init(&f, 0);
    CHECK_EQ(hk_bochs_display_init(&d, &f.vm, 3 << 20, NULL, 0, 1280, 800), -1);
    hk_bochs_display_destroy(&d);
    CHECK_EQ(hk_bochs_display_init(&d, &f.vm, 4 << 20, NULL, 0, 4000, 3000), -1);
    hk_bochs_display_destroy(&d);
    fakevm_destroy(&f);
}

TEST_MAIN(TEST(test_scanout_math), TEST(test_edid), TEST(test_registers_and_facts),
          TEST(test_init_refuses_nonsense), TEST(test_vram_sealed))
