/*
 * hako --inspect-iso and hako --check (see hako-cli.h).
 *
 * The keys of --inspect-iso are stable and not translated (tests and scripts read them); values
 * that are sentences follow the locale.
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
    default: return "unknown";
    }
}

static const char *media_type_name(guint8 t)
{
    switch (t) {
    case 0: return "no emulation";
    case 1: return "1.2M floppy emulation";
    case 2: return "1.44M floppy emulation";
    case 3: return "2.88M floppy emulation";
    case 4: return "hard disk emulation";
    default: return "unknown emulation";
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
        g_string_append(s, "none");
    return g_string_free(s, FALSE);
}

static void print_entry(guint i, const HakoBootEntry *e)
{
    g_autoptr(GString) s = g_string_new(NULL);
    g_string_append_printf(s, "Boot entry %u: %s, %s, %s", i + 1, platform_name(e->platform),
                           e->bootable          ? "bootable"
                           : e->marked_bootable ? "not bootable (its image lies beyond the end of "
                                                  "the file)"
                                                : "not bootable",
                           media_type_name(e->media_type));
    if (e->platform == HAKO_ELTORITO_EFI) {
        g_string_append_printf(s, ", image at sector %u", e->load_lba);
        if (e->efi_image_read) {
            g_autofree char *a = efi_arches(e->efi_arches);
            g_string_append_printf(s, " (FAT, %" G_GUINT64_FORMAT " KiB, loaders: %s)",
                                   e->efi_image_bytes / 1024, a);
        } else {
            g_string_append(s, " (contents not readable as FAT)");
        }
    } else {
        g_string_append_printf(s, ", %u sectors at sector %u", e->sector_count, e->load_lba);
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
    printf("File: %s\n", shown);
    printf("Volume ID: %s\n", in->volume_id);
    printf("System ID: %s\n", in->system_id);
    printf("Publisher: %s\n", in->publisher_id);
    printf("Application: %s\n", in->application_id);
    printf("Volume size: %" G_GUINT64_FORMAT " MiB\n", (in->volume_bytes + (1 << 20) - 1) >> 20);
    OsinfoOs *os = hako_media_get_os(media);
    if (os) {
        OsinfoMedia *om = hako_media_get_osinfo_media(media);
        printf("OS ID: %s\n", hako_media_get_os_id(media));
        printf("OS short ID: %s\n", osinfo_product_get_short_id(OSINFO_PRODUCT(os)));
        printf("OS name: %s\n", hako_media_get_os_name(media));
        printf("Media: %s%s%s\n", osinfo_media_get_live(om) ? "live" : "",
               osinfo_media_get_live(om) && osinfo_media_get_installer(om) ? ", " : "",
               osinfo_media_get_installer(om) ? "installer" : "");
    } else {
        printf("OS ID: unknown\n");
        printf("OS name: unknown\n");
    }
    if (in->el_torito) {
        printf("El Torito: boot catalog at sector %u, %u entries\n", in->catalog_lba,
               in->n_entries);
        for (guint i = 0; i < in->n_entries; i++)
            print_entry(i, &in->entries[i]);
    } else {
        printf("El Torito: none\n");
    }
    printf("BIOS boot: %s\n", hako_media_boots_bios(media) ? "yes" : "no");
    printf("UEFI boot: %s\n", hako_media_boots_uefi(media) ? "yes" : "no");

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
    printf("Name: %s\n", hako_proposal_get_name(p));
    printf("Memory: %" G_GUINT64_FORMAT " MiB (%s)\n", hako_proposal_get_memory_mib(p),
           hako_proposal_get_memory_reason(p));
    printf("Host memory: %" G_GUINT64_FORMAT " MiB, up to %" G_GUINT64_FORMAT
           " MiB can be spared\n",
           limits.mem_total / HAKO_MIB, hako_host_limits_spare_memory_mib(&limits));
    printf("CPUs: %u (host: %u)\n", hako_proposal_get_cpus(p), limits.n_cpus);
    printf("Disk: %" G_GUINT64_FORMAT " GiB\n", hako_proposal_get_disk_gib(p));
    HakoFirmware *ovmf = hako_proposal_get_ovmf(p);
    if (hako_proposal_get_firmware(p) == HAKO_FIRMWARE_UEFI && ovmf)
        printf("Firmware: uefi (%s: %s)\n", hako_firmware_get_name(ovmf),
               hako_firmware_get_code_path(ovmf));
    else
        printf("Firmware: %s\n",
               hako_proposal_get_firmware(p) == HAKO_FIRMWARE_UEFI ? "uefi" : "bios");
    printf("Firmware choice: %s\n", hako_proposal_offers_firmware_choice(p) ? "bios, uefi" : "no");
    printf("Firmware note: %s\n", hako_proposal_get_firmware_note(p));
    if (hako_proposal_get_blocker(p)) {
        fprintf(stderr, "hako: %s: %s\n", path, hako_proposal_get_blocker(p));
        return 1;
    }
    return 0;
}

int hako_cli_check(void)
{
    g_autoptr(HakoHostCheck) check = hako_host_check_new(NULL);
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
