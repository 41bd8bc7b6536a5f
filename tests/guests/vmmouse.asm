; The vmmouse backdoor (port 0x5658, arguments and results in the general registers) as the Linux
; driver uses it: GETVERSION, ENABLE, STATUS, DATA (the version word), REQUEST_ABSOLUTE — from
; ring 0 (run by KVM's instruction emulator on hosts that emulate ring-0 code) and from ring 3
; (native), plus the accesses that are not backdoor calls (a byte IN, no magic number), which
; must read as an unclaimed port without touching the other registers.
%include "boot.inc"

%define MAGIC   0x564D5868
%define PORT    0x5658

%macro BACKDOOR 2                    ; command, argument -> eax, ebx, ecx, edx
    mov eax, MAGIC
    mov ebx, %2
    mov ecx, %1
    mov edx, PORT
    mov esi, 0x51515151
    mov edi, 0xD1D1D1D1
    in eax, dx
%endmacro

%macro EXPECT 3                      ; register, value, failure number
    cmp %1, %2
    jne fail%3
%endmacro

main:
    BACKDOOR 10, 0                   ; GETVERSION
    EXPECT ebx, MAGIC, 1
    EXPECT eax, 6, 2
    EXPECT esi, 0x51515151, 3        ; untouched
    EXPECT edi, 0xD1D1D1D1, 3
    BACKDOOR 40, 0                   ; STATUS while disabled: the error value
    EXPECT eax, 0xFFFF0000, 4
    BACKDOOR 41, 0x45414552          ; ENABLE
    BACKDOOR 40, 0
    EXPECT eax, 1, 5                 ; the version word is queued
    BACKDOOR 39, 1                   ; DATA, one word
    EXPECT eax, 0x3442554A, 6
    BACKDOOR 41, 0x53424152          ; REQUEST_ABSOLUTE
    ; not backdoor calls: a byte IN keeps AH and the rest of EAX; a wrong magic leaves EBX
    mov eax, 0x12345678
    mov dx, PORT
    in al, dx
    EXPECT eax, 0x123456FF, 7
    mov eax, 0x11111111
    mov ebx, 0x22222222
    mov ecx, 10
    in eax, dx
    EXPECT eax, 0xFFFFFFFF, 8
    EXPECT ebx, 0x22222222, 8
    mov eax, user
    jmp enter_user

    bits 32
user:
    BACKDOOR 40, 0                   ; STATUS from ring 3: enabled, nothing queued
    EXPECT eax, 0, 9
    BACKDOOR 10, 0
    EXPECT ebx, MAGIC, 10
    EXPECT edi, 0xD1D1D1D1, 10
    mov al, PASS_CODE
    out EXIT_PORT, al
.spin:
    jmp .spin

fail1:
    FAIL 1
fail2:
    FAIL 2
fail3:
    FAIL 3
fail4:
    FAIL 4
fail5:
    FAIL 5
fail6:
    FAIL 6
fail7:
    FAIL 7
fail8:
    FAIL 8
fail9:                               ; ring 3 cannot halt: report and spin
    mov al, 0x29
    out EXIT_PORT, al
    jmp fail9
fail10:
    mov al, 0x2A
    out EXIT_PORT, al
    jmp fail10
%include "end.inc"
