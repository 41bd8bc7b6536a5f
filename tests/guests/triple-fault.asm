; A guest that crashes the way a broken kernel does: it loads an empty interrupt table and raises
; an invalid opcode. The #UD cannot be delivered (#GP), neither can the #GP (#DF), nor the double
; fault: the CPU shuts down (triple fault), which is a full reset on a PC. The program then runs
; again from the reset vector and crashes again - a reset loop. The engine must record the triple
; fault with the address of the faulting instruction, the resets, and the reset loop.
%include "boot.inc"
main:
    mov esi, msg
    call puts
    lidt [empty_idt]
fault:
    ud2                              ; #UD cannot be delivered: #GP, then #DF, then shutdown
    FAIL 1                           ; never reached
msg: db "triple-fault: raising an exception with an empty IDT", 10, 0
    align 8
empty_idt:
    dw 0                             ; limit 0: no vector is deliverable
    dd 0
%include "end.inc"
