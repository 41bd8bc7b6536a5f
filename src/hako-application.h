/* HakoApplication: the app (io.github.hakovm.Hako): one window, the VM library, the About
 * window, keyboard shortcuts; opens disc images given on the command line or from the file
 * manager. */
#pragma once

#include <adwaita.h>

#include "hako-vm-library.h"

G_BEGIN_DECLS

#define HAKO_TYPE_APPLICATION (hako_application_get_type())
G_DECLARE_FINAL_TYPE(HakoApplication, hako_application, HAKO, APPLICATION, AdwApplication)

HakoApplication *hako_application_new(void);
HakoVmLibrary *hako_application_get_library(HakoApplication *self);

G_END_DECLS
