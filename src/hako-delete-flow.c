/* HakoDeleteFlow: see hako-delete-flow.h. */
#include "hako-delete-flow.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "hako-vm-config.h"

struct _HakoDeleteFlow {
    GObject parent_instance;
    GtkWindow *parent;       /* weak */
    AdwToastOverlay *toasts; /* weak */
    HakoVmLibrary *library;
    HakoVm *vm;
    AdwMessageDialog *dialog; /* while asking */
    GtkCheckButton *keep;
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
    AdwToast *t = adw_toast_new(text);
    adw_toast_set_timeout(t, 5);
    adw_toast_overlay_add_toast(self->toasts, t);
}

/* Moves the VM's disk images out of its folder (to Documents) before the folder goes. */
static char *keep_disks(HakoVm *vm, GError **error)
{
    g_auto(GStrv) disks = hako_vm_config_disks(hako_vm_get_config(vm), hako_vm_get_dir(vm));
    const char *docs = g_get_user_special_dir(G_USER_DIRECTORY_DOCUMENTS);
    g_autofree char *dest = g_strdup(docs ? docs : g_get_home_dir());
    g_mkdir_with_parents(dest, 0755);
    g_autofree char *vmdir = g_file_get_path(hako_vm_get_dir(vm));
    GString *moved = g_string_new(NULL);
    for (gsize i = 0; disks[i]; i++) {
        if (!g_str_has_prefix(disks[i], vmdir))
            continue; /* an image outside the folder stays where it is anyway */
        g_autofree char *target = NULL;
        for (int n = 1; n < 1000; n++) {
            g_autofree char *fname =
                n == 1 && i == 0 ? g_strdup_printf("%s.img", hako_vm_get_name(vm))
                                 : g_strdup_printf("%s (%d).img", hako_vm_get_name(vm), n + (int)i);
            g_strdelimit(fname, "/", '-');
            g_free(target);
            target = g_build_filename(dest, fname, NULL);
            if (!g_file_test(target, G_FILE_TEST_EXISTS))
                break;
        }
        g_autoptr(GFile) src = g_file_new_for_path(disks[i]);
        g_autoptr(GFile) dst = g_file_new_for_path(target);
        if (!g_file_move(src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, error)) {
            g_string_free(moved, TRUE);
            return NULL;
        }
        g_string_append_printf(moved, "%s%s", moved->len ? ", " : "", target);
    }
    return g_string_free(moved, FALSE);
}

static void on_response(AdwMessageDialog *d, const char *response, gpointer data)
{
    HakoDeleteFlow *self = data;
    gboolean keep = gtk_check_button_get_active(self->keep);
    g_signal_handlers_disconnect_by_data(d, self);
    self->dialog = NULL;
    self->keep = NULL;
    if (!g_str_equal(response, "delete")) {
        g_object_unref(self); /* the flow ends */
        return;
    }
    g_autofree char *name = g_strdup(hako_vm_get_name(self->vm));
    g_autoptr(GError) error = NULL;
    g_autofree char *kept = NULL;
    if (hako_vm_is_active(self->vm)) {
        toast(self, _("Turn the virtual machine off before deleting it."));
        g_object_unref(self);
        return;
    }
    if (keep) {
        kept = keep_disks(self->vm, &error);
        if (!kept) {
            g_autofree char *text =
                g_strdup_printf(_("The disk image could not be kept: %s"), error->message);
            toast(self, text);
            g_object_unref(self);
            return;
        }
    }
    g_signal_emit(self, signals[SIG_CONFIRMED], 0);
    if (!hako_vm_library_delete(self->library, self->vm, &error)) {
        g_autofree char *text =
            g_strdup_printf(_("Could not delete the virtual machine: %s"), error->message);
        toast(self, text);
        g_object_unref(self);
        return;
    }
    g_autofree char *text =
        kept && *kept
            ? g_strdup_printf(_("“%s” deleted; its disk image was kept as %s"), name, kept)
            : g_strdup_printf(_("“%s” deleted"), name);
    toast(self, text);
    g_object_unref(self);
}

void hako_delete_flow_start(HakoDeleteFlow *self)
{
    g_return_if_fail(self->dialog == NULL);
    if (hako_vm_is_active(self->vm)) {
        toast(self, _("Turn the virtual machine off before deleting it."));
        return;
    }
    g_autofree char *heading = g_strdup_printf(_("Delete “%s”?"), hako_vm_get_name(self->vm));
    self->dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
        self->parent, heading,
        _("The virtual machine, its settings and its disk images are moved to the trash.")));
    GtkWidget *keep = gtk_check_button_new_with_mnemonic(
        _("_Keep the disk images (moved to the Documents folder)"));
    gtk_widget_set_halign(keep, GTK_ALIGN_CENTER);
    self->keep = GTK_CHECK_BUTTON(keep);
    adw_message_dialog_set_extra_child(self->dialog, keep);
    adw_message_dialog_add_responses(self->dialog, "cancel", _("_Cancel"), "delete", _("_Delete"),
                                     NULL);
    adw_message_dialog_set_response_appearance(self->dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_default_response(self->dialog, "cancel");
    adw_message_dialog_set_close_response(self->dialog, "cancel");
    g_signal_connect(self->dialog, "response", G_CALLBACK(on_response), g_object_ref(self));
    gtk_window_present(GTK_WINDOW(self->dialog));
}

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
    set_weak((GObject **)&self->parent, NULL);
    set_weak((GObject **)&self->toasts, NULL);
    g_clear_object(&self->library);
    g_clear_object(&self->vm);
    G_OBJECT_CLASS(hako_delete_flow_parent_class)->dispose(object);
}

static void hako_delete_flow_class_init(HakoDeleteFlowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = hako_delete_flow_dispose;
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
    (void)self;
}

HakoDeleteFlow *hako_delete_flow_new(GtkWindow *parent, AdwToastOverlay *toasts,
                                     HakoVmLibrary *library, HakoVm *vm)
{
    return g_object_new(HAKO_TYPE_DELETE_FLOW, "parent", parent, "toasts", toasts, "library",
                        library, "vm", vm, NULL);
}
