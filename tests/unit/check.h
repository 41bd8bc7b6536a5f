/* A minimal test harness: CHECK() records failures with file:line and keeps going; TEST_MAIN
 * runs the listed test functions and exits non-zero if any check failed. */
#ifndef HK_TEST_CHECK_H
#define HK_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hk_test_state {
    int failures, checks;
    const char *current;
};

static struct hk_test_state hk_test;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        hk_test.checks++;                                                                          \
        if (!(cond)) {                                                                             \
            hk_test.failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, hk_test.current,  \
                    #cond);                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        unsigned long long hk_a_ = (unsigned long long)(a), hk_b_ = (unsigned long long)(b);       \
        hk_test.checks++;                                                                          \
        if (hk_a_ != hk_b_) {                                                                      \
            hk_test.failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s: %s == %s failed: 0x%llx != 0x%llx\n", __FILE__, __LINE__,  \
                    hk_test.current, #a, #b, hk_a_, hk_b_);                                        \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *hk_a_ = (a), *hk_b_ = (b);                                                     \
        hk_test.checks++;                                                                          \
        if (!hk_a_ || !hk_b_ || strcmp(hk_a_, hk_b_) != 0) {                                       \
            hk_test.failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__,  \
                    hk_test.current, #a, #b, hk_a_ ? hk_a_ : "(null)", hk_b_ ? hk_b_ : "(null)");  \
        }                                                                                          \
    } while (0)

typedef void (*hk_test_fn)(void);
struct hk_test_case {
    const char *name;
    hk_test_fn fn;
};

#define TEST(fn)                                                                                   \
    {                                                                                              \
#fn, fn                                                                                    \
    }

static inline int hk_test_run(const struct hk_test_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int before = hk_test.failures;
        hk_test.current = cases[i].name;
        cases[i].fn();
        printf("%s %s\n", hk_test.failures == before ? "ok  " : "FAIL", cases[i].name);
    }
    printf("%d checks, %d failed\n", hk_test.checks, hk_test.failures);
    return hk_test.failures ? 1 : 0;
}

#define TEST_MAIN(...)                                                                             \
    int main(void)                                                                                 \
    {                                                                                              \
        static const struct hk_test_case cases[] = {__VA_ARGS__};                                  \
        return hk_test_run(cases, sizeof(cases) / sizeof(cases[0]));                               \
    }

#endif
