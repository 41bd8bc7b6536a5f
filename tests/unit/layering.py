#!/usr/bin/env python3
"""The engine's include graph runs one way (ARCHITECTURE.md, "Folders"): host -> pc -> dev, virtio
-> block, net -> core, with diag on core and common (vmm/common, vmm/include/hako) at the bottom,
usable by everyone including the app. A file may include headers of its own folder and of folders
below it; anything else is an upward (or sideways) edge and fails this test. The app (src/) may
include the engine only through vmm/include/hako (the common library's public headers).

usage: layering.py SOURCE_ROOT"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
vmm = os.path.join(root, 'vmm')
RANK = {'common': 0, 'include': 0, 'core': 1, 'block': 2, 'net': 2, 'diag': 2, 'dev': 3,
        'virtio': 3, 'pc': 4, 'host': 5}
inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
bad = []
files = 0
for dirpath, _, names in os.walk(vmm):
    for n in names:
        if not n.endswith(('.c', '.h')):
            continue
        path = os.path.join(dirpath, n)
        rel = os.path.relpath(path, vmm)
        layer = rel.split(os.sep)[0]
        if layer not in RANK:
            bad.append('%s: folder %s has no place in the layering' % (rel, layer))
            continue
        files += 1
        for inc in inc_re.findall(open(path, encoding='utf-8').read()):
            if inc.startswith('hako/'):
                continue  # public headers of the common library
            target = os.path.normpath(os.path.join(os.path.dirname(rel), inc))
            tl = target.split(os.sep)[0]
            if tl.endswith('.h') or tl.endswith('.inc') or tl == '..':
                bad.append('%s includes "%s": outside vmm/' % (rel, inc))
                continue
            if tl == layer:
                continue
            if tl not in RANK:
                bad.append('%s includes "%s": unknown folder %s' % (rel, inc, tl))
            elif RANK[tl] >= RANK[layer]:
                bad.append('%s (%s) includes "%s" (%s): %s edge' %
                           (rel, layer, inc, tl, 'sideways' if RANK[tl] == RANK[layer] else 'upward'))
            elif layer in ('common', 'include'):
                bad.append('%s: the common library includes engine code "%s"' % (rel, inc))
# the app reaches the engine only through the common library's public headers
src = os.path.join(root, 'src')
for n in sorted(os.listdir(src)) if os.path.isdir(src) else []:
    if n.endswith(('.c', '.h')):
        for inc in inc_re.findall(open(os.path.join(src, n), encoding='utf-8').read()):
            if 'vmm/' in inc or inc.startswith('..'):
                bad.append('src/%s includes "%s": the app uses vmm/include/hako only' % (n, inc))
for b in bad:
    print(b)
print('%d engine files checked, %d bad include edges' % (files, len(bad)))
sys.exit(1 if bad else 0)
