/*
 * Fuzz target: what Hako reads from files it does not control and what the guest does to the
 * variable flash. The input is split three ways:
 *   - a QEMU firmware descriptor (vmm/common/fw-descriptor.c's JSON reader), both as raw bytes and
 * mapped onto a JSON-heavy alphabet so that objects, arrays and strings nest deeply;
 *   - a variable store image behind a valid firmware-volume header (hk_ovmf_inspect /
 *     hk_ovmf_vars_valid walk the variable list, which the bytes make up);
 *   - a sequence of guest accesses to the CFI flash (vmm/pc/flash.c): after every step the memslot
 *     must be mapped exactly when the chip is in read-array mode, array reads must return the
 *     array, and offsets past the end must change nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fakevm.h"
#include "../unit/fwimages.h"
#include "pc/flash.h"
#include "hako/firmware.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLASH_BASE 0xFFC00000ull
#define FLASH_SIZE 0x8000u

static void descriptors(const uint8_t *data, size_t size)
{
    struct hk_fw_descriptor d;
    hk_fw_descriptor_parse((const char *)data, size, &d);
    static const char alphabet[] = "{}[]\":,  \"uefi\" \"a\" 1 -2.5e3 true null \\\\u00e9 "
                                   "\"features\" \"requires-smm\" \"targets\" \"machines\" "
                                   "\"x86_64\" \"pc-i440fx-*\" \"mapping\" \"filename\"";
    char *j = malloc(size + 1);
    if (!j)
        return;
    for (size_t i = 0; i < size; i++)
        j[i] = alphabet[data[i] % (sizeof(alphabet) - 1)];
    j[size] = 0;
    if (hk_fw_descriptor_parse(j, size, &d) == 0) {
        /* parsed strings are terminated and within their buffers */
        if (strlen(d.executable) >= sizeof(d.executable) ||
            strlen(d.nvram_template) >= sizeof(d.nvram_template))
            abort();
    }
    free(j);
}

static void vars_image(const uint8_t *data, size_t size)
{
    size_t n = 0x2000;
    uint8_t *v = malloc(n);
    if (!v)
        return;
    fwimg_vars(v, n); /* a valid empty store; the input becomes its variable list */
    size_t m = size < n - 0x64 ? size : n - 0x64;
    memcpy(v + 0x64, data, m);
    struct hk_ovmf_info info;
    hk_ovmf_inspect(v, n, &info);
    char why[160];
    unsigned nvars;
    bool walk;
    hk_ovmf_vars_valid(v, n, why, sizeof(why), &nvars, &walk);
    /* and the raw bytes as any image (reset-vector walk, kinds) */
    hk_ovmf_inspect(data, size, &info);
    free(v);
}

static bool slot_mapped(struct fakevm *f)
{
    struct hk_mem_region r;
    return hk_mem_find(&f->vm.mem, FLASH_BASE, &r) && r.gpa == FLASH_BASE;
}

static void flash_ops(const uint8_t *data, size_t size)
{
    struct fakevm f;
    fakevm_init(&f, 0);
    uint8_t *img = malloc(FLASH_SIZE);
    if (!img)
        return;
    for (unsigned i = 0; i < FLASH_SIZE; i++)
        img[i] = (uint8_t)(i * 7);
    struct hk_flash fl;
    if (hk_flash_init(&fl, &f.vm, FLASH_BASE, img, FLASH_SIZE, -1, NULL) < 0 ||
        hk_flash_attach(&fl) < 0)
        abort();
    static const uint8_t cmds[] = {0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0x90,
                                   0x98, 0xD0, 0xE8, 0xF0, 0xFF, 0x01, 0x03, 0x1F};
    for (size_t i = 0; i + 4 <= size; i += 4) {
        uint32_t off = (uint32_t)(data[i] | data[i + 1] << 8) % (FLASH_SIZE + 16);
        uint8_t op = data[i + 2], val = data[i + 3];
        unsigned sz = 1u << (op >> 6);
        if (op & 0x20) {
            if (off + sz <= FLASH_SIZE) {
                uint64_t r = hk_flash_read(&fl, off, sz);
                if (fl.cmd == 0x00) {
                    uint64_t want = 0;
                    for (unsigned k = 0; k < sz; k++)
                        want |= (uint64_t)fl.array[off + k] << (8 * k);
                    if (r != want)
                        abort();
                }
            }
        } else {
            uint8_t v = (op & 0x10) ? val : cmds[val % sizeof(cmds)];
            hk_flash_write(&fl, off, v, sz);
        }
        if (slot_mapped(&f) != (fl.cmd == 0x00 && fl.wcycle == 0))
            abort();
        if (op == 0xFF)
            hk_flash_reset(&fl);
    }
    hk_flash_destroy(&fl);
    free(img);
    fakevm_destroy(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t third = size / 3;
    descriptors(data, third);
    vars_image(data + third, third);
    flash_ops(data + 2 * third, size - 2 * third);
    return 0;
}
