; An interrupt from the in-kernel PIT through the in-kernel 8259 PIC: IRQ0 at 1 kHz on vector 0x20,
; ten ticks counted by a real-mode handler while the CPU halts.
%define REAL_MODE
%include "boot.inc"
main:
    mov word [0x20 * 4], tick - IMAGE_BASE
    mov word [0x20 * 4 + 2], 0xF000
    ; 8259 pair: vectors 0x20/0x28, cascade on IRQ2, 8086 mode
    PIC_VECTORS
    mov al, 0xFE                 ; only IRQ0
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al
    ; PIT channel 0, mode 2, 1193 -> ~1 kHz
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
    mov al, 0x20
    out 0x20, al
    pop ax
    pop ds
    iret
%include "end.inc"
