#include "hako-gtk-util.h"

#include <time.h>

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

gboolean hako_bench_enabled(void)
{
    static gsize once;
    static gboolean on;
    if (g_once_init_enter(&once)) {
        on = g_getenv("HAKO_BENCH_TIMING") != NULL;
        g_once_init_leave(&once, 1);
    }
    return on;
}

void hako_bench_mark(const char *what)
{
    hako_bench_mark_detail(what, NULL);
}

void hako_bench_mark_detail(const char *what, const char *detail)
{
    if (!hako_bench_enabled())
        return;
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    g_printerr("hako-bench: %s %" G_GINT64_FORMAT " cpu=%" G_GINT64_FORMAT "%s%s\n", what,
               g_get_monotonic_time(), (gint64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
               detail ? " " : "", detail ? detail : "");
}

AdwToast *hako_toast_new(const char *text)
{
    g_autofree char *markup = g_markup_escape_text(text ? text : "", -1);
    return adw_toast_new(markup);
}
