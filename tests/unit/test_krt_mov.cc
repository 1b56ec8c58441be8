// test_krt_mov.cc — the MOV decoder of krt/x86_mov.c. Every expected value is worked out by hand
// from the SDM (Vol. 2A chapter 2: prefixes, REX, ModR/M tables 2-1/2-2/2-3, SIB, displacement;
// Vol. 2B MOV: opcodes, operand sizes, the sign-extended imm32 of REX.W C7; Vol. 1 3.6: default
// sizes per mode), and each encoding is also decoded by Capstone, an independent decoder: its
// length, its memory operand's size and which operand is memory must agree with ours.
#include <gtest/gtest.h>
#include <capstone/capstone.h>

#include <cstdint>
#include <vector>

extern "C" {
#include "krt/x86_mov.h"
}

namespace {

struct Case {
    const char *what;
    krt_mov_mode mode;
    std::vector<uint8_t> b;
    unsigned len, size;
    bool store;
    int reg;            // -1: immediate
    bool high8;
    uint64_t imm;
};

const uint64_t NA = 0;

// Hand-decoded (SDM Vol. 2A/2B); `what` is the Intel-syntax reading.
const Case kCases[] = {
    // 64-bit mode
    { "mov eax,[rax]", KRT_MOV_MODE64, { 0x8B, 0x00 }, 2, 4, false, 0, false, NA },
    { "mov rax,[0xfee00000] (SIB, no base: disp32)", KRT_MOV_MODE64,
      { 0x48, 0x8B, 0x04, 0x25, 0x00, 0x00, 0xE0, 0xFE }, 8, 8, false, 0, false, NA },
    { "mov [rax+0x10],r8d (REX.R)", KRT_MOV_MODE64, { 0x44, 0x89, 0x40, 0x10 }, 4, 4, true, 8,
      false, NA },
    { "mov [rsp+0x80],r9 (SIB, disp32)", KRT_MOV_MODE64,
      { 0x4C, 0x89, 0x8C, 0x24, 0x80, 0x00, 0x00, 0x00 }, 8, 8, true, 9, false, NA },
    { "mov [rax],cx (66)", KRT_MOV_MODE64, { 0x66, 0x89, 0x08 }, 3, 2, true, 1, false, NA },
    { "mov [rax],ah (no REX)", KRT_MOV_MODE64, { 0x88, 0x20 }, 2, 1, true, 0, true, NA },
    { "mov [rax],spl (REX 40)", KRT_MOV_MODE64, { 0x40, 0x88, 0x20 }, 3, 1, true, 4, false, NA },
    { "mov bh,[rip+0x1000]", KRT_MOV_MODE64, { 0x8A, 0x3D, 0x00, 0x10, 0x00, 0x00 }, 6, 1, false,
      3, true, NA },
    { "mov r15b,[rbx] (REX.R)", KRT_MOV_MODE64, { 0x44, 0x8A, 0x3B }, 3, 1, false, 15, false,
      NA },
    { "mov r9d,[r13+rcx*4-8] (REX.R REX.B)", KRT_MOV_MODE64, { 0x45, 0x8B, 0x4C, 0x8D, 0xF8 },
      5, 4, false, 9, false, NA },
    { "mov r9d,[rax+r13*4] (REX.X)", KRT_MOV_MODE64, { 0x46, 0x8B, 0x0C, 0xA8 }, 4, 4, false, 9,
      false, NA },
    { "mov byte [rax+8],0x5a", KRT_MOV_MODE64, { 0xC6, 0x40, 0x08, 0x5A }, 4, 1, true, -1, false,
      0x5A },
    { "mov word [rax],0x1234", KRT_MOV_MODE64, { 0x66, 0xC7, 0x00, 0x34, 0x12 }, 5, 2, true, -1,
      false, 0x1234 },
    { "mov dword [rax],0x87654321", KRT_MOV_MODE64, { 0xC7, 0x00, 0x21, 0x43, 0x65, 0x87 }, 6, 4,
      true, -1, false, 0x87654321 },
    { "mov qword [rax],-0x80000000 (imm32 sign-extended)", KRT_MOV_MODE64,
      { 0x48, 0xC7, 0x00, 0x00, 0x00, 0x00, 0x80 }, 7, 8, true, -1, false,
      0xFFFFFFFF80000000ull },
    { "mov qword [rax+0x10],0x7fffffff", KRT_MOV_MODE64,
      { 0x48, 0xC7, 0x40, 0x10, 0xFF, 0xFF, 0xFF, 0x7F }, 8, 8, true, -1, false, 0x7FFFFFFF },
    { "mov rax,[moffs64]", KRT_MOV_MODE64,
      { 0x48, 0xA1, 0x10, 0x00, 0x00, 0xF0, 0x00, 0x00, 0x00, 0x00 }, 10, 8, false, 0, false,
      NA },
    { "mov [moffs32],eax (67)", KRT_MOV_MODE64, { 0x67, 0xA3, 0x10, 0x00, 0x00, 0xF0 }, 6, 4,
      true, 0, false, NA },
    { "mov [moffs64],al", KRT_MOV_MODE64,
      { 0xA2, 0x08, 0x00, 0x00, 0xF0, 0x00, 0x00, 0x00, 0x00 }, 9, 1, true, 0, false, NA },
    { "mov al,[moffs64]", KRT_MOV_MODE64,
      { 0xA0, 0x08, 0x00, 0x00, 0xF0, 0x00, 0x00, 0x00, 0x00 }, 9, 1, false, 0, false, NA },
    { "mov rax,gs:[0x28]", KRT_MOV_MODE64,
      { 0x65, 0x48, 0x8B, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00 }, 9, 8, false, 0, false, NA },
    { "mov eax,cs:[rax+0x100]", KRT_MOV_MODE64, { 0x2E, 0x8B, 0x80, 0x00, 0x01, 0x00, 0x00 }, 7,
      4, false, 0, false, NA },
    { "mov eax,[eax] (67)", KRT_MOV_MODE64, { 0x67, 0x8B, 0x00 }, 3, 4, false, 0, false, NA },
    { "mov ax,[rax] (REX 48 before 66 is ignored)", KRT_MOV_MODE64, { 0x48, 0x66, 0x8B, 0x00 },
      4, 2, false, 0, false, NA },
    { "mov [rax],eax with F2", KRT_MOV_MODE64, { 0xF2, 0x89, 0x00 }, 3, 4, true, 0, false, NA },
    { "mov [rax],eax with F3", KRT_MOV_MODE64, { 0xF3, 0x89, 0x00 }, 3, 4, true, 0, false, NA },
    { "mov [r12],ebp (SIB base r12)", KRT_MOV_MODE64, { 0x41, 0x89, 0x2C, 0x24 }, 4, 4, true, 5,
      false, NA },
    { "mov [rbp+0],edi (mod 1: rbp needs a disp8)", KRT_MOV_MODE64, { 0x89, 0x7D, 0x00 }, 3, 4,
      true, 7, false, NA },
    // 32-bit protected mode (CS.D = 1)
    { "mov edx,[0xfee00000] (disp32)", KRT_MOV_MODE32, { 0x8B, 0x15, 0x00, 0x00, 0xE0, 0xFE }, 6,
      4, false, 2, false, NA },
    { "mov eax,[moffs32]", KRT_MOV_MODE32, { 0xA1, 0x20, 0x00, 0xE0, 0xFE }, 5, 4, false, 0,
      false, NA },
    { "mov ax,[moffs32] (66)", KRT_MOV_MODE32, { 0x66, 0xA1, 0x20, 0x00, 0xE0, 0xFE }, 6, 2,
      false, 0, false, NA },
    { "mov eax,[moffs16] (67)", KRT_MOV_MODE32, { 0x67, 0xA1, 0x20, 0x00 }, 4, 4, false, 0, false,
      NA },
    { "mov eax,[bx+0x10] (67: 16-bit addressing)", KRT_MOV_MODE32, { 0x67, 0x8B, 0x47, 0x10 }, 4,
      4, false, 0, false, NA },
    { "mov eax,[0x1234] (67, mod 0 r/m 110: disp16)", KRT_MOV_MODE32,
      { 0x67, 0x8B, 0x06, 0x34, 0x12 }, 5, 4, false, 0, false, NA },
    { "mov dword [0xfee000b0],0", KRT_MOV_MODE32,
      { 0xC7, 0x05, 0xB0, 0x00, 0xE0, 0xFE, 0x00, 0x00, 0x00, 0x00 }, 10, 4, true, -1, false, 0 },
    { "mov [ebx+ecx*8+0x40],dh", KRT_MOV_MODE32, { 0x88, 0x74, 0xCB, 0x40 }, 4, 1, true, 2, true,
      NA },
    // 16-bit protected mode (CS.D = 0)
    { "mov ax,[bx]", KRT_MOV_MODE16, { 0x8B, 0x07 }, 2, 2, false, 0, false, NA },
    { "mov eax,[bx] (66)", KRT_MOV_MODE16, { 0x66, 0x8B, 0x07 }, 3, 4, false, 0, false, NA },
    { "mov eax,[0xfee00000] (66 67: 32-bit addressing)", KRT_MOV_MODE16,
      { 0x66, 0x67, 0x8B, 0x05, 0x00, 0x00, 0xE0, 0xFE }, 8, 4, false, 0, false, NA },
    { "mov word [0x1000],0x1234", KRT_MOV_MODE16, { 0xC7, 0x06, 0x00, 0x10, 0x34, 0x12 }, 6, 2,
      true, -1, false, 0x1234 },
    { "mov ax,[moffs16]", KRT_MOV_MODE16, { 0xA1, 0x00, 0x10 }, 3, 2, false, 0, false, NA },
    { "mov [bp+si+0x1234],cl (mod 2: disp16)", KRT_MOV_MODE16, { 0x88, 0x8A, 0x34, 0x12 }, 4, 1,
      true, 1, false, NA },
};

cs_mode cs_mode_of(krt_mov_mode m)
{
    return m == KRT_MOV_MODE64 ? CS_MODE_64 : m == KRT_MOV_MODE32 ? CS_MODE_32 : CS_MODE_16;
}

TEST(KrtMov, FormsFromTheSdm)
{
    for (const Case &c : kCases) {
        krt_mov m;
        // trailing bytes past the instruction must not change anything
        std::vector<uint8_t> b = c.b;
        b.insert(b.end(), { 0x90, 0x90, 0x90 });
        ASSERT_EQ(krt_mov_decode(b.data(), b.size(), c.mode, &m), KRT_MOV_OK) << c.what;
        EXPECT_EQ(m.len, c.len) << c.what;
        EXPECT_EQ(m.size, c.size) << c.what;
        EXPECT_EQ(m.store, c.store) << c.what;
        EXPECT_EQ(m.reg, c.reg) << c.what;
        EXPECT_EQ(m.high8, c.high8) << c.what;
        if (c.reg < 0) {
            EXPECT_EQ(m.imm, c.imm) << c.what;
        }
        // exactly the instruction's bytes are enough, one fewer is not
        EXPECT_EQ(krt_mov_decode(c.b.data(), c.b.size(), c.mode, &m), KRT_MOV_OK) << c.what;
        EXPECT_EQ(krt_mov_decode(c.b.data(), c.b.size() - 1, c.mode, &m), KRT_MOV_SHORT)
            << c.what;
    }
}

// Capstone (an independent decoder) on every encoding: the same length, a memory operand of
// the same size, in the destination position exactly for the stores, and the register operand
// of the same width.
TEST(KrtMov, AgreesWithCapstone)
{
    for (const Case &c : kCases) {
        csh h;
        ASSERT_EQ(cs_open(CS_ARCH_X86, cs_mode_of(c.mode), &h), CS_ERR_OK);
        cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
        cs_insn *insn = nullptr;
        size_t n = cs_disasm(h, c.b.data(), c.b.size(), 0x1000, 1, &insn);
        ASSERT_EQ(n, 1u) << c.what;
        // (Capstone names the 64-bit moffs forms MOVABS)
        EXPECT_TRUE(insn->id == X86_INS_MOV || insn->id == X86_INS_MOVABS)
            << c.what << ": " << insn->mnemonic;
        EXPECT_EQ(insn->size, c.len) << c.what;
        const cs_x86 &x = insn->detail->x86;
        ASSERT_EQ(x.op_count, 2) << c.what;
        int mem = x.operands[0].type == X86_OP_MEM ? 0 : x.operands[1].type == X86_OP_MEM ? 1 : -1;
        ASSERT_GE(mem, 0) << c.what;
        EXPECT_EQ(mem == 0, c.store) << c.what;
        EXPECT_EQ(x.operands[mem].size, c.size) << c.what;
        const cs_x86_op &other = x.operands[1 - mem];
        if (c.reg < 0) {
            EXPECT_EQ(other.type, X86_OP_IMM) << c.what;
            // Capstone's immediate is the encoded value, sign-extended to 64 bits
            uint64_t mask = c.size == 8 ? ~0ull : (1ull << (8 * c.size)) - 1;
            EXPECT_EQ((uint64_t)other.imm & mask, c.imm) << c.what;
        } else {
            EXPECT_EQ(other.type, X86_OP_REG) << c.what;
            EXPECT_EQ(other.size, c.size) << c.what;
        }
        cs_free(insn, n);
        cs_close(&h);
    }
}

// The register names: Capstone's register operand against ours, for every reg field value with
// and without REX (8-bit: AL..BH without REX, AL..DIL / R8B..R15B with it; 64-bit: RAX..R15).
TEST(KrtMov, RegisterNumbersAgreeWithCapstone)
{
    static const x86_reg r8_norex[8] = { X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL,
                                          X86_REG_AH, X86_REG_CH, X86_REG_DH, X86_REG_BH };
    static const x86_reg r8_rex[16] = { X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL,
                                         X86_REG_SPL, X86_REG_BPL, X86_REG_SIL, X86_REG_DIL,
                                         X86_REG_R8B, X86_REG_R9B, X86_REG_R10B, X86_REG_R11B,
                                         X86_REG_R12B, X86_REG_R13B, X86_REG_R14B, X86_REG_R15B };
    static const x86_reg r64[16] = { X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
                                      X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI,
                                      X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11,
                                      X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15 };
    csh h;
    ASSERT_EQ(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK);
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    for (int variant = 0; variant < 3; variant++) {
        for (unsigned r = 0; r < (variant == 0 ? 8u : 16u); r++) {
            // variant 0: 8A /r without REX; 1: REX 40|R + 8A; 2: REX.W|R + 8B
            std::vector<uint8_t> b;
            if (variant == 1)
                b.push_back((uint8_t)(0x40 | ((r >> 3) << 2)));
            if (variant == 2)
                b.push_back((uint8_t)(0x48 | ((r >> 3) << 2)));
            b.push_back(variant == 2 ? 0x8B : 0x8A);
            b.push_back((uint8_t)(((r & 7) << 3) | 0x03));    // [rbx]
            krt_mov m;
            ASSERT_EQ(krt_mov_decode(b.data(), b.size(), KRT_MOV_MODE64, &m), KRT_MOV_OK);
            cs_insn *insn = nullptr;
            size_t n = cs_disasm(h, b.data(), b.size(), 0, 1, &insn);
            ASSERT_EQ(n, 1u);
            x86_reg want = variant == 0 ? r8_norex[r] : variant == 1 ? r8_rex[r] : r64[r];
            EXPECT_EQ(insn->detail->x86.operands[0].reg, want) << variant << " " << r;
            // ours: GPR number, high8 for AH..BH
            if (variant == 0 && r >= 4) {
                EXPECT_TRUE(m.high8);
                EXPECT_EQ(m.reg, (int)r - 4);
            } else {
                EXPECT_FALSE(m.high8);
                EXPECT_EQ(m.reg, (int)r);
            }
            cs_free(insn, n);
        }
    }
    cs_close(&h);
}

TEST(KrtMov, OtherInstructionsAreNotEmulated)
{
    const struct {
        const char *what;
        krt_mov_mode mode;
        std::vector<uint8_t> b;
    } other[] = {
        { "mov eax,eax (register form)", KRT_MOV_MODE64, { 0x8B, 0xC0 } },
        { "mov [..],... register form of 88", KRT_MOV_MODE64, { 0x88, 0xC3 } },
        { "mov eax,imm32 register form of C7", KRT_MOV_MODE64, { 0xC7, 0xC0, 1, 0, 0, 0 } },
        { "C7 /1 (not MOV)", KRT_MOV_MODE64, { 0xC7, 0x48, 0x10, 1, 0, 0, 0 } },
        { "C6 /7 (not MOV)", KRT_MOV_MODE64, { 0xC6, 0x38, 0x01 } },
        { "lea eax,[rax]", KRT_MOV_MODE64, { 0x8D, 0x00 } },
        { "movzx eax,byte [rax]", KRT_MOV_MODE64, { 0x0F, 0xB6, 0x00 } },
        { "48 is DEC EAX in 32-bit mode", KRT_MOV_MODE32, { 0x48, 0x8B, 0x00 } },
        { "mov eax,imm32 (B8: no memory)", KRT_MOV_MODE64, { 0xB8, 1, 2, 3, 4 } },
        { "longer than 15 bytes", KRT_MOV_MODE64,
          { 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x8B, 0x80, 0, 0, 0, 0 } },
        { "15 prefixes", KRT_MOV_MODE64,
          { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
            0x66, 0x8B, 0x00 } },
    };
    for (const auto &c : other) {
        krt_mov m;
        EXPECT_EQ(krt_mov_decode(c.b.data(), c.b.size(), c.mode, &m), KRT_MOV_OTHER) << c.what;
    }
    // Capstone also refuses the over-long one (SDM Vol. 2A 2.3.11)
    csh h;
    ASSERT_EQ(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK);
    cs_insn *insn = nullptr;
    size_t n = cs_disasm(h, other[9].b.data(), other[9].b.size(), 0, 1, &insn);
    if (n) {
        EXPECT_NE(insn->size, other[9].b.size()) << "a 16-byte instruction";
    }
    cs_free(insn, n);
    cs_close(&h);
}

TEST(KrtMov, TruncatedBytesAreShort)
{
    const std::vector<uint8_t> shorts[] = {
        {}, { 0x66 }, { 0x48 }, { 0x8B }, { 0x8B, 0x04 }, { 0x8B, 0x80, 0, 0 },
        { 0xC7, 0x00, 0x78, 0x56 }, { 0x48, 0xA1, 0, 0, 0, 0 }, { 0xC6, 0x00 },
    };
    for (const auto &b : shorts) {
        krt_mov m;
        EXPECT_EQ(krt_mov_decode(b.data(), b.size(), KRT_MOV_MODE64, &m), KRT_MOV_SHORT)
            << b.size();
    }
}

} // namespace
