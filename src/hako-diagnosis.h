/*
 * HakoDiagnosis: why the guest's screen is (still) dark, in words.
 *
 * Input: the engine's facts timeline (hako/facts.h, as HakoEngine receives it), the VM's settings
 * (firmware, memory, display, OVMF files), what the install medium offers (BIOS and UEFI boot
 * entries) and what the OS database says it needs, and the engine's state. Output: a title, an
 * explanation, the likely cause, the fix, the one-click actions that apply, the GOP status line
 * (did UEFI's Graphics Output Protocol set a mode, when, at what size) and the timeline in words.
 *
 * Pure logic (GLib only, no widgets): HakoDiagnosisPage shows it, tests feed it recorded timelines.
 * The causes follow the "screen stays dark" table of the shared PLATFORM.md.
 */
#pragma once

#include <glib-object.h>

#include "hako/facts.h"

G_BEGIN_DECLS

typedef enum {
    HAKO_DIAGNOSIS_NONE,               /* the guest draws: nothing to explain */
    HAKO_DIAGNOSIS_STARTING,           /* dark, but the firmware is making progress */
    HAKO_DIAGNOSIS_DARK,               /* dark for a long time, no known cause */
    HAKO_DIAGNOSIS_FIRMWARE_MISMATCH,  /* OVMF CODE and VARS from different builds */
    HAKO_DIAGNOSIS_SECURE_BOOT,        /* a Secure Boot (SMM) build of OVMF */
    HAKO_DIAGNOSIS_FIRMWARE_WRONG_WAY, /* CODE and VARS swapped, or VARS given as CODE */
    HAKO_DIAGNOSIS_FIRMWARE_MISSING,   /* no firmware found / file missing */
    HAKO_DIAGNOSIS_VARS_DAMAGED,       /* the VM's variable store is not usable */
    HAKO_DIAGNOSIS_VARS_UNAVAILABLE,   /* in use by another VM, or cannot be written */
    HAKO_DIAGNOSIS_NO_DISPLAY,         /* no display the firmware can drive */
    HAKO_DIAGNOSIS_TOO_LITTLE_RAM,     /* less memory than the OS (or the firmware) needs */
    HAKO_DIAGNOSIS_HOST_KVM,           /* the host's KVM cannot run the guest's code */
    HAKO_DIAGNOSIS_ISO_UEFI_ONLY,      /* the medium boots only with UEFI; BIOS chosen */
    HAKO_DIAGNOSIS_ISO_BIOS_ONLY,      /* the medium boots only with BIOS; UEFI chosen */
    HAKO_DIAGNOSIS_NOT_BOOTABLE,       /* nothing the firmware could boot */
    HAKO_DIAGNOSIS_TEXT_MODE,          /* the OS writes VGA text mode, which this display lacks */
    HAKO_DIAGNOSIS_CRASHED,            /* triple fault */
    HAKO_DIAGNOSIS_RESET_LOOP,         /* resets over and over */
    HAKO_DIAGNOSIS_HALTED,             /* HLT with interrupts off */
    HAKO_DIAGNOSIS_FIRMWARE_STUCK,     /* the firmware spins (dead loop, SMM wait, flash storm) */
    HAKO_DIAGNOSIS_ENGINE_FAILED,      /* the engine ended for another reason */
} HakoDiagnosisCause;

/* One-click fixes (HakoDiagnosisPage shows a button for each). */
typedef enum {
    HAKO_DIAGNOSIS_ACTION_USE_BIOS = 1 << 0,       /* switch the VM to BIOS firmware */
    HAKO_DIAGNOSIS_ACTION_USE_UEFI = 1 << 1,       /* switch the VM to UEFI firmware */
    HAKO_DIAGNOSIS_ACTION_RAISE_MEMORY = 1 << 2,   /* to hako_diagnosis_get_memory_mib() */
    HAKO_DIAGNOSIS_ACTION_USE_FIRMWARE = 1 << 3,   /* the matching OVMF files (get_use_code/vars) */
    HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE = 1 << 4, /* open the serial console */
    HAKO_DIAGNOSIS_ACTION_ADD_DISPLAY = 1 << 5,    /* give the VM a display */
    HAKO_DIAGNOSIS_ACTION_RESTART = 1 << 6,        /* start the VM again */
} HakoDiagnosisActions;

typedef enum {
    HAKO_DIAGNOSIS_FIRMWARE_BIOS,
    HAKO_DIAGNOSIS_FIRMWARE_UEFI,
    HAKO_DIAGNOSIS_FIRMWARE_RAW, /* a raw image (hako-vmm --firmware PATH) */
} HakoDiagnosisFirmware;

/* What the diagnosis knows besides the facts. Strings are copied. */
typedef struct {
    HakoDiagnosisFirmware firmware;
    guint memory_mib;
    gboolean no_display;
    const char *ovmf_code, *ovmf_vars; /* NULL = not set */
    /* the operating system (0 / NULL = unknown) */
    const char *os_name;
    guint os_min_memory_mib, os_recommended_memory_mib;
    /* the install medium */
    gboolean media_known;     /* an ISO was inspected */
    gboolean media_bios_boot; /* it has an El Torito BIOS entry */
    gboolean media_efi_boot;  /* it has an EFI entry with an x64 loader */
} HakoDiagnosisSettings;

#define HAKO_TYPE_DIAGNOSIS (hako_diagnosis_get_type())
G_DECLARE_FINAL_TYPE(HakoDiagnosis, hako_diagnosis, HAKO, DIAGNOSIS, GObject)

HakoDiagnosis *hako_diagnosis_new(void);

void hako_diagnosis_set_settings(HakoDiagnosis *self, const HakoDiagnosisSettings *settings);
/* Reads the VM's [Engine] settings (firmware, memory, display, OVMF files) from its vm.ini; the
 * operating system and medium fields stay as they are. */
void hako_diagnosis_load_settings(HakoDiagnosis *self, GKeyFile *kf);
/* What the OS database says (name NULL / 0 = unknown). */
void hako_diagnosis_set_os(HakoDiagnosis *self, const char *name, guint min_memory_mib,
                           guint recommended_memory_mib);
/* What the install medium offers: El Torito entries for BIOS, and for UEFI on x64. */
void hako_diagnosis_set_media(HakoDiagnosis *self, gboolean known, gboolean bios_boot,
                              gboolean efi_boot);
/* Replaces the timeline (element type struct hk_fact). */
void hako_diagnosis_set_facts(HakoDiagnosis *self, const struct hk_fact *facts, guint n);
void hako_diagnosis_add_fact(HakoDiagnosis *self, const struct hk_fact *fact);
/* ended: the engine is gone (exit_status and reason say why). */
void hako_diagnosis_set_engine(HakoDiagnosis *self, gboolean ended, int exit_status,
                               const char *reason);
/* Seconds since the engine started (the clock of the facts). */
void hako_diagnosis_set_elapsed(HakoDiagnosis *self, double seconds);

/* Draws the conclusions from everything set so far. */
void hako_diagnosis_evaluate(HakoDiagnosis *self);

HakoDiagnosisCause hako_diagnosis_get_cause(HakoDiagnosis *self);
/* A stable name ("host-kvm", "crashed", ...) for logs and tests. */
const char *hako_diagnosis_cause_to_string(HakoDiagnosisCause cause);
/* Translated texts. */
const char *hako_diagnosis_get_title(HakoDiagnosis *self);
const char *hako_diagnosis_get_explanation(HakoDiagnosis *self);
const char *hako_diagnosis_get_cause_text(HakoDiagnosis *self);
const char *hako_diagnosis_get_fix(HakoDiagnosis *self);
const char *hako_diagnosis_get_gop_status(HakoDiagnosis *self);
/* A symbolic icon name for the status page. */
const char *hako_diagnosis_get_icon_name(HakoDiagnosis *self);
/* TRUE while the verdict may still change by itself (the firmware is working). */
gboolean hako_diagnosis_is_pending(HakoDiagnosis *self);

HakoDiagnosisActions hako_diagnosis_get_actions(HakoDiagnosis *self);
/* RAISE_MEMORY: the amount to raise to */
guint hako_diagnosis_get_memory_mib(HakoDiagnosis *self);
/* USE_FIRMWARE: the files (either may be NULL when only one is wrong) */
const char *hako_diagnosis_get_use_code(HakoDiagnosis *self);
const char *hako_diagnosis_get_use_vars(HakoDiagnosis *self);

/* The timeline in words, one line per fact ("  2.41 s  GOP mode set 1280×800, 32 bpp"). */
char *hako_diagnosis_get_timeline(HakoDiagnosis *self);
/* One fact in words (translated). */
char *hako_diagnosis_describe_fact(HakoDiagnosis *self, const struct hk_fact *fact);

/* Changes the VM's [Engine] settings (kf, its vm.ini) so that action takes effect at the next
 * start: firmware, memory, display, OVMF files. USE_UEFI needs the OVMF files to use;
 * USE_FIRMWARE also moves the VM's own variable store (in vm_dir) aside as "*.old" when it was
 * made from the wrong template. Actions that change no setting return TRUE. */
gboolean hako_diagnosis_apply(HakoDiagnosis *self, HakoDiagnosisActions action, GKeyFile *kf,
                              const char *vm_dir, const char *ovmf_code,
                              const char *ovmf_vars_template, GError **error);

G_END_DECLS
