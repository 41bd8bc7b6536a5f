; Real resets, one after another: 0xCF9 (reset control register), port 0x92 (fast reset) and a
; triple fault. Each run records itself in CMOS RAM (which survives a reset) and programs the
; display's BAR2; every following run must start again at the reset vector with the devices at
; power-on state (the BAR reads 0 again). The fourth run passes.
%include "boot.inc"
%define MARK 0x41
main:
    mov al, MARK
    out 0x70, al
    in al, 0x71
    mov bl, al                   ; runs so far (CMOS RAM starts as 0)
    cmp bl, 0
    je .fresh
    mov eax, 0x80001018          ; after a reset the BAR must read 0 again
    call pci_read32
    test eax, 0xFFFFFFF0
    jnz .f2
.fresh:
    mov al, MARK
    out 0x70, al
    mov al, bl
    inc al
    out 0x71, al
    mov eax, 0x80001018
    mov ebx, 0xE1000000
    call pci_write32
    mov al, MARK
    out 0x70, al
    in al, 0x71
    cmp al, 1
    je .via_cf9
    cmp al, 2
    je .via_92
    cmp al, 3
    je .via_triple
    mov esi, msg_done
    call puts
    PASS
.via_cf9:
    mov esi, msg1
    call puts
    mov dx, 0xCF9
    mov al, 0x02
    out dx, al
    mov al, 0x06
    out dx, al
    FAIL 1
.via_92:
    mov esi, msg2
    call puts
    in al, 0x92
    or al, 1
    out 0x92, al
    FAIL 3
.via_triple:
    mov esi, msg3
    call puts
    lidt [null_idt]              ; no IDT: the fault cannot be delivered, nor the #GP, nor the #DF
    ud2
    FAIL 4
.f2: FAIL 2
null_idt: dw 0
          dd 0
msg1: db "reset: 0xCF9", 10, 0
msg2: db "reset: port 0x92", 10, 0
msg3: db "reset: triple fault", 10, 0
msg_done: db "reset: all three came back", 10, 0
%include "end.inc"
