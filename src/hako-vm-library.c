/* HakoVmLibrary: see hako-vm-library.h. */
#include "hako-vm-library.h"

#include <glib/gi18n.h>
#include <string.h>

struct _HakoVmLibrary {
    GObject parent_instance;
    GFile *dir;
    GListStore *store;
    GFileMonitor *monitor;
    guint rescan_id;
};

static void list_model_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HakoVmLibrary, hako_vm_library, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_init))

static GType get_item_type(GListModel *model)
{
    (void)model;
    return HAKO_TYPE_VM;
}

static guint get_n_items(GListModel *model)
{
    return g_list_model_get_n_items(G_LIST_MODEL(HAKO_VM_LIBRARY(model)->store));
}

static gpointer get_item(GListModel *model, guint position)
{
    return g_list_model_get_item(G_LIST_MODEL(HAKO_VM_LIBRARY(model)->store), position);
}

static void list_model_init(GListModelInterface *iface)
{
    iface->get_item_type = get_item_type;
    iface->get_n_items = get_n_items;
    iface->get_item = get_item;
}

static void on_store_changed(GListModel *store, guint pos, guint removed, guint added,
                             gpointer data)
{
    (void)store;
    g_list_model_items_changed(G_LIST_MODEL(data), pos, removed, added);
}

static int compare_vms(gconstpointer a, gconstpointer b, gpointer data)
{
    (void)data;
    HakoVm *va = (HakoVm *)a, *vb = (HakoVm *)b;
    g_autofree char *ka = g_utf8_collate_key(hako_vm_get_name(va), -1);
    g_autofree char *kb = g_utf8_collate_key(hako_vm_get_name(vb), -1);
    int c = strcmp(ka, kb);
    return c ? c : strcmp(hako_vm_get_id(va), hako_vm_get_id(vb));
}

HakoVm *hako_vm_library_find(HakoVmLibrary *self, const char *id)
{
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->store));
    for (guint i = 0; i < n; i++) {
        g_autoptr(HakoVm) vm = g_list_model_get_item(G_LIST_MODEL(self->store), i);
        if (g_strcmp0(hako_vm_get_id(vm), id) == 0)
            return vm; /* the store keeps a reference */
    }
    return NULL;
}

gboolean hako_vm_library_contains(HakoVmLibrary *self, HakoVm *vm)
{
    return g_list_store_find(self->store, vm, NULL);
}

static void on_vm_name(HakoVm *vm, GParamSpec *pspec, gpointer data)
{
    HakoVmLibrary *self = data;
    (void)vm;
    (void)pspec;
    g_list_store_sort(self->store, compare_vms, NULL);
}

static void add_vm(HakoVmLibrary *self, HakoVm *vm)
{
    g_signal_connect_object(vm, "notify::name", G_CALLBACK(on_vm_name), self, 0);
    g_list_store_insert_sorted(self->store, vm, compare_vms, NULL);
}

void hako_vm_library_rescan(HakoVmLibrary *self)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GFileEnumerator) en = g_file_enumerate_children(
        self->dir, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
        G_FILE_QUERY_INFO_NONE, NULL, NULL);
    while (en) {
        GFileInfo *info = NULL;
        GFile *child = NULL;
        if (!g_file_enumerator_iterate(en, &info, &child, NULL, NULL) || !info)
            break;
        if (g_file_info_get_file_type(info) != G_FILE_TYPE_DIRECTORY)
            continue;
        const char *id = g_file_info_get_name(info);
        if (id[0] == '.')
            continue;
        g_autoptr(GFile) ini = g_file_get_child(child, "vm.ini");
        if (!g_file_query_exists(ini, NULL))
            continue;
        g_hash_table_add(seen, g_strdup(id));
        if (hako_vm_library_find(self, id))
            continue;
        g_autoptr(GError) error = NULL;
        g_autoptr(HakoVm) vm = hako_vm_load(child, &error);
        if (!vm) {
            g_warning("skipping the virtual machine in %s: %s", id, error->message);
            continue;
        }
        add_vm(self, vm);
    }
    /* folders that disappeared (a running VM stays until it stops) */
    for (guint i = g_list_model_get_n_items(G_LIST_MODEL(self->store)); i > 0; i--) {
        g_autoptr(HakoVm) vm = g_list_model_get_item(G_LIST_MODEL(self->store), i - 1);
        if (!g_hash_table_contains(seen, hako_vm_get_id(vm)) && !hako_vm_is_active(vm))
            g_list_store_remove(self->store, i - 1);
    }
}

static gboolean rescan_cb(gpointer data)
{
    HakoVmLibrary *self = data;
    self->rescan_id = 0;
    hako_vm_library_rescan(self);
    return G_SOURCE_REMOVE;
}

static void on_dir_changed(GFileMonitor *monitor, GFile *file, GFile *other,
                           GFileMonitorEvent event, gpointer data)
{
    HakoVmLibrary *self = data;
    (void)monitor;
    (void)file;
    (void)other;
    (void)event;
    /* a new VM folder gets its vm.ini a moment later: debounce */
    g_clear_handle_id(&self->rescan_id, g_source_remove);
    self->rescan_id = g_timeout_add(500, rescan_cb, self);
}

HakoVmLibrary *hako_vm_library_new(GFile *dir)
{
    HakoVmLibrary *self = g_object_new(HAKO_TYPE_VM_LIBRARY, NULL);
    self->dir = g_object_ref(dir);
    g_file_make_directory_with_parents(dir, NULL, NULL);
    self->monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
    if (self->monitor)
        g_signal_connect(self->monitor, "changed", G_CALLBACK(on_dir_changed), self);
    hako_vm_library_rescan(self);
    return self;
}

GFile *hako_vm_library_get_dir(HakoVmLibrary *self)
{
    return self->dir;
}

char *hako_vm_library_make_id(const char *name)
{
    g_autofree char *ascii = g_str_to_ascii(name, "C");
    GString *id = g_string_new(NULL);
    for (const char *p = ascii; *p && id->len < 40; p++) {
        if (g_ascii_isalnum(*p))
            g_string_append_c(id, g_ascii_tolower(*p));
        else if (id->len && id->str[id->len - 1] != '-')
            g_string_append_c(id, '-');
    }
    while (id->len && id->str[id->len - 1] == '-')
        g_string_truncate(id, id->len - 1);
    if (id->len == 0)
        g_string_append(id, "vm");
    return g_string_free(id, FALSE);
}

HakoVm *hako_vm_library_create(HakoVmLibrary *self, const char *name, GKeyFile *settings,
                               GError **error)
{
    g_autofree char *base = hako_vm_library_make_id(name);
    g_autoptr(GFile) dir = NULL;
    for (int n = 1; n < 1000; n++) {
        g_autofree char *id = n == 1 ? g_strdup(base) : g_strdup_printf("%s-%d", base, n);
        g_autoptr(GFile) candidate = g_file_get_child(self->dir, id);
        g_autoptr(GError) local = NULL;
        if (g_file_make_directory(candidate, NULL, &local)) {
            dir = g_steal_pointer(&candidate);
            break;
        }
        if (!g_error_matches(local, G_IO_ERROR, G_IO_ERROR_EXISTS)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return NULL;
        }
    }
    if (!dir) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Too many virtual machines named “%s”"),
                    name);
        return NULL;
    }
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (settings) {
        g_autofree char *data = g_key_file_to_data(settings, NULL, NULL);
        g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_KEEP_COMMENTS, NULL);
    }
    g_key_file_set_string(kf, HAKO_VM_GROUP, HAKO_VM_KEY_NAME, name);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *created = g_date_time_format_iso8601(now);
    g_key_file_set_string(kf, HAKO_VM_GROUP, HAKO_VM_KEY_CREATED, created);
    g_autoptr(GFile) ini = g_file_get_child(dir, "vm.ini");
    g_autofree char *path = g_file_get_path(ini);
    if (!g_key_file_save_to_file(kf, path, error)) {
        g_file_delete(dir, NULL, NULL);
        return NULL;
    }
    g_autoptr(HakoVm) vm = hako_vm_load(dir, error);
    if (!vm)
        return NULL;
    add_vm(self, vm);
    return vm; /* owned by the store */
}

HakoValueCheck hako_vm_library_check_name(HakoVmLibrary *self, const char *name, HakoVm *except,
                                          char **message)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->store));
    for (guint i = 0; i < n; i++) {
        g_autoptr(HakoVm) vm = g_list_model_get_item(G_LIST_MODEL(self->store), i);
        if (vm != except)
            g_strv_builder_add(b, hako_vm_get_name(vm));
    }
    g_auto(GStrv) taken = g_strv_builder_end(b);
    return hako_check_name(name, (const char *const *)taken, message);
}

gboolean hako_vm_library_rename(HakoVmLibrary *self, HakoVm *vm, const char *name, GError **error)
{
    g_autofree char *msg = NULL;
    if (hako_vm_library_check_name(self, name, vm, &msg) == HAKO_VALUE_INVALID) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, msg);
        return FALSE;
    }
    g_autofree char *stripped = g_strstrip(g_strdup(name));
    hako_vm_set_name(vm, stripped);
    return hako_vm_save(vm, error);
}

static gboolean delete_recursive(GFile *file, GError **error)
{
    g_autoptr(GFileEnumerator) en = g_file_enumerate_children(
        file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
    while (en) {
        GFile *child = NULL;
        if (!g_file_enumerator_iterate(en, NULL, &child, NULL, error))
            return FALSE;
        if (!child)
            break;
        if (!delete_recursive(child, error))
            return FALSE;
    }
    return g_file_delete(file, NULL, error);
}

gboolean hako_vm_library_delete(HakoVmLibrary *self, HakoVm *vm, GError **error)
{
    if (hako_vm_is_active(vm)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                    _("Turn the virtual machine off before deleting it."));
        return FALSE;
    }
    GFile *dir = hako_vm_get_dir(vm);
    g_autoptr(GError) local = NULL;
    if (!g_file_trash(dir, NULL, &local)) {
        if (!g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        if (!delete_recursive(dir, error))
            return FALSE;
    }
    guint pos;
    if (g_list_store_find(self->store, vm, &pos))
        g_list_store_remove(self->store, pos);
    return TRUE;
}

guint hako_vm_library_count_active(HakoVmLibrary *self)
{
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->store)), active = 0;
    for (guint i = 0; i < n; i++) {
        g_autoptr(HakoVm) vm = g_list_model_get_item(G_LIST_MODEL(self->store), i);
        active += hako_vm_is_active(vm);
    }
    return active;
}

static void hako_vm_library_dispose(GObject *object)
{
    HakoVmLibrary *self = HAKO_VM_LIBRARY(object);
    g_clear_handle_id(&self->rescan_id, g_source_remove);
    if (self->monitor)
        g_file_monitor_cancel(self->monitor);
    g_clear_object(&self->monitor);
    G_OBJECT_CLASS(hako_vm_library_parent_class)->dispose(object);
}

static void hako_vm_library_finalize(GObject *object)
{
    HakoVmLibrary *self = HAKO_VM_LIBRARY(object);
    g_clear_object(&self->store);
    g_clear_object(&self->dir);
    G_OBJECT_CLASS(hako_vm_library_parent_class)->finalize(object);
}

static void hako_vm_library_class_init(HakoVmLibraryClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = hako_vm_library_dispose;
    oc->finalize = hako_vm_library_finalize;
}

static void hako_vm_library_init(HakoVmLibrary *self)
{
    self->store = g_list_store_new(HAKO_TYPE_VM);
    g_signal_connect(self->store, "items-changed", G_CALLBACK(on_store_changed), self);
}
