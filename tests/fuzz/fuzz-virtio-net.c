/* Fuzz target: the virtio-net card against a hostile guest and a hostile stream from "passt".
 * The input picks the features the driver negotiates (mergeable buffers, EVENT_IDX, indirect
 * descriptors), the queue sizes and what happens meanwhile (a reset, the cable pulled, passt
 * gone); then one part of it becomes guest RAM (descriptor tables, both rings and their indices,
 * the buffers and their virtio_net_hdr) and the rest is what arrives on the frame socket (length
 * prefixes included, so frames of any length, truncated ones, a broken framing). The card must
 * neither crash nor touch memory outside guest RAM (ASan), whatever it is given. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pci.h"
#include "core/vm.h"
#include "virtio/net.h"

#define RAM_SIZE 0x10000u
#define BAR      0xE0000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void wr(struct hk_vm *vm, uint64_t off, unsigned size, uint64_t v)
{
    hk_bus_write(&vm->mmio, BAR + off, size, v);
}

static void queue(struct hk_vm *vm, unsigned q, uint16_t qsize, uint32_t desc, uint32_t avail,
                  uint32_t used)
{
    wr(vm, 0x16, 2, q);
    wr(vm, 0x18, 2, qsize);
    wr(vm, 0x20, 4, desc);
    wr(vm, 0x28, 4, avail);
    wr(vm, 0x30, 4, used);
    wr(vm, 0x1C, 2, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6)
        return 0;
    uint8_t feat = data[0], qs = data[1], events = data[2];
    size_t stream_len = (size_t)data[3] << 8 | data[4];
    uint16_t mtu = (uint16_t)(1280 + (data[5] % 8) * 1000);
    data += 6;
    size -= 6;
    if (stream_len > size)
        stream_len = size;
    const uint8_t *ram_src = data + stream_len;
    size_t ram_len = size - stream_len;

    struct hk_log log;
    hk_log_init(&log, NULL, HK_LOG_ERROR);
    struct hk_vm vm;
    hk_vm_init_nokvm(&vm, &log, NULL);
    uint8_t *ram = calloc(1, RAM_SIZE);
    hk_vm_map(&vm, 0, RAM_SIZE, ram, 0, "ram");
    memcpy(ram, ram_src, ram_len < RAM_SIZE ? ram_len : RAM_SIZE);
    if (!(feat & 0x80)) {
        /* mostly plausible rings, so that random inputs get past the index checks: indices
         * within one queue's worth, buffers inside RAM with modest lengths */
        for (unsigned q = 0; q < 2; q++) {
            uint8_t *av = ram + (q ? 0x3000 : 0x1000);
            av[2] %= 9;
            av[3] = 0;
            struct hk_vring_desc *d = (struct hk_vring_desc *)(ram + (q ? 0x2000 : 0x0000));
            for (unsigned i = 0; i < 16; i++) {
                d[i].addr = 0x4000 + (d[i].addr % (RAM_SIZE - 0x4000));
                d[i].len %= 0x3000;
            }
        }
    }
    struct hk_pci_host host;
    hk_pci_host_init(&host, &vm);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    struct hk_virtio_net *n = calloc(1, sizeof(*n));
    struct hk_virtio_net_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mtu = mtu;
    cfg.passt.fd = sv[1];
    if (hk_virtio_net_init(n, &vm, &cfg) < 0)
        abort();
    hk_virtio_net_register(n, &host, 0x60);
    hk_virtio_net_start_backend(n);
    hk_pci_cfg_write(&host, 0x60, 0x20, 4, (uint32_t)BAR);
    hk_pci_cfg_write(&host, 0x60, 0x04, 2, 0x0006);

    /* the driver */
    uint64_t f = HK_VIRTIO_F_VERSION_1 | HK_NET_F_MAC | HK_NET_F_STATUS;
    if (feat & 1)
        f |= HK_NET_F_MRG_RXBUF;
    if (feat & 2)
        f |= HK_VIRTIO_F_EVENT_IDX;
    if (feat & 4)
        f |= HK_VIRTIO_F_INDIRECT_DESC;
    if (feat & 8)
        f |= HK_NET_F_MTU;
    wr(&vm, 0x14, 1, 3);
    wr(&vm, 0x08, 4, 0);
    wr(&vm, 0x0C, 4, (uint32_t)f);
    wr(&vm, 0x08, 4, 1);
    wr(&vm, 0x0C, 4, (uint32_t)(f >> 32));
    wr(&vm, 0x14, 1, 0x0B);
    /* sizes up to 256, sometimes not a power of two or above the maximum */
    uint16_t rxq = (uint16_t)(1u << (qs & 7)), txq = (uint16_t)(1u << ((qs >> 3) & 7));
    if (qs & 0x40)
        rxq = (uint16_t)(rxq + 3);
    if (qs & 0x80)
        txq = 512;
    queue(&vm, 0, rxq, 0x0000, 0x1000, 0x1800);
    queue(&vm, 1, txq, 0x2000, 0x3000, 0x3800);
    wr(&vm, 0x14, 1, 0x0F);

    /* what passt sends */
    size_t sent = 0;
    while (sent < stream_len) {
        ssize_t w = send(sv[0], data + sent, stream_len - sent, MSG_DONTWAIT);
        if (w <= 0)
            break;
        sent += (size_t)w;
    }
    if (events & 1)
        hk_virtio_net_set_link(n, false);
    for (int round = 0; round < 4; round++) {
        wr(&vm, HK_VIRTIO_NOTIFY_OFF, 2, 0);
        wr(&vm, HK_VIRTIO_NOTIFY_OFF + HK_VIRTIO_NOTIFY_MULT, 2, 1);
        hk_virtio_pci_poll(&n->t);
        if (round == 1 && (events & 2)) {
            /* the driver resets and sets the card up again with the same rings */
            wr(&vm, 0x14, 1, 0);
            wr(&vm, 0x14, 1, 3);
            wr(&vm, 0x08, 4, 1);
            wr(&vm, 0x0C, 4, 1);
            wr(&vm, 0x14, 1, 0x0B);
            queue(&vm, 0, rxq, 0x0000, 0x1000, 0x1800);
            queue(&vm, 1, txq, 0x2000, 0x3000, 0x3800);
            wr(&vm, 0x14, 1, 0x0F);
        }
        if (round == 2 && (events & 4)) {
            close(sv[0]); /* passt is gone */
            sv[0] = -1;
        }
        /* frames the guest sent: drain them so the socket never fills */
        uint8_t sink[65536];
        while (sv[0] >= 0 && recv(sv[0], sink, sizeof(sink), MSG_DONTWAIT) > 0) {
        }
    }
    hk_virtio_net_destroy(n);
    free(n);
    if (sv[0] >= 0)
        close(sv[0]);
    hk_pci_host_destroy(&host);
    hk_vm_destroy(&vm);
    hk_log_destroy(&log);
    free(ram);
    return 0;
}
