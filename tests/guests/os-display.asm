; An "operating system" that drives the display as Linux's bochs DRM driver does (a mode set, the
; byte-order register 0x604 written, then drawing), and then spins in ring 3 without touching a
; device. The vCPU watch leaves such a guest alone: no cpu-spin fact (it pauses every vCPU once a
; second for as long as it samples; the screen now speaks for itself).
%include "boot.inc"
%define VRAM 0xE0000000
%define REGS 0xE1000000
main:
    DISPLAY_SETUP VRAM, REGS, 640, 480
    mov dword [REGS + 0x604], 0x1e1e1e1e ; byte order: little endian (the OS driver's mark)
    mov eax, user
    jmp enter_user
user:
    mov edi, VRAM
    mov ecx, 640 * 16
.fill:
    mov dword [edi], 0x00FFFFFF
    add edi, 4
    dec ecx
    jnz .fill
.spin:
    jmp .spin
%include "end.inc"
