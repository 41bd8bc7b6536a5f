#!/usr/bin/env python3
"""Compiles the engine's layer sources once with clang (libFuzzer + ASan + UBSan) into one static
archive that every libFuzzer harness links: the harnesses use the same source lists as the
engine's own libraries (vmm/meson.build), never a hand-written copy.

usage: clang-archive.py CLANG OUT.a FLAG... -- SOURCE..."""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

clang, out = sys.argv[1], sys.argv[2]
sep = sys.argv.index('--')
flags, sources = sys.argv[3:sep], sys.argv[sep + 1:]
objdir = out + '.d'
os.makedirs(objdir, exist_ok=True)


def compile_one(i_src):
    i, src = i_src
    obj = os.path.join(objdir, '%03d-%s.o' % (i, os.path.basename(src)))
    subprocess.run([clang] + flags + ['-c', src, '-o', obj], check=True)
    return obj


with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    objs = list(pool.map(compile_one, enumerate(sources)))
if os.path.exists(out):
    os.unlink(out)
subprocess.run(['ar', 'rcs', out] + objs, check=True)
