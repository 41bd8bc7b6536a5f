/*
 * The virtio PCI transport, modern interface only (VIRTIO 1.1 §4.1 "Virtio Over PCI Bus"): PCI
 * vendor 1af4, device 0x1040 + virtio device type, revision 1. Vendor capabilities (§4.1.4) point
 * into one 64-bit prefetchable memory BAR (BAR4), laid out as QEMU's:
 *
 *   0x0000  common configuration (§4.1.4.3)     0x2000  device-specific configuration
 *   0x1000  ISR status (read clears, §4.1.4.5)  0x3000  notifications, 4 bytes per queue
 *
 * plus the PCI configuration access capability (§4.1.4.7, the window SeaBIOS uses when the BAR is
 * above 4 GiB) and MSI-X (table and PBA in BAR1). Feature negotiation requires VIRTIO_F_VERSION_1;
 * device status 0 is a full device reset.
 *
 * Doorbells: each queue has an eventfd that KVM signals through KVM_IOEVENTFD on the queue's notify
 * address whenever the BAR is decoded (the notify region's MMIO handler signals the same eventfd
 * when KVM cannot). Requests are processed on the device's own worker thread, never on a vCPU:
 * the worker polls the eventfds and calls the device's process() hook, which pops chains with
 * hk_virtio_pop() and completes them with hk_virtio_push(). Completions interrupt the guest through
 * MSI-X (KVM_SIGNAL_MSI) when the driver enabled it, otherwise through INTx (ISR bit 0, INTA routed
 * by the PIIX3 PIRQ registers).
 *
 * Locking: the PCI host lock may be held when the transport lock is taken, never the reverse. A
 * reset waits until the worker holds no popped chain; devices give up their chains at
 * hk_virtio_checkpoint() and when process() returns.
 */
#ifndef HK_VIRTIO_PCI_H
#define HK_VIRTIO_PCI_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../core/pci.h"
#include "queue.h"

struct hk_vm;

#define HK_VIRTIO_MAX_QUEUES 8
#define HK_VIRTIO_MAX_IOFDS  4 /* descriptors of its own a device may have the worker poll */

/* device status (§2.1) */
#define HK_VIRTIO_S_ACKNOWLEDGE 0x01
#define HK_VIRTIO_S_DRIVER      0x02
#define HK_VIRTIO_S_DRIVER_OK   0x04
#define HK_VIRTIO_S_FEATURES_OK 0x08
#define HK_VIRTIO_S_NEEDS_RESET 0x40
#define HK_VIRTIO_S_FAILED      0x80

/* transport feature bits (§6) */
#define HK_VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define HK_VIRTIO_F_EVENT_IDX     (1ull << 29)
#define HK_VIRTIO_F_VERSION_1     (1ull << 32)

#define HK_VIRTIO_NO_VECTOR 0xFFFF

/* BAR4 layout */
#define HK_VIRTIO_BAR           4
#define HK_VIRTIO_BAR_SIZE      0x4000
#define HK_VIRTIO_COMMON_OFF    0x0000
#define HK_VIRTIO_COMMON_LEN    0x38
#define HK_VIRTIO_ISR_OFF       0x1000
#define HK_VIRTIO_DEVCFG_OFF    0x2000
#define HK_VIRTIO_NOTIFY_OFF    0x3000
#define HK_VIRTIO_NOTIFY_MULT   4
#define HK_VIRTIO_MSIX_BAR      1
#define HK_VIRTIO_MSIX_BAR_SIZE 0x1000
#define HK_VIRTIO_MSIX_PBA_OFF  0x800

struct hk_virtio_pci;

struct hk_virtio_ops {
    /* device-specific configuration (little-endian); off + size <= cfg_size */
    uint64_t (*cfg_read)(void *dev, unsigned off, unsigned size);
    void (*cfg_write)(void *dev, unsigned off, uint64_t val, unsigned size);
    /* On the worker thread: handle what the driver queued on queue q (hk_virtio_pop/push). */
    void (*process)(void *dev, unsigned q);
    /* The device was reset (status 0 or a board reset). No chain is in flight. May be NULL. */
    void (*reset)(void *dev);
    /* Optional, for a device with descriptors of its own (a network backend's socket): on the
     * worker thread, never during a reset, before each poll: fills up to HK_VIRTIO_MAX_IOFDS
     * entries of p and returns how many; may lower *timeout_ms (-1: no timeout). */
    unsigned (*io_fds)(void *dev, struct pollfd *p, int *timeout_ms);
    /* After the poll (revents set), also when it timed out: on the worker thread, never during a
     * reset; may pop and push chains like process(). */
    void (*io)(void *dev, const struct pollfd *p, unsigned n);
    /* Optional: the driver wrote device_status (old -> now; now 0 is a reset). On the writing
     * vCPU's thread, without the transport lock. */
    void (*status)(void *dev, uint8_t old, uint8_t now);
};

struct hk_virtio_queue {
    struct hk_virtq vq;
    uint16_t max_size, size, msix_vector;
    bool enabled;
    uint64_t desc, driver, device;
    int kick_fd;    /* eventfd */
    bool ioeventfd; /* registered with KVM (guarded by the PCI host lock) */
    uint64_t ioeventfd_addr;
    uint64_t kicks, interrupts;
};

struct hk_msix_entry {
    uint32_t addr_lo, addr_hi, data, ctrl;
};

struct hk_virtio_pci {
    struct hk_pci_dev pci;
    struct hk_vm *vm;
    const char *name; /* "virtio-blk" ... */
    void *dev;
    const struct hk_virtio_ops *ops;
    unsigned cfg_size;
    unsigned nqueues;

    pthread_mutex_t lock; /* everything below */
    pthread_cond_t cond;
    uint64_t host_features, guest_features;
    uint32_t dfselect, gfselect;
    uint8_t status, isr, config_gen;
    uint16_t queue_sel, config_vector;
    struct hk_virtio_queue q[HK_VIRTIO_MAX_QUEUES];
    unsigned gen;               /* bumped by every reset */
    bool busy;                  /* the worker holds popped chains */
    bool irq_pending;           /* the INTx level needs re-evaluating (ISR changed) */
    uint32_t msix_pending_send; /* vectors to signal once the lock is dropped */
    bool broken_reported;

    /* MSI-X */
    unsigned msix_cap, nvectors;
    bool msix_enabled, msix_masked; /* mirrors of the capability's control bits */
    struct hk_msix_entry msix[HK_VIRTIO_MAX_QUEUES + 1];
    uint32_t msix_pba;
    uint64_t msi_sent; /* messages sent (also counted without KVM, for tests) */

    unsigned pcicfg_cap; /* offset of the PCI configuration access capability */

    /* worker */
    pthread_t thread;
    bool thread_started, stopping;
    int ctl_fd;
};

/* Sets up the PCI function and its capabilities. device_type: 2 block, 8 SCSI. features: the
 * device's feature bits (VERSION_1 is added). queue_sizes: the maximum size of each queue. */
int hk_virtio_pci_init(struct hk_virtio_pci *t, struct hk_vm *vm, const char *name,
                       uint16_t device_type, uint32_t class_code, uint64_t features,
                       unsigned cfg_size, unsigned nqueues, const uint16_t *queue_sizes,
                       const struct hk_virtio_ops *ops, void *dev);
int hk_virtio_pci_register(struct hk_virtio_pci *t, struct hk_pci_host *host, uint8_t devfn);
/* Starts the worker thread (the board does this; unit tests may instead call hk_virtio_pci_poll).
 */
int hk_virtio_pci_start(struct hk_virtio_pci *t);
/* Stops and joins the worker (it touches nothing afterwards: no guest memory, no fact); safe to
 * call twice, and on a device whose worker never started. */
void hk_virtio_pci_stop(struct hk_virtio_pci *t);
/* Stops the worker and releases everything. */
void hk_virtio_pci_destroy(struct hk_virtio_pci *t);
/* Without a worker: handles every queue whose doorbell rang, then the device's own descriptors
 * (io_fds/io, without waiting), on the calling thread. */
void hk_virtio_pci_poll(struct hk_virtio_pci *t);

/* For devices, on the worker thread inside process(): */
/* 1 = a chain in *e, 0 = nothing (or the device is being reset), -1 = the queue broke (reported
 * as a device error). */
int hk_virtio_pop(struct hk_virtio_pci *t, unsigned q, struct hk_virtq_elem *e);
void hk_virtio_push(struct hk_virtio_pci *t, unsigned q, uint16_t head, uint32_t written);
/* Delivers pending interrupts now. Call with no popped chain outstanding; returns false when the
 * device was reset meanwhile (stop processing). */
bool hk_virtio_checkpoint(struct hk_virtio_pci *t);
/* A request the device cannot even answer: the queue is broken (DEVICE_NEEDS_RESET). */
void hk_virtio_fail(struct hk_virtio_pci *t, unsigned q, const char *why);
/* True when feature bit(s) were negotiated. */
bool hk_virtio_has_feature(struct hk_virtio_pci *t, uint64_t bits);
/* True while the driver runs queue q (DRIVER_OK, queue enabled, nothing broken). */
bool hk_virtio_queue_ready(struct hk_virtio_pci *t, unsigned q);
/* Gives back the last n chains popped from q unused (the device found it could not use them,
 * e.g. too little room for a frame): the driver ring entries are taken again later. */
void hk_virtio_unpop(struct hk_virtio_pci *t, unsigned q, unsigned n);
/* Asks the driver for a doorbell when it adds to q beyond what the last pop saw (also after pops
 * outside process()). Returns true when it already did (look again: no doorbell will come for
 * those entries). */
bool hk_virtio_rearm(struct hk_virtio_pci *t, unsigned q);
/* The device configuration changed: bumps config_generation and interrupts the driver (the
 * configuration vector, or ISR bit 1) once it runs. Any thread. */
void hk_virtio_config_changed(struct hk_virtio_pci *t);
/* Makes the worker poll again (asks io_fds anew). Any thread. */
void hk_virtio_wake(struct hk_virtio_pci *t);

/* BAR4 access (the MMIO handlers; exposed for unit tests). */
uint64_t hk_virtio_bar_read(struct hk_virtio_pci *t, uint64_t off, unsigned size);
void hk_virtio_bar_write(struct hk_virtio_pci *t, uint64_t off, uint64_t val, unsigned size);

#endif
