/*
 * HakoVmLibrary and the file-system helpers under it (hako-fs.c), without a display: deleting a
 * VM never follows a symbolic link out of its folder, also where there is no Trash.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hako-fs.h"
#include "hako-vm-creator.h"
#include "hako-vm-library.h"

static char *make_tmp(const char *base, const char *tmpl)
{
    g_autofree char *t = g_build_filename(base, tmpl, NULL);
    char *dir = g_mkdtemp(g_steal_pointer(&t));
    g_assert_nonnull(dir);
    return dir;
}

static void write_file(const char *path, const char *text)
{
    g_autoptr(GError) err = NULL;
    g_file_set_contents(path, text, -1, &err);
    g_assert_no_error(err);
}

static char *add_vm(const char *lib, const char *id, const char *name)
{
    char *dir = g_build_filename(lib, id, NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_autofree char *ini = g_build_filename(dir, "vm.ini", NULL);
    g_autofree char *text = g_strdup_printf("[VM]\nName=%s\n\n[Engine]\nmemory=128M\n", name);
    write_file(ini, text);
    return dir;
}

/* A folder outside the library with files the user cares about. */
static char *make_precious(void)
{
    char *p = make_tmp(g_get_tmp_dir(), "hako-precious-XXXXXX");
    g_autofree char *f = g_build_filename(p, "thesis.odt", NULL);
    write_file(f, "years of work");
    g_autofree char *sub = g_build_filename(p, "photos", NULL);
    g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
    g_autofree char *g = g_build_filename(sub, "cat.jpg", NULL);
    write_file(g, "meow");
    return p;
}

static void assert_precious_intact(const char *p)
{
    g_autofree char *f = g_build_filename(p, "thesis.odt", NULL);
    g_autofree char *g = g_build_filename(p, "photos", "cat.jpg", NULL);
    g_assert_true(g_file_test(f, G_FILE_TEST_IS_REGULAR));
    g_assert_true(g_file_test(g, G_FILE_TEST_IS_REGULAR));
}

static void rm_tree(const char *path)
{
    hako_fs_delete_tree(path, NULL, NULL);
}

/* A VM folder with symbolic links out of it (to a folder, to a file, to its own parent): the
 * folder goes, what the links point to stays. */
static char *victim_with_links(const char *lib, const char *precious)
{
    char *vm = add_vm(lib, "victim", "Victim");
    g_autofree char *isos = g_build_filename(vm, "isos", NULL);
    g_assert_cmpint(symlink(precious, isos), ==, 0);
    g_autofree char *nested = g_build_filename(vm, "a", "b", NULL);
    g_assert_cmpint(g_mkdir_with_parents(nested, 0755), ==, 0);
    g_autofree char *deep = g_build_filename(nested, "photos", NULL);
    g_autofree char *target = g_build_filename(precious, "photos", NULL);
    g_assert_cmpint(symlink(target, deep), ==, 0);
    g_autofree char *file_link = g_build_filename(nested, "thesis", NULL);
    g_autofree char *file_target = g_build_filename(precious, "thesis.odt", NULL);
    g_assert_cmpint(symlink(file_target, file_link), ==, 0);
    g_autofree char *up = g_build_filename(vm, "library", NULL);
    g_assert_cmpint(symlink(lib, up), ==, 0);
    return vm;
}

static void test_delete_tree_nofollow(void)
{
    g_autofree char *lib = make_tmp(g_get_tmp_dir(), "hako-lib-XXXXXX");
    g_autofree char *precious = make_precious();
    g_autofree char *other = add_vm(lib, "other", "Other");
    g_autofree char *vm = victim_with_links(lib, precious);
    /* hako_delete_recursive: what the creator uses to remove a half-made VM */
    g_autoptr(GFile) f = g_file_new_for_path(vm);
    g_autoptr(GError) err = NULL;
    gboolean deleted = hako_delete_recursive(f, NULL, &err);
    assert_precious_intact(precious);
    g_assert_no_error(err);
    g_assert_true(deleted);
    g_assert_false(g_file_test(vm, G_FILE_TEST_EXISTS));
    g_autofree char *other_ini = g_build_filename(other, "vm.ini", NULL);
    g_assert_true(g_file_test(other_ini, G_FILE_TEST_IS_REGULAR));
    /* a symbolic link given itself: the link goes, its target stays */
    g_autofree char *link = g_build_filename(lib, "link", NULL);
    g_assert_cmpint(symlink(precious, link), ==, 0);
    g_assert_true(hako_fs_delete_tree(link, NULL, &err));
    g_assert_no_error(err);
    assert_precious_intact(precious);
    rm_tree(lib);
    rm_tree(precious);
}

/* Deleting a VM where the Trash cannot be used (a library on tmpfs: GIO refuses to trash on
 * /dev/shm), so the library deletes the folder itself. */
static void test_library_delete_without_trash(void)
{
    struct stat shm, tmp;
    if (stat("/dev/shm", &shm) < 0 || !S_ISDIR(shm.st_mode) || access("/dev/shm", W_OK) < 0 ||
        stat(g_get_user_data_dir(), &tmp) < 0 || shm.st_dev == tmp.st_dev) {
        g_test_skip("no /dev/shm on another file system than the user's data folder");
        return;
    }
    g_autofree char *base = make_tmp("/dev/shm", "hako-test-XXXXXX");
    g_autofree char *lib = g_build_filename(base, "vms", NULL);
    g_assert_cmpint(g_mkdir(lib, 0755), ==, 0);
    g_autofree char *precious = make_precious();
    g_autofree char *vm = victim_with_links(lib, precious);
    g_autofree char *keep = add_vm(lib, "keep", "Keep");
    g_autoptr(GFile) libdir = g_file_new_for_path(lib);
    g_autoptr(HakoVmLibrary) library = hako_vm_library_new(libdir);
    HakoVm *victim = hako_vm_library_find(library, "victim");
    g_assert_nonnull(victim);
    g_autoptr(GError) err = NULL;
    gboolean deleted = hako_vm_library_delete(library, victim, &err);
    assert_precious_intact(precious);
    g_assert_no_error(err);
    g_assert_true(deleted);
    g_assert_false(g_file_test(vm, G_FILE_TEST_EXISTS));
    g_assert_nonnull(hako_vm_library_find(library, "keep"));
    g_assert_null(hako_vm_library_find(library, "victim"));
    rm_tree(base);
    rm_tree(precious);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* the Trash and everything else of this user in a folder of its own */
    g_autofree char *home = make_tmp(g_get_tmp_dir(), "hako-home-XXXXXX");
    g_autofree char *data = g_build_filename(home, "data", NULL);
    g_setenv("XDG_DATA_HOME", data, TRUE);
    g_mkdir(data, 0700);
    g_test_add_func("/fs/delete-tree-nofollow", test_delete_tree_nofollow);
    g_test_add_func("/library/delete-without-trash", test_library_delete_without_trash);
    int r = g_test_run();
    rm_tree(home);
    return r;
}
