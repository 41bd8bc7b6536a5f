/* The vCPU thread: KVM_RUN in a loop, dispatching port I/O and MMIO exits to the buses. */
#ifndef HK_CORE_VCPU_H
#define HK_CORE_VCPU_H

#include <signal.h>

/* Signal used to kick a vCPU thread out of KVM_RUN (its handler does nothing). */
#define HK_KICK_SIGNAL SIGUSR1

void *hk_vcpu_thread(void *arg);

#endif
