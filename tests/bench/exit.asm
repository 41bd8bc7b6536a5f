; The do-nothing firmware for the startup benchmark: at the reset vector, write 0 to the debug exit
; port 0xF4 (QEMU's isa-debug-exit and hako-vmm --debug-exit-port both exit with status 1).
    bits 16
    times 0x10000 - 16 db 0xF4
    mov al, 0
    out 0xF4, al
    hlt
    times 0x10000 - ($ - $$) db 0xF4
