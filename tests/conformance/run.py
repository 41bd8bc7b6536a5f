#!/usr/bin/env python3
"""One conformance scenario as a test: record it under QEMU TCG unless the build directory has it
cached, replay the trace against Hako's device models (hako-replay), and check what follows from
it. Needs no /dev/kvm.

    run.py HAKO_REPLAY SCENARIO [DIAGNOSIS_TOOL]

Fails on any unexplained mismatch; for UEFI scenarios also when Hako's facts do not contain the
"GOP mode set WxH" that QEMU's screendump shows at the end of the recording, or when the variable
store Hako's flash holds at the end differs from QEMU's. The report is kept in
<build>/test-output/conformance/SCENARIO.txt.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import hakotest  # noqa: E402
import record  # noqa: E402


def replay_command(replay, meta, d, facts):
    """hako-replay with the hako-vmm options that build the board the recording matches."""
    cmd = [replay, '--facts-json', facts]
    vmm = ['--memory', meta['memory'], '--cpus', str(meta['cpus'])]
    if meta['firmware'] == 'bios':
        vmm += ['--firmware', 'bios']  # hako-vmm finds the same bios.bin QEMU was given
    else:
        cmd += ['--vars-final', meta['vars_final']]
        vmm += ['--firmware', 'uefi', '--ovmf-code', meta['ovmf_code'],
                '--ovmf-vars-template', meta['ovmf_vars_template']]
    for disk in meta.get('disks', []):
        vmm += ['--disk', disk]
    if meta.get('cdrom') is not None:
        vmm += ['--cdrom', meta['cdrom']]
    net = meta.get('net')
    if net:  # the card QEMU had (hako-replay gives it a socket nothing answers on, not passt)
        vmm += ['--net', 'user', '--mac', net['mac'], '--net-mtu', str(net['mtu'])]
    return cmd + [os.path.join(d, 'trace.txt.gz'), '--'] + vmm


def main():
    replay, name = sys.argv[1], sys.argv[2]
    diag = sys.argv[3] if len(sys.argv) > 3 else None
    cache = record.default_cache()
    os.makedirs(cache, exist_ok=True)
    miss = record.missing_tools(name)
    if miss:
        # .ci/install-deps installs all of these: a machine without them is not set up
        hakotest.fail(f'cannot record {name}: {", ".join(miss)} (run .ci/install-deps)')
    d = record.record(cache, name)
    with open(os.path.join(d, 'meta.json')) as f:
        meta = json.load(f)
    print(f'{name}: recording {d} ({meta["reached"]}, {meta["seconds"]} s under QEMU TCG)')
    if not meta['ok']:
        hakotest.fail(f'the recording did not get where it should ({meta["reached"]}); see '
                      f'{d}/serial.txt')
    out = hakotest.tmpdir('conformance')
    facts = os.path.join(out, f'{name}-facts.json')
    p = subprocess.run(replay_command(replay, meta, d, facts), capture_output=True, text=True,
                       timeout=600)
    with open(os.path.join(out, f'{name}.txt'), 'w') as f:
        f.write(p.stdout + p.stderr)
    print(p.stdout, p.stderr, sep='')
    ok = p.returncode == 0

    if meta['firmware'] == 'uefi':
        with open(facts) as f:
            fl = json.load(f)['facts']
        modes = [(x['a'], x['b']) for x in fl if x['kind'] == 'mode-set']
        screen = tuple(meta.get('screen') or ())
        print(f'GOP: Hako\'s facts say {["%dx%d" % m for m in modes]}, QEMU\'s screendump '
              f'is {"x".join(map(str, screen))}')
        if not modes or modes[-1] != screen:
            print('FAIL: the last GOP mode set in Hako\'s facts is not what QEMU\'s screen shows')
            ok = False
        if diag:
            dp = subprocess.run([diag, '--facts', facts, '--firmware', 'uefi', '--memory',
                                 str(int(meta['memory'].rstrip('M')))],
                                capture_output=True, text=True)
            print('diagnosis of this timeline:', dp.stdout.strip())
    if not ok:
        hakotest.fail(f'{name}: see {out}/{name}.txt')
    print(f'PASS: {name}')


if __name__ == '__main__':
    main()
