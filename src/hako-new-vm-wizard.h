/*
 * HakoNewVmWizard: a new virtual machine from a disc image, in one window: the disc is read
 * (HakoMedia: OS, BIOS/UEFI boot entries), Hako proposes name, memory, processors, disk size and
 * firmware within the host's limits (HakoProposal), everything stays editable with the limits
 * shown and invalid values refused inline, and Create makes the VM folder (HakoVmCreator) with
 * progress, then starts the VM with the disc attached and the CD first in the boot order.
 * Cancelling at any point leaves nothing behind.
 */
#pragma once

#include <adwaita.h>

#include "hako-vm-library.h"

G_BEGIN_DECLS

#define HAKO_TYPE_NEW_VM_WIZARD (hako_new_vm_wizard_get_type())
G_DECLARE_FINAL_TYPE(HakoNewVmWizard, hako_new_vm_wizard, HAKO, NEW_VM_WIZARD, AdwWindow)

/* parent: the main window (a HakoWindow, which opens and starts the new VM); file: the disc
 * image, or NULL to ask for one first. */
HakoNewVmWizard *hako_new_vm_wizard_new(GtkWindow *parent, HakoVmLibrary *library, GFile *file);

/* Adds the ISO file filter and a title to a file chooser (also used by settings). */
void hako_new_vm_wizard_setup_iso_chooser(GtkFileChooser *chooser);

G_END_DECLS
