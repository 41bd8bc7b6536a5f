/*
 * HakoProposal: settings proposed for a new VM, and host limits (see hako-proposal.h).
 */
#include "hako-proposal.h"

#include <glib/gi18n.h>
#include <string.h>
#include <sys/statvfs.h>

#include "hako-format.h"
#include "hako-host-check.h"

#define DEFAULT_MEMORY_MIB 2048u
#define LIVE_FLOOR_MIB     1024u
#define DEFAULT_CPUS       2u
#define DEFAULT_DISK_GIB   30u

void hako_host_limits_read(HakoHostLimits *limits, const char *vm_folder)
{
    memset(limits, 0, sizeof(*limits));
    hako_host_read_resources("/", &limits->mem_total, &limits->mem_available, &limits->n_cpus);
    if (vm_folder) {
        /* the folder may not exist yet: walk up to the nearest existing parent */
        g_autofree char *dir = g_strdup(vm_folder);
        struct statvfs sv;
        while (dir && statvfs(dir, &sv) < 0) {
            char *parent = g_path_get_dirname(dir);
            if (g_str_equal(parent, dir)) {
                g_free(parent);
                g_clear_pointer(&dir, g_free);
                break;
            }
            g_free(dir);
            dir = parent;
        }
        if (dir)
            limits->disk_free = (guint64)sv.f_bavail * sv.f_frsize;
    }
    /* paravirtual KVM (kvm_pvm) without VT-x/AMD-V: CPU flags and modules, no probe */
    g_autofree char *cpuinfo = NULL;
    gboolean vmx_or_svm = FALSE;
    if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
        char *flags = strstr(cpuinfo, "\nflags");
        if (flags) {
            char *end = strchr(flags + 1, '\n');
            g_autofree char *line = end ? g_strndup(flags, (gsize)(end - flags)) : g_strdup(flags);
            vmx_or_svm = strstr(line, " vmx") || strstr(line, " svm");
        }
    }
    limits->uefi_unreliable = g_file_test("/sys/module/kvm_pvm", G_FILE_TEST_IS_DIR) && !vmx_or_svm;
}

guint64 hako_host_limits_spare_memory_mib(const HakoHostLimits *l)
{
    guint64 total = l->mem_total / HAKO_MIB;
    if (!total)
        return DEFAULT_MEMORY_MIB;
    guint64 keep = MAX(1024, total / 4);
    guint64 spare = total > keep ? total - keep : total / 2;
    guint64 avail = l->mem_available / HAKO_MIB;
    if (avail && avail > 512)
        spare = MIN(spare, avail - 512);
    else if (avail)
        spare = MIN(spare, avail / 2);
    spare = spare / 256 * 256;
    return MAX(spare, 256);
}

guint64 hako_host_limits_max_memory_mib(const HakoHostLimits *l)
{
    guint64 total = l->mem_total / HAKO_MIB;
    if (!total)
        return 1024 * 1024; /* unknown host: the engine's own limit (1 TiB) */
    return total > 1024 ? total - 512 : total / 2;
}

guint hako_host_limits_max_cpus(const HakoHostLimits *l)
{
    return CLAMP(l->n_cpus, 1, HAKO_MAX_CPUS);
}

static char *fmt_mib(guint64 mib)
{
    if (mib >= 1024 && mib % 1024 == 0)
        return g_strdup_printf(_("%llu GiB"), (unsigned long long)(mib / 1024));
    if (mib >= 1024)
        return g_strdup_printf(_("%.1f GiB"), (double)mib / 1024.0);
    return g_strdup_printf(_("%llu MiB"), (unsigned long long)mib);
}

static void set_msg(char **message, char *text)
{
    if (message)
        *message = text;
    else
        g_free(text);
}

HakoValueCheck hako_check_memory(const HakoHostLimits *l, guint64 mib, char **message)
{
    if (message)
        *message = NULL;
    guint64 max = hako_host_limits_max_memory_mib(l), spare = hako_host_limits_spare_memory_mib(l);
    if (mib < HAKO_MIN_MEMORY_MIB) {
        set_msg(message, g_strdup_printf(_("At least %u MiB."), HAKO_MIN_MEMORY_MIB));
        return HAKO_VALUE_INVALID;
    }
    if (mib > max) {
        g_autofree char *t = fmt_mib(l->mem_total / HAKO_MIB), *m = fmt_mib(max);
        set_msg(message, g_strdup_printf(_("This computer has %s; a virtual machine can have at "
                                           "most %s."),
                                         t, m));
        return HAKO_VALUE_INVALID;
    }
    if (mib > spare) {
        g_autofree char *s = fmt_mib(spare);
        set_msg(message, g_strdup_printf(_("More than the %s this computer can spare: it may "
                                           "slow down or run out of memory."),
                                         s));
        return HAKO_VALUE_WARN;
    }
    if (mib < LIVE_FLOOR_MIB) {
        set_msg(message, g_strdup(_("Most live and installer discs need at least 1 GiB.")));
        return HAKO_VALUE_WARN;
    }
    return HAKO_VALUE_OK;
}

HakoValueCheck hako_check_cpus(const HakoHostLimits *l, guint cpus, char **message)
{
    if (message)
        *message = NULL;
    guint max = hako_host_limits_max_cpus(l);
    if (cpus < 1) {
        set_msg(message, g_strdup(_("At least one processor.")));
        return HAKO_VALUE_INVALID;
    }
    if (cpus > max) {
        set_msg(message,
                g_strdup_printf(g_dngettext(NULL, "At most %u: this computer has %u processor.",
                                            "At most %u: this computer has %u processors.", max),
                                max, l->n_cpus));
        return HAKO_VALUE_INVALID;
    }
    return HAKO_VALUE_OK;
}

HakoValueCheck hako_check_disk(const HakoHostLimits *l, guint64 gib, char **message)
{
    if (message)
        *message = NULL;
    if (gib < HAKO_MIN_DISK_GIB || gib > HAKO_MAX_DISK_GIB) {
        set_msg(message,
                g_strdup_printf(_("From %u GiB to %u GiB."), HAKO_MIN_DISK_GIB, HAKO_MAX_DISK_GIB));
        return HAKO_VALUE_INVALID;
    }
    if (l->disk_free && gib * HAKO_GIB > l->disk_free) {
        g_autofree char *f = hako_format_size(l->disk_free, G_FORMAT_SIZE_IEC_UNITS);
        set_msg(message, g_strdup_printf(_("Only %s is free. The disk image grows as the guest "
                                           "writes to it and could fill the host’s disk."),
                                         f));
        return HAKO_VALUE_WARN;
    }
    return HAKO_VALUE_OK;
}

static gboolean name_taken(const char *name, const char *const *taken)
{
    for (gsize i = 0; taken && taken[i]; i++)
        if (g_utf8_collate(taken[i], name) == 0)
            return TRUE;
    return FALSE;
}

HakoValueCheck hako_check_name(const char *name, const char *const *taken, char **message)
{
    if (message)
        *message = NULL;
    g_autofree char *stripped = g_strstrip(g_strdup(name ? name : ""));
    if (!*stripped) {
        set_msg(message, g_strdup(_("Give the virtual machine a name.")));
        return HAKO_VALUE_INVALID;
    }
    if (!g_utf8_validate(stripped, -1, NULL) || g_utf8_strlen(stripped, -1) > 100) {
        set_msg(message, g_strdup(_("At most 100 characters.")));
        return HAKO_VALUE_INVALID;
    }
    for (const char *p = stripped; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '/' || g_unichar_iscntrl(c)) {
            set_msg(message, g_strdup(_("A name cannot contain “/” or control characters.")));
            return HAKO_VALUE_INVALID;
        }
    }
    if (name_taken(stripped, taken)) {
        set_msg(message, g_strdup(_("Another virtual machine has this name.")));
        return HAKO_VALUE_INVALID;
    }
    return HAKO_VALUE_OK;
}

char *hako_unique_name(const char *base, const char *const *taken)
{
    if (!name_taken(base, taken))
        return g_strdup(base);
    for (guint i = 2; i < 10000; i++) {
        char *n = g_strdup_printf("%s %u", base, i);
        if (!name_taken(n, taken))
            return n;
        g_free(n);
    }
    return g_strdup(base);
}

/* The length of the run at s: digits, or everything up to the next digit. */
static gsize run_length(const char *s)
{
    gboolean digits = g_ascii_isdigit(*s);
    const char *p = s;
    while (*p && (g_ascii_isdigit(*p) != 0) == digits)
        p++;
    return (gsize)(p - s);
}

int hako_natural_compare(const char *a, const char *b)
{
    while (*a && *b) {
        gsize la = run_length(a), lb = run_length(b);
        if (g_ascii_isdigit(*a) && g_ascii_isdigit(*b)) {
            /* numbers by value: skip leading zeros, then the longer is larger */
            const char *x = a, *y = b;
            gsize nx = la, ny = lb;
            while (nx > 1 && *x == '0')
                x++, nx--;
            while (ny > 1 && *y == '0')
                y++, ny--;
            if (nx != ny)
                return nx < ny ? -1 : 1;
            int c = strncmp(x, y, nx);
            if (c)
                return c < 0 ? -1 : 1;
        } else {
            /* text by the locale's collation, case-insensitively (a number sorts first) */
            g_autofree char *x = g_utf8_casefold(a, g_ascii_isdigit(*a) ? 0 : (gssize)la);
            g_autofree char *y = g_utf8_casefold(b, g_ascii_isdigit(*b) ? 0 : (gssize)lb);
            int c = g_utf8_collate(x, y);
            if (c)
                return c < 0 ? -1 : 1;
        }
        a += la;
        b += lb;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int compare_os(gconstpointer a, gconstpointer b)
{
    OsinfoProduct *x = *(OsinfoProduct *const *)a, *y = *(OsinfoProduct *const *)b;
    int c = hako_natural_compare(osinfo_product_get_name(x), osinfo_product_get_name(y));
    if (c)
        return c;
    /* the same name twice (libosinfo has a few): keep them in a stable order */
    return g_strcmp0(osinfo_entity_get_id(OSINFO_ENTITY(x)),
                     osinfo_entity_get_id(OSINFO_ENTITY(y)));
}

GPtrArray *hako_os_list_sorted(void)
{
    g_autoptr(OsinfoOsList) list = osinfo_db_get_os_list(hako_osinfo_db());
    GPtrArray *oses = g_ptr_array_new_with_free_func(g_object_unref);
    gint n = osinfo_list_get_length(OSINFO_LIST(list));
    for (gint i = 0; i < n; i++) {
        OsinfoEntity *e = osinfo_list_get_nth(OSINFO_LIST(list), i);
        const char *name = osinfo_product_get_name(OSINFO_PRODUCT(e));
        if (name && g_utf8_validate(name, -1, NULL))
            g_ptr_array_add(oses, g_object_ref(e));
    }
    g_ptr_array_sort(oses, compare_os);
    return oses;
}

gint hako_os_list_find(GPtrArray *oses, const char *os_id)
{
    if (!os_id)
        return -1;
    for (guint i = 0; i < oses->len; i++)
        if (g_strcmp0(osinfo_entity_get_id(oses->pdata[i]), os_id) == 0)
            return (gint)i;
    return -1;
}

/* ---- HakoProposal ---- */

struct _HakoProposal {
    GObject parent_instance;
    char *name;
    OsinfoOs *os;
    guint64 memory_mib;
    char *memory_reason;
    guint cpus;
    guint64 disk_gib;
    HakoFirmwareKind firmware;
    HakoFirmware *ovmf;
    gboolean choice;
    char *firmware_note;
    char *blocker;
    HakoHostLimits limits;
};

G_DEFINE_FINAL_TYPE(HakoProposal, hako_proposal, G_TYPE_OBJECT)

static void hako_proposal_finalize(GObject *object)
{
    HakoProposal *self = HAKO_PROPOSAL(object);
    g_free(self->name);
    g_clear_object(&self->os);
    g_free(self->memory_reason);
    g_clear_object(&self->ovmf);
    g_free(self->firmware_note);
    g_free(self->blocker);
    G_OBJECT_CLASS(hako_proposal_parent_class)->finalize(object);
}

static void hako_proposal_class_init(HakoProposalClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = hako_proposal_finalize;
}

static void hako_proposal_init(HakoProposal *self)
{
    (void)self;
}

/* The x86_64 (or "all") entry of a resources list: ram (bytes), cpus, storage (bytes). */
static gboolean pick_resources(OsinfoResourcesList *list, gint64 *ram, gint *cpus, gint64 *storage)
{
    OsinfoResources *best = NULL;
    gint n = osinfo_list_get_length(OSINFO_LIST(list));
    for (gint i = 0; i < n; i++) {
        OsinfoResources *r = OSINFO_RESOURCES(osinfo_list_get_nth(OSINFO_LIST(list), i));
        const char *arch = osinfo_resources_get_architecture(r);
        if (g_strcmp0(arch, "x86_64") == 0) {
            best = r;
            break;
        }
        if (!best && (!arch || g_str_equal(arch, "all")))
            best = r;
    }
    if (!best)
        return FALSE;
    *ram = osinfo_resources_get_ram(best);
    *cpus = osinfo_resources_get_n_cpus(best);
    *storage = osinfo_resources_get_storage(best);
    return TRUE;
}

void hako_disc_guess(guint64 bytes, gboolean bios, gboolean uefi, const char *disk_info,
                     HakoDiscGuess *out)
{
    /* Sizes of real discs: GRUB rescue, memtest86+ and network boot menus (iPXE, netboot.xyz) are
     * a few MB; rescue systems and small installers (Alpine ~200 MB, Debian netinst ~630 MB, Arch
     * ~1 GB) need 1-2 GiB; desktop live/installer DVDs (Ubuntu, Fedora Workstation, Mint,
     * openSUSE DVD: 2.5-6 GB) want 4 GiB. A tiny disc may still start an installer from the
     * network, so it keeps the 1 GiB every live or installer disc gets. */
    g_autofree char *info = disk_info ? g_ascii_strdown(disk_info, -1) : NULL;
    if (info && strstr(info, "netinst"))
        *out = (HakoDiscGuess){HAKO_DISC_NETINST, 2048, 2, 20};
    else if (bytes >= 2500000000ull || (uefi && !bios && bytes >= 700000000ull))
        *out = (HakoDiscGuess){HAKO_DISC_DESKTOP, 4096, 2, 40};
    else if (bytes >= 700000000ull)
        *out = (HakoDiscGuess){HAKO_DISC_INSTALLER, 2048, 2, 25};
    else if (bytes >= 64000000ull)
        *out = (HakoDiscGuess){HAKO_DISC_SMALL, 1024, 1, 10};
    else
        *out = (HakoDiscGuess){HAKO_DISC_TOOL, 1024, 1, 10};
}

static const char *disc_kind_words(HakoDiscKind kind)
{
    switch (kind) {
    case HAKO_DISC_TOOL: return _("a small tool disc (boot loader, rescue or memory test)");
    case HAKO_DISC_SMALL: return _("a small installer or rescue system");
    case HAKO_DISC_NETINST: return _("a network installer");
    case HAKO_DISC_INSTALLER: return _("an installer or live system");
    case HAKO_DISC_DESKTOP: return _("a desktop system’s live or installer DVD");
    }
    return "";
}

/* A disc libosinfo does not know: what the disc itself says. */
static void propose_from_disc(HakoProposal *self, HakoMedia *media)
{
    const HakoIsoInfo *in = hako_media_get_iso_info(media);
    HakoDiscGuess g;
    hako_disc_guess(in->file_bytes, hako_media_boots_bios(media), hako_media_boots_uefi(media),
                    hako_media_get_disk_info(media), &g);
    g_autofree char *size = hako_format_size(in->file_bytes, G_FORMAT_SIZE_DEFAULT);
    GString *reason = g_string_new(NULL);
    /* Translators: "guessed from the disc: a network installer, 631.0 MB" */
    g_string_printf(reason, _("guessed from the disc: %s, %s"), disc_kind_words(g.kind), size);
    guint64 mib = g.memory_mib;
    if (mib < LIVE_FLOOR_MIB) {
        mib = LIVE_FLOOR_MIB;
        g_string_append(reason, _(", raised to 1 GiB for a live or installer disc"));
    }
    guint64 spare = hako_host_limits_spare_memory_mib(&self->limits);
    if (mib > spare) {
        mib = spare;
        g_string_append(reason, _(", limited to what this computer can spare"));
    }
    self->memory_mib = mib;
    self->memory_reason = g_string_free(reason, FALSE);
    self->cpus = MIN(g.cpus, hako_host_limits_max_cpus(&self->limits));
    self->disk_gib = CLAMP(g.disk_gib, HAKO_MIN_DISK_GIB, HAKO_MAX_DISK_GIB);
}

static void propose_resources(HakoProposal *self, gboolean live_or_installer)
{
    gint64 rram = -1, mram = -1, rst = -1, mst = -1;
    gint rcpu = -1, mcpu = -1;
    if (self->os) {
        g_autoptr(OsinfoResourcesList) rec = osinfo_os_get_recommended_resources(self->os);
        g_autoptr(OsinfoResourcesList) min = osinfo_os_get_minimum_resources(self->os);
        if (rec)
            pick_resources(rec, &rram, &rcpu, &rst);
        if (min)
            pick_resources(min, &mram, &mcpu, &mst);
    }
    const char *os_name = self->os ? osinfo_product_get_name(OSINFO_PRODUCT(self->os)) : NULL;
    guint64 mib;
    GString *reason = g_string_new(NULL);
    if (rram > 0) {
        mib = (guint64)rram / HAKO_MIB;
        g_string_printf(reason, _("recommended for %s"), os_name);
    } else if (mram > 0) {
        mib = (guint64)mram / HAKO_MIB * 2;
        g_string_printf(reason, _("twice the minimum for %s"), os_name);
    } else if (os_name) {
        mib = DEFAULT_MEMORY_MIB;
        g_string_printf(reason, _("default: no requirement known for %s"), os_name);
    } else {
        mib = DEFAULT_MEMORY_MIB;
        g_string_assign(reason, _("default for an unknown system"));
    }
    if (live_or_installer && mib < LIVE_FLOOR_MIB) {
        mib = LIVE_FLOOR_MIB;
        g_string_append(reason, _(", raised to 1 GiB for a live or installer disc"));
    }
    guint64 spare = hako_host_limits_spare_memory_mib(&self->limits);
    if (mib > spare) {
        mib = spare;
        g_string_append(reason, _(", limited to what this computer can spare"));
    }
    self->memory_mib = mib;
    self->memory_reason = g_string_free(reason, FALSE);

    guint cpus = rcpu > 0 ? (guint)rcpu : mcpu > 0 ? (guint)mcpu * 2 : DEFAULT_CPUS;
    self->cpus = MIN(cpus, hako_host_limits_max_cpus(&self->limits));

    guint64 disk = rst > 0   ? ((guint64)rst + HAKO_GIB - 1) / HAKO_GIB
                   : mst > 0 ? ((guint64)mst + HAKO_GIB - 1) / HAKO_GIB * 2
                             : DEFAULT_DISK_GIB;
    self->disk_gib = CLAMP(disk, HAKO_MIN_DISK_GIB, HAKO_MAX_DISK_GIB);
}

static void propose_firmware(HakoProposal *self, HakoMedia *media, GListModel *firmware)
{
    HakoFirmware *bios =
        firmware ? hako_firmware_list_find_default(firmware, HAKO_FIRMWARE_BIOS) : NULL;
    HakoFirmware *ovmf =
        firmware ? hako_firmware_list_find_default(firmware, HAKO_FIRMWARE_UEFI) : NULL;
    if (ovmf)
        self->ovmf = g_object_ref(ovmf);
    gboolean disc_bios = media ? hako_media_boots_bios(media) : TRUE;
    gboolean disc_uefi = media ? hako_media_boots_uefi(media) : FALSE;
    gboolean bios_ok = disc_bios && bios;
    gboolean uefi_ok = disc_uefi && ovmf;

    if (uefi_ok && bios_ok && self->limits.uefi_unreliable) {
        self->firmware = HAKO_FIRMWARE_BIOS;
        self->choice = TRUE;
        self->firmware_note =
            g_strdup(_("This disc starts with BIOS or UEFI firmware. BIOS is proposed because "
                       "this computer’s paravirtual KVM cannot run UEFI firmware reliably."));
    } else if (uefi_ok && bios_ok) {
        self->firmware = HAKO_FIRMWARE_UEFI;
        self->choice = TRUE;
        self->firmware_note = g_strdup(
            _("This disc starts with BIOS or UEFI firmware. UEFI is what current PCs use and what "
              "the installed system will expect; BIOS (SeaBIOS) starts faster and suits older "
              "systems. The installed system may not start if you switch later."));
    } else if (uefi_ok) {
        self->firmware = HAKO_FIRMWARE_UEFI;
        self->firmware_note =
            disc_bios ? g_strdup(_("This disc also has a BIOS boot entry, but SeaBIOS is not "
                                   "installed."))
                      : g_strdup(_("This disc starts only with UEFI firmware."));
    } else if (bios_ok) {
        self->firmware = HAKO_FIRMWARE_BIOS;
        self->firmware_note =
            disc_uefi ? g_strdup(_("This disc could also start with UEFI firmware, but no usable "
                                   "OVMF is installed."))
                      : g_strdup(_("This disc starts only with BIOS firmware."));
    } else if (disc_uefi) {
        g_autofree char *hint = hako_firmware_install_hint(HAKO_FIRMWARE_UEFI);
        self->firmware = HAKO_FIRMWARE_UEFI;
        self->firmware_note = g_strdup(_("This disc starts only with UEFI firmware."));
        self->blocker = g_strdup_printf(
            _("This disc needs UEFI firmware, and no usable OVMF is installed:\n%s"), hint);
    } else {
        g_autofree char *hint = hako_firmware_install_hint(HAKO_FIRMWARE_BIOS);
        self->firmware = HAKO_FIRMWARE_BIOS;
        self->firmware_note = g_strdup(_("This disc starts only with BIOS firmware."));
        self->blocker = g_strdup_printf(
            _("This disc needs BIOS firmware, and SeaBIOS is not installed:\n%s"), hint);
    }
}

HakoProposal *hako_proposal_new(HakoMedia *media, OsinfoOs *os, const HakoHostLimits *limits,
                                GListModel *firmware, const char *const *taken)
{
    HakoProposal *self = g_object_new(HAKO_TYPE_PROPOSAL, NULL);
    self->limits = *limits;
    if (!os && media)
        os = hako_media_get_os(media);
    if (os)
        self->os = g_object_ref(os);
    g_autofree char *base = NULL;
    if (os && (!media || os != hako_media_get_os(media)))
        base = g_strdup(osinfo_product_get_name(OSINFO_PRODUCT(os)));
    else if (media)
        base = hako_media_dup_suggested_name(media);
    else
        base = g_strdup(_("New Virtual Machine"));
    self->name = hako_unique_name(base, taken);
    if (!self->os && media)
        propose_from_disc(self, media);
    else
        propose_resources(self, media ? hako_media_is_live_or_installer(media) : TRUE);
    propose_firmware(self, media, firmware);
    return self;
}

const char *hako_proposal_get_name(HakoProposal *self)
{
    return self->name;
}

OsinfoOs *hako_proposal_get_os(HakoProposal *self)
{
    return self->os;
}

guint64 hako_proposal_get_memory_mib(HakoProposal *self)
{
    return self->memory_mib;
}

const char *hako_proposal_get_memory_reason(HakoProposal *self)
{
    return self->memory_reason;
}

guint hako_proposal_get_cpus(HakoProposal *self)
{
    return self->cpus;
}

guint64 hako_proposal_get_disk_gib(HakoProposal *self)
{
    return self->disk_gib;
}

HakoFirmwareKind hako_proposal_get_firmware(HakoProposal *self)
{
    return self->firmware;
}

HakoFirmware *hako_proposal_get_ovmf(HakoProposal *self)
{
    return self->ovmf;
}

gboolean hako_proposal_offers_firmware_choice(HakoProposal *self)
{
    return self->choice;
}

const char *hako_proposal_get_firmware_note(HakoProposal *self)
{
    return self->firmware_note;
}

const char *hako_proposal_get_blocker(HakoProposal *self)
{
    return self->blocker;
}

const HakoHostLimits *hako_proposal_get_limits(HakoProposal *self)
{
    return &self->limits;
}
