; A pending NMI does not survive a reset (issue 15). Run 1 enables its local APIC and sends itself
; an NMI; in the NMI handler (NMIs now blocked) it sends itself a second one, which stays pending,
; and resets through 0xCF9. Run 2 (counted in CMOS RAM) finds the same handler in the interrupt
; vector table (RAM survives a reset) and waits: the handler must not run again, as it did (at the
; first instruction after the reset) while the engine restored the vCPU events without
; KVM_VCPUEVENT_VALID_NMI_PENDING.
%define REAL_MODE
%include "boot.inc"

%define MARK     0x43                ; CMOS RAM byte: runs so far
%define APIC     0xFEE00000
%define TAKEN    0x600               ; RAM byte: NMIs the handler took (RAM survives the reset)

main:
    mov al, MARK
    out 0x70, al
    in al, 0x71
    cmp al, 1
    je .second
    ja .f3
    mov byte [TAKEN], 0
    mov word [2 * 4], nmi - IMAGE_BASE
    mov word [2 * 4 + 2], 0xF000
    mov al, MARK
    out 0x70, al
    mov al, 1
    out 0x71, al
    mov eax, [fs:dword APIC + 0xF0]  ; spurious vector register: APIC software-enabled
    or eax, 0x1FF
    mov [fs:dword APIC + 0xF0], eax
    call send_nmi
    mov ecx, 100000                  ; the NMI arrives in here
.wait1:
    dec ecx
    jnz .wait1
    FAIL 1                           ; it never came
.second:
    mov si, s_run2 - IMAGE_BASE
    call puts16
    mov ecx, 50000                   ; a pending NMI would be taken right away
.wait2:
    in al, 0x71
    dec ecx
    jnz .wait2
    mov si, s_ok - IMAGE_BASE
    call puts16
    PASS
.f3: FAIL 3

; NMI to this processor (APIC ID 0, physical destination, no shorthand)
send_nmi:
    mov dword [fs:dword APIC + 0x310], 0
    mov dword [fs:dword APIC + 0x300], 0x00000400
    ret

nmi:
    cmp byte [TAKEN], 0              ; the second NMI, delivered after the reset
    jne .after_reset
    mov byte [TAKEN], 1
    mov si, s_nmi - IMAGE_BASE
    call puts16
    call send_nmi                    ; blocked: stays pending
    mov si, s_reset - IMAGE_BASE
    call puts16
    mov dx, 0xCF9
    mov al, 0x02
    out dx, al
    mov al, 0x06
    out dx, al
    FAIL 4
.after_reset:
    mov si, s_late - IMAGE_BASE
    call puts16
    FAIL 2

%include "cpu.inc"
s_nmi: db "run 1: NMI taken; a second one left pending", 10, 0
s_reset: db "run 1: reset through 0xCF9 inside the NMI handler", 10, 0
s_run2: db "run 2: waiting for a stale NMI", 10, 0
s_late: db "run 2: the NMI pending before the reset was delivered after it", 10, 0
s_ok: db "nmi-reset: no NMI survived the reset", 10, 0
%include "end.inc"
