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
    GtkPopoverMenu *menu;
    HakoVm *vm;
};

G_DEFINE_FINAL_TYPE(HakoVmCard, hako_vm_card, GTK_TYPE_WIDGET)

static void update(HakoVmCard *self)
{
    HakoVm *vm = self->vm;
    gtk_label_set_label(self->name_label, hako_vm_get_name(vm));
    HakoVmState st = hako_vm_get_state(vm);
    const char *os = hako_vm_get_os_name(vm);
    const char *state = hako_vm_state_to_string(st);
    g_autofree char *subtitle =
        os && *os ? g_strdup_printf(C_("os and state", "%s · %s"), os, state) : g_strdup(state);
    gtk_label_set_label(self->subtitle_label, subtitle);

    GdkTexture *tex = hako_vm_get_thumbnail(vm);
    gtk_picture_set_paintable(self->thumbnail, GDK_PAINTABLE(tex));
    gtk_widget_set_visible(GTK_WIDGET(self->placeholder), tex == NULL);

    gboolean badge = st != HAKO_VM_STATE_STOPPED;
    gtk_widget_set_visible(GTK_WIDGET(self->badge), badge);
    gtk_label_set_label(self->badge, state);
    gtk_widget_remove_css_class(GTK_WIDGET(self->badge), "error");
    gtk_widget_remove_css_class(GTK_WIDGET(self->badge), "running");
    if (st == HAKO_VM_STATE_FAILED)
        gtk_widget_add_css_class(GTK_WIDGET(self->badge), "error");
    else if (st == HAKO_VM_STATE_RUNNING)
        gtk_widget_add_css_class(GTK_WIDGET(self->badge), "running");

    g_autofree char *access = g_strdup_printf("%s, %s", hako_vm_get_name(vm), subtitle);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL, access, -1);
}

static void on_context(GtkGestureClick *gesture, int n, double x, double y, gpointer data)
{
    HakoVmCard *self = data;
    (void)gesture;
    (void)n;
    GdkRectangle r = {(int)x, (int)y, 1, 1};
    gtk_popover_set_pointing_to(GTK_POPOVER(self->menu), &r);
    gtk_popover_popup(GTK_POPOVER(self->menu));
}

static void on_long_press(GtkGestureLongPress *gesture, double x, double y, gpointer data)
{
    on_context(NULL, 1, x, y, data);
    (void)gesture;
}

HakoVm *hako_vm_card_get_vm(HakoVmCard *self)
{
    return self->vm;
}

static void hako_vm_card_dispose(GObject *object)
{
    HakoVmCard *self = HAKO_VM_CARD(object);
    if (self->vm)
        g_signal_handlers_disconnect_by_data(self->vm, self);
    g_clear_object(&self->vm);
    if (self->menu) {
        gtk_widget_unparent(GTK_WIDGET(self->menu));
        self->menu = NULL;
    }
    gtk_widget_dispose_template(GTK_WIDGET(self), HAKO_TYPE_VM_CARD);
    /* the template's top-level children that are not bound (the AdwClamp) stay parented */
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self))))
        gtk_widget_unparent(child);
    G_OBJECT_CLASS(hako_vm_card_parent_class)->dispose(object);
}

static void hako_vm_card_size_allocate(GtkWidget *widget, int w, int h, int baseline)
{
    GTK_WIDGET_CLASS(hako_vm_card_parent_class)->size_allocate(widget, w, h, baseline);
    HakoVmCard *self = HAKO_VM_CARD(widget);
    if (self->menu)
        gtk_popover_present(GTK_POPOVER(self->menu));
}

static void hako_vm_card_class_init(HakoVmCardClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = hako_vm_card_dispose;
    wc->size_allocate = hako_vm_card_size_allocate;
    gtk_widget_class_set_template_from_resource(wc, "/io/github/hakovm/Hako/hako-vm-card.ui");
    gtk_widget_class_bind_template_child(wc, HakoVmCard, thumbnail);
    gtk_widget_class_bind_template_child(wc, HakoVmCard, placeholder);
    gtk_widget_class_bind_template_child(wc, HakoVmCard, badge);
    gtk_widget_class_bind_template_child(wc, HakoVmCard, name_label);
    gtk_widget_class_bind_template_child(wc, HakoVmCard, subtitle_label);
    gtk_widget_class_set_css_name(wc, "hako-vm-card");
    gtk_widget_class_set_accessible_role(wc, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void hako_vm_card_init(HakoVmCard *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

GtkWidget *hako_vm_card_new(HakoVm *vm)
{
    HakoVmCard *self = g_object_new(HAKO_TYPE_VM_CARD, NULL);
    self->vm = g_object_ref(vm);
    g_signal_connect_swapped(vm, "notify::name", G_CALLBACK(update), self);
    g_signal_connect_swapped(vm, "notify::os-name", G_CALLBACK(update), self);
    g_signal_connect_swapped(vm, "notify::state", G_CALLBACK(update), self);
    g_signal_connect_swapped(vm, "notify::thumbnail", G_CALLBACK(update), self);

    g_autoptr(GMenu) menu = g_menu_new();
    g_autoptr(GMenuItem) open = g_menu_item_new(_("_Open"), NULL);
    g_menu_item_set_action_and_target(open, "win.open-vm", "s", hako_vm_get_id(vm));
    g_menu_append_item(menu, open);
    g_autoptr(GMenuItem) settings = g_menu_item_new(_("_Settings"), NULL);
    g_menu_item_set_action_and_target(settings, "win.vm-settings", "s", hako_vm_get_id(vm));
    g_menu_append_item(menu, settings);
    g_autoptr(GMenuItem) rename = g_menu_item_new(_("_Rename…"), NULL);
    g_menu_item_set_action_and_target(rename, "win.rename-vm", "s", hako_vm_get_id(vm));
    g_menu_append_item(menu, rename);
    g_autoptr(GMenuItem) del = g_menu_item_new(_("_Delete…"), NULL);
    g_menu_item_set_action_and_target(del, "win.delete-vm", "s", hako_vm_get_id(vm));
    g_menu_append_item(menu, del);
    self->menu = GTK_POPOVER_MENU(gtk_popover_menu_new_from_model(G_MENU_MODEL(menu)));
    gtk_popover_set_has_arrow(GTK_POPOVER(self->menu), FALSE);
    gtk_widget_set_halign(GTK_WIDGET(self->menu), GTK_ALIGN_START);
    gtk_widget_set_parent(GTK_WIDGET(self->menu), GTK_WIDGET(self));

    GtkGesture *click = gtk_gesture_click_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_SECONDARY);
    g_signal_connect(click, "pressed", G_CALLBACK(on_context), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
    GtkGesture *lp = gtk_gesture_long_press_new();
    gtk_gesture_single_set_touch_only(GTK_GESTURE_SINGLE(lp), TRUE);
    g_signal_connect(lp, "pressed", G_CALLBACK(on_long_press), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(lp));

    update(self);
    return GTK_WIDGET(self);
}
