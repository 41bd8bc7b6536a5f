#!/usr/bin/python3
"""Prints the accessibility tree of a running application as JSON lines, one per object:
{"role", "name", "text", "showing", "x", "y", "w", "h"}. Runs with the system Python (PyGObject
and the AT-SPI typelib); the app must share this process's D-Bus session.

Usage: atspi_dump.py APP-NAME"""
import json
import sys

import gi

gi.require_version('Atspi', '2.0')
from gi.repository import Atspi  # noqa: E402

MAX_NODES = 4000


def text_of(obj):
    try:
        t = obj.get_text_iface()
        if t is not None:
            return t.get_text(0, t.get_character_count())
    except Exception:
        pass
    return ''


def walk(obj, out, depth=0, parent_shown=True):
    if obj is None or len(out) >= MAX_NODES or depth > 60:
        return
    try:
        states = obj.get_state_set()
        # GTK 4.8 does not report SHOWING; an object is on screen when it and every ancestor
        # are visible (hidden stack pages are marked hidden by the app)
        showing = parent_shown and (states.contains(Atspi.StateType.VISIBLE) or
                                    obj.get_role() == Atspi.Role.APPLICATION)
        x = y = w = h = 0
        if obj.get_component_iface() is not None:
            ext = obj.get_extents(Atspi.CoordType.SCREEN)
            x, y, w, h = ext.x, ext.y, ext.width, ext.height
        out.append({
            'role': obj.get_role_name(),
            'name': obj.get_name() or '',
            'text': text_of(obj),
            'showing': bool(showing),
            'states': [Atspi.StateType(st).value_nick for st in states.get_states()],
            'x': x, 'y': y, 'w': w, 'h': h,
        })
        for i in range(obj.get_child_count()):
            walk(obj.get_child_at_index(i), out, depth + 1, showing)
    except Exception as e:  # objects can vanish while we walk
        out.append({'role': 'error', 'name': str(e), 'text': '', 'showing': False,
                    'x': 0, 'y': 0, 'w': 0, 'h': 0})


def main():
    want = sys.argv[1] if len(sys.argv) > 1 else 'hako'
    desktop = Atspi.get_desktop(0)
    out = []
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is not None and (app.get_name() or '') == want:
            walk(app, out)
    for node in out:
        print(json.dumps(node, ensure_ascii=False))


if __name__ == '__main__':
    main()
