/*
 * hako --inspect-iso and hako --check (see hako-cli.h).
 *
 * --inspect-iso prints "Key: value" lines in the person's language, like the rest of Hako;
 * scripts that read the keys run it with LC_ALL=C.UTF-8 LANGUAGE= for the English ones (the
 * tests do). Values that are settings (bios, uefi) or IDs from the disc are not translated.
 */
#include "hako-cli.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "hako-firmware.h"
#include "hako-host-check.h"
#include "hako-media.h"
#include "hako-paths.h"
#include "hako-proposal.h"

static const char *platform_name(guint8 p)
{
    switch (p) {
    case HAKO_ELTORITO_X86: return "x86 BIOS";
    case HAKO_ELTORITO_EFI: return "EFI";
    case HAKO_ELTORITO_PPC: return "PowerPC";
    case HAKO_ELTORITO_MAC: return "Mac";
    default: return _("unknown");
    }
}

static const char *media_type_name(guint8 t)
{
    switch (t) {
    case 0: return _("no emulation");
    case 1: return _("1.2M floppy emulation");
    case 2: return _("1.44M floppy emulation");
    case 3: return _("2.88M floppy emulation");
    case 4: return _("hard disk emulation");
    default: return _("unknown emulation");
    }
}

static char *efi_arches(guint a)
{
    GString *s = g_string_new(NULL);
    const struct {
        guint bit;
        const char *name;
    } n[] = {{HAKO_EFI_ARCH_X64, "x86-64"},
             {HAKO_EFI_ARCH_IA32, "ia32"},
             {HAKO_EFI_ARCH_AA64, "arm64"},
             {HAKO_EFI_ARCH_ARM, "arm"},
             {HAKO_EFI_ARCH_OTHER, "other"}};
    for (gsize i = 0; i < G_N_ELEMENTS(n); i++)
        if (a & n[i].bit)
            g_string_append_printf(s, "%s%s", s->len ? ", " : "", n[i].name);
    if (!s->len)
        g_string_append(s, _("none"));
    return g_string_free(s, FALSE);
}

/* One "Key: value" line (the key translated by the caller). */
static void kv(const char *key, const char *value)
{
    /* Translators: --inspect-iso: a key and its value ("Volume ID: ARCH_202611") */
    printf(_("%s: %s\n"), key, value ? value : "");
}

/* A number as text, for translated formats (which cannot carry G_GUINT64_FORMAT). */
static char *num(guint64 n)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT, n);
}

static void print_entry(guint i, const HakoBootEntry *e)
{
    g_autoptr(GString) s = g_string_new(NULL);
    /* Translators: --inspect-iso: "Boot entry 1: x86 BIOS, bootable, no emulation" */
    g_string_append_printf(s, _("Boot entry %u: %s, %s, %s"), i + 1, platform_name(e->platform),
                           e->bootable          ? _("bootable")
                           : e->marked_bootable ? _("not bootable (its image lies beyond the end "
                                                    "of the file)")
                                                : _("not bootable"),
                           media_type_name(e->media_type));
    if (e->platform == HAKO_ELTORITO_EFI) {
        g_string_append_printf(s, _(", image at sector %u"), e->load_lba);
        if (e->efi_image_read) {
            g_autofree char *a = efi_arches(e->efi_arches);
            g_autofree char *kib = num(e->efi_image_bytes / 1024);
            g_string_append_printf(s, _(" (FAT, %s KiB, loaders: %s)"), kib, a);
        } else {
            g_string_append(s, _(" (contents not readable as FAT)"));
        }
    } else {
        g_string_append_printf(s, _(", %u sectors at sector %u"), e->sector_count, e->load_lba);
    }
    printf("%s\n", s->str);
}

int hako_cli_inspect_iso(const char *path)
{
    g_autoptr(GFile) file = g_file_new_for_commandline_arg(path);
    g_autoptr(GError) err = NULL;
    g_autoptr(HakoMedia) media = hako_media_new_for_file(file, NULL, &err);
    if (!media) {
        fprintf(stderr, "hako: %s: %s\n", path, err->message);
        return 1;
    }
    const HakoIsoInfo *in = hako_media_get_iso_info(media);
    g_autofree char *shown = g_file_get_parse_name(file);
    kv(_("File"), shown);
    kv(_("Volume ID"), in->volume_id);
    kv(_("System ID"), in->system_id);
    kv(_("Publisher"), in->publisher_id);
    kv(_("Application"), in->application_id);
    g_autofree char *vol_mib = num((in->volume_bytes + (1 << 20) - 1) >> 20);
    g_autofree char *vol = g_strdup_printf(_("%s MiB"), vol_mib);
    kv(_("Volume size"), vol);
    OsinfoOs *os = hako_media_get_os(media);
    if (os) {
        OsinfoMedia *om = hako_media_get_osinfo_media(media);
        kv(_("OS ID"), hako_media_get_os_id(media));
        kv(_("OS short ID"), osinfo_product_get_short_id(OSINFO_PRODUCT(os)));
        kv(_("OS name"), hako_media_get_os_name(media));
        gboolean live = osinfo_media_get_live(om), inst = osinfo_media_get_installer(om);
        g_autofree char *kind = g_strdup_printf(
            "%s%s%s", live ? _("live") : "", live && inst ? ", " : "", inst ? _("installer") : "");
        kv(_("Media"), kind);
    } else {
        kv(_("OS ID"), _("unknown"));
        kv(_("OS name"), _("unknown"));
    }
    if (in->el_torito) {
        g_autofree char *cat =
            g_strdup_printf(g_dngettext(NULL, "boot catalog at sector %u, %u entry",
                                        "boot catalog at sector %u, %u entries", in->n_entries),
                            in->catalog_lba, in->n_entries);
        kv(_("El Torito"), cat);
        for (guint i = 0; i < in->n_entries; i++)
            print_entry(i, &in->entries[i]);
    } else {
        kv(_("El Torito"), _("none"));
    }
    kv(_("BIOS boot"), hako_media_boots_bios(media) ? _("yes") : _("no"));
    kv(_("UEFI boot"), hako_media_boots_uefi(media) ? _("yes") : _("no"));

    g_autoptr(GError) boot_err = NULL;
    if (!hako_media_check_bootable(media, &boot_err)) {
        fprintf(stderr, "hako: %s: %s\n", path, boot_err->message);
        return 1;
    }

    g_autofree char *vms = hako_paths_library_dir();
    HakoHostLimits limits;
    hako_host_limits_read(&limits, vms);
    g_autoptr(GListModel) fw = hako_firmware_discover(NULL);
    g_autoptr(HakoProposal) p = hako_proposal_new(media, NULL, &limits, fw, NULL);
    kv(_("Name"), hako_proposal_get_name(p));
    g_autofree char *mem_mib = num(hako_proposal_get_memory_mib(p));
    g_autofree char *mem =
        g_strdup_printf(_("%s MiB (%s)"), mem_mib, hako_proposal_get_memory_reason(p));
    kv(_("Memory"), mem);
    g_autofree char *total = num(limits.mem_total / HAKO_MIB);
    g_autofree char *spare = num(hako_host_limits_spare_memory_mib(&limits));
    g_autofree char *host = g_strdup_printf(_("%s MiB, up to %s MiB can be spared"), total, spare);
    kv(_("Host memory"), host);
    g_autofree char *cpus =
        g_strdup_printf(_("%u (host: %u)"), hako_proposal_get_cpus(p), limits.n_cpus);
    kv(_("CPUs"), cpus);
    g_autofree char *disk_gib = num(hako_proposal_get_disk_gib(p));
    g_autofree char *disk = g_strdup_printf(_("%s GiB"), disk_gib);
    kv(_("Disk"), disk);
    HakoFirmware *ovmf = hako_proposal_get_ovmf(p);
    g_autofree char *fwtext = NULL;
    if (hako_proposal_get_firmware(p) == HAKO_FIRMWARE_UEFI && ovmf)
        fwtext = g_strdup_printf("uefi (%s: %s)", hako_firmware_get_name(ovmf),
                                 hako_firmware_get_code_path(ovmf));
    else
        fwtext = g_strdup(hako_proposal_get_firmware(p) == HAKO_FIRMWARE_UEFI ? "uefi" : "bios");
    kv(_("Firmware"), fwtext);
    kv(_("Firmware choice"), hako_proposal_offers_firmware_choice(p) ? "bios, uefi" : _("no"));
    kv(_("Firmware note"), hako_proposal_get_firmware_note(p));
    if (hako_proposal_get_blocker(p)) {
        fprintf(stderr, "hako: %s: %s\n", path, hako_proposal_get_blocker(p));
        return 1;
    }
    return 0;
}

int hako_cli_check(void)
{
    g_autoptr(HakoHostCheck) check = hako_host_check_new(hako_paths_host_root());
    hako_host_check_run(check);
    g_autofree char *text = hako_host_check_format_text(check);
    fputs(text, stdout);
    gboolean ok = hako_host_check_can_run_vms(check);
    printf("\n%s\n", ok ? (hako_host_check_get_worst(check) == HAKO_CHECK_WARN
                               ? _("Virtual machines can run, with the warnings above.")
                               : _("Virtual machines can run."))
                        : _("Virtual machines cannot run until the failures above are fixed."));
    return ok ? 0 : 1;
}
