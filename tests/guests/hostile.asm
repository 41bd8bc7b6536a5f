; A misbehaving guest: fw_cfg DMA with descriptors and targets outside guest memory, BARs at silly
; places (over RAM, over the firmware, being sized), out-of-range DISPI values, and a sweep over
; every I/O port. The engine must refuse each quietly and keep running; the program then checks
; that the devices still work and passes.
%include "boot.inc"
%define DESC 0x9000
%define VRAM 0xE0000000
%define REGS 0xE1000000

; fw_cfg DMA with the descriptor at guest address %1 (high half 0)
%macro DMA 1
    mov dx, 0x514
    xor eax, eax
    out dx, eax
    mov eax, %1
    bswap eax
    mov dx, 0x518
    out dx, eax
%endmacro

; descriptor: control %1, length %2, address %3 (all big-endian in memory)
%macro DESCRIPTOR 3
    mov eax, %1
    bswap eax
    mov [DESC], eax
    mov eax, %2
    bswap eax
    mov [DESC + 4], eax
    mov dword [DESC + 8], 0
    mov eax, %3
    bswap eax
    mov [DESC + 12], eax
%endmacro

main:
    ; 1. descriptor outside guest memory
    DMA 0xF0000000
    DMA 0xFFFFFFF0
    ; 2. read the signature into the firmware ROM (read-only): error bit
    DESCRIPTOR 0x0000000A, 4, 0xFFFF0000
    DMA DESC
    mov eax, [DESC]
    bswap eax
    test eax, 1
    jz .f1
    ; 3. select key 0 and read 4 GiB - 1 bytes from 1 MiB: zeros until RAM ends, then an error
    DESCRIPTOR 0x0000000A, 0xFFFFFFFF, 0x00100000
    DMA DESC
    mov eax, [DESC]
    bswap eax
    test eax, 1
    jz .f2
    ; 4. a sane DMA still works afterwards: the signature "QEMU"
    DESCRIPTOR 0x0000000A, 4, 0x9100
    DMA DESC
    cmp dword [0x9100], 'QEMU'
    jne .f3
    ; 5. a key that does not exist reads as nothing
    mov dx, 0x510
    mov ax, 0x7FFF
    out dx, ax
    mov dx, 0x511
    in al, dx
    test al, al
    jnz .f4

    ; 6. BARs at silly places
    mov eax, 0x80001004          ; memory decoding on
    mov ebx, 0x0002
    call pci_write32
    mov eax, 0x80001010          ; VRAM over guest RAM (16 MiB)
    mov ebx, 0x01000000
    call pci_write32
    mov eax, 0x80001010          ; VRAM over the firmware
    mov ebx, 0xFF000000
    call pci_write32
    mov eax, 0x80001010          ; being sized: all ones
    mov ebx, 0xFFFFFFFF
    call pci_write32
    mov eax, 0x80001010
    call pci_read32
    cmp eax, 0xFF000008          ; 16 MiB, prefetchable
    jne .f5
    mov eax, 0x80001018          ; registers inside the VRAM's window... then real places
    mov ebx, 0xFF000000
    call pci_write32
    mov eax, 0x80001030          ; ROM enabled on top of the registers
    mov ebx, 0xFF000001
    call pci_write32
    mov eax, 0x80001030
    mov ebx, 0
    call pci_write32
    mov eax, 0x80001010
    mov ebx, VRAM
    call pci_write32
    mov eax, 0x80001018
    mov ebx, REGS
    call pci_write32
    mov dword [VRAM + 0x100], 0xCAFEF00D
    cmp dword [VRAM + 0x100], 0xCAFEF00D
    jne .f6
    cmp word [REGS + 0x500], 0xB0C5
    jne .f7

    ; 7. DISPI values out of range, then a screenshot must still be possible (the test takes one)
    mov word [REGS + 0x500 + 2 * 1], 0xFFFF
    mov word [REGS + 0x500 + 2 * 2], 0xFFFF
    mov word [REGS + 0x500 + 2 * 3], 0x00FF
    mov word [REGS + 0x500 + 2 * 6], 0xFFFF
    mov word [REGS + 0x500 + 2 * 8], 0xFFFF
    mov word [REGS + 0x500 + 2 * 9], 0xFFFF
    mov word [REGS + 0x500 + 2 * 4], 0xFFFF
    mov word [REGS + 0x500 + 2 * 3], 32        ; valid depth, absurd size and pan
    mov word [REGS + 0x500 + 2 * 0x7F], 0x1234 ; past the last register
    mov dword [REGS + 0xFFC], 0xFFFFFFFF       ; end of the register BAR
    mov byte [REGS + 0x501], 0x55              ; half of the ID register

    ; 8. every I/O port read, and written with 0 except the debug exit, PCI and fw_cfg ports
    xor edx, edx
.rd:
    in al, dx
    inc edx
    cmp edx, 0x10000
    jb .rd
    mov edx, 0x100
.wr:
    cmp edx, 0xCF8
    jb .w1
    cmp edx, 0xCFF
    jbe .skip
.w1:
    cmp edx, 0x510
    jb .w2
    cmp edx, 0x51B
    jbe .skip
.w2:
    xor eax, eax
    out dx, al
.skip:
    inc edx
    cmp edx, 0x10000
    jb .wr

    ; still alive, and the display still answers
    cmp word [REGS + 0x500], 0xB0C5
    jne .f8
    PASS
.f1: FAIL 1
.f2: FAIL 2
.f3: FAIL 3
.f4: FAIL 4
.f5: FAIL 5
.f6: FAIL 6
.f7: FAIL 7
.f8: FAIL 8
%include "end.inc"
