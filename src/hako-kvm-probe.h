/*
 * Direct /dev/kvm probes for the host readiness check: the API version, the capabilities the
 * engine relies on, and the speed of guest code at CPL0 measured with a tiny real-mode guest.
 *
 * The app does not link engine code: this is a few plain <linux/kvm.h> ioctls (Documentation/
 * virt/kvm/api.rst in Linux). The guest is a counted loop (dec ecx; jnz) followed by an OUT that
 * ends the batch; batches grow until one lasts about the requested time, and instructions per
 * second = (2 × iterations + 1) / elapsed. On hardware-assisted KVM that is close to the host's
 * speed; on a nested paravirtual KVM (kvm_pvm) CPL0 code is emulated and runs about a thousand
 * times slower.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* KVM_GET_API_VERSION on an open /dev/kvm (12 on every kernel since 2.6.22), or -1. */
int hako_kvm_probe_api_version(int kvm_fd);

/* Capabilities the engine needs that this KVM lacks, as a comma-separated list of names
 * ("KVM_CAP_IRQCHIP, ..."); an empty string when none is missing. */
char *hako_kvm_probe_missing_caps(int kvm_fd);

/* Runs the CPL0 loop for about target_seconds in a throw-away VM. TRUE with *ips set, or FALSE
 * with a reason. Blocks the calling thread. */
gboolean hako_kvm_probe_cpl0_speed(int kvm_fd, double target_seconds, double *ips, char **reason);

G_END_DECLS
