/* trap64.c — GDT, TSS and IDT of 64-bit target tests, and the trap dispatcher (see trap64.h).
 * Descriptor formats: SDM Vol. 3 3.4.5 (segments), 7.2.3 (64-bit TSS descriptor), 6.14.1
 * (64-bit IDT gates), 7.7 (64-bit TSS layout). */
#include "trap64.h"

#include "desc.h"
#include "rt.h"
#include "test.h"
#include "x86.h"

struct trap_record last_trap;
uint64_t gdt64[GDT_ENTRIES];
static uint64_t idt64[256 * 2];

struct __attribute__((packed)) tss64 {
    uint32_t rsvd0;
    uint64_t rsp[3];
    uint64_t rsvd1;
    uint64_t ist[7];
    uint64_t rsvd2;
    uint16_t rsvd3;
    uint16_t iomap_base;
};
static struct tss64 tss;
static uint8_t kstack[16384] __attribute__((aligned(16)));
static uint8_t ist_stack[8192] __attribute__((aligned(16)));

/* Shared with trap64_asm.S. */
uint64_t catch_rsp;
uint32_t catch_active;
uint32_t catch_vector;
extern char trap_stub_base[], trap_landing[];
void enter_user(void (*fn)(void), uint64_t rflags);

static void set_gate(int vec, int dpl, int present)
{
    uint64_t off = (uint64_t)(uintptr_t)trap_stub_base + 16u * (unsigned)vec;
    unsigned access = (present ? DA_P : 0) | DA_DPL(dpl) | DA_INTGATE;
    idt64[vec * 2] = (off & 0xffff) | ((uint64_t)SEL_KCODE << 16) | ((uint64_t)access << 40) |
                     (((off >> 16) & 0xffff) << 48);
    idt64[vec * 2 + 1] = off >> 32;
}

void idt_set_dpl(int vec, int dpl)
{
    int present = (idt64[vec * 2] >> 47) & 1;
    set_gate(vec, dpl, present);
}

void idt_set_present(int vec, int present)
{
    int dpl = (idt64[vec * 2] >> 45) & 3;
    set_gate(vec, dpl, present);
}

/* Reload CS with a far return and the data segments, then TR. */
static void load_segments(void)
{
    __asm__ volatile(
        "pushq %0\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "mov %w1, %%ds\n\t"
        "mov %w1, %%es\n\t"
        "mov %w1, %%ss\n\t"
        "mov %w1, %%fs\n\t"
        "mov %w1, %%gs\n\t"
        "ltr %w2"
        :: "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS) : "rax", "memory");
}

void sys64_init(void)
{
    uint64_t t = (uint64_t)(uintptr_t)&tss;
    gdt64[0] = 0;
    gdt64[1] = seg_desc(0, 0xfffff, DA_P | DA_S | DA_CODE_XR, DF_G | DF_L);
    gdt64[2] = seg_desc(0, 0xfffff, DA_P | DA_S | DA_DATA_RW, DF_G | DF_DB);
    gdt64[3] = seg_desc(0, 0xfffff, DA_P | DA_DPL(3) | DA_S | DA_DATA_RW, DF_G | DF_DB);
    gdt64[4] = seg_desc(0, 0xfffff, DA_P | DA_DPL(3) | DA_S | DA_CODE_XR, DF_G | DF_L);
    gdt64[5] = seg_desc((uint32_t)t, sizeof tss - 1, DA_P | DA_TSS_AVAIL, 0);
    gdt64[6] = t >> 32;
    gdt64[7] = seg_desc(0, 0xfffff, DA_S | DA_DATA_RW, DF_G | DF_DB);          /* P = 0 */
    gdt64[8] = seg_desc(0, 0xfffff, DA_P | DA_S | DA_CODE_XR, DF_G | DF_DB);
    gdt64[9] = seg_desc(0, 0xfffff, DA_P | DA_S | DA_CODE_X, DF_G | DF_L);
    gdt64[10] = seg_desc(0, 0xfffff, DA_P | DA_S | DA_DATA_R, DF_G | DF_DB);
    memset(&tss, 0, sizeof tss);
    tss.rsp[0] = (uint64_t)(uintptr_t)(kstack + sizeof kstack);
    tss.ist[0] = (uint64_t)(uintptr_t)(ist_stack + sizeof ist_stack);
    tss.iomap_base = sizeof tss;          /* no I/O permission bitmap */
    struct dtr_ptr g = { sizeof gdt64 - 1, (unsigned long)(uintptr_t)gdt64 };
    lgdt(&g);
    load_segments();
    for (int v = 0; v < 256; v++)
        set_gate(v, v == 3 || v == 4 || v == TRAP_USER_DONE ? 3 : 0, 1);
    struct dtr_ptr i = { sizeof idt64 - 1, (unsigned long)(uintptr_t)idt64 };
    lidt(&i);
}

/* Called from trap_common with the saved state; may rewrite it before iretq. */
void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
    last_trap.vector = (int)f->vector;
    last_trap.error = f->error;
    last_trap.rip = f->rip;
    last_trap.cs = f->cs;
    last_trap.rflags = f->rflags;
    last_trap.rsp = f->rsp;
    last_trap.ss = f->ss;
    last_trap.rax = f->rax;
    last_trap.cr2 = read_cr2();
    last_trap.count++;
    if (catch_active) {
        catch_vector = (uint32_t)f->vector;
        f->rip = (uint64_t)(uintptr_t)trap_landing;
        f->cs = SEL_KCODE;
        f->ss = SEL_KDATA;
        f->rsp = catch_rsp;
        f->rflags &= ~(X86_FL_TF | X86_FL_AC | (3ul << 12) | (1ul << 14));   /* TF AC IOPL NT */
        return;
    }
    t_check(0, "no unexpected exception", "vector %d error 0x%llx at RIP 0x%llx CS 0x%llx "
            "CR2 0x%llx", (int)f->vector, (unsigned long long)f->error,
            (unsigned long long)f->rip, (unsigned long long)f->cs,
            (unsigned long long)last_trap.cr2);
    t_finish();
    target_exit(2);
}

static void *user_fn;
static uint64_t user_flags;

static void user_tramp(void *arg)
{
    (void)arg;
    enter_user((void (*)(void))user_fn, user_flags);
}

int trap_catch_user(void (*fn)(void), uint64_t rflags)
{
    user_fn = (void *)fn;
    user_flags = rflags | 2;
    return trap_catch(user_tramp, 0);
}
