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
    GtkBox *library_page;
    GtkGridView *grid;
    HakoVmView *vm_view;
    GtkPopoverMenu *card_menu; /* one for all cards */

    GSettings *settings;
    HakoVmLibrary *library;
    GtkFileChooserNative *chooser;
    gboolean close_confirmed;
    gboolean bench_first_frame;
};

G_DEFINE_FINAL_TYPE(HakoWindow, hako_window, ADW_TYPE_APPLICATION_WINDOW)

void hako_window_add_toast(HakoWindow *self, const char *message)
{
    if (!message || !*message)
        return;
    AdwToast *toast = hako_toast_new(message);
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
    if (hako_vm_get_problem(vm)) {
        g_autofree char *text = g_strdup_printf(_("“%s” cannot be opened: %s"),
                                                hako_vm_get_name(vm), hako_vm_get_problem(vm));
        hako_window_add_toast(self, text);
        return;
    }
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

/* ---- the grid: recycled cards, one menu ---- */

static void on_card_context_menu(HakoVmCard *card, double x, double y, gpointer data)
{
    HakoWindow *self = data;
    HakoVm *vm = hako_vm_card_get_vm(card);
    if (!vm)
        return;
    const char *id = hako_vm_get_id(vm);
    g_autoptr(GMenu) menu = g_menu_new();
    struct {
        const char *label, *action;
    } items[] = {
        {N_("_Open"), "win.open-vm"},
        {N_("_Settings"), "win.vm-settings"},
        {N_("_Rename…"), "win.rename-vm"},
        {N_("_Delete…"), "win.delete-vm"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(items); i++) {
        /* a VM whose vm.ini cannot be read can only be deleted */
        if (hako_vm_get_problem(vm) && !g_str_equal(items[i].action, "win.delete-vm"))
            continue;
        g_autoptr(GMenuItem) item = g_menu_item_new(_(items[i].label), NULL);
        g_menu_item_set_action_and_target(item, items[i].action, "s", id);
        g_menu_append_item(menu, item);
    }
    gtk_popover_menu_set_menu_model(self->card_menu, G_MENU_MODEL(menu));
    double px = x, py = y;
    gtk_widget_translate_coordinates(GTK_WIDGET(card), GTK_WIDGET(self->library_page), x, y, &px,
                                     &py);
    GdkRectangle r = {(int)px, (int)py, 1, 1};
    gtk_popover_set_pointing_to(GTK_POPOVER(self->card_menu), &r);
    gtk_popover_popup(GTK_POPOVER(self->card_menu));
}

static void on_item_setup(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    (void)f;
    GtkWidget *card = hako_vm_card_new();
    g_signal_connect(card, "context-menu", G_CALLBACK(on_card_context_menu), data);
    gtk_list_item_set_child(item, card);
}

static void on_item_bind(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    (void)f;
    (void)data;
    hako_vm_card_set_vm(HAKO_VM_CARD(gtk_list_item_get_child(item)),
                        HAKO_VM(gtk_list_item_get_item(item)));
}

static void on_item_unbind(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    (void)f;
    (void)data;
    hako_vm_card_set_vm(HAKO_VM_CARD(gtk_list_item_get_child(item)), NULL);
}

static void on_item_teardown(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    (void)f;
    GtkWidget *card = gtk_list_item_get_child(item);
    if (card)
        g_signal_handlers_disconnect_by_data(card, data);
}

static void on_grid_activate(GtkGridView *grid, guint position, gpointer data)
{
    HakoWindow *self = data;
    (void)grid;
    g_autoptr(HakoVm) vm = g_list_model_get_item(G_LIST_MODEL(self->library), position);
    if (vm)
        hako_window_open_vm(self, vm);
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
    /* the app's other windows (wizards, settings, preferences) close with it: the app quits */
    GtkApplication *app = gtk_window_get_application(window);
    GList *others = app ? g_list_copy(gtk_application_get_windows(app)) : NULL;
    for (GList *l = others; l; l = l->next)
        if (l->data != window)
            gtk_window_destroy(GTK_WINDOW(l->data));
    g_list_free(others);
    return GTK_WINDOW_CLASS(hako_window_parent_class)->close_request(window);
}

/* ---- benchmark timing (HAKO_BENCH_TIMING=1, tests/bench/library.py) ---- */

/* Whether the library grid has cards on screen. */
static gboolean library_cards_shown(HakoWindow *self)
{
    GtkWidget *grid = GTK_WIDGET(self->grid);
    if (!gtk_widget_get_mapped(grid))
        return FALSE;
    for (GtkWidget *c = gtk_widget_get_first_child(grid); c; c = gtk_widget_get_next_sibling(c))
        if (gtk_widget_get_mapped(c))
            return TRUE;
    return FALSE;
}

/* Logs (monotonic µs) the window's first painted frame and the first frame that shows cards. */
static void on_bench_after_paint(GdkFrameClock *clock, gpointer data)
{
    HakoWindow *self = data;
    if (!self->bench_first_frame) {
        self->bench_first_frame = TRUE;
        hako_bench_mark("first-frame");
    }
    if (library_cards_shown(self)) {
        g_autofree char *vms =
            g_strdup_printf("vms=%u", g_list_model_get_n_items(G_LIST_MODEL(self->library)));
        hako_bench_mark_detail("first-cards", vms);
        g_signal_handlers_disconnect_by_func(clock, on_bench_after_paint, self);
    }
}

static void on_bench_map(GtkWidget *widget, gpointer data)
{
    (void)data;
    GdkFrameClock *clock = gtk_widget_get_frame_clock(widget);
    if (clock)
        g_signal_connect_object(clock, "after-paint", G_CALLBACK(on_bench_after_paint), widget, 0);
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
    HakoVm *shown = self->vm_view ? hako_vm_view_get_vm(self->vm_view) : NULL;
    if (shown)
        g_signal_handlers_disconnect_by_data(shown, self);
    if (self->grid) {
        g_signal_handlers_disconnect_by_data(self->grid, self);
        gtk_grid_view_set_model(self->grid, NULL);
    }
    if (self->vm_view)
        g_signal_handlers_disconnect_by_data(self->vm_view, self);
    if (self->main_stack)
        g_signal_handlers_disconnect_by_data(self->main_stack, self);
    if (self->card_menu) {
        gtk_widget_unparent(GTK_WIDGET(self->card_menu));
        self->card_menu = NULL;
    }
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
    gtk_widget_class_bind_template_child(wc, HakoWindow, library_page);
    gtk_widget_class_bind_template_child(wc, HakoWindow, grid);
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
    GtkListItemFactory *factory = gtk_signal_list_item_factory_new();
    g_signal_connect(factory, "setup", G_CALLBACK(on_item_setup), self);
    g_signal_connect(factory, "bind", G_CALLBACK(on_item_bind), self);
    g_signal_connect(factory, "unbind", G_CALLBACK(on_item_unbind), self);
    g_signal_connect(factory, "teardown", G_CALLBACK(on_item_teardown), self);
    gtk_grid_view_set_factory(self->grid, factory);
    g_object_unref(factory);
    g_signal_connect(self->grid, "activate", G_CALLBACK(on_grid_activate), self);
    self->card_menu = GTK_POPOVER_MENU(gtk_popover_menu_new_from_model(NULL));
    gtk_popover_set_has_arrow(GTK_POPOVER(self->card_menu), FALSE);
    gtk_widget_set_halign(GTK_WIDGET(self->card_menu), GTK_ALIGN_START);
    gtk_widget_set_parent(GTK_WIDGET(self->card_menu), GTK_WIDGET(self->library_page));
    g_signal_connect_swapped(self->main_stack, "notify::visible-child", G_CALLBACK(update_title),
                             self);
    if (hako_bench_enabled())
        g_signal_connect(self, "map", G_CALLBACK(on_bench_map), NULL);
}

HakoWindow *hako_window_new(GtkApplication *app, HakoVmLibrary *library)
{
    HakoWindow *self = g_object_new(HAKO_TYPE_WINDOW, "application", app, NULL);
    self->library = g_object_ref(library);
    gtk_grid_view_set_model(
        self->grid, GTK_SELECTION_MODEL(gtk_no_selection_new(g_object_ref(G_LIST_MODEL(library)))));
    g_signal_connect(library, "items-changed", G_CALLBACK(on_library_changed), self);
    on_library_changed(G_LIST_MODEL(library), 0, 0, 0, self);
    return self;
}
