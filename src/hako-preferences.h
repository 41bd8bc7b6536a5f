/*
 * HakoPreferences: the app-wide preferences, backed by GSettings (io.github.hakovm.Hako): the
 * folder for virtual machines (vm-folder), how guest screens are scaled at first (scale-mode),
 * and the keys that release a captured pointer (capture-release-keys).
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HAKO_TYPE_PREFERENCES (hako_preferences_get_type())
G_DECLARE_FINAL_TYPE(HakoPreferences, hako_preferences, HAKO, PREFERENCES, AdwPreferencesWindow)

HakoPreferences *hako_preferences_new(GtkWindow *parent);

G_END_DECLS
