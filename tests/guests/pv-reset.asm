; KVM's paravirtual MSRs across a reset (issue 15). Run 1 points steal time, kvmclock (both MSR
; generations), PV-EOI and async page faults at canary pages, turns poll control off, sets a debug
; breakpoint (DR0, DR7; run 2 reads them back as 0 and 0x400), checks that
; KVM did write its steal-time and clock data there, and resets through 0xCF9. Run 2 (counted in
; CMOS RAM, which survives the reset) reads every one of those MSRs back: all 0 (poll control 1,
; its power-on value), fills the canary pages with a pattern and busy-waits with exits to the
; engine (each re-entry is where KVM updates steal time): the pattern must stay. Without the reset
; of these MSRs KVM keeps writing into the pages of the kernel that enabled them.
%define REAL_MODE
%include "boot.inc"

%define MARK       0x42              ; CMOS RAM byte: runs so far
%define CANARY_SEG 0x2000            ; pages at 0x20000, 0x21000, 0x22000
%define STEAL      0x20000
%define CLOCK_NEW  0x21000
%define CLOCK_OLD  0x21040
%define PV_EOI     0x22000
%define ASYNC_PF   0x22040
%define PATTERN    0xA5C3A5C3

%macro WRMSR_ 2                      ; msr, value (low 32 bits)
    mov ecx, %1
    mov eax, %2
    xor edx, edx
    wrmsr
%endmacro

main:
    mov word [13 * 4], gp_fault - IMAGE_BASE
    mov word [13 * 4 + 2], 0xF000
    mov al, MARK
    out 0x70, al
    in al, 0x71
    cmp al, 1
    je second_run
    ja .f8
    ; KVM's paravirtual interface: signature and features (steal time, kvmclock 2, PV-EOI,
    ; async PF as interrupt, poll control)
    mov eax, 0x40000000
    cpuid
    cmp ebx, 0x4b4d564b              ; "KVMK"
    jne .f1
    mov eax, 0x40000001
    cpuid
    mov si, s_feat - IMAGE_BASE
    call print_regs
    and eax, (1 << 5) | (1 << 3) | (1 << 6) | (1 << 14) | (1 << 12)
    cmp eax, (1 << 5) | (1 << 3) | (1 << 6) | (1 << 14) | (1 << 12)
    jne .f1
    ; canary pages zeroed, then handed to KVM
    mov ax, CANARY_SEG
    mov es, ax
    xor di, di
    xor eax, eax
    mov cx, 0x3000 / 4
    rep stosd
    WRMSR_ 0x4b564d03, STEAL | 1           ; steal time
    WRMSR_ 0x4b564d01, CLOCK_NEW | 1       ; kvmclock
    WRMSR_ 0x12, CLOCK_OLD | 1             ; kvmclock, first MSR generation
    WRMSR_ 0x4b564d04, PV_EOI | 1          ; PV-EOI
    WRMSR_ 0x4b564d06, 0xEC                ; async PF vector
    WRMSR_ 0x4b564d02, ASYNC_PF | 9        ; async PF, delivered as interrupt
    WRMSR_ 0x4b564d05, 0                   ; poll control off (powers on as 1)
    mov eax, 0x12345000                    ; a debug breakpoint (never reached)
    mov dr0, eax
    mov eax, 0x00000401                    ; L0
    mov dr7, eax
    call busy_wait
    ; KVM writes there now: the steal-time and clock versions moved
    mov si, s_live - IMAGE_BASE
    call puts16
    mov eax, [es:STEAL - 0x20000 + 8]
    call puthex32
    mov al, ' '
    call putc16
    mov eax, [es:CLOCK_NEW - 0x20000]
    call puthex32
    mov al, 10
    call putc16
    cmp dword [es:STEAL - 0x20000 + 8], 0
    je .f2
    cmp dword [es:CLOCK_NEW - 0x20000], 0
    je .f2
    mov al, MARK
    out 0x70, al
    mov al, 1
    out 0x71, al
    mov si, s_reset - IMAGE_BASE
    call puts16
    mov dx, 0xCF9
    mov al, 0x02
    out dx, al
    mov al, 0x06
    out dx, al
    FAIL 3
.f1: FAIL 1
.f2: FAIL 2
.f8: FAIL 8

second_run:
    mov al, MARK
    out 0x70, al
    mov al, 2
    out 0x71, al
    ; every paravirtual MSR is back at its power-on value
    mov si, msrs - IMAGE_BASE
.next_msr:
    mov ecx, [cs:si]
    test ecx, ecx
    jz .msrs_done
    push si
    rdmsr
    mov ebx, ecx
    xor ecx, ecx
    mov si, s_msr - IMAGE_BASE
    call print_regs
    pop si
    cmp ebx, 0x4b564d05
    je .poll
    or eax, edx
    jnz .f4
    jmp .msr_ok
.poll:
    cmp eax, 1
    jne .f4
.msr_ok:
    add si, 4
    jmp .next_msr
.msrs_done:
    ; the debug registers too: DR0 0, DR7 0x400
    mov eax, dr0
    mov ebx, 0xD0
    mov edx, dr7
    xor ecx, ecx
    mov si, s_dr - IMAGE_BASE
    call print_regs
    test eax, eax
    jnz .f6
    cmp edx, 0x400
    jne .f6
    ; the canary pages are left alone
    mov ax, CANARY_SEG
    mov es, ax
    xor di, di
    mov eax, PATTERN
    mov cx, 0x3000 / 4
    rep stosd
    call busy_wait
    xor di, di
    mov eax, PATTERN
    mov cx, 0x3000 / 4
    repe scasd
    jne .f5
    mov si, s_ok - IMAGE_BASE
    call puts16
    PASS
.f4: FAIL 4
.f6: FAIL 6
.f5:
    mov si, s_touched - IMAGE_BASE
    call puts16
    mov ax, di
    movzx eax, ax
    add eax, 0x20000 - 4
    call puthex32
    mov al, 10
    call putc16
    FAIL 5

; a while of guest time with many exits to the engine (CMOS reads) and KVM re-entries
busy_wait:
    push ecx
    mov ecx, 3000
.spin:
    in al, 0x71
    dec ecx
    jnz .spin
    pop ecx
    ret

gp_fault:
    mov si, s_gp - IMAGE_BASE
    call puts16
    FAIL 9

%include "cpu.inc"
msrs: dd 0x4b564d03, 0x4b564d01, 0x4b564d00, 0x12, 0x11, 0x4b564d04, 0x4b564d02, 0x4b564d06
      dd 0x4b564d05, 0
s_feat: db "cpuid 0x40000001", 0
s_live: db "run 1: steal-time version, kvmclock version: ", 0
s_reset: db "run 1: reset through 0xCF9", 10, 0
s_msr: db "run 2: rdmsr (ebx) -> edx:eax", 0
s_dr: db "run 2: dr0 (eax), dr7 (edx)", 0
s_ok: db "pv-reset: paravirtual MSRs at power-on values, canary pages untouched", 10, 0
s_touched: db "run 2: KVM wrote into a canary page at ", 0
s_gp: db "#GP: an MSR was refused", 10, 0
%include "end.inc"
