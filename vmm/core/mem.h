/*
 * Guest-physical memory map: RAM, firmware and VRAM regions with their host mappings. Every device
 * turns a guest-physical range into a host pointer through hk_mem_ptr(), which refuses any range
 * that is not entirely inside one region (or is a write to a read-only one). Host mappings stay
 * valid for the lifetime of the VM, so a pointer may be used after the lock is released.
 */
#ifndef HK_CORE_MEM_H
#define HK_CORE_MEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HK_MEM_MAX_REGIONS 32

enum {
    HK_MEM_READONLY = 1u << 0, /* guest writes exit as MMIO; devices may not write */
    HK_MEM_DIRTY_LOG = 1u << 1,
};

struct hk_mem_region {
    uint64_t gpa, size;
    uint8_t *hva;
    unsigned flags;
    int slot; /* KVM memslot, -1 when none */
    const char *name;
};

struct hk_mem {
    pthread_rwlock_t lock;
    struct hk_mem_region r[HK_MEM_MAX_REGIONS];
    unsigned n;
};

void hk_mem_init(struct hk_mem *mem);
void hk_mem_destroy(struct hk_mem *mem);
/* Returns 0, or -1 when full, empty, wrapping or overlapping. */
int hk_mem_add(struct hk_mem *mem, uint64_t gpa, uint64_t size, void *hva, unsigned flags, int slot,
               const char *name);
/* Removes the region at gpa; returns its slot (>= -1) or -2 when there is none. */
int hk_mem_remove(struct hk_mem *mem, uint64_t gpa);
/* Host pointer for [gpa, gpa+len) or NULL when out of bounds (or write to read-only). len > 0. */
void *hk_mem_ptr(struct hk_mem *mem, uint64_t gpa, uint64_t len, bool write);
/* Copies across region boundaries; 0 on success, -1 if any byte is outside guest memory. */
int hk_mem_read(struct hk_mem *mem, uint64_t gpa, void *buf, size_t len);
int hk_mem_write(struct hk_mem *mem, uint64_t gpa, const void *buf, size_t len);
bool hk_mem_find(struct hk_mem *mem, uint64_t gpa, struct hk_mem_region *out);

/* Guest RAM: anonymous memory starting on a 2 MiB boundary, so that the guest's 2 MiB pages line
 * up with the host's and KVM can map them whole, advised
 *   MADV_HUGEPAGE   transparent huge pages also where THP is "madvise" (a common default);
 *   MADV_DONTFORK   a child the engine starts (passt) neither copies nor shares it;
 *   MADV_MERGEABLE  KSM may share identical pages where the host runs it (off unless the host's
 *                   administrator starts it; it then trades huge pages for memory, as QEMU's
 *                   default mem-merge=on does).
 * Advice the host kernel lacks (no THP, no KSM) is skipped. NULL when the memory cannot be had. */
#define HK_RAM_ALIGN (2ull << 20)
void *hk_ram_alloc(size_t size);
void hk_ram_free(void *ram, size_t size);

#endif
