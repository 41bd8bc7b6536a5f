/*
 * HakoHostCheck: can this computer run Hako's virtual machines, and if not, what exactly to do.
 *
 * Two phases. Gathering reads facts from the system under a root prefix (so tests can fake /proc,
 * /sys, /boot, /dev and /usr/share): the CPU's virtualization flags (/proc/cpuinfo, plus CPUID
 * to tell "disabled in the firmware setup" from "not supported"), the KVM modules
 * (/sys/module/kvm*), the kernel configuration (/proc/config.gz or /boot/config-RELEASE),
 * /dev/kvm's owner, mode and whether this user can open it, the KVM API version and capabilities,
 * whether the host is itself a virtual machine (CPUID hypervisor bit and vendor, kvm_pvm), the
 * measured speed of guest code at CPL0, and the firmware packages (HakoFirmware). Evaluation
 * turns the facts into pass/warn/fail lines with an explanation and the exact fix; it is a pure
 * function of the facts.
 *
 * Why /dev/kvm is missing has several causes, each with its own fix, told apart from what the
 * kernel shows: whether KVM registered its device (a "kvm" line in /proc/misc,
 * /sys/class/misc/kvm/dev), which vendor module is there (/sys/module/kvm_intel, kvm_amd,
 * kvm_pvm; a built-in driver has no initstate file and its folder stays even when it refused
 * to start), the CPU flags (vmx, svm, hypervisor) and, where this user may read it, the kernel
 * log (/dev/kmsg, /var/log/kern.log) with lines such as "disabled by bios" or "VMX not supported
 * by CPU". See HakoKvmCause.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
    HAKO_CHECK_PASS,
    HAKO_CHECK_WARN,
    HAKO_CHECK_FAIL,
    HAKO_CHECK_SKIPPED, /* could not be checked (e.g. a fake root, or an earlier failure) */
} HakoCheckStatus;

typedef struct {
    char *id; /* "cpu", "kvm-module", "dev-kvm", "kvm-api", "host-type", "guest-speed",
                 "seabios", "ovmf", "resources", "passt" */
    HakoCheckStatus status;
    char *title;       /* "CPU virtualization" */
    char *summary;     /* one line: what was found */
    char *explanation; /* why it matters; may be NULL */
    char *fix;         /* commands or steps; may be NULL */
} HakoCheckItem;

#define HAKO_TYPE_CHECK_ITEM (hako_check_item_get_type())
GType hako_check_item_get_type(void);
HakoCheckItem *hako_check_item_copy(const HakoCheckItem *item);
void hako_check_item_free(HakoCheckItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HakoCheckItem, hako_check_item_free)

/* y, m, n (not set), or 0 when the configuration was not found */
typedef char HakoKconfig;

typedef struct {
    /* CPU: /proc/cpuinfo */
    gboolean cpuinfo_read;
    gboolean flag_vmx, flag_svm, flag_hypervisor;
    char model_name[96];
    guint n_cpus;
    /* CPU: CPUID (what the processor says, before the kernel hides a feature) */
    char cpu_vendor[13]; /* "GenuineIntel", "AuthenticAMD" */
    gboolean cpuid_vmx, cpuid_svm, cpuid_hypervisor;
    char hv_vendor[13]; /* leaf 0x40000000: "KVMKVMKVM", "Microsoft Hv", "VMwareVMware" ... */
    /* Kernel */
    char kernel_release[65];
    gboolean mod_kvm, mod_kvm_intel, mod_kvm_amd, mod_kvm_pvm;
    char nested[8]; /* kvm_intel/kvm_amd "nested" parameter: "Y", "N", "1", "0" or "" */
    char config_source[128];
    HakoKconfig cfg_kvm, cfg_kvm_intel, cfg_kvm_amd, cfg_kvm_pvm;
    /* /dev/kvm */
    gboolean dev_exists, dev_is_chr;
    guint dev_mode; /* permission bits */
    guint dev_uid, dev_gid;
    char dev_group[64];
    int dev_open_errno; /* 0: opened read-write */
    char user[64];
    gboolean user_in_group_db; /* the user is a member of dev_group in the group database */
    gboolean user_in_session;  /* ... and this process has the group (no re-login needed) */
    gboolean kvm_group_exists; /* a group named "kvm" exists */
    /* KVM API (only when /dev/kvm opened) */
    int api_version; /* -1: not checked */
    char missing_caps[256];
    /* Speed of guest code at CPL0 */
    gboolean speed_measured;
    double guest_ips;
    char speed_error[160];
    /* Memory */
    guint64 mem_total, mem_available; /* bytes, /proc/meminfo */
    /* Firmware (HakoFirmware list) */
    GListModel *firmware;
    /* KVM's device as the kernel registered it: /proc/misc ("232 kvm") and /sys/class/misc/kvm */
    gboolean proc_misc_read; /* /proc/misc was readable */
    gboolean misc_kvm;       /* "kvm" is listed in /proc/misc */
    gboolean sys_misc_read;  /* /sys/class/misc exists */
    gboolean sys_misc_kvm;   /* /sys/class/misc/kvm exists */
    int misc_minor;          /* the device's minor number (major 10), -1 when not known */
    /* Built-in drivers (no /sys/module/NAME/initstate): their folder stays when they refused */
    gboolean kvm_intel_builtin, kvm_amd_builtin, kvm_pvm_builtin;
    /* The kernel log, where readable (only gathered when KVM registered no device) */
    gboolean kmsg_read;
    char kmsg_source[32]; /* "/dev/kmsg", "/var/log/kern.log" */
    int kmsg_hint;        /* HakoKmsgHint */
    char kmsg_line[160];  /* the line that said it, without its prefix */
    /* passt, the VMs' network: found (in PATH; under a fake root: ROOT/usr/bin/passt), and on this
     * system also started once and asked for an address (hk_passt_probe_run) */
    gboolean passt_found, passt_probed, passt_started, passt_answered;
    char passt_path[512], passt_version[64], passt_error[256];
    guint32 passt_address; /* what its DHCP offer said (host byte order) */
} HakoHostFacts;

/* What the kernel log says about KVM */
typedef enum {
    HAKO_KMSG_NONE,
    HAKO_KMSG_FIRMWARE_OFF, /* "kvm: disabled by bios", "VMX not enabled (by BIOS) ..." */
    HAKO_KMSG_NO_HARDWARE,  /* "kvm: no hardware support", "VMX not supported by CPU 0" */
    HAKO_KMSG_OTHER,        /* another line from kvm (shown as it is) */
} HakoKmsgHint;

/* Why KVM cannot be used here (the first cause in the order below), or HAKO_KVM_OK. */
typedef enum {
    HAKO_KVM_OK,
    HAKO_KVM_UNKNOWN,           /* not enough facts (a fake root without /proc) */
    HAKO_KVM_KERNEL_WITHOUT,    /* the kernel is built without KVM */
    HAKO_KVM_NOT_LOADED,        /* kvm is not loaded */
    HAKO_KVM_CPU_UNSUPPORTED,   /* no VT-x/AMD-V in the processor */
    HAKO_KVM_FIRMWARE_OFF,      /* VT-x/AMD-V switched off in the firmware setup */
    HAKO_KVM_NESTED_OFF,        /* a VM whose hypervisor does not pass VT-x/AMD-V through */
    HAKO_KVM_VENDOR_NOT_LOADED, /* kvm is loaded, kvm_intel/kvm_amd is not */
    HAKO_KVM_VENDOR_REFUSED,    /* the vendor driver is there but registered no device */
    HAKO_KVM_NODE_MISSING,      /* the device is registered, /dev/kvm is missing */
    HAKO_KVM_NODE_NOT_DEVICE,   /* /dev/kvm is an ordinary file */
    HAKO_KVM_NO_DRIVER,         /* /dev/kvm exists, opening it says ENXIO/ENODEV */
    HAKO_KVM_PERMISSION,        /* this user may not open /dev/kvm */
    HAKO_KVM_OPEN_FAILED,       /* another error opening /dev/kvm */
} HakoKvmCause;

#define HAKO_TYPE_HOST_CHECK (hako_host_check_get_type())
G_DECLARE_FINAL_TYPE(HakoHostCheck, hako_host_check, HAKO, HOST_CHECK, GObject)

/* root: "/" or NULL for this system; anything else is a fake tree (no CPUID, no /dev/kvm
 * ioctls, no speed probe: those facts stay as set with hako_host_check_get_facts()). */
HakoHostCheck *hako_host_check_new(const char *root);
const char *hako_host_check_get_root(HakoHostCheck *self);
/* Whether gathering runs the CPL0 speed probe (~50 ms of guest time; default TRUE on "/"). */
void hako_host_check_set_measure_speed(HakoHostCheck *self, gboolean measure);

/* Gathers the facts and evaluates them (blocking; from the UI use the async variant). */
void hako_host_check_run(HakoHostCheck *self);
void hako_host_check_run_async(HakoHostCheck *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
gboolean hako_host_check_run_finish(HakoHostCheck *self, GAsyncResult *result, GError **error);

/* The facts (gathered, or to be filled by a test before hako_host_check_evaluate()). */
HakoHostFacts *hako_host_check_get_facts(HakoHostCheck *self);
/* Gathers only. */
void hako_host_check_gather(HakoHostCheck *self);
/* Re-evaluates the current facts into items. */
void hako_host_check_evaluate(HakoHostCheck *self);

/* The results: a GListModel would need a GObject per line; a GPtrArray of HakoCheckItem. */
GPtrArray *hako_host_check_get_items(HakoHostCheck *self);
const HakoCheckItem *hako_host_check_find(HakoHostCheck *self, const char *id);
HakoCheckStatus hako_host_check_get_worst(HakoHostCheck *self);
/* No FAIL line: a VM can start. */
gboolean hako_host_check_can_run_vms(HakoHostCheck *self);
/* Why KVM cannot be used (after evaluation). */
HakoKvmCause hako_host_check_get_kvm_cause(HakoHostCheck *self);
/* Whether a VM with this firmware ("bios", "uefi" or NULL for BIOS) can start: NULL, or the line
 * that says why not (the processor's line when that is the root cause, else the first failed
 * line of KVM, /dev/kvm, the KVM API or the firmware; a missing OVMF counts for UEFI). */
const HakoCheckItem *hako_host_check_get_start_blocker(HakoHostCheck *self, const char *firmware);
/* Whether VMs cannot run at all here (KVM, /dev/kvm or the API failed): the line to show, or
 * NULL. Firmware is left out: a missing SeaBIOS stops BIOS VMs, not UEFI ones. */
const HakoCheckItem *hako_host_check_get_kvm_blocker(HakoHostCheck *self);

/* The quick check before a VM starts, off the calling thread: everything but the speed probe.
 * root as for hako_host_check_new(). The result is the evaluated HakoHostCheck. */
void hako_host_check_quick_async(const char *root, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
HakoHostCheck *hako_host_check_quick_finish(GAsyncResult *result, GError **error);
gboolean hako_host_check_has_run(HakoHostCheck *self);

/* The report as plain text (hako --check): "PASS  CPU virtualization: ..." lines, each followed
 * by indented explanation and fix. */
char *hako_host_check_format_text(HakoHostCheck *self);
const char *hako_check_status_label(HakoCheckStatus status);

/* Host resources for proposals (bytes; CPUs online), read under root. */
void hako_host_read_resources(const char *root, guint64 *mem_total, guint64 *mem_available,
                              guint *n_cpus);

G_END_DECLS
