/* Fuzzes the engine's side of the control protocol: what hako-vmm does with bytes from the app's
 * socket. Every packet is decoded as one; whatever decodes must be a well-formed message that
 * encodes back to exactly the same bytes; the input is also cut into packets and pushed through a
 * real SOCK_SEQPACKET pair into hk_proto_recv, the engine's receive path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hako/protocol.h"

static void check_packet(const uint8_t *data, size_t size)
{
    struct hk_msg m;
    int r = hk_proto_decode(data, size, &m);
    if (r != HK_PROTO_OK) {
        if (r >= 0 || m.type != 0)
            abort(); /* errors are negative and leave a zeroed message */
        return;
    }
    if (!hk_proto_is_command(m.type) && !hk_proto_is_event(m.type))
        abort();
    /* the engine acts on these fields; their ranges are the decoder's promise */
    switch (m.type) {
    case HK_CMD_KEY:
        if (m.u.key.code == 0 || m.u.key.code > 0x2FF)
            abort();
        break;
    case HK_CMD_POINTER_ABS:
        if (m.u.pointer.x < 0 || m.u.pointer.x > 0xFFFF || m.u.pointer.y < 0 ||
            m.u.pointer.y > 0xFFFF)
            abort();
        /* fall through */
    case HK_CMD_POINTER_REL:
        if (m.u.pointer.buttons > 0x1F || m.u.pointer.dz < -255 || m.u.pointer.dz > 255)
            abort();
        break;
    case HK_CMD_CD_CHANGE:
    case HK_CMD_SCREENSHOT: {
        size_t n = strlen(m.u.path.path);
        if (n == 0 || n > HK_PROTO_MAX_PATH)
            abort();
        break;
    }
    case HK_CMD_SERIAL_INPUT:
        if (m.u.bytes.len == 0 || m.u.bytes.len > HK_PROTO_MAX_SERIAL)
            abort();
        break;
    default: break;
    }
    uint8_t again[HK_PROTO_MAX_MSG];
    int n = hk_proto_encode(&m, again, sizeof(again));
    if (n != (int)size || memcmp(again, data, size) != 0)
        abort(); /* the layout is canonical: one message, one encoding */
}

/* Builds a packet with a valid header around fuzz bytes, so random inputs reach the payload
 * checks of every type: [type index][flag bit][payload...]. Returns the packet length. */
static size_t synth_packet(const uint8_t *data, size_t size, uint8_t *out)
{
    static const uint16_t types[] = {
        HK_MSG_HELLO,       HK_CMD_START,        HK_CMD_PAUSE,       HK_CMD_RESUME,
        HK_CMD_RESET,       HK_CMD_POWER_BUTTON, HK_CMD_POWER_OFF,   HK_CMD_KEY,
        HK_CMD_POINTER_ABS, HK_CMD_POINTER_REL,  HK_CMD_CD_CHANGE,   HK_CMD_CD_EJECT,
        HK_CMD_SCREENSHOT,  HK_CMD_SERIAL_INPUT, HK_CMD_DISPLAY_ACK, HK_EV_STATE,
        HK_EV_SCANOUT,      HK_EV_DAMAGE,        HK_EV_POINTER_MODE, HK_EV_SERIAL,
        HK_EV_FACT,         HK_EV_RESULT,
    };
    if (size < 2)
        return 0;
    uint16_t type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
    uint16_t flags = data[1] & 1;
    size_t plen = size - 2;
    if (plen > HK_PROTO_MAX_MSG - HK_PROTO_HEADER_SIZE)
        plen = HK_PROTO_MAX_MSG - HK_PROTO_HEADER_SIZE;
    out[0] = (uint8_t)type;
    out[1] = (uint8_t)(type >> 8);
    out[2] = (uint8_t)flags;
    out[3] = 0;
    out[4] = (uint8_t)plen;
    out[5] = (uint8_t)(plen >> 8);
    out[6] = out[7] = 0;
    memcpy(out + HK_PROTO_HEADER_SIZE, data + 2, plen);
    return HK_PROTO_HEADER_SIZE + plen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t packet[HK_PROTO_MAX_MSG];
    check_packet(data, size);
    size_t n = synth_packet(data, size, packet);
    if (n)
        check_packet(packet, n);

    /* packets: [u16 length][bytes] ... through a socket pair */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
        return 0;
    size_t pos = 0;
    int packets = 0;
    while (pos + 2 <= size && packets < 64) {
        size_t len = (size_t)(data[pos] | data[pos + 1] << 8) % (HK_PROTO_MAX_MSG + 64);
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        if (len == 0)
            continue; /* the engine never sees empty packets: they read as end of stream */
        if (send(sv[0], data + pos, len, MSG_DONTWAIT) != (ssize_t)len)
            break;
        pos += len;
        packets++;
    }
    close(sv[0]);
    for (int i = 0; i <= packets; i++) {
        struct hk_msg m;
        int fd = -1;
        int r = hk_proto_recv(sv[1], &m, &fd);
        if (fd >= 0)
            abort(); /* nobody sent a descriptor */
        if (r == HK_PROTO_EOF)
            break;
        if (r == HK_PROTO_AGAIN)
            abort(); /* every packet was queued before the close */
    }
    close(sv[1]);
    return 0;
}
