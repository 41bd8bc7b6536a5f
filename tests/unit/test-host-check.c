/*
 * HakoHostCheck against fake roots built here (/proc/cpuinfo, /proc/config.gz or
 * /boot/config-RELEASE, /sys/module, /dev/kvm, firmware under /usr/share), against hand-made
 * facts for the permission cases a root test process cannot produce, and for real on this
 * machine (/dev/kvm ioctls and the CPL0 speed probe when /dev/kvm opens).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fwimages.h"
#include "hako-firmware.h"
#include "hako-host-check.h"

static char *root_new(void)
{
    g_autoptr(GError) err = NULL;
    char *root = g_dir_make_tmp("hako-hostcheck-XXXXXX", &err);
    g_assert_no_error(err);
    return root;
}

static void rm_rf(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(path, n, NULL);
            if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                rm_rf(p);
            else
                g_unlink(p);
        }
    }
    g_rmdir(path);
}

static void put(const char *root, const char *rel, const char *text)
{
    g_autofree char *p = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(p);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_autoptr(GError) err = NULL;
    g_assert_true(g_file_set_contents(p, text, -1, &err));
}

static void put_dir(const char *root, const char *rel)
{
    g_autofree char *p = g_build_filename(root, rel, NULL);
    g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
}

static void put_gz(const char *root, const char *rel, const char *text)
{
    g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
    guint8 out[65536];
    gsize read = 0, written = 0;
    g_autoptr(GError) err = NULL;
    GConverterResult r = g_converter_convert(G_CONVERTER(z), text, strlen(text), out, sizeof(out),
                                             G_CONVERTER_INPUT_AT_END, &read, &written, &err);
    g_assert_no_error(err);
    g_assert_cmpint(r, ==, G_CONVERTER_FINISHED);
    g_autofree char *p = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(p);
    g_mkdir_with_parents(dir, 0755);
    g_assert_true(g_file_set_contents(p, (const char *)out, (gssize)written, &err));
}

/* A firmware file (fwimages.h): code with its reset vector, or a variable store whose
 * firmware-volume header claims fv_len bytes (valid when that is its size). */
static void put_fw(const char *root, const char *rel, guint64 size, guint64 fv_len, gboolean code)
{
    g_autofree char *p = g_build_filename(root, rel, NULL);
    size_t n;
    guint8 *b = fwimg_make(code ? FWIMG_CODE : FWIMG_VARS, size, &n);
    if (!code && fv_len != size)
        fwimg_le(b + 0x20, fv_len, 8);
    fwimg_write_buf(p, b, n);
    free(b);
}

/* Code whose last 16 bytes hold nothing a CPU could start from. */
static void put_code_without_reset_vector(const char *root, const char *rel, guint64 size)
{
    g_autofree char *p = g_build_filename(root, rel, NULL);
    size_t n;
    guint8 *b = fwimg_make(FWIMG_CODE, size, &n);
    memset(b + n - 16, 0xFF, 16);
    fwimg_write_buf(p, b, n);
    free(b);
}

static void put_seabios(const char *root)
{
    g_autofree char *p = g_build_filename(root, "usr/share/seabios/bios.bin", NULL);
    fwimg_write(p, FWIMG_BIOS, 128 * 1024);
}

static void put_ovmf_debian(const char *root)
{
    put_fw(root, "usr/share/OVMF/OVMF_CODE_4M.fd", 0x37C000, 0x348000, TRUE);
    put_fw(root, "usr/share/OVMF/OVMF_VARS_4M.fd", 0x84000, 0x84000, FALSE);
    put_fw(root, "usr/share/OVMF/OVMF_CODE_4M.secboot.fd", 0x37C000, 0x348000, TRUE);
}

static const char *CPUINFO_INTEL =
    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU @ 3.00GHz\n"
    "flags\t\t: fpu vme de pse tsc msr pae vmx sse sse2\n\n"
    "processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU @ 3.00GHz\n"
    "flags\t\t: fpu vme de pse tsc msr pae vmx sse sse2\n\n";

static HakoHostCheck *check_root(const char *root)
{
    HakoHostCheck *c = hako_host_check_new(root);
    hako_host_check_run(c);
    return c;
}

static HakoCheckStatus status_of(HakoHostCheck *c, const char *id)
{
    const HakoCheckItem *it = hako_host_check_find(c, id);
    g_assert_nonnull(it);
    return it->status;
}

static const HakoCheckItem *item(HakoHostCheck *c, const char *id)
{
    const HakoCheckItem *it = hako_host_check_find(c, id);
    g_assert_nonnull(it);
    return it;
}

static void test_intel_ok(void)
{
    g_autofree char *root = root_new();
    put(root, "proc/cpuinfo", CPUINFO_INTEL);
    put_dir(root, "sys/module/kvm/parameters");
    put_dir(root, "sys/module/kvm_intel/parameters");
    put(root, "sys/module/kvm_intel/parameters/nested", "Y\n");
    put_gz(root, "proc/config.gz",
           "# Linux config\nCONFIG_KVM=m\nCONFIG_KVM_INTEL=m\n# CONFIG_KVM_AMD is not set\n");
    put(root, "proc/sys/kernel/osrelease", "6.1.0-test-amd64\n");
    put(root, "proc/meminfo", "MemTotal:       16384000 kB\nMemAvailable:   12000000 kB\n");
    put(root, "sys/devices/system/cpu/online", "0-3\n");
    put(root, "dev/kvm", "");
    g_autofree char *kvm = g_build_filename(root, "dev/kvm", NULL);
    g_chmod(kvm, 0660);
    put_seabios(root);
    put_ovmf_debian(root);

    g_autoptr(HakoHostCheck) c = check_root(root);
    HakoHostFacts *f = hako_host_check_get_facts(c);
    g_assert_true(f->flag_vmx);
    g_assert_false(f->flag_hypervisor);
    g_assert_cmpstr(f->model_name, ==, "Test CPU @ 3.00GHz");
    g_assert_cmpuint(f->n_cpus, ==, 4);
    g_assert_cmpuint(f->mem_total, ==, 16384000ull * 1024);
    g_assert_cmpstr(f->kernel_release, ==, "6.1.0-test-amd64");
    g_assert_cmpint(f->cfg_kvm, ==, 'm');
    g_assert_cmpint(f->cfg_kvm_intel, ==, 'm');
    g_assert_cmpint(f->cfg_kvm_amd, ==, 'n');
    g_assert_cmpstr(f->config_source, ==, "/proc/config.gz");
    g_assert_cmpstr(f->nested, ==, "Y");
    g_assert_true(f->dev_exists);
    g_assert_cmpint(f->dev_open_errno, ==, 0);
    g_assert_cmpuint(f->dev_mode, ==, 0660);

    g_assert_cmpint(status_of(c, "cpu"), ==, HAKO_CHECK_PASS);
    g_assert_nonnull(strstr(item(c, "cpu")->summary, "vmx"));
    g_assert_cmpint(status_of(c, "kvm-module"), ==, HAKO_CHECK_PASS);
    g_assert_nonnull(strstr(item(c, "kvm-module")->summary, "kvm_intel"));
    g_assert_cmpint(status_of(c, "dev-kvm"), ==, HAKO_CHECK_PASS);
    g_assert_cmpint(status_of(c, "kvm-api"), ==, HAKO_CHECK_SKIPPED); /* no ioctls on fakes */
    g_assert_cmpint(status_of(c, "host-type"), ==, HAKO_CHECK_PASS);
    g_assert_cmpint(status_of(c, "guest-speed"), ==, HAKO_CHECK_SKIPPED);
    g_assert_cmpint(status_of(c, "seabios"), ==, HAKO_CHECK_PASS);
    g_assert_cmpint(status_of(c, "ovmf"), ==, HAKO_CHECK_PASS);
    const HakoCheckItem *ovmf = item(c, "ovmf");
    g_assert_nonnull(strstr(ovmf->summary, "1 usable"));
    g_assert_nonnull(strstr(ovmf->explanation, "OVMF_CODE_4M.fd"));
    g_assert_nonnull(strstr(ovmf->explanation, "Secure Boot"));
    g_assert_cmpint(status_of(c, "resources"), ==, HAKO_CHECK_PASS);
    g_assert_true(hako_host_check_can_run_vms(c));
    /* no passt in this root: VMs run, without network (a warning with the fix) */
    g_assert_cmpint(status_of(c, "passt"), ==, HAKO_CHECK_WARN);
    g_assert_nonnull(strstr(item(c, "passt")->fix, "apt install passt"));

    g_autofree char *text = hako_host_check_format_text(c);
    g_assert_true(g_str_has_prefix(text, "PASS  CPU virtualization: "));
    /* with passt: found (a fake root is not probed) */
    put(root, "usr/bin/passt", "#!/bin/sh\n");
    g_autofree char *passt = g_build_filename(root, "usr/bin/passt", NULL);
    g_chmod(passt, 0755);
    g_autoptr(HakoHostCheck) c2 = check_root(root);
    g_assert_cmpint(status_of(c2, "passt"), ==, HAKO_CHECK_PASS);
    g_assert_nonnull(strstr(item(c2, "passt")->summary, "/usr/bin/passt"));
    rm_rf(root);
}

static void test_amd_module_missing(void)
{
    g_autofree char *root = root_new();
    put(root, "proc/cpuinfo",
        "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu svm sse2\n\n");
    put_dir(root, "sys/module/kvm/parameters");
    put(root, "proc/sys/kernel/osrelease", "6.5.0-test\n");
    put(root, "boot/config-6.5.0-test", "CONFIG_KVM=m\nCONFIG_KVM_AMD=m\nCONFIG_KVM_INTEL=m\n");
    put_seabios(root);

    g_autoptr(HakoHostCheck) c = check_root(root);
    HakoHostFacts *f = hako_host_check_get_facts(c);
    g_assert_cmpstr(f->config_source, ==, "/boot/config-6.5.0-test");
    g_assert_cmpint(f->cfg_kvm_amd, ==, 'm');
    g_assert_cmpint(status_of(c, "cpu"), ==, HAKO_CHECK_PASS);
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_cmpint(m->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(m->summary, "kvm_amd"));
    g_assert_nonnull(strstr(m->explanation, "SVM"));
    g_assert_nonnull(strstr(m->fix, "sudo modprobe kvm_amd"));
    const HakoCheckItem *d = item(c, "dev-kvm");
    g_assert_cmpint(d->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(d->summary, "does not exist"));
    /* no OVMF installed: a warning with the install commands */
    const HakoCheckItem *o = item(c, "ovmf");
    g_assert_cmpint(o->status, ==, HAKO_CHECK_WARN);
    g_assert_nonnull(strstr(o->fix, "apt install ovmf"));
    g_assert_nonnull(strstr(o->fix, "pacman -S edk2-ovmf"));
    g_assert_nonnull(strstr(o->fix, "dnf install edk2-ovmf"));
    g_assert_false(hako_host_check_can_run_vms(c));
    rm_rf(root);
}

static void test_not_supported_and_no_kvm(void)
{
    g_autofree char *root = root_new();
    put(root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu sse2\n\n");
    put_gz(root, "proc/config.gz", "CONFIG_X86=y\n# CONFIG_KVM is not set\n");
    g_autoptr(HakoHostCheck) c = check_root(root);
    const HakoCheckItem *cpu = item(c, "cpu");
    g_assert_cmpint(cpu->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(cpu->summary, "Not supported"));
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_cmpint(m->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(m->summary, "built without KVM"));
    /* no firmware at all */
    const HakoCheckItem *s = item(c, "seabios");
    g_assert_cmpint(s->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(s->fix, "apt install seabios"));
    g_assert_nonnull(strstr(s->fix, "dnf install seabios-bin"));
    g_assert_cmpint(hako_host_check_get_worst(c), ==, HAKO_CHECK_FAIL);
    rm_rf(root);
}

static void test_vm_without_nested(void)
{
    g_autofree char *root = root_new();
    put(root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu sse2 hypervisor\n\n");
    g_autoptr(HakoHostCheck) c = check_root(root);
    const HakoCheckItem *cpu = item(c, "cpu");
    g_assert_cmpint(cpu->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(cpu->fix, "nested"));
    g_assert_cmpint(status_of(c, "host-type"), ==, HAKO_CHECK_WARN);
    /* no config found anywhere: KVM not loaded, modprobe offered */
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_cmpint(m->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(m->fix, "modprobe"));
    rm_rf(root);
}

static void test_pvm_host(void)
{
    g_autofree char *root = root_new();
    put(root, "proc/cpuinfo",
        "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 hypervisor\n\n");
    put_dir(root, "sys/module/kvm/parameters");
    put_dir(root, "sys/module/kvm_pvm/parameters");
    put_gz(root, "proc/config.gz", "CONFIG_KVM=y\n# CONFIG_KVM_AMD is not set\nCONFIG_KVM_PVM=y\n");
    put(root, "dev/kvm", "");
    g_autoptr(HakoHostCheck) c = check_root(root);
    g_assert_cmpint(status_of(c, "cpu"), ==, HAKO_CHECK_WARN);
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_cmpint(m->status, ==, HAKO_CHECK_PASS);
    g_assert_nonnull(strstr(m->summary, "built into"));
    const HakoCheckItem *h = item(c, "host-type");
    g_assert_cmpint(h->status, ==, HAKO_CHECK_WARN);
    g_assert_nonnull(strstr(h->summary, "kvm_pvm"));

    /* the measured speed is evaluated like this */
    HakoHostFacts *f = hako_host_check_get_facts(c);
    f->speed_measured = TRUE;
    f->guest_ips = 1.1e6;
    hako_host_check_evaluate(c);
    const HakoCheckItem *s = item(c, "guest-speed");
    g_assert_cmpint(s->status, ==, HAKO_CHECK_WARN);
    g_assert_nonnull(strstr(s->summary, "1.1 million"));
    g_assert_nonnull(strstr(s->summary, "900×"));
    f->guest_ips = 2.5e9;
    hako_host_check_evaluate(c);
    g_assert_cmpint(status_of(c, "guest-speed"), ==, HAKO_CHECK_PASS);
    rm_rf(root);
}

/* Facts a root test process cannot produce for real: /dev/kvm refused to this user. */
static void test_dev_kvm_permissions(void)
{
    g_autofree char *root = root_new();
    g_autoptr(HakoHostCheck) c = hako_host_check_new(root);
    HakoHostFacts *f = hako_host_check_get_facts(c);
    f->cpuinfo_read = TRUE;
    f->flag_vmx = TRUE;
    f->mod_kvm = f->mod_kvm_intel = TRUE;
    f->dev_exists = TRUE;
    f->dev_is_chr = TRUE;
    g_strlcpy(f->user, "alice", sizeof(f->user));

    /* root-only device: a udev rule, the group, membership */
    f->dev_mode = 0600;
    f->dev_gid = 0;
    g_strlcpy(f->dev_group, "root", sizeof(f->dev_group));
    f->dev_open_errno = EACCES;
    f->kvm_group_exists = FALSE;
    hako_host_check_evaluate(c);
    const HakoCheckItem *d = item(c, "dev-kvm");
    g_assert_cmpint(d->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(d->summary, "alice"));
    g_assert_nonnull(strstr(d->summary, "crw-------"));
    g_assert_nonnull(strstr(d->fix, "groupadd --system kvm"));
    g_assert_nonnull(strstr(d->fix, "KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\""));
    g_assert_nonnull(strstr(d->fix, "/etc/udev/rules.d/"));
    g_assert_nonnull(strstr(d->fix, "usermod -aG kvm alice"));
    g_assert_cmpint(status_of(c, "kvm-api"), ==, HAKO_CHECK_SKIPPED);

    /* group kvm may use it; alice is not in it */
    f->dev_mode = 0660;
    f->dev_gid = 994;
    g_strlcpy(f->dev_group, "kvm", sizeof(f->dev_group));
    f->kvm_group_exists = TRUE;
    f->user_in_group_db = FALSE;
    hako_host_check_evaluate(c);
    d = item(c, "dev-kvm");
    g_assert_cmpstr(d->fix, ==, "sudo usermod -aG kvm alice\nthen log out and back in.");

    /* she was added but this session predates it */
    f->user_in_group_db = TRUE;
    f->user_in_session = FALSE;
    hako_host_check_evaluate(c);
    d = item(c, "dev-kvm");
    g_assert_nonnull(strstr(d->fix, "Log out"));
    g_assert_nonnull(strstr(d->fix, "newgrp kvm"));

    /* the node without a driver */
    f->dev_open_errno = ENXIO;
    hako_host_check_evaluate(c);
    d = item(c, "dev-kvm");
    g_assert_nonnull(strstr(d->fix, "modprobe kvm_intel"));

    /* VT-x switched off in the firmware setup: CPUID has it, the kernel hid it */
    f->flag_vmx = FALSE;
    f->cpuid_vmx = TRUE;
    hako_host_check_evaluate(c);
    const HakoCheckItem *cpu = item(c, "cpu");
    g_assert_cmpint(cpu->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(cpu->summary, "disabled in the firmware setup"));
    g_assert_nonnull(strstr(cpu->fix, "Virtualization Technology"));
    rm_rf(root);
}

static void test_firmware_validation(void)
{
    g_autofree char *root = root_new();
    /* Arch layout: 4 MiB pair; a 2 MiB CODE paired (by name) with a 4 MiB VARS; a damaged VARS */
    put_fw(root, "usr/share/edk2/x64/OVMF_CODE.4m.fd", 0x37C000, 0x348000, TRUE);
    put_fw(root, "usr/share/edk2/x64/OVMF_VARS.4m.fd", 0x84000, 0x84000, FALSE);
    put_fw(root, "usr/share/edk2/ovmf/OVMF_CODE.fd", 0x1E0000, 0x1AC000, TRUE);
    put_fw(root, "usr/share/edk2/ovmf/OVMF_VARS.fd", 0x84000, 0x84000, FALSE);
    put_fw(root, "usr/share/OVMF/OVMF_CODE.fd", 0x1E0000, 0x1AC000, TRUE);
    put_fw(root, "usr/share/OVMF/OVMF_VARS.fd", 0x20000, 0x10000, FALSE);
    /* a QEMU descriptor that pairs a code without a reset vector */
    put_code_without_reset_vector(root, "opt/fw/CODE.fd", 0x1E0000);
    put_fw(root, "opt/fw/VARS.fd", 0x20000, 0x20000, FALSE);
    put(root, "usr/share/qemu/firmware/50-test.json",
        "{\"description\": \"Test UEFI\", \"interface-types\": [\"uefi\"],"
        " \"mapping\": {\"device\": \"flash\","
        "  \"executable\": {\"filename\": \"/opt/fw/CODE.fd\", \"format\": \"raw\"},"
        "  \"nvram-template\": {\"filename\": \"/opt/fw/VARS.fd\", \"format\": \"raw\"}},"
        " \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-i440fx-*\"]}],"
        " \"features\": [\"acpi-s3\"]}");
    put(root, "usr/share/qemu/firmware/60-broken.json", "{ not json");
    put(root, "usr/share/qemu/firmware/70-arm.json",
        "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\","
        " \"executable\": {\"filename\": \"/x\"}, \"nvram-template\": {\"filename\": \"/y\"}},"
        " \"targets\": [{\"architecture\": \"aarch64\"}]}");

    g_autoptr(GListModel) list = hako_firmware_discover(root);
    g_assert_cmpuint(g_list_model_get_n_items(list), ==, 4);
    g_autoptr(HakoFirmware) first = g_list_model_get_item(list, 0);
    g_assert_true(hako_firmware_is_usable(first));
    g_assert_true(g_str_has_suffix(hako_firmware_get_code_path(first), "OVMF_CODE.4m.fd"));
    g_assert_true(g_str_has_suffix(hako_firmware_get_vars_template(first), "OVMF_VARS.4m.fd"));
    g_assert_cmpstr(hako_firmware_get_name(first), ==, "OVMF, 4 MiB flash");
    g_assert_true(hako_firmware_list_find_default(list, HAKO_FIRMWARE_UEFI) == first);
    g_assert_null(hako_firmware_list_find_default(list, HAKO_FIRMWARE_BIOS));

    g_autofree char *mixed = g_build_filename(root, "usr/share/edk2/ovmf/OVMF_CODE.fd", NULL);
    HakoFirmware *m = hako_firmware_list_find_by_code(list, mixed);
    g_assert_nonnull(m);
    g_assert_false(hako_firmware_is_usable(m));
    g_assert_nonnull(strstr(hako_firmware_get_problem(m), "different builds"));

    g_autofree char *damaged = g_build_filename(root, "usr/share/OVMF/OVMF_CODE.fd", NULL);
    m = hako_firmware_list_find_by_code(list, damaged);
    g_assert_nonnull(m);
    g_assert_nonnull(strstr(hako_firmware_get_problem(m), "damaged"));

    g_autofree char *desc = g_build_filename(root, "opt/fw/CODE.fd", NULL);
    m = hako_firmware_list_find_by_code(list, desc);
    g_assert_nonnull(m);
    g_assert_cmpstr(hako_firmware_get_description(m), ==, "Test UEFI");
    g_assert_nonnull(strstr(hako_firmware_get_problem(m), "reset vector"));

    /* a user's choice by paths; a missing VARS; VARS given as CODE */
    g_autofree char *vars = g_build_filename(root, "usr/share/edk2/x64/OVMF_VARS.4m.fd", NULL);
    g_autofree char *code = g_build_filename(root, "usr/share/edk2/x64/OVMF_CODE.4m.fd", NULL);
    g_autoptr(HakoFirmware) ok = hako_firmware_new_for_paths(HAKO_FIRMWARE_UEFI, code, vars);
    g_assert_true(hako_firmware_is_usable(ok));
    /* CODE alone: the template the engine would take with it (the name next to it) */
    g_autoptr(HakoFirmware) alone = hako_firmware_new_for_paths(HAKO_FIRMWARE_UEFI, code, NULL);
    g_assert_true(hako_firmware_is_usable(alone));
    g_assert_cmpstr(hako_firmware_get_vars_template(alone), ==, vars);
    /* ...and without any store next to it */
    put_fw(root, "opt/lonely/OVMF_CODE.4m.fd", 0x37C000, 0, TRUE);
    g_autofree char *lonely = g_build_filename(root, "opt/lonely/OVMF_CODE.4m.fd", NULL);
    g_autoptr(HakoFirmware) novars = hako_firmware_new_for_paths(HAKO_FIRMWARE_UEFI, lonely, NULL);
    g_assert_false(hako_firmware_is_usable(novars));
    g_assert_nonnull(strstr(hako_firmware_get_problem(novars), "No variable store"));
    g_autoptr(HakoFirmware) swapped = hako_firmware_new_for_paths(HAKO_FIRMWARE_UEFI, vars, code);
    g_assert_false(hako_firmware_is_usable(swapped));
    g_autoptr(HakoFirmware) bios = hako_firmware_new_for_paths(HAKO_FIRMWARE_BIOS, vars, NULL);
    g_assert_false(hako_firmware_is_usable(bios)); /* no jump at its end */
    g_autoptr(HakoFirmware) nofile =
        hako_firmware_new_for_paths(HAKO_FIRMWARE_BIOS, "/nonexistent/bios.bin", NULL);
    g_assert_false(hako_firmware_is_usable(nofile));
    rm_rf(root);
}

/* The host's real firmware, when the Debian packages are installed (they are in CI). */
static void test_firmware_real(void)
{
    if (!g_file_test("/usr/share/OVMF/OVMF_CODE_4M.fd", G_FILE_TEST_EXISTS)) {
        g_test_skip("ovmf is not installed");
        return;
    }
    g_autoptr(GListModel) list = hako_firmware_discover(NULL);
    HakoFirmware *u = hako_firmware_list_find_default(list, HAKO_FIRMWARE_UEFI);
    g_assert_nonnull(u);
    g_assert_cmpstr(hako_firmware_get_code_path(u), ==, "/usr/share/OVMF/OVMF_CODE_4M.fd");
    g_assert_cmpstr(hako_firmware_get_vars_template(u), ==, "/usr/share/OVMF/OVMF_VARS_4M.fd");
    g_autoptr(HakoFirmware) sb =
        hako_firmware_new_for_paths(HAKO_FIRMWARE_UEFI, "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd",
                                    "/usr/share/OVMF/OVMF_VARS_4M.fd");
    g_assert_false(hako_firmware_is_usable(sb));
    g_assert_true(hako_firmware_is_secure_boot(sb));
    if (g_file_test("/usr/share/seabios/bios.bin", G_FILE_TEST_EXISTS)) {
        HakoFirmware *b = hako_firmware_list_find_default(list, HAKO_FIRMWARE_BIOS);
        g_assert_nonnull(b);
        g_assert_cmpstr(hako_firmware_get_code_path(b), ==, "/usr/share/seabios/bios.bin");
    }
}

/* This machine, for real: every line present; with /dev/kvm, the API and the speed probe. */
static void test_real(void)
{
    g_autoptr(HakoHostCheck) c = hako_host_check_new(NULL);
    hako_host_check_run(c);
    static const char *const ids[] = {"cpu",       "kvm-module",  "dev-kvm", "kvm-api",
                                      "host-type", "guest-speed", "seabios", "ovmf",
                                      "resources", "passt"};
    for (gsize i = 0; i < G_N_ELEMENTS(ids); i++)
        g_assert_nonnull(hako_host_check_find(c, ids[i]));
    HakoHostFacts *f = hako_host_check_get_facts(c);
    g_assert_true(f->cpuinfo_read);
    g_assert_cmpuint(f->mem_total, >, 0);
    g_assert_cmpuint(f->n_cpus, >, 0);
    g_autofree char *text = hako_host_check_format_text(c);
    g_test_message("%s", text);
    /* passt is installed by .ci/install-deps: it starts here and offers an address */
    g_assert_true(f->passt_found);
    g_assert_true(f->passt_probed);
    g_assert_cmpint(status_of(c, "passt"), ==, HAKO_CHECK_PASS);
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        g_test_message("/dev/kvm not usable: API and speed not checked");
        return;
    }
    close(fd);
    g_assert_cmpint(f->api_version, ==, 12);
    g_assert_cmpint(status_of(c, "dev-kvm"), ==, HAKO_CHECK_PASS);
    g_assert_cmpint(status_of(c, "kvm-api"), ==, HAKO_CHECK_PASS);
    g_assert_true(f->speed_measured);
    g_assert_cmpfloat(f->guest_ips, >, 1e4);
    g_test_message("guest speed at CPL0: %.0f instructions/s", f->guest_ips);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/host-check/intel-ok", test_intel_ok);
    g_test_add_func("/host-check/amd-module-missing", test_amd_module_missing);
    g_test_add_func("/host-check/not-supported", test_not_supported_and_no_kvm);
    g_test_add_func("/host-check/vm-without-nested", test_vm_without_nested);
    g_test_add_func("/host-check/pvm", test_pvm_host);
    g_test_add_func("/host-check/dev-kvm-permissions", test_dev_kvm_permissions);
    g_test_add_func("/host-check/firmware-validation", test_firmware_validation);
    g_test_add_func("/host-check/firmware-real", test_firmware_real);
    g_test_add_func("/host-check/real", test_real);
    return g_test_run();
}
