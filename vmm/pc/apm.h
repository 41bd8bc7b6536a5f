/*
 * The Advanced Power Management ports of the PIIX4 (Intel 82371AB datasheet, 290562, "APMC/APMS"):
 * 0xB2 APM control (a write raises an SMI on real hardware) and 0xB3 APM status (a scratch byte).
 * This board has no System Management Mode, so a write to 0xB2 triggers nothing; it is recorded as
 * a diagnostic fact, because firmware built for SMM (OVMF Secure Boot builds: SmmControl2Dxe) asks
 * for SMIs this way and then waits for an answer that never comes.
 */
#ifndef HK_PC_APM_H
#define HK_PC_APM_H

#include <pthread.h>
#include <stdint.h>

struct hk_vm;

#define HK_APM_CNT       0xB2
#define HK_APM_STS       0xB3
#define HK_APM_FACTS_MAX 8 /* SMI requests stored in the timeline; later ones are only counted */

struct hk_apm {
    struct hk_vm *vm;
    pthread_mutex_t lock;
    uint8_t cnt, sts;
    uint64_t smi_requests;
};

void hk_apm_init(struct hk_apm *a, struct hk_vm *vm);
int hk_apm_attach(struct hk_apm *a); /* ports 0xB2-0xB3 */
void hk_apm_reset(struct hk_apm *a);
void hk_apm_destroy(struct hk_apm *a);
uint64_t hk_apm_read(struct hk_apm *a, unsigned port, unsigned size);
void hk_apm_write(struct hk_apm *a, unsigned port, uint64_t val, unsigned size);

#endif
