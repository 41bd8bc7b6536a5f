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
#include "synth-packet.h"

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
