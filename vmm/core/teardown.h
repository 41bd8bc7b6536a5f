/*
 * Asynchronous KVM teardown. Destroying a VM with an in-kernel irqchip costs the kernel ~20 ms
 * (unregistering the PIC/IOAPIC/PIT devices waits for SRCU grace periods), paid by whoever drops
 * the last reference to the VM file. hk_async_teardown() hands those references to a small helper
 * task that shares our address space and waits until this process has exited before letting go, so
 * the engine exits (and the app can start the VM again) at once. QEMU offers the same idea as
 * "-run-with async-teardown=on".
 */
#ifndef HK_CORE_TEARDOWN_H
#define HK_CORE_TEARDOWN_H

/* fds: the KVM file descriptors to keep alive in the helper (the caller still closes its own
 * copies). Returns 0, or -1 when no helper could be started (then teardown is synchronous). */
int hk_async_teardown(const int *fds, int nfds);

#endif
