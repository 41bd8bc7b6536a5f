/* HakoNetworkPage: see hako-network-page.h. */
#include "hako-network-page.h"

#include <errno.h>
#include <glib/gi18n.h>

#include "hako-format.h"
#include "hako-vm-config.h"
#include "hako/net.h"

struct _HakoNetworkPage {
    AdwPreferencesPage parent_instance;

    AdwPreferencesGroup *net_group, *live_group, *fwd_group, *add_group;
    AdwActionRow *enabled_row, *mac_row, *cable_row, *rx_row, *tx_row, *add_row;
    GtkSwitch *enabled_switch, *cable_switch;
    GtkEntry *mac_entry;
    GtkButton *mac_button, *add_button;
    AdwComboRow *mtu_row;
    GPtrArray *fwd_rows; /* the rows shown in fwd_group */
    GtkDropDown *proto_dropdown;
    GtkSpinButton *host_spin, *guest_spin;

    HakoVm *vm;
    HakoEngine *engine; /* the one whose counters are shown */
    gulong engine_handler, state_handler;
    GArray *forwards; /* struct hk_net_forward, as in vm.ini */
    gboolean updating;
    gboolean told_restart;
};

G_DEFINE_FINAL_TYPE(HakoNetworkPage, hako_network_page, ADW_TYPE_PREFERENCES_PAGE)

/* ---- saving ---- */

static void toast(HakoNetworkPage *self, const char *text)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    if (ADW_IS_PREFERENCES_WINDOW(root)) {
        AdwToast *t = adw_toast_new(text);
        adw_toast_set_timeout(t, 6);
        adw_preferences_window_add_toast(ADW_PREFERENCES_WINDOW(root), t);
    }
}

static void save(HakoNetworkPage *self)
{
    g_autoptr(GError) error = NULL;
    if (!hako_vm_save(self->vm, &error)) {
        g_autofree char *text =
            g_strdup_printf(_("The settings could not be saved: %s"), error->message);
        toast(self, text);
        return;
    }
    if (hako_vm_is_active(self->vm) && !self->told_restart) {
        self->told_restart = TRUE;
        toast(self, _("Saved. It takes effect at the next start."));
    }
}

/* ---- the live part: cable and counters ---- */

static char *describe_traffic(guint64 frames, guint64 bytes, guint64 dropped)
{
    g_autofree char *size = hako_format_size(bytes, G_FORMAT_SIZE_DEFAULT);
    g_autofree char *count = g_strdup_printf("%" G_GUINT64_FORMAT, frames);
    /* Translators: network traffic, e.g. "1234 frames (5.6 MB)" */
    g_autofree char *base = g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE, "%s frame (%s)", "%s frames (%s)", (gulong)frames), count,
        size);
    if (!dropped)
        return g_steal_pointer(&base);
    g_autofree char *lost = g_strdup_printf("%" G_GUINT64_FORMAT, dropped);
    /* Translators: "1234 frames (5.6 MB), 3 dropped" */
    return g_strdup_printf(_("%s, %s dropped"), base, lost);
}

static void update_live(HakoNetworkPage *self)
{
    gboolean on = hako_vm_config_net_enabled(hako_vm_get_config(self->vm));
    gboolean active = hako_vm_is_active(self->vm);
    const struct hk_msg_net *n = self->engine ? hako_engine_get_net(self->engine) : NULL;
    gtk_widget_set_visible(GTK_WIDGET(self->live_group), on);
    gtk_widget_set_sensitive(GTK_WIDGET(self->cable_row), active && n);
    if (!active || !n) {
        adw_preferences_group_set_description(
            self->live_group, active ? _("The virtual machine runs without a network card: "
                                         "turning it on takes effect at the next start.")
                                     : _("While the virtual machine runs."));
        adw_action_row_set_subtitle(self->cable_row, "");
        adw_action_row_set_subtitle(self->rx_row, "—");
        adw_action_row_set_subtitle(self->tx_row, "—");
        return;
    }
    adw_preferences_group_set_description(self->live_group, NULL);
    gboolean cable = (n->flags & HK_NET_EV_CABLE) != 0;
    if (gtk_switch_get_active(self->cable_switch) != cable) {
        self->updating = TRUE;
        gtk_switch_set_active(self->cable_switch, cable);
        self->updating = FALSE;
    }
    const char *link = (n->flags & HK_NET_EV_LINK_UP)    ? _("Link up")
                       : !(n->flags & HK_NET_EV_CABLE)   ? _("Link down: the cable is unplugged")
                       : !(n->flags & HK_NET_EV_BACKEND) ? _("Link down: the network service "
                                                             "(passt) is not running")
                                                         : _("Link down");
    adw_action_row_set_subtitle(self->cable_row, link);
    g_autofree char *rx = describe_traffic(n->rx_frames, n->rx_bytes, n->rx_dropped);
    g_autofree char *tx = describe_traffic(n->tx_frames, n->tx_bytes, n->tx_dropped);
    adw_action_row_set_subtitle(self->rx_row, rx);
    adw_action_row_set_subtitle(self->tx_row, tx);
}

static void on_net_changed(HakoEngine *engine, gpointer data)
{
    (void)engine;
    update_live(data);
}

static void follow_engine(HakoNetworkPage *self)
{
    HakoEngine *e = self->vm ? hako_vm_get_engine(self->vm) : NULL;
    if (e == self->engine)
        return;
    if (self->engine) {
        g_signal_handler_disconnect(self->engine, self->engine_handler);
        g_clear_object(&self->engine);
    }
    if (e) {
        self->engine = g_object_ref(e);
        self->engine_handler = g_signal_connect(e, "net-changed", G_CALLBACK(on_net_changed), self);
    }
}

static void on_vm_state(GObject *vm, GParamSpec *pspec, gpointer data)
{
    (void)vm;
    (void)pspec;
    follow_engine(data);
    update_live(data);
}

static void on_cable(GtkSwitch *sw, GParamSpec *pspec, gpointer data)
{
    HakoNetworkPage *self = data;
    (void)pspec;
    if (self->updating || !self->engine)
        return;
    hako_engine_set_link(self->engine, gtk_switch_get_active(sw));
}

/* ---- forwards ---- */

static void rebuild_forwards(HakoNetworkPage *self);

static void on_remove_forward(GtkButton *button, gpointer data)
{
    HakoNetworkPage *self = data;
    guint i = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(button), "index"));
    if (i >= self->forwards->len)
        return;
    g_array_remove_index(self->forwards, i);
    hako_vm_config_set_forwards(hako_vm_get_config(self->vm), self->forwards);
    save(self);
    rebuild_forwards(self);
}

static void rebuild_forwards(HakoNetworkPage *self)
{
    for (guint i = 0; i < self->fwd_rows->len; i++)
        adw_preferences_group_remove(self->fwd_group, g_ptr_array_index(self->fwd_rows, i));
    g_ptr_array_set_size(self->fwd_rows, 0);
    for (guint i = 0; i < self->forwards->len; i++) {
        const struct hk_net_forward *f = &g_array_index(self->forwards, struct hk_net_forward, i);
        const char *proto = f->proto == HK_NET_UDP ? "UDP" : "TCP";
        g_autofree char *title = g_strdup_printf("%s %u → %u", proto, f->host_port, f->guest_port);
        /* Translators: a port forward, e.g. "Port 8080 of this computer reaches port 80 of the
         * guest" */
        g_autofree char *sub = g_strdup_printf(_("Port %u of this computer reaches port %u of the "
                                                 "guest"),
                                               f->host_port, f->guest_port);
        AdwActionRow *row = ADW_ACTION_ROW(adw_action_row_new());
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_action_row_set_subtitle(row, sub);
        GtkWidget *rm = gtk_button_new_from_icon_name("user-trash-symbolic");
        gtk_widget_set_valign(rm, GTK_ALIGN_CENTER);
        gtk_widget_add_css_class(rm, "flat");
        gtk_widget_set_tooltip_text(rm, _("Remove Forward"));
        g_object_set_data(G_OBJECT(rm), "index", GUINT_TO_POINTER(i));
        g_signal_connect(rm, "clicked", G_CALLBACK(on_remove_forward), self);
        adw_action_row_add_suffix(row, rm);
        adw_preferences_group_add(self->fwd_group, GTK_WIDGET(row));
        g_ptr_array_add(self->fwd_rows, row);
    }
}

/* A host port for the next forward that no forward uses yet (8080, 8081, ...). */
static void suggest_host_port(HakoNetworkPage *self)
{
    guint port = (guint)gtk_spin_button_get_value_as_int(self->host_spin);
    guint proto = gtk_drop_down_get_selected(self->proto_dropdown) == 1 ? HK_NET_UDP : HK_NET_TCP;
    for (guint tries = 0; tries < 1000; tries++) {
        gboolean used = FALSE;
        for (guint i = 0; i < self->forwards->len; i++) {
            const struct hk_net_forward *o =
                &g_array_index(self->forwards, struct hk_net_forward, i);
            used = used || (o->proto == proto && o->host_port == port);
        }
        if (!used)
            break;
        port = port >= 65535 ? 1024 : port + 1;
    }
    gtk_spin_button_set_value(self->host_spin, port);
}

static void set_add_error(HakoNetworkPage *self, const char *message)
{
    GtkWidget *w = GTK_WIDGET(self->add_row);
    if (message)
        gtk_widget_add_css_class(w, "error");
    else
        gtk_widget_remove_css_class(w, "error");
    adw_action_row_set_subtitle(
        self->add_row, message ? message : _("Protocol, port on this computer, port in the guest"));
}

static struct hk_net_forward forward_from_inputs(HakoNetworkPage *self)
{
    struct hk_net_forward f;
    f.proto = gtk_drop_down_get_selected(self->proto_dropdown) == 1 ? HK_NET_UDP : HK_NET_TCP;
    f.host_port = (uint16_t)gtk_spin_button_get_value_as_int(self->host_spin);
    f.guest_port = (uint16_t)gtk_spin_button_get_value_as_int(self->guest_spin);
    return f;
}

/* Refuses (inline) a forward that cannot work; returns TRUE when it can be added. */
static gboolean check_new_forward(HakoNetworkPage *self, const struct hk_net_forward *f)
{
    const char *proto = f->proto == HK_NET_UDP ? "UDP" : "TCP";
    for (guint i = 0; i < self->forwards->len; i++) {
        const struct hk_net_forward *o = &g_array_index(self->forwards, struct hk_net_forward, i);
        if (o->proto == f->proto && o->host_port == f->host_port) {
            g_autofree char *m = g_strdup_printf(_("%s port %u of this computer is already "
                                                   "forwarded (to port %u)"),
                                                 proto, f->host_port, o->guest_port);
            set_add_error(self, m);
            return FALSE;
        }
    }
    char why[200];
    if (hk_net_check_forward(f, why, sizeof(why)) < 0) {
        int err = errno;
        g_autofree char *m =
            err == EACCES
                ? g_strdup_printf(_("Port %u needs administrator rights on this computer (ports "
                                    "below 1024): choose one above 1024"),
                                  f->host_port)
            : err == EADDRINUSE
                ? g_strdup_printf(_("%s port %u is in use by another program on this computer"),
                                  proto, f->host_port)
                : g_strdup_printf(_("%s port %u cannot be used on this computer: %s"), proto,
                                  f->host_port, g_strerror(err));
        set_add_error(self, m);
        return FALSE;
    }
    set_add_error(self, NULL);
    return TRUE;
}

static void on_inputs_changed(gpointer unused, GParamSpec *pspec, gpointer data)
{
    HakoNetworkPage *self = data;
    (void)unused;
    (void)pspec;
    struct hk_net_forward f = forward_from_inputs(self);
    gboolean ok = TRUE;
    for (guint i = 0; i < self->forwards->len; i++) {
        const struct hk_net_forward *o = &g_array_index(self->forwards, struct hk_net_forward, i);
        if (o->proto == f.proto && o->host_port == f.host_port)
            ok = FALSE;
    }
    if (ok)
        set_add_error(self, NULL);
    else
        check_new_forward(self, &f); /* says why */
    gtk_widget_set_sensitive(GTK_WIDGET(self->add_button),
                             ok && self->forwards->len < HK_NET_MAX_FORWARDS);
}

static void on_add(GtkButton *button, gpointer data)
{
    HakoNetworkPage *self = data;
    (void)button;
    struct hk_net_forward f = forward_from_inputs(self);
    if (self->forwards->len >= HK_NET_MAX_FORWARDS || !check_new_forward(self, &f))
        return;
    g_array_append_val(self->forwards, f);
    hako_vm_config_set_forwards(hako_vm_get_config(self->vm), self->forwards);
    save(self);
    rebuild_forwards(self);
    suggest_host_port(self);
    on_inputs_changed(NULL, NULL, self);
}

/* ---- card, MAC, MTU ---- */

static void update_sensitivity(HakoNetworkPage *self)
{
    gboolean on = gtk_switch_get_active(self->enabled_switch);
    gtk_widget_set_sensitive(GTK_WIDGET(self->mac_row), on);
    gtk_widget_set_sensitive(GTK_WIDGET(self->mtu_row), on);
    gtk_widget_set_sensitive(GTK_WIDGET(self->fwd_group), on);
    gtk_widget_set_sensitive(GTK_WIDGET(self->add_group), on);
}

static void show_mac(HakoNetworkPage *self)
{
    g_autofree char *mac =
        g_key_file_get_string(hako_vm_get_config(self->vm), HAKO_VM_ENGINE_GROUP, "mac", NULL);
    self->updating = TRUE;
    gtk_editable_set_text(GTK_EDITABLE(self->mac_entry), mac ? g_strstrip(mac) : "");
    self->updating = FALSE;
    adw_action_row_set_subtitle(self->mac_row, _("How the guest's network card identifies "
                                                 "itself (kept when the VM is copied)"));
    gtk_widget_remove_css_class(GTK_WIDGET(self->mac_row), "error");
}

static void on_enabled(GtkSwitch *sw, GParamSpec *pspec, gpointer data)
{
    HakoNetworkPage *self = data;
    (void)pspec;
    if (self->updating)
        return;
    hako_vm_config_set_net_enabled(hako_vm_get_config(self->vm), gtk_switch_get_active(sw));
    save(self);
    show_mac(self);
    update_sensitivity(self);
    update_live(self);
}

static void on_mac_changed(GtkEditable *e, gpointer data)
{
    HakoNetworkPage *self = data;
    if (self->updating)
        return;
    const char *text = gtk_editable_get_text(e);
    uint8_t mac[6];
    if (hk_net_parse_mac(text, mac) < 0) {
        gtk_widget_add_css_class(GTK_WIDGET(self->mac_row), "error");
        adw_action_row_set_subtitle(self->mac_row,
                                    _("Six pairs of hexadecimal digits like 52:54:00:12:34:56, "
                                      "the first even (not a group address)"));
        return;
    }
    gtk_widget_remove_css_class(GTK_WIDGET(self->mac_row), "error");
    char norm[HK_NET_MAC_TEXT];
    hk_net_format_mac(mac, norm);
    g_key_file_set_string(hako_vm_get_config(self->vm), HAKO_VM_ENGINE_GROUP, "mac", norm);
    save(self);
    adw_action_row_set_subtitle(self->mac_row, _("How the guest's network card identifies "
                                                 "itself (kept when the VM is copied)"));
}

static void on_new_mac(GtkButton *button, gpointer data)
{
    HakoNetworkPage *self = data;
    (void)button;
    g_autofree char *mac = hako_vm_config_random_mac();
    g_key_file_set_string(hako_vm_get_config(self->vm), HAKO_VM_ENGINE_GROUP, "mac", mac);
    save(self);
    show_mac(self);
}

static void on_mtu(AdwComboRow *row, GParamSpec *pspec, gpointer data)
{
    HakoNetworkPage *self = data;
    (void)pspec;
    if (self->updating)
        return;
    hako_vm_config_set_net_mtu(hako_vm_get_config(self->vm),
                               adw_combo_row_get_selected(row) == 1 ? 1500 : 0);
    save(self);
}

void hako_network_page_set_vm(HakoNetworkPage *self, HakoVm *vm)
{
    if (self->vm) {
        g_signal_handler_disconnect(self->vm, self->state_handler);
        g_clear_object(&self->vm);
    }
    self->vm = g_object_ref(vm);
    self->state_handler = g_signal_connect(vm, "notify::state", G_CALLBACK(on_vm_state), self);
    GKeyFile *kf = hako_vm_get_config(vm);
    self->updating = TRUE;
    gtk_switch_set_active(self->enabled_switch, hako_vm_config_net_enabled(kf));
    guint mtu = hako_vm_config_net_mtu(kf);
    adw_combo_row_set_selected(self->mtu_row, mtu && mtu <= 1500 ? 1 : 0);
    self->updating = FALSE;
    g_array_unref(self->forwards);
    self->forwards = hako_vm_config_forwards(kf);
    show_mac(self);
    rebuild_forwards(self);
    suggest_host_port(self);
    update_sensitivity(self);
    set_add_error(self, NULL);
    on_inputs_changed(NULL, NULL, self);
    follow_engine(self);
    update_live(self);
}

/* ---- the class ---- */

static void hako_network_page_dispose(GObject *object)
{
    HakoNetworkPage *self = HAKO_NETWORK_PAGE(object);
    if (self->engine) {
        g_signal_handler_disconnect(self->engine, self->engine_handler);
        g_clear_object(&self->engine);
    }
    if (self->vm) {
        g_signal_handler_disconnect(self->vm, self->state_handler);
        g_clear_object(&self->vm);
    }
    gtk_widget_dispose_template(GTK_WIDGET(object), HAKO_TYPE_NETWORK_PAGE);
    G_OBJECT_CLASS(hako_network_page_parent_class)->dispose(object);
}

static void hako_network_page_finalize(GObject *object)
{
    HakoNetworkPage *self = HAKO_NETWORK_PAGE(object);
    g_array_unref(self->forwards);
    g_ptr_array_unref(self->fwd_rows);
    G_OBJECT_CLASS(hako_network_page_parent_class)->finalize(object);
}

static void hako_network_page_class_init(HakoNetworkPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = hako_network_page_dispose;
    oc->finalize = hako_network_page_finalize;
    gtk_widget_class_set_template_from_resource(wc, "/io/github/hakovm/Hako/hako-network-page.ui");
#define BIND(x) gtk_widget_class_bind_template_child(wc, HakoNetworkPage, x)
    BIND(net_group);
    BIND(live_group);
    BIND(fwd_group);
    BIND(add_group);
    BIND(enabled_row);
    BIND(mac_row);
    BIND(cable_row);
    BIND(rx_row);
    BIND(tx_row);
    BIND(add_row);
    BIND(enabled_switch);
    BIND(cable_switch);
    BIND(mac_entry);
    BIND(mac_button);
    BIND(add_button);
    BIND(mtu_row);
    BIND(proto_dropdown);
    BIND(host_spin);
    BIND(guest_spin);
#undef BIND
}

static void hako_network_page_init(HakoNetworkPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->forwards = g_array_new(FALSE, TRUE, sizeof(struct hk_net_forward));
    self->fwd_rows = g_ptr_array_new();
    g_signal_connect(self->enabled_switch, "notify::active", G_CALLBACK(on_enabled), self);
    g_signal_connect(self->cable_switch, "notify::active", G_CALLBACK(on_cable), self);
    g_signal_connect(self->mac_entry, "changed", G_CALLBACK(on_mac_changed), self);
    g_signal_connect(self->mac_button, "clicked", G_CALLBACK(on_new_mac), self);
    g_signal_connect(self->mtu_row, "notify::selected", G_CALLBACK(on_mtu), self);
    g_signal_connect(self->add_button, "clicked", G_CALLBACK(on_add), self);
    g_signal_connect(self->proto_dropdown, "notify::selected", G_CALLBACK(on_inputs_changed), self);
    g_signal_connect(self->host_spin, "notify::value", G_CALLBACK(on_inputs_changed), self);
}
