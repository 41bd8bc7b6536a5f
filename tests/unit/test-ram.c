/* Guest RAM as the engine allocates it (hk_ram_alloc, vmm/core/mem.c): 2 MiB aligned, and advised
 * for transparent huge pages (VmFlags "hg"), not inherited by children (dontfork: "dc") and
 * mergeable by KSM ("mg") where the host kernel has them, as /proc/self/smaps shows. */
#include "check.h"

#include <stdbool.h>
#include <unistd.h>

#include "core/mem.h"

/* The VmFlags line of the mapping that starts at addr, or "" */
static void vmflags(const void *addr, char *out, size_t len)
{
    out[0] = 0;
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return;
    char line[512];
    bool in = false;
    while (fgets(line, sizeof(line), f)) {
        unsigned long start, end;
        if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
            in = start == (unsigned long)(uintptr_t)addr;
            continue;
        }
        if (in && strncmp(line, "VmFlags:", 8) == 0) {
            snprintf(out, len, "%s", line + 8);
            break;
        }
    }
    fclose(f);
}

static bool flag(const char *flags, const char *f)
{
    char pat[8];
    snprintf(pat, sizeof(pat), " %s", f);
    return strstr(flags, pat) != NULL;
}

static void test_aligned_and_advised(void)
{
    const size_t sizes[] = {16u << 20, (64u << 20) + (1u << 20), 3u << 21};
    for (unsigned i = 0; i < 3; i++) {
        uint8_t *ram = hk_ram_alloc(sizes[i]);
        CHECK(ram != NULL);
        if (!ram)
            continue;
        CHECK_EQ((uintptr_t)ram % (2u << 20), 0);
        ram[0] = 1; /* the whole range is usable */
        ram[sizes[i] - 1] = 2;
        char flags[512]; /* a whole VmFlags line (a cut one would lose flags) */
        vmflags(ram, flags, sizeof(flags));
        printf("%zu MiB at %p: VmFlags%s", sizes[i] >> 20, (void *)ram, flags);
        CHECK(flags[0] != 0);
        CHECK(flag(flags, "dc")); /* MADV_DONTFORK */
        if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0)
            CHECK(flag(flags, "hg")); /* MADV_HUGEPAGE */
        if (access("/sys/kernel/mm/ksm/run", F_OK) == 0)
            CHECK(flag(flags, "mg")); /* MADV_MERGEABLE */
        hk_ram_free(ram, sizes[i]);
    }
    CHECK(hk_ram_alloc(0) == NULL);
}

TEST_MAIN(TEST(test_aligned_and_advised))
