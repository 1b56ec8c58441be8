/* mb_echo.S — a Multiboot v1 kernel that echoes COM1 input, interrupt-driven, for the serial
 * input tests (tests/unit/test_serial_in.cc).
 *
 * It programs COM1 (divisor 1, 8N1, FIFOs on with trigger level 1), prints "READY\n", sets up
 * the 8259A pair (vectors 0x20/0x28, only IRQ 4 unmasked) and an IDT gate for vector 0x24,
 * enables the received-data interrupt (IER.ERBFI) and then opens the port with
 * MCR = DTR | RTS | OUT2. It waits with STI/HLT; the interrupt handler moves every received byte
 * into a 256-byte ring and writes the TSC at that moment (16 hex digits and '\n') to the debug
 * console, port 0xE9. The main loop echoes each byte with a-z made upper case; byte 0x04 (EOT)
 * prints "\nBYE\n" and writes 0 to the debug-exit port. Without an EOT it waits in HLT forever
 * (the machine stops as halted once the input is used up). A wrong boot magic writes 1 to the
 * debug-exit port. Linked at 1 MiB (tests/target/target.am).
 */
    .code32
    .section .text
    .globl _start
    .balign 4
mb_header:
    .long 0x1BADB002                    /* magic */
    .long 0x00000003                    /* flags: page-align modules, memory info */
    .long -(0x1BADB002 + 0x00000003)    /* checksum */
_start:
    cli
    mov     $stack_top, %esp
    cmp     $0x2BADB002, %eax
    jne     fail

    /* COM1: IER 0, DLAB, divisor 1, 8N1, FIFOs on and cleared (trigger 1) */
    mov     $0x3f9, %dx
    xor     %al, %al
    out     %al, %dx
    mov     $0x3fb, %dx
    mov     $0x80, %al
    out     %al, %dx
    mov     $0x3f8, %dx
    mov     $1, %al
    out     %al, %dx
    mov     $0x3f9, %dx
    xor     %al, %al
    out     %al, %dx
    mov     $0x3fb, %dx
    mov     $0x03, %al
    out     %al, %dx
    mov     $0x3fa, %dx
    mov     $0x07, %al
    out     %al, %dx
    mov     $msg_ready, %esi
    call    puts

    /* 8259A pair: ICW1-4, then mask everything but IRQ 4 */
    mov     $0x11, %al
    out     %al, $0x20
    out     %al, $0xa0
    mov     $0x20, %al
    out     %al, $0x21
    mov     $0x28, %al
    out     %al, $0xa1
    mov     $0x04, %al
    out     %al, $0x21
    mov     $0x02, %al
    out     %al, $0xa1
    mov     $0x01, %al
    out     %al, $0x21
    out     %al, $0xa1
    mov     $0xef, %al
    out     %al, $0x21
    mov     $0xff, %al
    out     %al, $0xa1

    /* IDT entry 0x24: 32-bit interrupt gate to uart_isr, selector = CS */
    mov     $uart_isr, %eax
    xor     %ecx, %ecx
    mov     %cs, %cx
    shl     $16, %ecx
    mov     %ax, %cx
    mov     %ecx, idt + 0x24 * 8
    and     $0xffff0000, %eax
    or      $0x8e00, %eax
    mov     %eax, idt + 0x24 * 8 + 4
    lidt    idtr

    /* received-data interrupt on, then open the port: DTR | RTS | OUT2 */
    mov     $0x3f9, %dx
    mov     $0x01, %al
    out     %al, %dx
    mov     $0x3fc, %dx
    mov     $0x0b, %al
    out     %al, %dx

main_loop:
    cli
    movzbl  head, %eax
    cmpb    tail, %al
    jne     1f
    sti                                 /* STI; HLT: no interrupt is lost in between */
    hlt
    jmp     main_loop
1:  movzbl  ring(%eax), %ebx
    incb    head
    sti
    cmp     $0x04, %bl
    je      done
    cmp     $'a', %bl
    jb      2f
    cmp     $'z', %bl
    ja      2f
    sub     $0x20, %bl
2:  mov     %bl, %al
    call    putc
    jmp     main_loop

done:
    mov     $msg_bye, %esi
    call    puts
    xor     %al, %al
    out     %al, $0xf4
3:  cli
    hlt
    jmp     3b

fail:
    mov     $1, %al
    out     %al, $0xf4
    jmp     3b

/* puts: the NUL-terminated string at ESI to COM1 */
puts:
    lodsb
    test    %al, %al
    jz      4f
    call    putc
    jmp     puts
4:  ret

/* putc: wait for THR empty (LSR bit 5), then write AL to COM1 */
putc:
    push    %eax
    push    %edx
    mov     $0x3fd, %dx
5:  in      %dx, %al
    test    $0x20, %al
    jz      5b
    pop     %edx
    pop     %eax
    push    %edx
    mov     $0x3f8, %dx
    out     %al, %dx
    pop     %edx
    ret

/* IRQ 4: drain the receiver into the ring, logging the TSC of each byte on port 0xE9 */
uart_isr:
    pusha
6:  mov     $0x3fd, %dx
    in      %dx, %al
    test    $0x01, %al
    jz      8f
    mov     $0x3f8, %dx
    in      %dx, %al
    movzbl  tail, %ebx
    mov     %al, ring(%ebx)
    incb    tail
    rdtsc
    mov     %eax, %esi
    mov     %edx, %eax
    call    hex32
    mov     %esi, %eax
    call    hex32
    mov     $'\n', %al
    out     %al, $0xe9
    jmp     6b
8:  mov     $0x20, %al
    out     %al, $0x20                  /* non-specific EOI */
    popa
    iret

/* hex32: EAX as 8 hex digits on port 0xE9 (clobbers EAX, ECX, EDX) */
hex32:
    mov     %eax, %edx
    mov     $8, %ecx
9:  rol     $4, %edx
    mov     %edx, %eax
    and     $0x0f, %eax
    mov     hexdigits(%eax), %al
    out     %al, $0xe9
    loop    9b
    ret

    .section .data
    .balign 8
idtr:
    .word   256 * 8 - 1
    .long   idt
head:
    .byte   0
tail:
    .byte   0
hexdigits:
    .ascii  "0123456789abcdef"
msg_ready:
    .asciz  "READY\n"
msg_bye:
    .asciz  "\nBYE\n"

    .section .bss
    .balign 16
ring:
    .skip   256
idt:
    .skip   256 * 8
    .skip   4096
stack_top:
