/* The vCPU watch's conclusions (vmm/diag/cpuwatch.c) from sampled CPU states: a machine halted
 * with interrupts off (also with APs parked waiting for SIPI, but not while one still runs or the
 * boot CPU can take interrupts), a boot CPU spinning in a small loop without exits, a reset loop.
 */
#include "check.h"
#include "fakevm.h"

#include "diag/cpuwatch.h"

#define SEC 1000000000ull

static struct hk_cpu_sample cpu(uint32_t mp, bool irq, uint64_t rip, uint64_t exits)
{
    struct hk_cpu_sample s = {mp, irq, rip, exits};
    return s;
}

static void test_halt(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 0);
    struct hk_cpuwatch w;
    hk_cpuwatch_init(&w, &vm.vm);
    struct hk_cpu_sample s[4];
    /* halted with interrupts on (an idle OS): nothing */
    s[0] = cpu(KVM_MP_STATE_HALTED, true, 0x1000, 5);
    for (int i = 0; i < 5; i++)
        hk_cpuwatch_judge(&w, s, 1, 0, (uint64_t)i * SEC, SEC);
    CHECK_EQ(facts_of(&vm, HK_FACT_HALT_IRQ_OFF, NULL), 0);
    /* interrupts off: reported on the second sample, once */
    s[0] = cpu(KVM_MP_STATE_HALTED, false, 0xF0150, 5);
    hk_cpuwatch_judge(&w, s, 1, 0, 6 * SEC, SEC);
    CHECK_EQ(facts_of(&vm, HK_FACT_HALT_IRQ_OFF, NULL), 0);
    hk_cpuwatch_judge(&w, s, 1, 0, 7 * SEC, SEC);
    struct hk_fact f;
    CHECK_EQ(facts_of(&vm, HK_FACT_HALT_IRQ_OFF, &f), 1);
    CHECK_EQ(f.b, 0xF0150);
    hk_cpuwatch_judge(&w, s, 1, 0, 8 * SEC, SEC);
    CHECK_EQ(facts_of(&vm, HK_FACT_HALT_IRQ_OFF, NULL), 1);
    /* with four CPUs: APs waiting for SIPI do not keep the machine alive, a running one does */
    struct hk_cpuwatch w2;
    hk_cpuwatch_init(&w2, &vm.vm);
    s[1] = cpu(KVM_MP_STATE_INIT_RECEIVED, false, 0, 0);
    s[2] = cpu(KVM_MP_STATE_HALTED, false, 0x2000, 0);
    s[3] = cpu(KVM_MP_STATE_RUNNABLE, true, 0x3000, 0);
    for (int i = 0; i < 4; i++)
        hk_cpuwatch_judge(&w2, s, 4, 0, (uint64_t)i * SEC, SEC);
    CHECK_EQ(facts_of(&vm, HK_FACT_HALT_IRQ_OFF, NULL), 1);
    s[3] = cpu(KVM_MP_STATE_HALTED, false, 0x3000, 0);
    for (int i = 4; i < 6; i++)
        hk_cpuwatch_judge(&w2, s, 4, 0, (uint64_t)i * SEC, SEC);
    CHECK_EQ(facts_of(&vm, HK_FACT_HALT_IRQ_OFF, NULL), 2);
    fakevm_destroy(&vm);
}

static void test_spin(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 0);
    struct hk_cpuwatch w;
    hk_cpuwatch_init(&w, &vm.vm);
    struct hk_cpu_sample s[1];
    /* exits keep coming: busy but not stuck */
    for (int i = 0; i < 20; i++) {
        s[0] = cpu(KVM_MP_STATE_RUNNABLE, true, 0x1000, (uint64_t)i * 100);
        hk_cpuwatch_judge(&w, s, 1, 0, (uint64_t)i * SEC, SEC);
    }
    CHECK_EQ(facts_of(&vm, HK_FACT_CPU_SPIN, NULL), 0);
    /* no exits, but all over memory (a long computation): not a spin */
    for (int i = 20; i < 40; i++) {
        s[0] = cpu(KVM_MP_STATE_RUNNABLE, true, 0x100000ull * (uint64_t)i, 2000);
        hk_cpuwatch_judge(&w, s, 1, 0, (uint64_t)i * SEC, SEC);
    }
    CHECK_EQ(facts_of(&vm, HK_FACT_CPU_SPIN, NULL), 0);
    /* an exit resets the clock; then a tight loop for 10 s: one fact */
    s[0] = cpu(KVM_MP_STATE_RUNNABLE, false, 0x7F0010, 2001);
    hk_cpuwatch_judge(&w, s, 1, 0, 40 * SEC, SEC);
    for (int i = 41; i < 50; i++) {
        s[0] = cpu(KVM_MP_STATE_RUNNABLE, false, 0x7F0010 + (uint64_t)(i % 3), 2001);
        hk_cpuwatch_judge(&w, s, 1, 0, (uint64_t)i * SEC, SEC);
    }
    CHECK_EQ(facts_of(&vm, HK_FACT_CPU_SPIN, NULL), 0);
    for (int i = 50; i < 55; i++) {
        s[0] = cpu(KVM_MP_STATE_RUNNABLE, false, 0x7F0010, 2001);
        hk_cpuwatch_judge(&w, s, 1, 0, (uint64_t)i * SEC, SEC);
    }
    struct hk_fact f;
    CHECK_EQ(facts_of(&vm, HK_FACT_CPU_SPIN, &f), 1);
    CHECK_EQ(f.b, 0x7F0010);
    CHECK(f.a >= 10);
    fakevm_destroy(&vm);
}

static void test_reset_loop(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 0);
    struct hk_cpuwatch w;
    hk_cpuwatch_init(&w, &vm.vm);
    struct hk_cpu_sample s[1] = {cpu(KVM_MP_STATE_RUNNABLE, true, 0, 0)};
    /* a reboot now and then is no loop */
    for (int i = 0; i < 8; i++)
        hk_cpuwatch_judge(&w, s, 1, (uint64_t)i, (uint64_t)i * 5 * SEC, SEC);
    CHECK_EQ(facts_of(&vm, HK_FACT_RESET_LOOP, NULL), 0);
    /* five more within a few seconds */
    hk_cpuwatch_judge(&w, s, 1, 10, 41 * SEC, SEC);
    hk_cpuwatch_judge(&w, s, 1, 13, 43 * SEC, SEC);
    struct hk_fact f;
    CHECK_EQ(facts_of(&vm, HK_FACT_RESET_LOOP, &f), 1);
    CHECK_EQ(f.a, 13);
    hk_cpuwatch_judge(&w, s, 1, 900, 44 * SEC, SEC);
    CHECK_EQ(facts_of(&vm, HK_FACT_RESET_LOOP, NULL), 1);
    fakevm_destroy(&vm);
}

/* While the board says the guest is healthy (its OS drives the display) the watch does not park
 * the vCPUs to sample them; it still sees a reset loop (no parking needed), and samples again
 * once the guest is not healthy any more. */
static bool healthy_flag;
static bool is_healthy(void *opaque)
{
    (void)opaque;
    return healthy_flag;
}

static void test_rest_while_healthy(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 0);
    struct hk_cpuwatch w;
    hk_cpuwatch_init(&w, &vm.vm);
    hk_cpuwatch_set_healthy(&w, is_healthy, NULL);
    healthy_flag = true;
    for (int i = 0; i < 3; i++)
        CHECK(!hk_cpuwatch_tick(&w));
    CHECK_EQ(w.skipped, 3);
    CHECK_EQ(w.samples, 0);
    CHECK(w.resting);
    /* a reset storm while resting is still noticed */
    vm.vm.resets = HK_CPUWATCH_LOOP_RESETS;
    hk_cpuwatch_tick(&w);
    CHECK_EQ(facts_of(&vm, HK_FACT_RESET_LOOP, NULL), 1);
    /* not healthy: the next tick tries to sample (this VM has no KVM, so it cannot) */
    healthy_flag = false;
    CHECK(!hk_cpuwatch_tick(&w));
    CHECK(!w.resting);
    CHECK_EQ(w.skipped, 4);
    hk_cpuwatch_stop(&w);
    fakevm_destroy(&vm);
}

TEST_MAIN(TEST(test_halt), TEST(test_spin), TEST(test_reset_loop), TEST(test_rest_while_healthy))
