/* HakoNetDiagnosis: see hako-net-diagnosis.h. */
#include "hako-net-diagnosis.h"

#include <glib/gi18n.h>

#include "hako/net.h"

struct _HakoNetDiagnosis {
    GObject parent_instance;

    /* input */
    gboolean enabled;
    gboolean running;
    double elapsed;
    GArray *facts; /* struct hk_fact, net-* kinds only */
    struct hk_msg_net net;
    gboolean have_net;

    /* what the facts say (the current driver session: everything after its DRIVER_OK) */
    int backend;        /* last enum hk_net_backend_state, 0: none */
    char *backend_text; /* its words */
    gboolean cable_off; /* the user unplugged the cable */
    double driver_ok_t; /* < 0: never */
    double first_tx_t;  /* < 0: never */
    char *first_tx_text;
    double dhcp_t;          /* first DISCOVER or REQUEST; < 0: never */
    double lease_t;         /* < 0: never */
    guint32 lease, gateway; /* host byte order */
    double dns_query_t, dns_answer_t;
    char *dns_name;

    /* output */
    HakoNetCause cause;
    gboolean pending;
    char *title, *explanation, *fix, *address;
    HakoNetStepState steps[HAKO_NET_N_STEPS];
    char *step_detail[HAKO_NET_N_STEPS];
};

G_DEFINE_FINAL_TYPE(HakoNetDiagnosis, hako_net_diagnosis, G_TYPE_OBJECT)

static void hako_net_diagnosis_finalize(GObject *object)
{
    HakoNetDiagnosis *self = HAKO_NET_DIAGNOSIS(object);
    g_array_unref(self->facts);
    g_free(self->backend_text);
    g_free(self->first_tx_text);
    g_free(self->dns_name);
    g_free(self->title);
    g_free(self->explanation);
    g_free(self->fix);
    g_free(self->address);
    for (int i = 0; i < HAKO_NET_N_STEPS; i++)
        g_free(self->step_detail[i]);
    G_OBJECT_CLASS(hako_net_diagnosis_parent_class)->finalize(object);
}

static void hako_net_diagnosis_class_init(HakoNetDiagnosisClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = hako_net_diagnosis_finalize;
}

static void hako_net_diagnosis_init(HakoNetDiagnosis *self)
{
    self->facts = g_array_new(FALSE, TRUE, sizeof(struct hk_fact));
    self->title = g_strdup("");
    self->explanation = g_strdup("");
    self->fix = g_strdup("");
    self->address = g_strdup("");
    for (int i = 0; i < HAKO_NET_N_STEPS; i++)
        self->step_detail[i] = g_strdup("");
}

HakoNetDiagnosis *hako_net_diagnosis_new(void)
{
    return g_object_new(HAKO_TYPE_NET_DIAGNOSIS, NULL);
}

void hako_net_diagnosis_set_enabled(HakoNetDiagnosis *self, gboolean enabled)
{
    self->enabled = enabled;
}

void hako_net_diagnosis_load_settings(HakoNetDiagnosis *self, GKeyFile *kf)
{
    g_autofree char *net = g_key_file_get_string(kf, "Engine", "net", NULL);
    self->enabled = net && g_str_equal(g_strstrip(net), "user");
}

void hako_net_diagnosis_set_engine(HakoNetDiagnosis *self, gboolean running, double elapsed)
{
    self->running = running;
    self->elapsed = elapsed;
}

static gboolean is_net_fact(guint32 kind)
{
    return kind == HK_FACT_NET_BACKEND || kind == HK_FACT_NET_DRIVER_OK ||
           kind == HK_FACT_NET_FIRST_TX || kind == HK_FACT_NET_DHCP || kind == HK_FACT_NET_DNS ||
           kind == HK_FACT_NET_LINK;
}

void hako_net_diagnosis_set_facts(HakoNetDiagnosis *self, const struct hk_fact *facts, guint n)
{
    g_array_set_size(self->facts, 0);
    for (guint i = 0; i < n; i++)
        if (is_net_fact(facts[i].kind))
            g_array_append_val(self->facts, facts[i]);
}

void hako_net_diagnosis_set_state(HakoNetDiagnosis *self, const struct hk_msg_net *net)
{
    self->have_net = net != NULL;
    if (net)
        self->net = *net;
}

static char *ip4(guint32 a)
{
    return g_strdup_printf("%u.%u.%u.%u", a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
}

static char *text_of(const struct hk_fact *f)
{
    return g_strndup(f->text, sizeof(f->text));
}

/* Reads the timeline into the per-session state. */
static void read_facts(HakoNetDiagnosis *self)
{
    self->backend = 0;
    g_clear_pointer(&self->backend_text, g_free);
    self->cable_off = FALSE;
    self->driver_ok_t = self->first_tx_t = self->dhcp_t = self->lease_t = -1;
    self->dns_query_t = self->dns_answer_t = -1;
    self->lease = self->gateway = 0;
    g_clear_pointer(&self->first_tx_text, g_free);
    g_clear_pointer(&self->dns_name, g_free);
    for (guint i = 0; i < self->facts->len; i++) {
        const struct hk_fact *f = &g_array_index(self->facts, struct hk_fact, i);
        double t = (double)f->t_ns / 1e9;
        switch (f->kind) {
        case HK_FACT_NET_BACKEND:
            self->backend = (int)f->a;
            g_free(self->backend_text);
            self->backend_text = text_of(f);
            break;
        case HK_FACT_NET_LINK:
            if (f->b == HK_NET_LINK_USER)
                self->cable_off = f->a == 0;
            break;
        case HK_FACT_NET_DRIVER_OK:
            /* a new driver session: what came before belongs to the previous one */
            self->driver_ok_t = t;
            self->first_tx_t = self->dhcp_t = self->lease_t = -1;
            self->dns_query_t = self->dns_answer_t = -1;
            self->lease = self->gateway = 0;
            g_clear_pointer(&self->first_tx_text, g_free);
            g_clear_pointer(&self->dns_name, g_free);
            break;
        case HK_FACT_NET_FIRST_TX:
            if (self->first_tx_t < 0) {
                self->first_tx_t = t;
                self->first_tx_text = text_of(f);
            }
            break;
        case HK_FACT_NET_DHCP:
            if ((f->a == HK_DHCP_DISCOVER || f->a == HK_DHCP_REQUEST) && self->dhcp_t < 0)
                self->dhcp_t = t;
            if (f->a == HK_DHCP_ACK && f->b) {
                self->lease_t = t;
                self->lease = (guint32)f->b;
                self->gateway = (guint32)f->c;
            }
            break;
        case HK_FACT_NET_DNS:
            if (f->a == 0 && self->dns_query_t < 0) {
                self->dns_query_t = t;
                self->dns_name = text_of(f);
            } else if (f->a == 1 && self->dns_answer_t < 0) {
                self->dns_answer_t = t;
            }
            break;
        default: break;
        }
    }
    /* the engine's current state wins over what the facts last said */
    if (self->have_net) {
        self->cable_off = !(self->net.flags & HK_NET_EV_CABLE);
        if ((self->net.flags & HK_NET_EV_DRIVER_OK) && self->driver_ok_t < 0)
            self->driver_ok_t = self->elapsed;
    }
}

static void set_text(char **dst, char *s)
{
    g_free(*dst);
    *dst = s ? s : g_strdup("");
}

static void set_step(HakoNetDiagnosis *self, HakoNetStep s, HakoNetStepState st, char *detail)
{
    self->steps[s] = st;
    set_text(&self->step_detail[s], detail);
}

void hako_net_diagnosis_evaluate(HakoNetDiagnosis *self)
{
    read_facts(self);
    self->pending = FALSE;
    for (int i = 0; i < HAKO_NET_N_STEPS; i++)
        set_step(self, (HakoNetStep)i, HAKO_NET_STEP_PENDING, NULL);
    set_text(&self->address, self->lease ? ip4(self->lease) : NULL);
    char *title = NULL, *expl = NULL, *fix = NULL;
    double now = self->elapsed;

    /* the steps */
    gboolean passt_up = self->backend == HK_NET_BACKEND_RUNNING;
    if (self->have_net)
        passt_up = (self->net.flags & HK_NET_EV_BACKEND) != 0;
    if (self->backend)
        set_step(self, HAKO_NET_STEP_PASST, passt_up ? HAKO_NET_STEP_DONE : HAKO_NET_STEP_FAILED,
                 g_strdup(self->backend_text));
    if (self->driver_ok_t >= 0)
        set_step(self, HAKO_NET_STEP_DRIVER, HAKO_NET_STEP_DONE,
                 g_strdup_printf(_("after %.1f s"), self->driver_ok_t));
    if (self->first_tx_t >= 0)
        set_step(self, HAKO_NET_STEP_FRAME, HAKO_NET_STEP_DONE, g_strdup(self->first_tx_text));
    if (self->dhcp_t >= 0)
        set_step(self, HAKO_NET_STEP_DHCP, HAKO_NET_STEP_DONE,
                 g_strdup_printf(_("after %.1f s"), self->dhcp_t));
    if (self->lease) {
        g_autofree char *gw = ip4(self->gateway);
        set_step(self, HAKO_NET_STEP_LEASE, HAKO_NET_STEP_DONE,
                 self->gateway ? g_strdup_printf(_("%s, gateway %s"), self->address, gw)
                               : g_strdup(self->address));
    }
    if (self->dns_answer_t >= 0)
        set_step(self, HAKO_NET_STEP_DNS, HAKO_NET_STEP_DONE, g_strdup(self->dns_name));

    /* the verdict */
    if (!self->enabled) {
        self->cause = HAKO_NET_CAUSE_OFF;
        title = g_strdup(_("No Network"));
        expl = g_strdup(_("This virtual machine has no network card."));
        fix = g_strdup(_("Turn the network on in its settings (Network page). It takes effect "
                         "at the next start."));
    } else if (!self->running) {
        self->cause = HAKO_NET_CAUSE_NOT_RUNNING;
        title = g_strdup(_("Network On"));
        expl = g_strdup(_("When the virtual machine runs, it shares this computer's connection: "
                          "it gets an address, a gateway and name servers automatically."));
    } else if (self->backend == HK_NET_BACKEND_MISSING) {
        self->cause = HAKO_NET_CAUSE_PASST_MISSING;
        title = g_strdup(_("The Network Service Is Not Installed"));
        expl = g_strdup(_("Hako connects virtual machines to the network with passt, which is not "
                          "installed on this computer: the network card has no connection."));
        fix = g_strdup(_("Install it (on Debian and Ubuntu: sudo apt install passt), then start "
                         "the virtual machine again."));
        set_step(self, HAKO_NET_STEP_PASST, HAKO_NET_STEP_FAILED,
                 g_strdup(_("passt is not installed")));
    } else if (!passt_up && self->backend == HK_NET_BACKEND_DIED) {
        self->cause = HAKO_NET_CAUSE_PASST_RESTART;
        self->pending = TRUE;
        title = g_strdup(_("The Network Service Is Restarting"));
        expl = g_strdup_printf(_("passt, which connects the virtual machine to the network, "
                                 "stopped (%s). Hako starts it again; the link comes back in a "
                                 "moment."),
                               self->backend_text);
    } else if (!passt_up && self->backend &&
               (self->backend == HK_NET_BACKEND_FAILED || self->backend == HK_NET_BACKEND_GAVE_UP ||
                self->backend == HK_NET_BACKEND_PROTOCOL || self->have_net)) {
        self->cause = HAKO_NET_CAUSE_PASST_FAILED;
        title = g_strdup(_("The Network Service Stopped"));
        expl = g_strdup_printf(_("passt, which connects the virtual machine to the network, could "
                                 "not keep running: %s."),
                               self->backend_text);
        fix = g_strdup(_("Start the virtual machine again. If this repeats, the engine log "
                         "(Settings, Advanced) has passt's own messages."));
    } else if (self->cable_off) {
        self->cause = HAKO_NET_CAUSE_UNPLUGGED;
        title = g_strdup(_("The Network Cable Is Unplugged"));
        expl = g_strdup(_("The cable of the network card was unplugged in the settings: the guest "
                          "sees no link."));
        fix = g_strdup(_("Plug it in again: Settings, Network, Cable Connected."));
    } else if (self->driver_ok_t < 0) {
        if (now < HAKO_NET_DRIVER_GRACE) {
            self->cause = HAKO_NET_CAUSE_STARTING;
            self->pending = TRUE;
            title = g_strdup(_("Waiting for the Guest"));
            expl = g_strdup(_("The guest has not started its network card yet: its firmware or "
                              "its operating system is still starting."));
        } else {
            self->cause = HAKO_NET_CAUSE_NO_DRIVER;
            title = g_strdup(_("The Guest Has No Driver for the Network Card"));
            expl = g_strdup_printf(
                _("In %.0f seconds the guest never started its network card (a virtio network "
                  "adapter). Either it is still starting, or its operating system has no driver "
                  "for the card."),
                now);
            fix = g_strdup(_("Linux and the BSDs have the driver built in. Windows needs the "
                             "virtio-win drivers (from the Fedora project) loaded during or after "
                             "installation."));
            set_step(self, HAKO_NET_STEP_DRIVER, HAKO_NET_STEP_FAILED, g_strdup(_("never")));
        }
    } else if (self->dhcp_t < 0 && !self->lease) {
        if (now - self->driver_ok_t < HAKO_NET_DHCP_GRACE) {
            self->cause = HAKO_NET_CAUSE_STARTING;
            self->pending = TRUE;
            title = g_strdup(_("Waiting for the Guest"));
            expl = g_strdup(_("The guest started its network card and has not asked for an "
                              "address yet."));
        } else {
            self->cause = HAKO_NET_CAUSE_NO_DHCP;
            title = g_strdup(_("The Guest Never Asked for an Address"));
            expl = self->first_tx_t >= 0
                       ? g_strdup(_("The guest's driver runs the network card and sends frames, "
                                    "but the guest never asked for an address (DHCP)."))
                       : g_strdup(_("The guest's driver started the network card but never sent "
                                    "anything: its network interface seems to be down."));
            fix = g_strdup(_("In the guest, bring the network interface up and let it configure "
                             "itself automatically (DHCP), for example with the network settings "
                             "or `dhclient`."));
            set_step(self, HAKO_NET_STEP_DHCP, HAKO_NET_STEP_FAILED, g_strdup(_("never")));
        }
    } else if (!self->lease) {
        if (now - self->dhcp_t < HAKO_NET_LEASE_GRACE) {
            self->cause = HAKO_NET_CAUSE_STARTING;
            self->pending = TRUE;
            title = g_strdup(_("Waiting for an Address"));
            expl = g_strdup(_("The guest asked for an address and waits for the answer."));
        } else {
            self->cause = HAKO_NET_CAUSE_NO_LEASE;
            title = g_strdup(_("The Guest Got No Address"));
            expl = g_strdup(_("The guest asked for an address (DHCP), but no answer reached it."));
            fix = g_strdup(_("Start the virtual machine again. If this repeats, the engine log "
                             "(Settings, Advanced) has passt's own messages."));
            set_step(self, HAKO_NET_STEP_LEASE, HAKO_NET_STEP_FAILED, g_strdup(_("never")));
        }
    } else if (self->dns_query_t >= 0 && self->dns_answer_t < 0 &&
               now - self->dns_query_t >= HAKO_NET_DNS_GRACE) {
        self->cause = HAKO_NET_CAUSE_NO_DNS;
        title = g_strdup(_("Name Lookups Get No Answer"));
        expl = g_strdup_printf(_("The guest has the address %s, but its name lookups (the first "
                                 "one: %s) got no answer."),
                               self->address, self->dns_name ? self->dns_name : "?");
        fix = g_strdup(_("passt forwards the guest's lookups to this computer's name servers "
                         "(/etc/resolv.conf). Check that this computer itself can resolve names, "
                         "or give the guest another DNS server."));
        set_step(self, HAKO_NET_STEP_DNS, HAKO_NET_STEP_FAILED,
                 g_strdup_printf(_("%s: no answer"), self->dns_name ? self->dns_name : "?"));
    } else {
        self->cause = HAKO_NET_CAUSE_CONNECTED;
        title = g_strdup(_("Connected"));
        expl = self->dns_answer_t >= 0
                   ? g_strdup_printf(_("The guest has the address %s, and its name lookups are "
                                       "answered."),
                                     self->address)
                   : g_strdup_printf(_("The guest has the address %s."), self->address);
    }
    set_text(&self->title, title);
    set_text(&self->explanation, expl);
    set_text(&self->fix, fix);
}

HakoNetCause hako_net_diagnosis_get_cause(HakoNetDiagnosis *self)
{
    return self->cause;
}

const char *hako_net_diagnosis_cause_to_string(HakoNetCause cause)
{
    static const char *const names[] = {
        "off",       "not-running", "starting", "passt-missing", "passt-failed", "passt-restart",
        "unplugged", "no-driver",   "no-dhcp",  "no-lease",      "no-dns",       "connected",
    };
    return (guint)cause < G_N_ELEMENTS(names) ? names[cause] : "unknown";
}

gboolean hako_net_diagnosis_is_pending(HakoNetDiagnosis *self)
{
    return self->pending;
}

const char *hako_net_diagnosis_get_title(HakoNetDiagnosis *self)
{
    return self->title;
}

const char *hako_net_diagnosis_get_explanation(HakoNetDiagnosis *self)
{
    return self->explanation;
}

const char *hako_net_diagnosis_get_fix(HakoNetDiagnosis *self)
{
    return self->fix;
}

const char *hako_net_diagnosis_get_address(HakoNetDiagnosis *self)
{
    return self->address;
}

const char *hako_net_diagnosis_get_icon_name(HakoNetDiagnosis *self)
{
    switch (self->cause) {
    case HAKO_NET_CAUSE_CONNECTED: return "network-wired-symbolic";
    case HAKO_NET_CAUSE_OFF:
    case HAKO_NET_CAUSE_UNPLUGGED: return "network-wired-disconnected-symbolic";
    case HAKO_NET_CAUSE_NOT_RUNNING:
    case HAKO_NET_CAUSE_STARTING:
    case HAKO_NET_CAUSE_PASST_RESTART: return "network-wired-acquiring-symbolic";
    default: return "network-wired-no-route-symbolic";
    }
}

HakoNetStepState hako_net_diagnosis_get_step(HakoNetDiagnosis *self, HakoNetStep step,
                                             const char **label, const char **detail)
{
    static const char *const labels[HAKO_NET_N_STEPS] = {
        N_("Network service (passt) running"),
        N_("Guest driver started the card"),
        N_("Guest sent its first frame"),
        N_("Guest asked for an address (DHCP)"),
        N_("Guest got an address"),
        N_("Guest's name lookups answered (DNS)"),
    };
    if ((guint)step >= HAKO_NET_N_STEPS)
        return HAKO_NET_STEP_PENDING;
    if (label)
        *label = _(labels[step]);
    if (detail)
        *detail = self->step_detail[step];
    return self->steps[step];
}
