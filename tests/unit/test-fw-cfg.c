/* fw_cfg: signature, features, file directory, DMA (select, read, skip, zero fill, errors) and the
 * DMA address register's high half reading back 0 after each operation. */
#include "check.h"
#include "fakevm.h"

#include "pc/fw-cfg.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t bswap(uint32_t v)
{
    return __builtin_bswap32(v);
}

struct env {
    struct fakevm f;
    struct hk_fw_cfg fc;
};

static void setup(struct env *e)
{
    fakevm_init(&e->f, 1 << 20);
    hk_fw_cfg_init(&e->fc, &e->f.vm);
    CHECK_EQ(hk_fw_cfg_attach(&e->fc), 0);
}

static void teardown(struct env *e)
{
    hk_fw_cfg_destroy(&e->fc);
    fakevm_destroy(&e->f);
}

static void select_key(struct env *e, uint16_t key)
{
    pio_write(&e->f, 0x510, 2, key);
}

static void read_data(struct env *e, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)pio_read(&e->f, 0x511, 1);
}

/* Runs a DMA request with the descriptor at desc_addr. */
static void dma(struct env *e, uint64_t desc_addr)
{
    pio_write(&e->f, 0x514, 4, bswap((uint32_t)(desc_addr >> 32)));
    pio_write(&e->f, 0x518, 4, bswap((uint32_t)desc_addr));
}

static void descriptor(struct env *e, uint32_t at, uint32_t control, uint32_t len, uint64_t addr)
{
    uint8_t *d = e->f.ram + at;
    put_be32(d, control);
    put_be32(d + 4, len);
    put_be32(d + 8, (uint32_t)(addr >> 32));
    put_be32(d + 12, (uint32_t)addr);
}

static void test_signature_and_id(void)
{
    struct env e;
    setup(&e);
    uint8_t sig[4];
    select_key(&e, 0);
    read_data(&e, sig, 4);
    CHECK(memcmp(sig, "QEMU", 4) == 0);
    select_key(&e, 1);
    uint8_t id[4];
    read_data(&e, id, 4);
    CHECK_EQ(id[0], 3); /* traditional + DMA */
    /* reading past the end gives zeros; unknown keys read as nothing */
    CHECK_EQ(pio_read(&e.f, 0x511, 1), 0);
    select_key(&e, 0x4000);
    CHECK_EQ(pio_read(&e.f, 0x511, 1), 0);
    /* the DMA address register reads as "QEMU CFG" */
    CHECK_EQ(pio_read(&e.f, 0x514, 4), bswap(0x51454D55));
    CHECK_EQ(pio_read(&e.f, 0x518, 4), bswap(0x20434647));
    CHECK_EQ(facts_of(&e.f, HK_FACT_FWCFG_FIRST, NULL), 1);
    teardown(&e);
}

static void test_directory(void)
{
    struct env e;
    setup(&e);
    CHECK_EQ(hk_fw_cfg_add_file(&e.fc, "etc/one", "abc", 3), 0x20);
    CHECK_EQ(hk_fw_cfg_add_file(&e.fc, "etc/two", "hello", 6), 0x21);
    CHECK_EQ(hk_fw_cfg_add_file(&e.fc, "etc/one", "xy", 2), 0x20); /* replaced in place */
    char longname[70];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[69] = 0;
    CHECK_EQ(hk_fw_cfg_add_file(&e.fc, longname, "x", 1), -1);
    uint8_t dir[4 + 2 * 64];
    select_key(&e, HK_FW_CFG_FILE_DIR);
    read_data(&e, dir, sizeof(dir));
    CHECK_EQ(be32(dir), 2);
    CHECK_EQ(be32(dir + 4), 2);
    CHECK_EQ(dir[8] << 8 | dir[9], 0x20);
    CHECK_STR((char *)dir + 12, "etc/one");
    CHECK_EQ(be32(dir + 68), 6);
    CHECK_EQ(dir[72] << 8 | dir[73], 0x21);
    CHECK_STR((char *)dir + 76, "etc/two");
    char buf[6];
    select_key(&e, 0x21);
    read_data(&e, (uint8_t *)buf, 6);
    CHECK_STR(buf, "hello");
    CHECK_EQ(facts_of(&e.f, HK_FACT_FWCFG_FILE, NULL), 1);
    teardown(&e);
}

static void test_dma(void)
{
    struct env e;
    setup(&e);
    hk_fw_cfg_add_file(&e.fc, "etc/data", "0123456789", 10);
    /* select + read 4 bytes */
    descriptor(&e, 0x1000, 0x20 << 16 | HK_FW_CFG_DMA_SELECT | HK_FW_CFG_DMA_READ, 4, 0x2000);
    dma(&e, 0x1000);
    CHECK(memcmp(e.f.ram + 0x2000, "0123", 4) == 0);
    CHECK_EQ(be32(e.f.ram + 0x1000), 0); /* done, no error */
    /* skip 2, then read the rest and 4 more: zeros past the end */
    descriptor(&e, 0x1000, HK_FW_CFG_DMA_SKIP, 2, 0);
    dma(&e, 0x1000);
    memset(e.f.ram + 0x3000, 0xEE, 16);
    descriptor(&e, 0x1000, HK_FW_CFG_DMA_READ, 8, 0x3000);
    dma(&e, 0x1000);
    CHECK(memcmp(e.f.ram + 0x3000, "6789\0\0\0\0", 8) == 0);
    CHECK_EQ(e.f.ram[0x3008], 0xEE);
    /* a write to a read-only item is an error */
    descriptor(&e, 0x1000, HK_FW_CFG_DMA_WRITE, 1, 0x3000);
    dma(&e, 0x1000);
    CHECK_EQ(be32(e.f.ram + 0x1000), HK_FW_CFG_DMA_ERROR);
    teardown(&e);
}

static void test_dma_hostile(void)
{
    struct env e;
    setup(&e);
    /* descriptor outside guest memory: nothing happens, nothing crashes */
    dma(&e, 0xF0000000);
    dma(&e, 0xFFFFFFFFFFFFFFF0ull);
    dma(&e, (1 << 20) - 8); /* descriptor runs off the end of RAM */
    /* target outside, or running off the end */
    descriptor(&e, 0x1000, HK_FW_CFG_DMA_SELECT | HK_FW_CFG_DMA_READ, 4, 0xF0000000);
    dma(&e, 0x1000);
    CHECK_EQ(be32(e.f.ram + 0x1000), HK_FW_CFG_DMA_ERROR);
    descriptor(&e, 0x1000, HK_FW_CFG_DMA_SELECT | HK_FW_CFG_DMA_READ, 0xFFFFFFFF, 0x80000);
    dma(&e, 0x1000);
    CHECK_EQ(be32(e.f.ram + 0x1000), HK_FW_CFG_DMA_ERROR);
    descriptor(&e, 0x1000, HK_FW_CFG_DMA_SELECT | HK_FW_CFG_DMA_READ, 8, (1 << 20) - 4);
    dma(&e, 0x1000);
    CHECK_EQ(be32(e.f.ram + 0x1000), HK_FW_CFG_DMA_ERROR);
    CHECK(facts_of(&e.f, HK_FACT_GUEST_ERROR, NULL) >= 4);
    teardown(&e);
}

static void test_dma_high_half_resets(void)
{
    struct env e;
    setup(&e);
    descriptor(&e, 0x1000, HK_FW_CFG_DMA_SELECT | HK_FW_CFG_DMA_READ, 4, 0x2000);
    /* SeaBIOS writes only the low half: after an operation with a high half set, the high half
     * must be 0 again, or the next request would go to 4 GiB + address */
    pio_write(&e.f, 0x514, 4, bswap(1));
    pio_write(&e.f, 0x518, 4, bswap(0x1000)); /* at 0x1_0000_1000: outside memory */
    CHECK(memcmp(e.f.ram + 0x2000, "QEMU", 4) != 0);
    pio_write(&e.f, 0x518, 4, bswap(0x1000));
    CHECK(memcmp(e.f.ram + 0x2000, "QEMU", 4) == 0);
    teardown(&e);
}

TEST_MAIN(TEST(test_signature_and_id), TEST(test_directory), TEST(test_dma), TEST(test_dma_hostile),
          TEST(test_dma_high_half_resets))
