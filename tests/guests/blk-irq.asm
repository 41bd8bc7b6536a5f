; virtio-blk completions as interrupts. INTx: the guest routes PIRQD (00:04.0 INTA) to IRQ 11,
; level-triggered on the 8259s, and halts until the completion interrupt arrives on vector 0x2B;
; reading ISR returns bit 0 once. MSI-X: the guest enables the LAPIC, programs MSI-X table entry 0
; (vector 0x50), points queue 0 at it and halts until the message arrives; ISR stays 0.
; Handlers never return (protected-mode IRET cannot be emulated here): they reset the stack and
; go on with the next step.
%include "boot.inc"
%include "blk-lib.inc"
%define BUF_A    0x200000
%define MSIX_BAR 0xE0110000
%define LAPIC    0xFEE00000
main:
    mov eax, F_FLUSH
    call blk_init
    jc .f1
    mov ecx, 0x2B
    mov eax, on_intx
    call idt_set
    mov ecx, 0x50
    mov eax, on_msi
    call idt_set
    ; 8259s: vectors 0x20/0x28, only IRQ2 (cascade) and IRQ11 open; IRQ11 level-triggered
    PIC_VECTORS
    mov al, 0xFB
    out 0x21, al
    mov al, 0xF7
    out 0xA1, al
    mov dx, 0x4D1
    mov al, 0x08
    out dx, al
    ; PIIX3 PIRQA-D -> IRQ 11
    mov eax, 0x80000860
    mov ebx, 0x0B0B0B0B
    call pci_write32
    mov word [Q_AVAIL], 0                  ; interrupts wanted
    mov esi, BUF_A
    call blk_read7
    jc .f2
    sti
    hlt
    FAIL 3                                 ; woke up without the interrupt
.f1: FAIL 1
.f2: FAIL 2

on_intx:
    mov esp, 0x80000
    mov al, [VBLK_BAR + 0x1000]            ; ISR: queue interrupt, and the line goes low
    cmp al, 1
    jne .f4
    mov al, [VBLK_BAR + 0x1000]
    test al, al
    jnz .f5
    mov al, 0x20                           ; EOI slave and master
    out 0xA0, al
    out 0x20, al
    jmp msix_phase
.f4: FAIL 4
.f5: FAIL 5

msix_phase:
    mov al, 0xFF                           ; 8259s off
    out 0x21, al
    out 0xA1, al
    mov dword [LAPIC + 0xF0], 0x1FF        ; LAPIC on
    mov eax, 0x80002014                    ; BAR1: the MSI-X table
    mov ebx, MSIX_BAR
    call pci_write32
    mov dword [MSIX_BAR + 0], LAPIC        ; entry 0: to APIC 0, vector 0x50
    mov dword [MSIX_BAR + 4], 0
    mov dword [MSIX_BAR + 8], 0x50
    mov dword [MSIX_BAR + 12], 0           ; unmasked
    mov eax, 0x80002034                    ; find the MSI-X capability
    call pci_read32
    and eax, 0xFC
.cap:
    test eax, eax
    jz .f6
    mov esi, eax
    or eax, 0x80002000
    call pci_read32
    cmp al, 0x11
    je .found
    movzx eax, ah
    and eax, 0xFC
    jmp .cap
.found:
    mov ebx, eax
    or ebx, 0x80000000                     ; MSI-X enable
    mov eax, esi
    or eax, 0x80002000
    call pci_write32
    mov word [VBLK_BAR + 0x16], 0          ; queue 0 -> vector 0
    mov word [VBLK_BAR + 0x1A], 0
    cmp word [VBLK_BAR + 0x1A], 0
    jne .f7
    mov esi, BUF_A
    call blk_read7
    jc .f8
    sti
    hlt
    FAIL 9
.f6: FAIL 6
.f7: FAIL 7
.f8: FAIL 8

on_msi:
    mov esp, 0x80000
    mov al, [VBLK_BAR + 0x1000]            ; MSI-X: no ISR bit
    test al, al
    jnz .f10
    mov dword [LAPIC + 0xB0], 0            ; EOI
    PASS
.f10: FAIL 10

%include "end.inc"
