/* tlfs.h — the subset of the Hyper-V ABI (Hypervisor Top-Level Functional Specification, TLFS
 * 6.0) that hvsim's hypervisor implements and its partitions use: hypercall codes, status codes,
 * the hypercall input/result value layout, synthetic MSRs, CPUID leaves and privilege bits, the
 * SynIC message slot and message types, register names, the initial VP context and the input
 * blocks of the hypercalls we implement (docs/HYPERVISOR.md "Hypercalls",
 * ../shared/design/HYPERV-REFERENCE.md).
 *
 * Plain C11 with fixed-width types and no dependencies: the hypervisor (hv/), the partition
 * kernels (partitions/), the simulator's trace tools and the host unit tests include it. Names
 * follow the TLFS and Linux include/hyperv/hvgdk_mini.h / hvhdk.h with the HV_ prefix; values were
 * checked against them. Every input block is packed little-endian exactly as the TLFS lays it
 * out; sizes and offsets are pinned with static asserts.
 *
 * Invariants: values are ABI: never renumber. hvsim extensions are marked "hvsim:" and live in
 * ranges the TLFS leaves unused.
 */
#ifndef HV_ABI_TLFS_H
#define HV_ABI_TLFS_H

#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
#define HV_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define HV_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

#define HV_PAGE_SIZE 4096u
#define HV_PAGE_SHIFT 12

/* ------------------------------------------------------------------ status codes (TLFS 3.9) */
#define HV_STATUS_SUCCESS                     0x0000
#define HV_STATUS_INVALID_HYPERCALL_CODE      0x0002
#define HV_STATUS_INVALID_HYPERCALL_INPUT     0x0003
#define HV_STATUS_INVALID_ALIGNMENT           0x0004
#define HV_STATUS_INVALID_PARAMETER           0x0005
#define HV_STATUS_ACCESS_DENIED               0x0006
#define HV_STATUS_INVALID_PARTITION_STATE     0x0007
#define HV_STATUS_OPERATION_DENIED            0x0008
#define HV_STATUS_UNKNOWN_PROPERTY            0x0009
#define HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE 0x000A
#define HV_STATUS_INSUFFICIENT_MEMORY         0x000B
#define HV_STATUS_INVALID_PARTITION_ID        0x000D
#define HV_STATUS_INVALID_VP_INDEX            0x000E
#define HV_STATUS_NOT_FOUND                   0x0010
#define HV_STATUS_INVALID_PORT_ID             0x0011
#define HV_STATUS_INVALID_CONNECTION_ID       0x0012
#define HV_STATUS_INSUFFICIENT_BUFFERS        0x0013
#define HV_STATUS_NOT_ACKNOWLEDGED            0x0014
#define HV_STATUS_INVALID_VP_STATE            0x0015
#define HV_STATUS_INVALID_SYNIC_STATE         0x0018
#define HV_STATUS_NO_RESOURCES                0x001D

/* ------------------------------------------------------------------ hypercall codes (TLFS App. A) */
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE    0x0002
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST     0x0003
#define HVCALL_NOTIFY_LONG_SPIN_WAIT          0x0008
#define HVCALL_SEND_IPI                       0x000B
#define HVCALL_CREATE_PARTITION               0x0040
#define HVCALL_INITIALIZE_PARTITION           0x0041
#define HVCALL_FINALIZE_PARTITION             0x0042
#define HVCALL_DELETE_PARTITION               0x0043
#define HVCALL_GET_PARTITION_PROPERTY         0x0044
#define HVCALL_SET_PARTITION_PROPERTY         0x0045
#define HVCALL_GET_PARTITION_ID               0x0046
#define HVCALL_DEPOSIT_MEMORY                 0x0048
#define HVCALL_WITHDRAW_MEMORY                0x0049
#define HVCALL_MAP_GPA_PAGES                  0x004B
#define HVCALL_UNMAP_GPA_PAGES                0x004C
#define HVCALL_INSTALL_INTERCEPT              0x004D
#define HVCALL_CREATE_VP                      0x004E
#define HVCALL_GET_VP_REGISTERS               0x0050
#define HVCALL_SET_VP_REGISTERS               0x0051
#define HVCALL_DELETE_PORT                    0x0058
#define HVCALL_DISCONNECT_PORT                0x005B
#define HVCALL_POST_MESSAGE                   0x005C
#define HVCALL_SIGNAL_EVENT                   0x005D
#define HVCALL_CREATE_PORT                    0x0095
#define HVCALL_CONNECT_PORT                   0x0096
#define HVCALL_START_VP                       0x0099

/* ------------------------------------------------------------------ hypercall input value (RCX)
 * TLFS 3.7: 15:0 call code, 16 fast, 26:17 variable header size (8-byte units), 31:27 reserved
 * (bit 31 "nested" on hosts that nest; zero here), 43:32 rep count, 47:44 reserved, 59:48 rep
 * start index, 63:60 reserved. */
#define HV_HYPERCALL_CODE_MASK          0x000000000000FFFFull
#define HV_HYPERCALL_FAST_BIT           (1ull << 16)
#define HV_HYPERCALL_VARHEAD_OFFSET     17
#define HV_HYPERCALL_VARHEAD_MASK       0x0000000007FE0000ull
#define HV_HYPERCALL_RSVD0_MASK         0x00000000F8000000ull
#define HV_HYPERCALL_REP_COMP_OFFSET    32
#define HV_HYPERCALL_REP_COMP_MASK      0x00000FFF00000000ull
#define HV_HYPERCALL_RSVD1_MASK         0x0000F00000000000ull
#define HV_HYPERCALL_REP_START_OFFSET   48
#define HV_HYPERCALL_REP_START_MASK     0x0FFF000000000000ull
#define HV_HYPERCALL_RSVD2_MASK         0xF000000000000000ull
#define HV_HYPERCALL_RSVD_MASK \
    (HV_HYPERCALL_RSVD0_MASK | HV_HYPERCALL_RSVD1_MASK | HV_HYPERCALL_RSVD2_MASK)

/* Result value (RAX): 15:0 status, 43:32 reps completed, the rest zero (TLFS 3.8). */
#define HV_HYPERCALL_RESULT_MASK        0x000000000000FFFFull
#define HV_HYPERCALL_REP_DONE_OFFSET    32
#define HV_HYPERCALL_REP_DONE_MASK      0x00000FFF00000000ull

static inline uint64_t hv_hypercall_input(uint16_t code, int fast, uint32_t rep_count,
                                          uint32_t rep_start)
{
    return (uint64_t)code | (fast ? HV_HYPERCALL_FAST_BIT : 0) |
           (((uint64_t)rep_count << HV_HYPERCALL_REP_COMP_OFFSET) & HV_HYPERCALL_REP_COMP_MASK) |
           (((uint64_t)rep_start << HV_HYPERCALL_REP_START_OFFSET) & HV_HYPERCALL_REP_START_MASK);
}

/* ------------------------------------------------------------------ TLB flush and IPI calls
 * TLFS "Virtual MMU": HvCallFlushVirtualAddressSpace (0x0002, simple) and
 * HvCallFlushVirtualAddressList (0x0003, rep: one GVA per element, its bits 11:0 the number of
 * additional pages); TLFS "Virtual interrupts": HvCallSendSyntheticClusterIpi (0x000B, simple,
 * fast allowed); layouts of Linux hyperv-tlfs.h struct hv_tlb_flush / struct hv_send_ipi. */
#define HV_FLUSH_ALL_PROCESSORS             (1ull << 0)
#define HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES (1ull << 1)
#define HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY   (1ull << 2)
/* bit 3 (HV_FLUSH_USE_EXTENDED_RANGE_FORMAT) is not offered: reserved here, like 63:4 */
#define HV_FLUSH_VALID_FLAGS                0x7ull
#define HV_FLUSH_GVA_PAGE_MASK              0xFFFull    /* additional pages in a list element */
struct hv_input_flush_virtual_address {
    uint64_t address_space;         /* CR3 of the address space (a hint: all are flushed) */
    uint64_t flags;
    uint64_t processor_mask;        /* bit i: VP index i */
} __attribute__((packed));
#define HV_IPI_LOW_VECTOR  0x10u
#define HV_IPI_HIGH_VECTOR 0xFFu
struct hv_input_send_synthetic_cluster_ipi {
    uint32_t vector;
    uint8_t target_vtl;             /* HV_INPUT_VTL: only VTL 0 (0) exists here */
    uint8_t reserved[3];
    uint64_t processor_mask;        /* bit i: VP index i */
} __attribute__((packed));
/* HvCallNotifyLongSpinWait (TLFS "Scheduler" / spinlock hints, 0x0008, simple, fast): input the spin count (8 bytes). */
struct hv_input_notify_long_spin_wait {
    uint32_t spin_count;
    uint32_t reserved;
} __attribute__((packed));

#define HV_PARTITION_ID_INVALID  0ull
#define HV_PARTITION_ID_SELF     (~0ull)
#define HV_VP_INDEX_SELF         0xFFFFFFFEu
#define HV_ANY_VP                0xFFFFFFFFu

/* ------------------------------------------------------------------ synthetic MSRs (TLFS 2.4) */
#define HV_X64_MSR_GUEST_OS_ID          0x40000000u
#define HV_X64_MSR_HYPERCALL            0x40000001u
#define HV_X64_MSR_VP_INDEX             0x40000002u
#define HV_X64_MSR_RESET                0x40000003u
#define HV_X64_MSR_VP_RUNTIME           0x40000010u
#define HV_X64_MSR_TIME_REF_COUNT       0x40000020u
#define HV_X64_MSR_REFERENCE_TSC        0x40000021u
#define HV_X64_MSR_TSC_FREQUENCY        0x40000022u
#define HV_X64_MSR_APIC_FREQUENCY       0x40000023u
#define HV_X64_MSR_EOI                  0x40000070u
#define HV_X64_MSR_ICR                  0x40000071u
#define HV_X64_MSR_TPR                  0x40000072u
#define HV_X64_MSR_VP_ASSIST_PAGE       0x40000073u
#define HV_X64_MSR_SCONTROL             0x40000080u
#define HV_X64_MSR_SVERSION             0x40000081u
#define HV_X64_MSR_SIEFP                0x40000082u
#define HV_X64_MSR_SIMP                 0x40000083u
#define HV_X64_MSR_EOM                  0x40000084u
#define HV_X64_MSR_SINT0                0x40000090u
#define HV_X64_MSR_SINT15               0x4000009Fu
#define HV_X64_MSR_STIMER0_CONFIG       0x400000B0u
#define HV_X64_MSR_STIMER0_COUNT        0x400000B1u
#define HV_X64_MSR_STIMER3_COUNT        0x400000B7u
#define HV_X64_MSR_SYNTHETIC_FIRST      0x40000000u
#define HV_X64_MSR_SYNTHETIC_LAST       0x400000FFu

#define HV_X64_MSR_HYPERCALL_ENABLE     0x1ull
#define HV_X64_MSR_HYPERCALL_LOCKED     0x2ull
#define HV_X64_MSR_HYPERCALL_PAGE_ADDRESS_SHIFT 12
#define HV_X64_MSR_HYPERCALL_PAGE_ADDRESS_MASK  (~0xFFFull)
#define HV_X64_MSR_TSC_REFERENCE_ENABLE 0x1ull
#define HV_X64_MSR_TSC_REFERENCE_ADDRESS_SHIFT 12

/* The hypercall page's code: VMCALL; RET (TLFS 3.13). */
#define HV_HYPERCALL_PAGE_CODE { 0x0F, 0x01, 0xC1, 0xC3 }

/* Reference TSC page (TLFS 12.7): time = ((tsc * scale) >> 64) + offset, in 100 ns units.
 * A sequence of 0 (or 0xFFFFFFFF on newer hosts) means "use TIME_REF_COUNT instead". */
struct hv_reference_tsc_page {
    volatile uint32_t tsc_sequence;
    uint32_t reserved1;
    volatile uint64_t tsc_scale;
    volatile int64_t tsc_offset;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_reference_tsc_page) == 24, "reference TSC page header");

#define HV_CLOCK_HZ 10000000ull     /* TIME_REF_COUNT and the TSC page tick at 100 ns */

/* ------------------------------------------------------------------ CPUID (TLFS 2.4) */
#define HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS 0x40000000u
#define HYPERV_CPUID_INTERFACE                0x40000001u
#define HYPERV_CPUID_VERSION                  0x40000002u
#define HYPERV_CPUID_FEATURES                 0x40000003u
#define HYPERV_CPUID_ENLIGHTMENT_INFO         0x40000004u
#define HYPERV_CPUID_IMPLEMENT_LIMITS         0x40000005u
#define HYPERV_CPUID_HARDWARE_FEATURES        0x40000006u
#define HYPERV_CPUID_MAX_LEAF                 0x40000006u   /* what we report in 0x40000000.EAX */
#define HYPERV_HYPERVISOR_PRESENT_BIT         0x80000000u   /* CPUID.1:ECX[31] */
#define HYPERV_CPUID_SIGNATURE_EBX 0x7263694Du              /* "Micr" */
#define HYPERV_CPUID_SIGNATURE_ECX 0x666F736Fu              /* "osof" */
#define HYPERV_CPUID_SIGNATURE_EDX 0x76482074u              /* "t Hv" */
#define HYPERV_CPUID_INTERFACE_HV1 0x31237648u              /* "Hv#1" */

/* HV_PARTITION_PRIVILEGE_MASK, low half = CPUID 0x40000003 EAX (access to synthetic MSRs). */
#define HV_MSR_VP_RUNTIME_AVAILABLE       (1u << 0)   /* AccessVpRunTimeReg */
#define HV_MSR_TIME_REF_COUNT_AVAILABLE   (1u << 1)   /* AccessPartitionReferenceCounter */
#define HV_MSR_SYNIC_AVAILABLE            (1u << 2)   /* AccessSynicRegs */
#define HV_MSR_SYNTIMER_AVAILABLE         (1u << 3)   /* AccessSyntheticTimerRegs */
#define HV_MSR_APIC_ACCESS_AVAILABLE      (1u << 4)   /* AccessIntrCtrlRegs */
#define HV_MSR_HYPERCALL_AVAILABLE        (1u << 5)   /* AccessHypercallMsrs */
#define HV_MSR_VP_INDEX_AVAILABLE         (1u << 6)   /* AccessVpIndex */
#define HV_MSR_RESET_AVAILABLE            (1u << 7)   /* AccessResetReg */
#define HV_MSR_STAT_PAGES_AVAILABLE       (1u << 8)   /* AccessStatsReg */
#define HV_MSR_REFERENCE_TSC_AVAILABLE    (1u << 9)   /* AccessPartitionReferenceTsc */
#define HV_MSR_GUEST_IDLE_AVAILABLE       (1u << 10)  /* AccessGuestIdleReg */
#define HV_ACCESS_FREQUENCY_MSRS          (1u << 11)  /* AccessFrequencyRegs */
/* High half = CPUID 0x40000003 EBX (hypercall rights). */
#define HV_CREATE_PARTITIONS              (1u << 0)
#define HV_ACCESS_PARTITION_ID            (1u << 1)
#define HV_ACCESS_MEMORY_POOL             (1u << 2)
#define HV_ADJUST_MESSAGE_BUFFERS         (1u << 3)
#define HV_POST_MESSAGES                  (1u << 4)
#define HV_SIGNAL_EVENTS                  (1u << 5)
#define HV_CREATE_PORT                    (1u << 6)
#define HV_CONNECT_PORT                   (1u << 7)
#define HV_ACCESS_STATS                   (1u << 8)
#define HV_DEBUGGING                      (1u << 11)
#define HV_CPU_MANAGEMENT                 (1u << 12)
/* The 64-bit mask (struct hv_partition.privileges: EAX bits 31:0, EBX bits 63:32). */
#define HV_PRIV_EBX(bit) ((uint64_t)(bit) << 32)
#define HV_PRIV_CREATE_PARTITIONS   HV_PRIV_EBX(HV_CREATE_PARTITIONS)
#define HV_PRIV_ACCESS_PARTITION_ID HV_PRIV_EBX(HV_ACCESS_PARTITION_ID)
#define HV_PRIV_ACCESS_MEMORY_POOL  HV_PRIV_EBX(HV_ACCESS_MEMORY_POOL)
#define HV_PRIV_POST_MESSAGES       HV_PRIV_EBX(HV_POST_MESSAGES)
#define HV_PRIV_SIGNAL_EVENTS       HV_PRIV_EBX(HV_SIGNAL_EVENTS)
#define HV_PRIV_CREATE_PORT         HV_PRIV_EBX(HV_CREATE_PORT)
#define HV_PRIV_CONNECT_PORT        HV_PRIV_EBX(HV_CONNECT_PORT)
#define HV_PRIV_CPU_MANAGEMENT      HV_PRIV_EBX(HV_CPU_MANAGEMENT)

/* CPUID 0x40000004 EAX recommendations. */
#define HV_X64_APIC_ACCESS_RECOMMENDED    (1u << 3)   /* use the EOI/ICR/TPR MSRs */
#define HV_X64_RELAXED_TIMING_RECOMMENDED (1u << 5)
#define HV_DEPRECATING_AEOI_RECOMMENDED   (1u << 9)
/* CPUID 0x40000006 EAX hardware features in use. */
#define HV_X64_HW_APIC_OVERLAY_ASSIST     (1u << 0)
#define HV_X64_HW_MSR_BITMAPS             (1u << 1)
#define HV_X64_HW_ARCH_PERF_COUNTERS      (1u << 2)
#define HV_X64_HW_SLAT                    (1u << 3)

/* ------------------------------------------------------------------ SynIC (TLFS 11) */
#define HV_SYNIC_SINT_COUNT          16
#define HV_SYNIC_VERSION_1           0x1
#define HV_SYNIC_FIRST_VALID_VECTOR  16
#define HV_SYNIC_CONTROL_ENABLE      (1ull << 0)
#define HV_SYNIC_SIMP_ENABLE         (1ull << 0)
#define HV_SYNIC_SIEFP_ENABLE        (1ull << 0)
#define HV_SYNIC_SINT_MASKED         (1ull << 16)
#define HV_SYNIC_SINT_AUTO_EOI       (1ull << 17)
#define HV_SYNIC_SINT_VECTOR_MASK    0xFFull
#define HV_SYNIC_INTERCEPTION_SINT_INDEX 0
#define HV_SYNIC_VMBUS_SINT_INDEX        2

#define HV_MESSAGE_SIZE               256
#define HV_MESSAGE_PAYLOAD_BYTE_COUNT 240
#define HV_MESSAGE_PAYLOAD_QWORD_COUNT 30

/* Message types (TLFS 11.10.1: hypervisor messages have bit 31 set). */
#define HVMSG_NONE                    0x00000000u
#define HVMSG_UNMAPPED_GPA            0x80000000u
#define HVMSG_GPA_INTERCEPT           0x80000001u
#define HVMSG_TIMER_EXPIRED           0x80000010u
#define HVMSG_INVALID_VP_REGISTER_VALUE 0x80000020u
#define HVMSG_UNRECOVERABLE_EXCEPTION 0x80000021u
#define HVMSG_UNSUPPORTED_FEATURE     0x80000022u
#define HVMSG_X64_IO_PORT_INTERCEPT   0x80010000u
#define HVMSG_X64_MSR_INTERCEPT       0x80010001u
#define HVMSG_X64_CPUID_INTERCEPT     0x80010002u
#define HVMSG_X64_EXCEPTION_INTERCEPT 0x80010003u
#define HVMSG_X64_APIC_EOI            0x80010004u
#define HVMSG_X64_HALT                0x80010007u
#define HV_MESSAGE_TYPE_VMBUS         0x00000001u    /* partition-posted VMBus message */

#define HV_MESSAGE_FLAG_PENDING       0x01u

struct hv_message_header {
    uint32_t message_type;
    uint8_t payload_size;
    uint8_t message_flags;          /* bit 0: message pending */
    uint8_t reserved[2];
    uint64_t sender;                /* sender partition id, or the port id in bits 23:0 */
} __attribute__((packed));

struct hv_message {
    struct hv_message_header header;
    uint64_t payload[HV_MESSAGE_PAYLOAD_QWORD_COUNT];
} __attribute__((packed));

struct hv_message_page {
    struct hv_message sint_message[HV_SYNIC_SINT_COUNT];
} __attribute__((packed));

HV_STATIC_ASSERT(sizeof(struct hv_message_header) == 16, "message header");
HV_STATIC_ASSERT(sizeof(struct hv_message) == HV_MESSAGE_SIZE, "message slot");
HV_STATIC_ASSERT(offsetof(struct hv_message, payload) == 16, "message payload");
HV_STATIC_ASSERT(sizeof(struct hv_message_page) == HV_PAGE_SIZE, "message page");

/* ------------------------------------------------------------------ synthetic timers (TLFS 12) */
/* STIMERx_CONFIG = 0x400000B0 + 2x, STIMERx_COUNT = 0x400000B1 + 2x (Linux hyperv-tlfs.h). */
#define HV_STIMER_COUNT               4
#define HV_STIMER_ENABLE              (1ull << 0)
#define HV_STIMER_PERIODIC            (1ull << 1)
#define HV_STIMER_LAZY                (1ull << 2)
#define HV_STIMER_AUTOENABLE          (1ull << 3)
#define HV_STIMER_APIC_VECTOR(cfg)    ((uint8_t)((cfg) >> 4))      /* 11:4, direct mode */
#define HV_STIMER_DIRECT_MODE         (1ull << 12)
#define HV_STIMER_SINT(cfg)           ((unsigned)((cfg) >> 16) & 0xFu)  /* 19:16 */
#define HV_STIMER_CONFIG_VALID        0xF1FFFull   /* 15:13 and 63:20 are reserved */
/* CPUID 0x40000003 EDX[19]: direct-mode synthetic timers available. */
#define HV_STIMER_DIRECT_MODE_AVAILABLE (1u << 19)
/* CPUID 0x40000003 EDX[8]: HV_X64_MSR_TSC_FREQUENCY / APIC_FREQUENCY available (Linux
 * HV_FEATURE_FREQUENCY_MSRS_AVAILABLE). */
#define HV_FEATURE_FREQUENCY_MSRS_AVAILABLE (1u << 8)
/* The payload of an HVMSG_TIMER_EXPIRED message (Linux struct hv_timer_message_payload). */
struct hv_timer_message_payload {
    uint32_t timer_index;
    uint32_t reserved;
    uint64_t expiration_time;       /* the expiry it reports, 100 ns reference time */
    uint64_t delivery_time;         /* the reference time when the message was written */
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_timer_message_payload) == 24, "timer message payload");

/* ------------------------------------------------------------------ register names (TLFS 7.9) */
#define HV_REGISTER_EXPLICIT_SUSPEND   0x00000000u
#define HV_REGISTER_INTERCEPT_SUSPEND  0x00000001u
#define HV_X64_REGISTER_RAX            0x00020000u   /* + k: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 */
#define HV_X64_REGISTER_RCX            0x00020001u
#define HV_X64_REGISTER_RDX            0x00020002u
#define HV_X64_REGISTER_RBX            0x00020003u
#define HV_X64_REGISTER_RSP            0x00020004u
#define HV_X64_REGISTER_RBP            0x00020005u
#define HV_X64_REGISTER_RSI            0x00020006u
#define HV_X64_REGISTER_RDI            0x00020007u
#define HV_X64_REGISTER_R8             0x00020008u
#define HV_X64_REGISTER_R15            0x0002000Fu
#define HV_X64_REGISTER_RIP            0x00020010u
#define HV_X64_REGISTER_RFLAGS         0x00020011u
#define HV_X64_REGISTER_CR0            0x00040000u
#define HV_X64_REGISTER_CR2            0x00040001u
#define HV_X64_REGISTER_CR3            0x00040002u
#define HV_X64_REGISTER_CR4            0x00040003u
#define HV_X64_REGISTER_CR8            0x00040004u
#define HV_X64_REGISTER_XFEM           0x00040005u   /* XCR0 */
#define HV_X64_REGISTER_ES             0x00060000u
#define HV_X64_REGISTER_CS             0x00060001u
#define HV_X64_REGISTER_SS             0x00060002u
#define HV_X64_REGISTER_DS             0x00060003u
#define HV_X64_REGISTER_FS             0x00060004u
#define HV_X64_REGISTER_GS             0x00060005u
#define HV_X64_REGISTER_LDTR           0x00060006u
#define HV_X64_REGISTER_TR             0x00060007u
#define HV_X64_REGISTER_IDTR           0x00070000u
#define HV_X64_REGISTER_GDTR           0x00070001u
#define HV_X64_REGISTER_TSC            0x00080000u
#define HV_X64_REGISTER_EFER           0x00080001u
#define HV_X64_REGISTER_KERNEL_GS_BASE 0x00080002u
#define HV_X64_REGISTER_PAT            0x00080004u
#define HV_X64_REGISTER_SYSENTER_CS    0x00080005u
#define HV_X64_REGISTER_SYSENTER_EIP   0x00080006u
#define HV_X64_REGISTER_SYSENTER_ESP   0x00080007u
#define HV_X64_REGISTER_STAR           0x00080008u
#define HV_X64_REGISTER_LSTAR          0x00080009u
#define HV_X64_REGISTER_CSTAR          0x0008000Au
#define HV_X64_REGISTER_SFMASK         0x0008000Bu
#define HV_X64_REGISTER_TSC_AUX        0x0008007Bu

/* Segment and table register values (TLFS 7.9.1). */
struct hv_x64_segment_register {
    uint64_t base;
    uint32_t limit;
    uint16_t selector;
    uint16_t attributes;            /* VMX access-rights layout bits 15:0 minus bits 11:8 */
} __attribute__((packed));

struct hv_x64_table_register {
    uint16_t pad[3];
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

union hv_register_value {
    uint64_t reg64;
    uint64_t reg128[2];
    struct hv_x64_segment_register segment;
    struct hv_x64_table_register table;
};

struct hv_register_assoc {
    uint32_t name;
    uint32_t reserved1;
    uint64_t reserved2;
    union hv_register_value value;
} __attribute__((packed));

HV_STATIC_ASSERT(sizeof(struct hv_x64_segment_register) == 16, "segment register");
HV_STATIC_ASSERT(sizeof(struct hv_x64_table_register) == 16, "table register");
HV_STATIC_ASSERT(sizeof(union hv_register_value) == 16, "register value");
HV_STATIC_ASSERT(sizeof(struct hv_register_assoc) == 32, "register assoc");

/* HV_INITIAL_VP_CONTEXT (TLFS 7.8.1, StartVirtualProcessor / EnableVpVtl). */
struct hv_initial_vp_context {
    uint64_t rip, rsp, rflags;
    struct hv_x64_segment_register cs, ds, es, fs, gs, ss, tr, ldtr;
    struct hv_x64_table_register idtr, gdtr;
    uint64_t efer, cr0, cr3, cr4, msr_cr_pat;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_initial_vp_context) == 224, "initial VP context");

/* ------------------------------------------------------------------ hypercall input blocks */

/* HvCallCreatePartition (0x40): flags, proximity domain, compatibility version; output: id.
 * hvsim: a name for the trace follows (NUL-padded; all zero: the hypervisor names it "p<id>"). */
#define HV_PARTITION_CREATION_FLAG_LAPIC_ENABLED (1ull << 13)
struct hv_input_create_partition {
    uint64_t flags;
    uint64_t proximity_domain_info;
    uint32_t compatibility_version;
    uint32_t padding;
    char name[24];                  /* hvsim */
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_input_create_partition) == 48, "create partition input");

struct hv_output_create_partition { uint64_t partition_id; } __attribute__((packed));

/* Initialize / Finalize / DeletePartition (0x41-0x43): the partition id. */
struct hv_input_partition_id { uint64_t partition_id; } __attribute__((packed));

/* Get/SetPartitionProperty (0x44, 0x45). */
#define HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS     0x00010000u
#define HV_PARTITION_PROPERTY_PROCESSORS_PER_SOCKET 0x00050003u
/* hvsim: the VP limit of a partition (CreateVp's VP index must be below it), 1..HV_MAX_VPS. */
#define HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT      0x80000001u
struct hv_input_get_partition_property {
    uint64_t partition_id;
    uint32_t property_code;
    uint32_t padding;
} __attribute__((packed));
struct hv_output_get_partition_property { uint64_t property_value; } __attribute__((packed));
struct hv_input_set_partition_property {
    uint64_t partition_id;
    uint32_t property_code;
    uint32_t padding;
    uint64_t property_value;
} __attribute__((packed));

/* GetPartitionId (0x46): no input. */
struct hv_output_get_partition_id { uint64_t partition_id; } __attribute__((packed));

/* DepositMemory (0x48, rep: GPA page numbers). */
struct hv_input_deposit_memory {
    uint64_t partition_id;
    /* uint64_t gpa_page_list[rep count]; */
} __attribute__((packed));

/* WithdrawMemory (0x49, rep: output GPA page numbers of the pages given back). */
struct hv_input_withdraw_memory {
    uint64_t partition_id;
    uint64_t proximity_domain_info;
} __attribute__((packed));

/* MapGpaPages (0x4B, rep: source GPA page numbers of the caller). */
#define HV_MAP_GPA_READABLE          (1u << 0)
#define HV_MAP_GPA_WRITABLE          (1u << 1)
#define HV_MAP_GPA_KERNEL_EXECUTABLE (1u << 2)
#define HV_MAP_GPA_USER_EXECUTABLE   (1u << 3)
#define HV_MAP_GPA_EXECUTABLE        (HV_MAP_GPA_KERNEL_EXECUTABLE | HV_MAP_GPA_USER_EXECUTABLE)
struct hv_input_map_gpa_pages {
    uint64_t target_partition_id;
    uint64_t target_gpa_base;       /* page number */
    uint32_t map_flags;
    uint32_t padding;
    /* uint64_t source_gpa_page_list[rep count]; */
} __attribute__((packed));

/* UnmapGpaPages (0x4C, rep count = pages, no rep elements). */
struct hv_input_unmap_gpa_pages {
    uint64_t target_partition_id;
    uint64_t target_gpa_base;       /* page number */
    uint32_t unmap_flags;
    uint32_t padding;
} __attribute__((packed));

/* CreateVp (0x4E). */
struct hv_input_create_vp {
    uint64_t partition_id;
    uint32_t vp_index;
    uint8_t padding[3];
    uint8_t subnode_type;
    uint64_t subnode_id;
    uint64_t proximity_domain_info;
    uint64_t flags;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_input_create_vp) == 40, "create VP input");

/* Get/SetVpRegisters (0x50, 0x51, rep): header, then u32 names (get; output 16-byte values) or
 * struct hv_register_assoc (set). */
struct hv_input_vp_registers {
    uint64_t partition_id;
    uint32_t vp_index;
    uint8_t input_vtl;
    uint8_t rsvd_z8;
    uint16_t rsvd_z16;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_input_vp_registers) == 16, "VP registers header");

/* StartVirtualProcessor (0x99). */
struct hv_input_start_vp {
    uint64_t partition_id;
    uint32_t vp_index;
    uint8_t target_vtl;
    uint8_t padding[3];
    struct hv_initial_vp_context vp_context;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_input_start_vp) == 240, "start VP input");

/* ------------------------------------------------------------------ ports and connections
 * (TLFS 11.11 "Inter-Partition Communication"; Linux include/hyperv/hvhdk.h hv_port_info,
 * hv_connection_info, hv_input_create_port, hv_input_connect_port, hv_input_delete_port,
 * hv_input_disconnect_port; hvgdk_mini.h hv_input_post_message / hv_input_signal_event). Port
 * and connection ids are 24 bits (bits 31:24 reserved). */
#define HV_PORT_TYPE_MESSAGE  1u
#define HV_PORT_TYPE_EVENT    2u
#define HV_PORT_TYPE_MONITOR  3u
#define HV_PORT_TYPE_DOORBELL 4u
#define HV_PORT_ID_MASK       0x00FFFFFFu
#define HV_EVENT_FLAGS_COUNT  (256u * 8u)     /* flags per SINT in the SIEF page */

struct hv_port_info {
    uint32_t port_type;
    uint32_t padding;
    union {
        struct { uint32_t target_sint, target_vp; uint64_t rsvdz; } message_port_info;
        struct {
            uint32_t target_sint, target_vp;
            uint16_t base_flag_number, flag_count;
            uint32_t rsvdz;
        } event_port_info;
        struct { uint64_t monitor_address, rsvdz; } monitor_port_info;
        struct { uint32_t target_sint, target_vp; uint64_t rsvdz; } doorbell_port_info;
    };
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_port_info) == 24, "port info");

struct hv_connection_info {
    uint32_t port_type;
    uint32_t padding;
    union {
        struct { uint64_t rsvdz; } message_connection_info;
        struct { uint64_t rsvdz; } event_connection_info;
        struct { uint64_t monitor_address; } monitor_connection_info;
        struct { uint64_t gpa, trigger_value, flags; } doorbell_connection_info;
    };
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_connection_info) == 32, "connection info");

/* HvCallCreatePort (0x95). */
struct hv_input_create_port {
    uint64_t port_partition_id;
    uint32_t port_id;
    uint8_t port_vtl;
    uint8_t min_connection_vtl;
    uint16_t padding;
    uint64_t connection_partition_id;
    struct hv_port_info port_info;
    uint64_t proximity_domain_info;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_input_create_port) == 56, "create port input");
HV_STATIC_ASSERT(offsetof(struct hv_input_create_port, port_info) == 24, "create port: info");

/* HvCallConnectPort (0x96). */
struct hv_input_connect_port {
    uint64_t connection_partition_id;
    uint32_t connection_id;
    uint8_t connection_vtl;
    uint8_t rsvdz0;
    uint16_t rsvdz1;
    uint64_t port_partition_id;
    uint32_t port_id;
    uint32_t reserved2;
    struct hv_connection_info connection_info;
    uint64_t proximity_domain_info;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_input_connect_port) == 72, "connect port input");
HV_STATIC_ASSERT(offsetof(struct hv_input_connect_port, connection_info) == 32,
                 "connect port: info");

/* HvCallDeletePort (0x58) and HvCallDisconnectPort (0x5B): fast, 16 bytes. */
struct hv_input_delete_port {
    uint64_t port_partition_id;
    uint32_t port_id;
    uint32_t reserved;
} __attribute__((packed));
struct hv_input_disconnect_port {
    uint64_t connection_partition_id;
    uint32_t connection_id;
    uint32_t flags;                 /* bit 0 is_doorbell (must be 0 here), 31:1 reserved */
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_input_delete_port) == 16, "delete port input");
HV_STATIC_ASSERT(sizeof(struct hv_input_disconnect_port) == 16, "disconnect port input");

/* HvCallPostMessage (0x5C): the type must be non-zero with bit 31 clear, the size <= 240. */
struct hv_input_post_message {
    uint32_t connection_id;
    uint32_t reserved;
    uint32_t message_type;
    uint32_t payload_size;
    uint64_t payload[HV_MESSAGE_PAYLOAD_QWORD_COUNT];
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_input_post_message) == 256, "post message input");

/* HvCallSignalEvent (0x5D, fast allowed): the flag number is relative to the port's base. */
struct hv_input_signal_event {
    uint32_t connection_id;
    uint16_t flag_number;
    uint16_t rsvdz;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_input_signal_event) == 8, "signal event input");

/* ------------------------------------------------------------------ intercept messages
 * (TLFS 11.10 / Linux include/hyperv/hvhdk.h hv_x64_intercept_message_header,
 * hv_x64_io_port_intercept_message, hv_x64_memory_intercept_message,
 * hv_x64_msr_intercept_message). Every intercept message starts with the 40-byte header. */
#define HV_INTERCEPT_ACCESS_READ    0u
#define HV_INTERCEPT_ACCESS_WRITE   1u
#define HV_INTERCEPT_ACCESS_EXECUTE 2u

/* HV_X64_VP_EXECUTION_STATE bits. */
#define HV_X64_EXEC_CPL_MASK          0x0003u
#define HV_X64_EXEC_CR0_PE            (1u << 2)
#define HV_X64_EXEC_CR0_AM            (1u << 3)
#define HV_X64_EXEC_EFER_LMA          (1u << 4)
#define HV_X64_EXEC_DEBUG_ACTIVE      (1u << 5)
#define HV_X64_EXEC_INTERRUPTION_PENDING (1u << 6)
#define HV_X64_EXEC_INTERRUPT_SHADOW  (1u << 12)

struct hv_x64_intercept_message_header {
    uint32_t vp_index;
    uint8_t instruction_length_cr8;     /* 3:0 instruction length, 7:4 CR8 (exo only: 0) */
    uint8_t intercept_access_type;
    uint16_t execution_state;
    struct hv_x64_segment_register cs_segment;
    uint64_t rip;
    uint64_t rflags;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_x64_intercept_message_header) == 40, "intercept header");

/* access_info: 2:0 access size (1, 2, 4), 3 string op, 4 REP prefix. */
#define HV_X64_IO_ACCESS_STRING (1u << 3)
#define HV_X64_IO_ACCESS_REP    (1u << 4)
struct hv_x64_io_port_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint16_t port_number;
    uint8_t access_info;
    uint8_t instruction_byte_count;
    uint32_t reserved;
    uint64_t rax;
    uint8_t instruction_bytes[16];
    struct hv_x64_segment_register ds_segment;
    struct hv_x64_segment_register es_segment;
    uint64_t rcx;
    uint64_t rsi;
    uint64_t rdi;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_x64_io_port_intercept_message) == 128, "I/O intercept");
HV_STATIC_ASSERT(offsetof(struct hv_x64_io_port_intercept_message, rax) == 48, "I/O: rax");

/* memory_access_info: 0 GVA valid, 1 GVA->GPA translation valid. */
#define HV_X64_MEM_ACCESS_GVA_VALID     (1u << 0)
#define HV_X64_MEM_ACCESS_GVA_GPA_VALID (1u << 1)
struct hv_x64_memory_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint32_t cache_type;
    uint8_t instruction_byte_count;
    uint8_t memory_access_info;
    uint8_t tpr_priority;
    uint8_t reserved1;
    uint64_t guest_virtual_address;
    uint64_t guest_physical_address;
    uint8_t instruction_bytes[16];
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_x64_memory_intercept_message) == 80, "memory intercept");

struct hv_x64_msr_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint32_t msr_number;
    uint32_t reserved;
    uint64_t rdx;
    uint64_t rax;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_x64_msr_intercept_message) == 64, "MSR intercept");

/* HVMSG_X64_CPUID_INTERCEPT (Linux hvhdk.h hv_x64_cpuid_intercept_message): the guest's RAX,
 * RCX, RDX, RBX at the CPUID and the result the hypervisor would have returned. */
struct hv_x64_cpuid_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint64_t rax;
    uint64_t rcx;
    uint64_t rdx;
    uint64_t rbx;
    uint64_t default_result_rax;
    uint64_t default_result_rcx;
    uint64_t default_result_rdx;
    uint64_t default_result_rbx;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_x64_cpuid_intercept_message) == 104, "CPUID intercept");
HV_STATIC_ASSERT(offsetof(struct hv_x64_cpuid_intercept_message, rbx) == 64, "CPUID: rbx");
HV_STATIC_ASSERT(offsetof(struct hv_x64_cpuid_intercept_message, default_result_rax) == 72,
                 "CPUID: default rax");

/* HVMSG_X64_EXCEPTION_INTERCEPT (Linux hvhdk.h hv_x64_exception_intercept_message): the
 * vector, info (bit 0 error code valid, bit 1 software exception: INT3/INTO), the error code,
 * the parameter (#PF: the linear address), the instruction bytes, DS, SS and the 16 GPRs in
 * encoding order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15). */
#define HV_X64_EXCEPTION_INFO_ERROR_VALID (1u << 0)
#define HV_X64_EXCEPTION_INFO_SOFTWARE    (1u << 1)
struct hv_x64_exception_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint16_t exception_vector;
    uint8_t exception_info;
    uint8_t instruction_byte_count;
    uint32_t error_code;
    uint64_t exception_parameter;
    uint64_t reserved;
    uint8_t instruction_bytes[16];
    struct hv_x64_segment_register ds_segment;
    struct hv_x64_segment_register ss_segment;
    uint64_t gpr[16];
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_x64_exception_intercept_message) == 240, "exception intercept");
HV_STATIC_ASSERT(offsetof(struct hv_x64_exception_intercept_message, instruction_bytes) == 64,
                 "exception: instruction bytes");
HV_STATIC_ASSERT(offsetof(struct hv_x64_exception_intercept_message, gpr) == 112,
                 "exception: rax");

/* ------------------------------------------------------------------ HvCallInstallIntercept
 * (0x004D; Linux include/hyperv/hvgdk_mini.h hv_input_install_intercept, enum
 * hv_intercept_type, HV_INTERCEPT_ACCESS_MASK_*). The parameter is 8 bytes: the port (16
 * bits) for I/O, the leaf (32 bits) for CPUID, the vector (16 bits) for an exception. */
#define HV_INTERCEPT_TYPE_X64_IO_PORT   0x00000000u
#define HV_INTERCEPT_TYPE_X64_MSR       0x00000001u
#define HV_INTERCEPT_TYPE_X64_CPUID     0x00000002u
#define HV_INTERCEPT_TYPE_EXCEPTION     0x00000003u
#define HV_INTERCEPT_ACCESS_MASK_NONE    0x00u
#define HV_INTERCEPT_ACCESS_MASK_READ    0x01u
#define HV_INTERCEPT_ACCESS_MASK_WRITE   0x02u
#define HV_INTERCEPT_ACCESS_MASK_EXECUTE 0x04u
struct hv_input_install_intercept {
    uint64_t partition_id;
    uint32_t access_type;               /* HV_INTERCEPT_ACCESS_MASK_* */
    uint32_t intercept_type;            /* HV_INTERCEPT_TYPE_* */
    uint64_t intercept_parameter;
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct hv_input_install_intercept) == 24, "install intercept input");
HV_STATIC_ASSERT(offsetof(struct hv_input_install_intercept, intercept_parameter) == 16,
                 "install intercept parameter");

HV_STATIC_ASSERT(sizeof(struct hv_input_flush_virtual_address) == 24, "flush input header");
HV_STATIC_ASSERT(offsetof(struct hv_input_flush_virtual_address, processor_mask) == 16,
                 "flush processor mask");
HV_STATIC_ASSERT(sizeof(struct hv_input_send_synthetic_cluster_ipi) == 16, "send IPI input");
HV_STATIC_ASSERT(offsetof(struct hv_input_send_synthetic_cluster_ipi, target_vtl) == 4,
                 "send IPI target VTL");
HV_STATIC_ASSERT(sizeof(struct hv_input_notify_long_spin_wait) == 8, "long spin wait input");

#endif
