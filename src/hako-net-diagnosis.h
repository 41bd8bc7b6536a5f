/*
 * HakoNetDiagnosis: why the guest "has no network", in words.
 *
 * Input: the engine's facts (the net-* kinds of hako/facts.h: passt's state, the driver's
 * DRIVER_OK, the first frame, DHCP and DNS as the engine saw them pass, the link), the engine's
 * current network state (HK_EV_NET), whether the VM has a network card, and how long the engine
 * has run. Output: which of the steps happened, the verdict (no card / passt missing or stopped /
 * cable unplugged / no driver for the card / the guest never asked for an address / no address /
 * DNS gets no answer / connected), a title, an explanation and the fix. The app never reads
 * packets: the engine recorded what it saw as facts.
 *
 * Pure logic (GLib only); HakoVmView shows it, tests feed it timelines.
 */
#pragma once

#include <glib-object.h>

#include "hako/facts.h"
#include "hako/protocol.h"

G_BEGIN_DECLS

typedef enum {
    HAKO_NET_CAUSE_OFF,           /* the VM has no network card */
    HAKO_NET_CAUSE_NOT_RUNNING,   /* the VM is not running */
    HAKO_NET_CAUSE_STARTING,      /* too early to tell: the guest is still starting */
    HAKO_NET_CAUSE_PASST_MISSING, /* passt is not installed */
    HAKO_NET_CAUSE_PASST_FAILED,  /* passt could not run (failed, gave up, broke the stream) */
    HAKO_NET_CAUSE_PASST_RESTART, /* passt stopped; the engine is starting it again */
    HAKO_NET_CAUSE_UNPLUGGED,     /* the user unplugged the cable */
    HAKO_NET_CAUSE_NO_DRIVER,     /* the guest never started the card (no driver) */
    HAKO_NET_CAUSE_NO_DHCP,       /* the driver runs, but the guest never asked for an address */
    HAKO_NET_CAUSE_NO_LEASE,      /* it asked (DHCP) and got no address */
    HAKO_NET_CAUSE_NO_DNS,        /* an address, but name lookups get no answer */
    HAKO_NET_CAUSE_CONNECTED,     /* an address (and DNS answers, when it asked) */
} HakoNetCause;

typedef enum {
    HAKO_NET_STEP_PENDING, /* not (yet) */
    HAKO_NET_STEP_DONE,
    HAKO_NET_STEP_FAILED,
} HakoNetStepState;

typedef enum {
    HAKO_NET_STEP_PASST,  /* passt runs */
    HAKO_NET_STEP_DRIVER, /* the guest's driver started the card (DRIVER_OK) */
    HAKO_NET_STEP_FRAME,  /* the guest sent a frame */
    HAKO_NET_STEP_DHCP,   /* it asked for an address (DHCP DISCOVER or REQUEST) */
    HAKO_NET_STEP_LEASE,  /* it got one (DHCP ACK) */
    HAKO_NET_STEP_DNS,    /* its first name lookup was answered */
    HAKO_NET_N_STEPS
} HakoNetStep;

/* Seconds the guest gets before a missing step counts as "never": the card's driver after the
 * engine started (firmware and boot loader come first), an address request after DRIVER_OK, an
 * address after the request, a DNS answer after the query. */
#define HAKO_NET_DRIVER_GRACE 45.0
#define HAKO_NET_DHCP_GRACE   20.0
#define HAKO_NET_LEASE_GRACE  10.0
#define HAKO_NET_DNS_GRACE    5.0

#define HAKO_TYPE_NET_DIAGNOSIS (hako_net_diagnosis_get_type())
G_DECLARE_FINAL_TYPE(HakoNetDiagnosis, hako_net_diagnosis, HAKO, NET_DIAGNOSIS, GObject)

HakoNetDiagnosis *hako_net_diagnosis_new(void);

/* Whether the VM has a network card (vm.ini [Engine] net=user). */
void hako_net_diagnosis_set_enabled(HakoNetDiagnosis *self, gboolean enabled);
/* Reads it from the VM's vm.ini. */
void hako_net_diagnosis_load_settings(HakoNetDiagnosis *self, GKeyFile *kf);
/* running: the engine runs the guest; elapsed: seconds since it started (the facts' clock). */
void hako_net_diagnosis_set_engine(HakoNetDiagnosis *self, gboolean running, double elapsed);
/* Replaces the timeline (only the net-* kinds are read). */
void hako_net_diagnosis_set_facts(HakoNetDiagnosis *self, const struct hk_fact *facts, guint n);
/* The engine's latest HK_EV_NET (NULL: none yet). */
void hako_net_diagnosis_set_state(HakoNetDiagnosis *self, const struct hk_msg_net *net);

void hako_net_diagnosis_evaluate(HakoNetDiagnosis *self);

HakoNetCause hako_net_diagnosis_get_cause(HakoNetDiagnosis *self);
/* A stable name ("no-driver", ...) for logs and tests. */
const char *hako_net_diagnosis_cause_to_string(HakoNetCause cause);
/* TRUE while the verdict may still change by itself (the guest is still starting). */
gboolean hako_net_diagnosis_is_pending(HakoNetDiagnosis *self);
/* Translated texts; the fix may be "". */
const char *hako_net_diagnosis_get_title(HakoNetDiagnosis *self);
const char *hako_net_diagnosis_get_explanation(HakoNetDiagnosis *self);
const char *hako_net_diagnosis_get_fix(HakoNetDiagnosis *self);
const char *hako_net_diagnosis_get_icon_name(HakoNetDiagnosis *self);
/* The guest's address from its lease ("" when none). */
const char *hako_net_diagnosis_get_address(HakoNetDiagnosis *self);

/* A step: its state, its name and what was seen (translated; detail may be ""). */
HakoNetStepState hako_net_diagnosis_get_step(HakoNetDiagnosis *self, HakoNetStep step,
                                             const char **label, const char **detail);

G_END_DECLS
