/* HakoNetworkInfo: see hako-network-info.h. */
#include "hako-network-info.h"

#include <glib/gi18n.h>

#include "hako-format.h"

struct _HakoNetworkInfo {
    GtkPopover parent_instance;

    GtkImage *icon;
    GtkLabel *title, *explanation, *fix, *counters;
    GtkGrid *steps;
    GtkButton *settings_button;
    GtkWidget *step_icon[HAKO_NET_N_STEPS], *step_label[HAKO_NET_N_STEPS],
        *step_detail[HAKO_NET_N_STEPS];

    HakoVm *vm;
    HakoEngine *engine;
    gint64 engine_started; /* monotonic µs, when the engine appeared */
    guint tick;
    HakoNetDiagnosis *diagnosis;
    int shown_cause; /* the verdict ::changed last announced, -1 none */
};

G_DEFINE_FINAL_TYPE(HakoNetworkInfo, hako_network_info, GTK_TYPE_POPOVER)

enum { SIG_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void update(HakoNetworkInfo *self);

/* Widgets are touched only when what they show changes: every change is also an accessibility
 * event, and the verdict is re-evaluated every second while it is pending. */
static void set_label(GtkLabel *l, const char *text)
{
    if (g_strcmp0(gtk_label_get_text(l), text) != 0)
        gtk_label_set_text(l, text);
}

static void set_icon(GtkImage *img, const char *name)
{
    if (g_strcmp0(gtk_image_get_icon_name(img), name) != 0)
        gtk_image_set_from_icon_name(img, name);
}

static void set_visible(GtkWidget *w, gboolean on)
{
    if (gtk_widget_get_visible(w) != on)
        gtk_widget_set_visible(w, on);
}

static void set_style(GtkWidget *w, const char *cls)
{
    static const char *const all[] = {"success", "error", "dim-label"};
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
        gboolean want = g_str_equal(all[i], cls);
        if (gtk_widget_has_css_class(w, all[i]) != want) {
            if (want)
                gtk_widget_add_css_class(w, all[i]);
            else
                gtk_widget_remove_css_class(w, all[i]);
        }
    }
}

/* "120 frames (1.2 MB)": the plural follows the count, sizes below 1 kB from Hako's catalog */
static char *traffic(guint64 frames, guint64 bytes)
{
    g_autofree char *size = hako_format_size(bytes, G_FORMAT_SIZE_DEFAULT);
    g_autofree char *count = g_strdup_printf("%" G_GUINT64_FORMAT, frames);
    return g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE, "%s frame (%s)", "%s frames (%s)", (gulong)frames), count,
        size);
}

static gboolean on_tick(gpointer data)
{
    update(data);
    return G_SOURCE_CONTINUE;
}

static void update(HakoNetworkInfo *self)
{
    HakoNetDiagnosis *d = self->diagnosis;
    gboolean running = FALSE;
    if (self->vm) {
        HakoVmState st = hako_vm_get_state(self->vm);
        running = st == HAKO_VM_STATE_RUNNING || st == HAKO_VM_STATE_PAUSED;
        hako_net_diagnosis_load_settings(d, hako_vm_get_config(self->vm));
    }
    double elapsed =
        self->engine_started ? (double)(g_get_monotonic_time() - self->engine_started) / 1e6 : 0;
    hako_net_diagnosis_set_engine(d, running && self->engine, elapsed);
    if (self->engine) {
        GArray *facts = hako_engine_get_facts(self->engine);
        hako_net_diagnosis_set_facts(d, (const struct hk_fact *)facts->data, facts->len);
        hako_net_diagnosis_set_state(d, hako_engine_get_net(self->engine));
    } else {
        hako_net_diagnosis_set_facts(d, NULL, 0);
        hako_net_diagnosis_set_state(d, NULL);
    }
    hako_net_diagnosis_evaluate(d);

    set_icon(self->icon, hako_net_diagnosis_get_icon_name(d));
    set_label(self->title, hako_net_diagnosis_get_title(d));
    set_label(self->explanation, hako_net_diagnosis_get_explanation(d));
    const char *fix = hako_net_diagnosis_get_fix(d);
    set_label(self->fix, fix);
    set_visible(GTK_WIDGET(self->fix), *fix != 0);

    HakoNetCause cause = hako_net_diagnosis_get_cause(d);
    gboolean show_steps = cause != HAKO_NET_CAUSE_OFF && cause != HAKO_NET_CAUSE_NOT_RUNNING;
    set_visible(GTK_WIDGET(self->steps), show_steps);
    for (int i = 0; i < HAKO_NET_N_STEPS; i++) {
        const char *label, *detail;
        HakoNetStepState st = hako_net_diagnosis_get_step(d, (HakoNetStep)i, &label, &detail);
        set_icon(GTK_IMAGE(self->step_icon[i]), st == HAKO_NET_STEP_DONE ? "object-select-symbolic"
                                                : st == HAKO_NET_STEP_FAILED
                                                    ? "dialog-error-symbolic"
                                                    : "content-loading-symbolic");
        set_style(self->step_icon[i], st == HAKO_NET_STEP_DONE     ? "success"
                                      : st == HAKO_NET_STEP_FAILED ? "error"
                                                                   : "dim-label");
        set_label(GTK_LABEL(self->step_label[i]), label);
        set_label(GTK_LABEL(self->step_detail[i]), detail);
    }
    const struct hk_msg_net *n = self->engine ? hako_engine_get_net(self->engine) : NULL;
    if (n && running) {
        g_autofree char *rx = traffic(n->rx_frames, n->rx_bytes);
        g_autofree char *tx = traffic(n->tx_frames, n->tx_bytes);
        /* Translators: "Received 120 frames (1.2 MB), sent 98 frames (8.1 kB)" */
        g_autofree char *text = g_strdup_printf(_("Received %s, sent %s"), rx, tx);
        set_label(self->counters, text);
        set_visible(GTK_WIDGET(self->counters), TRUE);
    } else {
        set_visible(GTK_WIDGET(self->counters), FALSE);
    }
    /* while the verdict may still change by itself: look again every second */
    gboolean want_tick = running && hako_net_diagnosis_is_pending(d);
    if (want_tick && !self->tick)
        self->tick = g_timeout_add_seconds(1, on_tick, self);
    else if (!want_tick && self->tick)
        g_clear_handle_id(&self->tick, g_source_remove);
    if ((int)cause != self->shown_cause) {
        self->shown_cause = (int)cause;
        g_signal_emit(self, signals[SIG_CHANGED], 0);
    }
}

static void on_changed(gpointer data)
{
    update(data);
}

static void on_vm_engine(HakoVm *vm, GParamSpec *pspec, gpointer data)
{
    HakoNetworkInfo *self = data;
    (void)pspec;
    HakoEngine *e = vm ? hako_vm_get_engine(vm) : NULL;
    if (e != self->engine) {
        if (self->engine)
            g_signal_handlers_disconnect_by_data(self->engine, self);
        g_set_object(&self->engine, e);
        if (e) {
            self->engine_started = g_get_monotonic_time();
            g_signal_connect_swapped(e, "fact", G_CALLBACK(on_changed), self);
            g_signal_connect_swapped(e, "net-changed", G_CALLBACK(on_changed), self);
        }
    }
    update(self);
}

void hako_network_info_set_vm(HakoNetworkInfo *self, HakoVm *vm)
{
    if (self->vm == vm)
        return;
    if (self->vm)
        g_signal_handlers_disconnect_by_data(self->vm, self);
    g_set_object(&self->vm, vm);
    if (vm) {
        g_signal_connect(vm, "notify::engine", G_CALLBACK(on_vm_engine), self);
        g_signal_connect_swapped(vm, "notify::state", G_CALLBACK(on_changed), self);
    }
    on_vm_engine(vm, NULL, self);
}

HakoNetDiagnosis *hako_network_info_get_diagnosis(HakoNetworkInfo *self)
{
    return self->diagnosis;
}

HakoNetworkInfo *hako_network_info_new(void)
{
    return g_object_new(HAKO_TYPE_NETWORK_INFO, NULL);
}

static void hako_network_info_dispose(GObject *object)
{
    HakoNetworkInfo *self = HAKO_NETWORK_INFO(object);
    g_clear_handle_id(&self->tick, g_source_remove);
    if (self->engine)
        g_signal_handlers_disconnect_by_data(self->engine, self);
    g_clear_object(&self->engine);
    if (self->vm)
        g_signal_handlers_disconnect_by_data(self->vm, self);
    g_clear_object(&self->vm);
    g_clear_object(&self->diagnosis);
    gtk_widget_dispose_template(GTK_WIDGET(object), HAKO_TYPE_NETWORK_INFO);
    G_OBJECT_CLASS(hako_network_info_parent_class)->dispose(object);
}

static void hako_network_info_class_init(HakoNetworkInfoClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = hako_network_info_dispose;
    gtk_widget_class_set_template_from_resource(wc, "/io/github/hakovm/Hako/hako-network-info.ui");
    gtk_widget_class_bind_template_child(wc, HakoNetworkInfo, icon);
    gtk_widget_class_bind_template_child(wc, HakoNetworkInfo, title);
    gtk_widget_class_bind_template_child(wc, HakoNetworkInfo, explanation);
    gtk_widget_class_bind_template_child(wc, HakoNetworkInfo, fix);
    gtk_widget_class_bind_template_child(wc, HakoNetworkInfo, counters);
    gtk_widget_class_bind_template_child(wc, HakoNetworkInfo, steps);
    gtk_widget_class_bind_template_child(wc, HakoNetworkInfo, settings_button);
    /* ::changed: the verdict was evaluated again */
    signals[SIG_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void hako_network_info_init(HakoNetworkInfo *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->diagnosis = hako_net_diagnosis_new();
    self->shown_cause = -1;
    /* the settings window opens: the popover goes */
    g_signal_connect_swapped(self->settings_button, "clicked", G_CALLBACK(gtk_popover_popdown),
                             self);
    for (int i = 0; i < HAKO_NET_N_STEPS; i++) {
        self->step_icon[i] = gtk_image_new();
        self->step_label[i] = gtk_label_new("");
        self->step_detail[i] = gtk_label_new("");
        gtk_label_set_xalign(GTK_LABEL(self->step_label[i]), 0);
        gtk_label_set_xalign(GTK_LABEL(self->step_detail[i]), 0);
        gtk_label_set_ellipsize(GTK_LABEL(self->step_detail[i]), PANGO_ELLIPSIZE_END);
        gtk_label_set_max_width_chars(GTK_LABEL(self->step_detail[i]), 28);
        gtk_widget_set_hexpand(self->step_detail[i], TRUE);
        gtk_widget_add_css_class(self->step_detail[i], "dim-label");
        gtk_grid_attach(self->steps, self->step_icon[i], 0, i, 1, 1);
        gtk_grid_attach(self->steps, self->step_label[i], 1, i, 1, 1);
        gtk_grid_attach(self->steps, self->step_detail[i], 2, i, 1, 1);
    }
    update(self);
}
