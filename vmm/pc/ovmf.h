/*
 * OVMF (edk2's firmware for QEMU) on the host: finding it and refusing what cannot work before a VM
 * starts.
 *
 * Discovery: the distribution's QEMU firmware descriptors (/usr/share/qemu/firmware/NN-name.json
 * and /etc/qemu/firmware/NN-name.json, QEMU docs/interop/firmware.json) first, then the usual
 * paths: Debian /usr/share/OVMF and /usr/share/ovmf, Arch /usr/share/edk2/x64 (and the older
 * /usr/share/edk2-ovmf/x64), Fedora /usr/share/edk2/ovmf, openSUSE /usr/share/qemu.
 *
 * Validation follows the image layout of edk2-stable202211 OvmfPkg (OvmfPkgDefines.fdf.inc:
 * 1 MiB and 2 MiB builds have a 0x20000-byte variable store, 4 MiB builds 0x84000; CODE is the rest
 * of the flash device and ends with the reset vector at 4 GiB - 16) and the variable-store checks
 * of PlatformInitLib's PlatformValidateNvVarStore (firmware-volume header with the system NV data
 * GUID,
 * "_FVH", attributes 0x4FEFF, revision 2, length = store size, 16-bit header checksum; variable
 * store header with the (authenticated) variable GUID, formatted 0x5A, healthy 0xFE). Secure Boot
 * builds (SMM required, Q35 only) are recognised by their descriptor ("requires-smm"), by having
 * the same contents as a file such a descriptor names, or by their distribution file names.
 */
#ifndef HK_PC_OVMF_H
#define HK_PC_OVMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hako/facts.h"

#define HK_OVMF_PATH_MAX 512
#define HK_OVMF_BLOCK    0x1000u

/* Where to look (NULL members = the system defaults). For tests. */
struct hk_ovmf_search {
    const char *const *descriptor_dirs; /* NULL-terminated */
    const char *const *pairs;           /* NULL-terminated list of CODE, VARS, CODE, VARS, ...
                                           ("" VARS = a unified image) */
};

/* A QEMU firmware descriptor, the parts Hako needs. */
struct hk_fw_descriptor {
    bool uefi;         /* "interface-types" has "uefi" */
    bool flash;        /* "mapping": {"device": "flash"} */
    bool x86_64;       /* a target with "architecture": "x86_64" */
    bool i440fx;       /* ...whose machine patterns match pc-i440fx-* */
    bool requires_smm; /* "features" has "requires-smm" */
    bool secure_boot;  /* "features" has "secure-boot" */
    bool enrolled_keys;
    char executable[HK_OVMF_PATH_MAX];
    char nvram_template[HK_OVMF_PATH_MAX];
    char description[160];
};

/* What validation found. problem == NONE means the files can be used. */
struct hk_ovmf_check {
    enum hk_fw_problem problem;
    char message[640];               /* one paragraph: what is wrong and what to do */
    char use_code[HK_OVMF_PATH_MAX]; /* the right files, when Hako knows them */
    char use_vars[HK_OVMF_PATH_MAX];
};

/* Facts about one image. */
enum hk_ovmf_kind { HK_OVMF_UNKNOWN, HK_OVMF_CODE, HK_OVMF_VARS, HK_OVMF_UNIFIED };

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

/* Parses a firmware descriptor. Returns 0, or -1 when it is not JSON this parser accepts. */
int hk_fw_descriptor_parse(const char *json, size_t len, struct hk_fw_descriptor *out);

/* Looks at an image in memory. */
void hk_ovmf_inspect(const uint8_t *img, size_t size, struct hk_ovmf_info *out);
/* The VARS size an OVMF build with this much CODE expects, or 0 for an unknown CODE size. */
size_t hk_ovmf_vars_size_for_code(size_t code_size);
/* Validates a variable store (FV header, store header, variable list). True when usable; why gets
 * the reason otherwise. */
bool hk_ovmf_vars_valid(const uint8_t *v, size_t size, char *why, size_t why_len, unsigned *nvars,
                        bool *walk_ok);

/* True when this CODE image needs SMM: descriptor says so, same contents as such a file, or a
 * Secure Boot file name. which gets a short reason. */
bool hk_ovmf_requires_smm(const char *code_path, const uint8_t *code, size_t code_size,
                          const struct hk_ovmf_search *s, char *which, size_t which_len);

/* Validates CODE (or a unified image) with the variable store the VM will use: vars_path if it
 * exists, else the template. Either may be NULL. Fills check; returns 0 when usable. */
int hk_ovmf_validate(const char *code_path, const char *vars_path, const char *template_path,
                     const struct hk_ovmf_search *s, struct hk_ovmf_check *check);

/* Finds a usable CODE + VARS template pair (or a unified image, *template = ""). 0 or -1. */
int hk_ovmf_find(const struct hk_ovmf_search *s, char *code, char *template_path, size_t len);
/* The template that belongs to this CODE (descriptor, or the name next to it). 0 or -1. */
int hk_ovmf_template_for(const char *code_path, size_t code_size, const struct hk_ovmf_search *s,
                         char *out, size_t len);

/* Reads a whole file of at most max bytes into a page-aligned, writable private mapping (release
 * with hk_ovmf_free_file). NULL on failure with errno set (EFBIG when too large). */
uint8_t *hk_ovmf_read_file(const char *path, size_t max, size_t *size);
void hk_ovmf_free_file(uint8_t *buf, size_t size);

#endif
