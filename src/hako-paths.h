/* Where the app finds its engine, translations and settings schema: the install prefix, or the
 * build tree when `hako` runs from one (build/src/hako next to build/vmm/hako-vmm), or the
 * HAKO_VMM / HAKO_LOCALEDIR environment variables. Not a class: process-wide, set once at start. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Call first thing in main(): detects the build tree and points GSETTINGS_SCHEMA_DIR at its
 * compiled schemas when running uninstalled. */
void hako_paths_init(void);
const char *hako_paths_localedir(void);
/* The hako-vmm program to run, or NULL when none was found. */
const char *hako_paths_engine(void);
/* The vm-folder preference, or $XDG_DATA_HOME/hako/vms */
char *hako_paths_library_dir(void);
/* The root the host check reads (/proc, /sys, /dev, /usr/share): NULL for this system, or the
 * HAKO_HOST_ROOT environment variable, a fake tree for tests and for showing each cause. */
const char *hako_paths_host_root(void);

G_END_DECLS
