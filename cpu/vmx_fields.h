/* vmx_fields.h — the VMCS field table: every VMCS component of SDM Vol. 3 Appendix B that hvsim
 * knows, in one list. Everything else about fields is generated from it: the field indices of the
 * cached VMCS (enum vmcs_field), the encoding -> index map, and the packed order of the fields
 * in the VMCS memory image (docs/VMX.md "VMCS memory format").
 *
 * X(NAME, ENCODING, GATE): ENCODING is the full-access encoding of Appendix B (bit 0 = 0; the
 * high-access encoding of a 64-bit field is ENCODING | 1). Width (bits 14:13) and type (bits 11:10)
 * come from the encoding itself (SDM 24.11.2, Table 24-21). GATE names the capability whose
 * allowed-1 setting makes the field exist ("exists only on processors that support the 1-setting
 * of ...", Appendix B); vmx_field_exists() (vmx_caps.c) evaluates it against the CPU model.
 *
 * Invariant: append-only within a width/type group is not required, but the order defines the
 * memory image, so a change of the list changes VMX_VMCS_FORMAT (vmx.h).
 */
#ifndef HVSIM_VMX_FIELDS_H
#define HVSIM_VMX_FIELDS_H

/* Field-existence gates (evaluated in vmx_caps.c). */
enum vmx_gate {
    VG_ALWAYS,
    VG_VPID,        /* secondary control 5 "enable VPID" */
    VG_PINTR,       /* pin control 7 "process posted interrupts" */
    VG_VE,          /* secondary 18 "EPT-violation #VE" */
    VG_VID,         /* secondary 9 "virtual-interrupt delivery" */
    VG_PML,         /* secondary 17 "enable PML" */
    VG_EPT,         /* secondary 1 "enable EPT" */
    VG_VMFUNC,      /* secondary 13 "enable VM functions" */
    VG_EPTP_LIST,   /* VM function 0 "EPTP switching" */
    VG_SHADOW,      /* secondary 14 "VMCS shadowing" */
    VG_XSAVES,      /* secondary 20 "enable XSAVES/XRSTORS" */
    VG_ENCLS,       /* secondary 15 "enable ENCLS exiting" */
    VG_TSC_SCALE,   /* secondary 25 "use TSC scaling" */
    VG_APIC_ACCESS, /* secondary 0 "virtualize APIC accesses" */
    VG_TPR_SHADOW,  /* primary 21 "use TPR shadow" */
    VG_PLE,         /* secondary 10 "PAUSE-loop exiting" */
    VG_PROC2,       /* primary 31 "activate secondary controls" */
    VG_PREEMPT,     /* pin 6 "activate VMX-preemption timer" */
    VG_GUEST_PAT,   /* entry 14 "load IA32_PAT" or exit 18 "save IA32_PAT" */
    VG_GUEST_EFER,  /* entry 15 "load IA32_EFER" or exit 20 "save IA32_EFER" */
    VG_GUEST_PERF,  /* entry 13 "load IA32_PERF_GLOBAL_CTRL" */
    VG_BNDCFGS,     /* entry 16 "load IA32_BNDCFGS" or exit 23 "clear IA32_BNDCFGS" */
    VG_HOST_PAT,    /* exit 19 "load IA32_PAT" */
    VG_HOST_EFER,   /* exit 21 "load IA32_EFER" */
    VG_HOST_PERF,   /* exit 12 "load IA32_PERF_GLOBAL_CTRL" */
    VG_CR3_TARGET,  /* CR3-target value n exists if IA32_VMX_MISC[24:16] > n */
};

#define VMX_FIELDS(X) \
    /* 16-bit control fields (B.1.1) */ \
    X(VPID,                      0x0000, VG_VPID) \
    X(POSTED_INTR_NV,            0x0002, VG_PINTR) \
    X(EPTP_INDEX,                0x0004, VG_VE) \
    /* 16-bit guest-state fields (B.1.2) */ \
    X(GUEST_ES_SEL,              0x0800, VG_ALWAYS) \
    X(GUEST_CS_SEL,              0x0802, VG_ALWAYS) \
    X(GUEST_SS_SEL,              0x0804, VG_ALWAYS) \
    X(GUEST_DS_SEL,              0x0806, VG_ALWAYS) \
    X(GUEST_FS_SEL,              0x0808, VG_ALWAYS) \
    X(GUEST_GS_SEL,              0x080a, VG_ALWAYS) \
    X(GUEST_LDTR_SEL,            0x080c, VG_ALWAYS) \
    X(GUEST_TR_SEL,              0x080e, VG_ALWAYS) \
    X(GUEST_INTR_STATUS,         0x0810, VG_VID) \
    X(GUEST_PML_INDEX,           0x0812, VG_PML) \
    /* 16-bit host-state fields (B.1.3) */ \
    X(HOST_ES_SEL,               0x0c00, VG_ALWAYS) \
    X(HOST_CS_SEL,               0x0c02, VG_ALWAYS) \
    X(HOST_SS_SEL,               0x0c04, VG_ALWAYS) \
    X(HOST_DS_SEL,               0x0c06, VG_ALWAYS) \
    X(HOST_FS_SEL,               0x0c08, VG_ALWAYS) \
    X(HOST_GS_SEL,               0x0c0a, VG_ALWAYS) \
    X(HOST_TR_SEL,               0x0c0c, VG_ALWAYS) \
    /* 64-bit control fields (B.2.1) */ \
    X(IO_BITMAP_A,               0x2000, VG_ALWAYS) \
    X(IO_BITMAP_B,               0x2002, VG_ALWAYS) \
    X(MSR_BITMAP,                0x2004, VG_ALWAYS) \
    X(EXIT_MSR_STORE_ADDR,       0x2006, VG_ALWAYS) \
    X(EXIT_MSR_LOAD_ADDR,        0x2008, VG_ALWAYS) \
    X(ENTRY_MSR_LOAD_ADDR,       0x200a, VG_ALWAYS) \
    X(EXECUTIVE_VMCS_PTR,        0x200c, VG_ALWAYS) \
    X(PML_ADDR,                  0x200e, VG_PML) \
    X(TSC_OFFSET,                0x2010, VG_ALWAYS) \
    X(VIRTUAL_APIC_ADDR,         0x2012, VG_TPR_SHADOW) \
    X(APIC_ACCESS_ADDR,          0x2014, VG_APIC_ACCESS) \
    X(POSTED_INTR_DESC_ADDR,     0x2016, VG_PINTR) \
    X(VMFUNC_CONTROLS,           0x2018, VG_VMFUNC) \
    X(EPT_POINTER,               0x201a, VG_EPT) \
    X(EOI_EXIT_BITMAP0,          0x201c, VG_VID) \
    X(EOI_EXIT_BITMAP1,          0x201e, VG_VID) \
    X(EOI_EXIT_BITMAP2,          0x2020, VG_VID) \
    X(EOI_EXIT_BITMAP3,          0x2022, VG_VID) \
    X(EPTP_LIST_ADDR,            0x2024, VG_EPTP_LIST) \
    X(VMREAD_BITMAP,             0x2026, VG_SHADOW) \
    X(VMWRITE_BITMAP,            0x2028, VG_SHADOW) \
    X(VE_INFO_ADDR,              0x202a, VG_VE) \
    X(XSS_EXIT_BITMAP,           0x202c, VG_XSAVES) \
    X(ENCLS_EXIT_BITMAP,         0x202e, VG_ENCLS) \
    X(TSC_MULTIPLIER,            0x2032, VG_TSC_SCALE) \
    /* 64-bit read-only data field (B.2.2) */ \
    X(GUEST_PHYSICAL_ADDR,       0x2400, VG_EPT) \
    /* 64-bit guest-state fields (B.2.3) */ \
    X(VMCS_LINK_PTR,             0x2800, VG_ALWAYS) \
    X(GUEST_DEBUGCTL,            0x2802, VG_ALWAYS) \
    X(GUEST_PAT,                 0x2804, VG_GUEST_PAT) \
    X(GUEST_EFER,                0x2806, VG_GUEST_EFER) \
    X(GUEST_PERF_GLOBAL_CTRL,    0x2808, VG_GUEST_PERF) \
    X(GUEST_PDPTE0,              0x280a, VG_EPT) \
    X(GUEST_PDPTE1,              0x280c, VG_EPT) \
    X(GUEST_PDPTE2,              0x280e, VG_EPT) \
    X(GUEST_PDPTE3,              0x2810, VG_EPT) \
    X(GUEST_BNDCFGS,             0x2812, VG_BNDCFGS) \
    /* 64-bit host-state fields (B.2.4) */ \
    X(HOST_PAT,                  0x2c00, VG_HOST_PAT) \
    X(HOST_EFER,                 0x2c02, VG_HOST_EFER) \
    X(HOST_PERF_GLOBAL_CTRL,     0x2c04, VG_HOST_PERF) \
    /* 32-bit control fields (B.3.1) */ \
    X(PIN_CONTROLS,              0x4000, VG_ALWAYS) \
    X(PROC_CONTROLS,             0x4002, VG_ALWAYS) \
    X(EXCEPTION_BITMAP,          0x4004, VG_ALWAYS) \
    X(PF_ERROR_MASK,             0x4006, VG_ALWAYS) \
    X(PF_ERROR_MATCH,            0x4008, VG_ALWAYS) \
    X(CR3_TARGET_COUNT,          0x400a, VG_ALWAYS) \
    X(EXIT_CONTROLS,             0x400c, VG_ALWAYS) \
    X(EXIT_MSR_STORE_COUNT,      0x400e, VG_ALWAYS) \
    X(EXIT_MSR_LOAD_COUNT,       0x4010, VG_ALWAYS) \
    X(ENTRY_CONTROLS,            0x4012, VG_ALWAYS) \
    X(ENTRY_MSR_LOAD_COUNT,      0x4014, VG_ALWAYS) \
    X(ENTRY_INTR_INFO,           0x4016, VG_ALWAYS) \
    X(ENTRY_EXCEPTION_ERROR,     0x4018, VG_ALWAYS) \
    X(ENTRY_INSN_LEN,            0x401a, VG_ALWAYS) \
    X(TPR_THRESHOLD,             0x401c, VG_TPR_SHADOW) \
    X(PROC_CONTROLS2,            0x401e, VG_PROC2) \
    X(PLE_GAP,                   0x4020, VG_PLE) \
    X(PLE_WINDOW,                0x4022, VG_PLE) \
    /* 32-bit read-only data fields (B.3.2) */ \
    X(VM_INSN_ERROR,             0x4400, VG_ALWAYS) \
    X(EXIT_REASON,               0x4402, VG_ALWAYS) \
    X(EXIT_INTR_INFO,            0x4404, VG_ALWAYS) \
    X(EXIT_INTR_ERROR,           0x4406, VG_ALWAYS) \
    X(IDT_VECTORING_INFO,        0x4408, VG_ALWAYS) \
    X(IDT_VECTORING_ERROR,       0x440a, VG_ALWAYS) \
    X(EXIT_INSN_LEN,             0x440c, VG_ALWAYS) \
    X(EXIT_INSN_INFO,            0x440e, VG_ALWAYS) \
    /* 32-bit guest-state fields (B.3.3) */ \
    X(GUEST_ES_LIMIT,            0x4800, VG_ALWAYS) \
    X(GUEST_CS_LIMIT,            0x4802, VG_ALWAYS) \
    X(GUEST_SS_LIMIT,            0x4804, VG_ALWAYS) \
    X(GUEST_DS_LIMIT,            0x4806, VG_ALWAYS) \
    X(GUEST_FS_LIMIT,            0x4808, VG_ALWAYS) \
    X(GUEST_GS_LIMIT,            0x480a, VG_ALWAYS) \
    X(GUEST_LDTR_LIMIT,          0x480c, VG_ALWAYS) \
    X(GUEST_TR_LIMIT,            0x480e, VG_ALWAYS) \
    X(GUEST_GDTR_LIMIT,          0x4810, VG_ALWAYS) \
    X(GUEST_IDTR_LIMIT,          0x4812, VG_ALWAYS) \
    X(GUEST_ES_AR,               0x4814, VG_ALWAYS) \
    X(GUEST_CS_AR,               0x4816, VG_ALWAYS) \
    X(GUEST_SS_AR,               0x4818, VG_ALWAYS) \
    X(GUEST_DS_AR,               0x481a, VG_ALWAYS) \
    X(GUEST_FS_AR,               0x481c, VG_ALWAYS) \
    X(GUEST_GS_AR,               0x481e, VG_ALWAYS) \
    X(GUEST_LDTR_AR,             0x4820, VG_ALWAYS) \
    X(GUEST_TR_AR,               0x4822, VG_ALWAYS) \
    X(GUEST_INTERRUPTIBILITY,    0x4824, VG_ALWAYS) \
    X(GUEST_ACTIVITY_STATE,      0x4826, VG_ALWAYS) \
    X(GUEST_SMBASE,              0x4828, VG_ALWAYS) \
    X(GUEST_SYSENTER_CS,         0x482a, VG_ALWAYS) \
    X(PREEMPTION_TIMER,          0x482e, VG_PREEMPT) \
    /* 32-bit host-state field (B.3.4) */ \
    X(HOST_SYSENTER_CS,          0x4c00, VG_ALWAYS) \
    /* natural-width control fields (B.4.1) */ \
    X(CR0_GUEST_HOST_MASK,       0x6000, VG_ALWAYS) \
    X(CR4_GUEST_HOST_MASK,       0x6002, VG_ALWAYS) \
    X(CR0_READ_SHADOW,           0x6004, VG_ALWAYS) \
    X(CR4_READ_SHADOW,           0x6006, VG_ALWAYS) \
    X(CR3_TARGET0,               0x6008, VG_CR3_TARGET) \
    X(CR3_TARGET1,               0x600a, VG_CR3_TARGET) \
    X(CR3_TARGET2,               0x600c, VG_CR3_TARGET) \
    X(CR3_TARGET3,               0x600e, VG_CR3_TARGET) \
    /* natural-width read-only data fields (B.4.2) */ \
    X(EXIT_QUALIFICATION,        0x6400, VG_ALWAYS) \
    X(IO_RCX,                    0x6402, VG_ALWAYS) \
    X(IO_RSI,                    0x6404, VG_ALWAYS) \
    X(IO_RDI,                    0x6406, VG_ALWAYS) \
    X(IO_RIP,                    0x6408, VG_ALWAYS) \
    X(GUEST_LINEAR_ADDR,         0x640a, VG_ALWAYS) \
    /* natural-width guest-state fields (B.4.3) */ \
    X(GUEST_CR0,                 0x6800, VG_ALWAYS) \
    X(GUEST_CR3,                 0x6802, VG_ALWAYS) \
    X(GUEST_CR4,                 0x6804, VG_ALWAYS) \
    X(GUEST_ES_BASE,             0x6806, VG_ALWAYS) \
    X(GUEST_CS_BASE,             0x6808, VG_ALWAYS) \
    X(GUEST_SS_BASE,             0x680a, VG_ALWAYS) \
    X(GUEST_DS_BASE,             0x680c, VG_ALWAYS) \
    X(GUEST_FS_BASE,             0x680e, VG_ALWAYS) \
    X(GUEST_GS_BASE,             0x6810, VG_ALWAYS) \
    X(GUEST_LDTR_BASE,           0x6812, VG_ALWAYS) \
    X(GUEST_TR_BASE,             0x6814, VG_ALWAYS) \
    X(GUEST_GDTR_BASE,           0x6816, VG_ALWAYS) \
    X(GUEST_IDTR_BASE,           0x6818, VG_ALWAYS) \
    X(GUEST_DR7,                 0x681a, VG_ALWAYS) \
    X(GUEST_RSP,                 0x681c, VG_ALWAYS) \
    X(GUEST_RIP,                 0x681e, VG_ALWAYS) \
    X(GUEST_RFLAGS,              0x6820, VG_ALWAYS) \
    X(GUEST_PENDING_DBG,         0x6822, VG_ALWAYS) \
    X(GUEST_SYSENTER_ESP,        0x6824, VG_ALWAYS) \
    X(GUEST_SYSENTER_EIP,        0x6826, VG_ALWAYS) \
    /* natural-width host-state fields (B.4.4) */ \
    X(HOST_CR0,                  0x6c00, VG_ALWAYS) \
    X(HOST_CR3,                  0x6c02, VG_ALWAYS) \
    X(HOST_CR4,                  0x6c04, VG_ALWAYS) \
    X(HOST_FS_BASE,              0x6c06, VG_ALWAYS) \
    X(HOST_GS_BASE,              0x6c08, VG_ALWAYS) \
    X(HOST_TR_BASE,              0x6c0a, VG_ALWAYS) \
    X(HOST_GDTR_BASE,            0x6c0c, VG_ALWAYS) \
    X(HOST_IDTR_BASE,            0x6c0e, VG_ALWAYS) \
    X(HOST_SYSENTER_ESP,         0x6c10, VG_ALWAYS) \
    X(HOST_SYSENTER_EIP,         0x6c12, VG_ALWAYS) \
    X(HOST_RSP,                  0x6c14, VG_ALWAYS) \
    X(HOST_RIP,                  0x6c16, VG_ALWAYS)

/* Field indices: the slot of each field in the cached VMCS (struct vmx_state.vmcs). */
enum vmcs_field {
#define VMX_FIELD_ENUM(name, enc, gate) VMCS_##name,
    VMX_FIELDS(VMX_FIELD_ENUM)
#undef VMX_FIELD_ENUM
    VMX_NFIELDS
};

/* Encodings as named constants (VMCS_ENC_<NAME>), for code and tests. */
enum vmcs_encoding {
#define VMX_FIELD_ENC(name, enc, gate) VMCS_ENC_##name = (enc),
    VMX_FIELDS(VMX_FIELD_ENC)
#undef VMX_FIELD_ENC
};

/* Structure of a field encoding (SDM Vol. 3 24.11.2, Table 24-21). */
#define VMCS_ENC_HIGH(e)   ((e) & 1u)              /* access type: 1 = high 32 bits of a 64-bit field */
#define VMCS_ENC_INDEX(e)  (((e) >> 1) & 0x1ffu)
#define VMCS_ENC_TYPE(e)   (((e) >> 10) & 3u)
#define VMCS_ENC_WIDTH(e)  (((e) >> 13) & 3u)
enum vmcs_width { VMCS_W16 = 0, VMCS_W64 = 1, VMCS_W32 = 2, VMCS_WNAT = 3 };
enum vmcs_type { VMCS_T_CONTROL = 0, VMCS_T_RODATA = 1, VMCS_T_GUEST = 2, VMCS_T_HOST = 3 };

#endif
