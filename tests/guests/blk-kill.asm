; A flushed write survives kill -9: writes sectors 200-207 (dwords 0xDEAD0000, 0xDEAD0001, ...),
; flushes, says "FLUSHED" on the debug console and spins in ring 3 until the test driver kills the
; engine with SIGKILL and looks at the image file.
%include "boot.inc"
%include "blk-lib.inc"
%define BUF_A 0x200000
main:
    mov eax, F_FLUSH
    call blk_init
    jc .f1
    mov edi, BUF_A
    mov eax, 0xDEAD0000
    mov ecx, 1024
    call fill_seq
    mov eax, T_OUT
    mov ebx, 200
    mov esi, BUF_A
    mov ecx, 4096
    call blk_req
    test al, al
    jnz .f2
    mov eax, T_FLUSH
    xor ebx, ebx
    xor ecx, ecx
    call blk_req
    test al, al
    jnz .f3
    mov esi, flushed
    call puts
    mov eax, user
    jmp enter_user
.f1: FAIL 1
.f2: FAIL 2
.f3: FAIL 3
user:
    pause
    jmp user
flushed: db "FLUSHED", 10, 0
%include "end.inc"
