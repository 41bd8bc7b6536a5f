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
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_PERMISSION);
    g_assert_true(hako_host_check_get_start_blocker(c, "bios") == d);

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

/* ---- why /dev/kvm is missing: each cause with its own explanation and fix ---- */

typedef struct {
    const char *cpuinfo;
    gboolean kvm;           /* /sys/module/kvm */
    const char *vendor;     /* "kvm_intel", "kvm_amd", "kvm_pvm" or NULL */
    gboolean builtin;       /* the vendor driver has no initstate */
    gboolean misc;          /* KVM registered its device: "232 kvm" in /proc/misc */
    gboolean sys_misc_only; /* ... but only /sys/class/misc/kvm/dev tells (10:57) */
    gboolean dev;           /* /dev/kvm exists */
    const char *log_path;   /* a kernel log file under the root */
    const char *log;
} FakeHost;

static const char *CPU_INTEL_VMX =
    "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 vmx\n\n";
static const char *CPU_INTEL_NONE =
    "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2\n\n";
static const char *CPU_AMD_SVM =
    "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 svm\n\n";
static const char *CPU_GUEST =
    "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 hypervisor\n\n";

static char *fake_host(const FakeHost *h)
{
    char *root = root_new();
    put(root, "proc/cpuinfo", h->cpuinfo);
    put(root, "proc/sys/kernel/osrelease", "6.1.0-test-amd64\n");
    put_seabios(root);
    if (h->kvm)
        put_dir(root, "sys/module/kvm/parameters");
    if (h->vendor) {
        g_autofree char *params = g_strdup_printf("sys/module/%s/parameters", h->vendor);
        put_dir(root, params);
        if (!h->builtin) {
            g_autofree char *initstate = g_strdup_printf("sys/module/%s/initstate", h->vendor);
            put(root, initstate, "live\n");
        }
    }
    put(root, "proc/misc",
        h->misc && !h->sys_misc_only ? "229 fuse\n232 kvm\n237 loop-control\n"
                                     : "229 fuse\n237 loop-control\n");
    put_dir(root, "sys/class/misc/fuse");
    if (h->misc)
        put(root, "sys/class/misc/kvm/dev", h->sys_misc_only ? "10:57\n" : "10:232\n");
    if (h->dev)
        put(root, "dev/kvm", "");
    if (h->log)
        put(root, h->log_path, h->log);
    return root;
}

static HakoHostCheck *check_fake(const FakeHost *h, char **root_out)
{
    *root_out = fake_host(h);
    return check_root(*root_out);
}

/* (a) the device is registered, the node is not there: udev, else mknod with the real minor */
static void test_node_missing(void)
{
    g_autofree char *root = NULL;
    FakeHost h = {.cpuinfo = CPU_INTEL_VMX, .kvm = TRUE, .vendor = "kvm_intel", .misc = TRUE};
    g_autoptr(HakoHostCheck) c = check_fake(&h, &root);
    HakoHostFacts *f = hako_host_check_get_facts(c);
    g_assert_true(f->misc_kvm);
    g_assert_cmpint(f->misc_minor, ==, 232);
    g_assert_false(f->kmsg_read); /* KVM works: the log is not read */
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_NODE_MISSING);
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_cmpint(m->status, ==, HAKO_CHECK_PASS);
    g_assert_nonnull(strstr(m->explanation, "10:232"));
    const HakoCheckItem *d = item(c, "dev-kvm");
    g_assert_cmpint(d->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(d->explanation, "registered its device"));
    g_assert_nonnull(strstr(d->fix, "udevadm trigger --action=add --subsystem-match=misc "
                                    "--sysname-match=kvm"));
    g_assert_nonnull(strstr(d->fix, "sudo mknod -m 0660 /dev/kvm c 10 232"));
    g_assert_true(hako_host_check_get_start_blocker(c, "bios") == d);
    g_assert_true(hako_host_check_get_kvm_blocker(c) == d);
    rm_rf(root);
    g_clear_pointer(&root, g_free);

    /* the minor from /sys/class/misc/kvm/dev when /proc/misc does not list it */
    h.sys_misc_only = TRUE;
    g_autoptr(HakoHostCheck) c2 = check_fake(&h, &root);
    g_assert_cmpint(hako_host_check_get_kvm_cause(c2), ==, HAKO_KVM_NODE_MISSING);
    g_assert_nonnull(strstr(item(c2, "dev-kvm")->fix, "mknod -m 0660 /dev/kvm c 10 57"));
    rm_rf(root);
}

/* (b) kvm loaded, kvm_intel not, nothing registered: modprobe, not udev */
static void test_vendor_not_loaded(void)
{
    g_autofree char *root = NULL;
    FakeHost h = {.cpuinfo = CPU_INTEL_VMX, .kvm = TRUE};
    g_autoptr(HakoHostCheck) c = check_fake(&h, &root);
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_VENDOR_NOT_LOADED);
    g_assert_cmpint(status_of(c, "cpu"), ==, HAKO_CHECK_PASS);
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_cmpint(m->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(m->summary, "registered no KVM device"));
    g_assert_nonnull(strstr(m->fix, "sudo modprobe kvm_intel"));
    g_assert_nonnull(strstr(m->fix, "dmesg"));
    const HakoCheckItem *d = item(c, "dev-kvm");
    g_assert_cmpint(d->status, ==, HAKO_CHECK_FAIL);
    g_assert_null(d->fix); /* no udevadm, no mknod: there is no device to make a node for */
    g_assert_null(strstr(d->explanation, "udevadm"));
    g_assert_true(hako_host_check_get_start_blocker(c, "bios") == m);
    rm_rf(root);
}

/* (b) VT-x off in the firmware: the kernel hid vmx, its log says why (/dev/kmsg records) */
static void test_firmware_off_from_kmsg(void)
{
    g_autofree char *root = NULL;
    FakeHost h = {
        .cpuinfo = CPU_INTEL_NONE,
        .kvm = TRUE,
        .vendor = "kvm_intel",
        .builtin = TRUE,
        .log_path = "dev/kmsg",
        .log =
            "6,100,1000,-;Linux version 6.1.0-test\n"
            " SUBSYSTEM=cpu\n"
            "3,555,1234567,-;kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU 0\n"
            "4,556,1234568,-;something else\n",
    };
    g_autoptr(HakoHostCheck) c = check_fake(&h, &root);
    HakoHostFacts *f = hako_host_check_get_facts(c);
    g_assert_true(f->kvm_intel_builtin);
    g_assert_true(f->kmsg_read);
    g_assert_cmpstr(f->kmsg_source, ==, "/dev/kmsg");
    g_assert_cmpint(f->kmsg_hint, ==, HAKO_KMSG_FIRMWARE_OFF);
    g_assert_cmpstr(f->kmsg_line, ==,
                    "kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU 0");
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_FIRMWARE_OFF);
    const HakoCheckItem *cpu = item(c, "cpu");
    g_assert_cmpint(cpu->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(cpu->summary, "disabled in the firmware setup"));
    g_assert_nonnull(strstr(cpu->explanation, "VMX not enabled (by BIOS)"));
    g_assert_nonnull(strstr(cpu->fix, "Intel Virtualization Technology"));
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_cmpint(m->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(m->summary, "switched off in the firmware setup"));
    g_assert_nonnull(strstr(m->fix, "Intel Virtualization Technology"));
    g_assert_null(item(c, "dev-kvm")->fix);
    /* the start page shows the processor's line: the root cause */
    g_assert_true(hako_host_check_get_start_blocker(c, "bios") == cpu);
    rm_rf(root);
}

/* (b) AMD with svm in the flags, SVM off in the firmware: an old kernel's syslog line says it */
static void test_firmware_off_amd_syslog(void)
{
    g_autofree char *root = NULL;
    FakeHost h = {
        .cpuinfo = CPU_AMD_SVM,
        .kvm = TRUE,
        .log_path = "var/log/kern.log",
        .log = "Jan  5 10:00:00 host kernel: [    3.141592] kvm: disabled by bios\n",
    };
    g_autoptr(HakoHostCheck) c = check_fake(&h, &root);
    HakoHostFacts *f = hako_host_check_get_facts(c);
    g_assert_cmpstr(f->kmsg_source, ==, "/var/log/kern.log");
    g_assert_cmpstr(f->kmsg_line, ==, "kvm: disabled by bios");
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_FIRMWARE_OFF);
    const HakoCheckItem *cpu = item(c, "cpu");
    g_assert_cmpint(cpu->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(cpu->summary, "AMD-V"));
    g_assert_nonnull(strstr(cpu->fix, "SVM Mode"));
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_nonnull(strstr(m->explanation, "kvm_amd"));
    g_assert_nonnull(strstr(m->explanation, "kvm: disabled by bios"));
    rm_rf(root);
}

/* (b) a virtual machine without nested virtualization */
static void test_nested_off(void)
{
    g_autofree char *root = NULL;
    FakeHost h = {.cpuinfo = CPU_GUEST, .kvm = TRUE};
    g_autoptr(HakoHostCheck) c = check_fake(&h, &root);
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_NESTED_OFF);
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_cmpint(m->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(m->summary, "this virtual machine has no VT-x or AMD-V"));
    g_assert_nonnull(strstr(m->fix, "nested=1"));
    g_assert_null(strstr(m->fix, "modprobe"));
    const HakoCheckItem *cpu = item(c, "cpu");
    g_assert_cmpint(cpu->status, ==, HAKO_CHECK_FAIL);
    g_assert_true(hako_host_check_get_start_blocker(c, "bios") == cpu);
    rm_rf(root);
}

/* (b) a processor without VT-x/AMD-V, and the kernel log saying so */
static void test_no_hardware(void)
{
    g_autofree char *root = NULL;
    FakeHost h = {.cpuinfo = CPU_INTEL_NONE,
                  .kvm = TRUE,
                  .log_path = "dev/kmsg",
                  .log = "3,9,9,-;kvm: no hardware support for 'kvm_intel'\n"};
    g_autoptr(HakoHostCheck) c = check_fake(&h, &root);
    g_assert_cmpint(hako_host_check_get_facts(c)->kmsg_hint, ==, HAKO_KMSG_NO_HARDWARE);
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_CPU_UNSUPPORTED);
    const HakoCheckItem *cpu = item(c, "cpu");
    g_assert_cmpint(cpu->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(cpu->summary, "Not supported"));
    g_assert_nonnull(strstr(cpu->explanation, "no hardware support for 'kvm_intel'"));
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_nonnull(strstr(m->summary, "the processor has no VT-x or AMD-V"));
    g_assert_null(strstr(m->fix, "modprobe"));
    rm_rf(root);
}

/* (b) the vendor driver is there and registered nothing; the log is not readable */
static void test_vendor_refused(void)
{
    g_autofree char *root = NULL;
    FakeHost h = {.cpuinfo = CPU_INTEL_VMX, .kvm = TRUE, .vendor = "kvm_intel", .builtin = TRUE};
    g_autoptr(HakoHostCheck) c = check_fake(&h, &root);
    g_assert_false(hako_host_check_get_facts(c)->kmsg_read);
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_VENDOR_REFUSED);
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_cmpint(m->status, ==, HAKO_CHECK_FAIL);
    g_assert_nonnull(strstr(m->summary, "kvm_intel did not start"));
    g_assert_nonnull(strstr(m->explanation, "may not read it"));
    g_assert_nonnull(strstr(m->fix, "sudo dmesg"));
    g_assert_nonnull(strstr(m->fix, "restart the computer")); /* built in: tried at boot only */
    g_assert_null(item(c, "dev-kvm")->fix);
    rm_rf(root);
    g_clear_pointer(&root, g_free);

    /* a loadable module: unload and load it again once fixed */
    h.builtin = FALSE;
    g_autoptr(HakoHostCheck) c2 = check_fake(&h, &root);
    g_assert_cmpint(hako_host_check_get_kvm_cause(c2), ==, HAKO_KVM_VENDOR_REFUSED);
    g_assert_nonnull(strstr(item(c2, "kvm-module")->fix, "sudo modprobe -r kvm_intel"));
    rm_rf(root);
}

/* (c) kvm not loaded at all */
static void test_not_loaded(void)
{
    g_autofree char *root = NULL;
    FakeHost h = {.cpuinfo = CPU_INTEL_VMX};
    g_autoptr(HakoHostCheck) c = check_fake(&h, &root);
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_NOT_LOADED);
    const HakoCheckItem *m = item(c, "kvm-module");
    g_assert_cmpint(m->status, ==, HAKO_CHECK_FAIL);
    g_assert_cmpstr(m->summary, ==, "KVM is not loaded");
    g_assert_nonnull(strstr(m->fix, "sudo modprobe kvm_intel"));
    g_assert_true(hako_host_check_get_start_blocker(c, "bios") == m);
    rm_rf(root);
}

/* Working KVM: no blocker for BIOS; for UEFI only while OVMF is missing */
static void test_start_blocker_firmware(void)
{
    g_autofree char *root = NULL;
    FakeHost h = {
        .cpuinfo = CPU_INTEL_VMX, .kvm = TRUE, .vendor = "kvm_intel", .misc = TRUE, .dev = TRUE};
    g_autoptr(HakoHostCheck) c = check_fake(&h, &root);
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_OK);
    g_assert_null(hako_host_check_get_kvm_blocker(c));
    g_assert_null(hako_host_check_get_start_blocker(c, "bios"));
    const HakoCheckItem *b = hako_host_check_get_start_blocker(c, "uefi");
    g_assert_nonnull(b);
    g_assert_cmpstr(b->id, ==, "ovmf");
    put_ovmf_debian(root);
    g_autoptr(HakoHostCheck) c2 = check_root(root);
    g_assert_null(hako_host_check_get_start_blocker(c2, "uefi"));
    rm_rf(root);
}

/* The quick check runs in a thread and hands back the evaluated check. */
static void on_quick(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    HakoHostCheck **out = data;
    g_autoptr(GError) err = NULL;
    *out = hako_host_check_quick_finish(res, &err);
    g_assert_no_error(err);
}

static void test_quick_async(void)
{
    g_autofree char *root = NULL;
    FakeHost h = {.cpuinfo = CPU_GUEST, .kvm = TRUE};
    root = fake_host(&h);
    HakoHostCheck *c = NULL;
    hako_host_check_quick_async(root, NULL, on_quick, &c);
    while (!c)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_NESTED_OFF);
    g_assert_cmpint(status_of(c, "guest-speed"), ==, HAKO_CHECK_SKIPPED);
    g_object_unref(c);
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
    g_assert_cmpint(hako_host_check_get_kvm_cause(c), ==, HAKO_KVM_OK);
    g_assert_true(f->misc_kvm);
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
    g_test_add_func("/host-check/node-missing", test_node_missing);
    g_test_add_func("/host-check/vendor-not-loaded", test_vendor_not_loaded);
    g_test_add_func("/host-check/firmware-off-kmsg", test_firmware_off_from_kmsg);
    g_test_add_func("/host-check/firmware-off-amd-syslog", test_firmware_off_amd_syslog);
    g_test_add_func("/host-check/nested-off", test_nested_off);
    g_test_add_func("/host-check/no-hardware", test_no_hardware);
    g_test_add_func("/host-check/vendor-refused", test_vendor_refused);
    g_test_add_func("/host-check/not-loaded", test_not_loaded);
    g_test_add_func("/host-check/start-blocker-firmware", test_start_blocker_firmware);
    g_test_add_func("/host-check/quick-async", test_quick_async);
    g_test_add_func("/host-check/firmware-validation", test_firmware_validation);
    g_test_add_func("/host-check/firmware-real", test_firmware_real);
    g_test_add_func("/host-check/real", test_real);
    return g_test_run();
}
