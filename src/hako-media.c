/*
 * HakoMedia: the common disc reader's verdicts in words, and libosinfo identification (see
 * hako-media.h).
 */
#include "hako-media.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#define SECTOR      2048u
#define PVD_SECTOR  16u
#define MAX_VDS     64u /* volume descriptors scanned before giving up on a terminator */
#define CAT_SECTORS 4u  /* boot catalog bytes read: 4 sectors = 256 entries */
#define FAT_MAX_DIR (64u * 1024u)

G_DEFINE_QUARK(hako - media - error - quark, hako_media_error)

/* The reader's verdict as a GError in the app's words (name: the file as shown, or NULL). */
static gboolean status_error(enum hk_iso_status st, int err, const HakoIsoInfo *info,
                             const char *name, GError **error)
{
    switch (st) {
    case HK_ISO_OK: return TRUE;
    case HK_ISO_READ_ERROR:
        if (name)
            g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE,
                        _("Cannot read “%s”: %s"), name, g_strerror(err));
        else
            g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE, "%s",
                        _("The file ended early while reading it."));
        return FALSE;
    case HK_ISO_TOO_SMALL: {
        g_autofree char *sz = g_format_size_full(info->file_bytes, G_FORMAT_SIZE_LONG_FORMAT);
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_TOO_SMALL,
                    _("The file is too small to be a CD or DVD image (%s). If it was downloaded, "
                      "the download may be incomplete."),
                    sz);
        return FALSE;
    }
    case HK_ISO_DISK_IMAGE:
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_DISK_IMAGE, "%s",
                    _("This is a hard disk image, not a CD or DVD image."));
        return FALSE;
    case HK_ISO_NOT_ISO:
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_ISO, "%s",
                    _("This is not a CD or DVD image (no ISO 9660 volume descriptor)."));
        return FALSE;
    case HK_ISO_TRUNCATED: {
        g_autofree char *want = g_format_size_full(info->volume_bytes, G_FORMAT_SIZE_IEC_UNITS);
        g_autofree char *have = g_format_size_full(info->file_bytes, G_FORMAT_SIZE_IEC_UNITS);
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_TRUNCATED,
                    _("The image is incomplete: its volume is %s but the file holds only %s. The "
                      "download may have been interrupted."),
                    want, have);
        return FALSE;
    }
    case HK_ISO_CATALOG_TRUNCATED:
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_TRUNCATED, "%s",
                    _("The boot catalog lies beyond the end of the file (the file may be an "
                      "incomplete download)."));
        return FALSE;
    case HK_ISO_BAD_CATALOG:
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_BAD_CATALOG, "%s",
                    _("The image’s boot catalog is damaged (its validation entry does not check "
                      "out)."));
        return FALSE;
    }
    g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_ISO, "%s",
                _("This is not a CD or DVD image (no ISO 9660 volume descriptor)."));
    return FALSE;
}

/* Why a file cannot be opened as a disc image, in words. */
static void open_error(int err, const char *name, GError **error)
{
    if (err == ENOENT || err == ENOTDIR)
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE, _("“%s” does not exist."),
                    name);
    else if (err == EISDIR)
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE,
                    _("“%s” is a folder, not a disc image."), name);
    else if (err == ENODEV)
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE,
                    _("“%s” is not a disc image file (it is a pipe, a socket or a device)."), name);
    else if (err == EACCES || err == EPERM)
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE,
                    _("You may not read “%s”."), name);
    else
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE, _("Cannot open “%s”: %s"),
                    name, g_strerror(err));
}

gboolean hako_iso_parse_path(const char *path, HakoIsoInfo *info, GError **error)
{
    memset(info, 0, sizeof(*info));
    g_autofree char *name = g_filename_display_name(path);
    int fd;
    guint64 size;
    int err = hk_iso_open(path, &fd, &size);
    if (err) {
        open_error(err, name, error);
        return FALSE;
    }
    struct hk_iso_source src = {hk_iso_read_fd, &fd, size};
    enum hk_iso_status st = hk_iso_parse(&src, info, &err);
    close(fd);
    return status_error(st, err, info, name, error);
}

gboolean hako_iso_parse_buffer(const guint8 *data, gsize size, HakoIsoInfo *info, GError **error)
{
    return status_error(hk_iso_parse_buffer(data, size, info), 0, info, NULL, error);
}

gboolean hako_iso_info_boots_bios(const HakoIsoInfo *info)
{
    return hk_iso_boots_bios(info);
}

gboolean hako_iso_info_boots_uefi(const HakoIsoInfo *info)
{
    return hk_iso_boots_uefi(info);
}

const char *hako_iso_info_guess_arch(const HakoIsoInfo *info)
{
    return hk_iso_guess_arch(info);
}

/* ---- libosinfo ---- */

static OsinfoDb *osinfo_db_singleton;
static char *overlay_dir;

static char *find_overlay_dir(void)
{
    const char *env = g_getenv("HAKO_OSINFO_DIR");
    if (env && *env)
        return g_strdup(env);
    const char *candidates[] = {
#ifdef HAKO_PKGDATADIR
        HAKO_PKGDATADIR "/osinfo",
#endif
#ifdef HAKO_SOURCE_DATADIR
        HAKO_SOURCE_DATADIR "/osinfo",
#endif
        NULL,
    };
    for (gsize i = 0; candidates[i]; i++)
        if (g_file_test(candidates[i], G_FILE_TEST_IS_DIR))
            return g_strdup(candidates[i]);
    return NULL;
}

OsinfoDb *hako_osinfo_db(void)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
#if defined(__SANITIZE_ADDRESS__)
        /* libosinfo's loader leaks a few small blocks per load (Debian 12's 1.10): not ours to
         * report; the database itself lives as long as the process */
        __lsan_disable();
#endif
        g_autoptr(OsinfoLoader) loader = osinfo_loader_new();
        g_autoptr(GError) err = NULL;
        osinfo_loader_process_default_path(loader, &err);
        if (err)
            g_warning("libosinfo database: %s", err->message);
        overlay_dir = find_overlay_dir();
        if (overlay_dir) {
            g_autoptr(GError) err2 = NULL;
            osinfo_loader_process_path(loader, overlay_dir, &err2);
            if (err2)
                g_warning("libosinfo overlay %s: %s", overlay_dir, err2->message);
        }
        osinfo_db_singleton = g_object_ref(osinfo_loader_get_db(loader));
#if defined(__SANITIZE_ADDRESS__)
        __lsan_enable();
#endif
        g_once_init_leave(&once, 1);
    }
    return osinfo_db_singleton;
}

const char *hako_osinfo_overlay_dir(void)
{
    hako_osinfo_db();
    return overlay_dir;
}

/* ---- HakoMedia ---- */

struct _HakoMedia {
    GObject parent_instance;
    GFile *file;
    HakoIsoInfo info;
    OsinfoMedia *osinfo_media; /* the matched entry from the database */
    OsinfoOs *os;
};

G_DEFINE_FINAL_TYPE(HakoMedia, hako_media, G_TYPE_OBJECT)

static void hako_media_finalize(GObject *object)
{
    HakoMedia *self = HAKO_MEDIA(object);
    g_clear_object(&self->file);
    g_clear_object(&self->osinfo_media);
    g_clear_object(&self->os);
    G_OBJECT_CLASS(hako_media_parent_class)->finalize(object);
}

static void hako_media_class_init(HakoMediaClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = hako_media_finalize;
}

static void hako_media_init(HakoMedia *self)
{
    (void)self;
}

/* The image as a source for the common reader: a file descriptor (local files, opened without
 * blocking), or a GIO stream (other GFiles, e.g. gvfs mounts). */
typedef struct {
    int fd;
    GInputStream *in;
    GCancellable *cancellable;
    GError *error; /* the stream's first failure */
    struct hk_iso_source src;
} Source;

static int stream_read(void *opaque, uint64_t off, void *buf, size_t len)
{
    Source *s = opaque;
    gsize got = 0;
    GError *err = NULL;
    if (!g_seekable_seek(G_SEEKABLE(s->in), (goffset)off, G_SEEK_SET, s->cancellable, &err) ||
        !g_input_stream_read_all(s->in, buf, len, &got, s->cancellable, &err) || got != len) {
        if (!s->error && err)
            s->error = err;
        else
            g_clear_error(&err);
        return EIO;
    }
    return 0;
}

static void source_close(Source *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    g_clear_object(&s->in);
    g_clear_error(&s->error);
}

/* Opens file as a source; FALSE with the reason. */
static gboolean source_open(Source *s, GFile *file, GCancellable *cancellable, GError **error)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->cancellable = cancellable;
    g_autofree char *name = g_file_get_parse_name(file);
    const char *path = g_file_peek_path(file);
    if (path) {
        guint64 size;
        int err = hk_iso_open(path, &s->fd, &size);
        if (err) {
            open_error(err, name, error);
            return FALSE;
        }
        s->src = (struct hk_iso_source){hk_iso_read_fd, &s->fd, size};
        return TRUE;
    }
    /* not a local file: its type first (a pipe or device is never opened), then a stream */
    g_autoptr(GError) err = NULL;
    g_autoptr(GFileInfo) fi =
        g_file_query_info(file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                          G_FILE_QUERY_INFO_NONE, cancellable, &err);
    GFileType type = fi ? g_file_info_get_file_type(fi) : G_FILE_TYPE_UNKNOWN;
    if (!fi || type == G_FILE_TYPE_DIRECTORY || type == G_FILE_TYPE_SPECIAL) {
        open_error(!fi && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)           ? ENOENT
                   : !fi && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED) ? EACCES
                   : type == G_FILE_TYPE_DIRECTORY                                         ? EISDIR
                   : type == G_FILE_TYPE_SPECIAL                                           ? ENODEV
                                                                                           : EIO,
                   name, error);
        return FALSE;
    }
    GFileInputStream *in = g_file_read(file, cancellable, &err);
    if (!in) {
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE, _("Cannot open “%s”: %s"),
                    name, err->message);
        return FALSE;
    }
    s->in = G_INPUT_STREAM(in);
    goffset size = g_file_info_get_size(fi);
    s->src = (struct hk_iso_source){stream_read, s, size > 0 ? (guint64)size : 0};
    return TRUE;
}

static void identify(HakoMedia *self)
{
    OsinfoDb *db = hako_osinfo_db();
    const char *guess = hako_iso_info_guess_arch(&self->info);
    const char *arches[3] = {guess, NULL, NULL};
    if (!guess) {
        arches[0] = "x86_64";
        arches[1] = "i686";
    }
    g_autofree char *uri = g_file_get_uri(self->file);
    for (gsize i = 0; arches[i]; i++) {
        g_autoptr(OsinfoMedia) m = osinfo_media_new(uri, arches[i]);
        OsinfoEntity *e = OSINFO_ENTITY(m);
        const HakoIsoInfo *in = &self->info;
        if (in->volume_id[0])
            osinfo_entity_set_param(e, OSINFO_MEDIA_PROP_VOLUME_ID, in->volume_id);
        if (in->system_id[0])
            osinfo_entity_set_param(e, OSINFO_MEDIA_PROP_SYSTEM_ID, in->system_id);
        if (in->publisher_id[0])
            osinfo_entity_set_param(e, OSINFO_MEDIA_PROP_PUBLISHER_ID, in->publisher_id);
        if (in->application_id[0])
            osinfo_entity_set_param(e, OSINFO_MEDIA_PROP_APPLICATION_ID, in->application_id);
        osinfo_entity_set_param_int64(e, OSINFO_MEDIA_PROP_VOLUME_SIZE, (gint64)in->volume_bytes);
        osinfo_entity_set_param_boolean(e, OSINFO_MEDIA_PROP_BOOTABLE, in->el_torito);
        if (osinfo_db_identify_media(db, m)) {
            OsinfoOs *os = osinfo_media_get_os(m);
            if (os) {
                self->os = g_object_ref(os);
                self->osinfo_media = g_object_ref(m);
                return;
            }
        }
    }
}

HakoMedia *hako_media_new_for_file(GFile *file, GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(G_IS_FILE(file), NULL);
    Source s;
    if (!source_open(&s, file, cancellable, error))
        return NULL;
    g_autoptr(HakoMedia) self = g_object_new(HAKO_TYPE_MEDIA, NULL);
    self->file = g_object_ref(file);
    int err = 0;
    enum hk_iso_status st = hk_iso_parse(&s.src, &self->info, &err);
    g_autofree char *name = g_file_get_parse_name(file);
    gboolean ok;
    if (st == HK_ISO_READ_ERROR && s.error) {
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE, _("Cannot read “%s”: %s"),
                    name, s.error->message);
        ok = FALSE;
    } else {
        ok = status_error(st, err, &self->info, name, error);
    }
    source_close(&s);
    if (!ok)
        return NULL;
    identify(self);
    return g_steal_pointer(&self);
}

GBytes *hako_media_read_file(HakoMedia *self, const char *path, gsize max, GError **error)
{
    g_return_val_if_fail(HAKO_IS_MEDIA(self), NULL);
    Source s;
    g_autoptr(GError) err = NULL;
    if (!source_open(&s, self->file, NULL, &err)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, err->message);
        return NULL;
    }
    guint8 *buf = g_malloc(max ? max : 1);
    size_t len = 0;
    int e = hk_iso_read_file(&s.src, &self->info, path, buf, max, &len);
    source_close(&s);
    if (e) {
        g_free(buf);
        g_set_error(error, G_IO_ERROR,
                    e == EFBIG ? G_IO_ERROR_NOT_SUPPORTED : g_io_error_from_errno(e), "%s: %s",
                    path, g_strerror(e));
        return NULL;
    }
    return g_bytes_new_take(buf, len);
}

static void load_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    GError *error = NULL;
    HakoMedia *m = hako_media_new_for_file(G_FILE(data), cancellable, &error);
    if (m)
        g_task_return_pointer(task, m, g_object_unref);
    else
        g_task_return_error(task, error);
}

void hako_media_new_for_file_async(GFile *file, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, hako_media_new_for_file_async);
    g_task_set_task_data(task, g_object_ref(file), g_object_unref);
    g_task_run_in_thread(task, load_thread);
}

HakoMedia *hako_media_new_for_file_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

GFile *hako_media_get_file(HakoMedia *self)
{
    return self->file;
}

const HakoIsoInfo *hako_media_get_iso_info(HakoMedia *self)
{
    return &self->info;
}

gboolean hako_media_boots_bios(HakoMedia *self)
{
    return hako_iso_info_boots_bios(&self->info);
}

gboolean hako_media_boots_uefi(HakoMedia *self)
{
    return hako_iso_info_boots_uefi(&self->info);
}

gboolean hako_media_check_bootable(HakoMedia *self, GError **error)
{
    const HakoIsoInfo *in = &self->info;
    if (!in->el_torito) {
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE,
                    _("This disc image is not bootable: it has no El Torito boot record. It can "
                      "be attached to a virtual machine as a data CD, but it cannot install or "
                      "start an operating system."));
        return FALSE;
    }
    if (hako_iso_info_boots_bios(in) || hako_iso_info_boots_uefi(in))
        return TRUE;
    gboolean cut = FALSE;
    for (guint i = 0; i < in->n_entries; i++)
        cut |= in->entries[i].marked_bootable && in->entries[i].beyond_end;
    if (cut) {
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE, "%s",
                    _("This image’s boot entries point beyond the end of the file: the file is "
                      "incomplete or damaged, and nothing on it can start a computer."));
        return FALSE;
    }
    guint arches = 0;
    gboolean efi = FALSE;
    for (guint i = 0; i < in->n_entries; i++)
        if (in->entries[i].platform == HAKO_ELTORITO_EFI && in->entries[i].marked_bootable) {
            efi = TRUE;
            arches |= in->entries[i].efi_arches;
        }
    if (efi && (arches & HAKO_EFI_ARCH_IA32))
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE,
                    _("This image boots only 32-bit UEFI computers (BOOTIA32.EFI) and has no "
                      "BIOS boot entry. Hako’s UEFI firmware is 64-bit."));
    else if (efi && (arches & (HAKO_EFI_ARCH_AA64 | HAKO_EFI_ARCH_ARM)))
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE,
                    _("This image is for ARM computers; Hako runs x86-64 virtual machines."));
    else
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE,
                    _("This image has no boot entry a PC can use (neither x86 BIOS nor x86-64 "
                      "UEFI)."));
    return FALSE;
}

OsinfoOs *hako_media_get_os(HakoMedia *self)
{
    return self->os;
}

OsinfoMedia *hako_media_get_osinfo_media(HakoMedia *self)
{
    return self->osinfo_media;
}

const char *hako_media_get_os_name(HakoMedia *self)
{
    return self->os ? osinfo_product_get_name(OSINFO_PRODUCT(self->os)) : NULL;
}

const char *hako_media_get_os_id(HakoMedia *self)
{
    return self->os ? osinfo_entity_get_id(OSINFO_ENTITY(self->os)) : NULL;
}

gboolean hako_media_is_live_or_installer(HakoMedia *self)
{
    if (!self->osinfo_media)
        return self->info.el_torito;
    return osinfo_media_get_live(self->osinfo_media) ||
           osinfo_media_get_installer(self->osinfo_media);
}

char *hako_media_dup_suggested_name(HakoMedia *self)
{
    const char *os = hako_media_get_os_name(self);
    if (os && *os)
        return g_strdup(os);
    g_autofree char *base = g_file_get_basename(self->file);
    if (!base)
        return g_strdup(_("New Virtual Machine"));
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = 0;
    g_autofree char *utf8 = g_filename_display_name(base);
    return g_strdup(utf8);
}
