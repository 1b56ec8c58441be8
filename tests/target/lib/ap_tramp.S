/* ap_tramp.S — the application-processor start-up trampoline of the test kernels (smp.h).
 *
 * smp_init copies [ap_tramp_start, ap_tramp_end) to SMP_TRAMP_BASE (0x8000) and fills
 * ap_tramp_stacks and ap_tramp_entry in the copy. A start-up IPI with vector 0x08 starts an AP
 * in real mode at CS:IP = 0800:0000 (SDM Vol. 3 8.4.4.1, 10.6.1 "Start-Up"), with the register
 * state of SDM 9.1.1 Table 9-1 (INIT column). The trampoline:
 *   1. keeps EDX and CR0 as they were at its first instruction (EDX = the processor signature
 *      after INIT, CR0 = 60000010H: Table 9-1);
 *   2. takes its initial APIC ID from CPUID.1 EBX[31:24] (SDM Vol. 2 CPUID), and stops (HLT
 *      with IF = 0) if it is not below SMP_MAX_CPUS;
 *   3. records, in ap_tramp_recs[id] (struct ap_tramp_rec): a start count, CS, the IP a CALL
 *      pushes (so the BSP can check that IP started at 0: the CALL is at a known offset), EDX and
 *      CR0;
 *   4. loads its own GDT (flat 32-bit code 0x08, data 0x10; SDM 3.4.5), sets CR0.PE and jumps
 *      far to 32-bit code (SDM 9.9.1 "Switching to Protected Mode");
 *   5. sets the data segments, the stack ap_tramp_stacks + (id + 1) * SMP_STACK_SIZE, and calls
 *      ap_tramp_entry(id) (smp_ap_entry in smp.c), which never returns.
 * Everything the trampoline addresses is inside the copy, through offsets from ap_tramp_start
 * (real mode: DS = CS = 0x0800; protected mode: SMP_TRAMP_BASE + offset), so it runs only from
 * SMP_TRAMP_BASE.
 */
#define SMP_TRAMP_BASE 0x8000
#define SMP_MAX_CPUS 16
#define SMP_STACK_SHIFT 13                  /* SMP_STACK_SIZE = 8192 */
#define OFF(x) ((x) - ap_tramp_start)
#define LIN(x) (SMP_TRAMP_BASE + (x) - ap_tramp_start)

    .section .rodata.ap_tramp, "a"
    .code16
    .balign 16
    .globl  ap_tramp_start, ap_tramp_end, ap_tramp_stacks, ap_tramp_entry, ap_tramp_recs
    .globl  ap_tramp_call_next
ap_tramp_start:
    mov     %edx, %edi                      /* EDX at entry */
    mov     %cr0, %esi                      /* CR0 at entry */
    mov     $1, %eax
    cpuid
    shr     $24, %ebx                       /* EBX = initial APIC ID */
    cmp     $SMP_MAX_CPUS, %ebx
    jae     stop16
    mov     %cs, %ax
    mov     %ax, %ds
    mov     %ax, %ss
    mov     %ebx, %ebp
    shl     $4, %ebp                        /* 16 bytes of record and of stack per ID */
    lea     OFF(rstacks) + 16(%bp), %sp
    call    1f
call_next:
1:  pop     %ax                             /* IP after the CALL */
    lock incl OFF(ap_tramp_recs)(%bp)
    mov     %cs, %cx
    mov     %cx, OFF(ap_tramp_recs) + 4(%bp)
    mov     %ax, OFF(ap_tramp_recs) + 6(%bp)
    mov     %edi, OFF(ap_tramp_recs) + 8(%bp)
    mov     %esi, OFF(ap_tramp_recs) + 12(%bp)
    lgdtl   OFF(tgdt_ptr)
    mov     %cr0, %eax
    or      $1, %eax                        /* PE */
    mov     %eax, %cr0
    ljmpl   $0x08, $LIN(pm32)
stop16:
    cli
    hlt
    jmp     stop16

    .code32
pm32:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     %ax, %fs
    mov     %ax, %gs
    mov     %ebx, %eax
    inc     %eax
    shl     $SMP_STACK_SHIFT, %eax
    add     LIN(ap_tramp_stacks), %eax
    mov     %eax, %esp
    push    %ebx                            /* smp_ap_entry(apic_id) */
    call    *LIN(ap_tramp_entry)
2:  cli
    hlt
    jmp     2b

    .balign 8
tgdt:
    .quad   0
    .quad   0x00cf9a000000ffff              /* 0x08: code, base 0, limit 4 GiB, 32-bit */
    .quad   0x00cf92000000ffff              /* 0x10: data, base 0, limit 4 GiB */
tgdt_ptr:
    .word   3 * 8 - 1
    .long   LIN(tgdt)
    .balign 4
ap_tramp_stacks:
    .long   0
ap_tramp_entry:
    .long   0
ap_tramp_call_next:
    .long   OFF(call_next)
    .balign 16
ap_tramp_recs:
    .fill   16 * SMP_MAX_CPUS, 1, 0
rstacks:
    .fill   16 * SMP_MAX_CPUS, 1, 0
ap_tramp_end:
    .section .note.GNU-stack, "", @progbits
