// test_uart16550.cc — devices/uart16550.c through the port bus, against the PC16550D datasheet
// (register reset values from Table IV, IIR codes from the IIR table, FIFO trigger levels from
// FCR7:6, loopback wiring from the MCR description).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "devices/uart16550.h"
#include "sim/bus.h"
#include "sim/evq.h"

namespace {

constexpr uint16_t COM1 = 0x3f8;

struct IrqLog {
    std::vector<bool> edges;   // every level change the device drove
    bool level = false;
};

void irq_cb(void *opaque, int line, bool level)
{
    auto *l = static_cast<IrqLog *>(opaque);
    EXPECT_EQ(line, 4);
    l->edges.push_back(level);
    l->level = level;
}

void tx_cb(void *opaque, uint8_t byte)
{
    static_cast<std::string *>(opaque)->push_back(static_cast<char>(byte));
}

class Uart : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_EQ(bus_init(&b, 1 << 20), 0);
        evq_init(&q);
        irq_line line = { irq_cb, &irq, 4 };
        uart16550_init(&u, &q, &line, tx_cb, &out);
        ASSERT_EQ(uart16550_map(&u, &b, COM1), 0);
    }
    void TearDown() override { bus_destroy(&b); }

    uint8_t in(unsigned reg) { return static_cast<uint8_t>(bus_in(&b, COM1 + reg, 1)); }
    void outb(unsigned reg, uint8_t v) { bus_out(&b, COM1 + reg, v, 1); }
    void fifo(uint8_t fcr) { outb(UART_FCR, fcr); }
    void push(const char *s)
    {
        for (; *s; s++)
            ASSERT_TRUE(uart16550_rx(&u, static_cast<uint8_t>(*s)));
    }

    bus b;
    evq q;
    uart16550 u;
    IrqLog irq;
    std::string out;
};

TEST_F(Uart, ResetValues)
{
    EXPECT_EQ(in(UART_IER), 0x00);
    EXPECT_EQ(in(UART_IIR), 0x01);
    EXPECT_EQ(in(UART_LCR), 0x00);
    EXPECT_EQ(in(UART_MCR), 0x00);
    EXPECT_EQ(in(UART_LSR), 0x60);
    EXPECT_EQ(in(UART_MSR), 0xb0);   // MSR7:4 = inputs: DCD, DSR, CTS of a connected terminal
    EXPECT_TRUE(irq.edges.empty());
    // Master reset restores the registers but keeps SCR and the divisor latch (Table IV).
    outb(UART_LCR, 0x80);
    outb(UART_DLL, 0x0c);
    outb(UART_LCR, 0x1b);
    outb(UART_IER, 0x0f);
    outb(UART_MCR, 0x1f);
    outb(UART_SCR, 0x5a);
    fifo(0xc1);
    uart16550_reset(&u);
    EXPECT_EQ(in(UART_IER), 0x00);
    EXPECT_EQ(in(UART_IIR), 0x01);
    EXPECT_EQ(in(UART_LCR), 0x00);
    EXPECT_EQ(in(UART_MCR), 0x00);
    EXPECT_EQ(in(UART_LSR), 0x60);
    EXPECT_EQ(in(UART_MSR) & 0x0f, 0x00);
    EXPECT_EQ(in(UART_SCR), 0x5a);
    EXPECT_EQ(u.dll, 0x0c);
}

TEST_F(Uart, LoopbackMsrFollowsMcrOutputs)
{
    outb(UART_MCR, UART_MCR_LOOP);
    EXPECT_EQ(in(UART_MSR) & 0xf0, 0x00);   // all outputs inactive -> all inputs inactive
    outb(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
    EXPECT_EQ(in(UART_MSR), UART_MSR_DSR | UART_MSR_DDSR);
    outb(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_RTS);
    EXPECT_EQ(in(UART_MSR), UART_MSR_DSR | UART_MSR_CTS | UART_MSR_DCTS);
    outb(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);   // RI on, DSR/CTS off
    EXPECT_EQ(in(UART_MSR), UART_MSR_RI | UART_MSR_DDSR | UART_MSR_DCTS);
    outb(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);   // RI falls: TERI; DCD rises: DDCD
    EXPECT_EQ(in(UART_MSR), UART_MSR_DCD | UART_MSR_TERI | UART_MSR_DDCD);
    // Linux's 8250 probe: MCR = LOOP|OUT2|RTS must read MSR7:4 = DCD|CTS (0x90).
    outb(UART_MCR, 0x1a);
    EXPECT_EQ(in(UART_MSR) & 0xf0, 0x90);
    outb(UART_MCR, 0x1f);
    EXPECT_EQ(in(UART_MSR) & 0xf0, 0xf0);
}

TEST_F(Uart, ReservedBitsReadZeroAndScratchHoldsValue)
{
    outb(UART_IER, 0xff);
    EXPECT_EQ(in(UART_IER), 0x0f);
    outb(UART_MCR, 0xff);
    EXPECT_EQ(in(UART_MCR), 0x1f);
    outb(UART_LCR, 0x7f);
    EXPECT_EQ(in(UART_LCR), 0x7f);
    outb(UART_SCR, 0xa5);
    EXPECT_EQ(in(UART_SCR), 0xa5);
    outb(UART_LSR, 0x00);   // read-only: ignored and counted
    outb(UART_MSR, 0x00);
    EXPECT_EQ(u.ignored_writes, 2u);
    outb(UART_MCR, 0);
    EXPECT_EQ(in(UART_LSR), 0x60);
}

TEST_F(Uart, DlabSelectsDivisorLatch)
{
    outb(UART_IER, 0x05);
    outb(UART_LCR, UART_LCR_DLAB | 0x03);
    outb(UART_DLL, 0x0c);
    outb(UART_DLM, 0x01);
    EXPECT_EQ(in(UART_DLL), 0x0c);
    EXPECT_EQ(in(UART_DLM), 0x01);
    EXPECT_EQ(in(UART_LCR), 0x83);
    EXPECT_TRUE(out.empty());        // DLL write did not transmit
    outb(UART_LCR, 0x03);
    EXPECT_EQ(in(UART_IER), 0x05);   // IER untouched by the DLM write
    outb(UART_THR, 'Z');
    EXPECT_EQ(out, "Z");
    EXPECT_EQ(u.dll, 0x0c);
    EXPECT_EQ(u.dlm, 0x01);
    // Divisor 0x10c = 268: 4 chars * 10 bits * 268 / 115200 s, in ps.
    EXPECT_EQ(uart16550_timeout_ps(&u), 40ull * 268 * 1000000000000ull / 115200);
    outb(UART_LCR, 0x83);
    outb(UART_DLM, 0);
    outb(UART_DLL, 12);   // 9600 baud: 4.1666... ms
    EXPECT_EQ(uart16550_timeout_ps(&u), 4166666666ull);
    outb(UART_DLL, 0);    // divisor 0 counts as 65536: 22.7555... s
    EXPECT_EQ(uart16550_timeout_ps(&u), 22755555555555ull);
}

TEST_F(Uart, PollingOutput)
{
    outb(UART_LCR, 0x03);   // 8N1
    for (const char *p = "Hello, COM1\r\n"; *p; p++) {
        int spins = 0;
        while (!(in(UART_LSR) & UART_LSR_THRE))
            ASSERT_LT(++spins, 10);
        outb(UART_THR, static_cast<uint8_t>(*p));
        EXPECT_EQ(in(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), 0x60);   // sent at once
    }
    EXPECT_EQ(out, "Hello, COM1\r\n");
    EXPECT_EQ(u.tx_bytes, 13u);
    EXPECT_TRUE(irq.edges.empty());
}

TEST_F(Uart, OutputIsByteIdenticalAndFollowsWordLength)
{
    outb(UART_LCR, 0x03);
    std::string want;
    for (int v = 0; v < 256; v++) {
        outb(UART_THR, static_cast<uint8_t>(v));
        want.push_back(static_cast<char>(v));
    }
    EXPECT_EQ(out, want);
    out.clear();
    outb(UART_LCR, 0x02);   // 7 data bits: bit 7 never reaches the line
    outb(UART_THR, 0xc1);
    outb(UART_LCR, 0x00);   // 5 data bits
    outb(UART_THR, 0xff);
    EXPECT_EQ(out, std::string("\x41\x1f", 2));
}

TEST_F(Uart, InterruptDrivenOutput)
{
    outb(UART_LCR, 0x03);
    fifo(0x07);
    outb(UART_MCR, UART_MCR_OUT2 | UART_MCR_RTS | UART_MCR_DTR);
    EXPECT_TRUE(irq.edges.empty());
    outb(UART_IER, UART_IER_ETBEI);   // THR empty: THRE interrupt at once
    EXPECT_TRUE(irq.level);
    const std::string msg = "interrupt-driven output of forty bytes.\n";
    size_t next = 0;
    int interrupts = 0;
    while (irq.level && interrupts < 100) {   // the guest's ISR
        interrupts++;
        uint8_t iir = in(UART_IIR);
        ASSERT_EQ(iir, 0xc2);                 // FIFOs on, THRE
        EXPECT_FALSE(irq.level);              // reading IIR cleared the THRE interrupt
        if (next == msg.size()) {
            outb(UART_IER, 0);                // nothing left: stop transmit interrupts
            break;
        }
        for (int k = 0; k < UART_FIFO_SIZE && next < msg.size(); k++)
            outb(UART_THR, static_cast<uint8_t>(msg[next++]));
        EXPECT_TRUE(irq.level);               // THR empty again: interrupt re-raised
    }
    EXPECT_EQ(out, msg);
    EXPECT_EQ(interrupts, 4);   // 16 + 16 + 8 bytes, then the final empty interrupt
    EXPECT_FALSE(irq.level);
    EXPECT_EQ(in(UART_IIR), 0xc1);
}

TEST_F(Uart, ThreInterruptClearedByThrWriteAndRearmedByIer)
{
    outb(UART_MCR, UART_MCR_OUT2);
    outb(UART_IER, UART_IER_ETBEI);
    EXPECT_EQ(in(UART_IIR), 0x02);   // 16450 mode: IIR7:6 = 0
    EXPECT_EQ(in(UART_IIR), 0x01);   // cleared by that read
    outb(UART_IER, 0);
    outb(UART_IER, UART_IER_ETBEI);  // re-enabling with THR empty raises it again
    EXPECT_EQ(in(UART_IIR), 0x02);
    std::vector<bool> want = { true, false, true, false };
    EXPECT_EQ(irq.edges, want);
}

// PC16550D LSR bit 5: loading THR resets THRE (and its interrupt); THRE sets again when the
// character moves to the transmitter. Even with instantaneous transmission the interrupt output
// drops and rises again on every THR write, so an edge-triggered input (8259A edge mode, an I/O
// APIC edge entry) sees one new edge per character without the handler reading IIR.
TEST_F(Uart, ThrWriteGivesANewThreEdge)
{
    outb(UART_MCR, UART_MCR_OUT2);
    outb(UART_IER, UART_IER_ETBEI);
    outb(UART_THR, 'a');
    outb(UART_THR, 'b');
    std::vector<bool> want = { true, false, true, false, true };
    EXPECT_EQ(irq.edges, want);
    EXPECT_EQ(in(UART_IIR), 0x02);
}

TEST_F(Uart, Out2GatesTheIrqLine)
{
    outb(UART_IER, UART_IER_ETBEI);
    EXPECT_FALSE(irq.level);                // pending but OUT2 = 0: line not driven
    EXPECT_EQ(u.irq_level, false);
    outb(UART_MCR, UART_MCR_OUT2);
    EXPECT_TRUE(irq.level);
    outb(UART_MCR, UART_MCR_OUT1 | UART_MCR_DTR | UART_MCR_RTS);
    EXPECT_FALSE(irq.level);
    outb(UART_MCR, UART_MCR_OUT2);
    EXPECT_TRUE(irq.level);
    outb(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);   // loopback forces OUT2 inactive
    EXPECT_FALSE(irq.level);
    EXPECT_EQ(in(UART_IIR), 0x02);          // the interrupt itself is still identified
    std::vector<bool> want = { true, false, true, false };
    EXPECT_EQ(irq.edges, want);
}

TEST_F(Uart, ReceiveIn16450Mode)
{
    outb(UART_LCR, 0x03);   // 8 data bits (the reset LCR means 5)
    outb(UART_MCR, UART_MCR_OUT2);
    outb(UART_IER, UART_IER_ERBFI);
    EXPECT_TRUE(uart16550_rx_room(&u));
    push("a");
    EXPECT_FALSE(uart16550_rx_room(&u));
    EXPECT_TRUE(irq.level);
    EXPECT_EQ(in(UART_IIR), 0x04);
    EXPECT_EQ(in(UART_LSR), 0x61);
    EXPECT_EQ(in(UART_RBR), 'a');
    EXPECT_FALSE(irq.level);
    EXPECT_EQ(in(UART_IIR), 0x01);
    EXPECT_EQ(in(UART_LSR), 0x60);
    EXPECT_EQ(in(UART_RBR), 'a');   // RBR keeps the last character
    outb(UART_LCR, 0x00);           // 5 data bits: the receiver assembles only bits 4:0
    push("a");
    EXPECT_EQ(in(UART_RBR), 'a' & 0x1f);
}

TEST_F(Uart, OverrunIn16450ModeOverwritesRbr)
{
    outb(UART_LCR, 0x03);   // 8 data bits (the reset LCR means 5)
    push("a");
    EXPECT_FALSE(uart16550_rx(&u, 'b'));
    EXPECT_EQ(u.overruns, 1u);
    EXPECT_EQ(in(UART_LSR), 0x63);   // DR | OE | THRE | TEMT
    EXPECT_EQ(in(UART_LSR), 0x61);   // OE cleared by the read
    EXPECT_EQ(in(UART_RBR), 'b');    // the previous character was destroyed
    EXPECT_EQ(in(UART_LSR), 0x60);
}

TEST_F(Uart, RxFifoTriggerLevels)
{
    outb(UART_LCR, 0x03);   // 8 data bits (the reset LCR means 5)
    const struct { uint8_t fcr; unsigned level; } table[] = {
        { 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
    };
    outb(UART_IER, UART_IER_ERBFI);
    for (const auto &t : table) {
        fifo(t.fcr | UART_FCR_RXRESET);
        for (unsigned k = 0; k + 1 < t.level; k++)
            ASSERT_TRUE(uart16550_rx(&u, static_cast<uint8_t>('A' + k)));
        EXPECT_EQ(in(UART_IIR), 0xc1) << "level " << t.level;
        ASSERT_TRUE(uart16550_rx(&u, static_cast<uint8_t>('A' + t.level - 1)));
        EXPECT_EQ(in(UART_IIR), 0xc4) << "level " << t.level;
        EXPECT_EQ(in(UART_RBR), 'A');   // one below the trigger: RDA drops
        EXPECT_EQ(in(UART_IIR), 0xc1) << "level " << t.level;
        EXPECT_EQ(in(UART_LSR) & UART_LSR_DR, t.level > 1 ? UART_LSR_DR : 0);
    }
}

TEST_F(Uart, FifoKeepsOrderAndOverrunLosesNewCharacter)
{
    outb(UART_LCR, 0x03);   // 8 data bits (the reset LCR means 5)
    fifo(0x01);
    for (int k = 0; k < UART_FIFO_SIZE; k++)
        ASSERT_TRUE(uart16550_rx(&u, static_cast<uint8_t>('a' + k)));
    EXPECT_FALSE(uart16550_rx_room(&u));
    EXPECT_FALSE(uart16550_rx(&u, '!'));
    EXPECT_EQ(in(UART_LSR), 0x63);
    EXPECT_EQ(in(UART_LSR), 0x61);
    std::string got;
    while (in(UART_LSR) & UART_LSR_DR)
        got.push_back(static_cast<char>(in(UART_RBR)));
    EXPECT_EQ(got, "abcdefghijklmnop");
}

TEST_F(Uart, LineStatusHasPriorityOverReceivedData)
{
    outb(UART_MCR, UART_MCR_OUT2);
    outb(UART_IER, UART_IER_ERBFI | UART_IER_ELSI);
    fifo(0x01);
    for (int k = 0; k < UART_FIFO_SIZE + 1; k++)
        uart16550_rx(&u, 'x');
    EXPECT_EQ(in(UART_IIR), 0xc6);
    EXPECT_EQ(in(UART_LSR), 0x63);   // clears the RLS interrupt
    EXPECT_EQ(in(UART_IIR), 0xc4);
    EXPECT_TRUE(irq.level);
}

TEST_F(Uart, InterruptPriorityOrder)
{
    outb(UART_MCR, UART_MCR_OUT2);
    fifo(0x01);
    for (int k = 0; k < UART_FIFO_SIZE + 1; k++)
        uart16550_rx(&u, 'x');                              // data + overrun
    uart16550_set_modem_inputs(&u, UART_MSR_DSR | UART_MSR_DCD);   // CTS drops: DCTS
    outb(UART_IER, 0x0f);                                   // also arms THRE
    EXPECT_EQ(in(UART_IIR), 0xc6);                          // 1: receiver line status
    in(UART_LSR);
    EXPECT_EQ(in(UART_IIR), 0xc4);                          // 2: received data available
    while (in(UART_LSR) & UART_LSR_DR)
        in(UART_RBR);
    EXPECT_EQ(in(UART_IIR), 0xc2);                          // 3: THR empty (read clears it)
    EXPECT_EQ(in(UART_IIR), 0xc0);                          // 4: modem status
    EXPECT_TRUE(irq.level);
    EXPECT_EQ(in(UART_MSR), UART_MSR_DSR | UART_MSR_DCD | UART_MSR_DCTS);
    EXPECT_EQ(in(UART_IIR), 0xc1);
    EXPECT_FALSE(irq.level);
}

TEST_F(Uart, ModemStatusChanges)
{
    outb(UART_IER, UART_IER_EDSSI);
    uart16550_set_modem_inputs(&u, 0xb0 | UART_MSR_RI);   // RI rises: no TERI
    EXPECT_EQ(in(UART_IIR), 0x01);
    uart16550_set_modem_inputs(&u, 0xb0);                  // RI falls: TERI
    EXPECT_EQ(in(UART_IIR), 0x00);
    EXPECT_EQ(in(UART_MSR), 0xb0 | UART_MSR_TERI);
    uart16550_set_modem_inputs(&u, 0x00);
    EXPECT_EQ(in(UART_MSR), UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
    EXPECT_EQ(in(UART_MSR), 0x00);
    EXPECT_EQ(in(UART_IIR), 0x01);
    outb(UART_MCR, UART_MCR_LOOP);                          // external inputs disconnected
    uart16550_set_modem_inputs(&u, 0xf0);
    EXPECT_EQ(in(UART_MSR), 0x00);
}

TEST_F(Uart, LoopbackSendsTransmitterToReceiver)
{
    fifo(0x01);
    outb(UART_LCR, 0x03);
    outb(UART_MCR, UART_MCR_LOOP);
    EXPECT_FALSE(uart16550_rx_room(&u));
    EXPECT_FALSE(uart16550_rx(&u, 'q'));   // SIN disconnected
    outb(UART_THR, 'L');
    outb(UART_THR, 'b');
    EXPECT_TRUE(out.empty());              // SOUT held marking
    EXPECT_EQ(u.tx_bytes, 0u);
    EXPECT_EQ(in(UART_LSR), 0x61);
    EXPECT_EQ(in(UART_RBR), 'L');
    EXPECT_EQ(in(UART_RBR), 'b');
    EXPECT_EQ(in(UART_LSR), 0x60);
    outb(UART_MCR, 0);
    outb(UART_THR, 'o');
    EXPECT_EQ(out, "o");
    EXPECT_EQ(in(UART_LSR), 0x60);
}

TEST_F(Uart, FcrEnableClearsAndProgramsOnlyWithFcr0)
{
    push("x");
    fifo(0x81);                       // 16450 -> FIFO mode: the receiver is cleared
    EXPECT_EQ(in(UART_LSR), 0x60);
    EXPECT_EQ(in(UART_IIR), 0xc1);
    push("abc");
    fifo(0x81 | UART_FCR_RXRESET | UART_FCR_TXRESET);
    EXPECT_EQ(in(UART_LSR), 0x60);
    EXPECT_EQ(u.fcr_bits, 0x80);
    fifo(0x40);                       // FCR0 = 0: FIFOs off, trigger not programmed
    EXPECT_EQ(in(UART_IIR), 0x01);
    EXPECT_EQ(u.fcr_bits, 0x80);
    push("z");
    fifo(0x01);
    EXPECT_EQ(in(UART_LSR), 0x60);    // mode change cleared the RBR
    EXPECT_EQ(u.fcr_bits, 0x00);
}

TEST_F(Uart, CharacterTimeout)
{
    outb(UART_MCR, UART_MCR_OUT2);
    outb(UART_LCR, 0x80);
    outb(UART_DLL, 1);
    outb(UART_LCR, 0x03);
    outb(UART_IER, UART_IER_ERBFI);
    fifo(0xc1);                                   // trigger 14
    const uint64_t t4 = 40ull * PS_PER_S / 115200;   // 4 chars at 115200 baud
    ASSERT_EQ(uart16550_timeout_ps(&u), t4);
    push("ab");
    evq_run_until(&q, 1000);
    push("c");                                    // a new character restarts the timer
    evq_run_until(&q, 1000 + t4 - 1);
    EXPECT_EQ(in(UART_IIR), 0xc1);
    EXPECT_FALSE(irq.level);
    evq_run_until(&q, 1000 + t4);
    EXPECT_TRUE(irq.level);
    EXPECT_EQ(in(UART_IIR), 0xcc);
    EXPECT_EQ(in(UART_RBR), 'a');                 // a read clears it and restarts the timer
    EXPECT_EQ(in(UART_IIR), 0xc1);
    EXPECT_FALSE(irq.level);
    uint64_t t = q.now;
    evq_run_until(&q, t + t4 - 1);
    EXPECT_EQ(in(UART_IIR), 0xc1);
    evq_run_until(&q, t + t4);
    EXPECT_EQ(in(UART_IIR), 0xcc);
    EXPECT_EQ(in(UART_RBR), 'b');
    EXPECT_EQ(in(UART_RBR), 'c');                 // FIFO empty: no further timeout
    evq_run_until(&q, q.now + 10 * t4);
    EXPECT_EQ(in(UART_IIR), 0xc1);
    EXPECT_EQ(evq_next(&q), UINT64_MAX);
}

TEST_F(Uart, NoCharacterTimeoutIn16450Mode)
{
    outb(UART_IER, UART_IER_ERBFI);
    push("a");
    evq_run_until(&q, PS_PER_S);
    EXPECT_EQ(in(UART_IIR), 0x04);
    EXPECT_EQ(evq_next(&q), UINT64_MAX);
}

TEST_F(Uart, BreakLoadsZeroWithBiRevealedAtTopOfFifo)
{
    outb(UART_LCR, 0x03);   // 8 data bits (the reset LCR means 5)
    outb(UART_IER, UART_IER_ELSI);
    fifo(0x01);
    push("a");
    EXPECT_TRUE(uart16550_rx_break(&u));
    EXPECT_EQ(in(UART_IIR), 0xc1);               // BI not yet at the top
    EXPECT_EQ(in(UART_LSR), 0xe1);               // but LSR7: an error is in the FIFO
    EXPECT_EQ(in(UART_RBR), 'a');
    EXPECT_EQ(in(UART_IIR), 0xc6);
    EXPECT_EQ(in(UART_LSR), 0xf1);               // FIFOERR | TEMT | THRE | BI | DR
    EXPECT_EQ(in(UART_RBR), 0x00);
    EXPECT_EQ(in(UART_LSR), 0x60);               // no errors left: LSR7 cleared
}

TEST_F(Uart, WideAccessesAreSplitIntoBytes)
{
    outb(UART_SCR, 0x11);
    outb(UART_LCR, 0x80);
    bus_out(&b, COM1, 0x0201, 2);                // DLL = 1, DLM = 2
    EXPECT_EQ(u.dll, 0x01);
    EXPECT_EQ(u.dlm, 0x02);
    EXPECT_EQ(bus_in(&b, COM1, 2), 0x0201u);
    EXPECT_EQ(bus_in(&b, COM1 + 7, 2), 0xff11u);   // beyond the eight registers: all ones
    EXPECT_EQ(u.wide_accesses, 3u);
}

TEST(UartMap, Com2AndConflicts)
{
    bus b;
    ASSERT_EQ(bus_init(&b, 1 << 20), 0);
    uart16550 com1, com2;
    uart16550_init(&com1, nullptr, nullptr, nullptr, nullptr);
    uart16550_init(&com2, nullptr, nullptr, nullptr, nullptr);
    ASSERT_EQ(uart16550_map(&com1, &b, UART_COM1_PORT), 0);
    ASSERT_EQ(uart16550_map(&com2, &b, UART_COM2_PORT), 0);
    EXPECT_EQ(uart16550_map(&com2, &b, UART_COM2_PORT + 4), -1);
    bus_out(&b, 0x2ff, 0x42, 1);
    EXPECT_EQ(com2.scr, 0x42);
    EXPECT_EQ(com1.scr, 0x00);
    bus_out(&b, 0x3f8, 'x', 1);                  // no sink, no line: discarded, no crash
    EXPECT_EQ(com1.tx_bytes, 1u);
    uart16550_rx(&com1, 'y');
    bus_out(&b, 0x3fc, 0x08, 1);
    bus_out(&b, 0x3f9, 0x0f, 1);
    EXPECT_EQ(bus_in(&b, 0x3fa, 1), 0x04u);
    EXPECT_EQ(b.unclaimed, 0u);
    bus_destroy(&b);
}

}  // namespace
