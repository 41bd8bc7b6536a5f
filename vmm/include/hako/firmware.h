/*
 * Host firmware: finding SeaBIOS and OVMF on the host and deciding, before a VM starts, whether
 * Hako's PC can run them. One copy of these rules, linked by the engine (hako-vmm maps what passes)
 * and by the app (the wizard, the settings and the host check offer what passes): the app never
 * offers firmware the engine refuses, and never hides firmware the engine would run.
 *
 * Discovery (first found first): the QEMU firmware descriptors (hako/fw-descriptor.h), then the
 * distributions' usual file pairs (Debian/Ubuntu /usr/share/OVMF and the unified
 * /usr/share/ovmf/OVMF.fd; Arch /usr/share/edk2/x64 and the older /usr/share/edk2-ovmf/x64;
 * Fedora /usr/share/edk2/ovmf; openSUSE /usr/share/qemu/ovmf-x86_64-*.bin), then any other
 * OVMF_CODE*.fd in those folders, each paired with its variable store by the descriptor, the
 * distribution pair or the name. SeaBIOS: /usr/share/seabios/bios.bin (Debian, Ubuntu, Fedora),
 * /usr/share/qemu/bios.bin (Arch), then the 256 KiB builds.
 *
 * OVMF validation follows the image layout of edk2-stable202211 OvmfPkg (OvmfPkgDefines.fdf.inc:
 * 1 MiB and 2 MiB builds have a 0x20000-byte variable store, 4 MiB builds 0x84000; CODE is the rest
 * of the flash device and ends with the reset vector at 4 GiB - 16; a unified OVMF.fd carries its
 * variable store in front of the code) and the variable-store checks of PlatformInitLib's
 * PlatformValidateNvVarStore (firmware-volume header with the system NV data GUID, "_FVH",
 * attributes 0x4FEFF, revision 2, length = store size, 16-bit header checksum; variable store
 * header with the (authenticated) variable GUID, formatted 0x5A, healthy 0xFE). The reset vector
 * is followed the way the CPU executes it at reset. Secure Boot builds (SMM required, Q35 only)
 * are recognised by their descriptor ("requires-smm"), by having the same contents as a file such
 * a descriptor names, or by their distribution file names; Hako's i440FX PC has no SMM, so they
 * are refused, with the plain build of the same size suggested instead.
 *
 * Files are opened without blocking (a FIFO or device given as firmware is refused, not waited
 * on). Plain C11 + POSIX, no GLib, no global state.
 */
#ifndef HAKO_FIRMWARE_H
#define HAKO_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hako/facts.h"
#include "hako/fw-descriptor.h"

#define HK_FW_MAX_IMAGE   (16u << 20) /* bytes: no firmware image is larger */
#define HK_FW_BLOCK       0x1000u     /* images are whole 4 KiB pages (flash blocks) */
#define HK_FW_MESSAGE_MAX (3 * HK_FW_PATH_MAX)

/* What the engine loads (hako-vmm --firmware, --ovmf-code, --ovmf-vars, --ovmf-vars-template).
 * The numbers are those of HK_FACT_FIRMWARE's a. */
enum hk_fw_kind { HK_FW_BIOS = 0, HK_FW_UEFI = 1, HK_FW_RAW = 2 };

struct hk_firmware_config {
    enum hk_fw_kind kind;
    const char *path;               /* BIOS or raw image; NULL = search (BIOS) */
    const char *ovmf_code;          /* UEFI: CODE (or a unified OVMF.fd); NULL = search */
    const char *ovmf_vars;          /* UEFI: the VM's own variable store (written) */
    const char *ovmf_vars_template; /* UEFI: copied to ovmf_vars when that does not exist */
};

/* Where to look. All NULL (or a NULL pointer instead of the struct) = this system. */
struct hk_fw_search {
    const char *root; /* a fake root the default places are looked for under (tests); NULL = / */
    const char *const *descriptor_dirs; /* NULL-terminated, lowest priority first; NULL = QEMU's
                                           three (under root: the two system ones) */
    const char *const *pairs; /* NULL-terminated CODE, VARS, CODE, VARS, ... ("" VARS = a unified
                                 image); NULL = the distributions' usual pairs (under root) */
};

/* Why validation said no, finer than enum hk_fw_problem (which travels in facts). The app words
 * each one itself (translated); hk_fw_check.message is the engine's English paragraph. */
enum hk_fw_reason {
    HK_FW_R_OK = 0,
    HK_FW_R_NOT_GIVEN,       /* NOT_FOUND: no file name */
    HK_FW_R_NONE_INSTALLED,  /* NOT_FOUND: nothing usable found on the host */
    HK_FW_R_MISSING,         /* NOT_FOUND: file does not exist */
    HK_FW_R_NAME_TOO_LONG,   /* UNREADABLE: a path longer than HK_FW_PATH_MAX */
    HK_FW_R_NOT_REGULAR,     /* UNREADABLE: a directory, FIFO, device, socket */
    HK_FW_R_READ_ERROR,      /* UNREADABLE: error says why */
    HK_FW_R_EMPTY,           /* BAD_SIZE */
    HK_FW_R_TOO_LARGE,       /* BAD_SIZE: larger than HK_FW_MAX_IMAGE */
    HK_FW_R_NOT_BLOCKS,      /* BAD_SIZE: not a whole number of 4 KiB blocks */
    HK_FW_R_NO_RESET_VECTOR, /* NOT_CODE: nothing the CPU can run at 4 GiB - 16 */
    HK_FW_R_CODE_IS_VARS,    /* NOT_CODE: a variable store given as CODE */
    HK_FW_R_SWAPPED,         /* SWAPPED: CODE and VARS given the other way round */
    HK_FW_R_VARS_IS_CODE,    /* SWAPPED: firmware code given as the variable store */
    HK_FW_R_SECURE_BOOT,     /* SECURE_BOOT: needs SMM; detail says how it was recognised */
    HK_FW_R_CODE_SIZE,       /* BAD_SIZE: no OVMF build has a CODE of this size */
    HK_FW_R_UNIFIED_SIZES,   /* BAD_SIZE: a unified image whose parts fit no build */
    HK_FW_R_UNIFIED_VARS,    /* BAD_VARS: the store inside a unified image is damaged */
    HK_FW_R_NO_VARS,         /* NOT_FOUND: no variable store goes with this CODE */
    HK_FW_R_MISMATCH,        /* MISMATCH: CODE and VARS of different builds */
    HK_FW_R_BAD_VARS,        /* BAD_VARS: detail says what is wrong */
};

enum hk_ovmf_kind { HK_OVMF_UNKNOWN, HK_OVMF_CODE, HK_OVMF_VARS, HK_OVMF_UNIFIED };

/* The verdict on a firmware configuration. problem == NONE: the engine can run these files. */
struct hk_fw_check {
    enum hk_fw_problem problem;
    enum hk_fw_reason reason;
    enum hk_fw_kind kind;
    char file[HK_FW_PATH_MAX]; /* the file the reason is about */
    int error;                 /* READ_ERROR: errno */
    uint64_t size;             /* that file's size (sizes, MISMATCH: the store's) */
    uint64_t want;             /* MISMATCH: the store size the CODE needs */
    uint8_t rv_bytes[5];       /* NO_RESET_VECTOR: the bytes at 4 GiB - 16 */
    char detail[200];          /* SECURE_BOOT: how it was recognised; *_VARS: what is wrong */
    /* the files the engine uses (as far as they got decided) */
    char code[HK_FW_PATH_MAX]; /* BIOS/raw image or OVMF CODE (a unified image) */
    char vars[HK_FW_PATH_MAX]; /* OVMF: the variable store it starts from; "" = the image's own */
    uint64_t code_size;        /* the image mapped below 4 GiB (a unified image: its CODE part) */
    uint64_t vars_size;        /* OVMF: the variable store */
    uint64_t flash_size;       /* OVMF: code_size + vars_size when they form a build, else 0 */
    bool unified;              /* OVMF: one file holding VARS + CODE */
    bool secure_boot;          /* a Secure Boot (SMM) build */
    /* the files to use instead, when Hako knows them */
    char use_code[HK_FW_PATH_MAX];
    char use_vars[HK_FW_PATH_MAX];
    char message[HK_FW_MESSAGE_MAX]; /* one English paragraph: what is wrong and what to do */
};

/* ---- the verdict ---- */

/* What the engine decides about cfg before it loads anything: the BIOS or OVMF files it would
 * pick when none are given, the variable store template that goes with a CODE given alone, and
 * every check below. Fills check (also when usable); returns 0 when the engine can run it. */
int hk_fw_check_config(const struct hk_firmware_config *cfg, const struct hk_fw_search *s,
                       struct hk_fw_check *check);

/* Validates OVMF CODE (or a unified image) with the variable store the VM will use: vars_path if
 * it exists, else the template. Either may be NULL. Returns 0 when usable. */
int hk_ovmf_validate(const char *code_path, const char *vars_path, const char *template_path,
                     const struct hk_fw_search *s, struct hk_fw_check *check);
/* Validates a BIOS (SeaBIOS) image. Returns 0 when usable. */
int hk_bios_validate(const char *path, struct hk_fw_check *check);

/* ---- discovery ---- */

/* One firmware build found on the host, with its verdict (no suggestions are looked for). */
struct hk_fw_found {
    enum hk_fw_kind kind;        /* BIOS or UEFI */
    const char *code;            /* the BIOS image, OVMF CODE or unified image */
    const char *vars;            /* OVMF: the variable store template; "" none / unified */
    const char *description;     /* the descriptor's, or "" */
    bool descriptor_secure_boot; /* the descriptor says "secure-boot" */
    const struct hk_fw_check *check;
};

/* Calls fn for every build found, in the order the engine prefers them (SeaBIOS first, then
 * OVMF), each file pair once. Stops when fn returns true. */
void hk_fw_discover(const struct hk_fw_search *s,
                    bool (*fn)(void *opaque, const struct hk_fw_found *f), void *opaque);

/* The first usable SeaBIOS image; 0 or -1. */
int hk_bios_find(const struct hk_fw_search *s, char *path, size_t len);
/* The first usable OVMF: CODE + VARS template (or a unified image, *template_path = ""). 0 or -1.
 */
int hk_ovmf_find(const struct hk_fw_search *s, char *code, char *template_path, size_t len);
/* The template that belongs to this CODE (descriptor, distribution pair, or the name next to it,
 * of the size the CODE needs). 0 or -1. */
int hk_ovmf_template_for(const char *code_path, size_t code_size, const struct hk_fw_search *s,
                         char *out, size_t len);
/* True when this CODE image needs SMM: descriptor says so, same contents as such a file, or a
 * Secure Boot file name. which gets a short reason. */
bool hk_ovmf_requires_smm(const char *code_path, const uint8_t *code, size_t code_size,
                          const struct hk_fw_search *s, char *which, size_t which_len);

/* ---- images ---- */

struct hk_ovmf_info {
    enum hk_ovmf_kind kind;
    size_t size;
    bool reset_vector;      /* the last 16 bytes reach a jump the CPU can take at reset */
    uint8_t rv_bytes[5];    /* the first bytes at 4 GiB - 16 */
    uint64_t vars_fv_len;   /* VARS / UNIFIED: the NV firmware volume's length */
    unsigned nvars;         /* VARS: variables in the store (valid and deleted) */
    bool vars_walk_ok;      /* VARS: the variable list is well-formed to its end */
    char vars_problem[160]; /* VARS: why the header is not valid ("" when valid) */
};

/* Looks at an image in memory. */
void hk_ovmf_inspect(const uint8_t *img, size_t size, struct hk_ovmf_info *out);
/* True when the bytes at the end of img (4 GiB - 16 once mapped) lead to a jump the CPU takes at
 * reset. */
bool hk_fw_reset_vector_ok(const uint8_t *img, size_t size);
/* The VARS size an OVMF build with this much CODE expects, or 0 for an unknown CODE size. */
size_t hk_ovmf_vars_size_for_code(size_t code_size);
/* "1 MiB", "2 MiB", "4 MiB" for a CODE size of those builds, else NULL. */
const char *hk_ovmf_build_name(size_t code_size);
/* Validates a variable store (FV header, store header, variable list). True when usable; why gets
 * the reason otherwise. */
bool hk_ovmf_vars_valid(const uint8_t *v, size_t size, char *why, size_t why_len, unsigned *nvars,
                        bool *walk_ok);

/* Reads a whole regular file of at most max bytes into a page-aligned, writable private mapping
 * (release with hk_fw_free_file), without blocking on a FIFO or device. Returns HK_FW_R_OK, or
 * HK_FW_R_MISSING, NAME_TOO_LONG, NOT_REGULAR, EMPTY, TOO_LARGE or READ_ERROR (*error: errno). */
enum hk_fw_reason hk_fw_read_file(const char *path, size_t max, uint8_t **data, size_t *size,
                                  int *error);
/* The same for a file already open (read from its start with pread). */
enum hk_fw_reason hk_fw_read_fd(int fd, size_t max, uint8_t **data, size_t *size, int *error);
void hk_fw_free_file(uint8_t *data, size_t size);

#endif
