/* HakoWindow: see hako-window.h. */
#include "hako-window.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hako-delete-flow.h"
#include "hako-gtk-util.h"
#include "hako-host-check-window.h"
#include "hako-new-vm-wizard.h"
#include "hako-rename-dialog.h"
#include "hako-vm-card.h"
#include "hako-vm-settings.h"

struct _HakoWindow {
    AdwApplicationWindow parent_instance;

    AdwToastOverlay *toasts;
    GtkStack *main_stack;
    GtkStack *library_stack;
    GtkFlowBox *flowbox;
    HakoVmView *vm_view;

    GSettings *settings;
    HakoVmLibrary *library;
    GtkFileChooserNative *chooser;
    gboolean close_confirmed;
};

G_DEFINE_FINAL_TYPE(HakoWindow, hako_window, ADW_TYPE_APPLICATION_WINDOW)

void hako_window_add_toast(HakoWindow *self, const char *message)
{
    if (!message || !*message)
        return;
    AdwToast *toast = adw_toast_new(message);
    adw_toast_set_timeout(toast, 5);
    adw_toast_overlay_add_toast(self->toasts, toast);
}

static void on_view_toast(HakoVmView *view, const char *message, gpointer data)
{
    (void)view;
    hako_window_add_toast(HAKO_WINDOW(data), message);
}

static void update_title(HakoWindow *self)
{
    HakoVm *vm = hako_vm_view_get_vm(self->vm_view);
    if (vm && g_str_equal(gtk_stack_get_visible_child_name(self->main_stack), "vm")) {
        /* Translators: window title: the virtual machine's name, then the app name */
        g_autofree char *title = g_strdup_printf(_("%s — Hako"), hako_vm_get_name(vm));
        gtk_window_set_title(GTK_WINDOW(self), title);
    } else {
        gtk_window_set_title(GTK_WINDOW(self), "Hako");
    }
}

void hako_window_open_vm(HakoWindow *self, HakoVm *vm)
{
    HakoVm *old = hako_vm_view_get_vm(self->vm_view);
    if (old && old != vm)
        g_signal_handlers_disconnect_by_data(old, self);
    if (old != vm)
        g_signal_connect_swapped(vm, "notify::name", G_CALLBACK(update_title), self);
    hako_vm_view_set_vm(self->vm_view, vm);
    gtk_stack_set_visible_child_name(self->main_stack, "vm");
    update_title(self);
    HakoVmState st = hako_vm_get_state(vm);
    g_autofree char *firmware =
        g_key_file_get_string(hako_vm_get_config(vm), HAKO_VM_ENGINE_GROUP, "firmware", NULL);
    if (st == HAKO_VM_STATE_STOPPED &&
        !hako_host_check_window_guard_start(GTK_WINDOW(self), firmware))
        return; /* the host check says why it would fail, and how to fix it */
    if (st == HAKO_VM_STATE_STOPPED) {
        g_autoptr(GError) error = NULL;
        if (!hako_vm_start(vm, &error)) {
            g_autofree char *text = g_strdup_printf(_("Could not start “%s”: %s"),
                                                    hako_vm_get_name(vm), error->message);
            hako_window_add_toast(self, text);
        }
    }
}

void hako_window_show_library(HakoWindow *self)
{
    HakoVm *vm = hako_vm_view_get_vm(self->vm_view);
    hako_display_release(hako_vm_view_get_display(self->vm_view));
    if (vm)
        hako_vm_update_thumbnail(vm);
    if (gtk_window_is_fullscreen(GTK_WINDOW(self)))
        gtk_window_unfullscreen(GTK_WINDOW(self));
    gtk_stack_set_visible_child_name(self->main_stack, "library");
    update_title(self);
}

HakoVmLibrary *hako_window_get_library(HakoWindow *self)
{
    return self->library;
}

HakoVmView *hako_window_get_vm_view(HakoWindow *self)
{
    return self->vm_view;
}

/* ---- creating VMs from disc images ---- */

/* The new-VM wizard for a disc image (NULL: it asks for one first). */
static void create_from_image(HakoWindow *self, GFile *file)
{
    HakoNewVmWizard *wizard = hako_new_vm_wizard_new(GTK_WINDOW(self), self->library, file);
    (void)wizard; /* presents itself once it has a file */
}

void hako_window_open_files(HakoWindow *self, GFile **files, int n_files)
{
    for (int i = 0; i < n_files; i++)
        create_from_image(self, files[i]);
}

static void act_new_vm(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    create_from_image(HAKO_WINDOW(widget), NULL);
}

/* ---- library actions ---- */

static void act_show_library(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    hako_window_show_library(HAKO_WINDOW(widget));
}

static void act_open_vm(GtkWidget *widget, const char *name, GVariant *param)
{
    HakoWindow *self = HAKO_WINDOW(widget);
    (void)name;
    HakoVm *vm = hako_vm_library_find(self->library, g_variant_get_string(param, NULL));
    if (vm)
        hako_window_open_vm(self, vm);
}

static void act_delete_vm(GtkWidget *widget, const char *name, GVariant *param)
{
    HakoWindow *self = HAKO_WINDOW(widget);
    (void)name;
    HakoVm *vm = hako_vm_library_find(self->library, g_variant_get_string(param, NULL));
    if (vm) {
        g_autoptr(HakoDeleteFlow) flow =
            hako_delete_flow_new(GTK_WINDOW(self), self->toasts, self->library, vm);
        hako_delete_flow_start(flow);
    }
}

static void act_rename_vm(GtkWidget *widget, const char *name, GVariant *param)
{
    HakoWindow *self = HAKO_WINDOW(widget);
    (void)name;
    HakoVm *vm = hako_vm_library_find(self->library, g_variant_get_string(param, NULL));
    if (vm)
        gtk_window_present(GTK_WINDOW(hako_rename_dialog_new(GTK_WINDOW(self), self->library, vm)));
}

/* One settings window per VM. */
static void show_settings(HakoWindow *self, HakoVm *vm)
{
    GListModel *toplevels = gtk_window_get_toplevels();
    for (guint i = 0; i < g_list_model_get_n_items(toplevels); i++) {
        g_autoptr(GObject) w = g_list_model_get_item(toplevels, i);
        if (HAKO_IS_VM_SETTINGS(w) && hako_vm_settings_get_vm(HAKO_VM_SETTINGS(w)) == vm) {
            gtk_window_present(GTK_WINDOW(w));
            return;
        }
    }
    gtk_window_present(
        GTK_WINDOW(hako_vm_settings_new(GTK_WINDOW(self), self->toasts, self->library, vm)));
}

static void act_vm_settings(GtkWidget *widget, const char *name, GVariant *param)
{
    HakoWindow *self = HAKO_WINDOW(widget);
    (void)name;
    HakoVm *vm = hako_vm_library_find(self->library, g_variant_get_string(param, NULL));
    if (vm)
        show_settings(self, vm);
}

static void act_current_vm_settings(GtkWidget *widget, const char *name, GVariant *param)
{
    HakoWindow *self = HAKO_WINDOW(widget);
    (void)name;
    (void)param;
    HakoVm *vm = hako_vm_view_get_vm(self->vm_view);
    if (vm)
        show_settings(self, vm);
}

static GtkWidget *create_card(gpointer item, gpointer data)
{
    (void)data;
    return hako_vm_card_new(HAKO_VM(item));
}

static void on_library_changed(GListModel *model, guint pos, guint removed, guint added,
                               gpointer data)
{
    HakoWindow *self = data;
    (void)pos;
    (void)added;
    gtk_stack_set_visible_child_name(self->library_stack,
                                     g_list_model_get_n_items(model) ? "grid" : "empty");
    /* the VM on screen was deleted (here, from its settings, or its folder went) */
    HakoVm *vm = hako_vm_view_get_vm(self->vm_view);
    if (vm && removed && !hako_vm_library_contains(self->library, vm)) {
        hako_window_show_library(self);
        g_signal_handlers_disconnect_by_data(vm, self);
        hako_vm_view_set_vm(self->vm_view, NULL);
    }
}

static void on_card_activated(GtkFlowBox *box, GtkFlowBoxChild *child, gpointer data)
{
    HakoWindow *self = data;
    (void)box;
    GtkWidget *card = gtk_flow_box_child_get_child(child);
    if (HAKO_IS_VM_CARD(card))
        hako_window_open_vm(self, hako_vm_card_get_vm(HAKO_VM_CARD(card)));
}

/* ---- closing ---- */

static void on_close_response(AdwMessageDialog *dialog, const char *response, gpointer data)
{
    HakoWindow *self = data;
    (void)dialog;
    if (g_str_equal(response, "quit")) {
        self->close_confirmed = TRUE;
        gtk_window_close(GTK_WINDOW(self));
    }
}

static gboolean hako_window_close_request(GtkWindow *window)
{
    HakoWindow *self = HAKO_WINDOW(window);
    if (!self->close_confirmed && self->library && hako_vm_library_count_active(self->library)) {
        AdwMessageDialog *d = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
            window, _("Turn Off Running Virtual Machines?"),
            _("Closing Hako turns off the virtual machines that are still running, like pulling "
              "their power plug. Shut them down from inside first to keep unsaved work.")));
        adw_message_dialog_add_responses(d, "cancel", _("_Cancel"), "quit",
                                         _("_Turn Off and Close"), NULL);
        adw_message_dialog_set_response_appearance(d, "quit", ADW_RESPONSE_DESTRUCTIVE);
        adw_message_dialog_set_default_response(d, "cancel");
        adw_message_dialog_set_close_response(d, "cancel");
        g_signal_connect_object(d, "response", G_CALLBACK(on_close_response), self, 0);
        gtk_window_present(GTK_WINDOW(d));
        return TRUE;
    }
    if (self->settings) {
        int w, h;
        gtk_window_get_default_size(window, &w, &h);
        g_settings_set_int(self->settings, "window-width", w);
        g_settings_set_int(self->settings, "window-height", h);
        g_settings_set_boolean(self->settings, "window-maximized", gtk_window_is_maximized(window));
    }
    HakoVm *vm = hako_vm_view_get_vm(self->vm_view);
    if (vm)
        hako_vm_update_thumbnail(vm);
    return GTK_WINDOW_CLASS(hako_window_parent_class)->close_request(window);
}

/* ---- GObject ---- */

static void hako_window_dispose(GObject *object)
{
    HakoWindow *self = HAKO_WINDOW(object);
    if (self->chooser)
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
    g_clear_object(&self->chooser);
    if (self->library)
        g_signal_handlers_disconnect_by_data(self->library, self);
    gtk_widget_dispose_template(GTK_WIDGET(self), HAKO_TYPE_WINDOW);
    g_clear_object(&self->library);
    g_clear_object(&self->settings);
    G_OBJECT_CLASS(hako_window_parent_class)->dispose(object);
}

static void hako_window_class_init(HakoWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = hako_window_dispose;
    GTK_WINDOW_CLASS(klass)->close_request = hako_window_close_request;

    g_type_ensure(HAKO_TYPE_VM_VIEW);
    gtk_widget_class_set_template_from_resource(wc, "/io/github/hakovm/Hako/hako-window.ui");
    gtk_widget_class_bind_template_child(wc, HakoWindow, toasts);
    gtk_widget_class_bind_template_child(wc, HakoWindow, main_stack);
    gtk_widget_class_bind_template_child(wc, HakoWindow, library_stack);
    gtk_widget_class_bind_template_child(wc, HakoWindow, flowbox);
    gtk_widget_class_bind_template_child(wc, HakoWindow, vm_view);

    gtk_widget_class_install_action(wc, "win.new-vm", NULL, act_new_vm);
    gtk_widget_class_install_action(wc, "win.show-library", NULL, act_show_library);
    gtk_widget_class_install_action(wc, "win.open-vm", "s", act_open_vm);
    gtk_widget_class_install_action(wc, "win.delete-vm", "s", act_delete_vm);
    gtk_widget_class_install_action(wc, "win.rename-vm", "s", act_rename_vm);
    gtk_widget_class_install_action(wc, "win.vm-settings", "s", act_vm_settings);
    gtk_widget_class_install_action(wc, "win.current-vm-settings", NULL, act_current_vm_settings);
}

static void hako_window_init(HakoWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    hako_stack_track_hidden_pages(self->main_stack);
    hako_stack_track_hidden_pages(self->library_stack);
    self->settings = g_settings_new(HAKO_APP_ID);
    gtk_window_set_default_size(GTK_WINDOW(self),
                                g_settings_get_int(self->settings, "window-width"),
                                g_settings_get_int(self->settings, "window-height"));
    if (g_settings_get_boolean(self->settings, "window-maximized"))
        gtk_window_maximize(GTK_WINDOW(self));
    g_signal_connect(self->vm_view, "toast", G_CALLBACK(on_view_toast), self);
    g_signal_connect(self->flowbox, "child-activated", G_CALLBACK(on_card_activated), self);
    g_signal_connect_swapped(self->main_stack, "notify::visible-child", G_CALLBACK(update_title),
                             self);
}

HakoWindow *hako_window_new(GtkApplication *app, HakoVmLibrary *library)
{
    HakoWindow *self = g_object_new(HAKO_TYPE_WINDOW, "application", app, NULL);
    self->library = g_object_ref(library);
    gtk_flow_box_bind_model(self->flowbox, G_LIST_MODEL(library), create_card, self, NULL);
    g_signal_connect(library, "items-changed", G_CALLBACK(on_library_changed), self);
    on_library_changed(G_LIST_MODEL(library), 0, 0, 0, self);
    return self;
}
