/*
 * HakoFirmware: host firmware discovery and validation (see hako-firmware.h for the rules).
 */
#include "hako-firmware.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define KiB ((guint64)1024)
#define MiB ((guint64)1024 * 1024)

struct _HakoFirmware {
    GObject parent_instance;
    HakoFirmwareKind kind;
    char *name;
    char *description;
    char *code;
    char *vars;
    guint64 code_size, vars_size;
    gboolean secure_boot;
    char *problem;
    int rank; /* sort key: lower first */
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
    return self->code_size;
}

guint64 hako_firmware_get_vars_size(HakoFirmware *self)
{
    return self->vars_size;
}

gboolean hako_firmware_is_usable(HakoFirmware *self)
{
    return self->problem == NULL;
}

const char *hako_firmware_get_problem(HakoFirmware *self)
{
    return self->problem;
}

gboolean hako_firmware_is_secure_boot(HakoFirmware *self)
{
    return self->secure_boot;
}

/* ---- validation ---- */

/* Reads the first 64 and the last 16 bytes and the size. FALSE with a reason. */
static gboolean read_ends(const char *path, guint8 head[64], guint8 tail[16], guint64 *size,
                          char **reason)
{
    g_autoptr(GFile) f = g_file_new_for_path(path);
    g_autoptr(GError) err = NULL;
    g_autoptr(GFileInputStream) in = g_file_read(f, NULL, &err);
    if (!in) {
        *reason = g_strdup_printf(_("Cannot open %s: %s"), path, err->message);
        return FALSE;
    }
    g_autoptr(GFileInfo) fi = g_file_input_stream_query_info(
        in, G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE, NULL, &err);
    if (!fi) {
        *reason = g_strdup_printf(_("Cannot read %s: %s"), path, err->message);
        return FALSE;
    }
    goffset sz = g_file_info_get_size(fi);
    *size = sz > 0 ? (guint64)sz : 0;
    if (sz < 64 + 16 || sz > (goffset)(64 * MiB)) {
        *reason = g_strdup_printf(_("%s has an impossible size for firmware (%llu bytes)."), path,
                                  (unsigned long long)*size);
        return FALSE;
    }
    gsize got = 0;
    if (!g_input_stream_read_all(G_INPUT_STREAM(in), head, 64, &got, NULL, &err) || got != 64 ||
        !g_seekable_seek(G_SEEKABLE(in), sz - 16, G_SEEK_SET, NULL, &err) ||
        !g_input_stream_read_all(G_INPUT_STREAM(in), tail, 16, &got, NULL, &err) || got != 16) {
        *reason = g_strdup_printf(_("Cannot read %s: %s"), path,
                                  err ? err->message : _("the file ended early"));
        return FALSE;
    }
    return TRUE;
}

static gboolean has_jump(const guint8 tail[16])
{
    for (int i = 0; i < 16; i++)
        if (tail[i] == 0xE9 || tail[i] == 0xEA || tail[i] == 0xEB)
            return TRUE;
    return FALSE;
}

static guint64 fv_length(const guint8 head[64])
{
    if (memcmp(head + 0x28, "_FVH", 4) != 0)
        return 0;
    guint64 v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | head[0x20 + i];
    return v;
}

static gboolean name_says_secure_boot(const char *path)
{
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *lower = g_ascii_strdown(base, -1);
    return strstr(lower, "secboot") || strstr(lower, ".ms.") || strstr(lower, "snakeoil") ||
           strstr(lower, "secure");
}

static void validate_bios(HakoFirmware *self)
{
    guint8 head[64], tail[16];
    char *reason = NULL;
    if (!read_ends(self->code, head, tail, &self->code_size, &reason)) {
        self->problem = reason;
        return;
    }
    if (self->code_size % (64 * KiB) != 0 || self->code_size > 16 * MiB)
        self->problem = g_strdup_printf(
            _("%s is not a BIOS image: its size (%llu bytes) is not a multiple of 64 KiB up to "
              "16 MiB."),
            self->code, (unsigned long long)self->code_size);
    else if (!has_jump(tail))
        self->problem = g_strdup_printf(
            _("%s is not a BIOS image: there is no jump at its reset vector (the last 16 bytes)."),
            self->code);
}

static void validate_uefi(HakoFirmware *self)
{
    guint8 chead[64], ctail[16], vhead[64], vtail[16];
    char *reason = NULL;
    if (!read_ends(self->code, chead, ctail, &self->code_size, &reason)) {
        self->problem = reason;
        return;
    }
    if (!self->vars) {
        self->problem = g_strdup_printf(
            _("No variable store template (OVMF_VARS) was found to go with %s."), self->code);
        return;
    }
    if (!read_ends(self->vars, vhead, vtail, &self->vars_size, &reason)) {
        self->problem = reason;
        return;
    }
    guint64 vfv = fv_length(vhead);
    if (self->secure_boot)
        self->problem = g_strdup(_("This is a Secure Boot build: it needs System Management Mode "
                                   "and a Q35 board, which Hako’s PC does not have."));
    else if (!fv_length(chead))
        self->problem = g_strdup_printf(
            _("%s is not OVMF code: it does not start with a firmware volume."), self->code);
    else if (!vfv)
        self->problem = g_strdup_printf(
            _("%s is not an OVMF variable store: it does not start with a firmware volume."),
            self->vars);
    else if (vfv != self->vars_size)
        self->problem = g_strdup_printf(
            _("%s is damaged: its firmware volume says %llu bytes but the file has %llu."),
            self->vars, (unsigned long long)vfv, (unsigned long long)self->vars_size);
    else if (self->code_size + self->vars_size != 2 * MiB &&
             self->code_size + self->vars_size != 4 * MiB)
        self->problem = g_strdup_printf(
            _("The code (%llu KiB) and variable store (%llu KiB) come from different builds: "
              "together they must fill a 2 MiB or 4 MiB flash "
              "(a 2 MiB build uses a 128 KiB store, a 4 MiB build a 528 KiB store)."),
            (unsigned long long)(self->code_size / KiB),
            (unsigned long long)(self->vars_size / KiB));
    else if (!has_jump(ctail))
        self->problem = g_strdup_printf(
            _("%s is not OVMF code: there is no jump at its reset vector (the last 16 bytes)."),
            self->code);
}

static HakoFirmware *make(HakoFirmwareKind kind, const char *code, const char *vars,
                          const char *description, gboolean secure_boot)
{
    HakoFirmware *self = g_object_new(HAKO_TYPE_FIRMWARE, NULL);
    self->kind = kind;
    self->code = g_strdup(code);
    self->vars = kind == HAKO_FIRMWARE_UEFI ? g_strdup(vars) : NULL;
    self->secure_boot = secure_boot || (kind == HAKO_FIRMWARE_UEFI && name_says_secure_boot(code));
    if (kind == HAKO_FIRMWARE_BIOS)
        validate_bios(self);
    else
        validate_uefi(self);

    if (kind == HAKO_FIRMWARE_BIOS) {
        self->name = self->code_size == 256 * KiB ? g_strdup(_("SeaBIOS (256 KiB build)"))
                                                  : g_strdup(_("SeaBIOS"));
        self->rank = self->problem ? 100 : self->code_size == 128 * KiB ? 0 : 1;
    } else {
        gboolean four = self->code_size + self->vars_size == 4 * MiB;
        gboolean two = self->code_size + self->vars_size == 2 * MiB;
        const char *flash = four ? _("4 MiB flash") : two ? _("2 MiB flash") : NULL;
        if (flash && self->secure_boot)
            self->name = g_strdup_printf(_("OVMF, %s, Secure Boot"), flash);
        else if (flash)
            self->name = g_strdup_printf(_("OVMF, %s"), flash);
        else {
            g_autofree char *base = g_path_get_basename(code);
            self->name = g_strdup_printf(_("OVMF (%s)"), base);
        }
        self->rank = 10 + (self->problem ? 100 : 0) + (four ? 0 : 1) + (self->secure_boot ? 2 : 0);
    }
    if (description && *description)
        self->description = g_strdup(description);
    else if (kind == HAKO_FIRMWARE_UEFI)
        self->description = g_strdup_printf("%s + %s", code, vars ? vars : "?");
    else
        self->description = g_strdup(code);
    return self;
}

HakoFirmware *hako_firmware_new_for_paths(HakoFirmwareKind kind, const char *code_path,
                                          const char *vars_template)
{
    g_return_val_if_fail(code_path != NULL, NULL);
    return make(kind, code_path, vars_template, NULL, FALSE);
}

/* ---- discovery ---- */

typedef struct {
    const char *root;
    GPtrArray *found; /* HakoFirmware */
    GHashTable *seen; /* canonical "code\nvars" */
} Discovery;

static char *rooted(const char *root, const char *path)
{
    if (!root || !*root || g_str_equal(root, "/"))
        return g_strdup(path);
    return g_build_filename(root, path, NULL);
}

static char *canonical(const char *path)
{
    if (!path)
        return g_strdup("");
    g_autoptr(GFile) f = g_file_new_for_path(path);
    char *real = realpath(path, NULL);
    if (real) {
        char *r = g_strdup(real);
        free(real);
        return r;
    }
    return g_file_get_path(f);
}

static void add(Discovery *d, HakoFirmwareKind kind, const char *code, const char *vars,
                const char *description, gboolean secure_boot)
{
    if (!g_file_test(code, G_FILE_TEST_IS_REGULAR))
        return;
    g_autofree char *cc = canonical(code);
    g_autofree char *cv = canonical(vars);
    char *key = g_strdup_printf("%d\n%s\n%s", kind, cc, cv);
    if (g_hash_table_contains(d->seen, key)) {
        g_free(key);
        return;
    }
    g_hash_table_add(d->seen, key);
    g_ptr_array_add(d->found, make(kind, code, vars, description, secure_boot));
}

static gboolean json_array_has(JsonObject *o, const char *member, const char *value)
{
    if (!json_object_has_member(o, member))
        return FALSE;
    JsonNode *n = json_object_get_member(o, member);
    if (!JSON_NODE_HOLDS_ARRAY(n))
        return FALSE;
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING &&
            g_str_equal(json_node_get_string(e), value))
            return TRUE;
    }
    return FALSE;
}

static const char *json_path_string(JsonObject *o, const char *a, const char *b, const char *c)
{
    const char *keys[] = {a, b, c};
    for (int i = 0; i < 3 && keys[i]; i++) {
        if (!o || !json_object_has_member(o, keys[i]))
            return NULL;
        JsonNode *n = json_object_get_member(o, keys[i]);
        if (i == 2 || !keys[i + 1])
            return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
                       ? json_node_get_string(n)
                       : NULL;
        o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
    }
    return NULL;
}

/* One QEMU firmware descriptor (docs/interop/firmware.json): UEFI, flash, x86_64, raw. */
static void add_descriptor(Discovery *d, const char *path)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_file(parser, path, NULL))
        return;
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return;
    JsonObject *o = json_node_get_object(root);
    if (!json_array_has(o, "interface-types", "uefi"))
        return;
    const char *device = json_path_string(o, "mapping", "device", NULL);
    if (!device || !g_str_equal(device, "flash"))
        return;
    const char *code = json_path_string(o, "mapping", "executable", "filename");
    const char *vars = json_path_string(o, "mapping", "nvram-template", "filename");
    const char *cfmt = json_path_string(o, "mapping", "executable", "format");
    if (!code || !vars || (cfmt && !g_str_equal(cfmt, "raw")))
        return;
    gboolean x86_64 = FALSE;
    if (json_object_has_member(o, "targets") &&
        JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, "targets"))) {
        JsonArray *t = json_object_get_array_member(o, "targets");
        for (guint i = 0; i < json_array_get_length(t); i++) {
            JsonNode *e = json_array_get_element(t, i);
            if (!JSON_NODE_HOLDS_OBJECT(e))
                continue;
            const char *arch =
                json_path_string(json_node_get_object(e), "architecture", NULL, NULL);
            if (arch && g_str_equal(arch, "x86_64"))
                x86_64 = TRUE;
        }
    }
    if (!x86_64)
        return;
    gboolean sb = json_array_has(o, "features", "requires-smm") ||
                  json_array_has(o, "features", "secure-boot");
    const char *desc = json_path_string(o, "description", NULL, NULL);
    g_autofree char *rc = rooted(d->root, code);
    g_autofree char *rv = rooted(d->root, vars);
    add(d, HAKO_FIRMWARE_UEFI, rc, rv, desc, sb);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static void scan_descriptors(Discovery *d)
{
    g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
    if (!d->root || g_str_equal(d->root, "/"))
        g_ptr_array_add(dirs, g_build_filename(g_get_user_config_dir(), "qemu", "firmware", NULL));
    g_ptr_array_add(dirs, rooted(d->root, "/etc/qemu/firmware"));
    g_ptr_array_add(dirs, rooted(d->root, "/usr/share/qemu/firmware"));
    for (guint i = 0; i < dirs->len; i++) {
        g_autoptr(GDir) dir = g_dir_open(dirs->pdata[i], 0, NULL);
        if (!dir)
            continue;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *n;
        while ((n = g_dir_read_name(dir)))
            if (g_str_has_suffix(n, ".json"))
                g_ptr_array_add(names, g_strdup(n));
        g_ptr_array_sort(names, compare_names);
        for (guint j = 0; j < names->len; j++) {
            g_autofree char *p = g_build_filename(dirs->pdata[i], names->pdata[j], NULL);
            add_descriptor(d, p);
        }
    }
}

/* The VARS template for a CODE file name: CODE→VARS, then without the Secure Boot tag. */
static char *pair_vars(const char *dir, const char *code_name)
{
    static const char *const tags[] = {"", ".secboot", ".ms", ".snakeoil", "-secure"};
    g_autofree char *v = NULL;
    GString *s = g_string_new(code_name);
    g_string_replace(s, "CODE", "VARS", 0);
    g_string_replace(s, "code", "vars", 0);
    v = g_string_free(s, FALSE);
    for (gsize i = 0; i < G_N_ELEMENTS(tags); i++) {
        GString *t = g_string_new(v);
        if (*tags[i])
            g_string_replace(t, tags[i], "", 1);
        g_autofree char *name = g_string_free(t, FALSE);
        char *p = g_build_filename(dir, name, NULL);
        if (!g_str_equal(name, code_name) && g_file_test(p, G_FILE_TEST_IS_REGULAR))
            return p;
        g_free(p);
    }
    return NULL;
}

static void scan_dirs(Discovery *d)
{
    static const char *const uefi_dirs[] = {
        "/usr/share/OVMF",          /* Debian, Ubuntu */
        "/usr/share/edk2/x64",      /* Arch (edk2-ovmf) */
        "/usr/share/edk2/ovmf",     /* Fedora (edk2-ovmf) */
        "/usr/share/edk2-ovmf/x64", /* older Arch */
        "/usr/share/edk2-ovmf",     /* older Fedora, Gentoo */
        "/usr/share/qemu",          /* openSUSE (ovmf-x86_64-*.bin: not matched), QEMU builds */
    };
    for (gsize i = 0; i < G_N_ELEMENTS(uefi_dirs); i++) {
        g_autofree char *dir = rooted(d->root, uefi_dirs[i]);
        g_autoptr(GDir) gd = g_dir_open(dir, 0, NULL);
        if (!gd)
            continue;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *n;
        while ((n = g_dir_read_name(gd)))
            if (g_str_has_prefix(n, "OVMF_CODE") && g_str_has_suffix(n, ".fd"))
                g_ptr_array_add(names, g_strdup(n));
        g_ptr_array_sort(names, compare_names);
        for (guint j = 0; j < names->len; j++) {
            g_autofree char *code = g_build_filename(dir, names->pdata[j], NULL);
            g_autofree char *vars = pair_vars(dir, names->pdata[j]);
            add(d, HAKO_FIRMWARE_UEFI, code, vars, NULL, FALSE);
        }
    }
    static const char *const bios[] = {
        "/usr/share/seabios/bios.bin",      /* Debian, Ubuntu, Fedora */
        "/usr/share/qemu/bios.bin",         /* Arch */
        "/usr/share/seabios/bios-256k.bin", /* Debian, Fedora */
        "/usr/share/qemu/bios-256k.bin",    /* Arch */
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bios); i++) {
        g_autofree char *p = rooted(d->root, bios[i]);
        add(d, HAKO_FIRMWARE_BIOS, p, NULL, NULL, FALSE);
    }
}

static int compare_firmware(gconstpointer a, gconstpointer b)
{
    HakoFirmware *x = *(HakoFirmware *const *)a, *y = *(HakoFirmware *const *)b;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    return g_strcmp0(x->code, y->code);
}

GListModel *hako_firmware_discover(const char *root)
{
    Discovery d = {root, g_ptr_array_new_with_free_func(g_object_unref),
                   g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    scan_descriptors(&d);
    scan_dirs(&d);
    g_ptr_array_sort(d.found, compare_firmware);
    GListStore *store = g_list_store_new(HAKO_TYPE_FIRMWARE);
    for (guint i = 0; i < d.found->len; i++)
        g_list_store_append(store, d.found->pdata[i]);
    g_ptr_array_unref(d.found);
    g_hash_table_unref(d.seen);
    return G_LIST_MODEL(store);
}

HakoFirmware *hako_firmware_list_find_default(GListModel *list, HakoFirmwareKind kind)
{
    guint n = g_list_model_get_n_items(list);
    for (guint i = 0; i < n; i++) {
        g_autoptr(HakoFirmware) f = g_list_model_get_item(list, i);
        if (f->kind == kind && !f->problem)
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
