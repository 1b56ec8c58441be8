// test_decode.cc — the Capstone-to-struct insn decoder: lengths, operand mapping, immediates,
// relative displacements, default segments (SDM Vol. 1 3.7.4) and address sizes.
#include <gtest/gtest.h>
#include <capstone/capstone.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/insn.h"

namespace {

class Decode : public ::testing::Test {
protected:
    decoder_handles dh{};
    void SetUp() override { ASSERT_EQ(decoder_init(&dh), 0); }
    void TearDown() override { decoder_fini(&dh); }
    insn dec(unsigned cs, std::initializer_list<uint8_t> b) {
        uint8_t buf[32] = {0};
        size_t n = 0;
        for (uint8_t x : b) buf[n++] = x;
        // pad with NOPs so Capstone has 15 bytes
        for (size_t k = n; k < 16; k++) buf[k] = 0x90;
        insn i{};
        EXPECT_EQ(decode_one(&dh, cs, buf, 16, &i), 0);
        return i;
    }
};

TEST_F(Decode, RegRegAdd64) {
    insn i = dec(8, {0x48, 0x01, 0xd8});          // add rax, rbx
    EXPECT_EQ(i.id, X86_INS_ADD);
    EXPECT_EQ(i.len, 3);
    EXPECT_EQ(i.osz, 8);
    ASSERT_EQ(i.nops, 2);
    EXPECT_EQ(i.op[0].kind, OPK_REG);
    EXPECT_EQ(i.op[0].reg, R_RAX);
    EXPECT_EQ(i.op[1].reg, R_RBX);
    EXPECT_TRUE(i.pfx & PFX_REXW);
}

TEST_F(Decode, HighByteAndRexByteRegisters) {
    insn i = dec(8, {0x88, 0xe0});                // mov al, ah
    EXPECT_EQ(i.op[0].kind, OPK_REG);
    EXPECT_EQ(i.op[0].size, 1);
    EXPECT_EQ(i.op[1].kind, OPK_REGH);
    EXPECT_EQ(i.op[1].reg, 0);                    // AH is byte 1 of RAX
    insn j = dec(8, {0x40, 0x88, 0xe0});          // mov al, spl (REX changes AH->SPL)
    EXPECT_EQ(j.op[1].kind, OPK_REG);
    EXPECT_EQ(j.op[1].reg, R_RSP);
}

TEST_F(Decode, ImmediateSignExtendedFromEncodedWidth) {
    insn i = dec(8, {0x48, 0x83, 0xc0, 0xff});    // add rax, -1 (imm8)
    EXPECT_EQ(i.imm, -1);
    insn j = dec(8, {0x48, 0x05, 0x00, 0x00, 0x00, 0x80});  // add rax, 0xffffffff80000000
    EXPECT_EQ(j.imm, (int64_t)(int32_t)0x80000000u);
    insn k = dec(8, {0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8});  // movabs rax, imm64
    EXPECT_EQ((uint64_t)k.imm, 0x0807060504030201ull);
}

TEST_F(Decode, RelativeBranchDisplacement) {
    insn i = dec(8, {0xeb, 0xfe});                // jmp $ (rel8 = -2)
    EXPECT_EQ(i.imm, -2);
    insn j = dec(8, {0xe8, 0x00, 0x01, 0x00, 0x00});  // call +0x100
    EXPECT_EQ(j.imm, 0x100);
    insn k = dec(4, {0x0f, 0x84, 0xf0, 0xff, 0xff, 0xff});  // je -16 (32-bit code)
    EXPECT_EQ(k.imm, -16);
    insn l = dec(2, {0x75, 0x80});                // jne -128 (16-bit code)
    EXPECT_EQ(l.imm, -128);
}

TEST_F(Decode, DefaultSegmentIsStackForRspRbpBase) {
    insn i = dec(8, {0x48, 0x8b, 0x45, 0x08});    // mov rax, [rbp+8]
    EXPECT_EQ(i.seg, SEG_SS);
    EXPECT_EQ(i.base, R_RBP);
    EXPECT_EQ(i.disp, 8);
    insn j = dec(8, {0x48, 0x8b, 0x04, 0x8b});    // mov rax, [rbx+rcx*4]
    EXPECT_EQ(j.seg, SEG_DS);
    EXPECT_EQ(j.base, R_RBX);
    EXPECT_EQ(j.index, R_RCX);
    EXPECT_EQ(j.scale, 2);
    insn k = dec(8, {0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0});  // mov rax, fs:[0x28]
    EXPECT_EQ(k.seg, SEG_FS);
    EXPECT_EQ(k.base, MEM_NOREG);
    EXPECT_EQ(k.disp, 0x28);
    insn l = dec(2, {0x8b, 0x02});                // mov ax, [bp+si]
    EXPECT_EQ(l.seg, SEG_SS);
    EXPECT_EQ(l.asz, 2);
}

TEST_F(Decode, RipRelative) {
    insn i = dec(8, {0x48, 0x8b, 0x05, 0x10, 0, 0, 0});   // mov rax, [rip+0x10]
    EXPECT_EQ(i.base, MEM_RIP);
    EXPECT_EQ(i.disp, 0x10);
    EXPECT_EQ(i.len, 7);
}

TEST_F(Decode, OperandAndAddressSizePrefixes) {
    insn i = dec(8, {0x66, 0x01, 0xd8});          // add ax, bx
    EXPECT_EQ(i.osz, 2);
    EXPECT_TRUE(i.pfx & PFX_OPSIZE);
    insn j = dec(8, {0x67, 0x8b, 0x03});          // mov eax, [ebx]
    EXPECT_EQ(j.asz, 4);
    insn k = dec(4, {0x66, 0x89, 0xc8});          // mov ax, cx in 32-bit code
    EXPECT_EQ(k.osz, 2);
}

TEST_F(Decode, InvalidEncodingBecomesUd) {
    insn i = dec(8, {0x06});                      // PUSH ES is invalid in 64-bit mode
    EXPECT_EQ(i.fn, op_ud);
}

TEST_F(Decode, TruncatedInputAsksForMoreBytes) {
    uint8_t buf[3] = {0x48, 0xb8, 0x01};          // movabs rax, imm64 cut short
    insn i{};
    EXPECT_EQ(decode_one(&dh, 8, buf, 3, &i), -1);
}

TEST_F(Decode, MnemonicAndDisassembly) {
    EXPECT_STREQ(decode_mnemonic(X86_INS_ADD), "add");
    uint8_t b[] = {0x48, 0x01, 0xd8};
    char text[64];
    EXPECT_EQ(decode_disasm(8, b, sizeof b, 0, text, sizeof text), 3);
    EXPECT_STREQ(text, "add rax, rbx");
}

}  // namespace

namespace {

class DecodePrefix : public Decode {};   // prefix handling (same decoder set-up)

TEST_F(DecodePrefix, RepPrefixOfRdpidIsKept) {
    // RDPID rax = F3 0F C7 /7 (register form); Capstone 4.0.2 calls it RDSEED and drops the F3.
    uint8_t b[16] = {0xf3, 0x0f, 0xc7, 0xf8, 0x90, 0x90, 0x90, 0x90,
                     0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};
    insn i{};
    ASSERT_EQ(decode_one(&dh, 8, b, 16, &i), 0);
    EXPECT_TRUE(i.pfx & PFX_REP);
    EXPECT_EQ(i.len, 4);
}

TEST_F(DecodePrefix, LastRepPrefixWins) {
    // F2 F3 A4: the F3 (REP) is the last one (SDM Vol. 2 2.1.1: one prefix per group).
    uint8_t b[16] = {0xf2, 0xf3, 0xa4, 0x90, 0x90, 0x90, 0x90, 0x90,
                     0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};
    insn i{};
    ASSERT_EQ(decode_one(&dh, 8, b, 16, &i), 0);
    EXPECT_TRUE(i.pfx & PFX_REP);
    EXPECT_FALSE(i.pfx & PFX_REPNE);
}

TEST_F(DecodePrefix, SegmentOverrideOnStringSource) {
    uint8_t b[16] = {0x65, 0xa4, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
                     0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};   // movsb with GS
    insn i{};
    ASSERT_EQ(decode_one(&dh, 8, b, 16, &i), 0);
    EXPECT_EQ(i.seg, SEG_GS);
    EXPECT_TRUE(i.pfx & PFX_SEGOVR);
}

}  // namespace

namespace {

class DecodeHintNop : public Decode {};   // hint-NOP encodings (same decoder set-up)

// Reserved-NOP encodings (SDM Vol. 2 Table A-3) that Capstone 4.0.2 cannot decode run as NOPs
// of the right length on real processors; hvsim must do the same, not raise #UD.
TEST_F(DecodeHintNop, RegisterFormsAreNops) {
    insn a = dec(8, {0x0f, 0x1f, 0xc0});                       // nop eax
    EXPECT_EQ(a.id, X86_INS_NOP);
    EXPECT_EQ(a.len, 3);
    EXPECT_NE(a.fn, op_ud);
    insn b = dec(8, {0x66, 0x48, 0x0f, 0x1e, 0xc8});           // reserved NOP with prefixes
    EXPECT_EQ(b.id, X86_INS_NOP);
    EXPECT_EQ(b.len, 5);
    insn c = dec(4, {0x0f, 0x18, 0xe0});                       // 0F 18 /4, register form
    EXPECT_EQ(c.len, 3);
    EXPECT_NE(c.fn, op_ud);
}

TEST_F(DecodeHintNop, ModrmLengthsOfMemoryForms) {
    // 0F 1D /1 with SIB + disp32: 0f 1d 8c 24 44 33 22 11 = 8 bytes
    insn a = dec(8, {0x0f, 0x1d, 0x8c, 0x24, 0x44, 0x33, 0x22, 0x11});
    EXPECT_EQ(a.id, X86_INS_NOP);
    EXPECT_EQ(a.len, 8);
    // 16-bit code, [disp16] form: 0f 1c 06 34 12 = 5 bytes
    insn b = dec(2, {0x0f, 0x1c, 0x06, 0x34, 0x12});
    EXPECT_EQ(b.id, X86_INS_NOP);
    EXPECT_EQ(b.len, 5);
}

TEST_F(DecodeHintNop, LockedHintNopIsUd) {
    insn a = dec(8, {0xf0, 0x0f, 0x1f, 0xc0});
    EXPECT_EQ(a.fn, op_ud);
}

}  // namespace
