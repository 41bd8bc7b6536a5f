/*
 * The vm.ini settings model (see hako-vm.h for the format): typed reads and writes of the keys
 * the app itself interprets, on the VM's GKeyFile. Window code (settings, wizard, library,
 * delete) goes through these instead of parsing vm.ini values itself.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* [Engine] memory ("1024M", "2G", "512": MiB) in MiB; 0 when unset or unreadable. */
guint64 hako_vm_config_memory_mib(GKeyFile *config);

/* A path as written in vm.ini, made absolute: relative paths are inside the VM folder. NULL for
 * NULL or "". */
char *hako_vm_config_resolve_path(GFile *vm_dir, const char *path);

/* The [Engine] disk values as written (relative or absolute, without ",readonly"); never NULL. */
char **hako_vm_config_disk_values(GKeyFile *config);
/* The disk images in [Engine] disk, as absolute paths (NULL-terminated; free with g_strfreev). */
char **hako_vm_config_disks(GKeyFile *config, GFile *vm_dir);
/* Replaces [Engine] disk (NULL or empty: no disk). */
void hako_vm_config_set_disks(GKeyFile *config, const char *const *values);

/* The network ([Engine] net, mac, net-mtu, net-forward; see hako-vmm --help). */
gboolean hako_vm_config_net_enabled(GKeyFile *config);
/* On: net=user (and a MAC when there is none yet); off: net=none. */
void hako_vm_config_set_net_enabled(GKeyFile *config, gboolean on);
/* Writes a random locally administered MAC when [Engine] mac is missing or unreadable; TRUE
 * when it wrote one. */
gboolean hako_vm_config_ensure_mac(GKeyFile *config);
/* A new random MAC as text (locally administered, unicast). */
char *hako_vm_config_random_mac(void);
/* The link MTU, 0 when unset (the engine's default). */
guint hako_vm_config_net_mtu(GKeyFile *config);
void hako_vm_config_set_net_mtu(GKeyFile *config, guint mtu);
/* The port forwards that parse (element type struct hk_net_forward). */
GArray *hako_vm_config_forwards(GKeyFile *config);
void hako_vm_config_set_forwards(GKeyFile *config, const GArray *forwards);

G_END_DECLS
