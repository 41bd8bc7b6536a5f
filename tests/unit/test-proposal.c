/*
 * HakoProposal: memory/CPUs/disk from libosinfo's resources within the host's limits, the firmware
 * rule (UEFI when the disc has an x86-64 EFI entry and OVMF is usable, the choice only when both
 * work), names, and the value checks the wizard and settings use.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fwimages.h"
#include "hako-proposal.h"
#include "isobuild.h"

static HakoHostLimits host(guint64 total_mib, guint64 avail_mib, guint cpus)
{
    HakoHostLimits l = {0};
    l.mem_total = total_mib * HAKO_MIB;
    l.mem_available = avail_mib * HAKO_MIB;
    l.n_cpus = cpus;
    l.disk_free = 100 * HAKO_GIB;
    return l;
}

static HakoMedia *arch_media(gboolean bios, gboolean efi)
{
    Spec s = {.bios = bios, .efi_loader = efi ? "BOOTX64 EFI" : NULL, .el_torito = TRUE};
    s.volume_id = "ARCH_202611";
    s.publisher = "ARCH LINUX <HTTPS://ARCHLINUX.ORG>";
    s.application = "ARCH LINUX LIVE/RESCUE DVD";
    return media_for(&s, "archlinux-2026.11.01-x86_64.iso");
}

static HakoMedia *unknown_media(gboolean bios, gboolean efi)
{
    Spec s = {.bios = bios, .efi_loader = efi ? "BOOTX64 EFI" : NULL, .el_torito = TRUE};
    return media_for(&s, "my-distro-1.0.iso");
}

/* A fake root with SeaBIOS and/or a valid 4 MiB OVMF pair. */
static char *fake_firmware_root(gboolean seabios, gboolean ovmf)
{
    char *root = g_dir_make_tmp("hako-fw-XXXXXX", NULL);
    if (seabios) {
        g_autofree char *p = g_build_filename(root, "usr/share/seabios/bios.bin", NULL);
        fwimg_write(p, FWIMG_BIOS, 128 * 1024);
    }
    if (ovmf) {
        g_autofree char *c = g_build_filename(root, "usr/share/OVMF/OVMF_CODE_4M.fd", NULL);
        fwimg_write(c, FWIMG_CODE, FWIMG_CODE_4M);
        g_autofree char *v = g_build_filename(root, "usr/share/OVMF/OVMF_VARS_4M.fd", NULL);
        fwimg_write(v, FWIMG_VARS, FWIMG_VARS_4M);
    }
    return root;
}

static void rm_tree(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(path, n, NULL);
            if (g_file_test(p, G_FILE_TEST_IS_DIR))
                rm_tree(p);
            else
                g_unlink(p);
        }
    }
    g_rmdir(path);
}

static GListModel *firmware(gboolean seabios, gboolean ovmf)
{
    g_autofree char *root = fake_firmware_root(seabios, ovmf);
    GListModel *list = hako_firmware_discover(root);
    /* the objects keep their paths; the files are only read during discovery */
    rm_tree(root);
    return list;
}

static void test_limits(void)
{
    HakoHostLimits l = host(24 * 1024, 23 * 1024, 2);
    /* a quarter kept for the host */
    g_assert_cmpuint(hako_host_limits_spare_memory_mib(&l), ==, 18 * 1024);
    g_assert_cmpuint(hako_host_limits_max_memory_mib(&l), ==, 24 * 1024 - 512);
    g_assert_cmpuint(hako_host_limits_max_cpus(&l), ==, 2);
    /* a busy host: what is available now, minus 512 MiB */
    l = host(24 * 1024, 4 * 1024, 2);
    g_assert_cmpuint(hako_host_limits_spare_memory_mib(&l), ==, 3584);
    /* a small host keeps at least 1 GiB */
    l = host(3 * 1024, 3 * 1024, 1);
    g_assert_cmpuint(hako_host_limits_spare_memory_mib(&l), ==, 2048);
    l = host(1024, 900, 1);
    g_assert_cmpuint(hako_host_limits_spare_memory_mib(&l), ==, 256);
    l = host(64 * 1024, 64 * 1024, 64);
    g_assert_cmpuint(hako_host_limits_max_cpus(&l), ==, HAKO_MAX_CPUS);
}

static void test_arch(void)
{
    g_autoptr(HakoMedia) m = arch_media(TRUE, TRUE);
    g_autoptr(GListModel) fw = firmware(TRUE, TRUE);
    HakoHostLimits l = host(24 * 1024, 23 * 1024, 2);
    g_autoptr(HakoProposal) p = hako_proposal_new(m, NULL, &l, fw, NULL);
    g_assert_cmpstr(hako_proposal_get_name(p), ==, "Arch Linux");
    /* osinfo: minimum 512 MiB only → twice that = 1 GiB */
    g_assert_cmpuint(hako_proposal_get_memory_mib(p), ==, 1024);
    g_assert_nonnull(strstr(hako_proposal_get_memory_reason(p), "twice the minimum"));
    g_assert_cmpuint(hako_proposal_get_cpus(p), ==, 2);
    g_assert_cmpuint(hako_proposal_get_disk_gib(p), ==, 30);
    /* BIOS + UEFI disc, both firmwares present: UEFI, with the choice offered */
    g_assert_cmpint(hako_proposal_get_firmware(p), ==, HAKO_FIRMWARE_UEFI);
    g_assert_true(hako_proposal_offers_firmware_choice(p));
    g_assert_nonnull(hako_proposal_get_ovmf(p));
    g_assert_true(
        g_str_has_suffix(hako_firmware_get_code_path(hako_proposal_get_ovmf(p)), "CODE_4M.fd"));
    g_assert_nonnull(hako_proposal_get_firmware_note(p));
    g_assert_null(hako_proposal_get_blocker(p));

    /* the name is taken twice */
    const char *taken[] = {"Arch Linux", "Arch Linux 2", NULL};
    g_autoptr(HakoProposal) p2 = hako_proposal_new(m, NULL, &l, fw, taken);
    g_assert_cmpstr(hako_proposal_get_name(p2), ==, "Arch Linux 3");

    /* a host where UEFI firmware does not run well: BIOS first, choice kept */
    l.uefi_unreliable = TRUE;
    g_autoptr(HakoProposal) p3 = hako_proposal_new(m, NULL, &l, fw, NULL);
    g_assert_cmpint(hako_proposal_get_firmware(p3), ==, HAKO_FIRMWARE_BIOS);
    g_assert_true(hako_proposal_offers_firmware_choice(p3));
}

static void test_memory_rules(void)
{
    OsinfoDb *db = hako_osinfo_db();
    OsinfoOs *ubuntu = osinfo_db_get_os(db, "http://ubuntu.com/ubuntu/22.04");
    g_assert_nonnull(ubuntu);
    g_autoptr(HakoMedia) m = unknown_media(TRUE, FALSE);
    g_autoptr(GListModel) fw = firmware(TRUE, FALSE);

    /* the OS changed by hand: its recommendation (4 GiB, 25 GiB disk), its name */
    HakoHostLimits big = host(24 * 1024, 23 * 1024, 8);
    g_autoptr(HakoProposal) p = hako_proposal_new(m, ubuntu, &big, fw, NULL);
    g_assert_cmpuint(hako_proposal_get_memory_mib(p), ==, 4096);
    g_assert_nonnull(strstr(hako_proposal_get_memory_reason(p), "recommended"));
    g_assert_cmpuint(hako_proposal_get_disk_gib(p), ==, 25);
    g_assert_cmpuint(hako_proposal_get_cpus(p), ==, 2); /* minimum 1 × 2 */
    g_assert_true(g_str_has_prefix(hako_proposal_get_name(p), "Ubuntu 22.04"));

    /* never above what the host can spare */
    HakoHostLimits small = host(3 * 1024, 3 * 1024, 1);
    g_autoptr(HakoProposal) p2 = hako_proposal_new(m, ubuntu, &small, fw, NULL);
    g_assert_cmpuint(hako_proposal_get_memory_mib(p2), ==, 2048);
    g_assert_nonnull(strstr(hako_proposal_get_memory_reason(p2), "spare"));
    g_assert_cmpuint(hako_proposal_get_cpus(p2), ==, 1);

    /* unknown OS: 2 GiB, 2 CPUs, 30 GiB, the file name */
    g_autoptr(HakoProposal) p3 = hako_proposal_new(m, NULL, &big, fw, NULL);
    g_assert_cmpuint(hako_proposal_get_memory_mib(p3), ==, 2048);
    g_assert_cmpuint(hako_proposal_get_cpus(p3), ==, 2);
    g_assert_cmpuint(hako_proposal_get_disk_gib(p3), ==, 30);
    g_assert_cmpstr(hako_proposal_get_name(p3), ==, "my-distro-1.0");

    /* a live disc of an OS whose minimum is tiny still gets 1 GiB */
    OsinfoOs *freedos = osinfo_db_get_os(db, "http://freedos.org/freedos/1.2");
    if (freedos) {
        g_autoptr(HakoProposal) p4 = hako_proposal_new(m, freedos, &big, fw, NULL);
        g_assert_cmpuint(hako_proposal_get_memory_mib(p4), >=, 1024);
    }
}

static void test_firmware_rule(void)
{
    HakoHostLimits l = host(8192, 8000, 4);
    g_autoptr(GListModel) both_fw = firmware(TRUE, TRUE);
    g_autoptr(GListModel) bios_fw = firmware(TRUE, FALSE);
    g_autoptr(GListModel) ovmf_fw = firmware(FALSE, TRUE);

    g_autoptr(HakoMedia) efi_only = unknown_media(FALSE, TRUE);
    g_autoptr(HakoProposal) a = hako_proposal_new(efi_only, NULL, &l, both_fw, NULL);
    g_assert_cmpint(hako_proposal_get_firmware(a), ==, HAKO_FIRMWARE_UEFI);
    g_assert_false(hako_proposal_offers_firmware_choice(a));
    g_assert_null(hako_proposal_get_blocker(a));

    /* EFI-only disc without OVMF: cannot boot, and says how to fix it */
    g_autoptr(HakoProposal) b = hako_proposal_new(efi_only, NULL, &l, bios_fw, NULL);
    g_assert_cmpint(hako_proposal_get_firmware(b), ==, HAKO_FIRMWARE_UEFI);
    g_assert_nonnull(hako_proposal_get_blocker(b));
    g_assert_nonnull(strstr(hako_proposal_get_blocker(b), "apt install ovmf"));

    /* BIOS + UEFI disc without OVMF: BIOS, no choice, a note saying why */
    g_autoptr(HakoMedia) both = unknown_media(TRUE, TRUE);
    g_autoptr(HakoProposal) c = hako_proposal_new(both, NULL, &l, bios_fw, NULL);
    g_assert_cmpint(hako_proposal_get_firmware(c), ==, HAKO_FIRMWARE_BIOS);
    g_assert_false(hako_proposal_offers_firmware_choice(c));
    g_assert_nonnull(strstr(hako_proposal_get_firmware_note(c), "OVMF"));

    /* BIOS-only disc: BIOS even with OVMF installed */
    g_autoptr(HakoMedia) bios_only = unknown_media(TRUE, FALSE);
    g_autoptr(HakoProposal) d = hako_proposal_new(bios_only, NULL, &l, both_fw, NULL);
    g_assert_cmpint(hako_proposal_get_firmware(d), ==, HAKO_FIRMWARE_BIOS);
    g_assert_false(hako_proposal_offers_firmware_choice(d));

    /* BIOS-only disc without SeaBIOS */
    g_autoptr(HakoProposal) e = hako_proposal_new(bios_only, NULL, &l, ovmf_fw, NULL);
    g_assert_nonnull(hako_proposal_get_blocker(e));
    g_assert_nonnull(strstr(hako_proposal_get_blocker(e), "seabios"));
}

static void test_checks(void)
{
    HakoHostLimits l = host(8192, 8000, 4);
    char *msg = NULL;
    g_assert_cmpint(hako_check_memory(&l, 32, &msg), ==, HAKO_VALUE_INVALID);
    g_assert_nonnull(msg);
    g_clear_pointer(&msg, g_free);
    g_assert_cmpint(hako_check_memory(&l, 512, &msg), ==, HAKO_VALUE_WARN);
    g_clear_pointer(&msg, g_free);
    g_assert_cmpint(hako_check_memory(&l, 2048, &msg), ==, HAKO_VALUE_OK);
    g_assert_null(msg);
    g_assert_cmpint(hako_check_memory(&l, 7000, &msg), ==, HAKO_VALUE_WARN); /* > 6 GiB spare */
    g_clear_pointer(&msg, g_free);
    g_assert_cmpint(hako_check_memory(&l, 8000, &msg), ==, HAKO_VALUE_INVALID);
    g_assert_nonnull(strstr(msg, "8 GiB"));
    g_clear_pointer(&msg, g_free);

    g_assert_cmpint(hako_check_cpus(&l, 0, NULL), ==, HAKO_VALUE_INVALID);
    g_assert_cmpint(hako_check_cpus(&l, 4, NULL), ==, HAKO_VALUE_OK);
    g_assert_cmpint(hako_check_cpus(&l, 5, &msg), ==, HAKO_VALUE_INVALID);
    g_assert_nonnull(strstr(msg, "4"));
    g_clear_pointer(&msg, g_free);

    g_assert_cmpint(hako_check_disk(&l, 0, NULL), ==, HAKO_VALUE_INVALID);
    g_assert_cmpint(hako_check_disk(&l, 30, NULL), ==, HAKO_VALUE_OK);
    g_assert_cmpint(hako_check_disk(&l, 500, &msg), ==, HAKO_VALUE_WARN); /* 100 GiB free */
    g_clear_pointer(&msg, g_free);

    const char *taken[] = {"Debian", NULL};
    g_assert_cmpint(hako_check_name("", taken, NULL), ==, HAKO_VALUE_INVALID);
    g_assert_cmpint(hako_check_name("  ", taken, NULL), ==, HAKO_VALUE_INVALID);
    g_assert_cmpint(hako_check_name("a/b", taken, NULL), ==, HAKO_VALUE_INVALID);
    g_assert_cmpint(hako_check_name("Debian", taken, &msg), ==, HAKO_VALUE_INVALID);
    g_assert_nonnull(msg);
    g_clear_pointer(&msg, g_free);
    g_assert_cmpint(hako_check_name("Debian 12 テスト", taken, NULL), ==, HAKO_VALUE_OK);
    g_autofree char *u = hako_unique_name("Debian", taken);
    g_assert_cmpstr(u, ==, "Debian 2");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/proposal/limits", test_limits);
    g_test_add_func("/proposal/arch", test_arch);
    g_test_add_func("/proposal/memory", test_memory_rules);
    g_test_add_func("/proposal/firmware", test_firmware_rule);
    g_test_add_func("/proposal/checks", test_checks);
    return g_test_run();
}
