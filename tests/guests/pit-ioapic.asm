; An interrupt from the in-kernel PIT through the in-kernel IOAPIC and LAPIC: the PIT's IRQ0 arrives
; on IOAPIC pin 2 (the MADT's override), routed to vector 0x30; the 8259s are masked. The LAPIC and
; IOAPIC are reached from real mode through FS with a 4 GiB limit.
%define REAL_MODE
%include "boot.inc"
%define LAPIC  0xFEE00000
%define IOAPIC 0xFEC00000
main:
    mov word [0x30 * 4], tick - IMAGE_BASE
    mov word [0x30 * 4 + 2], 0xF000
    mov al, 0xFF                 ; mask both PICs
    out 0x21, al
    out 0xA1, al
    mov dword [fs:dword LAPIC + 0xF0], 0x1FF       ; software enable, spurious vector 0xFF
    mov dword [fs:dword IOAPIC], 0x10 + 2 * 2      ; redirection entry for pin 2, low half
    mov dword [fs:dword IOAPIC + 0x10], 0x30       ; vector 0x30, fixed, edge, high, unmasked
    mov dword [fs:dword IOAPIC], 0x10 + 2 * 2 + 1
    mov dword [fs:dword IOAPIC + 0x10], 0          ; destination APIC 0
    mov al, 0x34
    out 0x43, al
    mov al, 0xA9
    out 0x40, al
    mov al, 0x04
    out 0x40, al
    sti
.wait:
    hlt
    cmp word [0x500], 10
    jb .wait
    cli
    PASS
tick:
    push ds
    push ax
    xor ax, ax
    mov ds, ax
    inc word [0x500]
    mov dword [fs:dword LAPIC + 0xB0], 0           ; EOI
    pop ax
    pop ds
    iret
%include "end.inc"
