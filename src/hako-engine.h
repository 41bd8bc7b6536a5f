/* HakoEngine: one running hako-vmm process and the control socket to it (hako/protocol.h).
 * Spawns the engine, speaks the protocol, maps the shared VRAM, keeps the facts timeline and the
 * serial output, and reports the engine's death with the end of its log. */
#pragma once

#include <gtk/gtk.h>

#include "hako/protocol.h"

G_BEGIN_DECLS

typedef enum {
    HAKO_ENGINE_STATE_NONE,     /* not spawned */
    HAKO_ENGINE_STATE_STARTING, /* spawned, no HELLO yet */
    HAKO_ENGINE_STATE_CREATED,  /* connected, guest not started */
    HAKO_ENGINE_STATE_RUNNING,
    HAKO_ENGINE_STATE_PAUSED,
    HAKO_ENGINE_STATE_STOPPED, /* exited normally (powered off) */
    HAKO_ENGINE_STATE_FAILED,  /* exited with an error, crashed or was killed */
} HakoEngineState;

#define HAKO_TYPE_ENGINE (hako_engine_get_type())
G_DECLARE_FINAL_TYPE(HakoEngine, hako_engine, HAKO, ENGINE, GObject)

HakoEngine *hako_engine_new(void);

/* Runs `engine_path --control-fd 3 --log log_path args...` in workdir. */
gboolean hako_engine_spawn(HakoEngine *self, const char *engine_path, const char *const *args,
                           const char *workdir, const char *log_path, GError **error);

HakoEngineState hako_engine_get_state(HakoEngine *self);
gboolean hako_engine_is_alive(HakoEngine *self);
/* Once exited: the exit status (or 128 + signal) and the engine's own reason. */
int hako_engine_get_exit_status(HakoEngine *self);
/* TRUE when the engine was ended by a signal (it crashed or was killed). */
gboolean hako_engine_get_signaled(HakoEngine *self);
const char *hako_engine_get_stop_reason(HakoEngine *self);
/* Last lines of the engine's log and standard error (for the failure page). */
char *hako_engine_get_log_tail(HakoEngine *self, guint max_lines);
GPid hako_engine_get_pid(HakoEngine *self);

/* Commands (ignored when the engine is not connected). */
void hako_engine_start(HakoEngine *self);
void hako_engine_pause(HakoEngine *self);
void hako_engine_resume(HakoEngine *self);
void hako_engine_reset(HakoEngine *self);
void hako_engine_power_button(HakoEngine *self);
void hako_engine_power_off(HakoEngine *self);
void hako_engine_send_key(HakoEngine *self, guint evdev_code, gboolean down);
/* Presses the keys in order, then releases them in reverse order. */
void hako_engine_send_combo(HakoEngine *self, const guint *evdev_codes, gsize n);
void hako_engine_pointer_abs(HakoEngine *self, guint x, guint y, int dz, guint buttons);
void hako_engine_pointer_rel(HakoEngine *self, int dx, int dy, int dz, guint buttons);
/* path NULL ejects. The answer comes as ::command-result. */
void hako_engine_change_cd(HakoEngine *self, const char *path);
/* Returns the request id echoed in ::command-result. */
guint hako_engine_screenshot(HakoEngine *self, const char *png_path);
void hako_engine_serial_input(HakoEngine *self, const guint8 *data, gsize len);
/* Tells the engine that the last damage it sent is on screen, so it may send the next one (see
 * hako/protocol.h). Does nothing when there is nothing to acknowledge. */
void hako_engine_display_ack(HakoEngine *self);

/* The scanout and the shared VRAM (NULL when there is no scanout). The mapping stays valid until
 * the next ::scanout-changed or the engine object is finalized, even after the engine died. */
const struct hk_msg_scanout *hako_engine_get_scanout(HakoEngine *self);
const guint8 *hako_engine_get_vram(HakoEngine *self, gsize *size);
gboolean hako_engine_get_pointer_absolute(HakoEngine *self);
/* The current screen scaled down into a max_width x max_height picture, letterboxed in black
 * (NULL without scanout). */
GdkTexture *hako_engine_snapshot(HakoEngine *self, guint max_width, guint max_height);

/* The facts timeline received so far (element type struct hk_fact). */
GArray *hako_engine_get_facts(HakoEngine *self);
/* Serial output received so far (the last 256 KiB). */
GBytes *hako_engine_get_serial_history(HakoEngine *self);

/* The network card's link, cable, passt and driver state and counters (HK_EV_NET), NULL before
 * the engine sent them (no network card, or not yet). ::net-changed says when they change. */
const struct hk_msg_net *hako_engine_get_net(HakoEngine *self);
/* Plugs in (TRUE) or unplugs the network card's cable. The answer comes as ::command-result. */
void hako_engine_set_link(HakoEngine *self, gboolean up);

/* Counters for tests and the display benchmark. */
guint64 hako_engine_get_damage_messages(HakoEngine *self);

G_END_DECLS
