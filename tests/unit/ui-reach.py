#!/usr/bin/env python3
"""What the user can reach: every keyboard shortcut the app sets (hako-application.c's accels
table) is listed in the shortcuts window (ui/gtk/help-overlay.ui), by action or by the same key;
the VM view's main menu (view_menu in ui/hako-vm-view.ui) reaches the VM's settings, as the
library's card menu and the power menu do.

usage: ui-reach.py SOURCE_ROOT"""
import os
import re
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print('FAIL:', msg)
    sys.exit(1)


def main():
    root = sys.argv[1]
    with open(os.path.join(root, 'src', 'hako-application.c')) as f:
        app = f.read()
    table = app[app.index('accels[] = {'):]
    table = table[:table.index('};')]
    accels = {}
    for action, keys in re.findall(r'\{"([\w.:-]+)",\s*\{([^}]*)\}\}', table):
        accels[action] = re.findall(r'"([^"]+)"', keys)
    if len(accels) < 5:
        fail(f'found only {len(accels)} shortcuts in hako-application.c')

    overlay = ET.parse(os.path.join(root, 'ui', 'gtk', 'help-overlay.ui')).getroot()
    listed_actions, listed_keys = set(), set()
    for obj in overlay.iter('object'):
        if obj.get('class') != 'GtkShortcutsShortcut':
            continue
        for prop in obj.findall('property'):
            if prop.get('name') == 'action-name':
                listed_actions.add(prop.text)
            elif prop.get('name') == 'accelerator':
                listed_keys.update(prop.text.split())

    def norm(k):
        return k.replace('<Ctrl>', '<Control>').replace('<Primary>', '<Control>').lower()
    listed_action_keys = {norm(k) for a in listed_actions for k in accels.get(a, [])}
    listed_keys = {norm(k) for k in listed_keys}
    missing = []
    for action, keys in accels.items():
        base = action.split('::')[0]
        if action in listed_actions or base in listed_actions and '::' not in action:
            continue
        if any(norm(k) in listed_keys or norm(k) in listed_action_keys for k in keys):
            continue
        missing.append(f'{action} ({", ".join(keys)})')
    if missing:
        fail('shortcuts missing from the shortcuts window: ' + '; '.join(missing))

    view = ET.parse(os.path.join(root, 'ui', 'hako-vm-view.ui')).getroot()
    menus = {m.get('id'): m for m in view.iter('menu')}
    if 'view_menu' not in menus:
        fail('no view_menu in hako-vm-view.ui')
    actions = [a.text for a in menus['view_menu'].iter('attribute') if a.get('name') == 'action']
    if 'win.current-vm-settings' not in actions:
        fail('the VM view\'s main menu does not reach the VM\'s settings (win.current-vm-settings)')
    print(f'{len(accels)} shortcuts all listed; the VM view\'s main menu reaches Settings')


if __name__ == '__main__':
    main()
