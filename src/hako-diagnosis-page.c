/* HakoDiagnosisPage: see hako-diagnosis-page.h. */
#include "hako-diagnosis-page.h"

#include <glib/gi18n.h>

struct _HakoDiagnosisPage {
    AdwBin parent_instance;

    AdwStatusPage *status;
    GtkSpinner *spinner;
    GtkLabel *gop_label;
    GtkListBox *facts_list;
    AdwActionRow *cause_row;
    AdwActionRow *fix_row;
    GtkBox *actions_box;
    GtkExpander *details;
    GtkLabel *timeline_label;

    HakoDiagnosis *diagnosis;
};

G_DEFINE_FINAL_TYPE(HakoDiagnosisPage, hako_diagnosis_page, ADW_TYPE_BIN)

enum { SIG_ACTION, N_SIGNALS };
static guint signals[N_SIGNALS];

/* the order the buttons appear in, most useful first */
static const HakoDiagnosisActions action_order[] = {
    HAKO_DIAGNOSIS_ACTION_USE_FIRMWARE, HAKO_DIAGNOSIS_ACTION_USE_UEFI,
    HAKO_DIAGNOSIS_ACTION_USE_BIOS,     HAKO_DIAGNOSIS_ACTION_RAISE_MEMORY,
    HAKO_DIAGNOSIS_ACTION_ADD_DISPLAY,  HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE,
    HAKO_DIAGNOSIS_ACTION_RESTART,
};

char *hako_diagnosis_page_action_label(HakoDiagnosis *diagnosis, HakoDiagnosisActions action)
{
    switch (action) {
    case HAKO_DIAGNOSIS_ACTION_USE_BIOS: return g_strdup(_("Use _BIOS Firmware"));
    case HAKO_DIAGNOSIS_ACTION_USE_UEFI: return g_strdup(_("Use _UEFI Firmware"));
    case HAKO_DIAGNOSIS_ACTION_RAISE_MEMORY:
        return g_strdup_printf(_("Use %u MiB of _Memory"),
                               diagnosis ? hako_diagnosis_get_memory_mib(diagnosis) : 0);
    case HAKO_DIAGNOSIS_ACTION_USE_FIRMWARE: return g_strdup(_("Use the _Matching Files"));
    case HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE: return g_strdup(_("Open the Serial _Console"));
    case HAKO_DIAGNOSIS_ACTION_ADD_DISPLAY: return g_strdup(_("Add a _Display"));
    case HAKO_DIAGNOSIS_ACTION_RESTART: return g_strdup(_("_Restart"));
    default: return g_strdup("?");
    }
}

static void on_button(GtkButton *button, HakoDiagnosisPage *self)
{
    guint action = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(button), "hako-action"));
    g_signal_emit(self, signals[SIG_ACTION], 0, action);
}

static void clear_actions(HakoDiagnosisPage *self)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->actions_box))) != NULL)
        gtk_box_remove(self->actions_box, child);
}

void hako_diagnosis_page_update(HakoDiagnosisPage *self)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS_PAGE(self));
    clear_actions(self);
    HakoDiagnosis *d = self->diagnosis;
    if (!d) {
        adw_status_page_set_title(self->status, "");
        adw_status_page_set_description(self->status, NULL);
        gtk_widget_set_visible(GTK_WIDGET(self->facts_list), FALSE);
        gtk_widget_set_visible(GTK_WIDGET(self->details), FALSE);
        gtk_label_set_text(self->gop_label, "");
        gtk_spinner_set_spinning(self->spinner, FALSE);
        gtk_widget_set_visible(GTK_WIDGET(self->spinner), FALSE);
        return;
    }
    adw_status_page_set_icon_name(self->status, hako_diagnosis_get_icon_name(d));
    adw_status_page_set_title(self->status, hako_diagnosis_get_title(d));
    /* the description is Pango markup: escape the explanation */
    g_autofree char *desc = g_markup_escape_text(hako_diagnosis_get_explanation(d), -1);
    adw_status_page_set_description(self->status, desc);
    gtk_label_set_text(self->gop_label, hako_diagnosis_get_gop_status(d));

    const char *cause = hako_diagnosis_get_cause_text(d);
    const char *fix = hako_diagnosis_get_fix(d);
    g_autofree char *cause_esc = g_markup_escape_text(cause, -1);
    g_autofree char *fix_esc = g_markup_escape_text(fix, -1);
    adw_action_row_set_subtitle(self->cause_row, cause_esc);
    adw_action_row_set_subtitle(self->fix_row, fix_esc);
    gtk_widget_set_visible(GTK_WIDGET(self->cause_row), cause[0] != 0);
    gtk_widget_set_visible(GTK_WIDGET(self->fix_row), fix[0] != 0);
    gtk_widget_set_visible(GTK_WIDGET(self->facts_list), cause[0] || fix[0]);

    gboolean pending = hako_diagnosis_is_pending(d);
    gtk_widget_set_visible(GTK_WIDGET(self->spinner), pending);
    gtk_spinner_set_spinning(self->spinner, pending);

    HakoDiagnosisActions actions = hako_diagnosis_get_actions(d);
    gboolean first = TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(action_order); i++) {
        if (!(actions & action_order[i]))
            continue;
        g_autofree char *label = hako_diagnosis_page_action_label(d, action_order[i]);
        GtkWidget *b = gtk_button_new_with_mnemonic(label);
        gtk_widget_add_css_class(b, "pill");
        if (first)
            gtk_widget_add_css_class(b, "suggested-action");
        first = FALSE;
        g_object_set_data(G_OBJECT(b), "hako-action", GUINT_TO_POINTER(action_order[i]));
        g_signal_connect(b, "clicked", G_CALLBACK(on_button), self);
        gtk_box_append(self->actions_box, b);
    }
    gtk_widget_set_visible(GTK_WIDGET(self->actions_box), actions != 0);

    g_autofree char *timeline = hako_diagnosis_get_timeline(d);
    gtk_label_set_text(self->timeline_label, timeline);
    gtk_widget_set_visible(GTK_WIDGET(self->details), timeline[0] != 0);
}

void hako_diagnosis_page_set_diagnosis(HakoDiagnosisPage *self, HakoDiagnosis *diagnosis)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS_PAGE(self));
    if (diagnosis != self->diagnosis) {
        g_clear_object(&self->diagnosis);
        if (diagnosis)
            self->diagnosis = g_object_ref(diagnosis);
    }
    hako_diagnosis_page_update(self);
}

HakoDiagnosis *hako_diagnosis_page_get_diagnosis(HakoDiagnosisPage *self)
{
    g_return_val_if_fail(HAKO_IS_DIAGNOSIS_PAGE(self), NULL);
    return self->diagnosis;
}

GtkWidget *hako_diagnosis_page_new(void)
{
    return g_object_new(HAKO_TYPE_DIAGNOSIS_PAGE, NULL);
}

static void hako_diagnosis_page_dispose(GObject *object)
{
    HakoDiagnosisPage *self = HAKO_DIAGNOSIS_PAGE(object);
    g_clear_object(&self->diagnosis);
    G_OBJECT_CLASS(hako_diagnosis_page_parent_class)->dispose(object);
}

static void hako_diagnosis_page_class_init(HakoDiagnosisPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = hako_diagnosis_page_dispose;
    gtk_widget_class_set_template_from_resource(wc,
                                                "/io/github/hakovm/Hako/hako-diagnosis-page.ui");
    gtk_widget_class_bind_template_child(wc, HakoDiagnosisPage, status);
    gtk_widget_class_bind_template_child(wc, HakoDiagnosisPage, spinner);
    gtk_widget_class_bind_template_child(wc, HakoDiagnosisPage, gop_label);
    gtk_widget_class_bind_template_child(wc, HakoDiagnosisPage, facts_list);
    gtk_widget_class_bind_template_child(wc, HakoDiagnosisPage, cause_row);
    gtk_widget_class_bind_template_child(wc, HakoDiagnosisPage, fix_row);
    gtk_widget_class_bind_template_child(wc, HakoDiagnosisPage, actions_box);
    gtk_widget_class_bind_template_child(wc, HakoDiagnosisPage, details);
    gtk_widget_class_bind_template_child(wc, HakoDiagnosisPage, timeline_label);
    /* ::action(guint action): a HakoDiagnosisActions bit the user clicked */
    signals[SIG_ACTION] = g_signal_new("action", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void hako_diagnosis_page_init(HakoDiagnosisPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}
