/* HakoDiagnosis (src/hako-diagnosis.c): every cause of PLATFORM.md's "screen stays dark" table
 * from a facts timeline as the engine records it (the lists below were taken from real
 * hako-vmm --diagnose=json runs where the engine can produce them on this host, and written from
 * the engine's fact kinds and texts where it cannot), plus "still starting" and the GOP status.
 *
 * Also a small tool for the guest and firmware tests, which run the engine and hand its real
 * timeline over:
 *   test-diagnosis --facts FILE.json --firmware bios|uefi|raw [--memory MIB] [--os-min MIB]
 *                  [--media bios|efi|both] [--elapsed S] --expect CAUSE
 * prints the verdict and exits 0 when the cause is CAUSE. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "hako-diagnosis.h"
#include "facts-json.h"

static int failures, checks;

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(c)) {                                                                                \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
        }                                                                                          \
    } while (0)

#define CHECK_CAUSE(d, want)                                                                       \
    do {                                                                                           \
        checks++;                                                                                  \
        if (hako_diagnosis_get_cause(d) != (want)) {                                               \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: cause %s, expected %s (%s)\n", __FILE__, __LINE__,             \
                    hako_diagnosis_cause_to_string(hako_diagnosis_get_cause(d)),                   \
                    hako_diagnosis_cause_to_string(want), hako_diagnosis_get_title(d));            \
        }                                                                                          \
    } while (0)

typedef struct {
    double t;
    int kind;
    gint64 a, b, c;
    const char *text;
    guint32 flags;
    const char *path0, *path1;
    const char *insn; /* the instruction bytes, insn_len of them */
    guint insn_len;
} F;

#define END                                                                                        \
    {                                                                                              \
        -1, 0, 0, 0, 0, NULL                                                                       \
    }

static HakoDiagnosis *diag(HakoDiagnosisFirmware fw, guint mem, const F *facts, double elapsed)
{
    HakoDiagnosis *d = hako_diagnosis_new();
    HakoDiagnosisSettings s = {0};
    s.firmware = fw;
    s.memory_mib = mem;
    hako_diagnosis_set_settings(d, &s);
    for (const F *f = facts; f->t >= 0; f++) {
        struct hk_fact h;
        memset(&h, 0, sizeof(h));
        h.t_ns = (guint64)(f->t * 1e9);
        h.kind = (guint32)f->kind;
        h.a = f->a;
        h.b = f->b;
        h.c = f->c;
        g_strlcpy(h.text, f->text ? f->text : "", sizeof(h.text));
        h.flags = f->flags;
        g_strlcpy(h.path[0], f->path0 ? f->path0 : "", sizeof(h.path[0]));
        g_strlcpy(h.path[1], f->path1 ? f->path1 : "", sizeof(h.path[1]));
        h.insn_len = MIN(f->insn_len, (guint)sizeof(h.insn));
        if (f->insn)
            memcpy(h.insn, f->insn, h.insn_len);
        hako_diagnosis_add_fact(d, &h);
    }
    hako_diagnosis_set_elapsed(d, elapsed);
    hako_diagnosis_evaluate(d);
    return d;
}

static gboolean has(const char *s, const char *sub)
{
    return s && strstr(s, sub) != NULL;
}

#define INSN_FNINIT "\x9b\xdb\xe3\xd9\x2d\x74\xed\xfc\xff\xb8\x01\x00\x00\x00\x0f\xa2"
#define INSN_UD2    "\x0f\x0b\xb0\x21\xe6\xf4\xf4\xeb\xfd\x74\x72\x69\x70\x6c\x65\x2d"

/* hako-vmm --firmware uefi on this nested KVM host (tests/firmware/ovmf.py records it) */
static const F ovmf_fninit[] = {
    {0.009, HK_FACT_FIRMWARE, 1, 0x37C000, 0,
     "/usr/share/OVMF/OVMF_CODE_4M.fd (4 MiB OVMF CODE, reset vector 90 90 e9 5b ff, no SMM)"},
    {0.009, HK_FACT_FIRMWARE_VARS, 0x84000, 0xFFC00000, 0,
     "/vm/OVMF_VARS.fd (528 KiB, 0 variables, created from /usr/share/OVMF/OVMF_VARS_4M.fd)"},
    {0.009, HK_FACT_ENGINE_START, 1024, 1, 0, "1024 MiB, 1 CPU, UEFI firmware"},
    {0.031, HK_FACT_INTERNAL_ERROR, 1, 0xfffced45, 0,
     "9b db e3 d9 2d 74 ed fc ff b8 01 00 00 00 0f a2", .insn = INSN_FNINIT, .insn_len = 16},
    END};

static void test_host_kvm(void)
{
    HakoDiagnosis *d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, ovmf_fninit, 1.0);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_HOST_KVM);
    CHECK(has(hako_diagnosis_get_title(d), "UEFI Firmware"));
    CHECK(has(hako_diagnosis_get_explanation(d), "FWAIT; FNINIT (9b db e3 d9 2d)"));
    CHECK(has(hako_diagnosis_get_explanation(d), "0xfffced45"));
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_USE_BIOS);
    CHECK(g_str_equal(hako_diagnosis_get_gop_status(d),
                      "GOP status: no mode set: the firmware stopped before its graphics driver "
                      "ran"));
    CHECK(!hako_diagnosis_is_pending(d));
    g_autofree char *tl = hako_diagnosis_get_timeline(d);
    CHECK(has(tl, "    0.03  The host's KVM could not run the instruction at 0xfffced45"));
    g_object_unref(d);
    /* the same under BIOS after the OS set a mode: the guest, not the firmware */
    const F later[] = {{1.3, HK_FACT_MODE_SET, 1280, 800, 32, ""},
                       {9.0, HK_FACT_INTERNAL_ERROR, 1, 0x401000, 0, "0f 01 c1",
                        .insn = "\x0f\x01\xc1", .insn_len = 3},
                       END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 1024, later, 10);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_HOST_KVM);
    CHECK(has(hako_diagnosis_get_title(d), "the Guest"));
    CHECK(!(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_USE_BIOS));
    CHECK(has(hako_diagnosis_get_explanation(d), "VMCALL (0f 01 c1)"));
    g_object_unref(d);
    /* the instruction is read from the fact's bytes, never from its text (which is for people
     * and may say anything) */
    const F typed[] = {{0.031, HK_FACT_INTERNAL_ERROR, 1, 0xfffced45, 0, "0f 0b (not these)",
                        .insn = INSN_FNINIT, .insn_len = 16},
                       END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, typed, 1.0);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_HOST_KVM);
    CHECK(has(hako_diagnosis_get_explanation(d), "FWAIT; FNINIT (9b db e3 d9 2d)"));
    CHECK(!has(hako_diagnosis_get_explanation(d), "UD2"));
    g_autofree char *tl2 = hako_diagnosis_get_timeline(d);
    CHECK(has(tl2, "(9b db e3 d9 2d 74 ed fc ff b8 01 00 00 00 0f a2)"));
    g_object_unref(d);
    /* no bytes (the engine could not read them): said so, not taken from the text */
    const F unread[] = {{0.031, HK_FACT_INTERNAL_ERROR, 1, 0xfffced45, 0, "cf"}, END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, unread, 1.0);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_HOST_KVM);
    CHECK(has(hako_diagnosis_get_explanation(d), "(bytes unreadable)"));
    CHECK(!has(hako_diagnosis_get_explanation(d), "IRET"));
    g_object_unref(d);
}

static void test_refused(void)
{
    const char *code4 = "/usr/share/OVMF/OVMF_CODE_4M.fd",
               *vars4 = "/usr/share/OVMF/OVMF_VARS_4M.fd";
    const struct {
        int problem;
        HakoDiagnosisCause cause;
        const char *use_code, *use_vars;
    } cases[] = {
        {HK_FW_PROBLEM_MISMATCH, HAKO_DIAGNOSIS_FIRMWARE_MISMATCH, NULL,
         "/usr/share/OVMF/OVMF_VARS.fd"},
        {HK_FW_PROBLEM_SECURE_BOOT, HAKO_DIAGNOSIS_SECURE_BOOT, code4, vars4},
        {HK_FW_PROBLEM_SWAPPED, HAKO_DIAGNOSIS_FIRMWARE_WRONG_WAY, code4, vars4},
        {HK_FW_PROBLEM_NOT_CODE, HAKO_DIAGNOSIS_FIRMWARE_WRONG_WAY, code4, NULL},
        {HK_FW_PROBLEM_BAD_VARS, HAKO_DIAGNOSIS_VARS_DAMAGED, NULL, vars4},
        {HK_FW_PROBLEM_VARS_IN_USE, HAKO_DIAGNOSIS_VARS_UNAVAILABLE, NULL, NULL},
        {HK_FW_PROBLEM_NOT_FOUND, HAKO_DIAGNOSIS_FIRMWARE_MISSING, NULL, NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const F facts[] = {{0, HK_FACT_ENGINE_START, 1024, 1, 0, "1024 MiB, 1 CPU, UEFI firmware"},
                           {0, HK_FACT_FIRMWARE_REFUSED, cases[i].problem, 0, 0,
                            hk_fw_problem_name(cases[i].problem), 0, cases[i].use_code,
                            cases[i].use_vars},
                           END};
        HakoDiagnosis *d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, facts, 0.1);
        CHECK_CAUSE(d, cases[i].cause);
        CHECK(hako_diagnosis_get_title(d)[0] && hako_diagnosis_get_fix(d)[0]);
        CHECK(has(hako_diagnosis_get_gop_status(d), "the firmware did not start"));
        CHECK(g_strcmp0(hako_diagnosis_get_use_code(d), cases[i].use_code) == 0);
        CHECK(g_strcmp0(hako_diagnosis_get_use_vars(d), cases[i].use_vars) == 0);
        g_object_unref(d);
    }
    /* the files to use are offered as one click */
    const F mism[] = {{0, HK_FACT_FIRMWARE_REFUSED, HK_FW_PROBLEM_MISMATCH, 0, 0, "mismatch", 0,
                       NULL, "/usr/share/OVMF/OVMF_VARS.fd"},
                      END};
    HakoDiagnosis *d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, mism, 0.1);
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_USE_FIRMWARE);
    CHECK(hako_diagnosis_get_use_code(d) == NULL);
    CHECK(g_strcmp0(hako_diagnosis_get_use_vars(d), "/usr/share/OVMF/OVMF_VARS.fd") == 0);
    CHECK(has(hako_diagnosis_get_fix(d), "/usr/share/OVMF/OVMF_VARS.fd"));
    g_object_unref(d);
    /* long paths arrive whole (the text used to be cut at 119 bytes), and nothing is read from
     * the text: a text that looks like the old "use X + Y" form suggests nothing */
    char long_code[HK_FACT_PATH_MAX], long_vars[HK_FACT_PATH_MAX];
    snprintf(long_code, sizeof(long_code), "/home/someone/%0*d/OVMF_CODE_4M.fd", 700, 7);
    snprintf(long_vars, sizeof(long_vars), "/home/someone/%0*d/OVMF_VARS_4M.fd", 900, 9);
    const F sb[] = {{0, HK_FACT_FIRMWARE_REFUSED, HK_FW_PROBLEM_SECURE_BOOT, 0, 0, "secure-boot", 0,
                     long_code, long_vars},
                    END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, sb, 0.1);
    CHECK(g_strcmp0(hako_diagnosis_get_use_code(d), long_code) == 0);
    CHECK(g_strcmp0(hako_diagnosis_get_use_vars(d), long_vars) == 0);
    CHECK(has(hako_diagnosis_get_fix(d), long_vars));
    g_object_unref(d);
    const F prose[] = {{0, HK_FACT_FIRMWARE_REFUSED, HK_FW_PROBLEM_SECURE_BOOT, 0, 0,
                        "use /usr/share/OVMF/OVMF_CODE_4M.fd + -"},
                       END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, prose, 0.1);
    CHECK(hako_diagnosis_get_use_code(d) == NULL);
    CHECK(!(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_USE_FIRMWARE));
    g_object_unref(d);
}

/* tests/guests/triple-fault.asm (recorded; the engine keeps the first 16 of each) */
static const F triple[] = {
    {0.008, HK_FACT_FIRMWARE, 2, 0x10000, 0,
     "triple-fault.bin (64 KiB, reset vector ea 00 00 00 f0)"},
    {0.008, HK_FACT_ENGINE_START, 64, 1, 0, "64 MiB, 1 CPU, raw firmware"},
    {0.019, HK_FACT_DEBUGCON_LINE, 0, 0, 0, "triple-fault: raising an exception with an empty IDT"},
    {0.019, HK_FACT_TRIPLE_FAULT, 0, 0xf0155, 0, "0f 0b b0 21 e6 f4 f4 eb fd 74 72 69 70 6c 65 2d",
     .insn = INSN_UD2, .insn_len = 16},
    {0.019, HK_FACT_RESET, 1, 0, 0, "triple fault"},
    {0.021, HK_FACT_TRIPLE_FAULT, 0, 0xf0155, 0, "0f 0b b0 21 e6 f4 f4 eb fd 74 72 69 70 6c 65 2d",
     .insn = INSN_UD2, .insn_len = 16},
    {0.021, HK_FACT_RESET, 2, 0, 0, "triple fault"},
    {1.008, HK_FACT_RESET_LOOP, 612, 10, 0, "the machine keeps resetting (612 resets so far)"},
    END};

static void test_crashes(void)
{
    HakoDiagnosis *d = diag(HAKO_DIAGNOSIS_FIRMWARE_RAW, 64, triple, 4);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_RESET_LOOP);
    CHECK(has(hako_diagnosis_get_explanation(d), "612 times"));
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_RESTART);
    g_object_unref(d);
    /* one triple fault, then it came back up quietly: a crash */
    const F once[] = {
        {0.5, HK_FACT_SERIAL_LINE, 0, 0, 0, "Loading Linux ..."},
        {2.0, HK_FACT_TRIPLE_FAULT, 0, 0x1000000, 0, "0f 0b", .insn = "\x0f\x0b", .insn_len = 2},
        {2.0, HK_FACT_RESET, 1, 0, 0, "triple fault"},
        END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, once, 5);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_CRASHED);
    CHECK(has(hako_diagnosis_get_explanation(d), "0x1000000"));
    CHECK(has(hako_diagnosis_get_explanation(d), "“Loading Linux ...”"));
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE);
    g_object_unref(d);
    /* tests/guests/halt-cli.asm (recorded) */
    const F halt[] = {{0.007, HK_FACT_FIRMWARE, 2, 0x10000, 0,
                       "halt-cli.bin (64 KiB, reset vector ea 00 00 00 f0)"},
                      {0.007, HK_FACT_ENGINE_START, 64, 1, 0, "64 MiB, 1 CPU, raw firmware"},
                      {2.008, HK_FACT_HALT_IRQ_OFF, 1, 0xf0150, 0,
                       "the CPU executed HLT with interrupts disabled: nothing can wake it"},
                      END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_RAW, 64, halt, 4);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_HALTED);
    CHECK(has(hako_diagnosis_get_explanation(d), "0xf0150"));
    g_object_unref(d);
    /* a kernel panic: the last serial lines are part of the explanation */
    const F panic[] = {{1.0, HK_FACT_MODE_SET, 1024, 768, 32, ""},
                       {1.1, HK_FACT_DISPLAY_DISABLED, 0, 0, 0, ""},
                       {3.0, HK_FACT_SERIAL_LINE, 0, 0, 0, "Kernel panic - not syncing: VFS"},
                       {3.1, HK_FACT_HALT_IRQ_OFF, 1, 0xffffffff81000000, 0, ""},
                       END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, panic, 6);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_HALTED);
    CHECK(has(hako_diagnosis_get_explanation(d), "Kernel panic"));
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE);
    g_object_unref(d);
}

static void test_memory(void)
{
    const F halt[] = {{0.1, HK_FACT_FWCFG_FIRST, 0, 0, 0, ""},
                      {3.0, HK_FACT_HALT_IRQ_OFF, 1, 0x100000, 0, ""},
                      END};
    HakoDiagnosis *d = hako_diagnosis_new();
    HakoDiagnosisSettings s = {0};
    s.firmware = HAKO_DIAGNOSIS_FIRMWARE_BIOS;
    s.memory_mib = 512;
    s.os_name = "Fedora Workstation 39";
    s.os_min_memory_mib = 2048;
    s.os_recommended_memory_mib = 4096;
    hako_diagnosis_set_settings(d, &s);
    for (const F *f = halt; f->t >= 0; f++) {
        struct hk_fact h = {
            .t_ns = (guint64)(f->t * 1e9), .kind = (guint32)f->kind, .a = f->a, .b = f->b};
        hako_diagnosis_add_fact(d, &h);
    }
    hako_diagnosis_set_elapsed(d, 5);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_TOO_LITTLE_RAM);
    CHECK(has(hako_diagnosis_get_explanation(d), "512 MiB"));
    CHECK(has(hako_diagnosis_get_explanation(d), "Fedora Workstation 39"));
    CHECK(has(hako_diagnosis_get_explanation(d), "2048 MiB"));
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_RAISE_MEMORY);
    CHECK(hako_diagnosis_get_memory_mib(d) == 4096);
    g_object_unref(d);
    /* OVMF with 64 MiB: the firmware itself cannot start an OS */
    const F spin[] = {{0.1, HK_FACT_FWCFG_FIRST, 0, 0, 0, ""},
                      {12.0, HK_FACT_CPU_SPIN, 10, 0x7fe00000, 0, ""},
                      END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 64, spin, 13);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_TOO_LITTLE_RAM);
    CHECK(hako_diagnosis_get_memory_mib(d) >= 512);
    g_object_unref(d);
}

/* vm.ini memory= is read as hako-vmm --memory reads it (one parser, vmm/common/size.c): what the
 * engine refuses is not guessed at (the settings' default, 1024 MiB, is assumed instead) */
static void test_memory_setting(void)
{
    static const struct {
        const char *value;
        guint mib;
    } cases[] = {
        {"512", 512},       {"2G", 2048},    {"2GiB", 2048}, {"1536M", 1536},
        {"1048576K", 1024}, {"2Gx", 1024},   {"2 G", 1024},  {"1.5G", 1024},
        {"-2G", 1024},      {"2048 ", 1024}, {"3072", 3072}, {"1073741824", 1073741824u},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        GKeyFile *kf = g_key_file_new();
        g_key_file_set_value(kf, "Engine", "memory", cases[i].value);
        HakoDiagnosis *d = hako_diagnosis_new();
        hako_diagnosis_load_settings(d, kf);
        hako_diagnosis_set_os(d, "Debian 12", G_MAXUINT, G_MAXUINT);
        struct hk_fact h = {
            .t_ns = 3000000000ull, .kind = HK_FACT_HALT_IRQ_OFF, .a = 1, .b = 0x100000};
        hako_diagnosis_add_fact(d, &h);
        hako_diagnosis_set_elapsed(d, 5);
        hako_diagnosis_evaluate(d);
        g_autofree char *want = g_strdup_printf("has %u MiB", cases[i].mib);
        if (!has(hako_diagnosis_get_explanation(d), want))
            fprintf(stderr, "memory=%s: %s\n", cases[i].value, hako_diagnosis_get_explanation(d));
        CHECK(has(hako_diagnosis_get_explanation(d), want));
        g_object_unref(d);
        g_key_file_free(kf);
    }
}

/* SeaBIOS's messages for a UEFI-only ISO (tests/firmware/iso-uefi-only.py records them) */
static const F bios_uefi_iso[] = {
    {0.01, HK_FACT_DEBUGCON_LINE, 0, 0, 0, "SeaBIOS (version 1.16.2-debian-1.16.2-1)"},
    {1.34, HK_FACT_MODE_SET, 1280, 800, 32, ""},
    {1.50, HK_FACT_FIRST_DAMAGE, 0, 16, 0, "the guest drew on the screen"},
    {1.60, HK_FACT_BOOTING, HK_BOOT_DEVICE_CDROM, 0, 0, "Booting from DVD/CD..."},
    {1.70, HK_FACT_BOOT_FAILED, HK_BOOT_DEVICE_CDROM, 0, 0,
     "Boot failed: Could not read from CDROM (code 0009)"},
    {2.10, HK_FACT_BOOTING, HK_BOOT_DEVICE_FLOPPY, 0, 0, "Booting from Floppy..."},
    END};

static void test_media(void)
{
    HakoDiagnosis *d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, bios_uefi_iso, 3);
    /* without knowing the medium, while SeaBIOS tries the next device: not yet */
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NONE);
    g_object_unref(d);
    /* ...and once it gives up: nothing bootable */
    const F gave_up[] = {
        {1.6, HK_FACT_BOOTING, HK_BOOT_DEVICE_CDROM, 0, 0, "Booting from DVD/CD..."},
        {1.7, HK_FACT_BOOT_FAILED, HK_BOOT_DEVICE_CDROM, 0, 0,
         "Boot failed: Could not read from CDROM (code 0009)"},
        {5.0, HK_FACT_BOOT_FAILED, HK_BOOT_DEVICE_CDROM, 0, 0, "No bootable device."},
        END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, gave_up, 6);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NOT_BOOTABLE);
    g_object_unref(d);
    /* the engine saw the catalog: UEFI entries only */
    const F seen[] = {{1.60, HK_FACT_BOOTING, HK_BOOT_DEVICE_CDROM, 0, 0, "Booting from DVD/CD..."},
                      {1.61, HK_FACT_BOOT_READ, 1552, 1, 2,
                       "El Torito boot catalog (LBA 1552): "
                       "boot images for UEFI"},
                      {1.70, HK_FACT_BOOT_FAILED, HK_BOOT_DEVICE_CDROM, 0, 0,
                       "Boot failed: Could not read from CDROM (code 0009)"},
                      END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, seen, 3);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_ISO_UEFI_ONLY);
    g_object_unref(d);
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, bios_uefi_iso, 3);
    hako_diagnosis_set_media(d, TRUE, FALSE, TRUE);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_ISO_UEFI_ONLY);
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_USE_UEFI);
    CHECK(has(hako_diagnosis_get_gop_status(d), "not used (BIOS firmware)"));
    CHECK(has(hako_diagnosis_get_gop_status(d), "1280×800"));
    g_object_unref(d);
    /* a BIOS-only ISO under UEFI: OVMF draws its logo and its boot manager gives up */
    const F uefi_bios_iso[] = {
        {2.4, HK_FACT_MODE_SET, 1280, 800, 32, "GOP mode set by the UEFI firmware",
         HK_FACT_MODE_BY_FIRMWARE_GOP},
        {2.5, HK_FACT_FIRST_DAMAGE, 0, 800, 0, ""},
        {9.0, HK_FACT_SERIAL_LINE, 0, 0, 0,
         "BdsDxe: failed to load Boot0001 \"UEFI QEMU DVD-ROM\" from PciRoot(0x0): Not Found",
         HK_FACT_LINE_EFI_BOOT_FAIL},
        END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 2048, uefi_bios_iso, 10);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NONE);
    hako_diagnosis_set_media(d, TRUE, TRUE, FALSE);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_ISO_BIOS_ONLY);
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_USE_BIOS);
    CHECK(g_str_equal(hako_diagnosis_get_gop_status(d),
                      "GOP status: mode set 1280×800, 32 bpp at 2.40 s"));
    g_object_unref(d);
    /* what failed is read from the facts' typed fields (the device in a, the recognised firmware
     * message in flags), never from their text: lines that say something else change nothing */
    const F cd_typed[] = {
        {1.60, HK_FACT_BOOTING, HK_BOOT_DEVICE_CDROM, 0, 0, "(the firmware's words)"},
        {1.70, HK_FACT_BOOT_FAILED, HK_BOOT_DEVICE_CDROM, 0, 0, "(the firmware's words)"},
        {2.10, HK_FACT_BOOTING, HK_BOOT_DEVICE_FLOPPY, 0, 0, "(the firmware's words)"},
        END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, cd_typed, 3);
    hako_diagnosis_set_media(d, TRUE, FALSE, TRUE);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_ISO_UEFI_ONLY);
    g_object_unref(d);
    const F disk_words[] = {
        {1.34, HK_FACT_MODE_SET, 1280, 800, 32, ""},
        {1.50, HK_FACT_FIRST_DAMAGE, 0, 16, 0, ""},
        {1.60, HK_FACT_BOOTING, HK_BOOT_DEVICE_DISK, 0, 0, "Booting from DVD/CD..."},
        {1.70, HK_FACT_BOOT_FAILED, HK_BOOT_DEVICE_DISK, 0, 0, "Could not read from CDROM"},
        {2.10, HK_FACT_BOOTING, HK_BOOT_DEVICE_FLOPPY, 0, 0, "Booting from Floppy..."},
        END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, disk_words, 3);
    hako_diagnosis_set_media(d, TRUE, FALSE, TRUE);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NONE);
    g_object_unref(d);
    const F efi_typed[] = {
        {2.4, HK_FACT_MODE_SET, 1280, 800, 32, "", HK_FACT_MODE_BY_FIRMWARE_GOP},
        {2.5, HK_FACT_FIRST_DAMAGE, 0, 800, 0, ""},
        {9.0, HK_FACT_SERIAL_LINE, 0, 0, 0, "(the firmware's words)", HK_FACT_LINE_EFI_BOOT_FAIL},
        END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 2048, efi_typed, 10);
    hako_diagnosis_set_media(d, TRUE, TRUE, FALSE);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_ISO_BIOS_ONLY);
    g_object_unref(d);
    const F efi_words[] = {
        {2.4, HK_FACT_MODE_SET, 1280, 800, 32, "", HK_FACT_MODE_BY_FIRMWARE_GOP},
        {2.5, HK_FACT_FIRST_DAMAGE, 0, 800, 0, ""},
        {9.0, HK_FACT_SERIAL_LINE, 0, 0, 0, "guest: BdsDxe: failed to load Boot0001"},
        END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 2048, efi_words, 10);
    hako_diagnosis_set_media(d, TRUE, TRUE, FALSE);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NONE);
    g_object_unref(d);
    /* a medium for both: no mismatch even when the boot failed */
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, gave_up, 6);
    hako_diagnosis_set_media(d, TRUE, TRUE, TRUE);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NOT_BOOTABLE);
    g_object_unref(d);
}

static void test_display(void)
{
    /* tests/guests/no-display.asm (recorded), past the grace period */
    const F none[] = {{0.009, HK_FACT_FIRMWARE, 2, 0x10000, 0, "no-display.bin"},
                      {0.011, HK_FACT_SERIAL_LINE, 0, 0, 0, "no-display: hello from the guest"},
                      END};
    HakoDiagnosis *d = diag(HAKO_DIAGNOSIS_FIRMWARE_RAW, 64, none, 4);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_STARTING); /* too early to tell */
    hako_diagnosis_set_elapsed(d, 20);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NO_DISPLAY);
    CHECK(has(hako_diagnosis_get_explanation(d), "never looked at the display"));
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE);
    g_object_unref(d);
    /* SeaBIOS without its video BIOS */
    const F novga[] = {{0.1, HK_FACT_FWCFG_FIRST, 0, 0, 0, ""},
                       {0.3, HK_FACT_DISPLAY_ENUMERATED, 0x10, 0, 0, ""},
                       {1.2, HK_FACT_DEBUGCON_LINE, 0, 0, 0, "No VGA found, scan for other display",
                        HK_FACT_LINE_NO_VGA},
                       END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 1024, novga, 30);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_DARK);
    g_object_unref(d);
    const F novga2[] = {{0.1, HK_FACT_FWCFG_FIRST, 0, 0, 0, ""},
                        {1.2, HK_FACT_DEBUGCON_LINE, 0, 0, 0,
                         "No VGA found, scan for other display", HK_FACT_LINE_NO_VGA},
                        END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 1024, novga2, 30);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NO_DISPLAY);
    CHECK(has(hako_diagnosis_get_fix(d), "seabios"));
    g_object_unref(d);
    /* the flag says it, not the words */
    const F novga_typed[] = {
        {0.1, HK_FACT_FWCFG_FIRST, 0, 0, 0, ""},
        {1.2, HK_FACT_DEBUGCON_LINE, 0, 0, 0, "(the firmware's words)", HK_FACT_LINE_NO_VGA},
        END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 1024, novga_typed, 30);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NO_DISPLAY);
    CHECK(has(hako_diagnosis_get_fix(d), "seabios"));
    g_object_unref(d);
    const F novga_words[] = {{0.1, HK_FACT_FWCFG_FIRST, 0, 0, 0, ""},
                             {1.2, HK_FACT_DEBUGCON_LINE, 0, 0, 0, "a guest says: No VGA found"},
                             END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 1024, novga_words, 30);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NO_DISPLAY);
    CHECK(!has(hako_diagnosis_get_fix(d), "seabios"));
    g_object_unref(d);
    /* the VM has no display at all */
    HakoDiagnosisSettings s = {0};
    s.firmware = HAKO_DIAGNOSIS_FIRMWARE_BIOS;
    s.memory_mib = 1024;
    s.no_display = TRUE;
    d = hako_diagnosis_new();
    hako_diagnosis_set_settings(d, &s);
    hako_diagnosis_set_elapsed(d, 1);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NO_DISPLAY);
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_ADD_DISPLAY);
    g_object_unref(d);
    /* text mode: the VGA BIOS set a mode, the OS switched the display off and writes 0xB8000 */
    const F text[] = {{1.3, HK_FACT_MODE_SET, 1280, 800, 32, ""},
                      {1.5, HK_FACT_FIRST_DAMAGE, 0, 16, 0, ""},
                      {4.0, HK_FACT_DISPLAY_DISABLED, 0, 0, 0, ""},
                      {4.1, HK_FACT_VGA_TEXT_WRITE, 0xB8000, 0x0741, 0, ""},
                      END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, text, 6);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_TEXT_MODE);
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_USE_UEFI);
    g_object_unref(d);
    /* a working screen */
    const F ok[] = {
        {1.3, HK_FACT_MODE_SET, 1280, 800, 32, ""}, {1.5, HK_FACT_FIRST_DAMAGE, 0, 16, 0, ""}, END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_BIOS, 2048, ok, 6);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_NONE);
    g_object_unref(d);
}

static void test_stuck(void)
{
    /* a Secure Boot build that got past validation (descriptor-less copy): SMI requests */
    const F smm[] = {{0.1, HK_FACT_FWCFG_FIRST, 0, 0, 0, ""},
                     {0.4, HK_FACT_SMM_PROBE, 0xB2, 0, 1, "SMI requested through port 0xB2"},
                     END};
    HakoDiagnosis *d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, smm, 12);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_SECURE_BOOT);
    g_object_unref(d);
    /* a store from another build: the variable driver writes and writes */
    const F storm[] = {{0.1, HK_FACT_FWCFG_FIRST, 0, 0, 0, ""},
                       {3.0, HK_FACT_FLASH_PROBE, 0, 0, 0, ""},
                       {3.1, HK_FACT_FLASH_WRITE, 1, 1, 0, ""},
                       {9.0, HK_FACT_FLASH_WRITE, 100000, 90000, 10000, ""},
                       {30.0, HK_FACT_FLASH_WRITE, 1000000, 900000, 100000, ""},
                       END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, storm, 40);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_FIRMWARE_MISMATCH);
    g_object_unref(d);
    /* a firmware dead loop */
    const F spin[] = {{0.1, HK_FACT_FWCFG_FIRST, 0, 0, 0, ""},
                      {0.2, HK_FACT_FWCFG_FILE, 0x20, 0, 0, "etc/e820"},
                      {11.0, HK_FACT_CPU_SPIN, 10, 0x7fe3c000, 0, ""},
                      END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, spin, 12);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_FIRMWARE_STUCK);
    CHECK(has(hako_diagnosis_get_explanation(d), "0x7fe3c000"));
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_USE_BIOS);
    g_object_unref(d);
}

static void test_progress(void)
{
    const F early[] = {{0.01, HK_FACT_ENGINE_START, 1024, 1, 0, ""},
                       {0.15, HK_FACT_FWCFG_FIRST, 0, 0, 0, ""},
                       {1.20, HK_FACT_DISPLAY_ENUMERATED, 0x10, 0, 0, ""},
                       END};
    HakoDiagnosis *d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, early, 5);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_STARTING);
    CHECK(hako_diagnosis_is_pending(d));
    CHECK(has(hako_diagnosis_get_explanation(d), "found the display device"));
    CHECK(g_str_equal(hako_diagnosis_get_gop_status(d),
                      "GOP status: no mode set yet (display found at 1.20 s)"));
    /* a long time without anything new */
    hako_diagnosis_set_elapsed(d, 200);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_DARK);
    CHECK(hako_diagnosis_get_actions(d) & HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE);
    /* the engine died */
    hako_diagnosis_set_engine(d, TRUE, 3, "KVM_RUN failed on vCPU 0: Bad address");
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_ENGINE_FAILED);
    CHECK(has(hako_diagnosis_get_explanation(d), "Bad address"));
    g_object_unref(d);
    /* GOP in the timeline */
    const F gop[] = {{2.41, HK_FACT_MODE_SET, 1280, 800, 32, "GOP mode set by the UEFI firmware",
                      HK_FACT_MODE_BY_FIRMWARE_GOP},
                     END};
    d = diag(HAKO_DIAGNOSIS_FIRMWARE_UEFI, 1024, gop, 3);
    g_autofree char *tl = hako_diagnosis_get_timeline(d);
    CHECK(g_str_equal(tl, "    2.41  GOP mode set 1280×800, 32 bpp"));
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_STARTING); /* a mode, no picture yet */
    g_object_unref(d);
}

static void test_apply(void)
{
    g_autofree char *dir = g_dir_make_tmp("hako-test-diag-XXXXXX", NULL);
    g_autofree char *vars = g_build_filename(dir, "OVMF_VARS.fd", NULL);
    g_file_set_contents(vars, "old store", -1, NULL);
    GKeyFile *kf = g_key_file_new();
    g_key_file_set_string(kf, "Engine", "firmware", "uefi");
    g_key_file_set_string(kf, "Engine", "memory", "512M");
    g_key_file_set_string(kf, "Engine", "ovmf-code", "/usr/share/OVMF/OVMF_CODE.fd");
    g_key_file_set_string(kf, "Engine", "ovmf-vars-template", "/usr/share/OVMF/OVMF_VARS_4M.fd");
    g_key_file_set_string(kf, "Engine", "ovmf-vars", "OVMF_VARS.fd");
    g_key_file_set_boolean(kf, "Engine", "no-display", TRUE);
    /* the settings are read from the same keys */
    HakoDiagnosis *d = hako_diagnosis_new();
    hako_diagnosis_load_settings(d, kf);
    hako_diagnosis_set_os(d, "Debian 12", 1024, 2048);
    struct hk_fact *f = g_new0(struct hk_fact, 1);
    f->kind = HK_FACT_FIRMWARE_REFUSED;
    f->a = HK_FW_PROBLEM_MISMATCH;
    g_strlcpy(f->path[1], "/usr/share/OVMF/OVMF_VARS.fd", sizeof(f->path[1]));
    hako_diagnosis_add_fact(d, f);
    g_free(f);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_FIRMWARE_MISMATCH);
    CHECK(has(hako_diagnosis_get_explanation(d), "different builds"));
    /* pick the matching VARS: the template changes and the VM's store is moved aside */
    CHECK(hako_diagnosis_apply(d, HAKO_DIAGNOSIS_ACTION_USE_FIRMWARE, kf, dir, NULL, NULL, NULL));
    g_autofree char *t = g_key_file_get_string(kf, "Engine", "ovmf-vars-template", NULL);
    CHECK(g_strcmp0(t, "/usr/share/OVMF/OVMF_VARS.fd") == 0);
    CHECK(!g_file_test(vars, G_FILE_TEST_EXISTS));
    g_autofree char *old = g_strconcat(vars, ".old", NULL);
    CHECK(g_file_test(old, G_FILE_TEST_EXISTS));
    g_object_unref(d);
    /* too little memory: raise it; no display: add one; switch firmware */
    const F halt[] = {{3.0, HK_FACT_HALT_IRQ_OFF, 1, 0x100000, 0, ""}, END};
    d = hako_diagnosis_new();
    hako_diagnosis_load_settings(d, kf);
    hako_diagnosis_set_os(d, "Debian 12", 1024, 2048);
    hako_diagnosis_add_fact(
        d, &(struct hk_fact){.t_ns = 3000000000ull, .kind = halt[0].kind, .a = 1, .b = 0x100000});
    hako_diagnosis_set_elapsed(d, 5);
    hako_diagnosis_evaluate(d);
    CHECK_CAUSE(d, HAKO_DIAGNOSIS_TOO_LITTLE_RAM);
    CHECK(hako_diagnosis_apply(d, HAKO_DIAGNOSIS_ACTION_RAISE_MEMORY, kf, dir, NULL, NULL, NULL));
    g_autofree char *mem = g_key_file_get_string(kf, "Engine", "memory", NULL);
    CHECK(g_strcmp0(mem, "2048M") == 0);
    CHECK(hako_diagnosis_apply(d, HAKO_DIAGNOSIS_ACTION_ADD_DISPLAY, kf, dir, NULL, NULL, NULL));
    CHECK(!g_key_file_has_key(kf, "Engine", "no-display", NULL));
    CHECK(hako_diagnosis_apply(d, HAKO_DIAGNOSIS_ACTION_USE_BIOS, kf, dir, NULL, NULL, NULL));
    g_autofree char *fw = g_key_file_get_string(kf, "Engine", "firmware", NULL);
    CHECK(g_strcmp0(fw, "bios") == 0);
    CHECK(!hako_diagnosis_apply(d, HAKO_DIAGNOSIS_ACTION_USE_UEFI, kf, dir, NULL, NULL, NULL));
    CHECK(hako_diagnosis_apply(d, HAKO_DIAGNOSIS_ACTION_USE_UEFI, kf, dir, "/c.fd", "/v.fd", NULL));
    g_free(fw);
    fw = g_key_file_get_string(kf, "Engine", "firmware", NULL);
    CHECK(g_strcmp0(fw, "uefi") == 0);
    g_object_unref(d);
    g_key_file_free(kf);
    g_unlink(old);
    g_rmdir(dir);
}

/* ---- the tool ---- */

static int tool(int argc, char **argv)
{
    const char *facts = NULL, *expect = NULL, *firmware = "bios", *media = NULL;
    guint memory = 1024, os_min = 0;
    double elapsed = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (g_str_equal(argv[i], "--facts"))
            facts = argv[i + 1];
        else if (g_str_equal(argv[i], "--expect"))
            expect = argv[i + 1];
        else if (g_str_equal(argv[i], "--firmware"))
            firmware = argv[i + 1];
        else if (g_str_equal(argv[i], "--memory"))
            memory = (guint)atoi(argv[i + 1]);
        else if (g_str_equal(argv[i], "--os-min"))
            os_min = (guint)atoi(argv[i + 1]);
        else if (g_str_equal(argv[i], "--media"))
            media = argv[i + 1];
        else if (g_str_equal(argv[i], "--elapsed"))
            elapsed = g_ascii_strtod(argv[i + 1], NULL);
    }
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) err = NULL;
    if (!facts || !json_parser_load_from_file(p, facts, &err)) {
        fprintf(stderr, "cannot read the facts: %s\n", err ? err->message : "no --facts");
        return 2;
    }
    JsonArray *arr =
        json_object_get_array_member(json_node_get_object(json_parser_get_root(p)), "facts");
    HakoDiagnosis *d = hako_diagnosis_new();
    HakoDiagnosisSettings s = {0};
    s.firmware = g_str_equal(firmware, "uefi")  ? HAKO_DIAGNOSIS_FIRMWARE_UEFI
                 : g_str_equal(firmware, "raw") ? HAKO_DIAGNOSIS_FIRMWARE_RAW
                                                : HAKO_DIAGNOSIS_FIRMWARE_BIOS;
    s.memory_mib = memory;
    s.os_min_memory_mib = os_min;
    if (media) {
        s.media_known = TRUE;
        s.media_bios_boot = strstr(media, "bios") || strstr(media, "both");
        s.media_efi_boot = strstr(media, "efi") || strstr(media, "both");
    }
    hako_diagnosis_set_settings(d, &s);
    double last = facts_json_add(d, arr);
    hako_diagnosis_set_elapsed(d, elapsed >= 0 ? elapsed : last + 30);
    hako_diagnosis_evaluate(d);
    const char *got = hako_diagnosis_cause_to_string(hako_diagnosis_get_cause(d));
    printf("HakoDiagnosis: %s: %s\n  %s\n  %s\n  fix: %s\n", got, hako_diagnosis_get_title(d),
           hako_diagnosis_get_gop_status(d), hako_diagnosis_get_cause_text(d),
           hako_diagnosis_get_fix(d));
    int ok = expect && g_str_equal(expect, got);
    g_object_unref(d);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    g_setenv("LANGUAGE", "C", TRUE);
    if (argc > 1)
        return tool(argc, argv);
    test_host_kvm();
    test_refused();
    test_crashes();
    test_memory();
    test_memory_setting();
    test_media();
    test_display();
    test_stuck();
    test_progress();
    test_apply();
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
