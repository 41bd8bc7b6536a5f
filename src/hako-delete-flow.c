/* HakoDeleteFlow: see hako-delete-flow.h. */
#include "hako-delete-flow.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "hako-fs.h"
#include "hako-gtk-util.h"
#include "hako-vm-config.h"

typedef enum {
    STAGE_NEW,
    STAGE_ASKING,   /* the question, or where to keep the disk images */
    STAGE_WAITING,  /* out of the library, the toast offers Undo */
    STAGE_DELETING, /* disk images moved, the folder on its way to the Trash */
    STAGE_DONE,
} Stage;

struct _HakoDeleteFlow {
    GObject parent_instance;
    GtkWindow *parent;       /* weak */
    AdwToastOverlay *toasts; /* weak */
    HakoVmLibrary *library;
    HakoVm *vm;
    char *name; /* the VM's name when it was deleted */

    Stage stage;
    AdwMessageDialog *dialog;
    GtkCheckButton *keep;
    GtkFileChooserNative *chooser;
    AdwToast *toast;  /* weak: the toast with Undo */
    char *keep_dir;   /* where the disk images go, or NULL */
    GPtrArray *disks; /* images still to move (absolute paths) */
    GString *kept;    /* where they went */
    guint n_kept;
    GCancellable *cancellable;
    gboolean held; /* the application is held until the flow ends */
};

G_DEFINE_FINAL_TYPE(HakoDeleteFlow, hako_delete_flow, G_TYPE_OBJECT)

enum { PROP_0, PROP_PARENT, PROP_TOASTS, PROP_LIBRARY, PROP_VM, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { SIG_CONFIRMED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void toast(HakoDeleteFlow *self, const char *text)
{
    if (!self->toasts)
        return;
    AdwToast *t = hako_toast_new(text);
    adw_toast_set_timeout(t, 5);
    adw_toast_overlay_add_toast(self->toasts, t);
}

/* Where "keep the disk images" puts them: the Documents folder, when the user has one. */
static const char *documents_dir(void)
{
    const char *docs = g_get_user_special_dir(G_USER_DIRECTORY_DOCUMENTS);
    /* xdg-user-dirs points a folder it disabled at the home folder */
    if (!docs || g_str_equal(docs, g_get_home_dir()))
        return NULL;
    return docs;
}

/* The flow ends: it lets go of the application and of the reference it held on itself. */
static void finish(HakoDeleteFlow *self)
{
    if (self->stage == STAGE_DONE)
        return;
    self->stage = STAGE_DONE;
    if (self->held) {
        self->held = FALSE;
        GApplication *app = g_application_get_default();
        if (app)
            g_application_release(app);
    }
    g_object_unref(self);
}

/* ---- deleting, once the toast is gone ---- */

static void show_folder(AdwToast *t, gpointer uri)
{
    (void)t;
    g_app_info_launch_default_for_uri_async(uri, NULL, NULL, NULL, NULL);
}

static void on_deleted(GObject *src, GAsyncResult *res, gpointer data)
{
    HakoDeleteFlow *self = data;
    g_autoptr(GError) error = NULL;
    gboolean trashed = FALSE;
    if (!hako_vm_library_delete_finish(HAKO_VM_LIBRARY(src), res, &trashed, &error)) {
        hako_vm_library_unhide(self->library, self->vm);
        g_autofree char *text =
            g_strdup_printf(_("“%s” could not be deleted: %s"), self->name, error->message);
        toast(self, text);
    } else if (self->n_kept) {
        g_autofree char *folder = g_path_get_basename(self->keep_dir);
        g_autofree char *shown = g_filename_display_name(folder);
        g_autofree char *text =
            g_strdup_printf(g_dngettext(NULL, "Disk image of “%s” kept in “%s”",
                                        "Disk images of “%s” kept in “%s”", self->n_kept),
                            self->name, shown);
        if (self->toasts) {
            AdwToast *t = hako_toast_new(text);
            adw_toast_set_timeout(t, 7);
            adw_toast_set_button_label(t, _("_Show"));
            g_autoptr(GFile) dir = g_file_new_for_path(self->keep_dir);
            g_autofree char *uri = g_file_get_uri(dir);
            g_signal_connect_data(t, "button-clicked", G_CALLBACK(show_folder), g_strdup(uri),
                                  (GClosureNotify)(void (*)(void))g_free, 0);
            adw_toast_overlay_add_toast(self->toasts, t);
        }
    }
    finish(self);
}

static void delete_folder(HakoDeleteFlow *self)
{
    hako_vm_library_delete_async(self->library, self->vm, self->cancellable, on_deleted, self);
}

static void move_next_disk(HakoDeleteFlow *self);
static void copy_across(HakoDeleteFlow *self, GFile *from);
static void forget_toast(HakoDeleteFlow *self);

/* One image moved (ok) or not (error): on to the next, or the VM stays. */
static void disk_done(HakoDeleteFlow *self, GFile *dst, gboolean ok, GError *error)
{
    if (!ok) {
        hako_vm_library_unhide(self->library, self->vm);
        g_autofree char *text = g_strdup_printf(
            _("The disk image of “%s” could not be kept, so “%s” was not deleted: %s"), self->name,
            self->name, error->message);
        toast(self, text);
        finish(self);
        return;
    }
    g_autofree char *shown = g_file_get_parse_name(dst);
    g_string_append_printf(self->kept, "%s%s", self->kept->len ? ", " : "", shown);
    self->n_kept++;
    g_ptr_array_remove_index(self->disks, 0);
    move_next_disk(self);
}

static void on_disk_copied(GObject *src, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) error = NULL;
    gboolean ok = g_task_propagate_boolean(G_TASK(res), &error);
    disk_done(data, g_object_get_data(src, "hako-target"), ok, error);
}

static void on_disk_moved(GObject *src, GAsyncResult *res, gpointer data)
{
    HakoDeleteFlow *self = data;
    g_autoptr(GError) error = NULL;
    gboolean ok = g_file_move_finish(G_FILE(src), res, &error);
    if (!ok && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED)) {
        /* another file system: copied keeping the image's holes, then removed */
        copy_across(self, G_FILE(src));
        return;
    }
    disk_done(self, g_object_get_data(src, "hako-target"), ok, error);
}

static void copy_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)data;
    GFile *from = G_FILE(src);
    GFile *to = g_object_get_data(G_OBJECT(from), "hako-target");
    GError *error = NULL;
    if (!hako_fs_copy_sparse(g_file_peek_path(from), g_file_peek_path(to), NULL, NULL, cancellable,
                             &error)) {
        g_task_return_error(task, error);
        return;
    }
    if (g_unlink(g_file_peek_path(from)) < 0) {
        int err = errno;
        g_unlink(g_file_peek_path(to));
        g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(err), "%s: %s",
                                g_file_peek_path(from), g_strerror(err));
        return;
    }
    g_task_return_boolean(task, TRUE);
}

static void copy_across(HakoDeleteFlow *self, GFile *from)
{
    g_autoptr(GTask) task = g_task_new(from, self->cancellable, on_disk_copied, self);
    g_task_run_in_thread(task, copy_thread);
}

/* A free file name in dir for the n-th image of the VM called name. */
static GFile *target_for(const char *dir, const char *name, guint n)
{
    g_autofree char *safe = g_strdelimit(g_strdup(name), "/", '-');
    for (guint k = 1; k < 1000; k++) {
        guint i = n + k - 1;
        g_autofree char *fname =
            i == 0 ? g_strdup_printf("%s.img", safe) : g_strdup_printf("%s (%u).img", safe, i + 1);
        g_autofree char *path = g_build_filename(dir, fname, NULL);
        if (!g_file_test(path, G_FILE_TEST_EXISTS))
            return g_file_new_for_path(path);
    }
    return NULL;
}

/* The disk images go one after the other, without blocking the window (g_file_move_async: a
 * rename on the same file system; across file systems a copy that keeps the image sparse). */
static void move_next_disk(HakoDeleteFlow *self)
{
    if (!self->disks->len) {
        delete_folder(self);
        return;
    }
    g_autoptr(GFile) src = g_file_new_for_path(self->disks->pdata[0]);
    g_autoptr(GFile) dst = target_for(self->keep_dir, self->name, self->n_kept);
    if (!dst) {
        hako_vm_library_unhide(self->library, self->vm);
        toast(self, _("There is no free name for the disk image in that folder."));
        finish(self);
        return;
    }
    g_object_set_data_full(G_OBJECT(src), "hako-target", g_object_ref(dst), g_object_unref);
    g_file_move_async(src, dst, G_FILE_COPY_NO_FALLBACK_FOR_MOVE, G_PRIORITY_DEFAULT,
                      self->cancellable, NULL, NULL, on_disk_moved, self);
}

static void commit(HakoDeleteFlow *self)
{
    if (self->stage != STAGE_WAITING)
        return;
    self->stage = STAGE_DELETING;
    forget_toast(self);
    if (!self->keep_dir) {
        delete_folder(self);
        return;
    }
    /* the images inside the VM's folder (an image elsewhere stays where it is anyway); links
     * are not followed out of it */
    g_auto(GStrv) disks =
        hako_vm_config_disks(hako_vm_get_config(self->vm), hako_vm_get_dir(self->vm));
    const char *vmdir = g_file_peek_path(hako_vm_get_dir(self->vm));
    for (gsize i = 0; disks[i]; i++) {
        struct stat st;
        if (lstat(disks[i], &st) == 0 && S_ISREG(st.st_mode) &&
            hako_fs_path_is_inside(disks[i], vmdir))
            g_ptr_array_add(self->disks, g_strdup(disks[i]));
    }
    g_mkdir_with_parents(self->keep_dir, 0755);
    move_next_disk(self);
}

/* ---- the toast with Undo ---- */

static void on_undo(AdwToast *t, gpointer data)
{
    HakoDeleteFlow *self = data;
    (void)t;
    if (self->stage != STAGE_WAITING)
        return;
    forget_toast(self);
    hako_vm_library_unhide(self->library, self->vm);
    finish(self);
}

static void on_toast_dismissed(AdwToast *t, gpointer data)
{
    (void)t;
    commit(data);
}

/* The toast went without being dismissed (its window closed): delete now. */
static void on_toast_gone(gpointer data, GObject *where)
{
    HakoDeleteFlow *self = data;
    (void)where;
    self->toast = NULL;
    if (self->stage == STAGE_WAITING)
        commit(self);
}

static void forget_toast(HakoDeleteFlow *self)
{
    if (!self->toast)
        return;
    g_signal_handlers_disconnect_by_data(self->toast, self);
    g_object_weak_unref(G_OBJECT(self->toast), on_toast_gone, self);
    self->toast = NULL;
}

static void confirmed(HakoDeleteFlow *self)
{
    self->stage = STAGE_WAITING;
    g_signal_emit(self, signals[SIG_CONFIRMED], 0);
    hako_vm_library_hide(self->library, self->vm);
    /* until the folder is in the Trash, quitting waits */
    GApplication *app = g_application_get_default();
    if (app) {
        g_application_hold(app);
        self->held = TRUE;
    }
    if (!self->toasts) {
        commit(self);
        return;
    }
    g_autofree char *text = g_strdup_printf(_("“%s” deleted"), self->name);
    AdwToast *t = hako_toast_new(text);
    adw_toast_set_button_label(t, _("_Undo"));
    adw_toast_set_timeout(t, 7);
    adw_toast_set_priority(t, ADW_TOAST_PRIORITY_HIGH);
    g_signal_connect(t, "button-clicked", G_CALLBACK(on_undo), self);
    g_signal_connect(t, "dismissed", G_CALLBACK(on_toast_dismissed), self);
    g_object_weak_ref(G_OBJECT(t), on_toast_gone, self);
    self->toast = t;
    adw_toast_overlay_add_toast(self->toasts, t);
}

/* ---- asking ---- */

static void on_keep_dir_chosen(GtkNativeDialog *dialog, int response, gpointer data)
{
    HakoDeleteFlow *self = data;
    g_autoptr(GFile) dir = NULL;
    if (response == GTK_RESPONSE_ACCEPT)
        dir = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_signal_handlers_disconnect_by_data(dialog, self);
    g_clear_object(&self->chooser);
    if (!dir || !g_file_peek_path(dir)) {
        finish(self); /* nothing is deleted */
        return;
    }
    self->keep_dir = g_file_get_path(dir);
    confirmed(self);
}

static void on_response(AdwMessageDialog *d, const char *response, gpointer data)
{
    HakoDeleteFlow *self = data;
    gboolean keep = gtk_check_button_get_active(self->keep);
    g_signal_handlers_disconnect_by_data(d, self);
    self->dialog = NULL;
    self->keep = NULL;
    if (!g_str_equal(response, "delete")) {
        finish(self);
        return;
    }
    if (hako_vm_is_active(self->vm)) {
        toast(self, _("Turn the virtual machine off before deleting it."));
        finish(self);
        return;
    }
    if (!keep) {
        confirmed(self);
        return;
    }
    const char *docs = documents_dir();
    if (docs) {
        self->keep_dir = g_strdup(docs);
        confirmed(self);
        return;
    }
    /* no Documents folder: the user says where */
    self->chooser = gtk_file_chooser_native_new(_("Where to Keep the Disk Images"), self->parent,
                                                GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                _("_Keep Here"), _("_Cancel"));
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(self->chooser), TRUE);
    g_autoptr(GFile) home = g_file_new_for_path(g_get_home_dir());
    gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(self->chooser), home, NULL);
    g_signal_connect(self->chooser, "response", G_CALLBACK(on_keep_dir_chosen), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}

void hako_delete_flow_start(HakoDeleteFlow *self)
{
    g_return_if_fail(self->stage == STAGE_NEW);
    if (hako_vm_is_active(self->vm)) {
        toast(self, _("Turn the virtual machine off before deleting it."));
        return;
    }
    self->stage = STAGE_ASKING;
    g_object_ref(self); /* until finish() */
    self->name = g_strdup(hako_vm_get_name(self->vm));
    g_autofree char *heading = g_strdup_printf(_("Delete “%s”?"), self->name);
    self->dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
        self->parent, heading,
        _("The virtual machine, its settings and its disk images are moved to the trash.")));
    GtkWidget *keep = gtk_check_button_new_with_mnemonic(
        documents_dir() ? _("_Keep the disk images (moved to the Documents folder)")
                        : _("_Keep the disk images (you choose where)"));
    gtk_widget_set_halign(keep, GTK_ALIGN_CENTER);
    self->keep = GTK_CHECK_BUTTON(keep);
    adw_message_dialog_set_extra_child(self->dialog, keep);
    adw_message_dialog_add_responses(self->dialog, "cancel", _("_Cancel"), "delete", _("_Delete"),
                                     NULL);
    adw_message_dialog_set_response_appearance(self->dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_default_response(self->dialog, "cancel");
    adw_message_dialog_set_close_response(self->dialog, "cancel");
    g_signal_connect(self->dialog, "response", G_CALLBACK(on_response), self);
    gtk_window_present(GTK_WINDOW(self->dialog));
}

/* ---- GObject ---- */

static void set_weak(GObject **slot, GObject *value)
{
    if (*slot)
        g_object_remove_weak_pointer(*slot, (gpointer *)slot);
    *slot = value;
    if (value)
        g_object_add_weak_pointer(value, (gpointer *)slot);
}

static void hako_delete_flow_set_property(GObject *object, guint id, const GValue *value,
                                          GParamSpec *pspec)
{
    HakoDeleteFlow *self = HAKO_DELETE_FLOW(object);
    switch (id) {
    case PROP_PARENT: set_weak((GObject **)&self->parent, g_value_get_object(value)); break;
    case PROP_TOASTS: set_weak((GObject **)&self->toasts, g_value_get_object(value)); break;
    case PROP_LIBRARY: self->library = g_value_dup_object(value); break;
    case PROP_VM: self->vm = g_value_dup_object(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_delete_flow_get_property(GObject *object, guint id, GValue *value,
                                          GParamSpec *pspec)
{
    HakoDeleteFlow *self = HAKO_DELETE_FLOW(object);
    switch (id) {
    case PROP_PARENT: g_value_set_object(value, self->parent); break;
    case PROP_TOASTS: g_value_set_object(value, self->toasts); break;
    case PROP_LIBRARY: g_value_set_object(value, self->library); break;
    case PROP_VM: g_value_set_object(value, self->vm); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_delete_flow_dispose(GObject *object)
{
    HakoDeleteFlow *self = HAKO_DELETE_FLOW(object);
    if (self->dialog) {
        g_signal_handlers_disconnect_by_data(self->dialog, self);
        gtk_window_destroy(GTK_WINDOW(self->dialog));
        self->dialog = NULL;
    }
    if (self->chooser) {
        g_signal_handlers_disconnect_by_data(self->chooser, self);
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
        g_clear_object(&self->chooser);
    }
    forget_toast(self);
    g_cancellable_cancel(self->cancellable);
    set_weak((GObject **)&self->parent, NULL);
    set_weak((GObject **)&self->toasts, NULL);
    g_clear_object(&self->library);
    g_clear_object(&self->vm);
    G_OBJECT_CLASS(hako_delete_flow_parent_class)->dispose(object);
}

static void hako_delete_flow_finalize(GObject *object)
{
    HakoDeleteFlow *self = HAKO_DELETE_FLOW(object);
    g_free(self->name);
    g_free(self->keep_dir);
    g_ptr_array_unref(self->disks);
    g_string_free(self->kept, TRUE);
    g_clear_object(&self->cancellable);
    G_OBJECT_CLASS(hako_delete_flow_parent_class)->finalize(object);
}

static void hako_delete_flow_class_init(HakoDeleteFlowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = hako_delete_flow_dispose;
    oc->finalize = hako_delete_flow_finalize;
    oc->set_property = hako_delete_flow_set_property;
    oc->get_property = hako_delete_flow_get_property;
    GParamFlags f = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
    props[PROP_PARENT] = g_param_spec_object("parent", NULL, NULL, GTK_TYPE_WINDOW, f);
    props[PROP_TOASTS] = g_param_spec_object("toasts", NULL, NULL, ADW_TYPE_TOAST_OVERLAY, f);
    props[PROP_LIBRARY] = g_param_spec_object("library", NULL, NULL, HAKO_TYPE_VM_LIBRARY, f);
    props[PROP_VM] = g_param_spec_object("vm", NULL, NULL, HAKO_TYPE_VM, f);
    g_object_class_install_properties(oc, N_PROPS, props);
    signals[SIG_CONFIRMED] = g_signal_new("confirmed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void hako_delete_flow_init(HakoDeleteFlow *self)
{
    self->disks = g_ptr_array_new_with_free_func(g_free);
    self->kept = g_string_new(NULL);
    self->cancellable = g_cancellable_new();
}

HakoDeleteFlow *hako_delete_flow_new(GtkWindow *parent, AdwToastOverlay *toasts,
                                     HakoVmLibrary *library, HakoVm *vm)
{
    return g_object_new(HAKO_TYPE_DELETE_FLOW, "parent", parent, "toasts", toasts, "library",
                        library, "vm", vm, NULL);
}
