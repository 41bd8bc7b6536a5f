/* Keyboard mapping: GDK key events to Linux evdev key codes (what the engine's i8042 expects),
 * and the key combinations of the "Send Key" menu. Plain functions, no state. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The evdev code for a hardware keycode as GDK reports it on X11 (evdev/xkb keycodes) and
 * Wayland: keycode - 8. 0 when the keycode cannot be an evdev key. */
guint hako_keymap_evdev_from_keycode(guint keycode);
/* The evdev code of the key that produces keyval on a US layout (fallback for events without a
 * usable hardware keycode). 0 when unknown. */
guint hako_keymap_evdev_from_keyval(guint keyval);
/* The code to send for a key event: the hardware keycode when it is valid, else the keyval. */
guint hako_keymap_evdev_for_event(guint keycode, guint keyval);

typedef struct {
    const char *id;    /* action target, e.g. "ctrl-alt-del" */
    const char *label; /* untranslated; translate with gettext() */
    guint keys[4];     /* evdev codes, pressed in order, released in reverse; 0-terminated */
} HakoKeyCombo;

const HakoKeyCombo *hako_keymap_get_combos(gsize *n);
const HakoKeyCombo *hako_keymap_find_combo(const char *id);
gsize hako_keymap_combo_length(const HakoKeyCombo *combo);

G_END_DECLS
