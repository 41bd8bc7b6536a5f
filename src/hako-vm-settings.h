/*
 * HakoVmSettings: one virtual machine's settings (vm.ini), applied as they are changed and saved
 * atomically. General: name, operating system, notes, delete. System: memory, processors,
 * firmware (SeaBIOS, or an OVMF build by name, validated), boot order, boot menu. Storage: the
 * disk (path, size, grow), a second disk, the CD/DVD (choose another disc or eject; live while
 * the VM runs). Display: the preferred resolution (the EDID's preferred mode). Advanced: the
 * engine log, the equivalent hako-vmm command line, the serial console.
 *
 * Invalid values are refused inline with the reason; while the VM runs, settings that only take
 * effect at the next start say so. Deleting is HakoDeleteFlow, renaming from the library
 * HakoRenameDialog, the vm.ini values hako-vm-config.h.
 */
#pragma once

#include <adwaita.h>

#include "hako-vm-library.h"
#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_VM_SETTINGS (hako_vm_settings_get_type())
G_DECLARE_FINAL_TYPE(HakoVmSettings, hako_vm_settings, HAKO, VM_SETTINGS, AdwPreferencesWindow)

/* parent: the main window; toasts: its toast overlay (where deleting this VM is reported). */
HakoVmSettings *hako_vm_settings_new(GtkWindow *parent, AdwToastOverlay *toasts,
                                     HakoVmLibrary *library, HakoVm *vm);
HakoVm *hako_vm_settings_get_vm(HakoVmSettings *self);

G_END_DECLS
