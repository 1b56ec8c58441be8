/* mb_ticks.S — a minimal Multiboot v1 kernel for the machine tests (tests/unit/test_machine.cc).
 *
 * It checks the boot magic in EAX, programs COM1 (8N1, divisor 1) and prints "OK\n", sets up the
 * 8259A pair (vectors 0x20/0x28, only IRQ 0 unmasked) and an IDT entry for vector 0x20, programs
 * 8254 counter 0 in mode 2 with a count of 1193 (1.000 ms at 1.193182 MHz), then waits with
 * STI/HLT for 10 timer interrupts, prints "T\n" and writes 0 to the debug-exit port. Any
 * mismatch writes 1 instead. Linked at 1 MiB (tests/target/target.am).
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
    mov     %ebx, mbi

    /* COM1: DLAB, divisor 1, 8N1 */
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
    mov     $'O', %al
    call    putc
    mov     $'K', %al
    call    putc
    mov     $'\n', %al
    call    putc

    /* 8259A pair: ICW1-4, then mask everything but IRQ 0 */
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
    mov     $0xfe, %al
    out     %al, $0x21
    mov     $0xff, %al
    out     %al, $0xa1

    /* IDT entry 0x20: 32-bit interrupt gate to tick, selector = CS */
    mov     $tick, %eax
    xor     %ecx, %ecx
    mov     %cs, %cx
    shl     $16, %ecx
    mov     %ax, %cx
    mov     %ecx, idt + 0x20 * 8
    and     $0xffff0000, %eax
    or      $0x8e00, %eax
    mov     %eax, idt + 0x20 * 8 + 4
    lidt    idtr

    /* 8254 counter 0: mode 2, LSB then MSB, binary, count 1193 */
    mov     $0x34, %al
    out     %al, $0x43
    mov     $(1193 & 0xff), %al
    out     %al, $0x40
    mov     $(1193 >> 8), %al
    out     %al, $0x40

    sti
1:  hlt
    cmpl    $10, ticks
    jb      1b
    cli
    mov     $'T', %al
    call    putc
    mov     $'\n', %al
    call    putc
    xor     %al, %al
    out     %al, $0xf4
2:  hlt
    jmp     2b

fail:
    mov     $1, %al
    out     %al, $0xf4
    jmp     2b

/* putc: wait for THR empty (LSR bit 5), then write AL to COM1 */
putc:
    push    %eax
    mov     $0x3fd, %dx
3:  in      %dx, %al
    test    $0x20, %al
    jz      3b
    pop     %eax
    mov     $0x3f8, %dx
    out     %al, %dx
    ret

tick:
    incl    ticks
    push    %eax
    mov     $0x20, %al
    out     %al, $0x20                  /* non-specific EOI */
    pop     %eax
    iret

    .section .data
    .balign 8
idtr:
    .word   256 * 8 - 1
    .long   idt
    .balign 4
ticks:
    .long   0
mbi:
    .long   0

    .section .bss
    .balign 16
idt:
    .skip   256 * 8
    .skip   4096
stack_top:
