; Port I/O round trips: PCI CONFIG_ADDRESS reads back what was written, the host bridge's IDs read
; through CONFIG_DATA, CMOS RAM keeps a byte, an unclaimed port reads all ones, the debug console
; signature is 0xE9; then a string on the debug console.
%include "boot.inc"
main:
    mov dx, 0xCF8
    mov eax, 0x80000000
    out dx, eax
    in eax, dx
    cmp eax, 0x80000000
    jne .f1
    mov dx, 0xCFC
    in eax, dx
    cmp eax, 0x12378086          ; i440FX
    jne .f2
    mov eax, 0x80000800          ; 00:01.0 PIIX3
    call pci_read32
    cmp eax, 0x70008086
    jne .f3
    mov al, 0x40                 ; CMOS RAM byte 0x40
    out 0x70, al
    mov al, 0x5A
    out 0x71, al
    mov al, 0x40
    out 0x70, al
    in al, 0x71
    cmp al, 0x5A
    jne .f4
    mov dx, 0x2F0                ; nothing lives here
    in eax, dx
    cmp eax, 0xFFFFFFFF
    jne .f5
    mov dx, 0x402
    in al, dx
    cmp al, 0xE9
    jne .f6
    mov esi, msg
    call puts
    PASS
.f1: FAIL 1
.f2: FAIL 2
.f3: FAIL 3
.f4: FAIL 4
.f5: FAIL 5
.f6: FAIL 6
msg: db "portio: ok", 10, 0
%include "end.inc"
