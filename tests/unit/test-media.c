/*
 * HakoMedia: the ISO 9660 / El Torito / FAT reader on images built here byte by byte (valid ones,
 * damaged ones, and thousands of random mutations for the sanitizers), and libosinfo
 * identification with Hako's overlay (HAKO_OSINFO_DIR points at data/osinfo).
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hako-media.h"
#include "isobuild.h"

static Spec spec_both(void)
{
    return (Spec){.bios = TRUE, .efi_loader = "BOOTX64 EFI", .el_torito = TRUE};
}

static void test_both(void)
{
    Spec s = spec_both();
    Img img = build_iso(&s);
    HakoIsoInfo info;
    g_autoptr(GError) err = NULL;
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(info.volume_id, ==, "HAKO_TEST");
    g_assert_cmpstr(info.system_id, ==, "LINUX");
    g_assert_cmpuint(info.volume_bytes, ==, 48 * SECTOR);
    g_assert_true(info.el_torito);
    g_assert_cmpuint(info.catalog_lba, ==, 20);
    g_assert_cmpuint(info.n_entries, ==, 2);
    g_assert_cmpuint(info.entries[0].platform, ==, HAKO_ELTORITO_X86);
    g_assert_cmpuint(info.entries[0].sector_count, ==, 4);
    g_assert_cmpuint(info.entries[0].load_lba, ==, 21);
    g_assert_cmpuint(info.entries[1].platform, ==, HAKO_ELTORITO_EFI);
    g_assert_true(info.entries[1].efi_image_read);
    g_assert_cmpuint(info.entries[1].efi_arches, ==, HAKO_EFI_ARCH_X64);
    g_assert_cmpuint(info.entries[1].efi_image_bytes, ==, 64 * 512);
    g_assert_true(hako_iso_info_boots_bios(&info));
    g_assert_true(hako_iso_info_boots_uefi(&info));
    g_assert_cmpstr(hako_iso_info_guess_arch(&info), ==, "x86_64");
    g_free(img.data);
}

static void test_efi_only(void)
{
    Spec s = {.efi_loader = "BOOTX64 EFI", .el_torito = TRUE};
    Img img = build_iso(&s);
    HakoIsoInfo info;
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_cmpuint(info.n_entries, ==, 1);
    g_assert_cmpuint(info.entries[0].platform, ==, HAKO_ELTORITO_EFI);
    g_assert_false(hako_iso_info_boots_bios(&info));
    g_assert_true(hako_iso_info_boots_uefi(&info));
    g_free(img.data);
}

static void test_bios_only(void)
{
    Spec s = {.bios = TRUE, .el_torito = TRUE};
    Img img = build_iso(&s);
    HakoIsoInfo info;
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_cmpuint(info.n_entries, ==, 1);
    g_assert_true(hako_iso_info_boots_bios(&info));
    g_assert_false(hako_iso_info_boots_uefi(&info));
    g_assert_null(hako_iso_info_guess_arch(&info));
    g_free(img.data);
}

static void test_ia32_and_arm(void)
{
    Spec s = {.efi_loader = "BOOTIA32EFI", .el_torito = TRUE};
    Img img = build_iso(&s);
    HakoIsoInfo info;
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_cmpuint(info.entries[0].efi_arches, ==, HAKO_EFI_ARCH_IA32);
    g_assert_false(hako_iso_info_boots_uefi(&info));
    g_assert_cmpstr(hako_iso_info_guess_arch(&info), ==, "i686");
    g_free(img.data);

    s.efi_loader = "BOOTAA64EFI";
    img = build_iso(&s);
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_cmpuint(info.entries[0].efi_arches, ==, HAKO_EFI_ARCH_AA64);
    g_assert_false(hako_iso_info_boots_uefi(&info));
    g_assert_cmpstr(hako_iso_info_guess_arch(&info), ==, "aarch64");
    g_free(img.data);

    /* an EFI image that is not FAT: assumed bootable (firmware will try it) */
    s.efi_loader = "";
    img = build_iso(&s);
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_false(info.entries[0].efi_image_read);
    g_assert_true(hako_iso_info_boots_uefi(&info));
    g_free(img.data);
}

static void test_sections_and_extensions(void)
{
    Spec s = spec_both();
    s.extra_sections = TRUE;
    Img img = build_iso(&s);
    HakoIsoInfo info;
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_cmpuint(info.n_entries, ==, 3);
    g_assert_cmpuint(info.entries[1].platform, ==, HAKO_ELTORITO_PPC);
    g_assert_cmpuint(info.entries[1].load_lba, ==, 30);
    g_assert_cmpuint(info.entries[2].platform, ==, HAKO_ELTORITO_EFI);
    g_assert_true(hako_iso_info_boots_uefi(&info));
    g_free(img.data);
}

static void expect_error(const guint8 *data, gsize size, HakoMediaError code)
{
    HakoIsoInfo info;
    g_autoptr(GError) err = NULL;
    g_assert_false(hako_iso_parse_buffer(data, size, &info, &err));
    g_assert_error(err, HAKO_MEDIA_ERROR, (gint)code);
    g_assert_nonnull(err->message);
    g_assert_cmpuint(strlen(err->message), >, 10);
}

static void test_errors(void)
{
    Spec s = spec_both();
    Img img = build_iso(&s);

    /* too small for the volume descriptors */
    expect_error(img.data, 100, HAKO_MEDIA_ERROR_TOO_SMALL);
    /* the volume says 48 sectors; the file has 30 */
    expect_error(img.data, 30 * SECTOR, HAKO_MEDIA_ERROR_TRUNCATED);

    /* damaged validation entry */
    guint8 *copy = g_memdup2(img.data, img.size);
    copy[20 * SECTOR + 5] ^= 0x55;
    expect_error(copy, img.size, HAKO_MEDIA_ERROR_BAD_CATALOG);
    g_free(copy);

    /* catalog pointer past the end */
    copy = g_memdup2(img.data, img.size);
    put32(copy + 17 * SECTOR + 0x47, 0x7FFFFFFF);
    expect_error(copy, img.size, HAKO_MEDIA_ERROR_TRUNCATED);
    g_free(copy);

    /* no CD001: garbage, and an MBR disk image */
    copy = g_malloc0(img.size);
    for (gsize i = 0; i < img.size; i++)
        copy[i] = (guint8)(i * 131 + 7);
    expect_error(copy, img.size, HAKO_MEDIA_ERROR_NOT_ISO);
    memset(copy, 0, img.size);
    copy[446 + 4] = 0x83;
    copy[510] = 0x55;
    copy[511] = 0xAA;
    expect_error(copy, img.size, HAKO_MEDIA_ERROR_DISK_IMAGE);
    memset(copy, 0, 1024);
    copy[510] = 0x55;
    copy[511] = 0xAA;
    memcpy(copy + 512, "EFI PART", 8);
    expect_error(copy, img.size, HAKO_MEDIA_ERROR_DISK_IMAGE);
    /* container formats are disk images too (one detector, hako/diskimage.h): a QCOW2 or VMDK
     * file chosen as the install disc used to be "not a CD or DVD image" */
    memset(copy, 0, img.size);
    memcpy(copy, "QFI\xfb\0\0\0\3", 8);
    expect_error(copy, img.size, HAKO_MEDIA_ERROR_DISK_IMAGE);
    memset(copy, 0, img.size);
    memcpy(copy, "KDMV", 4);
    expect_error(copy, img.size, HAKO_MEDIA_ERROR_DISK_IMAGE);
    /* an MBR signature alone (no partition) is not a disk */
    memset(copy, 0, img.size);
    copy[510] = 0x55;
    copy[511] = 0xAA;
    expect_error(copy, img.size, HAKO_MEDIA_ERROR_NOT_ISO);
    g_free(copy);
    g_free(img.data);

    /* no El Torito: parses, not bootable */
    Spec d = {.el_torito = FALSE};
    img = build_iso(&d);
    HakoIsoInfo info;
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_false(info.el_torito);
    g_assert_false(hako_iso_info_boots_bios(&info));
    g_assert_false(hako_iso_info_boots_uefi(&info));
    g_free(img.data);
}

static void test_field_sanitizing(void)
{
    Spec s = spec_both();
    s.volume_id = "VOL\x01\xFFID";
    s.publisher = "  padded publisher";
    Img img = build_iso(&s);
    HakoIsoInfo info;
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_cmpstr(info.volume_id, ==, "VOL??ID");
    g_assert_true(g_utf8_validate(info.volume_id, -1, NULL));
    g_assert_cmpstr(info.publisher_id, ==, "  padded publisher");
    g_free(img.data);
}

/* A FAT chain that loops and a FAT whose geometry points outside the image must end. */
static void test_fat_hostile(void)
{
    Spec s = spec_both();
    Img img = build_iso(&s);
    guint8 *fat = img.data + 24 * SECTOR;
    /* cluster 3 (BOOT) → 3: a loop */
    fat[512 + 4] = 0x30;
    fat[512 + 5] = 0x00;
    HakoIsoInfo info;
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_true(info.entries[1].efi_image_read);
    /* huge geometry */
    put16(fat + 19, 0);
    put32(fat + 32, 0xFFFFFFFF);
    put16(fat + 22, 0xFFFF);
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_free(img.data);
}

/* Random byte mutations in the metadata sectors: any result is fine, a crash or a sanitizer report
 * is not. */
static void test_mutations(void)
{
    Spec s = spec_both();
    s.extra_sections = TRUE;
    Img img = build_iso(&s);
    GRand *rand = g_rand_new_with_seed(0x4841);
    guint8 *m = g_malloc(img.size);
    for (int iter = 0; iter < 4000; iter++) {
        memcpy(m, img.data, img.size);
        int flips = g_rand_int_range(rand, 1, 12);
        for (int i = 0; i < flips; i++) {
            /* mostly the descriptors, catalog and FAT metadata */
            static const guint32 hot[] = {16, 17, 20, 24};
            guint32 sec = hot[g_rand_int_range(rand, 0, 4)];
            guint32 off = sec * SECTOR + (guint32)g_rand_int_range(rand, 0, SECTOR + 512 * 6);
            if (off < img.size)
                m[off] = (guint8)g_rand_int_range(rand, 0, 256);
        }
        gsize size =
            g_rand_boolean(rand) ? img.size : (gsize)g_rand_int_range(rand, 0, (gint)img.size);
        HakoIsoInfo info;
        GError *err = NULL;
        if (hako_iso_parse_buffer(m, size, &info, &err)) {
            g_assert_cmpuint(info.n_entries, <=, HAKO_ISO_MAX_BOOT_ENTRIES);
            (void)hako_iso_info_boots_uefi(&info);
        } else {
            g_assert_nonnull(err);
            g_error_free(err);
        }
    }
    g_free(m);
    g_rand_free(rand);
    g_free(img.data);
}

static void test_osinfo_arch_dvd(void)
{
    g_assert_nonnull(hako_osinfo_overlay_dir());
    /* current archiso: "DVD" in the application ID; only the overlay knows it */
    Spec s = spec_both();
    s.volume_id = "ARCH_202611";
    s.publisher = "ARCH LINUX <HTTPS://ARCHLINUX.ORG>";
    s.application = "ARCH LINUX LIVE/RESCUE DVD";
    g_autoptr(HakoMedia) m = media_for(&s, "hako-test-arch-dvd.iso");
    g_assert_cmpstr(hako_media_get_os_name(m), ==, "Arch Linux");
    g_assert_cmpstr(hako_media_get_os_id(m), ==, "http://archlinux.org/archlinux/rolling");
    g_assert_true(hako_media_is_live_or_installer(m));
    g_autofree char *name = hako_media_dup_suggested_name(m);
    g_assert_cmpstr(name, ==, "Arch Linux");
    g_assert_true(hako_media_check_bootable(m, NULL));

    /* the older "CD" ID must still match (the overlay repeats the system database's entry) */
    s.application = "ARCH LINUX LIVE/RESCUE CD";
    g_autoptr(HakoMedia) m2 = media_for(&s, "hako-test-arch-cd.iso");
    g_assert_cmpstr(hako_media_get_os_name(m2), ==, "Arch Linux");

    /* a different publisher is not Arch; the name is what the disc calls itself */
    s.publisher = "SOMEONE ELSE";
    g_autoptr(HakoMedia) m3 = media_for(&s, "hako-test-not-arch.iso");
    g_assert_null(hako_media_get_os(m3));
    g_autofree char *name3 = hako_media_dup_suggested_name(m3);
    g_assert_cmpstr(name3, ==, "Hako Test Linux 1.0"); /* its .disk/info */
}

static void test_osinfo_system_db(void)
{
    /* an entry straight from osinfo-db: Ubuntu 22.04 desktop */
    Spec s = spec_both();
    s.volume_id = "Ubuntu 22.04.1 LTS amd64";
    g_autoptr(HakoMedia) m = media_for(&s, "hako-test-ubuntu.iso");
    g_assert_nonnull(hako_media_get_os(m));
    g_assert_true(g_str_has_prefix(hako_media_get_os_name(m), "Ubuntu 22.04"));
}

static void test_file_errors(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GFile) missing = g_file_new_for_path("/nonexistent/hako/disc.iso");
    g_assert_null(hako_media_new_for_file(missing, NULL, &err));
    g_assert_error(err, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE);
    g_clear_error(&err);
    g_autoptr(GFile) dir = g_file_new_for_path(g_get_tmp_dir());
    g_assert_null(hako_media_new_for_file(dir, NULL, &err));
    g_assert_error(err, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE);
    g_clear_error(&err);

    Spec d = {.el_torito = FALSE};
    g_autoptr(HakoMedia) m = media_for(&d, "hako-test-data.iso");
    g_assert_false(hako_media_check_bootable(m, &err));
    g_assert_error(err, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE);
    g_clear_error(&err);

    Spec ia = {.efi_loader = "BOOTIA32EFI", .el_torito = TRUE};
    g_autoptr(HakoMedia) m2 = media_for(&ia, "hako-test-ia32.iso");
    g_assert_false(hako_media_check_bootable(m2, &err));
    g_assert_error(err, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE);
    g_assert_nonnull(strstr(err->message, "32-bit"));
}

/* Boot entries whose images lie beyond the end of the file boot nothing (hako --inspect-iso used
 * to call them bootable). */
static void test_beyond_end(void)
{
    Spec s = spec_both();
    Img img = build_iso(&s);
    HakoIsoInfo info;
    /* the BIOS entry's image far past the end; the EFI one still inside */
    put32(img.data + 20 * SECTOR + 32 + 8, 0x00FFFFFF);
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_true(info.entries[0].marked_bootable);
    g_assert_true(info.entries[0].beyond_end);
    g_assert_false(info.entries[0].bootable);
    g_assert_false(hako_iso_info_boots_bios(&info));
    g_assert_true(hako_iso_info_boots_uefi(&info));
    /* the last sector of a BIOS image past the end is enough */
    put32(img.data + 20 * SECTOR + 32 + 8, 47);
    put16(img.data + 20 * SECTOR + 32 + 6, 8); /* 4 KiB from the last sector on */
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_false(hako_iso_info_boots_bios(&info));
    put16(img.data + 20 * SECTOR + 32 + 6, 4); /* exactly the last sector */
    g_assert_true(hako_iso_parse_buffer(img.data, img.size, &info, NULL));
    g_assert_true(hako_iso_info_boots_bios(&info));
    /* both past the end: parses, but the disc cannot start anything, and says why */
    put32(img.data + 20 * SECTOR + 32 + 8, 0x00FFFFFF);
    put32(img.data + 20 * SECTOR + 96 + 8, 0x00FFFFF0);
    g_autofree char *path = write_temp(&img, "hako-test-beyond.iso");
    g_free(img.data);
    g_autoptr(GFile) f = g_file_new_for_path(path);
    g_autoptr(GError) err = NULL;
    g_autoptr(HakoMedia) m = hako_media_new_for_file(f, NULL, &err);
    g_assert_no_error(err);
    g_assert_false(hako_media_boots_bios(m));
    g_assert_false(hako_media_boots_uefi(m));
    g_assert_false(hako_media_check_bootable(m, &err));
    g_assert_error(err, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE);
    g_assert_nonnull(strstr(err->message, "beyond the end"));
    remove_temp(path);
}

/* A FIFO (or any special file) is refused at once, with the reason, never waited on. */
static void test_fifo(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("hako-test-XXXXXX", &err);
    g_autofree char *fifo = g_build_filename(dir, "pipe.iso", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(GFile) f = g_file_new_for_path(fifo);
    g_assert_null(hako_media_new_for_file(f, NULL, &err));
    g_assert_error(err, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE);
    g_assert_nonnull(strstr(err->message, "pipe"));
    g_clear_error(&err);
    HakoIsoInfo info;
    g_assert_false(hako_iso_parse_path(fifo, &info, &err));
    g_assert_error(err, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);
    g_unlink(fifo);
    g_rmdir(dir);
}

/* Small files on the disc by path: Rock Ridge names, and the ISO 9660 names a disc without Rock
 * Ridge has (_DISK/INFO.;1 for .disk/info). */
static void test_read_file(void)
{
    for (int rr = 1; rr >= 0; rr--) {
        Spec s = spec_both();
        s.no_rock_ridge = !rr;
        Img img = build_iso(&s);
        g_autofree char *path = write_temp(&img, "hako-test-files.iso");
        g_autoptr(GFile) f = g_file_new_for_path(path);
        g_autoptr(GError) err = NULL;
        g_autoptr(HakoMedia) m = hako_media_new_for_file(f, NULL, &err);
        g_assert_no_error(err);
        g_autoptr(GBytes) info = hako_media_read_file(m, "/.disk/info", 4096, &err);
        g_assert_no_error(err);
        g_assert_cmpmem(g_bytes_get_data(info, NULL), g_bytes_get_size(info), ISO_TEST_INFO,
                        strlen(ISO_TEST_INFO));
        g_autoptr(GBytes) readme = hako_media_read_file(m, "README.txt", 4096, &err);
        g_assert_no_error(err);
        g_assert_cmpuint(g_bytes_get_size(readme), ==, strlen(ISO_TEST_README));
        g_assert_null(hako_media_read_file(m, "/.disk/nothing", 4096, &err));
        g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
        g_clear_error(&err);
        g_assert_null(hako_media_read_file(m, "/.disk", 4096, &err));
        g_assert_error(err, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY);
        g_clear_error(&err);
        g_assert_null(hako_media_read_file(m, "/.disk/info/x", 4096, &err));
        g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
        g_clear_error(&err);
        g_assert_null(hako_media_read_file(m, "/.disk/info", 8, &err));
        g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
        g_clear_error(&err);
        /* the same through the common reader on bytes in memory */
        struct hk_iso_info in;
        g_assert_cmpint(hk_iso_parse_buffer(img.data, img.size, &in), ==, HK_ISO_OK);
        g_free(img.data);
        remove_temp(path);
    }
}

static void on_loaded(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    HakoMedia **out = data;
    *out = hako_media_new_for_file_finish(res, NULL);
}

static void test_async(void)
{
    Spec s = spec_both();
    Img img = build_iso(&s);
    g_autofree char *path = write_temp(&img, "hako-test-async.iso");
    g_free(img.data);
    g_autoptr(GFile) f = g_file_new_for_path(path);
    HakoMedia *m = NULL;
    hako_media_new_for_file_async(f, NULL, on_loaded, &m);
    while (!m)
        g_main_context_iteration(NULL, TRUE);
    g_assert_true(hako_media_boots_bios(m));
    g_assert_true(hako_media_boots_uefi(m));
    g_object_unref(m);
    remove_temp(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/media/both", test_both);
    g_test_add_func("/media/efi-only", test_efi_only);
    g_test_add_func("/media/bios-only", test_bios_only);
    g_test_add_func("/media/ia32-and-arm", test_ia32_and_arm);
    g_test_add_func("/media/sections", test_sections_and_extensions);
    g_test_add_func("/media/errors", test_errors);
    g_test_add_func("/media/fields", test_field_sanitizing);
    g_test_add_func("/media/fat-hostile", test_fat_hostile);
    g_test_add_func("/media/mutations", test_mutations);
    g_test_add_func("/media/osinfo-arch", test_osinfo_arch_dvd);
    g_test_add_func("/media/osinfo-system", test_osinfo_system_db);
    g_test_add_func("/media/file-errors", test_file_errors);
    g_test_add_func("/media/async", test_async);
    g_test_add_func("/media/beyond-end", test_beyond_end);
    g_test_add_func("/media/fifo", test_fifo);
    g_test_add_func("/media/read-file", test_read_file);
    return g_test_run();
}
