/* test_diff_directed.cc — directed checks where Unicorn 2.0.1 is not a usable reference (see
 * docs/DIFFERENTIAL-TESTING.md, "Unicorn deviations"): hvsim against values hand-computed from
 * the SDM, and a check that each listed Unicorn deviation still exists (if one disappears with a
 * new Unicorn, the generator exclusion for it can be lifted).
 */
#include <gtest/gtest.h>
#include <string.h>

#include "tests/diff/diff_flags.h"
#include "tests/diff/diff_gen.h"
#include "tests/diff/diff_run.h"

using namespace diff;

static uint64_t rd64(const std::vector<uint8_t> &v, size_t off)
{
    uint64_t x;
    memcpy(&x, &v[off], 8);
    return x;
}

static void wr64(std::vector<uint8_t> &v, size_t off, uint64_t x)
{
    memcpy(&v[off], &x, 8);
}

/* SHLD r/m64, r64, imm8 with a RIP-relative operand: EA = next RIP (after the imm8) + disp
 * (SDM Vol. 2 2.2.1.6). shld qword [rip + disp], rax, 4 is 9 bytes at 0x10000, so
 * disp = 0x8009 - 0x10009 puts the operand at 0x8009. */
TEST(DiffDirected, ShldRipRelative)
{
    int32_t disp = (int32_t)(0x8009 - (CODE_BASE + 9));
    std::vector<uint8_t> code = { 0x48, 0x0f, 0xa4, 0x05, (uint8_t)disp, (uint8_t)(disp >> 8),
                                  (uint8_t)(disp >> 16), (uint8_t)(disp >> 24), 0x04 };
    Case c = hand_case(8, code);
    wr64(c.init.data, 0x08, 0x1122334455667700ull);     /* bytes 0x8008.. */
    wr64(c.init.data, 0x10, 0x99);
    c.init.gpr[RAX] = 0xf000000000000000ull;
    /* qword at 0x8009 = 0x9911223344556677; << 4 | rax >> 60 = 0x911223344556677f */
    HvRunner hv(8);
    State s = hv.run(c);
    ASSERT_EQ(s.error, "");
    EXPECT_EQ(s.fault, -1);
    uint64_t got = rd64(s.data, 0x09);
    EXPECT_EQ(got, 0x911223344556677full);
    EXPECT_EQ(s.data[0x08], 0x00);                      /* byte before the operand untouched */

    UcRunner uc(8);                                     /* the deviation: one byte too low */
    State u = uc.run(c);
    EXPECT_NE(rd64(u.data, 0x09), 0x911223344556677full)
        << "Unicorn computes SHLD imm8 RIP-relative addresses correctly now: allow them in "
           "gen_shiftd (diff_grp_shift.cc) and update docs/DIFFERENTIAL-TESTING.md";
}

/* LOCK NEG m8: SF/ZF/PF of the result (SDM NEG "Flags Affected"). 0x70 -> 0x90: CF = 1,
 * PF = 1 (two bits), SF = 1, ZF = 0, AF = 0 (no borrow from bit 4), OF = 0. */
TEST(DiffDirected, LockNegFlags)
{
    Case c = hand_case(8, { 0xf0, 0xf6, 0x1c, 0x25, 0x00, 0x80, 0x00, 0x00 });
    c.init.data[0] = 0x70;
    HvRunner hv(8);
    State s = hv.run(c);
    ASSERT_EQ(s.error, "");
    EXPECT_EQ(s.data[0], 0x90);
    EXPECT_EQ(s.rflags & FL_ARITH, (uint64_t)(FL_CF | FL_PF | FL_SF));

    UcRunner uc(8);                                     /* the deviation: flags of 0x70 */
    State u = uc.run(c);
    EXPECT_NE(u.rflags & FL_ARITH, (uint64_t)(FL_CF | FL_PF | FL_SF))
        << "Unicorn's LOCK NEG flags are right now: drop the F0->90 patch in diff_form.cc";
}

/* CMPXCHG r/m32 in 64-bit mode, comparison succeeds: the accumulator is not written, so RAX
 * keeps its upper half (SDM CMPXCHG Operation). */
TEST(DiffDirected, Cmpxchg32KeepsRaxOnSuccess)
{
    /* lock cmpxchg dword [0x8000], ecx */
    Case c = hand_case(8, { 0xf0, 0x0f, 0xb1, 0x0c, 0x25, 0x00, 0x80, 0x00, 0x00 });
    c.init.gpr[RAX] = 0xdeadbeef00000005ull;
    c.init.gpr[RCX] = 0x1234;
    c.init.data[0] = 5;
    HvRunner hv(8);
    State s = hv.run(c);
    ASSERT_EQ(s.error, "");
    EXPECT_EQ(s.gpr[RAX], 0xdeadbeef00000005ull);
    EXPECT_EQ(s.data[0], 0x34);
    EXPECT_EQ(s.data[1], 0x12);
    EXPECT_TRUE(s.rflags & FL_ZF);

    /* failure: EAX <- m32, zero-extended into RAX */
    c.init.data[0] = 6;
    s = hv.run(c);
    EXPECT_EQ(s.gpr[RAX], 6u);
    EXPECT_FALSE(s.rflags & FL_ZF);

    UcRunner uc(8);                                     /* the deviation on success */
    c.init.data[0] = 5;
    State u = uc.run(c);
    EXPECT_NE(u.gpr[RAX], 0xdeadbeef00000005ull)
        << "Unicorn keeps RAX on CMPXCHG success now: drop the zeroing in gen_atomic";
}

/* LOCK with MOV, with CMP and with a register destination: #UD (SDM Vol. 2 LOCK). Unicorn 2.0.1
 * executes LOCK MOV and LOCK XOR r,r, and LOCK CMP m aborts the whole process ("tcg fatal
 * error"), so it is never run on Unicorn. */
TEST(DiffDirected, LockMisuseIsUd)
{
    struct L { std::vector<uint8_t> code; bool run_uc; bool uc_executes; };
    const L cases[] = {
        { { 0xf0, 0x89, 0x04, 0x25, 0x00, 0x80, 0x00, 0x00 }, true, true },   /* lock mov */
        { { 0xf0, 0x39, 0x04, 0x25, 0x00, 0x80, 0x00, 0x00 }, false, false }, /* lock cmp */
        { { 0xf0, 0x31, 0xc0 }, true, true },                                 /* lock xor eax,eax */
        { { 0xf0, 0x01, 0xd8 }, true, false },                                /* lock add eax,ebx */
    };
    HvRunner hv(8);
    UcRunner uc(8);
    for (const L &l : cases) {
        Case c = hand_case(8, l.code);
        c.init.gpr[RAX] = 0x55;
        State s = hv.run(c);
        EXPECT_EQ(s.fault, 6) << "hvsim must raise #UD";
        EXPECT_EQ(s.data[0], 0);
        EXPECT_EQ(s.gpr[RAX], 0x55u);
        if (l.run_uc) {
            State u = uc.run(c);
            EXPECT_EQ(u.fault < 0, l.uc_executes) << "the list of Unicorn's LOCK deviations changed";
        }
    }
}
