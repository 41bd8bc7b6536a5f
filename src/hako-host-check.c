/*
 * HakoHostCheck: host readiness (see hako-host-check.h).
 */
#include "hako-host-check.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <glib/gi18n.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "hako-firmware.h"
#include "hako-format.h"
#include "hako-kvm-probe.h"
#include "hako/passt.h"

/* Hardware-assisted KVM runs this loop at roughly the host's speed. */
#define HARDWARE_IPS 1e9
#define SLOW_IPS     1e8

G_DEFINE_BOXED_TYPE(HakoCheckItem, hako_check_item, hako_check_item_copy, hako_check_item_free)

HakoCheckItem *hako_check_item_copy(const HakoCheckItem *item)
{
    HakoCheckItem *c = g_new0(HakoCheckItem, 1);
    c->id = g_strdup(item->id);
    c->status = item->status;
    c->title = g_strdup(item->title);
    c->summary = g_strdup(item->summary);
    c->explanation = g_strdup(item->explanation);
    c->fix = g_strdup(item->fix);
    return c;
}

void hako_check_item_free(HakoCheckItem *item)
{
    if (!item)
        return;
    g_free(item->id);
    g_free(item->title);
    g_free(item->summary);
    g_free(item->explanation);
    g_free(item->fix);
    g_free(item);
}

struct _HakoHostCheck {
    GObject parent_instance;
    char *root;
    gboolean real; /* root is "/" */
    gboolean measure_speed;
    gboolean has_run;
    HakoHostFacts facts;
    GPtrArray *items;
    HakoKvmCause cause;
};

G_DEFINE_FINAL_TYPE(HakoHostCheck, hako_host_check, G_TYPE_OBJECT)

static void hako_host_check_finalize(GObject *object)
{
    HakoHostCheck *self = HAKO_HOST_CHECK(object);
    g_free(self->root);
    g_clear_object(&self->facts.firmware);
    g_ptr_array_unref(self->items);
    G_OBJECT_CLASS(hako_host_check_parent_class)->finalize(object);
}

static void hako_host_check_class_init(HakoHostCheckClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = hako_host_check_finalize;
}

static void hako_host_check_init(HakoHostCheck *self)
{
    self->items = g_ptr_array_new_with_free_func((GDestroyNotify)hako_check_item_free);
    self->facts.api_version = -1;
    self->facts.misc_minor = -1;
    self->cause = HAKO_KVM_UNKNOWN;
}

HakoHostCheck *hako_host_check_new(const char *root)
{
    HakoHostCheck *self = g_object_new(HAKO_TYPE_HOST_CHECK, NULL);
    self->real = !root || !*root || g_str_equal(root, "/");
    self->root = g_strdup(self->real ? "/" : root);
    self->measure_speed = self->real;
    return self;
}

const char *hako_host_check_get_root(HakoHostCheck *self)
{
    return self->root;
}

void hako_host_check_set_measure_speed(HakoHostCheck *self, gboolean measure)
{
    self->measure_speed = measure;
}

HakoHostFacts *hako_host_check_get_facts(HakoHostCheck *self)
{
    return &self->facts;
}

GPtrArray *hako_host_check_get_items(HakoHostCheck *self)
{
    return self->items;
}

gboolean hako_host_check_has_run(HakoHostCheck *self)
{
    return self->has_run;
}

/* ---- gathering ---- */

static char *path_in(const char *root, const char *path)
{
    if (!root || g_str_equal(root, "/"))
        return g_strdup(path);
    return g_build_filename(root, path, NULL);
}

static char *read_small(const char *root, const char *path)
{
    g_autofree char *p = path_in(root, path);
    char *s = NULL;
    if (!g_file_get_contents(p, &s, NULL, NULL))
        return NULL;
    return s;
}

static gboolean exists_in(const char *root, const char *path)
{
    g_autofree char *p = path_in(root, path);
    return g_file_test(p, G_FILE_TEST_EXISTS);
}

static void gather_cpuinfo(HakoHostCheck *self)
{
    HakoHostFacts *f = &self->facts;
    g_autofree char *s = read_small(self->root, "/proc/cpuinfo");
    if (!s)
        return;
    f->cpuinfo_read = TRUE;
    gboolean flags_done = FALSE;
    guint processors = 0;
    g_auto(GStrv) lines = g_strsplit(s, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *colon = strchr(*l, ':');
        if (!colon)
            continue;
        g_autofree char *key = g_strstrip(g_strndup(*l, (gsize)(colon - *l)));
        const char *val = colon + 1;
        if (g_str_equal(key, "processor"))
            processors++;
        else if (g_str_equal(key, "model name") && !f->model_name[0]) {
            g_autofree char *v = g_strstrip(g_strdup(val));
            g_strlcpy(f->model_name, v, sizeof(f->model_name));
        } else if (g_str_equal(key, "flags") && !flags_done) {
            flags_done = TRUE;
            g_auto(GStrv) flags = g_strsplit_set(val, " \t", -1);
            for (char **x = flags; *x; x++) {
                if (g_str_equal(*x, "vmx"))
                    f->flag_vmx = TRUE;
                else if (g_str_equal(*x, "svm"))
                    f->flag_svm = TRUE;
                else if (g_str_equal(*x, "hypervisor"))
                    f->flag_hypervisor = TRUE;
            }
        }
    }
    if (!f->n_cpus)
        f->n_cpus = processors;
}

static void gather_cpuid(HakoHostFacts *f)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (__get_cpuid(0, &a, &b, &c, &d)) {
        memcpy(f->cpu_vendor, &b, 4);
        memcpy(f->cpu_vendor + 4, &d, 4);
        memcpy(f->cpu_vendor + 8, &c, 4);
        f->cpu_vendor[12] = 0;
    }
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        f->cpuid_vmx = (c >> 5) & 1;
        f->cpuid_hypervisor = (c >> 31) & 1;
    }
    if (__get_cpuid(0x80000001, &a, &b, &c, &d))
        f->cpuid_svm = (c >> 2) & 1;
    if (f->cpuid_hypervisor) {
        __cpuid(0x40000000, a, b, c, d);
        memcpy(f->hv_vendor, &b, 4);
        memcpy(f->hv_vendor + 4, &c, 4);
        memcpy(f->hv_vendor + 8, &d, 4);
        f->hv_vendor[12] = 0;
        for (int i = 0; i < 12; i++)
            if (f->hv_vendor[i] && !g_ascii_isprint(f->hv_vendor[i]))
                f->hv_vendor[i] = '?';
    }
#else
    (void)f;
#endif
}

static HakoKconfig kconfig_value(const char *line, const char *name)
{
    gsize n = strlen(name);
    if (g_str_has_prefix(line, name) && line[n] == '=')
        return line[n + 1] == 'y' ? 'y' : line[n + 1] == 'm' ? 'm' : 'n';
    if (g_str_has_prefix(line, "# ") && g_str_has_prefix(line + 2, name) &&
        g_str_has_prefix(line + 2 + n, " is not set"))
        return 'n';
    return 0;
}

static void parse_kconfig_line(HakoHostFacts *f, const char *line)
{
    HakoKconfig v;
    if ((v = kconfig_value(line, "CONFIG_KVM")))
        f->cfg_kvm = v;
    else if ((v = kconfig_value(line, "CONFIG_KVM_INTEL")))
        f->cfg_kvm_intel = v;
    else if ((v = kconfig_value(line, "CONFIG_KVM_AMD")))
        f->cfg_kvm_amd = v;
    else if ((v = kconfig_value(line, "CONFIG_KVM_PVM")))
        f->cfg_kvm_pvm = v;
}

static gboolean read_kconfig(HakoHostFacts *f, const char *path, gboolean gz)
{
    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GInputStream) raw = G_INPUT_STREAM(g_file_read(file, NULL, NULL));
    if (!raw)
        return FALSE;
    g_autoptr(GInputStream) in = NULL;
    if (gz) {
        g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
        in = g_converter_input_stream_new(raw, G_CONVERTER(z));
    } else {
        in = g_object_ref(raw);
    }
    g_autoptr(GDataInputStream) data = g_data_input_stream_new(in);
    gboolean any = FALSE;
    for (int n = 0; n < 100000; n++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *line = g_data_input_stream_read_line_utf8(data, NULL, NULL, &err);
        if (!line)
            break;
        any = TRUE;
        if (g_str_has_prefix(line, "CONFIG_KVM") || g_str_has_prefix(line, "# CONFIG_KVM"))
            parse_kconfig_line(f, line);
    }
    if (any && !f->cfg_kvm)
        f->cfg_kvm = 'n'; /* a readable configuration without the line: not set */
    return any;
}

/* /sys/module/NAME is there for a loaded module, and for a built-in one with parameters whether
 * or not it started; only a loadable module has initstate ("live", "coming", "going"). */
static gboolean module_present(const char *root, const char *name, gboolean *builtin)
{
    g_autofree char *dir = g_strdup_printf("/sys/module/%s", name);
    *builtin = FALSE;
    if (!exists_in(root, dir))
        return FALSE;
    g_autofree char *state_path = g_strdup_printf("%s/initstate", dir);
    g_autofree char *state = read_small(root, state_path);
    if (!state) {
        *builtin = TRUE;
        return TRUE;
    }
    return !g_str_has_prefix(state, "going");
}

/* KVM's misc device: "232 kvm" in /proc/misc, /sys/class/misc/kvm/dev "10:232". */
static void gather_misc(HakoHostCheck *self)
{
    HakoHostFacts *f = &self->facts;
    f->misc_minor = -1;
    g_autofree char *misc = read_small(self->root, "/proc/misc");
    if (misc) {
        f->proc_misc_read = TRUE;
        g_auto(GStrv) lines = g_strsplit(misc, "\n", -1);
        for (char **l = lines; *l; l++) {
            unsigned minor;
            char name[64];
            if (sscanf(*l, " %u %63s", &minor, name) == 2 && g_str_equal(name, "kvm")) {
                f->misc_kvm = TRUE;
                f->misc_minor = (int)minor;
            }
        }
    }
    f->sys_misc_read = exists_in(self->root, "/sys/class/misc");
    f->sys_misc_kvm = exists_in(self->root, "/sys/class/misc/kvm");
    g_autofree char *dev = read_small(self->root, "/sys/class/misc/kvm/dev");
    unsigned major, minor;
    if (dev && sscanf(dev, "%u:%u", &major, &minor) == 2 && major == 10 && f->misc_minor < 0)
        f->misc_minor = (int)minor;
}

static gboolean contains_ci(const char *haystack, const char *needle)
{
    g_autofree char *h = g_ascii_strdown(haystack, -1);
    return strstr(h, needle) != NULL;
}

/* One kernel log line: what it says about KVM. */
static HakoKmsgHint classify_kmsg(const char *msg)
{
    static const char *const firmware_off[] = {
        "disabled by bios",   /* "kvm: disabled by bios" (before 6.2), "support for 'kvm_intel'
                                 disabled by bios" */
        "enabled (by bios)",  /* "VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU 0" */
        "disabled (by bios)", /* "SVM disabled (by BIOS) in MSR_VM_CR on CPU 0" */
        "not fully enabled",  /* "VMX not fully enabled on CPU 0.  Check kernel logs and/or BIOS" */
    };
    static const char *const no_hardware[] = {
        "no hardware support",  /* "kvm: no hardware support", "... for 'kvm_amd'" */
        "not supported by cpu", /* "VMX not supported by CPU 0", "SVM not supported by CPU 0" */
        "doesn't support vmx",  /* "CPU doesn't support VMX" */
        "doesn't support svm",  /* "CPU doesn't support SVM" */
        "isn't amd or hygon",   /* "kvm_amd: ... isn't AMD or Hygon" */
        "unsupported when running as an sev guest",
    };
    gboolean kvm = contains_ci(msg, "kvm") || contains_ci(msg, "vmx") || contains_ci(msg, "svm");
    if (!kvm)
        return HAKO_KMSG_NONE;
    for (gsize i = 0; i < G_N_ELEMENTS(firmware_off); i++)
        if (contains_ci(msg, firmware_off[i]))
            return HAKO_KMSG_FIRMWARE_OFF;
    for (gsize i = 0; i < G_N_ELEMENTS(no_hardware); i++)
        if (contains_ci(msg, no_hardware[i]))
            return HAKO_KMSG_NO_HARDWARE;
    /* other lines from KVM's drivers ("kvm_intel: ...", "kvm: ...") */
    if (g_str_has_prefix(msg, "kvm") || strstr(msg, " kvm") || strstr(msg, "kvm_"))
        return HAKO_KMSG_OTHER;
    return HAKO_KMSG_NONE;
}

/* The message of a log line: after "pri,seq,usec,flags;" (/dev/kmsg), after "kernel: " and a
 * "[  1.234567] " stamp (syslog files); NULL for /dev/kmsg's continuation lines. */
static const char *kmsg_message(const char *line)
{
    if (line[0] == ' ')
        return NULL;
    const char *semi = strchr(line, ';');
    if (semi && g_ascii_isdigit(line[0])) {
        const char *p = line;
        while (p < semi && (g_ascii_isdigit(*p) || *p == ',' || *p == '-' || g_ascii_isalpha(*p)))
            p++;
        if (p == semi)
            return semi + 1;
    }
    const char *k = strstr(line, "kernel: ");
    if (k)
        line = k + 8;
    if (line[0] == '[') {
        const char *end = strchr(line, ']');
        if (end)
            line = end + 1;
    }
    while (*line == ' ')
        line++;
    return line;
}

static void note_kmsg_line(HakoHostFacts *f, const char *line)
{
    const char *msg = kmsg_message(line);
    if (!msg)
        return;
    HakoKmsgHint h = classify_kmsg(msg);
    if (h == HAKO_KMSG_NONE)
        return;
    /* a line that names the cause wins over other KVM lines; a later line over an earlier one */
    if (h == HAKO_KMSG_OTHER && f->kmsg_hint != HAKO_KMSG_NONE && f->kmsg_hint != HAKO_KMSG_OTHER)
        return;
    f->kmsg_hint = h;
    g_strlcpy(f->kmsg_line, msg, sizeof(f->kmsg_line));
    g_strchomp(f->kmsg_line);
}

/* /dev/kmsg gives one record per read() and EAGAIN at the end (O_NONBLOCK); a file (a fake root,
 * a syslog file) gives lines. At most 4 MiB are read. */
static gboolean read_log(HakoHostFacts *f, const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return FALSE;
    GString *pending = g_string_new(NULL);
    char buf[8192];
    gsize total = 0;
    gboolean any = FALSE;
    while (total < (4u << 20)) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EPIPE)
            continue; /* /dev/kmsg: a record was overwritten while reading */
        if (n <= 0)
            break;
        any = TRUE;
        total += (gsize)n;
        g_string_append_len(pending, buf, n);
        char *nl;
        while ((nl = memchr(pending->str, '\n', pending->len))) {
            *nl = 0;
            note_kmsg_line(f, pending->str);
            g_string_erase(pending, 0, (gssize)(nl - pending->str) + 1);
        }
    }
    if (pending->len)
        note_kmsg_line(f, pending->str);
    g_string_free(pending, TRUE);
    close(fd);
    return any;
}

static void gather_kmsg(HakoHostCheck *self)
{
    HakoHostFacts *f = &self->facts;
    static const char *const sources[] = {"/dev/kmsg", "/var/log/kern.log", "/var/log/dmesg"};
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        g_autofree char *p = path_in(self->root, sources[i]);
        if (read_log(f, p)) {
            f->kmsg_read = TRUE;
            g_strlcpy(f->kmsg_source, sources[i], sizeof(f->kmsg_source));
            return;
        }
    }
}

static void gather_kernel(HakoHostCheck *self)
{
    HakoHostFacts *f = &self->facts;
    g_autofree char *rel = read_small(self->root, "/proc/sys/kernel/osrelease");
    if (rel)
        g_strlcpy(f->kernel_release, g_strstrip(rel), sizeof(f->kernel_release));
    else if (self->real) {
        struct utsname u;
        if (uname(&u) == 0)
            g_strlcpy(f->kernel_release, u.release, sizeof(f->kernel_release));
    }
    f->mod_kvm = exists_in(self->root, "/sys/module/kvm");
    f->mod_kvm_intel = module_present(self->root, "kvm_intel", &f->kvm_intel_builtin);
    f->mod_kvm_amd = module_present(self->root, "kvm_amd", &f->kvm_amd_builtin);
    f->mod_kvm_pvm = module_present(self->root, "kvm_pvm", &f->kvm_pvm_builtin);
    const char *nested_param = f->mod_kvm_intel ? "/sys/module/kvm_intel/parameters/nested"
                               : f->mod_kvm_amd ? "/sys/module/kvm_amd/parameters/nested"
                                                : NULL;
    if (nested_param) {
        g_autofree char *n = read_small(self->root, nested_param);
        if (n)
            g_strlcpy(f->nested, g_strstrip(n), sizeof(f->nested));
    }
    g_autofree char *gz = path_in(self->root, "/proc/config.gz");
    if (read_kconfig(f, gz, TRUE)) {
        g_strlcpy(f->config_source, "/proc/config.gz", sizeof(f->config_source));
    } else if (f->kernel_release[0]) {
        g_autofree char *boot = g_strdup_printf("/boot/config-%s", f->kernel_release);
        g_autofree char *p = path_in(self->root, boot);
        if (read_kconfig(f, p, FALSE))
            g_strlcpy(f->config_source, boot, sizeof(f->config_source));
    }
}

static gboolean user_in_process_groups(gid_t gid)
{
    if (getegid() == gid || getgid() == gid)
        return TRUE;
    int n = getgroups(0, NULL);
    if (n <= 0)
        return FALSE;
    g_autofree gid_t *groups = g_new(gid_t, n);
    n = getgroups(n, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == gid)
            return TRUE;
    return FALSE;
}

static gboolean user_in_group_db(const char *user, gid_t gid)
{
    struct passwd *pw = getpwnam(user);
    if (!pw)
        return FALSE;
    if (pw->pw_gid == gid)
        return TRUE;
    int n = 64;
    g_autofree gid_t *groups = g_new(gid_t, n);
    if (getgrouplist(user, pw->pw_gid, groups, &n) < 0) {
        g_free(groups);
        groups = g_new(gid_t, n);
        if (getgrouplist(user, pw->pw_gid, groups, &n) < 0)
            return FALSE;
    }
    for (int i = 0; i < n; i++)
        if (groups[i] == gid)
            return TRUE;
    return FALSE;
}

static void gather_dev_kvm(HakoHostCheck *self, int *fd_out)
{
    HakoHostFacts *f = &self->facts;
    g_autofree char *p = path_in(self->root, "/dev/kvm");
    g_strlcpy(f->user, g_get_user_name(), sizeof(f->user));
    f->kvm_group_exists = getgrnam("kvm") != NULL;
    struct stat st;
    *fd_out = -1;
    if (stat(p, &st) < 0) {
        f->dev_exists = FALSE;
        return;
    }
    f->dev_exists = TRUE;
    f->dev_is_chr = S_ISCHR(st.st_mode);
    f->dev_mode = st.st_mode & 07777;
    f->dev_uid = st.st_uid;
    f->dev_gid = st.st_gid;
    struct group *gr = getgrgid(st.st_gid);
    if (gr)
        g_strlcpy(f->dev_group, gr->gr_name, sizeof(f->dev_group));
    else
        g_snprintf(f->dev_group, sizeof(f->dev_group), "%u", (unsigned)st.st_gid);
    f->user_in_group_db = user_in_group_db(f->user, st.st_gid);
    f->user_in_session = user_in_process_groups(st.st_gid);
    int fd = open(p, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        f->dev_open_errno = errno;
        return;
    }
    f->dev_open_errno = 0;
    if (self->real && f->dev_is_chr)
        *fd_out = fd;
    else
        close(fd);
}

static void gather_api(HakoHostCheck *self, int fd)
{
    HakoHostFacts *f = &self->facts;
    f->api_version = hako_kvm_probe_api_version(fd);
    g_autofree char *missing = hako_kvm_probe_missing_caps(fd);
    g_strlcpy(f->missing_caps, missing, sizeof(f->missing_caps));
    if (!self->measure_speed)
        return;
    char *reason = NULL;
    double ips = 0;
    if (hako_kvm_probe_cpl0_speed(fd, 0.05, &ips, &reason)) {
        f->speed_measured = TRUE;
        f->guest_ips = ips;
    } else {
        g_strlcpy(f->speed_error, reason ? reason : "", sizeof(f->speed_error));
        g_free(reason);
    }
}

void hako_host_read_resources(const char *root, guint64 *mem_total, guint64 *mem_available,
                              guint *n_cpus)
{
    gboolean real = !root || g_str_equal(root, "/");
    g_autofree char *mi = read_small(root, "/proc/meminfo");
    guint64 total = 0, avail = 0;
    if (mi) {
        g_auto(GStrv) lines = g_strsplit(mi, "\n", -1);
        for (char **l = lines; *l; l++) {
            unsigned long long kb;
            if (sscanf(*l, "MemTotal: %llu kB", &kb) == 1)
                total = kb * 1024;
            else if (sscanf(*l, "MemAvailable: %llu kB", &kb) == 1)
                avail = kb * 1024;
        }
    }
    if (mem_total)
        *mem_total = total;
    if (mem_available)
        *mem_available = avail ? avail : total;
    if (n_cpus) {
        guint n = 0;
        g_autofree char *online = read_small(root, "/sys/devices/system/cpu/online");
        if (online) {
            /* "0-3,6,8-9" */
            g_auto(GStrv) parts = g_strsplit(g_strstrip(online), ",", -1);
            for (char **p = parts; *p; p++) {
                unsigned a, b;
                if (sscanf(*p, "%u-%u", &a, &b) == 2 && b >= a && b - a < 65536)
                    n += b - a + 1;
                else if (sscanf(*p, "%u", &a) == 1)
                    n++;
            }
        }
        if (real)
            n = (guint)g_get_num_processors(); /* honours the affinity mask */
        *n_cpus = n ? n : 1;
    }
}

/* passt: on this system started once and asked for an address (a few hundred ms); under a
 * fake root only looked for. */
static void gather_passt(HakoHostCheck *self)
{
    HakoHostFacts *f = &self->facts;
    if (self->real) {
        struct hk_passt_probe p;
        hk_passt_probe_run(NULL, 3000, &p);
        f->passt_probed = TRUE;
        f->passt_found = p.found;
        f->passt_started = p.started;
        f->passt_answered = p.answered;
        f->passt_address = p.address;
        g_strlcpy(f->passt_path, p.path, sizeof(f->passt_path));
        g_strlcpy(f->passt_version, p.version, sizeof(f->passt_version));
        g_strlcpy(f->passt_error, p.error, sizeof(f->passt_error));
        return;
    }
    g_autofree char *path = path_in(self->root, "/usr/bin/passt");
    f->passt_found = g_file_test(path, G_FILE_TEST_IS_EXECUTABLE);
    if (f->passt_found)
        g_strlcpy(f->passt_path, "/usr/bin/passt", sizeof(f->passt_path));
}

void hako_host_check_gather(HakoHostCheck *self)
{
    HakoHostFacts *f = &self->facts;
    g_clear_object(&f->firmware);
    memset(f, 0, sizeof(*f));
    f->api_version = -1;
    gather_cpuinfo(self);
    if (self->real)
        gather_cpuid(f);
    gather_kernel(self);
    gather_misc(self);
    int fd = -1;
    gather_dev_kvm(self, &fd);
    if (fd >= 0) {
        gather_api(self, fd);
        close(fd);
    }
    /* the kernel log only matters (and is only read) when KVM registered no device */
    if (!f->misc_kvm && !f->sys_misc_kvm && (!f->dev_exists || f->dev_open_errno))
        gather_kmsg(self);
    hako_host_read_resources(self->root, &f->mem_total, &f->mem_available, &f->n_cpus);
    f->firmware = hako_firmware_discover(self->root);
    gather_passt(self);
}

/* ---- evaluation ---- */

static void add_item(HakoHostCheck *self, const char *id, HakoCheckStatus status, const char *title,
                     char *summary, char *explanation, char *fix)
{
    HakoCheckItem *it = g_new0(HakoCheckItem, 1);
    it->id = g_strdup(id);
    it->status = status;
    it->title = g_strdup(title);
    it->summary = summary;
    it->explanation = explanation;
    it->fix = fix;
    g_ptr_array_add(self->items, it);
}

static const char *kconfig_word(HakoKconfig v)
{
    return v == 'y' ? "y" : v == 'm' ? "m" : "n";
}

static gboolean is_intel(const HakoHostFacts *f)
{
    return f->flag_vmx || f->cpuid_vmx || g_str_equal(f->cpu_vendor, "GenuineIntel");
}

static gboolean is_amd(const HakoHostFacts *f)
{
    return f->flag_svm || f->cpuid_svm || g_str_equal(f->cpu_vendor, "AuthenticAMD") ||
           g_str_equal(f->cpu_vendor, "HygonGenuine");
}

static gboolean in_vm(const HakoHostFacts *f)
{
    return f->flag_hypervisor || f->cpuid_hypervisor;
}

static const char *hv_name(const HakoHostFacts *f)
{
    static const struct {
        const char *sig, *name;
    } known[] = {
        {"KVMKVMKVM", "KVM"},           {"Microsoft Hv", "Hyper-V"}, {"VMwareVMware", "VMware"},
        {"VBoxVBoxVBox", "VirtualBox"}, {"XenVMMXenVMM", "Xen"},     {"TCGTCGTCGTCG", "QEMU TCG"},
        {"ACRNACRNACRN", "ACRN"},       {"bhyve bhyve ", "bhyve"},   {" lrpepyh  vr", "Parallels"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(known); i++)
        if (g_str_has_prefix(f->hv_vendor, known[i].sig))
            return known[i].name;
    return f->hv_vendor[0] ? f->hv_vendor : NULL;
}

static const char *vendor_module(const HakoHostFacts *f)
{
    return is_amd(f) && !is_intel(f) ? "kvm_amd" : "kvm_intel";
}

static gboolean misc_known(const HakoHostFacts *f)
{
    return f->proc_misc_read || f->sys_misc_read;
}

static gboolean misc_registered(const HakoHostFacts *f)
{
    return f->misc_kvm || f->sys_misc_kvm;
}

/* The vendor driver that is there (loaded, or built in), or NULL. */
static const char *present_vendor(const HakoHostFacts *f)
{
    return f->mod_kvm_pvm     ? "kvm_pvm"
           : f->mod_kvm_intel ? "kvm_intel"
           : f->mod_kvm_amd   ? "kvm_amd"
                              : NULL;
}

static gboolean vendor_builtin(const HakoHostFacts *f, const char *vendor)
{
    return g_strcmp0(vendor, "kvm_pvm") == 0     ? f->kvm_pvm_builtin
           : g_strcmp0(vendor, "kvm_intel") == 0 ? f->kvm_intel_builtin
           : g_strcmp0(vendor, "kvm_amd") == 0   ? f->kvm_amd_builtin
                                                 : FALSE;
}

static gboolean kernel_without_kvm(const HakoHostFacts *f)
{
    const char *want = vendor_module(f);
    HakoKconfig want_cfg = g_str_equal(want, "kvm_amd") ? f->cfg_kvm_amd : f->cfg_kvm_intel;
    return f->cfg_kvm == 'n' ||
           (f->cfg_kvm && want_cfg == 'n' && f->cfg_kvm_pvm != 'y' && f->cfg_kvm_pvm != 'm');
}

/* What the processor allows: OK, CPU_UNSUPPORTED, FIRMWARE_OFF or NESTED_OFF. */
static HakoKvmCause cpu_cause(const HakoHostFacts *f)
{
    if (f->kmsg_hint == HAKO_KMSG_FIRMWARE_OFF)
        return HAKO_KVM_FIRMWARE_OFF;
    if (f->flag_vmx || f->flag_svm)
        return HAKO_KVM_OK;
    if (in_vm(f) && f->mod_kvm_pvm)
        return HAKO_KVM_OK; /* PVM needs neither */
    if (f->cpuid_vmx || f->cpuid_svm)
        return HAKO_KVM_FIRMWARE_OFF;
    if (in_vm(f))
        return HAKO_KVM_NESTED_OFF;
    if (!f->cpuinfo_read)
        return HAKO_KVM_OK; /* not known */
    return HAKO_KVM_CPU_UNSUPPORTED;
}

static HakoKvmCause compute_cause(HakoHostCheck *self)
{
    const HakoHostFacts *f = &self->facts;
    if (f->dev_exists) {
        if (self->real && !f->dev_is_chr)
            return HAKO_KVM_NODE_NOT_DEVICE;
        if (f->dev_open_errno == 0)
            return HAKO_KVM_OK;
        if (f->dev_open_errno == EACCES || f->dev_open_errno == EPERM)
            return HAKO_KVM_PERMISSION;
        if (f->dev_open_errno == ENXIO || f->dev_open_errno == ENODEV)
            return HAKO_KVM_NO_DRIVER;
        return HAKO_KVM_OPEN_FAILED;
    }
    if (misc_registered(f))
        return HAKO_KVM_NODE_MISSING;
    if (kernel_without_kvm(f))
        return HAKO_KVM_KERNEL_WITHOUT;
    HakoKvmCause cpu = cpu_cause(f);
    if (cpu != HAKO_KVM_OK)
        return cpu; /* loading modules cannot help */
    if (!f->mod_kvm)
        return HAKO_KVM_NOT_LOADED;
    const char *vendor = present_vendor(f);
    if (!vendor)
        return HAKO_KVM_VENDOR_NOT_LOADED;
    return misc_known(f) ? HAKO_KVM_VENDOR_REFUSED : HAKO_KVM_UNKNOWN;
}

static char *firmware_fix(gboolean intel)
{
    return g_strdup(intel ? _("Restart the computer, open the firmware setup (usually F2, F10, "
                              "Del or Esc right after power-on), enable “Intel Virtualization "
                              "Technology” (VT-x), save and restart.")
                          : _("Restart the computer, open the firmware setup (usually F2, F10, "
                              "Del or Esc right after power-on), enable “SVM Mode” (AMD-V), "
                              "save and restart."));
}

static char *nested_fix(void)
{
    return g_strdup(_("On the outer host, enable nested virtualization for this virtual "
                      "machine: KVM/QEMU: “-cpu host” with the kvm_intel or kvm_amd "
                      "option nested=1; VirtualBox: “Enable Nested VT-x/AMD-V”; VMware: "
                      "“Virtualize Intel VT-x/EPT or AMD-V/RVI”; Hyper-V: "
                      "Set-VMProcessor -ExposeVirtualizationExtensions $true."));
}

/* "\n\nThe kernel log (/dev/kmsg) says: “...”" or "" */
static char *kmsg_quote(const HakoHostFacts *f)
{
    if (!f->kmsg_read || f->kmsg_hint == HAKO_KMSG_NONE || !f->kmsg_line[0])
        return g_strdup("");
    return g_strdup_printf(_("\n\nThe kernel log (%s) says: “%s”"), f->kmsg_source, f->kmsg_line);
}

/* Which vendor's wording: what the CPU flags, CPUID or the vendor string say. */
static gboolean intel_wording(const HakoHostFacts *f)
{
    if (f->flag_vmx || f->cpuid_vmx)
        return TRUE;
    if (f->flag_svm || f->cpuid_svm)
        return FALSE;
    return !is_amd(f);
}

static void eval_cpu(HakoHostCheck *self)
{
    const HakoHostFacts *f = &self->facts;
    const char *title = _("CPU virtualization");
    gboolean log_says_off = f->kmsg_hint == HAKO_KMSG_FIRMWARE_OFF;
    if (f->flag_vmx && !log_says_off) {
        add_item(self, "cpu", HAKO_CHECK_PASS, title, g_strdup(_("Intel VT-x (vmx)")), NULL, NULL);
    } else if (f->flag_svm && !log_says_off) {
        add_item(self, "cpu", HAKO_CHECK_PASS, title, g_strdup(_("AMD-V (svm)")), NULL, NULL);
    } else if (f->cpuid_vmx || f->cpuid_svm || (log_says_off && !f->mod_kvm_pvm)) {
        gboolean intel = intel_wording(f);
        g_autofree char *quote = kmsg_quote(f);
        add_item(
            self, "cpu", HAKO_CHECK_FAIL, title,
            g_strdup(intel ? _("Intel VT-x is supported by the processor but disabled in the "
                               "firmware setup")
                           : _("AMD-V is supported by the processor but disabled in the "
                               "firmware setup")),
            g_strdup_printf("%s%s",
                            _("The processor can run virtual machines, but the computer’s "
                              "firmware (BIOS/UEFI setup) has switched the feature off, so Linux "
                              "cannot use it."),
                            quote),
            firmware_fix(intel));
    } else if (in_vm(f) && f->mod_kvm_pvm) {
        add_item(self, "cpu", HAKO_CHECK_WARN, title,
                 g_strdup(_("None: this computer is a virtual machine without VT-x/AMD-V; KVM "
                            "runs paravirtualized (kvm_pvm)")),
                 g_strdup(_("PVM runs guests without hardware virtualization: code in the "
                            "guest’s user mode runs natively, but firmware and kernel code is "
                            "emulated instruction by instruction.")),
                 NULL);
    } else if (in_vm(f)) {
        const char *hv = hv_name(f);
        g_autofree char *where =
            hv ? g_strdup_printf(_("a %s virtual machine"), hv) : g_strdup(_("a virtual machine"));
        add_item(self, "cpu", HAKO_CHECK_FAIL, title,
                 g_strdup_printf(_("None: this computer is %s that does not pass VT-x/AMD-V "
                                   "through"),
                                 where),
                 g_strdup(_("Hako needs hardware virtualization. Inside a virtual machine that "
                            "means nested virtualization, which the outer host must allow.")),
                 nested_fix());
    } else if (!f->cpuinfo_read) {
        add_item(self, "cpu", HAKO_CHECK_SKIPPED, title, g_strdup(_("/proc/cpuinfo is unreadable")),
                 NULL, NULL);
    } else {
        g_autofree char *quote = kmsg_quote(f);
        add_item(self, "cpu", HAKO_CHECK_FAIL, title,
                 g_strdup(_("Not supported by this processor")),
                 g_strdup_printf("%s%s",
                                 _("Hako’s virtual machines need a processor with Intel VT-x or "
                                   "AMD-V. This one has neither, so KVM cannot run."),
                                 quote),
                 NULL);
    }
}

static char *modprobe_fix(const HakoHostFacts *f, const char *module)
{
    (void)f;
    return g_strdup_printf(_("Load it now:\n  sudo modprobe %s\nand at every boot:\n  echo %s | "
                             "sudo tee /etc/modules-load.d/kvm.conf"),
                           module, module);
}

/* KVM is loaded and registered no device: why, and what to do. */
static void eval_kvm_unregistered(HakoHostCheck *self, const char *title, const char *vendor)
{
    const HakoHostFacts *f = &self->facts;
    g_autofree char *quote = kmsg_quote(f);
    char *summary = NULL, *expl = NULL, *fix = NULL;
    const char *want = vendor ? vendor : vendor_module(f);
    switch (self->cause) {
    case HAKO_KVM_FIRMWARE_OFF:
        summary = g_strdup(_("KVM is loaded but registered no KVM device: virtualization is "
                             "switched off in the firmware setup"));
        expl = g_strdup_printf(_("The kvm module is there, but %s could not start because the "
                                 "processor’s virtualization (%s) is switched off in the "
                                 "computer’s firmware setup. No /dev/kvm can appear until it is "
                                 "switched on.%s"),
                               want, intel_wording(f) ? "Intel VT-x" : "AMD-V", quote);
        fix = firmware_fix(intel_wording(f));
        break;
    case HAKO_KVM_CPU_UNSUPPORTED:
        summary = g_strdup(_("KVM is loaded but registered no KVM device: the processor has no "
                             "VT-x or AMD-V"));
        expl = g_strdup_printf(_("The kvm module is there, but neither kvm_intel nor kvm_amd can "
                                 "start on a processor without hardware virtualization, so no "
                                 "/dev/kvm can appear.%s"),
                               quote);
        fix = g_strdup(_("Virtual machines need a computer whose processor has Intel VT-x or "
                         "AMD-V (nearly every PC processor since 2010). If the firmware setup "
                         "has a virtualization option, make sure it is on."));
        break;
    case HAKO_KVM_NESTED_OFF:
        summary = g_strdup(_("KVM is loaded but registered no KVM device: this virtual machine "
                             "has no VT-x or AMD-V"));
        expl = g_strdup_printf(_("This computer is itself a virtual machine, and its hypervisor "
                                 "does not pass VT-x or AMD-V through, so neither kvm_intel nor "
                                 "kvm_amd can start and no /dev/kvm can appear.%s"),
                               quote);
        fix = nested_fix();
        break;
    case HAKO_KVM_VENDOR_NOT_LOADED: {
        summary = g_strdup_printf(_("KVM is loaded but registered no KVM device: %s is not "
                                    "loaded"),
                                  want);
        expl = g_strdup_printf(_("The kvm module is loaded, but %s, which drives the processor’s "
                                 "virtualization and registers /dev/kvm, is not.%s"),
                               want, quote);
        g_autofree char *load = modprobe_fix(f, want);
        fix = g_strdup_printf(_("%s\nIf it refuses to load, the kernel log says why:\n  sudo "
                                "dmesg | grep -i -e kvm -e vmx -e svm"),
                              load);
        break;
    }
    default: /* HAKO_KVM_VENDOR_REFUSED */
        summary = g_strdup_printf(_("KVM is loaded but registered no KVM device: %s did not "
                                    "start"),
                                  want);
        if (f->kmsg_read && f->kmsg_hint != HAKO_KMSG_NONE)
            expl = g_strdup_printf(_("%s is there, but “kvm” is missing from /proc/misc: the "
                                     "driver refused to start.%s"),
                                   want, quote);
        else
            expl = g_strdup_printf(_("%s is there, but “kvm” is missing from /proc/misc: the "
                                     "driver refused to start. The kernel log says why; this "
                                     "user may not read it."),
                                   want);
        if (vendor_builtin(f, want))
            fix = g_strdup_printf(_("See why:\n  sudo dmesg | grep -i -e kvm -e vmx -e svm\n%s "
                                    "is built into the kernel and tries once, at boot: fix the "
                                    "cause, then restart the computer."),
                                  want);
        else
            fix = g_strdup_printf(_("See why:\n  sudo dmesg | grep -i -e kvm -e vmx -e svm\nthen, "
                                    "once the cause is fixed:\n  sudo modprobe -r %s\n  sudo "
                                    "modprobe %s"),
                                  want, want);
        break;
    }
    add_item(self, "kvm-module", HAKO_CHECK_FAIL, title, summary, expl, fix);
}

static void eval_kvm_module(HakoHostCheck *self)
{
    const HakoHostFacts *f = &self->facts;
    const char *title = _("KVM in the kernel");
    const char *vendor = present_vendor(f);
    const char *rel = f->kernel_release[0] ? f->kernel_release : "?";
    gboolean registered = misc_registered(f);
    if (f->mod_kvm && vendor && (registered || !misc_known(f))) {
        HakoKconfig v = g_str_equal(vendor, "kvm_pvm")     ? f->cfg_kvm_pvm
                        : g_str_equal(vendor, "kvm_intel") ? f->cfg_kvm_intel
                                                           : f->cfg_kvm_amd;
        char *summary;
        if (v == 'y' && f->cfg_kvm == 'y')
            summary = g_strdup_printf(_("kvm and %s are built into Linux %s"), vendor, rel);
        else
            summary = g_strdup_printf(_("kvm and %s are loaded (Linux %s)"), vendor, rel);
        GString *expl = g_string_new(NULL);
        if (registered && f->misc_minor >= 0)
            g_string_append_printf(expl, _("KVM registered its device (character device 10:%d)."),
                                   f->misc_minor);
        if (f->config_source[0]) {
            if (expl->len)
                g_string_append_c(expl, ' ');
            g_string_append_printf(expl,
                                   _("From %s: CONFIG_KVM=%s, CONFIG_KVM_INTEL=%s, "
                                     "CONFIG_KVM_AMD=%s, CONFIG_KVM_PVM=%s."),
                                   f->config_source, kconfig_word(f->cfg_kvm),
                                   kconfig_word(f->cfg_kvm_intel), kconfig_word(f->cfg_kvm_amd),
                                   kconfig_word(f->cfg_kvm_pvm));
        }
        add_item(self, "kvm-module", HAKO_CHECK_PASS, title, summary,
                 expl->len ? g_string_free(expl, FALSE) : (g_string_free(expl, TRUE), NULL), NULL);
        return;
    }
    const char *want = vendor_module(f);
    HakoKconfig want_cfg = g_str_equal(want, "kvm_amd") ? f->cfg_kvm_amd : f->cfg_kvm_intel;
    if (!registered && kernel_without_kvm(f)) {
        add_item(self, "kvm-module", HAKO_CHECK_FAIL, title,
                 g_strdup_printf(_("Linux %s is built without KVM"), rel),
                 g_strdup_printf(
                     _("%s says CONFIG_KVM=%s, %s=%s."), f->config_source, kconfig_word(f->cfg_kvm),
                     g_str_equal(want, "kvm_amd") ? "CONFIG_KVM_AMD" : "CONFIG_KVM_INTEL",
                     kconfig_word(want_cfg)),
                 g_strdup(_("Start a kernel with KVM: your distribution’s standard kernel has it "
                            "(Debian/Ubuntu linux-image-amd64 or linux-generic, Arch linux, "
                            "Fedora kernel).")));
        return;
    }
    if (f->mod_kvm && misc_known(f) && !registered) {
        eval_kvm_unregistered(self, title, vendor);
        return;
    }
    if (f->mod_kvm && !vendor) {
        char *expl;
        if (is_amd(f) && f->flag_svm)
            expl = g_strdup(_("The kvm module is loaded but kvm_amd is not. kvm_amd refuses to "
                              "load when SVM is disabled in the firmware setup; “sudo dmesg | grep "
                              "-i svm” shows the reason."));
        else
            expl = g_strdup_printf(_("The kvm module is loaded but %s, which drives the "
                                     "processor’s virtualization, is not."),
                                   want);
        add_item(self, "kvm-module", HAKO_CHECK_FAIL, title,
                 g_strdup_printf(_("%s is not loaded"), want), expl, modprobe_fix(f, want));
        return;
    }
    char *expl = f->cfg_kvm == 'm'
                     ? g_strdup_printf(_("KVM is built as modules (%s) but they are not loaded."),
                                       f->config_source)
                     : g_strdup(_("No KVM module is loaded (/sys/module/kvm is missing)."));
    add_item(self, "kvm-module", HAKO_CHECK_FAIL, title, g_strdup(_("KVM is not loaded")), expl,
             modprobe_fix(f, want));
}

static char *mode_string(guint mode, gboolean chr)
{
    char s[11];
    s[0] = chr ? 'c' : '-';
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        s[i + 1] = (mode & (0400u >> i)) ? rwx[i] : '-';
    s[10] = 0;
    return g_strdup(s);
}

/* /dev/kvm does not exist: fits the fix to whether KVM registered its device. */
static void eval_dev_missing(HakoHostCheck *self, const char *title)
{
    const HakoHostFacts *f = &self->facts;
    char *summary = g_strdup(_("/dev/kvm does not exist"));
    if (misc_registered(f)) {
        /* the kernel has the device (misc, major 10): only the node is missing */
        g_autofree char *minor =
            f->misc_minor >= 0 ? g_strdup_printf("%d", f->misc_minor) : g_strdup("232");
        GString *fix = g_string_new(NULL);
        g_string_append(fix, _("Let udev create it:"));
        g_string_append(fix, "\n  sudo udevadm trigger --action=add --subsystem-match=misc "
                             "--sysname-match=kvm\n");
        g_string_append(fix, _("If it is still missing (udev is not running, as in some "
                               "containers), create it by hand:"));
        g_string_append_printf(fix, "\n  sudo mknod -m 0660 /dev/kvm c 10 %s\n", minor);
        if (f->kvm_group_exists)
            g_string_append(fix, "  sudo chgrp kvm /dev/kvm");
        else
            g_string_append(fix, "  sudo groupadd --system kvm && sudo chgrp kvm /dev/kvm");
        add_item(self, "dev-kvm", HAKO_CHECK_FAIL, title, summary,
                 g_strdup_printf(_("KVM is working: the kernel registered its device (character "
                                   "device 10:%s, listed in /proc/misc), but /dev has no node for "
                                   "it. udev normally creates /dev/kvm; here it did not, or "
                                   "something removed it."),
                                 minor),
                 g_string_free(fix, FALSE));
        return;
    }
    if (f->mod_kvm && misc_known(f)) {
        add_item(self, "dev-kvm", HAKO_CHECK_FAIL, title, summary,
                 g_strdup(_("The device node appears when KVM registers its device, which it has "
                            "not (see “KVM in the kernel”). Creating the node by hand would not "
                            "help.")),
                 NULL);
        return;
    }
    if (f->mod_kvm && present_vendor(f)) {
        /* no /proc/misc to tell whether the device was registered */
        add_item(self, "dev-kvm", HAKO_CHECK_FAIL, title, summary,
                 g_strdup(_("KVM is loaded, but whether it registered its device is not known "
                            "(/proc/misc could not be read).")),
                 g_strdup(_("If “grep kvm /proc/misc” lists it, let udev create the node:\n  sudo "
                            "udevadm trigger --action=add --subsystem-match=misc "
                            "--sysname-match=kvm\nIf it is not listed, the kernel log says why "
                            "KVM did not start:\n  sudo dmesg | grep -i -e kvm -e vmx -e svm")));
        return;
    }
    add_item(self, "dev-kvm", HAKO_CHECK_FAIL, title, summary,
             g_strdup(_("The device appears when KVM is loaded (see above).")), NULL);
}

static void eval_dev_kvm(HakoHostCheck *self)
{
    const HakoHostFacts *f = &self->facts;
    const char *title = "/dev/kvm";
    if (!f->dev_exists) {
        eval_dev_missing(self, title);
        return;
    }
    g_autofree char *mode = mode_string(f->dev_mode, f->dev_is_chr);
    struct passwd *pw = getpwuid(f->dev_uid);
    g_autofree char *owner =
        pw ? g_strdup(pw->pw_name) : g_strdup_printf("%u", (unsigned)f->dev_uid);
    g_autofree char *perms = g_strdup_printf("%s %s %s", mode, owner, f->dev_group);
    if (self->real && !f->dev_is_chr) {
        add_item(self, "dev-kvm", HAKO_CHECK_FAIL, title,
                 g_strdup_printf(_("/dev/kvm is not a device (%s)"), perms),
                 g_strdup(_("Something replaced the KVM device node with an ordinary file.")),
                 g_strdup("sudo rm /dev/kvm && sudo udevadm trigger --action=add "
                          "--subsystem-match=misc --sysname-match=kvm"));
        return;
    }
    if (f->dev_open_errno == 0) {
        add_item(self, "dev-kvm", HAKO_CHECK_PASS, title,
                 g_strdup_printf(_("Readable and writable by you (%s)"), perms), NULL, NULL);
        return;
    }
    if (f->dev_open_errno == EACCES || f->dev_open_errno == EPERM) {
        gboolean group_rw = (f->dev_mode & 060) == 060 && f->dev_gid != 0;
        char *summary = g_strdup_printf(_("You (%s) may not open /dev/kvm (%s)"), f->user, perms);
        char *expl, *fix;
        if (group_rw && f->user_in_group_db && !f->user_in_session) {
            expl = g_strdup_printf(_("You are a member of the group “%s”, but this session "
                                     "started before you were added."),
                                   f->dev_group);
            fix = g_strdup_printf(_("Log out and back in (or restart). To try it in one "
                                    "terminal first: newgrp %s"),
                                  f->dev_group);
        } else if (group_rw) {
            expl = g_strdup_printf(_("/dev/kvm belongs to the group “%s”, and you are not in "
                                     "it."),
                                   f->dev_group);
            fix = g_strdup_printf(_("sudo usermod -aG %s %s\nthen log out and back in."),
                                  f->dev_group, f->user);
        } else {
            expl = g_strdup(_("No group may use /dev/kvm, so only root can. A udev rule gives it "
                              "to the group “kvm”."));
            GString *s = g_string_new(NULL);
            if (!f->kvm_group_exists)
                g_string_append(s, "sudo groupadd --system kvm\n");
            g_string_append(s, "echo 'KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\"' | sudo tee "
                               "/etc/udev/rules.d/65-kvm.rules\n"
                               "sudo udevadm control --reload-rules\n"
                               "sudo udevadm trigger --action=add --subsystem-match=misc "
                               "--sysname-match=kvm\n");
            g_string_append_printf(s, "sudo usermod -aG kvm %s\n", f->user);
            g_string_append(s, _("then log out and back in."));
            fix = g_string_free(s, FALSE);
        }
        add_item(self, "dev-kvm", HAKO_CHECK_FAIL, title, summary, expl, fix);
        return;
    }
    if (f->dev_open_errno == ENXIO || f->dev_open_errno == ENODEV) {
        add_item(self, "dev-kvm", HAKO_CHECK_FAIL, title,
                 g_strdup(_("/dev/kvm exists but no KVM driver answers")),
                 g_strdup(_("The device node is there but the kernel module behind it is not "
                            "loaded.")),
                 modprobe_fix(f, vendor_module(f)));
        return;
    }
    add_item(self, "dev-kvm", HAKO_CHECK_FAIL, title,
             g_strdup_printf(_("/dev/kvm cannot be opened: %s"), g_strerror(f->dev_open_errno)),
             NULL, NULL);
}

static void eval_api(HakoHostCheck *self)
{
    const HakoHostFacts *f = &self->facts;
    const char *title = _("KVM API");
    if (f->api_version < 0) {
        add_item(self, "kvm-api", HAKO_CHECK_SKIPPED, title,
                 g_strdup(_("Not checked: /dev/kvm could not be opened")), NULL, NULL);
    } else if (f->api_version != 12) {
        add_item(self, "kvm-api", HAKO_CHECK_FAIL, title,
                 g_strdup_printf(_("Version %d; Hako needs version 12"), f->api_version),
                 g_strdup(_("Every Linux kernel since 2.6.22 reports version 12: this KVM is not "
                            "the one Hako knows.")),
                 NULL);
    } else if (f->missing_caps[0]) {
        add_item(self, "kvm-api", HAKO_CHECK_FAIL, title,
                 g_strdup_printf(_("Version 12, but without %s"), f->missing_caps),
                 g_strdup(_("Hako’s engine relies on these KVM capabilities (in-kernel interrupt "
                            "controllers and timer, event file descriptors, read-only memory)."
                            " A newer kernel has them.")),
                 NULL);
    } else {
        add_item(self, "kvm-api", HAKO_CHECK_PASS, title,
                 g_strdup(_("Version 12, with every capability the engine uses")), NULL, NULL);
    }
}

static void eval_host_type(HakoHostCheck *self)
{
    const HakoHostFacts *f = &self->facts;
    const char *title = _("Host");
    if (!in_vm(f)) {
        add_item(self, "host-type", HAKO_CHECK_PASS, title,
                 g_strdup(_("Physical computer: guests run at hardware speed")), NULL, NULL);
        return;
    }
    const char *hv = hv_name(f);
    g_autofree char *outer = hv ? g_strdup_printf(" (%s)", hv) : g_strdup("");
    if (f->mod_kvm_pvm && !f->flag_vmx && !f->flag_svm) {
        add_item(self, "host-type", HAKO_CHECK_WARN, title,
                 g_strdup_printf(_("Paravirtual KVM (kvm_pvm) inside a virtual machine%s"), outer),
                 g_strdup(_("Guest code in user mode (ring 3) runs natively; firmware and guest "
                            "kernels (ring 0) are emulated by KVM’s instruction emulator, which "
                            "is about a thousand times slower and cannot run every instruction "
                            "(UEFI firmware may stop early).")),
                 NULL);
    } else if (f->flag_vmx || f->flag_svm) {
        add_item(self, "host-type", HAKO_CHECK_WARN, title,
                 g_strdup_printf(_("Nested virtualization inside a virtual machine%s"), outer),
                 g_strdup(_("Works, but every exit from a guest goes through the outer "
                            "hypervisor: disk and display are slower than on a physical "
                            "computer.")),
                 NULL);
    } else {
        add_item(self, "host-type", HAKO_CHECK_WARN, title,
                 g_strdup_printf(_("Virtual machine%s"), outer), NULL, NULL);
    }
}

static void eval_speed(HakoHostCheck *self)
{
    const HakoHostFacts *f = &self->facts;
    const char *title = _("Guest speed");
    if (!f->speed_measured) {
        add_item(self, "guest-speed", HAKO_CHECK_SKIPPED, title,
                 f->speed_error[0] ? g_strdup_printf(_("Not measured: %s"), f->speed_error)
                                   : g_strdup(_("Not measured")),
                 NULL, NULL);
        return;
    }
    double m = f->guest_ips / 1e6;
    g_autofree char *rate = m >= 10 ? g_strdup_printf("%.0f", m) : g_strdup_printf("%.1f", m);
    if (f->guest_ips >= SLOW_IPS) {
        add_item(self, "guest-speed", HAKO_CHECK_PASS, title,
                 g_strdup_printf(_("%s million instructions per second in guest kernel mode "
                                   "(CPL0)"),
                                 rate),
                 NULL, NULL);
        return;
    }
    double slower = HARDWARE_IPS / MAX(f->guest_ips, 1.0);
    /* one significant digit: "about 1000×" */
    double mag = 1;
    while (slower / mag >= 10)
        mag *= 10;
    long rounded = (long)(slower / mag + 0.5) * (long)mag;
    add_item(self, "guest-speed", HAKO_CHECK_WARN, title,
             g_strdup_printf(_("%s million instructions per second in guest kernel mode (CPL0), "
                               "about %ld× slower than hardware"),
                             rate, rounded),
             g_strdup(_("Measured by running a small loop at CPL0 in a test VM for 50 ms. "
                        "Firmware and operating system start-up run at this speed: SeaBIOS "
                        "takes seconds to start, and installing an operating system can take "
                        "hours.")),
             NULL);
}

static void eval_firmware(HakoHostCheck *self)
{
    const HakoHostFacts *f = &self->facts;
    GListModel *list = f->firmware;
    guint n = list ? g_list_model_get_n_items(list) : 0;
    HakoFirmware *bios = list ? hako_firmware_list_find_default(list, HAKO_FIRMWARE_BIOS) : NULL;
    if (bios) {
        add_item(self, "seabios", HAKO_CHECK_PASS, _("BIOS firmware"),
                 g_strdup_printf("%s: %s", hako_firmware_get_name(bios),
                                 hako_firmware_get_code_path(bios)),
                 NULL, NULL);
    } else {
        add_item(self, "seabios", HAKO_CHECK_FAIL, _("BIOS firmware"),
                 g_strdup(_("SeaBIOS is not installed")),
                 g_strdup(_("Virtual machines with BIOS firmware (the default for most "
                            "installers) need SeaBIOS.")),
                 hako_firmware_install_hint(HAKO_FIRMWARE_BIOS));
    }

    GString *usable = g_string_new(NULL), *other = g_string_new(NULL), *sb = g_string_new(NULL);
    guint n_usable = 0;
    for (guint i = 0; i < n; i++) {
        g_autoptr(HakoFirmware) fw = g_list_model_get_item(list, i);
        if (hako_firmware_get_kind(fw) != HAKO_FIRMWARE_UEFI)
            continue;
        if (hako_firmware_is_usable(fw)) {
            n_usable++;
            /* the files: CODE + VARS, or the one file of a unified image */
            const char *vars = hako_firmware_get_vars_template(fw);
            g_string_append_printf(usable, "%s%s: %s%s%s", usable->len ? "\n" : "",
                                   hako_firmware_get_name(fw), hako_firmware_get_code_path(fw),
                                   vars ? " + " : "", vars ? vars : "");
        } else if (hako_firmware_is_secure_boot(fw)) {
            g_string_append_printf(sb, "\n  %s", hako_firmware_get_code_path(fw));
        } else {
            g_string_append_printf(other, "\n%s (%s): %s", hako_firmware_get_name(fw),
                                   hako_firmware_get_code_path(fw), hako_firmware_get_problem(fw));
        }
    }
    if (other->len)
        g_string_append_printf(usable, "%s%s%s", usable->len ? "\n" : "", _("Not usable:"),
                               other->str);
    if (sb->len)
        g_string_append_printf(usable, "%s%s%s", usable->len ? "\n" : "",
                               _("Secure Boot builds, not usable (they need System Management "
                                 "Mode and a Q35 board, which Hako’s PC does not have):"),
                               sb->str);
    g_string_free(other, TRUE);
    g_string_free(sb, TRUE);
    char *expl = usable->len ? g_string_free(usable, FALSE) : (g_string_free(usable, TRUE), NULL);
    if (n_usable)
        add_item(self, "ovmf", HAKO_CHECK_PASS, _("UEFI firmware"),
                 g_strdup_printf(
                     g_dngettext(NULL, "%u usable OVMF build", "%u usable OVMF builds", n_usable),
                     n_usable),
                 expl, NULL);
    else
        add_item(self, "ovmf", HAKO_CHECK_WARN, _("UEFI firmware"),
                 g_strdup(_("No usable OVMF: virtual machines can use BIOS firmware only")),
                 expl ? expl
                      : g_strdup(_("Discs that boot only with UEFI need OVMF (UEFI firmware for "
                                   "virtual machines).")),
                 hako_firmware_install_hint(HAKO_FIRMWARE_UEFI));
}

static void eval_resources(HakoHostCheck *self)
{
    const HakoHostFacts *f = &self->facts;
    g_autofree char *total = hako_format_size(f->mem_total, G_FORMAT_SIZE_IEC_UNITS);
    g_autofree char *avail = hako_format_size(f->mem_available, G_FORMAT_SIZE_IEC_UNITS);
    char *summary =
        g_strdup_printf(g_dngettext(NULL, "%s memory (%s available), %u processor",
                                    "%s memory (%s available), %u processors", f->n_cpus),
                        total, avail, f->n_cpus);
    if (f->mem_total && f->mem_available < (1ull << 30))
        add_item(self, "resources", HAKO_CHECK_WARN, _("Memory and processors"), summary,
                 g_strdup(_("Less than 1 GiB of memory is free: most installers need at least "
                            "that much. Close other programs first.")),
                 NULL);
    else
        add_item(self, "resources", HAKO_CHECK_PASS, _("Memory and processors"), summary, NULL,
                 NULL);
}

static void eval_passt(HakoHostCheck *self)
{
    const HakoHostFacts *f = &self->facts;
    const char *title = _("Network (passt)");
    if (!f->passt_found) {
        add_item(self, "passt", HAKO_CHECK_WARN, title, g_strdup(_("passt is not installed")),
                 g_strdup(_("Virtual machines reach the network through passt. Without it they "
                            "run as if their network cable were unplugged.")),
                 g_strdup("sudo apt install passt"));
        return;
    }
    const char *version = f->passt_version[0] ? f->passt_version : _("unknown version");
    if (!f->passt_probed) {
        add_item(self, "passt", HAKO_CHECK_PASS, title,
                 g_strdup_printf(_("%s (%s) is installed"), f->passt_path, version), NULL, NULL);
        return;
    }
    if (f->passt_answered) {
        char addr[16];
        guint32 a = f->passt_address;
        g_snprintf(addr, sizeof(addr), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF,
                   a & 0xFF);
        add_item(self, "passt", HAKO_CHECK_PASS, title,
                 g_strdup_printf(_("passt %s starts and answers (it offers guests the address "
                                   "%s)"),
                                 version, addr),
                 g_strdup_printf(_("Found at %s. Each running virtual machine gets its own passt "
                                   "process: a NAT network that needs no administrator rights."),
                                 f->passt_path),
                 NULL);
        return;
    }
    add_item(self, "passt", HAKO_CHECK_WARN, title,
             g_strdup_printf(f->passt_started ? _("passt %s starts but does not answer")
                                              : _("passt %s cannot start"),
                             version),
             g_strdup_printf(_("%s said: %s. Virtual machines would run without network."),
                             f->passt_path, f->passt_error[0] ? f->passt_error : "?"),
             g_strdup(_("passt isolates itself in user namespaces: check that they are allowed "
                        "(sysctl kernel.unprivileged_userns_clone=1) and that no security policy "
                        "(AppArmor, SELinux) blocks it.")));
}

void hako_host_check_evaluate(HakoHostCheck *self)
{
    g_ptr_array_set_size(self->items, 0);
    self->cause = compute_cause(self);
    eval_cpu(self);
    eval_kvm_module(self);
    eval_dev_kvm(self);
    eval_api(self);
    eval_host_type(self);
    eval_speed(self);
    eval_firmware(self);
    eval_resources(self);
    eval_passt(self);
    self->has_run = TRUE;
}

void hako_host_check_run(HakoHostCheck *self)
{
    hako_host_check_gather(self);
    hako_host_check_evaluate(self);
}

static void run_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)data;
    (void)cancellable;
    hako_host_check_run(HAKO_HOST_CHECK(source));
    g_task_return_boolean(task, TRUE);
}

void hako_host_check_run_async(HakoHostCheck *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, hako_host_check_run_async);
    g_task_run_in_thread(task, run_thread);
}

gboolean hako_host_check_run_finish(HakoHostCheck *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}

const HakoCheckItem *hako_host_check_find(HakoHostCheck *self, const char *id)
{
    for (guint i = 0; i < self->items->len; i++) {
        const HakoCheckItem *it = self->items->pdata[i];
        if (g_str_equal(it->id, id))
            return it;
    }
    return NULL;
}

HakoCheckStatus hako_host_check_get_worst(HakoHostCheck *self)
{
    HakoCheckStatus worst = HAKO_CHECK_PASS;
    for (guint i = 0; i < self->items->len; i++) {
        const HakoCheckItem *it = self->items->pdata[i];
        if (it->status == HAKO_CHECK_FAIL)
            return HAKO_CHECK_FAIL;
        if (it->status == HAKO_CHECK_WARN)
            worst = HAKO_CHECK_WARN;
    }
    return worst;
}

gboolean hako_host_check_can_run_vms(HakoHostCheck *self)
{
    return hako_host_check_get_worst(self) != HAKO_CHECK_FAIL;
}

HakoKvmCause hako_host_check_get_kvm_cause(HakoHostCheck *self)
{
    return self->cause;
}

static const HakoCheckItem *failed(HakoHostCheck *self, const char *id)
{
    const HakoCheckItem *it = hako_host_check_find(self, id);
    return it && it->status == HAKO_CHECK_FAIL ? it : NULL;
}

const HakoCheckItem *hako_host_check_get_kvm_blocker(HakoHostCheck *self)
{
    /* VMs cannot run when /dev/kvm cannot be used; the line shown is the root cause: the
     * processor's, else the kernel's, else /dev/kvm's or the API's own */
    const HakoCheckItem *dev = failed(self, "dev-kvm"), *api = failed(self, "kvm-api");
    if (!dev && !api)
        return NULL;
    const HakoCheckItem *cpu = failed(self, "cpu"), *mod = failed(self, "kvm-module");
    return cpu ? cpu : mod ? mod : dev ? dev : api;
}

const HakoCheckItem *hako_host_check_get_start_blocker(HakoHostCheck *self, const char *firmware)
{
    const HakoCheckItem *kvm = hako_host_check_get_kvm_blocker(self);
    if (kvm)
        return kvm;
    if (g_strcmp0(firmware, "uefi") == 0) {
        /* a missing OVMF is a warning in general, a failure for a UEFI VM */
        const HakoCheckItem *it = hako_host_check_find(self, "ovmf");
        return it && (it->status == HAKO_CHECK_FAIL || it->status == HAKO_CHECK_WARN) ? it : NULL;
    }
    return failed(self, "seabios");
}

static void quick_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    (void)cancellable;
    HakoHostCheck *check = hako_host_check_new(data);
    hako_host_check_set_measure_speed(check, FALSE);
    hako_host_check_run(check);
    g_task_return_pointer(task, check, g_object_unref);
}

void hako_host_check_quick_async(const char *root, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, hako_host_check_quick_async);
    g_task_set_task_data(task, g_strdup(root), g_free);
    g_task_run_in_thread(task, quick_thread);
}

HakoHostCheck *hako_host_check_quick_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

const char *hako_check_status_label(HakoCheckStatus status)
{
    switch (status) {
    case HAKO_CHECK_PASS: return "PASS";
    case HAKO_CHECK_WARN: return "WARN";
    case HAKO_CHECK_FAIL: return "FAIL";
    case HAKO_CHECK_SKIPPED: return "SKIP";
    }
    return "?";
}

static void append_indented(GString *s, const char *prefix, const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++)
        g_string_append_printf(s, "%s%s\n", prefix, *l);
}

char *hako_host_check_format_text(HakoHostCheck *self)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < self->items->len; i++) {
        const HakoCheckItem *it = self->items->pdata[i];
        g_string_append_printf(s, "%s  %s: %s\n", hako_check_status_label(it->status), it->title,
                               it->summary);
        if (it->explanation)
            append_indented(s, "      ", it->explanation);
        if (it->fix) {
            g_string_append_printf(s, "      %s\n", _("Fix:"));
            append_indented(s, "        ", it->fix);
        }
    }
    return g_string_free(s, FALSE);
}
