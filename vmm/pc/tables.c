#include "tables.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hako/bytes.h"
#include "acpi.h"
#include "board.h"

#define PM_DEVFN     0x0B /* 00:01.3 */
#define FSEG_BASE    0xF0000u
#define MAX_LOADED   8
#define MAX_TABLES   32
#define LOADER_FNAME 56

/* ---- fw_cfg, through the ports, as firmware reads it ---- */

static void fw_select(struct hk_pc *pc, uint16_t key)
{
    hk_bus_write(&pc->vm.pio, 0x510, 2, key);
}

static void fw_read(struct hk_pc *pc, void *buf, size_t len)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) {
        uint64_t v = 0;
        hk_bus_read(&pc->vm.pio, 0x511, 1, &v);
        p[i] = (uint8_t)v;
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A named file from fw_cfg (malloc'd, NUL-terminated for safety), or NULL. */
static uint8_t *fw_file(struct hk_pc *pc, const char *name, size_t *len)
{
    uint8_t n[4];
    fw_select(pc, HK_FW_CFG_FILE_DIR);
    fw_read(pc, n, 4);
    uint32_t count = be32(n);
    for (uint32_t i = 0; i < count && i < 4096; i++) {
        uint8_t e[64];
        fw_read(pc, e, 64);
        if (strncmp((const char *)e + 8, name, 56) != 0)
            continue;
        uint32_t size = be32(e);
        uint16_t key = (uint16_t)(e[4] << 8 | e[5]);
        uint8_t *data = malloc((size_t)size + 1);
        if (!data)
            return NULL;
        fw_select(pc, key);
        fw_read(pc, data, size);
        data[size] = 0;
        *len = size;
        return data;
    }
    return NULL;
}

/* ---- the ACPI loader script ---- */

struct loaded {
    char name[LOADER_FNAME + 1];
    uint8_t *data;
    size_t len;
    uint64_t addr;
};

struct loader_state {
    struct loaded f[MAX_LOADED];
    unsigned n;
    uint64_t fseg_next, high_next;
};

static struct loaded *find_loaded(struct loader_state *s, const uint8_t *name)
{
    for (unsigned i = 0; i < s->n; i++)
        if (strncmp(s->f[i].name, (const char *)name, LOADER_FNAME) == 0)
            return &s->f[i];
    return NULL;
}

static const uint8_t *at_addr(struct loader_state *s, uint64_t addr, size_t need)
{
    for (unsigned i = 0; i < s->n; i++)
        if (addr >= s->f[i].addr && addr - s->f[i].addr + need <= s->f[i].len)
            return s->f[i].data + (addr - s->f[i].addr);
    return NULL;
}

static uint64_t align_up(uint64_t v, uint32_t a)
{
    return a > 1 ? (v + a - 1) / a * a : v;
}

/* Runs the script as SeaBIOS and OVMF do: ALLOCATE fetches the file and gives it an address in
 * its zone, ADD_POINTER adds the source file's address to the pointer field, ADD_CHECKSUM makes a
 * byte range sum to zero. Returns 0, or -1 for a script the firmware would refuse. */
static int run_loader(struct hk_pc *pc, struct loader_state *s, const uint8_t *script, size_t len)
{
    struct hk_log *log = pc->vm.log;
    for (size_t off = 0; off + HK_LOADER_ENTRY_SIZE <= len; off += HK_LOADER_ENTRY_SIZE) {
        const uint8_t *e = script + off;
        uint32_t cmd = hk_le32(e);
        if (cmd == HK_LOADER_ALLOCATE) {
            if (s->n == MAX_LOADED) {
                hk_err(log, "dump-tables: too many files in the loader script");
                return -1;
            }
            struct loaded *f = &s->f[s->n];
            memcpy(f->name, e + 4, LOADER_FNAME);
            f->name[LOADER_FNAME] = 0;
            f->data = fw_file(pc, f->name, &f->len);
            if (!f->data) {
                hk_err(log, "dump-tables: the loader allocates %s, which fw_cfg does not have",
                       f->name);
                return -1;
            }
            uint32_t align = hk_le32(e + 60);
            uint64_t *next = e[64] == HK_LOADER_ZONE_FSEG ? &s->fseg_next : &s->high_next;
            f->addr = align_up(*next, align);
            *next = f->addr + f->len;
            s->n++;
        } else if (cmd == HK_LOADER_ADD_POINTER) {
            struct loaded *dst = find_loaded(s, e + 4), *src = find_loaded(s, e + 60);
            uint32_t at = hk_le32(e + 116);
            uint8_t size = e[120];
            if (!dst || !src || (size != 1 && size != 2 && size != 4 && size != 8) ||
                at > dst->len || size > dst->len - at) {
                hk_err(log, "dump-tables: a loader pointer entry the firmware would refuse");
                return -1;
            }
            uint64_t v = hk_get_le(dst->data + at, size) + src->addr;
            hk_put_le(dst->data + at, v, size);
        } else if (cmd == HK_LOADER_ADD_CHECKSUM) {
            struct loaded *f = find_loaded(s, e + 4);
            uint32_t res = hk_le32(e + 60), start = hk_le32(e + 64), n = hk_le32(e + 68);
            if (!f || res >= f->len || start > f->len || n > f->len - start) {
                hk_err(log, "dump-tables: a loader checksum entry the firmware would refuse");
                return -1;
            }
            f->data[res] = (uint8_t)(f->data[res] - hk_acpi_checksum(f->data + start, n));
        }
        /* 0 ends nothing (padding); WRITE_POINTER and others are not used by this board */
    }
    return 0;
}

/* ---- writing ---- */

static int write_file(struct hk_log *log, const char *dir, const char *name, const void *data,
                      size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        hk_err(log, "dump-tables: cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            hk_err(log, "dump-tables: cannot write %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    if (close(fd) < 0) {
        hk_err(log, "dump-tables: cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int make_dir(struct hk_log *log, const char *path)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
        hk_err(log, "dump-tables: cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

struct table_ref {
    char sig[5];
    uint64_t addr;
    const uint8_t *data;
    uint32_t len;
};

static void add_table(struct loader_state *s, struct table_ref *t, unsigned *n, uint64_t addr,
                      uint32_t fixed_len)
{
    if (!addr || *n == MAX_TABLES)
        return;
    for (unsigned i = 0; i < *n; i++)
        if (t[i].addr == addr)
            return;
    const uint8_t *h = at_addr(s, addr, fixed_len ? fixed_len : 36);
    if (!h)
        return;
    uint32_t len = fixed_len ? fixed_len : hk_le32(h + 4);
    if (!at_addr(s, addr, len))
        return;
    struct table_ref *r = &t[(*n)++];
    memcpy(r->sig, h, 4);
    r->sig[4] = 0;
    r->addr = addr;
    r->data = h;
    r->len = len;
}

static int dump_acpi(struct hk_pc *pc, const char *dir)
{
    struct hk_log *log = pc->vm.log;
    struct loader_state s;
    memset(&s, 0, sizeof(s));
    s.fseg_next = FSEG_BASE;
    s.high_next = (pc->below_4g > (4u << 20) ? pc->below_4g : (4u << 20)) - (2u << 20);
    size_t script_len = 0;
    uint8_t *script = fw_file(pc, "etc/table-loader", &script_len);
    int r = -1;
    if (!script) {
        hk_err(log, "dump-tables: fw_cfg has no etc/table-loader");
        return -1;
    }
    if (run_loader(pc, &s, script, script_len) < 0)
        goto out;
    const uint8_t *rsdp = NULL;
    for (unsigned i = 0; i < s.n; i++)
        if (s.f[i].len >= 20 && memcmp(s.f[i].data, "RSD PTR ", 8) == 0)
            rsdp = s.f[i].data;
    if (!rsdp) {
        hk_err(log, "dump-tables: the loader script places no RSDP");
        goto out;
    }
    char sub[4096];
    snprintf(sub, sizeof(sub), "%s/acpi", dir);
    if (make_dir(log, sub) < 0)
        goto out;
    size_t rsdp_len = rsdp[15] >= 2 ? hk_le32(rsdp + 20) : 20;
    if (write_file(log, sub, "RSDP", rsdp, rsdp_len) < 0)
        goto out;
    struct table_ref t[MAX_TABLES];
    unsigned n = 0;
    add_table(&s, t, &n, hk_le32(rsdp + 16), 0);
    if (rsdp[15] >= 2)
        add_table(&s, t, &n, hk_le64(rsdp + 24), 0);
    for (unsigned i = 0; i < n; i++) {
        if (!strcmp(t[i].sig, "RSDT") || !strcmp(t[i].sig, "XSDT")) {
            unsigned w = t[i].sig[0] == 'X' ? 8 : 4;
            for (uint32_t o = 36; o + w <= t[i].len; o += w)
                add_table(&s, t, &n, hk_get_le(t[i].data + o, w), 0);
        } else if (!strcmp(t[i].sig, "FACP") && t[i].len >= 44) {
            uint64_t facs = hk_le32(t[i].data + 36), dsdt = hk_le32(t[i].data + 40);
            if (t[i].len >= 140 && hk_le64(t[i].data + 132))
                facs = hk_le64(t[i].data + 132);
            if (t[i].len >= 148 && hk_le64(t[i].data + 140))
                dsdt = hk_le64(t[i].data + 140);
            if (facs) {
                const uint8_t *f = at_addr(&s, facs, 8);
                add_table(&s, t, &n, facs, f ? hk_le32(f + 4) : 0);
            }
            add_table(&s, t, &n, dsdt, 0);
        }
    }
    /* names as Linux gives them: a signature alone, numbered from 1 when it repeats */
    for (unsigned i = 0; i < n; i++) {
        unsigned same = 0, nth = 0;
        for (unsigned j = 0; j < n; j++)
            if (!strcmp(t[i].sig, t[j].sig)) {
                same++;
                if (j <= i)
                    nth++;
            }
        char name[16];
        if (same > 1)
            snprintf(name, sizeof(name), "%.4s%u", t[i].sig, nth);
        else
            snprintf(name, sizeof(name), "%.4s", t[i].sig);
        if (write_file(log, sub, name, t[i].data, t[i].len) < 0)
            goto out;
    }
    r = 0;
out:
    free(script);
    for (unsigned i = 0; i < s.n; i++)
        free(s.f[i].data);
    return r;
}

static int dump_smbios(struct hk_pc *pc, const char *dir)
{
    struct hk_log *log = pc->vm.log;
    size_t alen = 0, tlen = 0;
    uint8_t *anchor = fw_file(pc, "etc/smbios/smbios-anchor", &alen);
    uint8_t *tables = fw_file(pc, "etc/smbios/smbios-tables", &tlen);
    int r = -1;
    if (!anchor || !tables || alen != 31 || memcmp(anchor, "_SM_", 4) != 0 || tlen > 0xFFFF) {
        hk_err(log, "dump-tables: fw_cfg has no SMBIOS 2.x entry point and tables");
        goto out;
    }
    /* the entry point as firmware fixes it up, with the table right after it (at 0x20, the
     * layout of dmidecode --dump-bin) */
    hk_put_le16(anchor + 0x16, (uint16_t)tlen);
    hk_put_le32(anchor + 0x18, 0x20);
    anchor[0x15] = 0;
    anchor[0x15] = (uint8_t)-hk_acpi_checksum(anchor + 0x10, 0x0F);
    anchor[4] = 0;
    anchor[4] = (uint8_t)-hk_acpi_checksum(anchor, anchor[5] ? anchor[5] : 0x1F);
    char sub[4096];
    snprintf(sub, sizeof(sub), "%s/dmi", dir);
    if (make_dir(log, sub) < 0 || write_file(log, sub, "smbios_entry_point", anchor, alen) < 0 ||
        write_file(log, sub, "DMI", tables, tlen) < 0)
        goto out;
    uint8_t *bin = calloc(1, 0x20 + tlen);
    if (!bin)
        goto out;
    memcpy(bin, anchor, alen);
    memcpy(bin + 0x20, tables, tlen);
    r = write_file(log, dir, "smbios.bin", bin, 0x20 + tlen);
    free(bin);
out:
    free(anchor);
    free(tables);
    return r;
}

int hk_pc_dump_tables(struct hk_pc *pc, const char *dir)
{
    struct hk_log *log = pc->vm.log;
    if (make_dir(log, dir) < 0)
        return -1;
    /* the PM base as the firmware programs it before it reads the tables: SeaBIOS 0x600, OVMF
     * 0xB000 (PMBA, then PMREGMISC's I/O enable) */
    uint16_t base = pc->fw.kind == HK_FW_UEFI ? 0xB000 : HK_PM_DEFAULT_BASE;
    hk_pci_cfg_write(&pc->pci, PM_DEVFN, 0x40, 4, base | 1u);
    hk_pci_cfg_write(&pc->pci, PM_DEVFN, 0x80, 1, 1);
    if (dump_acpi(pc, dir) < 0 || dump_smbios(pc, dir) < 0)
        return -1;
    return 0;
}
