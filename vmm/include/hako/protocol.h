/*
 * The control protocol between the app (one HakoEngine per VM) and hako-vmm.
 *
 * Transport: a SOCK_SEQPACKET socket pair that the app creates; the engine gets its end with
 * `--control-fd N`. Every message is one packet: an 8-byte header followed by a payload of fixed
 * little-endian fields (and, for some types, a trailing byte string). File descriptors travel as
 * SCM_RIGHTS ancillary data on the packet whose header has HK_MSG_FLAG_FD set (only
 * HK_EV_SCANOUT carries one: the VRAM memfd).
 *
 *   header   u16 type | u16 flags | u32 payload length
 *
 * Conversation: the engine sends HK_MSG_HELLO first, then its facts timeline so far, the current
 * state and scanout. The app answers with HK_MSG_HELLO; the engine ignores everything before a
 * HELLO with a matching version (and closes the socket on a version it does not speak). With a
 * control socket the engine starts PAUSED before the first instruction and runs the guest when
 * it receives HK_CMD_START. Display damage is flow-controlled: after HK_EV_DAMAGE the engine
 * sends no further damage until the app answers HK_CMD_DISPLAY_ACK with that sequence number
 * (it keeps merging changed rows meanwhile), so a slow or hidden display costs the engine nothing.
 * When the socket closes, the engine powers the VM off and exits.
 *
 * The codec (vmm/common/protocol.c) is plain C11 without GLib; the engine and the app both link
 * it. Decoding validates every length, count and string; the numbers below are stable.
 *
 * Versions: 1, the first; 2, facts carry typed fields (HK_EV_FACT: fixed fields, flags, then the
 * lengths of the text and the two paths, then their bytes); 3, facts carry instruction bytes
 * (HK_EV_FACT: a fourth length, of the instruction bytes, after the paths' lengths, and the bytes
 * after the paths'). A peer that speaks another version is refused at HELLO, before any fact
 * travels.
 */
#ifndef HAKO_PROTOCOL_H
#define HAKO_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hako/facts.h"

#define HK_PROTO_VERSION     3
#define HK_PROTO_MAGIC       0x4F4B4148u /* "HAKO" as little-endian bytes */
#define HK_PROTO_HEADER_SIZE 8
#define HK_PROTO_MAX_MSG     4096 /* header + payload: the largest packet either side sends */
#define HK_PROTO_MAX_PATH    1024 /* bytes of a path (no terminating NUL on the wire) */
#define HK_PROTO_MAX_TEXT    256  /* bytes of a reason or message */
#define HK_PROTO_MAX_SERIAL  2048 /* bytes of serial data per packet */
#define HK_PROTO_MAX_DAMAGE  16   /* row ranges per damage packet */
#define HK_PROTO_MAX_DIM     16384

#define HK_MSG_FLAG_FD 0x0001 /* an SCM_RIGHTS file descriptor comes with this packet */

enum hk_msg_type {
    HK_MSG_HELLO = 0x0001, /* both ways: magic, version, pid */

    /* commands: app -> engine */
    HK_CMD_START = 0x0101,        /* run the guest (after the initial pause) */
    HK_CMD_PAUSE = 0x0102,        /* stop the vCPUs */
    HK_CMD_RESUME = 0x0103,       /* continue after PAUSE */
    HK_CMD_RESET = 0x0104,        /* hard reset, like the reset button */
    HK_CMD_POWER_BUTTON = 0x0105, /* ACPI power button; the guest decides */
    HK_CMD_POWER_OFF = 0x0106,    /* pull the plug: the engine exits */
    HK_CMD_KEY = 0x0107,          /* evdev code, down */
    HK_CMD_POINTER_ABS = 0x0108,  /* x, y in 0..0xFFFF over the screen; wheel; buttons */
    HK_CMD_POINTER_REL = 0x0109,  /* dx, dy, wheel, buttons */
    HK_CMD_CD_CHANGE = 0x010A,    /* path of an ISO image */
    HK_CMD_CD_EJECT = 0x010B,
    HK_CMD_SCREENSHOT = 0x010C,   /* id, path of a PNG file to write */
    HK_CMD_SERIAL_INPUT = 0x010D, /* bytes typed into COM1 */
    HK_CMD_DISPLAY_ACK = 0x010E,  /* the damage with this sequence number is on screen */
    HK_CMD_NET_LINK = 0x010F,     /* plug (1) or unplug (0) the network card's cable */

    /* events: engine -> app */
    HK_EV_STATE = 0x0201,        /* state, exit code, reason */
    HK_EV_SCANOUT = 0x0202,      /* geometry + format; carries the VRAM memfd */
    HK_EV_DAMAGE = 0x0203,       /* sequence number, changed row ranges of the scanout */
    HK_EV_POINTER_MODE = 0x0204, /* absolute (vmmouse on) or relative */
    HK_EV_SERIAL = 0x0205,       /* bytes the guest wrote to COM1 */
    HK_EV_FACT = 0x0206,         /* one fact of the diagnosis timeline (hako/facts.h) */
    HK_EV_RESULT = 0x0207,       /* the outcome of a command that can fail */
    HK_EV_NET = 0x0208,          /* the network card's link and counters (when they change,
                                    at most twice a second) */
};

enum hk_proto_state {
    HK_STATE_CREATED = 0, /* waiting for HK_CMD_START */
    HK_STATE_RUNNING = 1,
    HK_STATE_PAUSED = 2,
    HK_STATE_STOPPED = 3, /* the engine is exiting; exit_code and reason say why */
};

/* Pixel formats of the scanout, named by their layout in a little-endian 32/16-bit word. */
enum hk_proto_format {
    HK_FORMAT_NONE = 0,     /* no scanout (display off, text mode, no mode set yet) */
    HK_FORMAT_XRGB8888 = 1, /* bytes B, G, R, X */
    HK_FORMAT_RGB565 = 2,   /* 16 bits: R 15-11, G 10-5, B 4-0 */
    HK_FORMAT_BGRX8888 = 3, /* bytes X, R, G, B (big-endian framebuffer) */
    HK_FORMAT_RGB565_BE = 4,
};

enum hk_proto_error {
    HK_PROTO_OK = 0,
    HK_PROTO_ETRUNC = -1,  /* shorter than its header or its fixed fields */
    HK_PROTO_ELENGTH = -2, /* header length does not match the packet, or too long */
    HK_PROTO_ETYPE = -3,   /* unknown message type */
    HK_PROTO_EVALUE = -4,  /* a field is out of range */
    HK_PROTO_ESTRING = -5, /* a string is empty, too long or contains NUL */
    HK_PROTO_ENOSPC = -6,  /* encode: buffer too small */
    HK_PROTO_EFLAGS = -7,  /* unknown flag bits, or an fd flag on a type that has none */
    HK_PROTO_ESOCKET = -8, /* send/recv: the socket failed (see errno) */
};

/* Non-error results of hk_proto_send/hk_proto_recv. */
#define HK_PROTO_EOF   1 /* recv: the peer closed the socket */
#define HK_PROTO_AGAIN 2 /* send: the socket is full; recv: nothing is waiting */

struct hk_msg_hello {
    uint32_t magic, version, pid;
};

struct hk_msg_key {
    uint32_t code; /* Linux evdev code, 1..0x2FF */
    bool down;
};

struct hk_msg_pointer {
    int32_t x, y;     /* absolute: 0..0xFFFF; relative: -0xFFFF..0xFFFF */
    int32_t dz;       /* wheel notches, positive = towards the user (down) */
    uint32_t buttons; /* bit 0 left, 1 right, 2 middle, 3 side, 4 extra */
};

struct hk_msg_path {
    uint32_t id; /* screenshot request id, echoed in HK_EV_RESULT; 0 for CD change */
    char path[HK_PROTO_MAX_PATH + 1];
};

struct hk_msg_bytes {
    uint32_t len;
    uint8_t data[HK_PROTO_MAX_SERIAL];
};

struct hk_msg_state {
    uint32_t state; /* enum hk_proto_state */
    int32_t exit_code;
    char reason[HK_PROTO_MAX_TEXT + 1];
};

struct hk_msg_scanout {
    uint32_t format; /* enum hk_proto_format; NONE: no scanout, other fields 0 */
    uint32_t width, height, stride;
    uint64_t offset;    /* byte offset of the first visible pixel in VRAM */
    uint64_t vram_size; /* size of the memfd */
};

struct hk_row_range {
    uint32_t y0, y1; /* rows [y0, y1) */
};

struct hk_msg_damage {
    uint32_t seq;
    uint32_t count; /* 1..HK_PROTO_MAX_DAMAGE */
    struct hk_row_range r[HK_PROTO_MAX_DAMAGE];
};

struct hk_msg_result {
    uint32_t command; /* enum hk_msg_type of the command */
    uint32_t id;
    int32_t status; /* 0 or a negative errno */
    char message[HK_PROTO_MAX_TEXT + 1];
};

/* HK_EV_NET */
#define HK_NET_EV_LINK_UP   0x1 /* the guest sees its link up */
#define HK_NET_EV_CABLE     0x2 /* the cable is plugged in (the user's switch) */
#define HK_NET_EV_BACKEND   0x4 /* passt runs */
#define HK_NET_EV_DRIVER_OK 0x8 /* the guest's driver runs the card */
struct hk_msg_net {
    uint32_t flags;                                    /* HK_NET_EV_* */
    uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes; /* rx: to the guest, tx: from it */
    uint64_t rx_dropped, tx_dropped;
};

struct hk_msg {
    uint16_t type;  /* enum hk_msg_type */
    uint16_t flags; /* HK_MSG_FLAG_* */
    union {
        struct hk_msg_hello hello;
        struct hk_msg_key key;
        struct hk_msg_pointer pointer;
        struct hk_msg_path path;
        struct hk_msg_bytes bytes; /* SERIAL_INPUT, SERIAL */
        uint32_t ack_seq;          /* DISPLAY_ACK */
        struct hk_msg_state state;
        struct hk_msg_scanout scanout;
        struct hk_msg_damage damage;
        bool absolute; /* POINTER_MODE */
        struct hk_fact fact;
        struct hk_msg_result result;
        bool link_up;          /* NET_LINK */
        struct hk_msg_net net; /* NET */
    } u;
};

/* Message names for logs ("key", "scanout"...), "unknown" otherwise. */
const char *hk_proto_type_name(uint32_t type);
const char *hk_proto_error_name(int err);
bool hk_proto_is_command(uint32_t type);
bool hk_proto_is_event(uint32_t type);
/* Bytes per pixel of a format (0 for NONE or unknown). */
unsigned hk_proto_format_bpp(uint32_t format);

/* Encodes m into buf. Returns the packet length or a negative enum hk_proto_error. */
int hk_proto_encode(const struct hk_msg *m, uint8_t *buf, size_t cap);
/* Decodes one packet. Returns HK_PROTO_OK or a negative enum hk_proto_error; m is fully
 * initialised either way (zeroed on error). */
int hk_proto_decode(const uint8_t *buf, size_t len, struct hk_msg *m);

/* True when the scanout lies inside a VRAM of vram_size bytes with sane geometry. */
bool hk_proto_scanout_valid(const struct hk_msg_scanout *s, uint64_t vram_size);

/* Socket helpers (plain POSIX, non-blocking). send: returns HK_PROTO_OK, HK_PROTO_AGAIN when the
 * socket is full, HK_PROTO_ESOCKET (errno set) when it failed, or an encoding error; pass_fd < 0
 * sends no descriptor. recv: returns HK_PROTO_OK with the decoded message, HK_PROTO_AGAIN when
 * nothing is waiting, HK_PROTO_EOF when the peer closed, HK_PROTO_ESOCKET (errno set), or another
 * negative hk_proto_error for a malformed packet (which is consumed). A received descriptor is
 * returned in *fd_out (close-on-exec) when fd_out is non-NULL and the header announced one; every
 * other received descriptor is closed. */
int hk_proto_send(int sock, const struct hk_msg *m, int pass_fd);
int hk_proto_recv(int sock, struct hk_msg *m, int *fd_out);

/* The VRAM memfd HK_EV_SCANOUT carries is sealed at its size (F_SEAL_SHRINK, F_SEAL_GROW and
 * F_SEAL_SEAL): the app maps it, and a file that shrank under the mapping would end the app with
 * SIGBUS. The engine seals it (created with MFD_ALLOW_SEALING); the app maps only a sealed one.
 * seal: 0 or -1 with errno; sealed: true when those seals are in place. */
int hk_proto_seal_vram(int fd);
bool hk_proto_vram_sealed(int fd);

/* A set of changed rows, kept as at most HK_PROTO_MAX_DAMAGE sorted, disjoint, non-adjacent
 * ranges; when a new range would exceed that, the two closest neighbours are merged (so the set
 * only ever grows to cover more rows, never fewer). */
struct hk_damage {
    unsigned n;
    struct hk_row_range r[HK_PROTO_MAX_DAMAGE];
};

void hk_damage_clear(struct hk_damage *d);
/* Adds rows [y0, y1); empty ranges are ignored. */
void hk_damage_add(struct hk_damage *d, uint32_t y0, uint32_t y1);
void hk_damage_merge(struct hk_damage *d, const struct hk_damage *other);
/* Drops rows at or beyond height. */
void hk_damage_clip(struct hk_damage *d, uint32_t height);
uint64_t hk_damage_rows(const struct hk_damage *d);

#endif
