/* hako-vmm's configuration (vmm/host/config.c), without KVM: the whole command line is parsed
 * with exact option names and strict numbers, every file is checked (FIFOs refused at once, the
 * same file given twice named as such, outputs never one of the VM's files or one another VM
 * holds), every problem is reported once with its stable code, nothing is written before all
 * checks passed, and every path frees what it made. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "check.h"

#include "core/log.h"
#include "hako/size.h"
#include "host/config.h"

static char dir[256];

static const char *tmp(const char *name)
{
    static char bufs[8][512];
    static unsigned k;
    char *b = bufs[k++ % 8];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

static void put(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK_EQ(write(fd, data, len), len);
        close(fd);
    }
}

static off_t size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* A 64 KiB raw firmware image with a jump at its reset vector, and a 1 MiB disk image. */
static void make_files(void)
{
    static uint8_t fw[65536];
    fw[sizeof(fw) - 16] = 0xEA;
    put(tmp("fw.bin"), fw, sizeof(fw));
    static uint8_t disk[1 << 20];
    memset(disk, 0x5A, sizeof(disk));
    put(tmp("disk.img"), disk, sizeof(disk));
    put(tmp("disk2.img"), disk, sizeof(disk));
    put(tmp("rom.bin"), "\x55\xAA\x01", 3);
    unlink(tmp("fifo"));
    CHECK_EQ(mkfifo(tmp("fifo"), 0644), 0);
}

struct run {
    struct hk_config c;
    struct hk_log log;
};

/* parse + check (+ open when asked) of a NULL-terminated argument list after the program name */
static struct run *run_args(bool open_outputs, const char *first, ...)
{
    struct run *r = calloc(1, sizeof(*r));
    char *argv[64];
    int argc = 0;
    argv[argc++] = "hako-vmm";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    hk_log_init(&r->log, NULL, HK_LOG_DEBUG);
    hk_log_hold(&r->log);
    hk_config_init(&r->c);
    hk_config_parse(&r->c, argc, argv);
    hk_config_check(&r->c, &r->log);
    if (open_outputs)
        hk_config_open(&r->c, &r->log);
    return r;
}

static void done(struct run *r)
{
    hk_config_free(&r->c);
    hk_log_set_output(&r->log, NULL, 0);
    hk_log_destroy(&r->log);
    free(r);
}

/* How many issues have this problem (and option, unless HK_OPTION__COUNT). */
static unsigned count(const struct run *r, enum hk_config_problem p, enum hk_config_option o)
{
    unsigned n = 0;
    for (unsigned i = 0; i < r->c.nissues; i++)
        if (r->c.issues[i].problem == p && (o == HK_OPTION__COUNT || r->c.issues[i].option == o))
            n++;
    return n;
}

static const struct hk_config_issue *find(const struct run *r, enum hk_config_problem p)
{
    for (unsigned i = 0; i < r->c.nissues; i++)
        if (r->c.issues[i].problem == p)
            return &r->c.issues[i];
    return NULL;
}

/* the issues found, with HAKO_TEST_VERBOSE set */
static void dump(const struct run *r)
{
    if (!getenv("HAKO_TEST_VERBOSE"))
        return;
    for (unsigned i = 0; i < r->c.nissues; i++)
        fprintf(stderr, "  issue %s --%s '%s': %s\n",
                hk_config_problem_name(r->c.issues[i].problem),
                hk_config_option_name(r->c.issues[i].option), r->c.issues[i].value,
                r->c.issues[i].message);
}

#define BASE "--firmware", tmp("fw.bin"), "--no-display"

static void test_defaults(void)
{
    struct run *r = run_args(true, BASE, NULL);
    CHECK_EQ(r->c.nerrors, 0);
    CHECK_EQ(r->c.pc.ram_size, 1ull << 30);
    CHECK_EQ(r->c.pc.ncpus, 1);
    CHECK(r->c.in.have_fw);
    CHECK_EQ(r->c.control_fd, -1);
    done(r);
}

/* Every number is strict, and all the problems are reported at once, each once. */
static void test_numbers_all_at_once(void)
{
    struct run *r = run_args(false, BASE, "--memory", "x", "--cpus", "0", "--exit-after", "nan",
                             "--boot-menu=nan", "--resolution", "4294968576x800",
                             "--debug-exit-port", "0x10000", "--control-fd", "-1", NULL);
    CHECK_EQ(r->c.nerrors, 7);
    CHECK_EQ(r->c.nissues, 7);
    CHECK_EQ(count(r, HK_CONFIG_BAD_SIZE, HK_OPTION_MEMORY), 1);
    CHECK_EQ(count(r, HK_CONFIG_BAD_NUMBER, HK_OPTION_CPUS), 1);
    CHECK_EQ(count(r, HK_CONFIG_BAD_NUMBER, HK_OPTION_EXIT_AFTER), 1);
    CHECK_EQ(count(r, HK_CONFIG_BAD_NUMBER, HK_OPTION_BOOT_MENU), 1);
    CHECK_EQ(count(r, HK_CONFIG_BAD_RESOLUTION, HK_OPTION_RESOLUTION), 1);
    CHECK_EQ(count(r, HK_CONFIG_BAD_NUMBER, HK_OPTION_DEBUG_EXIT_PORT), 1);
    CHECK_EQ(count(r, HK_CONFIG_BAD_NUMBER, HK_OPTION_CONTROL_FD), 1);
    CHECK_EQ(r->c.pc.edid_width, 1280); /* not wrapped to 1280 by accident: the default */
    done(r);

    static const char *const bad_exit[] = {"1e-300", "inf", "-1",           "0", " 5", "5 ", "0x10",
                                           "1e3",    "",    "0.0000000001", "5s"};
    for (size_t i = 0; i < sizeof(bad_exit) / sizeof(bad_exit[0]); i++) {
        r = run_args(false, BASE, "--exit-after", bad_exit[i], NULL);
        if (r->c.nerrors != 1)
            fprintf(stderr, "--exit-after '%s' accepted\n", bad_exit[i]);
        CHECK_EQ(count(r, HK_CONFIG_BAD_NUMBER, HK_OPTION_EXIT_AFTER), 1);
        CHECK_EQ(r->c.exit_after_ns, 0);
        done(r);
    }
    r = run_args(false, BASE, "--exit-after", "0.25", "--boot-menu=1.5", "--cpus", "16",
                 "--resolution", "1024x768", "--debug-exit-port", "0xf4", NULL);
    CHECK_EQ(r->c.nerrors, 0);
    CHECK_EQ(r->c.exit_after_ns, 250000000ull);
    CHECK_EQ(r->c.pc.boot_menu_wait_ms, 1500);
    CHECK_EQ(r->c.pc.ncpus, 16);
    CHECK_EQ(r->c.pc.edid_width, 1024);
    CHECK_EQ(r->c.pc.edid_height, 768);
    CHECK_EQ(r->c.pc.debug_exit_port, 0xF4);
    done(r);
    static const char *const bad_res[] = {"4294968576x800", "1280x4294968096", "-1280x800",
                                          "+1280x800",      "1280x800x",       " 1280x800",
                                          "63x800",         "1280x4096",       "1280*800"};
    for (size_t i = 0; i < sizeof(bad_res) / sizeof(bad_res[0]); i++) {
        r = run_args(false, BASE, "--resolution", bad_res[i], NULL);
        CHECK_EQ(count(r, HK_CONFIG_BAD_RESOLUTION, HK_OPTION_RESOLUTION), 1);
        done(r);
    }
}

/* A bare --memory number is MiB, always (it was bytes from 2^20 on). */
static void test_memory_units(void)
{
    static const struct {
        const char *arg;
        uint64_t bytes;
    } ok[] = {
        {"512", 512ull << 20},        {"2048", 2ull << 30}, {"1048576", 1ull << 40},
        {"512M", 512ull << 20},       {"2G", 2ull << 30},   {"2GiB", 2ull << 30},
        {"1048576K", 1ull << 30},     {"16", 16ull << 20},  {"1T", 1ull << 40},
        {"268435456B", 256ull << 20},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct run *r = run_args(false, BASE, "--memory", ok[i].arg, NULL);
        CHECK_EQ(r->c.nerrors, 0);
        CHECK_EQ(r->c.pc.ram_size, ok[i].bytes);
        done(r);
    }
    static const char *const bad[] = {"1073741824",
                                      "15",
                                      "0",
                                      "-1",
                                      "1.5G",
                                      "2 G",
                                      "2GB ",
                                      "18446744073709551615",
                                      "99999999999999999999",
                                      "0x100",
                                      "1025K",
                                      "2Q",
                                      ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct run *r = run_args(false, BASE, "--memory", bad[i], NULL);
        if (r->c.nerrors != 1)
            fprintf(stderr, "--memory '%s' accepted\n", bad[i]);
        CHECK_EQ(count(r, HK_CONFIG_BAD_SIZE, HK_OPTION_MEMORY), 1);
        done(r);
    }
}

/* getopt took abbreviations: "--co=0" was --control-fd, "--he" --help, "--se=stdio" --serial. */
static void test_exact_names(void)
{
    struct run *r = run_args(false, BASE, "--co=0", "--he", "--se=stdio", "--memor", "1G", "-m",
                             "--no-display=yes", "--cdrom", NULL);
    dump(r);
    CHECK(!r->c.help);
    CHECK_EQ(r->c.control_fd, -1);
    CHECK(!r->c.serial_stdio);
    CHECK_EQ(count(r, HK_CONFIG_UNKNOWN_OPTION, HK_OPTION_NONE), 5);
    CHECK_EQ(count(r, HK_CONFIG_UNEXPECTED_VALUE, HK_OPTION_NO_DISPLAY), 1);
    CHECK_EQ(count(r, HK_CONFIG_MISSING_VALUE, HK_OPTION_CDROM), 1);
    CHECK_EQ(r->c.nerrors, 7);
    const struct hk_config_issue *i = find(r, HK_CONFIG_UNKNOWN_OPTION);
    CHECK(i && strcmp(i->value, "--co=0") == 0);
    done(r);
    r = run_args(false, BASE, "stray", "--", "--help", NULL);
    CHECK_EQ(count(r, HK_CONFIG_UNEXPECTED_ARGUMENT, HK_OPTION_NONE), 2);
    CHECK(!r->c.help);
    done(r);
    r = run_args(false, BASE, "--help", NULL);
    CHECK(r->c.help);
    done(r);
}

static void test_empty_paths(void)
{
    struct run *r = run_args(false, "--firmware", "", "--no-display", "--serial", "", "--log", "",
                             "--disk", ",readonly", "--ovmf-code", "", NULL);
    dump(r);
    CHECK_EQ(count(r, HK_CONFIG_EMPTY_PATH, HK_OPTION__COUNT), 5);
    CHECK_EQ(r->c.nerrors, 5);
    for (unsigned k = 0; k < r->c.nissues; k++)
        CHECK(!strstr(r->c.issues[k].message, " : ")); /* "cannot open firmware : ..." */
    done(r);
}

/* FIFOs and devices are refused at once with a reason, never opened for reading (which waits for
 * a writer). The test would hang without the fix: an alarm ends it. */
static void test_fifos(void)
{
    alarm(20);
    struct run *r = run_args(false, "--firmware", tmp("fifo"), "--vgabios", tmp("fifo"), "--disk",
                             tmp("fifo"), "--cdrom", tmp("fifo"), "--keys", tmp("fifo"), NULL);
    dump(r);
    CHECK_EQ(count(r, HK_CONFIG_FIRMWARE, HK_OPTION_FIRMWARE), 1);
    CHECK_EQ(count(r, HK_CONFIG_NOT_REGULAR, HK_OPTION_VGABIOS), 1);
    CHECK_EQ(count(r, HK_CONFIG_NOT_REGULAR, HK_OPTION_DISK), 1);
    CHECK_EQ(count(r, HK_CONFIG_NOT_REGULAR, HK_OPTION_CDROM), 1);
    CHECK_EQ(count(r, HK_CONFIG_NOT_REGULAR, HK_OPTION_KEYS), 1);
    CHECK_EQ(r->c.nerrors, 5);
    CHECK(strstr(r->c.in.fw.problem_text, "not a regular file") != NULL);
    done(r);
    /* UEFI: a FIFO as the code, the template or the VM's own store */
    r = run_args(false, "--firmware", "uefi", "--no-display", "--ovmf-code", tmp("fifo"), NULL);
    CHECK_EQ(count(r, HK_CONFIG_FIRMWARE, HK_OPTION_OVMF_CODE), 1);
    done(r);
    r = run_args(false, "--firmware", "uefi", "--no-display", "--ovmf-vars", tmp("fifo"), NULL);
    dump(r);
    const struct hk_config_issue *i = find(r, HK_CONFIG_FIRMWARE);
    /* without OVMF on the host it is refused as "not installed"; with it, as not a file */
    CHECK(i != NULL);
    if (i && access("/usr/share/OVMF/OVMF_CODE.fd", R_OK) == 0) {
        CHECK(strstr(i->message, "not a regular file") != NULL);
        CHECK(!strstr(i->message, "changed while"));
        CHECK_EQ(i->option, HK_OPTION_OVMF_VARS);
    }
    done(r);
    alarm(0);
}

/* The same image twice: "given twice", not "in use by another running VM". */
static void test_given_twice(void)
{
    struct run *r =
        run_args(false, BASE, "--disk", tmp("disk.img"), "--disk", tmp("disk.img"), NULL);
    dump(r);
    CHECK_EQ(count(r, HK_CONFIG_SAME_FILE, HK_OPTION_DISK), 1);
    CHECK_EQ(count(r, HK_CONFIG_IN_USE, HK_OPTION__COUNT), 0);
    CHECK_EQ(r->c.nerrors, 1);
    const struct hk_config_issue *i = find(r, HK_CONFIG_SAME_FILE);
    CHECK(i && strstr(i->message, "given twice") && i->other == HK_OPTION_DISK);
    done(r);
    /* through another name (a hard link) too, and as firmware */
    unlink(tmp("disk-link.img"));
    CHECK_EQ(link(tmp("disk.img"), tmp("disk-link.img")), 0);
    r = run_args(false, BASE, "--disk", tmp("disk.img"), "--disk", tmp("disk-link.img"), "--disk",
                 tmp("fw.bin"), NULL);
    CHECK_EQ(count(r, HK_CONFIG_SAME_FILE, HK_OPTION_DISK), 2);
    done(r);
    /* read-only twice is fine (shared locks) */
    r = run_args(false, BASE, "--disk", tmp("disk.img") /* rw */, "--disk", tmp("disk2.img"),
                 "--cdrom", tmp("disk2.img"), NULL);
    dump(r);
    CHECK_EQ(count(r, HK_CONFIG_SAME_FILE, HK_OPTION__COUNT), 1); /* disk2 rw + cdrom */
    done(r);
    char ro[600];
    snprintf(ro, sizeof(ro), "%s,readonly", tmp("disk2.img"));
    r = run_args(false, BASE, "--disk", ro, "--cdrom", tmp("disk2.img"), NULL);
    CHECK_EQ(r->c.nerrors, 0);
    done(r);
}

/* Another VM's lock (an OFD lock from another open file description, as hako-vmm takes). */
static void test_in_use(void)
{
    int fd = open(tmp("disk2.img"), O_RDWR);
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    CHECK_EQ(fcntl(fd, F_OFD_SETLK, &lk), 0);
    struct run *r =
        run_args(true, BASE, "--disk", tmp("disk2.img"), "--log", tmp("disk2.img"), NULL);
    dump(r);
    CHECK_EQ(count(r, HK_CONFIG_IN_USE, HK_OPTION_DISK), 1);
    CHECK_EQ(count(r, HK_CONFIG_IN_USE, HK_OPTION_LOG), 1);
    CHECK_EQ(size_of(tmp("disk2.img")), 1 << 20);
    done(r);
    close(fd);
}

/* Outputs: never one of the VM's files, never truncated before every check passed. */
static void test_outputs(void)
{
    struct run *r = run_args(true, BASE, "--disk", tmp("disk.img"), "--serial", tmp("disk.img"),
                             "--debugcon", tmp("fw.bin"), "--screenshot", tmp("disk.img"), NULL);
    dump(r);
    CHECK_EQ(count(r, HK_CONFIG_OUTPUT_IS_INPUT, HK_OPTION_SERIAL), 1);
    CHECK_EQ(count(r, HK_CONFIG_OUTPUT_IS_INPUT, HK_OPTION_DEBUGCON), 1);
    CHECK_EQ(count(r, HK_CONFIG_OUTPUT_IS_INPUT, HK_OPTION_SCREENSHOT), 1);
    CHECK_EQ(r->c.nerrors, 3);
    CHECK(r->c.serial_out == NULL && r->c.debugcon_out == NULL);
    done(r);
    CHECK_EQ(size_of(tmp("disk.img")), 1 << 20);
    CHECK_EQ(size_of(tmp("fw.bin")), 65536);

    /* a good log file, and a refused disk: the log is not touched either */
    put(tmp("old.log"), "keep me\n", 8);
    r = run_args(true, BASE, "--log", tmp("old.log"), "--disk", tmp("missing.img"), NULL);
    CHECK_EQ(count(r, HK_CONFIG_NOT_FOUND, HK_OPTION_DISK), 1);
    CHECK(r->c.log_out == NULL);
    done(r);
    CHECK_EQ(size_of(tmp("old.log")), 8);
    /* without a problem, it is replaced */
    r = run_args(true, BASE, "--log", tmp("old.log"), "--serial", tmp("new-serial.txt"), NULL);
    CHECK_EQ(r->c.nerrors, 0);
    CHECK(r->c.log_out != NULL && r->c.serial_out != NULL);
    done(r);
    CHECK_EQ(size_of(tmp("old.log")), 0);
    CHECK_EQ(size_of(tmp("new-serial.txt")), 0);

    /* not a file to write to; a folder that does not exist; one file for two outputs */
    unlink(tmp("twice.txt"));
    r = run_args(true, BASE, "--serial", dir, "--log", tmp("no/such/dir/x.log"), "--debugcon",
                 tmp("twice.txt"), "--screenshot", tmp("fifo"), NULL);
    dump(r);
    CHECK_EQ(count(r, HK_CONFIG_NOT_REGULAR, HK_OPTION_SERIAL), 1);
    CHECK_EQ(count(r, HK_CONFIG_OUTPUT_DIR, HK_OPTION_LOG), 1);
    CHECK_EQ(count(r, HK_CONFIG_NOT_REGULAR, HK_OPTION_SCREENSHOT), 1);
    CHECK_EQ(r->c.nerrors, 3);
    done(r);
    CHECK_EQ(size_of(tmp("twice.txt")), -1); /* nothing created */
    r = run_args(true, BASE, "--serial", tmp("twice.txt"), "--log", tmp("twice.txt"), NULL);
    CHECK_EQ(count(r, HK_CONFIG_SAME_FILE, HK_OPTION_LOG), 1);
    done(r);
    r = run_args(true, BASE, "--keys", tmp("keys.txt"), "--serial", "/dev/null", NULL);
    CHECK_EQ(count(r, HK_CONFIG_BAD_KEYS, HK_OPTION_KEYS), 1); /* not a file: a bad script */
    done(r);
    put(tmp("keys.txt"), "1:esc\n", 6);
    r = run_args(true, BASE, "--keys", tmp("keys.txt"), "--log", tmp("keys.txt"), "--serial",
                 "/dev/null", NULL);
    CHECK_EQ(count(r, HK_CONFIG_OUTPUT_IS_INPUT, HK_OPTION_LOG), 1);
    CHECK_EQ(r->c.nerrors, 1);
    done(r);
    CHECK_EQ(size_of(tmp("keys.txt")), 6);

    /* a FIFO nobody reads: refused when opening, not a hang */
    alarm(20);
    r = run_args(true, BASE, "--serial", tmp("fifo"), NULL);
    CHECK_EQ(count(r, HK_CONFIG_FIFO_NO_READER, HK_OPTION_SERIAL), 1);
    done(r);
    /* one somebody reads is fine */
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(tmp("fifo"), O_RDONLY);
        char b[64];
        while (fd >= 0 && read(fd, b, sizeof(b)) > 0)
            ;
        _exit(0);
    }
    struct timespec ts = {0, 200000000};
    nanosleep(&ts, NULL);
    r = run_args(true, BASE, "--serial", tmp("fifo"), NULL);
    CHECK_EQ(r->c.nerrors, 0);
    CHECK(r->c.serial_out != NULL);
    done(r);
    int st;
    waitpid(pid, &st, 0);
    alarm(0);
}

/* The VM's own UEFI variable store is made only when everything passed; an output may not be the
 * store about to be made. Uses a fake unified-free setup: skipped without the host's OVMF. */
static void test_vars_store_created_last(void)
{
    if (access("/usr/share/OVMF/OVMF_CODE.fd", R_OK) != 0 ||
        access("/usr/share/OVMF/OVMF_VARS.fd", R_OK) != 0) {
        printf("  (no /usr/share/OVMF: skipped)\n");
        return;
    }
    unlink(tmp("vars.fd"));
    struct run *r = run_args(true, "--firmware", "uefi", "--no-display", "--ovmf-code",
                             "/usr/share/OVMF/OVMF_CODE.fd", "--ovmf-vars-template",
                             "/usr/share/OVMF/OVMF_VARS.fd", "--ovmf-vars", tmp("vars.fd"),
                             "--disk", tmp("missing.img"), NULL);
    CHECK_EQ(r->c.nerrors, 1);
    done(r);
    CHECK_EQ(size_of(tmp("vars.fd")), -1);
    r = run_args(true, "--firmware", "uefi", "--no-display", "--ovmf-code",
                 "/usr/share/OVMF/OVMF_CODE.fd", "--ovmf-vars", tmp("vars.fd"), "--log",
                 tmp("vars.fd"), NULL);
    dump(r);
    CHECK_EQ(count(r, HK_CONFIG_OUTPUT_IS_INPUT, HK_OPTION_LOG), 1);
    done(r);
    CHECK_EQ(size_of(tmp("vars.fd")), -1);
    r = run_args(true, "--firmware", "uefi", "--no-display", "--ovmf-code",
                 "/usr/share/OVMF/OVMF_CODE.fd", "--ovmf-vars", tmp("vars.fd"), NULL);
    CHECK_EQ(r->c.nerrors, 0);
    CHECK(r->c.in.fw.vars_fd >= 0);
    done(r);
    CHECK_EQ(size_of(tmp("vars.fd")), 128 * 1024);
    /* and once it exists, the log cannot be it */
    r = run_args(true, "--firmware", "uefi", "--no-display", "--ovmf-code",
                 "/usr/share/OVMF/OVMF_CODE.fd", "--ovmf-vars", tmp("vars.fd"), "--serial",
                 tmp("vars.fd"), NULL);
    CHECK_EQ(count(r, HK_CONFIG_OUTPUT_IS_INPUT, HK_OPTION_SERIAL), 1);
    done(r);
    CHECK_EQ(size_of(tmp("vars.fd")), 128 * 1024);
}

/* The network options: --net user|none, --mac, --net-forward (repeatable, checked against the
 * host: a port another program holds is refused before the VM exists), --net-mtu; passt missing
 * is a warning (the VM runs without network). */
static void test_net(void)
{
    struct run *r = run_args(false, BASE, NULL);
    CHECK(!r->c.pc.net.enabled); /* headless default: no card */
    CHECK_EQ(r->c.pc.net.mac[0], 0x52);
    CHECK_EQ(r->c.pc.net.mac[5], 0x56);
    done(r);
    r = run_args(false, BASE, "--net", "user", "--mac", "02:aa:bb:cc:dd:ee", "--net-forward",
                 "tcp:18022:22", "--net-forward=udp:18022:53", "--net-mtu", "1500", NULL);
    dump(r);
    CHECK_EQ(count(r, HK_CONFIG_PORT_IN_USE, HK_OPTION__COUNT), 0);
    CHECK(r->c.pc.net.enabled);
    CHECK_EQ(r->c.pc.net.mac[0], 0x02);
    CHECK_EQ(r->c.pc.net.mac[5], 0xEE);
    CHECK_EQ(r->c.pc.net.nfwd, 2);
    CHECK_EQ(r->c.pc.net.fwd[1].proto, HK_NET_UDP);
    CHECK_EQ(r->c.pc.net.fwd[1].guest_port, 53);
    CHECK_EQ(r->c.pc.net.mtu, 1500);
    done(r);
    /* every problem at once */
    r = run_args(false, BASE, "--net", "bridge", "--mac", "01:00:5e:00:00:01", "--net-forward",
                 "tcp:80", "--net-forward", "tcp:18022:22", "--net-forward", "tcp:18022:23",
                 "--net-mtu", "100", NULL);
    dump(r);
    CHECK_EQ(count(r, HK_CONFIG_BAD_CHOICE, HK_OPTION_NET), 1);
    CHECK_EQ(count(r, HK_CONFIG_BAD_MAC, HK_OPTION_MAC), 1);
    CHECK_EQ(count(r, HK_CONFIG_BAD_FORWARD, HK_OPTION_NET_FORWARD), 1);
    CHECK_EQ(count(r, HK_CONFIG_FORWARD_TWICE, HK_OPTION_NET_FORWARD), 1);
    CHECK_EQ(count(r, HK_CONFIG_BAD_NUMBER, HK_OPTION_NET_MTU), 1);
    CHECK_EQ(count(r, HK_CONFIG_NET_OFF, HK_OPTION_NET_FORWARD), 1); /* no --net user */
    done(r);
    /* a host port another program listens on: one clear line, before anything starts */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    CHECK_EQ(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    CHECK_EQ(listen(s, 1), 0);
    socklen_t al = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &al);
    char fwd[40];
    snprintf(fwd, sizeof(fwd), "tcp:%u:80", ntohs(a.sin_port));
    r = run_args(false, BASE, "--net", "user", "--net-forward", fwd, NULL);
    const struct hk_config_issue *i = find(r, HK_CONFIG_PORT_IN_USE);
    CHECK(i != NULL);
    if (i) {
        CHECK(strstr(i->message, "already in use") != NULL);
        CHECK(strchr(i->message, '\n') == NULL);
        CHECK_EQ(i->error, EADDRINUSE);
        CHECK_STR(i->value, fwd);
    }
    done(r);
    close(s);
    /* passt missing: the VM may run (without network), with a warning */
    setenv("HAKO_PASST", "/nonexistent/passt", 1);
    r = run_args(false, BASE, "--net", "user", NULL);
    unsetenv("HAKO_PASST");
    CHECK_EQ(r->c.nerrors, 0);
    CHECK_EQ(count(r, HK_CONFIG_WARN_NO_PASST, HK_OPTION_NET), 1);
    done(r);
}

/* A file system without locks (ENOLCK, as on some NFS mounts): the disk is used, but with a
 * warning the app can word (it used to run unlocked without a word). The failing lock is made
 * with a seccomp filter in a child process. */
static void test_lock_unsupported(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fcntl, 0, 3),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, F_OFD_SETLK, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOLCK),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
            _exit(77);
        struct run *r = run_args(true, BASE, "--disk", tmp("disk.img"), NULL);
        int ok = r->c.nerrors == 0 && r->c.nissues == 1 && r->c.issues[0].warning &&
                 r->c.issues[0].problem == HK_CONFIG_WARN_UNLOCKED &&
                 r->c.issues[0].option == HK_OPTION_DISK && r->c.issues[0].error == ENOLCK &&
                 r->c.in.disks[0].fd >= 0;
        if (!ok)
            dump(r);
        done(r);
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
        printf("  (no seccomp here: skipped)\n");
        return;
    }
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_problem_names(void)
{
    CHECK_STR(hk_config_option_name(HK_OPTION_CONTROL_FD), "control-fd");
    CHECK_STR(hk_config_option_name(HK_OPTION_LOST_TICKS), "lost-ticks");
    CHECK(hk_config_option_name(HK_OPTION__COUNT) == NULL);
    CHECK_STR(hk_config_problem_name(HK_CONFIG_SAME_FILE), "same-file");
    CHECK_STR(hk_config_problem_name(999), "unknown");
    /* the stable numbers */
    CHECK_EQ(HK_CONFIG_OUTPUT_IS_INPUT, 27);
    CHECK_EQ(HK_CONFIG_WARN_UNLOCKED, 100);
    CHECK_EQ(HK_OPTION_KEYS, 21);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/hako-test-config-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    make_files();
}

static void cleanup(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

int main(void)
{
    static const struct hk_test_case cases[] = {
        TEST(test_defaults),
        TEST(test_numbers_all_at_once),
        TEST(test_memory_units),
        TEST(test_exact_names),
        TEST(test_empty_paths),
        TEST(test_fifos),
        TEST(test_given_twice),
        TEST(test_in_use),
        TEST(test_outputs),
        TEST(test_vars_store_created_last),
        TEST(test_lock_unsupported),
        TEST(test_problem_names),
        TEST(test_net),
    };
    setup();
    int r = hk_test_run(cases, sizeof(cases) / sizeof(cases[0]));
    cleanup();
    return r;
}
