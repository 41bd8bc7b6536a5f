/* The vm.ini settings model: see hako-vm-config.h. */
#include "hako-vm-config.h"

#include <string.h>

#include "hako-vm.h"
#include "hako/net.h"
#include "hako/size.h"

#define E HAKO_VM_ENGINE_GROUP

guint64 hako_vm_config_memory_mib(GKeyFile *config)
{
    g_autofree char *v = g_key_file_get_string(config, E, "memory", NULL);
    guint64 mib;
    /* read as hako-vmm --memory reads it (one parser, vmm/common/size.c): a bare number is MiB */
    if (!v || hk_parse_memory_mib(v, &mib) < 0)
        return 0;
    return mib;
}

char *hako_vm_config_resolve_path(GFile *vm_dir, const char *path)
{
    if (!path || !*path)
        return NULL;
    if (g_path_is_absolute(path))
        return g_strdup(path);
    g_autoptr(GFile) f = g_file_resolve_relative_path(vm_dir, path);
    return g_file_get_path(f);
}

char **hako_vm_config_disk_values(GKeyFile *config)
{
    g_auto(GStrv) list = g_key_file_get_string_list(config, E, "disk", NULL, NULL);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (gsize i = 0; list && list[i]; i++) {
        if (!*list[i])
            continue;
        g_autofree char *v = g_strdup(list[i]);
        char *comma = strrchr(v, ',');
        if (comma && g_str_equal(comma, ",readonly"))
            *comma = 0;
        g_strv_builder_add(b, v);
    }
    return g_strv_builder_end(b);
}

char **hako_vm_config_disks(GKeyFile *config, GFile *vm_dir)
{
    g_auto(GStrv) values = hako_vm_config_disk_values(config);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (gsize i = 0; values[i]; i++) {
        g_autofree char *path = hako_vm_config_resolve_path(vm_dir, values[i]);
        g_strv_builder_add(b, path);
    }
    return g_strv_builder_end(b);
}

void hako_vm_config_set_disks(GKeyFile *config, const char *const *values)
{
    guint n = values ? g_strv_length((char **)values) : 0;
    if (n == 0)
        g_key_file_remove_key(config, E, "disk", NULL);
    else if (n == 1)
        g_key_file_set_string(config, E, "disk", values[0]);
    else
        g_key_file_set_string_list(config, E, "disk", values, n);
}

gboolean hako_vm_config_net_enabled(GKeyFile *config)
{
    g_autofree char *v = g_key_file_get_string(config, E, "net", NULL);
    return v && g_str_equal(g_strstrip(v), "user");
}

void hako_vm_config_set_net_enabled(GKeyFile *config, gboolean on)
{
    g_key_file_set_string(config, E, "net", on ? "user" : "none");
    if (on)
        hako_vm_config_ensure_mac(config);
}

char *hako_vm_config_random_mac(void)
{
    guint8 rnd[6], mac[6];
    for (int i = 0; i < 6; i++)
        rnd[i] = (guint8)g_random_int_range(0, 256);
    hk_net_make_mac(rnd, mac);
    char text[HK_NET_MAC_TEXT];
    hk_net_format_mac(mac, text);
    return g_strdup(text);
}

gboolean hako_vm_config_ensure_mac(GKeyFile *config)
{
    g_autofree char *v = g_key_file_get_string(config, E, "mac", NULL);
    guint8 mac[6];
    if (v && hk_net_parse_mac(g_strstrip(v), mac) == 0)
        return FALSE;
    g_autofree char *m = hako_vm_config_random_mac();
    g_key_file_set_string(config, E, "mac", m);
    return TRUE;
}

guint hako_vm_config_net_mtu(GKeyFile *config)
{
    g_autofree char *v = g_key_file_get_string(config, E, "net-mtu", NULL);
    guint64 n = 0;
    if (!v ||
        !g_ascii_string_to_unsigned(g_strstrip(v), 10, HK_NET_MTU_MIN, HK_NET_MTU_MAX, &n, NULL))
        return 0;
    return (guint)n;
}

void hako_vm_config_set_net_mtu(GKeyFile *config, guint mtu)
{
    if (mtu == 0 || mtu == HK_NET_MTU_DEFAULT) {
        g_key_file_remove_key(config, E, "net-mtu", NULL);
        return;
    }
    g_autofree char *v = g_strdup_printf("%u", mtu);
    g_key_file_set_string(config, E, "net-mtu", v);
}

GArray *hako_vm_config_forwards(GKeyFile *config)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(struct hk_net_forward));
    g_auto(GStrv) list = g_key_file_get_string_list(config, E, "net-forward", NULL, NULL);
    for (gsize i = 0; list && list[i]; i++) {
        struct hk_net_forward f;
        char why[160];
        if (hk_net_parse_forward(g_strstrip(list[i]), &f, why, sizeof(why)) == 0)
            g_array_append_val(a, f);
    }
    return a;
}

void hako_vm_config_set_forwards(GKeyFile *config, const GArray *forwards)
{
    if (!forwards || forwards->len == 0) {
        g_key_file_remove_key(config, E, "net-forward", NULL);
        return;
    }
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (guint i = 0; i < forwards->len; i++) {
        char t[32];
        hk_net_format_forward(&g_array_index(forwards, struct hk_net_forward, i), t, sizeof(t));
        g_strv_builder_add(b, t);
    }
    g_auto(GStrv) v = g_strv_builder_end(b);
    /* always a list (ending in ';'): one --net-forward per element, even for a single one */
    g_key_file_set_string_list(config, E, "net-forward", (const char *const *)v, g_strv_length(v));
}
