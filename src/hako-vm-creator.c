/*
 * HakoVmCreator: see hako-vm-creator.h.
 */
#include "hako-vm-creator.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hako-vm-config.h"
#include "hako-fs.h"
#include "hako-proposal.h"
#include "hako-vm-library.h"
#include "hako-vm.h"
#include "hako/lock.h"

#define GROW_STEP (1ull << 30) /* ftruncate steps: progress and cancellation points */

struct _HakoVmCreator {
    GObject parent_instance;
    GFile *library_dir;
    char *name;
    char *os_id, *os_name;
    guint64 memory_mib;
    gboolean network;
    guint cpus;
    guint64 disk_gib;
    HakoFirmwareKind firmware;
    char *ovmf_code, *ovmf_vars_template;
    char *cdrom;
    char *image; /* an existing disk image, or NULL */
    HakoDiskImport import;
    GMainContext *context; /* where ::progress is emitted */
};

G_DEFINE_FINAL_TYPE(HakoVmCreator, hako_vm_creator, G_TYPE_OBJECT)

enum { SIG_PROGRESS, N_SIGNALS };
static guint signals[N_SIGNALS];

static void hako_vm_creator_finalize(GObject *object)
{
    HakoVmCreator *self = HAKO_VM_CREATOR(object);
    g_clear_object(&self->library_dir);
    g_free(self->name);
    g_free(self->os_id);
    g_free(self->os_name);
    g_free(self->ovmf_code);
    g_free(self->ovmf_vars_template);
    g_free(self->cdrom);
    g_free(self->image);
    if (self->context)
        g_main_context_unref(self->context);
    G_OBJECT_CLASS(hako_vm_creator_parent_class)->finalize(object);
}

static void hako_vm_creator_class_init(HakoVmCreatorClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = hako_vm_creator_finalize;
    signals[SIG_PROGRESS] =
        g_signal_new("progress", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_STRING);
}

static void hako_vm_creator_init(HakoVmCreator *self)
{
    self->memory_mib = 2048;
    self->network = TRUE;
    self->cpus = 2;
    self->disk_gib = 30;
}

HakoVmCreator *hako_vm_creator_new(GFile *library_dir)
{
    HakoVmCreator *self = g_object_new(HAKO_TYPE_VM_CREATOR, NULL);
    self->library_dir = g_object_ref(library_dir);
    return self;
}

void hako_vm_creator_set_name(HakoVmCreator *self, const char *name)
{
    g_free(self->name);
    self->name = g_strdup(name);
}

void hako_vm_creator_set_os(HakoVmCreator *self, const char *os_id, const char *os_name)
{
    g_free(self->os_id);
    g_free(self->os_name);
    self->os_id = g_strdup(os_id);
    self->os_name = g_strdup(os_name);
}

void hako_vm_creator_set_network(HakoVmCreator *self, gboolean on)
{
    self->network = on;
}

void hako_vm_creator_set_memory_mib(HakoVmCreator *self, guint64 mib)
{
    self->memory_mib = mib;
}

void hako_vm_creator_set_cpus(HakoVmCreator *self, guint cpus)
{
    self->cpus = cpus;
}

void hako_vm_creator_set_disk_gib(HakoVmCreator *self, guint64 gib)
{
    self->disk_gib = gib;
}

void hako_vm_creator_set_firmware(HakoVmCreator *self, HakoFirmwareKind kind, HakoFirmware *ovmf)
{
    self->firmware = kind;
    g_clear_pointer(&self->ovmf_code, g_free);
    g_clear_pointer(&self->ovmf_vars_template, g_free);
    if (kind == HAKO_FIRMWARE_UEFI && ovmf) {
        self->ovmf_code = g_strdup(hako_firmware_get_code_path(ovmf));
        self->ovmf_vars_template = g_strdup(hako_firmware_get_vars_template(ovmf));
    }
}

void hako_vm_creator_set_disk_image(HakoVmCreator *self, const char *path, HakoDiskImport how)
{
    g_free(self->image);
    self->image = g_strdup(path);
    self->import = how;
}

void hako_vm_creator_set_cdrom(HakoVmCreator *self, const char *path)
{
    g_free(self->cdrom);
    self->cdrom = g_strdup(path);
}

/* ---- disk images ---- */

static gboolean set_io_error(GError **error, int err, const char *what, const char *path)
{
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "%s %s: %s", what, path,
                g_strerror(err));
    return FALSE;
}

static gboolean grow_fd(int fd, const char *path, guint64 from, guint64 size,
                        HakoProgressFunc progress, gpointer ud, GCancellable *cancellable,
                        GError **error)
{
    guint64 at = from;
    while (at < size) {
        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return FALSE;
        guint64 next = MIN(size, (at / GROW_STEP + 1) * GROW_STEP);
        if (ftruncate(fd, (off_t)next) < 0)
            return set_io_error(error, errno, _("Cannot size"), path);
        at = next;
        if (progress)
            progress(size > from ? (double)(at - from) / (double)(size - from) : 1.0, ud);
    }
    return TRUE;
}

gboolean hako_disk_image_create(const char *path, guint64 size, HakoProgressFunc progress,
                                gpointer ud, GCancellable *cancellable, GError **error)
{
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        return set_io_error(error, errno, _("Cannot create"), path);
    /* copy-on-write file systems (btrfs) fragment VM images badly: ask for no-COW while the
     * file is still empty; other file systems refuse, which is fine */
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
        flags |= FS_NOCOW_FL;
        (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    gboolean ok = grow_fd(fd, path, 0, size, progress, ud, cancellable, error);
    if (ok && fsync(fd) < 0)
        ok = set_io_error(error, errno, _("Cannot write"), path);
    close(fd);
    if (!ok)
        g_unlink(path);
    return ok;
}

gboolean hako_disk_image_grow(const char *path, guint64 size, HakoProgressFunc progress,
                              gpointer ud, GCancellable *cancellable, GError **error)
{
    /* O_NONBLOCK: a FIFO is refused below, never waited on */
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return set_io_error(error, errno, _("Cannot open"), path);
    struct stat st;
    gboolean ok = TRUE;
    if (fstat(fd, &st) < 0) {
        ok = set_io_error(error, errno, _("Cannot read"), path);
    } else if (!S_ISREG(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                    _("%s is not a disk image file."), path);
        ok = FALSE;
    } else if (hk_image_lock(fd, TRUE) == -EAGAIN) {
        /* the lock a running engine holds on its disks (hako/lock.h) */
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                    _("The disk is in use by a running virtual machine"));
        ok = FALSE;
    } else if ((guint64)st.st_size > size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    _("A disk cannot be made smaller: the data at its end would be lost."));
        ok = FALSE;
    } else {
        ok = grow_fd(fd, path, (guint64)st.st_size, size, progress, ud, cancellable, error);
    }
    close(fd);
    return ok;
}

gboolean hako_delete_recursive(GFile *file, GCancellable *cancellable, GError **error)
{
    const char *path = g_file_peek_path(file);
    if (!path) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    _("Only local folders can be deleted."));
        return FALSE;
    }
    return hako_fs_delete_tree(path, cancellable, error);
}

void hako_vm_creator_clean_stale(GFile *library_dir)
{
    g_autoptr(GFileEnumerator) en = g_file_enumerate_children(
        library_dir, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_TIME_MODIFIED,
        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    while (en) {
        GFileInfo *info = NULL;
        GFile *child = NULL;
        if (!g_file_enumerator_iterate(en, &info, &child, NULL, NULL) || !info)
            break;
        const char *n = g_file_info_get_name(info);
        guint64 mtime = g_file_info_get_attribute_uint64(info, G_FILE_ATTRIBUTE_TIME_MODIFIED);
        if (g_str_has_prefix(n, ".new-") && (gint64)mtime < now - 3600)
            hako_delete_recursive(child, NULL, NULL);
    }
}

static void clean_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    (void)cancellable;
    hako_vm_creator_clean_stale(data);
    g_task_return_boolean(task, TRUE);
}

void hako_vm_creator_clean_stale_async(GFile *library_dir)
{
    g_autoptr(GTask) task = g_task_new(NULL, NULL, NULL, NULL);
    g_task_set_task_data(task, g_object_ref(library_dir), g_object_unref);
    g_task_run_in_thread(task, clean_thread);
}

/* ---- the VM folder ---- */

typedef struct {
    HakoVmCreator *self;
    double fraction;
    char *what;
} Progress;

static gboolean emit_progress(gpointer data)
{
    Progress *p = data;
    g_signal_emit(p->self, signals[SIG_PROGRESS], 0, p->fraction, p->what);
    return G_SOURCE_REMOVE;
}

static void free_progress(gpointer data)
{
    Progress *p = data;
    g_object_unref(p->self);
    g_free(p->what);
    g_free(p);
}

typedef struct {
    HakoVmCreator *self;
    GMainContext *context;
    double base, weight;
    const char *what;
    gint64 last_emit;
} Reporter;

static void report(Reporter *r, double fraction)
{
    gint64 now = g_get_monotonic_time();
    if (fraction < 1.0 && now - r->last_emit < 50000)
        return;
    r->last_emit = now;
    Progress *p = g_new0(Progress, 1);
    p->self = g_object_ref(r->self);
    p->fraction = r->base + r->weight * CLAMP(fraction, 0.0, 1.0);
    p->what = g_strdup(r->what);
    g_main_context_invoke_full(r->context, G_PRIORITY_DEFAULT, emit_progress, p, free_progress);
}

static void disk_progress(double f, gpointer ud)
{
    report(ud, f);
}

static void copy_progress(goffset cur, goffset total, gpointer ud)
{
    report(ud, total > 0 ? (double)cur / (double)total : 1.0);
}

static void image_progress(guint64 done, guint64 total, gpointer ud)
{
    report(ud, total > 0 ? (double)done / (double)total : 1.0);
}

static GKeyFile *make_config(HakoVmCreator *self)
{
    GKeyFile *kf = g_key_file_new();
    g_key_file_set_comment(kf, NULL, NULL,
                           " Hako virtual machine. [Engine] keys are hako-vmm options "
                           "(hako-vmm --help);\n relative paths are inside this folder.",
                           NULL);
    g_key_file_set_string(kf, HAKO_VM_GROUP, HAKO_VM_KEY_NAME, self->name ? self->name : "VM");
    if (self->os_id)
        g_key_file_set_string(kf, HAKO_VM_GROUP, HAKO_VM_KEY_OS, self->os_id);
    if (self->os_name)
        g_key_file_set_string(kf, HAKO_VM_GROUP, HAKO_VM_KEY_OS_NAME, self->os_name);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *created = g_date_time_format_iso8601(now);
    g_key_file_set_string(kf, HAKO_VM_GROUP, HAKO_VM_KEY_CREATED, created);

    const char *E = HAKO_VM_ENGINE_GROUP;
    g_autofree char *mem = g_strdup_printf("%" G_GUINT64_FORMAT "M", self->memory_mib);
    g_key_file_set_string(kf, E, "memory", mem);
    g_key_file_set_integer(kf, E, "cpus", (gint)self->cpus);
    g_autofree char *uuid = g_uuid_string_random();
    g_key_file_set_string(kf, E, HAKO_VM_ENGINE_UUID, uuid);
    if (self->firmware == HAKO_FIRMWARE_UEFI) {
        g_key_file_set_string(kf, E, "firmware", "uefi");
        if (self->ovmf_code)
            g_key_file_set_string(kf, E, "ovmf-code", self->ovmf_code);
        if (self->ovmf_vars_template)
            g_key_file_set_string(kf, E, "ovmf-vars-template", self->ovmf_vars_template);
        g_key_file_set_string(kf, E, "ovmf-vars", HAKO_VM_VARS_FILE);
    } else {
        g_key_file_set_string(kf, E, "firmware", "bios");
    }
    if (self->image && self->import == HAKO_DISK_IMPORT_USE)
        g_key_file_set_string(kf, E, "disk", self->image); /* where it is */
    else if (self->image || self->disk_gib)
        g_key_file_set_string(kf, E, "disk", HAKO_VM_DISK_FILE);
    if (self->cdrom) {
        g_key_file_set_string(kf, E, "cdrom", self->cdrom);
        g_key_file_set_string(kf, E, "boot", "cdrom");
    } else if (self->image) {
        g_key_file_set_string(kf, E, "boot", "disk");
    }
    /* the network: passt's NAT with a MAC of the VM's own (written once, like the UUID) */
    hako_vm_config_set_net_enabled(kf, self->network);
    return kf;
}

/* Whether a VM of the library folder lib (other than the folder skip) is called name: every
 * vm.ini is read (the library's list may lag behind another process or a VM made a moment ago). */
static gboolean name_on_disk(const char *lib, const char *name)
{
    g_autoptr(GDir) d = g_dir_open(lib, 0, NULL);
    const char *id;
    while (d && (id = g_dir_read_name(d))) {
        if (id[0] == '.')
            continue;
        g_autoptr(GFile) dir = g_file_new_build_filename(lib, id, NULL);
        g_autoptr(GKeyFile) kf = hako_vm_config_read(dir, NULL);
        if (!kf)
            continue;
        g_autofree char *other = NULL, *os = NULL;
        hako_vm_config_names(kf, id, &other, &os);
        const char *taken[] = {other, NULL};
        if (hako_check_name(name, taken, NULL) == HAKO_VALUE_INVALID &&
            hako_check_name(name, NULL, NULL) != HAKO_VALUE_INVALID)
            return TRUE;
    }
    return FALSE;
}

/* Renames staging to a free folder named after the VM; never replaces an existing one. */
static GFile *move_into_place(HakoVmCreator *self, const char *staging, GError **error)
{
    g_autofree char *base = hako_vm_library_make_id(self->name ? self->name : "vm");
    g_autofree char *lib = g_file_get_path(self->library_dir);
    for (int n = 1; n < 1000; n++) {
        g_autofree char *id = n == 1 ? g_strdup(base) : g_strdup_printf("%s-%d", base, n);
        g_autofree char *target = g_build_filename(lib, id, NULL);
        if (renameat2(AT_FDCWD, staging, AT_FDCWD, target, RENAME_NOREPLACE) == 0)
            return g_file_new_for_path(target);
        if (errno == EINVAL || errno == ENOSYS) {
            /* no RENAME_NOREPLACE here: check, then rename (a race only with ourselves) */
            if (g_file_test(target, G_FILE_TEST_EXISTS))
                continue;
            if (rename(staging, target) == 0)
                return g_file_new_for_path(target);
        }
        if (errno != EEXIST && errno != ENOTEMPTY && errno != EINVAL && errno != ENOSYS) {
            set_io_error(error, errno, _("Cannot create"), target);
            return NULL;
        }
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Too many virtual machines named “%s”"),
                self->name);
    return NULL;
}

GFile *hako_vm_creator_run(HakoVmCreator *self, GCancellable *cancellable, GError **error)
{
    g_autofree char *lib = g_file_get_path(self->library_dir);
    if (!lib) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    _("Virtual machines must be stored in a local folder."));
        return NULL;
    }
    if (g_mkdir_with_parents(lib, 0755) < 0) {
        set_io_error(error, errno, _("Cannot create"), lib);
        return NULL;
    }
    g_autofree char *staging = g_build_filename(lib, ".new-XXXXXX", NULL);
    if (!g_mkdtemp_full(staging, 0755)) {
        set_io_error(error, errno, _("Cannot create"), lib);
        return NULL;
    }
    g_autoptr(GFile) staging_dir = g_file_new_for_path(staging);
    Reporter r = {
        self,
        self->context ? g_main_context_ref(self->context) : g_main_context_ref_thread_default(),
        0,
        0,
        NULL,
        0};
    gboolean ok = TRUE;
    GFile *result = NULL;

    gboolean uefi = self->firmware == HAKO_FIRMWARE_UEFI && self->ovmf_vars_template;
    g_autofree char *disk_path = g_build_filename(staging, HAKO_VM_DISK_FILE, NULL);
    gboolean moved = FALSE, copied = FALSE; /* the image is in the staging folder */
    if (self->image && self->import != HAKO_DISK_IMPORT_USE) {
        r.base = 0;
        r.weight = uefi ? 0.85 : 0.95;
        /* moved: a rename where it can be (same file system), else a copy, the original
         * removed once the VM exists; the copy keeps the image's holes */
        if (self->import == HAKO_DISK_IMPORT_MOVE && rename(self->image, disk_path) == 0) {
            moved = TRUE;
        } else if (self->import == HAKO_DISK_IMPORT_MOVE && errno != EXDEV) {
            ok = set_io_error(error, errno, _("Cannot move"), self->image);
        } else {
            r.what = _("Copying the disk image…");
            ok =
                hako_fs_copy_sparse(self->image, disk_path, image_progress, &r, cancellable, error);
            copied = ok;
        }
    } else if (self->disk_gib && !self->image) {
        g_autofree char *disk = g_build_filename(staging, HAKO_VM_DISK_FILE, NULL);
        r.base = 0;
        r.weight = uefi ? 0.85 : 0.95;
        r.what = _("Creating the disk image…");
        ok = hako_disk_image_create(disk, self->disk_gib << 30, disk_progress, &r, cancellable,
                                    error);
    }
    if (ok && uefi) {
        g_autoptr(GFile) src = g_file_new_for_path(self->ovmf_vars_template);
        g_autoptr(GFile) dst = g_file_get_child(staging_dir, HAKO_VM_VARS_FILE);
        r.base = 0.85;
        r.weight = 0.1;
        r.what = _("Copying the UEFI variable store…");
        ok = g_file_copy(src, dst, G_FILE_COPY_NONE, cancellable, copy_progress, &r, error);
    }
    if (ok && g_cancellable_set_error_if_cancelled(cancellable, error))
        ok = FALSE;
    if (ok) {
        r.base = 0.95;
        r.weight = 0.05;
        r.what = _("Writing the settings…");
        g_autoptr(GKeyFile) kf = make_config(self);
        g_autofree char *ini = g_build_filename(staging, "vm.ini", NULL);
        gsize len = 0;
        g_autofree char *data = g_key_file_to_data(kf, &len, NULL);
        ok = hako_fs_write_atomic(ini, data, len, 0644, error);
    }
    if (ok) {
        /* names are unique in the library at the moment a VM appears in it: checked and the
         * folder moved in under one lock (flock on <library>/.lock, which every creator in any
         * process takes) */
        g_autofree char *lock = g_build_filename(lib, ".lock", NULL);
        int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
            ok = set_io_error(error, errno, _("Cannot lock"), lock);
        } else if (name_on_disk(lib, self->name ? self->name : "VM")) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                        _("Another virtual machine is called “%s”. Choose another name."),
                        self->name);
            ok = FALSE;
        } else {
            result = move_into_place(self, staging, error);
        }
        if (lfd >= 0)
            close(lfd); /* releases the lock */
    }
    if (result) {
        /* a move across file systems: the copy is in the VM, the original goes now */
        if (copied && self->import == HAKO_DISK_IMPORT_MOVE && g_unlink(self->image) < 0)
            g_warning("%s: moved into the new VM by a copy, but cannot be removed: %s", self->image,
                      g_strerror(errno));
        report(&r, 1.0);
    } else {
        /* a moved image goes back first: the staging folder is deleted after */
        if (moved && rename(disk_path, self->image) < 0)
            g_warning("%s: cannot move the disk image back from %s: %s", self->image, disk_path,
                      g_strerror(errno));
        hako_delete_recursive(staging_dir, NULL, NULL);
    }
    g_main_context_unref(r.context);
    return result;
}

static void run_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)data;
    GError *error = NULL;
    GFile *dir = hako_vm_creator_run(HAKO_VM_CREATOR(source), cancellable, &error);
    if (dir)
        g_task_return_pointer(task, dir, g_object_unref);
    else
        g_task_return_error(task, error);
}

void hako_vm_creator_run_async(HakoVmCreator *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, hako_vm_creator_run_async);
    if (self->context)
        g_main_context_unref(self->context);
    self->context = g_main_context_ref_thread_default();
    g_task_run_in_thread(task, run_thread);
}

GFile *hako_vm_creator_run_finish(HakoVmCreator *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
