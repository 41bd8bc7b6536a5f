; MMIO: program the display's BAR2, read the DISPI ID (0xB0C5) and VIDEO_MEMORY_64K through it,
; write XRES and read it back; read unclaimed MMIO (all ones); write into the hole below the BAR.
%include "boot.inc"
%define BAR2 0xE1000000
main:
    mov eax, 0x80001018          ; 00:02.0 BAR2
    mov ebx, BAR2
    call pci_write32
    mov eax, 0x80001004          ; command: memory space
    mov ebx, 0x0002
    call pci_write32
    movzx eax, word [BAR2 + 0x500]
    cmp eax, 0xB0C5
    jne .f1
    movzx eax, word [BAR2 + 0x500 + 2 * 10]
    cmp eax, 256                 ; 16 MiB in 64 KiB units
    jne .f2
    mov word [BAR2 + 0x500 + 2 * 1], 1024
    movzx eax, word [BAR2 + 0x500 + 2 * 1]
    cmp eax, 1024
    jne .f3
    mov eax, [BAR2 + 0x604]      ; QEMU extension: byte order, little endian
    cmp eax, 0x1e1e1e1e
    jne .f4
    mov eax, [0xE2000000]        ; nothing here
    cmp eax, 0xFFFFFFFF
    jne .f5
    mov dword [0xE2000000], 0x12345678 ; dropped
    mov al, [BAR2]               ; EDID header byte 1 is 0xFF
    mov al, [BAR2 + 1]
    cmp al, 0xFF
    jne .f6
    PASS
.f1: FAIL 1
.f2: FAIL 2
.f3: FAIL 3
.f4: FAIL 4
.f5: FAIL 5
.f6: FAIL 6
%include "end.inc"
