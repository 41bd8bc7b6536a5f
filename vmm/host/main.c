/* hako-vmm: one process per running VM. Parses the command line into a board configuration, runs
 * the VM headless (or under the app's control socket) and explains itself when asked. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/loop.h"
#include "../pc/board.h"
#include "../pc/smbios.h"
#include "hako/size.h"
#include "keys.h"
#include "control.h"
#include "screenshot.h"

#ifndef HAKO_VERSION
#define HAKO_VERSION "0"
#endif

struct engine {
    struct hk_log log;
    struct hk_loop *loop;
    struct hk_pc pc;
    struct hk_pc_config cfg;
    const char *screenshot;
    const char *serial;
    const char *debugcon;
    const char *logfile;
    int control_fd; /* -1: headless */
    struct hk_control *control;
    double exit_after;
    int diagnose; /* 0 none, 1 text, 2 json */
    FILE *serial_out, *debugcon_out, *log_out;
    struct hk_timer *exit_timer, *refresh_timer;
    const char *keys_arg; /* --keys: a script or a file holding one */
    struct hk_keys_script keys;
    struct hk_keys_player *keys_player;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: hako-vmm [OPTION]...\n"
            "Run one Hako virtual machine on KVM (headless unless the app controls it).\n"
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
            "  --memory SIZE              guest memory, e.g. 256M, 2G (default 1G)\n"
            "  --cpus N                   virtual CPUs, 1-16 (default 1)\n"
            "  --resolution WxH           preferred display mode offered in the EDID\n"
            "                             (default 1280x800)\n"
            "  --vgabios PATH             display option ROM for BIOS guests (default: the\n"
            "                             host's vgabios-bochs-display.bin)\n"
            "  --no-display               no display device\n"
            "  --boot-menu[=SECONDS]      let the firmware show its boot menu (Esc in SeaBIOS)\n"
            "                             and wait SECONDS for it (default 5)\n"
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
            "  --cdrom PATH               a CD/DVD-ROM drive (virtio-scsi) holding the ISO\n"
            "                             image PATH; an empty PATH gives an empty drive\n"
            "  --boot cdrom|disk          which the firmware tries first (default: cdrom)\n"
            "\n"
            "Input and output:\n"
            "  --serial FILE|stdio        COM1 output to a file or this terminal (stdio also\n"
            "                             forwards typed input)\n"
            "  --debugcon FILE            the firmware's debug console (port 0x402) to FILE\n"
            "  --screenshot FILE.png      write the guest screen to FILE.png when exiting\n"
            "  --log FILE                 the engine's log (default: standard error, warnings\n"
            "                             only)\n"
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
            "  --help                     this text\n"
            "  --version                  the version\n"
            "\n"
            "Exit status: 0 after a clean power-off or --exit-after; (V << 1) | 1 from the debug\n"
            "exit port; 1 for a configuration error; 3 when the guest could not be run.\n");
}

enum {
    OPT_FIRMWARE = 256,
    OPT_MEMORY,
    OPT_CPUS,
    OPT_RESOLUTION,
    OPT_VGABIOS,
    OPT_NO_DISPLAY,
    OPT_BOOT_MENU,
    OPT_SERIAL,
    OPT_DEBUGCON,
    OPT_SCREENSHOT,
    OPT_LOG,
    OPT_DIAGNOSE,
    OPT_EXIT_AFTER,
    OPT_DEBUG_EXIT,
    OPT_HELP,
    OPT_VERSION,
    OPT_DISK,
    OPT_CDROM,
    OPT_BOOT,
    OPT_CONTROL_FD,
    OPT_KEYS,
    OPT_OVMF_CODE,
    OPT_OVMF_VARS,
    OPT_OVMF_VARS_TEMPLATE,
    OPT_UUID,
    OPT_LOST_TICKS,
};

static const struct option long_opts[] = {
    {"firmware", required_argument, NULL, OPT_FIRMWARE},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"resolution", required_argument, NULL, OPT_RESOLUTION},
    {"vgabios", required_argument, NULL, OPT_VGABIOS},
    {"no-display", no_argument, NULL, OPT_NO_DISPLAY},
    {"boot-menu", optional_argument, NULL, OPT_BOOT_MENU},
    {"serial", required_argument, NULL, OPT_SERIAL},
    {"debugcon", required_argument, NULL, OPT_DEBUGCON},
    {"screenshot", required_argument, NULL, OPT_SCREENSHOT},
    {"log", required_argument, NULL, OPT_LOG},
    {"diagnose", optional_argument, NULL, OPT_DIAGNOSE},
    {"exit-after", required_argument, NULL, OPT_EXIT_AFTER},
    {"debug-exit-port", required_argument, NULL, OPT_DEBUG_EXIT},
    {"ovmf-code", required_argument, NULL, OPT_OVMF_CODE},
    {"ovmf-vars", required_argument, NULL, OPT_OVMF_VARS},
    {"ovmf-vars-template", required_argument, NULL, OPT_OVMF_VARS_TEMPLATE},
    {"help", no_argument, NULL, OPT_HELP},
    {"disk", required_argument, NULL, OPT_DISK},
    {"cdrom", required_argument, NULL, OPT_CDROM},
    {"boot", required_argument, NULL, OPT_BOOT},
    {"uuid", required_argument, NULL, OPT_UUID},
    {"lost-ticks", required_argument, NULL, OPT_LOST_TICKS},
    {"control-fd", required_argument, NULL, OPT_CONTROL_FD},
    {"version", no_argument, NULL, OPT_VERSION},
    {"keys", required_argument, NULL, OPT_KEYS},
    {NULL, 0, NULL, 0},
};

static int fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "hako-vmm: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return 1;
}

/* --keys: the script itself, or the name of a file that holds it. */
static int load_keys(struct engine *e)
{
    const char *text = e->keys_arg;
    char *buf = NULL;
    struct stat st;
    FILE *f = stat(text, &st) == 0 && S_ISREG(st.st_mode) ? fopen(text, "r") : NULL;
    if (f) {
        size_t cap = 1 << 20, n;
        buf = malloc(cap + 1);
        n = buf ? fread(buf, 1, cap, f) : 0;
        bool more = buf && fgetc(f) != EOF;
        fclose(f);
        if (!buf || more) {
            free(buf);
            fprintf(stderr, "hako-vmm: --keys: %s is not a script of at most 1 MiB\n", text);
            return -1;
        }
        buf[n] = 0;
        text = buf;
    }
    char err[200];
    int r = hk_keys_parse(text, &e->keys, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "hako-vmm: --keys: %s\n", err);
    free(buf);
    return r;
}

static void key_sink(void *opaque, unsigned code, bool down)
{
    hk_pc_key(opaque, code, down);
}

static int parse_args(struct engine *e, int argc, char **argv)
{
    struct hk_pc_config *c = &e->cfg;
    e->control_fd = -1;
    c->ram_size = 1ull << 30;
    c->ncpus = 1;
    c->fw.kind = HK_FW_BIOS;
    c->edid_width = 1280;
    c->edid_height = 800;
    c->vram_size = 16u << 20;
    c->cmos_boot[0] = 3; /* CD-ROM, then disk */
    c->cmos_boot[1] = 2;
    int opt;
    while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case OPT_FIRMWARE:
            if (strcmp(optarg, "bios") == 0) {
                c->fw.kind = HK_FW_BIOS;
            } else if (strcmp(optarg, "uefi") == 0) {
                c->fw.kind = HK_FW_UEFI;
            } else {
                c->fw.kind = HK_FW_RAW;
                c->fw.path = optarg;
            }
            break;
        case OPT_MEMORY: {
            uint64_t v;
            if (hk_parse_size(optarg, &v) < 0)
                return fail("--memory: '%s' is not a size (try 512M or 2G)", optarg);
            if (v < (1ull << 20) && !strpbrk(optarg, "KkMmGgTtBb"))
                v <<= 20; /* a bare number is MiB, as in QEMU's -m */
            c->ram_size = v;
            break;
        }
        case OPT_CPUS: {
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (errno || *end || n < 1 || n > HK_MAX_CPUS)
                return fail("--cpus: '%s' is not a number from 1 to 16", optarg);
            c->ncpus = (unsigned)n;
            break;
        }
        case OPT_RESOLUTION: {
            unsigned w, h;
            char extra;
            if (sscanf(optarg, "%ux%u%c", &w, &h, &extra) != 2 || w < 64 || h < 64 || w > 4095 ||
                h > 4095)
                return fail("--resolution: '%s' is not WIDTHxHEIGHT (64..4095)", optarg);
            c->edid_width = w;
            c->edid_height = h;
            break;
        }
        case OPT_VGABIOS: c->vgabios_path = optarg; break;
        case OPT_NO_DISPLAY: c->no_display = true; break;
        case OPT_BOOT_MENU:
            c->boot_menu = true;
            if (optarg) {
                errno = 0;
                double secs = strtod(optarg, &end);
                if (errno || *end || secs < 0.1 || secs > 60)
                    return fail("--boot-menu: '%s' is not a number of seconds (0.1-60)", optarg);
                c->boot_menu_wait_ms = (unsigned)(secs * 1000);
            }
            break;
        case OPT_SERIAL: e->serial = optarg; break;
        case OPT_DEBUGCON: e->debugcon = optarg; break;
        case OPT_SCREENSHOT: e->screenshot = optarg; break;
        case OPT_LOG: e->logfile = optarg; break;
        case OPT_DIAGNOSE:
            if (!optarg || strcmp(optarg, "text") == 0)
                e->diagnose = 1;
            else if (strcmp(optarg, "json") == 0)
                e->diagnose = 2;
            else
                return fail("--diagnose: '%s' is not text or json", optarg);
            break;
        case OPT_EXIT_AFTER:
            errno = 0;
            e->exit_after = strtod(optarg, &end);
            if (errno || *end || e->exit_after <= 0 || e->exit_after > 1e7)
                return fail("--exit-after: '%s' is not a number of seconds", optarg);
            break;
        case OPT_DEBUG_EXIT: {
            errno = 0;
            long p = strtol(optarg, &end, 0);
            if (errno || *end || p <= 0 || p > 0xFFFF)
                return fail("--debug-exit-port: '%s' is not an I/O port (1-0xffff)", optarg);
            c->debug_exit_port = (uint16_t)p;
            break;
        }
        case OPT_OVMF_CODE: c->fw.ovmf_code = optarg; break;
        case OPT_OVMF_VARS: c->fw.ovmf_vars = optarg; break;
        case OPT_OVMF_VARS_TEMPLATE: c->fw.ovmf_vars_template = optarg; break;
        case OPT_HELP: usage(stdout); exit(0);
        case OPT_DISK: {
            if (c->ndisks == HK_PC_MAX_DISKS)
                return fail("--disk: at most %s disks", "8");
            char *comma = strrchr(optarg, ',');
            bool ro = comma && strcmp(comma + 1, "readonly") == 0;
            if (ro)
                *comma = 0;
            if (!optarg[0])
                return fail("--disk: no image path given%s", "");
            c->disks[c->ndisks].path = optarg;
            c->disks[c->ndisks].readonly = ro;
            c->ndisks++;
            break;
        }
        case OPT_CDROM: c->cdrom = optarg; break;
        case OPT_UUID:
            if (hk_uuid_parse(optarg, c->uuid) < 0)
                return fail("--uuid: '%s' is not a UUID like 8c6b9a3e-2f41-4d5c-9e07-1b2a3c4d5e6f",
                            optarg);
            c->have_uuid = true;
            break;
        case OPT_LOST_TICKS:
            if (strcmp(optarg, "delay") == 0)
                c->lost_ticks = HK_LOST_TICKS_DELAY;
            else if (strcmp(optarg, "discard") == 0)
                c->lost_ticks = HK_LOST_TICKS_DISCARD;
            else
                return fail("--lost-ticks: '%s' is not delay or discard", optarg);
            c->lost_ticks_set = true;
            break;
        case OPT_BOOT:
            if (strcmp(optarg, "cdrom") == 0) {
                c->cmos_boot[0] = 3;
                c->cmos_boot[1] = 2;
            } else if (strcmp(optarg, "disk") == 0) {
                c->cmos_boot[0] = 2;
                c->cmos_boot[1] = 3;
            } else {
                return fail("--boot: '%s' is not cdrom or disk", optarg);
            }
            break;
        case OPT_VERSION: printf("hako-vmm %s\n", HAKO_VERSION); exit(0);
        case OPT_CONTROL_FD: {
            errno = 0;
            long fd = strtol(optarg, &end, 10);
            char why[128];
            if (errno || *end || fd < 0 || fd > 65535)
                return fail("--control-fd: '%s' is not a file descriptor", optarg);
            if (hk_control_check_fd((int)fd, why, sizeof(why)) < 0)
                return fail("--control-fd: %s", why);
            fcntl((int)fd, F_SETFD, FD_CLOEXEC);
            e->control_fd = (int)fd;
            break;
        }
        case OPT_KEYS: e->keys_arg = optarg; break;
        default: usage(stderr); return 1;
        }
    }
    if (optind < argc)
        return fail("unexpected argument '%s' (see --help)", argv[optind]);
    if (e->keys_arg && load_keys(e) < 0)
        return 1;
    return 0;
}

/* --diagnose when the firmware was refused before the VM existed */
static void print_refusal(struct engine *e)
{
    struct hk_facts *facts = malloc(sizeof(*facts));
    if (!facts)
        return;
    hk_facts_init(facts);
    hk_fact(facts, HK_FACT_ENGINE_START, (int64_t)(e->cfg.ram_size >> 20), e->cfg.ncpus, 0,
            "%llu MiB, %u CPU%s, %s firmware", (unsigned long long)(e->cfg.ram_size >> 20),
            e->cfg.ncpus, e->cfg.ncpus > 1 ? "s" : "",
            e->cfg.fw.kind == HK_FW_BIOS   ? "BIOS"
            : e->cfg.fw.kind == HK_FW_UEFI ? "UEFI"
                                           : "raw");
    /* the fact carries what to use instead ("CODE + VARS"); the message went to stderr */
    const struct hk_firmware *fw = &e->pc.fw;
    if (fw->use_code[0] || fw->use_vars[0])
        hk_fact(facts, HK_FACT_FIRMWARE_REFUSED, fw->problem, 0, 0, "use %s + %s",
                fw->use_code[0] ? fw->use_code : "-", fw->use_vars[0] ? fw->use_vars : "-");
    else
        hk_fact(facts, HK_FACT_FIRMWARE_REFUSED, fw->problem, 0, 0, "%s", fw->problem_text);
    if (e->control_fd >= 0) {
        /* the app's diagnosis gets the same timeline */
        hk_control_report_failure(e->control_fd, facts, 1, fw->problem_text);
        e->control_fd = -1;
    }
    if (e->diagnose == 1) {
        printf("Facts timeline (seconds since start):\n");
        hk_facts_print(facts, stdout);
    } else if (e->diagnose == 2) {
        hk_facts_print_json(facts, stdout);
    }
    hk_facts_destroy(facts);
    free(facts);
}

static void serial_to_file(void *opaque, const uint8_t *data, size_t len)
{
    FILE *f = opaque;
    fwrite(data, 1, len, f);
    fflush(f);
}

static void exit_timer_cb(void *opaque)
{
    struct engine *e = opaque;
    hk_vm_request_stop(&e->pc.vm, 0, "--exit-after elapsed");
}

static void refresh_cb(void *opaque)
{
    struct engine *e = opaque;
    uint32_t y0, y1;
    if (e->pc.have_display)
        hk_bochs_display_damage(&e->pc.display, &y0, &y1);
}

static void signal_cb(void *opaque, uint32_t events)
{
    struct engine *e = opaque;
    (void)events;
    hk_vm_request_stop(&e->pc.vm, 0, "stopped by a signal");
}

static void stdin_cb(void *opaque, uint32_t events)
{
    struct engine *e = opaque;
    (void)events;
    uint8_t buf[256];
    ssize_t n = read(0, buf, sizeof(buf));
    if (n > 0)
        hk_serial_input(&e->pc.com1, buf, (size_t)n);
}

int main(int argc, char **argv)
{
    struct engine *e = calloc(1, sizeof(*e));
    if (!e || parse_args(e, argc, argv) != 0)
        return 1;

    e->log_out = stderr;
    int level = HK_LOG_WARN;
    if (e->logfile) {
        e->log_out = fopen(e->logfile, "w");
        if (!e->log_out)
            return fail("cannot write the log file %s", e->logfile);
        setvbuf(e->log_out, NULL, _IOLBF, 0); /* whole lines survive a crash or a kill */
        level = HK_LOG_INFO;
    }
    hk_log_init(&e->log, e->log_out, level);

    if (e->debugcon) {
        e->debugcon_out = fopen(e->debugcon, "w");
        if (!e->debugcon_out)
            return fail("cannot write the debug console file %s", e->debugcon);
        e->cfg.debugcon_out = e->debugcon_out;
    }
    if (e->serial && strcmp(e->serial, "stdio") != 0) {
        e->serial_out = fopen(e->serial, "w");
        if (!e->serial_out)
            return fail("cannot write the serial output file %s", e->serial);
    }

    e->loop = hk_loop_new();
    if (!e->loop)
        return fail("%s", "cannot create the event loop");

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (hk_pc_init(&e->pc, &e->cfg, &e->log, e->loop) < 0) {
        if (e->pc.fw.problem) {
            /* refused firmware: the full reason (and, asked for, a timeline that says so) */
            fprintf(stderr, "hako-vmm: %s\n", e->pc.fw.problem_text);
            if (e->diagnose || e->control_fd >= 0)
                print_refusal(e);
        } else {
            const char *why = e->log.last_error[0] ? e->log.last_error : "failed";
            fprintf(stderr, "hako-vmm: %s\n", why);
            if (e->control_fd >= 0)
                hk_control_report_failure(e->control_fd, NULL, 1, why);
        }
        hk_pc_destroy(&e->pc);
        return 1;
    }
    struct hk_vm *vm = &e->pc.vm;
    vm->async_teardown = true;
    hk_fact(&vm->facts, HK_FACT_ENGINE_START, (int64_t)(e->cfg.ram_size >> 20), e->cfg.ncpus, 0,
            "%llu MiB, %u CPU%s, %s firmware", (unsigned long long)(e->cfg.ram_size >> 20),
            e->cfg.ncpus, e->cfg.ncpus > 1 ? "s" : "",
            e->cfg.fw.kind == HK_FW_BIOS   ? "BIOS"
            : e->cfg.fw.kind == HK_FW_UEFI ? "UEFI"
                                           : "raw");

    if (e->serial && strcmp(e->serial, "stdio") == 0) {
        hk_serial_set_sink(&e->pc.com1, serial_to_file, stdout);
        hk_loop_watch(e->loop, 0, EPOLLIN, stdin_cb, e);
    } else if (e->serial_out) {
        hk_serial_set_sink(&e->pc.com1, serial_to_file, e->serial_out);
    }

    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd >= 0)
        hk_loop_watch(e->loop, sfd, EPOLLIN, signal_cb, e);
    if (e->exit_after > 0) {
        e->exit_timer = hk_timer_new(e->loop, exit_timer_cb, e);
        hk_timer_arm(e->exit_timer, (uint64_t)(e->exit_after * 1e9), 0);
    }
    if (e->control_fd < 0) {
        /* with the app, the control socket polls the display instead */
        e->refresh_timer = hk_timer_new(e->loop, refresh_cb, e);
        hk_timer_arm(e->refresh_timer, 100000000ull, 100000000ull);
    }

    if (e->keys.nitems &&
        !(e->keys_player = hk_keys_play(e->loop, &e->keys, &vm->facts, key_sink, &e->pc)))
        fprintf(stderr, "hako-vmm: cannot start the --keys script\n");
    if (e->control_fd >= 0) {
        /* the guest starts when the app says so (HK_CMD_START) */
        e->control = hk_control_new(&e->pc, e->loop, e->control_fd, e->serial_out);
        if (e->control)
            hk_loop_run(e->loop);
        else
            hk_vm_request_stop(vm, 3, "cannot set up the control socket");
    } else if (hk_vm_start(vm) == 0) {
        hk_loop_run(e->loop);
    }
    hk_vm_join(vm);
    hk_keys_player_free(e->keys_player);
    hk_keys_script_free(&e->keys);

    int status = vm->exit_code;
    if (e->screenshot && e->pc.have_display && hk_screenshot_png(&e->pc.display, e->screenshot) < 0)
        fprintf(stderr, "hako-vmm: cannot write the screenshot %s\n", e->screenshot);
    if (e->diagnose == 1) {
        printf("Facts timeline (seconds since start):\n");
        hk_facts_print(&vm->facts, stdout);
    } else if (e->diagnose == 2) {
        hk_facts_print_json(&vm->facts, stdout);
    }
    if (status != 0 && !(e->cfg.debug_exit_port && (status & 1) && e->pc.exit_status == status))
        fprintf(stderr, "hako-vmm: %s\n", vm->stop_reason);
    fflush(stdout);
    if (e->control) {
        hk_control_finish(e->control, status, vm->stop_reason);
        hk_control_free(e->control);
    }

    hk_pc_destroy(&e->pc);
    hk_loop_free(e->loop);
    if (sfd >= 0)
        close(sfd);
    if (e->serial_out)
        fclose(e->serial_out);
    if (e->debugcon_out)
        fclose(e->debugcon_out);
    hk_log_destroy(&e->log);
    if (e->log_out && e->log_out != stderr)
        fclose(e->log_out);
    free(e);
    return status;
}
