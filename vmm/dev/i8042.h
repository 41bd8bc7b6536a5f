/*
 * The PC keyboard controller (Intel 8042 / PS/2 KBC at ports 0x60 and 0x64, IRQ 1 and 12) with a
 * PS/2 MF2 keyboard on its first port and a PS/2 IntelliMouse on its auxiliary port.
 *
 * Follows the IBM PS/2 Hardware Interface Technical Reference (keyboard/auxiliary device
 * controller: status register, command byte, commands 0x20-0x3F/0x60-0x7F, 0xA4-0xAE, 0xC0,
 * 0xD0-0xD4, 0xDD/0xDF, 0xE0, 0xF0-0xFF; the 8042 scan code translation), the IBM keyboard
 * technical reference (commands 0xED-0xFF, BAT, typematic, scan code sets 1-3, the 16-byte buffer
 * with its overrun code) and the PS/2 mouse and Microsoft IntelliMouse specifications
 * (stream/remote/wrap modes, 0xE6-0xFF, 3-byte packets, the 200/100/80 and 200/200/80 sample-rate
 * sequences for IDs 3 and 4).
 *
 * The controller answers at once (the input buffer is never full). It has one output buffer byte
 * that is refilled from its own replies first, then from the keyboard's and the mouse's queues
 * (bounded, as in the devices); IRQ 1 / IRQ 12 follow "output buffer full with keyboard / mouse
 * data and the command byte enables that interrupt", so the ISA line goes high when a byte is
 * available and low when port 0x60 is read (the next byte raises it again: a new edge). A byte
 * sent to the keyboard, or to the mouse through 0xD4, enables that interface (the controller
 * releases its clock line to transmit). Command 0xFE and output port bit 0 reset the machine.
 * The keyboard repeats a held key itself at the typematic rate the guest set (0xF3).
 * Host input (evdev key codes, pointer motion) arrives from the event thread, guest port accesses
 * from vCPU threads, typematic repeats from a timer; one lock guards everything.
 *
 * Not modelled: the "fake shift" codes MF2 keyboards wrap around the navigation keys when Num Lock
 * or Shift is on (operating systems drop them), A20 masking (KVM has none; the output port only
 * remembers the bit), the keyboard lock, multiplexed (active MUX) auxiliary ports.
 */
#ifndef HK_DEV_I8042_H
#define HK_DEV_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct hk_vm;
struct hk_timer;

#define HK_I8042_DATA_PORT   0x60
#define HK_I8042_STATUS_PORT 0x64

/* Status register */
#define HK_I8042_STR_OBF     0x01 /* output buffer full */
#define HK_I8042_STR_IBF     0x02 /* input buffer full (never: commands complete at once) */
#define HK_I8042_STR_SYS     0x04 /* system flag (command byte bit 2) */
#define HK_I8042_STR_CMD     0x08 /* last write was to port 0x64 */
#define HK_I8042_STR_UNLOCK  0x10 /* keyboard not inhibited by the key lock */
#define HK_I8042_STR_AUXDATA 0x20 /* the output buffer holds mouse data */

/* Command byte (controller RAM byte 0) */
#define HK_I8042_CTR_KBDINT 0x01
#define HK_I8042_CTR_AUXINT 0x02
#define HK_I8042_CTR_SYS    0x04
#define HK_I8042_CTR_KBDDIS 0x10
#define HK_I8042_CTR_AUXDIS 0x20
#define HK_I8042_CTR_XLATE  0x40

/* Queue sizes: the keyboard and the mouse keep this many bytes each until the controller takes
 * them; the controller's own replies (and 0xD2/0xD3 bytes) have a small queue with priority. */
#define HK_PS2_KBD_QUEUE   64
#define HK_PS2_AUX_QUEUE   64
#define HK_I8042_CTL_QUEUE 8

/* A byte queue; each entry keeps a flag (the mouse marks packet bytes, the controller marks bytes
 * that are to look like mouse data). */
struct hk_ps2_queue {
    uint16_t buf[HK_PS2_KBD_QUEUE > HK_PS2_AUX_QUEUE ? HK_PS2_KBD_QUEUE : HK_PS2_AUX_QUEUE];
    unsigned head, count, size;
};

struct hk_ps2_kbd {
    struct hk_ps2_queue q;
    uint8_t set;       /* scan code set 1, 2 or 3 */
    bool scanning;     /* keys are reported (0xF4 / 0xF5) */
    bool overrun;      /* the queue overflowed: keys are dropped until there is room */
    uint8_t leds;      /* bit 0 Scroll Lock, 1 Num Lock, 2 Caps Lock */
    uint8_t typematic; /* 0xF3 argument: bits 0-4 rate, 5-6 delay */
    uint8_t pending;   /* command waiting for its argument (0xED, 0xF0, 0xF3, 0xFB-0xFD) */
    uint8_t last;      /* last byte sent, for 0xFE (resend) */
    uint8_t set3_all;  /* set-3 attributes of keys not set one by one (bit 0 break, 1 typematic) */
    uint8_t set3_attr[256]; /* per set-3 code: 0 = default, else attributes | 0x80 */
    uint8_t down[32];       /* evdev codes 0-255 held down */
    unsigned mods;          /* HK_KEYMAP_MOD_* held */
    unsigned repeat_key;    /* evdev code that repeats (0: none) */
};

struct hk_ps2_mouse {
    struct hk_ps2_queue q;
    uint8_t id;            /* 0 standard, 3 IntelliMouse (wheel), 4 IntelliMouse Explorer */
    bool remote;           /* remote mode: packets only on 0xEB */
    bool reporting;        /* data reporting enabled (0xF4) */
    bool scale21;          /* 2:1 scaling */
    bool wrap;             /* wrap (echo) mode */
    uint8_t resolution;    /* 0-3: 1, 2, 4, 8 counts/mm */
    uint8_t rate;          /* samples/s */
    uint8_t pending;       /* 0xE8 / 0xF3 waiting for the argument */
    uint8_t knock[3];      /* the last three sample rates set, newest last */
    uint8_t last;          /* last byte sent (resend) */
    int dx, dy, dz;        /* motion not yet sent (dy positive = up, dz positive = towards user) */
    unsigned buttons;      /* bit 0 left, 1 right, 2 middle, 3 side, 4 extra */
    unsigned sent_buttons; /* buttons in the last packet */
};

struct hk_i8042 {
    struct hk_vm *vm;
    pthread_mutex_t lock;
    unsigned irq_kbd, irq_aux;
    uint8_t ram[32];    /* controller RAM; ram[0] is the command byte */
    uint8_t outport;    /* output port: bit 0 reset line (1 = running), bit 1 A20 */
    uint8_t pending;    /* controller command waiting for its data byte (0: none) */
    bool last_was_cmd;  /* status bit 3 */
    bool obf, obf_aux;  /* output buffer full, and with mouse data */
    uint8_t out;        /* output buffer */
    bool xlate_release; /* translation saw an F0 prefix */
    bool last_from_aux; /* alternates between the devices when both have data */
    struct hk_ps2_queue ctl;
    struct hk_ps2_kbd kbd;
    struct hk_ps2_mouse aux;
    int level_kbd, level_aux;      /* IRQ line levels driven */
    struct hk_timer *repeat_timer; /* typematic repeat (NULL without an event loop) */
    /* counters (diagnostics and tests) */
    uint64_t kbd_overruns, aux_dropped, resets_requested, unknown_commands;
};

void hk_i8042_init(struct hk_i8042 *c, struct hk_vm *vm);
void hk_i8042_destroy(struct hk_i8042 *c);
/* Claims ports 0x60 and 0x64. 0 or -1. */
int hk_i8042_attach(struct hk_i8042 *c);
/* Power-on state of controller, keyboard and mouse (board reset). */
void hk_i8042_reset(struct hk_i8042 *c);

/* Guest side (also what the port handlers call). */
uint8_t hk_i8042_read_data(struct hk_i8042 *c);
uint8_t hk_i8042_read_status(struct hk_i8042 *c);
void hk_i8042_write_data(struct hk_i8042 *c, uint8_t v);
void hk_i8042_write_command(struct hk_i8042 *c, uint8_t v);

/*
 * Host side. A key by evdev code; a press of a key already down is ignored (the keyboard repeats
 * by itself at the rate the guest set), as is the release of a key that is not down.
 */
void hk_i8042_key(struct hk_i8042 *c, unsigned evdev, bool down);
/* Relative motion (dy positive = down the screen, dz positive = wheel towards the user) and the
 * button state (bit 0 left, 1 right, 2 middle, 3 side, 4 extra). */
void hk_i8042_mouse(struct hk_i8042 *c, int dx, int dy, int dz, unsigned buttons);
/* Sends a motionless packet with these buttons if the mouse reports and has nothing queued: the
 * vmmouse driver reads its queue when a PS/2 packet arrives. */
void hk_i8042_mouse_kick(struct hk_i8042 *c, unsigned buttons);
/* Keyboard LEDs the guest set (bit 0 Scroll Lock, 1 Num Lock, 2 Caps Lock). */
uint8_t hk_i8042_leds(struct hk_i8042 *c);

#endif
