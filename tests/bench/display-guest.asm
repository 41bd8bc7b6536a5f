; The display benchmark's guest (tests/bench/display.py): bochs-display at 1280x800x32, then from
; ring 3 it repaints the whole framebuffer as fast as it can, every pass a different colour
; (x + y + pass). Assembled with -DSTATIC it paints one picture and halts for good (sysenter back
; to ring 0, cli, hlt): a static screen.
%include "boot.inc"
%define VRAM 0xE0000000
%define REGS 0xE1000000
%define W 1280
%define H 800
main:
    DISPLAY_SETUP VRAM, REGS, W, H
    ; sysenter from ring 3 lands in `halt` on the kernel stack
    mov ecx, 0x175               ; IA32_SYSENTER_ESP
    mov eax, 0x7F000
    xor edx, edx
    wrmsr
    mov ecx, 0x176               ; IA32_SYSENTER_EIP
    mov eax, halt
    xor edx, edx
    wrmsr
    mov eax, user
    jmp enter_user
halt:
    cli
    hlt
    jmp halt
user:
    xor esi, esi                 ; pass
.pass:
    mov edi, VRAM
    xor edx, edx                 ; y
.row:
    mov eax, edx
    add eax, esi
    imul eax, eax, 0x00010101    ; grey level (x + y + pass) in every channel
    xor ecx, ecx                 ; x
.col:
    mov [edi], eax
    add eax, 0x00010101
    add edi, 4
    inc ecx
    cmp ecx, W
    jb .col
    inc edx
    cmp edx, H
    jb .row
%ifdef STATIC
    sysenter
%endif
    add esi, 3
    jmp .pass
%include "end.inc"
