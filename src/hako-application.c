/* HakoApplication: see hako-application.h. */
#include "hako-application.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hako-cli.h"
#include "hako-gtk-util.h"
#include "hako-host-check-window.h"
#include "hako-preferences.h"
#include "hako-paths.h"
#include "hako-window.h"

struct _HakoApplication {
    AdwApplication parent_instance;
    HakoVmLibrary *library;
};

G_DEFINE_FINAL_TYPE(HakoApplication, hako_application, ADW_TYPE_APPLICATION)

HakoVmLibrary *hako_application_get_library(HakoApplication *self)
{
    return self->library;
}

/* The library window: one per application, whichever window is active. */
static HakoWindow *find_window(HakoApplication *self)
{
    for (GList *l = gtk_application_get_windows(GTK_APPLICATION(self)); l; l = l->next)
        if (HAKO_IS_WINDOW(l->data))
            return HAKO_WINDOW(l->data);
    return NULL;
}

static HakoWindow *get_window(HakoApplication *self)
{
    HakoWindow *win = find_window(self);
    return win ? win : hako_window_new(GTK_APPLICATION(self), self->library);
}

/* The first plain start shows whether this computer can run VMs at all (when the library,
 * once read, is empty). */
static void first_run_check(HakoApplication *self)
{
    GtkWindow *win = gtk_application_get_active_window(GTK_APPLICATION(self));
    if (win)
        hako_host_check_window_first_run(
            win, g_list_model_get_n_items(G_LIST_MODEL(self->library)) == 0);
}

static void on_loaded_first_run(HakoVmLibrary *library, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    g_signal_handlers_disconnect_by_func(library, on_loaded_first_run, data);
    first_run_check(HAKO_APPLICATION(data));
}

static void hako_application_activate(GApplication *app)
{
    HakoApplication *self = HAKO_APPLICATION(app);
    hako_bench_mark("activate");
    GtkWindow *win = GTK_WINDOW(get_window(self));
    hako_bench_mark("window");
    gtk_window_present(win);
    hako_bench_mark("presented");
    if (hako_vm_library_is_loaded(self->library))
        first_run_check(self);
    else if (!g_signal_handler_find(self->library, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                    on_loaded_first_run, NULL))
        g_signal_connect(self->library, "notify::loaded", G_CALLBACK(on_loaded_first_run), self);
}

static void hako_application_open(GApplication *app, GFile **files, int n_files, const char *hint)
{
    (void)hint;
    HakoWindow *win = get_window(HAKO_APPLICATION(app));
    gtk_window_present(GTK_WINDOW(win));
    hako_window_open_files(win, files, n_files);
}

static void act_about(GSimpleAction *action, GVariant *param, gpointer data)
{
    (void)action;
    (void)param;
    GtkApplication *app = data;
    static const char *developers[] = {"The Hako authors", NULL};
    GtkWidget *about = adw_about_window_new();
    g_object_set(about, "transient-for", gtk_application_get_active_window(app), "application-name",
                 "Hako", "application-icon", HAKO_APP_ID, "developer-name", _("The Hako authors"),
                 "version", HAKO_VERSION, "website", "https://github.com/hakovm/hako", "issue-url",
                 "https://github.com/hakovm/hako/issues", "license-type", GTK_LICENSE_GPL_3_0,
                 "developers", developers,
                 /* Translators: put your names here, one per line */
                 "translator-credits", _("translator-credits"), "comments",
                 _("Run other operating systems in a window, on Hako’s own KVM engine."), NULL);
    gtk_window_present(GTK_WINDOW(about));
}

/* Quit: the library window closes (asking first when VMs run, as closing it always did), and
 * with it every other window of the app. */
static void act_quit(GSimpleAction *action, GVariant *param, gpointer data)
{
    (void)action;
    (void)param;
    HakoApplication *self = data;
    HakoWindow *win = find_window(self);
    if (win) {
        gtk_window_close(GTK_WINDOW(win));
        return;
    }
    GList *windows = g_list_copy(gtk_application_get_windows(GTK_APPLICATION(self)));
    for (GList *l = windows; l; l = l->next)
        gtk_window_destroy(GTK_WINDOW(l->data));
    g_list_free(windows);
}

/* hako --vm ID: shows the VM (once the library is read). */
static void open_vm_now(HakoApplication *self, const char *id)
{
    HakoWindow *win = get_window(self);
    gtk_window_present(GTK_WINDOW(win));
    HakoVm *vm = hako_vm_library_find(self->library, id);
    if (!vm && !strchr(id, '/') && id[0] != '.') {
        /* made a moment ago, before the library noticed */
        g_autoptr(GFile) dir = g_file_get_child(hako_vm_library_get_dir(self->library), id);
        vm = hako_vm_library_add_folder(self->library, dir, NULL);
    }
    if (vm) {
        hako_window_open_vm(win, vm);
    } else {
        g_autofree char *text = g_strdup_printf(_("There is no virtual machine “%s”."), id);
        hako_window_add_toast(win, text);
    }
}

static void on_loaded_open_vm(HakoVmLibrary *library, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    char *id = data;
    HakoApplication *self = HAKO_APPLICATION(g_application_get_default());
    g_signal_handlers_disconnect_by_func(library, on_loaded_open_vm, data);
    if (self)
        open_vm_now(self, id);
    g_free(id);
    if (self)
        g_application_release(G_APPLICATION(self));
}

static void act_open_vm(GSimpleAction *action, GVariant *param, gpointer data)
{
    (void)action;
    HakoApplication *self = data;
    const char *id = g_variant_get_string(param, NULL);
    if (hako_vm_library_is_loaded(self->library)) {
        open_vm_now(self, id);
        return;
    }
    HakoWindow *win = get_window(self);
    gtk_window_present(GTK_WINDOW(win));
    g_application_hold(G_APPLICATION(self));
    g_signal_connect(self->library, "notify::loaded", G_CALLBACK(on_loaded_open_vm), g_strdup(id));
}

static void act_preferences(GSimpleAction *action, GVariant *param, gpointer data)
{
    (void)action;
    (void)param;
    GtkWindow *parent = gtk_application_get_active_window(GTK_APPLICATION(data));
    GListModel *toplevels = gtk_window_get_toplevels();
    for (guint i = 0; i < g_list_model_get_n_items(toplevels); i++) {
        g_autoptr(GObject) w = g_list_model_get_item(toplevels, i);
        if (HAKO_IS_PREFERENCES(w)) {
            gtk_window_present(GTK_WINDOW(w));
            return;
        }
    }
    gtk_window_present(GTK_WINDOW(hako_preferences_new(parent)));
}

/* The settings of the VM with this id (also reachable over D-Bus: org.gtk.Actions). */
static void act_vm_settings(GSimpleAction *action, GVariant *param, gpointer data)
{
    (void)action;
    HakoWindow *win = get_window(HAKO_APPLICATION(data));
    gtk_window_present(GTK_WINDOW(win));
    gtk_widget_activate_action(GTK_WIDGET(win), "win.vm-settings", "s",
                               g_variant_get_string(param, NULL));
}

static void act_check_host(GSimpleAction *action, GVariant *param, gpointer data)
{
    (void)action;
    (void)param;
    hako_host_check_window_present(gtk_application_get_active_window(GTK_APPLICATION(data)));
}

static const GActionEntry app_actions[] = {
    {.name = "preferences", .activate = act_preferences},
    {.name = "check-host", .activate = act_check_host},
    {.name = "vm-settings", .activate = act_vm_settings, .parameter_type = "s"},
    {.name = "about", .activate = act_about},
    {.name = "quit", .activate = act_quit},
    {.name = "open-vm", .activate = act_open_vm, .parameter_type = "s"},
};

static void hako_application_startup(GApplication *app)
{
    HakoApplication *self = HAKO_APPLICATION(app);
    hako_bench_mark("startup");
    /* the library is read in a thread, while GTK starts */
    g_autofree char *dir = hako_paths_library_dir();
    g_autoptr(GFile) file = g_file_new_for_path(dir);
    self->library = hako_vm_library_new(file);
    G_APPLICATION_CLASS(hako_application_parent_class)->startup(app);
    hako_bench_mark("gtk-started");

    g_action_map_add_action_entries(G_ACTION_MAP(app), app_actions, G_N_ELEMENTS(app_actions), app);
    struct {
        const char *action;
        const char *accels[3];
    } accels[] = {
        {"app.quit", {"<Control>q", NULL}},
        {"app.preferences", {"<Control>comma", NULL}},
        {"win.new-vm", {"<Control>n", NULL}},
        {"win.show-library", {"<Alt>Left", NULL}},
        {"vm.fullscreen", {"F11", NULL}},
        {"vm.console-visible", {"<Control><Shift>t", NULL}},
        {"vm.zoom-in", {"<Control>plus", "<Control>equal", NULL}},
        {"vm.zoom-out", {"<Control>minus", NULL}},
        {"vm.scale-mode::fit", {"<Control>0", NULL}},
        {"vm.scale-mode::original", {"<Control>1", NULL}},
        {"vm.pause", {"<Control>p", NULL}},
        {"vm.resume", {"<Control>p", NULL}},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(accels); i++)
        gtk_application_set_accels_for_action(GTK_APPLICATION(app), accels[i].action,
                                              accels[i].accels);
}

/* hako --inspect-iso FILE and hako --check run here, before any window (and without a display). */
static int hako_application_handle_local_options(GApplication *app, GVariantDict *options)
{
    const char *iso = NULL;
    if (g_variant_dict_contains(options, "version")) {
        g_print("Hako %s\n", HAKO_VERSION);
        return 0;
    }
    if (g_variant_dict_lookup(options, "inspect-iso", "^&ay", &iso))
        return hako_cli_inspect_iso(iso);
    if (g_variant_dict_contains(options, "check"))
        return hako_cli_check();
    const char *vm_id = NULL;
    if (g_variant_dict_lookup(options, "vm", "&s", &vm_id)) {
        /* hako --vm ID: show that VM, in the running instance when there is one */
        g_autoptr(GError) error = NULL;
        if (!g_application_register(app, NULL, &error)) {
            g_printerr("hako: %s\n", error->message);
            return 1;
        }
        g_action_group_activate_action(G_ACTION_GROUP(app), "open-vm", g_variant_new_string(vm_id));
        return g_application_get_is_remote(app) ? 0 : -1;
    }
    return -1;
}

static void hako_application_dispose(GObject *object)
{
    HakoApplication *self = HAKO_APPLICATION(object);
    if (self->library)
        g_signal_handlers_disconnect_by_data(self->library, self);
    g_clear_object(&self->library);
    G_OBJECT_CLASS(hako_application_parent_class)->dispose(object);
}

static void hako_application_class_init(HakoApplicationClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = hako_application_dispose;
    GApplicationClass *ac = G_APPLICATION_CLASS(klass);
    ac->activate = hako_application_activate;
    ac->open = hako_application_open;
    ac->startup = hako_application_startup;
    ac->handle_local_options = hako_application_handle_local_options;
}

static const GOptionEntry cli_options[] = {
    {"inspect-iso", 0, 0, G_OPTION_ARG_FILENAME, NULL,
     N_("Print what Hako learns from a disc image (OS, boot entries, proposed settings) and exit"),
     N_("FILE")},
    {"check", 0, 0, G_OPTION_ARG_NONE, NULL,
     N_("Check whether this computer can run virtual machines, print the result and exit"), NULL},
    {"version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print Hako’s version and exit"), NULL},
    {"vm", 0, 0, G_OPTION_ARG_STRING, NULL,
     N_("Show the virtual machine with this ID (its folder name) and start it"), N_("ID")},
    {NULL},
};

static void hako_application_init(HakoApplication *self)
{
    g_application_add_main_option_entries(G_APPLICATION(self), cli_options);
    /* Translators: what `hako` takes besides options, in `hako --help` */
    g_application_set_option_context_parameter_string(G_APPLICATION(self), _("[DISC IMAGE…]"));
    gtk_window_set_default_icon_name(HAKO_APP_ID);
}

HakoApplication *hako_application_new(void)
{
    return g_object_new(HAKO_TYPE_APPLICATION, "application-id", HAKO_APP_ID, "flags",
                        G_APPLICATION_HANDLES_OPEN, "resource-base-path", "/io/github/hakovm/Hako",
                        NULL);
}
