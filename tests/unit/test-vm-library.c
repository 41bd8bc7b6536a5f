/*
 * HakoVmLibrary and the file-system helpers under it (hako-fs.c), without a display: deleting a
 * VM never follows a symbolic link out of its folder, also where there is no Trash; VMs whose
 * vm.ini cannot be read are listed with the reason (a FIFO does not hang the scan); a folder
 * reached through symbolic links is listed once; leftover temporary files of an interrupted
 * vm.ini write are removed; saving vm.ini syncs the folder after the rename (fsync is wrapped
 * by the linker: -Wl,--wrap=fsync); the index in the cache folder follows changes.
 */
#include <errno.h>
#include <time.h>
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
    hako_vm_library_rescan_sync(library);
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

/* ---- fsync, wrapped: which file descriptors were synced, in order ---- */

int __real_fsync(int fd);
int __wrap_fsync(int fd);

typedef struct {
    gboolean dir;
    char *ini; /* vm.ini's contents at that moment (for the folder syncs) */
} SyncEvent;

static GArray *sync_events;
static const char *sync_watch; /* the vm.ini whose contents are recorded */

int __wrap_fsync(int fd)
{
    struct stat st;
    if (sync_events && fstat(fd, &st) == 0) {
        SyncEvent ev = {S_ISDIR(st.st_mode), NULL};
        if (ev.dir && sync_watch)
            g_file_get_contents(sync_watch, &ev.ini, NULL, NULL);
        g_array_append_val(sync_events, ev);
    }
    return __real_fsync(fd);
}

static void test_save_syncs_folder(void)
{
    g_autofree char *lib = make_tmp(g_get_tmp_dir(), "hako-lib-XXXXXX");
    g_autofree char *vmdir = add_vm(lib, "alpha", "Alpha");
    g_autofree char *ini = g_build_filename(vmdir, "vm.ini", NULL);
    g_autoptr(GFile) dir = g_file_new_for_path(vmdir);
    g_autoptr(GError) err = NULL;
    g_autoptr(HakoVm) vm = hako_vm_load(dir, &err);
    g_assert_no_error(err);
    hako_vm_set_name(vm, "Renamed");
    sync_events = g_array_new(FALSE, TRUE, sizeof(SyncEvent));
    sync_watch = ini;
    g_assert_true(hako_vm_save(vm, &err));
    g_assert_no_error(err);
    /* the file was synced, then, after the rename, its folder (vm.ini is new by then) */
    gboolean file_synced = FALSE, dir_synced_after = FALSE;
    for (guint i = 0; i < sync_events->len; i++) {
        SyncEvent *ev = &g_array_index(sync_events, SyncEvent, i);
        if (!ev->dir)
            file_synced = TRUE;
        else if (file_synced && ev->ini && strstr(ev->ini, "Name=Renamed"))
            dir_synced_after = TRUE;
        g_free(ev->ini);
    }
    g_clear_pointer(&sync_events, g_array_unref);
    sync_watch = NULL;
    g_assert_true(file_synced);
    g_assert_true(dir_synced_after);
    /* no temporary file is left */
    g_autoptr(GDir) d = g_dir_open(vmdir, 0, NULL);
    const char *n;
    while ((n = g_dir_read_name(d)))
        g_assert_false(g_str_has_prefix(n, "vm.ini."));
    rm_tree(lib);
}

/* ---- reading the end of a log, copying an image ---- */

static void test_read_tail(void)
{
    g_autofree char *dir = make_tmp(g_get_tmp_dir(), "hako-log-XXXXXX");
    g_autofree char *log = g_build_filename(dir, "engine.log", NULL);
    GString *s = g_string_new(NULL);
    for (int i = 0; i < 20000; i++)
        g_string_append_printf(s, "line %05d of the engine log\n", i);
    write_file(log, s->str);
    gboolean cut = FALSE;
    g_autoptr(GError) err = NULL;
    g_autofree char *tail = hako_fs_read_tail(log, 4096, &cut, &err);
    g_assert_no_error(err);
    g_assert_true(cut);
    g_assert_cmpuint(strlen(tail), <=, 4096);
    g_assert_true(g_str_has_prefix(tail, "line ")); /* from a line's start */
    g_assert_true(g_str_has_suffix(tail, "line 19999 of the engine log\n"));
    g_autofree char *all = hako_fs_read_tail(log, 1 << 20, &cut, &err);
    g_assert_false(cut);
    g_assert_cmpstr(all, ==, s->str);
    g_string_free(s, TRUE);
    /* a FIFO is refused at once */
    g_autofree char *fifo = g_build_filename(dir, "fifo.log", NULL);
    g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
    g_autofree char *none = hako_fs_read_tail(fifo, 4096, &cut, &err);
    g_assert_null(none);
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
    rm_tree(dir);
}

static void test_copy_sparse(void)
{
    g_autofree char *dir = make_tmp(g_get_tmp_dir(), "hako-copy-XXXXXX");
    g_autofree char *src = g_build_filename(dir, "src.img", NULL);
    g_autofree char *dst = g_build_filename(dir, "dst.img", NULL);
    int fd = open(src, O_CREAT | O_WRONLY, 0644);
    g_assert_cmpint(ftruncate(fd, 1 << 30), ==, 0);
    g_assert_cmpint(pwrite(fd, "BOOT", 4, 510), ==, 4);
    g_assert_cmpint(pwrite(fd, "MIDDLE", 6, 512 << 20), ==, 6);
    g_assert_cmpint(pwrite(fd, "END", 3, (1 << 30) - 3), ==, 3);
    close(fd);
    g_autoptr(GError) err = NULL;
    g_assert_true(hako_fs_copy_sparse(src, dst, NULL, NULL, NULL, &err));
    g_assert_no_error(err);
    struct stat st;
    g_assert_cmpint(stat(dst, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 1 << 30);
    g_assert_cmpint((gint64)st.st_blocks * 512, <, 16 << 20);
    char buf[8];
    fd = open(dst, O_RDONLY);
    g_assert_cmpint(pread(fd, buf, 4, 510), ==, 4);
    g_assert_cmpmem(buf, 4, "BOOT", 4);
    g_assert_cmpint(pread(fd, buf, 6, 512 << 20), ==, 6);
    g_assert_cmpmem(buf, 6, "MIDDLE", 6);
    g_assert_cmpint(pread(fd, buf, 3, (1 << 30) - 3), ==, 3);
    g_assert_cmpmem(buf, 3, "END", 3);
    close(fd);
    /* never over an existing file */
    g_assert_false(hako_fs_copy_sparse(src, dst, NULL, NULL, NULL, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS);
    rm_tree(dir);
}

/* ---- listing ---- */

static HakoVmLibrary *library_at(const char *lib)
{
    g_autoptr(GFile) dir = g_file_new_for_path(lib);
    HakoVmLibrary *library = hako_vm_library_new(dir);
    hako_vm_library_rescan_sync(library);
    return library;
}

static void write_raw(const char *dir, const char *name, const char *data)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) err = NULL;
    g_file_set_contents(path, data, (gssize)strlen(data), &err);
    g_assert_no_error(err);
}

/* Broken vm.ini files are listed with the reason, not left out; a FIFO is refused, not read
 * (which would block until something writes to it). */
static void test_unreadable(void)
{
    g_autofree char *lib = make_tmp(g_get_tmp_dir(), "hako-lib-XXXXXX");
    g_autofree char *good = add_vm(lib, "good", "Good");
    g_autofree char *garbage = g_build_filename(lib, "garbage", NULL);
    g_mkdir(garbage, 0755);
    write_raw(garbage, "vm.ini", "\x01\x02 this is not\n[an ini file\n");
    g_autofree char *fifo = g_build_filename(lib, "fifo", NULL);
    g_mkdir(fifo, 0755);
    g_autofree char *fifo_ini = g_build_filename(fifo, "vm.ini", NULL);
    g_assert_cmpint(mkfifo(fifo_ini, 0644), ==, 0);
    g_autofree char *folder = g_build_filename(lib, "folder", "vm.ini", NULL);
    g_assert_cmpint(g_mkdir_with_parents(folder, 0755), ==, 0);
    g_autofree char *huge = g_build_filename(lib, "huge", NULL);
    g_mkdir(huge, 0755);
    g_autofree char *huge_ini = g_build_filename(huge, "vm.ini", NULL);
    int fd = open(huge_ini, O_CREAT | O_WRONLY, 0644);
    g_assert_cmpint(ftruncate(fd, 64 << 20), ==, 0);
    close(fd);

    g_autoptr(HakoVmLibrary) library = library_at(lib);
    g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(library)), ==, 5);
    HakoVm *ok = hako_vm_library_find(library, "good");
    g_assert_nonnull(ok);
    g_assert_null(hako_vm_get_problem(ok));
    const char *broken[] = {"garbage", "fifo", "folder", "huge"};
    for (gsize i = 0; i < G_N_ELEMENTS(broken); i++) {
        HakoVm *vm = hako_vm_library_find(library, broken[i]);
        g_assert_nonnull(vm);
        g_test_message("%s: %s", broken[i], hako_vm_get_problem(vm));
        g_assert_nonnull(hako_vm_get_problem(vm));
        g_assert_cmpstr(hako_vm_get_name(vm), ==, broken[i]);
        /* never started, never written over */
        g_autoptr(GError) err = NULL;
        g_assert_false(hako_vm_start(vm, &err));
        g_assert_nonnull(err);
        g_clear_error(&err);
        g_assert_false(hako_vm_save(vm, &err));
    }
    g_assert_nonnull(
        strstr(hako_vm_get_problem(hako_vm_library_find(library, "fifo")), "not a regular file"));
    g_assert_nonnull(
        strstr(hako_vm_get_problem(hako_vm_library_find(library, "garbage")), "vm.ini"));
    /* a VM that becomes readable is shown normally after the next scan */
    g_autofree char *garbage_ini = g_build_filename(garbage, "vm.ini", NULL);
    g_unlink(garbage_ini);
    write_raw(garbage, "vm.ini", "[VM]\nName=Fixed\n");
    hako_vm_library_rescan_sync(library);
    HakoVm *fixed = hako_vm_library_find(library, "garbage");
    g_assert_null(hako_vm_get_problem(fixed));
    g_assert_cmpstr(hako_vm_get_name(fixed), ==, "Fixed");
    (void)good;
    rm_tree(lib);
}

/* A VM folder reached through symbolic links is one VM. */
static void test_symlinks_listed_once(void)
{
    g_autofree char *lib = make_tmp(g_get_tmp_dir(), "hako-lib-XXXXXX");
    g_autofree char *outside = make_tmp(g_get_tmp_dir(), "hako-outside-XXXXXX");
    g_autofree char *alpha = add_vm(lib, "alpha", "Alpha");
    g_autofree char *alias = g_build_filename(lib, "alias", NULL);
    g_assert_cmpint(symlink(alpha, alias), ==, 0);
    g_autofree char *ext = add_vm(outside, "ext", "External");
    g_autofree char *link1 = g_build_filename(lib, "zz-link", NULL);
    g_autofree char *link2 = g_build_filename(lib, "ext-link", NULL);
    g_assert_cmpint(symlink(ext, link1), ==, 0);
    g_assert_cmpint(symlink(ext, link2), ==, 0);
    g_autoptr(HakoVmLibrary) library = library_at(lib);
    g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(library)), ==, 2);
    g_assert_nonnull(hako_vm_library_find(library, "alpha"));
    g_assert_null(hako_vm_library_find(library, "alias"));
    g_assert_nonnull(hako_vm_library_find(library, "ext-link"));
    g_assert_null(hako_vm_library_find(library, "zz-link"));
    rm_tree(lib);
    rm_tree(outside);
}

/* vm.ini.XXXXXX left by a crash during a write: removed once old enough (not while a write may
 * be going on); other files stay. */
static void test_leftover_temporaries(void)
{
    g_autofree char *lib = make_tmp(g_get_tmp_dir(), "hako-lib-XXXXXX");
    g_autofree char *vm = add_vm(lib, "alpha", "Alpha");
    write_raw(vm, "vm.ini.Ab3xYz", "[VM]\nName=Half");
    write_raw(vm, "vm.ini.Qq1Rr2", "[VM]\nName=Fresh");
    write_raw(vm, "vm.ini.backup", "[VM]\nName=Mine");
    write_raw(vm, "vm.ini.bak", "keep");
    g_autofree char *old = g_build_filename(vm, "vm.ini.Ab3xYz", NULL);
    g_autofree char *mine = g_build_filename(vm, "vm.ini.backup", NULL);
    struct timespec times[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    g_assert_cmpint(utimensat(AT_FDCWD, old, times, 0), ==, 0);
    g_assert_cmpint(utimensat(AT_FDCWD, mine, times, 0), ==, 0);
    g_autoptr(HakoVmLibrary) library = library_at(lib);
    g_assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
    g_autofree char *fresh = g_build_filename(vm, "vm.ini.Qq1Rr2", NULL);
    g_autofree char *bak = g_build_filename(vm, "vm.ini.bak", NULL);
    g_assert_true(g_file_test(fresh, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(bak, G_FILE_TEST_EXISTS));
    /* "backup" is six characters too, but written by someone on purpose a while ago: mkstemp
     * names mix cases and digits, which hako_fs_clean_temporaries requires */
    g_assert_true(g_file_test(mine, G_FILE_TEST_EXISTS));
    rm_tree(lib);
}

/* The index in the cache folder: a second start lists the same VMs from it; a vm.ini changed
 * since is read again. */
static void test_index(void)
{
    g_autofree char *lib = make_tmp(g_get_tmp_dir(), "hako-lib-XXXXXX");
    for (int i = 0; i < 50; i++) {
        g_autofree char *id = g_strdup_printf("vm-%02d", i);
        g_autofree char *name = g_strdup_printf("Machine %02d", 49 - i);
        g_autofree char *d = add_vm(lib, id, name);
    }
    {
        g_autoptr(HakoVmLibrary) first = library_at(lib);
        g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(first)), ==, 50);
    }
    g_autofree char *cache = g_build_filename(g_get_user_cache_dir(), "hako", NULL);
    g_assert_true(g_file_test(cache, G_FILE_TEST_IS_DIR));
    g_autofree char *ini = g_build_filename(lib, "vm-07", "vm.ini", NULL);
    write_file(ini, "[VM]\nName=Changed\n");
    g_autoptr(HakoVmLibrary) second = library_at(lib);
    g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(second)), ==, 50);
    g_assert_cmpstr(hako_vm_get_name(hako_vm_library_find(second, "vm-07")), ==, "Changed");
    g_assert_cmpstr(hako_vm_get_name(hako_vm_library_find(second, "vm-08")), ==, "Machine 41");
    /* in order of names */
    g_autoptr(HakoVm) first_vm = g_list_model_get_item(G_LIST_MODEL(second), 0);
    g_assert_cmpstr(hako_vm_get_name(first_vm), ==, "Changed");
    g_autoptr(HakoVm) second_vm = g_list_model_get_item(G_LIST_MODEL(second), 1);
    g_assert_cmpstr(hako_vm_get_name(second_vm), ==, "Machine 00");
    /* the settings themselves are read when needed */
    g_autofree char *memory = g_key_file_get_string(
        hako_vm_get_config(hako_vm_library_find(second, "vm-08")), "Engine", "memory", NULL);
    g_assert_cmpstr(memory, ==, "128M");
    rm_tree(lib);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* the Trash and everything else of this user in a folder of its own */
    g_autofree char *home = make_tmp(g_get_tmp_dir(), "hako-home-XXXXXX");
    g_autofree char *data = g_build_filename(home, "data", NULL);
    g_autofree char *cache = g_build_filename(home, "cache", NULL);
    g_setenv("XDG_DATA_HOME", data, TRUE);
    g_setenv("XDG_CACHE_HOME", cache, TRUE);
    g_mkdir(data, 0700);
    g_test_add_func("/fs/delete-tree-nofollow", test_delete_tree_nofollow);
    g_test_add_func("/library/delete-without-trash", test_library_delete_without_trash);
    g_test_add_func("/vm/save-syncs-folder", test_save_syncs_folder);
    g_test_add_func("/fs/read-tail", test_read_tail);
    g_test_add_func("/fs/copy-sparse", test_copy_sparse);
    g_test_add_func("/library/unreadable", test_unreadable);
    g_test_add_func("/library/symlinks-listed-once", test_symlinks_listed_once);
    g_test_add_func("/library/leftover-temporaries", test_leftover_temporaries);
    g_test_add_func("/library/index", test_index);
    int r = g_test_run();
    rm_tree(home);
    return r;
}
