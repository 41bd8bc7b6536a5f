/* HakoRenameDialog: see hako-rename-dialog.h. */
#include "hako-rename-dialog.h"

#include <glib/gi18n.h>

#include "hako-proposal.h"

struct _HakoRenameDialog {
    AdwMessageDialog parent_instance;
    GtkEntry *entry;
    GtkLabel *error_label;
    HakoVmLibrary *library;
    HakoVm *vm;
};

G_DEFINE_FINAL_TYPE(HakoRenameDialog, hako_rename_dialog, ADW_TYPE_MESSAGE_DIALOG)

enum { PROP_0, PROP_LIBRARY, PROP_VM, N_PROPS };
static GParamSpec *props[N_PROPS];

static void on_changed(GtkEditable *editable, gpointer data)
{
    HakoRenameDialog *self = data;
    g_autofree char *msg = NULL;
    gboolean ok = hako_vm_library_check_name(self->library, gtk_editable_get_text(editable),
                                             self->vm, &msg) != HAKO_VALUE_INVALID;
    gtk_label_set_text(self->error_label, ok ? "" : msg);
    gtk_widget_set_visible(GTK_WIDGET(self->error_label), !ok);
    adw_message_dialog_set_response_enabled(ADW_MESSAGE_DIALOG(self), "rename", ok);
}

static void hako_rename_dialog_response(AdwMessageDialog *dialog, const char *response)
{
    HakoRenameDialog *self = HAKO_RENAME_DIALOG(dialog);
    if (g_str_equal(response, "rename")) {
        g_autofree char *name =
            g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->entry))));
        g_autoptr(GError) error = NULL;
        if (!hako_vm_library_rename(self->library, self->vm, name, &error))
            g_warning("renaming %s: %s", hako_vm_get_id(self->vm), error->message);
    }
    ADW_MESSAGE_DIALOG_CLASS(hako_rename_dialog_parent_class)->response(dialog, response);
}

static void hako_rename_dialog_constructed(GObject *object)
{
    HakoRenameDialog *self = HAKO_RENAME_DIALOG(object);
    G_OBJECT_CLASS(hako_rename_dialog_parent_class)->constructed(object);
    gtk_editable_set_text(GTK_EDITABLE(self->entry), hako_vm_get_name(self->vm));
    g_signal_connect(self->entry, "changed", G_CALLBACK(on_changed), self);
    gtk_widget_grab_focus(GTK_WIDGET(self->entry));
}

static void hako_rename_dialog_set_property(GObject *object, guint id, const GValue *value,
                                            GParamSpec *pspec)
{
    HakoRenameDialog *self = HAKO_RENAME_DIALOG(object);
    switch (id) {
    case PROP_LIBRARY: self->library = g_value_dup_object(value); break;
    case PROP_VM: self->vm = g_value_dup_object(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_rename_dialog_get_property(GObject *object, guint id, GValue *value,
                                            GParamSpec *pspec)
{
    HakoRenameDialog *self = HAKO_RENAME_DIALOG(object);
    switch (id) {
    case PROP_LIBRARY: g_value_set_object(value, self->library); break;
    case PROP_VM: g_value_set_object(value, self->vm); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_rename_dialog_dispose(GObject *object)
{
    HakoRenameDialog *self = HAKO_RENAME_DIALOG(object);
    if (self->entry)
        g_signal_handlers_disconnect_by_data(self->entry, self);
    gtk_widget_dispose_template(GTK_WIDGET(self), HAKO_TYPE_RENAME_DIALOG);
    g_clear_object(&self->library);
    g_clear_object(&self->vm);
    G_OBJECT_CLASS(hako_rename_dialog_parent_class)->dispose(object);
}

static void hako_rename_dialog_class_init(HakoRenameDialogClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->constructed = hako_rename_dialog_constructed;
    oc->dispose = hako_rename_dialog_dispose;
    oc->set_property = hako_rename_dialog_set_property;
    oc->get_property = hako_rename_dialog_get_property;
    ADW_MESSAGE_DIALOG_CLASS(klass)->response = hako_rename_dialog_response;

    props[PROP_LIBRARY] =
        g_param_spec_object("library", NULL, NULL, HAKO_TYPE_VM_LIBRARY,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    props[PROP_VM] =
        g_param_spec_object("vm", NULL, NULL, HAKO_TYPE_VM,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);

    gtk_widget_class_set_template_from_resource(wc, "/io/github/hakovm/Hako/hako-rename-dialog.ui");
    gtk_widget_class_bind_template_child(wc, HakoRenameDialog, entry);
    gtk_widget_class_bind_template_child(wc, HakoRenameDialog, error_label);
}

static void hako_rename_dialog_init(HakoRenameDialog *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

HakoRenameDialog *hako_rename_dialog_new(GtkWindow *parent, HakoVmLibrary *library, HakoVm *vm)
{
    return g_object_new(HAKO_TYPE_RENAME_DIALOG, "transient-for", parent, "modal", TRUE, "library",
                        library, "vm", vm, NULL);
}
