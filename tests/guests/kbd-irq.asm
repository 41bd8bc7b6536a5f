; The PS/2 keyboard through the i8042 and IRQ 1: the program sets the controller up by polling
; (self-test, keyboard reset and identify, scan code set 2), then an IRQ 1 handler (real mode)
; reads port 0x60 and prints every byte in hex on the debug console while hako-vmm --keys types
; the same five keys (a, up, pause, print, yen) four times, in four phases, each started when the
; program says "kbd-irq ready N" on COM1:
;   [1] set 2 translated by the controller (the guest sees set 1)
;   [2] set 2 raw (translation off)
;   [3] set 1 raw (F0 01)
;   [4] set 3 raw (F0 03)
; Each phase ends when its expected number of bytes arrived; run_guest.py compares the bytes.
%define REAL_MODE
%include "boot.inc"

%define COUNT    0x500
%define PHASE1   22
%define PHASE2   29
%define PHASE3   22
%define PHASE4   15

%macro DEBUG_OUT 0                   ; al to the debug console
    push dx
    mov dx, DEBUG_PORT
    out dx, al
    pop dx
%endmacro

main:
    mov word [0x21 * 4], kbd_irq - IMAGE_BASE
    mov word [0x21 * 4 + 2], 0xF000
    ; controller: no interrupts (the power-on command byte has IRQ 1 on), both ports off, flush,
    ; self-test
    mov bl, 0x30
    call write_ctr
    mov al, 0xAD
    out 0x64, al
    mov al, 0xA7
    out 0x64, al
.flush:
    in al, 0x64
    test al, 1
    jz .flushed
    in al, 0x60
    jmp .flush
.flushed:
    mov al, 0xAA
    out 0x64, al
    call read_byte
    cmp al, 0x55
    jne fail_selftest
    ; command byte: translation, system flag, mouse off, no interrupts yet
    mov bl, 0x64
    call write_ctr
    ; keyboard reset: ACK, BAT passed
    mov al, 0xFF
    call kbd_cmd
    call read_byte
    cmp al, 0xAA
    jne fail_reset
    ; identify: MF2 keyboard, AB 83 translated to AB 41
    mov al, 0xF2
    call kbd_cmd
    call read_byte
    cmp al, 0xAB
    jne fail_id
    call read_byte
    cmp al, 0x41
    jne fail_id
    ; scan code set 2, enable
    mov al, 0xF0
    call kbd_cmd
    mov al, 0x02
    call kbd_cmd
    mov al, 0xF4
    call kbd_cmd

    ; 8259 pair (initialised now: no edge from the set-up is pending): vectors 0x20/0x28, cascade on IRQ2, 8086 mode, only IRQ1 unmasked
    PIC_VECTORS
    mov al, 0xFD
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al

    ; phase 1: translated
    mov al, '1'
    call phase_mark
    mov bl, 0x65                 ; + keyboard interrupt
    call write_ctr
    sti
    mov al, '1'
    call ready
    mov cx, PHASE1
    call wait_bytes

    ; phase 2: raw set 2
    cli
    mov al, '2'
    call phase_mark
    mov bl, 0x25
    call write_ctr
    sti
    mov al, '2'
    call ready
    mov cx, PHASE2
    call wait_bytes

    ; phase 3: raw set 1
    cli
    mov bl, 0x24
    call write_ctr
    mov al, 0xF0
    call kbd_cmd
    mov al, 0x01
    call kbd_cmd
    mov al, '3'
    call phase_mark
    mov bl, 0x25
    call write_ctr
    sti
    mov al, '3'
    call ready
    mov cx, PHASE3
    call wait_bytes

    ; phase 4: raw set 3
    cli
    mov bl, 0x24
    call write_ctr
    mov al, 0xF0
    call kbd_cmd
    mov al, 0x03
    call kbd_cmd
    mov al, '4'
    call phase_mark
    mov bl, 0x25
    call write_ctr
    sti
    mov al, '4'
    call ready
    mov cx, PHASE4
    call wait_bytes
    cli
    mov al, 10
    DEBUG_OUT
    PASS

fail_selftest:
    FAIL 1
fail_reset:
    FAIL 2
fail_id:
    FAIL 3
fail_timeout:
    FAIL 4
fail_ack:
    FAIL 5

; cx = bytes to wait for (the handler counts them)
wait_bytes:
.again:
    cli
    cmp [COUNT], cx
    jae .done
    sti                          ; the halt starts before an interrupt can come in
    hlt
    jmp .again
.done:
    sti
    ret

; al = phase digit: prints "\n[N] " and resets the count
phase_mark:
    push ax
    mov word [COUNT], 0
    mov al, 10
    DEBUG_OUT
    mov al, '['
    DEBUG_OUT
    pop ax
    DEBUG_OUT
    mov al, ']'
    DEBUG_OUT
    ret

; al = phase digit: "kbd-irq ready N" on COM1, the line hako-vmm --keys waits for
ready:
    push ax
    mov si, ready_text - IMAGE_BASE
.next:
    cs lodsb
    test al, al
    jz .digit
    call com1_out
    jmp .next
.digit:
    pop ax
    call com1_out
    mov al, 10
    call com1_out
    ret

ready_text:
    db 'kbd-irq ready ', 0

; al to COM1's transmitter (the engine's UART sends at once)
com1_out:
    push dx
    mov dx, 0x3F8
    out dx, al
    pop dx
    ret

; Returns the next byte from port 0x60 (polling); fails after a long wait.
read_byte:
    push cx
    mov cx, 0xFFFF
.poll:
    in al, 0x64
    test al, 1
    jnz .ready
    loop .poll
    jmp fail_timeout
.ready:
    in al, 0x60
    pop cx
    ret

; bl = command byte
write_ctr:
    mov al, 0x60
    out 0x64, al
    mov al, bl
    out 0x60, al
    ret

; al = byte for the keyboard; expects the ACK
kbd_cmd:
    out 0x60, al
    call read_byte
    cmp al, 0xFA
    jne fail_ack
    ret

kbd_irq:
    push ax
    push ds
    xor ax, ax
    mov ds, ax
    in al, 0x60
    inc word [COUNT]
    push ax
    mov al, ' '
    DEBUG_OUT
    pop ax
    push ax
    shr al, 4
    call hex_digit
    pop ax
    and al, 0x0F
    call hex_digit
    mov al, 0x20
    out 0x20, al
    pop ds
    pop ax
    iret

; al = 0..15: prints it as a hex digit
hex_digit:
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '0' - 10
.out:
    DEBUG_OUT
    ret
%include "end.inc"
