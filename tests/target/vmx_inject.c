/* vmx_inject.c — event injection on VM entry: every interruption type of the VM-entry
 * interruption-information field (external interrupt, NMI, hardware exception with and without
 * an error code, software interrupt, privileged software exception, software exception, other
 * event = pending MTF), the exception bitmap not applying to injected events, and a delivery
 * that faults (IDT-vectoring information).
 *
 * Expected values (SDM Vol. 3): 26.6.1.1 (the event is delivered as if it occurred right after
 * VM entry, before any guest instruction, through the guest IDT; the error code from the VM-entry
 * exception error-code field; software interrupts and software/privileged software exceptions
 * push RIP + VM-entry instruction length; injection does not check the exception bitmap);
 * 26.6.1.2 (NMI injection sets blocking by NMI); 26.6.2 / 26.5.2 (type 7 vector 0: an MTF VM
 * exit pending before the first instruction); 27.2.4 (a fault during the delivery of an injected
 * event: IDT-vectoring information = the injected event, exit interruption information = the
 * fault); 6.13 (#GP for an IDT entry beyond the limit: error code = vector * 8 + 2, plus EXT = 1
 * for an event external to the program). The guest IDT (vmx_gidt) records what it received and
 * reports with VMCALL (RAX = 7A7H).
 */
#include "lib/vmx_lib.h"

extern char g_inj[], g_inj_end[];
__asm__(".text\ng_inj:\n\tnop\n\tnop\ng_inj_end:\n\tvmcall\n");

static void inject(uint32_t info, uint32_t err, uint32_t len)
{
    vmwrite(F_EXC_BITMAP, 0);
    vmwrite(F_G_RFLAGS, 0x202);
    vmwrite(F_G_INTERRUPTIBILITY, 0);
    vmwrite(F_G_IDTR_LIMIT, sizeof vmx_gidt - 1);
    vmwrite(F_ENTRY_INTR_INFO, info);
    vmwrite(F_ENTRY_EXC_ERROR, err);
    vmwrite(F_ENTRY_INSN_LEN, len);
    vmwrite(F_G_RIP, va_pa(g_inj));
    vmwrite(F_G_RSP, va_pa(VMX_GUEST_STACK_TOP) - 64);
    memset(&vmx_gtrap, 0, sizeof vmx_gtrap);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
}

/* The injected event reached the guest's handler for `vec` with error `err`, return RIP `rip`. */
static void expect_guest(const char *name, uint64_t run, uint64_t vec, uint64_t err,
                         uint64_t rip)
{
    if (!vmx_expect_exit(name, run, EXIT_VMCALL, VMX_ANY))
        return;
    t_check(vmx_gregs.rax == VMX_GTRAP_MAGIC && vmx_gtrap.vector == vec &&
            vmx_gtrap.error == err && vmx_gtrap.rip == rip && vmx_gtrap.count == 1,
            name, "RAX 0x%llx; guest saw vector 0x%llx error 0x%llx RIP 0x%llx (%llu events); "
            "want vector 0x%llx error 0x%llx RIP 0x%llx", (unsigned long long)vmx_gregs.rax,
            (unsigned long long)vmx_gtrap.vector, (unsigned long long)vmx_gtrap.error,
            (unsigned long long)vmx_gtrap.rip, (unsigned long long)vmx_gtrap.count,
            (unsigned long long)vec, (unsigned long long)err, (unsigned long long)rip);
}

int main(void)
{
    t_begin("vmx_inject");
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))g_inj, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    uint64_t start = va_pa(g_inj);

    inject(INTR_VALID | INTR_TYPE(IT_EXT) | 0x41, 0, 0);
    expect_guest("external interrupt 41H injected", vmx_run(), 0x41, 0, start);
    t_eq("... the handler saw RFLAGS.IF = 1 pushed", (vmx_gtrap.rflags >> 9) & 1, 1);
    t_eq("... the entry cleared the interruption-information valid bit (26.6.1)",
         vmread(F_ENTRY_INTR_INFO) >> 31, 0);

    inject(INTR_VALID | INTR_TYPE(IT_NMI) | 2, 0, 0);
    expect_guest("NMI injected", vmx_run(), 2, 0, start);
    t_eq("... blocking by NMI saved on the next exit", (vmread(F_G_INTERRUPTIBILITY) >> 3) & 1, 1);

    inject(INTR_VALID | INTR_TYPE(IT_HW_EXC) | INTR_HAS_ERROR | 13, 0x1234, 0);
    expect_guest("#GP(1234H) injected: error code pushed", vmx_run(), 13, 0x1234, start);

    write_cr2(0x2222);
    inject(INTR_VALID | INTR_TYPE(IT_HW_EXC) | INTR_HAS_ERROR | 14, 2, 0);
    expect_guest("#PF(2) injected", vmx_run(), 14, 2, start);
    t_eq("... CR2 unchanged by the injection (26.6.1.1)", read_cr2(), 0x2222);

    inject(INTR_VALID | INTR_TYPE(IT_HW_EXC) | 6, 0, 7);
    expect_guest("#UD injected (hardware exception: instruction length ignored)", vmx_run(), 6,
                 0, start);

    inject(INTR_VALID | INTR_TYPE(IT_HW_EXC) | INTR_HAS_ERROR | 8, 0, 0);
    expect_guest("#DF injected with error code 0", vmx_run(), 8, 0, start);

    inject(INTR_VALID | INTR_TYPE(IT_SW_INT) | 0x80, 0, 2);
    expect_guest("software interrupt 80H, length 2: pushes RIP + 2", vmx_run(), 0x80, 0,
                 start + 2);

    inject(INTR_VALID | INTR_TYPE(IT_PRIV_SW_EXC) | 1, 0, 1);
    expect_guest("privileged software exception (ICEBP, #DB), length 1: pushes RIP + 1",
                 vmx_run(), 1, 0, start + 1);

    inject(INTR_VALID | INTR_TYPE(IT_SW_EXC) | 3, 0, 1);
    expect_guest("software exception #BP, length 1: pushes RIP + 1", vmx_run(), 3, 0, start + 1);

    inject(INTR_VALID | INTR_TYPE(IT_SW_EXC) | 4, 0, 1);
    expect_guest("software exception #OF, length 1", vmx_run(), 4, 0, start + 1);

    inject(INTR_VALID | INTR_TYPE(IT_HW_EXC) | INTR_HAS_ERROR | 13, 0x10, 0);
    vmwrite(F_EXC_BITMAP, 1u << 13);
    expect_guest("injected #GP with bitmap bit 13 set: still delivered to the guest", vmx_run(),
                 13, 0x10, start);

    if (vmx_ctl_can(F_PROC, PROC_MTF)) {
        inject(INTR_VALID | INTR_TYPE(IT_OTHER) | 0, 0, 0);
        uint64_t run = vmx_run();
        vmx_expect_exit("other event (type 7, vector 0): pending MTF exit 37", run, EXIT_MTF, 0);
        t_eq("... before the first guest instruction", vmread(F_G_RIP), start);
    }

    /* a fault while delivering an injected event: IDT-vectoring information */
    inject(INTR_VALID | INTR_TYPE(IT_EXT) | 0x41, 0, 0);
    vmwrite(F_G_IDTR_LIMIT, 0x41 * 16 - 1);         /* vector 41H beyond the limit */
    vmwrite(F_EXC_BITMAP, 1u << 13);
    uint64_t run = vmx_run();
    vmx_expect_exit("injected vector beyond the IDT limit, #GP intercepted: exit 0", run,
                    EXIT_EXCEPTION, VMX_ANY);
    t_eq("... exit interruption information: #GP with error code", vmread(F_EXIT_INTR_INFO),
         0x80000b0d);
    t_eq("... error code (41H << 3) | IDT | EXT = 20BH", vmread(F_EXIT_INTR_ERROR), 0x20b);
    t_eq("... IDT-vectoring information = the injected event", vmread(F_IDT_VEC_INFO),
         INTR_VALID | 0x41);
    t_eq("... guest RIP unchanged", vmread(F_G_RIP), start);

    /* injection into a guest that would otherwise run: nothing injected, no event */
    inject(0, 0, 0);
    uint64_t r2 = vmx_run();
    vmx_expect_exit("no injection: the guest runs to its VMCALL", r2, EXIT_VMCALL, VMX_ANY);
    t_eq("... guest RIP at the VMCALL", vmread(F_G_RIP), va_pa(g_inj_end));
    t_eq("... no event reached the guest IDT", vmx_gtrap.count, 0);
    return t_finish();
}
