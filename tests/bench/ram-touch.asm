; Touches guest RAM from 16 MiB to 80 MiB (one write per 4 KiB page: 32 huge-page-sized regions),
; says so on the debug console, then idles (HLT with interrupts on and no interrupt source). The
; hugepages benchmark reads how much of that the host backs with transparent huge pages.
%include "boot.inc"
%define TOUCH_START 0x01000000
%define TOUCH_END   0x05000000
main:
    mov edi, TOUCH_START
.touch:
    mov byte [edi], 1
    add edi, 4096
    cmp edi, TOUCH_END
    jb .touch
    mov esi, msg
    call puts
    sti
.idle:
    hlt
    jmp .idle
msg: db "ram-touch: 64 MiB touched", 10, 0
%include "end.inc"
