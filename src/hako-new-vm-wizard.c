/*
 * HakoNewVmWizard: see hako-new-vm-wizard.h.
 */
#include "hako-new-vm-wizard.h"

#include <glib/gi18n.h>

#include "hako-disk-image.h"
#include "hako-firmware.h"
#include "hako-format.h"
#include "hako-media.h"
#include "hako-proposal.h"
#include "hako-vm-creator.h"
#include "hako-window.h"
#include "hako/passt.h"

struct _HakoNewVmWizard {
    AdwWindow parent_instance;

    AdwWindowTitle *window_title;
    GtkStack *stack;
    GtkSpinner *spinner;
    AdwStatusPage *error_page;
    GtkLabel *os_label, *media_label, *boot_label, *blocker_label;
    AdwEntryRow *name_row;
    GtkLabel *name_error;
    AdwActionRow *os_row;
    GtkDropDown *os_dropdown;
    AdwPreferencesGroup *resources_group, *firmware_group, *network_group;
    AdwActionRow *network_row;
    GtkSwitch *network_switch;
    gboolean passt_missing; /* when the wizard opened */
    AdwActionRow *memory_row, *cpus_row, *disk_row, *uefi_row, *bios_row;
    GtkSpinButton *memory_spin, *cpus_spin, *disk_spin;
    GtkCheckButton *uefi_check, *bios_check;
    AdwStatusPage *creating_page;
    GtkProgressBar *progress;
    GtkLabel *stage_label;
    GtkButton *create_button;
    GtkImage *disc_icon;
    GtkSwitch *disk_switch;
    AdwPreferencesGroup *import_group;
    GtkCheckButton *copy_check, *move_check, *use_check;
    GtkBox *command_box;
    GtkLabel *command_label;

    GtkWindow *main_window; /* weak */
    HakoVmLibrary *library;
    GFile *file;
    HakoMedia *media;
    HakoDiskImage *disk_image; /* instead of media: an existing disk image */
    char *media_error;         /* why the file is no disc (when it is no disk image either) */
    HakoProposal *proposal;
    GListModel *firmware;
    HakoHostLimits limits;
    GPtrArray *oses; /* OsinfoOs, in dropdown order from index 1 (0 = unknown) */
    GCancellable *cancellable;
    HakoVmCreator *creator;
    GtkFileChooserNative *chooser;
    char *reserved; /* the name kept in the library while creating */
    gboolean name_edited;
    gboolean updating;
    gboolean creating;
    gboolean close_after_cancel;
};

G_DEFINE_FINAL_TYPE(HakoNewVmWizard, hako_new_vm_wizard, ADW_TYPE_WINDOW)

static void validate(HakoNewVmWizard *self);
static void load_file(HakoNewVmWizard *self, GFile *file);
static char **library_names(HakoVmLibrary *library);

/* ---- helpers ---- */

/* Switches the stack and hides the other pages (GTK 4.8's accessibility tree still reports
 * a stack's hidden children as visible). */
static void show_page(HakoNewVmWizard *self, const char *name)
{
    GtkWidget *page = gtk_stack_get_child_by_name(self->stack, name);
    gtk_widget_set_visible(page, TRUE);
    gtk_stack_set_visible_child(self->stack, page);
    for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(self->stack)); c;
         c = gtk_widget_get_next_sibling(c))
        if (c != page)
            gtk_widget_set_visible(c, FALSE);
}

static char *format_mib(guint64 mib)
{
    if (mib % 1024 == 0)
        return g_strdup_printf(_("%llu GiB"), (unsigned long long)(mib / 1024));
    if (mib >= 1024)
        return g_strdup_printf(_("%.1f GiB"), (double)mib / 1024.0);
    return g_strdup_printf(_("%llu MiB"), (unsigned long long)mib);
}

static void set_row_state(AdwActionRow *row, HakoValueCheck check, const char *message,
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

/* ---- the file: a disc, or an existing disk image ---- */

static gboolean boots_bios(HakoNewVmWizard *self)
{
    if (self->disk_image) {
        const struct hk_disk_image_info *i = hako_disk_image_get_info(self->disk_image);
        return i->bios_boot || !i->efi_system;
    }
    return self->media && hako_media_boots_bios(self->media);
}

static gboolean boots_uefi(HakoNewVmWizard *self)
{
    if (self->disk_image)
        return hako_disk_image_get_info(self->disk_image)->efi_system;
    return self->media && hako_media_boots_uefi(self->media);
}

/* A disc that needs no disk (memory testers): no disk is proposed. */
static gboolean media_needs_no_disk(HakoMedia *media)
{
    const HakoIsoInfo *in = hako_media_get_iso_info(media);
    g_autofree char *id = g_ascii_strup(in->volume_id, -1);
    return g_str_has_prefix(id, "MT86") || strstr(id, "MEMTEST") != NULL;
}

/* For a disk image, what HakoProposal says for discs: which firmware, why, what blocks. */
static HakoFirmwareKind image_firmware(HakoNewVmWizard *self, const char **note,
                                       const char **blocker)
{
    gboolean bios = boots_bios(self), uefi = boots_uefi(self);
    gboolean have_bios =
        hako_firmware_list_find_default(self->firmware, HAKO_FIRMWARE_BIOS) != NULL;
    gboolean have_uefi = hako_proposal_get_ovmf(self->proposal) != NULL;
    *blocker = NULL;
    if (bios && uefi) {
        *note = _("This disk image can start with BIOS or UEFI firmware: it has both BIOS boot "
                  "code and an EFI system partition.");
        return have_uefi && !(have_bios && self->limits.uefi_unreliable) ? HAKO_FIRMWARE_UEFI
                                                                         : HAKO_FIRMWARE_BIOS;
    }
    if (uefi) {
        *note = _("This disk image starts with UEFI firmware (it has an EFI system partition).");
        if (!have_uefi)
            *blocker = _("This disk image needs UEFI firmware, and no usable OVMF is installed.");
        return HAKO_FIRMWARE_UEFI;
    }
    *note = _("This disk image starts with BIOS firmware.");
    if (!have_bios)
        *blocker = _("This disk image needs BIOS firmware, and SeaBIOS is not installed.");
    return HAKO_FIRMWARE_BIOS;
}

void hako_new_vm_wizard_setup_iso_chooser(GtkFileChooser *chooser)
{
    GtkFileFilter *filter = gtk_file_filter_new();
    gtk_file_filter_set_name(filter, _("Disc images"));
    gtk_file_filter_add_mime_type(filter, "application/x-cd-image");
    gtk_file_filter_add_mime_type(filter, "application/x-iso9660-image");
    gtk_file_filter_add_suffix(filter, "iso");
    gtk_file_chooser_add_filter(chooser, filter);
    g_object_unref(filter);
    GtkFileFilter *disks = gtk_file_filter_new();
    gtk_file_filter_set_name(disks, _("Disk images"));
    gtk_file_filter_add_mime_type(disks, "application/x-raw-disk-image");
    gtk_file_filter_add_suffix(disks, "img");
    gtk_file_filter_add_suffix(disks, "raw");
    gtk_file_chooser_add_filter(chooser, disks);
    g_object_unref(disks);
    GtkFileFilter *all = gtk_file_filter_new();
    gtk_file_filter_set_name(all, _("All files"));
    gtk_file_filter_add_pattern(all, "*");
    gtk_file_chooser_add_filter(chooser, all);
    g_object_unref(all);
}

/* ---- operating systems ---- */

static void fill_os_list(HakoNewVmWizard *self)
{
    self->oses = hako_os_list_sorted();
    GtkStringList *names = gtk_string_list_new(NULL);
    gtk_string_list_append(names, _("Unknown operating system"));
    for (guint i = 0; i < self->oses->len; i++)
        gtk_string_list_append(names, osinfo_product_get_name(self->oses->pdata[i]));
    gtk_drop_down_set_expression(
        self->os_dropdown, gtk_property_expression_new(GTK_TYPE_STRING_OBJECT, NULL, "string"));
    gtk_drop_down_set_model(self->os_dropdown, G_LIST_MODEL(names));
    g_object_unref(names);
}

static void select_os(HakoNewVmWizard *self, OsinfoOs *os)
{
    gint i = os ? hako_os_list_find(self->oses, osinfo_entity_get_id(OSINFO_ENTITY(os))) : -1;
    gtk_drop_down_set_selected(self->os_dropdown, (guint)(i + 1));
}

static OsinfoOs *selected_os(HakoNewVmWizard *self)
{
    if (!self->oses)
        return NULL;
    guint pos = gtk_drop_down_get_selected(self->os_dropdown);
    if (pos == 0 || pos == GTK_INVALID_LIST_POSITION || pos > self->oses->len)
        return NULL;
    return self->oses->pdata[pos - 1];
}

/* ---- the proposal on screen ---- */

static void describe_disk_image(HakoNewVmWizard *self)
{
    const struct hk_disk_image_info *i = hako_disk_image_get_info(self->disk_image);
    g_autofree char *base = g_file_get_basename(self->file);
    g_autofree char *shown = g_filename_display_name(base);
    g_autofree char *size = hako_format_size(i->size, G_FORMAT_SIZE_IEC_UNITS);
    gtk_image_set_from_icon_name(self->disc_icon, "drive-harddisk-symbolic");
    gtk_label_set_text(self->os_label, _("Existing Disk Image"));
    const char *table = i->table == HK_TABLE_GPT ? "GPT" : "MBR";
    g_autofree char *parts =
        g_strdup_printf(g_dngettext(NULL, "%s, %u partition", "%s, %u partitions", i->partitions),
                        table, i->partitions);
    g_autofree char *media = g_strdup_printf("%s · %s · %s", shown, size, parts);
    gtk_label_set_text(self->media_label, media);
    gboolean bios = boots_bios(self), uefi = boots_uefi(self);
    gtk_label_set_text(self->boot_label, bios && uefi ? _("Starts with BIOS or UEFI firmware")
                                         : uefi       ? _("Starts with UEFI firmware only")
                                                      : _("Starts with BIOS firmware only"));
    adw_window_title_set_subtitle(self->window_title, shown);
}

static void describe_media(HakoNewVmWizard *self)
{
    gtk_image_set_from_icon_name(self->disc_icon, "media-optical-symbolic");
    const HakoIsoInfo *in = hako_media_get_iso_info(self->media);
    g_autofree char *base = g_file_get_basename(self->file);
    g_autofree char *shown = g_filename_display_name(base);
    g_autofree char *size = hako_format_size(in->file_bytes, G_FORMAT_SIZE_IEC_UNITS);
    const char *os = hako_media_get_os_name(self->media);
    gtk_label_set_text(self->os_label, os ? os : _("Unknown Operating System"));
    g_autofree char *media = in->volume_id[0]
                                 ? g_strdup_printf("%s · %s · %s", shown, in->volume_id, size)
                                 : g_strdup_printf("%s · %s", shown, size);
    gtk_label_set_text(self->media_label, media);
    gboolean bios = hako_media_boots_bios(self->media), uefi = hako_media_boots_uefi(self->media);
    gtk_label_set_text(self->boot_label, bios && uefi ? _("Starts with BIOS or UEFI firmware")
                                         : uefi       ? _("Starts with UEFI firmware only")
                                                      : _("Starts with BIOS firmware only"));
    adw_window_title_set_subtitle(self->window_title, shown);
}

static void show_proposal(HakoNewVmWizard *self)
{
    HakoProposal *p = self->proposal;
    const HakoHostLimits *l = &self->limits;
    self->updating = TRUE;

    if (!self->name_edited && self->disk_image) {
        g_autofree char *base = hako_disk_image_dup_suggested_name(self->disk_image);
        g_auto(GStrv) taken = library_names(self->library);
        g_autofree char *name = hako_unique_name(base, (const char *const *)taken);
        gtk_editable_set_text(GTK_EDITABLE(self->name_row), name);
    } else if (!self->name_edited) {
        gtk_editable_set_text(GTK_EDITABLE(self->name_row), hako_proposal_get_name(p));
    }

    guint64 max_mem = hako_host_limits_max_memory_mib(l);
    gtk_spin_button_set_range(self->memory_spin, HAKO_MIN_MEMORY_MIB, (double)max_mem);
    gtk_spin_button_set_increments(self->memory_spin, 128, 1024);
    gtk_spin_button_set_value(self->memory_spin, (double)hako_proposal_get_memory_mib(p));

    /* CPUs may be typed above the limit to be told why not */
    gtk_spin_button_set_range(self->cpus_spin, 1, HAKO_MAX_CPUS);
    gtk_spin_button_set_increments(self->cpus_spin, 1, 2);
    gtk_spin_button_set_value(self->cpus_spin, hako_proposal_get_cpus(p));

    gtk_spin_button_set_range(self->disk_spin, HAKO_MIN_DISK_GIB, HAKO_MAX_DISK_GIB);
    gtk_spin_button_set_increments(self->disk_spin, 1, 10);
    gtk_spin_button_set_value(self->disk_spin, (double)hako_proposal_get_disk_gib(p));
    /* an existing image is the disk; a memory tester needs none */
    gtk_widget_set_visible(GTK_WIDGET(self->disk_row), self->disk_image == NULL);
    gtk_widget_set_visible(GTK_WIDGET(self->import_group), self->disk_image != NULL);

    g_autofree char *total = hako_format_size(l->mem_total, G_FORMAT_SIZE_IEC_UNITS);
    g_autofree char *spare = format_mib(hako_host_limits_spare_memory_mib(l));
    g_autofree char *free_disk = l->disk_free
                                     ? hako_format_size(l->disk_free, G_FORMAT_SIZE_IEC_UNITS)
                                     : g_strdup(_("unknown"));
    g_autofree char *host = g_strdup_printf(
        g_dngettext(NULL,
                    "This computer: %s of memory, of which %s can be spared; %u processor; %s "
                    "free for disk images.",
                    "This computer: %s of memory, of which %s can be spared; %u processors; %s "
                    "free for disk images.",
                    l->n_cpus),
        total, spare, l->n_cpus, free_disk);
    g_autofree char *host_markup = g_markup_escape_text(host, -1);
    adw_preferences_group_set_description(self->resources_group, host_markup); /* markup */

    /* firmware */
    gboolean disc_bios = boots_bios(self);
    gboolean disc_uefi = boots_uefi(self);
    HakoFirmware *ovmf = hako_proposal_get_ovmf(p);
    HakoFirmware *seabios = hako_firmware_list_find_default(self->firmware, HAKO_FIRMWARE_BIOS);
    gboolean choice = hako_proposal_offers_firmware_choice(p);
    HakoFirmwareKind kind = hako_proposal_get_firmware(p);
    const char *note_text = hako_proposal_get_firmware_note(p);
    const char *blocker = hako_proposal_get_blocker(p);
    if (self->disk_image) {
        kind = image_firmware(self, &note_text, &blocker);
        choice = disc_bios && disc_uefi;
    }
    gtk_check_button_set_active(kind == HAKO_FIRMWARE_UEFI ? self->uefi_check : self->bios_check,
                                TRUE);
    gboolean uefi_ok = disc_uefi && ovmf, bios_ok = disc_bios && seabios;
    gtk_widget_set_sensitive(GTK_WIDGET(self->uefi_row), choice || (kind == HAKO_FIRMWARE_UEFI));
    gtk_widget_set_sensitive(GTK_WIDGET(self->bios_row), choice || (kind == HAKO_FIRMWARE_BIOS));
    adw_action_row_set_subtitle(self->uefi_row,
                                !disc_uefi && self->disk_image
                                    ? _("This disk image has no EFI system partition")
                                : !disc_uefi ? _("This disc has no UEFI boot entry")
                                : ovmf       ? hako_firmware_get_name(ovmf)
                                             : _("No usable OVMF is installed"));
    adw_action_row_set_subtitle(self->bios_row, !disc_bios ? _("This disc has no BIOS boot entry")
                                                : seabios  ? hako_firmware_get_name(seabios)
                                                           : _("SeaBIOS is not installed"));
    (void)uefi_ok;
    (void)bios_ok;
    g_autofree char *note = g_markup_escape_text(note_text, -1);
    adw_preferences_group_set_description(self->firmware_group, note); /* markup */
    gtk_label_set_text(self->blocker_label, blocker ? blocker : "");
    gtk_widget_set_visible(GTK_WIDGET(self->blocker_label), blocker != NULL);

    self->updating = FALSE;
    validate(self);
}

static char **library_names(HakoVmLibrary *library)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    guint n = g_list_model_get_n_items(G_LIST_MODEL(library));
    for (guint i = 0; i < n; i++) {
        g_autoptr(HakoVm) vm = g_list_model_get_item(G_LIST_MODEL(library), i);
        g_strv_builder_add(b, hako_vm_get_name(vm));
    }
    return g_strv_builder_end(b);
}

/* Why the name cannot be used, under the field (NULL: it can). */
static void show_name_problem(HakoNewVmWizard *self, const char *problem)
{
    GtkWidget *nw = GTK_WIDGET(self->name_row);
    if (problem)
        gtk_widget_add_css_class(nw, "error");
    else
        gtk_widget_remove_css_class(nw, "error");
    gtk_label_set_text(self->name_error, problem ? problem : "");
    gtk_widget_set_visible(GTK_WIDGET(self->name_error), problem != NULL);
    if (problem)
        gtk_accessible_update_property(GTK_ACCESSIBLE(nw), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       problem, -1);
    else
        gtk_accessible_reset_property(GTK_ACCESSIBLE(nw), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

static void make_proposal(HakoNewVmWizard *self, OsinfoOs *os)
{
    g_clear_object(&self->proposal);
    g_auto(GStrv) taken = library_names(self->library);
    self->proposal = hako_proposal_new(self->media, os, &self->limits, self->firmware,
                                       (const char *const *)taken);
    show_proposal(self);
}

static void validate(HakoNewVmWizard *self)
{
    if (self->updating || !self->proposal)
        return;
    const HakoHostLimits *l = &self->limits;
    gboolean ok = TRUE;
    g_autofree char *msg = NULL;

    /* against the library as it is now (VMs made meanwhile, other wizards creating) */
    HakoValueCheck c = hako_vm_library_check_name(
        self->library, gtk_editable_get_text(GTK_EDITABLE(self->name_row)), NULL, &msg);
    show_name_problem(self, c == HAKO_VALUE_INVALID ? msg : NULL);
    ok &= c != HAKO_VALUE_INVALID;
    g_clear_pointer(&msg, g_free);

    guint64 mem = (guint64)gtk_spin_button_get_value_as_int(self->memory_spin);
    c = hako_check_memory(l, mem, &msg);
    set_row_state(self->memory_row, c, msg, hako_proposal_get_memory_reason(self->proposal));
    ok &= c != HAKO_VALUE_INVALID;
    g_clear_pointer(&msg, g_free);

    guint cpus = (guint)gtk_spin_button_get_value_as_int(self->cpus_spin);
    c = hako_check_cpus(l, cpus, &msg);
    g_autofree char *cpu_hint =
        g_strdup_printf(g_dngettext(NULL, "Up to %u on this computer", "Up to %u on this computer",
                                    hako_host_limits_max_cpus(l)),
                        hako_host_limits_max_cpus(l));
    set_row_state(self->cpus_row, c, msg, cpu_hint);
    ok &= c != HAKO_VALUE_INVALID;
    g_clear_pointer(&msg, g_free);

    gboolean with_disk = gtk_switch_get_active(self->disk_switch);
    gtk_widget_set_sensitive(GTK_WIDGET(self->disk_spin), with_disk);
    if (self->disk_image) {
        /* the image is the disk */
    } else if (with_disk) {
        guint64 disk = (guint64)gtk_spin_button_get_value_as_int(self->disk_spin);
        c = hako_check_disk(l, disk, &msg);
        set_row_state(self->disk_row, c, msg,
                      _("A new, empty disk; it takes space on this computer only as the guest "
                        "writes to it"));
        ok &= c != HAKO_VALUE_INVALID;
        g_clear_pointer(&msg, g_free);
    } else {
        set_row_state(self->disk_row, HAKO_VALUE_OK, NULL,
                      _("No disk: for tools that run from the disc alone, such as memory "
                        "testers"));
    }

    /* the selected firmware must work */
    gboolean uefi = gtk_check_button_get_active(self->uefi_check);
    if (uefi && (!boots_uefi(self) || !hako_proposal_get_ovmf(self->proposal)))
        ok = FALSE;
    if (!uefi &&
        (!boots_bios(self) || !hako_firmware_list_find_default(self->firmware, HAKO_FIRMWARE_BIOS)))
        ok = FALSE;

    gtk_widget_action_set_enabled(GTK_WIDGET(self), "wizard.create", ok && !self->creating);
}

/* ---- loading the disc ---- */

static void show_error(HakoNewVmWizard *self, const char *title, const char *message)
{
    gtk_widget_set_visible(GTK_WIDGET(self->command_box), FALSE);
    adw_status_page_set_title(self->error_page, title);
    g_autofree char *escaped = g_markup_escape_text(message, -1);
    adw_status_page_set_description(self->error_page, escaped); /* markup */
    show_page(self, "error");
    gtk_spinner_stop(self->spinner);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "wizard.create", FALSE);
    gtk_widget_grab_focus(GTK_WIDGET(self->error_page));
}

/* A disk image in a format Hako does not run: how to make a raw one. */
static void show_conversion(HakoNewVmWizard *self, HakoDiskImage *image)
{
    g_autofree char *base = g_file_get_basename(self->file);
    g_autofree char *shown = g_filename_display_name(base);
    g_autofree char *text = g_strdup_printf(
        _("“%s” is a %s disk image. Hako does not run this format yet: it runs raw disk images. "
          "This command (from the qemu-utils package) makes a raw copy, which Hako can use; the "
          "original stays as it is:"),
        shown, hako_disk_image_format_label(image));
    show_error(self, _("This Disk Image Format Is Not Supported Yet"), text);
    g_autofree char *command = hako_disk_image_convert_command(image);
    gtk_label_set_text(self->command_label, command);
    gtk_widget_set_visible(GTK_WIDGET(self->command_box), TRUE);
}

static void load_disk_image(HakoNewVmWizard *self, HakoDiskImage *image)
{
    g_clear_object(&self->media);
    g_set_object(&self->disk_image, image);
    if (!self->oses)
        fill_os_list(self);
    describe_disk_image(self);
    self->updating = TRUE;
    select_os(self, NULL);
    self->updating = FALSE;
    make_proposal(self, NULL);
    show_page(self, "review");
    gtk_widget_grab_focus(GTK_WIDGET(self->name_row));
}

static void on_disk_image_read(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    g_autoptr(HakoNewVmWizard) self = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(HakoDiskImage) image = hako_disk_image_new_for_file_finish(res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    gtk_spinner_stop(self->spinner);
    if (image && hako_disk_image_needs_conversion(image))
        show_conversion(self, image);
    else if (image && hako_disk_image_is_usable(image))
        load_disk_image(self, image);
    else /* neither a disc nor a disk image: what the disc reader said */
        show_error(self, _("This File Cannot Be Used"), self->media_error);
}

static void on_media_loaded(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    g_autoptr(HakoNewVmWizard) self = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(HakoMedia) media = hako_media_new_for_file_finish(res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (!media && error->domain == HAKO_MEDIA_ERROR &&
        (error->code == HAKO_MEDIA_ERROR_DISK_IMAGE || error->code == HAKO_MEDIA_ERROR_NOT_ISO ||
         error->code == HAKO_MEDIA_ERROR_TOO_SMALL)) {
        /* no CD/DVD image: maybe a disk image to make a VM around */
        g_free(self->media_error);
        self->media_error = g_strdup(error->message);
        hako_disk_image_new_for_file_async(self->file, self->cancellable, on_disk_image_read,
                                           g_object_ref(self));
        return;
    }
    gtk_spinner_stop(self->spinner);
    if (!media) {
        show_error(self, _("This File Cannot Be Used"), error->message);
        return;
    }
    if (!hako_media_check_bootable(media, &error)) {
        show_error(self, _("This Disc Cannot Start a Computer"), error->message);
        return;
    }
    g_set_object(&self->media, media);
    g_clear_object(&self->disk_image);
    gtk_switch_set_active(self->disk_switch, !media_needs_no_disk(media));
    if (!self->oses)
        fill_os_list(self); /* the database is loaded by now (HakoMedia identified the disc) */
    describe_media(self);
    self->updating = TRUE;
    select_os(self, hako_media_get_os(media));
    self->updating = FALSE;
    make_proposal(self, NULL);
    show_page(self, "review");
    gtk_widget_grab_focus(GTK_WIDGET(self->name_row));
}

static void load_file(HakoNewVmWizard *self, GFile *file)
{
    g_set_object(&self->file, file);
    self->name_edited = FALSE;
    g_autofree char *base = g_file_get_basename(file);
    g_autofree char *shown = g_filename_display_name(base);
    adw_window_title_set_subtitle(self->window_title, shown);
    show_page(self, "loading");
    gtk_spinner_start(self->spinner);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "wizard.create", FALSE);
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    self->cancellable = g_cancellable_new();
    gtk_window_present(GTK_WINDOW(self));
    if (!g_file_is_native(file)) {
        /* the engine opens the image itself: it must be a file on this computer */
        show_error(self, _("This File Cannot Be Used"),
                   _("Only local files can be used as a CD/DVD."));
        return;
    }
    hako_media_new_for_file_async(file, self->cancellable, on_media_loaded, g_object_ref(self));
}

static void on_file_chosen(GtkNativeDialog *dialog, int response, gpointer data)
{
    HakoNewVmWizard *self = data;
    g_autoptr(GFile) file = NULL;
    if (response == GTK_RESPONSE_ACCEPT)
        file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_clear_object(&self->chooser);
    if (file)
        load_file(self, file);
    else if (!self->file)
        gtk_window_destroy(GTK_WINDOW(self)); /* nothing chosen and nothing to show */
}

static void choose_file(HakoNewVmWizard *self)
{
    if (self->chooser)
        return;
    GtkWindow *parent =
        gtk_widget_get_visible(GTK_WIDGET(self)) ? GTK_WINDOW(self) : self->main_window;
    self->chooser =
        gtk_file_chooser_native_new(_("Choose an Installation Disc Image"), parent,
                                    GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(self->chooser), TRUE);
    hako_new_vm_wizard_setup_iso_chooser(GTK_FILE_CHOOSER(self->chooser));
    g_signal_connect(self->chooser, "response", G_CALLBACK(on_file_chosen), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}

/* ---- creating ---- */

static void on_progress(HakoVmCreator *creator, double fraction, const char *what, gpointer data)
{
    HakoNewVmWizard *self = data;
    (void)creator;
    gtk_progress_bar_set_fraction(self->progress, fraction);
    gtk_label_set_text(self->stage_label, what);
}

static void on_created(GObject *src, GAsyncResult *res, gpointer data)
{
    g_autoptr(HakoNewVmWizard) self = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GFile) dir = hako_vm_creator_run_finish(HAKO_VM_CREATOR(src), res, &error);
    self->creating = FALSE;
    g_application_release(g_application_get_default());
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "wizard.cancel", TRUE);
    HakoVm *vm = dir ? hako_vm_library_add_folder(self->library, dir, NULL) : NULL;
    if (self->reserved) {
        /* the VM is in the library now (or was not made): its name is its own */
        hako_vm_library_release_name(self->library, self->reserved);
        g_clear_pointer(&self->reserved, g_free);
    }
    if (!dir) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->close_after_cancel) {
            gtk_window_destroy(GTK_WINDOW(self));
            return;
        }
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_EXISTS)) {
            /* another VM took the name meanwhile (another window, another app) */
            show_page(self, "review");
            validate(self);
            show_name_problem(self, error->message);
            gtk_widget_action_set_enabled(GTK_WIDGET(self), "wizard.create", FALSE);
            gtk_widget_grab_focus(GTK_WIDGET(self->name_row));
            return;
        }
        g_autofree char *text =
            g_strdup_printf(_("The virtual machine could not be created: %s"), error->message);
        gtk_label_set_text(self->blocker_label, text);
        gtk_widget_set_visible(GTK_WIDGET(self->blocker_label), TRUE);
        show_page(self, "review");
        validate(self);
        return;
    }
    GtkWindow *main_window = self->main_window;
    gtk_window_destroy(GTK_WINDOW(self));
    if (vm && main_window && HAKO_IS_WINDOW(main_window))
        hako_window_open_vm(HAKO_WINDOW(main_window), vm);
}

static void act_create(GtkWidget *widget, const char *name, GVariant *param)
{
    HakoNewVmWizard *self = HAKO_NEW_VM_WIZARD(widget);
    (void)name;
    (void)param;
    if (self->creating || (!self->media && !self->disk_image))
        return;
    validate(self);
    if (!gtk_widget_is_sensitive(GTK_WIDGET(self->create_button)))
        return;
    g_autofree char *vm_name =
        g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->name_row))));
    /* nobody else in this app gets the name while this VM is made */
    g_autofree char *why = NULL;
    if (!hako_vm_library_reserve_name(self->library, vm_name, &why)) {
        show_name_problem(self, why);
        gtk_widget_action_set_enabled(widget, "wizard.create", FALSE);
        return;
    }
    self->reserved = g_strdup(vm_name);
    g_autoptr(GFile) libdir = g_object_ref(hako_vm_library_get_dir(self->library));
    g_clear_object(&self->creator);
    self->creator = hako_vm_creator_new(libdir);
    HakoVmCreator *c = self->creator;
    hako_vm_creator_set_name(c, vm_name);
    OsinfoOs *os = selected_os(self);
    if (os)
        hako_vm_creator_set_os(c, osinfo_entity_get_id(OSINFO_ENTITY(os)),
                               osinfo_product_get_name(OSINFO_PRODUCT(os)));
    hako_vm_creator_set_memory_mib(c, (guint64)gtk_spin_button_get_value_as_int(self->memory_spin));
    hako_vm_creator_set_cpus(c, (guint)gtk_spin_button_get_value_as_int(self->cpus_spin));
    hako_vm_creator_set_disk_gib(c, gtk_switch_get_active(self->disk_switch)
                                        ? (guint64)gtk_spin_button_get_value_as_int(self->disk_spin)
                                        : 0);
    gboolean uefi = gtk_check_button_get_active(self->uefi_check);
    hako_vm_creator_set_firmware(c, uefi ? HAKO_FIRMWARE_UEFI : HAKO_FIRMWARE_BIOS,
                                 hako_proposal_get_ovmf(self->proposal));
    g_autofree char *path = g_file_get_path(self->file);
    if (self->disk_image)
        hako_vm_creator_set_disk_image(
            c, path,
            gtk_check_button_get_active(self->move_check)  ? HAKO_DISK_IMPORT_MOVE
            : gtk_check_button_get_active(self->use_check) ? HAKO_DISK_IMPORT_USE
                                                           : HAKO_DISK_IMPORT_COPY);
    else
        hako_vm_creator_set_cdrom(c, path);
    hako_vm_creator_set_network(c, gtk_switch_get_active(self->network_switch));
    g_signal_connect_object(c, "progress", G_CALLBACK(on_progress), self, 0);

    self->creating = TRUE;
    g_autofree char *title = g_strdup_printf(_("Creating “%s”"), vm_name);
    adw_status_page_set_title(self->creating_page, title);
    gtk_progress_bar_set_fraction(self->progress, 0);
    gtk_label_set_text(self->stage_label, "");
    show_page(self, "creating");
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "wizard.create", FALSE);
    g_clear_object(&self->cancellable);
    self->cancellable = g_cancellable_new();
    /* quitting meanwhile waits for the creator to clean up after itself */
    g_application_hold(g_application_get_default());
    hako_vm_creator_run_async(c, self->cancellable, on_created, g_object_ref(self));
}

static void act_cancel(GtkWidget *widget, const char *name, GVariant *param)
{
    HakoNewVmWizard *self = HAKO_NEW_VM_WIZARD(widget);
    (void)name;
    (void)param;
    if (self->creating) {
        /* the creator removes what it made; the window closes when it has */
        self->close_after_cancel = TRUE;
        gtk_label_set_text(self->stage_label, _("Cancelling…"));
        gtk_widget_action_set_enabled(widget, "wizard.cancel", FALSE);
        g_cancellable_cancel(self->cancellable);
        return;
    }
    gtk_window_destroy(GTK_WINDOW(self));
}

static void act_copy_command(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    HakoNewVmWizard *self = HAKO_NEW_VM_WIZARD(widget);
    gdk_clipboard_set_text(gtk_widget_get_clipboard(widget),
                           gtk_label_get_text(self->command_label));
}

static void act_choose_file(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    choose_file(HAKO_NEW_VM_WIZARD(widget));
}

static gboolean on_close_request(GtkWindow *window, gpointer data)
{
    HakoNewVmWizard *self = HAKO_NEW_VM_WIZARD(window);
    (void)data;
    if (self->creating) {
        act_cancel(GTK_WIDGET(self), NULL, NULL);
        return TRUE;
    }
    return FALSE;
}

/* ---- edits ---- */

static void on_name_changed(GtkEditable *editable, gpointer data)
{
    HakoNewVmWizard *self = data;
    (void)editable;
    if (!self->updating)
        self->name_edited = TRUE;
    validate(self);
}

static void on_value_changed(GtkSpinButton *spin, gpointer data)
{
    (void)spin;
    validate(data);
}

static void on_firmware_toggled(GtkCheckButton *check, gpointer data)
{
    (void)check;
    validate(data);
}

static void on_os_selected(GObject *dropdown, GParamSpec *pspec, gpointer data)
{
    HakoNewVmWizard *self = data;
    (void)dropdown;
    (void)pspec;
    if (self->updating || (!self->media && !self->disk_image))
        return;
    make_proposal(self, selected_os(self));
}

/* ---- GObject ---- */

static void hako_new_vm_wizard_dispose(GObject *object)
{
    HakoNewVmWizard *self = HAKO_NEW_VM_WIZARD(object);
    g_cancellable_cancel(self->cancellable);
    if (self->chooser)
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
    g_clear_object(&self->chooser);
    if (self->main_window)
        g_object_remove_weak_pointer(G_OBJECT(self->main_window), (gpointer *)&self->main_window);
    self->main_window = NULL;
    gtk_widget_dispose_template(GTK_WIDGET(self), HAKO_TYPE_NEW_VM_WIZARD);
    G_OBJECT_CLASS(hako_new_vm_wizard_parent_class)->dispose(object);
}

static void hako_new_vm_wizard_finalize(GObject *object)
{
    HakoNewVmWizard *self = HAKO_NEW_VM_WIZARD(object);
    if (self->reserved && self->library)
        hako_vm_library_release_name(self->library, self->reserved);
    g_clear_object(&self->library);
    g_clear_object(&self->file);
    g_clear_object(&self->media);
    g_clear_object(&self->disk_image);
    g_free(self->media_error);
    g_clear_object(&self->proposal);
    g_clear_object(&self->firmware);
    g_clear_pointer(&self->oses, g_ptr_array_unref);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->creator);
    g_free(self->reserved);
    G_OBJECT_CLASS(hako_new_vm_wizard_parent_class)->finalize(object);
}

static void hako_new_vm_wizard_class_init(HakoNewVmWizardClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = hako_new_vm_wizard_dispose;
    oc->finalize = hako_new_vm_wizard_finalize;

    gtk_widget_class_set_template_from_resource(wc, "/io/github/hakovm/Hako/hako-new-vm-wizard.ui");
#define BIND(x) gtk_widget_class_bind_template_child(wc, HakoNewVmWizard, x)
    BIND(window_title);
    BIND(stack);
    BIND(spinner);
    BIND(error_page);
    BIND(os_label);
    BIND(media_label);
    BIND(boot_label);
    BIND(blocker_label);
    BIND(name_row);
    BIND(name_error);
    BIND(os_row);
    BIND(os_dropdown);
    BIND(resources_group);
    BIND(firmware_group);
    BIND(network_group);
    BIND(network_row);
    BIND(network_switch);
    BIND(memory_row);
    BIND(cpus_row);
    BIND(disk_row);
    BIND(uefi_row);
    BIND(bios_row);
    BIND(memory_spin);
    BIND(cpus_spin);
    BIND(disk_spin);
    BIND(uefi_check);
    BIND(bios_check);
    BIND(creating_page);
    BIND(progress);
    BIND(stage_label);
    BIND(create_button);
    BIND(disc_icon);
    BIND(disk_switch);
    BIND(import_group);
    BIND(copy_check);
    BIND(move_check);
    BIND(use_check);
    BIND(command_box);
    BIND(command_label);
#undef BIND
    gtk_widget_class_install_action(wc, "wizard.create", NULL, act_create);
    gtk_widget_class_install_action(wc, "wizard.cancel", NULL, act_cancel);
    gtk_widget_class_install_action(wc, "wizard.choose-file", NULL, act_choose_file);
    gtk_widget_class_install_action(wc, "wizard.copy-command", NULL, act_copy_command);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "wizard.cancel", NULL);
}

/* The network line says what the switch means now: on (the default), off, or on without passt. */
static void update_network_line(HakoNewVmWizard *self)
{
    gboolean on = gtk_switch_get_active(self->network_switch);
    const char *text =
        !on ? _("Off: no network card (it can be turned on later in the settings)")
        : self->passt_missing
            ? _("passt is not installed: the virtual machine will have no network until it is "
                "(sudo apt install passt)")
            : _("On: shares this computer's connection, nothing to set up");
    adw_action_row_set_subtitle(self->network_row, text);
    if (on && self->passt_missing)
        gtk_widget_add_css_class(GTK_WIDGET(self->network_row), "warning");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self->network_row), "warning");
}

static void hako_new_vm_wizard_init(HakoNewVmWizard *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    show_page(self, "loading");
    /* the network line: on by default; say so at once when passt is missing */
    char passt[HK_PASST_PATH_MAX];
    self->passt_missing = hk_passt_find(NULL, passt, sizeof(passt)) < 0;
    g_signal_connect_swapped(self->network_switch, "notify::active",
                             G_CALLBACK(update_network_line), self);
    update_network_line(self);
    gtk_window_set_default_widget(GTK_WINDOW(self), GTK_WIDGET(self->create_button));
    /* Enter in a number field creates, like in the name field (GtkSpinButton has no
     * activates-default property before GTK 4.14: set it on its text delegate) */
    GtkSpinButton *spins[] = {self->memory_spin, self->cpus_spin, self->disk_spin};
    for (gsize i = 0; i < G_N_ELEMENTS(spins); i++) {
        GtkEditable *text = gtk_editable_get_delegate(GTK_EDITABLE(spins[i]));
        if (GTK_IS_TEXT(text))
            gtk_text_set_activates_default(GTK_TEXT(text), TRUE);
    }
    g_signal_connect(self->name_row, "changed", G_CALLBACK(on_name_changed), self);
    g_signal_connect(self->memory_spin, "value-changed", G_CALLBACK(on_value_changed), self);
    g_signal_connect(self->cpus_spin, "value-changed", G_CALLBACK(on_value_changed), self);
    g_signal_connect(self->disk_spin, "value-changed", G_CALLBACK(on_value_changed), self);
    g_signal_connect(self->uefi_check, "toggled", G_CALLBACK(on_firmware_toggled), self);
    g_signal_connect_swapped(self->disk_switch, "notify::active", G_CALLBACK(validate), self);
    g_signal_connect(self->os_dropdown, "notify::selected", G_CALLBACK(on_os_selected), self);
    g_signal_connect(self, "close-request", G_CALLBACK(on_close_request), NULL);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "wizard.create", FALSE);
}

HakoNewVmWizard *hako_new_vm_wizard_new(GtkWindow *parent, HakoVmLibrary *library, GFile *file)
{
    HakoNewVmWizard *self =
        g_object_new(HAKO_TYPE_NEW_VM_WIZARD, "transient-for", parent, "application",
                     parent ? gtk_window_get_application(parent) : NULL, NULL);
    self->main_window = parent;
    if (parent)
        g_object_add_weak_pointer(G_OBJECT(parent), (gpointer *)&self->main_window);
    self->library = g_object_ref(library);

    GFile *libdir = hako_vm_library_get_dir(library);
    hako_vm_creator_clean_stale_async(libdir); /* a thread: the library may hold 10,000 VMs */
    g_autofree char *libpath = g_file_get_path(libdir);
    hako_host_limits_read(&self->limits, libpath);
    self->firmware = hako_firmware_discover(NULL);
    if (file)
        load_file(self, file);
    else
        choose_file(self);
    return self;
}
