/*
 * The vmmouse absolute pointer: the VMware "backdoor" I/O port 0x5658, where a 32-bit IN with
 * EAX = 0x564D5868 ("VMXh") and a command number in CX passes arguments and results in the
 * general registers. It rides on the PS/2 mouse: the guest driver (Linux psmouse "vmmouse",
 * xf86-input-vmmouse) enables it, asks for absolute mode, and on every PS/2 mouse packet reads
 * 4-word pointer records (buttons, x, y, wheel; x and y scaled 0..0xFFFF) from its queue.
 *
 * Follows the protocol as the Linux driver (drivers/input/mouse/vmmouse.c) and open-vm-tools
 * speak it: commands GETVERSION (10), ABSPOINTER_DATA (39), ABSPOINTER_STATUS (40),
 * ABSPOINTER_COMMAND (41: ENABLE, DISABLE, REQUEST_RELATIVE, REQUEST_ABSOLUTE) and
 * ABSPOINTER_RESTRICT (86); status 0xFFFF0000 while disabled; the version word 0x3442554A
 * queued on enable.
 */
#ifndef HK_DEV_VMMOUSE_H
#define HK_DEV_VMMOUSE_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct hk_vm;
struct hk_i8042;

#define HK_VMMOUSE_PORT  0x5658
#define HK_VMMOUSE_MAGIC 0x564D5868u
#define HK_VMMOUSE_QUEUE 1024 /* words: 256 records */

#define HK_VMMOUSE_CMD_GETVERSION 10
#define HK_VMMOUSE_CMD_DATA       39
#define HK_VMMOUSE_CMD_STATUS     40
#define HK_VMMOUSE_CMD_COMMAND    41
#define HK_VMMOUSE_CMD_RESTRICT   86

#define HK_VMMOUSE_ENABLE           0x45414552u
#define HK_VMMOUSE_DISABLE          0x000000F5u
#define HK_VMMOUSE_REQUEST_RELATIVE 0x4C455252u
#define HK_VMMOUSE_REQUEST_ABSOLUTE 0x53424152u
#define HK_VMMOUSE_VERSION_ID       0x3442554Au
#define HK_VMMOUSE_ERROR            0xFFFF0000u
#define HK_VMMOUSE_RELATIVE_PACKET  0x00010000u
#define HK_VMMOUSE_LEFT             0x20
#define HK_VMMOUSE_RIGHT            0x10
#define HK_VMMOUSE_MIDDLE           0x08

struct hk_vmmouse {
    struct hk_vm *vm;
    struct hk_i8042 *kbc; /* the PS/2 mouse that carries the wake-up packets */
    pthread_mutex_t lock;
    bool enabled;  /* ABSPOINTER_COMMAND ENABLE */
    bool absolute; /* REQUEST_ABSOLUTE */
    bool reported; /* absolute mode as last recorded in the facts */
    uint32_t queue[HK_VMMOUSE_QUEUE];
    unsigned head, count;
    uint64_t dropped, merged;
};

void hk_vmmouse_init(struct hk_vmmouse *m, struct hk_vm *vm, struct hk_i8042 *kbc);
void hk_vmmouse_destroy(struct hk_vmmouse *m);
/* Claims port 0x5658 (register-passing port I/O). 0 or -1. */
int hk_vmmouse_attach(struct hk_vmmouse *m);
void hk_vmmouse_reset(struct hk_vmmouse *m);
/* One backdoor access: the registers as the guest left them; changed to the results. For an IN
 * the low `size` bytes of rax afterwards are the value read. */
void hk_vmmouse_io(void *opaque, struct kvm_regs *regs, unsigned size, bool is_write);

/* True while the guest driver has the absolute pointer on. */
bool hk_vmmouse_is_absolute(struct hk_vmmouse *m);
/* Host pointer at (x, y) in 0..0xFFFF over the screen; buttons bit 0 left, 1 right, 2 middle;
 * dz positive = wheel towards the user. False (nothing queued) unless the absolute mode is on. */
bool hk_vmmouse_abs(struct hk_vmmouse *m, uint32_t x, uint32_t y, int dz, unsigned buttons);
/* Relative motion (dy positive = down) while the driver is enabled; false when it is not (then
 * the motion belongs to the PS/2 mouse). */
bool hk_vmmouse_rel(struct hk_vmmouse *m, int dx, int dy, int dz, unsigned buttons);

#endif
