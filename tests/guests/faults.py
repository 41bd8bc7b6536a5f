#!/usr/bin/env python3
"""Results the engine used to ignore: a host call that fails is reported, once, and stops the VM.

usage: faults.py HAKO_VMM RESET_IMAGE HALT_IMAGE

A seccomp filter, installed in the engine's process before it starts, makes one call fail with
EINVAL; the guest that needs it runs; the engine must say which call failed, in one line, and
end (it used to go on as if nothing happened):
  KVM_SET_MSRS                        writing the vCPU's power-on MSRs when it is created (the
                                      call failing, not KVM refusing one MSR): exit status 1
  KVM_SET_VCPU_EVENTS                 restoring a vCPU's power-on state at a reset (the reset
                                      guest resets three times): exit status 3; the message
                                      used to be one warning with whatever errno came last, and
                                      the VM ran on
  epoll_wait                          the event loop (a guest that halts and waits); it used to
                                      end quietly with status 0
"""
import ctypes
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

NR_IOCTL, NR_EPOLL_WAIT, NR_EPOLL_PWAIT, NR_EPOLL_PWAIT2 = 16, 232, 281, 441  # x86_64
KVM_SET_MSRS = 0x4008AE89
KVM_SET_VCPU_EVENTS = 0x4040AEA0
EINVAL = 22
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06


def insn(code, jt, jf, k):
    return struct.pack('<HBBI', code, jt, jf, k)


def filter_for(syscalls, ioctl_cmd=None):
    """BPF: fail the listed system calls (or ioctl with this command) with EINVAL."""
    prog = [insn(LD_W_ABS, 0, 0, 0)]  # the system call number
    if ioctl_cmd is not None:
        prog += [insn(JEQ_K, 0, 3, NR_IOCTL),
                 insn(LD_W_ABS, 0, 0, 24),  # args[1], low 32 bits: the ioctl command
                 insn(JEQ_K, 0, 1, ioctl_cmd),
                 insn(RET_K, 0, 0, RET_ERRNO | EINVAL)]
    else:
        n = len(syscalls)
        for i, nr in enumerate(syscalls):
            prog.append(insn(JEQ_K, n - i, 0, nr))  # to the EINVAL return after the list
        prog.append(insn(RET_K, 0, 0, RET_ALLOW))
        prog.append(insn(RET_K, 0, 0, RET_ERRNO | EINVAL))
        return b''.join(prog), len(prog)
    prog.append(insn(RET_K, 0, 0, RET_ALLOW))
    return b''.join(prog), len(prog)


def run_with_filter(cmd, code, count, timeout=90):
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(code)

    class Fprog(ctypes.Structure):
        _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]

    prog = Fprog(count, ctypes.addressof(buf))

    def pre():
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
                libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
            os._exit(77)

    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                       preexec_fn=pre)
    return p.returncode, p.stdout, p.stderr


def expect_failure(label, cmd, code, count, words, want_status=3):
    status, so, se = run_with_filter(cmd, code, count)
    if status == 77:
        print('SKIP: seccomp filters cannot be installed here')
        sys.exit(77)
    lines = [line for line in se.splitlines() if line.strip()]
    print(f'{label}: exit status {status}')
    for line in lines:
        print('   ', line)
    ht.check(status == want_status, f'{label}: exit status {status}, expected {want_status}')
    hits = [line for line in lines if all(w in line for w in words)]
    ht.check(len(hits) == 1, f'{label}: {len(hits)} lines name {words}, expected exactly 1')


def main():
    vmm, reset_image, halt_image = sys.argv[1:4]
    ht.need_kvm()
    if os.uname().machine != 'x86_64':
        print('SKIP: the filter is written for x86_64 system call numbers')
        sys.exit(77)
    base = ['--debug-exit-port', '0xf4', '--exit-after', '60', '--memory', '64M', '--no-display']
    reset = [vmm, '--firmware', reset_image] + base
    code, n = filter_for(None, KVM_SET_MSRS)
    expect_failure('KVM_SET_MSRS fails', reset, code, n,
                   ['power-on MSRs', 'KVM_SET_MSRS', 'Invalid argument'], want_status=1)
    code, n = filter_for(None, KVM_SET_VCPU_EVENTS)
    expect_failure('KVM_SET_VCPU_EVENTS fails at a reset', reset, code, n,
                   ['restoring the power-on state', 'KVM_SET_VCPU_EVENTS'])
    code, n = filter_for([NR_EPOLL_WAIT, NR_EPOLL_PWAIT, NR_EPOLL_PWAIT2])
    expect_failure('epoll_wait fails', [vmm, '--firmware', halt_image] + base, code, n,
                   ['event loop failed', 'epoll_wait'])
    print('PASS')


main()
