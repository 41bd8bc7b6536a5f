/* Split virtqueues against hand-built rings in guest memory: well-formed chains (direct, indirect,
 * zero-length buffers, index wrap-around), the notification rules (NO_INTERRUPT, EVENT_IDX), and
 * hostile rings: index jumps, heads and nexts out of range, loops, overlong chains, readable after
 * writable, buffers and tables outside RAM, bad indirect tables, bad ring placement. */
#include "check.h"
#include "fakevm.h"

#include "virtio/queue.h"

#define RAM   (1u << 20)
#define DESC  0x1000u
#define AVAIL 0x2000u
#define USED  0x3000u
#define BUF   0x10000u

struct ring {
    struct fakevm f;
    struct hk_virtq q;
    uint16_t size, avail_idx;
};

static struct hk_vring_desc *desc(struct ring *r, unsigned i)
{
    return (struct hk_vring_desc *)(r->f.ram + DESC) + i;
}

static struct hk_vring_avail *avail(struct ring *r)
{
    return (struct hk_vring_avail *)(r->f.ram + AVAIL);
}

static struct hk_vring_used *used(struct ring *r)
{
    return (struct hk_vring_used *)(r->f.ram + USED);
}

static void setup(struct ring *r, uint16_t size, bool event_idx)
{
    fakevm_init(&r->f, RAM);
    hk_virtq_init(&r->q, &r->f.vm.mem);
    r->size = size;
    r->avail_idx = 0;
    CHECK_EQ(hk_virtq_start(&r->q, size, DESC, AVAIL, USED, event_idx), 0);
}

static void teardown(struct ring *r)
{
    fakevm_destroy(&r->f);
}

static void set_desc(struct ring *r, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    *desc(r, i) = (struct hk_vring_desc){addr, len, flags, next};
}

static void offer(struct ring *r, uint16_t head)
{
    avail(r)->ring[r->avail_idx % r->size] = head;
    r->avail_idx++;
    avail(r)->idx = r->avail_idx;
}

static void test_simple_chain(void)
{
    struct ring r;
    setup(&r, 8, false);
    struct hk_virtq_elem e;
    CHECK_EQ(hk_virtq_pop(&r.q, &e), 0); /* empty */
    memcpy(r.f.ram + BUF, "header..........", 16);
    set_desc(&r, 3, BUF, 16, HK_VIRTQ_DESC_F_NEXT, 5);
    set_desc(&r, 5, BUF + 0x100, 512, HK_VIRTQ_DESC_F_NEXT | HK_VIRTQ_DESC_F_WRITE, 6);
    set_desc(&r, 6, BUF + 0x400, 1, HK_VIRTQ_DESC_F_WRITE, 0);
    offer(&r, 3);
    CHECK_EQ(hk_virtq_pop(&r.q, &e), 1);
    CHECK_EQ(e.head, 3);
    CHECK_EQ(e.nout, 1);
    CHECK_EQ(e.nin, 2);
    CHECK_EQ(e.out_len, 16);
    CHECK_EQ(e.in_len, 513);
    CHECK(e.iov[0].iov_base == r.f.ram + BUF);
    CHECK(e.iov[1].iov_base == r.f.ram + BUF + 0x100);
    CHECK_EQ(e.iov[2].iov_len, 1);
    CHECK_EQ(hk_virtq_pop(&r.q, &e), 0);
    hk_virtq_push(&r.q, 3, 513);
    CHECK_EQ(used(&r)->idx, 1);
    CHECK_EQ(used(&r)->ring[0].id, 3);
    CHECK_EQ(used(&r)->ring[0].len, 513);
    CHECK(!r.q.broken);
    teardown(&r);
}

static void test_zero_length_and_wrap(void)
{
    struct ring r;
    setup(&r, 4, false);
    struct hk_virtq_elem e;
    /* indices wrap at 65536 while the ring position wraps at the size */
    r.q.last_avail = r.q.used_idx = 65534;
    r.avail_idx = 65534;
    used(&r)->idx = 65534;
    for (unsigned k = 0; k < 6; k++) {
        set_desc(&r, k % 4, BUF, 0, HK_VIRTQ_DESC_F_NEXT, (k + 1) % 4);
        set_desc(&r, (k + 1) % 4, BUF + 8, 8, HK_VIRTQ_DESC_F_WRITE, 0);
        offer(&r, (uint16_t)(k % 4));
        CHECK_EQ(hk_virtq_pop(&r.q, &e), 1);
        CHECK_EQ(e.head, k % 4);
        CHECK_EQ(e.nout + e.nin, 1); /* the empty buffer is skipped */
        CHECK_EQ(e.in_len, 8);
        hk_virtq_push(&r.q, e.head, 8);
    }
    CHECK_EQ(used(&r)->idx, (uint16_t)(65534 + 6));
    CHECK_EQ(used(&r)->ring[(65534 + 5) % 4].id, 5 % 4);
    CHECK(!r.q.broken);
    teardown(&r);
}

static void test_indirect(void)
{
    struct ring r;
    setup(&r, 8, false);
    struct hk_virtq_elem e;
    struct hk_vring_desc *t = (struct hk_vring_desc *)(r.f.ram + 0x8000);
    t[0] = (struct hk_vring_desc){BUF, 16, HK_VIRTQ_DESC_F_NEXT, 2};
    t[2] =
        (struct hk_vring_desc){BUF + 0x200, 4096, HK_VIRTQ_DESC_F_NEXT | HK_VIRTQ_DESC_F_WRITE, 1};
    t[1] = (struct hk_vring_desc){BUF + 0x2000, 1, HK_VIRTQ_DESC_F_WRITE, 0};
    set_desc(&r, 0, 0x8000, 3 * 16, HK_VIRTQ_DESC_F_INDIRECT, 0);
    offer(&r, 0);
    CHECK_EQ(hk_virtq_pop(&r.q, &e), 1);
    CHECK_EQ(e.nout, 1);
    CHECK_EQ(e.nin, 2);
    CHECK_EQ(e.in_len, 4097);
    CHECK(e.iov[2].iov_base == r.f.ram + BUF + 0x2000);
    teardown(&r);
}

/* Each hostile ring breaks the queue (pop returns -1 and keeps returning it). */
static void expect_broken(struct ring *r, const char *what)
{
    struct hk_virtq_elem e;
    int got = hk_virtq_pop(&r->q, &e);
    CHECK_EQ(got, -1);
    CHECK(r->q.broken);
    CHECK(r->q.error[0] != 0);
    CHECK_EQ(hk_virtq_pop(&r->q, &e), -1);
    if (got != -1)
        fprintf(stderr, "  (%s)\n", what);
    hk_virtq_push(&r->q, 0, 0); /* ignored once broken */
    CHECK_EQ(used(r)->idx, 0);
}

static void test_hostile(void)
{
    struct ring r;

    setup(&r, 8, false);
    avail(&r)->idx = 9; /* more entries than the queue holds */
    expect_broken(&r, "index jump");
    teardown(&r);

    setup(&r, 8, false);
    offer(&r, 8); /* head out of range */
    expect_broken(&r, "head");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, BUF, 16, HK_VIRTQ_DESC_F_NEXT, 200); /* next out of range */
    offer(&r, 0);
    expect_broken(&r, "next");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, BUF, 16, HK_VIRTQ_DESC_F_NEXT, 1); /* loop 0 -> 1 -> 0 */
    set_desc(&r, 1, BUF, 16, HK_VIRTQ_DESC_F_NEXT, 0);
    offer(&r, 0);
    expect_broken(&r, "loop");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, BUF, 0, HK_VIRTQ_DESC_F_NEXT, 0); /* self loop of empty buffers */
    offer(&r, 0);
    expect_broken(&r, "self loop");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, BUF, 16, HK_VIRTQ_DESC_F_WRITE | HK_VIRTQ_DESC_F_NEXT, 1);
    set_desc(&r, 1, BUF, 16, 0, 0); /* readable after writable */
    offer(&r, 0);
    expect_broken(&r, "order");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, RAM - 8, 16, 0, 0); /* crosses the end of RAM */
    offer(&r, 0);
    expect_broken(&r, "end of RAM");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, 0xFFFFFFFFFFFFFFF0ull, 0x20, 0, 0); /* wraps the address space */
    offer(&r, 0);
    expect_broken(&r, "wrap");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, 0x8000, 16, HK_VIRTQ_DESC_F_INDIRECT | HK_VIRTQ_DESC_F_NEXT, 1);
    offer(&r, 0);
    expect_broken(&r, "indirect + next");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, 0x8000, 24, HK_VIRTQ_DESC_F_INDIRECT, 0); /* not a multiple of 16 */
    offer(&r, 0);
    expect_broken(&r, "indirect size");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, 0x8000, 0, HK_VIRTQ_DESC_F_INDIRECT, 0); /* empty table */
    offer(&r, 0);
    expect_broken(&r, "empty indirect");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, RAM - 16, 32, HK_VIRTQ_DESC_F_INDIRECT, 0); /* table outside RAM */
    offer(&r, 0);
    expect_broken(&r, "indirect outside");
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, 0x8000, 16u * (HK_VIRTQ_MAX_SEGS + 1), HK_VIRTQ_DESC_F_INDIRECT, 0);
    offer(&r, 0);
    expect_broken(&r, "huge indirect");
    teardown(&r);

    setup(&r, 8, false);
    {
        struct hk_vring_desc *t = (struct hk_vring_desc *)(r.f.ram + 0x8000);
        t[0] = (struct hk_vring_desc){0x9000, 16, HK_VIRTQ_DESC_F_INDIRECT, 0}; /* nested */
        set_desc(&r, 0, 0x8000, 16, HK_VIRTQ_DESC_F_INDIRECT, 0);
        offer(&r, 0);
        expect_broken(&r, "nested indirect");
    }
    teardown(&r);

    setup(&r, 8, false);
    {
        struct hk_vring_desc *t = (struct hk_vring_desc *)(r.f.ram + 0x8000);
        t[0] = (struct hk_vring_desc){BUF, 16, HK_VIRTQ_DESC_F_NEXT, 1};
        t[1] = (struct hk_vring_desc){BUF, 16, HK_VIRTQ_DESC_F_NEXT, 0}; /* loop in the table */
        set_desc(&r, 0, 0x8000, 32, HK_VIRTQ_DESC_F_INDIRECT, 0);
        offer(&r, 0);
        expect_broken(&r, "indirect loop");
    }
    teardown(&r);

    setup(&r, 8, false);
    {
        struct hk_vring_desc *t = (struct hk_vring_desc *)(r.f.ram + 0x8000);
        t[0] = (struct hk_vring_desc){BUF, 16, HK_VIRTQ_DESC_F_NEXT, 2}; /* out of the table */
        set_desc(&r, 0, 0x8000, 32, HK_VIRTQ_DESC_F_INDIRECT, 0);
        offer(&r, 0);
        expect_broken(&r, "indirect next");
    }
    teardown(&r);

    setup(&r, 8, false);
    set_desc(&r, 0, BUF, 16, HK_VIRTQ_DESC_F_NEXT, 1);
    set_desc(&r, 1, 0x8000, 16, HK_VIRTQ_DESC_F_INDIRECT, 0); /* indirect inside a chain */
    offer(&r, 0);
    expect_broken(&r, "indirect in chain");
    teardown(&r);
}

static void test_longest_chain(void)
{
    struct ring r;
    setup(&r, 8, false);
    for (unsigned i = 0; i < 8; i++)
        set_desc(&r, i, BUF + 16 * i, 16, i < 7 ? HK_VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    offer(&r, 0);
    struct hk_virtq_elem e;
    CHECK_EQ(hk_virtq_pop(&r.q, &e), 1); /* exactly the queue size: fine */
    CHECK_EQ(e.nout, 8);
    teardown(&r);
}

static void test_start_checks(void)
{
    struct fakevm f;
    fakevm_init(&f, RAM);
    struct hk_virtq q;
    hk_virtq_init(&q, &f.vm.mem);
    CHECK_EQ(hk_virtq_start(&q, 6, DESC, AVAIL, USED, false), -1); /* not a power of two */
    CHECK(q.broken);
    CHECK_EQ(hk_virtq_start(&q, 0, DESC, AVAIL, USED, false), -1);
    CHECK_EQ(hk_virtq_start(&q, 2048, DESC, AVAIL, USED, false), -1);
    CHECK_EQ(hk_virtq_start(&q, 8, DESC + 8, AVAIL, USED, false), -1); /* misaligned */
    CHECK_EQ(hk_virtq_start(&q, 8, DESC, AVAIL + 1, USED, false), -1);
    CHECK_EQ(hk_virtq_start(&q, 8, DESC, AVAIL, USED + 2, false), -1);
    CHECK_EQ(hk_virtq_start(&q, 8, RAM - 64, AVAIL, USED, false), -1); /* outside RAM */
    CHECK_EQ(hk_virtq_start(&q, 8, DESC, AVAIL, RAM - 8, false), -1);
    CHECK_EQ(hk_virtq_start(&q, 8, DESC, AVAIL, USED, false), 0);
    CHECK(q.ready && !q.broken);
    struct hk_virtq_elem e;
    hk_virtq_stop(&q);
    CHECK_EQ(hk_virtq_pop(&q, &e), 0); /* stopped: nothing */
    fakevm_destroy(&f);
}

static void test_notify_flags(void)
{
    struct ring r;
    setup(&r, 8, false);
    set_desc(&r, 0, BUF, 1, HK_VIRTQ_DESC_F_WRITE, 0);
    offer(&r, 0);
    struct hk_virtq_elem e;
    CHECK_EQ(hk_virtq_pop(&r.q, &e), 1);
    hk_virtq_push(&r.q, 0, 1);
    CHECK(hk_virtq_should_notify(&r.q));
    avail(&r)->flags = HK_VIRTQ_AVAIL_F_NO_INTERRUPT;
    CHECK(!hk_virtq_should_notify(&r.q));
    hk_virtq_set_notify(&r.q, false);
    CHECK_EQ(used(&r)->flags, HK_VIRTQ_USED_F_NO_NOTIFY);
    hk_virtq_set_notify(&r.q, true);
    CHECK_EQ(used(&r)->flags, 0);
    teardown(&r);

    /* EVENT_IDX: interrupt only when used passes used_event */
    setup(&r, 8, true);
    uint16_t *used_event = &avail(&r)->ring[8];
    uint16_t *avail_event = (uint16_t *)&used(&r)->ring[8];
    for (unsigned i = 0; i < 4; i++) {
        set_desc(&r, i, BUF, 1, HK_VIRTQ_DESC_F_WRITE, 0);
        offer(&r, (uint16_t)i);
    }
    *used_event = 2; /* wake me when entry 2 (the third) is used */
    CHECK_EQ(hk_virtq_pop(&r.q, &e), 1);
    hk_virtq_push(&r.q, e.head, 1);
    CHECK(hk_virtq_should_notify(&r.q)); /* the first signal is always sent */
    CHECK_EQ(hk_virtq_pop(&r.q, &e), 1);
    hk_virtq_push(&r.q, e.head, 1); /* used idx 2: entry 1 used */
    CHECK(!hk_virtq_should_notify(&r.q));
    CHECK_EQ(hk_virtq_pop(&r.q, &e), 1);
    hk_virtq_push(&r.q, e.head, 1); /* used idx 3: entry 2 used */
    CHECK(hk_virtq_should_notify(&r.q));
    CHECK(!hk_virtq_should_notify(&r.q)); /* nothing new */
    hk_virtq_set_notify(&r.q, false);     /* leaves avail_event behind */
    CHECK_EQ(*avail_event, 0);
    hk_virtq_set_notify(&r.q, true); /* a doorbell for the first entry beyond the ones seen */
    CHECK_EQ(*avail_event, 4);
    CHECK(hk_virtq_has_work(&r.q));
    CHECK(!hk_virtq_grew(&r.q)); /* entry 3 was seen by the last pop */
    CHECK_EQ(hk_virtq_pop(&r.q, &e), 1);
    CHECK(!hk_virtq_has_work(&r.q));
    teardown(&r);
}

static void test_iov_helpers(void)
{
    uint8_t a[5] = "abcde", b[3] = "fgh", c[4] = "ijkl";
    struct iovec v[3] = {{a, 5}, {b, 3}, {c, 4}};
    char buf[16] = {0};
    CHECK_EQ(hk_iov_to_buf(v, 3, 3, buf, 7), 7);
    CHECK_STR(buf, "defghij");
    CHECK_EQ(hk_iov_to_buf(v, 3, 10, buf, 7), 2);
    CHECK_EQ(hk_iov_from_buf(v, 3, 4, "XYZ", 3), 3);
    CHECK(a[4] == 'X' && b[0] == 'Y' && b[1] == 'Z');
    struct iovec out[3];
    size_t got;
    unsigned n = hk_iov_slice(v, 3, 6, 4, out, 3, &got);
    CHECK_EQ(n, 2);
    CHECK_EQ(got, 4);
    CHECK(out[0].iov_base == b + 1 && out[0].iov_len == 2 && out[1].iov_base == c);
    CHECK_EQ(hk_iov_memset(v, 3, 11, 0, 5), 1);
    CHECK_EQ(c[3], 0);
}

TEST_MAIN(TEST(test_simple_chain), TEST(test_zero_length_and_wrap), TEST(test_indirect),
          TEST(test_hostile), TEST(test_longest_chain), TEST(test_start_checks),
          TEST(test_notify_flags), TEST(test_iov_helpers))
