/* trace_names.c — names of VM-exit reasons, in the spelling of SDM Vol. 3 Appendix C (upper case,
 * underscores), indexed by enum vmx_exit_reason (cpu/vmx_exit.h); names of hypercall call codes
 * and status codes, and SynIC message types, in the spelling of the Hyper-V TLFS. */
#include "traces/trace_names.h"

#include <stdio.h>

#include "cpu/vmx_exit.h"

static const char *const exit_names[VMX_EXIT_NREASONS] = {
    [VMX_EXIT_EXCEPTION_NMI] = "EXCEPTION_NMI",
    [VMX_EXIT_EXTERNAL_INTERRUPT] = "EXTERNAL_INTERRUPT",
    [VMX_EXIT_TRIPLE_FAULT] = "TRIPLE_FAULT",
    [VMX_EXIT_INIT] = "INIT_SIGNAL",
    [VMX_EXIT_SIPI] = "SIPI",
    [VMX_EXIT_IO_SMI] = "IO_SMI",
    [VMX_EXIT_OTHER_SMI] = "OTHER_SMI",
    [VMX_EXIT_INTERRUPT_WINDOW] = "INTERRUPT_WINDOW",
    [VMX_EXIT_NMI_WINDOW] = "NMI_WINDOW",
    [VMX_EXIT_TASK_SWITCH] = "TASK_SWITCH",
    [VMX_EXIT_CPUID] = "CPUID",
    [VMX_EXIT_GETSEC] = "GETSEC",
    [VMX_EXIT_HLT] = "HLT",
    [VMX_EXIT_INVD] = "INVD",
    [VMX_EXIT_INVLPG] = "INVLPG",
    [VMX_EXIT_RDPMC] = "RDPMC",
    [VMX_EXIT_RDTSC] = "RDTSC",
    [VMX_EXIT_RSM] = "RSM",
    [VMX_EXIT_VMCALL] = "VMCALL",
    [VMX_EXIT_VMCLEAR] = "VMCLEAR",
    [VMX_EXIT_VMLAUNCH] = "VMLAUNCH",
    [VMX_EXIT_VMPTRLD] = "VMPTRLD",
    [VMX_EXIT_VMPTRST] = "VMPTRST",
    [VMX_EXIT_VMREAD] = "VMREAD",
    [VMX_EXIT_VMRESUME] = "VMRESUME",
    [VMX_EXIT_VMWRITE] = "VMWRITE",
    [VMX_EXIT_VMXOFF] = "VMXOFF",
    [VMX_EXIT_VMXON] = "VMXON",
    [VMX_EXIT_CR_ACCESS] = "CR_ACCESS",
    [VMX_EXIT_DR_ACCESS] = "DR_ACCESS",
    [VMX_EXIT_IO_INSTRUCTION] = "IO_INSTRUCTION",
    [VMX_EXIT_RDMSR] = "RDMSR",
    [VMX_EXIT_WRMSR] = "WRMSR",
    [VMX_EXIT_INVALID_GUEST_STATE] = "INVALID_GUEST_STATE",
    [VMX_EXIT_MSR_LOADING] = "MSR_LOADING",
    [VMX_EXIT_MWAIT] = "MWAIT",
    [VMX_EXIT_MONITOR_TRAP_FLAG] = "MONITOR_TRAP_FLAG",
    [VMX_EXIT_MONITOR] = "MONITOR",
    [VMX_EXIT_PAUSE] = "PAUSE",
    [VMX_EXIT_MCE_DURING_ENTRY] = "MCE_DURING_ENTRY",
    [VMX_EXIT_TPR_BELOW_THRESHOLD] = "TPR_BELOW_THRESHOLD",
    [VMX_EXIT_APIC_ACCESS] = "APIC_ACCESS",
    [VMX_EXIT_VIRTUALIZED_EOI] = "VIRTUALIZED_EOI",
    [VMX_EXIT_GDTR_IDTR] = "GDTR_IDTR",
    [VMX_EXIT_LDTR_TR] = "LDTR_TR",
    [VMX_EXIT_EPT_VIOLATION] = "EPT_VIOLATION",
    [VMX_EXIT_EPT_MISCONFIG] = "EPT_MISCONFIG",
    [VMX_EXIT_INVEPT] = "INVEPT",
    [VMX_EXIT_RDTSCP] = "RDTSCP",
    [VMX_EXIT_PREEMPTION_TIMER] = "PREEMPTION_TIMER",
    [VMX_EXIT_INVVPID] = "INVVPID",
    [VMX_EXIT_WBINVD] = "WBINVD",
    [VMX_EXIT_XSETBV] = "XSETBV",
    [VMX_EXIT_APIC_WRITE] = "APIC_WRITE",
    [VMX_EXIT_RDRAND] = "RDRAND",
    [VMX_EXIT_INVPCID] = "INVPCID",
    [VMX_EXIT_VMFUNC] = "VMFUNC",
    [VMX_EXIT_ENCLS] = "ENCLS",
    [VMX_EXIT_RDSEED] = "RDSEED",
    [VMX_EXIT_PML_FULL] = "PML_FULL",
    [VMX_EXIT_XSAVES] = "XSAVES",
    [VMX_EXIT_XRSTORS] = "XRSTORS",
};

const char *trace_exit_reason_name(unsigned r)
{
    r &= 0xffffu;   /* basic exit reason: bits 15:0 (SDM 24.9.1) */
    return r < VMX_EXIT_NREASONS ? exit_names[r] : 0;
}

unsigned trace_exit_reason_count(void) { return VMX_EXIT_NREASONS; }

/* Hypercall call codes, TLFS "Hypercall Reference" (and ../shared/design/HYPERV-REFERENCE.md
 * for the partition-management calls), sorted by code. */
static const struct { unsigned short code; const char *name; } hcall_names[] = {
    { 0x0001, "HvCallSwitchVirtualAddressSpace" },
    { 0x0002, "HvCallFlushVirtualAddressSpace" },
    { 0x0003, "HvCallFlushVirtualAddressList" },
    { 0x0008, "HvCallNotifyLongSpinWait" },
    { 0x000b, "HvCallSendSyntheticClusterIpi" },
    { 0x000c, "HvCallModifyVtlProtectionMask" },
    { 0x000d, "HvCallEnablePartitionVtl" },
    { 0x000f, "HvCallEnableVpVtl" },
    { 0x0011, "HvCallVtlCall" },
    { 0x0012, "HvCallVtlReturn" },
    { 0x0013, "HvCallFlushVirtualAddressSpaceEx" },
    { 0x0014, "HvCallFlushVirtualAddressListEx" },
    { 0x0015, "HvCallSendSyntheticClusterIpiEx" },
    { 0x0040, "HvCallCreatePartition" },
    { 0x0041, "HvCallInitializePartition" },
    { 0x0042, "HvCallFinalizePartition" },
    { 0x0043, "HvCallDeletePartition" },
    { 0x0044, "HvCallGetPartitionProperty" },
    { 0x0045, "HvCallSetPartitionProperty" },
    { 0x0046, "HvCallGetPartitionId" },
    { 0x0048, "HvCallDepositMemory" },
    { 0x0049, "HvCallWithdrawMemory" },
    { 0x004b, "HvCallMapGpaPages" },
    { 0x004c, "HvCallUnmapGpaPages" },
    { 0x004e, "HvCallCreateVp" },
    { 0x0050, "HvCallGetVpRegisters" },
    { 0x0051, "HvCallSetVpRegisters" },
    { 0x005c, "HvCallPostMessage" },
    { 0x005d, "HvCallSignalEvent" },
    { 0x007e, "HvCallRetargetDeviceInterrupt" },
    { 0x0095, "HvCallCreatePort" },
    { 0x0096, "HvCallConnectPort" },
    { 0x0099, "HvCallStartVirtualProcessor" },
    { 0x009a, "HvCallGetVpIndexFromApicId" },
    { 0x00af, "HvCallFlushGuestPhysicalAddressSpace" },
    { 0x00b0, "HvCallFlushGuestPhysicalAddressList" },
    { 0x8001, "HvExtCallQueryCapabilities" },
};

const char *trace_hcall_name(unsigned code)
{
    unsigned lo = 0, hi = sizeof hcall_names / sizeof hcall_names[0];
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (hcall_names[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sizeof hcall_names / sizeof hcall_names[0] && hcall_names[lo].code == code
           ? hcall_names[lo].name : 0;
}

/* Hypercall status codes (result value bits 15:0), TLFS "Hypercall Status Codes". */
static const char *const hv_status_names[] = {
    [0x00] = "HV_STATUS_SUCCESS",
    [0x02] = "HV_STATUS_INVALID_HYPERCALL_CODE",
    [0x03] = "HV_STATUS_INVALID_HYPERCALL_INPUT",
    [0x04] = "HV_STATUS_INVALID_ALIGNMENT",
    [0x05] = "HV_STATUS_INVALID_PARAMETER",
    [0x06] = "HV_STATUS_ACCESS_DENIED",
    [0x07] = "HV_STATUS_INVALID_PARTITION_STATE",
    [0x08] = "HV_STATUS_OPERATION_DENIED",
    [0x09] = "HV_STATUS_UNKNOWN_PROPERTY",
    [0x0a] = "HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE",
    [0x0b] = "HV_STATUS_INSUFFICIENT_MEMORY",
    [0x0c] = "HV_STATUS_PARTITION_TOO_DEEP",
    [0x0d] = "HV_STATUS_INVALID_PARTITION_ID",
    [0x0e] = "HV_STATUS_INVALID_VP_INDEX",
    [0x10] = "HV_STATUS_NOT_FOUND",
    [0x11] = "HV_STATUS_INVALID_PORT_ID",
    [0x12] = "HV_STATUS_INVALID_CONNECTION_ID",
    [0x13] = "HV_STATUS_INSUFFICIENT_BUFFERS",
    [0x14] = "HV_STATUS_NOT_ACKNOWLEDGED",
    [0x15] = "HV_STATUS_INVALID_VP_STATE",
    [0x18] = "HV_STATUS_INVALID_SYNIC_STATE",
    [0x1d] = "HV_STATUS_NO_RESOURCES",
};

const char *trace_hv_status_name(unsigned status)
{
    return status < sizeof hv_status_names / sizeof hv_status_names[0] ? hv_status_names[status]
                                                                       : 0;
}

/* TLFS HV_MESSAGE_TYPE values (hypervisor messages have bit 31 set; Linux hyperv-tlfs.h
 * enum hv_message_type for the same numbers); the spelling of hv/abi/tlfs.h. */
static const struct { unsigned type; const char *name; } hvmsg_names[] = {
    { 0x00000000u, "HVMSG_NONE" },
    { 0x80000000u, "HVMSG_UNMAPPED_GPA" },
    { 0x80000001u, "HVMSG_GPA_INTERCEPT" },
    { 0x80000010u, "HVMSG_TIMER_EXPIRED" },
    { 0x80000020u, "HVMSG_INVALID_VP_REGISTER_VALUE" },
    { 0x80000021u, "HVMSG_UNRECOVERABLE_EXCEPTION" },
    { 0x80000022u, "HVMSG_UNSUPPORTED_FEATURE" },
    { 0x80000040u, "HVMSG_EVENTLOG_BUFFERCOMPLETE" },
    { 0x80010000u, "HVMSG_X64_IO_PORT_INTERCEPT" },
    { 0x80010001u, "HVMSG_X64_MSR_INTERCEPT" },
    { 0x80010002u, "HVMSG_X64_CPUID_INTERCEPT" },
    { 0x80010003u, "HVMSG_X64_EXCEPTION_INTERCEPT" },
    { 0x80010004u, "HVMSG_X64_APIC_EOI" },
    { 0x80010005u, "HVMSG_X64_LEGACY_FP_ERROR" },
    { 0x80010007u, "HVMSG_X64_HALT" },
};

const char *trace_hvmsg_name(unsigned type)
{
    for (unsigned k = 0; k < sizeof hvmsg_names / sizeof hvmsg_names[0]; k++)
        if (hvmsg_names[k].type == type)
            return hvmsg_names[k].name;
    return 0;
}

void trace_hvmsg_label(unsigned type, char *buf, size_t len)
{
    const char *n = trace_hvmsg_name(type);
    if (n)
        snprintf(buf, len, "%s", n);
    else
        snprintf(buf, len, "message type %#x", type);
}
