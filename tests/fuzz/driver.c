/* Stand-in for libFuzzer when the compiler has none: feeds LLVMFuzzerTestOneInput with files given
 * on the command line, then with pseudo-random inputs (seeded, reproducible) for HK_FUZZ_RUNS runs
 * (default 20000). Under ASan/UBSan this still finds crashes; clang builds use real libFuzzer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

int main(int argc, char **argv)
{
    static uint8_t buf[8192];
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    const char *e = getenv("HK_FUZZ_RUNS");
    long runs = e ? atol(e) : 20000;
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (long r = 0; r < runs; r++) {
        size_t n = (size_t)(next(&seed) % (r % 10 == 0 ? sizeof(buf) : 512));
        /* mostly small values with runs of structure, sometimes pure noise */
        unsigned mode = (unsigned)(next(&seed) % 4);
        for (size_t i = 0; i < n; i++) {
            uint64_t v = next(&seed);
            buf[i] = mode == 0 ? (uint8_t)v : mode == 1 ? (uint8_t)(v % 16) : (uint8_t)(v >> 56);
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("%ld inputs, no crash\n", runs + argc - 1);
    return 0;
}
