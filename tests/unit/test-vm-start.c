/*
 * HakoVm: every start goes through the host check first (against HAKO_HOST_ROOT, a fake host
 * made here): a host where KVM registered no device leaves the VM stopped with the check's line
 * as its start problem and no engine; a working host goes on to spawn the engine (here none is
 * installed: the start problem says so); turning the VM off while the check runs leaves it off.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "hako-vm-creator.h"
#include "hako-vm.h"

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

    /* a working host: on to the engine, which this test process has none of */
    host_fixed(root);
    hako_vm_start(vm);
    wait_not_starting(vm);
    p = hako_vm_get_start_problem(vm);
    g_assert_nonnull(p);
    g_assert_cmpstr(p->id, ==, "engine");
    g_assert_nonnull(strstr(p->summary, "hako-vmm"));

    g_unsetenv("HAKO_HOST_ROOT");
    g_autoptr(GFile) rf = g_file_new_for_path(root);
    g_autoptr(GFile) lf = g_file_new_for_path(lib);
    hako_delete_recursive(rf, NULL, NULL);
    hako_delete_recursive(lf, NULL, NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vm/start-checked", test_start_checked);
    return g_test_run();
}
