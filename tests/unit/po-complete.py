#!/usr/bin/env python3
"""po/ja.po is complete: every translatable string in the files po/POTFILES.in lists (extracted with
xgettext, as meson's hako-pot target does) has a Japanese translation that is neither empty nor fuzzy,
and every file with translatable strings is listed in POTFILES.in.

usage: po-complete.py SOURCE_ROOT"""
import os
import re
import subprocess
import sys
import tempfile

root = sys.argv[1]
for tool in ('xgettext', 'msgcmp', 'msgfmt'):
    if subprocess.run(['which', tool], capture_output=True).returncode:
        print('SKIP: %s is not installed (gettext)' % tool)
        sys.exit(77)
listed = [l.strip() for l in open(os.path.join(root, 'po', 'POTFILES.in'))
          if l.strip() and not l.startswith('#')]
problems = []
for f in listed:
    if not os.path.exists(os.path.join(root, f)):
        problems.append('POTFILES.in lists %s, which does not exist' % f)
# every source that marks strings is listed
marks = re.compile(r'\b(_|N_|C_|NC_|ngettext|g_dngettext)\s*\(\s*"|translatable="yes"')
for d in ('src', 'ui'):
    for dirpath, _, names in os.walk(os.path.join(root, d)):
        for n in names:
            if n.endswith(('.c', '.ui')):
                rel = os.path.relpath(os.path.join(dirpath, n), root)
                if rel not in listed and marks.search(open(os.path.join(root, rel), encoding='utf-8').read()):
                    problems.append('%s has translatable strings but is not in po/POTFILES.in' % rel)
with tempfile.TemporaryDirectory() as tmp:
    pot = os.path.join(tmp, 'hako.pot')
    r = subprocess.run(['xgettext', '--from-code=UTF-8', '--add-comments', '--keyword=_', '--keyword=N_',
                        '--keyword=C_:1c,2', '--keyword=NC_:1c,2', '--keyword=g_dngettext:2,3',
                        '--keyword=ngettext:1,2', '--flag=g_strdup_printf:1:c-format',
                        '-o', pot, '-D', root] + [f for f in listed if os.path.exists(os.path.join(root, f))],
                       capture_output=True, text=True)
    if r.returncode:
        print(r.stderr)
        sys.exit(1)
    r = subprocess.run(['msgcmp', os.path.join(root, 'po', 'ja.po'), pot],
                       capture_output=True, text=True)
    if r.returncode:
        potlines = open(pot, encoding='utf-8').read().splitlines()
        for l in r.stderr.splitlines():
            m = re.match(r'.*hako\.pot:(\d+): (.*)', l)
            if m:
                where = [x for x in potlines[:int(m.group(1))] if x.startswith('#:')]
                ids = [x for x in potlines[:int(m.group(1))] if x.startswith('msgid ')]
                problems.append('%s (%s): %s' % (ids[-1] if ids else '?',
                                                 where[-1][3:] if where else '?', m.group(2)))
    r = subprocess.run(['msgfmt', '--check', '--statistics', '-o', '/dev/null',
                        os.path.join(root, 'po', 'ja.po')], capture_output=True, text=True)
    stats = r.stderr.strip()
    if r.returncode or 'fuzzy' in stats or 'untranslated' in stats:
        problems.append('po/ja.po: ' + stats)
for p in problems:
    print(p)
print('po/ja.po: %s; %d problems' % (stats, len(problems)))
sys.exit(1 if problems else 0)
