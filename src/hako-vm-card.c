/* HakoVmCard: see hako-vm-card.h. */
#include "hako-vm-card.h"

#include <glib/gi18n.h>

struct _HakoVmCard {
    GtkWidget parent_instance;
    GtkPicture *thumbnail;
    GtkImage *placeholder;
    GtkLabel *badge;
    GtkLabel *name_label;
    GtkLabel *subtitle_label;
    HakoVm *vm;
};

G_DEFINE_FINAL_TYPE(HakoVmCard, hako_vm_card, GTK_TYPE_WIDGET)

enum { SIG_CONTEXT_MENU, N_SIGNALS };
static guint signals[N_SIGNALS];

static void set_badge(HakoVmCard *self, const char *text, const char *css)
{
    GtkWidget *b = GTK_WIDGET(self->badge);
    gtk_widget_set_visible(b, text != NULL);
    gtk_label_set_label(self->badge, text ? text : "");
    gtk_widget_remove_css_class(b, "error");
    gtk_widget_remove_css_class(b, "running");
    if (css)
        gtk_widget_add_css_class(b, css);
}

static void update(HakoVmCard *self)
{
    HakoVm *vm = self->vm;
    if (!vm)
        return;
    gtk_label_set_label(self->name_label, hako_vm_get_name(vm));
    const char *problem = hako_vm_get_problem(vm);
    g_autofree char *subtitle = NULL;
    if (problem) {
        subtitle = g_strdup(problem);
        set_badge(self, _("Cannot Be Read"), "error");
        gtk_image_set_from_icon_name(self->placeholder, "dialog-warning-symbolic");
        gtk_widget_set_tooltip_text(GTK_WIDGET(self->subtitle_label), problem);
    } else {
        HakoVmState st = hako_vm_get_state(vm);
        const char *os = hako_vm_get_os_name(vm);
        const char *state = hako_vm_state_to_string(st);
        subtitle =
            os && *os ? g_strdup_printf(C_("os and state", "%s · %s"), os, state) : g_strdup(state);
        set_badge(self, st != HAKO_VM_STATE_STOPPED ? state : NULL,
                  st == HAKO_VM_STATE_FAILED    ? "error"
                  : st == HAKO_VM_STATE_RUNNING ? "running"
                                                : NULL);
        gtk_image_set_from_icon_name(self->placeholder, "computer-symbolic");
        gtk_widget_set_tooltip_text(GTK_WIDGET(self->subtitle_label), NULL);
    }
    gtk_label_set_label(self->subtitle_label, subtitle);

    GdkTexture *tex = problem ? NULL : hako_vm_get_thumbnail(vm);
    gtk_picture_set_paintable(self->thumbnail, GDK_PAINTABLE(tex));
    gtk_widget_set_visible(GTK_WIDGET(self->placeholder), tex == NULL);

    g_autofree char *access = g_strdup_printf("%s, %s", hako_vm_get_name(vm), subtitle);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL, access, -1);
}

void hako_vm_card_set_vm(HakoVmCard *self, HakoVm *vm)
{
    if (self->vm == vm)
        return;
    if (self->vm) {
        g_signal_handlers_disconnect_by_data(self->vm, self);
        hako_vm_release_thumbnail(self->vm);
        g_clear_object(&self->vm);
    }
    if (!vm) {
        gtk_picture_set_paintable(self->thumbnail, NULL);
        return;
    }
    self->vm = g_object_ref(vm);
    g_signal_connect_swapped(vm, "notify::name", G_CALLBACK(update), self);
    g_signal_connect_swapped(vm, "notify::os-name", G_CALLBACK(update), self);
    g_signal_connect_swapped(vm, "notify::state", G_CALLBACK(update), self);
    g_signal_connect_swapped(vm, "notify::thumbnail", G_CALLBACK(update), self);
    g_signal_connect_swapped(vm, "notify::problem", G_CALLBACK(update), self);
    hako_vm_hold_thumbnail(vm); /* read from its file while the card shows it */
    update(self);
}

HakoVm *hako_vm_card_get_vm(HakoVmCard *self)
{
    return self->vm;
}

static void on_context(GtkGestureClick *gesture, int n, double x, double y, gpointer data)
{
    HakoVmCard *self = data;
    (void)n;
    if (gesture)
        gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_CLAIMED);
    if (self->vm)
        g_signal_emit(self, signals[SIG_CONTEXT_MENU], 0, x, y);
}

static void on_long_press(GtkGestureLongPress *gesture, double x, double y, gpointer data)
{
    (void)gesture;
    on_context(NULL, 1, x, y, data);
}

static void hako_vm_card_dispose(GObject *object)
{
    HakoVmCard *self = HAKO_VM_CARD(object);
    hako_vm_card_set_vm(self, NULL);
    gtk_widget_dispose_template(GTK_WIDGET(self), HAKO_TYPE_VM_CARD);
    /* the template's top-level children that are not bound (the AdwClamp) stay parented */
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self))))
        gtk_widget_unparent(child);
    G_OBJECT_CLASS(hako_vm_card_parent_class)->dispose(object);
}

static void hako_vm_card_class_init(HakoVmCardClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = hako_vm_card_dispose;
    gtk_widget_class_set_template_from_resource(wc, "/io/github/hakovm/Hako/hako-vm-card.ui");
    gtk_widget_class_bind_template_child(wc, HakoVmCard, thumbnail);
    gtk_widget_class_bind_template_child(wc, HakoVmCard, placeholder);
    gtk_widget_class_bind_template_child(wc, HakoVmCard, badge);
    gtk_widget_class_bind_template_child(wc, HakoVmCard, name_label);
    gtk_widget_class_bind_template_child(wc, HakoVmCard, subtitle_label);
    gtk_widget_class_set_css_name(wc, "hako-vm-card");
    gtk_widget_class_set_accessible_role(wc, GTK_ACCESSIBLE_ROLE_GROUP);
    signals[SIG_CONTEXT_MENU] =
        g_signal_new("context-menu", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
}

static void hako_vm_card_init(HakoVmCard *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    GtkGesture *click = gtk_gesture_click_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_SECONDARY);
    g_signal_connect(click, "pressed", G_CALLBACK(on_context), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
    GtkGesture *lp = gtk_gesture_long_press_new();
    gtk_gesture_single_set_touch_only(GTK_GESTURE_SINGLE(lp), TRUE);
    g_signal_connect(lp, "pressed", G_CALLBACK(on_long_press), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(lp));
}

GtkWidget *hako_vm_card_new(void)
{
    return g_object_new(HAKO_TYPE_VM_CARD, NULL);
}
