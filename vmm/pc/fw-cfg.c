#include "fw-cfg.h"

#include <stdlib.h>
#include <string.h>

#include "../core/vm.h"

#define NITEMS (HK_FW_CFG_FILE_FIRST + HK_FW_CFG_MAX_FILES)

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int set_locked(struct hk_fw_cfg *fc, uint16_t key, const void *data, uint32_t len)
{
    if (key >= NITEMS)
        return -1;
    uint8_t *copy = NULL;
    if (len) {
        copy = malloc(len);
        if (!copy)
            return -1;
        memcpy(copy, data, len);
    }
    free(fc->items[key].data);
    fc->items[key].data = copy;
    fc->items[key].len = len;
    return 0;
}

static void rebuild_dir(struct hk_fw_cfg *fc)
{
    uint32_t len = 4 + 64 * fc->nfiles;
    uint8_t *dir = calloc(1, len);
    if (!dir)
        return;
    put_be32(dir, fc->nfiles);
    for (unsigned i = 0; i < fc->nfiles; i++) {
        struct hk_fw_cfg_item *it = &fc->items[HK_FW_CFG_FILE_FIRST + i];
        uint8_t *e = dir + 4 + 64 * i;
        put_be32(e, it->len);
        e[4] = (uint8_t)((HK_FW_CFG_FILE_FIRST + i) >> 8);
        e[5] = (uint8_t)(HK_FW_CFG_FILE_FIRST + i);
        memcpy(e + 8, it->name, sizeof(it->name));
    }
    free(fc->items[HK_FW_CFG_FILE_DIR].data);
    fc->items[HK_FW_CFG_FILE_DIR].data = dir;
    fc->items[HK_FW_CFG_FILE_DIR].len = len;
}

void hk_fw_cfg_init(struct hk_fw_cfg *fc, struct hk_vm *vm)
{
    memset(fc, 0, sizeof(*fc));
    fc->vm = vm;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&fc->lock, &a);
    pthread_mutexattr_destroy(&a);
    set_locked(fc, HK_FW_CFG_SIGNATURE, "QEMU", 4);
    hk_fw_cfg_set_u32(fc, HK_FW_CFG_ID, 0x3); /* traditional interface + DMA */
    rebuild_dir(fc);
}

void hk_fw_cfg_destroy(struct hk_fw_cfg *fc)
{
    for (unsigned i = 0; i < NITEMS; i++)
        free(fc->items[i].data);
    pthread_mutex_destroy(&fc->lock);
}

void hk_fw_cfg_reset(struct hk_fw_cfg *fc)
{
    pthread_mutex_lock(&fc->lock);
    fc->cur = 0;
    fc->offset = 0;
    fc->dma_high = 0;
    fc->accessed = false;
    for (unsigned i = 0; i < NITEMS; i++)
        fc->items[i].read_seen = false;
    pthread_mutex_unlock(&fc->lock);
}

int hk_fw_cfg_set(struct hk_fw_cfg *fc, uint16_t key, const void *data, uint32_t len)
{
    pthread_mutex_lock(&fc->lock);
    int r = key < HK_FW_CFG_FILE_FIRST ? set_locked(fc, key, data, len) : -1;
    pthread_mutex_unlock(&fc->lock);
    return r;
}

int hk_fw_cfg_set_u16(struct hk_fw_cfg *fc, uint16_t key, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return hk_fw_cfg_set(fc, key, b, 2);
}

int hk_fw_cfg_set_u32(struct hk_fw_cfg *fc, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return hk_fw_cfg_set(fc, key, b, 4);
}

int hk_fw_cfg_set_u64(struct hk_fw_cfg *fc, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return hk_fw_cfg_set(fc, key, b, 8);
}

static int find_locked(struct hk_fw_cfg *fc, const char *name)
{
    for (unsigned i = 0; i < fc->nfiles; i++)
        if (strncmp(fc->items[HK_FW_CFG_FILE_FIRST + i].name, name, 55) == 0)
            return (int)(HK_FW_CFG_FILE_FIRST + i);
    return -1;
}

int hk_fw_cfg_find(struct hk_fw_cfg *fc, const char *name)
{
    pthread_mutex_lock(&fc->lock);
    int k = find_locked(fc, name);
    pthread_mutex_unlock(&fc->lock);
    return k;
}

int hk_fw_cfg_add_file(struct hk_fw_cfg *fc, const char *name, const void *data, uint32_t len)
{
    if (strlen(name) >= 56)
        return -1;
    pthread_mutex_lock(&fc->lock);
    int key = find_locked(fc, name);
    if (key < 0) {
        if (fc->nfiles == HK_FW_CFG_MAX_FILES) {
            pthread_mutex_unlock(&fc->lock);
            return -1;
        }
        key = (int)(HK_FW_CFG_FILE_FIRST + fc->nfiles++);
        snprintf(fc->items[key].name, sizeof(fc->items[key].name), "%s", name);
    }
    if (set_locked(fc, (uint16_t)key, data, len) < 0)
        key = -1;
    rebuild_dir(fc);
    pthread_mutex_unlock(&fc->lock);
    return key;
}

int hk_fw_cfg_update_file_locked(struct hk_fw_cfg *fc, const char *name, const void *data,
                                 uint32_t len)
{
    int key = find_locked(fc, name);
    if (key < 0 || set_locked(fc, (uint16_t)key, data, len) < 0)
        return -1;
    rebuild_dir(fc);
    return key;
}

void hk_fw_cfg_on_select(struct hk_fw_cfg *fc, const char *name, hk_fw_cfg_select_fn fn,
                         void *opaque)
{
    pthread_mutex_lock(&fc->lock);
    int key = find_locked(fc, name);
    if (key >= 0) {
        fc->items[key].on_select = fn;
        fc->items[key].opaque = opaque;
    }
    pthread_mutex_unlock(&fc->lock);
}

static void note_access(struct hk_fw_cfg *fc)
{
    if (!fc->accessed) {
        fc->accessed = true;
        hk_fact(&fc->vm->facts, HK_FACT_FWCFG_FIRST, 0, 0, 0,
                "firmware found the fw_cfg interface");
    }
}

static void select_key(struct hk_fw_cfg *fc, uint16_t key)
{
    fc->cur = key;
    fc->offset = 0;
    if (key < NITEMS) {
        struct hk_fw_cfg_item *it = &fc->items[key];
        if (it->on_select)
            it->on_select(it->opaque, fc, key);
        if (key >= HK_FW_CFG_FILE_FIRST && !it->read_seen) {
            it->read_seen = true;
            hk_fact(&fc->vm->facts, HK_FACT_FWCFG_FILE, key, 0, 0, "%s", it->name);
        }
    }
}

static const struct hk_fw_cfg_item *cur_item(struct hk_fw_cfg *fc)
{
    return fc->cur < NITEMS ? &fc->items[fc->cur] : NULL;
}

/* Runs one DMA request whose descriptor is at guest address addr. Lock held. */
static void do_dma(struct hk_fw_cfg *fc, uint64_t addr)
{
    struct hk_mem *mem = &fc->vm->mem;
    uint8_t desc[16];
    fc->dma_ops++;
    if (hk_mem_read(mem, addr, desc, sizeof(desc)) < 0) {
        hk_fact(&fc->vm->facts, HK_FACT_GUEST_ERROR, (int64_t)addr, 0, 0,
                "fw_cfg DMA descriptor at 0x%llx is outside guest memory",
                (unsigned long long)addr);
        return;
    }
    uint32_t control = get_be32(desc), length = get_be32(desc + 4);
    uint64_t target = (uint64_t)get_be32(desc + 8) << 32 | get_be32(desc + 12);
    uint32_t status = 0;

    if (control & HK_FW_CFG_DMA_SELECT)
        select_key(fc, (uint16_t)(control >> 16));
    const struct hk_fw_cfg_item *it = cur_item(fc);
    uint32_t have = it && fc->offset < it->len ? it->len - fc->offset : 0;

    if (control & HK_FW_CFG_DMA_READ) {
        uint32_t n = length < have ? length : have;
        if (n && hk_mem_write(mem, target, it->data + fc->offset, n) < 0)
            status = HK_FW_CFG_DMA_ERROR;
        /* past the end of the item the guest gets zeros */
        static const uint8_t zeros[4096];
        uint64_t pos = target + n;
        uint32_t rest = length - n;
        while (!status && rest) {
            uint32_t chunk = rest < sizeof(zeros) ? rest : (uint32_t)sizeof(zeros);
            if (hk_mem_write(mem, pos, zeros, chunk) < 0)
                status = HK_FW_CFG_DMA_ERROR;
            pos += chunk;
            rest -= chunk;
        }
        if (!status)
            fc->offset += n;
    } else if (control & HK_FW_CFG_DMA_WRITE) {
        /* no writable items */
        status = HK_FW_CFG_DMA_ERROR;
    } else if (control & HK_FW_CFG_DMA_SKIP) {
        fc->offset += length < have ? length : have;
    }
    if (status)
        hk_fact(&fc->vm->facts, HK_FACT_GUEST_ERROR, (int64_t)target, length, 0,
                "fw_cfg DMA to 0x%llx (%u bytes) is outside guest memory",
                (unsigned long long)target, length);
    uint8_t out[4];
    put_be32(out, status);
    hk_mem_write(mem, addr, out, 4);
}

uint64_t hk_fw_cfg_port_read(struct hk_fw_cfg *fc, unsigned off, unsigned size)
{
    static const char sig[8] = {'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G'};
    uint64_t v = 0;
    pthread_mutex_lock(&fc->lock);
    note_access(fc);
    if (off == 1) {
        /* data port: bytes in order, little-endian when read wider */
        const struct hk_fw_cfg_item *it = cur_item(fc);
        for (unsigned i = 0; i < size; i++) {
            uint8_t b = 0;
            if (it && fc->offset < it->len)
                b = it->data[fc->offset++];
            v |= (uint64_t)b << (8 * i);
        }
    } else if (off == 0) {
        v = fc->cur;
    } else if (off >= 4 && off + size <= 12) {
        /* the DMA address register reads as the signature "QEMU CFG" (big-endian) */
        for (unsigned i = 0; i < size; i++)
            v |= (uint64_t)(uint8_t)sig[off - 4 + i] << (8 * i);
    } else {
        v = hk_ones(size);
    }
    pthread_mutex_unlock(&fc->lock);
    return v;
}

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
}

void hk_fw_cfg_port_write(struct hk_fw_cfg *fc, unsigned off, uint64_t val, unsigned size)
{
    pthread_mutex_lock(&fc->lock);
    note_access(fc);
    if (off == 0 && size == 2) {
        select_key(fc, (uint16_t)val);
    } else if (off == 4 && size == 4) {
        fc->dma_high = bswap32((uint32_t)val);
    } else if (off == 8 && size == 4) {
        uint64_t addr = (uint64_t)fc->dma_high << 32 | bswap32((uint32_t)val);
        fc->dma_high = 0;
        do_dma(fc, addr);
    }
    /* writes to the data port are ignored (read-only since QEMU 2.4) */
    pthread_mutex_unlock(&fc->lock);
}

static uint64_t ops_read(void *opaque, uint64_t off, unsigned size)
{
    return hk_fw_cfg_port_read(opaque, (unsigned)off, size);
}

static void ops_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    hk_fw_cfg_port_write(opaque, (unsigned)off, val, size);
}

static const struct hk_io_ops fw_cfg_ops = {ops_read, ops_write};

int hk_fw_cfg_attach(struct hk_fw_cfg *fc)
{
    return hk_bus_add(&fc->vm->pio, 0x510, 12, &fw_cfg_ops, fc, "fw_cfg");
}
