; The framebuffer from ring 3: program bochs-display (BAR0 VRAM at 0xE0000000, BAR2 registers at
; 0xE1000000), set 640x480x32, then a CPL3 loop paints pixel (x, y) = R x&0xFF, G y&0xFF, B 0x5A,
; and exits through the debug exit port. The test looks for the pattern in the screenshot.
%include "boot.inc"
%define VRAM 0xE0000000
%define REGS 0xE1000000
%define W 640
%define H 480
main:
    DISPLAY_SETUP VRAM, REGS, W, H
    mov eax, user
    jmp enter_user
user:
    mov edi, VRAM
    xor edx, edx                 ; y
.row:
    xor ecx, ecx                 ; x
.col:
    mov eax, ecx
    and eax, 0xFF
    shl eax, 16
    mov ebx, edx
    and ebx, 0xFF
    shl ebx, 8
    or eax, ebx
    or eax, 0x5A
    mov [edi], eax
    add edi, 4
    inc ecx
    cmp ecx, W
    jb .col
    inc edx
    cmp edx, H
    jb .row
    mov al, PASS_CODE
    out EXIT_PORT, al
.hang:
    jmp .hang
%include "end.inc"
