#include "apm.h"

#include <string.h>

#include "../core/vm.h"

uint64_t hk_apm_read(struct hk_apm *a, unsigned port, unsigned size)
{
    uint64_t v = 0;
    pthread_mutex_lock(&a->lock);
    for (unsigned i = 0; i < size; i++) {
        unsigned p = port + i;
        uint8_t b = p == HK_APM_CNT ? a->cnt : p == HK_APM_STS ? a->sts : 0xFF;
        v |= (uint64_t)b << (8 * i);
    }
    pthread_mutex_unlock(&a->lock);
    return v;
}

void hk_apm_write(struct hk_apm *a, unsigned port, uint64_t val, unsigned size)
{
    bool smi = false;
    uint64_t n = 0;
    uint8_t cmd = 0;
    pthread_mutex_lock(&a->lock);
    for (unsigned i = 0; i < size; i++) {
        unsigned p = port + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (p == HK_APM_CNT) {
            a->cnt = b;
            cmd = b;
            smi = true;
            n = ++a->smi_requests;
        } else if (p == HK_APM_STS) {
            a->sts = b;
        }
    }
    pthread_mutex_unlock(&a->lock);
    if (!smi)
        return;
    if (n <= HK_APM_FACTS_MAX)
        hk_fact(&a->vm->facts, HK_FACT_SMM_PROBE, HK_APM_CNT, cmd, (int64_t)n,
                "SMI requested through port 0xB2 (command 0x%02x); there is no SMM to answer it",
                cmd);
    else
        hk_fact_count(&a->vm->facts, HK_FACT_SMM_PROBE);
}

static uint64_t ops_read(void *opaque, uint64_t off, unsigned size)
{
    return hk_apm_read(opaque, HK_APM_CNT + (unsigned)off, size);
}

static void ops_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    hk_apm_write(opaque, HK_APM_CNT + (unsigned)off, val, size);
}

static const struct hk_io_ops apm_ops = {ops_read, ops_write};

void hk_apm_init(struct hk_apm *a, struct hk_vm *vm)
{
    memset(a, 0, sizeof(*a));
    a->vm = vm;
    pthread_mutex_init(&a->lock, NULL);
}

int hk_apm_attach(struct hk_apm *a)
{
    return hk_bus_add(&a->vm->pio, HK_APM_CNT, 2, &apm_ops, a, "apm");
}

void hk_apm_reset(struct hk_apm *a)
{
    pthread_mutex_lock(&a->lock);
    a->cnt = a->sts = 0;
    pthread_mutex_unlock(&a->lock);
}

void hk_apm_destroy(struct hk_apm *a)
{
    pthread_mutex_destroy(&a->lock);
}
