/* vmx_sipi.c — SIPI in VMX non-root operation: a guest entered in the wait-for-SIPI activity
 * state leaves it by a VM exit with reason 4 when a start-up IPI arrives, whose vector is the
 * exit qualification. Needs two processors: the AP, started by INIT-SIPI-SIPI into a small
 * trampoline, sends the SIPI to the BSP after a delay while the BSP's guest waits.
 *
 * Expected values (SDM Vol. 3): 24.4.2 / A.6 (activity state 3 "wait-for-SIPI", allowed if
 * IA32_VMX_MISC[8]); 25.2 (a SIPI arriving while a guest is in the wait-for-SIPI state causes a
 * VM exit; 27.2.1 Table 27-? : the qualification holds the SIPI vector in bits 7:0); 8.4.4.1
 * (the INIT-SIPI-SIPI sequence and its delays; the AP starts in real mode at vector * 1000H);
 * 10.6.1 (ICR: delivery mode 101b INIT, 110b start-up, level assert, physical destination).
 */
#include "lib/vmx_lib.h"

#define APIC 0xfee00000ull
#define TRAMP 0x8000ull
#define MAILBOX 0x8ff0ull               /* +0: BSP APIC ID, +4: the AP sent the SIPI */
#define SIPI_VECTOR 0x47

extern char ap_tramp[], ap_tramp_end[];
__asm__(".section .rodata\n"
        ".code16\n"
        "ap_tramp:\n"
        "\tcli\n\txor %ax, %ax\n\tmov %ax, %ds\n"
        "\tlgdtl (0x8000 + ap_gdtr - ap_tramp)\n"
        "\tmov %cr0, %eax\n\tor $1, %eax\n\tmov %eax, %cr0\n"
        "\tljmpl $0x08, $(0x8000 + ap_pm - ap_tramp)\n"
        ".code32\n"
        "ap_pm:\n"
        "\tmov $0x10, %ax\n\tmov %ax, %ds\n\tmov %ax, %es\n\tmov %ax, %ss\n"
        "\tmov $400000, %ecx\n"
        "1:\tdec %ecx\n\tjnz 1b\n"
        "\tmov 0x8ff0, %eax\n\tshl $24, %eax\n\tmov %eax, 0xfee00310\n"
        "\tmovl $0x4647, 0xfee00300\n"            /* start-up, level assert, vector 47H */
        "\tmovl $1, 0x8ff4\n"
        "2:\tcli\n\thlt\n\tjmp 2b\n"
        "\t.balign 8\n"
        "ap_gdt:\n\t.quad 0\n\t.quad 0x00cf9a000000ffff\n\t.quad 0x00cf92000000ffff\n"
        "ap_gdtr:\n\t.word 23\n\t.long 0x8000 + ap_gdt - ap_tramp\n"
        "ap_tramp_end:\n"
        ".code64\n"
        ".text\n"
        "g_wait:\n\tvmcall\n");
extern char g_wait[];

static volatile uint32_t *apic_reg(unsigned off) { return (volatile uint32_t *)phys_ptr(APIC + off); }

static void delay_tsc(uint64_t cycles)
{
    uint64_t t = rdtsc64();
    while (rdtsc64() - t < cycles)
        ;
}

static void ipi(uint32_t dest, uint32_t lo)
{
    *apic_reg(0x310) = dest << 24;
    *apic_reg(0x300) = lo;
    for (int k = 0; k < 100000 && (*apic_reg(0x300) & (1u << 12)); k++)
        ;
}

int main(void)
{
    t_begin("vmx_sipi");
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))g_wait, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    if (!((rdmsr(MSR_VMX_MISC) >> 8) & 1)) {
        tprintf("# wait-for-SIPI activity state not offered\n");
        return t_finish();
    }
    *apic_reg(0xf0) = 0x1ff;
    uint32_t bsp = *apic_reg(0x20) >> 24;
    uint64_t hz = ((rdmsr(0xce) >> 8) & 0xff) * 100000000ull;
    memcpy(phys_ptr(TRAMP), ap_tramp, (size_t)(ap_tramp_end - ap_tramp));
    *(volatile uint32_t *)phys_ptr(MAILBOX) = bsp;
    *(volatile uint32_t *)phys_ptr(MAILBOX + 4) = 0;
    uint32_t ap = bsp == 0 ? 1 : 0;

    vmwrite(F_G_ACTIVITY, 3);                       /* wait-for-SIPI */
    ipi(ap, 0x4500);                                /* INIT, level assert */
    delay_tsc(hz / 100);                            /* 10 ms */
    ipi(ap, 0x4600 | (uint32_t)(TRAMP >> 12));      /* SIPI: start at 8000H */
    uint64_t run = vmx_run();
    vmx_expect_exit("SIPI to a guest in wait-for-SIPI: exit 4, qualification = vector 47H", run,
                    EXIT_SIPI, SIPI_VECTOR);
    t_eq("the AP sent the SIPI", *(volatile uint32_t *)phys_ptr(MAILBOX + 4), 1);
    return t_finish();
}
