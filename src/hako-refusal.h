/*
 * The engine's refusals in words: hako-vmm checks its whole configuration before it opens
 * /dev/kvm and reports each problem as a fact with a stable code (HK_FACT_CONFIG_REFUSED,
 * HK_FACT_CONFIG_WARNING; the codes are in vmm/include/hako/config.h). These functions turn a
 * fact into a translated sentence for the person at the app; the engine's own English is never
 * shown for them. Plain functions over facts, no GObject.
 */
#pragma once

#include <glib.h>

#include "hako/config.h"
#include "hako/facts.h"

G_BEGIN_DECLS

/* The setting an option stands for, as the app's settings name it ("Memory", "CD/DVD"),
 * translated; the option's own name for numbers the app does not know yet. */
const char *hako_refusal_option_label(guint32 option);

/* One HK_FACT_CONFIG_REFUSED or HK_FACT_CONFIG_WARNING fact as a translated sentence. */
char *hako_refusal_describe(const struct hk_fact *fact);

/* What the person can do about it (translated), or NULL when there is nothing to say. */
char *hako_refusal_fix(const struct hk_fact *fact);

/* Whether the app words this problem code itself (not the generic sentence). */
gboolean hako_refusal_is_known(guint32 problem);

G_END_DECLS
