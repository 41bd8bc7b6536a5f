/*
 * Diagnostic facts the engine records and sends to the app (part of the control protocol).
 * The numbers are stable: append new kinds at the end.
 *
 * A fact is typed: numbers (a, b, c), flags, up to two file paths and the bytes of an
 * instruction, whose meaning each kind states below, plus a short text for people reading the
 * timeline. The app reads the typed fields; it never takes the text apart (the text is cut at
 * HK_FACT_TEXT_MAX - 1 bytes, a path is never cut: a path that does not fit is left out).
 */
#ifndef HAKO_FACTS_H
#define HAKO_FACTS_H

#include <stdint.h>

enum hk_fact_kind {
    HK_FACT_ENGINE_START = 0,   /* text: settings summary */
    HK_FACT_FIRMWARE,           /* a: kind (hk_fw_kind), b: size; path[0]: the image;
                                   text: checks */
    HK_FACT_FWCFG_FIRST,        /* first access to the fw_cfg interface */
    HK_FACT_FWCFG_FILE,         /* a: selector; text: file name (first read of each) */
    HK_FACT_DISPLAY_ENUMERATED, /* firmware read the display device's PCI IDs */
    HK_FACT_DISPLAY_BAR,        /* a: BAR index, b: address */
    HK_FACT_DISPLAY_ROM_READ,   /* firmware read the display option ROM */
    HK_FACT_MODE_SET,           /* a: width, b: height, c: bpp (DISPI enable); flags:
                                   HK_FACT_MODE_BY_FIRMWARE_GOP */
    HK_FACT_DISPLAY_DISABLED,   /* DISPI enable cleared */
    HK_FACT_FIRST_DAMAGE,       /* first change in the framebuffer after a mode set */
    HK_FACT_FLASH_WRITE,        /* counted; a: total program+erase commands */
    HK_FACT_SMM_PROBE,          /* a: port or register; text: what */
    HK_FACT_BOOT_READ,          /* a: LBA; text: what (El Torito record, catalog, boot image) */
    HK_FACT_RESET,              /* text: cause */
    HK_FACT_INTERNAL_ERROR,     /* a: suberror (KVM_INTERNAL_ERROR_*), b: rip (linear), c: vCPU;
                                   insn: the bytes at rip (insn_len 0: unreadable); text: the
                                   same in hex */
    HK_FACT_TRIPLE_FAULT,       /* b: rip, c: vCPU; insn, text: as HK_FACT_INTERNAL_ERROR */
    HK_FACT_HALT_IRQ_OFF,       /* b: rip: the vCPU halted with interrupts disabled */
    HK_FACT_SERIAL_LINE,        /* flags: HK_FACT_LINE_*; text: a line written to COM1 */
    HK_FACT_DEBUGCON_LINE,      /* flags: HK_FACT_LINE_*; text: a line written to the debug
                                   console (firmware log) */
    HK_FACT_VGA_TEXT_WRITE,     /* counted: writes to legacy VGA memory 0xA0000-0xBFFFF */
    HK_FACT_POWER_OFF,          /* text: how */
    HK_FACT_GUEST_ERROR,        /* text: a device refused a guest request */
    HK_FACT_BOOT_FAILED,        /* a: the device (enum hk_boot_device); text: the firmware's
                                   line saying boot failed */
    HK_FACT_BOOTING,            /* a: the device (enum hk_boot_device); text: the firmware's
                                   line saying it boots from it */
    HK_FACT_POINTER_MODE,       /* a: 1 absolute (vmmouse on), 0 relative */
    HK_FACT_CPU_SPIN,           /* the vCPU runs but no device was touched for a while */
    HK_FACT_FIRMWARE_REFUSED,   /* a: problem (enum hk_fw_problem); path[0], path[1]: the CODE
                                   and VARS files to use instead ("" when not known); text:
                                   hk_fw_problem_name */
    HK_FACT_FIRMWARE_VARS,      /* a: size; path[0]: the UEFI variable store file, path[1]: the
                                   template it was made from now ("" when it existed); text:
                                   checks */
    HK_FACT_FLASH_PROBE,        /* the firmware probed the variable flash (CFI status read) */
    HK_FACT_RESET_LOOP,         /* a: resets, b: within so many seconds */
    HK_FACT_CONFIG_REFUSED,     /* a: enum hk_config_problem, b: option, c: see hako/config.h;
                                   path[0]: the offending value in full; text: the same, cut */
    HK_FACT_CONFIG_WARNING,     /* the same fields: the VM runs, but see hako/config.h */
    /* the network card (virtio-net on passt) and what passed through it */
    HK_FACT_NET_BACKEND,   /* a: enum hk_net_backend_state (hako/net.h); b: pid (running) or
                              exit status, 128 + signal (died, failed); c: starts so far
                              (running); path[0]: passt's program (running) */
    HK_FACT_NET_DRIVER_OK, /* the guest's driver set DRIVER_OK; a: features; text: which */
    HK_FACT_NET_FIRST_TX,  /* the guest sent its first frame; a: ethertype; text: what */
    HK_FACT_NET_DHCP,      /* a: enum hk_net_dhcp_type; b: address (IPv4, host order: offered,
                              requested, leased); c: gateway (ACK); text: in words */
    HK_FACT_NET_DNS,       /* a: 0 first query, 1 first answer; b: rcode; c: answers; text: the
                              name asked for */
    HK_FACT_NET_LINK,      /* a: 1 up, 0 down; b: enum hk_net_link_cause */
    HK_FACT__COUNT
};

/* Why firmware was refused before the VM started (HK_FACT_FIRMWARE_REFUSED a). Stable numbers. */
enum hk_fw_problem {
    HK_FW_PROBLEM_NONE = 0,
    HK_FW_PROBLEM_NOT_FOUND = 1,   /* no firmware installed / the file does not exist */
    HK_FW_PROBLEM_UNREADABLE = 2,  /* cannot be opened or read */
    HK_FW_PROBLEM_BAD_SIZE = 3,    /* a size no firmware image has */
    HK_FW_PROBLEM_MISMATCH = 4,    /* OVMF CODE and VARS from different builds (2 vs 4 MiB) */
    HK_FW_PROBLEM_SECURE_BOOT = 5, /* a Secure Boot build that needs SMM (Q35) */
    HK_FW_PROBLEM_SWAPPED = 6,     /* CODE and VARS given the other way round */
    HK_FW_PROBLEM_NOT_CODE = 7,    /* no reset-vector jump at 4 GiB - 16 */
    HK_FW_PROBLEM_BAD_VARS = 8,    /* the variable store has no valid firmware-volume header */
    HK_FW_PROBLEM_VARS_IN_USE = 9, /* another running VM has this variable store open */
    HK_FW_PROBLEM_VARS_WRITE = 10, /* the VM's variable store cannot be created or written */
};

/* A stable identifier for each problem ("mismatch", "secure-boot"), "unknown" otherwise. */
static inline const char *hk_fw_problem_name(int64_t problem)
{
    static const char *const names[] = {
        "none",    "not-found", "unreadable", "bad-size",    "mismatch",   "secure-boot",
        "swapped", "not-code",  "bad-vars",   "vars-in-use", "vars-write",
    };
    return problem >= 0 && problem < (int64_t)(sizeof(names) / sizeof(names[0])) ? names[problem]
                                                                                 : "unknown";
}

/* HK_FACT_MODE_SET flags */
#define HK_FACT_MODE_BY_FIRMWARE_GOP 0x1u /* set by the UEFI firmware's GOP driver (no OS yet) */

/* HK_FACT_SERIAL_LINE and HK_FACT_DEBUGCON_LINE flags: firmware messages the engine recognised */
#define HK_FACT_LINE_NO_VGA 0x1u /* SeaBIOS found no VGA BIOS ("No VGA found") */
#define HK_FACT_LINE_EFI_BOOT_FAIL                                                                 \
    0x2u /* OVMF's boot manager gave up on a boot option                                           \
            ("BdsDxe: failed to load Boot0001 ...") */

/* The device a BIOS boots from (HK_FACT_BOOTING and HK_FACT_BOOT_FAILED a), as SeaBIOS names it;
 * a failure that names no device is the one it was booting from. Stable numbers. */
enum hk_boot_device {
    HK_BOOT_DEVICE_UNKNOWN = 0,
    HK_BOOT_DEVICE_FLOPPY = 1, /* "Booting from Floppy..." */
    HK_BOOT_DEVICE_DISK = 2,   /* "Booting from Hard Disk..." */
    HK_BOOT_DEVICE_CDROM = 3,  /* "Booting from DVD/CD...", "Could not read from CDROM" */
    HK_BOOT_DEVICE_ROM = 4,    /* "Booting from ROM..." (an option ROM: network boot) */
};

/* bytes of the text, with its NUL */
#define HK_FACT_TEXT_MAX 120
/* bytes of a path field, with its NUL (the protocol's path limit) */
#define HK_FACT_PATH_MAX 1024
#define HK_FACT_PATHS    2
/* bytes of an instruction field (an x86 instruction is at most 15 bytes long) */
#define HK_FACT_INSN_MAX 16

struct hk_fact {
    uint64_t t_ns; /* since engine start */
    uint32_t kind;
    uint32_t seq;
    int64_t a, b, c;
    uint32_t flags;                 /* per kind, see above */
    uint32_t insn_len;              /* 0..HK_FACT_INSN_MAX */
    uint8_t insn[HK_FACT_INSN_MAX]; /* per kind, see above */
    char text[HK_FACT_TEXT_MAX];
    char path[HK_FACT_PATHS][HK_FACT_PATH_MAX]; /* per kind, see above; "" none */
};

/* Stable identifiers used in --diagnose JSON and by the app. */
static inline const char *hk_fact_name(uint32_t kind)
{
    /* clang-format off */
    static const char *const names[HK_FACT__COUNT] = {
        "engine-start",   "firmware",         "fwcfg-first",   "fwcfg-file",  "display-enumerated",
        "display-bar",    "display-rom",      "mode-set",      "display-off", "first-damage",
        "flash-write",    "smm-probe",        "boot-read",     "reset",       "internal-error",
        "triple-fault",   "halt-irq-off",     "serial",        "debugcon",    "vga-text-write",
        "power-off",      "guest-error",      "boot-failed",   "booting",     "pointer-mode",
        "cpu-spin",       "firmware-refused", "firmware-vars", "flash-probe", "reset-loop",
        "config-refused", "config-warning",
        "net-backend",    "net-driver-ok",    "net-first-tx",  "net-dhcp",    "net-dns",
        "net-link",
    };
    /* clang-format on */
    return kind < HK_FACT__COUNT ? names[kind] : "unknown";
}

#endif
