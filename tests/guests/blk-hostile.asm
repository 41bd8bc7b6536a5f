; A hostile virtio-blk driver: a descriptor chain that loops, then a driver ring index that jumps
; past the queue size. Each time the device must flag DEVICE_NEEDS_RESET (status bit 0x40) and
; complete nothing, the engine must go on running, and after a reset the disk must work again.
%include "boot.inc"
%include "blk-lib.inc"
%define BUF_A 0x200000
main:
    mov eax, F_FLUSH
    call blk_init
    jc .f1
    ; descriptor 0 -> 0 -> 0 ...
    mov dword [Q_DESC + 0], REQ_HDR
    mov dword [Q_DESC + 8], 16
    mov word [Q_DESC + 12], 1              ; NEXT
    mov word [Q_DESC + 14], 0              ; to itself
    mov word [Q_AVAIL + 4], 0
    mov word [Q_AVAIL + 2], 1
    mov word [VBLK_BAR + 0x3000], 0
    call wait_needs_reset
    jc .f2
    cmp word [Q_USED + 2], 0
    jne .f3
    ; recover, then a driver index 100 entries ahead in a queue of 16
    mov eax, F_FLUSH
    call blk_init
    jc .f4
    mov esi, BUF_A
    call blk_read7
    jc .f5
    mov word [Q_AVAIL + 2], 101
    mov word [VBLK_BAR + 0x3000], 0
    call wait_needs_reset
    jc .f6
    mov eax, F_FLUSH
    call blk_init
    jc .f7
    mov esi, BUF_A
    call blk_read7
    jc .f8
    PASS
.f1: FAIL 1
.f2: FAIL 2
.f3: FAIL 3
.f4: FAIL 4
.f5: FAIL 5
.f6: FAIL 6
.f7: FAIL 7
.f8: FAIL 8

; CF clear once the device status has NEEDS_RESET (a bounded wait)
wait_needs_reset:
    mov ecx, 200000
.poll:
    test byte [VBLK_BAR + 0x14], 0x40
    jnz .yes
    dec ecx
    jnz .poll
    stc
    ret
.yes:
    clc
    ret

%include "end.inc"
