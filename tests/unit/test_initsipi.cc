// test_initsipi.cc — INIT and start-up IPIs on processors that run real code (SDM Vol. 3 9.1.1
// Table 9-1 INIT column, 8.4.4 INIT-SIPI-SIPI, 10.6.1), the CPU hooks of the local APIC (WRMSR
// to IA32_APIC_BASE and x2APIC MSRs, MOV CR8, xAPIC MMIO from code), and the scheduler with
// processors waiting for SIPI or halted until the APIC timer fires.
#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

#include "cpu/model.h"
#include "sim/sched.h"
#include "tests/unit/test_apic_harness.h"

using apictest::Rig;
using systest::M32;
using systest::M64;

namespace {

using Code = std::vector<uint8_t>;

void put(Code &c, std::initializer_list<uint8_t> b) { c.insert(c.end(), b); }
void put32(Code &c, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        c.push_back((uint8_t)(v >> (8 * k)));
}
// mov dword [abs32], imm32 (32-bit mode)
void movd(Code &c, uint32_t addr, uint32_t v)
{
    put(c, { 0xc7, 0x05 });
    put32(c, addr);
    put32(c, v);
}
// mov ecx, msr ; mov eax, lo ; mov edx, hi ; wrmsr
void wrmsr(Code &c, uint32_t msr, uint32_t lo, uint32_t hi)
{
    put(c, { 0xb9 });
    put32(c, msr);
    put(c, { 0xb8 });
    put32(c, lo);
    put(c, { 0xba });
    put32(c, hi);
    put(c, { 0x0f, 0x30 });
}

// Real-mode AP code: mov ax, 1234h ; mov [0500h], ax ; cli ; hlt
const Code AP_CODE = { 0xb8, 0x34, 0x12, 0xa3, 0x00, 0x05, 0xfa, 0xf4 };

void place(Rig &r, const Code &code, uint64_t at)
{
    memcpy(r.m.bus.ram + at, code.data(), code.size());
    dcache_code_write(&r.m.dc, at, code.size());
}

}  // namespace

TEST(InitSipi, WaitingProcessorRetiresNothing)
{
    Rig r(2);
    EXPECT_TRUE(r.C(1)->wait_sipi);
    EXPECT_FALSE(r.C(0)->wait_sipi);
    EXPECT_EQ(cpu_run(r.C(1), 1000), 0u);
    EXPECT_EQ(r.C(1)->stop, STOP_HLT);
    EXPECT_EQ(r.C(1)->ctr.insns, 0u);
}

TEST(InitSipi, BspStartsAnApThroughTheXapicIcr)
{
    Rig r(2, M32);
    place(r, AP_CODE, 0x8000);
    Code bsp;
    movd(bsp, 0xfee00310, 0x01000000);                // ICR high: destination APIC 1
    movd(bsp, 0xfee00300, 0x00004500);                // INIT, assert
    movd(bsp, 0xfee00300, 0x00004608);                // SIPI, vector 08h
    movd(bsp, 0xfee00300, 0x00004608);                // second SIPI (ignored: running)
    r.m.load(bsp);
    EXPECT_EQ(r.m.run(), -1);
    struct cpu *ap = r.C(1);
    EXPECT_FALSE(ap->wait_sipi);
    EXPECT_EQ(ap->mode, MODE_REAL);
    EXPECT_EQ(ap->seg[SEG_CS].sel, 0x0800u);
    EXPECT_EQ(ap->seg[SEG_CS].base, 0x8000u);
    EXPECT_EQ(ap->rip, 0u);
    EXPECT_EQ(cpu_run(ap, 100), 4u);                  // mov, mov, cli, hlt
    EXPECT_EQ(ap->stop, STOP_HLT);
    EXPECT_EQ(r.m.rd(0x500, 2), 0x1234u);
    EXPECT_EQ(ap->rip, 8u);
}

TEST(InitSipi, InitResetsWhatTable91SaysAndKeepsTheRest)
{
    Rig r(2);
    r.wake(1);
    struct cpu *c = r.C(1);
    c->cr0 = CR0_PE | CR0_ET | CR0_CD | CR0_NW;
    c->cr4 = CR4_PAE;
    c->cr3 = 0x5000;
    c->msr.efer = EFER_LME;
    c->msr.star = 0x1234;
    c->msr.pat = 0x0606060606060606ull;
    c->tsc_offset = 77;
    c->gpr[R_RBX] = 5;
    c->gpr[R_RSP] = 0x9999;
    c->rflags |= RF_IF;
    c->nmi_pending = true;
    c->dr[7] = 0x455;
    cpu_update_mode(c);
    lapic_set_tpr(r.L(1), 0x50);
    uint64_t apic_base = c->msr.apic_base;
    struct apic_msg m = { 1, 0, APIC_DM_INIT, APIC_SH_NONE, false, false, true, false, 0 };
    apic_bus_send(&r.ab, &m);
    EXPECT_EQ(c->rip, 0xfff0u);
    EXPECT_EQ(c->seg[SEG_CS].sel, 0xf000u);
    EXPECT_EQ(c->seg[SEG_CS].base, 0xffff0000u);
    EXPECT_EQ(c->seg[SEG_SS].base, 0u);
    EXPECT_EQ(c->seg[SEG_SS].limit, 0xffffu);
    EXPECT_EQ(c->cr0, CR0_ET | CR0_CD | CR0_NW);     // CD, NW kept; PE cleared
    EXPECT_EQ(c->cr3, 0u);
    EXPECT_EQ(c->cr4, 0u);
    EXPECT_EQ(c->cr8, 0u);
    EXPECT_EQ(c->msr.efer, 0u);
    EXPECT_EQ(c->gpr[R_RBX], 0u);
    EXPECT_EQ(c->gpr[R_RSP], 0u);
    EXPECT_EQ(c->gpr[R_RDX], 0x00050654u);           // processor signature
    EXPECT_EQ(cpu_get_rflags(c), 2u);
    EXPECT_EQ(c->dr[7], 0x400u);
    EXPECT_EQ(c->dr[6], 0xffff0ff0u);
    EXPECT_EQ(c->idtr.limit, 0xffffu);
    EXPECT_FALSE(c->nmi_pending);
    EXPECT_EQ(c->mode, MODE_REAL);
    EXPECT_TRUE(c->wait_sipi);
    EXPECT_TRUE(c->halted);
    // kept: MSRs, TSC, APIC base
    EXPECT_EQ(c->msr.star, 0x1234u);
    EXPECT_EQ(c->msr.pat, 0x0606060606060606ull);
    EXPECT_EQ(c->tsc_offset, 77u);
    EXPECT_EQ(c->msr.apic_base, apic_base);
    // the BSP restarts at the reset vector instead of waiting
    m.dest = 0;
    apic_bus_send(&r.ab, &m);
    EXPECT_FALSE(r.C(0)->wait_sipi);
    EXPECT_FALSE(r.C(0)->halted);
    EXPECT_EQ(r.C(0)->rip, 0xfff0u);
}

TEST(InitSipi, X2apicIcrThroughWrmsr)
{
    Rig r(2, M64);
    place(r, AP_CODE, 0x9000);
    Code bsp;
    put(bsp, { 0xb9, 0x1b, 0, 0, 0, 0x0f, 0x32 });                // rdmsr IA32_APIC_BASE
    put(bsp, { 0x0d, 0x00, 0x04, 0, 0, 0x0f, 0x30 });             // or eax, 400h ; wrmsr
    put(bsp, { 0xb9, 0x02, 0x08, 0, 0, 0x0f, 0x32, 0x89, 0xc3 }); // ebx = x2APIC id
    put(bsp, { 0xb9, 0x0d, 0x08, 0, 0, 0x0f, 0x32, 0x89, 0xc6 }); // esi = LDR
    wrmsr(bsp, 0x830, 0x4500, 1);                                 // INIT to x2APIC id 1
    wrmsr(bsp, 0x830, 0x4609, 1);                                 // SIPI, vector 09h
    r.m.load(bsp);
    r.m.c.gpr[R_RBX] = 0x77;
    EXPECT_EQ(r.m.run(), -1);
    EXPECT_EQ(r.L(0)->mode, LAPIC_MODE_X2APIC);
    EXPECT_EQ(r.m.c.gpr[R_RBX], 0u);
    EXPECT_EQ(r.m.c.gpr[R_RSI], 1u);                              // cluster 0, bit 0
    EXPECT_FALSE(r.C(1)->wait_sipi);
    EXPECT_EQ(r.C(1)->seg[SEG_CS].base, 0x9000u);
    EXPECT_EQ(cpu_run(r.C(1), 100), 4u);
    EXPECT_EQ(r.m.rd(0x500, 2), 0x1234u);
}

TEST(InitSipi, CpuHooksRaiseGpWhereTheSdmSays)
{
    {
        Rig r(1, M64);
        // x2APIC MSR while in xAPIC mode
        EXPECT_EQ(r.m.exec({ 0xb9, 0x02, 0x08, 0, 0, 0x0f, 0x32 }), 13);
        // IA32_APIC_BASE with EN = 0, EXTD = 1
        EXPECT_EQ(r.m.exec({ 0xb9, 0x1b, 0, 0, 0, 0x0f, 0x32, 0x25, 0xff, 0xf7, 0xff, 0xff,
                             0x0d, 0x00, 0x04, 0, 0, 0x0f, 0x30 }), 13);
        EXPECT_EQ(r.L(0)->mode, LAPIC_MODE_XAPIC);
        // IA32_TSC_DEADLINE exists with an APIC (reads 0 outside TSC-deadline mode)
        r.m.c.gpr[R_RAX] = 5;
        EXPECT_EQ(r.m.exec({ 0xb9, 0xe0, 0x06, 0, 0, 0x0f, 0x32 }), -1);
        EXPECT_EQ(r.m.c.gpr[R_RAX], 0u);
        // MOV CR8 is TPR[7:4]
        EXPECT_EQ(r.m.exec({ 0xb8, 7, 0, 0, 0, 0x44, 0x0f, 0x22, 0xc0,        // mov cr8, rax
                             0xb8, 0x90, 0, 0, 0,                              // mov eax, 90h
                             0xa3, 0x80, 0x00, 0xe0, 0xfe, 0, 0, 0, 0,         // mov [..80h], eax
                             0x44, 0x0f, 0x20, 0xc3 }), -1);                   // mov rbx, cr8
        EXPECT_EQ(r.m.c.gpr[R_RBX], 9u);
        EXPECT_EQ(r.L(0)->tpr, 0x90u);
    }
    {
        systest::Machine bare(M64);                   // no APIC attached
        EXPECT_EQ(bare.exec({ 0xb9, 0xe0, 0x06, 0, 0, 0x0f, 0x32 }), 13);
        EXPECT_EQ(bare.exec({ 0xb9, 0x02, 0x08, 0, 0, 0x0f, 0x32 }), 13);
    }
}

TEST(InitSipi, SchedulerRunsTheApOnlyAfterTheSipi)
{
    Rig r(2, M32);
    place(r, AP_CODE, 0x8000);
    Code bsp;
    movd(bsp, 0xfee00310, 0x01000000);
    movd(bsp, 0xfee00300, 0x00004500);
    movd(bsp, 0xfee00300, 0x00004608);
    r.m.load(bsp);
    r.m.c.rip = systest::CODE;
    struct sched s;
    sched_init(&s, &r.q, r.m.c.model->tsc_hz);
    ASSERT_EQ(sched_add(&s, r.C(0)), 0);
    ASSERT_EQ(sched_add(&s, r.C(1)), 0);
    EXPECT_EQ(sched_run(&s, 100000), SCHED_IDLE_FOREVER);    // both end halted with IF = 0
    EXPECT_EQ(r.C(0)->ctr.insns, 4u);                        // 3 stores and the HLT
    EXPECT_EQ(r.C(1)->ctr.insns, 4u);
    EXPECT_EQ(r.m.rd(0x500, 2), 0x1234u);
}

TEST(InitSipi, HaltedProcessorWakesOnTheApicTimer)
{
    Rig r(2, M32);
    place(r, { 0x0f, 0x31, 0xf4 }, 0x30000);         // handler of vector 40h: rdtsc ; hlt
    r.m.gate32(0x40, 0x30000);
    Code bsp;
    movd(bsp, 0xfee000f0, 0x1ff);                     // SVR: enabled
    movd(bsp, 0xfee00320, 0x40);                      // LVT timer: one-shot, vector 40h
    movd(bsp, 0xfee003e0, 0xb);                       // divide by 1
    movd(bsp, 0xfee00380, 2500);                      // 2500 x 40 ns = 100 us
    put(bsp, { 0xfb });                               // sti (HLT follows)
    r.m.load(bsp);
    r.m.c.rip = systest::CODE;
    struct sched s;
    sched_init(&s, &r.q, r.m.c.model->tsc_hz);
    sched_add(&s, r.C(0));
    sched_add(&s, r.C(1));                            // waits for SIPI forever: no host time
    EXPECT_EQ(sched_run(&s, 100000), SCHED_IDLE_FOREVER);
    EXPECT_EQ(r.m.c.rip, 0x30003u);                   // after the handler's HLT (IF = 0)
    EXPECT_TRUE(r.isr(0, 0x40));
    // woken at the timer's expiry, 100 us = 240 000 cycles after the ICR write (a few cycles
    // into the run), plus the IDT delivery cost (cost.exception = 150)
    uint64_t tsc = r.m.c.gpr[R_RAX];
    EXPECT_GE(tsc, 240000u + 150u);
    EXPECT_LT(tsc, 240000u + 150u + 100u);
    EXPECT_EQ(r.C(1)->ctr.insns, 0u);
}

TEST(InitSipi, SelfIpiIsTakenRightAfterTheIcrWrite)
{
    Rig r(1, M32);
    Code c;
    movd(c, 0xfee000f0, 0x1ff);                       // SVR: enabled
    put(c, { 0xfb, 0x90 });                           // sti ; nop
    movd(c, 0xfee00300, 0x00044050);                  // self, fixed, vector 50h
    put(c, { 0xb8, 1, 0, 0, 0 });                     // mov eax, 1 (must not run first)
    r.m.load(c);
    r.m.c.gpr[R_RAX] = 0;
    EXPECT_EQ(r.m.run(), 0x50);
    EXPECT_EQ(r.m.c.gpr[R_RAX], 0u);
    EXPECT_TRUE(r.isr(0, 0x50));
}
