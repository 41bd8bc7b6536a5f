/*
 * HakoNetworkInfo: the network info of a VM window (a popover of its header bar): what happened
 * on the VM's network as the engine recorded it (passt running, the guest's driver starting the
 * card, its first frame, its DHCP request and lease, its first name lookup answered), the verdict
 * of HakoNetDiagnosis in words with the fix, and the live counters. Re-evaluated as facts arrive
 * and, while the verdict is still pending, once a second.
 */
#pragma once

#include <gtk/gtk.h>

#include "hako-net-diagnosis.h"
#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_NETWORK_INFO (hako_network_info_get_type())
G_DECLARE_FINAL_TYPE(HakoNetworkInfo, hako_network_info, HAKO, NETWORK_INFO, GtkPopover)

HakoNetworkInfo *hako_network_info_new(void);
void hako_network_info_set_vm(HakoNetworkInfo *self, HakoVm *vm);
/* The verdict shown (for the button's icon). */
HakoNetDiagnosis *hako_network_info_get_diagnosis(HakoNetworkInfo *self);

G_END_DECLS
