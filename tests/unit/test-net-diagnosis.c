/* HakoNetDiagnosis (src/hako-net-diagnosis.c): timelines of network facts as the engine records
 * them, and the verdict the VM window words: no card, passt missing / restarting / stopped, cable
 * unplugged, no driver for the card (only after the grace time), the guest never asked for an
 * address, no address, DNS without answers, connected; a new driver session starts over. */
#include <glib.h>
#include <string.h>

#include "check.h"
#include "hako-net-diagnosis.h"
#include "hako/net.h"

static struct hk_fact timeline[32];
static guint nfacts;

static void fact(double t, uint32_t kind, int64_t a, int64_t b, int64_t c, const char *text)
{
    struct hk_fact *f = &timeline[nfacts++];
    memset(f, 0, sizeof(*f));
    f->t_ns = (uint64_t)(t * 1e9);
    f->kind = kind;
    f->seq = nfacts;
    f->a = a;
    f->b = b;
    f->c = c;
    g_strlcpy(f->text, text, sizeof(f->text));
}

static HakoNetCause judge(gboolean enabled, gboolean running, double elapsed,
                          HakoNetDiagnosis **out)
{
    HakoNetDiagnosis *d = hako_net_diagnosis_new();
    hako_net_diagnosis_set_enabled(d, enabled);
    hako_net_diagnosis_set_engine(d, running, elapsed);
    hako_net_diagnosis_set_facts(d, timeline, nfacts);
    hako_net_diagnosis_evaluate(d);
    HakoNetCause c = hako_net_diagnosis_get_cause(d);
    CHECK(*hako_net_diagnosis_get_title(d) != 0);
    CHECK(*hako_net_diagnosis_get_explanation(d) != 0);
    if (out)
        *out = d;
    else
        g_object_unref(d);
    return c;
}

#define MAC_FACTS()                                                                                \
    do {                                                                                           \
        nfacts = 0;                                                                                \
        fact(0.01, HK_FACT_NET_BACKEND, HK_NET_BACKEND_RUNNING, 1234, 1,                           \
             "/usr/bin/passt (pid 1234)");                                                         \
    } while (0)

static void test_off_and_stopped(void)
{
    nfacts = 0;
    CHECK_EQ(judge(FALSE, TRUE, 100, NULL), HAKO_NET_CAUSE_OFF);
    CHECK_EQ(judge(TRUE, FALSE, 0, NULL), HAKO_NET_CAUSE_NOT_RUNNING);
}

static void test_passt(void)
{
    nfacts = 0;
    fact(0.01, HK_FACT_NET_BACKEND, HK_NET_BACKEND_MISSING, 0, 0, "passt is not installed");
    HakoNetDiagnosis *d;
    CHECK_EQ(judge(TRUE, TRUE, 5, &d), HAKO_NET_CAUSE_PASST_MISSING);
    CHECK(strstr(hako_net_diagnosis_get_fix(d), "apt install passt") != NULL);
    CHECK_EQ(hako_net_diagnosis_get_step(d, HAKO_NET_STEP_PASST, NULL, NULL), HAKO_NET_STEP_FAILED);
    g_object_unref(d);

    MAC_FACTS();
    fact(20, HK_FACT_NET_BACKEND, HK_NET_BACKEND_DIED, 137, 1234, "passt (pid 1234) was killed");
    fact(20, HK_FACT_NET_LINK, 0, HK_NET_LINK_BACKEND, 0, "link down (passt)");
    CHECK_EQ(judge(TRUE, TRUE, 20.5, &d), HAKO_NET_CAUSE_PASST_RESTART);
    CHECK(hako_net_diagnosis_is_pending(d));
    CHECK(strstr(hako_net_diagnosis_get_explanation(d), "killed") != NULL);
    g_object_unref(d);
    /* it came back: on with the rest */
    fact(21, HK_FACT_NET_BACKEND, HK_NET_BACKEND_RUNNING, 1300, 2, "restarted");
    CHECK_EQ(judge(TRUE, TRUE, 21, NULL), HAKO_NET_CAUSE_STARTING);
    fact(30, HK_FACT_NET_BACKEND, HK_NET_BACKEND_GAVE_UP, 5, 0, "gave up");
    CHECK_EQ(judge(TRUE, TRUE, 31, NULL), HAKO_NET_CAUSE_PASST_FAILED);
}

static void test_no_driver(void)
{
    MAC_FACTS();
    HakoNetDiagnosis *d;
    /* early: the firmware may still be running */
    CHECK_EQ(judge(TRUE, TRUE, 10, &d), HAKO_NET_CAUSE_STARTING);
    CHECK(hako_net_diagnosis_is_pending(d));
    g_object_unref(d);
    CHECK_EQ(judge(TRUE, TRUE, HAKO_NET_DRIVER_GRACE + 1, &d), HAKO_NET_CAUSE_NO_DRIVER);
    CHECK(!hako_net_diagnosis_is_pending(d));
    CHECK_EQ(hako_net_diagnosis_get_step(d, HAKO_NET_STEP_PASST, NULL, NULL), HAKO_NET_STEP_DONE);
    const char *label = NULL, *detail = NULL;
    CHECK_EQ(hako_net_diagnosis_get_step(d, HAKO_NET_STEP_DRIVER, &label, &detail),
             HAKO_NET_STEP_FAILED);
    CHECK(label && *label);
    CHECK(strstr(hako_net_diagnosis_get_fix(d), "virtio-win") != NULL);
    g_object_unref(d);
    /* the engine's live state says the driver runs (its fact may still be on its way) */
    struct hk_msg_net n = {.flags = HK_NET_EV_LINK_UP | HK_NET_EV_CABLE | HK_NET_EV_BACKEND |
                                    HK_NET_EV_DRIVER_OK};
    d = hako_net_diagnosis_new();
    hako_net_diagnosis_set_enabled(d, TRUE);
    hako_net_diagnosis_set_engine(d, TRUE, 100);
    hako_net_diagnosis_set_facts(d, timeline, nfacts);
    hako_net_diagnosis_set_state(d, &n);
    hako_net_diagnosis_evaluate(d);
    CHECK(hako_net_diagnosis_get_cause(d) != HAKO_NET_CAUSE_NO_DRIVER);
    g_object_unref(d);
}

static void test_dhcp_and_dns(void)
{
    MAC_FACTS();
    fact(30, HK_FACT_NET_DRIVER_OK, 0x10020, 0, 0, "virtio-net 0c.0: mergeable buffers");
    fact(30.5, HK_FACT_NET_FIRST_TX, 0x86DD, 90, 0, "90 bytes, IPv6 UDP");
    CHECK_EQ(judge(TRUE, TRUE, 35, NULL), HAKO_NET_CAUSE_STARTING);
    HakoNetDiagnosis *d;
    CHECK_EQ(judge(TRUE, TRUE, 30 + HAKO_NET_DHCP_GRACE + 1, &d), HAKO_NET_CAUSE_NO_DHCP);
    CHECK(strstr(hako_net_diagnosis_get_explanation(d), "sends frames") != NULL);
    g_object_unref(d);
    fact(31, HK_FACT_NET_DHCP, HK_DHCP_DISCOVER, 0, 0, "DISCOVER");
    CHECK_EQ(judge(TRUE, TRUE, 35, NULL), HAKO_NET_CAUSE_STARTING);
    CHECK_EQ(judge(TRUE, TRUE, 31 + HAKO_NET_LEASE_GRACE + 1, NULL), HAKO_NET_CAUSE_NO_LEASE);
    fact(31.1, HK_FACT_NET_DHCP, HK_DHCP_ACK, 0xC0000202, 0xC0000201, "ACK 192.0.2.2");
    CHECK_EQ(judge(TRUE, TRUE, 60, &d), HAKO_NET_CAUSE_CONNECTED);
    CHECK_STR(hako_net_diagnosis_get_address(d), "192.0.2.2");
    const char *detail = NULL;
    CHECK_EQ(hako_net_diagnosis_get_step(d, HAKO_NET_STEP_LEASE, NULL, &detail),
             HAKO_NET_STEP_DONE);
    CHECK(strstr(detail, "192.0.2.1") != NULL);
    g_object_unref(d);
    fact(40, HK_FACT_NET_DNS, 0, 0, 0, "deb.debian.org");
    CHECK_EQ(judge(TRUE, TRUE, 42, NULL), HAKO_NET_CAUSE_CONNECTED); /* still in time */
    CHECK_EQ(judge(TRUE, TRUE, 40 + HAKO_NET_DNS_GRACE + 1, &d), HAKO_NET_CAUSE_NO_DNS);
    CHECK(strstr(hako_net_diagnosis_get_explanation(d), "deb.debian.org") != NULL);
    g_object_unref(d);
    fact(40.2, HK_FACT_NET_DNS, 1, 0, 1, "deb.debian.org: 1 answer");
    CHECK_EQ(judge(TRUE, TRUE, 60, NULL), HAKO_NET_CAUSE_CONNECTED);
    /* the cable pulled */
    fact(50, HK_FACT_NET_LINK, 0, HK_NET_LINK_USER, 0, "link down (cable)");
    CHECK_EQ(judge(TRUE, TRUE, 60, NULL), HAKO_NET_CAUSE_UNPLUGGED);
    fact(55, HK_FACT_NET_LINK, 1, HK_NET_LINK_USER, 0, "link up (cable)");
    CHECK_EQ(judge(TRUE, TRUE, 60, NULL), HAKO_NET_CAUSE_CONNECTED);
    /* a reboot: the new driver session has no lease yet */
    fact(70, HK_FACT_NET_DRIVER_OK, 0x10020, 0, 0, "virtio-net 0c.0");
    CHECK_EQ(judge(TRUE, TRUE, 72, NULL), HAKO_NET_CAUSE_STARTING);
    CHECK_EQ(judge(TRUE, TRUE, 70 + HAKO_NET_DHCP_GRACE + 1, NULL), HAKO_NET_CAUSE_NO_DHCP);
}

static void test_names(void)
{
    CHECK_STR(hako_net_diagnosis_cause_to_string(HAKO_NET_CAUSE_NO_DRIVER), "no-driver");
    CHECK_STR(hako_net_diagnosis_cause_to_string(HAKO_NET_CAUSE_CONNECTED), "connected");
    CHECK_STR(hako_net_diagnosis_cause_to_string(99), "unknown");
}

TEST_MAIN(TEST(test_off_and_stopped), TEST(test_passt), TEST(test_no_driver),
          TEST(test_dhcp_and_dns), TEST(test_names))
