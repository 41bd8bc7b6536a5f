/*
 * HakoVmCreator: the VM folder it makes (sparse disk of the asked size, the UEFI variable store
 * copied from the template, vm.ini with the engine options), names that collide, and that a
 * cancelled or failed creation leaves nothing in the library folder.
 */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fwimages.h"
#include "hako-firmware.h"
#include "hako-vm-creator.h"
#include "hako-vm.h"

static char *make_lib(void)
{
    g_autoptr(GError) err = NULL;
    char *dir = g_dir_make_tmp("hako-lib-XXXXXX", &err);
    g_assert_no_error(err);
    return dir;
}

static void rm_tree(const char *path)
{
    g_autoptr(GFile) f = g_file_new_for_path(path);
    hako_delete_recursive(f, NULL, NULL);
}

static guint count_entries(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;
    while (d && g_dir_read_name(d))
        n++;
    return n;
}

static void on_progress(HakoVmCreator *c, double f, const char *what, gpointer data)
{
    (void)c;
    double *last = data;
    g_assert_cmpfloat(f, >=, *last);
    g_assert_cmpfloat(f, <=, 1.0);
    g_assert_nonnull(what);
    *last = f;
}

/* A fake OVMF pair (4 MiB build) for the VARS copy. */
static HakoFirmware *fake_ovmf(const char *dir)
{
    g_autofree char *code = g_build_filename(dir, "OVMF_CODE_4M.fd", NULL);
    g_autofree char *vars = g_build_filename(dir, "OVMF_VARS_4M.fd", NULL);
    fwimg_write(code, FWIMG_CODE, FWIMG_CODE_4M);
    size_t n;
    guint8 *v = fwimg_make(FWIMG_VARS, FWIMG_VARS_4M, &n);
    memcpy(v + 0x1000, "VARSDATA", 8); /* marks this copy (the variable list reads as damaged) */
    fwimg_write_buf(vars, v, n);
    free(v);
    HakoFirmware *fw = hako_firmware_new_for_paths(HAKO_FIRMWARE_UEFI, code, vars);
    g_assert_true(hako_firmware_is_usable(fw));
    return fw;
}

static void test_create_uefi(void)
{
    g_autofree char *lib = make_lib();
    g_autofree char *fwdir = make_lib();
    g_autoptr(HakoFirmware) ovmf = fake_ovmf(fwdir);
    g_autoptr(GFile) libdir = g_file_new_for_path(lib);
    g_autoptr(HakoVmCreator) c = hako_vm_creator_new(libdir);
    hako_vm_creator_set_name(c, "Arch Linux");
    hako_vm_creator_set_os(c, "http://archlinux.org/archlinux/rolling", "Arch Linux");
    hako_vm_creator_set_memory_mib(c, 1536);
    hako_vm_creator_set_cpus(c, 2);
    hako_vm_creator_set_disk_gib(c, 40);
    hako_vm_creator_set_firmware(c, HAKO_FIRMWARE_UEFI, ovmf);
    hako_vm_creator_set_cdrom(c, "/srv/isos/archlinux.iso");
    double last = 0;
    g_signal_connect(c, "progress", G_CALLBACK(on_progress), &last);
    g_autoptr(GError) err = NULL;
    g_autoptr(GFile) dir = hako_vm_creator_run(c, NULL, &err);
    g_assert_no_error(err);
    g_assert_nonnull(dir);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_assert_cmpfloat(last, ==, 1.0);
    g_autofree char *id = g_file_get_basename(dir);
    g_assert_cmpstr(id, ==, "arch-linux");
    g_assert_cmpuint(count_entries(lib), ==, 2); /* the VM, the lock; no staging folder left */

    g_autofree char *path = g_file_get_path(dir);
    g_autofree char *disk = g_build_filename(path, HAKO_VM_DISK_FILE, NULL);
    struct stat st;
    g_assert_cmpint(stat(disk, &st), ==, 0);
    g_assert_cmpuint((guint64)st.st_size, ==, 40ull << 30);
    g_assert_cmpuint((guint64)st.st_blocks * 512, <, 1 << 20); /* sparse */
    g_autofree char *vars = g_build_filename(path, HAKO_VM_VARS_FILE, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(vars, &data, &len, NULL));
    g_assert_cmpuint(len, ==, 0x84000);
    g_assert_cmpmem(data + 0x1000, 8, "VARSDATA", 8);

    g_autoptr(HakoVm) vm = hako_vm_load(dir, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(hako_vm_get_name(vm), ==, "Arch Linux");
    g_assert_cmpstr(hako_vm_get_os_name(vm), ==, "Arch Linux");
    g_auto(GStrv) args = hako_vm_build_engine_args(vm);
    g_autofree char *joined = g_strjoinv(" ", args);
    g_test_message("engine arguments: %s", joined);
    g_assert_true(g_strv_contains((const char *const *)args, "--memory=1536M"));
    g_assert_true(g_strv_contains((const char *const *)args, "--cpus=2"));
    g_assert_true(g_strv_contains((const char *const *)args, "--firmware=uefi"));
    g_assert_true(g_strv_contains((const char *const *)args, "--disk=disk.img"));
    g_assert_true(g_strv_contains((const char *const *)args, "--ovmf-vars=OVMF_VARS.fd"));
    g_assert_true(g_strv_contains((const char *const *)args, "--cdrom=/srv/isos/archlinux.iso"));
    g_assert_true(g_strv_contains((const char *const *)args, "--boot=cdrom"));
    g_autofree char *code_arg =
        g_strdup_printf("--ovmf-code=%s", hako_firmware_get_code_path(ovmf));
    g_assert_true(g_strv_contains((const char *const *)args, code_arg));
    /* the network is on, with a MAC of its own: locally administered, unicast */
    g_assert_true(g_strv_contains((const char *const *)args, "--net=user"));
    const char *mac_arg = NULL;
    for (gsize i = 0; args[i]; i++)
        if (g_str_has_prefix(args[i], "--mac="))
            mac_arg = args[i] + 6;
    g_assert_nonnull(mac_arg);
    g_assert_cmpuint(strlen(mac_arg), ==, 17);
    guint first = (guint)g_ascii_strtoull(mac_arg, NULL, 16);
    g_assert_cmpuint(first & 3, ==, 2);

    /* the same name again: refused (names are unique in the library), nothing left behind */
    g_signal_handlers_disconnect_by_data(c, &last);
    g_assert_null(hako_vm_creator_run(c, NULL, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error(&err);
    g_assert_cmpuint(count_entries(lib), ==, 2); /* the VM and the lock file */
    /* another name that makes the same folder name: a second folder, the first one kept (this
     * one without network: net=none, no MAC) */
    hako_vm_creator_set_name(c, "Arch Linux!");
    hako_vm_creator_set_network(c, FALSE);
    g_autoptr(GFile) dir2 = hako_vm_creator_run(c, NULL, &err);
    g_assert_no_error(err);
    g_autofree char *id2 = g_file_get_basename(dir2);
    g_assert_cmpstr(id2, ==, "arch-linux-2");
    g_autoptr(HakoVm) vm2 = hako_vm_load(dir2, &err);
    g_assert_no_error(err);
    g_auto(GStrv) args2 = hako_vm_build_engine_args(vm2);
    g_assert_true(g_strv_contains((const char *const *)args2, "--net=none"));
    for (gsize i = 0; args2[i]; i++)
        g_assert_false(g_str_has_prefix(args2[i], "--mac="));
    g_assert_cmpuint(count_entries(lib), ==, 3);
    rm_tree(lib);
    rm_tree(fwdir);
}

static void test_cancel_and_failure(void)
{
    g_autofree char *lib = make_lib();
    g_autoptr(GFile) libdir = g_file_new_for_path(lib);
    g_autoptr(HakoVmCreator) c = hako_vm_creator_new(libdir);
    hako_vm_creator_set_name(c, "Debian");
    hako_vm_creator_set_disk_gib(c, 8);
    hako_vm_creator_set_firmware(c, HAKO_FIRMWARE_BIOS, NULL);

    /* cancelled: nothing left behind */
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    g_cancellable_cancel(cancel);
    g_autoptr(GError) err = NULL;
    g_assert_null(hako_vm_creator_run(c, cancel, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error(&err);
    g_assert_cmpuint(count_entries(lib), <=, 1); /* at most the lock */

    /* a UEFI VM whose VARS template is gone: fails, nothing left behind */
    g_autofree char *fwdir = make_lib();
    g_autoptr(HakoFirmware) ovmf = fake_ovmf(fwdir);
    hako_vm_creator_set_firmware(c, HAKO_FIRMWARE_UEFI, ovmf);
    g_autofree char *vars = g_build_filename(fwdir, "OVMF_VARS_4M.fd", NULL);
    g_unlink(vars);
    g_assert_null(hako_vm_creator_run(c, NULL, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpuint(count_entries(lib), <=, 1);

    /* a BIOS VM without a disk (disk size 0): vm.ini only */
    hako_vm_creator_set_firmware(c, HAKO_FIRMWARE_BIOS, NULL);
    hako_vm_creator_set_disk_gib(c, 0);
    g_autoptr(GFile) dir = hako_vm_creator_run(c, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(count_entries(lib), ==, 2);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *dpath = g_file_get_path(dir);
    g_autofree char *ini = g_build_filename(dpath, "vm.ini", NULL);
    g_assert_true(g_key_file_load_from_file(kf, ini, 0, NULL));
    g_assert_false(g_key_file_has_key(kf, HAKO_VM_ENGINE_GROUP, "disk", NULL));
    g_autofree char *fw = g_key_file_get_string(kf, HAKO_VM_ENGINE_GROUP, "firmware", NULL);
    g_assert_cmpstr(fw, ==, "bios");
    rm_tree(lib);
    rm_tree(fwdir);
}

static void test_disk_images(void)
{
    g_autofree char *dir = make_lib();
    g_autofree char *img = g_build_filename(dir, "d.img", NULL);
    g_autoptr(GError) err = NULL;
    g_assert_true(hako_disk_image_create(img, 3ull << 30, NULL, NULL, NULL, &err));
    g_assert_false(hako_disk_image_create(img, 1ull << 30, NULL, NULL, NULL, &err)); /* exists */
    g_clear_error(&err);
    g_assert_true(hako_disk_image_grow(img, 5ull << 30, NULL, NULL, NULL, &err));
    struct stat st;
    g_assert_cmpint(stat(img, &st), ==, 0);
    g_assert_cmpuint((guint64)st.st_size, ==, 5ull << 30);
    g_assert_false(hako_disk_image_grow(img, 4ull << 30, NULL, NULL, NULL, &err)); /* shrink */
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);
    /* a cancelled creation removes its file */
    g_autofree char *img2 = g_build_filename(dir, "e.img", NULL);
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    g_cancellable_cancel(cancel);
    g_assert_false(hako_disk_image_create(img2, 2ull << 30, NULL, NULL, cancel, &err));
    g_assert_false(g_file_test(img2, G_FILE_TEST_EXISTS));
    rm_tree(dir);
}

/* Two wizards (or two apps) creating "grub" at the same moment: one VM is made. */
static gpointer create_grub(gpointer lib)
{
    g_autoptr(GFile) libdir = g_file_new_for_path(lib);
    g_autoptr(HakoVmCreator) c = hako_vm_creator_new(libdir);
    hako_vm_creator_set_name(c, "grub");
    hako_vm_creator_set_disk_gib(c, 0);
    hako_vm_creator_set_firmware(c, HAKO_FIRMWARE_BIOS, NULL);
    g_autoptr(GError) err = NULL;
    GFile *dir = hako_vm_creator_run(c, NULL, &err);
    if (!dir)
        g_assert_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS);
    return dir;
}

static void test_unique_names(void)
{
    g_autofree char *lib = make_lib();
    GThread *threads[8];
    for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("create", create_grub, lib);
    guint made = 0;
    for (guint i = 0; i < G_N_ELEMENTS(threads); i++) {
        GFile *dir = g_thread_join(threads[i]);
        if (dir) {
            made++;
            g_object_unref(dir);
        }
    }
    g_assert_cmpuint(made, ==, 1);
    /* a VM made by hand (not by a creator) holds its name too */
    g_autofree char *hand = g_build_filename(lib, "by-hand", NULL);
    g_assert_cmpint(g_mkdir(hand, 0755), ==, 0);
    g_autofree char *ini = g_build_filename(hand, "vm.ini", NULL);
    g_assert_true(g_file_set_contents(ini, "[VM]\nName=Memtest\n", -1, NULL));
    g_autoptr(GFile) libdir = g_file_new_for_path(lib);
    g_autoptr(HakoVmCreator) c = hako_vm_creator_new(libdir);
    hako_vm_creator_set_name(c, "Memtest");
    hako_vm_creator_set_disk_gib(c, 0);
    g_autoptr(GError) err = NULL;
    g_assert_null(hako_vm_creator_run(c, NULL, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS);
    rm_tree(lib);
}

/* A VM around an existing raw image: copied (sparse, the original stays), moved (the original
 * goes; back where it was when the VM cannot be made), or used where it is. */
static char *make_image(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    g_assert_cmpint(ftruncate(fd, 8ll << 30), ==, 0);
    g_assert_cmpint(pwrite(fd, "\x55\xaa", 2, 510), ==, 2);
    g_assert_cmpint(pwrite(fd, "DATA", 4, 4ll << 30), ==, 4);
    close(fd);
    return path;
}

static GKeyFile *read_ini(GFile *dir)
{
    GKeyFile *kf = g_key_file_new();
    g_autofree char *ini = g_build_filename(g_file_peek_path(dir), "vm.ini", NULL);
    g_assert_true(g_key_file_load_from_file(kf, ini, 0, NULL));
    return kf;
}

static void test_import(void)
{
    g_autofree char *lib = make_lib();
    g_autofree char *outside = make_lib();
    g_autoptr(GFile) libdir = g_file_new_for_path(lib);
    g_autoptr(GError) err = NULL;
    struct stat st;

    g_autofree char *a = make_image(outside, "a.img");
    g_autoptr(HakoVmCreator) c = hako_vm_creator_new(libdir);
    hako_vm_creator_set_name(c, "Copied");
    hako_vm_creator_set_disk_image(c, a, HAKO_DISK_IMPORT_COPY);
    g_autoptr(GFile) d1 = hako_vm_creator_run(c, NULL, &err);
    g_assert_no_error(err);
    g_autofree char *disk1 = g_build_filename(g_file_peek_path(d1), HAKO_VM_DISK_FILE, NULL);
    g_assert_cmpint(stat(disk1, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 8ll << 30);
    g_assert_cmpint((gint64)st.st_blocks * 512, <, 16 << 20);
    g_assert_true(g_file_test(a, G_FILE_TEST_EXISTS));
    g_autoptr(GKeyFile) k1 = read_ini(d1);
    g_autofree char *v1 = g_key_file_get_string(k1, HAKO_VM_ENGINE_GROUP, "disk", NULL);
    g_autofree char *b1 = g_key_file_get_string(k1, HAKO_VM_ENGINE_GROUP, "boot", NULL);
    g_assert_cmpstr(v1, ==, HAKO_VM_DISK_FILE);
    g_assert_cmpstr(b1, ==, "disk");

    hako_vm_creator_set_name(c, "Moved");
    hako_vm_creator_set_disk_image(c, a, HAKO_DISK_IMPORT_MOVE);
    g_autoptr(GFile) d2 = hako_vm_creator_run(c, NULL, &err);
    g_assert_no_error(err);
    g_autofree char *disk2 = g_build_filename(g_file_peek_path(d2), HAKO_VM_DISK_FILE, NULL);
    g_assert_true(g_file_test(disk2, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(a, G_FILE_TEST_EXISTS));

    /* cannot be made (the name is taken): the moved image is back where it was */
    g_autofree char *b = make_image(outside, "b.img");
    hako_vm_creator_set_disk_image(c, b, HAKO_DISK_IMPORT_MOVE);
    g_assert_null(hako_vm_creator_run(c, NULL, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error(&err);
    g_assert_true(g_file_test(b, G_FILE_TEST_EXISTS));

    hako_vm_creator_set_name(c, "In place");
    hako_vm_creator_set_disk_image(c, b, HAKO_DISK_IMPORT_USE);
    g_autoptr(GFile) d3 = hako_vm_creator_run(c, NULL, &err);
    g_assert_no_error(err);
    g_autoptr(GKeyFile) k3 = read_ini(d3);
    g_autofree char *v3 = g_key_file_get_string(k3, HAKO_VM_ENGINE_GROUP, "disk", NULL);
    g_assert_cmpstr(v3, ==, b);
    g_autofree char *disk3 = g_build_filename(g_file_peek_path(d3), HAKO_VM_DISK_FILE, NULL);
    g_assert_false(g_file_test(disk3, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(b, G_FILE_TEST_EXISTS));
    rm_tree(lib);
    rm_tree(outside);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vm-creator/uefi", test_create_uefi);
    g_test_add_func("/vm-creator/cancel-and-failure", test_cancel_and_failure);
    g_test_add_func("/vm-creator/disk-images", test_disk_images);
    g_test_add_func("/vm-creator/unique-names", test_unique_names);
    g_test_add_func("/vm-creator/import", test_import);
    return g_test_run();
}
