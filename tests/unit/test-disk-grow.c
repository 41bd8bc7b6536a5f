/*
 * The app's "grow disk" takes the lock a running engine holds on its images (hako/lock.h, the
 * same OFD lock vmm/block/disk.c takes): an image in use is refused and left as it was, instead
 * of being resized under the running guest; a FIFO is refused, never waited on.
 */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hako-vm-creator.h"
#include "hako/lock.h"

static void test_grow_locked(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("hako-grow-XXXXXX", &err);
    g_assert_no_error(err);
    g_autofree char *img = g_build_filename(dir, "disk.img", NULL);
    g_assert_true(hako_disk_image_create(img, 1 << 20, NULL, NULL, NULL, &err));
    g_assert_no_error(err);

    /* a running VM: the engine's lock on its disk */
    int fd = open(img, O_RDWR | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(hk_image_lock(fd, TRUE), ==, 0);
    g_assert_false(hako_disk_image_grow(img, 2 << 20, NULL, NULL, NULL, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_BUSY);
    g_clear_error(&err);
    struct stat st;
    g_assert_cmpint(stat(img, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 1 << 20);
    /* a read-only user holds it too */
    close(fd);
    fd = open(img, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(hk_image_lock(fd, FALSE), ==, 0);
    g_assert_false(hako_disk_image_grow(img, 2 << 20, NULL, NULL, NULL, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_BUSY);
    g_clear_error(&err);
    close(fd);

    /* the VM stopped: it grows */
    g_assert_true(hako_disk_image_grow(img, 2 << 20, NULL, NULL, NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpint(stat(img, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 2 << 20);

    /* a FIFO: refused at once */
    g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    g_assert_false(hako_disk_image_grow(fifo, 2 << 20, NULL, NULL, NULL, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_unlink(fifo);
    g_unlink(img);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/disk-grow/locked", test_grow_locked);
    return g_test_run();
}
