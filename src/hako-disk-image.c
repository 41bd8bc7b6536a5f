/* HakoDiskImage: see hako-disk-image.h. */
#include "hako-disk-image.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <sys/stat.h>
#include <unistd.h>

struct _HakoDiskImage {
    GObject parent_instance;
    GFile *file;
    struct hk_disk_image_info info;
};

G_DEFINE_FINAL_TYPE(HakoDiskImage, hako_disk_image, G_TYPE_OBJECT)

HakoDiskImage *hako_disk_image_new_for_file(GFile *file, GCancellable *cancellable, GError **error)
{
    (void)cancellable;
    const char *path = g_file_peek_path(file);
    g_autofree char *shown = g_file_get_parse_name(file);
    if (!path) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    _("Only files on this computer can be used as disk images."));
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), _("Cannot read “%s”: %s"), shown,
                    g_strerror(err));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                    _("“%s” is not a regular file."), shown);
        return NULL;
    }
    struct hk_disk_image_info info;
    int r = hk_disk_image_sniff(hk_disk_read_fd, &fd, (uint64_t)st.st_size, &info);
    int err = errno;
    close(fd);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), _("Cannot read “%s”: %s"), shown,
                    g_strerror(err));
        return NULL;
    }
    HakoDiskImage *self = g_object_new(HAKO_TYPE_DISK_IMAGE, NULL);
    self->file = g_object_ref(file);
    self->info = info;
    return self;
}

static void sniff_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    GError *error = NULL;
    HakoDiskImage *img = hako_disk_image_new_for_file(data, cancellable, &error);
    if (img)
        g_task_return_pointer(task, img, g_object_unref);
    else
        g_task_return_error(task, error);
}

void hako_disk_image_new_for_file_async(GFile *file, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, hako_disk_image_new_for_file_async);
    g_task_set_task_data(task, g_object_ref(file), g_object_unref);
    g_task_run_in_thread(task, sniff_thread);
}

HakoDiskImage *hako_disk_image_new_for_file_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

GFile *hako_disk_image_get_file(HakoDiskImage *self)
{
    return self->file;
}

const struct hk_disk_image_info *hako_disk_image_get_info(HakoDiskImage *self)
{
    return &self->info;
}

gboolean hako_disk_image_is_usable(HakoDiskImage *self)
{
    return self->info.format == HK_DISK_RAW && self->info.table != HK_TABLE_NONE;
}

gboolean hako_disk_image_needs_conversion(HakoDiskImage *self)
{
    return self->info.format != HK_DISK_RAW;
}

const char *hako_disk_image_format_label(HakoDiskImage *self)
{
    switch (self->info.format) {
    case HK_DISK_QCOW2: return "QCOW2";
    case HK_DISK_VMDK: return "VMDK";
    case HK_DISK_VDI: return "VDI";
    case HK_DISK_VHD: return "VHD";
    case HK_DISK_VHDX: return "VHDX";
    case HK_DISK_RAW:
    default: return _("raw");
    }
}

static char *strip_extension(const char *base)
{
    char *name = g_strdup(base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = 0;
    return name;
}

char *hako_disk_image_convert_command(HakoDiskImage *self)
{
    g_autofree char *in = g_file_get_path(self->file);
    g_autofree char *dir = g_path_get_dirname(in);
    g_autofree char *base = g_path_get_basename(in);
    g_autofree char *stem = strip_extension(base);
    g_autofree char *out = NULL;
    for (int n = 1; n < 100; n++) {
        g_autofree char *name =
            n == 1 ? g_strdup_printf("%s.img", stem) : g_strdup_printf("%s-%d.img", stem, n);
        g_free(out);
        out = g_build_filename(dir, name, NULL);
        if (!g_str_equal(out, in) && !g_file_test(out, G_FILE_TEST_EXISTS))
            break;
    }
    g_autofree char *qin = g_shell_quote(in);
    g_autofree char *qout = g_shell_quote(out);
    return g_strdup_printf("qemu-img convert -f %s -O raw %s %s",
                           hk_disk_format_name(self->info.format), qin, qout);
}

char *hako_disk_image_dup_suggested_name(HakoDiskImage *self)
{
    g_autofree char *base = g_file_get_basename(self->file);
    g_autofree char *shown = g_filename_display_name(base);
    return strip_extension(shown);
}

static void hako_disk_image_finalize(GObject *object)
{
    HakoDiskImage *self = HAKO_DISK_IMAGE(object);
    g_clear_object(&self->file);
    G_OBJECT_CLASS(hako_disk_image_parent_class)->finalize(object);
}

static void hako_disk_image_class_init(HakoDiskImageClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = hako_disk_image_finalize;
}

static void hako_disk_image_init(HakoDiskImage *self)
{
    (void)self;
}
