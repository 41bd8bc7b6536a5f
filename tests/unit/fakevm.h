/* A VM without KVM for device unit tests: buses, a memory map with some RAM, facts and a log. */
#ifndef HK_TEST_FAKEVM_H
#define HK_TEST_FAKEVM_H

#include <stdlib.h>

#include "core/vm.h"

struct fakevm {
    struct hk_log log;
    struct hk_vm vm;
    uint8_t *ram;
    size_t ram_size;
};

static inline void fakevm_init(struct fakevm *f, size_t ram_size)
{
    hk_log_init(&f->log, getenv("HK_TEST_VERBOSE") ? stderr : NULL, HK_LOG_DEBUG);
    hk_vm_init_nokvm(&f->vm, &f->log, NULL);
    f->ram_size = ram_size;
    f->ram = ram_size ? calloc(1, ram_size) : NULL;
    if (f->ram)
        hk_vm_map(&f->vm, 0, ram_size, f->ram, 0, "ram");
}

static inline void fakevm_destroy(struct fakevm *f)
{
    hk_vm_destroy(&f->vm);
    hk_log_destroy(&f->log);
    free(f->ram);
}

static inline uint64_t pio_read(struct fakevm *f, uint64_t port, unsigned size)
{
    uint64_t v;
    hk_bus_read(&f->vm.pio, port, size, &v);
    return v;
}

static inline void pio_write(struct fakevm *f, uint64_t port, unsigned size, uint64_t v)
{
    hk_bus_write(&f->vm.pio, port, size, v);
}

struct fact_find {
    uint32_t kind;
    unsigned n;
    struct hk_fact last;
};

static inline void fact_find_cb(void *opaque, const struct hk_fact *fact)
{
    struct fact_find *ff = opaque;
    if (fact->kind == ff->kind) {
        ff->n++;
        ff->last = *fact;
    }
}

/* How many facts of a kind were stored; *last gets the newest. */
static inline unsigned facts_of(struct fakevm *f, uint32_t kind, struct hk_fact *last)
{
    struct fact_find ff = {kind, 0, {0}};
    hk_facts_foreach(&f->vm.facts, fact_find_cb, &ff);
    if (last)
        *last = ff.last;
    return ff.n;
}

#endif
