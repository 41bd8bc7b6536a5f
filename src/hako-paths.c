/* Locations of the app's companions; see hako-paths.h. */
#include "hako-paths.h"

#include <gio/gio.h>
#include <stdlib.h>

typedef struct {
    char *exe_dir;
    char *build_root; /* non-NULL when running from a meson build tree */
    char *localedir;
    char *engine;
} HakoPaths;

/* Written once by hako_paths_init() before any thread exists, read-only afterwards. */
static HakoPaths paths;

static gboolean is_executable(const char *path)
{
    return path && g_file_test(path, G_FILE_TEST_IS_EXECUTABLE) &&
           !g_file_test(path, G_FILE_TEST_IS_DIR);
}

void hako_paths_init(void)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    paths.exe_dir = exe ? g_path_get_dirname(exe) : g_strdup(".");

    g_autofree char *parent = g_path_get_dirname(paths.exe_dir);
    g_autofree char *ninja = g_build_filename(parent, "build.ninja", NULL);
    g_autofree char *mpriv = g_build_filename(parent, "meson-private", NULL);
    if (g_file_test(ninja, G_FILE_TEST_EXISTS) && g_file_test(mpriv, G_FILE_TEST_IS_DIR))
        paths.build_root = g_steal_pointer(&parent);

    const char *env_locale = g_getenv("HAKO_LOCALEDIR");
    if (env_locale && *env_locale)
        paths.localedir = g_strdup(env_locale);
    else if (paths.build_root)
        paths.localedir = g_build_filename(paths.build_root, "po", NULL);
    else
        paths.localedir = g_strdup(LOCALEDIR);

    if (paths.build_root && !g_getenv("GSETTINGS_SCHEMA_DIR")) {
        g_autofree char *schemas = g_build_filename(paths.build_root, "data", NULL);
        g_autofree char *compiled = g_build_filename(schemas, "gschemas.compiled", NULL);
        if (g_file_test(compiled, G_FILE_TEST_EXISTS))
            g_setenv("GSETTINGS_SCHEMA_DIR", schemas, TRUE);
    }

    const char *env_vmm = g_getenv("HAKO_VMM");
    g_autofree char *beside = g_build_filename(paths.exe_dir, "hako-vmm", NULL);
    g_autofree char *in_build =
        paths.build_root ? g_build_filename(paths.build_root, "vmm", "hako-vmm", NULL) : NULL;
    g_autofree char *libexec = g_build_filename(LIBEXECDIR, "hako-vmm", NULL);
    g_autofree char *bin = g_build_filename(BINDIR, "hako-vmm", NULL);
    const char *candidates[] = {env_vmm, beside, in_build, libexec, bin};
    for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
        if (is_executable(candidates[i])) {
            paths.engine = g_strdup(candidates[i]);
            break;
        }
    }
    if (!paths.engine)
        paths.engine = g_find_program_in_path("hako-vmm");
}

const char *hako_paths_localedir(void)
{
    return paths.localedir ? paths.localedir : LOCALEDIR;
}

const char *hako_paths_engine(void)
{
    return paths.engine;
}

char *hako_paths_library_dir(void)
{
    /* the vm-folder preference, when the schema is there (not in every test) */
    GSettingsSchemaSource *src = g_settings_schema_source_get_default();
    g_autoptr(GSettingsSchema) schema =
        src ? g_settings_schema_source_lookup(src, HAKO_APP_ID, TRUE) : NULL;
    if (schema && g_settings_schema_has_key(schema, "vm-folder")) {
        g_autoptr(GSettings) settings = g_settings_new(HAKO_APP_ID);
        g_autofree char *custom = g_settings_get_string(settings, "vm-folder");
        if (custom && *custom && g_path_is_absolute(custom))
            return g_steal_pointer(&custom);
    }
    return g_build_filename(g_get_user_data_dir(), "hako", "vms", NULL);
}

const char *hako_paths_host_root(void)
{
    const char *root = g_getenv("HAKO_HOST_ROOT");
    return root && *root ? root : NULL;
}
