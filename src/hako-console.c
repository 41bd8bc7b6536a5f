/* HakoConsole: see hako-console.h. */
#include "hako-console.h"

#include <glib/gi18n.h>
#include <vte/vte.h>

struct _HakoConsole {
    GtkWidget parent_instance;
    GtkWidget *scrolled;
    VteTerminal *terminal;
    HakoEngine *engine;
};

G_DEFINE_FINAL_TYPE(HakoConsole, hako_console, GTK_TYPE_WIDGET)

/* Serial lines end in "\n" (or "\r\n"): a bare LF would only move down in a terminal. */
static void feed(HakoConsole *self, const guint8 *data, gsize len)
{
    gsize start = 0;
    for (gsize i = 0; i < len; i++) {
        if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) {
            vte_terminal_feed(self->terminal, (const char *)data + start, (gssize)(i - start));
            vte_terminal_feed(self->terminal, "\r\n", 2);
            start = i + 1;
        }
    }
    if (start < len)
        vte_terminal_feed(self->terminal, (const char *)data + start, (gssize)(len - start));
}

static void on_serial_output(HakoEngine *engine, GBytes *bytes, gpointer data)
{
    (void)engine;
    gsize len;
    const guint8 *p = g_bytes_get_data(bytes, &len);
    feed(HAKO_CONSOLE(data), p, len);
}

static void on_commit(VteTerminal *terminal, const char *text, guint size, gpointer data)
{
    HakoConsole *self = data;
    (void)terminal;
    if (self->engine && size)
        hako_engine_serial_input(self->engine, (const guint8 *)text, size);
}

void hako_console_clear(HakoConsole *self)
{
    vte_terminal_reset(self->terminal, TRUE, TRUE);
}

void hako_console_set_engine(HakoConsole *self, HakoEngine *engine)
{
    if (self->engine == engine)
        return;
    if (self->engine)
        g_signal_handlers_disconnect_by_data(self->engine, self);
    g_set_object(&self->engine, engine);
    hako_console_clear(self);
    if (!engine)
        return;
    g_autoptr(GBytes) history = hako_engine_get_serial_history(engine);
    gsize len;
    const guint8 *p = g_bytes_get_data(history, &len);
    if (len)
        feed(self, p, len);
    g_signal_connect(engine, "serial-output", G_CALLBACK(on_serial_output), self);
}

static void hako_console_dispose(GObject *object)
{
    HakoConsole *self = HAKO_CONSOLE(object);
    if (self->engine)
        g_signal_handlers_disconnect_by_data(self->engine, self);
    g_clear_object(&self->engine);
    g_clear_pointer(&self->scrolled, gtk_widget_unparent);
    G_OBJECT_CLASS(hako_console_parent_class)->dispose(object);
}

static void hako_console_class_init(HakoConsoleClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = hako_console_dispose;
    gtk_widget_class_set_layout_manager_type(GTK_WIDGET_CLASS(klass), GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "hako-console");
}

static void hako_console_init(HakoConsole *self)
{
    self->terminal = VTE_TERMINAL(vte_terminal_new());
    vte_terminal_set_scrollback_lines(self->terminal, 10000);
    vte_terminal_set_scroll_on_output(self->terminal, TRUE);
    vte_terminal_set_scroll_on_keystroke(self->terminal, TRUE);
    vte_terminal_set_size(self->terminal, 80, 12);
    vte_terminal_set_input_enabled(self->terminal, TRUE);
    gtk_widget_set_hexpand(GTK_WIDGET(self->terminal), TRUE);
    gtk_widget_set_vexpand(GTK_WIDGET(self->terminal), TRUE);
    g_signal_connect(self->terminal, "commit", G_CALLBACK(on_commit), self);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->terminal), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Serial console"), -1);

    self->scrolled = gtk_scrolled_window_new();
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(self->scrolled), GTK_WIDGET(self->terminal));
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(self->scrolled), GTK_POLICY_NEVER,
                                   GTK_POLICY_AUTOMATIC);
    gtk_widget_set_parent(self->scrolled, GTK_WIDGET(self));
}

GtkWidget *hako_console_new(void)
{
    return g_object_new(HAKO_TYPE_CONSOLE, NULL);
}
