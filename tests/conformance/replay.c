/*
 * Replays a QEMU device-access trace against Hako's device models and compares every read.
 *
 *   hako-replay [BOARD OPTIONS] [--vars-final FILE] [--facts-json FILE] TRACE[.gz]
 *
 * The board is built by hk_pc_init_nokvm, i.e. exactly as hako-vmm builds it, on a VM without
 * KVM (no vCPU runs). The trace is the text QEMU 7.2 prints with
 * `-trace 'memory_region_ops_*' -trace 'pci_cfg_*'` (README.md has the whole command line): each
 * guest access to a device region with its absolute address, value and size. Every write is
 * applied to Hako's bus at the same address (PCI configuration writes through 0xCF8/0xCFC, so BARs
 * land where the firmware put them in QEMU); every read is done on Hako's bus too and compared
 * with what QEMU answered. A difference is explained when an entry of the known-differences table
 * (known.c) covers it; everything else is an unexplained mismatch, reported with its first
 * occurrence and the ten accesses before it. Exit status: 0 when nothing is unexplained, 1 when
 * something is, 2 on a usage or board error.
 *
 * Not in the trace, so not replayed: DMA (fw_cfg DMA transfers, virtqueue contents), RAM and ROM
 * reads, the interrupt controllers and the PIT (KVM's in Hako).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "known.h"
#include "host/config.h"
#include "pc/board.h"
#include "pc/flash.h"

#define CONTEXT_LINES 10
#define MAX_GROUPS    64

struct ctx_line {
    unsigned long lineno;
    char text[240];
};

struct group { /* one kind of unexplained mismatch: device + register + size */
    char dev[DEV_LABEL_MAX];
    uint64_t reg;
    unsigned size;
    uint64_t count;
    unsigned long lineno;
    char line[240];
    uint64_t qemu, hako;
    struct ctx_line before[CONTEXT_LINES];
    unsigned nbefore;
};

struct replay {
    struct hk_pc pc;
    struct hk_log log;
    struct dev_stat devs[300]; /* every PCI function of bus 0 and the ISA devices fit */
    unsigned ndevs;
    uint64_t known_hits[256];
    struct ctx_line ring[CONTEXT_LINES];
    unsigned ring_n, ring_pos;
    struct group groups[MAX_GROUPS];
    unsigned ngroups;
    uint64_t lines, parsed, ignored_cpu, kvm_skipped, unparsed, writes, keys;
    int verbose;
};

static struct dev_stat *dev_stat(struct replay *r, const char *name)
{
    for (unsigned i = 0; i < r->ndevs; i++)
        if (strcmp(r->devs[i].name, name) == 0)
            return &r->devs[i];
    if (r->ndevs >= sizeof(r->devs) / sizeof(r->devs[0]) - 1) /* the last one: the rest */
        name = "(other)";
    for (unsigned i = 0; i < r->ndevs; i++)
        if (strcmp(r->devs[i].name, name) == 0)
            return &r->devs[i];
    struct dev_stat *d = &r->devs[r->ndevs++];
    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "%s", name);
    return d;
}

/* ---- QEMU region names -> how the access reaches Hako ---- */

enum space { SP_PIO, SP_MMIO, SP_FLASH, SP_KVM };

struct region {
    const char *qemu; /* region name; a trailing '*' matches a prefix */
    enum space space;
    const char *dev; /* report label; NULL: PCI configuration, labelled by slot */
    bool big_endian; /* QEMU declares the region big-endian: its trace shows values swapped */
};

static const struct region regions[] = {
    {"pci-conf-idx", SP_PIO, "pci-host"},
    {"pci-conf-data", SP_PIO, NULL},
    {"piix-reset-control", SP_PIO, "pci-host"},
    {"rtc-index", SP_PIO, "rtc"},
    {"rtc", SP_PIO, "rtc"},
    {"serial", SP_PIO, "com1"},
    {"isa-debugcon", SP_PIO, "debugcon"},
    {"i8042-cmd", SP_PIO, "i8042"},
    {"i8042-data", SP_PIO, "i8042"},
    {"fwcfg", SP_PIO, "fw_cfg"},
    {"fwcfg.dma", SP_PIO, "fw_cfg", true},
    {"acpi-evt", SP_PIO, "piix4-pm"},
    {"acpi-cnt", SP_PIO, "piix4-pm"},
    {"acpi-tmr", SP_PIO, "piix4-pm"},
    {"acpi-gpe0", SP_PIO, "piix4-pm"},
    {"apm-io", SP_PIO, "apm"},
    {"port92", SP_PIO, "piix3"},
    {"bochs dispi interface", SP_MMIO, "bochs-display"},
    {"edid", SP_MMIO, "bochs-display"},
    {"qemu extended regs", SP_MMIO, "bochs-display"},
    {"bochs-display-mmio", SP_MMIO, "bochs-display"},
    {"virtio-pci-*virtio-scsi", SP_MMIO, "virtio-scsi"},
    {"virtio-pci-*virtio-blk", SP_MMIO, "virtio-blk"},
    {"virtio-pci-*virtio-net", SP_MMIO, "virtio-net"},
    {"msix-table", SP_MMIO, "virtio msix"},
    {"msix-pba", SP_MMIO, "virtio msix"},
    {"system.flash1", SP_FLASH, "flash (VARS)"},
    {"system.flash0", SP_FLASH, "flash (CODE)"},
    /* in Hako these are KVM's in-kernel devices, not device models of its own */
    {"pic", SP_KVM, NULL},
    {"elcr", SP_KVM, NULL},
    {"pit", SP_KVM, NULL},
    {"pcspk", SP_KVM, NULL},
    {"apic-msi", SP_KVM, NULL},
    {"kvm-apic-msi", SP_KVM, NULL},
    {"apic", SP_KVM, NULL},
    {"ioapic", SP_KVM, NULL},
    {"vmport", SP_KVM, NULL}, /* register-passing port: values travel in the vCPU registers */
};

static uint64_t swap(uint64_t v, unsigned size)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < size; i++)
        r |= ((v >> (8 * i)) & 0xFF) << (8 * (size - 1 - i));
    return r;
}

static bool name_match(const char *pat, const char *name)
{
    const char *star = strchr(pat, '*');
    if (!star)
        return strcmp(pat, name) == 0;
    size_t pre = (size_t)(star - pat);
    const char *suf = star + 1;
    size_t nl = strlen(name), sl = strlen(suf);
    return strncmp(pat, name, pre) == 0 && nl >= pre + sl && strcmp(name + nl - sl, suf) == 0;
}

static const struct region *find_region(const char *name)
{
    for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
        if (name_match(regions[i].qemu, name))
            return &regions[i];
    return NULL;
}

/* ---- trace lines ---- */

/* memory_region_ops_read cpu 0 mr 0x55734ee7d670 addr 0x71 value 0x0 size 1 name 'rtc' */
static bool parse_access(const char *line, struct access *a)
{
    int rw;
    if (strncmp(line, "memory_region_ops_read ", 23) == 0)
        rw = 0;
    else if (strncmp(line, "memory_region_ops_write ", 24) == 0)
        rw = 1;
    else
        return false;
    const char *p = strstr(line, " cpu ");
    const char *pa = strstr(line, " addr 0x");
    const char *pv = strstr(line, " value 0x");
    const char *ps = strstr(line, " size ");
    const char *pn = strstr(line, " name '");
    if (!p || !pa || !pv || !ps || !pn)
        return false;
    memset(a, 0, sizeof(*a));
    a->write = rw;
    a->cpu = (int)strtol(p + 5, NULL, 10);
    a->addr = strtoull(pa + 6, NULL, 16);
    a->value = strtoull(pv + 7, NULL, 16);
    a->size = (unsigned)strtoul(ps + 6, NULL, 10);
    const char *n = pn + 7, *end = strrchr(n, '\'');
    if (!end || end < n)
        return false;
    size_t len = (size_t)(end - n);
    if (len >= sizeof(a->region))
        len = sizeof(a->region) - 1;
    memcpy(a->region, n, len);
    a->region[len] = 0;
    if (a->size != 1 && a->size != 2 && a->size != 4 && a->size != 8)
        return false;
    a->value &= hk_ones(a->size);
    return true;
}

/* QEMU run with -msg timestamp=on prefixes each trace line with "PID@SECONDS.MICROS:" */
static void strip_timestamp(char *line)
{
    const char *p = line;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == line || *p++ != '@')
        return;
    while ((*p >= '0' && *p <= '9') || *p == '.')
        p++;
    if (*p != ':')
        return;
    memmove(line, p + 1, strlen(p + 1) + 1);
}

static void remember(struct replay *r, unsigned long lineno, const char *line)
{
    struct ctx_line *c = &r->ring[r->ring_pos];
    c->lineno = lineno;
    snprintf(c->text, sizeof(c->text), "%s", line);
    r->ring_pos = (r->ring_pos + 1) % CONTEXT_LINES;
    if (r->ring_n < CONTEXT_LINES)
        r->ring_n++;
}

static void unexplained(struct replay *r, const char *dev, const struct access *a, uint64_t reg,
                        uint64_t hako, unsigned long lineno, const char *line)
{
    for (unsigned i = 0; i < r->ngroups; i++) {
        struct group *g = &r->groups[i];
        if (g->reg == reg && g->size == a->size && strcmp(g->dev, dev) == 0) {
            g->count++;
            return;
        }
    }
    if (r->ngroups == MAX_GROUPS)
        return;
    struct group *g = &r->groups[r->ngroups++];
    memset(g, 0, sizeof(*g));
    snprintf(g->dev, sizeof(g->dev), "%s", dev);
    g->reg = reg;
    g->size = a->size;
    g->count = 1;
    g->lineno = lineno;
    snprintf(g->line, sizeof(g->line), "%s", line);
    g->qemu = a->value;
    g->hako = hako;
    unsigned start = (r->ring_pos + CONTEXT_LINES - r->ring_n) % CONTEXT_LINES;
    for (unsigned i = 0; i < r->ring_n; i++)
        g->before[g->nbefore++] = r->ring[(start + i) % CONTEXT_LINES];
}

/* The PCI function CONFIG_ADDRESS selects, and its report label. */
static const char *slot_label(struct replay *r, char *buf, size_t len, uint8_t *devfn_out)
{
    uint32_t ca = r->pc.pci.addr;
    uint8_t bus = (uint8_t)(ca >> 16), devfn = (uint8_t)(ca >> 8);
    *devfn_out = devfn;
    struct hk_pci_dev *d = bus == 0 ? r->pc.pci.dev[devfn] : NULL;
    if (!d && !(bus == 0 && devfn == 0x09)) /* 00:01.1 is QEMU's IDE: reported on its own */
        snprintf(buf, len, "pci: functions nobody has (probes)");
    else
        snprintf(buf, len, "pci %02x:%02x.%x %s", bus, devfn >> 3, devfn & 7,
                 d ? d->name : "(none)");
    return buf;
}

static void do_access(struct replay *r, struct access *a, unsigned long lineno, const char *line)
{
    const struct region *reg = find_region(a->region);
    char label[DEV_LABEL_MAX];
    const char *dev;
    uint64_t regoff = a->addr;
    enum space sp;
    if (reg) {
        sp = reg->space;
        dev = reg->dev;
    } else {
        /* a region Hako has no model for: the access still goes to Hako's bus, where nothing
         * claims it */
        sp = a->addr < 0x10000 ? SP_PIO : SP_MMIO;
        snprintf(label, sizeof(label), "qemu '%s'", a->region);
        dev = label;
    }
    if (sp == SP_KVM) {
        r->kvm_skipped++;
        return;
    }
    if (reg && reg->big_endian) /* back to what the CPU wrote or read */
        a->value = swap(a->value, a->size);
    struct hk_vm *vm = &r->pc.vm;
    struct hk_bus *bus = sp == SP_PIO ? &vm->pio : &vm->mmio;
    a->space_pio = sp == SP_PIO;
    if (!dev) { /* PCI configuration data: label by the selected function */
        uint8_t devfn;
        dev = slot_label(r, label, sizeof(label), &devfn);
        regoff = (r->pc.pci.addr & 0xFC) | (a->addr & 3);
        a->pci_cfg = true;
        a->devfn = devfn;
    } else if (sp == SP_MMIO) {
        struct hk_bus_region br;
        if (hk_bus_find(bus, a->addr, &br))
            regoff = a->addr - br.base;
    } else if (sp == SP_FLASH) {
        struct hk_flash *f = r->pc.fw.vars;
        if (!f || a->addr < f->base || a->addr + a->size > f->base + f->size) {
            /* writes to the read-only CODE: nothing in Hako takes them (a memslot) */
            regoff = a->addr;
            sp = SP_MMIO;
            bus = &vm->mmio;
        } else {
            regoff = a->addr - f->base;
        }
    }
    a->reg = regoff;
    struct dev_stat *ds = dev_stat(r, dev);
    uint64_t hako = 0;
    if (a->write) {
        ds->writes++;
        r->writes++;
        if (sp == SP_FLASH)
            hk_flash_write(r->pc.fw.vars, regoff, a->value, a->size);
        else
            hk_bus_write(bus, a->addr, a->size, a->value);
        remember(r, lineno, line);
        return;
    }
    if (sp == SP_FLASH)
        hako = hk_flash_read(r->pc.fw.vars, regoff, a->size);
    else
        hk_bus_read(bus, a->addr, a->size, &hako);
    hako &= hk_ones(a->size);
    ds->reads++;
    if (hako == a->value) {
        ds->match++;
    } else {
        int k = hk_known_difference(&r->pc, dev, a, hako);
        if (k >= 0) {
            ds->explained++;
            r->known_hits[k]++;
        } else {
            ds->unexplained++;
            unexplained(r, dev, a, regoff, hako, lineno, line);
            if (r->verbose)
                fprintf(stderr, "line %lu: %s: Hako 0x%llx\n", lineno, line,
                        (unsigned long long)hako);
        }
    }
    remember(r, lineno, line);
}

/* ---- the report ---- */

static void report(struct replay *r, FILE *out)
{
    fprintf(out,
            "trace: %llu lines, %llu device accesses, %llu writes applied, %llu key events "
            "typed, %llu accesses to KVM's in-kernel devices not compared, %llu by the devices "
            "themselves (cpu -1), %llu lines not understood\n",
            (unsigned long long)r->lines, (unsigned long long)r->parsed,
            (unsigned long long)r->writes, (unsigned long long)r->keys,
            (unsigned long long)r->kvm_skipped, (unsigned long long)r->ignored_cpu,
            (unsigned long long)r->unparsed);
    fprintf(out, "\n%-44s %10s %10s %10s %12s %8s\n", "device", "reads", "match", "explained",
            "unexplained", "writes");
    struct dev_stat tot = {.name = "total"};
    for (unsigned i = 0; i < r->ndevs; i++) {
        const struct dev_stat *d = &r->devs[i];
        fprintf(out, "%-44s %10llu %10llu %10llu %12llu %8llu\n", d->name,
                (unsigned long long)d->reads, (unsigned long long)d->match,
                (unsigned long long)d->explained, (unsigned long long)d->unexplained,
                (unsigned long long)d->writes);
        tot.reads += d->reads;
        tot.match += d->match;
        tot.explained += d->explained;
        tot.unexplained += d->unexplained;
        tot.writes += d->writes;
    }
    fprintf(out, "%-44s %10llu %10llu %10llu %12llu %8llu\n", tot.name,
            (unsigned long long)tot.reads, (unsigned long long)tot.match,
            (unsigned long long)tot.explained, (unsigned long long)tot.unexplained,
            (unsigned long long)tot.writes);

    fprintf(out, "\nknown differences that applied:\n");
    unsigned nk = hk_known_count();
    bool any = false;
    for (unsigned k = 0; k < nk; k++) {
        if (!r->known_hits[k])
            continue;
        any = true;
        const struct known_diff *kd = hk_known_entry(k);
        fprintf(out, "  %8llu  %s %s: %s\n", (unsigned long long)r->known_hits[k], kd->dev,
                kd->what, kd->reason);
    }
    if (!any)
        fprintf(out, "  (none)\n");

    if (r->ngroups) {
        fprintf(out, "\nUNEXPLAINED MISMATCHES (%u kinds):\n", r->ngroups);
        for (unsigned i = 0; i < r->ngroups; i++) {
            const struct group *g = &r->groups[i];
            fprintf(out,
                    "\n%s register 0x%llx size %u: %llu times; first at trace line %lu: QEMU "
                    "read 0x%llx, Hako 0x%llx\n",
                    g->dev, (unsigned long long)g->reg, g->size, (unsigned long long)g->count,
                    g->lineno, (unsigned long long)g->qemu, (unsigned long long)g->hako);
            for (unsigned j = 0; j < g->nbefore; j++)
                fprintf(out, "    %8lu  %s\n", g->before[j].lineno, g->before[j].text);
            fprintf(out, " -> %8lu  %s\n", g->lineno, g->line);
        }
    }
}

/* The variable store Hako's flash holds at the end against what QEMU's flash wrote to its file. */
static int compare_vars(struct replay *r, const char *path, FILE *out)
{
    struct hk_flash *f = r->pc.fw.vars;
    FILE *fp = fopen(path, "rb");
    if (!fp || !f) {
        fprintf(out, "variable store: cannot compare (%s)\n", !f ? "no flash" : strerror(errno));
        if (fp)
            fclose(fp);
        return -1;
    }
    uint8_t *q = malloc(f->size + 1);
    size_t n = q ? fread(q, 1, f->size + 1, fp) : 0;
    fclose(fp);
    if (n != f->size) {
        fprintf(out, "variable store: QEMU's file has %zu bytes, Hako's flash %zu\n", n, f->size);
        free(q);
        return -1;
    }
    size_t diff = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (q[i] != f->array[i] && diff++ == 0)
            first = i;
    if (diff)
        fprintf(out,
                "variable store: %zu of %zu bytes differ from QEMU's, the first at 0x%zx "
                "(QEMU 0x%02x, Hako 0x%02x)\n",
                diff, n, first, q[first], f->array[first]);
    else
        fprintf(out, "variable store: all %zu bytes equal QEMU's (%llu programs, %llu erases)\n", n,
                (unsigned long long)f->programs, (unsigned long long)f->erases);
    free(q);
    return diff ? -1 : 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: hako-replay [OPTION]... TRACE[.gz] [-- HAKO-VMM-OPTION...]\n"
            "Replays a QEMU device-access trace against Hako's device models, on the board\n"
            "hako-vmm builds from the same options (--firmware, --memory, --disk, --cdrom, ...).\n"
            "\n"
            "  --vars-final FILE   compare Hako's variable store at the end with FILE\n"
            "  --facts-json FILE   write Hako's facts timeline (as --diagnose=json)\n"
            "  --verbose           print every unexplained mismatch as it happens\n");
}

int main(int argc, char **argv)
{
    static struct replay r;
    static struct hk_config cfg;
    const char *vars_final = NULL, *facts_json = NULL;
    static const struct option opts[] = {
        {"vars-final", required_argument, NULL, 'v'},
        {"facts-json", required_argument, NULL, 'j'},
        {"verbose", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* hako-vmm's options follow "--" */
    int vmm_argc = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            vmm_argc = argc - i;
            argc = i;
            break;
        }
    char **vmm_argv = argv + argc; /* vmm_argv[0] is the "--": hk_config_parse skips argv[0] */
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'v': vars_final = optarg; break;
        case 'j': facts_json = optarg; break;
        case 'V': r.verbose = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    hk_log_init(&r.log, stderr, getenv("HK_REPLAY_LOG") ? HK_LOG_DEBUG : HK_LOG_WARN);
    hk_config_init(&cfg);
    char *none[] = {"hako-vmm", NULL};
    if (vmm_argc == 0)
        vmm_argv = none, vmm_argc = 1;
    hk_config_parse(&cfg, vmm_argc, vmm_argv);
    if (!cfg.nerrors)
        hk_config_check(&cfg, &r.log);
    if (!cfg.nerrors)
        hk_config_open(&cfg, &r.log);
    if (cfg.nerrors) {
        for (unsigned i = 0; i < cfg.nissues; i++)
            fprintf(stderr, "hako-replay: %s\n", cfg.issues[i].message);
        hk_config_free(&cfg);
        return 2;
    }
    /* The network card (--net user) gets a socket nothing answers on instead of passt: its link
     * is up, as the link of QEMU's user-mode network is, no program starts, and no frame reaches
     * the card (frames are DMA, not in the trace). The card owns one end; ours closes last. */
    int net_peer = -1;
    if (cfg.pc.net.enabled) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
            fprintf(stderr, "hako-replay: socketpair: %s\n", strerror(errno));
            hk_config_free(&cfg);
            return 2;
        }
        /* the ends are alike; the card's must not be 0 (that says "start passt") */
        cfg.pc.net.backend_fd = sv[0] > 0 ? sv[0] : sv[1];
        net_peer = sv[0] > 0 ? sv[1] : sv[0];
    }
    if (hk_pc_init_nokvm(&r.pc, &cfg.pc, &cfg.in, &r.log, NULL) < 0) {
        fprintf(stderr, "hako-replay: cannot build the board: %s\n", r.log.last_error);
        hk_pc_destroy(&r.pc);
        hk_config_free(&cfg);
        if (net_peer >= 0)
            close(net_peer);
        return 2;
    }
    const char *trace = argv[optind];
    gzFile gz = gzopen(trace, "rb");
    if (!gz) {
        fprintf(stderr, "hako-replay: cannot open %s\n", trace);
        hk_pc_destroy(&r.pc);
        hk_config_free(&cfg);
        return 2;
    }
    gzbuffer(gz, 1 << 20);
    char line[1024];
    while (gzgets(gz, line, sizeof(line))) {
        r.lines++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        strip_timestamp(line);
        unsigned key;
        bool down;
        int k = hk_parse_key_event(line, &key, &down);
        if (k != 0) {
            /* the same key reaches Hako's keyboard at the same point of the trace */
            if (k > 0) {
                hk_pc_key(&r.pc, key, down);
                r.keys++;
            } else {
                r.unparsed++;
            }
            remember(&r, r.lines, line);
            continue;
        }
        struct access a;
        if (!parse_access(line, &a)) {
            /* pci_cfg_* lines say the same as the 0xCFC accesses that follow them */
            if (strncmp(line, "pci_cfg_", 8) != 0)
                r.unparsed++;
            continue;
        }
        r.parsed++;
        if (a.cpu < 0) { /* the devices' own accesses (MSI writes, DMA), not the guest's */
            r.ignored_cpu++;
            continue;
        }
        do_access(&r, &a, r.lines, line);
    }
    int gzerr;
    const char *gzmsg = gzerror(gz, &gzerr);
    if (gzerr != Z_OK && gzerr != Z_STREAM_END) {
        fprintf(stderr, "hako-replay: %s: %s\n", trace, gzmsg);
        gzclose(gz);
        hk_pc_destroy(&r.pc);
        hk_config_free(&cfg);
        return 2;
    }
    gzclose(gz);

    report(&r, stdout);
    int vars_bad = 0;
    if (vars_final)
        vars_bad = compare_vars(&r, vars_final, stdout) < 0;
    if (facts_json) {
        FILE *fj = fopen(facts_json, "w");
        if (fj) {
            hk_facts_print_json(&r.pc.vm.facts, fj);
            fclose(fj);
        }
    }
    printf("\nfacts:\n");
    hk_facts_print(&r.pc.vm.facts, stdout);
    uint64_t bad = 0;
    for (unsigned i = 0; i < r.ndevs; i++)
        bad += r.devs[i].unexplained;
    printf("\n%s: %llu unexplained mismatches%s\n", bad || vars_bad ? "FAIL" : "OK",
           (unsigned long long)bad, vars_bad ? ", variable store differs" : "");
    hk_pc_destroy(&r.pc);
    hk_config_free(&cfg);
    hk_log_destroy(&r.log);
    if (net_peer >= 0)
        close(net_peer);
    return bad || vars_bad ? 1 : 0;
}
