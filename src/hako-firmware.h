/*
 * HakoFirmware: one firmware build found on the host (SeaBIOS, or an OVMF CODE/VARS pair), with
 * whether Hako's PC can run it and, when not, why.
 *
 * Firmware is found, never bundled: QEMU's firmware descriptors (/usr/share/qemu/firmware/ *.json,
 * /etc/qemu/firmware, ~/.config/qemu/firmware: docs/interop/firmware.json in QEMU), then the
 * distributions' usual places (Debian/Ubuntu /usr/share/OVMF and /usr/share/seabios, Arch
 * /usr/share/edk2/x64 and /usr/share/qemu, Fedora /usr/share/edk2/ovmf). The validation rules are
 * the engine's (vmm/pc/firmware.c), restated here because the app does not link engine code:
 * CODE and VARS both start with a firmware volume ("_FVH" at 0x28), the VARS volume length equals
 * the VARS file size, CODE + VARS fill a 2 MiB or 4 MiB flash (2 MiB CODE builds pair with
 * 128 KiB VARS, 4 MiB ones with 528 KiB), the CODE's last 16 bytes (the reset vector at
 * 4 GiB - 16) hold a jump, and Secure Boot builds (they need SMM and Q35) are refused.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
    HAKO_FIRMWARE_BIOS = 0,
    HAKO_FIRMWARE_UEFI = 1,
} HakoFirmwareKind;

#define HAKO_TYPE_FIRMWARE (hako_firmware_get_type())
G_DECLARE_FINAL_TYPE(HakoFirmware, hako_firmware, HAKO, FIRMWARE, GObject)

HakoFirmwareKind hako_firmware_get_kind(HakoFirmware *self);
/* "SeaBIOS", "OVMF, 4 MiB flash", "OVMF, 2 MiB flash, Secure Boot" (translated) */
const char *hako_firmware_get_name(HakoFirmware *self);
/* The descriptor's description, or the files. */
const char *hako_firmware_get_description(HakoFirmware *self);
/* SeaBIOS image, or OVMF CODE */
const char *hako_firmware_get_code_path(HakoFirmware *self);
/* OVMF VARS template (copied per VM); NULL for BIOS */
const char *hako_firmware_get_vars_template(HakoFirmware *self);
guint64 hako_firmware_get_code_size(HakoFirmware *self);
guint64 hako_firmware_get_vars_size(HakoFirmware *self);
gboolean hako_firmware_is_usable(HakoFirmware *self);
/* Why the build cannot be used (NULL when usable). */
const char *hako_firmware_get_problem(HakoFirmware *self);
gboolean hako_firmware_is_secure_boot(HakoFirmware *self);

/* Validates a firmware given by paths (a user's choice in settings). Always returns an object;
 * hako_firmware_is_usable() and hako_firmware_get_problem() carry the verdict. vars_template is
 * ignored for BIOS. */
HakoFirmware *hako_firmware_new_for_paths(HakoFirmwareKind kind, const char *code_path,
                                          const char *vars_template);

/* Every build found under root ("/" or NULL for the real system; tests pass a fake tree), usable
 * ones first (BIOS, then UEFI: 4 MiB before 2 MiB). A GListModel of HakoFirmware. */
GListModel *hako_firmware_discover(const char *root);
/* The first usable build of a kind, or NULL. */
HakoFirmware *hako_firmware_list_find_default(GListModel *list, HakoFirmwareKind kind);
/* The build whose CODE (or BIOS image) is path, or NULL. */
HakoFirmware *hako_firmware_list_find_by_code(GListModel *list, const char *path);

/* Package installation commands, one line per distribution ("Debian, Ubuntu: sudo apt install
 * ovmf"). kind selects SeaBIOS or OVMF. */
char *hako_firmware_install_hint(HakoFirmwareKind kind);

G_END_DECLS
