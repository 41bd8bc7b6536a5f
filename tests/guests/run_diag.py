#!/usr/bin/env python3
"""Runs a guest program that ends badly and checks what the engine's facts timeline says about it
(hako-vmm --diagnose=json), and - when the app's diagnosis tool is built - what HakoDiagnosis
concludes from that timeline.

usage: run_diag.py HAKO_VMM IMAGE NAME [DIAGNOSIS_TOOL]
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

IMAGE_LO, IMAGE_HI = 0xF0000, 0x100000  # where boot.inc code runs (the BIOS shadow)


def facts_of(timeline, kind):
    return [f for f in timeline['facts'] if f['kind'] == kind]


def check_triple_fault(t):
    tf = facts_of(t, 'triple-fault')
    ht.check(tf, 'no triple-fault fact')
    rip = tf[0]['b']
    ht.check(IMAGE_LO <= rip < IMAGE_HI, f'triple fault at 0x{rip:x}, outside the program')
    ht.check(tf[0]['text'].startswith('0f 0b'), f'instruction bytes {tf[0]["text"]!r}, not ud2')
    resets = facts_of(t, 'reset')
    ht.check(resets and resets[0]['text'] == 'triple fault', 'no reset caused by the triple fault')
    ht.check(t['counts']['reset'] >= 5, f'only {t["counts"]["reset"]} resets')
    ht.check(facts_of(t, 'reset-loop'), 'no reset-loop fact')
    ht.check(not facts_of(t, 'halt-irq-off'), 'a halt was reported')
    return 'reset-loop'


def check_halt_cli(t):
    h = facts_of(t, 'halt-irq-off')
    ht.check(len(h) == 1, f'{len(h)} halt-irq-off facts, expected 1')
    rip = h[0]['b']
    ht.check(IMAGE_LO <= rip < IMAGE_HI, f'halt at 0x{rip:x}, outside the program')
    ht.check(not facts_of(t, 'triple-fault') and not facts_of(t, 'reset'), 'unexpected reset')
    ht.check(not facts_of(t, 'display-enumerated'), 'the program touched the display')
    return 'halted'


def check_no_display(t):
    s = facts_of(t, 'serial')
    ht.check(s and s[0]['text'] == 'no-display: hello from the guest', f'serial facts: {s}')
    for kind in ('display-enumerated', 'display-bar', 'display-rom', 'mode-set', 'first-damage'):
        ht.check(not facts_of(t, kind), f'a {kind} fact, but the program never touched it')
    for kind in ('halt-irq-off', 'triple-fault', 'internal-error', 'cpu-spin'):
        ht.check(not facts_of(t, kind), f'unexpected {kind}: the CPU is only idle')
    return 'no-display'


def check_os_display(t):
    """The guest's OS drives the display, then spins for over ten seconds: the vCPU watch has
    stopped sampling (and pausing) it, so it says nothing about a spin."""
    ht.check(facts_of(t, 'mode-set'), 'no mode set')
    ht.check(facts_of(t, 'first-damage'), 'the guest never drew (no first-damage fact)')
    ht.check(not facts_of(t, 'cpu-spin'), 'a cpu-spin fact: the vCPU watch still samples a guest '
             'whose operating system drives the display')
    ht.check(not facts_of(t, 'halt-irq-off'), 'unexpected halt-irq-off')
    return 'none'


# name: (seconds to run, check, expected exit status, words of the stop reason)
CHECKS = {
    # a reset storm is stopped by the engine: status 3 and the reason
    'triple-fault': (10, check_triple_fault, 3, 'reset loop'),
    'halt-cli': (4, check_halt_cli, 0, ''),
    'no-display': (4, check_no_display, 0, ''),
    'os-display': (14, check_os_display, 0, ''),
}


def main():
    vmm, image, name = sys.argv[1:4]
    tool = sys.argv[4] if len(sys.argv) > 4 else None
    ht.need_kvm()
    secs, check, want_status, want_reason = CHECKS[name]
    out = ht.tmpdir('guests-diag')
    facts_path = os.path.join(out, name + '.json')
    cmd = [vmm, '--firmware', image, '--memory', '64M', '--exit-after', str(secs),
           '--diagnose=json']
    status, so, se, took = ht.run(cmd, timeout=60)
    print(f'{name}: exit status {status} after {took:.2f}s')
    ht.check(status == want_status, f'hako-vmm exited with {status}, not {want_status}: '
             f'{se[-400:]}')
    ht.check(want_reason in se, f'the stop reason does not say "{want_reason}": {se[-400:]}')
    with open(facts_path, 'w') as f:
        f.write(so)
    timeline = json.loads(so)
    for fact in timeline['facts'][:24]:
        print(f'  {fact["t"]:8.3f}  {fact["kind"]:18} {fact["text"]}')
    cause = check(timeline)
    if tool:
        # the app's HakoDiagnosis on the same timeline
        st, so2, se2, _ = ht.run([tool, '--facts', facts_path, '--firmware', 'raw',
                                  '--expect', cause], timeout=30)
        print(so2.strip())
        ht.check(st == 0, f'HakoDiagnosis did not conclude "{cause}": {so2} {se2}')
    print('PASS')


if __name__ == '__main__':
    main()
