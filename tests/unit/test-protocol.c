/* The control protocol codec (hako/protocol.h): byte-exact layouts, round trips of every message,
 * rejection of malformed packets, descriptor passing over a real SOCK_SEQPACKET pair, and damage
 * merging. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "hako/protocol.h"

static int roundtrip(const struct hk_msg *in, struct hk_msg *out)
{
    uint8_t buf[HK_PROTO_MAX_MSG];
    int n = hk_proto_encode(in, buf, sizeof(buf));
    if (n < 0)
        return n;
    return hk_proto_decode(buf, (size_t)n, out);
}

static void test_key_layout(void)
{
    struct hk_msg m = {.type = HK_CMD_KEY};
    m.u.key.code = 0x1E; /* KEY_A */
    m.u.key.down = true;
    uint8_t buf[64];
    int n = hk_proto_encode(&m, buf, sizeof(buf));
    static const uint8_t want[] = {0x07, 0x01, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
                                   0x1E, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
    CHECK_EQ(n, sizeof(want));
    CHECK(memcmp(buf, want, sizeof(want)) == 0);
    struct hk_msg out;
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &out), HK_PROTO_OK);
    CHECK_EQ(out.type, HK_CMD_KEY);
    CHECK_EQ(out.u.key.code, 0x1E);
    CHECK(out.u.key.down);
}

static void test_hello_layout(void)
{
    struct hk_msg m = {.type = HK_MSG_HELLO};
    m.u.hello.magic = HK_PROTO_MAGIC;
    m.u.hello.version = HK_PROTO_VERSION;
    m.u.hello.pid = 0x01020304;
    uint8_t buf[64];
    int n = hk_proto_encode(&m, buf, sizeof(buf));
    CHECK_EQ(n, 20);
    CHECK(memcmp(buf + 8, "HAKO", 4) == 0);
    CHECK_EQ(buf[12], HK_PROTO_VERSION);
    CHECK_EQ(buf[16], 0x04);
    CHECK_EQ(buf[19], 0x01);
}

static void test_roundtrips(void)
{
    struct hk_msg in, out;

    memset(&in, 0, sizeof(in));
    in.type = HK_CMD_POINTER_ABS;
    in.u.pointer = (struct hk_msg_pointer){0xFFFF, 0x1234, -3, 0x15};
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.pointer.x, 0xFFFF);
    CHECK_EQ(out.u.pointer.y, 0x1234);
    CHECK_EQ(out.u.pointer.dz, -3);
    CHECK_EQ(out.u.pointer.buttons, 0x15);

    memset(&in, 0, sizeof(in));
    in.type = HK_CMD_POINTER_REL;
    in.u.pointer = (struct hk_msg_pointer){-200, 17, 1, 1};
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.pointer.x, -200);
    CHECK_EQ(out.u.pointer.y, 17);

    memset(&in, 0, sizeof(in));
    in.type = HK_CMD_SCREENSHOT;
    in.u.path.id = 42;
    strcpy(in.u.path.path, "/tmp/shot é.png");
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.path.id, 42);
    CHECK_STR(out.u.path.path, "/tmp/shot é.png");

    memset(&in, 0, sizeof(in));
    in.type = HK_CMD_SERIAL_INPUT;
    in.u.bytes.len = 3;
    memcpy(in.u.bytes.data, "a\0b", 3);
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.bytes.len, 3);
    CHECK(memcmp(out.u.bytes.data, "a\0b", 3) == 0);

    memset(&in, 0, sizeof(in));
    in.type = HK_EV_STATE;
    in.u.state.state = HK_STATE_STOPPED;
    in.u.state.exit_code = 3;
    strcpy(in.u.state.reason, "KVM internal error");
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.state.state, HK_STATE_STOPPED);
    CHECK_EQ(out.u.state.exit_code, 3);
    CHECK_STR(out.u.state.reason, "KVM internal error");

    memset(&in, 0, sizeof(in));
    in.type = HK_EV_SCANOUT;
    in.flags = HK_MSG_FLAG_FD;
    in.u.scanout = (struct hk_msg_scanout){HK_FORMAT_XRGB8888, 1280, 800, 5120, 0, 16u << 20};
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.flags, HK_MSG_FLAG_FD);
    CHECK_EQ(out.u.scanout.width, 1280);
    CHECK_EQ(out.u.scanout.stride, 5120);
    CHECK_EQ(out.u.scanout.vram_size, 16u << 20);

    memset(&in, 0, sizeof(in));
    in.type = HK_EV_DAMAGE;
    in.u.damage.seq = 7;
    in.u.damage.count = 2;
    in.u.damage.r[0] = (struct hk_row_range){0, 16};
    in.u.damage.r[1] = (struct hk_row_range){700, 800};
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.damage.seq, 7);
    CHECK_EQ(out.u.damage.count, 2);
    CHECK_EQ(out.u.damage.r[1].y0, 700);
    CHECK_EQ(out.u.damage.r[1].y1, 800);

    memset(&in, 0, sizeof(in));
    in.type = HK_EV_FACT;
    in.u.fact.t_ns = 1500000000ull;
    in.u.fact.kind = HK_FACT_MODE_SET;
    in.u.fact.seq = 9;
    in.u.fact.a = 1024;
    in.u.fact.b = 768;
    in.u.fact.c = -1;
    strcpy(in.u.fact.text, "GOP mode set 1024x768");
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.fact.t_ns, 1500000000ull);
    CHECK_EQ(out.u.fact.kind, HK_FACT_MODE_SET);
    CHECK_EQ(out.u.fact.c, (uint64_t)-1);
    CHECK_STR(out.u.fact.text, "GOP mode set 1024x768");

    memset(&in, 0, sizeof(in));
    in.type = HK_EV_RESULT;
    in.u.result.command = HK_CMD_CD_CHANGE;
    in.u.result.status = -ENOENT;
    strcpy(in.u.result.message, "no such file");
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.result.command, HK_CMD_CD_CHANGE);
    CHECK_EQ(out.u.result.status, -ENOENT);

    /* the network card: the cable, and the counters */
    memset(&in, 0, sizeof(in));
    in.type = HK_CMD_NET_LINK;
    in.u.link_up = true;
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK(out.u.link_up);
    CHECK(hk_proto_is_command(HK_CMD_NET_LINK));
    CHECK_STR(hk_proto_type_name(HK_CMD_NET_LINK), "net-link");
    memset(&in, 0, sizeof(in));
    in.type = HK_EV_NET;
    in.u.net.flags = HK_NET_EV_LINK_UP | HK_NET_EV_BACKEND;
    in.u.net.rx_frames = 10;
    in.u.net.rx_bytes = 1ull << 40;
    in.u.net.tx_frames = 3;
    in.u.net.tx_bytes = 999;
    in.u.net.rx_dropped = 2;
    in.u.net.tx_dropped = 1;
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.net.flags, HK_NET_EV_LINK_UP | HK_NET_EV_BACKEND);
    CHECK_EQ(out.u.net.rx_bytes, 1ull << 40);
    CHECK_EQ(out.u.net.tx_dropped, 1);
    CHECK(hk_proto_is_event(HK_EV_NET));
    in.u.net.flags = 0x10; /* unknown flag */
    uint8_t nb[128];
    CHECK_EQ(hk_proto_encode(&in, nb, sizeof(nb)), HK_PROTO_EVALUE);
    {
        /* decoding refuses a link value other than 0/1, and unknown flags */
        uint8_t pk[12] = {0x0F, 0x01, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0};
        CHECK_EQ(hk_proto_decode(pk, sizeof(pk), &out), HK_PROTO_EVALUE);
        pk[8] = 1;
        CHECK_EQ(hk_proto_decode(pk, sizeof(pk), &out), HK_PROTO_OK);
        CHECK_EQ(hk_proto_decode(pk, 11, &out), HK_PROTO_ELENGTH);
    }

    static const uint16_t empty[] = {HK_CMD_START,       HK_CMD_PAUSE,     HK_CMD_RESUME,
                                     HK_CMD_RESET,       HK_CMD_POWER_OFF, HK_CMD_CD_EJECT,
                                     HK_CMD_POWER_BUTTON};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        memset(&in, 0, sizeof(in));
        in.type = empty[i];
        uint8_t buf[16];
        CHECK_EQ(hk_proto_encode(&in, buf, sizeof(buf)), HK_PROTO_HEADER_SIZE);
        CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
        CHECK_EQ(out.type, empty[i]);
        CHECK(hk_proto_is_command(empty[i]));
        CHECK(!hk_proto_is_event(empty[i]));
    }
}

/* Facts carry typed fields: flags and two paths of up to HK_FACT_PATH_MAX - 1 bytes each, whole
 * (they used to travel inside a 119-byte text). */
static void test_fact_fields(void)
{
    static struct hk_msg in, out;
    memset(&in, 0, sizeof(in));
    in.type = HK_EV_FACT;
    in.u.fact.kind = HK_FACT_FIRMWARE_REFUSED;
    in.u.fact.a = HK_FW_PROBLEM_MISMATCH;
    in.u.fact.flags = 0x80000001u;
    memset(in.u.fact.text, 't', HK_FACT_TEXT_MAX - 1);
    memset(in.u.fact.path[0], 'c', HK_FACT_PATH_MAX - 1);
    in.u.fact.path[0][0] = '/';
    strcpy(in.u.fact.path[1], "/usr/share/OVMF/OVMF_VARS_4M.fd");
    uint8_t buf[HK_PROTO_MAX_MSG];
    int n = hk_proto_encode(&in, buf, sizeof(buf));
    CHECK(n > 0);
    /* fixed fields, flags, the four lengths, then the bytes */
    CHECK_EQ(buf[8 + 40], 0x01);
    CHECK_EQ(buf[8 + 43], 0x80);
    CHECK_EQ(buf[8 + 44] | buf[8 + 45] << 8, HK_FACT_TEXT_MAX - 1);
    CHECK_EQ(buf[8 + 46] | buf[8 + 47] << 8, HK_FACT_PATH_MAX - 1);
    CHECK_EQ(buf[8 + 48] | buf[8 + 49] << 8, 31);
    CHECK_EQ(buf[8 + 50] | buf[8 + 51] << 8, 0);
    CHECK_EQ(n, 8 + 52 + HK_FACT_TEXT_MAX - 1 + HK_FACT_PATH_MAX - 1 + 31);
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.fact.flags, 0x80000001u);
    CHECK_STR(out.u.fact.text, in.u.fact.text);
    CHECK_STR(out.u.fact.path[0], in.u.fact.path[0]);
    CHECK_STR(out.u.fact.path[1], "/usr/share/OVMF/OVMF_VARS_4M.fd");
    CHECK_EQ(out.u.fact.insn_len, 0);
    /* lengths that do not add up to the packet */
    uint8_t bad[HK_PROTO_MAX_MSG];
    memcpy(bad, buf, (size_t)n);
    bad[8 + 48] = 30;
    CHECK_EQ(hk_proto_decode(bad, (size_t)n, &out), HK_PROTO_ELENGTH);
    /* a path longer than the field (the lengths made to add up) */
    memset(&in.u.fact.path[1], 0, sizeof(in.u.fact.path[1]));
    memset(in.u.fact.text, 0, sizeof(in.u.fact.text));
    n = hk_proto_encode(&in, buf, sizeof(buf));
    CHECK(n > 0);
    memcpy(bad, buf, (size_t)n);
    bad[8 + 46] = (uint8_t)HK_FACT_PATH_MAX;
    bad[8 + 47] = (uint8_t)(HK_FACT_PATH_MAX >> 8);
    memcpy(bad + n, "x", 1);
    bad[4] = (uint8_t)(n + 1 - 8);
    bad[5] = (uint8_t)((n + 1 - 8) >> 8);
    CHECK_EQ(hk_proto_decode(bad, (size_t)n + 1, &out), HK_PROTO_ESTRING);
    /* a NUL inside a path */
    memcpy(bad, buf, (size_t)n);
    bad[8 + 52 + 5] = 0;
    CHECK_EQ(hk_proto_decode(bad, (size_t)n, &out), HK_PROTO_ESTRING);
    /* an unterminated path is refused when encoding, never cut */
    memset(in.u.fact.path[1], 'v', sizeof(in.u.fact.path[1]));
    CHECK_EQ(hk_proto_encode(&in, buf, sizeof(buf)), HK_PROTO_ESTRING);
}

/* An internal error's instruction bytes travel as bytes (protocol version 3), after the text and
 * the paths; the app used to read them back out of the fact's hex text. */
static void test_fact_insn(void)
{
    static struct hk_msg in, out;
    memset(&in, 0, sizeof(in));
    in.type = HK_EV_FACT;
    in.u.fact.kind = HK_FACT_INTERNAL_ERROR;
    in.u.fact.a = 1;
    in.u.fact.b = 0xfffced45;
    in.u.fact.c = 0;
    strcpy(in.u.fact.text, "9b db e3");
    strcpy(in.u.fact.path[0], "/p");
    static const uint8_t fninit[HK_FACT_INSN_MAX] = {0x9b, 0xdb, 0xe3, 0xd9, 0x2d, 0x74,
                                                     0xed, 0xfc, 0xff, 0xb8, 0x01, 0x00,
                                                     0x00, 0x00, 0x0f, 0xa2};
    memcpy(in.u.fact.insn, fninit, sizeof(fninit));
    in.u.fact.insn_len = HK_FACT_INSN_MAX;
    uint8_t buf[HK_PROTO_MAX_MSG];
    int n = hk_proto_encode(&in, buf, sizeof(buf));
    CHECK_EQ(HK_PROTO_VERSION, 3);
    CHECK_EQ(n, 8 + 52 + 8 + 2 + HK_FACT_INSN_MAX);
    CHECK_EQ(buf[8 + 50] | buf[8 + 51] << 8, HK_FACT_INSN_MAX);
    CHECK(memcmp(buf + 8 + 52 + 8 + 2, fninit, sizeof(fninit)) == 0);
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.fact.insn_len, HK_FACT_INSN_MAX);
    CHECK(memcmp(out.u.fact.insn, fninit, sizeof(fninit)) == 0);
    CHECK_STR(out.u.fact.text, "9b db e3");
    CHECK_STR(out.u.fact.path[0], "/p");
    /* zero bytes (unreadable) are zero bytes */
    in.u.fact.insn_len = 0;
    CHECK_EQ(roundtrip(&in, &out), HK_PROTO_OK);
    CHECK_EQ(out.u.fact.insn_len, 0);
    /* more than the field holds: refused both ways */
    in.u.fact.insn_len = HK_FACT_INSN_MAX + 1;
    CHECK_EQ(hk_proto_encode(&in, buf, sizeof(buf)), HK_PROTO_EVALUE);
    in.u.fact.insn_len = HK_FACT_INSN_MAX;
    n = hk_proto_encode(&in, buf, sizeof(buf));
    uint8_t bad[HK_PROTO_MAX_MSG];
    memcpy(bad, buf, (size_t)n);
    bad[n] = 0x90;
    bad[8 + 50] = HK_FACT_INSN_MAX + 1;
    bad[4] = (uint8_t)(n + 1 - 8);
    CHECK_EQ(hk_proto_decode(bad, (size_t)n + 1, &out), HK_PROTO_EVALUE);
}

static void test_rejects(void)
{
    struct hk_msg m;
    uint8_t buf[HK_PROTO_MAX_MSG + 8];
    memset(buf, 0, sizeof(buf));

    /* too short for a header */
    CHECK_EQ(hk_proto_decode(buf, 7, &m), HK_PROTO_ETRUNC);
    /* unknown type */
    buf[0] = 0x99;
    CHECK_EQ(hk_proto_decode(buf, 8, &m), HK_PROTO_ETYPE);
    /* header length disagrees with the packet */
    struct hk_msg key = {.type = HK_CMD_KEY};
    key.u.key.code = 1;
    int n = hk_proto_encode(&key, buf, sizeof(buf));
    CHECK_EQ(hk_proto_decode(buf, (size_t)n - 1, &m), HK_PROTO_ELENGTH);
    buf[4] = 4; /* claims 4 payload bytes: the key fields are missing */
    CHECK_EQ(hk_proto_decode(buf, 12, &m), HK_PROTO_ETRUNC);
    buf[4] = 8;
    /* values out of range */
    buf[12] = 2; /* down must be 0 or 1 */
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &m), HK_PROTO_EVALUE);
    buf[12] = 1;
    buf[9] = 0x03; /* code 0x301 > KEY_MAX */
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &m), HK_PROTO_EVALUE);
    buf[9] = 0;
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &m), HK_PROTO_OK);
    /* an fd flag on a key */
    buf[2] = HK_MSG_FLAG_FD;
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &m), HK_PROTO_EFLAGS);
    buf[2] = 0x80;
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &m), HK_PROTO_EFLAGS);
    buf[2] = 0;
    /* trailing garbage after fixed fields */
    buf[4] = 9;
    CHECK_EQ(hk_proto_decode(buf, (size_t)n + 1, &m), HK_PROTO_ELENGTH);
    /* larger than any packet */
    CHECK_EQ(hk_proto_decode(buf, HK_PROTO_MAX_MSG + 1, &m), HK_PROTO_ELENGTH);

    /* a path with a NUL inside, and an empty path */
    struct hk_msg cd = {.type = HK_CMD_CD_CHANGE};
    strcpy(cd.u.path.path, "/a.iso");
    n = hk_proto_encode(&cd, buf, sizeof(buf));
    buf[n - 2] = 0;
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &m), HK_PROTO_ESTRING);
    cd.u.path.path[0] = 0;
    CHECK_EQ(hk_proto_encode(&cd, buf, sizeof(buf)), HK_PROTO_ESTRING);

    /* absolute pointer outside 0..0xFFFF, wheel out of range */
    struct hk_msg p = {.type = HK_CMD_POINTER_ABS};
    p.u.pointer.x = 5;
    n = hk_proto_encode(&p, buf, sizeof(buf));
    buf[10] = 1; /* x = 0x10005 */
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &m), HK_PROTO_EVALUE);
    p.u.pointer.dz = 1000;
    n = hk_proto_encode(&p, buf, sizeof(buf));
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &m), HK_PROTO_EVALUE);

    /* scanout outside VRAM, stride too small, unknown format */
    struct hk_msg s = {.type = HK_EV_SCANOUT};
    s.u.scanout = (struct hk_msg_scanout){HK_FORMAT_XRGB8888, 1280, 800, 5120, 0, 2u << 20};
    CHECK_EQ(roundtrip(&s, &m), HK_PROTO_EVALUE); /* 1280*800*4 > 2 MiB */
    s.u.scanout.vram_size = 16u << 20;
    s.u.scanout.stride = 5116;
    CHECK_EQ(roundtrip(&s, &m), HK_PROTO_EVALUE);
    s.u.scanout.stride = 5120;
    s.u.scanout.offset = (16u << 20) - 5120 * 799;
    CHECK_EQ(roundtrip(&s, &m), HK_PROTO_EVALUE);
    s.u.scanout.offset = (16u << 20) - 5120 * 800;
    CHECK_EQ(roundtrip(&s, &m), HK_PROTO_OK);
    s.u.scanout.offset = UINT64_MAX - 10; /* no wrap-around */
    CHECK_EQ(roundtrip(&s, &m), HK_PROTO_EVALUE);
    s.u.scanout.offset = 0;
    s.u.scanout.format = 9;
    CHECK_EQ(roundtrip(&s, &m), HK_PROTO_EVALUE);
    s.u.scanout = (struct hk_msg_scanout){HK_FORMAT_NONE, 0, 0, 0, 0, 16u << 20};
    CHECK_EQ(roundtrip(&s, &m), HK_PROTO_OK);
    s.u.scanout.width = 5;
    CHECK_EQ(roundtrip(&s, &m), HK_PROTO_EVALUE);

    /* damage: empty ranges, too many, beyond the largest screen */
    struct hk_msg d = {.type = HK_EV_DAMAGE};
    d.u.damage.count = 1;
    d.u.damage.r[0] = (struct hk_row_range){5, 5};
    CHECK_EQ(hk_proto_encode(&d, buf, sizeof(buf)), HK_PROTO_EVALUE);
    d.u.damage.r[0] = (struct hk_row_range){5, 6};
    n = hk_proto_encode(&d, buf, sizeof(buf));
    buf[12] = HK_PROTO_MAX_DAMAGE + 1; /* count */
    CHECK_EQ(hk_proto_decode(buf, (size_t)n, &m), HK_PROTO_EVALUE);
    d.u.damage.r[0] = (struct hk_row_range){0, HK_PROTO_MAX_DIM + 1};
    CHECK_EQ(hk_proto_encode(&d, buf, sizeof(buf)), HK_PROTO_EVALUE);

    /* results carry only command types and non-positive status */
    struct hk_msg r = {.type = HK_EV_RESULT};
    r.u.result.command = HK_EV_STATE;
    CHECK_EQ(roundtrip(&r, &m), HK_PROTO_EVALUE);
    r.u.result.command = HK_CMD_SCREENSHOT;
    r.u.result.status = 1;
    CHECK_EQ(roundtrip(&r, &m), HK_PROTO_EVALUE);

    /* a buffer too small to encode into */
    CHECK_EQ(hk_proto_encode(&key, buf, 10), HK_PROTO_ENOSPC);
    /* a failed decode leaves nothing behind */
    memset(&m, 0xAA, sizeof(m));
    CHECK_EQ(hk_proto_decode(buf, 3, &m), HK_PROTO_ETRUNC);
    CHECK_EQ(m.type, 0);
}

static void test_socket_fd_passing(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    int memfd = memfd_create("vram-test", MFD_CLOEXEC);
    CHECK(memfd >= 0);
    CHECK(ftruncate(memfd, 1 << 20) == 0);
    uint8_t *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    CHECK(p != MAP_FAILED);
    p[4096] = 0x5A;

    struct hk_msg m = {.type = HK_EV_SCANOUT};
    m.u.scanout = (struct hk_msg_scanout){HK_FORMAT_RGB565, 640, 480, 1280, 0, 1 << 20};
    CHECK_EQ(hk_proto_send(sv[0], &m, memfd), HK_PROTO_OK);
    struct hk_msg out;
    int fd = -1;
    CHECK_EQ(hk_proto_recv(sv[1], &out, &fd), HK_PROTO_OK);
    CHECK_EQ(out.type, HK_EV_SCANOUT);
    CHECK(out.flags & HK_MSG_FLAG_FD);
    CHECK(fd >= 0 && fd != memfd);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == (1 << 20));
    uint8_t *q = mmap(NULL, 1 << 20, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(q != MAP_FAILED);
    CHECK_EQ(q[4096], 0x5A);
    p[4096] = 0xA5; /* shared, not copied */
    CHECK_EQ(q[4096], 0xA5);
    munmap(q, 1 << 20);
    close(fd);

    /* an fd on a message that does not announce one is closed, not leaked */
    struct hk_msg k = {.type = HK_CMD_KEY};
    k.u.key.code = 1;
    uint8_t buf[64];
    int n = hk_proto_encode(&k, buf, sizeof(buf));
    struct iovec iov = {buf, (size_t)n};
    union {
        struct cmsghdr align;
        char b[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &memfd, sizeof(int));
    CHECK(sendmsg(sv[0], &mh, 0) == n);
    fd = 1234;
    CHECK_EQ(hk_proto_recv(sv[1], &out, &fd), HK_PROTO_OK);
    CHECK_EQ(fd, -1);
    CHECK_EQ(out.u.key.code, 1);

    /* a scanout announcing an fd that never came */
    n = hk_proto_encode(&(struct hk_msg){.type = HK_EV_SCANOUT, .flags = HK_MSG_FLAG_FD}, buf,
                        sizeof(buf));
    CHECK(send(sv[0], buf, (size_t)n, 0) == n);
    CHECK_EQ(hk_proto_recv(sv[1], &out, &fd), HK_PROTO_EFLAGS);

    /* garbage is consumed and reported; then nothing is waiting; then end of stream */
    CHECK(send(sv[0], "garbage!!", 9, 0) == 9);
    CHECK(hk_proto_recv(sv[1], &out, NULL) < 0);
    CHECK_EQ(hk_proto_recv(sv[1], &out, NULL), HK_PROTO_AGAIN);
    close(sv[0]);
    CHECK_EQ(hk_proto_recv(sv[1], &out, NULL), HK_PROTO_EOF);
    /* sending to a closed peer is a socket error, not a crash (no SIGPIPE) */
    CHECK_EQ(hk_proto_send(sv[1], &k, -1), HK_PROTO_ESOCKET);
    close(sv[1]);
    munmap(p, 1 << 20);
    close(memfd);
}

static void test_socket_full(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
    struct hk_msg m = {.type = HK_EV_SERIAL};
    m.u.bytes.len = HK_PROTO_MAX_SERIAL;
    int r = HK_PROTO_OK, sent = 0;
    while (sent < 100000 && (r = hk_proto_send(sv[0], &m, -1)) == HK_PROTO_OK)
        sent++;
    CHECK_EQ(r, HK_PROTO_AGAIN); /* never blocks */
    CHECK(sent > 0);
    close(sv[0]);
    close(sv[1]);
}

static int damage_ok(const struct hk_damage *d)
{
    for (unsigned i = 0; i < d->n; i++) {
        if (d->r[i].y0 >= d->r[i].y1)
            return 0;
        if (i && d->r[i].y0 <= d->r[i - 1].y1) /* sorted, disjoint, not touching */
            return 0;
    }
    return d->n <= HK_PROTO_MAX_DAMAGE;
}

static void test_damage_merge(void)
{
    struct hk_damage d;
    hk_damage_clear(&d);
    hk_damage_add(&d, 10, 20);
    hk_damage_add(&d, 30, 40);
    CHECK_EQ(d.n, 2);
    hk_damage_add(&d, 20, 30); /* bridges both: touching ranges merge */
    CHECK_EQ(d.n, 1);
    CHECK_EQ(d.r[0].y0, 10);
    CHECK_EQ(d.r[0].y1, 40);
    hk_damage_add(&d, 5, 5); /* empty */
    hk_damage_add(&d, 9, 3); /* backwards */
    CHECK_EQ(d.n, 1);
    hk_damage_add(&d, 0, 2);
    hk_damage_add(&d, 100, 110);
    hk_damage_add(&d, 50, 60);
    CHECK_EQ(d.n, 4);
    CHECK_EQ(d.r[0].y0, 0);
    CHECK_EQ(d.r[2].y0, 50);
    CHECK_EQ(d.r[3].y1, 110);
    CHECK(damage_ok(&d));
    hk_damage_add(&d, 1, 105); /* swallows everything */
    CHECK_EQ(d.n, 1);
    CHECK_EQ(d.r[0].y0, 0);
    CHECK_EQ(d.r[0].y1, 110);
    CHECK_EQ(hk_damage_rows(&d), 110);

    /* overflow: 17 separate ranges collapse by merging the closest pair */
    hk_damage_clear(&d);
    for (uint32_t i = 0; i < HK_PROTO_MAX_DAMAGE; i++)
        hk_damage_add(&d, i * 100, i * 100 + 10);
    CHECK_EQ(d.n, HK_PROTO_MAX_DAMAGE);
    hk_damage_add(&d, 515, 520); /* 5 rows from [500,510): the closest gap */
    CHECK_EQ(d.n, HK_PROTO_MAX_DAMAGE);
    CHECK(damage_ok(&d));
    CHECK_EQ(d.r[5].y0, 500);
    CHECK_EQ(d.r[5].y1, 520);
    CHECK_EQ(hk_damage_rows(&d), HK_PROTO_MAX_DAMAGE * 10 + 10);

    /* every added row stays covered, whatever the order */
    uint8_t want[2000] = {0};
    uint64_t seed = 12345;
    hk_damage_clear(&d);
    for (int k = 0; k < 500; k++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t a = (uint32_t)(seed >> 33) % 1990, len = 1 + (uint32_t)(seed >> 20) % 9;
        hk_damage_add(&d, a, a + len);
        for (uint32_t y = a; y < a + len; y++)
            want[y] = 1;
        CHECK(damage_ok(&d));
    }
    int missing = 0;
    for (uint32_t y = 0; y < 2000; y++) {
        int covered = 0;
        for (unsigned i = 0; i < d.n; i++)
            covered |= y >= d.r[i].y0 && y < d.r[i].y1;
        missing += want[y] && !covered;
    }
    CHECK_EQ(missing, 0);

    /* clipping to a smaller screen */
    hk_damage_clear(&d);
    hk_damage_add(&d, 0, 10);
    hk_damage_add(&d, 590, 700);
    hk_damage_add(&d, 800, 900);
    hk_damage_clip(&d, 600);
    CHECK_EQ(d.n, 2);
    CHECK_EQ(d.r[1].y1, 600);

    struct hk_damage e;
    hk_damage_clear(&e);
    hk_damage_add(&e, 5, 15);
    hk_damage_merge(&d, &e);
    CHECK_EQ(d.n, 2);
    CHECK_EQ(d.r[0].y1, 15);
}

static void test_names(void)
{
    CHECK_STR(hk_proto_type_name(HK_EV_SCANOUT), "scanout");
    CHECK_STR(hk_proto_type_name(0xFFFF), "unknown");
    CHECK_EQ(hk_proto_format_bpp(HK_FORMAT_RGB565), 2);
    CHECK_EQ(hk_proto_format_bpp(HK_FORMAT_XRGB8888), 4);
    CHECK_EQ(hk_proto_format_bpp(HK_FORMAT_NONE), 0);
}

/* The VRAM memfd: the app maps only one sealed at its size. */
static void test_vram_seals(void)
{
    int fd = memfd_create("test-vram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 1 << 20), 0);
    CHECK(!hk_proto_vram_sealed(fd));
    CHECK_EQ(hk_proto_seal_vram(fd), 0);
    CHECK(hk_proto_vram_sealed(fd));
    CHECK(ftruncate(fd, 4096) < 0);
    close(fd);
    /* a memfd that cannot be sealed, and a plain file, are not sealed */
    fd = memfd_create("test-vram", MFD_CLOEXEC);
    CHECK_EQ(ftruncate(fd, 1 << 20), 0);
    CHECK_EQ(hk_proto_seal_vram(fd), -1);
    CHECK(!hk_proto_vram_sealed(fd));
    close(fd);
    CHECK(!hk_proto_vram_sealed(-1));
}

TEST_MAIN(TEST(test_key_layout), TEST(test_hello_layout), TEST(test_roundtrips),
          TEST(test_fact_fields), TEST(test_fact_insn), TEST(test_rejects),
          TEST(test_socket_fd_passing), TEST(test_socket_full), TEST(test_damage_merge),
          TEST(test_names), TEST(test_vram_seals))
