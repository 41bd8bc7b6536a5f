/* hako-vmm: one process per running VM. Parses the command line into a board configuration, runs
 * the VM headless (or under the app's control socket) and explains itself when asked. */
#include <errno.h>
#include <fcntl.h>
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
#include "../pc/tables.h"
#include "config.h"
#include "control.h"
#include "keys.h"
#include "screenshot.h"

#ifndef HAKO_VERSION
#define HAKO_VERSION "0"
#endif

struct engine {
    struct hk_log log;
    struct hk_loop *loop;
    struct hk_pc pc;
    bool pc_made; /* hk_pc_init ran: hk_pc_destroy frees what it made */
    struct hk_config cfg;
    int sfd; /* signalfd, -1 until set up */
    struct hk_control *control;
    struct hk_timer *exit_timer, *refresh_timer;
    struct hk_keys_player *keys_player;
};

static void print_issues(const struct hk_config *c, bool warnings)
{
    for (unsigned i = 0; i < c->nissues; i++)
        if (c->issues[i].warning == warnings)
            fprintf(stderr, "hako-vmm: %s%s\n", warnings ? "warning: " : "", c->issues[i].message);
    if (!warnings && c->ndropped)
        fprintf(stderr, "hako-vmm: ... and %u more problems\n", c->ndropped);
}

static void engine_start_fact(struct hk_facts *facts, const struct hk_config *c)
{
    hk_fact(facts, HK_FACT_ENGINE_START, (int64_t)(c->pc.ram_size >> 20), c->pc.ncpus, 0,
            "%llu MiB, %u CPU%s, %s firmware", (unsigned long long)(c->pc.ram_size >> 20),
            c->pc.ncpus, c->pc.ncpus > 1 ? "s" : "",
            c->pc.fw.kind == HK_FW_BIOS   ? "BIOS"
            : c->pc.fw.kind == HK_FW_UEFI ? "UEFI"
                                          : "raw");
}

static void issue_fact(struct hk_facts *facts, const struct hk_config_issue *i)
{
    bool pair = i->problem == HK_CONFIG_SAME_FILE || i->problem == HK_CONFIG_OUTPUT_IS_INPUT;
    /* the value in full as a path field (most are file names); the text is cut */
    hk_fact_typed(facts, i->warning ? HK_FACT_CONFIG_WARNING : HK_FACT_CONFIG_REFUSED, i->problem,
                  i->option, pair ? (int64_t)i->other : i->error, 0, i->value, NULL, "%s",
                  i->value);
}

/* The configuration was refused: every problem once on stderr, and as facts to the app (and
 * --diagnose), before anything was written or /dev/kvm opened. */
static void report_refusal(struct engine *e)
{
    struct hk_config *c = &e->cfg;
    print_issues(c, false);
    print_issues(c, true);
    if (!c->diagnose && c->control_fd < 0)
        return;
    struct hk_facts *facts = malloc(sizeof(*facts));
    if (!facts)
        return;
    hk_facts_init(facts);
    engine_start_fact(facts, c);
    const struct hk_firmware *fw = &c->in.fw;
    const char *reason = NULL;
    for (unsigned i = 0; i < c->nissues; i++) {
        const struct hk_config_issue *is = &c->issues[i];
        issue_fact(facts, is);
        if (!is->warning && !reason)
            reason = is->message;
        if (is->problem != HK_CONFIG_FIRMWARE || !fw->problem)
            continue;
        /* the firmware's own fact: the problem, and the files to use instead as paths */
        hk_fact_typed(facts, HK_FACT_FIRMWARE_REFUSED, fw->problem, 0, 0, 0, fw->use_code,
                      fw->use_vars, "%s", hk_fw_problem_name(fw->problem));
    }
    if (c->control_fd >= 0) {
        /* the app's diagnosis gets the same timeline */
        hk_control_report_failure(c->control_fd, facts, 1, reason);
        c->control_fd = -1;
    }
    if (c->diagnose == 1) {
        printf("Facts timeline (seconds since start):\n");
        hk_facts_print(facts, stdout);
    } else if (c->diagnose == 2) {
        hk_facts_print_json(facts, stdout);
    }
    hk_facts_destroy(facts);
    free(facts);
}

/* Frees everything main made, on every path. */
static void engine_free(struct engine *e)
{
    if (e->control)
        hk_control_free(e->control);
    e->control = NULL;
    hk_keys_player_free(e->keys_player);
    e->keys_player = NULL;
    if (e->pc_made)
        hk_pc_destroy(&e->pc);
    if (e->loop)
        hk_loop_free(e->loop);
    if (e->sfd >= 0)
        close(e->sfd);
    if (e->cfg.control_fd >= 0)
        close(e->cfg.control_fd);
    /* the log may write to cfg.log_out until here */
    hk_log_set_output(&e->log, NULL, HK_LOG_ERROR);
    hk_config_free(&e->cfg);
    hk_log_destroy(&e->log);
    free(e);
}

static void key_sink(void *opaque, unsigned code, bool down)
{
    hk_pc_key(opaque, code, down);
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

/* The event loop until the VM stops; a loop that cannot wait for events any more stops the VM
 * with the reason (it used to end quietly, with exit status 0). */
static void run_loop(struct engine *e)
{
    if (hk_loop_run(e->loop) == 0)
        return;
    char why[160];
    snprintf(why, sizeof(why), "the engine's event loop failed: epoll_wait: %s", strerror(errno));
    hk_err(&e->log, "%s", why);
    hk_vm_request_stop(&e->pc.vm, 3, why);
}

/* --dump-tables DIR: the board built without KVM, its ACPI and SMBIOS tables written out
 * (pc/tables.c); then, where /dev/kvm can be opened, each vCPU's CPUID as the engine would hand it
 * to KVM (core/vm.c). Without /dev/kvm the CPUID files are left out with a warning naming it. */
static int dump_tables(struct engine *e)
{
    struct hk_config *c = &e->cfg;
    hk_log_defer_errors(&e->log, true); /* reported once, below */
    e->pc_made = true;
    if (hk_pc_init_nokvm(&e->pc, &c->pc, &c->in, &e->log, NULL) < 0 ||
        hk_pc_dump_tables(&e->pc, c->dump_tables) < 0) {
        fprintf(stderr, "hako-vmm: %s\n", e->log.last_error[0] ? e->log.last_error : "failed");
        return 1;
    }
    if (access("/dev/kvm", F_OK) < 0) {
        fprintf(stderr, "hako-vmm: no /dev/kvm: cpuid.txt and kvm-supported-cpuid.txt left out "
                        "(the ACPI and SMBIOS tables are written)\n");
        return 0;
    }
    if (hk_vm_dump_cpuid(c->dump_tables, c->pc.ncpus, &e->log) < 0) {
        fprintf(stderr, "hako-vmm: %s\n", e->log.last_error[0] ? e->log.last_error : "failed");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct engine *e = calloc(1, sizeof(*e));
    if (!e) {
        fprintf(stderr, "hako-vmm: out of memory\n");
        return 1;
    }
    e->sfd = -1;
    struct hk_config *c = &e->cfg;
    hk_config_init(c);
    /* messages of the checks are kept until it is known where the log goes */
    hk_log_init(&e->log, NULL, HK_LOG_DEBUG);
    hk_log_hold(&e->log);

    /* 1. the whole command line, 2. every file it names, 3. only then anything written */
    hk_config_parse(c, argc, argv);
    if (c->help || c->version) {
        if (c->help)
            hk_config_usage(stdout);
        else
            printf("hako-vmm %s\n", HAKO_VERSION);
        engine_free(e);
        return 0;
    }
    hk_config_check(c, &e->log);
    if (c->nerrors || hk_config_open(c, &e->log)) {
        report_refusal(e);
        engine_free(e);
        return 1;
    }
    hk_log_set_output(&e->log, c->log_out ? c->log_out : stderr,
                      c->log_out ? HK_LOG_INFO : HK_LOG_WARN);
    for (unsigned i = 0; i < c->nissues; i++)
        if (c->issues[i].warning)
            hk_warn(&e->log, "%s", c->issues[i].message);

    if (c->dump_tables) {
        int r = dump_tables(e);
        engine_free(e);
        return r;
    }

    e->loop = hk_loop_new();
    if (!e->loop) {
        fprintf(stderr, "hako-vmm: cannot create the event loop\n");
        engine_free(e);
        return 1;
    }

    /* every file is open: from here on SIGINT/SIGTERM/SIGHUP arrive through the signalfd (blocked
     * before the first thread starts, so that every thread inherits the mask) */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    e->sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    if (e->sfd >= 0)
        hk_loop_watch(e->loop, e->sfd, EPOLLIN, signal_cb, e);

    /* errors while the board is built are reported once, below (not also by the log) */
    hk_log_defer_errors(&e->log, true);
    e->pc_made = true;
    if (hk_pc_init(&e->pc, &c->pc, &c->in, &e->log, e->loop) < 0) {
        const char *why = e->log.last_error[0] ? e->log.last_error : "failed";
        fprintf(stderr, "hako-vmm: %s\n", why);
        if (c->control_fd >= 0) {
            hk_control_report_failure(c->control_fd, NULL, 1, why);
            c->control_fd = -1;
        }
        engine_free(e);
        return 1;
    }
    hk_log_defer_errors(&e->log, false);
    struct hk_vm *vm = &e->pc.vm;
    vm->async_teardown = true;
    engine_start_fact(&vm->facts, c);
    for (unsigned i = 0; i < c->nissues; i++)
        issue_fact(&vm->facts, &c->issues[i]); /* warnings: the app words them */

    if (c->serial_stdio) {
        hk_serial_set_sink(&e->pc.com1, serial_to_file, stdout);
        hk_loop_watch(e->loop, 0, EPOLLIN, stdin_cb, e);
    } else if (c->serial_out) {
        hk_serial_set_sink(&e->pc.com1, serial_to_file, c->serial_out);
    }

    int status = 0;
    if (c->exit_after_ns) {
        e->exit_timer = hk_timer_new(e->loop, exit_timer_cb, e);
        if (!e->exit_timer)
            hk_vm_request_stop(vm, 3, "cannot set up the --exit-after timer");
        else
            hk_timer_arm(e->exit_timer, c->exit_after_ns, 0);
    }
    if (c->control_fd < 0) {
        /* with the app, the control socket polls the display instead */
        e->refresh_timer = hk_timer_new(e->loop, refresh_cb, e);
        if (!e->refresh_timer)
            hk_vm_request_stop(vm, 3, "cannot set up the display refresh timer");
        else
            hk_timer_arm(e->refresh_timer, 100000000ull, 100000000ull);
    }

    if (c->keys.nitems &&
        !(e->keys_player = hk_keys_play(e->loop, &c->keys, &vm->facts, key_sink, &e->pc)))
        fprintf(stderr, "hako-vmm: cannot start the --keys script\n");
    if (vm->quit) {
        /* a timer could not be set up: nothing ran */
    } else if (c->control_fd >= 0) {
        /* the guest starts when the app says so (HK_CMD_START) */
        e->control = hk_control_new(&e->pc, e->loop, c->control_fd, c->serial_out);
        if (e->control) {
            c->control_fd = -1; /* the control object owns it */
            run_loop(e);
        } else {
            hk_vm_request_stop(vm, 3, "cannot set up the control socket");
        }
    } else if (hk_vm_start(vm) == 0) {
        run_loop(e);
    }
    hk_vm_join(vm);
    /* the virtio workers too, before the control object they report facts to goes away */
    hk_pc_stop(&e->pc);

    status = vm->exit_code;
    const char *shot = c->out[HK_OUT_SCREENSHOT].path;
    if (shot && e->pc.have_display && hk_screenshot_png(&e->pc.display, shot) < 0)
        fprintf(stderr, "hako-vmm: cannot write the screenshot %s\n", shot);
    if (c->diagnose == 1) {
        printf("Facts timeline (seconds since start):\n");
        hk_facts_print(&vm->facts, stdout);
    } else if (c->diagnose == 2) {
        hk_facts_print_json(&vm->facts, stdout);
    }
    /* why it stopped, once: not again when the log on stderr just said exactly that */
    bool said = !c->log_out && strcmp(e->log.last_error, vm->stop_reason) == 0;
    if (status != 0 && !said &&
        !(c->pc.debug_exit_port && (status & 1) && e->pc.exit_status == status))
        fprintf(stderr, "hako-vmm: %s\n", vm->stop_reason);
    fflush(stdout);
    if (e->control)
        hk_control_finish(e->control, status, vm->stop_reason);
    engine_free(e);
    return status;
}
