; A guest that runs and talks (a line on COM1, a line on the debug console) but never looks at the
; display: no PCI configuration access to it, no BAR, no mode. It then waits for interrupts that
; never come (interrupts enabled, no timer programmed). The engine's timeline must show the serial
; line and nothing at all about the display; the CPU is idle, not dead (no halt-irq-off).
%include "boot.inc"
main:
    mov esi, msg
    call puts
    mov esi, line
.serial:
    lodsb
    test al, al
    jz .spin
    mov dx, 0x3F8
    out dx, al
    jmp .serial
.spin:
    sti
    hlt
    jmp .spin
msg: db "no-display: running without a display", 10, 0
line: db "no-display: hello from the guest", 13, 10, 0
%include "end.inc"
