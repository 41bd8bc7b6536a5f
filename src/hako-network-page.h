/*
 * HakoNetworkPage: the Network page of a VM's settings (HakoVmSettings). The network card on or
 * off ([Engine] net=user|none), its MAC address (a random locally administered one, written once),
 * the link MTU, the port forwards as an editable list (protocol, host port, guest port; a repeated
 * host port or one this computer cannot bind is refused inline), and while the VM runs: the
 * cable (plugging and unplugging it through the control socket) and the counters the engine
 * sends (frames and bytes each way, drops).
 */
#pragma once

#include <adwaita.h>

#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_NETWORK_PAGE (hako_network_page_get_type())
G_DECLARE_FINAL_TYPE(HakoNetworkPage, hako_network_page, HAKO, NETWORK_PAGE, AdwPreferencesPage)

/* Shows (and edits) vm's network settings. */
void hako_network_page_set_vm(HakoNetworkPage *self, HakoVm *vm);

G_END_DECLS
