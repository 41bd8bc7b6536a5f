; virtio-net from a guest program, with passt behind the card (hako-vmm --net user): ring 0 finds
; the card at 00:0c.0, programs its BAR, negotiates VERSION_1 + MAC + STATUS, sets up the receive
; and transmit queues and posts 16 receive buffers; ring 3 then waits for the link, sends a DHCP
; DISCOVER, reads the OFFER, sends a REQUEST for the offered address and reads the ACK, and
; prints "lease A.B.C.D" on the debug console before it passes. Frames that are not the answer
; (router advertisements, ...) are skipped; every buffer goes back on the ring.
%include "boot.inc"

%define NET_CFG     0x80006000           ; 00:0c.0
%define VNET        0xE0200000           ; BAR4
%define RX_DESC     0x00200000
%define RX_AVAIL    0x00201000
%define RX_USED     0x00202000
%define TX_DESC     0x00204000
%define TX_AVAIL    0x00205000
%define TX_USED     0x00206000
%define TX_BUF      0x00300000
%define RX_BUFS     0x00310000
%define RX_BUF_SIZE 2048
%define QSIZE       16
%define HDR         12                   ; virtio_net_hdr (VERSION_1)
%define BOOTP       (HDR + 14 + 20 + 8)  ; in a frame buffer: after Ethernet, IPv4, UDP
%define F_MAC       (1 << 5)
%define F_STATUS    (1 << 16)
%define XID         0x4B414841           ; "HAKO" as the transaction id
; variables (ring 3 reads and writes them)
%define V_MAC       0x00400000           ; 6 bytes
%define V_OFFER     0x00400010           ; the offered address (network byte order)
%define V_SERVER    0x00400014           ; the server identifier
%define V_TYPE      0x00400018           ; DHCP message type of the last answer
%define V_RXUSED    0x0040001C           ; receive used entries consumed (16-bit)
%define V_TXIDX     0x00400020           ; transmit ring index (16-bit)

main:
    mov eax, NET_CFG
    call pci_read32
    cmp eax, 0x10411AF4
    jne .f1
    mov eax, NET_CFG + 0x20              ; BAR4
    mov ebx, VNET
    call pci_write32
    mov eax, NET_CFG + 0x04              ; memory space + bus master
    mov ebx, 0x0006
    call pci_write32
    mov byte [VNET + 0x14], 0            ; reset
    mov byte [VNET + 0x14], 3            ; ACKNOWLEDGE | DRIVER
    mov dword [VNET + 0x08], 1
    mov dword [VNET + 0x0C], 1           ; VERSION_1
    mov dword [VNET + 0x08], 0
    mov dword [VNET + 0x0C], F_MAC | F_STATUS
    mov byte [VNET + 0x14], 0x0B         ; + FEATURES_OK
    test byte [VNET + 0x14], 0x08
    jz .f2
    mov edi, RX_DESC                     ; zeroed rings and variables
    mov ecx, 0x7000 / 4
    xor eax, eax
    rep stosd
    mov edi, V_MAC
    mov ecx, 16
    rep stosd
    ; queue 0 (receive) and 1 (transmit)
    mov word [VNET + 0x16], 0
    mov word [VNET + 0x18], QSIZE
    mov dword [VNET + 0x20], RX_DESC
    mov dword [VNET + 0x28], RX_AVAIL
    mov dword [VNET + 0x30], RX_USED
    mov word [VNET + 0x1C], 1
    mov word [VNET + 0x16], 1
    mov word [VNET + 0x18], QSIZE
    mov dword [VNET + 0x20], TX_DESC
    mov dword [VNET + 0x28], TX_AVAIL
    mov dword [VNET + 0x30], TX_USED
    mov word [VNET + 0x1C], 1
    ; 16 receive buffers, all posted
    xor ecx, ecx
.post:
    mov eax, ecx
    shl eax, 11                          ; * RX_BUF_SIZE
    add eax, RX_BUFS
    mov ebx, ecx
    shl ebx, 4                           ; 16-byte descriptors
    mov [RX_DESC + ebx], eax
    mov dword [RX_DESC + ebx + 4], 0
    mov dword [RX_DESC + ebx + 8], RX_BUF_SIZE
    mov word [RX_DESC + ebx + 12], 2     ; WRITE
    mov [RX_AVAIL + 4 + ecx * 2], cx
    inc ecx
    cmp ecx, QSIZE
    jne .post
    mov word [RX_AVAIL + 2], QSIZE
    mov word [RX_AVAIL], 1               ; NO_INTERRUPT: we poll
    mov word [TX_AVAIL], 1
    mov byte [VNET + 0x14], 0x0F         ; + DRIVER_OK
    mov word [VNET + 0x3000], 0          ; doorbell: receive buffers
    ; the MAC from the device configuration
    mov eax, [VNET + 0x2000]
    mov [V_MAC], eax
    mov ax, [VNET + 0x2004]
    mov [V_MAC + 4], ax
    mov eax, user
    jmp enter_user
.f1: FAIL 1
.f2: FAIL 2

; ---- ring 3 ----
user:
    mov ecx, 100000000                   ; the link is up (passt runs)
.link:
    test word [VNET + 0x2006], 1
    jnz .linked
    pause
    dec ecx
    jnz .link
    FAIL 3
.linked:
    mov al, 1                            ; DISCOVER
    call dhcp_send
    mov bl, 2                            ; OFFER
    call dhcp_wait
    jc .f4
    mov eax, [RX_BUFS + edi + BOOTP + 16] ; yiaddr
    mov [V_OFFER], eax
    mov al, 3                            ; REQUEST
    call dhcp_send
    mov bl, 5                            ; ACK
    call dhcp_wait
    jc .f5
    mov eax, [RX_BUFS + edi + BOOTP + 16]
    cmp eax, [V_OFFER]
    jne .f6
    mov esi, msg_lease
    call puts
    mov ebx, [V_OFFER]
    mov ecx, 4
.octet:
    movzx eax, bl
    call put_dec
    shr ebx, 8
    dec ecx
    jz .done
    mov al, '.'
    call putc
    jmp .octet
.done:
    mov al, 10
    call putc
    PASS
.f4: FAIL 4
.f5: FAIL 5
.f6: FAIL 6

msg_lease: db "lease ", 0

; eax = 0-255 in decimal on the debug console
put_dec:
    push ebx
    push ecx
    mov ecx, 0
    mov bl, 10
.div:
    div bl                               ; al = quotient, ah = remainder
    push eax
    inc ecx
    movzx eax, al
    test eax, eax
    jnz .div
.out:
    pop eax
    mov al, ah
    add al, '0'
    call putc
    dec ecx
    jnz .out
    pop ecx
    pop ebx
    ret

; Sends a DHCP message of type al (1 DISCOVER, 3 REQUEST for V_OFFER from V_SERVER).
dhcp_send:
    movzx edx, al
    mov edi, TX_BUF                      ; zeroed header and frame
    mov ecx, 400 / 4
    xor eax, eax
    rep stosd
    mov edi, TX_BUF + HDR
    mov dword [edi], 0xFFFFFFFF          ; to everyone
    mov word [edi + 4], 0xFFFF
    mov eax, [V_MAC]
    mov [edi + 6], eax
    mov ax, [V_MAC + 4]
    mov [edi + 10], ax
    mov word [edi + 12], 0x0008          ; IPv4
    add edi, 14
    mov byte [edi], 0x45
    mov word [edi + 2], 0x4801           ; total length 328 (big-endian)
    mov byte [edi + 8], 64               ; TTL
    mov byte [edi + 9], 17               ; UDP
    mov dword [edi + 16], 0xFFFFFFFF     ; 255.255.255.255, from 0.0.0.0
    ; header checksum: the ones' complement sum of ten big-endian words
    xor eax, eax
    xor ecx, ecx
.sum:
    movzx ebx, word [edi + ecx * 2]
    xchg bl, bh
    add eax, ebx
    inc ecx
    cmp ecx, 10
    jne .sum
    mov ebx, eax
    shr ebx, 16
    and eax, 0xFFFF
    add eax, ebx
    mov ebx, eax
    shr ebx, 16
    add eax, ebx
    not eax
    xchg al, ah
    mov [edi + 10], ax
    add edi, 20
    mov word [edi], 0x4400               ; from port 68
    mov word [edi + 2], 0x4300           ; to port 67
    mov word [edi + 4], 0x3401           ; length 308; checksum 0 (none, allowed over IPv4)
    add edi, 8
    mov byte [edi], 1                    ; BOOTREQUEST
    mov byte [edi + 1], 1                ; Ethernet
    mov byte [edi + 2], 6
    mov dword [edi + 4], XID
    mov word [edi + 10], 0x0080          ; broadcast replies
    mov eax, [V_MAC]
    mov [edi + 28], eax
    mov ax, [V_MAC + 4]
    mov [edi + 32], ax
    mov dword [edi + 236], 0x63538263    ; magic cookie
    add edi, 240
    mov byte [edi], 53                   ; message type
    mov byte [edi + 1], 1
    mov [edi + 2], dl
    add edi, 3
    cmp dl, 3
    jne .params
    mov byte [edi], 50                   ; requested address
    mov byte [edi + 1], 4
    mov eax, [V_OFFER]
    mov [edi + 2], eax
    mov byte [edi + 6], 54               ; server identifier
    mov byte [edi + 7], 4
    mov eax, [V_SERVER]
    mov [edi + 8], eax
    add edi, 12
.params:
    mov dword [edi], 0x0103_0337         ; parameter request list: 55, 3, mask, router
    mov byte [edi + 4], 6                ; DNS
    mov byte [edi + 5], 255              ; end
    ; one descriptor: header + frame (14 + 328 bytes)
    movzx ecx, word [V_TXIDX]
    mov eax, ecx
    and eax, QSIZE - 1
    mov ebx, eax
    shl ebx, 4                           ; 16-byte descriptors
    mov dword [TX_DESC + ebx], TX_BUF
    mov dword [TX_DESC + ebx + 4], 0
    mov dword [TX_DESC + ebx + 8], HDR + 14 + 328
    mov dword [TX_DESC + ebx + 12], 0
    mov [TX_AVAIL + 4 + eax * 2], ax
    inc ecx
    mov [V_TXIDX], cx
    mov [TX_AVAIL + 2], cx               ; publish (x86 keeps stores in order)
    mov word [VNET + 0x3004], 1          ; doorbell: transmit
.sent:
    pause
    cmp [TX_USED + 2], cx
    jne .sent
    ret

; Waits for a DHCP answer of type bl to our transaction; edi = its buffer's offset from RX_BUFS.
; CF set after about 15 s (a loop count) without one.
dhcp_wait:
    mov esi, 300000000
.poll:
    dec esi
    jz .timeout
    pause
    movzx ecx, word [V_RXUSED]
    cmp cx, [RX_USED + 2]
    je .poll
    ; the next used entry: descriptor id, length
    mov eax, ecx
    and eax, QSIZE - 1
    mov edx, [RX_USED + 4 + eax * 8]     ; id
    inc ecx
    mov [V_RXUSED], cx
    mov edi, edx
    shl edi, 11                          ; buffer offset
    push edx
    push esi
    call is_answer
    pop esi
    pop edx
    pushfd
    ; the buffer goes back on the ring
    movzx eax, word [RX_AVAIL + 2]
    mov ecx, eax
    and ecx, QSIZE - 1
    mov [RX_AVAIL + 4 + ecx * 2], dx
    inc eax
    mov [RX_AVAIL + 2], ax
    mov word [VNET + 0x3000], 0
    popfd
    jc .poll
    ret                                  ; CF clear: found
.timeout:
    stc
    ret

; CF clear when the frame at RX_BUFS + edi is a DHCP message of type bl for XID (also records
; the server identifier).
is_answer:
    lea esi, [RX_BUFS + edi + HDR]
    cmp word [esi + 12], 0x0008          ; IPv4
    jne .no
    cmp byte [esi + 14], 0x45            ; no IP options
    jne .no
    cmp byte [esi + 14 + 9], 17          ; UDP
    jne .no
    cmp word [esi + 14 + 20 + 2], 0x4400 ; to port 68
    jne .no
    add esi, 14 + 20 + 8
    cmp byte [esi], 2                    ; BOOTREPLY
    jne .no
    cmp dword [esi + 4], XID
    jne .no
    cmp dword [esi + 236], 0x63538263
    jne .no
    add esi, 240                         ; options
    xor edx, edx                         ; type found
    mov ecx, 300                         ; at most this many bytes of options
.opt:
    movzx eax, byte [esi]
    cmp al, 255
    je .end
    test al, al
    jnz .len
    inc esi
    dec ecx
    jz .end
    jmp .opt
.len:
    cmp al, 53
    jne .notype
    mov dl, [esi + 2]
.notype:
    cmp al, 54
    jne .next
    mov eax, [esi + 2]
    mov [V_SERVER], eax
.next:
    movzx eax, byte [esi + 1]
    add eax, 2
    add esi, eax
    sub ecx, eax
    ja .opt
.end:
    cmp dl, bl
    jne .no
    clc
    ret
.no:
    stc
    ret

%include "end.inc"
