/*
 * HakoPreferences: see hako-preferences.h.
 */
#include "hako-preferences.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "hako-gtk-util.h"
#include "hako-paths.h"

struct _HakoPreferences {
    AdwPreferencesWindow parent_instance;
    AdwActionRow *folder_row;
    AdwComboRow *scale_row, *release_row;
    GSettings *settings;
    GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE(HakoPreferences, hako_preferences, ADW_TYPE_PREFERENCES_WINDOW)

/* nicks of the GSettings enums, in combo order */
static const char *const scale_nicks[] = {"fit", "original", "zoom"};
static const char *const release_nicks[] = {"ctrl-alt", "right-ctrl", "ctrl-alt-g"};

static void show_folder(HakoPreferences *self)
{
    g_autofree char *custom = g_settings_get_string(self->settings, "vm-folder");
    g_autofree char *dflt = g_build_filename(g_get_user_data_dir(), "hako", "vms", NULL);
    const char *shown = custom && *custom ? custom : dflt;
    adw_action_row_set_subtitle(self->folder_row, shown);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "prefs.reset-folder", custom && *custom);
    g_autofree char *running = hako_paths_library_dir();
    if (!g_str_equal(running, shown)) {
        g_autofree char *note =
            g_strdup_printf(_("%s (from the next start; now: %s)"), shown, running);
        adw_action_row_set_subtitle(self->folder_row, note);
    }
}

static void on_folder_chosen(GtkNativeDialog *dialog, int response, gpointer data)
{
    HakoPreferences *self = data;
    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        g_autofree char *path = f ? g_file_get_path(f) : NULL;
        if (path && g_file_test(path, G_FILE_TEST_IS_DIR) && access(path, W_OK) == 0) {
            g_settings_set_string(self->settings, "vm-folder", path);
        } else {
            AdwToast *t = hako_toast_new(_("Choose a local folder you can write to."));
            adw_preferences_window_add_toast(ADW_PREFERENCES_WINDOW(self), t);
        }
    }
    g_clear_object(&self->chooser);
}

static void act_choose_folder(GtkWidget *w, const char *name, GVariant *param)
{
    HakoPreferences *self = HAKO_PREFERENCES(w);
    (void)name;
    (void)param;
    if (self->chooser)
        return;
    self->chooser = gtk_file_chooser_native_new(_("Folder for Virtual Machines"), GTK_WINDOW(self),
                                                GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"),
                                                _("_Cancel"));
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(self->chooser), TRUE);
    g_signal_connect(self->chooser, "response", G_CALLBACK(on_folder_chosen), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}

static void act_reset_folder(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    g_settings_reset(HAKO_PREFERENCES(w)->settings, "vm-folder");
}

static guint nick_index(const char *const *nicks, gsize n, const char *nick)
{
    for (gsize i = 0; i < n; i++)
        if (g_strcmp0(nicks[i], nick) == 0)
            return (guint)i;
    return 0;
}

static void on_settings_changed(GSettings *settings, const char *key, gpointer data)
{
    HakoPreferences *self = data;
    if (g_str_equal(key, "vm-folder")) {
        show_folder(self);
    } else if (g_str_equal(key, "scale-mode")) {
        g_autofree char *v = g_settings_get_string(settings, key);
        adw_combo_row_set_selected(self->scale_row,
                                   nick_index(scale_nicks, G_N_ELEMENTS(scale_nicks), v));
    } else if (g_str_equal(key, "capture-release-keys")) {
        g_autofree char *v = g_settings_get_string(settings, key);
        adw_combo_row_set_selected(self->release_row,
                                   nick_index(release_nicks, G_N_ELEMENTS(release_nicks), v));
    }
}

static void on_scale_selected(GObject *row, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    HakoPreferences *self = data;
    guint i = adw_combo_row_get_selected(ADW_COMBO_ROW(row));
    if (i < G_N_ELEMENTS(scale_nicks))
        g_settings_set_string(self->settings, "scale-mode", scale_nicks[i]);
}

static void on_release_selected(GObject *row, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    HakoPreferences *self = data;
    guint i = adw_combo_row_get_selected(ADW_COMBO_ROW(row));
    if (i < G_N_ELEMENTS(release_nicks))
        g_settings_set_string(self->settings, "capture-release-keys", release_nicks[i]);
}

static void hako_preferences_dispose(GObject *object)
{
    HakoPreferences *self = HAKO_PREFERENCES(object);
    if (self->chooser)
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
    g_clear_object(&self->chooser);
    if (self->settings)
        g_signal_handlers_disconnect_by_data(self->settings, self);
    g_clear_object(&self->settings);
    gtk_widget_dispose_template(GTK_WIDGET(self), HAKO_TYPE_PREFERENCES);
    G_OBJECT_CLASS(hako_preferences_parent_class)->dispose(object);
}

static void hako_preferences_class_init(HakoPreferencesClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = hako_preferences_dispose;
    gtk_widget_class_set_template_from_resource(wc, "/io/github/hakovm/Hako/hako-preferences.ui");
    gtk_widget_class_bind_template_child(wc, HakoPreferences, folder_row);
    gtk_widget_class_bind_template_child(wc, HakoPreferences, scale_row);
    gtk_widget_class_bind_template_child(wc, HakoPreferences, release_row);
    gtk_widget_class_install_action(wc, "prefs.choose-folder", NULL, act_choose_folder);
    gtk_widget_class_install_action(wc, "prefs.reset-folder", NULL, act_reset_folder);
}

static void hako_preferences_init(HakoPreferences *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->settings = g_settings_new(HAKO_APP_ID);

    const char *scale_labels[] = {_("Fit to Window"), _("Original Size"), _("Zoom"), NULL};
    GtkStringList *scale = gtk_string_list_new(scale_labels);
    adw_combo_row_set_model(self->scale_row, G_LIST_MODEL(scale));
    g_object_unref(scale);
    const char *release_labels[] = {_("Left Ctrl + Left Alt"), _("Right Ctrl"), _("Ctrl + Alt + G"),
                                    NULL};
    GtkStringList *release = gtk_string_list_new(release_labels);
    adw_combo_row_set_model(self->release_row, G_LIST_MODEL(release));
    g_object_unref(release);

    on_settings_changed(self->settings, "vm-folder", self);
    on_settings_changed(self->settings, "scale-mode", self);
    on_settings_changed(self->settings, "capture-release-keys", self);
    g_signal_connect(self->settings, "changed", G_CALLBACK(on_settings_changed), self);
    g_signal_connect(self->scale_row, "notify::selected", G_CALLBACK(on_scale_selected), self);
    g_signal_connect(self->release_row, "notify::selected", G_CALLBACK(on_release_selected), self);
}

HakoPreferences *hako_preferences_new(GtkWindow *parent)
{
    return g_object_new(HAKO_TYPE_PREFERENCES, "transient-for", parent, NULL);
}
