/*
 * Hako's libosinfo overlay (data/osinfo, through HAKO_OSINFO_DIR): the current releases people
 * install are identified from the IDs their real ISOs carry (each source is written down in the
 * overlay file), each by exactly one OS (libosinfo answers the first of several matches in hash
 * table order, so an ID two entries match is a defect), with their resources; and the OS list
 * sorts versions naturally.
 */
#include <string.h>

#include "hako-proposal.h"
#include "isobuild.h"

typedef struct {
    const char *volume, *system, *publisher, *application;
    const char *os_id, *name;
    guint mem_mib, disk_gib; /* proposed on a roomy host (0: not checked) */
} Known;

/* The IDs of real ISOs (primary volume descriptor), and what they are. */
static const Known KNOWN[] = {
    {"Debian 12.5.0 amd64 n", NULL, NULL, NULL, "http://debian.org/debian/12", "Debian 12", 2048,
     20},
    {"Debian 12.8.0 amd64 1", NULL, NULL, NULL, "http://debian.org/debian/12", "Debian 12", 0, 0},
    {"d-live 12.5.0 gn amd64", NULL, NULL, NULL, "http://debian.org/debian/12", "Debian 12", 0, 0},
    {"Debian 13.1.0 amd64 n", NULL, NULL, NULL, "http://debian.org/debian/13", "Debian 13", 2048,
     20},
    {"Debian 11.9.0 amd64 n", NULL, NULL, NULL, "http://debian.org/debian/11", "Debian 11", 0, 0},
    {"Ubuntu 22.04.4 LTS amd64", NULL, NULL, NULL, "http://ubuntu.com/ubuntu/22.04",
     "Ubuntu 22.04 LTS", 4096, 25},
    {"Ubuntu-Server 22.04.4 LTS amd64", NULL, NULL, NULL, "http://ubuntu.com/ubuntu/22.04",
     "Ubuntu 22.04 LTS", 0, 0},
    {"Ubuntu 24.04 LTS amd64", NULL, NULL, NULL, "http://ubuntu.com/ubuntu/24.04",
     "Ubuntu 24.04 LTS", 4096, 25},
    {"Ubuntu 24.04.1 LTS amd64", NULL, NULL, NULL, "http://ubuntu.com/ubuntu/24.04",
     "Ubuntu 24.04 LTS", 0, 0},
    {"Ubuntu-Server 24.04.1 LTS amd64", NULL, NULL, NULL, "http://ubuntu.com/ubuntu/24.04",
     "Ubuntu 24.04 LTS", 0, 0},
    {"Fedora-WS-Live-39-1-5", NULL, NULL, NULL, "http://fedoraproject.org/fedora/39",
     "Fedora Linux 39", 2048, 20},
    {"Fedora-WS-Live-40-1-14", NULL, NULL, NULL, "http://fedoraproject.org/fedora/40",
     "Fedora Linux 40", 4096, 20},
    {"Fedora-WS-Live-41-1-4", NULL, NULL, NULL, "http://fedoraproject.org/fedora/41",
     "Fedora Linux 41", 4096, 20},
    {"Fedora-E-dvd-x86_64-41", NULL, NULL, NULL, "http://fedoraproject.org/fedora/41",
     "Fedora Linux 41", 0, 0},
    {"Fedora-S-dvd-x86_64-40", NULL, NULL, NULL, "http://fedoraproject.org/fedora/40",
     "Fedora Linux 40", 0, 0},
    {"openSUSE-Leap-15.5-DVD-x86_64", "LINUX", "SUSE LINUX GmbH", NULL,
     "http://opensuse.org/opensuse/15.5", "openSUSE Leap 15.5", 4096, 40},
    {"openSUSE-Leap-15.6-NET-x86_64", "LINUX", "SUSE LINUX GmbH", NULL,
     "http://opensuse.org/opensuse/15.6", "openSUSE Leap 15.6", 0, 0},
    {"openSUSE_Leap_15.6_GNOME_Live", "LINUX", "SUSE LINUX GMBH", NULL,
     "http://opensuse.org/opensuse/15.6", "openSUSE Leap 15.6", 0, 0},
    {"openSUSE-Tumbleweed-DVD-x86_64", "LINUX", "SUSE LLC", NULL,
     "http://opensuse.org/opensuse/tumbleweed", "openSUSE Tumbleweed", 0, 0},
    {"openSUSE-Tumbleweed-NET-x86_64", "LINUX", "SUSE LLC", NULL,
     "http://opensuse.org/opensuse/tumbleweed", "openSUSE Tumbleweed", 0, 0},
    {"ARCH_202411", NULL, "ARCH LINUX <HTTPS://ARCHLINUX.ORG>", "ARCH LINUX LIVE/RESCUE DVD",
     "http://archlinux.org/archlinux/rolling", "Arch Linux", 0, 0},
    {"Linux Mint 21.3 Cinnamon 64-bit", NULL, NULL, NULL, "http://linuxmint.com/linuxmint/21",
     "Linux Mint 21", 4096, 40},
    {"Linux Mint 21 MATE 64-bit", NULL, NULL, NULL, "http://linuxmint.com/linuxmint/21",
     "Linux Mint 21", 0, 0},
    {"Linux Mint 22 Cinnamon 64-bit", NULL, NULL, NULL, "http://linuxmint.com/linuxmint/22",
     "Linux Mint 22", 4096, 40},
    {"Linux Mint 22.1 Xfce 64-bit", NULL, NULL, NULL, "http://linuxmint.com/linuxmint/22",
     "Linux Mint 22", 0, 0},
    {"CCSA_X64FRE_EN-US_DV5", "", "MICROSOFT CORPORATION", NULL, "http://microsoft.com/win/10",
     "Microsoft Windows 10", 4096, 40},
    {"CCCOMA_X64FRE_EN-US_DV9", "", "MICROSOFT CORPORATION", NULL, "http://microsoft.com/win/11",
     "Microsoft Windows 11", 8192, 128},
};

static HakoHostLimits roomy(void)
{
    return (HakoHostLimits){
        .mem_total = 64 * HAKO_GIB, .mem_available = 60 * HAKO_GIB, .n_cpus = 8};
}

static void test_known(void)
{
    g_assert_nonnull(hako_osinfo_overlay_dir());
    OsinfoDb *db = hako_osinfo_db();
    for (gsize i = 0; i < G_N_ELEMENTS(KNOWN); i++) {
        const Known *k = &KNOWN[i];
        Spec s = {.bios = TRUE,
                  .efi_loader = "BOOTX64 EFI",
                  .el_torito = TRUE,
                  .volume_id = k->volume,
                  .system = k->system,
                  .publisher = k->publisher,
                  .application = k->application};
        g_autoptr(HakoMedia) m = media_for(&s, "hako-test-osinfo.iso");
        g_test_message("%s -> %s", k->volume, hako_media_get_os_id(m));
        g_assert_cmpstr(hako_media_get_os_id(m), ==, k->os_id);
        g_assert_cmpstr(hako_media_get_os_name(m), ==, k->name);
        g_assert_true(hako_media_is_live_or_installer(m));

        /* exactly one OS matches these IDs */
        OsinfoMedia *om = hako_media_get_osinfo_media(m);
        g_autoptr(OsinfoMedia) probe = osinfo_media_new("file:///probe.iso", "x86_64");
        static const char *const props[] = {
            OSINFO_MEDIA_PROP_VOLUME_ID, OSINFO_MEDIA_PROP_SYSTEM_ID,
            OSINFO_MEDIA_PROP_PUBLISHER_ID, OSINFO_MEDIA_PROP_APPLICATION_ID};
        const HakoIsoInfo *in = hako_media_get_iso_info(m);
        const char *vals[] = {in->volume_id, in->system_id, in->publisher_id, in->application_id};
        for (gsize p = 0; p < G_N_ELEMENTS(props); p++)
            if (vals[p][0])
                osinfo_entity_set_param(OSINFO_ENTITY(probe), props[p], vals[p]);
        g_autoptr(OsinfoMediaList) all = osinfo_db_identify_medialist(db, probe);
        for (int j = 0; j < osinfo_list_get_length(OSINFO_LIST(all)); j++) {
            OsinfoMedia *other = OSINFO_MEDIA(osinfo_list_get_nth(OSINFO_LIST(all), j));
            g_autoptr(OsinfoOs) os = osinfo_media_get_os(other);
            if (!g_str_equal(osinfo_entity_get_id(OSINFO_ENTITY(os)), k->os_id))
                g_error("“%s” also matches %s", k->volume, osinfo_entity_get_id(OSINFO_ENTITY(os)));
        }
        g_assert_nonnull(om);

        if (k->mem_mib) {
            HakoHostLimits l = roomy();
            g_autoptr(HakoProposal) p = hako_proposal_new(m, NULL, &l, NULL, NULL);
            g_assert_cmpstr(hako_proposal_get_name(p), ==, k->name);
            g_assert_cmpuint(hako_proposal_get_memory_mib(p), ==, k->mem_mib);
            g_assert_cmpuint(hako_proposal_get_disk_gib(p), ==, k->disk_gib);
        }
    }
}

static void test_natural_compare(void)
{
    static const char *const ordered[] = {
        "Debian 6.0",  "Debian 7",         "Debian 10",    "Debian 11",       "Debian 12",
        "Debian 13",   "debian 14",        "Fedora 9",     "Fedora 10",       "Fedora Linux 39",
        "Ubuntu 9.04", "Ubuntu 22.04 LTS", "Ubuntu 22.10", "Ubuntu 24.04 LTS"};
    for (gsize i = 0; i + 1 < G_N_ELEMENTS(ordered); i++) {
        g_assert_cmpint(hako_natural_compare(ordered[i], ordered[i + 1]), <, 0);
        g_assert_cmpint(hako_natural_compare(ordered[i + 1], ordered[i]), >, 0);
    }
    g_assert_cmpint(hako_natural_compare("Debian 12", "Debian 12"), ==, 0);
    g_assert_cmpint(hako_natural_compare("Windows 7", "Windows XP"), <, 0);
    g_assert_cmpint(hako_natural_compare("Debian 007", "Debian 7"), ==, 0);
    g_assert_cmpint(hako_natural_compare("", "a"), <, 0);
}

static gint index_of(GPtrArray *oses, const char *name)
{
    for (guint i = 0; i < oses->len; i++)
        if (g_str_equal(osinfo_product_get_name(oses->pdata[i]), name))
            return (gint)i;
    return -1;
}

static void test_os_list_order(void)
{
    g_autoptr(GPtrArray) oses = hako_os_list_sorted();
    static const char *const debian[] = {"Debian 6.0", "Debian 7",  "Debian 10",
                                         "Debian 11",  "Debian 12", "Debian 13"};
    gint last = -1;
    for (gsize i = 0; i < G_N_ELEMENTS(debian); i++) {
        gint at = index_of(oses, debian[i]);
        g_test_message("%s at %d", debian[i], at);
        g_assert_cmpint(at, >, last);
        last = at;
    }
    g_assert_cmpint(index_of(oses, "Fedora Linux 39"), <, index_of(oses, "Fedora Linux 41"));
    g_assert_cmpint(index_of(oses, "Linux Mint 21"), <, index_of(oses, "Linux Mint 22"));
    g_assert_cmpint(index_of(oses, "Microsoft Windows 10"), <,
                    index_of(oses, "Microsoft Windows 11"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/osinfo/known", test_known);
    g_test_add_func("/osinfo/natural-compare", test_natural_compare);
    g_test_add_func("/osinfo/os-list-order", test_os_list_order);
    return g_test_run();
}
