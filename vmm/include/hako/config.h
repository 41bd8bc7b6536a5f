/*
 * Why hako-vmm refused its configuration: stable codes the app words and translates.
 *
 * hako-vmm checks its whole command line (numbers, firmware, disks, CD-ROM, display ROM, output
 * files) before it opens /dev/kvm, and reports every problem it found, each once: a line of
 * English on standard error for a person at a terminal, and, under the app's control socket, one
 * HK_FACT_CONFIG_REFUSED fact per problem before the final HK_EV_STATE (stopped, exit status 1):
 *
 *   a     enum hk_config_problem
 *   b     enum hk_config_option: the option the problem is about (HK_OPTION_NONE: none)
 *   c     for HK_CONFIG_SAME_FILE and HK_CONFIG_OUTPUT_IS_INPUT: the other option; otherwise
 *         the errno behind the problem (0 when there is none)
 *   text  the offending value as given (a path, a number, the option text), cut to the fact's
 *         text size
 *
 * Warnings (the VM runs, but something is not as it should be) come as HK_FACT_CONFIG_WARNING
 * facts with the same fields once the VM exists.
 *
 * The numbers are stable: new codes are appended, numbers are never reused.
 */
#ifndef HAKO_CONFIG_H
#define HAKO_CONFIG_H

#include <stdint.h>

enum hk_config_problem {
    HK_CONFIG_OK = 0,
    /* the command line */
    HK_CONFIG_UNKNOWN_OPTION = 1,      /* text: the word given (also abbreviations: exact names) */
    HK_CONFIG_MISSING_VALUE = 2,       /* the option needs a value and got none */
    HK_CONFIG_UNEXPECTED_VALUE = 3,    /* --flag=VALUE for an option that takes none */
    HK_CONFIG_UNEXPECTED_ARGUMENT = 4, /* a word that is not an option */
    HK_CONFIG_BAD_NUMBER = 5,          /* not a number in the option's range */
    HK_CONFIG_BAD_SIZE = 6,            /* --memory: not a size, or outside 16 MiB .. 1 TiB */
    HK_CONFIG_BAD_CHOICE = 7,          /* not one of the words the option takes */
    HK_CONFIG_BAD_RESOLUTION = 8,      /* not WIDTHxHEIGHT within 64..4095 */
    HK_CONFIG_BAD_UUID = 9,
    HK_CONFIG_TOO_MANY_DISKS = 10, /* more than 8 --disk */
    HK_CONFIG_EMPTY_PATH = 11,     /* a file option with an empty name */
    HK_CONFIG_BAD_KEYS = 12,       /* the --keys script does not parse */
    HK_CONFIG_BAD_CONTROL_FD = 13, /* not an open SOCK_SEQPACKET socket; c: errno */
    HK_CONFIG_BAD_MAC = 14,        /* not a unicast MAC address like 52:54:00:12:34:56 */
    HK_CONFIG_BAD_FORWARD = 15,    /* not tcp:HOSTPORT:GUESTPORT or udp:..., or too many */
    HK_CONFIG_FORWARD_TWICE = 16,  /* two forwards of one protocol on the same host port */
    HK_CONFIG_NET_OFF = 17,        /* --net-forward without --net user */
    /* files */
    HK_CONFIG_NOT_FOUND = 20,       /* the file does not exist (c: ENOENT, ENOTDIR) */
    HK_CONFIG_NO_ACCESS = 21,       /* permission denied, read-only file system (c: errno) */
    HK_CONFIG_NOT_REGULAR = 22,     /* a directory, FIFO, socket or device where a file belongs */
    HK_CONFIG_UNREADABLE = 23,      /* cannot be opened or read for another reason (c: errno) */
    HK_CONFIG_BAD_CONTENTS = 24,    /* empty, too large, or not what the option takes */
    HK_CONFIG_IN_USE = 25,          /* another running VM holds a lock on it */
    HK_CONFIG_SAME_FILE = 26,       /* the same file given twice (c: the other option) */
    HK_CONFIG_OUTPUT_IS_INPUT = 27, /* an output file is one of the VM's own files (c: which) */
    HK_CONFIG_FIRMWARE = 28,        /* firmware refused: HK_FACT_FIRMWARE_REFUSED says why */
    HK_CONFIG_OUTPUT_DIR = 29,      /* an output file cannot be created in its folder (c: errno) */
    HK_CONFIG_FIFO_NO_READER = 30,  /* an output FIFO nobody reads from (it would hang) */
    HK_CONFIG_PORT_IN_USE = 31,     /* a forward's host port cannot be bound (c: errno, e.g.
                                       EADDRINUSE: another program has it; EACCES: below 1024) */
    /* warnings (HK_FACT_CONFIG_WARNING) */
    HK_CONFIG_WARN_UNLOCKED = 100,   /* the file system refused the lock (c: errno): a disk
                                        another VM uses at the same time is not noticed */
    HK_CONFIG_WARN_NO_VGABIOS = 101, /* no display ROM found: BIOS guests show nothing */
    HK_CONFIG_WARN_NO_PASST = 102,   /* --net user but passt is not installed: no network */
};

/* hako-vmm's options (fact field b). Stable numbers; append new options at the end. */
enum hk_config_option {
    HK_OPTION_NONE = 0,
    HK_OPTION_FIRMWARE = 1,
    HK_OPTION_MEMORY = 2,
    HK_OPTION_CPUS = 3,
    HK_OPTION_RESOLUTION = 4,
    HK_OPTION_VGABIOS = 5,
    HK_OPTION_NO_DISPLAY = 6,
    HK_OPTION_BOOT_MENU = 7,
    HK_OPTION_SERIAL = 8,
    HK_OPTION_DEBUGCON = 9,
    HK_OPTION_SCREENSHOT = 10,
    HK_OPTION_LOG = 11,
    HK_OPTION_DIAGNOSE = 12,
    HK_OPTION_EXIT_AFTER = 13,
    HK_OPTION_DEBUG_EXIT_PORT = 14,
    HK_OPTION_HELP = 15,
    HK_OPTION_VERSION = 16,
    HK_OPTION_DISK = 17,
    HK_OPTION_CDROM = 18,
    HK_OPTION_BOOT = 19,
    HK_OPTION_CONTROL_FD = 20,
    HK_OPTION_KEYS = 21,
    HK_OPTION_OVMF_CODE = 22,
    HK_OPTION_OVMF_VARS = 23,
    HK_OPTION_OVMF_VARS_TEMPLATE = 24,
    HK_OPTION_UUID = 25,
    HK_OPTION_LOST_TICKS = 26,
    HK_OPTION_DUMP_TABLES = 27,
    HK_OPTION_NET = 28,
    HK_OPTION_MAC = 29,
    HK_OPTION_NET_FORWARD = 30,
    HK_OPTION_NET_MTU = 31,
    HK_OPTION__COUNT
};

/* The option's name without the dashes ("disk"), "" for NONE, NULL for unknown numbers. */
static inline const char *hk_config_option_name(uint32_t option)
{
    /* clang-format off */
    static const char *const names[HK_OPTION__COUNT] = {
        "",           "firmware",   "memory",      "cpus",       "resolution",
        "vgabios",    "no-display", "boot-menu",   "serial",     "debugcon",
        "screenshot", "log",        "diagnose",    "exit-after", "debug-exit-port",
        "help",       "version",    "disk",        "cdrom",      "boot",
        "control-fd", "keys",       "ovmf-code",   "ovmf-vars",  "ovmf-vars-template",
        "uuid",       "lost-ticks", "dump-tables",
        "net",        "mac",        "net-forward", "net-mtu",
    };
    /* clang-format on */
    return option < HK_OPTION__COUNT ? names[option] : (const char *)0;
}

/* Stable identifiers of the problems (--diagnose=json, logs), "unknown" otherwise. */
static inline const char *hk_config_problem_name(uint32_t problem)
{
    switch (problem) {
    case HK_CONFIG_OK: return "ok";
    case HK_CONFIG_UNKNOWN_OPTION: return "unknown-option";
    case HK_CONFIG_MISSING_VALUE: return "missing-value";
    case HK_CONFIG_UNEXPECTED_VALUE: return "unexpected-value";
    case HK_CONFIG_UNEXPECTED_ARGUMENT: return "unexpected-argument";
    case HK_CONFIG_BAD_NUMBER: return "bad-number";
    case HK_CONFIG_BAD_SIZE: return "bad-size";
    case HK_CONFIG_BAD_CHOICE: return "bad-choice";
    case HK_CONFIG_BAD_RESOLUTION: return "bad-resolution";
    case HK_CONFIG_BAD_UUID: return "bad-uuid";
    case HK_CONFIG_TOO_MANY_DISKS: return "too-many-disks";
    case HK_CONFIG_EMPTY_PATH: return "empty-path";
    case HK_CONFIG_BAD_KEYS: return "bad-keys";
    case HK_CONFIG_BAD_CONTROL_FD: return "bad-control-fd";
    case HK_CONFIG_BAD_MAC: return "bad-mac";
    case HK_CONFIG_BAD_FORWARD: return "bad-forward";
    case HK_CONFIG_FORWARD_TWICE: return "forward-twice";
    case HK_CONFIG_NET_OFF: return "net-off";
    case HK_CONFIG_NOT_FOUND: return "not-found";
    case HK_CONFIG_NO_ACCESS: return "no-access";
    case HK_CONFIG_NOT_REGULAR: return "not-regular";
    case HK_CONFIG_UNREADABLE: return "unreadable";
    case HK_CONFIG_BAD_CONTENTS: return "bad-contents";
    case HK_CONFIG_IN_USE: return "in-use";
    case HK_CONFIG_SAME_FILE: return "same-file";
    case HK_CONFIG_OUTPUT_IS_INPUT: return "output-is-input";
    case HK_CONFIG_FIRMWARE: return "firmware";
    case HK_CONFIG_OUTPUT_DIR: return "output-dir";
    case HK_CONFIG_FIFO_NO_READER: return "fifo-no-reader";
    case HK_CONFIG_PORT_IN_USE: return "port-in-use";
    case HK_CONFIG_WARN_UNLOCKED: return "unlocked";
    case HK_CONFIG_WARN_NO_VGABIOS: return "no-vgabios";
    case HK_CONFIG_WARN_NO_PASST: return "no-passt";
    default: return "unknown";
    }
}

#endif
