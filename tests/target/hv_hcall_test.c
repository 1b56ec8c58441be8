/* hv_hcall_test.c — hypercalls, SynIC messages and event flags, and synthetic timers checked
 * from the root partition on the real hypervisor (docs/HYPERVISOR.md "Hypercalls", "Synthetic
 * features"; TLFS 6.0 chapters 3, 5, 7, 11, 12), run by tests/build/check-hv-hcall.sh with
 * tests/target/hv_hcall.cfg: hv/hvsim-hv.elf is the kernel, this program module 0.
 *
 * The program is a 64-bit root kernel built from the root's entry and IDT (partitions/root/
 * entry.S, isr.S, idt.c: root_main is called in long mode with the first 4 GiB identity-mapped)
 * and WinHv (partitions/lib/winhv.c) for the set-up of the hypercall page. Hypercalls whose input
 * value or GPAs are deliberately wrong are made here through the hypercall page directly (TLFS
 * 3.7: RCX input value, RDX input GPA or fast input, R8 output GPA, RAX result).
 *
 * Each check prints "PASS name" or "FAIL name: detail" on COM1; the expected values come from
 * the TLFS (status codes of 3.9 and of each call's "Return Values") and from the rules written
 * in docs/HYPERVISOR.md where the TLFS leaves room (marked "hvsim:"), never from a run. The last
 * line is "hv_hcall: N checks passed, M failed"; the kernel then writes M != 0 to the debug-exit
 * port (0xF4), so the run's exit status is 1 when every check passed.
 *
 * Memory used: static pages of the image (identity-mapped GPA = HPA in the root): input/output
 * pages, 48 pages to deposit (never touched by this kernel once deposited), a page mapped into
 * the child, the SIMP and SIEFP pages. Vectors 0x52-0x58 count their interrupts and record the
 * reference time of each (handlers send the xAPIC EOI).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"
#include "krt/krt.h"
#include "krt/x86.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"
#include "tests/target/hv_check.h"

void root_main(uint32_t magic, uint32_t info);
void root_idt_init(void);
void root_pic_mask(void);

#define HV_IMAGE_GPA 0x1000000ull       /* hv/hv.ld: the hypervisor is linked at 16 MiB */
#define HV_POOL_GPA  (128ull << 20) - 4096  /* hv_hcall.cfg mem = 128M: the pool tops RAM */
#define LAPIC        0xFEE00000ull
#define ROOT_ID      1ull               /* docs/HYPERVISOR.md: the root partition is id 1 */
#define N_DEPOSIT    40                 /* > the 16-element budget per exit (HYPERVISOR.md) */

/* SINT vectors (>= 16, TLFS 11.8.4) and the timers' direct-mode vectors */
#define V_MSG   0x52                    /* SINT2: message port */
#define V_MASK  0x53                    /* SINT3: masked */
#define V_EVT   0x54                    /* SINT4: event port */
#define V_TMSG  0x55                    /* SINT5: timer messages */
#define V_T0    0x56                    /* STIMER0 direct mode */
#define V_T2    0x57                    /* STIMER2 periodic, direct mode */
#define V_WD    0x58                    /* STIMER3: the watchdog of wait_irq */

static uint8_t in_pages[2][HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t out_page[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t dep_pages[48][HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t child_page[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static struct hv_message_page simp __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t siefp[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));



static void check_st(uint16_t got, uint16_t want, const char *name)
{
    hv_check(got == want, name, "status 0x%x (%s), want 0x%x (%s)", got, winhv_status_name(got),
          want, winhv_status_name(want));
}

/* ---------------------------------------------------------------- raw calls (TLFS 3.7) */

static void *hcall_page;
static uint64_t last_rcx;               /* RCX after the call (the rep start on continuation) */

static uint64_t raw(uint64_t input, uint64_t rdx, uint64_t r8v)
{
    uint64_t rax;
    register uint64_t r8 __asm__("r8") = r8v;
    __asm__ volatile("call *%[page]"
                     : "=a"(rax), "+c"(input), "+d"(rdx), "+r"(r8)
                     : [page] "r"(hcall_page)
                     : "r9", "r10", "r11", "memory", "cc");
    last_rcx = input;
    return rax;
}

static uint64_t gpa(const void *p) { return (uint64_t)(uintptr_t)p; }

/* A simple memory-form call with the input in in_pages[0]. */
static uint16_t slow(uint16_t code, const void *in, size_t n)
{
    memcpy(in_pages[0], in, n);
    return winhv_status(raw(hv_hypercall_input(code, 0, 0, 0), gpa(in_pages[0]), gpa(out_page)));
}

/* A rep call: header + count 8-byte elements; returns the result value. */
static uint64_t rep8(uint16_t code, const void *hdr, size_t hdr_size, const uint64_t *el,
                     uint32_t count)
{
    memcpy(in_pages[0], hdr, hdr_size);
    memcpy(in_pages[0] + hdr_size, el, (size_t)count * 8);
    return raw(hv_hypercall_input(code, 0, count, 0), gpa(in_pages[0]), gpa(out_page));
}

static uint32_t reps(uint64_t r) { return (uint32_t)((r & HV_HYPERCALL_REP_DONE_MASK) >> 32); }

/* ---------------------------------------------------------------- interrupts */

struct iframe { uint64_t rip, cs, rflags, rsp, ss; };

static volatile uint32_t irq_count[256];
static volatile uint64_t irq_time[256][8];  /* reference time of the first 8 of each vector */

static inline void irq_note(unsigned v)
{
    uint32_t k = irq_count[v];
    if (k < 8)
        irq_time[v][k] = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
    irq_count[v] = k + 1;
    *(volatile uint32_t *)(uintptr_t)(LAPIC + 0xB0) = 0;     /* EOI (SDM Vol. 3 11.8.5) */
}

#define IRQ_HANDLER(v)                                                                  \
    __attribute__((interrupt)) static void irq_##v(struct iframe *f)                    \
    {                                                                                   \
        (void)f;                                                                        \
        irq_note(v);                                                                    \
    }
IRQ_HANDLER(0x52)
IRQ_HANDLER(0x53)
IRQ_HANDLER(0x54)
IRQ_HANDLER(0x55)
IRQ_HANDLER(0x56)
IRQ_HANDLER(0x57)
IRQ_HANDLER(0x58)

/* Point IDT entry v at h: a 64-bit interrupt gate (SDM Vol. 3 6.14.1), as idt.c writes them. */
static void idt_set(unsigned v, void (*h)(struct iframe *))
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    uint64_t *idt = (uint64_t *)(uintptr_t)idtr.base;
    uint64_t a = (uint64_t)(uintptr_t)h;
    idt[2 * v] = (a & 0xFFFF) | 0x08ull << 16 | 0x8Eull << 40 | ((a >> 16) & 0xFFFF) << 48;
    idt[2 * v + 1] = a >> 32;
}

/* Let pending interrupts in: STI; NOP (one instruction of STI shadow); CLI. */
static void irq_window(void)
{
    __asm__ volatile("sti; nop; nop; cli" ::: "memory");
}

static uint64_t ref_time(void) { return rdmsr(HV_X64_MSR_TIME_REF_COUNT); }

/* Halt with interrupts on until vector v has been seen `want` times or `limit` (100 ns units)
 * of reference time passed. A halted VP wakes only for an interrupt, so STIMER3 (one-shot,
 * direct mode, V_WD) is the watchdog that ends the wait at the limit. */
static void wait_irq(unsigned v, uint32_t want, uint64_t limit)
{
    uint64_t t0 = ref_time();
    uint32_t wd = irq_count[V_WD];
    wrmsr(HV_X64_MSR_STIMER3_COUNT, t0 + limit);
    wrmsr(HV_X64_MSR_STIMER3_COUNT - 1, HV_STIMER_ENABLE | HV_STIMER_DIRECT_MODE |
                                            ((uint64_t)V_WD << 4));
    while (irq_count[v] < want && irq_count[V_WD] == wd && ref_time() - t0 < limit)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    wrmsr(HV_X64_MSR_STIMER3_COUNT - 1, 0);
}

/* ---------------------------------------------------------------- the dispatcher (TLFS 3.7-3.8) */

static void test_dispatcher(void)
{
    const uint16_t gid = HVCALL_GET_PARTITION_ID;
    uint64_t r = raw(hv_hypercall_input(gid, 0, 0, 0), 0, gpa(out_page));
    uint64_t id;
    memcpy(&id, out_page, 8);
    hv_check(winhv_status(r) == HV_STATUS_SUCCESS && id == ROOT_ID,
          "dispatch: GetPartitionId (memory form, output only) = 1", "status 0x%x id %llu",
          winhv_status(r), (unsigned long long)id);
    check_st(winhv_status(raw(0x7FFF, gpa(in_pages[0]), gpa(out_page))),
             HV_STATUS_INVALID_HYPERCALL_CODE, "dispatch: unknown call code 7FFFH");
    check_st(winhv_status(raw(gid | (1ull << 27), 0, gpa(out_page))),
             HV_STATUS_INVALID_HYPERCALL_INPUT, "dispatch: reserved input bit 27");
    check_st(winhv_status(raw(gid | (1ull << 44), 0, gpa(out_page))),
             HV_STATUS_INVALID_HYPERCALL_INPUT, "dispatch: reserved input bit 44");
    check_st(winhv_status(raw(gid | (1ull << 63), 0, gpa(out_page))),
             HV_STATUS_INVALID_HYPERCALL_INPUT, "dispatch: reserved input bit 63");
    check_st(winhv_status(raw(hv_hypercall_input(gid, 0, 1, 0), 0, gpa(out_page))),
             HV_STATUS_INVALID_HYPERCALL_INPUT, "dispatch: rep count on a simple call");
    check_st(winhv_status(raw(gid | (1ull << HV_HYPERCALL_VARHEAD_OFFSET), 0, gpa(out_page))),
             HV_STATUS_INVALID_HYPERCALL_INPUT, "dispatch: variable header size on a call without one");
    check_st(winhv_status(raw(hv_hypercall_input(HVCALL_GET_PARTITION_PROPERTY, 1, 0, 0), 1, 0)),
             HV_STATUS_INVALID_HYPERCALL_INPUT, "dispatch: fast form of a call without one");
    struct hv_input_deposit_memory dh = { ROOT_ID };
    memcpy(in_pages[0], &dh, sizeof dh);
    check_st(winhv_status(raw(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 2, 2),
                              gpa(in_pages[0]), 0)),
             HV_STATUS_INVALID_HYPERCALL_INPUT, "dispatch: rep start >= rep count");

    struct hv_input_get_partition_property gp = { ROOT_ID, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, 0 };
    const uint64_t gpi = hv_hypercall_input(HVCALL_GET_PARTITION_PROPERTY, 0, 0, 0);
    memcpy(in_pages[0] + 4, &gp, sizeof gp);
    check_st(winhv_status(raw(gpi, gpa(in_pages[0]) + 4, gpa(out_page))),
             HV_STATUS_INVALID_ALIGNMENT, "dispatch: input GPA not 8-byte aligned");
    memcpy(in_pages[0], &gp, sizeof gp);
    check_st(winhv_status(raw(gpi, gpa(in_pages[0]), gpa(out_page) + 4)),
             HV_STATUS_INVALID_ALIGNMENT, "dispatch: output GPA not 8-byte aligned");
    memcpy(in_pages[0] + HV_PAGE_SIZE - 8, &gp, sizeof gp);   /* 16 bytes over the boundary */
    check_st(winhv_status(raw(gpi, gpa(in_pages[0]) + HV_PAGE_SIZE - 8, gpa(out_page))),
             HV_STATUS_INVALID_ALIGNMENT, "dispatch: input block crossing a page");
    memcpy(in_pages[0], &gp, sizeof gp);
    check_st(winhv_status(raw(gpi, HV_IMAGE_GPA, gpa(out_page))), HV_STATUS_INVALID_PARAMETER,
             "dispatch: input GPA in the hypervisor's image");
    check_st(winhv_status(raw(gpi, gpa(in_pages[0]), HV_POOL_GPA)), HV_STATUS_INVALID_PARAMETER,
             "dispatch: output GPA in the hypervisor's pool");
    check_st(winhv_status(raw(gpi, LAPIC, gpa(out_page))), HV_STATUS_INVALID_PARAMETER,
             "dispatch: input GPA on the local APIC page (not RAM)");
    uint64_t v = 0;
    memset(out_page, 0xAA, 8);
    r = raw(gpi, gpa(in_pages[0]), gpa(out_page));
    memcpy(&v, out_page, 8);
    hv_check(winhv_status(r) == HV_STATUS_SUCCESS && (v & HV_PRIV_CREATE_PARTITIONS) &&
              (v & HV_PRIV_CPU_MANAGEMENT),
          "dispatch: GetPartitionProperty(root, PRIVILEGE_FLAGS) has CreatePartitions and "
          "CpuManagement", "status 0x%x value 0x%llx", winhv_status(r), (unsigned long long)v);
}

/* ---------------------------------------------------------------- partitions (TLFS 5, 7) */

static uint64_t child;

static uint16_t part_fast(uint16_t code, uint64_t id)
{
    return winhv_status(raw(hv_hypercall_input(code, 1, 0, 0), id, 0));
}

static uint16_t part_slow(uint16_t code, uint64_t id)
{
    struct hv_input_partition_id in = { id };
    return slow(code, &in, sizeof in);
}

static uint16_t get_prop(uint64_t id, uint32_t code, uint64_t *v)
{
    struct hv_input_get_partition_property in = { id, code, 0 };
    uint16_t st = slow(HVCALL_GET_PARTITION_PROPERTY, &in, sizeof in);
    memcpy(v, out_page, 8);
    return st;
}

static uint16_t set_prop(uint64_t id, uint32_t code, uint64_t v)
{
    struct hv_input_set_partition_property in = { id, code, 0, v };
    return slow(HVCALL_SET_PARTITION_PROPERTY, &in, sizeof in);
}

static uint16_t create_vp(uint64_t id, uint32_t index)
{
    struct hv_input_create_vp in = { .partition_id = id, .vp_index = index };
    return slow(HVCALL_CREATE_VP, &in, sizeof in);
}

static uint16_t get_reg(uint64_t id, uint32_t vp, uint32_t name, uint64_t *v)
{
    struct hv_input_vp_registers h = { id, vp, 0, 0, 0 };
    memcpy(in_pages[0], &h, sizeof h);
    memcpy(in_pages[0] + sizeof h, &name, 4);
    memset(out_page, 0, 16);
    uint64_t r = raw(hv_hypercall_input(HVCALL_GET_VP_REGISTERS, 0, 1, 0), gpa(in_pages[0]),
                     gpa(out_page));
    memcpy(v, out_page, 8);
    return winhv_status(r);
}

static uint16_t set_reg(uint64_t id, uint32_t vp, uint32_t name, uint64_t v)
{
    struct hv_input_vp_registers h = { id, vp, 0, 0, 0 };
    struct hv_register_assoc a = { .name = name };
    a.value.reg64 = v;
    memcpy(in_pages[0], &h, sizeof h);
    memcpy(in_pages[0] + sizeof h, &a, sizeof a);
    return winhv_status(raw(hv_hypercall_input(HVCALL_SET_VP_REGISTERS, 0, 1, 0),
                            gpa(in_pages[0]), 0));
}

static uint64_t pfn(const void *p) { return gpa(p) >> HV_PAGE_SHIFT; }

static struct hv_x64_segment_register rseg(uint16_t attr)
{
    return (struct hv_x64_segment_register){ 0, 0xFFFF, 0, attr };
}

static uint16_t start_vp(uint64_t id, uint32_t vp)
{
    /* real mode at 1000H (an unrestricted guest, SDM Vol. 3 26.3.1.1): CS/data 9BH/93H with
     * limit FFFFH, TR a busy 32-bit TSS (8BH), LDTR an LDT (82H), CR0 = NE | ET, RFLAGS = 2 */
    struct hv_input_start_vp in = { .partition_id = id, .vp_index = vp };
    struct hv_initial_vp_context *c = &in.vp_context;
    c->rip = 0x1000;
    c->rflags = 2;
    c->cs = rseg(0x9B);
    c->ds = c->es = c->fs = c->gs = c->ss = rseg(0x93);
    c->tr = (struct hv_x64_segment_register){ 0, 0x67, 0, 0x8B };
    c->ldtr = rseg(0x82);
    c->idtr.limit = 0x3FF;
    c->gdtr.limit = 0xFFFF;
    c->cr0 = 0x30;
    c->msr_cr_pat = 0x0007040600070406ull;
    return slow(HVCALL_START_VP, &in, sizeof in);
}

static void test_partitions(void)
{
    struct hv_input_create_partition cp = { .flags = 1 };   /* bit 0: not a creation flag */
    check_st(slow(HVCALL_CREATE_PARTITION, &cp, sizeof cp), HV_STATUS_INVALID_PARAMETER,
             "create: an unknown creation flag");
    cp.flags = HV_PARTITION_CREATION_FLAG_LAPIC_ENABLED;
    memcpy(cp.name, "hcall-child", 12);
    uint16_t st = slow(HVCALL_CREATE_PARTITION, &cp, sizeof cp);
    memcpy(&child, out_page, 8);
    hv_check(st == HV_STATUS_SUCCESS && child == 2, "create: LAPIC_ENABLED gives id 2 (the first child)",
          "status 0x%x id %llu", st, (unsigned long long)child);
    if (st != HV_STATUS_SUCCESS)
        return;

    check_st(part_fast(HVCALL_FINALIZE_PARTITION, child), HV_STATUS_INVALID_PARTITION_STATE,
             "finalize: a created (not initialized) partition (fast)");
    check_st(part_slow(HVCALL_FINALIZE_PARTITION, child), HV_STATUS_INVALID_PARTITION_STATE,
             "finalize: a created (not initialized) partition (memory form)");
    check_st(create_vp(child, 0), HV_STATUS_INVALID_PARTITION_STATE,
             "create VP: in a created (not initialized) partition");
    check_st(part_fast(HVCALL_INITIALIZE_PARTITION, 0x55), HV_STATUS_INVALID_PARTITION_ID,
             "initialize: unknown partition id 55H (fast)");
    check_st(part_slow(HVCALL_INITIALIZE_PARTITION, 0x55), HV_STATUS_INVALID_PARTITION_ID,
             "initialize: unknown partition id 55H (memory form)");
    check_st(part_fast(HVCALL_DELETE_PARTITION, 0), HV_STATUS_INVALID_PARTITION_ID,
             "delete: partition id 0 (HV_PARTITION_ID_INVALID)");
    check_st(part_fast(HVCALL_DELETE_PARTITION, ROOT_ID), HV_STATUS_INVALID_PARTITION_ID,
             "delete: the root itself");

    uint64_t v = ~0ull;
    st = get_prop(child, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v);
    hv_check(st == HV_STATUS_SUCCESS && (v & HV_PRIV_ACCESS_PARTITION_ID) &&
              (v & HV_PRIV_POST_MESSAGES) && !(v & HV_PRIV_CREATE_PARTITIONS) &&
              !(v & HV_PRIV_CPU_MANAGEMENT) && !(v & HV_PRIV_ACCESS_MEMORY_POOL),
          "property: a child's privileges: AccessPartitionId, PostMessages, never "
          "CreatePartitions, CpuManagement, AccessMemoryPool",
          "status 0x%x value 0x%llx", st, (unsigned long long)v);
    check_st(get_prop(child, 0x00012345, &v), HV_STATUS_UNKNOWN_PROPERTY,
             "property: get an unknown property code");
    check_st(get_prop(0x77, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v),
             HV_STATUS_INVALID_PARTITION_ID, "property: get on unknown partition id 77H");
    check_st(set_prop(child, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, HV_PRIV_CREATE_PARTITIONS),
             HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE,
             "property: set CreatePartitions on a child (hvsim: out of range)");
    check_st(set_prop(child, HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT, 0),
             HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE, "property: VP limit 0 (hvsim: 1..64)");
    check_st(set_prop(child, HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT, 2), HV_STATUS_SUCCESS,
             "property: VP limit 2 while created");
    st = get_prop(child, HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT, &v);
    hv_check(st == HV_STATUS_SUCCESS && v == 2, "property: VP limit reads back 2",
          "status 0x%x value %llu", st, (unsigned long long)v);
    check_st(set_prop(child, 0x00012345, 1), HV_STATUS_UNKNOWN_PROPERTY,
             "property: set an unknown property code");

    /* the child's pool is empty: InitializePartition needs a page for its EPT (TLFS 5.2:
     * INSUFFICIENT_MEMORY, the parent deposits and retries) */
    check_st(part_fast(HVCALL_INITIALIZE_PARTITION, child), HV_STATUS_INSUFFICIENT_MEMORY,
             "initialize: an empty pool gives INSUFFICIENT_MEMORY");

    /* DepositMemory: a rep call longer than the per-exit budget (continuation, TLFS 3.7.4) */
    uint64_t pfns[N_DEPOSIT];
    for (unsigned i = 0; i < N_DEPOSIT; i++)
        pfns[i] = pfn(dep_pages[i]);
    struct hv_input_deposit_memory dh = { child };
    uint64_t r = rep8(HVCALL_DEPOSIT_MEMORY, &dh, sizeof dh, pfns, N_DEPOSIT);
    uint32_t start = (uint32_t)((last_rcx & HV_HYPERCALL_REP_START_MASK) >>
                                HV_HYPERCALL_REP_START_OFFSET);
    hv_check(winhv_status(r) == HV_STATUS_SUCCESS && reps(r) == N_DEPOSIT,
          "deposit: 40 pages in one call: SUCCESS, 40 reps completed", "status 0x%x reps %u",
          winhv_status(r), reps(r));
    hv_check(start >= 16 && start < N_DEPOSIT,
          "deposit: continued across exits (RCX's rep start advanced, budget 16)",
          "rep start in RCX %u", start);
    uint64_t bad[2] = { HV_IMAGE_GPA >> HV_PAGE_SHIFT, pfn(dep_pages[0]) };
    r = rep8(HVCALL_DEPOSIT_MEMORY, &dh, sizeof dh, &bad[0], 1);
    hv_check(winhv_status(r) == HV_STATUS_INVALID_PARAMETER && reps(r) == 0,
          "deposit: a page of the hypervisor's image", "status 0x%x reps %u", winhv_status(r),
          reps(r));
    r = rep8(HVCALL_DEPOSIT_MEMORY, &dh, sizeof dh, &bad[1], 1);
    hv_check(winhv_status(r) == HV_STATUS_INVALID_PARAMETER && reps(r) == 0,
          "deposit: a page already deposited", "status 0x%x reps %u", winhv_status(r), reps(r));
    uint64_t mixed[2] = { pfn(dep_pages[N_DEPOSIT]), pfn(dep_pages[0]) };
    r = rep8(HVCALL_DEPOSIT_MEMORY, &dh, sizeof dh, mixed, 2);
    hv_check(winhv_status(r) == HV_STATUS_INVALID_PARAMETER && reps(r) == 1,
          "deposit: [fresh, already deposited]: INVALID_PARAMETER after 1 rep",
          "status 0x%x reps %u", winhv_status(r), reps(r));
    struct hv_input_deposit_memory dbad = { 0x77 };
    r = rep8(HVCALL_DEPOSIT_MEMORY, &dbad, sizeof dbad, &mixed[0], 1);
    check_st(winhv_status(r), HV_STATUS_INVALID_PARTITION_ID, "deposit: unknown partition id");

    check_st(part_fast(HVCALL_INITIALIZE_PARTITION, child), HV_STATUS_SUCCESS,
             "initialize: after the deposit (fast)");
    check_st(part_fast(HVCALL_INITIALIZE_PARTITION, child), HV_STATUS_INVALID_PARTITION_STATE,
             "initialize: twice");
    check_st(set_prop(child, HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT, 1),
             HV_STATUS_INVALID_PARTITION_STATE, "property: VP limit once initialized");

    /* WithdrawMemory: 2 free pages back, at GPA = HPA among those deposited */
    struct hv_input_withdraw_memory wh = { child, 0 };
    memcpy(in_pages[0], &wh, sizeof wh);
    memset(out_page, 0, 16);
    r = raw(hv_hypercall_input(HVCALL_WITHDRAW_MEMORY, 0, 2, 0), gpa(in_pages[0]), gpa(out_page));
    uint64_t w[2];
    memcpy(w, out_page, 16);
    bool in_range = true;
    for (unsigned i = 0; i < 2; i++)
        in_range &= w[i] >= pfn(dep_pages[0]) && w[i] <= pfn(dep_pages[N_DEPOSIT]);
    hv_check(winhv_status(r) == HV_STATUS_SUCCESS && reps(r) == 2 && in_range && w[0] != w[1],
          "withdraw: 2 pages, each one of those deposited", "status 0x%x reps %u pfns %llx %llx",
          winhv_status(r), reps(r), (unsigned long long)w[0], (unsigned long long)w[1]);

    /* MapGpaPages (TLFS 5.x): child_page at the child's GPA 1000H, read/write/execute */
    child_page[0] = 0xF4;               /* HLT */
    child_page[1] = 0xEB;               /* JMP -3 */
    child_page[2] = 0xFD;
    struct hv_input_map_gpa_pages mh = { child, 1, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE |
                                                       HV_MAP_GPA_EXECUTABLE, 0 };
    uint64_t src = pfn(child_page);
    r = rep8(HVCALL_MAP_GPA_PAGES, &mh, sizeof mh, &src, 1);
    hv_check(winhv_status(r) == HV_STATUS_SUCCESS && reps(r) == 1, "map: a root page at GPA 1000H",
          "status 0x%x reps %u", winhv_status(r), reps(r));
    struct hv_input_map_gpa_pages mw = mh;
    mw.map_flags = HV_MAP_GPA_WRITABLE;
    mw.target_gpa_base = 2;
    uint64_t src2 = pfn(dep_pages[47]);
    r = rep8(HVCALL_MAP_GPA_PAGES, &mw, sizeof mw, &src2, 1);
    check_st(winhv_status(r), HV_STATUS_INVALID_PARAMETER, "map: flags without READABLE");
    mw.map_flags = HV_MAP_GPA_READABLE;
    uint64_t dsrc = pfn(dep_pages[3]);
    r = rep8(HVCALL_MAP_GPA_PAGES, &mw, sizeof mw, &dsrc, 1);
    hv_check(winhv_status(r) == HV_STATUS_INVALID_PARAMETER && reps(r) == 0,
          "map: a source page that is deposited (hypervisor memory)", "status 0x%x reps %u",
          winhv_status(r), reps(r));
    memcpy(in_pages[0] + 4, &mw, sizeof mw);
    memcpy(in_pages[0] + 4 + sizeof mw, &src2, 8);
    r = raw(hv_hypercall_input(HVCALL_MAP_GPA_PAGES, 0, 1, 0), gpa(in_pages[0]) + 4, 0);
    check_st(winhv_status(r), HV_STATUS_INVALID_ALIGNMENT, "map: input GPA misaligned");
    r = rep8(HVCALL_DEPOSIT_MEMORY, &dh, sizeof dh, &src, 1);
    check_st(winhv_status(r), HV_STATUS_INVALID_PARAMETER,
             "deposit: a page mapped into a live child");
    struct hv_input_unmap_gpa_pages uh = { child, 0x50, 0, 0 };
    memcpy(in_pages[0], &uh, sizeof uh);
    r = raw(hv_hypercall_input(HVCALL_UNMAP_GPA_PAGES, 0, 1, 0), gpa(in_pages[0]), 0);
    check_st(winhv_status(r), HV_STATUS_INVALID_PARAMETER, "unmap: a GPA that is not mapped");
    r = rep8(HVCALL_MAP_GPA_PAGES, &mw, sizeof mw, &src2, 1);      /* read-only at GPA 2000H */
    hv_check(winhv_status(r) == HV_STATUS_SUCCESS && reps(r) == 1, "map: read-only at GPA 2000H",
          "status 0x%x reps %u", winhv_status(r), reps(r));
    uh.target_gpa_base = 2;
    memcpy(in_pages[0], &uh, sizeof uh);
    r = raw(hv_hypercall_input(HVCALL_UNMAP_GPA_PAGES, 0, 1, 0), gpa(in_pages[0]), 0);
    hv_check(winhv_status(r) == HV_STATUS_SUCCESS && reps(r) == 1, "unmap: GPA 2000H",
          "status 0x%x reps %u", winhv_status(r), reps(r));
    r = raw(hv_hypercall_input(HVCALL_UNMAP_GPA_PAGES, 0, 1, 0), gpa(in_pages[0]), 0);
    check_st(winhv_status(r), HV_STATUS_INVALID_PARAMETER, "unmap: GPA 2000H again");
    uh.unmap_flags = 1;
    memcpy(in_pages[0], &uh, sizeof uh);
    r = raw(hv_hypercall_input(HVCALL_UNMAP_GPA_PAGES, 0, 1, 0), gpa(in_pages[0]), 0);
    check_st(winhv_status(r), HV_STATUS_INVALID_PARAMETER, "unmap: non-zero flags");
    struct hv_input_withdraw_memory wbad = { 0x77, 0 };
    memcpy(in_pages[0], &wbad, sizeof wbad);
    r = raw(hv_hypercall_input(HVCALL_WITHDRAW_MEMORY, 0, 1, 0), gpa(in_pages[0]), gpa(out_page));
    check_st(winhv_status(r), HV_STATUS_INVALID_PARTITION_ID, "withdraw: unknown partition id");

    /* CreateVp (TLFS 7.x): index < the VP limit (2), once */
    check_st(create_vp(child, 2), HV_STATUS_INVALID_VP_INDEX, "create VP: index 2, limit 2");
    check_st(create_vp(child, 0), HV_STATUS_SUCCESS, "create VP: index 0");
    check_st(create_vp(child, 0), HV_STATUS_INVALID_VP_INDEX, "create VP: index 0 again");

    /* Get/SetVpRegisters: a VP not started is accessible; a running one is not */
    check_st(set_reg(child, 0, HV_X64_REGISTER_RBX, 0x1234567887654321ull), HV_STATUS_SUCCESS,
             "registers: set RBX of the child's VP 0 (not started)");
    v = 0;
    st = get_reg(child, 0, HV_X64_REGISTER_RBX, &v);
    hv_check(st == HV_STATUS_SUCCESS && v == 0x1234567887654321ull,
          "registers: RBX of the child's VP 0 reads back", "status 0x%x value 0x%llx", st,
          (unsigned long long)v);
    check_st(get_reg(child, 1, HV_X64_REGISTER_RBX, &v), HV_STATUS_INVALID_VP_INDEX,
             "registers: a VP index never created");
    check_st(get_reg(HV_PARTITION_ID_SELF, 0, HV_X64_REGISTER_RIP, &v), HV_STATUS_INVALID_VP_STATE,
             "registers: get on the running calling VP (root VP 0)");
    check_st(set_reg(HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, HV_X64_REGISTER_RBX, 1),
             HV_STATUS_INVALID_VP_STATE, "registers: set on the running calling VP (VP_SELF)");

    check_st(part_slow(HVCALL_FINALIZE_PARTITION, child), HV_STATUS_SUCCESS,
             "finalize: an initialized partition (memory form)");
    check_st(create_vp(child, 1), HV_STATUS_INVALID_PARTITION_STATE,
             "create VP: in a finalized partition");
    check_st(start_vp(child, 0), HV_STATUS_SUCCESS, "start VP: the child's VP 0 (real mode, HLT)");
    check_st(start_vp(child, 0), HV_STATUS_INVALID_VP_STATE, "start VP: the same VP twice");
    check_st(get_reg(child, 0, HV_X64_REGISTER_RIP, &v), HV_STATUS_INVALID_VP_STATE,
             "registers: get on a started (runnable or halted) VP");

    check_st(part_fast(HVCALL_DELETE_PARTITION, child), HV_STATUS_SUCCESS, "delete: the child");
    check_st(part_fast(HVCALL_DELETE_PARTITION, child), HV_STATUS_INVALID_PARTITION_ID,
             "delete: the same id again");
    check_st(part_slow(HVCALL_INITIALIZE_PARTITION, child), HV_STATUS_INVALID_PARTITION_ID,
             "initialize: a deleted partition");
    /* deletion gives the pool back to the root (scrubbed): its pages are root RAM again */
    hv_check(dep_pages[5][0] == 0 && dep_pages[5][4095] == 0,
          "delete: a deposited page is root memory again (readable, zero)", "bytes %x %x",
          dep_pages[5][0], dep_pages[5][4095]);
}

/* ---------------------------------------------------------------- SynIC (TLFS 11) */

static uint16_t create_port(uint32_t port, uint32_t type, uint32_t sint, uint16_t flags)
{
    struct hv_input_create_port in = { .port_partition_id = ROOT_ID, .port_id = port,
                                       .connection_partition_id = ROOT_ID };
    in.port_info.port_type = type;
    if (type == HV_PORT_TYPE_MESSAGE) {
        in.port_info.message_port_info.target_sint = sint;
        in.port_info.message_port_info.target_vp = 0;
    } else {
        in.port_info.event_port_info.target_sint = sint;
        in.port_info.event_port_info.target_vp = 0;
        in.port_info.event_port_info.base_flag_number = 0;
        in.port_info.event_port_info.flag_count = flags;
    }
    return slow(HVCALL_CREATE_PORT, &in, sizeof in);
}

static uint16_t connect(uint32_t conn, uint32_t port, uint32_t type)
{
    struct hv_input_connect_port in = { .connection_partition_id = ROOT_ID,
                                        .connection_id = conn, .port_partition_id = ROOT_ID,
                                        .port_id = port };
    in.connection_info.port_type = type;
    return slow(HVCALL_CONNECT_PORT, &in, sizeof in);
}

static uint16_t post(uint32_t conn, uint32_t type, const char *text, uint32_t size)
{
    struct hv_input_post_message in = { .connection_id = conn, .message_type = type,
                                        .payload_size = size };
    if (text)
        memcpy(in.payload, text, strlen(text) + 1);
    return slow(HVCALL_POST_MESSAGE, &in, sizeof in);
}

static uint16_t signal_fast(uint32_t conn, uint16_t flag)
{
    return winhv_status(raw(hv_hypercall_input(HVCALL_SIGNAL_EVENT, 1, 0, 0),
                            (uint64_t)conn | (uint64_t)flag << 32, 0));
}

static void test_synic(void)
{
    *(volatile uint32_t *)(uintptr_t)(LAPIC + 0xF0) = 0x1FF;    /* SVR: APIC enabled */
    wrmsr(HV_X64_MSR_SIMP, gpa(&simp) | HV_SYNIC_SIMP_ENABLE);
    wrmsr(HV_X64_MSR_SIEFP, gpa(siefp) | HV_SYNIC_SIEFP_ENABLE);
    wrmsr(HV_X64_MSR_SINT0 + 2, V_MSG);
    wrmsr(HV_X64_MSR_SINT0 + 3, V_MASK | HV_SYNIC_SINT_MASKED);
    wrmsr(HV_X64_MSR_SINT0 + 4, V_EVT);
    wrmsr(HV_X64_MSR_SINT0 + 5, V_TMSG);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_CONTROL_ENABLE);
    hv_check(rdmsr(HV_X64_MSR_SVERSION) == HV_SYNIC_VERSION_1, "synic: SVERSION = 1", "0x%llx",
          (unsigned long long)rdmsr(HV_X64_MSR_SVERSION));
    hv_check(rdmsr(HV_X64_MSR_SIMP) == (gpa(&simp) | 1) && rdmsr(HV_X64_MSR_SIEFP) == (gpa(siefp) | 1)
              && rdmsr(HV_X64_MSR_SINT0 + 3) == (V_MASK | HV_SYNIC_SINT_MASKED),
          "synic: SIMP, SIEFP, SINT3 read back", "SIMP 0x%llx", (unsigned long long)rdmsr(HV_X64_MSR_SIMP));

    check_st(create_port(0x200, HV_PORT_TYPE_MESSAGE, 2, 0), HV_STATUS_SUCCESS,
             "port: message port 200H on SINT2 of root VP 0");
    check_st(create_port(0x203, HV_PORT_TYPE_MESSAGE, 0, 0), HV_STATUS_INVALID_PARAMETER,
             "port: SINT0 (the hypervisor's intercept SINT)");
    check_st(create_port(0x200, HV_PORT_TYPE_MESSAGE, 2, 0), HV_STATUS_INVALID_PORT_ID,
             "port: id 200H twice");
    check_st(create_port(0x201, HV_PORT_TYPE_MESSAGE, 3, 0), HV_STATUS_SUCCESS,
             "port: message port 201H on the masked SINT3");
    check_st(create_port(0x202, HV_PORT_TYPE_EVENT, 4, 16), HV_STATUS_SUCCESS,
             "port: event port 202H on SINT4, 16 flags");
    check_st(connect(0x2000, 0x200, HV_PORT_TYPE_MESSAGE), HV_STATUS_SUCCESS,
             "connect: 2000H to port 200H");
    check_st(connect(0x2001, 0x201, HV_PORT_TYPE_MESSAGE), HV_STATUS_SUCCESS,
             "connect: 2001H to port 201H");
    check_st(connect(0x2002, 0x202, HV_PORT_TYPE_EVENT), HV_STATUS_SUCCESS,
             "connect: 2002H to port 202H");
    check_st(connect(0x2003, 0x999, HV_PORT_TYPE_MESSAGE), HV_STATUS_INVALID_PORT_ID,
             "connect: a port that does not exist");

    /* two messages without EOM (TLFS 11.10.3): the first in the slot with its interrupt */
    volatile struct hv_message *slot = &simp.sint_message[2];
    check_st(post(0x2000, 0x100, "first", 8), HV_STATUS_SUCCESS, "post: the first message");
    irq_window();
    hv_check(slot->header.message_type == 0x100 && slot->header.payload_size == 8 &&
              slot->header.sender == 0x200 && !(slot->header.message_flags & 1) &&
              !strcmp((const char *)slot->payload, "first"),
          "post: the first message is in SINT2's slot (type, size, sender = port id, payload)",
          "type 0x%x size %u sender 0x%llx flags %x", slot->header.message_type,
          slot->header.payload_size, (unsigned long long)slot->header.sender,
          slot->header.message_flags);
    hv_check(irq_count[V_MSG] == 1, "post: SINT2's vector delivered once", "%u", irq_count[V_MSG]);
    check_st(post(0x2000, 0x101, "second", 8), HV_STATUS_SUCCESS,
             "post: the second message (slot busy) is accepted");
    irq_window();
    hv_check(slot->header.message_type == 0x100 && (slot->header.message_flags & HV_MESSAGE_FLAG_PENDING),
          "post: the slot keeps the first message and gets the message-pending flag",
          "type 0x%x flags %x", slot->header.message_type, slot->header.message_flags);
    hv_check(irq_count[V_MSG] == 1, "post: no interrupt for the waiting message", "%u",
          irq_count[V_MSG]);
    slot->header.message_type = HVMSG_NONE;
    wrmsr(HV_X64_MSR_EOM, 0);
    irq_window();
    hv_check(slot->header.message_type == 0x101 && !strcmp((const char *)slot->payload, "second")
              && !(slot->header.message_flags & HV_MESSAGE_FLAG_PENDING),
          "eom: the second message is delivered into the freed slot, no pending flag",
          "type 0x%x flags %x", slot->header.message_type, slot->header.message_flags);
    hv_check(irq_count[V_MSG] == 2, "eom: SINT2's vector delivered for it", "%u", irq_count[V_MSG]);
    slot->header.message_type = HVMSG_NONE;
    wrmsr(HV_X64_MSR_EOM, 0);

    check_st(post(0x2001, 0x100, "x", 8), HV_STATUS_INVALID_SYNIC_STATE,
             "post: to a masked SINT");
    check_st(post(0x2000, 0x80000100u, "x", 8), HV_STATUS_INVALID_PARAMETER,
             "post: a message type with bit 31 (hypervisor types)");
    check_st(post(0x2000, 0, "x", 8), HV_STATUS_INVALID_PARAMETER, "post: message type 0");
    check_st(post(0x2000, 0x100, "x", 241), HV_STATUS_INVALID_PARAMETER,
             "post: payload of 241 bytes");
    check_st(post(0x2999, 0x100, "x", 8), HV_STATUS_INVALID_CONNECTION_ID,
             "post: a connection that does not exist");
    check_st(post(0x2002, 0x100, "x", 8), HV_STATUS_INVALID_PORT_ID,
             "post: on an event port's connection");

    /* event flags: the SIEF area of SINT4 is bytes 1024..1279 of the SIEFP page (TLFS 11.9) */
    volatile uint8_t *flags4 = siefp + 4 * 256;
    check_st(signal_fast(0x2002, 5), HV_STATUS_SUCCESS, "event: signal flag 5 (fast)");
    irq_window();
    hv_check(flags4[0] == 0x20, "event: flag 5 set in SINT4's area", "byte 0x%x", flags4[0]);
    hv_check(irq_count[V_EVT] == 1, "event: SINT4's vector delivered (flag 0 -> 1)", "%u",
          irq_count[V_EVT]);
    check_st(signal_fast(0x2002, 5), HV_STATUS_SUCCESS, "event: the same flag again");
    irq_window();
    hv_check(irq_count[V_EVT] == 1, "event: no interrupt for a flag already set (1 -> 1)", "%u",
          irq_count[V_EVT]);
    flags4[0] = 0;
    struct hv_input_signal_event se = { 0x2002, 5, 0 };
    check_st(slow(HVCALL_SIGNAL_EVENT, &se, sizeof se), HV_STATUS_SUCCESS,
             "event: signal flag 5 again after clearing it (memory form)");
    irq_window();
    hv_check(irq_count[V_EVT] == 2 && flags4[0] == 0x20, "event: interrupt again after the guest cleared it",
          "count %u byte 0x%x", irq_count[V_EVT], flags4[0]);
    check_st(signal_fast(0x2002, 16), HV_STATUS_INVALID_PARAMETER,
             "event: flag 16 of a 16-flag port");
    check_st(signal_fast(0x2000, 1), HV_STATUS_INVALID_PORT_ID,
             "event: on a message port's connection");
    hv_check(irq_count[V_MASK] == 0, "synic: nothing on the masked SINT3", "%u", irq_count[V_MASK]);
}

/* ---------------------------------------------------------------- synthetic timers (TLFS 12) */

#define MS 10000ull                     /* 1 ms of reference time (100 ns units) */
#define LATE 1000ull                    /* 100 us: delivery bound for an idle LP (HYPERVISOR.md) */

static void test_timers(void)
{
    /* STIMER0, one-shot, direct mode: the expiration is absolute (TLFS 12.4) */
    uint64_t due = ref_time() + MS;
    wrmsr(HV_X64_MSR_STIMER0_COUNT, due);
    wrmsr(HV_X64_MSR_STIMER0_CONFIG, HV_STIMER_ENABLE | HV_STIMER_DIRECT_MODE |
                                         ((uint64_t)V_T0 << 4));
    wait_irq(V_T0, 1, 20 * MS);
    uint64_t t = irq_time[V_T0][0];
    hv_check(irq_count[V_T0] == 1 && t >= due && t < due + LATE,
          "stimer0: one-shot direct mode: one interrupt at its time (within 100 us)",
          "count %u, due %llu, at %llu", irq_count[V_T0], (unsigned long long)due,
          (unsigned long long)t);
    hv_check(!(rdmsr(HV_X64_MSR_STIMER0_CONFIG) & HV_STIMER_ENABLE),
          "stimer0: enable reads 0 after the one-shot expiry", "config 0x%llx",
          (unsigned long long)rdmsr(HV_X64_MSR_STIMER0_CONFIG));
    wait_irq(V_T0, 2, 3 * MS);
    hv_check(irq_count[V_T0] == 1, "stimer0: no second expiry", "count %u", irq_count[V_T0]);

    /* STIMER1, one-shot, message mode on SINT5: HVMSG_TIMER_EXPIRED (TLFS 12.6) */
    volatile struct hv_message *slot = &simp.sint_message[5];
    due = ref_time() + MS;
    wrmsr(HV_X64_MSR_STIMER0_COUNT + 2, due);
    wrmsr(HV_X64_MSR_STIMER0_CONFIG + 2, HV_STIMER_ENABLE | (5ull << 16));
    wait_irq(V_TMSG, 1, 20 * MS);
    struct hv_timer_message_payload p;
    memcpy(&p, (const void *)slot->payload, sizeof p);
    hv_check(irq_count[V_TMSG] == 1 && slot->header.message_type == HVMSG_TIMER_EXPIRED &&
              slot->header.payload_size == 24 && slot->header.sender == 0,
          "stimer1: message mode: HVMSG_TIMER_EXPIRED in SINT5's slot, size 24, sender 0",
          "count %u type 0x%x size %u", irq_count[V_TMSG], slot->header.message_type,
          slot->header.payload_size);
    hv_check(p.timer_index == 1 && p.expiration_time == due && p.delivery_time >= due &&
              p.delivery_time < due + LATE && irq_time[V_TMSG][0] >= due,
          "stimer1: payload: timer 1, expiration = the programmed time, delivered within 100 us",
          "index %u exp %llu (due %llu) delivery %llu", p.timer_index,
          (unsigned long long)p.expiration_time, (unsigned long long)due,
          (unsigned long long)p.delivery_time);
    slot->header.message_type = HVMSG_NONE;
    wrmsr(HV_X64_MSR_EOM, 0);

    /* STIMER2, periodic (0.5 ms), direct mode: N = 5 expiries, k-th at start + k * period */
    const uint64_t period = MS / 2;
    const unsigned n = 5;
    uint64_t t0 = ref_time();
    wrmsr(HV_X64_MSR_STIMER0_COUNT + 4, period);
    wrmsr(HV_X64_MSR_STIMER0_CONFIG + 4, HV_STIMER_ENABLE | HV_STIMER_PERIODIC |
                                             HV_STIMER_DIRECT_MODE | ((uint64_t)V_T2 << 4));
    uint64_t t1 = ref_time();
    wait_irq(V_T2, n, 20 * MS);
    wrmsr(HV_X64_MSR_STIMER0_CONFIG + 4, 0);
    uint32_t got = irq_count[V_T2];
    bool on_time = got >= n;
    for (unsigned k = 1; on_time && k <= n; k++) {
        uint64_t tk = irq_time[V_T2][k - 1];
        if (tk < t0 + k * period || tk >= t1 + k * period + LATE) {
            on_time = false;
            kcon_printf("# stimer2 expiry %u at %llu, window [%llu, %llu)\n", k,
                        (unsigned long long)tk, (unsigned long long)(t0 + k * period),
                        (unsigned long long)(t1 + k * period + LATE));
        }
    }
    hv_check(got == n && on_time, "stimer2: periodic: 5 expiries, the k-th at start + k * 0.5 ms",
          "count %u", got);
    wait_irq(V_T2, n + 1, 3 * period);
    hv_check(irq_count[V_T2] == n, "stimer2: none after CONFIG = 0", "count %u", irq_count[V_T2]);
}

void root_main(uint32_t magic, uint32_t info)
{
    (void)info;
    kcon_init();
    root_idt_init();
    root_pic_mask();
    kcon_printf("hv_hcall: start\n");
    hv_check(magic == 0x36D76289u, "boot: Multiboot2 magic", "0x%x", magic);
    struct winhv_cpuid c;
    winhv_detect(&c);
    hv_check(winhv_usable(&c), "boot: a TLFS hypervisor with the hypercall MSRs", "privileges 0x%llx",
          (unsigned long long)c.privileges);
    if (winhv_init(WINHV_OS_ROOT) == 0) {
        hcall_page = (void *)(uintptr_t)(rdmsr(HV_X64_MSR_HYPERCALL) &
                                         HV_X64_MSR_HYPERCALL_PAGE_ADDRESS_MASK);
        idt_set(0x52, irq_0x52);
        idt_set(0x53, irq_0x53);
        idt_set(0x54, irq_0x54);
        idt_set(0x55, irq_0x55);
        idt_set(0x56, irq_0x56);
        idt_set(0x57, irq_0x57);
        idt_set(0x58, irq_0x58);
        test_dispatcher();
        test_partitions();
        test_synic();
        test_timers();
    } else {
        hv_check(false, "boot: the hypercall page is enabled", "HYPERCALL MSR 0x%llx",
              (unsigned long long)rdmsr(HV_X64_MSR_HYPERCALL));
    }
    hv_check_finish("hv_hcall");
}
