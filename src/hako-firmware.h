/*
 * HakoFirmware: one firmware build found on the host (SeaBIOS, or OVMF: a CODE/VARS pair or a
 * unified image), with whether Hako's PC can run it and, when not, why.
 *
 * Discovery and validation are the common library's (hako/firmware.h, vmm/common/): the very
 * code hako-vmm runs before it maps firmware, so the app offers exactly the firmware the engine
 * runs. This class only wraps its verdict in a GObject and a GListModel, and words it (translated).
 */
#pragma once

#include <gio/gio.h>

#include "hako/firmware.h"

G_BEGIN_DECLS

typedef enum {
    HAKO_FIRMWARE_BIOS = HK_FW_BIOS,
    HAKO_FIRMWARE_UEFI = HK_FW_UEFI,
} HakoFirmwareKind;

#define HAKO_TYPE_FIRMWARE (hako_firmware_get_type())
G_DECLARE_FINAL_TYPE(HakoFirmware, hako_firmware, HAKO, FIRMWARE, GObject)

HakoFirmwareKind hako_firmware_get_kind(HakoFirmware *self);
/* "SeaBIOS", "OVMF, 4 MiB flash", "OVMF, 2 MiB flash, Secure Boot" (translated) */
const char *hako_firmware_get_name(HakoFirmware *self);
/* The descriptor's description, or the files. */
const char *hako_firmware_get_description(HakoFirmware *self);
/* SeaBIOS image, or OVMF CODE (or the unified image) */
const char *hako_firmware_get_code_path(HakoFirmware *self);
/* OVMF VARS template (copied per VM); NULL for BIOS and for a unified image (the engine makes the
 * VM's store from the image's own) */
const char *hako_firmware_get_vars_template(HakoFirmware *self);
/* The image mapped below 4 GiB (a unified image: its code part) and the variable store. */
guint64 hako_firmware_get_code_size(HakoFirmware *self);
guint64 hako_firmware_get_vars_size(HakoFirmware *self);
gboolean hako_firmware_is_usable(HakoFirmware *self);
/* Why the build cannot be used, translated (NULL when usable). */
const char *hako_firmware_get_problem(HakoFirmware *self);
gboolean hako_firmware_is_secure_boot(HakoFirmware *self);
gboolean hako_firmware_is_unified(HakoFirmware *self);
/* The common library's verdict (problem code, reason, the files to use instead). */
const struct hk_fw_check *hako_firmware_get_check(HakoFirmware *self);

/* Validates a firmware given by paths (a user's choice in settings) exactly as hako-vmm
 * --firmware/--ovmf-code/--ovmf-vars-template would: a CODE given without a template gets the one
 * the engine would pick. Always returns an object; hako_firmware_is_usable() and
 * hako_firmware_get_problem() carry the verdict (with the files to use instead, when known).
 * vars_template is ignored for BIOS. */
HakoFirmware *hako_firmware_new_for_paths(HakoFirmwareKind kind, const char *code_path,
                                          const char *vars_template);

/* Every build found under root ("/" or NULL for the real system; tests pass a fake tree), usable
 * ones first, otherwise in the order the engine prefers them (BIOS, then UEFI). A GListModel of
 * HakoFirmware. */
GListModel *hako_firmware_discover(const char *root);
/* The first usable build of a kind (the one hako-vmm picks when given none), or NULL. */
HakoFirmware *hako_firmware_list_find_default(GListModel *list, HakoFirmwareKind kind);
/* The build whose CODE (or BIOS image) is path, or NULL. */
HakoFirmware *hako_firmware_list_find_by_code(GListModel *list, const char *path);

/* Package installation commands, one line per distribution ("Debian, Ubuntu: sudo apt install
 * ovmf"). kind selects SeaBIOS or OVMF. */
char *hako_firmware_install_hint(HakoFirmwareKind kind);

G_END_DECLS
