/*
 * hako-vmm's configuration: the whole command line parsed into one structure, then every part of
 * it checked (numbers, firmware, disks and CD-ROM opened and locked, the display ROM read, output
 * files checked against everything the VM reads), every problem kept with a stable code
 * (hako/config.h) and a one-line English message, before anything is written and before
 * /dev/kvm is opened. Unit-tested without KVM (tests/unit/test-config.c).
 *
 *   hk_config_init        defaults
 *   hk_config_parse       the command line (exact option names only; no file is touched)
 *   hk_config_check       the files: opened, read, locked, compared (nothing is written)
 *   hk_config_open        only when nothing was refused: creates the UEFI variable store and
 *                         opens (then truncates) the output files
 *   hk_config_free        closes and frees whatever the steps made (any exit path)
 *
 * Output files (--serial, --log, --debugcon, --screenshot) are never one of the VM's own files
 * (images, firmware, variable store and its template, display ROM, --keys file: compared by
 * device and inode), never a file another running VM holds (an OFD lock as disks take, or a flock
 * as variable stores take), never given twice, and never anything but a regular file, a FIFO
 * someone reads from, a terminal or /dev/null (--screenshot: a regular file only).
 */
#ifndef HK_HOST_CONFIG_H
#define HK_HOST_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../pc/board.h"
#include "hako/config.h"
#include "hako/protocol.h"
#include "keys.h"

#define HK_CONFIG_MAX_ISSUES 32
#define HK_CONFIG_MAX_FILES  24

struct hk_config_issue {
    enum hk_config_problem problem;
    enum hk_config_option option;
    uint32_t other; /* SAME_FILE, OUTPUT_IS_INPUT: the other option */
    int error;      /* errno, 0 when none */
    bool warning;   /* the VM can run anyway */
    char value[HK_PROTO_MAX_PATH + 1];
    char message[768];
};

/* A file the VM reads or writes, by identity (to find the same file given twice). */
struct hk_config_file {
    enum hk_config_option option;
    bool writable; /* the VM writes it (a read-write disk, the variable store) */
    dev_t dev;
    ino_t ino;
};

/* An output file: checked by hk_config_check, opened by hk_config_open. */
struct hk_config_output {
    enum hk_config_option option;
    const char *path; /* NULL: not asked for */
    bool exists;      /* when checked */
    dev_t dev;
    ino_t ino;
    mode_t mode;
    dev_t parent_dev; /* a file still to be created: its folder, and path's last part */
    ino_t parent_ino;
    const char *base;
};

struct hk_config {
    struct hk_pc_config pc;
    struct hk_pc_inputs in; /* what hk_config_check opened, for hk_pc_init */
    bool help, version;
    int diagnose;           /* 0 none, 1 text, 2 json */
    int control_fd;         /* -1: headless */
    uint64_t exit_after_ns; /* 0: run until the guest powers off */
    bool serial_stdio;
    const char *keys_arg;    /* --keys: a script or a file holding one */
    const char *dump_tables; /* --dump-tables DIR: write the firmware tables, run nothing */
    struct hk_keys_script keys;
    /* outputs: serial, debugcon, log, screenshot */
    struct hk_config_output out[4];
    FILE *serial_out, *debugcon_out, *log_out; /* opened by hk_config_open */
    char *disk_args[HK_PC_MAX_DISKS];          /* copies of the --disk values (",readonly" cut) */
    /* every file the VM reads or writes, by identity */
    struct hk_config_file files[HK_CONFIG_MAX_FILES];
    unsigned nfiles;
    /* what was found, in order; issues beyond the array are only counted */
    struct hk_config_issue issues[HK_CONFIG_MAX_ISSUES];
    unsigned nissues, nerrors, ndropped;
    struct hk_config_issue overflow; /* where issues beyond the array are written */
};

enum { HK_OUT_SERIAL, HK_OUT_DEBUGCON, HK_OUT_LOG, HK_OUT_SCREENSHOT };

void hk_config_init(struct hk_config *c);
/* Parses argv (argv[0] is the program). Returns the number of errors found so far. */
unsigned hk_config_parse(struct hk_config *c, int argc, char **argv);
/* Checks every file (without writing anything). Returns the number of errors so far. */
unsigned hk_config_check(struct hk_config *c, struct hk_log *log);
/* Only when nothing was refused: creates the variable store, opens the output files. Returns the
 * number of errors so far. */
unsigned hk_config_open(struct hk_config *c, struct hk_log *log);
void hk_config_free(struct hk_config *c);

/* hako-vmm --help */
void hk_config_usage(FILE *out);

#endif
