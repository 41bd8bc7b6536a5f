/* Whether toasts fit: each message (translated in the current locale) is shown as the app shows
 * toasts (hako_toast_new) in a window of the given width, and its title checked for ellipsizing
 * (AdwToast titles are one line: a long message ends in "…" and its end is lost). Prints one line
 * per message; exit status 1 when any is cut. Used by toast_fit.py under Xvfb.
 *
 *   toast-fit WIDTH MSGID...
 */
#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "hako-gtk-util.h"
#include "hako-paths.h"

typedef struct {
    AdwToastOverlay *overlay;
    char **msgids;
    int next, cut, frames, pause;
    GtkWindow *window;
    AdwToast *toast;
} Run;

/* The first GtkLabel under w whose text is text. */
static GtkLabel *find_label(GtkWidget *w, const char *text)
{
    if (GTK_IS_LABEL(w) && g_str_equal(gtk_label_get_text(GTK_LABEL(w)), text))
        return GTK_LABEL(w);
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
        GtkLabel *l = find_label(c, text);
        if (l)
            return l;
    }
    return NULL;
}

static gboolean step(gpointer data)
{
    Run *r = data;
    if (r->toast) {
        const char *text = _(r->msgids[r->next]);
        GtkLabel *l = find_label(GTK_WIDGET(r->overlay), text);
        if (!l || !gtk_widget_get_mapped(GTK_WIDGET(l)) ||
            gtk_widget_get_width(GTK_WIDGET(l)) <= 0) {
            if (++r->frames < 200)
                return G_SOURCE_CONTINUE;
            printf("NOT SHOWN %s\n", text);
            r->cut++;
        } else {
            gboolean cut = pango_layout_is_ellipsized(gtk_label_get_layout(l));
            printf("%s %s\n", cut ? "CUT" : "fits", text);
            r->cut += cut;
        }
        adw_toast_dismiss(r->toast);
        g_clear_object(&r->toast);
        r->next++;
        r->frames = 0;
        r->pause = 10; /* the toast's hide animation ends before the next one comes */
        fflush(stdout);
        return G_SOURCE_CONTINUE;
    }
    if (r->pause) {
        r->pause--;
        return G_SOURCE_CONTINUE;
    }
    if (!r->msgids[r->next]) {
        /* the last toast's animation ends before its window goes (libadwaita 1.2 crashes
         * otherwise) */
        if (++r->frames < 20)
            return G_SOURCE_CONTINUE;
        gtk_window_destroy(r->window);
        return G_SOURCE_REMOVE;
    }
    r->toast = g_object_ref(hako_toast_new(_(r->msgids[r->next])));
    adw_toast_set_timeout(r->toast, 0);
    adw_toast_overlay_add_toast(r->overlay, g_object_ref(r->toast));
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    hako_paths_init();
    bindtextdomain("hako", hako_paths_localedir());
    bind_textdomain_codeset("hako", "UTF-8");
    textdomain("hako");
    if (argc < 3) {
        fprintf(stderr, "usage: toast-fit WIDTH MSGID...\n");
        return 2;
    }
    adw_init();
    Run r = {0};
    r.msgids = argv + 2;
    r.window = GTK_WINDOW(adw_window_new());
    gtk_window_set_default_size(r.window, atoi(argv[1]), 400);
    gtk_window_set_resizable(r.window, FALSE);
    r.overlay = ADW_TOAST_OVERLAY(adw_toast_overlay_new());
    adw_toast_overlay_set_child(r.overlay, gtk_label_new(""));
    adw_window_set_content(ADW_WINDOW(r.window), GTK_WIDGET(r.overlay));
    gtk_window_present(r.window);
    g_timeout_add(50, step, &r);
    while (g_list_model_get_n_items(gtk_window_get_toplevels()) > 0)
        g_main_context_iteration(NULL, TRUE);
    return r.cut ? 1 : 0;
}
