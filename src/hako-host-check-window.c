/*
 * HakoHostCheckWindow: see hako-host-check-window.h.
 */
#include "hako-host-check-window.h"

#include <glib/gi18n.h>

#include "hako-host-check.h"
#include "hako-paths.h"

struct _HakoHostCheckWindow {
    AdwWindow parent_instance;
    GtkImage *status_icon;
    GtkLabel *status_title, *status_description;
    GtkSpinner *spinner;
    GtkListBox *list;
    HakoHostCheck *check;
    gboolean running;
};

G_DEFINE_FINAL_TYPE(HakoHostCheckWindow, hako_host_check_window, ADW_TYPE_WINDOW)

static const char *status_icon(HakoCheckStatus s)
{
    switch (s) {
    case HAKO_CHECK_PASS: return "emblem-ok-symbolic";
    case HAKO_CHECK_WARN: return "dialog-warning-symbolic";
    case HAKO_CHECK_FAIL: return "dialog-error-symbolic";
    default: return "content-loading-symbolic";
    }
}

static const char *status_class(HakoCheckStatus s)
{
    switch (s) {
    case HAKO_CHECK_PASS: return "success";
    case HAKO_CHECK_WARN: return "warning";
    case HAKO_CHECK_FAIL: return "error";
    default: return "dim-label";
    }
}

static const char *status_words(HakoCheckStatus s)
{
    switch (s) {
    case HAKO_CHECK_PASS: return _("Passed");
    case HAKO_CHECK_WARN: return _("Warning");
    case HAKO_CHECK_FAIL: return _("Failed");
    default: return _("Not checked");
    }
}

static void on_copy(GtkButton *button, gpointer data)
{
    (void)data;
    const char *text = g_object_get_data(G_OBJECT(button), "text");
    gdk_clipboard_set_text(gtk_widget_get_clipboard(GTK_WIDGET(button)), text);
    gtk_button_set_label(button, _("Copied"));
}

static GtkWidget *wrapped_label(const char *text, gboolean mono)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_wrap(GTK_LABEL(l), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    gtk_label_set_selectable(GTK_LABEL(l), TRUE);
    if (mono)
        gtk_widget_add_css_class(l, "monospace");
    return l;
}

static GtkWidget *make_row(const HakoCheckItem *it)
{
    GtkWidget *row;
    GtkWidget *icon = gtk_image_new_from_icon_name(status_icon(it->status));
    gtk_widget_add_css_class(icon, status_class(it->status));
    gtk_accessible_update_property(GTK_ACCESSIBLE(icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   status_words(it->status), -1);
    if (it->explanation || it->fix) {
        row = adw_expander_row_new();
        adw_expander_row_add_prefix(ADW_EXPANDER_ROW(row), icon);
        adw_expander_row_set_subtitle(ADW_EXPANDER_ROW(row), it->summary);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
        gtk_widget_set_margin_start(box, 12);
        gtk_widget_set_margin_end(box, 12);
        gtk_widget_set_margin_top(box, 12);
        gtk_widget_set_margin_bottom(box, 12);
        if (it->explanation)
            gtk_box_append(GTK_BOX(box), wrapped_label(it->explanation, FALSE));
        if (it->fix) {
            GtkWidget *head = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
            GtkWidget *t = gtk_label_new(_("How to fix it"));
            gtk_widget_add_css_class(t, "heading");
            gtk_widget_set_hexpand(t, TRUE);
            gtk_label_set_xalign(GTK_LABEL(t), 0);
            gtk_box_append(GTK_BOX(head), t);
            GtkWidget *copy = gtk_button_new_with_mnemonic(_("_Copy"));
            gtk_widget_add_css_class(copy, "flat");
            g_object_set_data_full(G_OBJECT(copy), "text", g_strdup(it->fix), g_free);
            g_signal_connect(copy, "clicked", G_CALLBACK(on_copy), NULL);
            gtk_box_append(GTK_BOX(head), copy);
            gtk_box_append(GTK_BOX(box), head);
            GtkWidget *fix = wrapped_label(it->fix, TRUE);
            GtkWidget *frame = gtk_frame_new(NULL);
            gtk_widget_set_margin_start(fix, 8);
            gtk_widget_set_margin_end(fix, 8);
            gtk_widget_set_margin_top(fix, 8);
            gtk_widget_set_margin_bottom(fix, 8);
            gtk_frame_set_child(GTK_FRAME(frame), fix);
            gtk_box_append(GTK_BOX(box), frame);
        }
        adw_expander_row_add_row(ADW_EXPANDER_ROW(row), box);
        /* failures open themselves */
        adw_expander_row_set_expanded(ADW_EXPANDER_ROW(row), it->status == HAKO_CHECK_FAIL);
    } else {
        row = adw_action_row_new();
        adw_action_row_add_prefix(ADW_ACTION_ROW(row), icon);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), it->summary);
    }
    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), it->title);
    gtk_widget_set_name(row, it->id);
    return row;
}

static void show_results(HakoHostCheckWindow *self)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->list))))
        gtk_list_box_remove(self->list, child);
    GPtrArray *items = hako_host_check_get_items(self->check);
    for (guint i = 0; i < items->len; i++)
        gtk_list_box_append(self->list, make_row(items->pdata[i]));
    HakoCheckStatus worst = hako_host_check_get_worst(self->check);
    gtk_spinner_stop(self->spinner);
    gtk_widget_set_visible(GTK_WIDGET(self->spinner), FALSE);
    switch (worst) {
    case HAKO_CHECK_FAIL:
        gtk_image_set_from_icon_name(self->status_icon, "dialog-error-symbolic");
        gtk_label_set_text(self->status_title, _("Virtual Machines Cannot Run Yet"));
        gtk_label_set_text(self->status_description,
                           _("Fix the failed checks below, then check again."));
        break;
    case HAKO_CHECK_WARN:
        gtk_image_set_from_icon_name(self->status_icon, "dialog-warning-symbolic");
        gtk_label_set_text(self->status_title, _("Virtual Machines Can Run, With Limits"));
        gtk_label_set_text(self->status_description,
                           _("The warnings below say what works less well here."));
        break;
    default:
        gtk_image_set_from_icon_name(self->status_icon, "emblem-ok-symbolic");
        gtk_label_set_text(self->status_title, _("Ready for Virtual Machines"));
        gtk_label_set_text(self->status_description, "");
        break;
    }
}

static void on_checked(GObject *src, GAsyncResult *res, gpointer data)
{
    g_autoptr(HakoHostCheckWindow) self = data;
    hako_host_check_run_finish(HAKO_HOST_CHECK(src), res, NULL);
    self->running = FALSE;
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "check.run", TRUE);
    if (gtk_widget_get_root(GTK_WIDGET(self)))
        show_results(self);
}

static void run(HakoHostCheckWindow *self)
{
    if (self->running)
        return;
    self->running = TRUE;
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "check.run", FALSE);
    gtk_image_set_from_icon_name(self->status_icon, "computer-symbolic");
    gtk_label_set_text(self->status_title, _("Checking…"));
    gtk_label_set_text(self->status_description,
                       _("The processor, the kernel’s KVM, /dev/kvm, guest speed and firmware"));
    gtk_widget_set_visible(GTK_WIDGET(self->spinner), TRUE);
    gtk_spinner_start(self->spinner);
    g_clear_object(&self->check);
    self->check = hako_host_check_new(hako_paths_host_root());
    hako_host_check_run_async(self->check, NULL, on_checked, g_object_ref(self));
}

static void act_run(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    run(HAKO_HOST_CHECK_WINDOW(w));
}

static void hako_host_check_window_dispose(GObject *object)
{
    HakoHostCheckWindow *self = HAKO_HOST_CHECK_WINDOW(object);
    gtk_widget_dispose_template(GTK_WIDGET(self), HAKO_TYPE_HOST_CHECK_WINDOW);
    G_OBJECT_CLASS(hako_host_check_window_parent_class)->dispose(object);
}

static void hako_host_check_window_finalize(GObject *object)
{
    g_clear_object(&HAKO_HOST_CHECK_WINDOW(object)->check);
    G_OBJECT_CLASS(hako_host_check_window_parent_class)->finalize(object);
}

static void hako_host_check_window_class_init(HakoHostCheckWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = hako_host_check_window_dispose;
    oc->finalize = hako_host_check_window_finalize;
    gtk_widget_class_set_template_from_resource(wc,
                                                "/io/github/hakovm/Hako/hako-host-check-window.ui");
    gtk_widget_class_bind_template_child(wc, HakoHostCheckWindow, status_icon);
    gtk_widget_class_bind_template_child(wc, HakoHostCheckWindow, status_title);
    gtk_widget_class_bind_template_child(wc, HakoHostCheckWindow, status_description);
    gtk_widget_class_bind_template_child(wc, HakoHostCheckWindow, spinner);
    gtk_widget_class_bind_template_child(wc, HakoHostCheckWindow, list);
    gtk_widget_class_install_action(wc, "check.run", NULL, act_run);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void hako_host_check_window_init(HakoHostCheckWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

static HakoHostCheckWindow *find_open(void)
{
    GListModel *toplevels = gtk_window_get_toplevels();
    for (guint i = 0; i < g_list_model_get_n_items(toplevels); i++) {
        g_autoptr(GObject) w = g_list_model_get_item(toplevels, i);
        if (HAKO_IS_HOST_CHECK_WINDOW(w))
            return HAKO_HOST_CHECK_WINDOW(w);
    }
    return NULL;
}

static HakoHostCheckWindow *open_window(GtkWindow *parent)
{
    HakoHostCheckWindow *self = find_open();
    if (!self)
        self = g_object_new(HAKO_TYPE_HOST_CHECK_WINDOW, "transient-for", parent, "application",
                            parent ? gtk_window_get_application(parent) : NULL, NULL);
    gtk_window_present(GTK_WINDOW(self));
    return self;
}

HakoHostCheckWindow *hako_host_check_window_present(GtkWindow *parent)
{
    HakoHostCheckWindow *self = open_window(parent);
    run(self);
    return self;
}

void hako_host_check_window_first_run(GtkWindow *parent, gboolean library_empty)
{
    g_autoptr(GSettings) settings = g_settings_new(HAKO_APP_ID);
    if (!library_empty || g_settings_get_boolean(settings, "host-checked"))
        return;
    g_settings_set_boolean(settings, "host-checked", TRUE);
    hako_host_check_window_present(parent);
}
