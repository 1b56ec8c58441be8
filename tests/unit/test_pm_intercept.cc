// test_pm_intercept.cc — the root's port-I/O intercept handling (partitions/root/intercept.c):
// the message payload decoded at the offsets of the TLFS/Linux layout, IN results merged into
// RAX as the SDM says (8/16-bit keep the rest, 32-bit zero-extends), OUT bytes to the emulated
// COM1, the debug-exit port as "finished", string I/O refused, and console lines.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

extern "C" {
#include "partitions/root/intercept.h"
}

namespace {

struct Msg {
    uint8_t b[PM_IO_MSG_SIZE] = {};
    Msg(uint16_t port, uint8_t size, bool write, uint64_t rax, uint64_t rip = 0x101000,
        uint8_t len = 1, uint8_t flags = 0)
    {
        uint32_t vp = 3;
        memcpy(b + 0, &vp, 4);
        b[4] = (uint8_t)(0x50 | len);               // CR8 nibble above the length
        b[5] = write ? 1 : 0;
        memcpy(b + 24, &rip, 8);
        memcpy(b + 40, &port, 2);
        b[42] = (uint8_t)(size | flags);
        b[43] = len;
        memcpy(b + 48, &rax, 8);
    }
};

pm_io decode(const Msg &m)
{
    pm_io io;
    EXPECT_EQ(pm_io_decode(m.b, sizeof m.b, &io), 0);
    return io;
}

void handle(com_emul *c, const Msg &m, pm_io_result *r)
{
    pm_io io = decode(m);
    pm_io_handle(c, &io, r);
}

}  // namespace

TEST(PmIntercept, Decode)
{
    pm_io io = decode(Msg(0x3F9, 2, true, 0x1122334455667788ull, 0x100123, 2));
    EXPECT_EQ(io.vp, 3u);
    EXPECT_EQ(io.insn_len, 2);
    EXPECT_TRUE(io.write);
    EXPECT_EQ(io.port, 0x3F9);
    EXPECT_EQ(io.size, 2);
    EXPECT_FALSE(io.string);
    EXPECT_EQ(io.rip, 0x100123u);
    EXPECT_EQ(io.rax, 0x1122334455667788ull);
    Msg m(0x3F8, 1, false, 0);
    EXPECT_EQ(pm_io_decode(m.b, PM_IO_MSG_SIZE - 1, &io), -1);   // short payload
    for (uint8_t bad : { 0, 3, 5, 7 }) {
        Msg s(0x3F8, bad, false, 0);
        EXPECT_EQ(pm_io_decode(s.b, sizeof s.b, &io), -1) << (int)bad;
    }
    Msg z(0x3F8, 1, false, 0, 0x1000, 0);
    EXPECT_EQ(pm_io_decode(z.b, sizeof z.b, &io), -1);           // no instruction length
    Msg t(0x3F8, 1, false, 0);
    t.b[5] = 2;                                                  // "execute" is not port I/O
    EXPECT_EQ(pm_io_decode(t.b, sizeof t.b, &io), -1);
}

TEST(PmIntercept, OutToCom1AndInMerges)
{
    com_emul com;
    com_emul_reset(&com, COM_EMUL_COM1);
    pm_io_result r;
    handle(&com, Msg(0x3FB, 1, true, 0x03), &r);     // LCR: 8 data bits (reset: 5)
    handle(&com, Msg(0x3F8, 1, true, 0xFFFFFF41, 0x2000, 1), &r);
    EXPECT_EQ(r.action, PM_IO_RESUME);
    EXPECT_EQ(r.rip, 0x2001u);
    EXPECT_FALSE(r.set_rax);
    ASSERT_EQ(r.nout, 1u);
    EXPECT_EQ(r.out[0], 'A');
    // IN AL, DX from LSR (0x60): only AL changes.
    handle(&com, Msg(0x3FD, 1, false, 0xAAAAAAAABBBBBBBBull, 0x2000, 1), &r);
    EXPECT_TRUE(r.set_rax);
    EXPECT_EQ(r.rax, 0xAAAAAAAABBBBBB60ull);
    // IN AX from 0x3FC: MCR (0) and LSR (0x60) -> AX = 0x6000.
    handle(&com, Msg(0x3FC, 2, false, 0xAAAAAAAABBBBBBBBull, 0x2000, 2), &r);
    EXPECT_EQ(r.rax, 0xAAAAAAAABBBB6000ull);
    EXPECT_EQ(r.rip, 0x2002u);
    // IN EAX from an unemulated port: all ones, upper half cleared.
    handle(&com, Msg(0x60, 4, false, 0xAAAAAAAABBBBBBBBull), &r);
    EXPECT_EQ(r.rax, 0xFFFFFFFFull);
    // OUT to an unemulated port: dropped, resumed.
    handle(&com, Msg(0x80, 1, true, 0x12), &r);
    EXPECT_EQ(r.action, PM_IO_RESUME);
    EXPECT_EQ(r.nout, 0u);
}

TEST(PmIntercept, DebugExitAndStrings)
{
    com_emul com;
    com_emul_reset(&com, COM_EMUL_COM1);
    pm_io_result r;
    handle(&com, Msg(PM_DEBUG_EXIT_PORT, 1, true, 0x1234503), &r);
    EXPECT_EQ(r.action, PM_IO_FINISHED);
    EXPECT_EQ(r.exit_status, 3);
    // IN from the debug-exit port is an ordinary unemulated read.
    handle(&com, Msg(PM_DEBUG_EXIT_PORT, 1, false, 0), &r);
    EXPECT_EQ(r.action, PM_IO_RESUME);
    EXPECT_EQ(r.rax, 0xFFu);
    // OUTSB: not emulated, RIP unchanged.
    handle(&com, Msg(0x3F8, 1, true, 0, 0x5000, 1, 8), &r);
    EXPECT_EQ(r.action, PM_IO_UNSUPPORTED);
    EXPECT_EQ(r.rip, 0x5000u);
}

TEST(PmIntercept, ConsoleLines)
{
    pm_linebuf lb{};
    char line[PM_LINE_MAX + 1];
    std::string got;
    for (char c : std::string("hi\r\nA\x1b[2Jb\n"))
        if (pm_line_put(&lb, (uint8_t)c, line))
            got += std::string(line) + "|";
    EXPECT_EQ(got, "hi|A.[2Jb|");
    got.clear();
    for (int k = 0; k < PM_LINE_MAX + 5; k++)
        if (pm_line_put(&lb, 'x', line))
            got += std::to_string(strlen(line)) + "|";
    EXPECT_EQ(got, std::to_string(PM_LINE_MAX) + "|");           // a full buffer is a line
    EXPECT_EQ(lb.n, 5u);
}
