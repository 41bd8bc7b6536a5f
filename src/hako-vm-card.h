/* HakoVmCard: a virtual machine in the library grid: the thumbnail of its last screen, its name,
 * its operating system and state. Right-click (or long press) offers its menu. */
#pragma once

#include <gtk/gtk.h>

#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_VM_CARD (hako_vm_card_get_type())
G_DECLARE_FINAL_TYPE(HakoVmCard, hako_vm_card, HAKO, VM_CARD, GtkWidget)

GtkWidget *hako_vm_card_new(HakoVm *vm);
HakoVm *hako_vm_card_get_vm(HakoVmCard *self);

G_END_DECLS
