/*
 * HakoDiagnosisPage: what the display area shows instead of a black screen. An AdwStatusPage with
 * HakoDiagnosis's title, explanation and icon; the GOP status line; the likely cause and the fix;
 * a button for each fix that is one click (emitted as ::action with a HakoDiagnosisActions bit);
 * a spinner while the firmware is still making progress; and a "Details" expander with the facts
 * timeline in words.
 */
#pragma once

#include <adwaita.h>

#include "hako-diagnosis.h"

G_BEGIN_DECLS

#define HAKO_TYPE_DIAGNOSIS_PAGE (hako_diagnosis_page_get_type())
G_DECLARE_FINAL_TYPE(HakoDiagnosisPage, hako_diagnosis_page, HAKO, DIAGNOSIS_PAGE, AdwBin)

GtkWidget *hako_diagnosis_page_new(void);
/* Shows this diagnosis (evaluated by the caller); NULL clears the page. */
void hako_diagnosis_page_set_diagnosis(HakoDiagnosisPage *self, HakoDiagnosis *diagnosis);
HakoDiagnosis *hako_diagnosis_page_get_diagnosis(HakoDiagnosisPage *self);
/* Re-reads the diagnosis (after hako_diagnosis_evaluate()). */
void hako_diagnosis_page_update(HakoDiagnosisPage *self);
/* The button label for one action (translated, with a mnemonic). */
char *hako_diagnosis_page_action_label(HakoDiagnosis *diagnosis, HakoDiagnosisActions action);

G_END_DECLS
