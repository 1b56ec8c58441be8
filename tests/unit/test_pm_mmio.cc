// test_pm_mmio.cc — the child's device page the root emulates (partitions/root/mmio_emul.c):
// messages are built field by field from the TLFS memory-intercept layout (hv/abi/tlfs.h), the
// instructions hand-encoded from the SDM Vol. 2B MOV table, the register results worked out from
// SDM Vol. 1 3.4.1.1 (32-bit results zero-extend, 8/16-bit results keep the other bits) and the
// device's register map in mmio_emul.h.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "partitions/root/mmio_emul.h"
}

namespace {

const uint16_t kCs64 = 0xA09B;          // L = 1 (TLFS attributes = VMX access rights)
const uint16_t kCs32 = 0xC09B;          // D/B = 1, L = 0

struct Msg {
    hv_x64_memory_intercept_message mi;
    Msg(uint64_t gpa, uint8_t access, std::vector<uint8_t> insn, uint64_t rip = 0x200000,
        bool lm = true, uint16_t cs = kCs64)
    {
        memset(&mi, 0, sizeof mi);
        mi.header.vp_index = 1;
        mi.header.intercept_access_type = access;
        mi.header.execution_state =
            (uint16_t)(HV_X64_EXEC_CR0_PE | (lm ? HV_X64_EXEC_EFER_LMA : 0));
        mi.header.cs_segment.attributes = cs;
        mi.header.cs_segment.selector = 8;
        mi.header.rip = rip;
        mi.guest_physical_address = gpa;
        mi.instruction_byte_count = (uint8_t)insn.size();
        memcpy(mi.instruction_bytes, insn.data(), insn.size());
    }
    const uint8_t *p() const { return (const uint8_t *)&mi; }
};

const uint8_t R = HV_INTERCEPT_ACCESS_READ, W = HV_INTERCEPT_ACCESS_WRITE;
const uint64_t DEV = MMIO_EMUL_GPA;

// Decode m, perform it with register value `reg`; returns the result (asserts success).
mmio_emul_result run(mmio_emul *d, const Msg &m, uint64_t reg, mmio_emul_req *rq = nullptr)
{
    mmio_emul_req r;
    mmio_emul_result res;
    char why[80] = "";
    EXPECT_EQ(mmio_emul_decode(m.p(), sizeof m.mi, &r, why, sizeof why), 0) << why;
    EXPECT_EQ(mmio_emul_access(d, &r, reg, &res, why, sizeof why), 0) << why;
    if (rq)
        *rq = r;
    return res;
}

// The reason a message is refused (empty if it is not).
std::string refused(mmio_emul *d, const Msg &m,
                    size_t len = sizeof(hv_x64_memory_intercept_message))
{
    mmio_emul_req r;
    mmio_emul_result res;
    char why[80] = "";
    if (mmio_emul_decode(m.p(), len, &r, why, sizeof why) < 0)
        return why;
    if (mmio_emul_access(d, &r, 0, &res, why, sizeof why) < 0)
        return why;
    return "";
}

TEST(PmMmio, ThePageAndNothingElse)
{
    EXPECT_EQ(DEV, 0xF0000000ull);
    EXPECT_TRUE(mmio_emul_owns(0xF0000000ull));
    EXPECT_TRUE(mmio_emul_owns(0xF0000FFFull));
    EXPECT_FALSE(mmio_emul_owns(0xEFFFFFFFull));
    EXPECT_FALSE(mmio_emul_owns(0xF0001000ull));
    EXPECT_FALSE(mmio_emul_owns(0x7000000ull));          // the hostile child's read
    EXPECT_FALSE(mmio_emul_owns(0));
}

TEST(PmMmio, IdReadZeroExtendsAndAdvancesRip)
{
    mmio_emul d;
    mmio_emul_reset(&d);
    mmio_emul_req rq;
    // 8B 00: mov eax,[rax] — 2 bytes; a 32-bit load needs no old value and zero-extends
    mmio_emul_result r = run(&d, Msg(DEV + 0, R, { 0x8B, 0x00 }), 0, &rq);
    EXPECT_EQ(rq.vp, 1u);
    EXPECT_EQ(rq.reg_name, (uint32_t)HV_X64_REGISTER_RAX);
    EXPECT_FALSE(rq.need_reg);
    EXPECT_EQ(rq.next_rip, 0x200002ull);
    EXPECT_TRUE(r.set_reg);
    EXPECT_EQ(r.reg_value, 0x4D4D5648ull);
    EXPECT_FALSE(r.has_out);
    // the ID's bytes spell "HVMM"; a 64-bit read at 0 gets 0 in bytes 4-7
    uint8_t b[4];
    uint32_t id = MMIO_EMUL_ID;
    memcpy(b, &id, 4);
    EXPECT_EQ(std::string((const char *)b, 4), "HVMM");
    // 4C 8B 18: mov r11,[rax]
    r = run(&d, Msg(DEV + 0, R, { 0x4C, 0x8B, 0x18 }), 0, &rq);
    EXPECT_EQ(rq.reg_name, (uint32_t)HV_X64_REGISTER_R8 + 3);
    EXPECT_EQ(r.reg_value, 0x4D4D5648ull);
    EXPECT_EQ(rq.next_rip, 0x200003ull);
    // byte 1 of the ID into BH (8A 78 01: mov bh,[rax+1]): bits 15:8 of RBX, the rest kept
    r = run(&d, Msg(DEV + 1, R, { 0x8A, 0x78, 0x01 }), 0x1111111111111111ull, &rq);
    EXPECT_TRUE(rq.need_reg);
    EXPECT_EQ(rq.reg_name, (uint32_t)HV_X64_REGISTER_RBX);
    EXPECT_EQ(r.reg_value, 0x1111111111115611ull);
}

TEST(PmMmio, MergeRulesOfTheSdm)
{
    const uint64_t old = 0x1122334455667788ull;
    EXPECT_EQ(mmio_emul_merge(old, 0xAB, 1, false), 0x11223344556677ABull);
    EXPECT_EQ(mmio_emul_merge(old, 0xABCD, 2, false), 0x112233445566ABCDull);
    EXPECT_EQ(mmio_emul_merge(old, 0xDEADBEEF, 4, false), 0x00000000DEADBEEFull);
    EXPECT_EQ(mmio_emul_merge(old, 0x0102030405060708ull, 8, false), 0x0102030405060708ull);
    EXPECT_EQ(mmio_emul_merge(old, 0xAB, 1, true), 0x112233445566AB88ull);
}

TEST(PmMmio, ScratchWidthsAndImmediates)
{
    mmio_emul d;
    mmio_emul_reset(&d);
    EXPECT_EQ(run(&d, Msg(DEV + 0x10, R, { 0x48, 0x8B, 0x00 }), 0).reg_value, 0u) << "reset 0";
    // 48 89 08: mov [rax],rcx — needs RCX
    mmio_emul_req rq;
    run(&d, Msg(DEV + 0x10, W, { 0x48, 0x89, 0x08 }), 0x0123456789ABCDEFull, &rq);
    EXPECT_TRUE(rq.need_reg);
    EXPECT_EQ(rq.reg_name, (uint32_t)HV_X64_REGISTER_RCX);
    EXPECT_EQ(d.scratch, 0x0123456789ABCDEFull);
    // little-endian bytes EF CD AB 89 67 45 23 01 at 0x10..0x17
    EXPECT_EQ(run(&d, Msg(DEV + 0x13, R, { 0x8A, 0x00 }), 0xFFFFull).reg_value, 0xFF89ull);
    EXPECT_EQ(run(&d, Msg(DEV + 0x12, R, { 0x66, 0x8B, 0x00 }), ~0ull).reg_value,
              0xFFFFFFFFFFFF89ABull);
    EXPECT_EQ(run(&d, Msg(DEV + 0x14, R, { 0x8B, 0x00 }), ~0ull).reg_value, 0x01234567ull);
    // 66 C7 00 34 12: mov word [rax],0x1234 at 0x16: only bytes 6-7 change
    run(&d, Msg(DEV + 0x16, W, { 0x66, 0xC7, 0x00, 0x34, 0x12 }), 0);
    EXPECT_EQ(d.scratch, 0x1234456789ABCDEFull);
    // C6 00 5A: mov byte [rax],0x5a at 0x10
    run(&d, Msg(DEV + 0x10, W, { 0xC6, 0x00, 0x5A }), 0);
    EXPECT_EQ(d.scratch, 0x1234456789ABCD5Aull);
    // C7 00 ...: mov dword [rax],0x87654321 at 0x10: bytes 0-3 only (memory is not extended)
    run(&d, Msg(DEV + 0x10, W, { 0xC7, 0x00, 0x21, 0x43, 0x65, 0x87 }), 0);
    EXPECT_EQ(d.scratch, 0x1234456787654321ull);
    // 48 C7 00 00 00 00 80: mov qword [rax],imm32 sign-extended -> FFFFFFFF80000000
    run(&d, Msg(DEV + 0x10, W, { 0x48, 0xC7, 0x00, 0x00, 0x00, 0x00, 0x80 }), 0);
    EXPECT_EQ(d.scratch, 0xFFFFFFFF80000000ull);
    // 48 A3 moffs64: mov [F0000010],rax
    run(&d, Msg(DEV + 0x10, W, { 0x48, 0xA3, 0x10, 0, 0, 0xF0, 0, 0, 0, 0 }), 0xAAull, &rq);
    EXPECT_EQ(rq.next_rip, 0x20000Aull);
    EXPECT_EQ(d.scratch, 0xAAull);
    // each child has its own
    mmio_emul other;
    mmio_emul_reset(&other);
    EXPECT_EQ(run(&other, Msg(DEV + 0x10, R, { 0x48, 0x8B, 0x00 }), 0).reg_value, 0u);
}

TEST(PmMmio, DataIsConsoleOutputAndIdIsReadOnly)
{
    mmio_emul d;
    mmio_emul_reset(&d);
    mmio_emul_result r = run(&d, Msg(DEV + 8, W, { 0xC6, 0x00, 'A' }), 0);
    EXPECT_TRUE(r.has_out);
    EXPECT_EQ(r.out, 'A');
    EXPECT_FALSE(r.set_reg);
    // 88 20: mov [rax],ah — the byte is bits 15:8 of RAX
    r = run(&d, Msg(DEV + 8, W, { 0x88, 0x20 }), 0x1234);
    EXPECT_EQ(r.out, 0x12);
    // a 32-bit write: its low byte
    r = run(&d, Msg(DEV + 8, W, { 0x89, 0x00 }), 0x4443424A);
    EXPECT_TRUE(r.has_out);
    EXPECT_EQ(r.out, 0x4A);
    // DATA reads 0; a write at 0x0C is a reserved byte: no output
    EXPECT_EQ(run(&d, Msg(DEV + 8, R, { 0x48, 0x8B, 0x00 }), 5).reg_value, 0u);
    EXPECT_FALSE(run(&d, Msg(DEV + 0xC, W, { 0x89, 0x00 }), 0x41).has_out);
    // a write to ID is ignored, and changes nothing else
    d.scratch = 7;
    run(&d, Msg(DEV + 0, W, { 0xC7, 0x00, 1, 2, 3, 4 }), 0);
    EXPECT_EQ(run(&d, Msg(DEV + 0, R, { 0x8B, 0x00 }), 0).reg_value, (uint64_t)MMIO_EMUL_ID);
    EXPECT_EQ(d.scratch, 7u);
    // reserved offsets: read 0, writes ignored
    EXPECT_EQ(run(&d, Msg(DEV + 0x100, R, { 0x48, 0x8B, 0x00 }), ~0ull).reg_value, 0u);
    EXPECT_EQ(run(&d, Msg(DEV + 0xFF8, R, { 0x48, 0x8B, 0x00 }), ~0ull).reg_value, 0u);
    run(&d, Msg(DEV + 0x18, W, { 0x48, 0x89, 0x00 }), ~0ull);
    EXPECT_EQ(d.scratch, 7u);
}

TEST(PmMmio, ThirtyTwoBitCode)
{
    mmio_emul d;
    mmio_emul_reset(&d);
    mmio_emul_req rq;
    // A1 moffs32 in 32-bit code: 5 bytes; EIP wraps at 4 GiB
    mmio_emul_result r =
        run(&d, Msg(DEV, R, { 0xA1, 0x00, 0x00, 0x00, 0xF0 }, 0xFFFFFFFEull, false, kCs32), 0, &rq);
    EXPECT_EQ(r.reg_value, (uint64_t)MMIO_EMUL_ID);
    EXPECT_EQ(rq.next_rip, 3u);
    // the same bytes in 64-bit code are A1 moffs64: 9 bytes, cut short at 5
    EXPECT_NE(refused(&d, Msg(DEV, R, { 0xA1, 0x00, 0x00, 0x00, 0xF0 })), "");
}

TEST(PmMmio, RefusedAccessesStopTheChild)
{
    mmio_emul d;
    mmio_emul_reset(&d);
    // unaligned: 4 bytes at 0x12, 2 at 0x11, 8 at 0xFFC (also past the page's end)
    EXPECT_NE(refused(&d, Msg(DEV + 0x12, R, { 0x8B, 0x00 })).find("unaligned"), std::string::npos);
    EXPECT_NE(refused(&d, Msg(DEV + 0x11, W, { 0x66, 0x89, 0x00 })), "");
    EXPECT_NE(refused(&d, Msg(DEV + 0xFFC, R, { 0x48, 0x8B, 0x00 })), "");
    // the message holds too few bytes of the instruction
    EXPECT_NE(refused(&d, Msg(DEV, R, { 0x8B })).find("cut short"), std::string::npos);
    EXPECT_NE(refused(&d, Msg(DEV, W, { 0xC7, 0x00, 1, 2 })), "");
    // not a MOV: MOVZX, an ADD to memory
    EXPECT_NE(refused(&d, Msg(DEV, R, { 0x0F, 0xB6, 0x00 })).find("not an emulated MOV"),
              std::string::npos);
    EXPECT_NE(refused(&d, Msg(DEV, W, { 0x01, 0x00 })), "");
    // a fetch from the page; a write reported for a load
    EXPECT_NE(refused(&d, Msg(DEV, HV_INTERCEPT_ACCESS_EXECUTE, { 0x8B, 0x00 })), "");
    EXPECT_NE(refused(&d, Msg(DEV, W, { 0x8B, 0x00 })), "");
    // a payload shorter than the message, a GPA outside the page
    EXPECT_NE(refused(&d, Msg(DEV, R, { 0x8B, 0x00 }), 79), "");
    EXPECT_NE(refused(&d, Msg(0x7000000, R, { 0x8B, 0x00 })), "");
    EXPECT_EQ(d.scratch, 0u) << "nothing refused changed the device";
    // and a good one goes through
    EXPECT_EQ(refused(&d, Msg(DEV + 0x10, R, { 0x8B, 0x00 })), "");
}

} // namespace
