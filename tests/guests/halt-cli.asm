; A guest that stops for good: interrupts disabled, then HLT. Nothing but an NMI can wake the CPU,
; and nothing ever touches the display. The engine must record "halt with interrupts off" with the
; address after the HLT.
%include "boot.inc"
main:
    mov esi, msg
    call puts
    cli
stop:
    hlt
    jmp stop
msg: db "halt-cli: halting with interrupts disabled", 10, 0
%include "end.inc"
