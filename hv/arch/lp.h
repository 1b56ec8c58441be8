/* lp.h — a logical processor as the hypervisor sees it, and the boot sequence's hand-offs
 * (docs/HYPERVISOR.md "Boot").
 *
 * hv/boot + hv/arch set up every LP (GDT, TSS with an IST stack, IDT, local APIC, a host stack)
 * and then hand it to hv/vmx: hv_vmx_lp_init() on each LP, hv_root_start() once on the BSP after
 * every AP reported in, and hv_lp_loop() forever on every LP.
 *
 * Invariants: hv_lps[k] is LP k; k is dense from 0 (the BSP) in MADT order; `this_lp()` is
 * reached through GS base (IA32_GS_BASE = &hv_lps[k]) in host mode, so it is valid in exit
 * handlers on every LP.
 */
#ifndef HV_ARCH_LP_H
#define HV_ARCH_LP_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/part/part.h"

#define HV_STACK_SIZE 16384

struct hv_lp {
    struct hv_lp *self;             /* at GS:0: this_lp() reads it */
    uint32_t index;                 /* LP index, 0 = BSP */
    uint32_t apic_id;               /* local APIC ID (MADT) */
    uint64_t stack_top;             /* host RSP for VM exits (VMCS host RSP) */
    uint64_t gdt_base, idt_base, tss_base;  /* for the VMCS host state */
    uint16_t gdt_limit, idt_limit;
    uint64_t vmxon;                 /* HPA of the VMXON region (0: VMX not on) */
    volatile bool online;           /* reported in (APs) */
    /* hv/vmx: the VPs that run on this LP and the scheduler's state */
    struct hv_vp *run_list;         /* linked through vp->next_on_lp */
    struct hv_vp *current;          /* the VP whose VMCS is current, or NULL */
    struct hv_vp *guest;            /* the VP whose XCR0, FPU/SSE state and syscall MSRs are
                                     * in this LP's registers (hv/vmx/guest_switch.c), or NULL */
    volatile uint32_t resched;      /* set by vp_kick from another LP */
    uint8_t hcall_buf[2][4096] __attribute__((aligned(4096)));  /* hypercall input, output */
};

extern struct hv_lp hv_lps[HV_MAX_LPS];
extern uint32_t hv_nlps;

static inline struct hv_lp *this_lp(void)
{
    struct hv_lp *lp;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(lp));
    return lp;
}

/* The local APIC (hv/arch/lapic.c; xAPIC MMIO at the IA32_APIC_BASE address). */
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);  /* fixed, physical destination */
#define HV_VECTOR_KICK 0xF0         /* another LP asks this one to look at its run list */
#define HV_VECTOR_SPURIOUS 0xFF

/* Provided by hv/vmx for hv/boot: */
void hv_vmx_lp_init(struct hv_lp *lp);   /* VMXON on this LP; panics if VMX is unusable */
void hv_root_start(void);                /* create the root partition and its VPs (BSP) */
__attribute__((noreturn)) void hv_lp_loop(void);

/* Provided by hv/boot for hv/vmx: what the Multiboot2 loader gave the hypervisor. */
struct hv_module { uint64_t start, end; const char *string; };
struct hv_mem_range { uint64_t base, length; uint32_t type; };   /* Multiboot2 mmap types */
struct hv_boot_info {
    const char *cmdline;
    uint32_t nmodules;
    struct hv_module modules[32];
    uint32_t nmmap;
    struct hv_mem_range mmap[64];     /* the physical map as the loader gave it */
    uint64_t hv_start, hv_end;        /* the hypervisor image [start, end) */
    uint64_t pool_start, pool_end;    /* the hypervisor's pool [start, end) */
    uint64_t trampoline;              /* the AP start-up page below 1 MiB */
    uint64_t rsdp;                    /* ACPI RSDP address, 0 if none */
};
extern struct hv_boot_info hv_boot;

#endif
