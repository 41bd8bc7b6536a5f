; What the guest reads of its CPU with --cpus 2 (issue 15): one socket of two cores with one thread
; each in CPUID leaf 0xB, the package count in leaf 1, the TSC-deadline timer (CPUID.1:ECX[24]) and
; fast strings (IA32_MISC_ENABLE bit 0). The answers come from the engine's CPUID table and KVM's
; MSR emulation even where ring 0 is emulated. Prints what it read on the debug console.
%define REAL_MODE
%include "boot.inc"

main:
    ; leaf 0xB subleaf 0: SMT level, one thread per core
    mov eax, 0xB
    xor ecx, ecx
    cpuid
    mov si, s_b0 - IMAGE_BASE
    call print_regs
    cmp bx, 1
    jne .f1
    cmp ch, 1                        ; level type SMT
    jne .f1
    ; subleaf 1: core level, two logical processors in the package
    mov eax, 0xB
    mov ecx, 1
    cpuid
    mov si, s_b1 - IMAGE_BASE
    call print_regs
    cmp bx, 2
    jne .f2
    cmp ch, 2                        ; level type core
    jne .f2
    cmp al, 1                        ; one APIC ID bit for the core
    jne .f2
    test edx, edx                    ; the BSP's x2APIC ID
    jnz .f2
    ; subleaf 2: the end
    mov eax, 0xB
    mov ecx, 2
    cpuid
    mov si, s_b2 - IMAGE_BASE
    call print_regs
    test ch, ch
    jnz .f3
    ; leaf 1: APIC ID 0, two logical processors per package (HTT), TSC deadline, hypervisor
    mov eax, 1
    cpuid
    mov si, s_1 - IMAGE_BASE
    call print_regs
    mov eax, ebx
    shr eax, 16
    cmp ax, 0x0002                   ; APIC ID 0 in 31:24, count 2 in 23:16
    jne .f4
    bt edx, 28
    jnc .f4
    bt ecx, 24
    jnc .f5
    bt ecx, 31
    jnc .f5
    ; IA32_MISC_ENABLE: fast strings
    mov ecx, 0x1A0
    rdmsr
    mov ebx, 0x1A0
    xor ecx, ecx
    mov si, s_msr - IMAGE_BASE
    call print_regs
    test al, 1
    jz .f6
    mov si, s_ok - IMAGE_BASE
    call puts16
    PASS
.f1: FAIL 1
.f2: FAIL 2
.f3: FAIL 3
.f4: FAIL 4
.f5: FAIL 5
.f6: FAIL 6

%include "cpu.inc"
s_b0: db "cpuid 0xb.0", 0
s_b1: db "cpuid 0xb.1", 0
s_b2: db "cpuid 0xb.2", 0
s_1: db "cpuid 0x1.0", 0
s_msr: db "rdmsr (ebx) -> edx:eax", 0
s_ok: db "cpu-topology: one socket, two cores; TSC deadline; fast strings", 10, 0
%include "end.inc"
