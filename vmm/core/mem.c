#include "mem.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

void hk_mem_init(struct hk_mem *mem)
{
    memset(mem, 0, sizeof(*mem));
    pthread_rwlock_init(&mem->lock, NULL);
}

void hk_mem_destroy(struct hk_mem *mem)
{
    pthread_rwlock_destroy(&mem->lock);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a <= b + (blen - 1) && b <= a + (alen - 1);
}

int hk_mem_add(struct hk_mem *mem, uint64_t gpa, uint64_t size, void *hva, unsigned flags, int slot,
               const char *name)
{
    int ret = -1;
    if (size == 0 || gpa + (size - 1) < gpa || !hva)
        return -1;
    pthread_rwlock_wrlock(&mem->lock);
    if (mem->n == HK_MEM_MAX_REGIONS)
        goto out;
    for (unsigned i = 0; i < mem->n; i++)
        if (overlaps(gpa, size, mem->r[i].gpa, mem->r[i].size))
            goto out;
    mem->r[mem->n++] = (struct hk_mem_region){gpa, size, hva, flags, slot, name};
    ret = 0;
out:
    pthread_rwlock_unlock(&mem->lock);
    return ret;
}

int hk_mem_remove(struct hk_mem *mem, uint64_t gpa)
{
    int ret = -2;
    pthread_rwlock_wrlock(&mem->lock);
    for (unsigned i = 0; i < mem->n; i++) {
        if (mem->r[i].gpa == gpa) {
            ret = mem->r[i].slot;
            mem->r[i] = mem->r[--mem->n];
            break;
        }
    }
    pthread_rwlock_unlock(&mem->lock);
    return ret;
}

static const struct hk_mem_region *lookup(const struct hk_mem *mem, uint64_t gpa)
{
    for (unsigned i = 0; i < mem->n; i++)
        if (gpa >= mem->r[i].gpa && gpa - mem->r[i].gpa < mem->r[i].size)
            return &mem->r[i];
    return NULL;
}

bool hk_mem_find(struct hk_mem *mem, uint64_t gpa, struct hk_mem_region *out)
{
    pthread_rwlock_rdlock(&mem->lock);
    const struct hk_mem_region *r = lookup(mem, gpa);
    if (r)
        *out = *r;
    pthread_rwlock_unlock(&mem->lock);
    return r != NULL;
}

void *hk_mem_ptr(struct hk_mem *mem, uint64_t gpa, uint64_t len, bool write)
{
    void *p = NULL;
    if (len == 0)
        return NULL;
    pthread_rwlock_rdlock(&mem->lock);
    const struct hk_mem_region *r = lookup(mem, gpa);
    if (r && len <= r->size - (gpa - r->gpa) && !(write && (r->flags & HK_MEM_READONLY)))
        p = r->hva + (gpa - r->gpa);
    pthread_rwlock_unlock(&mem->lock);
    return p;
}

static int copy(struct hk_mem *mem, uint64_t gpa, void *buf, size_t len, bool write)
{
    uint8_t *b = buf;
    while (len > 0) {
        struct hk_mem_region r;
        if (!hk_mem_find(mem, gpa, &r) || (write && (r.flags & HK_MEM_READONLY)))
            return -1;
        uint64_t avail = r.size - (gpa - r.gpa);
        size_t n = len < avail ? len : (size_t)avail;
        if (write)
            memcpy(r.hva + (gpa - r.gpa), b, n);
        else
            memcpy(b, r.hva + (gpa - r.gpa), n);
        b += n;
        len -= n;
        if (len && gpa + n < gpa)
            return -1;
        gpa += n;
    }
    return 0;
}

int hk_mem_read(struct hk_mem *mem, uint64_t gpa, void *buf, size_t len)
{
    return copy(mem, gpa, buf, len, false);
}

int hk_mem_write(struct hk_mem *mem, uint64_t gpa, const void *buf, size_t len)
{
    return copy(mem, gpa, (void *)buf, len, true);
}

void *hk_ram_alloc(size_t size)
{
    if (size == 0 || size > SIZE_MAX - HK_RAM_ALIGN)
        return NULL;
    /* reserve an aligned window: map one alignment more and trim both ends */
    size_t len = size + HK_RAM_ALIGN;
    uint8_t *p =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)p + HK_RAM_ALIGN - 1) & ~(uintptr_t)(HK_RAM_ALIGN - 1);
    uint8_t *ram = (uint8_t *)start;
    if (ram > p)
        munmap(p, (size_t)(ram - p));
    size_t tail = (size_t)(p + len - (ram + size));
    if (tail)
        munmap(ram + size, tail);
    madvise(ram, size, MADV_HUGEPAGE);
    madvise(ram, size, MADV_DONTFORK);
    madvise(ram, size, MADV_MERGEABLE);
    return ram;
}

void hk_ram_free(void *ram, size_t size)
{
    if (ram)
        munmap(ram, size);
}
