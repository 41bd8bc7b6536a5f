/*
 * One set of firmware through the app's path (HakoFirmware: what the wizard, the settings and the
 * host check offer) and the engine's path (hk_firmware_load: what hako-vmm runs before it maps
 * firmware): the verdicts must be identical, file by file. The set: the real Debian files where
 * the ovmf and seabios packages are installed (every CODE with every VARS, each CODE alone, the
 * unified OVMF.fd, every SeaBIOS build), everything discovery finds on this machine, and
 * synthetic images: 1, 2 and 4 MiB builds, a unified image, swapped and mismatched files, a
 * Secure Boot build, damaged stores, reset vectors a CPU cannot start from, sizes no build has,
 * and files that are not regular files at all.
 *
 * Built with -DPARITY_USABLE_ONLY it compares usable/refused only (no problem codes, no FIFOs):
 * that variant also builds against the app's own checker from before the common library.
 */
#include <dirent.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fwimages.h"
#include "hako-firmware.h"
#include "pc/firmware.h"
#include "core/log.h"

static char *dir;
static unsigned n_cases, n_usable, n_differ;

static char *path_in(const char *name)
{
    return g_build_filename(dir, name, NULL);
}

/* Both verdicts on one configuration; a difference is reported and counted. */
static void compare(const char *what, HakoFirmwareKind kind, const char *code, const char *vars)
{
    g_autoptr(HakoFirmware) app = hako_firmware_new_for_paths(kind, code, vars);
    struct hk_log log;
    hk_log_init(&log, NULL, HK_LOG_ERROR);
    struct hk_firmware_config cfg = {.kind = (enum hk_fw_kind)kind};
    if (kind == HAKO_FIRMWARE_BIOS) {
        cfg.path = code;
    } else {
        cfg.ovmf_code = code;
        cfg.ovmf_vars_template = vars;
    }
    struct hk_firmware *fw = g_new0(struct hk_firmware, 1);
    gboolean engine_ok = hk_firmware_load(fw, &cfg, &log) == 0;
    gboolean app_ok = hako_firmware_is_usable(app);
    gboolean same = engine_ok == app_ok;
#ifndef PARITY_USABLE_ONLY
    const struct hk_fw_check *c = hako_firmware_get_check(app);
    if (kind == HAKO_FIRMWARE_UEFI && !engine_ok)
        same &= fw->problem == c->problem;
    if (engine_ok && app_ok) {
        /* the same image mapped and the same store */
        same &= fw->size == c->code_size;
        if (kind == HAKO_FIRMWARE_UEFI)
            same &= fw->vars_size == c->vars_size;
    }
#endif
    n_cases++;
    n_usable += engine_ok;
    g_test_message("%-44s app %-8s engine %-8s %s", what, app_ok ? "usable" : "refused",
                   engine_ok ? "usable" : "refused", same ? "" : "DIFFERENT");
    if (!same) {
        n_differ++;
        g_test_message("    %s%s%s\n    app: %s\n    engine: %s", code, vars ? " + " : "",
                       vars ? vars : "", app_ok ? "-" : hako_firmware_get_problem(app),
                       engine_ok             ? "-"
                       : fw->problem_text[0] ? fw->problem_text
                                             : log.last_error);
    }
    hk_firmware_free(fw);
    g_free(fw);
    hk_log_destroy(&log);
}

static void write_img(const char *name, enum fwimg_kind kind, size_t size)
{
    g_autofree char *p = path_in(name);
    fwimg_write(p, kind, size);
}

/* An image of kind with bytes replaced at off (negative: from the end). */
static void write_patched(const char *name, enum fwimg_kind kind, size_t size, long off,
                          const void *bytes, size_t n)
{
    g_autofree char *p = path_in(name);
    size_t len;
    uint8_t *b = fwimg_make(kind, size, &len);
    memcpy(b + (off < 0 ? (long)len + off : off), bytes, n);
    fwimg_write_buf(p, b, len);
    free(b);
}

#define SYN(name) g_autofree char *name = path_in(#name ".fd")

static void test_synthetic(void)
{
    write_img("OVMF_CODE_1M.fd", FWIMG_CODE, FWIMG_CODE_1M);
    write_img("OVMF_VARS_1M.fd", FWIMG_VARS, FWIMG_VARS_2M);
    write_img("OVMF_CODE_2M.fd", FWIMG_CODE, FWIMG_CODE_2M);
    write_img("OVMF_VARS_2M.fd", FWIMG_VARS, FWIMG_VARS_2M);
    write_img("OVMF_CODE_4M.fd", FWIMG_CODE, FWIMG_CODE_4M);
    write_img("OVMF_VARS_4M.fd", FWIMG_VARS, FWIMG_VARS_4M);
    write_img("OVMF.fd", FWIMG_UNIFIED, FWIMG_CODE_2M);
    write_img("OVMF_CODE_4M.secboot.fd", FWIMG_CODE, FWIMG_CODE_4M);
    write_img("bios.fd", FWIMG_BIOS, 128 * 1024);
    write_img("bios-68k.fd", FWIMG_BIOS, 68 * 1024);
    SYN(OVMF_CODE_1M);
    SYN(OVMF_VARS_1M);
    SYN(OVMF_CODE_2M);
    SYN(OVMF_VARS_2M);
    SYN(OVMF_CODE_4M);
    SYN(OVMF_VARS_4M);
    g_autofree char *unified = path_in("OVMF.fd");
    g_autofree char *secboot = path_in("OVMF_CODE_4M.secboot.fd");
    compare("1 MiB build", HAKO_FIRMWARE_UEFI, OVMF_CODE_1M, OVMF_VARS_1M);
    compare("2 MiB build", HAKO_FIRMWARE_UEFI, OVMF_CODE_2M, OVMF_VARS_2M);
    compare("4 MiB build", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, OVMF_VARS_4M);
    compare("4 MiB CODE alone (template by name)", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, NULL);
    compare("unified image", HAKO_FIRMWARE_UEFI, unified, NULL);
    compare("unified image + a 2 MiB store", HAKO_FIRMWARE_UEFI, unified, OVMF_VARS_2M);
    compare("swapped", HAKO_FIRMWARE_UEFI, OVMF_VARS_4M, OVMF_CODE_4M);
    compare("VARS as CODE alone", HAKO_FIRMWARE_UEFI, OVMF_VARS_4M, NULL);
    compare("CODE as VARS", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, OVMF_CODE_4M);
    compare("mismatched 2 MiB CODE + 4 MiB VARS", HAKO_FIRMWARE_UEFI, OVMF_CODE_2M, OVMF_VARS_4M);
    compare("mismatched 4 MiB CODE + 2 MiB VARS", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, OVMF_VARS_2M);
    compare("Secure Boot build (by name)", HAKO_FIRMWARE_UEFI, secboot, OVMF_VARS_4M);

    /* damaged variable stores */
    static const uint8_t zero2[2] = {0, 0}, x = 'x';
    write_patched("bad-sum.fd", FWIMG_VARS, FWIMG_VARS_4M, 0x32, zero2, 2);
    write_patched("no-fvh.fd", FWIMG_VARS, FWIMG_VARS_4M, 0x28, &x, 1);
    write_patched("unhealthy.fd", FWIMG_VARS, FWIMG_VARS_4M, 0x48 + 21, zero2, 1);
    uint8_t len[8];
    fwimg_le(len, 0x10000, 8);
    write_patched("short-fv.fd", FWIMG_VARS, FWIMG_VARS_2M, 0x20, len, 8);
    g_autofree char *bad_sum_p = path_in("bad-sum.fd"), *no_fvh = path_in("no-fvh.fd"),
                    *unhealthy = path_in("unhealthy.fd"), *short_fv = path_in("short-fv.fd");
    compare("VARS header checksum wrong", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, bad_sum_p);
    compare("VARS without _FVH", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, no_fvh);
    compare("VARS store not healthy", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, unhealthy);
    compare("VARS volume length != file size", HAKO_FIRMWARE_UEFI, OVMF_CODE_2M, short_fv);
    write_img("zero-vars.fd", FWIMG_ZERO, FWIMG_VARS_4M);
    g_autofree char *zero_vars = path_in("zero-vars.fd");
    compare("VARS all zeros", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, zero_vars);

    /* reset vectors */
    static const uint8_t ff16[16] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                     0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const uint8_t jump_last[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xE9};
    static const uint8_t into_pad[16] = {0x90, 0x90, 0xE9, 0x0B, 0x80};
    write_patched("rv-ff.fd", FWIMG_CODE, FWIMG_CODE_4M, -16, ff16, 16);
    write_patched("rv-late-jump.fd", FWIMG_CODE, FWIMG_CODE_4M, -16, jump_last, 16);
    g_autofree char *rv_ff = path_in("rv-ff.fd"), *rv_late = path_in("rv-late-jump.fd");
    compare("CODE reset vector erased", HAKO_FIRMWARE_UEFI, rv_ff, OVMF_VARS_4M);
    compare("CODE with E9 in the last byte only", HAKO_FIRMWARE_UEFI, rv_late, OVMF_VARS_4M);
    {
        /* a near jump to 0x8000 of the last 64 KiB, which holds erased flash (0xFF) */
        g_autofree char *p = path_in("rv-into-pad.fd");
        size_t n;
        uint8_t *b = fwimg_make(FWIMG_CODE, FWIMG_CODE_4M, &n);
        memcpy(b + n - 16, into_pad, sizeof(into_pad));
        memset(b + n - 0x8000, 0xFF, 0x100);
        fwimg_write_buf(p, b, n);
        free(b);
        compare("CODE jumping into erased flash", HAKO_FIRMWARE_UEFI, p, OVMF_VARS_4M);
    }

    /* sizes */
    write_img("code-1792k.fd", FWIMG_CODE, 0x1C0000);
    write_img("vars-256k.fd", FWIMG_VARS, 0x40000);
    g_autofree char *c1792 = path_in("code-1792k.fd"), *v256 = path_in("vars-256k.fd");
    compare("CODE + VARS = 2 MiB, but no build's sizes", HAKO_FIRMWARE_UEFI, c1792, v256);
    write_img("code-odd.fd", FWIMG_CODE, FWIMG_CODE_4M - 100);
    g_autofree char *code_odd = path_in("code-odd.fd");
    compare("CODE not whole 4 KiB blocks", HAKO_FIRMWARE_UEFI, code_odd, OVMF_VARS_4M);
    write_img("empty.fd", FWIMG_ZERO, 0);
    g_autofree char *empty = path_in("empty.fd");
    compare("empty CODE", HAKO_FIRMWARE_UEFI, empty, OVMF_VARS_4M);
    compare("empty VARS", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, empty);
    g_autofree char *missing = path_in("missing.fd");
    compare("CODE missing", HAKO_FIRMWARE_UEFI, missing, OVMF_VARS_4M);
    compare("VARS missing", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, missing);
    compare("CODE a folder", HAKO_FIRMWARE_UEFI, dir, OVMF_VARS_4M);

    /* BIOS */
    g_autofree char *bios = path_in("bios.fd"), *bios68 = path_in("bios-68k.fd");
    compare("BIOS 128 KiB", HAKO_FIRMWARE_BIOS, bios, NULL);
    compare("BIOS 68 KiB (4 KiB blocks)", HAKO_FIRMWARE_BIOS, bios68, NULL);
    compare("BIOS given an OVMF store", HAKO_FIRMWARE_BIOS, OVMF_VARS_4M, NULL);
    compare("BIOS E9 in the last byte only", HAKO_FIRMWARE_BIOS, rv_late, NULL);
    compare("BIOS missing", HAKO_FIRMWARE_BIOS, missing, NULL);
    compare("BIOS empty", HAKO_FIRMWARE_BIOS, empty, NULL);
    compare("BIOS a folder", HAKO_FIRMWARE_BIOS, dir, NULL);
#ifndef PARITY_USABLE_ONLY
    /* a FIFO: refused by both (and never waited on) */
    g_autofree char *fifo = path_in("fifo.fd");
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    compare("BIOS a FIFO", HAKO_FIRMWARE_BIOS, fifo, NULL);
    compare("CODE a FIFO", HAKO_FIRMWARE_UEFI, fifo, OVMF_VARS_4M);
    compare("VARS a FIFO", HAKO_FIRMWARE_UEFI, OVMF_CODE_4M, fifo);
#endif
}

static gboolean has_suffix(const char *name, const char *suffix)
{
    return g_str_has_suffix(name, suffix);
}

/* Debian's files, every CODE with every VARS. */
static void test_debian(void)
{
    const char *d = "/usr/share/OVMF";
    g_autoptr(GDir) gd = g_dir_open(d, 0, NULL);
    if (!gd) {
        g_test_skip("Debian's ovmf package is not installed");
        return;
    }
    g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) vars = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(gd))) {
        if (!has_suffix(n, ".fd"))
            continue;
        if (g_str_has_prefix(n, "OVMF_CODE"))
            g_ptr_array_add(codes, g_build_filename(d, n, NULL));
        else if (g_str_has_prefix(n, "OVMF_VARS"))
            g_ptr_array_add(vars, g_build_filename(d, n, NULL));
    }
    for (guint i = 0; i < codes->len; i++) {
        g_autofree char *alone = g_strdup_printf("%s alone", (char *)codes->pdata[i] + 16);
        compare(alone, HAKO_FIRMWARE_UEFI, codes->pdata[i], NULL);
        for (guint j = 0; j < vars->len; j++) {
            g_autofree char *what = g_strdup_printf("%s + %s", (char *)codes->pdata[i] + 16,
                                                    (char *)vars->pdata[j] + 16);
            compare(what, HAKO_FIRMWARE_UEFI, codes->pdata[i], vars->pdata[j]);
        }
    }
    if (g_file_test("/usr/share/ovmf/OVMF.fd", G_FILE_TEST_EXISTS))
        compare("ovmf/OVMF.fd (unified)", HAKO_FIRMWARE_UEFI, "/usr/share/ovmf/OVMF.fd", NULL);
    static const char *const bios[] = {"/usr/share/seabios/bios.bin",
                                       "/usr/share/seabios/bios-256k.bin",
                                       "/usr/share/seabios/bios-microvm.bin"};
    for (gsize i = 0; i < G_N_ELEMENTS(bios); i++)
        if (g_file_test(bios[i], G_FILE_TEST_EXISTS))
            compare(bios[i] + 11, HAKO_FIRMWARE_BIOS, bios[i], NULL);
}

/* Everything discovery offers on this machine, and the defaults: the build the wizard proposes is
 * the one hako-vmm takes when given none. */
static void test_discovered(void)
{
    g_autoptr(GListModel) list = hako_firmware_discover(NULL);
    for (guint i = 0; i < g_list_model_get_n_items(list); i++) {
        g_autoptr(HakoFirmware) f = g_list_model_get_item(list, i);
        g_autofree char *what = g_strdup_printf("found: %s", hako_firmware_get_name(f));
        compare(what, hako_firmware_get_kind(f), hako_firmware_get_code_path(f),
                hako_firmware_get_vars_template(f));
    }
    for (int kind = HAKO_FIRMWARE_BIOS; kind <= HAKO_FIRMWARE_UEFI; kind++) {
        HakoFirmware *def = hako_firmware_list_find_default(list, (HakoFirmwareKind)kind);
        struct hk_log log;
        hk_log_init(&log, NULL, HK_LOG_ERROR);
        struct hk_firmware_config cfg = {.kind = (enum hk_fw_kind)kind};
        struct hk_firmware *fw = g_new0(struct hk_firmware, 1);
        int r = hk_firmware_load(fw, &cfg, &log);
        g_test_message("default %s: app %s, engine %s", kind ? "UEFI" : "BIOS",
                       def ? hako_firmware_get_code_path(def) : "none", r == 0 ? fw->path : "none");
        g_assert_cmpint(def != NULL, ==, r == 0);
        if (def)
            g_assert_cmpstr(hako_firmware_get_code_path(def), ==, fw->path);
        hk_firmware_free(fw);
        g_free(fw);
        hk_log_destroy(&log);
    }
}

static void test_total(void)
{
    g_test_message("%u configurations, %u usable, %u with different verdicts", n_cases, n_usable,
                   n_differ);
    g_assert_cmpuint(n_differ, ==, 0);
}

static void rm_rf(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(path, n, NULL);
        g_unlink(p);
    }
    g_rmdir(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    dir = g_dir_make_tmp("hako-fw-parity-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_test_add_func("/firmware-parity/synthetic", test_synthetic);
    g_test_add_func("/firmware-parity/debian", test_debian);
    g_test_add_func("/firmware-parity/discovered", test_discovered);
    g_test_add_func("/firmware-parity/total", test_total);
    int r = g_test_run();
    rm_rf(dir);
    g_free(dir);
    return r;
}
