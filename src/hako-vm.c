/* HakoVm: see hako-vm.h. */
#include "hako-vm.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hako-enums.h"
#include "hako-paths.h"
#include "hako-vm-config.h"

#define THUMB_WIDTH   240
#define THUMB_HEIGHT  150
#define THUMB_SECONDS 10

struct _HakoVm {
    GObject parent_instance;

    GFile *dir;
    char *id;
    GKeyFile *config;
    char *name;
    char *os_name;

    HakoVmState state;
    HakoEngine *engine;
    gboolean stop_requested;
    GdkTexture *thumbnail;
    guint thumb_timer;
    guint64 thumb_damage; /* damage messages seen at the last thumbnail */
};

G_DEFINE_FINAL_TYPE(HakoVm, hako_vm, G_TYPE_OBJECT)

enum { PROP_0, PROP_NAME, PROP_OS_NAME, PROP_STATE, PROP_ENGINE, PROP_THUMBNAIL, N_PROPS };
static GParamSpec *props[N_PROPS];

static void set_state(HakoVm *self, HakoVmState state)
{
    if (self->state == state)
        return;
    self->state = state;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

static void read_names(HakoVm *self)
{
    g_free(self->name);
    g_free(self->os_name);
    self->name =
        g_key_file_get_locale_string(self->config, HAKO_VM_GROUP, HAKO_VM_KEY_NAME, NULL, NULL);
    if (!self->name || !*self->name) {
        g_free(self->name);
        self->name = g_strdup(self->id);
    }
    self->os_name = g_key_file_get_string(self->config, HAKO_VM_GROUP, HAKO_VM_KEY_OS_NAME, NULL);
    if (!self->os_name)
        self->os_name = g_strdup("");
}

static void load_thumbnail(HakoVm *self)
{
    g_autoptr(GFile) file = g_file_get_child(self->dir, "thumbnail.png");
    g_autoptr(GdkTexture) tex = gdk_texture_new_from_file(file, NULL);
    if (g_set_object(&self->thumbnail, tex))
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_THUMBNAIL]);
}

HakoVm *hako_vm_load(GFile *dir, GError **error)
{
    g_autoptr(GFile) ini = g_file_get_child(dir, "vm.ini");
    g_autofree char *path = g_file_get_path(ini);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!path || !g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, error))
        return NULL;
    HakoVm *self = g_object_new(HAKO_TYPE_VM, NULL);
    self->dir = g_object_ref(dir);
    self->id = g_file_get_basename(dir);
    self->config = g_steal_pointer(&kf);
    read_names(self);
    load_thumbnail(self);
    return self;
}

gboolean hako_vm_reload(HakoVm *self, GError **error)
{
    g_autoptr(GFile) ini = g_file_get_child(self->dir, "vm.ini");
    g_autofree char *path = g_file_get_path(ini);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, error))
        return FALSE;
    g_key_file_unref(self->config);
    self->config = g_steal_pointer(&kf);
    read_names(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_NAME]);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_OS_NAME]);
    return TRUE;
}

const char *hako_vm_get_id(HakoVm *self)
{
    return self->id;
}

GFile *hako_vm_get_dir(HakoVm *self)
{
    return self->dir;
}

const char *hako_vm_get_name(HakoVm *self)
{
    return self->name;
}

void hako_vm_set_name(HakoVm *self, const char *name)
{
    g_return_if_fail(name != NULL);
    if (g_strcmp0(self->name, name) == 0)
        return;
    g_key_file_set_string(self->config, HAKO_VM_GROUP, HAKO_VM_KEY_NAME, name);
    g_free(self->name);
    self->name = g_strdup(name);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_NAME]);
}

const char *hako_vm_get_os_name(HakoVm *self)
{
    return self->os_name;
}

GKeyFile *hako_vm_get_config(HakoVm *self)
{
    return self->config;
}

gboolean hako_vm_save(HakoVm *self, GError **error)
{
    g_autoptr(GFile) ini = g_file_get_child(self->dir, "vm.ini");
    g_autofree char *path = g_file_get_path(ini);
    /* g_key_file_save_to_file writes a temporary file and renames it over vm.ini */
    if (!g_key_file_save_to_file(self->config, path, error))
        return FALSE;
    read_names(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_NAME]);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_OS_NAME]);
    return TRUE;
}

static gboolean is_reserved_option(const char *key)
{
    /* set by the app itself, or meaningless under its control */
    static const char *const reserved[] = {"control-fd", "log", "help", "version", NULL};
    return g_strv_contains(reserved, key);
}

static void add_arg(GStrvBuilder *b, char *arg)
{
    g_strv_builder_add(b, arg);
    g_free(arg);
}

GStrv hako_vm_build_engine_args(HakoVm *self)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_auto(GStrv) keys = g_key_file_get_keys(self->config, HAKO_VM_ENGINE_GROUP, NULL, NULL);
    for (gsize i = 0; keys && keys[i]; i++) {
        const char *key = keys[i];
        if (is_reserved_option(key) || !*key || key[0] == '-' || strchr(key, '='))
            continue;
        g_autofree char *raw = g_key_file_get_value(self->config, HAKO_VM_ENGINE_GROUP, key, NULL);
        if (!raw)
            continue;
        g_strstrip(raw);
        if (g_str_equal(raw, "true")) {
            add_arg(b, g_strdup_printf("--%s", key));
        } else if (g_str_equal(raw, "false")) {
            continue;
        } else if (g_str_has_suffix(raw, ";")) {
            g_auto(GStrv) list =
                g_key_file_get_string_list(self->config, HAKO_VM_ENGINE_GROUP, key, NULL, NULL);
            for (gsize j = 0; list && list[j]; j++) {
                if (*list[j])
                    add_arg(b, g_strdup_printf("--%s=%s", key, list[j]));
            }
        } else {
            g_autofree char *value =
                g_key_file_get_string(self->config, HAKO_VM_ENGINE_GROUP, key, NULL);
            if (value && g_str_equal(key, "serial") && g_str_equal(value, "stdio"))
                continue; /* the console is the app's */
            if (value)
                add_arg(b, g_strdup_printf("--%s=%s", key, value));
        }
    }
    return g_strv_builder_end(b);
}

HakoVmState hako_vm_get_state(HakoVm *self)
{
    return self->state;
}

const char *hako_vm_state_to_string(HakoVmState state)
{
    switch (state) {
    case HAKO_VM_STATE_STOPPED: return _("Powered Off");
    case HAKO_VM_STATE_STARTING: return _("Starting…");
    case HAKO_VM_STATE_RUNNING: return _("Running");
    case HAKO_VM_STATE_PAUSED: return _("Paused");
    case HAKO_VM_STATE_STOPPING: return _("Shutting Down…");
    case HAKO_VM_STATE_FAILED: return _("Stopped Unexpectedly");
    default: return "";
    }
}

HakoEngine *hako_vm_get_engine(HakoVm *self)
{
    return self->engine;
}

GdkTexture *hako_vm_get_thumbnail(HakoVm *self)
{
    return self->thumbnail;
}

void hako_vm_update_thumbnail(HakoVm *self)
{
    if (!self->engine)
        return;
    g_autoptr(GdkTexture) tex = hako_engine_snapshot(self->engine, THUMB_WIDTH, THUMB_HEIGHT);
    if (!tex)
        return;
    self->thumb_damage = hako_engine_get_damage_messages(self->engine);
    g_autoptr(GFile) file = g_file_get_child(self->dir, "thumbnail.png");
    g_autofree char *path = g_file_get_path(file);
    g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
    if (gdk_texture_save_to_png(tex, tmp))
        g_rename(tmp, path);
    if (g_set_object(&self->thumbnail, tex))
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_THUMBNAIL]);
}

static gboolean on_thumb_timer(gpointer data)
{
    HakoVm *self = data;
    if (self->engine && hako_engine_get_damage_messages(self->engine) != self->thumb_damage) {
        hako_vm_update_thumbnail(self);
        /* while no display shows this VM, nobody else acknowledges its damage: this keeps the
         * thumbnail following the guest at one update per period */
        hako_engine_display_ack(self->engine);
    }
    return G_SOURCE_CONTINUE;
}

static void on_engine_state(HakoEngine *engine, GParamSpec *pspec, gpointer data)
{
    HakoVm *self = data;
    (void)pspec;
    switch (hako_engine_get_state(engine)) {
    case HAKO_ENGINE_STATE_NONE:
    case HAKO_ENGINE_STATE_STARTING: set_state(self, HAKO_VM_STATE_STARTING); break;
    case HAKO_ENGINE_STATE_CREATED:
        /* with a control socket the engine waits for us before running the guest */
        set_state(self, HAKO_VM_STATE_STARTING);
        hako_engine_start(engine);
        break;
    case HAKO_ENGINE_STATE_RUNNING:
        set_state(self, self->stop_requested ? HAKO_VM_STATE_STOPPING : HAKO_VM_STATE_RUNNING);
        break;
    case HAKO_ENGINE_STATE_PAUSED: set_state(self, HAKO_VM_STATE_PAUSED); break;
    case HAKO_ENGINE_STATE_STOPPED:
    case HAKO_ENGINE_STATE_FAILED:
        g_clear_handle_id(&self->thumb_timer, g_source_remove);
        if (hako_engine_get_damage_messages(engine) != self->thumb_damage)
            hako_vm_update_thumbnail(self);
        self->stop_requested = FALSE;
        set_state(self, hako_engine_get_state(engine) == HAKO_ENGINE_STATE_STOPPED
                            ? HAKO_VM_STATE_STOPPED
                            : HAKO_VM_STATE_FAILED);
        break;
    }
}

gboolean hako_vm_is_active(HakoVm *self)
{
    return self->state == HAKO_VM_STATE_STARTING || self->state == HAKO_VM_STATE_RUNNING ||
           self->state == HAKO_VM_STATE_PAUSED || self->state == HAKO_VM_STATE_STOPPING;
}

/* A VM keeps one UUID for its life (guests read it from SMBIOS: some licences and management
 * tools key on it); VMs written before it existed, or by hand, get theirs on first start. */
static void ensure_uuid(HakoVm *self)
{
    g_autofree char *uuid =
        g_key_file_get_string(self->config, HAKO_VM_ENGINE_GROUP, HAKO_VM_ENGINE_UUID, NULL);
    if (uuid && *uuid)
        return;
    g_autofree char *fresh = g_uuid_string_random();
    g_key_file_set_string(self->config, HAKO_VM_ENGINE_GROUP, HAKO_VM_ENGINE_UUID, fresh);
    g_autoptr(GError) error = NULL;
    if (!hako_vm_save(self, &error))
        g_warning("%s: cannot record its UUID: %s", self->id, error->message);
}

/* A VM with a network card keeps one MAC address (a guest's DHCP lease and its interface name
 * follow it); written at creation, or on the first start when vm.ini was written by hand. */
static void ensure_mac(HakoVm *self)
{
    if (!hako_vm_config_net_enabled(self->config) || !hako_vm_config_ensure_mac(self->config))
        return;
    g_autoptr(GError) error = NULL;
    if (!hako_vm_save(self, &error))
        g_warning("%s: cannot record its MAC address: %s", self->id, error->message);
}

gboolean hako_vm_start(HakoVm *self, GError **error)
{
    if (hako_vm_is_active(self))
        return TRUE;
    ensure_uuid(self);
    ensure_mac(self);
    g_autoptr(HakoEngine) engine = hako_engine_new();
    g_auto(GStrv) args = hako_vm_build_engine_args(self);
    g_autofree char *dir = g_file_get_path(self->dir);
    g_autofree char *log = g_build_filename(dir, "engine.log", NULL);
    if (!hako_engine_spawn(engine, hako_paths_engine(), (const char *const *)args, dir, log, error))
        return FALSE;
    if (self->engine)
        g_signal_handlers_disconnect_by_data(self->engine, self);
    g_set_object(&self->engine, engine);
    self->stop_requested = FALSE;
    self->thumb_damage = 0;
    g_signal_connect(engine, "notify::state", G_CALLBACK(on_engine_state), self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ENGINE]);
    on_engine_state(engine, NULL, self);
    g_clear_handle_id(&self->thumb_timer, g_source_remove);
    self->thumb_timer = g_timeout_add_seconds(THUMB_SECONDS, on_thumb_timer, self);
    return TRUE;
}

void hako_vm_pause(HakoVm *self)
{
    if (self->engine && self->state == HAKO_VM_STATE_RUNNING)
        hako_engine_pause(self->engine);
}

void hako_vm_resume(HakoVm *self)
{
    if (self->engine && self->state == HAKO_VM_STATE_PAUSED)
        hako_engine_resume(self->engine);
}

void hako_vm_reset(HakoVm *self)
{
    if (self->engine && hako_vm_is_active(self))
        hako_engine_reset(self->engine);
}

void hako_vm_shut_down(HakoVm *self)
{
    if (!self->engine || !hako_vm_is_active(self))
        return;
    if (self->state == HAKO_VM_STATE_PAUSED)
        hako_engine_resume(self->engine);
    hako_engine_power_button(self->engine);
}

void hako_vm_force_off(HakoVm *self)
{
    if (!self->engine || !hako_vm_is_active(self))
        return;
    self->stop_requested = TRUE;
    set_state(self, HAKO_VM_STATE_STOPPING);
    hako_engine_power_off(self->engine);
}

static void hako_vm_dispose(GObject *object)
{
    HakoVm *self = HAKO_VM(object);
    g_clear_handle_id(&self->thumb_timer, g_source_remove);
    if (self->engine)
        g_signal_handlers_disconnect_by_data(self->engine, self);
    g_clear_object(&self->engine);
    g_clear_object(&self->thumbnail);
    G_OBJECT_CLASS(hako_vm_parent_class)->dispose(object);
}

static void hako_vm_finalize(GObject *object)
{
    HakoVm *self = HAKO_VM(object);
    g_clear_object(&self->dir);
    g_clear_pointer(&self->config, g_key_file_unref);
    g_free(self->id);
    g_free(self->name);
    g_free(self->os_name);
    G_OBJECT_CLASS(hako_vm_parent_class)->finalize(object);
}

static void hako_vm_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    HakoVm *self = HAKO_VM(object);
    switch (id) {
    case PROP_NAME: g_value_set_string(value, self->name); break;
    case PROP_OS_NAME: g_value_set_string(value, self->os_name); break;
    case PROP_STATE: g_value_set_enum(value, self->state); break;
    case PROP_ENGINE: g_value_set_object(value, self->engine); break;
    case PROP_THUMBNAIL: g_value_set_object(value, self->thumbnail); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_vm_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
    HakoVm *self = HAKO_VM(object);
    switch (id) {
    case PROP_NAME: hako_vm_set_name(self, g_value_get_string(value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_vm_class_init(HakoVmClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = hako_vm_dispose;
    oc->finalize = hako_vm_finalize;
    oc->get_property = hako_vm_get_property;
    oc->set_property = hako_vm_set_property;

    props[PROP_NAME] =
        g_param_spec_string("name", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_OS_NAME] =
        g_param_spec_string("os-name", NULL, NULL, NULL,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_STATE] =
        g_param_spec_enum("state", NULL, NULL, HAKO_TYPE_VM_STATE, HAKO_VM_STATE_STOPPED,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_ENGINE] =
        g_param_spec_object("engine", NULL, NULL, HAKO_TYPE_ENGINE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_THUMBNAIL] =
        g_param_spec_object("thumbnail", NULL, NULL, GDK_TYPE_TEXTURE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(oc, N_PROPS, props);
}

static void hako_vm_init(HakoVm *self)
{
    self->state = HAKO_VM_STATE_STOPPED;
}
