/* Opens HakoPreferences at a given width and reports every label in its rows that Pango had to
 * cut ("左 Ctrl ..."): the values the rows show must be readable in every language, down to the
 * narrowest width the window allows. tests/app/prefs_fit.py runs it under Xvfb, in English and
 * Japanese.
 *
 *   prefs-fit WIDTH      exit 0: nothing cut; 1: labels cut (printed); 2: usage or setup */
#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "hako-paths.h"
#include "hako-preferences.h"

typedef struct {
    GtkWidget *window;
    int status;
} Fit;

static void check_labels(GtkWidget *w, Fit *fit, gboolean in_row)
{
    in_row = in_row || ADW_IS_ACTION_ROW(w);
    if (GTK_IS_LABEL(w) && in_row && gtk_widget_get_mapped(w)) {
        PangoLayout *layout = gtk_label_get_layout(GTK_LABEL(w));
        const char *text = gtk_label_get_text(GTK_LABEL(w));
        gboolean cut = pango_layout_is_ellipsized(layout);
        printf("%s  %s (%d px)\n", cut ? "CUT" : "ok ", text, gtk_widget_get_width(w));
        if (cut)
            fit->status = 1;
    }
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
        check_labels(c, fit, in_row);
}

static gboolean check(gpointer data)
{
    Fit *fit = data;
    printf("window %d x %d\n", gtk_widget_get_width(fit->window),
           gtk_widget_get_height(fit->window));
    check_labels(fit->window, fit, FALSE);
    gtk_window_destroy(GTK_WINDOW(fit->window));
    return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    hako_paths_init();
    bindtextdomain("hako", hako_paths_localedir());
    bind_textdomain_codeset("hako", "UTF-8");
    textdomain("hako");
    if (argc != 2) {
        fprintf(stderr, "usage: prefs-fit WIDTH\n");
        return 2;
    }
    adw_init();
    Fit fit = {0};
    fit.window = GTK_WIDGET(hako_preferences_new(NULL));
    gtk_window_set_default_size(GTK_WINDOW(fit.window), atoi(argv[1]), 600);
    gtk_window_present(GTK_WINDOW(fit.window));
    g_timeout_add(1500, check, &fit);
    while (g_list_model_get_n_items(gtk_window_get_toplevels()) > 0)
        g_main_context_iteration(NULL, TRUE);
    return fit.status;
}
