/*
 * HakoVmSettings: one virtual machine's settings (vm.ini), applied as they are changed and saved
 * atomically. General: name, operating system, notes, delete. System: memory, processors,
 * firmware (SeaBIOS, or an OVMF build by name, validated), boot order, boot menu. Storage: the
 * disk (path, size, grow), a second disk, the CD/DVD (choose another disc or eject; live while
 * the VM runs). Display: the preferred resolution (the EDID's preferred mode). Advanced: the
 * engine log, the equivalent hako-vmm command line, the serial console.
 *
 * Invalid values are refused inline with the reason; while the VM runs, settings that only take
 * effect at the next start say so.
 */
#pragma once

#include <adwaita.h>

#include "hako-vm-library.h"
#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_VM_SETTINGS (hako_vm_settings_get_type())
G_DECLARE_FINAL_TYPE(HakoVmSettings, hako_vm_settings, HAKO, VM_SETTINGS, AdwPreferencesWindow)

HakoVmSettings *hako_vm_settings_new(GtkWindow *parent, HakoVmLibrary *library, HakoVm *vm);
HakoVm *hako_vm_settings_get_vm(HakoVmSettings *self);

/* Asks, then deletes the VM (its folder goes to the trash; with "keep" its disk images are moved
 * to the Documents folder first). Reports through the main window's toasts. */
void hako_vm_settings_confirm_delete(GtkWindow *parent, HakoVmLibrary *library, HakoVm *vm);
/* Asks for a new name and renames the VM. */
void hako_vm_settings_rename(GtkWindow *parent, HakoVmLibrary *library, HakoVm *vm);

/* [Engine] memory ("1024M", "2G", "512": MiB) in MiB; 0 when unset or unreadable. */
guint64 hako_vm_config_memory_mib(GKeyFile *config);
/* The disk images in [Engine] disk, as absolute paths (NULL-terminated; free with g_strfreev). */
char **hako_vm_config_disks(GKeyFile *config, GFile *vm_dir);

G_END_DECLS
