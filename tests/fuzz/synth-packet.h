/* Shared by the two protocol fuzz targets (engine side and app side). */
#ifndef HK_FUZZ_SYNTH_PACKET_H
#define HK_FUZZ_SYNTH_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hako/protocol.h"

/* Builds a packet with a valid header around fuzz bytes, so random inputs reach the payload
 * checks of every type: [type index][flag bit][payload...]. Returns the packet length. */
static inline size_t synth_packet(const uint8_t *data, size_t size, uint8_t *out)
{
    static const uint16_t types[] = {
        HK_MSG_HELLO,       HK_CMD_START,        HK_CMD_PAUSE,       HK_CMD_RESUME,
        HK_CMD_RESET,       HK_CMD_POWER_BUTTON, HK_CMD_POWER_OFF,   HK_CMD_KEY,
        HK_CMD_POINTER_ABS, HK_CMD_POINTER_REL,  HK_CMD_CD_CHANGE,   HK_CMD_CD_EJECT,
        HK_CMD_SCREENSHOT,  HK_CMD_SERIAL_INPUT, HK_CMD_DISPLAY_ACK, HK_EV_STATE,
        HK_EV_SCANOUT,      HK_EV_DAMAGE,        HK_EV_POINTER_MODE, HK_EV_SERIAL,
        HK_EV_FACT,         HK_EV_RESULT,        HK_CMD_NET_LINK,    HK_EV_NET,
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

#endif
