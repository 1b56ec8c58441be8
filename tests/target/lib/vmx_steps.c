/* vmx_steps.c — table-driven exit checks for the VMX test kernels (vmx_lib.h "step tables").
 * Each step is independent of the previous ones: the guest RIP and RSP are set afresh, so a
 * step that goes wrong (no exit, another exit) costs one FAIL line, not the rest of the table. */
#include "vmx_lib.h"

static uint8_t step_stack[8192] __attribute__((aligned(16)));

void vmx_run_steps(const struct vmx_step *s, unsigned n)
{
    for (unsigned k = 0; k < n; k++, s++) {
        if (s->ctl && !vmx_ctl_can(s->ctl, s->bits)) {
            tprintf("# skipped (capability missing): %s\n", s->name);
            continue;
        }
        memset(&vmx_gtrap, 0, sizeof vmx_gtrap);
        uint64_t sp = va_pa(step_stack + sizeof step_stack) - 8;
        *(uint64_t *)(uintptr_t)sp = 0;
        vmwrite(F_G_RSP, sp);
        vmwrite(F_G_RIP, va_pa(s->start));
        if (s->setup)
            s->setup();
        uint64_t run = vmx_run();
        if (s->reason == EXIT_GUEST) {
            if (vmx_expect_exit(s->name, run, EXIT_VMCALL, VMX_ANY) &&
                vmx_gregs.rax != VMX_GTRAP_MAGIC)
                t_check(0, s->name, "VMCALL with RAX 0x%llx, not from the guest IDT",
                        (unsigned long long)vmx_gregs.rax);
        } else if (s->reason == EXIT_NONE) {
            if (vmx_expect_exit(s->name, run, EXIT_VMCALL, VMX_ANY)) {
                uint64_t rip = vmread(F_G_RIP);
                if (rip != va_pa(s->end))
                    t_check(0, s->name, "VMCALL exit at RIP 0x%llx, want 0x%llx (after the "
                            "instruction)", (unsigned long long)rip,
                            (unsigned long long)va_pa(s->end));
            }
        } else if (run >> 32 || (uint32_t)run != s->reason) {
            vmx_expect_exit(s->name, run, s->reason, s->qual);
        } else {
            uint64_t rip = vmread(F_G_RIP), len = vmread(F_EXIT_INSN_LEN);
            uint64_t q = vmread(F_EXIT_QUAL);
            uint64_t want_len = (uint64_t)(s->end - s->start);
            if (rip != va_pa(s->start))
                t_check(0, s->name, "exit %u at guest RIP 0x%llx, want 0x%llx", s->reason,
                        (unsigned long long)rip, (unsigned long long)va_pa(s->start));
            else if (s->check_len && len != want_len)
                t_check(0, s->name, "exit %u: instruction length %llu, want %llu", s->reason,
                        (unsigned long long)len, (unsigned long long)want_len);
            else if (s->qual != VMX_ANY && q != s->qual)
                t_check(0, s->name, "exit %u: qualification 0x%llx, want 0x%llx", s->reason,
                        (unsigned long long)q, (unsigned long long)s->qual);
            else
                t_check(1, s->name, "%s", "");
        }
        if (s->check)
            s->check();
    }
}
