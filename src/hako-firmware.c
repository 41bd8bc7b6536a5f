/*
 * HakoFirmware: the common library's firmware discovery and verdicts (hako/firmware.h) as
 * GObjects in a GListModel, in translated words (see hako-firmware.h).
 */
#include "hako-firmware.h"

#include <glib/gi18n.h>
#include <string.h>

#define KiB ((guint64)1024)

struct _HakoFirmware {
    GObject parent_instance;
    HakoFirmwareKind kind;
    char *name;
    char *description;
    char *code;
    char *vars; /* NULL: none (BIOS, unified image, not found) */
    gboolean secure_boot;
    char *problem;
    struct hk_fw_check check;
};

G_DEFINE_FINAL_TYPE(HakoFirmware, hako_firmware, G_TYPE_OBJECT)

static void hako_firmware_finalize(GObject *object)
{
    HakoFirmware *self = HAKO_FIRMWARE(object);
    g_free(self->name);
    g_free(self->description);
    g_free(self->code);
    g_free(self->vars);
    g_free(self->problem);
    G_OBJECT_CLASS(hako_firmware_parent_class)->finalize(object);
}

static void hako_firmware_class_init(HakoFirmwareClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = hako_firmware_finalize;
}

static void hako_firmware_init(HakoFirmware *self)
{
    (void)self;
}

HakoFirmwareKind hako_firmware_get_kind(HakoFirmware *self)
{
    return self->kind;
}

const char *hako_firmware_get_name(HakoFirmware *self)
{
    return self->name;
}

const char *hako_firmware_get_description(HakoFirmware *self)
{
    return self->description;
}

const char *hako_firmware_get_code_path(HakoFirmware *self)
{
    return self->code;
}

const char *hako_firmware_get_vars_template(HakoFirmware *self)
{
    return self->vars;
}

guint64 hako_firmware_get_code_size(HakoFirmware *self)
{
    return self->check.code_size;
}

guint64 hako_firmware_get_vars_size(HakoFirmware *self)
{
    return self->check.vars_size;
}

gboolean hako_firmware_is_usable(HakoFirmware *self)
{
    return self->check.problem == HK_FW_PROBLEM_NONE;
}

const char *hako_firmware_get_problem(HakoFirmware *self)
{
    return self->problem;
}

gboolean hako_firmware_is_secure_boot(HakoFirmware *self)
{
    return self->secure_boot;
}

gboolean hako_firmware_is_unified(HakoFirmware *self)
{
    return self->check.unified;
}

const struct hk_fw_check *hako_firmware_get_check(HakoFirmware *self)
{
    return &self->check;
}

/* ---- words ---- */

/* The verdict in the app's words. */
static char *problem_text(HakoFirmware *self)
{
    const struct hk_fw_check *c = &self->check;
    const char *file = c->file[0] ? c->file : self->code;
    gboolean bios = self->kind == HAKO_FIRMWARE_BIOS;
    char *text = NULL;
    switch (c->reason) {
    case HK_FW_R_OK: return NULL;
    case HK_FW_R_NOT_GIVEN: text = g_strdup(_("No firmware file was chosen.")); break;
    case HK_FW_R_NONE_INSTALLED:
        text = g_strdup(bios ? _("SeaBIOS is not installed.") : _("No usable OVMF is installed."));
        break;
    case HK_FW_R_MISSING: text = g_strdup_printf(_("%s does not exist."), file); break;
    case HK_FW_R_NAME_TOO_LONG:
        text = g_strdup_printf(_("The name of this file is longer than %d bytes."),
                               HK_FW_PATH_MAX - 1);
        break;
    case HK_FW_R_NOT_REGULAR:
        text = g_strdup_printf(_("%s is not a regular file (it is a folder, a device or a pipe)."),
                               file);
        break;
    case HK_FW_R_READ_ERROR:
        text = g_strdup_printf(_("Cannot read %s: %s"), file, g_strerror(c->error));
        break;
    case HK_FW_R_EMPTY: text = g_strdup_printf(_("%s is empty."), file); break;
    case HK_FW_R_TOO_LARGE:
        text = g_strdup_printf(_("%s is larger than any firmware image (16 MiB)."), file);
        break;
    case HK_FW_R_NOT_BLOCKS:
        text = g_strdup_printf(_("%s is not a firmware image: its size (%llu bytes) is not a whole "
                                 "number of 4 KiB blocks."),
                               file, (unsigned long long)c->size);
        break;
    case HK_FW_R_NO_RESET_VECTOR:
        text = g_strdup_printf(
            bios ? _("%s is not a BIOS image: there is no jump at its reset vector (the last 16 "
                     "bytes).")
                 : _("%s is not OVMF code: there is no jump at its reset vector (the last 16 "
                     "bytes)."),
            file);
        break;
    case HK_FW_R_CODE_IS_VARS:
        text = g_strdup_printf(
            _("%s is a UEFI variable store (VARS), not the firmware code (CODE)."), file);
        break;
    case HK_FW_R_SWAPPED:
        text = g_strdup_printf(_("The firmware files are swapped: %s is the variable store (VARS) "
                                 "and %s the firmware code (CODE)."),
                               self->code, self->vars ? self->vars : c->vars);
        break;
    case HK_FW_R_VARS_IS_CODE:
        text = g_strdup_printf(_("%s is firmware code, not a UEFI variable store (VARS)."), file);
        break;
    case HK_FW_R_SECURE_BOOT:
        text = g_strdup(_("This is a Secure Boot build: it needs System Management Mode and a Q35 "
                          "board, which Hako’s PC does not have."));
        break;
    case HK_FW_R_CODE_SIZE:
        text = g_strdup_printf(_("%s is not OVMF code: no OVMF build has a code part of %llu KiB "
                                 "(the 1, 2 and 4 MiB builds have 896, 1920 and 3568 KiB)."),
                               file, (unsigned long long)(c->size / KiB));
        break;
    case HK_FW_R_UNIFIED_SIZES:
        text = g_strdup_printf(_("%s looks like a single-file OVMF image, but its parts have the "
                                 "sizes of no OVMF build."),
                               file);
        break;
    case HK_FW_R_UNIFIED_VARS:
        text = g_strdup_printf(_("The variable store inside %s is damaged."), file);
        break;
    case HK_FW_R_NO_VARS:
        text = g_strdup_printf(_("No variable store template (OVMF_VARS) was found to go with %s."),
                               self->code);
        break;
    case HK_FW_R_MISMATCH:
        text = g_strdup_printf(_("The code and the variable store come from different builds: the "
                                 "code needs a %llu KiB variable store, but %s has %llu KiB."),
                               (unsigned long long)(c->want / KiB), file,
                               (unsigned long long)(c->size / KiB));
        break;
    case HK_FW_R_BAD_VARS:
        text = g_strdup_printf(_("%s is damaged: it is not a valid UEFI variable store."), file);
        break;
    }
    if (!text)
        text = g_strdup(_("This firmware cannot be used."));
    char *advice = NULL;
    if (c->use_code[0] && c->use_vars[0])
        advice = g_strdup_printf(_("Use %s with %s."), c->use_code, c->use_vars);
    else if (c->use_code[0])
        advice = g_strdup_printf(_("Use %s."), c->use_code);
    else if (c->use_vars[0])
        advice = g_strdup_printf(_("Use the variable store %s."), c->use_vars);
    if (!advice)
        return text;
    char *both = g_strconcat(text, " ", advice, NULL);
    g_free(text);
    g_free(advice);
    return both;
}

static char *make_name(HakoFirmware *self)
{
    const struct hk_fw_check *c = &self->check;
    if (self->kind == HAKO_FIRMWARE_BIOS)
        return c->code_size == 256 * KiB ? g_strdup(_("SeaBIOS (256 KiB build)"))
                                         : g_strdup(_("SeaBIOS"));
    const char *build = hk_ovmf_build_name(c->code_size);
    const char *flash = !build                        ? NULL
                        : g_str_equal(build, "1 MiB") ? _("1 MiB flash")
                        : g_str_equal(build, "2 MiB") ? _("2 MiB flash")
                                                      : _("4 MiB flash");
    if (flash && self->secure_boot)
        return g_strdup_printf(_("OVMF, %s, Secure Boot"), flash);
    if (flash && c->unified && !self->vars)
        return g_strdup_printf(_("OVMF, %s, single file"), flash);
    if (flash)
        return g_strdup_printf(_("OVMF, %s"), flash);
    g_autofree char *base = g_path_get_basename(self->code);
    return g_strdup_printf(_("OVMF (%s)"), base);
}

static HakoFirmware *wrap(HakoFirmwareKind kind, const char *code, const char *vars,
                          const char *description, gboolean descriptor_secure_boot,
                          const struct hk_fw_check *check)
{
    HakoFirmware *self = g_object_new(HAKO_TYPE_FIRMWARE, NULL);
    self->kind = kind;
    self->check = *check;
    self->code = g_strdup(code);
    self->vars = kind == HAKO_FIRMWARE_UEFI && vars && *vars ? g_strdup(vars) : NULL;
    self->secure_boot = check->secure_boot || descriptor_secure_boot;
    self->problem = problem_text(self);
    self->name = make_name(self);
    if (description && *description)
        self->description = g_strdup(description);
    else if (self->vars)
        self->description = g_strdup_printf("%s + %s", code, self->vars);
    else
        self->description = g_strdup(code);
    return self;
}

HakoFirmware *hako_firmware_new_for_paths(HakoFirmwareKind kind, const char *code_path,
                                          const char *vars_template)
{
    g_return_val_if_fail(code_path != NULL, NULL);
    /* exactly what hako-vmm decides for these options */
    struct hk_firmware_config cfg = {.kind = (enum hk_fw_kind)kind};
    if (kind == HAKO_FIRMWARE_BIOS) {
        cfg.path = code_path;
    } else {
        cfg.ovmf_code = code_path;
        cfg.ovmf_vars_template = vars_template && *vars_template ? vars_template : NULL;
    }
    struct hk_fw_check *check = g_new(struct hk_fw_check, 1);
    hk_fw_check_config(&cfg, NULL, check);
    /* the template the engine would take when none was given */
    const char *vars = kind == HAKO_FIRMWARE_UEFI
                           ? (cfg.ovmf_vars_template ? cfg.ovmf_vars_template : check->vars)
                           : NULL;
    HakoFirmware *self = wrap(kind, code_path, vars, NULL, FALSE, check);
    g_free(check);
    return self;
}

/* ---- discovery ---- */

static bool collect(void *opaque, const struct hk_fw_found *f)
{
    GPtrArray *found = opaque;
    g_ptr_array_add(found, wrap((HakoFirmwareKind)f->kind, f->code, f->vars, f->description,
                                f->descriptor_secure_boot, f->check));
    return false;
}

GListModel *hako_firmware_discover(const char *root)
{
    struct hk_fw_search search = {.root = root};
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_object_unref);
    hk_fw_discover(&search, collect, found);
    /* usable ones first; otherwise the engine's order (a stable partition) */
    GListStore *store = g_list_store_new(HAKO_TYPE_FIRMWARE);
    for (int usable = 1; usable >= 0; usable--)
        for (guint i = 0; i < found->len; i++)
            if (hako_firmware_is_usable(found->pdata[i]) == usable)
                g_list_store_append(store, found->pdata[i]);
    return G_LIST_MODEL(store);
}

HakoFirmware *hako_firmware_list_find_default(GListModel *list, HakoFirmwareKind kind)
{
    guint n = g_list_model_get_n_items(list);
    for (guint i = 0; i < n; i++) {
        g_autoptr(HakoFirmware) f = g_list_model_get_item(list, i);
        if (f->kind == kind && hako_firmware_is_usable(f))
            return f; /* the list keeps its reference */
    }
    return NULL;
}

HakoFirmware *hako_firmware_list_find_by_code(GListModel *list, const char *path)
{
    if (!path)
        return NULL;
    guint n = g_list_model_get_n_items(list);
    for (guint i = 0; i < n; i++) {
        g_autoptr(HakoFirmware) f = g_list_model_get_item(list, i);
        if (g_str_equal(f->code, path))
            return f;
    }
    return NULL;
}

char *hako_firmware_install_hint(HakoFirmwareKind kind)
{
    if (kind == HAKO_FIRMWARE_BIOS)
        return g_strdup_printf("%s: sudo apt install seabios\n"
                               "%s: sudo pacman -S seabios\n"
                               "%s: sudo dnf install seabios-bin",
                               _("Debian, Ubuntu"), _("Arch Linux"), _("Fedora"));
    return g_strdup_printf("%s: sudo apt install ovmf\n"
                           "%s: sudo pacman -S edk2-ovmf\n"
                           "%s: sudo dnf install edk2-ovmf",
                           _("Debian, Ubuntu"), _("Arch Linux"), _("Fedora"));
}
