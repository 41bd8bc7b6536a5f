/* HakoDisplay: the guest's screen. A GtkGLArea that keeps one texture of the engine's scanout
 * (uploading only damaged rows from the shared VRAM), draws it as one quad letterboxed to the
 * widget, and turns keyboard and pointer events into engine input: absolute through vmmouse when
 * the guest enabled it, otherwise relative with an explicit capture (click to capture, left
 * Ctrl+Alt to release). */
#pragma once

#include <gtk/gtk.h>

#include "hako-engine.h"
#include "hako-keymap.h"

G_BEGIN_DECLS

typedef enum {
    HAKO_SCALE_MODE_FIT,      /* as large as fits, aspect kept */
    HAKO_SCALE_MODE_ORIGINAL, /* one guest pixel per screen (device) pixel */
    HAKO_SCALE_MODE_ZOOM,     /* the zoom factor, in screen pixels per guest pixel */
} HakoScaleMode;

#define HAKO_TYPE_DISPLAY (hako_display_get_type())
G_DECLARE_FINAL_TYPE(HakoDisplay, hako_display, HAKO, DISPLAY, GtkGLArea)

GtkWidget *hako_display_new(void);
void hako_display_set_engine(HakoDisplay *self, HakoEngine *engine);
HakoEngine *hako_display_get_engine(HakoDisplay *self);
void hako_display_set_scale_mode(HakoDisplay *self, HakoScaleMode mode);
HakoScaleMode hako_display_get_scale_mode(HakoDisplay *self);
void hako_display_set_zoom(HakoDisplay *self, double zoom);
double hako_display_get_zoom(HakoDisplay *self);
/* TRUE while the guest has set a display mode we can show. */
gboolean hako_display_get_has_scanout(HakoDisplay *self);
/* TRUE while the pointer is captured (relative mode). */
gboolean hako_display_get_captured(HakoDisplay *self);
/* TRUE when the guest takes relative pointer input (clicking captures the pointer). */
gboolean hako_display_get_relative(HakoDisplay *self);
/* Releases the pointer capture and every key held down in the guest. */
void hako_display_release(HakoDisplay *self);
void hako_display_send_combo(HakoDisplay *self, const HakoKeyCombo *combo);

typedef struct {
    guint64 frames;  /* renders that drew the guest screen */
    guint64 uploads; /* glTexSubImage2D/glTexImage2D calls */
    guint64 rows;    /* guest rows uploaded */
    guint64 full_uploads;
    guint64 upload_us; /* wall time spent in the uploads, in microseconds */
} HakoDisplayStats;

void hako_display_get_stats(HakoDisplay *self, HakoDisplayStats *stats);

G_END_DECLS
