/* The conformance replay's known-differences table (known.c): every way Hako's devices answer a
 * read differently from QEMU's on purpose, each with its reason. */
#ifndef HK_CONFORMANCE_KNOWN_H
#define HK_CONFORMANCE_KNOWN_H

#include <stdbool.h>
#include <stdint.h>

struct hk_pc;

/* one guest access from the trace, as the replay resolved it */
struct access {
    bool write;
    int cpu;
    uint64_t addr, value; /* value: what QEMU read or what the guest wrote */
    unsigned size;
    char region[64]; /* QEMU's region name */
    bool space_pio;
    bool pci_cfg;  /* a PCI configuration data access */
    uint8_t devfn; /* ...to this function */
    uint64_t reg;  /* register: port, offset in the device's region, or config register */
};

/* a device's label in the replay, with its NUL: "qemu '<region>'" or "pci 00:1f.7 <name>" */
#define DEV_LABEL_MAX (64 + 8)

struct dev_stat {
    char name[DEV_LABEL_MAX];
    uint64_t reads, match, explained, unexplained, writes;
};

struct known_diff {
    const char *dev;  /* the replay's device label (a prefix when it ends with '*') */
    const char *what; /* the registers, in words */
    uint64_t lo, hi;  /* register range, inclusive */
    /* optional: further conditions on the access, Hako's state or the two values */
    bool (*when)(struct hk_pc *pc, const struct access *a, uint64_t hako);
    const char *reason;
};

/* A key QEMU's monitor typed (an input_event_key_qcode trace line): 1 and the evdev code, 0 for
 * another line, -1 for a key name qcode.c does not know. */
int hk_parse_key_event(const char *line, unsigned *code, bool *down);
int hk_qcode_to_evdev(const char *name);

/* The index of the first entry explaining this read (QEMU a->value, Hako hako), or -1. */
int hk_known_difference(struct hk_pc *pc, const char *dev, const struct access *a, uint64_t hako);
unsigned hk_known_count(void);
const struct known_diff *hk_known_entry(unsigned i);

#endif
