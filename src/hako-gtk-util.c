#include "hako-gtk-util.h"

static void sync_hidden_pages(GtkStack *stack)
{
    GtkWidget *visible = gtk_stack_get_visible_child(stack);
    for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(stack)); c;
         c = gtk_widget_get_next_sibling(c))
        gtk_accessible_update_state(GTK_ACCESSIBLE(c), GTK_ACCESSIBLE_STATE_HIDDEN, c != visible,
                                    -1);
}

void hako_stack_track_hidden_pages(GtkStack *stack)
{
    g_signal_connect(stack, "notify::visible-child", G_CALLBACK(sync_hidden_pages), NULL);
    sync_hidden_pages(stack);
}
