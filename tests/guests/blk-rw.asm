; virtio-blk from a guest program: the test driver gives an 8 MiB image whose sector s starts with
; the dword s. The program reads the capacity and sector 100, writes sectors 10-17, flushes, reads
; them back, asks for the ID, reads past the end (IOERR), then from ring 3 writes 512 4-KiB blocks
; (sector 1024 + 8i starts with 0x77000000 + i), reading each back, and flushes. The driver then
; checks the image file after the engine exited.
%include "boot.inc"
%include "blk-lib.inc"
%define BUF_A 0x200000
%define BUF_B 0x210000
%define BUF_C 0x220000
main:
    mov eax, F_FLUSH
    call blk_init
    jc .f1
    mov eax, [VBLK_BAR + 0x2000]           ; capacity (low half)
    cmp eax, 16384
    jne .f2
    mov eax, T_IN                          ; sector 100
    mov ebx, 100
    mov esi, BUF_A
    mov ecx, 512
    call blk_req
    test al, al
    jnz .f3
    cmp dword [BUF_A], 100
    jne .f3
    mov edi, BUF_B                         ; sectors 10-17
    mov eax, 0xC0DE0000
    mov ecx, 1024
    call fill_seq
    mov eax, T_OUT
    mov ebx, 10
    mov esi, BUF_B
    mov ecx, 4096
    call blk_req
    test al, al
    jnz .f4
    mov eax, T_FLUSH
    xor ebx, ebx
    xor ecx, ecx
    call blk_req
    test al, al
    jnz .f5
    mov eax, T_IN
    mov ebx, 10
    mov esi, BUF_C
    mov ecx, 4096
    call blk_req
    test al, al
    jnz .f6
    mov esi, BUF_B
    mov edi, BUF_C
    mov ecx, 1024
    repe cmpsd
    jne .f6
    mov eax, T_GET_ID
    xor ebx, ebx
    mov esi, BUF_A
    mov ecx, 20
    call blk_req
    test al, al
    jnz .f7
    cmp dword [BUF_A], 'HAKO'
    jne .f7
    mov eax, T_IN                          ; past the end: IOERR
    mov ebx, 16384
    mov esi, BUF_A
    mov ecx, 512
    call blk_req
    cmp al, 1
    jne .f8
    mov eax, user
    jmp enter_user
.f1: FAIL 1
.f2: FAIL 2
.f3: FAIL 3
.f4: FAIL 4
.f5: FAIL 5
.f6: FAIL 6
.f7: FAIL 7
.f8: FAIL 8

; ring 3: 512 write + read-back pairs, then a flush
user:
    xor ebp, ebp
.loop:
    mov edi, BUF_B
    lea eax, [ebp + 0x77000000]
    mov ecx, 1024
    call fill_seq
    mov eax, T_OUT
    lea ebx, [ebp * 8 + 1024]
    mov esi, BUF_B
    mov ecx, 4096
    call blk_req
    test al, al
    jnz .uf
    mov dword [BUF_C], 0
    mov eax, T_IN
    lea ebx, [ebp * 8 + 1024]
    mov esi, BUF_C
    mov ecx, 4096
    call blk_req
    test al, al
    jnz .uf
    lea eax, [ebp + 0x77000000]
    cmp [BUF_C], eax
    jne .uf
    cmp dword [BUF_C + 4092], 0x77000000 + 1023
    jb .uf
    inc ebp
    cmp ebp, 512
    jb .loop
    mov eax, T_FLUSH
    xor ebx, ebx
    xor ecx, ecx
    call blk_req
    test al, al
    jnz .uf
    mov al, PASS_CODE
    out EXIT_PORT, al
.hang:
    jmp .hang
.uf:
    mov al, (0x20 + 9)
    out EXIT_PORT, al
    jmp .hang
%include "end.inc"
