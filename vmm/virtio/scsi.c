#include "scsi.h"

#include <stdlib.h>
#include <string.h>

#include "hako/bytes.h"
#include "../core/vm.h"

#define CTRL_QUEUE  0
#define EVENT_QUEUE 1
#define REQ_QUEUE   2

#define T_TMF          0
#define T_AN_QUERY     1
#define T_AN_SUBSCRIBE 2

bool hk_vscsi_decode_lun(const uint8_t *l, uint32_t *lun)
{
    if (l[0] != 1 || l[1] != 0)
        return false;
    uint8_t method = l[2] >> 6;
    bool rest_zero = !l[4] && !l[5] && !l[6] && !l[7];
    if ((method == 0 || method == 1) && rest_zero)
        *lun = (uint32_t)((l[2] & 0x3F) << 8 | l[3]);
    else
        *lun = 0xFFFFFFFFu;
    return true;
}

static void nolun_reply(struct hk_scsi_cmd *c, const uint8_t *buf, size_t len, uint32_t alloc)
{
    size_t n = len < alloc ? len : alloc;
    c->want_len = n;
    size_t done = 0;
    for (unsigned i = 0; i < c->ndin && done < n && done < c->din_len; i++) {
        size_t k = c->din[i].iov_len;
        if (k > n - done)
            k = n - done;
        memcpy(c->din[i].iov_base, buf + done, k);
        done += k;
    }
    c->data_len = done;
}

void hk_vscsi_exec(struct hk_virtio_scsi *s, uint32_t lun, struct hk_scsi_cmd *c)
{
    if (lun == 0) {
        hk_cdrom_exec(&s->cd, c);
        return;
    }
    /* target 0 without this logical unit (SPC-3 §6.4.2 peripheral qualifier 011b) */
    c->status = HK_SCSI_GOOD;
    c->sense_len = 0;
    c->data_len = c->want_len = 0;
    uint8_t op = c->cdb_len ? c->cdb[0] : 0xFF;
    uint8_t b[36];
    memset(b, 0, sizeof(b));
    if (op == 0x12 && c->cdb_len >= 6 && !(c->cdb[1] & 3)) {
        b[0] = 0x7F;
        b[2] = 0x05;
        b[3] = 0x02;
        b[4] = 31;
        nolun_reply(c, b, 36, (uint32_t)(c->cdb[3] << 8 | c->cdb[4]));
    } else if (op == 0x03 && c->cdb_len >= 6) {
        hk_scsi_sense(b, HK_SK_ILLEGAL_REQUEST, 0x25, 0x00);
        nolun_reply(c, b, HK_SENSE_LEN, c->cdb[4]);
    } else if (op == 0xA0 && c->cdb_len >= 12) {
        b[3] = 8;
        nolun_reply(c, b, 16,
                    (uint32_t)c->cdb[6] << 24 | (uint32_t)c->cdb[7] << 16 | c->cdb[8] << 8 |
                        c->cdb[9]);
    } else {
        c->status = HK_SCSI_CHECK_CONDITION;
        hk_scsi_sense(c->sense, HK_SK_ILLEGAL_REQUEST, 0x25, 0x00); /* LU NOT SUPPORTED */
        c->sense_len = HK_SENSE_LEN;
    }
}

static void do_request(struct hk_virtio_scsi *s, struct hk_virtq_elem *e)
{
    uint32_t cdb_size = __atomic_load_n(&s->cdb_size, __ATOMIC_RELAXED);
    uint32_t sense_size = __atomic_load_n(&s->sense_size, __ATOMIC_RELAXED);
    size_t req_size = 19 + cdb_size, resp_size = 12 + sense_size;
    if (e->out_len < req_size || e->in_len < resp_size) {
        hk_virtio_fail(&s->t, REQ_QUEUE,
                       e->out_len < req_size ? "request header too short"
                                             : "response header too short");
        return;
    }
    uint8_t req[19 + HK_SCSI_MAX_CDB];
    hk_iov_to_buf(e->iov, e->nout, 0, req, req_size);
    uint8_t resp[12 + HK_SCSI_MAX_SENSE];
    memset(resp, 0, resp_size);
    uint32_t lun;
    uint32_t written = (uint32_t)resp_size;
    if (!hk_vscsi_decode_lun(req, &lun)) {
        resp[11] = HK_VSCSI_S_BAD_TARGET;
    } else {
        struct iovec din[HK_VIRTQ_MAX_SEGS];
        size_t din_len = 0;
        unsigned ndin = hk_iov_slice(e->iov + e->nout, e->nin, resp_size, e->in_len - resp_size,
                                     din, HK_VIRTQ_MAX_SEGS, &din_len);
        struct hk_scsi_cmd c = {
            .cdb = req + 19,
            .cdb_len = cdb_size,
            .din = din,
            .ndin = ndin,
            .din_len = din_len,
            .dout_len = e->out_len - req_size,
        };
        hk_vscsi_exec(s, lun, &c);
        s->commands++;
        uint32_t sl = c.sense_len < sense_size ? c.sense_len : sense_size;
        hk_put_le(resp, sl, 4);
        hk_put_le(resp + 4, din_len > c.data_len ? din_len - c.data_len : 0, 4); /* residual */
        resp[10] = c.status;
        resp[11] = c.want_len > din_len ? HK_VSCSI_S_OVERRUN : HK_VSCSI_S_OK;
        memcpy(resp + 12, c.sense, sl);
        uint64_t total = written + c.data_len; /* used.len is 32-bit */
        written = total < UINT32_MAX ? (uint32_t)total : UINT32_MAX;
    }
    hk_iov_from_buf(e->iov + e->nout, e->nin, 0, resp, resp_size);
    hk_virtio_push(&s->t, REQ_QUEUE, e->head, written);
}

static void do_control(struct hk_virtio_scsi *s, struct hk_virtq_elem *e)
{
    uint8_t req[24];
    memset(req, 0, sizeof(req));
    size_t n = hk_iov_to_buf(e->iov, e->nout, 0, req, sizeof(req));
    uint32_t type = n >= 4 ? hk_le32(req) : 0xFFFFFFFFu;
    struct iovec *in = e->iov + e->nout;
    if (type == T_TMF && n >= 24 && e->in_len >= 1) {
        uint32_t subtype = hk_le32(req + 4);
        uint32_t lun;
        uint8_t r = HK_VSCSI_S_OK; /* function complete: nothing is ever in flight */
        if (!hk_vscsi_decode_lun(req + 8, &lun)) {
            r = HK_VSCSI_S_BAD_TARGET;
        } else if (subtype == 3 || subtype == 4 || subtype == 5) {
            /* clear task set, I_T nexus reset, logical unit reset */
            if (lun == 0)
                hk_cdrom_reset(&s->cd);
            r = lun == 0 ? HK_VSCSI_S_FUNCTION_SUCCEEDED : HK_VSCSI_S_INCORRECT_LUN;
        } else if (subtype > 7) {
            r = HK_VSCSI_S_FUNCTION_REJECTED;
        }
        hk_iov_from_buf(in, e->nin, 0, &r, 1);
        hk_virtio_push(&s->t, CTRL_QUEUE, e->head, 1);
    } else if ((type == T_AN_QUERY || type == T_AN_SUBSCRIBE) && n >= 16 && e->in_len >= 5) {
        uint8_t r[5] = {0, 0, 0, 0, HK_VSCSI_S_OK}; /* event_actual 0: no notifications */
        uint32_t lun;
        if (!hk_vscsi_decode_lun(req + 4, &lun))
            r[4] = HK_VSCSI_S_BAD_TARGET;
        hk_iov_from_buf(in, e->nin, 0, r, 5);
        hk_virtio_push(&s->t, CTRL_QUEUE, e->head, 5);
    } else {
        hk_virtio_fail(&s->t, CTRL_QUEUE, "malformed control request");
    }
}

static void scsi_process(void *opaque, unsigned qi)
{
    struct hk_virtio_scsi *s = opaque;
    struct hk_virtq_elem *e = s->elem;
    if (qi == EVENT_QUEUE)
        return; /* buffers wait for events; none are generated (no hotplug, no AN) */
    while (hk_virtio_pop(&s->t, qi, e) == 1) {
        if (qi == CTRL_QUEUE)
            do_control(s, e);
        else
            do_request(s, e);
        if (!hk_virtio_checkpoint(&s->t))
            return;
    }
}

static uint64_t scsi_cfg_read(void *opaque, unsigned off, unsigned size)
{
    struct hk_virtio_scsi *s = opaque;
    uint8_t c[HK_SCSI_CFG_SIZE];
    memset(c, 0, sizeof(c));
    hk_put_le(c + 0x00, 1, 4);                     /* num_queues */
    hk_put_le(c + 0x04, HK_VIRTQ_MAX_SEGS - 2, 4); /* seg_max */
    hk_put_le(c + 0x08, 0xFFFF, 4);                /* max_sectors */
    hk_put_le(c + 0x0C, 128, 4);                   /* cmd_per_lun */
    hk_put_le(c + 0x10, 16, 4);                    /* event_info_size */
    hk_put_le(c + 0x14, __atomic_load_n(&s->sense_size, __ATOMIC_RELAXED), 4);
    hk_put_le(c + 0x18, __atomic_load_n(&s->cdb_size, __ATOMIC_RELAXED), 4);
    /* max_channel 0, max_target 0, max_lun 0 */
    uint64_t v = 0;
    for (unsigned i = 0; i < size && off + i < sizeof(c); i++)
        v |= (uint64_t)c[off + i] << (8 * i);
    return v;
}

static void scsi_cfg_write(void *opaque, unsigned off, uint64_t val, unsigned size)
{
    struct hk_virtio_scsi *s = opaque;
    /* only sense_size and cdb_size are writable, as whole dwords */
    if (size != 4)
        return;
    uint32_t v = (uint32_t)val;
    if (off == 0x14 && v <= HK_SCSI_MAX_SENSE)
        __atomic_store_n(&s->sense_size, v, __ATOMIC_RELAXED);
    else if (off == 0x18 && v <= HK_SCSI_MAX_CDB)
        __atomic_store_n(&s->cdb_size, v, __ATOMIC_RELAXED);
}

static void scsi_reset(void *opaque)
{
    struct hk_virtio_scsi *s = opaque;
    __atomic_store_n(&s->cdb_size, HK_SCSI_DEFAULT_CDB, __ATOMIC_RELAXED);
    __atomic_store_n(&s->sense_size, HK_SCSI_DEFAULT_SENSE, __ATOMIC_RELAXED);
    hk_cdrom_reset(&s->cd);
}

static const struct hk_virtio_ops scsi_ops = {
    .cfg_read = scsi_cfg_read,
    .cfg_write = scsi_cfg_write,
    .process = scsi_process,
    .reset = scsi_reset,
};

int hk_virtio_scsi_init(struct hk_virtio_scsi *s, struct hk_vm *vm)
{
    memset(s, 0, sizeof(*s));
    s->vm = vm;
    s->cdb_size = HK_SCSI_DEFAULT_CDB;
    s->sense_size = HK_SCSI_DEFAULT_SENSE;
    hk_cdrom_init(&s->cd, &vm->facts, vm->log);
    s->elem = malloc(sizeof(*s->elem));
    /* queues of 256 and HOTPLUG + CHANGE offered, as QEMU's virtio-scsi (drivers are tested
     * against that); no events are ever generated for them: one fixed target, and a disc change
     * reaches the guest as a unit attention */
    const uint16_t qs[3] = {256, 256, 256};
    if (!s->elem || hk_virtio_pci_init(&s->t, vm, "virtio-scsi", 8, 0x010000,
                                       HK_VSCSI_F_HOTPLUG | HK_VSCSI_F_CHANGE |
                                           HK_VIRTIO_F_INDIRECT_DESC | HK_VIRTIO_F_EVENT_IDX,
                                       HK_SCSI_CFG_SIZE, 3, qs, &scsi_ops, s) < 0) {
        hk_err(vm->log, "cannot set up virtio-scsi");
        hk_virtio_scsi_destroy(s);
        return -1;
    }
    return 0;
}

int hk_virtio_scsi_register(struct hk_virtio_scsi *s, struct hk_pci_host *host, uint8_t devfn)
{
    return hk_virtio_pci_register(&s->t, host, devfn);
}

void hk_virtio_scsi_destroy(struct hk_virtio_scsi *s)
{
    hk_virtio_pci_destroy(&s->t);
    if (s->vm)
        hk_cdrom_destroy(&s->cd);
    free(s->elem);
    s->elem = NULL;
    s->vm = NULL;
}
