/* HakoVm: see hako-vm.h. */
#include "hako-vm.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hako-enums.h"
#include "hako-fs.h"
#include "hako-paths.h"
#include "hako-refusal.h"
#include "hako-vm-config.h"
#include "hako/config.h"

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
    char *sort_key; /* g_utf8_collate_key of the name */
    char *problem;  /* why vm.ini cannot be read (NULL: it can) */

    HakoVmState state;
    HakoEngine *engine;
    gboolean stop_requested;
    GdkTexture *thumbnail;
    guint thumb_holds;           /* cards showing it: loaded from the file while > 0 */
    GCancellable *thumb_loading; /* the file is being read */
    guint thumb_idle;            /* the read starts once the frames due are painted */
    guint thumb_timer;
    guint64 thumb_damage;       /* damage messages seen at the last thumbnail */
    GCancellable *check_cancel; /* the host check before a start (or after one failed) */
    HakoCheckItem *start_problem;
    gboolean engine_ran; /* the current engine ran the guest (a failure is not a refusal) */
};

G_DEFINE_FINAL_TYPE(HakoVm, hako_vm, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_NAME,
    PROP_OS_NAME,
    PROP_STATE,
    PROP_ENGINE,
    PROP_THUMBNAIL,
    PROP_START_PROBLEM,
    PROP_PROBLEM,
    N_PROPS
};
static GParamSpec *props[N_PROPS];

static void set_state(HakoVm *self, HakoVmState state)
{
    if (self->state == state)
        return;
    self->state = state;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

/* The names shown for a vm.ini (read_names' rules, also used by the library's scan). */
void hako_vm_config_names(GKeyFile *config, const char *id, char **name, char **os_name)
{
    char *n =
        config ? g_key_file_get_locale_string(config, HAKO_VM_GROUP, HAKO_VM_KEY_NAME, NULL, NULL)
               : NULL;
    if (!n || !*n || !g_utf8_validate(n, -1, NULL)) {
        g_free(n);
        n = g_filename_display_name(id);
    }
    char *os =
        config ? g_key_file_get_string(config, HAKO_VM_GROUP, HAKO_VM_KEY_OS_NAME, NULL) : NULL;
    if (!os || !g_utf8_validate(os, -1, NULL)) {
        g_free(os);
        os = g_strdup("");
    }
    *name = n;
    *os_name = os;
}

/* Sets what the library shows; notifies what changed. */
static void set_names(HakoVm *self, char *name, char *os_name, const char *sort_key)
{
    gboolean name_changed = g_strcmp0(self->name, name) != 0;
    gboolean os_changed = g_strcmp0(self->os_name, os_name) != 0;
    g_free(self->name);
    g_free(self->os_name);
    self->name = name;
    self->os_name = os_name;
    if (name_changed || !self->sort_key) {
        g_free(self->sort_key);
        self->sort_key = sort_key ? g_strdup(sort_key) : g_utf8_collate_key(self->name, -1);
    }
    if (name_changed)
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_NAME]);
    if (os_changed)
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_OS_NAME]);
}

static void read_names(HakoVm *self)
{
    char *name, *os;
    hako_vm_config_names(self->config, self->id, &name, &os);
    set_names(self, name, os, NULL);
}

static void set_problem(HakoVm *self, const char *problem)
{
    if (g_strcmp0(problem, self->problem) == 0)
        return;
    g_free(self->problem);
    self->problem = g_strdup(problem);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PROBLEM]);
}

char *hako_vm_config_problem(const GError *error)
{
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE))
        return g_strdup(_("vm.ini is not a regular file (it is a FIFO, a device or a folder)."));
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
        return g_strdup(_("vm.ini is too large to be settings."));
    if (error->domain == G_KEY_FILE_ERROR ||
        g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
        return g_strdup(error->message);
    /* "path: reason": the card has room for the reason */
    const char *reason = strrchr(error->message, ':');
    return g_strdup_printf(_("vm.ini cannot be read: %s"),
                           reason && reason[1] ? reason + 2 : error->message);
}

GKeyFile *hako_vm_config_read(GFile *dir, GError **error)
{
    g_autoptr(GFile) ini = g_file_get_child(dir, "vm.ini");
    const char *path = g_file_peek_path(ini);
    if (!path) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            _("Virtual machines must be stored in a local folder."));
        return NULL;
    }
    g_autofree char *data = NULL;
    gsize len = 0;
    /* non-blocking and regular files only: a FIFO named vm.ini must not hang the app */
    if (!hako_fs_read_regular(path, HAKO_VM_INI_MAX, &data, &len, error))
        return NULL;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_KEEP_COMMENTS, &local)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("vm.ini is damaged: %s"),
                    local->message);
        return NULL;
    }
    return g_steal_pointer(&kf);
}

static HakoVm *new_vm(GFile *dir, const char *id)
{
    HakoVm *self = g_object_new(HAKO_TYPE_VM, NULL);
    self->dir = g_object_ref(dir);
    self->id = id ? g_strdup(id) : g_file_get_basename(dir);
    return self;
}

HakoVm *hako_vm_new_from_config(GFile *dir, const char *id, GKeyFile *config)
{
    HakoVm *self = new_vm(dir, id);
    self->config = g_key_file_ref(config);
    read_names(self);
    return self;
}

HakoVm *hako_vm_new_summary(GFile *dir, const char *id, const char *name, const char *os_name,
                            const char *sort_key, const char *problem)
{
    HakoVm *self = new_vm(dir, id);
    self->problem = g_strdup(problem);
    if (problem)
        self->config = g_key_file_new();
    set_names(self, g_strdup(name), g_strdup(os_name ? os_name : ""), sort_key);
    return self;
}

HakoVm *hako_vm_new_unreadable(GFile *dir, const char *id, const char *problem)
{
    g_autofree char *name = g_filename_display_name(id ? id : g_file_peek_path(dir));
    return hako_vm_new_summary(dir, id, name, "", NULL, problem);
}

HakoVm *hako_vm_load(GFile *dir, GError **error)
{
    g_autoptr(GKeyFile) kf = hako_vm_config_read(dir, error);
    if (!kf)
        return NULL;
    return hako_vm_new_from_config(dir, NULL, kf);
}

/* vm.ini is read when something first needs the settings (the library shows only names). */
static GKeyFile *config(HakoVm *self)
{
    if (self->config)
        return self->config;
    g_autoptr(GError) error = NULL;
    self->config = hako_vm_config_read(self->dir, &error);
    if (!self->config) {
        self->config = g_key_file_new();
        g_autofree char *problem = hako_vm_config_problem(error);
        set_problem(self, problem);
        return self->config;
    }
    set_problem(self, NULL);
    read_names(self);
    return self->config;
}

void hako_vm_update_summary(HakoVm *self, const char *name, const char *os_name,
                            const char *sort_key, const char *problem)
{
    /* the settings are read again when next needed; a running VM keeps what it started with */
    if (!hako_vm_is_active(self))
        g_clear_pointer(&self->config, g_key_file_unref);
    if (problem && !self->config)
        self->config = g_key_file_new();
    set_problem(self, problem);
    set_names(self, g_strdup(name), g_strdup(os_name ? os_name : ""), sort_key);
}

gboolean hako_vm_reload(HakoVm *self, GError **error)
{
    g_autoptr(GKeyFile) kf = hako_vm_config_read(self->dir, error);
    if (!kf)
        return FALSE;
    g_clear_pointer(&self->config, g_key_file_unref);
    self->config = g_steal_pointer(&kf);
    set_problem(self, NULL);
    read_names(self);
    return TRUE;
}

const char *hako_vm_get_problem(HakoVm *self)
{
    return self->problem;
}

const char *hako_vm_get_sort_key(HakoVm *self)
{
    return self->sort_key;
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
    g_key_file_set_string(config(self), HAKO_VM_GROUP, HAKO_VM_KEY_NAME, name);
    set_names(self, g_strdup(name), g_strdup(self->os_name), NULL);
}

const char *hako_vm_get_os_name(HakoVm *self)
{
    return self->os_name;
}

GKeyFile *hako_vm_get_config(HakoVm *self)
{
    return config(self);
}

gboolean hako_vm_save(HakoVm *self, GError **error)
{
    GKeyFile *kf = config(self);
    if (self->problem) {
        /* never overwrite a vm.ini this VM could not read */
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, self->problem);
        return FALSE;
    }
    g_autoptr(GFile) ini = g_file_get_child(self->dir, "vm.ini");
    const char *path = g_file_peek_path(ini);
    gsize len = 0;
    g_autofree char *data = g_key_file_to_data(kf, &len, NULL);
    /* a temporary file renamed over vm.ini, the folder synced after the rename */
    if (!path || !hako_fs_write_atomic(path, data, len, 0644, error))
        return FALSE;
    read_names(self);
    return TRUE;
}

/* The [Engine] keys the app passes to hako-vmm, and how: the one list of them (a key that is not
 * here is not passed). Names come from hako/config.h, which the engine's option table uses too;
 * the engine takes exact names only, so "co=0" can no longer become --control-fd. Not here on
 * purpose: control-fd and log (the app sets them), help and version (they end the engine),
 * diagnose, screenshot, exit-after, debug-exit-port and keys (headless and test use). */
typedef enum {
    ARG_VALUE,   /* key=V -> --key=V */
    ARG_FLAG,    /* key=true -> --key; false -> nothing */
    ARG_FLAG_OR, /* a flag, or --key=V for any other value */
    ARG_LIST,    /* key=a;b; -> --key=a --key=b */
    ARG_FILE,    /* a value, but never "stdio" (the console is the app's) */
} EngineArgKind;

static const struct {
    enum hk_config_option option;
    EngineArgKind kind;
} engine_keys[] = {
    {HK_OPTION_FIRMWARE, ARG_VALUE},   {HK_OPTION_OVMF_CODE, ARG_VALUE},
    {HK_OPTION_OVMF_VARS, ARG_VALUE},  {HK_OPTION_OVMF_VARS_TEMPLATE, ARG_VALUE},
    {HK_OPTION_MEMORY, ARG_VALUE},     {HK_OPTION_CPUS, ARG_VALUE},
    {HK_OPTION_RESOLUTION, ARG_VALUE}, {HK_OPTION_VGABIOS, ARG_VALUE},
    {HK_OPTION_NO_DISPLAY, ARG_FLAG},  {HK_OPTION_BOOT_MENU, ARG_FLAG_OR},
    {HK_OPTION_UUID, ARG_VALUE},       {HK_OPTION_LOST_TICKS, ARG_VALUE},
    {HK_OPTION_DISK, ARG_LIST},        {HK_OPTION_CDROM, ARG_VALUE},
    {HK_OPTION_BOOT, ARG_VALUE},       {HK_OPTION_SERIAL, ARG_FILE},
    {HK_OPTION_DEBUGCON, ARG_FILE},    {HK_OPTION_NET, ARG_VALUE},
    {HK_OPTION_MAC, ARG_VALUE},        {HK_OPTION_NET_FORWARD, ARG_LIST},
    {HK_OPTION_NET_MTU, ARG_VALUE},
};

static void add_arg(GStrvBuilder *b, char *arg)
{
    g_strv_builder_add(b, arg);
    g_free(arg);
}

GStrv hako_vm_build_engine_args(HakoVm *self)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    GKeyFile *kf = config(self);
    const char *group = HAKO_VM_ENGINE_GROUP;
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
    for (gsize i = 0; keys && keys[i]; i++) {
        const char *key = keys[i];
        gsize k = 0;
        while (k < G_N_ELEMENTS(engine_keys) &&
               g_strcmp0(hk_config_option_name(engine_keys[k].option), key) != 0)
            k++;
        if (k == G_N_ELEMENTS(engine_keys)) {
            g_message("vm.ini: [%s] %s is not an option the app passes to the engine; ignored",
                      group, key);
            continue;
        }
        EngineArgKind kind = engine_keys[k].kind;
        if (kind == ARG_LIST) {
            g_auto(GStrv) list = g_key_file_get_string_list(kf, group, key, NULL, NULL);
            for (gsize j = 0; list && list[j]; j++)
                if (*list[j])
                    add_arg(b, g_strdup_printf("--%s=%s", key, list[j]));
            continue;
        }
        g_autofree char *value = g_key_file_get_string(kf, group, key, NULL);
        if (!value)
            continue;
        if (kind == ARG_FLAG || kind == ARG_FLAG_OR) {
            g_autofree char *word = g_strstrip(g_strdup(value));
            if (g_str_equal(word, "true")) {
                add_arg(b, g_strdup_printf("--%s", key));
                continue;
            }
            if (g_str_equal(word, "false") || kind == ARG_FLAG)
                continue; /* a flag with another value: the engine would refuse it anyway */
        }
        if (kind == ARG_FILE && g_str_equal(value, "stdio"))
            continue; /* the console is the app's */
        add_arg(b, g_strdup_printf("--%s=%s", key, value));
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

static void thumb_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    (void)cancellable;
    GError *error = NULL;
    /* decoding the PNG is the slow part: here, off the main thread */
    GdkTexture *tex = gdk_texture_new_from_filename(data, &error);
    if (tex)
        g_task_return_pointer(task, tex, g_object_unref);
    else
        g_task_return_error(task, error);
}

static void on_thumb_loaded(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    HakoVm *self = HAKO_VM(src);
    g_autoptr(GdkTexture) tex = g_task_propagate_pointer(G_TASK(res), NULL);
    GCancellable *c = g_task_get_cancellable(G_TASK(res));
    if (c != self->thumb_loading || g_cancellable_is_cancelled(c))
        return; /* released meanwhile */
    g_clear_object(&self->thumb_loading);
    if (self->thumb_holds && !self->thumbnail && tex) {
        self->thumbnail = g_steal_pointer(&tex);
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_THUMBNAIL]);
    }
}

static gboolean start_thumb_load(gpointer data)
{
    HakoVm *self = data;
    self->thumb_idle = 0;
    if (!self->thumb_holds || self->thumbnail || self->thumb_loading)
        return G_SOURCE_REMOVE;
    g_autoptr(GFile) file = g_file_get_child(self->dir, "thumbnail.png");
    self->thumb_loading = g_cancellable_new();
    g_autoptr(GTask) task = g_task_new(self, self->thumb_loading, on_thumb_loaded, NULL);
    g_task_set_task_data(task, g_file_get_path(file), g_free);
    g_task_run_in_thread(task, thumb_thread);
    return G_SOURCE_REMOVE;
}

void hako_vm_hold_thumbnail(HakoVm *self)
{
    if (self->thumb_holds++ || self->thumbnail || self->thumb_loading || self->thumb_idle)
        return;
    /* after the frames that are due: the cards are painted first, their pictures follow */
    self->thumb_idle = g_idle_add_full(G_PRIORITY_LOW, start_thumb_load, self, NULL);
}

void hako_vm_release_thumbnail(HakoVm *self)
{
    g_return_if_fail(self->thumb_holds > 0);
    if (--self->thumb_holds)
        return;
    g_clear_handle_id(&self->thumb_idle, g_source_remove);
    if (self->thumb_loading) {
        g_cancellable_cancel(self->thumb_loading);
        g_clear_object(&self->thumb_loading);
    }
    /* a VM with an engine keeps its live thumbnail; the others read theirs again when shown */
    if (!self->engine)
        g_clear_object(&self->thumbnail);
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

static void start_failed(HakoVm *self, HakoEngine *engine);

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
        self->engine_ran = TRUE;
        set_state(self, self->stop_requested ? HAKO_VM_STATE_STOPPING : HAKO_VM_STATE_RUNNING);
        break;
    case HAKO_ENGINE_STATE_PAUSED:
        self->engine_ran = TRUE;
        set_state(self, HAKO_VM_STATE_PAUSED);
        break;
    case HAKO_ENGINE_STATE_STOPPED:
    case HAKO_ENGINE_STATE_FAILED:
        g_clear_handle_id(&self->thumb_timer, g_source_remove);
        if (hako_engine_get_damage_messages(engine) != self->thumb_damage)
            hako_vm_update_thumbnail(self);
        if (hako_engine_get_state(engine) == HAKO_ENGINE_STATE_FAILED && !self->engine_ran &&
            !self->stop_requested) {
            start_failed(self, engine); /* the VM never ran: say why it could not start */
            break;
        }
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
        g_key_file_get_string(config(self), HAKO_VM_ENGINE_GROUP, HAKO_VM_ENGINE_UUID, NULL);
    if (uuid && *uuid)
        return;
    g_autofree char *fresh = g_uuid_string_random();
    g_key_file_set_string(config(self), HAKO_VM_ENGINE_GROUP, HAKO_VM_ENGINE_UUID, fresh);
    g_autoptr(GError) error = NULL;
    if (!hako_vm_save(self, &error))
        g_warning("%s: cannot record its UUID: %s", self->id, error->message);
}

static void set_start_problem(HakoVm *self, const HakoCheckItem *problem)
{
    if (!problem && !self->start_problem)
        return;
    g_clear_pointer(&self->start_problem, hako_check_item_free);
    if (problem)
        self->start_problem = hako_check_item_copy(problem);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_START_PROBLEM]);
}

const HakoCheckItem *hako_vm_get_start_problem(HakoVm *self)
{
    return self->start_problem;
}

/* The VM could not start: what stopped it becomes its start problem */
static void start_refused(HakoVm *self, const char *id, const char *title, const char *summary)
{
    HakoCheckItem problem = {
        .id = (char *)id,
        .status = HAKO_CHECK_FAIL,
        .title = (char *)title,
        .summary = (char *)summary,
    };
    set_start_problem(self, &problem);
    set_state(self, HAKO_VM_STATE_STOPPED);
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

static void spawn_engine(HakoVm *self)
{
    ensure_uuid(self);
    ensure_mac(self);
    g_autoptr(GError) error = NULL;
    g_autoptr(HakoEngine) engine = hako_engine_new();
    g_auto(GStrv) args = hako_vm_build_engine_args(self);
    g_autofree char *dir = g_file_get_path(self->dir);
    g_autofree char *log = g_build_filename(dir, "engine.log", NULL);
    if (!hako_engine_spawn(engine, hako_paths_engine(), (const char *const *)args, dir, log,
                           &error)) {
        start_refused(self, "engine", _("Engine"), error->message);
        return;
    }
    if (self->engine)
        g_signal_handlers_disconnect_by_data(self->engine, self);
    g_set_object(&self->engine, engine);
    self->stop_requested = FALSE;
    self->engine_ran = FALSE;
    self->thumb_damage = 0;
    g_signal_connect(engine, "notify::state", G_CALLBACK(on_engine_state), self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ENGINE]);
    on_engine_state(engine, NULL, self);
    g_clear_handle_id(&self->thumb_timer, g_source_remove);
    self->thumb_timer = g_timeout_add_seconds(THUMB_SECONDS, on_thumb_timer, self);
}

static void on_start_checked(GObject *source, GAsyncResult *result, gpointer data)
{
    (void)source;
    g_autoptr(HakoVm) self = data;
    g_autoptr(GError) error = NULL;
    GCancellable *cancel = g_task_get_cancellable(G_TASK(result));
    g_autoptr(HakoHostCheck) check = hako_host_check_quick_finish(result, &error);
    if (cancel != self->check_cancel || g_cancellable_is_cancelled(cancel))
        return; /* turned off while checking (the state is already STOPPED), or disposed */
    g_clear_object(&self->check_cancel);
    if (check) {
        g_autofree char *firmware =
            g_key_file_get_string(self->config, HAKO_VM_ENGINE_GROUP, "firmware", NULL);
        const HakoCheckItem *blocker = hako_host_check_get_start_blocker(check, firmware);
        if (blocker) {
            set_start_problem(self, blocker);
            set_state(self, HAKO_VM_STATE_STOPPED);
            return;
        }
    }
    spawn_engine(self);
}

/* The engine ended before the guest ran. Its refusals (hako/config.h codes) are worded here; a
 * firmware refusal is left to the diagnosis, which has its own fixes; without a refusal the
 * host is checked again (/dev/kvm may have gone since the check before the start, and the
 * engine's own "cannot open /dev/kvm" is English): the check's finding is the problem. */
static void on_failure_checked(GObject *source, GAsyncResult *result, gpointer data)
{
    (void)source;
    g_autoptr(HakoVm) self = data;
    g_autoptr(GError) error = NULL;
    GCancellable *cancel = g_task_get_cancellable(G_TASK(result));
    g_autoptr(HakoHostCheck) check = hako_host_check_quick_finish(result, &error);
    if (cancel != self->check_cancel || g_cancellable_is_cancelled(cancel))
        return; /* turned off while checking, or disposed */
    g_clear_object(&self->check_cancel);
    g_autofree char *firmware =
        g_key_file_get_string(self->config, HAKO_VM_ENGINE_GROUP, "firmware", NULL);
    const HakoCheckItem *blocker =
        check ? hako_host_check_get_start_blocker(check, firmware) : NULL;
    if (blocker) {
        set_start_problem(self, blocker);
        set_state(self, HAKO_VM_STATE_STOPPED);
    } else {
        set_state(self, HAKO_VM_STATE_FAILED);
    }
}

static void start_failed(HakoVm *self, HakoEngine *engine)
{
    GArray *facts = hako_engine_get_facts(engine);
    GString *said = g_string_new(NULL), *fixes = g_string_new(NULL);
    guint refusals = 0;
    gboolean firmware_only = TRUE;
    for (guint i = 0; i < facts->len; i++) {
        const struct hk_fact *f = &g_array_index(facts, struct hk_fact, i);
        if (f->kind != HK_FACT_CONFIG_REFUSED)
            continue;
        refusals++;
        if (f->a != HK_CONFIG_FIRMWARE)
            firmware_only = FALSE;
        g_autofree char *line = hako_refusal_describe(f);
        g_string_append_printf(said, "%s%s", said->len ? "\n" : "", line);
        g_autofree char *fix = hako_refusal_fix(f);
        if (fix && !strstr(fixes->str, fix))
            g_string_append_printf(fixes, "%s%s", fixes->len ? "\n" : "", fix);
    }
    self->stop_requested = FALSE;
    if (refusals && !firmware_only) {
        HakoCheckItem problem = {
            .id = (char *)"config",
            .status = HAKO_CHECK_FAIL,
            .title = _("Settings"),
            .summary = said->str,
            .fix = fixes->len ? fixes->str : NULL,
        };
        set_start_problem(self, &problem);
        set_state(self, HAKO_VM_STATE_STOPPED);
    } else if (refusals) {
        set_state(self, HAKO_VM_STATE_FAILED);
    } else {
        set_state(self, HAKO_VM_STATE_STARTING);
        self->check_cancel = g_cancellable_new();
        hako_host_check_quick_async(hako_paths_host_root(), self->check_cancel, on_failure_checked,
                                    g_object_ref(self));
    }
    g_string_free(said, TRUE);
    g_string_free(fixes, TRUE);
}

void hako_vm_start(HakoVm *self)
{
    if (hako_vm_is_active(self))
        return;
    config(self); /* read now: it may turn out unreadable */
    if (self->problem) {
        start_refused(self, "vm-file", _("Settings"), self->problem);
        return;
    }
    set_start_problem(self, NULL);
    self->check_cancel = g_cancellable_new();
    set_state(self, HAKO_VM_STATE_STARTING);
    hako_host_check_quick_async(hako_paths_host_root(), self->check_cancel, on_start_checked,
                                g_object_ref(self));
}

/* Turned off while the host check runs: no engine will start. */
static gboolean cancel_check(HakoVm *self)
{
    if (!self->check_cancel)
        return FALSE;
    g_cancellable_cancel(self->check_cancel);
    g_clear_object(&self->check_cancel);
    set_state(self, HAKO_VM_STATE_STOPPED);
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
    if (cancel_check(self))
        return;
    if (!self->engine || !hako_vm_is_active(self))
        return;
    if (self->state == HAKO_VM_STATE_PAUSED)
        hako_engine_resume(self->engine);
    hako_engine_power_button(self->engine);
}

void hako_vm_force_off(HakoVm *self)
{
    if (cancel_check(self))
        return;
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
    if (self->check_cancel)
        g_cancellable_cancel(self->check_cancel);
    g_clear_object(&self->check_cancel);
    if (self->engine)
        g_signal_handlers_disconnect_by_data(self->engine, self);
    g_clear_object(&self->engine);
    g_clear_handle_id(&self->thumb_idle, g_source_remove);
    if (self->thumb_loading)
        g_cancellable_cancel(self->thumb_loading);
    g_clear_object(&self->thumb_loading);
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
    g_clear_pointer(&self->start_problem, hako_check_item_free);
    g_free(self->sort_key);
    g_free(self->problem);
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
    case PROP_START_PROBLEM: g_value_set_boxed(value, self->start_problem); break;
    case PROP_PROBLEM: g_value_set_string(value, self->problem); break;
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
    props[PROP_START_PROBLEM] =
        g_param_spec_boxed("start-problem", NULL, NULL, HAKO_TYPE_CHECK_ITEM,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_PROBLEM] =
        g_param_spec_string("problem", NULL, NULL, NULL,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(oc, N_PROPS, props);
}

static void hako_vm_init(HakoVm *self)
{
    self->state = HAKO_VM_STATE_STOPPED;
}
