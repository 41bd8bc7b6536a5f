#!/usr/bin/env python3
"""Warnings are errors where Hako's own CI builds, not by default.

usage: build-options.py SOURCE_ROOT

meson.build must not default to werror=true (a distribution building with a newer compiler would
fail on that compiler's new warnings), and every build .ci/hako makes passes -Dwerror=true (so CI
and the developer entry point still fail on any warning).
"""
import re
import sys

root = sys.argv[1]
failures = []
top = open(f'{root}/meson.build').read()
defaults = re.search(r'default_options\s*:\s*\[(.*?)\]', top, re.S)
if defaults and re.search(r"'werror\s*=\s*true'", defaults.group(1)):
    failures.append('meson.build defaults to werror=true')
ci = open(f'{root}/.ci/hako').read()
setups = [line.strip() for line in ci.splitlines() if re.match(r'\s*setup\s+build', line)]
if not setups:
    failures.append('.ci/hako makes no build?')
for line in setups:
    # the options may continue on the next lines (a trailing backslash)
    start = ci.index(line)
    stmt = ci[start:ci.index('\n', start)]
    pos = start
    while stmt.rstrip().endswith('\\'):
        pos = ci.index('\n', pos) + 1
        stmt += ci[pos:ci.index('\n', pos)]
    print('.ci/hako:', ' '.join(stmt.replace('\\', ' ').split()))
    if '-Dwerror=true' not in stmt:
        failures.append(f'.ci/hako builds without -Dwerror=true: {line}')
for f in failures:
    print('FAIL:', f)
sys.exit(1 if failures else 0)
