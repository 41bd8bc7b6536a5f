#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../pc/smbios.h"
#include "control.h"
#include "hako/net.h"
#include "hako/passt.h"
#include "hako/size.h"

void hk_config_usage(FILE *out)
{
    fprintf(out,
            "Usage: hako-vmm [OPTION]...\n"
            "Run one Hako virtual machine on KVM (headless unless the app controls it).\n"
            "Options are written in full (--memory 2G or --memory=2G); abbreviations are refused.\n"
            "\n"
            "Machine:\n"
            "  --firmware bios|uefi|PATH  firmware: SeaBIOS (default), UEFI (OVMF), or a raw\n"
            "                             image mapped below 4 GiB with its reset vector\n"
            "  --ovmf-code FILE           UEFI: the OVMF code (OVMF_CODE*.fd, or a unified\n"
            "                             OVMF.fd); default: the host's OVMF found through\n"
            "                             /usr/share/qemu/firmware and the usual paths\n"
            "  --ovmf-vars FILE           UEFI: this VM's own variable store, kept across runs\n"
            "                             (created from the template when missing); without\n"
            "                             it UEFI settings live in memory only\n"
            "  --ovmf-vars-template FILE  UEFI: the empty store matching the code (default:\n"
            "                             the OVMF_VARS*.fd that belongs to --ovmf-code)\n"
            "  --memory SIZE              guest memory: a number of MiB (as QEMU's -m), or a\n"
            "                             number with a unit K, M, G or T (powers of 1024),\n"
            "                             e.g. 512, 512M, 2G; 16 MiB to 1 TiB (default 1G)\n"
            "  --cpus N                   virtual CPUs, 1-16 (default 1)\n"
            "  --resolution WxH           preferred display mode offered in the EDID, each\n"
            "                             64-4095 (default 1280x800)\n"
            "  --vgabios PATH             display option ROM for BIOS guests (default: the\n"
            "                             host's vgabios-bochs-display.bin)\n"
            "  --no-display               no display device\n"
            "  --boot-menu[=SECONDS]      let the firmware show its boot menu (Esc in SeaBIOS)\n"
            "                             and wait SECONDS for it (0.1-60, default 5)\n"
            "  --uuid UUID                the machine's UUID, as the guest reads it from the\n"
            "                             SMBIOS system information (default: all zeros)\n"
            "  --lost-ticks delay|discard timer ticks the guest could not take in time: deliver\n"
            "                             them late (keeps old guests' clocks) or drop them\n"
            "                             (default: discard where KVM emulates the guest's\n"
            "                             ring 0, delay elsewhere)\n"
            "\n"
            "Storage:\n"
            "  --disk PATH[,readonly]     a disk: a raw image file (make one with hako-img\n"
            "                             create) or a block device, as virtio-blk; repeat\n"
            "                             for more disks (up to 8). The engine locks it, so\n"
            "                             another running VM cannot use it at the same time\n"
            "                             (a block device is also opened exclusively)\n"
            "  --cdrom PATH               a CD/DVD-ROM drive (virtio-scsi) holding the ISO\n"
            "                             image PATH; an empty PATH gives an empty drive\n"
            "  --boot cdrom|disk          which the firmware tries first (default: cdrom)\n"
            "\n"
            "Network:\n"
            "  --net user|none            user: a virtio-net card on passt, a NAT network that\n"
            "                             needs no privileges (DHCP, DNS, the host reachable\n"
            "                             at the gateway address); none: no card (default)\n"
            "  --mac XX:XX:XX:XX:XX:XX    the card's MAC address (default 52:54:00:12:34:56)\n"
            "  --net-forward tcp:HOSTPORT:GUESTPORT\n"
            "  --net-forward udp:HOSTPORT:GUESTPORT\n"
            "                             connections to HOSTPORT on the host reach GUESTPORT\n"
            "                             in the guest; repeat for more (up to 32). A host\n"
            "                             port that cannot be bound is refused before start\n"
            "  --net-mtu N                the link MTU, 1280-65520 (default 65520, as passt\n"
            "                             offers; 1500 for guests that want Ethernet's)\n"
            "                             passt is found in PATH (HAKO_PASST=PATH overrides);\n"
            "                             when it is missing or dies, the VM runs with its\n"
            "                             link down, and passt is restarted when it died\n"
            "\n"
            "Input and output:\n"
            "  --serial FILE|stdio        COM1 output to a file or this terminal (stdio also\n"
            "                             forwards typed input)\n"
            "  --debugcon FILE            the firmware's debug console (port 0x402) to FILE\n"
            "  --screenshot FILE.png      write the guest screen to FILE.png when exiting\n"
            "  --log FILE                 the engine's log (default: standard error, warnings\n"
            "                             only)\n"
            "                             Output files are regular files (replaced when they\n"
            "                             exist), FIFOs being read, or terminals; never one\n"
            "                             of the VM's own files or one another VM holds\n"
            "  --diagnose[=json]          print the facts timeline when exiting\n"
            "  --keys SCRIPT|FILE         type on the guest's PS/2 keyboard at given times:\n"
            "                             items TIME:ACTION[,ACTION]... separated by spaces,\n"
            "                             e.g. '3.0:esc 5.5:down,enter +1:ctrl+alt+delete'.\n"
            "                             TIME is seconds after the start, +SECONDS after\n"
            "                             the previous item, or @\"TEXT\"[+SECONDS] once the\n"
            "                             guest printed a line with TEXT (on COM1, or a\n"
            "                             firmware message --diagnose lists), e.g.\n"
            "                             '@\"Press ESC\":esc'. ACTION is a key (a-z, 0-9,\n"
            "                             esc, enter, space, tab, backspace, up, down, left,\n"
            "                             right, f1-f24, shift, ctrl, alt, altgr, meta, menu,\n"
            "                             insert, delete, home, end, pageup, pagedown, print,\n"
            "                             pause, kp0-kp9, kpenter, zenkakuhankaku, muhenkan,\n"
            "                             henkan, kana, yen, ro, ...), a chord KEY+KEY\n"
            "                             (pressed in order, released in reverse), KEY*N (N\n"
            "                             times), \"text\" (typed on a US layout), press(KEY),\n"
            "                             release(KEY) or wait(SECONDS). Each key event takes\n"
            "                             20 ms. When the argument names a file, the script\n"
            "                             is read from it ('#' starts a comment).\n"
            "\n"
            "Running:\n"
            "  --control-fd N             the app's control socket (a SOCK_SEQPACKET socket\n"
            "                             inherited as descriptor N): the guest waits for the\n"
            "                             app's start command, shows its screen through shared\n"
            "                             memory and stops when the socket closes\n"
            "  --exit-after SECONDS       stop the VM after SECONDS (exit status 0)\n"
            "  --debug-exit-port PORT     a guest write of V to PORT ends the engine with\n"
            "                             status (V << 1) | 1 (for test programs)\n"
            "  --dump-tables DIR          write the tables this VM's guest would get into DIR,\n"
            "                             then exit; runs no guest. acpi/ (loader script\n"
            "                             applied), dmi/ and smbios.bin: the ACPI and SMBIOS\n"
            "                             tables (need no /dev/kvm); cpuid.txt: each vCPU's\n"
            "                             CPUID, kvm-supported-cpuid.txt: KVM's own table\n"
            "                             (both need /dev/kvm, left out without it)\n"
            "  --help                     this text\n"
            "  --version                  the version\n"
            "\n"
            "The whole command line is checked before the VM is built; every problem is\n"
            "reported (each on one line) and nothing is written when there is one.\n"
            "\n"
            "Exit status: 0 after a clean power-off or --exit-after; (V << 1) | 1 from the debug\n"
            "exit port; 1 for a configuration error; 3 when the guest could not be run.\n");
}

/* ---- the option table: exact names only ---- */

enum arg_kind { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL };

struct option_def {
    const char *name;
    enum arg_kind arg;
    enum hk_config_option id;
};

static const struct option_def options[] = {
    {"firmware", ARG_REQUIRED, HK_OPTION_FIRMWARE},
    {"memory", ARG_REQUIRED, HK_OPTION_MEMORY},
    {"cpus", ARG_REQUIRED, HK_OPTION_CPUS},
    {"resolution", ARG_REQUIRED, HK_OPTION_RESOLUTION},
    {"vgabios", ARG_REQUIRED, HK_OPTION_VGABIOS},
    {"no-display", ARG_NONE, HK_OPTION_NO_DISPLAY},
    {"boot-menu", ARG_OPTIONAL, HK_OPTION_BOOT_MENU},
    {"serial", ARG_REQUIRED, HK_OPTION_SERIAL},
    {"debugcon", ARG_REQUIRED, HK_OPTION_DEBUGCON},
    {"screenshot", ARG_REQUIRED, HK_OPTION_SCREENSHOT},
    {"log", ARG_REQUIRED, HK_OPTION_LOG},
    {"diagnose", ARG_OPTIONAL, HK_OPTION_DIAGNOSE},
    {"exit-after", ARG_REQUIRED, HK_OPTION_EXIT_AFTER},
    {"debug-exit-port", ARG_REQUIRED, HK_OPTION_DEBUG_EXIT_PORT},
    {"ovmf-code", ARG_REQUIRED, HK_OPTION_OVMF_CODE},
    {"ovmf-vars", ARG_REQUIRED, HK_OPTION_OVMF_VARS},
    {"ovmf-vars-template", ARG_REQUIRED, HK_OPTION_OVMF_VARS_TEMPLATE},
    {"help", ARG_NONE, HK_OPTION_HELP},
    {"disk", ARG_REQUIRED, HK_OPTION_DISK},
    {"cdrom", ARG_REQUIRED, HK_OPTION_CDROM},
    {"boot", ARG_REQUIRED, HK_OPTION_BOOT},
    {"uuid", ARG_REQUIRED, HK_OPTION_UUID},
    {"lost-ticks", ARG_REQUIRED, HK_OPTION_LOST_TICKS},
    {"control-fd", ARG_REQUIRED, HK_OPTION_CONTROL_FD},
    {"version", ARG_NONE, HK_OPTION_VERSION},
    {"keys", ARG_REQUIRED, HK_OPTION_KEYS},
    {"dump-tables", ARG_REQUIRED, HK_OPTION_DUMP_TABLES},
    {"net", ARG_REQUIRED, HK_OPTION_NET},
    {"mac", ARG_REQUIRED, HK_OPTION_MAC},
    {"net-forward", ARG_REQUIRED, HK_OPTION_NET_FORWARD},
    {"net-mtu", ARG_REQUIRED, HK_OPTION_NET_MTU},
};

/* ---- problems ---- */

static struct hk_config_issue *add_issue(struct hk_config *c, bool warning,
                                         enum hk_config_problem p, enum hk_config_option opt,
                                         const char *value, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static struct hk_config_issue *add_issue(struct hk_config *c, bool warning,
                                         enum hk_config_problem p, enum hk_config_option opt,
                                         const char *value, const char *fmt, ...)
{
    if (!warning)
        c->nerrors++;
    if (c->nissues == HK_CONFIG_MAX_ISSUES) {
        c->ndropped++;
        return &c->overflow; /* counted, not kept */
    }
    struct hk_config_issue *i = &c->issues[c->nissues++];
    memset(i, 0, sizeof(*i));
    i->problem = p;
    i->option = opt;
    i->warning = warning;
    snprintf(i->value, sizeof(i->value), "%s", value ? value : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(i->message, sizeof(i->message), fmt, ap);
    va_end(ap);
    return i;
}

#define refuse(c, p, opt, value, ...) add_issue((c), false, (p), (opt), (value), __VA_ARGS__)
#define warn(c, p, opt, value, ...)   add_issue((c), true, (p), (opt), (value), __VA_ARGS__)

static const char *oname(enum hk_config_option o)
{
    const char *n = hk_config_option_name(o);
    return n ? n : "?";
}

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m)    ? "a folder"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
                         : "not a regular file";
}

static enum hk_config_problem errno_problem(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: return HK_CONFIG_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EROFS: return HK_CONFIG_NO_ACCESS;
    case EISDIR: return HK_CONFIG_NOT_REGULAR;
    default: return HK_CONFIG_UNREADABLE;
    }
}

/* ---- parsing ---- */

void hk_config_init(struct hk_config *c)
{
    memset(c, 0, sizeof(*c));
    hk_pc_inputs_init(&c->in);
    c->control_fd = -1;
    struct hk_pc_config *p = &c->pc;
    p->ram_size = 1ull << 30;
    p->ncpus = 1;
    p->fw.kind = HK_FW_BIOS;
    p->edid_width = 1280;
    p->edid_height = 800;
    p->vram_size = 16u << 20;
    p->cmos_boot[0] = 3; /* CD-ROM, then disk */
    p->cmos_boot[1] = 2;
    static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    memcpy(p->net.mac, mac, 6);
    const char *passt = getenv("HAKO_PASST");
    p->net.program = passt && passt[0] ? passt : NULL;
    static const enum hk_config_option outs[4] = {HK_OPTION_SERIAL, HK_OPTION_DEBUGCON,
                                                  HK_OPTION_LOG, HK_OPTION_SCREENSHOT};
    for (unsigned i = 0; i < 4; i++)
        c->out[i].option = outs[i];
}

/* A file name an option takes: never empty. */
static bool path_given(struct hk_config *c, enum hk_config_option o, const char *v)
{
    if (v[0])
        return true;
    refuse(c, HK_CONFIG_EMPTY_PATH, o, v, "--%s: no file name given", oname(o));
    return false;
}

static void set_option(struct hk_config *c, enum hk_config_option o, const char *v)
{
    struct hk_pc_config *p = &c->pc;
    uint64_t n;
    switch (o) {
    case HK_OPTION_FIRMWARE:
        if (strcmp(v, "bios") == 0) {
            p->fw.kind = HK_FW_BIOS;
            p->fw.path = NULL;
        } else if (strcmp(v, "uefi") == 0) {
            p->fw.kind = HK_FW_UEFI;
            p->fw.path = NULL;
        } else if (path_given(c, o, v)) {
            p->fw.kind = HK_FW_RAW;
            p->fw.path = v;
        }
        break;
    case HK_OPTION_MEMORY:
        if (hk_parse_memory(v, &n) < 0)
            refuse(c, HK_CONFIG_BAD_SIZE, o, v,
                   "--memory: '%s' is not a size (a number of MiB, or with a unit: 512M, 2G)", v);
        else if (n < 16 * HK_MIB || n > HK_TIB || n % HK_MIB)
            refuse(c, HK_CONFIG_BAD_SIZE, o, v,
                   "--memory: '%s' is not a whole number of MiB from 16 MiB to 1 TiB", v);
        else
            p->ram_size = n;
        break;
    case HK_OPTION_CPUS:
        if (hk_parse_uint(v, 10, 1, HK_MAX_CPUS, &n) < 0)
            refuse(c, HK_CONFIG_BAD_NUMBER, o, v, "--cpus: '%s' is not a number from 1 to %d", v,
                   HK_MAX_CPUS);
        else
            p->ncpus = (unsigned)n;
        break;
    case HK_OPTION_RESOLUTION: {
        unsigned w, h;
        if (hk_parse_resolution(v, 64, 4095, &w, &h) < 0) {
            refuse(c, HK_CONFIG_BAD_RESOLUTION, o, v,
                   "--resolution: '%s' is not WIDTHxHEIGHT (each 64 to 4095)", v);
        } else {
            p->edid_width = w;
            p->edid_height = h;
        }
        break;
    }
    case HK_OPTION_VGABIOS: p->vgabios_path = v; break; /* "": no display ROM */
    case HK_OPTION_NO_DISPLAY: p->no_display = true; break;
    case HK_OPTION_BOOT_MENU:
        p->boot_menu = true;
        if (v && hk_parse_seconds(v, 100000000ull, 60000000000ull, &n) < 0)
            refuse(c, HK_CONFIG_BAD_NUMBER, o, v,
                   "--boot-menu: '%s' is not a number of seconds from 0.1 to 60", v);
        else if (v)
            p->boot_menu_wait_ms = (unsigned)(n / 1000000u);
        break;
    case HK_OPTION_SERIAL:
        c->serial_stdio = strcmp(v, "stdio") == 0;
        c->out[HK_OUT_SERIAL].path = NULL;
        if (!c->serial_stdio && path_given(c, o, v))
            c->out[HK_OUT_SERIAL].path = v;
        break;
    case HK_OPTION_DEBUGCON:
        if (path_given(c, o, v))
            c->out[HK_OUT_DEBUGCON].path = v;
        break;
    case HK_OPTION_SCREENSHOT:
        if (path_given(c, o, v))
            c->out[HK_OUT_SCREENSHOT].path = v;
        break;
    case HK_OPTION_LOG:
        if (path_given(c, o, v))
            c->out[HK_OUT_LOG].path = v;
        break;
    case HK_OPTION_DIAGNOSE:
        if (!v || strcmp(v, "text") == 0)
            c->diagnose = 1;
        else if (strcmp(v, "json") == 0)
            c->diagnose = 2;
        else
            refuse(c, HK_CONFIG_BAD_CHOICE, o, v, "--diagnose: '%s' is not text or json", v);
        break;
    case HK_OPTION_EXIT_AFTER:
        /* at least a millisecond: a timer of 0 would never fire */
        if (hk_parse_seconds(v, 1000000ull, 10000000ull * 1000000000ull, &n) < 0)
            refuse(c, HK_CONFIG_BAD_NUMBER, o, v,
                   "--exit-after: '%s' is not a number of seconds from 0.001 to 10000000", v);
        else
            c->exit_after_ns = n;
        break;
    case HK_OPTION_DEBUG_EXIT_PORT:
        if (hk_parse_uint(v, 0, 1, 0xFFFF, &n) < 0)
            refuse(c, HK_CONFIG_BAD_NUMBER, o, v,
                   "--debug-exit-port: '%s' is not an I/O port (1-0xffff)", v);
        else
            p->debug_exit_port = (uint16_t)n;
        break;
    case HK_OPTION_OVMF_CODE:
        if (path_given(c, o, v))
            p->fw.ovmf_code = v;
        break;
    case HK_OPTION_OVMF_VARS:
        if (path_given(c, o, v))
            p->fw.ovmf_vars = v;
        break;
    case HK_OPTION_OVMF_VARS_TEMPLATE:
        if (path_given(c, o, v))
            p->fw.ovmf_vars_template = v;
        break;
    case HK_OPTION_HELP: c->help = true; break;
    case HK_OPTION_VERSION: c->version = true; break;
    case HK_OPTION_DISK: {
        if (p->ndisks == HK_PC_MAX_DISKS) {
            refuse(c, HK_CONFIG_TOO_MANY_DISKS, o, v, "--disk: at most %d disks", HK_PC_MAX_DISKS);
            break;
        }
        char *copy = strdup(v);
        if (!copy) {
            refuse(c, HK_CONFIG_UNREADABLE, o, v, "out of memory");
            break;
        }
        char *comma = strrchr(copy, ',');
        bool ro = comma && strcmp(comma + 1, "readonly") == 0;
        if (ro)
            *comma = 0;
        if (!copy[0]) {
            free(copy);
            refuse(c, HK_CONFIG_EMPTY_PATH, o, v, "--disk: no image path given");
            break;
        }
        c->disk_args[p->ndisks] = copy;
        p->disks[p->ndisks].path = copy;
        p->disks[p->ndisks].readonly = ro;
        p->ndisks++;
        break;
    }
    case HK_OPTION_CDROM: p->cdrom = v; break; /* "": a drive without a disc */
    case HK_OPTION_UUID:
        if (hk_uuid_parse(v, p->uuid) < 0)
            refuse(c, HK_CONFIG_BAD_UUID, o, v,
                   "--uuid: '%s' is not a UUID like 8c6b9a3e-2f41-4d5c-9e07-1b2a3c4d5e6f", v);
        else
            p->have_uuid = true;
        break;
    case HK_OPTION_LOST_TICKS:
        if (strcmp(v, "delay") == 0)
            p->lost_ticks = HK_LOST_TICKS_DELAY;
        else if (strcmp(v, "discard") == 0)
            p->lost_ticks = HK_LOST_TICKS_DISCARD;
        else {
            refuse(c, HK_CONFIG_BAD_CHOICE, o, v, "--lost-ticks: '%s' is not delay or discard", v);
            break;
        }
        p->lost_ticks_set = true;
        break;
    case HK_OPTION_BOOT:
        if (strcmp(v, "cdrom") == 0) {
            p->cmos_boot[0] = 3;
            p->cmos_boot[1] = 2;
        } else if (strcmp(v, "disk") == 0) {
            p->cmos_boot[0] = 2;
            p->cmos_boot[1] = 3;
        } else {
            refuse(c, HK_CONFIG_BAD_CHOICE, o, v, "--boot: '%s' is not cdrom or disk", v);
        }
        break;
    case HK_OPTION_CONTROL_FD: {
        char why[128];
        if (hk_parse_uint(v, 10, 0, 65535, &n) < 0) {
            refuse(c, HK_CONFIG_BAD_NUMBER, o, v, "--control-fd: '%s' is not a file descriptor", v);
        } else if (hk_control_check_fd((int)n, why, sizeof(why)) < 0) {
            refuse(c, HK_CONFIG_BAD_CONTROL_FD, o, v, "--control-fd: %s", why);
        } else {
            fcntl((int)n, F_SETFD, FD_CLOEXEC);
            c->control_fd = (int)n;
        }
        break;
    }
    case HK_OPTION_KEYS: c->keys_arg = v; break;
    case HK_OPTION_DUMP_TABLES: c->dump_tables = v; break;
    case HK_OPTION_NET:
        if (strcmp(v, "user") == 0)
            p->net.enabled = true;
        else if (strcmp(v, "none") == 0)
            p->net.enabled = false;
        else
            refuse(c, HK_CONFIG_BAD_CHOICE, o, v, "--net: '%s' is not user or none", v);
        break;
    case HK_OPTION_MAC:
        if (hk_net_parse_mac(v, p->net.mac) < 0)
            refuse(c, HK_CONFIG_BAD_MAC, o, v,
                   "--mac: '%s' is not a unicast MAC address like 52:54:00:12:34:56", v);
        break;
    case HK_OPTION_NET_FORWARD: {
        struct hk_net_forward f;
        char why[160];
        if (hk_net_parse_forward(v, &f, why, sizeof(why)) < 0) {
            refuse(c, HK_CONFIG_BAD_FORWARD, o, v, "--net-forward: %s", why);
        } else if (p->net.nfwd == HK_NET_MAX_FORWARDS) {
            refuse(c, HK_CONFIG_BAD_FORWARD, o, v, "--net-forward: at most %d forwards",
                   HK_NET_MAX_FORWARDS);
        } else {
            p->net.fwd[p->net.nfwd] = f;
            unsigned earlier;
            if (hk_net_forward_conflict(p->net.fwd, p->net.nfwd + 1, &earlier) >= 0) {
                refuse(c, HK_CONFIG_FORWARD_TWICE, o, v,
                       "--net-forward: host port %u (%s) is forwarded twice", f.host_port,
                       hk_net_proto_name(f.proto));
            } else {
                p->net.nfwd++;
            }
        }
        break;
    }
    case HK_OPTION_NET_MTU:
        if (hk_parse_uint(v, 10, HK_NET_MTU_MIN, HK_NET_MTU_MAX, &n) < 0)
            refuse(c, HK_CONFIG_BAD_NUMBER, o, v, "--net-mtu: '%s' is not a number from %d to %d",
                   v, HK_NET_MTU_MIN, HK_NET_MTU_MAX);
        else
            p->net.mtu = (unsigned)n;
        break;
    default: break;
    }
}

unsigned hk_config_parse(struct hk_config *c, int argc, char **argv)
{
    bool only_args = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || !a[1]) {
            refuse(c, HK_CONFIG_UNEXPECTED_ARGUMENT, HK_OPTION_NONE, a,
                   "unexpected argument '%s' (see --help)", a);
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_args = true;
            continue;
        }
        if (a[1] != '-') {
            refuse(c, HK_CONFIG_UNKNOWN_OPTION, HK_OPTION_NONE, a,
                   "unknown option '%s' (options are written in full: see --help)", a);
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct option_def *d = NULL;
        for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++)
            if (strlen(options[k].name) == len && strncmp(options[k].name, name, len) == 0)
                d = &options[k];
        if (!d) {
            /* getopt would take an abbreviation ("--co" for --control-fd); hako-vmm does not */
            refuse(c, HK_CONFIG_UNKNOWN_OPTION, HK_OPTION_NONE, a,
                   "unknown option '%.*s' (options are written in full: see --help)",
                   (int)(len + 2), a);
            if (!eq && i + 1 < argc && argv[i + 1][0] != '-')
                i++; /* most likely its value: not a second problem */
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (d->arg == ARG_NONE && v) {
            refuse(c, HK_CONFIG_UNEXPECTED_VALUE, d->id, v, "--%s takes no value (got '%s')",
                   d->name, v);
            continue;
        }
        if (d->arg == ARG_REQUIRED && !v) {
            if (i + 1 >= argc) {
                refuse(c, HK_CONFIG_MISSING_VALUE, d->id, "", "--%s needs a value (see --help)",
                       d->name);
                continue;
            }
            v = argv[++i];
        }
        set_option(c, d->id, v);
    }
    if (c->pc.net.nfwd && !c->pc.net.enabled) {
        char f[32];
        hk_net_format_forward(&c->pc.net.fwd[0], f, sizeof(f));
        refuse(c, HK_CONFIG_NET_OFF, HK_OPTION_NET_FORWARD, f,
               "--net-forward %s: the VM has no network (add --net user)", f);
    }
    return c->nerrors;
}

/* ---- files ---- */

static void add_file(struct hk_config *c, enum hk_config_option o, bool writable,
                     const struct stat *st)
{
    if (c->nfiles == HK_CONFIG_MAX_FILES)
        return;
    struct hk_config_file *f = &c->files[c->nfiles++];
    f->option = o;
    f->writable = writable;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
}

static void add_path(struct hk_config *c, enum hk_config_option o, bool writable, const char *path)
{
    struct stat st;
    if (path && path[0] && stat(path, &st) == 0)
        add_file(c, o, writable, &st);
}

static const struct hk_config_file *find_file(const struct hk_config *c, const struct stat *st)
{
    for (unsigned i = 0; i < c->nfiles; i++)
        if (c->files[i].dev == st->st_dev && c->files[i].ino == st->st_ino)
            return &c->files[i];
    return NULL;
}

/* The same image given twice, where one of the two is written: refused (the second open would
 * also fail on the first one's lock, and say "another running VM"). */
static bool given_twice(struct hk_config *c, enum hk_config_option o, const char *path,
                        bool writable)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return false; /* opening says why */
    const struct hk_config_file *f = find_file(c, &st);
    if (!f || (!f->writable && !writable))
        return false;
    struct hk_config_issue *i =
        refuse(c, HK_CONFIG_SAME_FILE, o, path,
               "--%s: %s is given twice (also as --%s): a VM cannot use one file twice when it "
               "writes to it",
               oname(o), path, oname(f->option));
    i->other = f->option;
    return true;
}

static void check_disks(struct hk_config *c)
{
    struct hk_pc_config *p = &c->pc;
    char err[700];
    for (unsigned i = 0; i < p->ndisks; i++) {
        const char *path = p->disks[i].path;
        bool ro = p->disks[i].readonly;
        if (given_twice(c, HK_OPTION_DISK, path, !ro))
            continue;
        struct hk_disk_file *f = &c->in.disks[i];
        if (hk_disk_open(f, path, HK_DISK_IMAGE, ro, err, sizeof(err)) < 0) {
            refuse(c, f->problem, HK_OPTION_DISK, path, "%s", err)->error = f->error;
            continue;
        }
        struct stat st = {.st_dev = f->dev, .st_ino = f->ino};
        add_file(c, HK_OPTION_DISK, !ro, &st);
        if (f->lock_errno)
            warn(c, HK_CONFIG_WARN_UNLOCKED, HK_OPTION_DISK, path,
                 "the disk image %s cannot be locked (%s): another VM using it at the same time "
                 "would not be noticed",
                 path, strerror(f->lock_errno))
                ->error = f->lock_errno;
    }
    if (p->cdrom && p->cdrom[0] && !given_twice(c, HK_OPTION_CDROM, p->cdrom, false)) {
        struct hk_disk_file *f = &c->in.cdrom;
        if (hk_disk_open(f, p->cdrom, HK_DISK_CDROM, true, err, sizeof(err)) < 0) {
            refuse(c, f->problem, HK_OPTION_CDROM, p->cdrom, "%s", err)->error = f->error;
        } else {
            struct stat st = {.st_dev = f->dev, .st_ino = f->ino};
            add_file(c, HK_OPTION_CDROM, false, &st);
            if (f->lock_errno)
                warn(c, HK_CONFIG_WARN_UNLOCKED, HK_OPTION_CDROM, p->cdrom,
                     "the CD-ROM image %s cannot be locked (%s)", p->cdrom, strerror(f->lock_errno))
                    ->error = f->lock_errno;
        }
    }
}

/* Reads a whole regular file of at most max bytes (never waits on a FIFO). NULL with a problem
 * recorded. */
static uint8_t *read_small_file(struct hk_config *c, enum hk_config_option o, const char *path,
                                const char *what, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        refuse(c, errno_problem(e), o, path, "cannot open the %s %s: %s", what, path, strerror(e))
            ->error = e;
        return NULL;
    }
    struct stat st;
    uint8_t *buf = NULL;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        refuse(c, HK_CONFIG_UNREADABLE, o, path, "cannot read the %s %s: %s", what, path,
               strerror(e))
            ->error = e;
    } else if (!S_ISREG(st.st_mode)) {
        refuse(c, HK_CONFIG_NOT_REGULAR, o, path, "the %s %s is not a regular file (it is %s)",
               what, path, file_kind(st.st_mode));
    } else if (st.st_size <= 0 || (uint64_t)st.st_size > max) {
        refuse(c, HK_CONFIG_BAD_CONTENTS, o, path, "the %s %s is %s (%lld bytes; at most %zu KiB)",
               what, path, st.st_size <= 0 ? "empty" : "too large", (long long)st.st_size,
               max / 1024);
    } else {
        size_t sz = (size_t)st.st_size, got = 0;
        buf = malloc(sz + 1);
        while (buf && got < sz) {
            ssize_t n = read(fd, buf + got, sz - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                int e = n < 0 ? errno : 0;
                refuse(c, HK_CONFIG_UNREADABLE, o, path, "cannot read the %s %s: %s", what, path,
                       n < 0 ? strerror(e) : "it is shorter than its size")
                    ->error = e;
                free(buf);
                buf = NULL;
                break;
            }
            got += (size_t)n;
        }
        if (!buf && got < sz && c->nerrors == 0)
            refuse(c, HK_CONFIG_UNREADABLE, o, path, "out of memory");
        if (buf) {
            buf[sz] = 0;
            *len = sz;
            add_file(c, o, false, &st);
        }
    }
    close(fd);
    return buf;
}

static void check_firmware(struct hk_config *c, struct hk_log *log)
{
    struct hk_firmware_config *fc = &c->pc.fw;
    struct hk_firmware *fw = &c->in.fw;
    if (fc->kind == HK_FW_RAW && (!fc->path || !fc->path[0]))
        return; /* refused while parsing */
    if (hk_firmware_load(fw, fc, log) < 0) {
        enum hk_config_option o = fc->kind == HK_FW_UEFI
                                      ? (fc->ovmf_code ? HK_OPTION_OVMF_CODE : HK_OPTION_FIRMWARE)
                                      : HK_OPTION_FIRMWARE;
        const char *value = fc->kind == HK_FW_UEFI ? (fc->ovmf_code ? fc->ovmf_code : "uefi")
                            : fc->path             ? fc->path
                                                   : "bios";
        if (fw->problem == HK_FW_PROBLEM_VARS_IN_USE || fw->problem == HK_FW_PROBLEM_VARS_WRITE ||
            (fc->ovmf_vars && strcmp(fw->problem_path, fc->ovmf_vars) == 0)) {
            o = HK_OPTION_OVMF_VARS;
            value = fc->ovmf_vars;
        } else if (fc->ovmf_vars_template &&
                   strcmp(fw->problem_path, fc->ovmf_vars_template) == 0) {
            o = HK_OPTION_OVMF_VARS_TEMPLATE;
            value = fc->ovmf_vars_template;
        }
        refuse(c, HK_CONFIG_FIRMWARE, o, value, "%s",
               fw->problem_text[0] ? fw->problem_text : "the firmware was refused");
        return;
    }
    c->in.have_fw = true;
    bool uefi = fc->kind == HK_FW_UEFI;
    add_path(c, uefi ? HK_OPTION_OVMF_CODE : HK_OPTION_FIRMWARE, false, fw->path);
    if (uefi) {
        if (fw->vars_fd >= 0) {
            struct stat st;
            if (fstat(fw->vars_fd, &st) == 0)
                add_file(c, HK_OPTION_OVMF_VARS, true, &st);
        }
        add_path(c, HK_OPTION_OVMF_VARS_TEMPLATE, false, fw->vars_template);
        if (fw->vars_lock_errno)
            warn(c, HK_CONFIG_WARN_UNLOCKED, HK_OPTION_OVMF_VARS, fw->vars_path,
                 "the UEFI variable store %s cannot be locked (%s): another VM using it at the "
                 "same time would not be noticed",
                 fw->vars_path, strerror(fw->vars_lock_errno))
                ->error = fw->vars_lock_errno;
    }
}

static void check_vgabios(struct hk_config *c)
{
    struct hk_pc_config *p = &c->pc;
    if (p->no_display)
        return;
    const char *path = p->vgabios_path ? p->vgabios_path : hk_pc_find_vgabios();
    if (path && path[0]) {
        c->in.vgabios = read_small_file(c, HK_OPTION_VGABIOS, path, "display option ROM", 1u << 20,
                                        &c->in.vgabios_len);
    } else if (!p->vgabios_path && p->fw.kind == HK_FW_BIOS) {
        warn(c, HK_CONFIG_WARN_NO_VGABIOS, HK_OPTION_VGABIOS, "",
             "no vgabios-bochs-display.bin found: BIOS guests will have no display (install "
             "the seabios package)");
    }
}

static void check_keys(struct hk_config *c)
{
    if (!c->keys_arg)
        return;
    const char *text = c->keys_arg;
    char *buf = NULL;
    struct stat st;
    if (stat(text, &st) == 0) {
        /* the argument names a file: the script is in it */
        size_t len;
        buf = (char *)read_small_file(c, HK_OPTION_KEYS, text, "--keys script", 1u << 20, &len);
        if (!buf)
            return;
        text = buf;
    }
    char err[200];
    if (hk_keys_parse(text, &c->keys, err, sizeof(err)) < 0)
        refuse(c, HK_CONFIG_BAD_KEYS, HK_OPTION_KEYS, c->keys_arg, "--keys: %s", err);
    free(buf);
}

/* Another running VM holds the file: a disk's OFD lock or a variable store's flock. */
static bool held_by_another_vm(int fd)
{
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_OFD_GETLK, &lk) == 0 && lk.l_type != F_UNLCK)
        return true;
    if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
        return true;
    flock(fd, LOCK_UN);
    return false;
}

static bool is_dev_null(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

static void check_output(struct hk_config *c, struct hk_config_output *o)
{
    const char *path = o->path;
    const char *name = oname(o->option);
    struct stat st;
    if (o->option == HK_OPTION_SCREENSHOT && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        /* the screenshot replaces the name (hk_png_write_file), never writes through a link */
        refuse(c, HK_CONFIG_NOT_REGULAR, o->option, path,
               "--screenshot: %s is a symbolic link, not a regular file", path);
        return;
    }
    if (stat(path, &st) < 0) {
        int e = errno;
        if (e != ENOENT) {
            refuse(c, errno_problem(e), o->option, path, "--%s: cannot use %s: %s", name, path,
                   strerror(e))
                ->error = e;
            return;
        }
        /* a new file: its folder must exist and take it */
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        o->base = slash ? path + (slash - dir) + 1 : path;
        if (slash == dir)
            dir[1] = 0;
        else if (slash)
            *slash = 0;
        else
            snprintf(dir, sizeof(dir), ".");
        struct stat ds;
        int de = 0;
        if (stat(dir, &ds) < 0)
            de = errno;
        else if (!S_ISDIR(ds.st_mode))
            de = ENOTDIR;
        else if (access(dir, W_OK | X_OK) < 0)
            de = errno;
        if (de) {
            refuse(c, HK_CONFIG_OUTPUT_DIR, o->option, path, "--%s: cannot create %s: %s", name,
                   path, strerror(de))
                ->error = de;
            return;
        }
        o->parent_dev = ds.st_dev;
        o->parent_ino = ds.st_ino;
        o->exists = false;
        /* the UEFI variable store hako-vmm is about to create */
        const char *vars = c->in.fw.vars_create ? c->in.fw.vars_path : NULL;
        if (vars) {
            struct hk_config_output v = {.option = HK_OPTION_OVMF_VARS};
            const char *vs = strrchr(vars, '/');
            char vdir[4096];
            snprintf(vdir, sizeof(vdir), "%s", vars);
            if (vs) {
                vdir[vs == vars ? 1 : vs - vars] = 0;
            } else {
                snprintf(vdir, sizeof(vdir), ".");
            }
            if (stat(vdir, &ds) == 0) {
                v.parent_dev = ds.st_dev;
                v.parent_ino = ds.st_ino;
                v.base = vs ? vs + 1 : vars;
                if (v.parent_dev == o->parent_dev && v.parent_ino == o->parent_ino &&
                    strcmp(v.base, o->base) == 0) {
                    refuse(c, HK_CONFIG_OUTPUT_IS_INPUT, o->option, path,
                           "--%s: %s is the VM's UEFI variable store (--ovmf-vars): it would be "
                           "overwritten",
                           name, path)
                        ->other = HK_OPTION_OVMF_VARS;
                    return;
                }
            }
        }
    } else {
        o->exists = true;
        o->dev = st.st_dev;
        o->ino = st.st_ino;
        o->mode = st.st_mode;
        const struct hk_config_file *f = find_file(c, &st);
        if (f) {
            refuse(c, HK_CONFIG_OUTPUT_IS_INPUT, o->option, path,
                   "--%s: %s is also given as --%s: writing to it would destroy it", name, path,
                   oname(f->option))
                ->other = f->option;
            return;
        }
        bool stream = S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode);
        if (o->option == HK_OPTION_SCREENSHOT && !S_ISREG(st.st_mode)) {
            refuse(c, HK_CONFIG_NOT_REGULAR, o->option, path,
                   "--screenshot: %s is %s, not a regular file", path, file_kind(st.st_mode));
            return;
        }
        if (!S_ISREG(st.st_mode) && !stream) {
            refuse(c, HK_CONFIG_NOT_REGULAR, o->option, path,
                   "--%s: %s is %s, not a file to write to", name, path, file_kind(st.st_mode));
            return;
        }
        if (S_ISCHR(st.st_mode) && !is_dev_null(&st)) {
            /* a terminal the user named (/dev/tty, /dev/pts/N), or /dev/null; no other device */
            int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
            bool tty = fd >= 0 && isatty(fd);
            if (fd >= 0)
                close(fd);
            if (!tty) {
                refuse(c, HK_CONFIG_NOT_REGULAR, o->option, path,
                       "--%s: %s is a device, not a terminal or a file", name, path);
                return;
            }
        }
        if (S_ISREG(st.st_mode)) {
            int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC); /* no O_TRUNC */
            if (fd < 0) {
                int e = errno;
                refuse(c, errno_problem(e), o->option, path, "--%s: cannot write %s: %s", name,
                       path, strerror(e))
                    ->error = e;
                return;
            }
            bool held = held_by_another_vm(fd);
            close(fd);
            if (held) {
                refuse(c, HK_CONFIG_IN_USE, o->option, path,
                       "--%s: %s is in use by another running VM (it holds a lock on it)", name,
                       path);
                return;
            }
        }
    }
    /* two outputs into one file */
    for (struct hk_config_output *q = c->out; q < o; q++) {
        if (!q->path || q->option == o->option)
            continue;
        bool same = o->exists
                        ? (q->exists && q->dev == o->dev && q->ino == o->ino && S_ISREG(o->mode))
                        : (!q->exists && q->base && q->parent_dev == o->parent_dev &&
                           q->parent_ino == o->parent_ino && strcmp(q->base, o->base) == 0);
        if (same) {
            refuse(c, HK_CONFIG_SAME_FILE, o->option, path,
                   "--%s: %s is given twice (also as --%s)", name, path, oname(q->option))
                ->other = q->option;
            return;
        }
    }
}

/* The network: every forward's host port can be bound now (passt would skip one silently), and
 * passt is there (without it the VM runs with no network: a warning). */
static void check_net(struct hk_config *c)
{
    const struct hk_pc_net *n = &c->pc.net;
    if (!n->enabled)
        return;
    for (unsigned i = 0; i < n->nfwd; i++) {
        char why[200], v[32];
        hk_net_format_forward(&n->fwd[i], v, sizeof(v));
        if (hk_net_check_forward(&n->fwd[i], why, sizeof(why)) < 0)
            refuse(c, HK_CONFIG_PORT_IN_USE, HK_OPTION_NET_FORWARD, v, "--net-forward %s: %s", v,
                   why)
                ->error = errno;
    }
    char path[HK_PASST_PATH_MAX];
    if (hk_passt_find(n->program, path, sizeof(path)) < 0)
        warn(c, HK_CONFIG_WARN_NO_PASST, HK_OPTION_NET, n->program ? n->program : "passt",
             "--net user: %s is not installed: the VM will have no network (install the passt "
             "package)",
             n->program ? n->program : "passt");
}

unsigned hk_config_check(struct hk_config *c, struct hk_log *log)
{
    check_net(c);
    check_firmware(c, log);
    check_vgabios(c);
    check_disks(c);
    check_keys(c);
    for (unsigned i = 0; i < 4; i++)
        if (c->out[i].path)
            check_output(c, &c->out[i]);
    return c->nerrors;
}

/* Opens an output checked by check_output. -1 with a problem recorded. */
static int open_output(struct hk_config *c, struct hk_config_output *o)
{
    const char *path = o->path, *name = oname(o->option);
    int fd = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        if (e == ENXIO)
            refuse(c, HK_CONFIG_FIFO_NO_READER, o->option, path,
                   "--%s: nothing reads from the FIFO %s (start the reader first)", name, path);
        else
            refuse(c, errno_problem(e), o->option, path, "--%s: cannot write %s: %s", name, path,
                   strerror(e))
                ->error = e;
        return -1;
    }
    struct stat st;
    const struct hk_config_file *f = NULL;
    if (fstat(fd, &st) < 0 || (o->exists && (st.st_dev != o->dev || st.st_ino != o->ino)) ||
        (!o->exists && !S_ISREG(st.st_mode)) || (f = find_file(c, &st)) != NULL) {
        close(fd);
        if (f)
            refuse(c, HK_CONFIG_OUTPUT_IS_INPUT, o->option, path,
                   "--%s: %s is also given as --%s: writing to it would destroy it", name, path,
                   oname(f->option))
                ->other = f->option;
        else
            refuse(c, HK_CONFIG_UNREADABLE, o->option, path,
                   "--%s: %s changed while it was checked", name, path);
        return -1;
    }
    if (S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) {
        int e = errno;
        close(fd);
        refuse(c, errno_problem(e), o->option, path, "--%s: cannot write %s: %s", name, path,
               strerror(e))
            ->error = e;
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

unsigned hk_config_open(struct hk_config *c, struct hk_log *log)
{
    if (c->nerrors)
        return c->nerrors;
    struct hk_firmware *fw = &c->in.fw;
    if (c->in.have_fw && fw->vars_create) {
        if (hk_firmware_create_store(fw, log) < 0) {
            refuse(c, HK_CONFIG_FIRMWARE, HK_OPTION_OVMF_VARS, fw->vars_path, "%s",
                   fw->problem_text);
            return c->nerrors;
        }
        struct stat st;
        if (fstat(fw->vars_fd, &st) == 0)
            add_file(c, HK_OPTION_OVMF_VARS, true, &st);
    }
    FILE **fps[3] = {&c->serial_out, &c->debugcon_out, &c->log_out};
    for (unsigned i = 0; i < 3; i++) {
        if (!c->out[i].path)
            continue;
        int fd = open_output(c, &c->out[i]);
        if (fd < 0)
            continue;
        *fps[i] = fdopen(fd, "w");
        if (!*fps[i]) {
            close(fd);
            refuse(c, HK_CONFIG_UNREADABLE, c->out[i].option, c->out[i].path, "out of memory");
        }
    }
    if (c->log_out)
        setvbuf(c->log_out, NULL, _IOLBF, 0); /* whole lines survive a crash or a kill */
    c->pc.debugcon_out = c->debugcon_out;
    return c->nerrors;
}

void hk_config_free(struct hk_config *c)
{
    hk_pc_inputs_free(&c->in);
    hk_keys_script_free(&c->keys);
    if (c->serial_out)
        fclose(c->serial_out);
    if (c->debugcon_out)
        fclose(c->debugcon_out);
    if (c->log_out)
        fclose(c->log_out);
    c->serial_out = c->debugcon_out = c->log_out = NULL;
    for (unsigned i = 0; i < HK_PC_MAX_DISKS; i++) {
        free(c->disk_args[i]);
        c->disk_args[i] = NULL;
    }
}
