; A real reset through 0xCF9: the first run programs the display's BAR2 and records itself in CMOS
; RAM (which survives a reset), then writes 0x06 to 0xCF9. The second run must start again at the
; reset vector with the CPU and devices at power-on state: the BAR reads 0 again and the CMOS byte
; says we have been here.
%include "boot.inc"
main:
    mov al, 0x41
    out 0x70, al
    in al, 0x71
    cmp al, 0xA5
    je .second
    mov al, 0x41
    out 0x70, al
    mov al, 0xA5
    out 0x71, al
    mov eax, 0x80001018
    mov ebx, 0xE1000000
    call pci_write32
    mov esi, msg1
    call puts
    mov dx, 0xCF9
    mov al, 0x02
    out dx, al
    mov al, 0x06
    out dx, al
    FAIL 1                        ; the reset did not happen
.second:
    mov eax, 0x80001018
    call pci_read32
    test eax, 0xFFFFFFF0
    jnz .f2
    mov esi, msg2
    call puts
    PASS
.f2: FAIL 2
msg1: db "reset: first run", 10, 0
msg2: db "reset: second run", 10, 0
%include "end.inc"
