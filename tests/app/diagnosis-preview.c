/* Renders HakoDiagnosisPage for a facts timeline (hako-vmm --diagnose=json) into a PNG, the way
 * the VM view shows it instead of a black screen. Used to look at the page in English and
 * Japanese without a whole VM library (tests/app/diagnosis_shots.py runs it under Xvfb).
 *
 *   diagnosis-preview FACTS.json OUT.png [--firmware bios|uefi|raw] [--memory MIB]
 *                     [--media bios|efi|both] [--elapsed S] [--ended STATUS] [--expand]
 *                     [--width W --height H]
 */
#include <adwaita.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <locale.h>

#include "hako-diagnosis-page.h"
#include "hako-paths.h"
#include "../unit/facts-json.h"

typedef struct {
    GtkWidget *window;
    const char *out;
    int status;
} Shot;

static gboolean take(gpointer data)
{
    Shot *s = data;
    GdkPaintable *p = gtk_widget_paintable_new(s->window);
    int w = gtk_widget_get_width(s->window), h = gtk_widget_get_height(s->window);
    GtkSnapshot *snap = gtk_snapshot_new();
    gdk_paintable_snapshot(p, snap, w, h);
    GskRenderNode *node = gtk_snapshot_free_to_node(snap);
    GskRenderer *r = gtk_native_get_renderer(GTK_NATIVE(s->window));
    if (node && r) {
        graphene_rect_t bounds = GRAPHENE_RECT_INIT(0, 0, (float)w, (float)h);
        GdkTexture *t = gsk_renderer_render_texture(r, node, &bounds);
        s->status = gdk_texture_save_to_png(t, s->out) ? 0 : 1;
        g_object_unref(t);
    }
    if (node)
        gsk_render_node_unref(node);
    g_object_unref(p);
    gtk_window_destroy(GTK_WINDOW(s->window));
    return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    hako_paths_init();
    bindtextdomain("hako", hako_paths_localedir());
    bind_textdomain_codeset("hako", "UTF-8");
    textdomain("hako");
    if (argc < 3) {
        fprintf(stderr, "usage: diagnosis-preview FACTS.json OUT.png [options]\n");
        return 2;
    }
    const char *firmware = "uefi", *media = NULL;
    guint memory = 1024;
    double elapsed = -1;
    int ended = -1, width = 1000, height = 820;
    gboolean expand = FALSE;
    for (int i = 3; i < argc; i++) {
        gboolean more = i + 1 < argc;
        if (g_str_equal(argv[i], "--firmware") && more)
            firmware = argv[++i];
        else if (g_str_equal(argv[i], "--memory") && more)
            memory = (guint)atoi(argv[++i]);
        else if (g_str_equal(argv[i], "--media") && more)
            media = argv[++i];
        else if (g_str_equal(argv[i], "--elapsed") && more)
            elapsed = g_ascii_strtod(argv[++i], NULL);
        else if (g_str_equal(argv[i], "--ended") && more)
            ended = atoi(argv[++i]);
        else if (g_str_equal(argv[i], "--width") && more)
            width = atoi(argv[++i]);
        else if (g_str_equal(argv[i], "--height") && more)
            height = atoi(argv[++i]);
        else if (g_str_equal(argv[i], "--expand"))
            expand = TRUE;
    }
    adw_init();
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    if (!json_parser_load_from_file(parser, argv[1], &err)) {
        fprintf(stderr, "%s\n", err->message);
        return 2;
    }
    HakoDiagnosis *d = hako_diagnosis_new();
    HakoDiagnosisSettings st = {0};
    st.firmware = g_str_equal(firmware, "uefi")  ? HAKO_DIAGNOSIS_FIRMWARE_UEFI
                  : g_str_equal(firmware, "raw") ? HAKO_DIAGNOSIS_FIRMWARE_RAW
                                                 : HAKO_DIAGNOSIS_FIRMWARE_BIOS;
    st.memory_mib = memory;
    if (media) {
        st.media_known = TRUE;
        st.media_bios_boot = strstr(media, "bios") || strstr(media, "both");
        st.media_efi_boot = strstr(media, "efi") || strstr(media, "both");
    }
    hako_diagnosis_set_settings(d, &st);
    JsonArray *arr =
        json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "facts");
    double last = facts_json_add(d, arr);
    hako_diagnosis_set_elapsed(d, elapsed >= 0 ? elapsed : last + 1);
    if (ended >= 0)
        hako_diagnosis_set_engine(d, TRUE, ended, NULL);
    hako_diagnosis_evaluate(d);
    printf("%s: %s\n", hako_diagnosis_cause_to_string(hako_diagnosis_get_cause(d)),
           hako_diagnosis_get_title(d));

    GtkWidget *page = hako_diagnosis_page_new();
    hako_diagnosis_page_set_diagnosis(HAKO_DIAGNOSIS_PAGE(page), d);
    if (expand) {
        GtkWidget *w = page;
        /* open the details expander: find it by type */
        GPtrArray *stack = g_ptr_array_new();
        g_ptr_array_add(stack, w);
        while (stack->len) {
            GtkWidget *x = g_ptr_array_steal_index(stack, stack->len - 1);
            if (GTK_IS_EXPANDER(x))
                gtk_expander_set_expanded(GTK_EXPANDER(x), TRUE);
            for (GtkWidget *c = gtk_widget_get_first_child(x); c;
                 c = gtk_widget_get_next_sibling(c))
                g_ptr_array_add(stack, c);
        }
        g_ptr_array_unref(stack);
    }
    GtkWidget *win = adw_window_new();
    gtk_window_set_default_size(GTK_WINDOW(win), width, height);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *header = adw_header_bar_new();
    adw_header_bar_set_title_widget(ADW_HEADER_BAR(header),
                                    adw_window_title_new(_("Virtual Machine"), NULL));
    gtk_box_append(GTK_BOX(box), header);
    gtk_widget_set_vexpand(page, TRUE);
    gtk_box_append(GTK_BOX(box), page);
    adw_window_set_content(ADW_WINDOW(win), box);
    Shot s = {win, argv[2], 1};
    gtk_window_present(GTK_WINDOW(win));
    g_timeout_add(1500, take, &s);
    while (g_list_model_get_n_items(gtk_window_get_toplevels()) > 0)
        g_main_context_iteration(NULL, TRUE);
    g_object_unref(d);
    return s.status;
}
