// test_pm_com.cc — the child's emulated COM1 (partitions/root/com_emul.c) against the PC16550D
// datasheet: reset values (Table IV), DLAB banking, THR output and word length, IER bits, the
// interrupt identification and its priorities (Table V), the THRE interrupt's set and clear
// rules (8.4), FCR and the FIFO bits of IIR (8.5), loopback wiring of MCR to MSR and the delta
// bits (8.7, 8.8), read-only LSR/MSR, and wide accesses split into bytes.
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "partitions/root/com_emul.h"
}

namespace {

struct Com {
    com_emul c;
    std::string out;
    Com() { com_emul_reset(&c, COM_EMUL_COM1); }
    uint8_t in(unsigned off)
    {
        uint8_t o[4];
        unsigned n = 99;
        uint32_t v = com_emul_access(&c, (uint16_t)(0x3F8 + off), 1, false, 0, o, &n);
        EXPECT_EQ(n, 0u);
        return (uint8_t)v;
    }
    void outb(unsigned off, uint8_t v)
    {
        uint8_t o[4];
        unsigned n = 99;
        com_emul_access(&c, (uint16_t)(0x3F8 + off), 1, true, v, o, &n);
        out.append((const char *)o, n);
    }
};

}  // namespace

TEST(PmCom, ResetValues)
{
    Com u;
    EXPECT_EQ(u.in(1), 0x00);   // IER
    EXPECT_EQ(u.in(2), 0x01);   // IIR: no interrupt pending, FIFOs off
    EXPECT_EQ(u.in(3), 0x00);   // LCR
    EXPECT_EQ(u.in(4), 0x00);   // MCR
    EXPECT_EQ(u.in(5), 0x60);   // LSR: THRE | TEMT
    EXPECT_EQ(u.in(6), 0x00);   // MSR: no lines connected, no deltas
    EXPECT_EQ(u.in(0), 0x00);   // RBR: nothing received
    EXPECT_FALSE(com_emul_irq(&u.c));
}

TEST(PmCom, TransmitAndWordLength)
{
    Com u;
    u.outb(3, 0x03);            // 8N1
    u.outb(0, 'h');
    u.outb(0, 0xFF);
    EXPECT_EQ(u.out, std::string("h\xff"));
    EXPECT_EQ(u.in(5), 0x60);   // still empty: transmission is instantaneous
    u.out.clear();
    u.outb(3, 0x00);            // 5 data bits: the top 3 bits are not sent
    u.outb(0, 0xFF);
    u.outb(3, 0x02);            // 7 data bits
    u.outb(0, 0xFF);
    EXPECT_EQ(u.out, std::string("\x1f\x7f"));
}

TEST(PmCom, DlabBanksDivisor)
{
    Com u;
    u.outb(3, 0x83);            // DLAB = 1
    u.outb(0, 0x01);            // DLL: 115200 baud
    u.outb(1, 0x00);            // DLM
    EXPECT_TRUE(u.out.empty()); // a DLL write is not a character
    EXPECT_EQ(u.in(0), 0x01);
    EXPECT_EQ(u.in(1), 0x00);
    u.outb(1, 0x5A);
    EXPECT_EQ(u.in(1), 0x5A);
    u.outb(3, 0x03);            // DLAB = 0: IER is untouched
    EXPECT_EQ(u.in(1), 0x00);
    u.outb(1, 0xFF);
    EXPECT_EQ(u.in(1), 0x0F);   // IER 7:4 read 0
    u.outb(3, 0x80);
    EXPECT_EQ(u.in(1), 0x5A);   // DLM kept
    EXPECT_EQ(u.in(3), 0x80);   // LCR reads back all 8 bits
}

TEST(PmCom, ThreInterrupt)
{
    Com u;
    u.outb(1, 0x02);            // ETBEI with THR empty: THRE interrupt at once
    EXPECT_TRUE(com_emul_irq(&u.c));
    EXPECT_EQ(u.in(2), 0x02);
    EXPECT_EQ(u.in(2), 0x01);   // reading IIR cleared it
    EXPECT_FALSE(com_emul_irq(&u.c));
    u.outb(0, 'x');             // THR empties again: pending again
    EXPECT_EQ(u.in(2), 0x02);
    u.outb(1, 0x00);
    u.outb(0, 'y');
    EXPECT_EQ(u.in(2), 0x01);   // disabled: not reported
    u.outb(1, 0x02);            // re-enabling raises it again
    EXPECT_EQ(u.in(2), 0x02);
}

TEST(PmCom, FifoControl)
{
    Com u;
    u.outb(2, 0xC7);            // FIFO enable, resets, trigger 14
    EXPECT_EQ(u.in(2), 0xC1);   // IIR 7:6 = 11 with FIFOs on
    u.outb(2, 0x00);
    EXPECT_EQ(u.in(2), 0x01);
    EXPECT_EQ(u.in(5), 0x60);   // FCR writes do not show in LSR
}

TEST(PmCom, LoopbackAndModemStatus)
{
    Com u;
    u.outb(4, 0x10);            // loopback, all outputs inactive
    EXPECT_EQ(u.in(6), 0x00);
    u.outb(4, 0x1F);            // DTR, RTS, OUT1, OUT2 on
    EXPECT_EQ(u.in(6), 0xFB);   // CTS DSR RI DCD | DCTS DDSR DDCD (no TERI on a rising RI)
    EXPECT_EQ(u.in(6), 0xF0);   // deltas cleared by the read
    u.outb(4, 0x10);            // all off: RI falls -> TERI
    EXPECT_EQ(u.in(6), 0x0F);
    u.outb(4, 0x1F);
    (void)u.in(6);
    u.outb(4, 0x00);            // leaving loopback: the inputs read 0 again (no lines)
    EXPECT_EQ(u.in(6), 0x0F);
    EXPECT_EQ(u.in(4), 0x00);
    u.outb(4, 0xFF);
    EXPECT_EQ(u.in(4), 0x1F);   // MCR 7:5 read 0
}

TEST(PmCom, LoopbackData)
{
    Com u;
    u.outb(3, 0x03);
    u.outb(4, 0x10);
    u.outb(1, 0x01);            // ERBFI
    u.outb(0, 'a');
    EXPECT_TRUE(u.out.empty()); // looped back, not transmitted
    EXPECT_EQ(u.in(5), 0x61);   // DR
    EXPECT_EQ(u.in(2), 0x04);   // received data available
    EXPECT_EQ(u.in(0), 'a');
    EXPECT_EQ(u.in(5), 0x60);
    EXPECT_EQ(u.in(2), 0x01);
    // 16450 mode keeps one byte (the newest); FIFO mode keeps 16.
    u.outb(0, '1');
    u.outb(0, '2');
    EXPECT_EQ(u.in(0), '2');
    EXPECT_EQ(u.in(0), 0);
    u.outb(2, 0x01);            // FIFOs on, trigger level 1
    for (int k = 0; k < 20; k++)
        u.outb(0, (uint8_t)('A' + k));
    for (int k = 0; k < 16; k++)
        EXPECT_EQ(u.in(0), 'A' + k);
    EXPECT_EQ(u.in(5) & 1, 0);
}

TEST(PmCom, InterruptPriority)
{
    Com u;
    u.outb(4, 0x10);
    u.outb(1, 0x0B);            // ERBFI, ETBEI, EDSSI
    u.outb(4, 0x11);            // DTR: DDSR
    u.outb(0, 'z');             // data + THRE pending
    EXPECT_EQ(u.in(2), 0x04);   // received data first
    (void)u.in(0);
    EXPECT_EQ(u.in(2), 0x02);   // then THR empty (cleared by this read)
    EXPECT_EQ(u.in(2), 0x00);   // then modem status
    (void)u.in(6);
    EXPECT_EQ(u.in(2), 0x01);
}

TEST(PmCom, ReadOnlyAndScratch)
{
    Com u;
    u.outb(5, 0x00);
    u.outb(6, 0xFF);
    EXPECT_EQ(u.in(5), 0x60);
    EXPECT_EQ(u.in(6), 0x00);
    u.outb(7, 0xA5);
    EXPECT_EQ(u.in(7), 0xA5);
}

TEST(PmCom, WideAccesses)
{
    Com u;
    uint8_t o[4];
    unsigned n;
    // A word write to 0x3FB writes LCR = 0x03 and MCR = 0x0B.
    com_emul_access(&u.c, 0x3FB, 2, true, 0x0B03, o, &n);
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(u.in(3), 0x03);
    EXPECT_EQ(u.in(4), 0x0B);
    // A dword read at 0x3FC: MCR, LSR, MSR, SCR.
    u.outb(7, 0x42);
    EXPECT_EQ(com_emul_access(&u.c, 0x3FC, 4, false, 0, o, &n), 0x4200600Bu);
    // Bytes past the last register read 0xFF and drop writes; a dword write at 0x3F8 sends THR
    // only (the other three bytes go to IER, IIR/FCR, LCR).
    EXPECT_EQ(com_emul_access(&u.c, 0x3FE, 4, false, 0, o, &n), 0xFFFF4200u);
    EXPECT_EQ(com_emul_access(&u.c, 0x3F7, 2, false, 0, o, &n), 0x00FFu);
    com_emul_access(&u.c, 0x3F8, 4, true, 0x03000041, o, &n);
    ASSERT_EQ(n, 1u);
    EXPECT_EQ(o[0], 'A');
    // Sizes other than 1, 2, 4 do nothing.
    EXPECT_EQ(com_emul_access(&u.c, 0x3F8, 3, true, 0x41, o, &n), 0u);
    EXPECT_EQ(n, 0u);
}
