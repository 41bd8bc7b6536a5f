; virtio-blk throughput from ring 3 (tests/bench/blk.py): 4 KiB requests, one in flight, over the
; first 32 MiB of the disk: sequential reads, sequential writes, random reads, random writes, then
; a flush. The debug console gets "B0" before and "B1".."B5" after each phase; the benchmark
; timestamps them.
%include "boot.inc"
%include "blk-lib.inc"
%define BUF  0x200000
%define NOPS 8192                          ; 4-KiB blocks in 32 MiB
%define SEED 0x104000                      ; the random generator's state (RAM)
main:
    mov eax, F_FLUSH
    call blk_init
    jc .f1
    mov eax, user
    jmp enter_user
.f1: FAIL 1

; al = phase digit
mark:
    push eax
    mov dx, DEBUG_PORT
    mov al, 'B'
    out dx, al
    pop eax
    out dx, al
    mov al, 10
    out dx, al
    ret

; eax = type, ebp = 0 sequential / 1 random
phase:
    push eax
    xor esi, esi                           ; i
    mov dword [SEED], 12345
.next:
    mov ebx, esi
    test ebp, ebp
    jz .seq
    mov eax, [SEED]
    imul eax, eax, 1103515245
    add eax, 12345
    mov [SEED], eax
    shr eax, 8
    mov ebx, eax
.seq:
    and ebx, NOPS - 1
    shl ebx, 3                             ; sector
    mov eax, [esp]
    push esi
    mov esi, BUF
    mov ecx, 4096
    mov [BUF], ebx
    call blk_req
    pop esi
    test al, al
    jnz .bad
    inc esi
    cmp esi, NOPS
    jb .next
    pop eax
    ret
.bad:
    mov al, (0x20 + 2)
    out EXIT_PORT, al
.hang:
    jmp .hang

user:
    mov al, '0'
    call mark
    mov eax, T_IN
    xor ebp, ebp
    call phase
    mov al, '1'
    call mark
    mov eax, T_OUT
    xor ebp, ebp
    call phase
    mov al, '2'
    call mark
    mov eax, T_IN
    mov ebp, 1
    call phase
    mov al, '3'
    call mark
    mov eax, T_OUT
    mov ebp, 1
    call phase
    mov al, '4'
    call mark
    mov eax, T_FLUSH
    xor ebx, ebx
    xor ecx, ecx
    call blk_req
    test al, al
    jnz .bad
    mov al, '5'
    call mark
    mov al, PASS_CODE
    out EXIT_PORT, al
.hang:
    jmp .hang
.bad:
    mov al, (0x20 + 3)
    out EXIT_PORT, al
    jmp .hang

%include "end.inc"
