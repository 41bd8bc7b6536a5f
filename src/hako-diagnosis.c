#include "hako-diagnosis.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "hako/facts.h"
#include "hako/size.h"

/* How long a firmware may stay dark before "still starting" turns into something else. */
#define QUIET_SECONDS       20.0 /* no new fact for this long: no progress */
#define DARK_SECONDS        90.0 /* dark this long even with facts trickling in */
#define NO_DISPLAY_SECONDS  15.0 /* the firmware never looked at the display */
#define FLASH_STORM_WRITES  100000
#define UEFI_MIN_MEMORY_MIB 128

struct _HakoDiagnosis {
    GObject parent_instance;
    GArray *facts; /* struct hk_fact */
    /* settings (owned copies) */
    HakoDiagnosisSettings s;
    char *ovmf_code, *ovmf_vars, *os_name;
    gboolean ended;
    int exit_status;
    char *reason;
    double elapsed;
    /* verdict */
    HakoDiagnosisCause cause;
    char *title, *explanation, *cause_text, *fix, *gop, *icon;
    HakoDiagnosisActions actions;
    guint memory_mib;
    char *use_code, *use_vars;
    gboolean pending;
};

G_DEFINE_FINAL_TYPE(HakoDiagnosis, hako_diagnosis, G_TYPE_OBJECT)

static void hako_diagnosis_finalize(GObject *object)
{
    HakoDiagnosis *self = HAKO_DIAGNOSIS(object);
    g_array_unref(self->facts);
    g_free(self->ovmf_code);
    g_free(self->ovmf_vars);
    g_free(self->os_name);
    g_free(self->reason);
    g_free(self->title);
    g_free(self->explanation);
    g_free(self->cause_text);
    g_free(self->fix);
    g_free(self->gop);
    g_free(self->icon);
    g_free(self->use_code);
    g_free(self->use_vars);
    G_OBJECT_CLASS(hako_diagnosis_parent_class)->finalize(object);
}

static void hako_diagnosis_class_init(HakoDiagnosisClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = hako_diagnosis_finalize;
}

static void hako_diagnosis_init(HakoDiagnosis *self)
{
    self->facts = g_array_new(FALSE, TRUE, sizeof(struct hk_fact));
    self->s.firmware = HAKO_DIAGNOSIS_FIRMWARE_BIOS;
    self->s.memory_mib = 1024;
    self->cause = HAKO_DIAGNOSIS_STARTING;
}

HakoDiagnosis *hako_diagnosis_new(void)
{
    return g_object_new(HAKO_TYPE_DIAGNOSIS, NULL);
}

void hako_diagnosis_set_settings(HakoDiagnosis *self, const HakoDiagnosisSettings *settings)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS(self));
    self->s = *settings;
    g_free(self->ovmf_code);
    g_free(self->ovmf_vars);
    g_free(self->os_name);
    self->ovmf_code = g_strdup(settings->ovmf_code);
    self->ovmf_vars = g_strdup(settings->ovmf_vars);
    self->os_name = g_strdup(settings->os_name);
    self->s.ovmf_code = self->ovmf_code;
    self->s.ovmf_vars = self->ovmf_vars;
    self->s.os_name = self->os_name;
}

/* "2G", "1536M", "1048576K", "512" (MiB): as hako-vmm --memory reads it (vmm/common/size.c);
 * 0 for anything the engine would refuse to read */
static guint parse_mib(const char *v)
{
    guint64 mib;
    if (!v || hk_parse_memory_mib(v, &mib) < 0 || mib > G_MAXUINT)
        return 0;
    return (guint)mib;
}

void hako_diagnosis_load_settings(HakoDiagnosis *self, GKeyFile *kf)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS(self));
    const char *E = "Engine";
    g_autofree char *fw = g_key_file_get_string(kf, E, "firmware", NULL);
    if (!fw || g_str_equal(fw, "bios"))
        self->s.firmware = HAKO_DIAGNOSIS_FIRMWARE_BIOS;
    else if (g_str_equal(fw, "uefi"))
        self->s.firmware = HAKO_DIAGNOSIS_FIRMWARE_UEFI;
    else
        self->s.firmware = HAKO_DIAGNOSIS_FIRMWARE_RAW;
    g_autofree char *mem = g_key_file_get_string(kf, E, "memory", NULL);
    self->s.memory_mib = mem ? parse_mib(mem) : 1024;
    if (!self->s.memory_mib)
        self->s.memory_mib = 1024;
    self->s.no_display = g_key_file_get_boolean(kf, E, "no-display", NULL);
    g_free(self->ovmf_code);
    g_free(self->ovmf_vars);
    self->ovmf_code = g_key_file_get_string(kf, E, "ovmf-code", NULL);
    self->ovmf_vars = g_key_file_get_string(kf, E, "ovmf-vars", NULL);
    self->s.ovmf_code = self->ovmf_code;
    self->s.ovmf_vars = self->ovmf_vars;
}

void hako_diagnosis_set_os(HakoDiagnosis *self, const char *name, guint min_memory_mib,
                           guint recommended_memory_mib)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS(self));
    g_free(self->os_name);
    self->os_name = g_strdup(name);
    self->s.os_name = self->os_name;
    self->s.os_min_memory_mib = min_memory_mib;
    self->s.os_recommended_memory_mib = recommended_memory_mib;
}

void hako_diagnosis_set_media(HakoDiagnosis *self, gboolean known, gboolean bios_boot,
                              gboolean efi_boot)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS(self));
    self->s.media_known = known;
    self->s.media_bios_boot = bios_boot;
    self->s.media_efi_boot = efi_boot;
}

void hako_diagnosis_set_facts(HakoDiagnosis *self, const struct hk_fact *facts, guint n)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS(self));
    g_array_set_size(self->facts, 0);
    if (n)
        g_array_append_vals(self->facts, facts, n);
}

void hako_diagnosis_add_fact(HakoDiagnosis *self, const struct hk_fact *fact)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS(self));
    g_array_append_val(self->facts, *fact);
}

void hako_diagnosis_set_engine(HakoDiagnosis *self, gboolean ended, int exit_status,
                               const char *reason)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS(self));
    self->ended = ended;
    self->exit_status = exit_status;
    g_free(self->reason);
    self->reason = g_strdup(reason);
}

void hako_diagnosis_set_elapsed(HakoDiagnosis *self, double seconds)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS(self));
    self->elapsed = seconds;
}

/* ---- reading the timeline ---- */

typedef struct {
    const struct hk_fact *refused;
    const struct hk_fact *internal_error, *triple_fault, *halt, *spin, *reset_loop;
    guint resets, triple_faults;
    const struct hk_fact *last_mode, *first_mode, *last_gop;
    const struct hk_fact *display_off; /* after the last mode set */
    const struct hk_fact *damage;
    const struct hk_fact *enumerated, *rom, *fwcfg, *flash_probe, *firmware;
    gint64 flash_writes;
    const struct hk_fact *smm;
    guint smm_probes;
    const struct hk_fact *vga_text;
    const struct hk_fact *boot_failed, *booting, *power_off;
    gboolean cd_failed;              /* booting from the CD/DVD failed (sticky) */
    const struct hk_fact *catalog;   /* El Torito catalog read: c = 1 BIOS, 2 UEFI entries */
    gboolean no_vga_found;           /* SeaBIOS: "No VGA found" */
    gboolean efi_boot_error;         /* OVMF's boot manager gave up on a boot option */
    const struct hk_fact *serial[3]; /* the last serial lines, newest first */
    const struct hk_fact *boot_read;
    double last_t;
} Summary;

static void summarize(HakoDiagnosis *self, Summary *m)
{
    memset(m, 0, sizeof(*m));
    for (guint i = 0; i < self->facts->len; i++) {
        const struct hk_fact *f = &g_array_index(self->facts, struct hk_fact, i);
        double t = (double)f->t_ns / 1e9;
        if (t > m->last_t)
            m->last_t = t;
        switch (f->kind) {
        case HK_FACT_FIRMWARE: m->firmware = f; break;
        case HK_FACT_FIRMWARE_REFUSED: m->refused = f; break;
        case HK_FACT_INTERNAL_ERROR:
            if (!m->internal_error)
                m->internal_error = f;
            break;
        case HK_FACT_TRIPLE_FAULT:
            m->triple_faults++;
            if (!m->triple_fault)
                m->triple_fault = f;
            break;
        case HK_FACT_RESET: m->resets = MAX(m->resets, (guint)MAX(f->a, 1)); break;
        case HK_FACT_RESET_LOOP:
            m->reset_loop = f;
            m->resets = MAX(m->resets, (guint)f->a);
            break;
        case HK_FACT_HALT_IRQ_OFF: m->halt = f; break;
        case HK_FACT_CPU_SPIN: m->spin = f; break;
        case HK_FACT_MODE_SET:
            if (!m->first_mode)
                m->first_mode = f;
            m->last_mode = f;
            m->display_off = NULL;
            m->damage = NULL;
            if (f->flags & HK_FACT_MODE_BY_FIRMWARE_GOP)
                m->last_gop = f;
            break;
        case HK_FACT_DISPLAY_DISABLED: m->display_off = f; break;
        case HK_FACT_FIRST_DAMAGE: m->damage = f; break;
        case HK_FACT_DISPLAY_ENUMERATED:
            if (!m->enumerated)
                m->enumerated = f;
            break;
        case HK_FACT_DISPLAY_ROM_READ: m->rom = f; break;
        case HK_FACT_FWCFG_FIRST:
            if (!m->fwcfg)
                m->fwcfg = f;
            break;
        case HK_FACT_FLASH_PROBE: m->flash_probe = f; break;
        case HK_FACT_FLASH_WRITE: m->flash_writes = MAX(m->flash_writes, f->a); break;
        case HK_FACT_SMM_PROBE:
            m->smm_probes++;
            if (!m->smm)
                m->smm = f;
            break;
        case HK_FACT_VGA_TEXT_WRITE:
            if (!m->vga_text)
                m->vga_text = f;
            break;
        case HK_FACT_BOOT_FAILED:
            m->boot_failed = f;
            if (f->a == HK_BOOT_DEVICE_CDROM ||
                (m->booting && m->booting->a == HK_BOOT_DEVICE_CDROM))
                m->cd_failed = TRUE;
            break;
        case HK_FACT_BOOTING:
            m->booting = f;
            m->boot_failed = NULL; /* a new attempt (SeaBIOS tries the next device) */
            break;
        case HK_FACT_BOOT_READ:
            if (!m->boot_read)
                m->boot_read = f;
            if (f->b == 1)
                m->catalog = f;
            break;
        case HK_FACT_POWER_OFF: m->power_off = f; break;
        case HK_FACT_DEBUGCON_LINE:
            if (f->flags & HK_FACT_LINE_NO_VGA)
                m->no_vga_found = TRUE;
            if (f->flags & HK_FACT_LINE_EFI_BOOT_FAIL)
                m->efi_boot_error = TRUE;
            break;
        case HK_FACT_SERIAL_LINE:
            if (f->flags & HK_FACT_LINE_EFI_BOOT_FAIL)
                m->efi_boot_error = TRUE;
            m->serial[2] = m->serial[1];
            m->serial[1] = m->serial[0];
            m->serial[0] = f;
            break;
        default: break;
        }
    }
}

/* ---- words ---- */

static char *seconds(double t)
{
    if (t < 10)
        return g_strdup_printf(_("%.2f s"), t);
    return g_strdup_printf(_("%.1f s"), t);
}

static double fact_seconds(const struct hk_fact *f)
{
    return (double)f->t_ns / 1e9;
}

static const char *file_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "";
}

/* The fact's instruction bytes start with these */
static gboolean insn_starts(const struct hk_fact *f, const char *prefix, gsize n)
{
    return f->insn_len >= n && n <= sizeof(f->insn) && memcmp(f->insn, prefix, n) == 0;
}

/* The instruction a fact's bytes hold, when Hako knows it */
static const char *instruction_name(const struct hk_fact *f)
{
    if (insn_starts(f, "\x9b\xdb\xe3", 3) || insn_starts(f, "\xdb\xe3", 2))
        return "FWAIT; FNINIT";
    if (insn_starts(f, "\x0f\x01\xc1", 3) || insn_starts(f, "\x0f\x01\xd9", 3))
        return "VMCALL";
    if (insn_starts(f, "\x0f\x0b", 2))
        return "UD2";
    if (insn_starts(f, "\xf3\x0f\xae", 3) || insn_starts(f, "\x0f\xae", 2))
        return "FXSAVE/FXRSTOR";
    if (insn_starts(f, "\xcf", 1) || insn_starts(f, "\x48\xcf", 2))
        return "IRET";
    return NULL;
}

/* The first max instruction bytes in hex ("9b db e3 d9 2d"); "unreadable" when there are none */
static char *insn_hex(const struct hk_fact *f, guint max)
{
    if (!f->insn_len)
        return g_strdup(_("unreadable"));
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < f->insn_len && i < max && i < sizeof(f->insn); i++)
        g_string_append_printf(s, "%s%02x", i ? " " : "", f->insn[i]);
    return g_string_free(s, FALSE);
}

/* Why firmware was refused (HK_FACT_FIRMWARE_REFUSED a), in a few words. */
static const char *firmware_problem_words(gint64 problem)
{
    switch (problem) {
    case HK_FW_PROBLEM_NOT_FOUND: return _("the firmware is not installed or does not exist");
    case HK_FW_PROBLEM_UNREADABLE: return _("a firmware file cannot be read");
    case HK_FW_PROBLEM_BAD_SIZE: return _("a firmware file has a size no firmware has");
    case HK_FW_PROBLEM_MISMATCH: return _("the UEFI code and variable store do not match");
    case HK_FW_PROBLEM_SECURE_BOOT: return _("a Secure Boot build, which needs SMM");
    case HK_FW_PROBLEM_SWAPPED: return _("the UEFI files are the wrong way round");
    case HK_FW_PROBLEM_NOT_CODE: return _("the firmware file is not code a PC can start");
    case HK_FW_PROBLEM_BAD_VARS: return _("the UEFI variable store is damaged");
    case HK_FW_PROBLEM_VARS_IN_USE: return _("another virtual machine uses the variable store");
    case HK_FW_PROBLEM_VARS_WRITE: return _("the variable store cannot be written");
    default: return _("the firmware cannot be used");
    }
}

char *hako_diagnosis_describe_fact(HakoDiagnosis *self, const struct hk_fact *f)
{
    gboolean uefi = self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI;
    switch (f->kind) {
    case HK_FACT_ENGINE_START: return g_strdup_printf(_("Virtual machine started (%s)"), f->text);
    case HK_FACT_FIRMWARE:
        return f->path[0][0] ? g_strdup_printf(_("Firmware: %s (%s)"), f->path[0], f->text)
                             : g_strdup_printf(_("Firmware: %s"), f->text);
    case HK_FACT_FIRMWARE_VARS:
        return f->path[0][0]
                   ? g_strdup_printf(_("UEFI variable store: %s (%s)"), f->path[0], f->text)
                   : g_strdup_printf(_("UEFI variable store: %s"), f->text);
    case HK_FACT_FIRMWARE_REFUSED:
        return g_strdup_printf(_("Firmware refused before the start: %s"),
                               firmware_problem_words(f->a));
    case HK_FACT_FWCFG_FIRST: return g_strdup(_("The firmware read its configuration (fw_cfg)"));
    case HK_FACT_FWCFG_FILE: return g_strdup_printf(_("The firmware read %s"), f->text);
    case HK_FACT_DISPLAY_ENUMERATED: return g_strdup(_("The firmware found the display device"));
    case HK_FACT_DISPLAY_BAR:
        return g_strdup_printf(_("Display BAR%d placed at 0x%llx"), (int)f->a,
                               (unsigned long long)f->b);
    case HK_FACT_DISPLAY_ROM_READ: return g_strdup(_("The firmware read the display's option ROM"));
    case HK_FACT_MODE_SET:
        if (uefi && (f->flags & HK_FACT_MODE_BY_FIRMWARE_GOP))
            return g_strdup_printf(_("GOP mode set %lld×%lld, %lld bpp"), (long long)f->a,
                                   (long long)f->b, (long long)f->c);
        return g_strdup_printf(_("Display mode set %lld×%lld, %lld bpp"), (long long)f->a,
                               (long long)f->b, (long long)f->c);
    case HK_FACT_DISPLAY_DISABLED: return g_strdup(_("The display was switched off"));
    case HK_FACT_FIRST_DAMAGE: return g_strdup(_("First picture on the screen"));
    case HK_FACT_FLASH_WRITE:
        return g_strdup_printf(_("UEFI variable store written (%lld writes so far)"),
                               (long long)f->a);
    case HK_FACT_FLASH_PROBE: return g_strdup(_("UEFI found its variable store"));
    case HK_FACT_SMM_PROBE:
        return g_strdup_printf(_("The firmware asked for System Management Mode: %s"), f->text);
    case HK_FACT_BOOT_READ: return g_strdup_printf(_("Read from the boot medium: %s"), f->text);
    case HK_FACT_RESET: return g_strdup_printf(_("Reset (%s)"), f->text);
    case HK_FACT_RESET_LOOP:
        return g_strdup_printf(_("The machine keeps resetting (%lld resets)"), (long long)f->a);
    case HK_FACT_INTERNAL_ERROR: {
        g_autofree char *bytes = insn_hex(f, HK_FACT_INSN_MAX);
        return g_strdup_printf(_("The host's KVM could not run the instruction at 0x%llx (%s)"),
                               (unsigned long long)f->b, bytes);
    }
    case HK_FACT_TRIPLE_FAULT: {
        g_autofree char *bytes = insn_hex(f, HK_FACT_INSN_MAX);
        return g_strdup_printf(_("Triple fault at 0x%llx (%s)"), (unsigned long long)f->b, bytes);
    }
    case HK_FACT_HALT_IRQ_OFF:
        return g_strdup_printf(_("The CPU halted with interrupts off at 0x%llx"),
                               (unsigned long long)f->b);
    case HK_FACT_CPU_SPIN:
        return g_strdup_printf(_("The CPU loops at 0x%llx without touching any device (%lld s)"),
                               (unsigned long long)f->b, (long long)f->a);
    case HK_FACT_SERIAL_LINE: return g_strdup_printf(_("Serial: %s"), f->text);
    case HK_FACT_DEBUGCON_LINE: return g_strdup_printf(_("Firmware log: %s"), f->text);
    case HK_FACT_VGA_TEXT_WRITE:
        return g_strdup(_("The guest writes to VGA text memory, which this display does not show"));
    case HK_FACT_POWER_OFF: return g_strdup_printf(_("Powered off (%s)"), f->text);
    case HK_FACT_GUEST_ERROR: return g_strdup_printf(_("Refused guest request: %s"), f->text);
    case HK_FACT_BOOT_FAILED: return g_strdup_printf(_("Boot failed: %s"), f->text);
    case HK_FACT_BOOTING: return g_strdup_printf(_("Booting: %s"), f->text);
    case HK_FACT_POINTER_MODE:
        return g_strdup(f->a ? _("The guest switched to the absolute pointer")
                             : _("The guest uses the relative pointer"));
    case HK_FACT_NET_BACKEND: return g_strdup_printf(_("Network service: %s"), f->text);
    case HK_FACT_NET_DRIVER_OK:
        return g_strdup_printf(_("The guest's driver started the network card (%s)"), f->text);
    case HK_FACT_NET_FIRST_TX:
        return g_strdup_printf(_("The guest sent its first network frame (%s)"), f->text);
    case HK_FACT_NET_DHCP: return g_strdup_printf(_("Network address (DHCP): %s"), f->text);
    case HK_FACT_NET_DNS:
        return g_strdup_printf(f->a ? _("Name lookup answered: %s") : _("Name lookup: %s"),
                               f->text);
    case HK_FACT_NET_LINK: return g_strdup(f->a ? _("Network link up") : _("Network link down"));
    default: return g_strdup_printf("%s: %s", hk_fact_name(f->kind), f->text);
    }
}

char *hako_diagnosis_get_timeline(HakoDiagnosis *self)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < self->facts->len; i++) {
        const struct hk_fact *f = &g_array_index(self->facts, struct hk_fact, i);
        g_autofree char *what = hako_diagnosis_describe_fact(self, f);
        g_string_append_printf(s, "%s%8.2f  %s", i ? "\n" : "", fact_seconds(f), what);
    }
    return g_string_free(s, FALSE);
}

/* ---- the verdict ---- */

static void verdict(HakoDiagnosis *self, HakoDiagnosisCause cause, const char *icon, char *title,
                    char *explanation, char *cause_text, char *fix)
{
    self->cause = cause;
    g_free(self->icon);
    g_free(self->title);
    g_free(self->explanation);
    g_free(self->cause_text);
    g_free(self->fix);
    self->icon = g_strdup(icon);
    self->title = title;
    self->explanation = explanation;
    self->cause_text = cause_text;
    self->fix = fix;
}

static guint memory_target(HakoDiagnosis *self)
{
    guint want = self->s.os_recommended_memory_mib ? self->s.os_recommended_memory_mib
                                                   : self->s.os_min_memory_mib;
    if (self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI)
        want = MAX(want, 512u);
    return MAX(want, self->s.memory_mib * 2);
}

static gboolean too_little_memory(HakoDiagnosis *self)
{
    if (self->s.os_min_memory_mib && self->s.memory_mib < self->s.os_min_memory_mib)
        return TRUE;
    return self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI &&
           self->s.memory_mib < UEFI_MIN_MEMORY_MIB;
}

static void set_too_little_memory(HakoDiagnosis *self)
{
    self->actions |= HAKO_DIAGNOSIS_ACTION_RAISE_MEMORY;
    self->memory_mib = memory_target(self);
    char *expl;
    if (self->s.os_min_memory_mib && self->s.memory_mib < self->s.os_min_memory_mib)
        expl = g_strdup_printf(_("This virtual machine has %u MiB of memory, but %s needs at "
                                 "least %u MiB. Installers that run out of memory stop or crash "
                                 "before they show anything."),
                               self->s.memory_mib,
                               self->s.os_name ? self->s.os_name : _("this operating system"),
                               self->s.os_min_memory_mib);
    else
        expl = g_strdup_printf(_("This virtual machine has %u MiB of memory. The UEFI firmware "
                                 "alone needs about %u MiB before it can start an operating "
                                 "system."),
                               self->s.memory_mib, UEFI_MIN_MEMORY_MIB);
    verdict(self, HAKO_DIAGNOSIS_TOO_LITTLE_RAM, "dialog-warning-symbolic",
            g_strdup(_("Not Enough Memory")), expl,
            g_strdup(_("Too little memory for this operating system")),
            g_strdup_printf(_("Give the virtual machine %u MiB of memory and start it again."),
                            self->memory_mib));
}

/* The files to use instead, from the refusal fact's path fields */
static void take_use(HakoDiagnosis *self, const struct hk_fact *f)
{
    g_clear_pointer(&self->use_code, g_free);
    g_clear_pointer(&self->use_vars, g_free);
    if (f->path[0][0])
        self->use_code = g_strndup(f->path[0], sizeof(f->path[0]));
    if (f->path[1][0])
        self->use_vars = g_strndup(f->path[1], sizeof(f->path[1]));
}

static char *use_files_text(HakoDiagnosis *self)
{
    if (self->use_code && self->use_vars)
        return g_strdup_printf(_("Use %s with %s."), self->use_code, self->use_vars);
    if (self->use_code)
        return g_strdup_printf(_("Use %s."), self->use_code);
    if (self->use_vars)
        return g_strdup_printf(_("Use the variable store %s."), self->use_vars);
    return g_strdup(_("Choose the OVMF files again in the virtual machine's settings."));
}

static void refused(HakoDiagnosis *self, const struct hk_fact *f)
{
    take_use(self, f);
    if (self->use_code || self->use_vars)
        self->actions |= HAKO_DIAGNOSIS_ACTION_USE_FIRMWARE;
    const char *code = file_name(self->s.ovmf_code);
    const char *vars = file_name(self->s.ovmf_vars);
    g_autofree char *use = use_files_text(self);
    switch ((int)f->a) {
    case HK_FW_PROBLEM_MISMATCH:
        verdict(self, HAKO_DIAGNOSIS_FIRMWARE_MISMATCH, "dialog-error-symbolic",
                g_strdup(_("The UEFI Files Do Not Match")),
                g_strdup(_("OVMF comes in builds for 2 MiB and 4 MiB flash, and the firmware "
                           "code (CODE) only works with the variable store (VARS) of the same "
                           "build. The files of this virtual machine belong to different builds, "
                           "so the firmware would not find its variables and would stop before "
                           "showing anything.")),
                g_strdup(_("Mismatched OVMF files (2 MiB and 4 MiB builds mixed)")), g_strdup(use));
        break;
    case HK_FW_PROBLEM_SECURE_BOOT:
        verdict(self, HAKO_DIAGNOSIS_SECURE_BOOT, "dialog-error-symbolic",
                g_strdup(_("This UEFI Firmware Needs Secure Boot Hardware")),
                g_strdup_printf(_("%s is a Secure Boot build of OVMF. It needs System Management "
                                  "Mode on a Q35 machine, which Hako's virtual PC does not have; "
                                  "it would stop before it draws anything."),
                                code[0] ? code : _("The chosen firmware")),
                g_strdup(_("Secure Boot build of OVMF")), g_strdup(use));
        break;
    case HK_FW_PROBLEM_SWAPPED:
    case HK_FW_PROBLEM_NOT_CODE:
        verdict(self, HAKO_DIAGNOSIS_FIRMWARE_WRONG_WAY, "dialog-error-symbolic",
                g_strdup(_("The UEFI Files Are the Wrong Way Round")),
                g_strdup_printf(_("The file given as the firmware code is not code the computer "
                                  "can start from (%s), or the code and the variable store were "
                                  "given the other way round."),
                                code[0] ? code : vars),
                g_strdup(_("Firmware files given the wrong way")), g_strdup(use));
        break;
    case HK_FW_PROBLEM_BAD_VARS:
        verdict(self, HAKO_DIAGNOSIS_VARS_DAMAGED, "dialog-error-symbolic",
                g_strdup(_("The UEFI Settings Are Damaged")),
                g_strdup(_("The virtual machine's UEFI variable store (where the firmware keeps "
                           "its settings and boot entries) is not a valid store.")),
                g_strdup(_("Damaged UEFI variable store")),
                self->use_vars ? g_strdup_printf(_("Start again from the empty store %s; the "
                                                   "firmware's settings are lost."),
                                                 self->use_vars)
                               : g_strdup(_("Start again from an empty variable store.")));
        break;
    case HK_FW_PROBLEM_VARS_IN_USE:
    case HK_FW_PROBLEM_VARS_WRITE:
        verdict(self, HAKO_DIAGNOSIS_VARS_UNAVAILABLE, "dialog-error-symbolic",
                g_strdup(_("The UEFI Settings Cannot Be Opened")),
                g_strdup(f->a == HK_FW_PROBLEM_VARS_IN_USE
                             ? _("Another running virtual machine uses the same UEFI variable "
                                 "store.")
                             : _("The virtual machine's UEFI variable store cannot be created or "
                                 "written.")),
                g_strdup(_("UEFI variable store unavailable")),
                g_strdup(f->a == HK_FW_PROBLEM_VARS_IN_USE
                             ? _("Shut down the other virtual machine first.")
                             : _("Check that the virtual machine's folder is writable.")));
        break;
    default:
        verdict(self, HAKO_DIAGNOSIS_FIRMWARE_MISSING, "dialog-error-symbolic",
                g_strdup(_("The Firmware Is Missing")),
                g_strdup(_("The firmware this virtual machine starts from is not installed or "
                           "could not be read.")),
                g_strdup(_("Firmware not found")),
                g_strdup(self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI
                             ? _("Install OVMF (Debian and Ubuntu: the ovmf package; Fedora and "
                                 "Arch: edk2-ovmf), or switch the virtual machine to BIOS.")
                             : _("Install SeaBIOS (the seabios package).")));
        if (self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI)
            self->actions |= HAKO_DIAGNOSIS_ACTION_USE_BIOS;
        break;
    }
}

static void host_kvm(HakoDiagnosis *self, const Summary *m)
{
    const struct hk_fact *f = m->internal_error;
    gboolean uefi = self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI;
    gboolean early = !m->last_mode;
    g_autofree char *bytes = insn_hex(f, 5);
    const char *name = instruction_name(f);
    g_autofree char *insn = name          ? g_strdup_printf("%s (%s)", name, bytes)
                            : f->insn_len ? g_strdup(bytes)
                                          : g_strdup(_("(bytes unreadable)"));
    g_autofree char *at = seconds(fact_seconds(f));
    char *expl = g_strdup_printf(
        _("After %s the host's KVM stopped at the instruction %s at address 0x%llx: it could not "
          "run it. KVM runs guest code on the processor itself when the computer offers hardware "
          "virtualization; on hosts where KVM itself runs inside another virtual machine it "
          "has to emulate the start-up code instruction by instruction, and its emulator does "
          "not know every instruction."),
        at, insn, (unsigned long long)f->b);
    char *fix;
    if (uefi && early) {
        self->actions |= HAKO_DIAGNOSIS_ACTION_USE_BIOS;
        fix = g_strdup(_("Switch this virtual machine to BIOS firmware, which starts on this "
                         "host, or run Hako on a computer with hardware virtualization (Intel "
                         "VT-x or AMD-V) available directly."));
    } else {
        fix = g_strdup(_("Run Hako on a computer with hardware virtualization (Intel VT-x or "
                         "AMD-V) available directly, not inside another virtual machine."));
    }
    verdict(self, HAKO_DIAGNOSIS_HOST_KVM, "computer-fail-symbolic",
            g_strdup(uefi && early ? _("This Computer Cannot Run the UEFI Firmware")
                                   : _("This Computer Cannot Run the Guest")),
            expl,
            g_strdup(uefi && early ? _("The host's KVM cannot run this firmware")
                                   : _("The host's KVM cannot run the guest's code")),
            fix);
}

static char *last_serial_text(const Summary *m)
{
    if (!m->serial[0])
        return NULL;
    GString *s = g_string_new(NULL);
    for (int i = 2; i >= 0; i--)
        if (m->serial[i])
            g_string_append_printf(s, "%s“%s”", s->len ? "\n" : "", m->serial[i]->text);
    return g_string_free(s, FALSE);
}

static void crashed(HakoDiagnosis *self, const Summary *m)
{
    const struct hk_fact *f = m->triple_fault;
    if (m->serial[0])
        self->actions |= HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE;
    self->actions |= HAKO_DIAGNOSIS_ACTION_RESTART;
    g_autofree char *serial = last_serial_text(m);
    if (m->reset_loop) {
        char *expl = g_strdup_printf(
            f ? _("The virtual machine has reset itself %u times in a row. Each time the guest "
                  "crashed so badly that the processor gave up (a triple fault: an error while "
                  "handling an error while handling an error), which restarts a PC.")
              : _("The virtual machine has reset itself %u times in a row: the guest asks for a "
                  "restart right after every start."),
            m->resets);
        verdict(self, HAKO_DIAGNOSIS_RESET_LOOP, "view-refresh-symbolic",
                g_strdup(_("The Guest Keeps Restarting")), expl,
                g_strdup(_("The guest crashes right after every start")),
                g_strdup(self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI
                             ? _("The operating system or its boot loader crashes early. Check "
                                 "that the install medium is for 64-bit PCs and not damaged, or "
                                 "try BIOS firmware.")
                         : self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_BIOS
                             ? _("The operating system or its boot loader crashes early. Check "
                                 "that the install medium is for 64-bit PCs and not damaged, or "
                                 "try UEFI firmware.")
                             : _("The program this virtual machine starts crashes early; it "
                                 "needs fixing.")));
        self->actions |=
            self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI   ? HAKO_DIAGNOSIS_ACTION_USE_BIOS
            : self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_BIOS ? HAKO_DIAGNOSIS_ACTION_USE_UEFI
                                                               : 0;
        return;
    }
    g_autofree char *at = seconds(f ? fact_seconds(f) : 0);
    char *e2 = g_strdup_printf(_("At %s the guest crashed: the processor met an error while "
                                 "handling an error while handling an error (a triple fault at "
                                 "0x%llx) and had to restart."),
                               at, f ? (unsigned long long)f->b : 0ull);
    char *expl;
    if (serial) {
        expl =
            g_strdup_printf("%s\n%s\n%s", e2, _("The last lines on the serial console:"), serial);
        g_free(e2);
    } else {
        expl = e2;
    }
    verdict(self, HAKO_DIAGNOSIS_CRASHED, "dialog-error-symbolic", g_strdup(_("The Guest Crashed")),
            expl, g_strdup(_("The guest crashed (triple fault)")),
            g_strdup(_("Start it again. If it crashes again at the same place, the operating "
                       "system does not support this virtual PC; check the install medium.")));
}

static void halted(HakoDiagnosis *self, const Summary *m)
{
    g_autofree char *serial = last_serial_text(m);
    g_autofree char *at = seconds(fact_seconds(m->halt));
    if (m->serial[0])
        self->actions |= HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE;
    self->actions |= HAKO_DIAGNOSIS_ACTION_RESTART;
    char *e = g_strdup_printf(_("At %s the processor stopped (HLT) with interrupts switched off, "
                                "at address 0x%llx. Nothing can wake it: this is how operating "
                                "systems and firmware stop after a fatal error (a kernel panic, "
                                "for example)."),
                              at, (unsigned long long)m->halt->b);
    char *expl;
    if (serial) {
        expl = g_strdup_printf("%s\n%s\n%s", e, _("The last lines on the serial console:"), serial);
        g_free(e);
    } else {
        expl = e;
    }
    verdict(self, HAKO_DIAGNOSIS_HALTED, "media-playback-stop-symbolic",
            g_strdup(_("The Guest Stopped")), expl,
            g_strdup(_("The guest halted after a fatal error")),
            g_strdup(m->serial[0] ? _("Read the serial console for the error, then start the "
                                      "virtual machine again.")
                                  : _("Start the virtual machine again; if it stops again, the "
                                      "operating system does not support this virtual PC.")));
}

static void iso_mismatch(HakoDiagnosis *self, gboolean uefi_only)
{
    if (uefi_only) {
        self->actions |= HAKO_DIAGNOSIS_ACTION_USE_UEFI;
        verdict(self, HAKO_DIAGNOSIS_ISO_UEFI_ONLY, "media-optical-symbolic",
                g_strdup(_("This Disc Only Starts with UEFI")),
                g_strdup(_("The install medium has a boot entry for UEFI firmware only, but this "
                           "virtual machine uses BIOS firmware. The BIOS tried to boot the disc "
                           "and found nothing it could start.")),
                g_strdup(_("The ISO has no boot entry for BIOS")),
                g_strdup(_("Switch the virtual machine to UEFI firmware.")));
    } else {
        self->actions |= HAKO_DIAGNOSIS_ACTION_USE_BIOS;
        verdict(self, HAKO_DIAGNOSIS_ISO_BIOS_ONLY, "media-optical-symbolic",
                g_strdup(_("This Disc Only Starts with BIOS")),
                g_strdup(_("The install medium has a boot entry for BIOS firmware only, but this "
                           "virtual machine uses UEFI firmware, which found no UEFI boot loader "
                           "on it.")),
                g_strdup(_("The ISO has no boot entry for UEFI")),
                g_strdup(_("Switch the virtual machine to BIOS firmware.")));
    }
}

static void not_bootable(HakoDiagnosis *self, const Summary *m)
{
    verdict(self, HAKO_DIAGNOSIS_NOT_BOOTABLE, "drive-harddisk-symbolic",
            g_strdup(_("Nothing to Start")),
            m->boot_failed
                ? g_strdup_printf(_("The firmware looked for something to boot and found nothing "
                                    "it could start: “%s”"),
                                  m->boot_failed->text)
                : g_strdup(_("The firmware looked for something to boot and found nothing it "
                             "could start.")),
            g_strdup(_("No bootable disk or disc")),
            g_strdup(_("Insert an install disc (ISO image) or check that the disk holds an "
                       "installed system.")));
}

static void text_mode(HakoDiagnosis *self)
{
    if (self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_BIOS)
        self->actions |= HAKO_DIAGNOSIS_ACTION_USE_UEFI;
    self->actions |= HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE;
    verdict(self, HAKO_DIAGNOSIS_TEXT_MODE, "video-display-symbolic",
            g_strdup(_("The Guest Uses a Text Mode This Display Cannot Show")),
            g_strdup(_("The guest switched the display off and writes text into VGA text "
                       "memory (0xB8000). Hako's display device has no VGA text mode, so that "
                       "text never appears. Older systems and some installers' text consoles "
                       "do this.")),
            g_strdup(_("The operating system switched to VGA text mode")),
            g_strdup(self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_BIOS
                         ? _("Choose the graphical entry in the installer's boot menu, or use "
                             "UEFI firmware: with UEFI the operating system keeps drawing into "
                             "the firmware's graphics mode.")
                         : _("Choose the graphical entry in the installer's boot menu, or follow "
                             "the text on the serial console.")));
}

static void no_display(HakoDiagnosis *self, const Summary *m)
{
    if (self->s.no_display) {
        self->actions |= HAKO_DIAGNOSIS_ACTION_ADD_DISPLAY;
        self->actions |= HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE;
        verdict(self, HAKO_DIAGNOSIS_NO_DISPLAY, "video-display-symbolic",
                g_strdup(_("This Virtual Machine Has No Display")),
                g_strdup(_("The virtual machine was set up without a display device, so there "
                           "is nothing to draw on.")),
                g_strdup(_("No display device")),
                g_strdup(_("Give the virtual machine a display, or use the serial console.")));
        return;
    }
    const char *expl;
    const char *fix;
    if (self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_BIOS && m->no_vga_found && !m->rom) {
        expl = _("SeaBIOS looked for a graphics card and found none it can drive: the display's "
                 "video BIOS (vgabios-bochs-display.bin) was not available.");
        fix = _("Install the seabios package, which provides the video BIOS, and start the "
                "virtual machine again.");
    } else if (self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI && m->enumerated) {
        expl = _("The UEFI firmware found the display device but its graphics driver never set "
                 "a mode on it.");
        fix = _("Use an OVMF build that includes the QEMU video driver (every distribution "
                "build does), or switch to BIOS firmware.");
        self->actions |= HAKO_DIAGNOSIS_ACTION_USE_BIOS;
    } else {
        expl = _("The firmware never looked at the display device: it did not read its PCI "
                 "identity, did not place its memory and did not read its video BIOS.");
        fix = self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_RAW
                  ? _("The program this virtual machine starts does not use a display; follow "
                      "its output on the serial console.")
                  : _("Check that the firmware is a PC firmware (SeaBIOS or OVMF) and follow "
                      "its output on the serial console.");
    }
    self->actions |= HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE;
    verdict(self, HAKO_DIAGNOSIS_NO_DISPLAY, "video-display-symbolic",
            g_strdup(_("No Display the Firmware Can Drive")), g_strdup(expl),
            g_strdup(_("No display the firmware can drive")), g_strdup(fix));
}

static void stuck(HakoDiagnosis *self, const Summary *m)
{
    gboolean uefi = self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI;
    if (uefi && m->smm_probes && !m->last_mode) {
        /* a Secure Boot build that was not recognised before the start */
        verdict(self, HAKO_DIAGNOSIS_SECURE_BOOT, "dialog-error-symbolic",
                g_strdup(_("This UEFI Firmware Needs Secure Boot Hardware")),
                g_strdup(_("The firmware asked for System Management Mode (SMM), which Hako's "
                           "virtual PC does not have, and now waits for an answer that never "
                           "comes. Secure Boot builds of OVMF do this.")),
                g_strdup(_("Secure Boot build of OVMF")),
                g_strdup(_("Choose the plain OVMF build (OVMF_CODE_4M.fd on Debian and Ubuntu) "
                           "in the virtual machine's settings.")));
        return;
    }
    if (uefi && m->flash_writes >= FLASH_STORM_WRITES && !m->last_mode) {
        verdict(self, HAKO_DIAGNOSIS_FIRMWARE_MISMATCH, "dialog-error-symbolic",
                g_strdup(_("The UEFI Files Do Not Match")),
                g_strdup_printf(_("The firmware has written to its variable store %lld times "
                                  "without drawing anything: it cannot make sense of the store, "
                                  "which usually belongs to another OVMF build."),
                                (long long)m->flash_writes),
                g_strdup(_("Mismatched OVMF files (2 MiB and 4 MiB builds mixed)")),
                g_strdup(_("Choose an OVMF CODE file and the VARS file of the same build.")));
        return;
    }
    g_autofree char *at = seconds(fact_seconds(m->spin));
    char *expl = g_strdup_printf(
        m->last_mode ? _("Since %s the processor has been running a small loop at address 0x%llx "
                         "without touching any device: the guest has stopped working.")
        : uefi       ? _("Since %s the processor has been running a small loop at address 0x%llx "
                               "without touching any device: the UEFI firmware has stopped working.")
                     : _("Since %s the processor has been running a small loop at address 0x%llx "
                               "without touching any device: the firmware has stopped working."),
        at, (unsigned long long)m->spin->b);
    self->actions |= HAKO_DIAGNOSIS_ACTION_RESTART;
    if (uefi && !m->last_mode)
        self->actions |= HAKO_DIAGNOSIS_ACTION_USE_BIOS;
    verdict(
        self, HAKO_DIAGNOSIS_FIRMWARE_STUCK, "dialog-error-symbolic",
        g_strdup(m->last_mode ? _("The Guest Stopped Responding")
                              : _("The Firmware Stopped Working")),
        expl,
        g_strdup(m->last_mode ? _("The guest hangs in a loop") : _("The firmware hangs in a loop")),
        g_strdup(uefi && !m->last_mode ? _("Start the virtual machine again, or try BIOS firmware.")
                                       : _("Start the virtual machine again.")));
}

static void starting(HakoDiagnosis *self, const Summary *m)
{
    gboolean uefi = self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI;
    const char *step;
    if (m->last_mode)
        step = _("The display is set up; waiting for the first picture.");
    else if (m->flash_probe)
        step = _("The UEFI firmware has found its settings and is loading its drivers.");
    else if (m->enumerated)
        step = _("The firmware has found the display device.");
    else if (m->fwcfg)
        step = _("The firmware is reading its configuration.");
    else if (m->firmware)
        step = _("The firmware has just been started.");
    else
        step = _("The virtual machine is being set up.");
    g_autofree char *el = seconds(self->elapsed);
    verdict(self, HAKO_DIAGNOSIS_STARTING, "content-loading-symbolic",
            g_strdup(_("Still Starting")),
            g_strdup_printf(_("%s It has been running for %s and is making progress."), step, el),
            g_strdup(uefi ? _("The UEFI firmware is still starting")
                          : _("The firmware is still starting")),
            g_strdup(_("Wait a moment. On hosts without hardware virtualization the firmware "
                       "starts slowly.")));
    self->pending = TRUE;
}

static void dark(HakoDiagnosis *self, const Summary *m)
{
    self->actions |= HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE;
    g_autofree char *el = seconds(self->elapsed);
    g_autofree char *quiet = seconds(self->elapsed - m->last_t);
    verdict(self, HAKO_DIAGNOSIS_DARK, "video-display-symbolic",
            g_strdup(_("The Screen Stays Dark")),
            g_strdup_printf(_("The virtual machine has been running for %s, and nothing new has "
                              "happened for %s. The timeline below shows how far it got."),
                            el, quiet),
            g_strdup(_("Unknown: the guest is running but not drawing")),
            g_strdup(_("Look at the serial console for messages, or start the virtual machine "
                       "again.")));
    self->pending = TRUE;
}

static void set_gop_status(HakoDiagnosis *self, const Summary *m)
{
    g_free(self->gop);
    if (self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_RAW) {
        self->gop = g_strdup(_("GOP status: not used (the firmware is a raw image)"));
        return;
    }
    if (self->s.firmware != HAKO_DIAGNOSIS_FIRMWARE_UEFI) {
        if (m->first_mode) {
            g_autofree char *at = seconds(fact_seconds(m->first_mode));
            self->gop = g_strdup_printf(_("GOP status: not used (BIOS firmware); the video BIOS "
                                          "set %lld×%lld, %lld bpp at %s"),
                                        (long long)m->first_mode->a, (long long)m->first_mode->b,
                                        (long long)m->first_mode->c, at);
        } else {
            self->gop = g_strdup(_("GOP status: not used (BIOS firmware); no display mode set "
                                   "yet"));
        }
        return;
    }
    if (m->last_gop) {
        g_autofree char *at = seconds(fact_seconds(m->last_gop));
        self->gop = g_strdup_printf(_("GOP status: mode set %lld×%lld, %lld bpp at %s"),
                                    (long long)m->last_gop->a, (long long)m->last_gop->b,
                                    (long long)m->last_gop->c, at);
    } else if (m->refused) {
        self->gop = g_strdup(_("GOP status: no mode set: the firmware did not start"));
    } else if (m->internal_error || m->triple_fault || m->halt) {
        self->gop = g_strdup(_("GOP status: no mode set: the firmware stopped before its "
                               "graphics driver ran"));
    } else if (m->enumerated) {
        g_autofree char *at = seconds(fact_seconds(m->enumerated));
        self->gop = g_strdup_printf(_("GOP status: no mode set yet (display found at %s)"), at);
    } else {
        self->gop = g_strdup(_("GOP status: no mode set yet"));
    }
}

void hako_diagnosis_evaluate(HakoDiagnosis *self)
{
    g_return_if_fail(HAKO_IS_DIAGNOSIS(self));
    Summary m;
    summarize(self, &m);
    self->actions = 0;
    self->memory_mib = 0;
    self->pending = FALSE;
    g_clear_pointer(&self->use_code, g_free);
    g_clear_pointer(&self->use_vars, g_free);
    set_gop_status(self, &m);
    gboolean uefi = self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_UEFI;
    gboolean bios = self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_BIOS;
    gboolean drawing = m.last_mode && !m.display_off && m.damage;
    double quiet = self->elapsed - m.last_t;

    if (m.refused) {
        refused(self, m.refused);
        return;
    }
    if (m.internal_error) {
        host_kvm(self, &m);
        return;
    }
    gboolean failing = m.triple_fault || m.reset_loop || m.halt || m.spin;
    if (failing && too_little_memory(self)) {
        set_too_little_memory(self);
        return;
    }
    if (m.reset_loop || (m.triple_fault && !drawing)) {
        crashed(self, &m);
        return;
    }
    if (m.halt && !drawing) {
        halted(self, &m);
        return;
    }
    /* the medium and the firmware do not go together: what the app's inspection of the ISO
     * found, or else what the engine saw in the El Torito catalog the firmware read */
    gboolean known = self->s.media_known || m.catalog;
    gboolean has_bios =
        self->s.media_known ? self->s.media_bios_boot : m.catalog && (m.catalog->c & 1);
    gboolean has_efi =
        self->s.media_known ? self->s.media_efi_boot : m.catalog && (m.catalog->c & 2);
    gboolean uefi_only = known && has_efi && !has_bios;
    gboolean bios_only = known && has_bios && !has_efi;
    if (bios && uefi_only && (m.cd_failed || m.boot_failed || quiet > QUIET_SECONDS)) {
        iso_mismatch(self, TRUE);
        return;
    }
    if (uefi && bios_only && (m.efi_boot_error || m.boot_failed || quiet > QUIET_SECONDS)) {
        iso_mismatch(self, FALSE);
        return;
    }
    if (m.boot_failed) {
        not_bootable(self, &m);
        return;
    }
    if (m.vga_text && !drawing) {
        text_mode(self);
        return;
    }
    if (m.spin && !drawing) {
        stuck(self, &m);
        return;
    }
    if (uefi && !m.last_mode && (m.smm_probes || m.flash_writes >= FLASH_STORM_WRITES) &&
        quiet > 5) {
        const struct hk_fact fake = {0};
        m.spin = m.smm ? m.smm : &fake;
        stuck(self, &m);
        return;
    }
    if (drawing) {
        verdict(self, HAKO_DIAGNOSIS_NONE, "emblem-ok-symbolic", g_strdup(_("The Guest Draws")),
                g_strdup(_("The guest has set a display mode and is drawing.")), g_strdup(""),
                g_strdup(""));
        return;
    }
    if (self->ended) {
        if (self->exit_status == 0 || m.power_off) {
            verdict(self, HAKO_DIAGNOSIS_NONE, "system-shutdown-symbolic",
                    g_strdup(_("The Virtual Machine Is Off")),
                    g_strdup(_("The virtual machine was switched off.")), g_strdup(""),
                    g_strdup(""));
            self->actions |= HAKO_DIAGNOSIS_ACTION_RESTART;
            return;
        }
        self->actions |= HAKO_DIAGNOSIS_ACTION_RESTART;
        verdict(
            self, HAKO_DIAGNOSIS_ENGINE_FAILED, "dialog-error-symbolic",
            g_strdup(_("The Virtual Machine Stopped")),
            g_strdup_printf(_("The engine running the virtual machine stopped: %s"),
                            self->reason && self->reason[0] ? self->reason : _("no reason given")),
            g_strdup(_("The virtual machine's engine ended")),
            g_strdup(_("Start the virtual machine again.")));
        return;
    }
    if (self->s.no_display ||
        (!m.enumerated && self->elapsed > NO_DISPLAY_SECONDS &&
         (m.fwcfg || m.serial[0] || self->s.firmware == HAKO_DIAGNOSIS_FIRMWARE_RAW))) {
        no_display(self, &m);
        return;
    }
    if (too_little_memory(self) && self->elapsed > DARK_SECONDS / 3) {
        set_too_little_memory(self);
        return;
    }
    if (quiet < QUIET_SECONDS && self->elapsed < DARK_SECONDS) {
        starting(self, &m);
        return;
    }
    if (quiet < QUIET_SECONDS && !m.last_mode && m.fwcfg) {
        starting(self, &m);
        return;
    }
    dark(self, &m);
}

/* ---- getters ---- */

HakoDiagnosisCause hako_diagnosis_get_cause(HakoDiagnosis *self)
{
    return self->cause;
}

const char *hako_diagnosis_cause_to_string(HakoDiagnosisCause cause)
{
    static const char *const names[] = {
        [HAKO_DIAGNOSIS_NONE] = "none",
        [HAKO_DIAGNOSIS_STARTING] = "starting",
        [HAKO_DIAGNOSIS_DARK] = "dark",
        [HAKO_DIAGNOSIS_FIRMWARE_MISMATCH] = "firmware-mismatch",
        [HAKO_DIAGNOSIS_SECURE_BOOT] = "secure-boot",
        [HAKO_DIAGNOSIS_FIRMWARE_WRONG_WAY] = "firmware-wrong-way",
        [HAKO_DIAGNOSIS_FIRMWARE_MISSING] = "firmware-missing",
        [HAKO_DIAGNOSIS_VARS_DAMAGED] = "vars-damaged",
        [HAKO_DIAGNOSIS_VARS_UNAVAILABLE] = "vars-unavailable",
        [HAKO_DIAGNOSIS_NO_DISPLAY] = "no-display",
        [HAKO_DIAGNOSIS_TOO_LITTLE_RAM] = "too-little-ram",
        [HAKO_DIAGNOSIS_HOST_KVM] = "host-kvm",
        [HAKO_DIAGNOSIS_ISO_UEFI_ONLY] = "iso-uefi-only",
        [HAKO_DIAGNOSIS_ISO_BIOS_ONLY] = "iso-bios-only",
        [HAKO_DIAGNOSIS_NOT_BOOTABLE] = "not-bootable",
        [HAKO_DIAGNOSIS_TEXT_MODE] = "text-mode",
        [HAKO_DIAGNOSIS_CRASHED] = "crashed",
        [HAKO_DIAGNOSIS_RESET_LOOP] = "reset-loop",
        [HAKO_DIAGNOSIS_HALTED] = "halted",
        [HAKO_DIAGNOSIS_FIRMWARE_STUCK] = "firmware-stuck",
        [HAKO_DIAGNOSIS_ENGINE_FAILED] = "engine-failed",
    };
    return (guint)cause < G_N_ELEMENTS(names) && names[cause] ? names[cause] : "unknown";
}

const char *hako_diagnosis_get_title(HakoDiagnosis *self)
{
    return self->title ? self->title : "";
}

const char *hako_diagnosis_get_explanation(HakoDiagnosis *self)
{
    return self->explanation ? self->explanation : "";
}

const char *hako_diagnosis_get_cause_text(HakoDiagnosis *self)
{
    return self->cause_text ? self->cause_text : "";
}

const char *hako_diagnosis_get_fix(HakoDiagnosis *self)
{
    return self->fix ? self->fix : "";
}

const char *hako_diagnosis_get_gop_status(HakoDiagnosis *self)
{
    return self->gop ? self->gop : "";
}

const char *hako_diagnosis_get_icon_name(HakoDiagnosis *self)
{
    return self->icon ? self->icon : "video-display-symbolic";
}

gboolean hako_diagnosis_is_pending(HakoDiagnosis *self)
{
    return self->pending;
}

HakoDiagnosisActions hako_diagnosis_get_actions(HakoDiagnosis *self)
{
    return self->actions;
}

guint hako_diagnosis_get_memory_mib(HakoDiagnosis *self)
{
    return self->memory_mib;
}

const char *hako_diagnosis_get_use_code(HakoDiagnosis *self)
{
    return self->use_code;
}

const char *hako_diagnosis_get_use_vars(HakoDiagnosis *self)
{
    return self->use_vars;
}

/* ---- applying a fix to the VM's settings ---- */

gboolean hako_diagnosis_apply(HakoDiagnosis *self, HakoDiagnosisActions action, GKeyFile *kf,
                              const char *vm_dir, const char *ovmf_code,
                              const char *ovmf_vars_template, GError **error)
{
    g_return_val_if_fail(HAKO_IS_DIAGNOSIS(self), FALSE);
    const char *E = "Engine";
    switch (action) {
    case HAKO_DIAGNOSIS_ACTION_USE_BIOS:
        g_key_file_set_string(kf, E, "firmware", "bios");
        return TRUE;
    case HAKO_DIAGNOSIS_ACTION_USE_UEFI:
        if (!ovmf_code) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s",
                        _("No usable UEFI firmware (OVMF) is installed."));
            return FALSE;
        }
        g_key_file_set_string(kf, E, "firmware", "uefi");
        g_key_file_set_string(kf, E, "ovmf-code", ovmf_code);
        if (ovmf_vars_template)
            g_key_file_set_string(kf, E, "ovmf-vars-template", ovmf_vars_template);
        else /* a unified image carries its own store */
            g_key_file_remove_key(kf, E, "ovmf-vars-template", NULL);
        if (!g_key_file_has_key(kf, E, "ovmf-vars", NULL))
            g_key_file_set_string(kf, E, "ovmf-vars", "OVMF_VARS.fd");
        return TRUE;
    case HAKO_DIAGNOSIS_ACTION_RAISE_MEMORY: {
        if (!self->memory_mib)
            return FALSE;
        g_autofree char *v = g_strdup_printf("%uM", self->memory_mib);
        g_key_file_set_string(kf, E, "memory", v);
        return TRUE;
    }
    case HAKO_DIAGNOSIS_ACTION_ADD_DISPLAY:
        g_key_file_remove_key(kf, E, "no-display", NULL);
        return TRUE;
    case HAKO_DIAGNOSIS_ACTION_USE_FIRMWARE: {
        if (self->use_code)
            g_key_file_set_string(kf, E, "ovmf-code", self->use_code);
        if (!self->use_vars)
            return self->use_code != NULL;
        g_key_file_set_string(kf, E, "ovmf-vars-template", self->use_vars);
        /* the VM's own store was made from the wrong template: keep it aside, so that the
         * engine makes a new one from the right template */
        g_autofree char *vars = g_key_file_get_string(kf, E, "ovmf-vars", NULL);
        if (vars && vm_dir) {
            g_autofree char *path =
                g_path_is_absolute(vars) ? g_strdup(vars) : g_build_filename(vm_dir, vars, NULL);
            if (g_file_test(path, G_FILE_TEST_EXISTS)) {
                g_autofree char *aside = g_strconcat(path, ".old", NULL);
                if (g_rename(path, aside) < 0) {
                    int e = errno;
                    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s", path,
                                g_strerror(e));
                    return FALSE;
                }
            }
        }
        return TRUE;
    }
    default: return TRUE;
    }
}
