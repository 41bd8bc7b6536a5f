#!/usr/bin/env python3
"""Runs the virtio-net guest program (net-dhcp.asm) with passt behind the card.

usage: net-test.py HAKO_VMM IMAGE
The program negotiates the card, posts receive buffers and does a DHCP exchange from ring 3;
it passes (status 33) after the ACK and prints the lease. The engine's facts must say the same:
the driver set DRIVER_OK, sent a first frame, a DISCOVER and a REQUEST, and the lease (ACK) is
the address the program printed. Skips without /dev/kvm.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402


def main():
    vmm, image = sys.argv[1:3]
    ht.need_kvm()
    out = ht.tmpdir('guests')
    log = os.path.join(out, 'net-dhcp.debugcon')
    elog = os.path.join(out, 'net-dhcp.log')
    cmd = [vmm, '--firmware', image, '--debug-exit-port', '0xf4', '--memory', '64M',
           '--no-display', '--net', 'user', '--debugcon', log, '--log', elog,
           '--exit-after', '60', '--diagnose=json']
    status, so, se, secs = ht.run(cmd, timeout=90)
    print(f'net-dhcp: exit status {status} after {secs:.2f}s')
    text = open(log, errors='replace').read() if os.path.exists(log) else ''
    ht.check(status == 33, f'net-dhcp did not pass (status {status}; (0x20 + n) * 2 + 1 = failed '
             f'check n: 3 no link, 4 no OFFER, 5 no ACK, 6 another address): {se[-400:]}')
    m = re.search(r'lease (\d+\.\d+\.\d+\.\d+)', text)
    ht.check(m is not None, f'no lease on the debug console: {text!r}')
    lease = m.group(1)
    print(f'net-dhcp: the guest leased {lease}')
    facts = json.loads(so[so.index('{'):])['facts']
    kinds = [f['kind'] for f in facts]
    for k in ('net-backend', 'net-driver-ok', 'net-first-tx', 'net-dhcp'):
        ht.check(k in kinds, f'no {k} fact: {kinds}')
    dhcp = [f for f in facts if f['kind'] == 'net-dhcp']
    for f in dhcp:
        print(f'  net-dhcp: {f["text"]}')
    types = [f['a'] for f in dhcp]
    ht.check(1 in types and 3 in types and 2 in types and 5 in types,
             f'DISCOVER, OFFER, REQUEST and ACK not all recorded: {types}')
    ack = [f for f in dhcp if f['a'] == 5][0]
    ht.check(lease in ack['text'], f'the ACK fact says {ack["text"]!r}, the guest {lease}')
    print('PASS')


if __name__ == '__main__':
    main()
