; For the control socket test (tests/guests/control.py) and the app test (tests/app): writes
; "hello from COM1" to the serial port, sets bochs-display to 640x480x32 and then, from ring 3,
; repaints the screen for ever: every pass fills it with the colour 0x00RRGGBB = pass number *
; 0x010203, so the picture keeps changing. Between passes it polls COM1: an 'm' received switches
; the display to 800x600 at 16 bpp, painted pure red (0xF800) once, and answers "mode 16" on
; COM1; the screen then stays as it is.
%include "boot.inc"
%define VRAM 0xE0000000
%define REGS 0xE1000000
%define W 640
%define H 480
%define COM1 0x3F8
main:
    mov esi, hello
.serial:
    lodsb
    test al, al
    jz .display
    mov dx, COM1
    out dx, al
    jmp .serial
.display:
    DISPLAY_SETUP VRAM, REGS, W, H
    mov eax, user
    jmp enter_user
user:
    xor ebx, ebx                 ; pass number
.pass:
    inc ebx
    mov eax, ebx
    imul eax, eax, 0x010203
    and eax, 0x00FFFFFF
    mov edi, VRAM
    mov ecx, W * H
    ; a loop, not rep stosd: with VRAM dirty-logged, a paravirtual host emulates the whole string
    ; instruction after the first write fault, one store per microsecond
.fill:
    mov [edi], eax
    add edi, 4
    dec ecx
    jnz .fill
    ; a pause between passes, so the screen changes a few hundred times a second at most
    mov ecx, 200000
.wait:
    dec ecx
    jnz .wait
    call serial_poll
    cmp al, 'm'
    jne .pass
    ; 800x600x16, pure red
    mov word [REGS + 0x500 + 2 * 4], 0   ; ENABLE = 0
    mov word [REGS + 0x500 + 2 * 3], 16  ; BPP
    mov word [REGS + 0x500 + 2 * 1], 800 ; XRES
    mov word [REGS + 0x500 + 2 * 6], 800 ; VIRT_WIDTH
    mov word [REGS + 0x500 + 2 * 2], 600 ; YRES
    mov word [REGS + 0x500 + 2 * 7], 600 ; VIRT_HEIGHT
    mov word [REGS + 0x500 + 2 * 4], 0x41 ; ENABLE | LFB
    mov edi, VRAM
    mov ecx, 800 * 600
.red:
    mov word [edi], 0xF800
    add edi, 2
    dec ecx
    jnz .red
    mov esi, mode16
.say:
    mov al, [esi]
    test al, al
    jz .idle
    mov dx, COM1
    out dx, al
    inc esi
    jmp .say
.idle:
    call serial_poll
    jmp .idle

; reads every byte waiting on COM1; al = 'm' when one of them was an 'm', else 0
serial_poll:
    xor ah, ah
.next:
    mov dx, COM1 + 5             ; LSR
    in al, dx
    test al, 1
    jz .done
    mov dx, COM1
    in al, dx
    cmp al, 'm'
    jne .next
    mov ah, al
    jmp .next
.done:
    mov al, ah
    ret
hello: db "hello from COM1", 13, 10, 0
mode16: db "mode 16", 13, 10, 0
%include "end.inc"
