/*
 * HakoVmSettings: see hako-vm-settings.h.
 */
#include "hako-vm-settings.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hako-delete-flow.h"
#include "hako-firmware.h"
#include "hako-format.h"
#include "hako-fs.h"
#include "hako-gtk-util.h"
#include "hako-media.h"
#include "hako-network-page.h"
#include "hako-new-vm-wizard.h"
#include "hako-proposal.h"
#include "hako-vm-config.h"
#include "hako-vm-creator.h"
#include "hako-window.h"

#define E HAKO_VM_ENGINE_GROUP

static const struct {
    guint w, h;
} resolutions[] = {
    {1024, 768}, {1280, 720},  {1280, 800},  {1280, 1024}, {1366, 768},  {1440, 900},
    {1600, 900}, {1680, 1050}, {1920, 1080}, {1920, 1200}, {2560, 1440}, {2560, 1600},
};
#define DEFAULT_RESOLUTION 2 /* 1280x800, the engine's default */

struct _HakoVmSettings {
    AdwPreferencesWindow parent_instance;

    AdwEntryRow *name_row;
    AdwActionRow *os_row, *folder_row;
    GtkDropDown *os_dropdown;
    GtkTextView *notes_view;
    AdwPreferencesGroup *resources_group, *firmware_group, *boot_group, *disk_group, *disk2_group,
        *cd_group, *display_group;
    AdwActionRow *memory_row, *cpus_row, *boot_menu_row, *disk_path_row, *disk_size_row, *disk2_row,
        *cd_row, *log_row, *command_row;
    GtkSpinButton *memory_spin, *cpus_spin, *disk_spin, *disk2_spin;
    AdwComboRow *firmware_row, *boot_row, *resolution_row;
    GtkSwitch *boot_menu_switch, *serial_switch;
    GtkButton *grow_button, *disk2_button;
    GtkLabel *disk2_unit;
    HakoNetworkPage *network_page;

    HakoVm *vm;
    HakoVmLibrary *library;
    AdwToastOverlay *toasts; /* weak: the main window's, for deleting */
    GListModel *firmware;    /* discovered builds */
    GPtrArray *fw_choices;   /* NULL = BIOS, else HakoFirmware, in combo order */
    GPtrArray *oses;
    HakoHostLimits limits;
    guint notes_timeout;
    gboolean updating;
    gboolean told_restart;
    guint fw_selected; /* last accepted firmware index */
    GCancellable *cancellable;
    GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE(HakoVmSettings, hako_vm_settings, ADW_TYPE_PREFERENCES_WINDOW)

/* ---- helpers ---- */

/* fw_choices' free function: its first entry (BIOS) is NULL */
static void unref_if_object(gpointer object)
{
    if (object)
        g_object_unref(object);
}

static void toast(HakoVmSettings *self, const char *text)
{
    AdwToast *t = hako_toast_new(text);
    adw_toast_set_timeout(t, 6);
    adw_preferences_window_add_toast(ADW_PREFERENCES_WINDOW(self), t);
}

static gboolean running(HakoVmSettings *self)
{
    return hako_vm_is_active(self->vm);
}

/* Saves vm.ini; restart_needed: the change takes effect at the next start. */
static void save(HakoVmSettings *self, gboolean restart_needed)
{
    g_autoptr(GError) error = NULL;
    if (!hako_vm_save(self->vm, &error)) {
        g_autofree char *text =
            g_strdup_printf(_("The settings could not be saved: %s"), error->message);
        toast(self, text);
        return;
    }
    if (restart_needed && running(self) && !self->told_restart) {
        self->told_restart = TRUE;
        toast(self, _("Saved. It takes effect at the next start."));
    }
}

static void set_row_check(AdwActionRow *row, HakoValueCheck check, const char *message,
                          const char *normal)
{
    GtkWidget *w = GTK_WIDGET(row);
    gtk_widget_remove_css_class(w, "error");
    gtk_widget_remove_css_class(w, "warning");
    if (check == HAKO_VALUE_INVALID)
        gtk_widget_add_css_class(w, "error");
    else if (check == HAKO_VALUE_WARN)
        gtk_widget_add_css_class(w, "warning");
    adw_action_row_set_subtitle(row, message ? message : normal ? normal : "");
}

/* ---- showing the settings ---- */

static void update_running(HakoVmSettings *self)
{
    gboolean on = running(self);
    const char *later = on ? _("The virtual machine is running: changes here take effect when it "
                               "next starts.")
                           : NULL;
    adw_preferences_group_set_description(self->resources_group, later);
    adw_preferences_group_set_description(
        self->firmware_group,
        later ? later
              : _("A system installed with UEFI firmware may not start with BIOS, and the other "
                  "way round."));
    adw_preferences_group_set_description(self->boot_group, later);
    adw_preferences_group_set_description(self->display_group, later);
    adw_preferences_group_set_description(
        self->disk_group, on ? _("Turn the virtual machine off to change its disks.") : NULL);
    adw_preferences_group_set_description(
        self->cd_group, on ? _("Changes here reach the running virtual machine at once.") : NULL);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "settings.grow-disk", !on);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "settings.add-disk", !on);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "settings.delete", !on);
}

static void show_disks(HakoVmSettings *self)
{
    GKeyFile *c = hako_vm_get_config(self->vm);
    g_auto(GStrv) disks = hako_vm_config_disks(c, hako_vm_get_dir(self->vm));
    guint n = g_strv_length(disks);
    if (n >= 1) {
        adw_action_row_set_subtitle(self->disk_path_row, disks[0]);
        struct stat st;
        if (stat(disks[0], &st) == 0) {
            g_autofree char *used =
                hako_format_size((guint64)st.st_blocks * 512, G_FORMAT_SIZE_IEC_UNITS);
            g_autofree char *sub = g_strdup_printf(
                _("%llu GiB; %s used on this computer. After growing it, enlarge the partition "
                  "inside the guest."),
                (unsigned long long)(st.st_size >> 30), used);
            adw_action_row_set_subtitle(self->disk_size_row, sub);
            gtk_spin_button_set_range(self->disk_spin, (double)(st.st_size >> 30),
                                      HAKO_MAX_DISK_GIB);
            gtk_spin_button_set_value(self->disk_spin, (double)(st.st_size >> 30));
        } else {
            g_autofree char *sub =
                g_strdup_printf(_("The image cannot be read: %s"), g_strerror(errno));
            adw_action_row_set_subtitle(self->disk_size_row, sub);
        }
    } else {
        adw_action_row_set_subtitle(self->disk_path_row, _("None"));
        adw_action_row_set_subtitle(self->disk_size_row, "");
    }
    gtk_widget_set_visible(GTK_WIDGET(self->disk_size_row), n >= 1);
    if (n >= 2) {
        struct stat st;
        g_autofree char *sub = NULL;
        if (stat(disks[1], &st) == 0)
            sub =
                g_strdup_printf("%s (%llu GiB)", disks[1], (unsigned long long)(st.st_size >> 30));
        else
            sub = g_strdup(disks[1]);
        adw_action_row_set_subtitle(self->disk2_row, sub);
        g_autofree char *base = g_path_get_basename(disks[1]);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->disk2_row), base);
        gtk_button_set_label(self->disk2_button, _("_Remove"));
        gtk_actionable_set_action_name(GTK_ACTIONABLE(self->disk2_button), "settings.remove-disk");
        gtk_widget_set_visible(GTK_WIDGET(self->disk2_spin), FALSE);
        gtk_widget_set_visible(GTK_WIDGET(self->disk2_unit), FALSE);
    } else {
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->disk2_row), _("New Disk"));
        adw_action_row_set_subtitle(self->disk2_row,
                                    _("Add an empty disk, for data or a second system"));
        gtk_button_set_label(self->disk2_button, _("_Add"));
        gtk_actionable_set_action_name(GTK_ACTIONABLE(self->disk2_button), "settings.add-disk");
        gtk_widget_set_visible(GTK_WIDGET(self->disk2_spin), TRUE);
        gtk_widget_set_visible(GTK_WIDGET(self->disk2_unit), TRUE);
    }
}

static void show_cd(HakoVmSettings *self)
{
    g_autofree char *cd = g_key_file_get_string(hako_vm_get_config(self->vm), E, "cdrom", NULL);
    if (cd && *cd) {
        g_autofree char *path = hako_vm_config_resolve_path(hako_vm_get_dir(self->vm), cd);
        g_autofree char *base = g_path_get_basename(path);
        g_autofree char *shown = g_filename_display_name(base);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->cd_row), shown);
        adw_action_row_set_subtitle(self->cd_row, path);
    } else {
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->cd_row), _("No Disc"));
        adw_action_row_set_subtitle(self->cd_row, _("The drive is empty"));
    }
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "settings.eject-cd", cd && *cd);
}

static void show_command(HakoVmSettings *self)
{
    g_auto(GStrv) args = hako_vm_build_engine_args(self->vm);
    g_autofree char *dir = g_file_get_path(hako_vm_get_dir(self->vm));
    GString *s = g_string_new(NULL);
    g_autofree char *qdir = g_shell_quote(dir);
    g_string_append_printf(s, "cd %s && hako-vmm", qdir);
    for (gsize i = 0; args[i]; i++) {
        g_autofree char *q = g_shell_quote(args[i]);
        g_string_append_printf(s, " %s", q);
    }
    adw_action_row_set_subtitle(self->command_row, s->str);
    g_string_free(s, TRUE);
}

/* A short label for the firmware list: "UEFI 4 MiB", "UEFI 2 MiB, Secure Boot" (the row's
 * subtitle shows the files). */
static char *firmware_label(HakoFirmware *fw)
{
    guint64 total = hako_firmware_get_code_size(fw) + hako_firmware_get_vars_size(fw);
    if (total != (1ull << 20) && total != (2ull << 20) && total != (4ull << 20)) {
        g_autofree char *base = g_path_get_basename(hako_firmware_get_code_path(fw));
        return g_strdup_printf(_("UEFI (%s)"), base);
    }
    unsigned long long mib = (unsigned long long)(total >> 20);
    if (hako_firmware_is_secure_boot(fw))
        return g_strdup_printf(_("UEFI %llu MiB, Secure Boot"), mib);
    if (hako_firmware_is_unified(fw) && !hako_firmware_get_vars_template(fw))
        return g_strdup_printf(_("UEFI %llu MiB, single file"), mib);
    return g_strdup_printf(_("UEFI %llu MiB"), mib);
}

static void fill_firmware(HakoVmSettings *self)
{
    GKeyFile *c = hako_vm_get_config(self->vm);
    g_autofree char *kind = g_key_file_get_string(c, E, "firmware", NULL);
    g_autofree char *code = g_key_file_get_string(c, E, "ovmf-code", NULL);
    g_autofree char *tmpl = g_key_file_get_string(c, E, "ovmf-vars-template", NULL);
    gboolean uefi = kind && g_str_equal(kind, "uefi");

    g_clear_pointer(&self->fw_choices, g_ptr_array_unref);
    self->fw_choices = g_ptr_array_new_with_free_func(unref_if_object);
    GtkStringList *names = gtk_string_list_new(NULL);
    HakoFirmware *bios = hako_firmware_list_find_default(self->firmware, HAKO_FIRMWARE_BIOS);
    gtk_string_list_append(names, _("BIOS (SeaBIOS)"));
    g_ptr_array_add(self->fw_choices, NULL);
    guint selected = 0;
    gboolean current_listed = FALSE;
    guint n = g_list_model_get_n_items(self->firmware);
    for (guint i = 0; i < n; i++) {
        g_autoptr(HakoFirmware) fw = g_list_model_get_item(self->firmware, i);
        if (hako_firmware_get_kind(fw) != HAKO_FIRMWARE_UEFI)
            continue;
        /* the VM's own choice: the same CODE with the same template (the same CODE with another
         * template is a different verdict, made below) */
        const char *fw_vars = hako_firmware_get_vars_template(fw);
        gboolean current = uefi && code && g_str_equal(code, hako_firmware_get_code_path(fw)) &&
                           (!tmpl || g_strcmp0(tmpl, fw_vars) == 0);
        g_autofree char *label = firmware_label(fw);
        /* one line per kind of build (Debian ships three Secure Boot variants), but always the
         * VM's own */
        gboolean dup = FALSE;
        for (guint j = 0; j < g_list_model_get_n_items(G_LIST_MODEL(names)); j++)
            dup |= g_str_equal(gtk_string_list_get_string(names, j), label);
        if (dup && !current)
            continue;
        gtk_string_list_append(names, label);
        g_ptr_array_add(self->fw_choices, g_object_ref(fw));
        if (current) {
            selected = self->fw_choices->len - 1;
            current_listed = TRUE;
        }
    }
    if (uefi && !current_listed) {
        /* the host's default build (no ovmf-code), or a build given by path by hand */
        HakoFirmware *def = hako_firmware_list_find_default(self->firmware, HAKO_FIRMWARE_UEFI);
        if (!code && def) {
            for (guint i = 1; i < self->fw_choices->len; i++)
                if (self->fw_choices->pdata[i] == def)
                    selected = i;
        } else if (code) {
            HakoFirmware *custom = hako_firmware_new_for_paths(HAKO_FIRMWARE_UEFI, code, tmpl);
            g_autofree char *base = g_path_get_basename(code);
            g_autofree char *label = g_strdup_printf(_("UEFI (%s)"), base);
            gtk_string_list_append(names, label);
            g_ptr_array_add(self->fw_choices, custom);
            selected = self->fw_choices->len - 1;
        }
    }
    adw_combo_row_set_model(self->firmware_row, G_LIST_MODEL(names));
    g_object_unref(names);
    adw_combo_row_set_selected(self->firmware_row, selected);
    self->fw_selected = selected;
    HakoFirmware *cur = self->fw_choices->pdata[selected];
    const char *problem = cur ? hako_firmware_get_problem(cur) : NULL;
    set_row_check(ADW_ACTION_ROW(self->firmware_row), problem ? HAKO_VALUE_INVALID : HAKO_VALUE_OK,
                  problem,
                  cur    ? hako_firmware_get_code_path(cur)
                  : bios ? hako_firmware_get_code_path(bios)
                         : _("SeaBIOS is not installed"));
}

static void load(HakoVmSettings *self)
{
    GKeyFile *c = hako_vm_get_config(self->vm);
    self->updating = TRUE;
    gtk_window_set_title(GTK_WINDOW(self), hako_vm_get_name(self->vm));
    gtk_editable_set_text(GTK_EDITABLE(self->name_row), hako_vm_get_name(self->vm));
    g_autofree char *os = g_key_file_get_string(c, HAKO_VM_GROUP, HAKO_VM_KEY_OS, NULL);
    gtk_drop_down_set_selected(self->os_dropdown, (guint)(hako_os_list_find(self->oses, os) + 1));
    g_autofree char *dir = g_file_get_path(hako_vm_get_dir(self->vm));
    adw_action_row_set_subtitle(self->folder_row, dir);
    g_autofree char *notes = g_key_file_get_string(c, HAKO_VM_GROUP, "Notes", NULL);
    gtk_text_buffer_set_text(gtk_text_view_get_buffer(self->notes_view), notes ? notes : "", -1);

    guint64 mem = hako_vm_config_memory_mib(c);
    gtk_spin_button_set_range(self->memory_spin, 16, (double)(1024 * 1024));
    gtk_spin_button_set_increments(self->memory_spin, 128, 1024);
    gtk_spin_button_set_value(self->memory_spin, (double)(mem ? mem : 1024));
    gint cpus = g_key_file_get_integer(c, E, "cpus", NULL);
    gtk_spin_button_set_range(self->cpus_spin, 1, HAKO_MAX_CPUS);
    gtk_spin_button_set_increments(self->cpus_spin, 1, 2);
    gtk_spin_button_set_value(self->cpus_spin, cpus > 0 ? cpus : 1);

    fill_firmware(self);
    g_autofree char *boot = g_key_file_get_string(c, E, "boot", NULL);
    adw_combo_row_set_selected(self->boot_row, boot && g_str_equal(boot, "disk") ? 1 : 0);
    gtk_switch_set_active(self->boot_menu_switch, g_key_file_get_boolean(c, E, "boot-menu", NULL));

    g_autofree char *res = g_key_file_get_string(c, E, "resolution", NULL);
    guint sel = DEFAULT_RESOLUTION;
    for (guint i = 0; res && i < G_N_ELEMENTS(resolutions); i++) {
        g_autofree char *r = g_strdup_printf("%ux%u", resolutions[i].w, resolutions[i].h);
        if (g_str_equal(r, res))
            sel = i;
    }
    adw_combo_row_set_selected(self->resolution_row, sel);
    gtk_switch_set_active(self->serial_switch,
                          g_key_file_get_boolean(c, HAKO_VM_GROUP, "SerialConsole", NULL));
    show_disks(self);
    show_cd(self);
    show_command(self);
    update_running(self);
    self->updating = FALSE;
}

/* ---- General ---- */

static void on_name_changed(GtkEditable *e, gpointer data)
{
    HakoVmSettings *self = data;
    if (self->updating)
        return;
    g_autofree char *msg = NULL;
    HakoValueCheck c =
        hako_vm_library_check_name(self->library, gtk_editable_get_text(e), self->vm, &msg);
    if (c == HAKO_VALUE_INVALID)
        gtk_widget_add_css_class(GTK_WIDGET(self->name_row), "error");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self->name_row), "error");
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->name_row), msg);
}

static void on_name_apply(AdwEntryRow *row, gpointer data)
{
    HakoVmSettings *self = data;
    g_autofree char *name = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(row))));
    g_autoptr(GError) error = NULL;
    if (!hako_vm_library_rename(self->library, self->vm, name, &error)) {
        toast(self, error->message);
        return;
    }
    gtk_window_set_title(GTK_WINDOW(self), name);
}

static void on_os_selected(GObject *dd, GParamSpec *pspec, gpointer data)
{
    HakoVmSettings *self = data;
    (void)dd;
    (void)pspec;
    if (self->updating)
        return;
    GKeyFile *c = hako_vm_get_config(self->vm);
    guint pos = gtk_drop_down_get_selected(self->os_dropdown);
    if (pos == 0 || pos > self->oses->len) {
        g_key_file_remove_key(c, HAKO_VM_GROUP, HAKO_VM_KEY_OS, NULL);
        g_key_file_remove_key(c, HAKO_VM_GROUP, HAKO_VM_KEY_OS_NAME, NULL);
    } else {
        OsinfoEntity *os = self->oses->pdata[pos - 1];
        g_key_file_set_string(c, HAKO_VM_GROUP, HAKO_VM_KEY_OS, osinfo_entity_get_id(os));
        g_key_file_set_string(c, HAKO_VM_GROUP, HAKO_VM_KEY_OS_NAME,
                              osinfo_product_get_name(OSINFO_PRODUCT(os)));
    }
    save(self, FALSE);
}

static gboolean save_notes(gpointer data)
{
    HakoVmSettings *self = data;
    self->notes_timeout = 0;
    GtkTextBuffer *buf = gtk_text_view_get_buffer(self->notes_view);
    GtkTextIter a, b;
    gtk_text_buffer_get_bounds(buf, &a, &b);
    g_autofree char *text = gtk_text_buffer_get_text(buf, &a, &b, FALSE);
    GKeyFile *c = hako_vm_get_config(self->vm);
    if (*text)
        g_key_file_set_string(c, HAKO_VM_GROUP, "Notes", text);
    else
        g_key_file_remove_key(c, HAKO_VM_GROUP, "Notes", NULL);
    save(self, FALSE);
    return G_SOURCE_REMOVE;
}

static void on_notes_changed(GtkTextBuffer *buf, gpointer data)
{
    HakoVmSettings *self = data;
    (void)buf;
    if (self->updating)
        return;
    g_clear_handle_id(&self->notes_timeout, g_source_remove);
    self->notes_timeout = g_timeout_add(800, save_notes, self);
}

/* ---- System ---- */

static void on_memory_changed(GtkSpinButton *spin, gpointer data)
{
    HakoVmSettings *self = data;
    if (self->updating)
        return;
    guint64 mib = (guint64)gtk_spin_button_get_value_as_int(spin);
    g_autofree char *msg = NULL;
    HakoValueCheck c = hako_check_memory(&self->limits, mib, &msg);
    g_autofree char *spare =
        g_strdup_printf(_("This computer can spare %llu MiB"),
                        (unsigned long long)hako_host_limits_spare_memory_mib(&self->limits));
    set_row_check(self->memory_row, c, msg, spare);
    if (c == HAKO_VALUE_INVALID)
        return; /* refused: vm.ini keeps the last valid value */
    g_autofree char *v = g_strdup_printf("%lluM", (unsigned long long)mib);
    g_key_file_set_string(hako_vm_get_config(self->vm), E, "memory", v);
    save(self, TRUE);
    show_command(self);
}

static void on_cpus_changed(GtkSpinButton *spin, gpointer data)
{
    HakoVmSettings *self = data;
    if (self->updating)
        return;
    guint n = (guint)gtk_spin_button_get_value_as_int(spin);
    g_autofree char *msg = NULL;
    HakoValueCheck c = hako_check_cpus(&self->limits, n, &msg);
    guint max = hako_host_limits_max_cpus(&self->limits);
    g_autofree char *hint = g_strdup_printf(
        g_dngettext(NULL, "Up to %u on this computer", "Up to %u on this computer", max), max);
    set_row_check(self->cpus_row, c, msg, hint);
    if (c == HAKO_VALUE_INVALID)
        return;
    g_key_file_set_integer(hako_vm_get_config(self->vm), E, "cpus", (gint)n);
    save(self, TRUE);
    show_command(self);
}

/* The VM's own variable store must come from the chosen build's template (sizes differ between
 * 2 MiB and 4 MiB builds): a store of the wrong size is kept as OVMF_VARS.fd.old. */
static gboolean ensure_vars(HakoVmSettings *self, HakoFirmware *fw, GError **error)
{
    GFile *dir = hako_vm_get_dir(self->vm);
    g_autoptr(GFile) vars = g_file_get_child(dir, HAKO_VM_VARS_FILE);
    g_autofree char *vpath = g_file_get_path(vars);
    struct stat st;
    if (stat(vpath, &st) == 0) {
        if ((guint64)st.st_size == hako_firmware_get_vars_size(fw))
            return TRUE;
        g_autofree char *old = g_strconcat(vpath, ".old", NULL);
        if (g_rename(vpath, old) < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "%s: %s", vpath,
                        g_strerror(errno));
            return FALSE;
        }
    }
    if (!hako_firmware_get_vars_template(fw))
        return TRUE; /* a unified image: the engine makes the store from the image's own */
    g_autoptr(GFile) tmpl = g_file_new_for_path(hako_firmware_get_vars_template(fw));
    return g_file_copy(tmpl, vars, G_FILE_COPY_NONE, NULL, NULL, NULL, error);
}

static void on_firmware_selected(GObject *row, GParamSpec *pspec, gpointer data)
{
    HakoVmSettings *self = data;
    (void)row;
    (void)pspec;
    if (self->updating || !self->fw_choices)
        return;
    guint sel = adw_combo_row_get_selected(self->firmware_row);
    if (sel >= self->fw_choices->len || sel == self->fw_selected)
        return;
    HakoFirmware *fw = self->fw_choices->pdata[sel];
    GKeyFile *c = hako_vm_get_config(self->vm);
    if (fw && !hako_firmware_is_usable(fw)) {
        /* refused: back to the current choice, with the reason */
        g_autofree char *msg = g_strdup(hako_firmware_get_problem(fw));
        self->updating = TRUE;
        adw_combo_row_set_selected(self->firmware_row, self->fw_selected);
        self->updating = FALSE;
        set_row_check(ADW_ACTION_ROW(self->firmware_row), HAKO_VALUE_INVALID, msg, NULL);
        return;
    }
    if (fw) {
        g_autoptr(GError) error = NULL;
        if (!ensure_vars(self, fw, &error)) {
            g_autofree char *text =
                g_strdup_printf(_("The UEFI variable store could not be made: %s"), error->message);
            self->updating = TRUE;
            adw_combo_row_set_selected(self->firmware_row, self->fw_selected);
            self->updating = FALSE;
            set_row_check(ADW_ACTION_ROW(self->firmware_row), HAKO_VALUE_INVALID, text, NULL);
            return;
        }
        g_key_file_set_string(c, E, "firmware", "uefi");
        g_key_file_set_string(c, E, "ovmf-code", hako_firmware_get_code_path(fw));
        if (hako_firmware_get_vars_template(fw))
            g_key_file_set_string(c, E, "ovmf-vars-template", hako_firmware_get_vars_template(fw));
        else
            g_key_file_remove_key(c, E, "ovmf-vars-template", NULL);
        g_key_file_set_string(c, E, "ovmf-vars", HAKO_VM_VARS_FILE);
    } else {
        g_key_file_set_string(c, E, "firmware", "bios");
        g_key_file_remove_key(c, E, "ovmf-code", NULL);
        g_key_file_remove_key(c, E, "ovmf-vars-template", NULL);
        g_key_file_remove_key(c, E, "ovmf-vars", NULL);
    }
    self->fw_selected = sel;
    HakoFirmware *bios = hako_firmware_list_find_default(self->firmware, HAKO_FIRMWARE_BIOS);
    set_row_check(ADW_ACTION_ROW(self->firmware_row), HAKO_VALUE_OK, NULL,
                  fw     ? hako_firmware_get_code_path(fw)
                  : bios ? hako_firmware_get_code_path(bios)
                         : _("SeaBIOS is not installed"));
    save(self, TRUE);
    show_command(self);
}

static void on_boot_selected(GObject *row, GParamSpec *pspec, gpointer data)
{
    HakoVmSettings *self = data;
    (void)row;
    (void)pspec;
    if (self->updating)
        return;
    g_key_file_set_string(hako_vm_get_config(self->vm), E, "boot",
                          adw_combo_row_get_selected(self->boot_row) == 1 ? "disk" : "cdrom");
    save(self, TRUE);
    show_command(self);
}

static void on_boot_menu(GObject *sw, GParamSpec *pspec, gpointer data)
{
    HakoVmSettings *self = data;
    (void)pspec;
    if (self->updating)
        return;
    GKeyFile *c = hako_vm_get_config(self->vm);
    if (gtk_switch_get_active(GTK_SWITCH(sw)))
        g_key_file_set_boolean(c, E, "boot-menu", TRUE);
    else
        g_key_file_remove_key(c, E, "boot-menu", NULL);
    save(self, TRUE);
    show_command(self);
}

/* ---- Storage ---- */

typedef struct {
    HakoVmSettings *self;
    char *path;
    guint64 size;
    gboolean create;
} DiskJob;

static void disk_job_free(gpointer p)
{
    DiskJob *j = p;
    g_object_unref(j->self);
    g_free(j->path);
    g_free(j);
}

static void disk_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    DiskJob *j = data;
    GError *error = NULL;
    gboolean ok = j->create
                      ? hako_disk_image_create(j->path, j->size, NULL, NULL, cancellable, &error)
                      : hako_disk_image_grow(j->path, j->size, NULL, NULL, cancellable, &error);
    if (ok)
        g_task_return_boolean(task, TRUE);
    else
        g_task_return_error(task, error);
}

static void on_disk_done(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    (void)data;
    DiskJob *j = g_task_get_task_data(G_TASK(res));
    HakoVmSettings *self = j->self;
    g_autoptr(GError) error = NULL;
    gtk_widget_set_sensitive(GTK_WIDGET(self->grow_button), TRUE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->disk2_button), TRUE);
    if (!g_task_propagate_boolean(G_TASK(res), &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            toast(self, error->message);
        show_disks(self);
        return;
    }
    if (j->create) {
        GKeyFile *c = hako_vm_get_config(self->vm);
        g_auto(GStrv) values = hako_vm_config_disk_values(c);
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        g_strv_builder_addv(b, (const char **)values);
        g_autofree char *base = g_path_get_basename(j->path);
        g_strv_builder_add(b, base);
        g_auto(GStrv) all = g_strv_builder_end(b);
        hako_vm_config_set_disks(c, (const char *const *)all);
        save(self, TRUE);
        toast(self, _("Disk added. Partition and format it inside the guest."));
    } else {
        toast(self, _("Disk grown. Enlarge its partition in the guest."));
    }
    show_disks(self);
    show_command(self);
}

static void run_disk_job(HakoVmSettings *self, const char *path, guint64 size, gboolean create)
{
    DiskJob *j = g_new0(DiskJob, 1);
    j->self = g_object_ref(self);
    j->path = g_strdup(path);
    j->size = size;
    j->create = create;
    gtk_widget_set_sensitive(GTK_WIDGET(self->grow_button), FALSE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->disk2_button), FALSE);
    g_autoptr(GTask) task = g_task_new(NULL, self->cancellable, on_disk_done, NULL);
    g_task_set_task_data(task, j, disk_job_free);
    g_task_run_in_thread(task, disk_thread);
}

static void act_grow_disk(GtkWidget *w, const char *name, GVariant *param)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(w);
    (void)name;
    (void)param;
    if (running(self))
        return;
    g_auto(GStrv) disks =
        hako_vm_config_disks(hako_vm_get_config(self->vm), hako_vm_get_dir(self->vm));
    if (!disks[0])
        return;
    guint64 gib = (guint64)gtk_spin_button_get_value_as_int(self->disk_spin);
    struct stat st;
    if (stat(disks[0], &st) == 0 && gib <= (guint64)(st.st_size >> 30)) {
        set_row_check(self->disk_size_row, HAKO_VALUE_INVALID,
                      _("Choose a larger size: a disk can only grow (its end may hold data)."),
                      NULL);
        return;
    }
    g_autofree char *msg = NULL;
    HakoValueCheck c = hako_check_disk(&self->limits, gib, &msg);
    if (c == HAKO_VALUE_INVALID) {
        set_row_check(self->disk_size_row, c, msg, NULL);
        return;
    }
    set_row_check(self->disk_size_row, c, _("Growing…"), NULL);
    run_disk_job(self, disks[0], gib << 30, FALSE);
}

static void act_add_disk(GtkWidget *w, const char *name, GVariant *param)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(w);
    (void)name;
    (void)param;
    if (running(self))
        return;
    guint64 gib = (guint64)gtk_spin_button_get_value_as_int(self->disk2_spin);
    g_autofree char *msg = NULL;
    HakoValueCheck c = hako_check_disk(&self->limits, gib, &msg);
    if (c == HAKO_VALUE_INVALID) {
        set_row_check(self->disk2_row, c, msg, NULL);
        return;
    }
    g_autofree char *dir = g_file_get_path(hako_vm_get_dir(self->vm));
    g_autofree char *path = NULL;
    for (int i = 2; i < 100; i++) {
        g_autofree char *n = g_strdup_printf("disk%d.img", i);
        g_free(path);
        path = g_build_filename(dir, n, NULL);
        if (!g_file_test(path, G_FILE_TEST_EXISTS))
            break;
    }
    set_row_check(self->disk2_row, c, _("Creating…"), NULL);
    run_disk_job(self, path, gib << 30, TRUE);
}

static void on_remove_disk_response(AdwMessageDialog *d, const char *response, gpointer data)
{
    HakoVmSettings *self = data;
    (void)d;
    if (!g_str_equal(response, "remove"))
        return;
    GKeyFile *c = hako_vm_get_config(self->vm);
    g_auto(GStrv) values = hako_vm_config_disk_values(c);
    if (g_strv_length(values) < 2)
        return;
    g_autofree char *path = hako_vm_config_resolve_path(hako_vm_get_dir(self->vm), values[1]);
    const char *keep[] = {values[0], NULL};
    hako_vm_config_set_disks(c, keep);
    save(self, TRUE);
    g_autoptr(GFile) f = g_file_new_for_path(path);
    if (!g_file_trash(f, NULL, NULL))
        g_file_delete(f, NULL, NULL);
    show_disks(self);
    show_command(self);
}

static void act_remove_disk(GtkWidget *w, const char *name, GVariant *param)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(w);
    (void)name;
    (void)param;
    AdwMessageDialog *d = ADW_MESSAGE_DIALOG(
        adw_message_dialog_new(GTK_WINDOW(self), _("Remove the Second Disk?"),
                               _("Its image is moved to the trash with everything on it.")));
    adw_message_dialog_add_responses(d, "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
    adw_message_dialog_set_response_appearance(d, "remove", ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_close_response(d, "cancel");
    g_signal_connect_object(d, "response", G_CALLBACK(on_remove_disk_response), self, 0);
    gtk_window_present(GTK_WINDOW(d));
}

static void set_cd(HakoVmSettings *self, const char *path)
{
    g_key_file_set_string(hako_vm_get_config(self->vm), E, "cdrom", path ? path : "");
    save(self, FALSE);
    HakoEngine *engine = hako_vm_get_engine(self->vm);
    if (engine && running(self))
        hako_engine_change_cd(engine, path);
    show_cd(self);
    show_command(self);
}

static void on_cd_checked(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    g_autoptr(HakoVmSettings) self = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(HakoMedia) media = hako_media_new_for_file_finish(res, &error);
    if (!media) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            set_row_check(self->cd_row, HAKO_VALUE_INVALID, error->message, NULL);
        return;
    }
    gtk_widget_remove_css_class(GTK_WIDGET(self->cd_row), "error");
    g_autofree char *path = g_file_get_path(hako_media_get_file(media));
    set_cd(self, path);
}

static void on_cd_chosen(GtkNativeDialog *dialog, int response, gpointer data)
{
    HakoVmSettings *self = data;
    g_autoptr(GFile) file = NULL;
    if (response == GTK_RESPONSE_ACCEPT)
        file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_clear_object(&self->chooser);
    if (!file)
        return;
    if (!g_file_is_native(file)) {
        set_row_check(self->cd_row, HAKO_VALUE_INVALID,
                      _("Only local files can be used as a CD/DVD."), NULL);
        return;
    }
    /* refuse what is not a disc image, with the reason */
    hako_media_new_for_file_async(file, self->cancellable, on_cd_checked, g_object_ref(self));
}

static void act_choose_cd(GtkWidget *w, const char *name, GVariant *param)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(w);
    (void)name;
    (void)param;
    if (self->chooser)
        return;
    self->chooser =
        gtk_file_chooser_native_new(_("Choose a Disc Image"), GTK_WINDOW(self),
                                    GTK_FILE_CHOOSER_ACTION_OPEN, _("_Insert"), _("_Cancel"));
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(self->chooser), TRUE);
    hako_new_vm_wizard_setup_iso_chooser(GTK_FILE_CHOOSER(self->chooser));
    g_signal_connect(self->chooser, "response", G_CALLBACK(on_cd_chosen), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}

static void act_eject_cd(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    set_cd(HAKO_VM_SETTINGS(w), NULL);
}

/* ---- Display, Advanced ---- */

static void on_resolution_selected(GObject *row, GParamSpec *pspec, gpointer data)
{
    HakoVmSettings *self = data;
    (void)row;
    (void)pspec;
    if (self->updating)
        return;
    guint sel = adw_combo_row_get_selected(self->resolution_row);
    if (sel >= G_N_ELEMENTS(resolutions))
        return;
    g_autofree char *v = g_strdup_printf("%ux%u", resolutions[sel].w, resolutions[sel].h);
    g_key_file_set_string(hako_vm_get_config(self->vm), E, "resolution", v);
    save(self, TRUE);
    show_command(self);
}

static void on_serial(GObject *sw, GParamSpec *pspec, gpointer data)
{
    HakoVmSettings *self = data;
    (void)pspec;
    if (self->updating)
        return;
    gboolean on = gtk_switch_get_active(GTK_SWITCH(sw));
    g_key_file_set_boolean(hako_vm_get_config(self->vm), HAKO_VM_GROUP, "SerialConsole", on);
    save(self, FALSE);
    /* shown or hidden at once when this VM is on screen */
    GtkWindow *main_window = gtk_window_get_transient_for(GTK_WINDOW(self));
    if (main_window && HAKO_IS_WINDOW(main_window) &&
        hako_vm_view_get_vm(hako_window_get_vm_view(HAKO_WINDOW(main_window))) == self->vm) {
        g_autoptr(GSettings) settings = g_settings_new(HAKO_APP_ID);
        g_settings_set_boolean(settings, "console-visible", on);
    }
}

#define LOG_SHOWN_MAX (4u << 20) /* the end of a longer log is shown */

static void log_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    (void)cancellable;
    gboolean cut = FALSE;
    g_autofree char *text = hako_fs_read_tail(data, LOG_SHOWN_MAX, &cut, NULL);
    if (!text) {
        g_task_return_pointer(task, NULL, NULL);
        return;
    }
    char *valid = g_utf8_make_valid(text, -1);
    if (cut) {
        g_autofree char *shown = g_filename_display_name(data);
        g_autofree char *note =
            g_strdup_printf(_("(Only the end of the log is shown; all of it is in %s.)"), shown);
        char *both = g_strconcat(note, "\n\n", valid, NULL);
        g_free(valid);
        valid = both;
    }
    g_task_return_pointer(task, valid, g_free);
}

static void on_log_read(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    HakoVmSettings *self = HAKO_VM_SETTINGS(src);
    g_autofree char *text = g_task_propagate_pointer(G_TASK(res), NULL);
    if (g_cancellable_is_cancelled(self->cancellable))
        return;
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "settings.show-log", TRUE);
    if (!text || !*text) {
        g_free(text);
        text = g_strdup(_("The engine has not written a log yet: it does when the virtual machine "
                          "starts."));
    }
    AdwWindow *win = ADW_WINDOW(adw_window_new());
    g_autofree char *title = g_strdup_printf(_("Engine Log — %s"), hako_vm_get_name(self->vm));
    gtk_window_set_title(GTK_WINDOW(win), title);
    gtk_window_set_transient_for(GTK_WINDOW(win), GTK_WINDOW(self));
    gtk_window_set_default_size(GTK_WINDOW(win), 760, 520);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *header = adw_header_bar_new();
    gtk_box_append(GTK_BOX(box), header);
    GtkWidget *scroll = gtk_scrolled_window_new();
    gtk_widget_set_vexpand(scroll, TRUE);
    GtkWidget *view = gtk_text_view_new();
    gtk_text_view_set_editable(GTK_TEXT_VIEW(view), FALSE);
    gtk_text_view_set_monospace(GTK_TEXT_VIEW(view), TRUE);
    gtk_text_view_set_left_margin(GTK_TEXT_VIEW(view), 8);
    gtk_text_view_set_top_margin(GTK_TEXT_VIEW(view), 8);
    gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(view)), text, -1);
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), view);
    gtk_box_append(GTK_BOX(box), scroll);
    adw_window_set_content(win, box);
    gtk_window_present(GTK_WINDOW(win));
}

/* The log is read in a thread (it can be large), then shown. */
static void act_show_log(GtkWidget *w, const char *name, GVariant *param)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(w);
    (void)name;
    (void)param;
    g_autoptr(GFile) log = g_file_get_child(hako_vm_get_dir(self->vm), "engine.log");
    gtk_widget_action_set_enabled(w, "settings.show-log", FALSE);
    g_autoptr(GTask) task = g_task_new(self, self->cancellable, on_log_read, NULL);
    g_task_set_task_data(task, g_file_get_path(log), g_free);
    g_task_run_in_thread(task, log_thread);
}

static void act_delete(GtkWidget *w, const char *name, GVariant *param)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(w);
    (void)name;
    (void)param;
    g_autoptr(HakoDeleteFlow) flow =
        hako_delete_flow_new(GTK_WINDOW(self), self->toasts, self->library, self->vm);
    /* the settings of a deleted VM close */
    g_signal_connect_object(flow, "confirmed", G_CALLBACK(gtk_window_destroy), self,
                            G_CONNECT_SWAPPED);
    hako_delete_flow_start(flow);
}

/* ---- GObject ---- */

enum { PROP_0, PROP_LIBRARY, PROP_VM, PROP_TOASTS, N_PROPS };
static GParamSpec *props[N_PROPS];

static void on_vm_state(HakoVm *vm, GParamSpec *pspec, gpointer data)
{
    (void)vm;
    (void)pspec;
    HakoVmSettings *self = data;
    update_running(self);
    show_disks(self);
}

static void hako_vm_settings_constructed(GObject *object)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(object);
    G_OBJECT_CLASS(hako_vm_settings_parent_class)->constructed(object);
    g_return_if_fail(self->vm && self->library);
    hako_network_page_set_vm(self->network_page, self->vm);
    g_autofree char *dir = g_file_get_path(hako_vm_get_dir(self->vm));
    hako_host_limits_read(&self->limits, dir);
    load(self);

    g_signal_connect(self->name_row, "changed", G_CALLBACK(on_name_changed), self);
    g_signal_connect(self->name_row, "apply", G_CALLBACK(on_name_apply), self);
    g_signal_connect(self->os_dropdown, "notify::selected", G_CALLBACK(on_os_selected), self);
    g_signal_connect(gtk_text_view_get_buffer(self->notes_view), "changed",
                     G_CALLBACK(on_notes_changed), self);
    g_signal_connect(self->memory_spin, "value-changed", G_CALLBACK(on_memory_changed), self);
    g_signal_connect(self->cpus_spin, "value-changed", G_CALLBACK(on_cpus_changed), self);
    g_signal_connect(self->firmware_row, "notify::selected", G_CALLBACK(on_firmware_selected),
                     self);
    g_signal_connect(self->boot_row, "notify::selected", G_CALLBACK(on_boot_selected), self);
    g_signal_connect(self->boot_menu_switch, "notify::active", G_CALLBACK(on_boot_menu), self);
    g_signal_connect(self->resolution_row, "notify::selected", G_CALLBACK(on_resolution_selected),
                     self);
    g_signal_connect(self->serial_switch, "notify::active", G_CALLBACK(on_serial), self);
    g_signal_connect(self->vm, "notify::state", G_CALLBACK(on_vm_state), self);

    /* show the current values' hints */
    self->updating = TRUE;
    g_autofree char *spare =
        g_strdup_printf(_("This computer can spare %llu MiB"),
                        (unsigned long long)hako_host_limits_spare_memory_mib(&self->limits));
    adw_action_row_set_subtitle(self->memory_row, spare);
    guint max = hako_host_limits_max_cpus(&self->limits);
    g_autofree char *hint = g_strdup_printf(
        g_dngettext(NULL, "Up to %u on this computer", "Up to %u on this computer", max), max);
    adw_action_row_set_subtitle(self->cpus_row, hint);
    self->updating = FALSE;
}

/* Every handler this window connected, to its own widgets and to the VM. */
static void disconnect_all(HakoVmSettings *self)
{
    gpointer widgets[] = {
        self->name_row,      self->os_dropdown, self->memory_spin,      self->cpus_spin,
        self->firmware_row,  self->boot_row,    self->boot_menu_switch, self->resolution_row,
        self->serial_switch, self->vm};
    for (gsize i = 0; i < G_N_ELEMENTS(widgets); i++)
        if (widgets[i])
            g_signal_handlers_disconnect_by_data(widgets[i], self);
    if (self->notes_view)
        g_signal_handlers_disconnect_by_data(gtk_text_view_get_buffer(self->notes_view), self);
    if (self->chooser)
        g_signal_handlers_disconnect_by_data(self->chooser, self);
}

static void hako_vm_settings_dispose(GObject *object)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(object);
    if (self->notes_timeout) {
        g_clear_handle_id(&self->notes_timeout, g_source_remove);
        save_notes(self);
    }
    g_cancellable_cancel(self->cancellable);
    disconnect_all(self);
    if (self->chooser)
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
    g_clear_object(&self->chooser);
    if (self->toasts)
        g_object_remove_weak_pointer(G_OBJECT(self->toasts), (gpointer *)&self->toasts);
    self->toasts = NULL;
    gtk_widget_dispose_template(GTK_WIDGET(self), HAKO_TYPE_VM_SETTINGS);
    G_OBJECT_CLASS(hako_vm_settings_parent_class)->dispose(object);
}

static void hako_vm_settings_finalize(GObject *object)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(object);
    g_clear_object(&self->vm);
    g_clear_object(&self->library);
    g_clear_object(&self->firmware);
    g_clear_pointer(&self->fw_choices, g_ptr_array_unref);
    g_clear_pointer(&self->oses, g_ptr_array_unref);
    g_clear_object(&self->cancellable);
    G_OBJECT_CLASS(hako_vm_settings_parent_class)->finalize(object);
}

static void hako_vm_settings_set_property(GObject *object, guint id, const GValue *value,
                                          GParamSpec *pspec)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(object);
    switch (id) {
    case PROP_LIBRARY: self->library = g_value_dup_object(value); break;
    case PROP_VM: self->vm = g_value_dup_object(value); break;
    case PROP_TOASTS:
        self->toasts = g_value_get_object(value);
        if (self->toasts)
            g_object_add_weak_pointer(G_OBJECT(self->toasts), (gpointer *)&self->toasts);
        break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_vm_settings_get_property(GObject *object, guint id, GValue *value,
                                          GParamSpec *pspec)
{
    HakoVmSettings *self = HAKO_VM_SETTINGS(object);
    switch (id) {
    case PROP_LIBRARY: g_value_set_object(value, self->library); break;
    case PROP_VM: g_value_set_object(value, self->vm); break;
    case PROP_TOASTS: g_value_set_object(value, self->toasts); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_vm_settings_class_init(HakoVmSettingsClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = hako_vm_settings_dispose;
    oc->finalize = hako_vm_settings_finalize;
    oc->constructed = hako_vm_settings_constructed;
    oc->set_property = hako_vm_settings_set_property;
    oc->get_property = hako_vm_settings_get_property;
    GParamFlags f = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
    props[PROP_LIBRARY] = g_param_spec_object("library", NULL, NULL, HAKO_TYPE_VM_LIBRARY, f);
    props[PROP_VM] = g_param_spec_object("vm", NULL, NULL, HAKO_TYPE_VM, f);
    props[PROP_TOASTS] = g_param_spec_object("toasts", NULL, NULL, ADW_TYPE_TOAST_OVERLAY, f);
    g_object_class_install_properties(oc, N_PROPS, props);
    gtk_widget_class_set_template_from_resource(wc, "/io/github/hakovm/Hako/hako-vm-settings.ui");
    g_type_ensure(HAKO_TYPE_NETWORK_PAGE);
#define BIND(x) gtk_widget_class_bind_template_child(wc, HakoVmSettings, x)
    BIND(network_page);
    BIND(name_row);
    BIND(os_row);
    BIND(folder_row);
    BIND(os_dropdown);
    BIND(notes_view);
    BIND(resources_group);
    BIND(firmware_group);
    BIND(boot_group);
    BIND(disk_group);
    BIND(disk2_group);
    BIND(cd_group);
    BIND(display_group);
    BIND(memory_row);
    BIND(cpus_row);
    BIND(boot_menu_row);
    BIND(disk_path_row);
    BIND(disk_size_row);
    BIND(disk2_row);
    BIND(cd_row);
    BIND(log_row);
    BIND(command_row);
    BIND(memory_spin);
    BIND(cpus_spin);
    BIND(disk_spin);
    BIND(disk2_spin);
    BIND(firmware_row);
    BIND(boot_row);
    BIND(resolution_row);
    BIND(boot_menu_switch);
    BIND(serial_switch);
    BIND(grow_button);
    BIND(disk2_button);
    BIND(disk2_unit);
#undef BIND
    gtk_widget_class_install_action(wc, "settings.grow-disk", NULL, act_grow_disk);
    gtk_widget_class_install_action(wc, "settings.add-disk", NULL, act_add_disk);
    gtk_widget_class_install_action(wc, "settings.remove-disk", NULL, act_remove_disk);
    gtk_widget_class_install_action(wc, "settings.choose-cd", NULL, act_choose_cd);
    gtk_widget_class_install_action(wc, "settings.eject-cd", NULL, act_eject_cd);
    gtk_widget_class_install_action(wc, "settings.show-log", NULL, act_show_log);
    gtk_widget_class_install_action(wc, "settings.delete", NULL, act_delete);
}

static void hako_vm_settings_init(HakoVmSettings *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->cancellable = g_cancellable_new();

    self->oses = hako_os_list_sorted();
    GtkStringList *names = gtk_string_list_new(NULL);
    gtk_string_list_append(names, _("Unknown operating system"));
    for (guint i = 0; i < self->oses->len; i++)
        gtk_string_list_append(names, osinfo_product_get_name(self->oses->pdata[i]));
    gtk_drop_down_set_expression(
        self->os_dropdown, gtk_property_expression_new(GTK_TYPE_STRING_OBJECT, NULL, "string"));
    gtk_drop_down_set_model(self->os_dropdown, G_LIST_MODEL(names));
    g_object_unref(names);

    GtkStringList *boot = gtk_string_list_new(NULL);
    gtk_string_list_append(boot, _("CD/DVD, then disk"));
    gtk_string_list_append(boot, _("Disk, then CD/DVD"));
    adw_combo_row_set_model(self->boot_row, G_LIST_MODEL(boot));
    g_object_unref(boot);

    GtkStringList *res = gtk_string_list_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(resolutions); i++) {
        g_autofree char *s = g_strdup_printf("%u × %u", resolutions[i].w, resolutions[i].h);
        gtk_string_list_append(res, s);
    }
    adw_combo_row_set_model(self->resolution_row, G_LIST_MODEL(res));
    g_object_unref(res);

    gtk_spin_button_set_range(self->disk2_spin, HAKO_MIN_DISK_GIB, HAKO_MAX_DISK_GIB);
    gtk_spin_button_set_increments(self->disk2_spin, 1, 10);
    gtk_spin_button_set_value(self->disk2_spin, 10);
    gtk_spin_button_set_increments(self->disk_spin, 1, 10);

    self->firmware = hako_firmware_discover(NULL);
}

HakoVmSettings *hako_vm_settings_new(GtkWindow *parent, AdwToastOverlay *toasts,
                                     HakoVmLibrary *library, HakoVm *vm)
{
    return g_object_new(HAKO_TYPE_VM_SETTINGS, "transient-for", parent, "toasts", toasts, "library",
                        library, "vm", vm, NULL);
}

HakoVm *hako_vm_settings_get_vm(HakoVmSettings *self)
{
    return self->vm;
}
