/* HakoVmCard: a virtual machine in the library grid: the thumbnail of its last screen, its name,
 * its operating system and state (or why its vm.ini cannot be read). Cards are recycled by the
 * grid (hako_vm_card_set_vm); right-click or long press emits ::context-menu (x, y in the card),
 * the window shows its one menu there. */
#pragma once

#include <gtk/gtk.h>

#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_VM_CARD (hako_vm_card_get_type())
G_DECLARE_FINAL_TYPE(HakoVmCard, hako_vm_card, HAKO, VM_CARD, GtkWidget)

GtkWidget *hako_vm_card_new(void);
/* The VM shown (NULL: none; the card lets go of the previous one). */
void hako_vm_card_set_vm(HakoVmCard *self, HakoVm *vm);
HakoVm *hako_vm_card_get_vm(HakoVmCard *self);

G_END_DECLS
