/*
 * HakoVm: every start goes through the host check first (against HAKO_HOST_ROOT, a fake host
 * made here): a host where KVM registered no device leaves the VM stopped with the check's line
 * as its start problem and no engine; turning the VM off while the check runs leaves it off; a
 * working host goes on to the engine (HAKO_VMM: a script written here), and an engine that
 * cannot be spawned, that refuses its settings (the real hako-vmm, HAKO_TEST_REAL_VMM, which
 * refuses before it opens /dev/kvm) or that fails before the guest ran because /dev/kvm went
 * away gives a start problem in the app's own words.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "hako-paths.h"
#include "hako-vm-creator.h"
#include "hako-vm.h"

static char *engine_script;

static void write_engine(const char *body)
{
    g_autofree char *text = g_strdup_printf("#!/bin/sh\n%s\n", body);
    g_assert_true(g_file_set_contents(engine_script, text, -1, NULL));
    g_assert_cmpint(g_chmod(engine_script, 0755), ==, 0);
}

static void put(const char *root, const char *rel, const char *text)
{
    g_autofree char *p = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(p);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(p, text, -1, NULL));
}

/* A virtual machine host without nested virtualization: kvm loaded, no device registered. */
static void host_broken(const char *root)
{
    put(root, "proc/cpuinfo",
        "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu hypervisor\n");
    put(root, "proc/misc", "229 fuse\n");
    put(root, "sys/module/kvm/parameters/halt_poll_ns", "0\n");
    put(root, "sys/class/misc/fuse/dev", "10:229\n");
}

static void host_fixed(const char *root)
{
    put(root, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\n");
    put(root, "proc/misc", "229 fuse\n232 kvm\n");
    put(root, "sys/module/kvm_intel/parameters/nested", "Y\n");
    put(root, "sys/class/misc/kvm/dev", "10:232\n");
    put(root, "dev/kvm", "");
    /* SeaBIOS: a 128 KiB image with a far jump at its end */
    g_autofree guint8 *img = g_malloc0(128 * 1024);
    memcpy(img + 128 * 1024 - 16, "\xEA\x5B\xE0\x00\xF0", 5);
    g_autofree char *bios = g_build_filename(root, "usr/share/seabios/bios.bin", NULL);
    g_autofree char *dir = g_path_get_dirname(bios);
    g_mkdir_with_parents(dir, 0755);
    g_assert_true(g_file_set_contents(bios, (const char *)img, 128 * 1024, NULL));
}

static HakoVm *make_vm(const char *lib)
{
    g_autofree char *dir = g_build_filename(lib, "debian", NULL);
    put(lib, "debian/vm.ini", "[VM]\nName=Debian\n\n[Engine]\nfirmware=bios\nmemory=1G\n");
    g_autoptr(GFile) f = g_file_new_for_path(dir);
    g_autoptr(GError) err = NULL;
    HakoVm *vm = hako_vm_load(f, &err);
    g_assert_no_error(err);
    return vm;
}

static void wait_not_starting(HakoVm *vm)
{
    gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (hako_vm_get_state(vm) == HAKO_VM_STATE_STARTING && g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, TRUE);
}

static void test_start_checked(void)
{
    g_autofree char *root = g_dir_make_tmp("hako-host-XXXXXX", NULL);
    g_autofree char *lib = g_dir_make_tmp("hako-lib-XXXXXX", NULL);
    g_setenv("HAKO_HOST_ROOT", root, TRUE);
    host_broken(root);
    g_autoptr(HakoVm) vm = make_vm(lib);

    /* the check runs off the main thread: the VM is STARTING meanwhile */
    hako_vm_start(vm);
    g_assert_cmpint(hako_vm_get_state(vm), ==, HAKO_VM_STATE_STARTING);
    wait_not_starting(vm);
    g_assert_cmpint(hako_vm_get_state(vm), ==, HAKO_VM_STATE_STOPPED);
    g_assert_null(hako_vm_get_engine(vm));
    const HakoCheckItem *p = hako_vm_get_start_problem(vm);
    g_assert_nonnull(p);
    g_assert_cmpstr(p->id, ==, "cpu"); /* the root cause: no VT-x in this virtual machine */
    g_assert_nonnull(strstr(p->fix, "nested"));

    /* turned off while the check runs: stays off, no problem recorded */
    hako_vm_start(vm);
    g_assert_null(hako_vm_get_start_problem(vm));
    hako_vm_force_off(vm);
    g_assert_cmpint(hako_vm_get_state(vm), ==, HAKO_VM_STATE_STOPPED);
    for (int i = 0; i < 50; i++)
        g_main_context_iteration(NULL, FALSE);
    g_usleep(200000);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_assert_cmpint(hako_vm_get_state(vm), ==, HAKO_VM_STATE_STOPPED);
    g_assert_null(hako_vm_get_start_problem(vm));
    g_assert_null(hako_vm_get_engine(vm));

    /* a working host: on to the engine, which is not there */
    host_fixed(root);
    g_unlink(engine_script);
    hako_vm_start(vm);
    wait_not_starting(vm);
    p = hako_vm_get_start_problem(vm);
    g_assert_nonnull(p);
    g_assert_cmpstr(p->id, ==, "engine");
    g_assert_cmpint(hako_vm_get_state(vm), ==, HAKO_VM_STATE_STOPPED);

    /* the engine refuses its settings: the app words each refusal (hako/config.h codes) */
    const char *real = g_getenv("HAKO_TEST_REAL_VMM");
    if (real && g_file_test(real, G_FILE_TEST_IS_EXECUTABLE)) {
        g_autofree char *exec = g_strdup_printf("exec '%s' \"$@\"", real);
        write_engine(exec);
        GKeyFile *kf = hako_vm_get_config(vm);
        g_key_file_set_string(kf, HAKO_VM_ENGINE_GROUP, "cdrom", "/nonexistent/hako/disc.iso");
        g_key_file_set_string(kf, HAKO_VM_ENGINE_GROUP, "memory", "12Q");
        g_assert_true(hako_vm_save(vm, NULL));
        hako_vm_start(vm);
        wait_not_starting(vm);
        g_assert_cmpint(hako_vm_get_state(vm), ==, HAKO_VM_STATE_STOPPED);
        p = hako_vm_get_start_problem(vm);
        g_assert_nonnull(p);
        g_test_message("refusals: %s / fix: %s", p->summary, p->fix);
        g_assert_cmpstr(p->id, ==, "config");
        g_assert_nonnull(
            strstr(p->summary, "CD/DVD: “/nonexistent/hako/disc.iso” does not exist."));
        g_assert_nonnull(strstr(p->summary, "Memory: “12Q”"));
        g_assert_nonnull(strstr(p->fix, "settings"));
        g_assert_null(strstr(p->summary, "hako-vmm")); /* not the engine's English */
        g_key_file_remove_key(kf, HAKO_VM_ENGINE_GROUP, "cdrom", NULL);
        g_key_file_set_string(kf, HAKO_VM_ENGINE_GROUP, "memory", "1G");
        g_assert_true(hako_vm_save(vm, NULL));
    } else {
        g_test_message("HAKO_TEST_REAL_VMM not set: refusals not checked");
    }

    /* the check passed, then /dev/kvm went before the engine opened it: the check says why */
    g_autofree char *kvm = g_build_filename(root, "dev/kvm", NULL);
    g_autofree char *vanish = g_strdup_printf(
        "rm -f '%s'\necho 'hako-vmm: cannot open /dev/kvm: No such file or directory' >&2\nexit 1",
        kvm);
    write_engine(vanish);
    hako_vm_start(vm);
    wait_not_starting(vm);
    g_assert_cmpint(hako_vm_get_state(vm), ==, HAKO_VM_STATE_STOPPED);
    p = hako_vm_get_start_problem(vm);
    g_assert_nonnull(p);
    g_assert_cmpstr(p->id, ==, "dev-kvm");
    g_assert_nonnull(strstr(p->fix, "mknod"));

    /* an engine that fails without a refusal while the host is fine: a failure, not a refusal */
    put(root, "dev/kvm", "");
    write_engine("exit 1");
    hako_vm_start(vm);
    wait_not_starting(vm);
    g_assert_cmpint(hako_vm_get_state(vm), ==, HAKO_VM_STATE_FAILED);
    g_assert_null(hako_vm_get_start_problem(vm));

    g_autoptr(GFile) rf = g_file_new_for_path(root);
    g_autoptr(GFile) lf = g_file_new_for_path(lib);
    hako_delete_recursive(rf, NULL, NULL);
    hako_delete_recursive(lf, NULL, NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* the engine the app runs: a script each case rewrites */
    g_autofree char *dir = g_dir_make_tmp("hako-engine-XXXXXX", NULL);
    engine_script = g_build_filename(dir, "hako-vmm", NULL);
    g_setenv("HAKO_VMM", engine_script, TRUE);
    write_engine("exit 1");
    hako_paths_init();
    g_test_add_func("/vm/start-checked", test_start_checked);
    int r = g_test_run();
    g_unlink(engine_script);
    g_rmdir(dir);
    g_free(engine_script);
    return r;
}
