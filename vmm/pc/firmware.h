/*
 * Host firmware in the VM: mapping SeaBIOS (BIOS) or a raw firmware image at the top of 4 GiB (the
 * reset vector at 4 GiB - 16), with the last 128 KiB also copied into RAM at 0xE0000 as the i440FX
 * PAM shadow would show it. Which files, and whether they can run at all, is decided by the common
 * library (hako/firmware.h), the same code the app uses to offer firmware.
 *
 * UEFI (OVMF): the CODE image as a read-only memslot ending at 4 GiB, the variable store (VARS) as
 * a CFI flash (flash.h) right below it, as QEMU maps "-drive if=pflash" units 0 and 1. The VM's
 * own store (--ovmf-vars) is created from the template when it does not exist yet and locked while
 * the VM runs; without one the store lives in memory.
 */
#ifndef HK_PC_FIRMWARE_H
#define HK_PC_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hako/facts.h"
#include "hako/firmware.h"

struct hk_vm;
struct hk_log;

struct hk_firmware {
    enum hk_fw_kind kind;
    char path[HK_FW_PATH_MAX];
    uint8_t *image; /* the read-only part mapped below 4 GiB */
    size_t size;
    uint64_t base;
    uint8_t *file; /* what was read (a unified OVMF.fd holds VARS + CODE) */
    size_t file_size;
    /* UEFI variable store (CFI flash), see flash.h; NULL for BIOS */
    struct hk_flash *vars;
    char vars_path[HK_FW_PATH_MAX];
    uint8_t *vars_init; /* its contents at start */
    size_t vars_size;
    int vars_fd;         /* the VM's own store, locked; -1 = in memory only */
    bool vars_create;    /* the store does not exist yet: hk_firmware_create_store makes it */
    int vars_lock_errno; /* the file system refused the store's lock (it runs unlocked) */
    char vars_template[HK_FW_PATH_MAX];  /* the template the store starts from ("" none/embedded) */
    char checks[160];                    /* what validation found, for the facts timeline */
    char vars_checks[200];               /* the same for the variable store */
    char vars_store[HK_FW_PATH_MAX];     /* the store the VM starts from (for the facts) */
    char vars_made_from[HK_FW_PATH_MAX]; /* the template a new store is made from, or "" */
    /* why the firmware was refused (problem NONE when it was not) */
    enum hk_fw_problem problem;
    char problem_text[HK_FW_MESSAGE_MAX];
    char problem_path[HK_FW_PATH_MAX];                       /* the file it is about */
    char use_code[HK_FW_PATH_MAX], use_vars[HK_FW_PATH_MAX]; /* the files to use instead */
};
/* Loads and validates, touching nothing on disk (a missing variable store is only checked to be
 * creatable); never waits on a FIFO or device. Returns 0, or -1 with fw->problem and its one-line
 * fw->problem_text. */
int hk_firmware_load(struct hk_firmware *fw, const struct hk_firmware_config *cfg,
                     struct hk_log *log);
/* After every check of the configuration passed: creates the VM's own variable store from the
 * template when it did not exist yet (never replacing a file), and locks it. 0, or -1 with
 * fw->problem. */
int hk_firmware_create_store(struct hk_firmware *fw, struct hk_log *log);
/* Maps the image(s) into the VM and fills the BIOS shadow in ram (which maps gpa 0 upwards). */
int hk_firmware_map(struct hk_firmware *fw, struct hk_vm *vm, uint8_t *ram, size_t ram_size);
/* Back to power-on contents of the shadow area (on reset). */
void hk_firmware_reset(struct hk_firmware *fw, uint8_t *ram, size_t ram_size);
void hk_firmware_free(struct hk_firmware *fw);

#endif
