/* test_diff_harness.cc — tests of the differential-test machinery itself, independent of hvsim:
 * the encoder against hand-assembled bytes (SDM Vol. 2 2.1.5), the flag table, the Unicorn
 * runner against hand-computed results, the generator's determinism and Capstone check, every
 * group running on Unicorn alone, and the comparator detecting planted differences (so the
 * differential tests cannot pass silently).
 */
#include <gtest/gtest.h>
#include <string.h>

#include "tests/diff/diff_driver.h"
#include "tests/diff/diff_gen.h"
#include "tests/diff/diff_run.h"

using namespace diff;

static std::vector<uint8_t> B(std::initializer_list<int> l)
{
    std::vector<uint8_t> v;
    for (int x : l)
        v.push_back((uint8_t)x);
    return v;
}

/* ---- encoder ----------------------------------------------------------------------------- */

TEST(DiffEncoder, RegisterForms)
{
    Enc e;                                      /* add eax, ebx */
    e.op = { 0x01 };
    e.reg_field(RBX, 4);
    e.rm_reg(RAX, 4);
    EXPECT_EQ(e.encode(), B({ 0x01, 0xd8 }));

    Enc w;                                      /* add r9, r10 */
    w.op = { 0x01 };
    w.opsize(8);
    w.reg_field(R10, 8);
    w.rm_reg(R9, 8);
    EXPECT_EQ(w.encode(), B({ 0x4d, 0x01, 0xd1 }));

    Enc h;                                      /* mov ah, bh: no REX possible */
    h.op = { 0x88 };
    h.reg_field(R8_BH, 1);
    h.rm_reg(R8_AH, 1);
    EXPECT_EQ(h.encode(), B({ 0x88, 0xfc }));
    EXPECT_TRUE(h.rex_forbid);

    Enc s;                                      /* mov spl, sil: REX 40 */
    s.op = { 0x88 };
    s.reg_field(RSI, 1);
    s.rm_reg(RSP, 1);
    EXPECT_EQ(s.encode(), B({ 0x40, 0x88, 0xf4 }));

    Enc o;                                      /* mov r11d, imm32 */
    o.op = { 0xb8 };
    o.opreg(R11, 4);
    o.isz = 4;
    o.imm = 0x12345678;
    EXPECT_EQ(o.encode(), B({ 0x41, 0xbb, 0x78, 0x56, 0x34, 0x12 }));
}

TEST(DiffEncoder, MemoryForms64)
{
    auto enc = [](MemOp m) {
        Enc e;
        e.op = { 0x8b };                        /* mov eax, [m] */
        e.reg_field(RAX, 4);
        e.mem(m, 8);
        return e.encode();
    };
    MemOp m;
    m.base = RBP;                               /* [rbp] -> mod 01, disp8 0 */
    EXPECT_EQ(enc(m), B({ 0x8b, 0x45, 0x00 }));
    m = MemOp();
    m.base = R12;                               /* [r12] -> SIB */
    EXPECT_EQ(enc(m), B({ 0x41, 0x8b, 0x04, 0x24 }));
    m = MemOp();
    m.base = RAX;                               /* [rax + rcx*4 + 0x10] */
    m.index = RCX;
    m.scale = 2;
    m.dsz = 1;
    m.disp = 0x10;
    EXPECT_EQ(enc(m), B({ 0x8b, 0x44, 0x88, 0x10 }));
    m = MemOp();
    m.index = R13;                              /* [r13*8 + 0x1000]: no base */
    m.scale = 3;
    m.dsz = 4;
    m.disp = 0x1000;
    EXPECT_EQ(enc(m), B({ 0x42, 0x8b, 0x04, 0xed, 0x00, 0x10, 0x00, 0x00 }));
    m = MemOp();
    m.disp = 0x8000;                            /* [0x8000] absolute: SIB, no base/index */
    m.dsz = 4;
    EXPECT_EQ(enc(m), B({ 0x8b, 0x04, 0x25, 0x00, 0x80, 0x00, 0x00 }));
    m = MemOp();
    m.asz = 4;                                  /* [ecx] with 67 */
    m.base = RCX;
    EXPECT_EQ(enc(m), B({ 0x67, 0x8b, 0x01 }));
}

TEST(DiffEncoder, MemoryForms16)
{
    auto enc = [](MemOp m) {
        Enc e;
        e.op = { 0x8b };
        e.reg_field(RAX, 4);
        e.mem(m, 4);
        return e.encode();
    };
    MemOp m;
    m.asz = 2;                                  /* [bx+si] (SDM Table 2-1) */
    m.base = RBX;
    m.index = RSI;
    EXPECT_EQ(enc(m), B({ 0x67, 0x8b, 0x00 }));
    m.base = RBP;                               /* [bp] -> disp8 0 */
    m.index = NOREG;
    EXPECT_EQ(enc(m), B({ 0x67, 0x8b, 0x46, 0x00 }));
    m = MemOp();
    m.asz = 2;                                  /* [disp16] */
    m.disp = 0x8123;
    EXPECT_EQ(enc(m), B({ 0x67, 0x8b, 0x06, 0x23, 0x81 }));
}

/* ---- flag table -------------------------------------------------------------------------- */

TEST(DiffFlags, TableFollowsSdm)
{
    FlagFx f = flag_effects("and", 4, -1);
    EXPECT_EQ(f.undef, (uint32_t)FL_AF);
    EXPECT_EQ(f.defines, (uint32_t)(FL_ARITH & ~FL_AF));
    f = flag_effects("mul", 8, -1);
    EXPECT_EQ(f.defines, (uint32_t)(FL_CF | FL_OF));
    f = flag_effects("shl", 1, 8);              /* count >= size: CF undefined */
    EXPECT_TRUE(f.undef & FL_CF);
    EXPECT_TRUE(f.undef & FL_OF);
    f = flag_effects("shl", 4, 1);              /* 1-bit shift: OF defined */
    EXPECT_TRUE(f.defines & FL_OF);
    EXPECT_FALSE(f.undef & FL_CF);
    f = flag_effects("sar", 4, 0x20);           /* masked count 0: nothing changes */
    EXPECT_EQ(f.defines | f.undef, 0u);
    f = flag_effects("rol", 2, 17);             /* masked 17: CF defined, OF undefined */
    EXPECT_EQ(f.defines, (uint32_t)FL_CF);
    EXPECT_EQ(f.undef, (uint32_t)FL_OF);
    f = flag_effects("shld", 2, 17);            /* count > 16: all undefined */
    EXPECT_EQ(f.undef, (uint32_t)FL_ARITH);
    f = flag_effects("cmovbe", 4, -1);
    EXPECT_EQ(f.reads, (uint32_t)(FL_CF | FL_ZF));
    f = flag_effects("jle", 4, -1);
    EXPECT_EQ(f.reads, (uint32_t)(FL_ZF | FL_SF | FL_OF));
    for (const char *mn : { "add", "adc", "and", "inc", "mul", "div", "bt", "bsf", "tzcnt",
                            "popcnt", "daa", "aaa", "aam", "sahf" }) {
        FlagFx x = flag_effects(mn, 4, -1);
        EXPECT_EQ(x.defines & x.undef, 0u) << mn;
    }
}

/* ---- Unicorn runner ---------------------------------------------------------------------- */

TEST(DiffUnicorn, ArithmeticAndFlags)
{
    UcRunner uc(8);
    Case c = hand_case(8, B({ 0x01, 0xd8 }));   /* add eax, ebx */
    c.init.gpr[RAX] = 0xffffffff;
    c.init.gpr[RBX] = 1;
    State s = uc.run(c);
    ASSERT_EQ(s.error, "");
    EXPECT_EQ(s.gpr[RAX], 0u);
    EXPECT_EQ(s.rip, CODE_BASE + 3);            /* after the HLT */
    EXPECT_EQ(s.rflags & FL_ARITH, (uint64_t)(FL_CF | FL_ZF | FL_PF | FL_AF));
    EXPECT_EQ(s.fault, -1);

    Case a = hand_case(8, B({ 0x48, 0x11, 0xd8 }));   /* adc rax, rbx with CF = 1 */
    a.init.gpr[RAX] = 1;
    a.init.gpr[RBX] = 1;
    a.init.rflags = 0x3;
    s = uc.run(a);
    EXPECT_EQ(s.gpr[RAX], 3u);                  /* the initial RFLAGS reached Unicorn */
}

TEST(DiffUnicorn, CountTermination)
{
    UcRunner uc(8);
    Case c = hand_case(8, B({ 0xff, 0xc0, 0xff, 0xc0, 0xff, 0xc0 }));   /* inc eax x3 */
    c.term = Term::Count;
    c.count = 2;
    State s = uc.run(c);
    EXPECT_EQ(s.gpr[RAX], 2u);
    EXPECT_EQ(s.rip, CODE_BASE + 4);
}

TEST(DiffUnicorn, Exceptions)
{
    UcRunner uc(8);
    Case c = hand_case(8, B({ 0x31, 0xc9, 0xf7, 0xf1 }));   /* xor ecx, ecx; div ecx */
    State s = uc.run(c);
    EXPECT_EQ(s.fault, 0);                      /* #DE */
    c = hand_case(8, B({ 0x0f, 0x0b }));        /* ud2 */
    s = uc.run(c);
    EXPECT_EQ(s.fault, 6);                      /* #UD */
}

TEST(DiffUnicorn, PopcntMovbeReference)
{
    EXPECT_EQ(ref_popcnt(0xff00ff), 16u);
    EXPECT_EQ(ref_bswap(0x11223344, 4), 0x44332211u);
    EXPECT_EQ(ref_bswap(0x1122, 2), 0x2211u);
    UcRunner uc(8);
    /* popcnt rax, rbx; movbe ecx, [0x8000]; movbe [0x8010], dx */
    Case c = hand_case(8, B({ 0xf3, 0x48, 0x0f, 0xb8, 0xc3,
                              0x0f, 0x38, 0xf0, 0x0c, 0x25, 0x00, 0x80, 0x00, 0x00,
                              0x66, 0x0f, 0x38, 0xf1, 0x14, 0x25, 0x10, 0x80, 0x00, 0x00 }));
    c.init.gpr[RBX] = 0xf0f0;
    c.init.gpr[RCX] = 0xffffffffffffffffull;
    c.init.gpr[RDX] = 0xabcd;
    c.init.rflags = 0x2 | FL_ARITH;
    c.init.data[0] = 0x11;
    c.init.data[1] = 0x22;
    c.init.data[2] = 0x33;
    c.init.data[3] = 0x44;
    State s = uc.run(c);
    ASSERT_EQ(s.error, "");
    EXPECT_EQ(s.fault, -1);
    EXPECT_EQ(s.gpr[RAX], 8u);
    EXPECT_EQ(s.rflags & FL_ARITH, 0u);         /* all cleared, ZF = 0 (source != 0) */
    EXPECT_EQ(s.gpr[RCX], 0x11223344u);         /* 32-bit write zero-extends */
    EXPECT_EQ(s.data[0x10], 0xab);
    EXPECT_EQ(s.data[0x11], 0xcd);
}

TEST(DiffUnicorn, Addressing16In32BitMode)
{
    UcRunner uc(4);
    Case c = hand_case(4, B({ 0x67, 0x66, 0x8b, 0x00 }));   /* mov ax, [bx+si] */
    c.init.gpr[RBX] = 0xffff7000;               /* upper half ignored by 16-bit addressing */
    c.init.gpr[RSI] = 0x1004;
    c.init.data[4] = 0x34;
    c.init.data[5] = 0x12;
    State s = uc.run(c);
    ASSERT_EQ(s.error, "");
    EXPECT_EQ(s.gpr[RAX] & 0xffff, 0x1234u);
}

/* ---- generator ----------------------------------------------------------------------------- */

TEST(DiffGenerator, Deterministic)
{
    for (unsigned k = 0; k < n_groups; k++) {
        const Group &g = groups[k];
        int mode = (g.modes & 2) ? 8 : 4;
        uint64_t seed = case_seed(DEFAULT_SEED, g.name, mode, 7);
        Case a = make_case(g, mode, seed), b = make_case(g, mode, seed);
        EXPECT_EQ(a.code, b.code) << g.name;
        EXPECT_EQ(a.init.data, b.init.data) << g.name;
        EXPECT_EQ(0, memcmp(a.init.gpr, b.init.gpr, sizeof a.init.gpr)) << g.name;
    }
}

TEST(DiffGenerator, CapstoneCheckCatchesWrongEncodings)
{
    Case c;
    c.mode = 8;
    Rng rng(1);
    Builder b(c, rng);
    Enc e;
    e.op = { 0x29 };                            /* this is SUB, not ADD */
    e.reg_field(RAX, 4);
    e.rm_reg(RBX, 4);
    b.emit(e, "add", 4);
    EXPECT_THROW(b.finish(), GenError);
}

TEST(DiffGenerator, EveryGroupRunsOnUnicorn)
{
    for (unsigned k = 0; k < n_groups; k++)
        for (int mode : { 4, 8 })
            if (groups[k].modes & (mode == 8 ? 2 : 1)) {
                SCOPED_TRACE(std::string(groups[k].name) + (mode == 8 ? " 64" : " 32"));
                run_group_unicorn_only(groups[k].name, mode, env_cases(100));
            }
}

/* ---- the comparator cannot be fooled ------------------------------------------------------- */

TEST(DiffMeta, ComparatorDetectsPlantedDifferences)
{
    const Group *g = find_group("alu");
    ASSERT_NE(g, nullptr);
    UcRunner uc(8);
    Case c = make_case(*g, 8, case_seed(DEFAULT_SEED, "meta", 8, 0));
    State ref = uc.run(c);
    ASSERT_EQ(ref.error, "");
    State hv = ref;                             /* stands in for the hvsim result copy */
    EXPECT_TRUE(compare(c, hv, ref).empty());

    hv.gpr[RBX] ^= 1ull << 40;                  /* one register bit */
    Diff d = compare(c, hv, ref);
    ASSERT_FALSE(d.empty());
    EXPECT_NE(d.lines[0].find("rbx"), std::string::npos);
    EXPECT_NE(report(c, hv, ref, d).find("*rbx="), std::string::npos);

    hv = ref;
    hv.rip += 1;
    EXPECT_FALSE(compare(c, hv, ref).empty());

    hv = ref;
    hv.data[100] ^= 0x80;                       /* one memory bit */
    d = compare(c, hv, ref);
    ASSERT_EQ(d.lines.size(), 1u);
    EXPECT_NE(d.lines[0].find("data byte at 0x08064"), std::string::npos);

    hv = ref;
    hv.stack[5] ^= 1;
    EXPECT_FALSE(compare(c, hv, ref).empty());

    hv = ref;
    hv.fault = 13;                              /* an exception on one side only */
    EXPECT_FALSE(compare(c, hv, ref).empty());

    hv = ref;
    hv.error = "hvsim: triple fault";
    EXPECT_FALSE(compare(c, hv, ref).empty());

    /* a defined flag differs: reported; an undefined one: masked */
    Case m = c;
    m.flag_mask = 0x3fffff & ~(uint32_t)(FL_AF | 0x2a);
    hv = ref;
    hv.rflags ^= FL_ZF;
    EXPECT_FALSE(compare(m, hv, ref).empty());
    hv = ref;
    hv.rflags ^= FL_AF;
    EXPECT_TRUE(compare(m, hv, ref).empty());

    /* in 32-bit mode only the low halves of the registers count */
    Case c32 = make_case(*g, 4, case_seed(DEFAULT_SEED, "meta", 4, 0));
    UcRunner uc32(4);
    State r32 = uc32.run(c32);
    State h32 = r32;
    h32.gpr[RAX] ^= 1ull << 40;
    EXPECT_TRUE(compare(c32, h32, r32).empty());
    h32.gpr[RAX] ^= (1ull << 40) | 1;
    EXPECT_FALSE(compare(c32, h32, r32).empty());
}
