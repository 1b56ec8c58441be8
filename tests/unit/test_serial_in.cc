// test_serial_in.cc — COM1's input line (sim/serial_in.c) and the serial replay log
// (sim/serial_log.c): character times at given divisors (10 bits at 115200 / divisor baud,
// hand-computed), pacing, flow control (a byte waits while the receiver is full, nothing is
// lost), the log's parser errors with their line numbers, write-then-parse, record-then-replay
// with identical delivery times, the scheduler's input hooks (deadlines end rounds, the idle
// hook skips, wakes or stops), and end to end through the machine with the echo kernel
// tests/target/mb_echo.S: file input, live input from a pipe recorded and replayed (identical
// output and counts), and a hand-written log whose arrival times the kernel's TSC stamps show.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "devices/uart16550.h"
#include "sim/evq.h"
#include "sim/machine.h"
#include "sim/sched.h"
#include "sim/serial_in.h"
#include "sim/serial_log.h"
#include "tests/unit/cpu_harness.h"

namespace {

// ---- character time ----

void set_divisor(uart16550 *u, uint16_t div)
{
    uart16550_write(u, UART_LCR, UART_LCR_DLAB);
    uart16550_write(u, UART_DLL, static_cast<uint8_t>(div));
    uart16550_write(u, UART_DLM, static_cast<uint8_t>(div >> 8));
    uart16550_write(u, UART_LCR, 0x03);   // 8N1
}

TEST(SerialIn, CharacterTimeAtDivisors) {
    evq q;
    evq_init(&q);
    uart16550 u;
    uart16550_init(&u, &q, nullptr, nullptr, nullptr);
    // divisor 0 (reset value, undefined on the chip) counts as 1: 10 bits at 115200 baud
    EXPECT_EQ(serial_in_char_ps(&u), 86805555u);            // 10e12 / 115200 = 86805555.5
    set_divisor(&u, 1);
    EXPECT_EQ(serial_in_char_ps(&u), 86805555u);
    set_divisor(&u, 12);                                    // 9600 baud
    EXPECT_EQ(serial_in_char_ps(&u), 1041666666u);          // 10/9600 s
    set_divisor(&u, 384);                                   // 300 baud (DLM = 1, DLL = 0x80)
    EXPECT_EQ(serial_in_char_ps(&u), 33333333333u);         // 10/300 s
    set_divisor(&u, 0xffff);
    EXPECT_EQ(serial_in_char_ps(&u), 10ull * 65535 * PS_PER_S / 115200);
}

// ---- the line, driven by hand: an event queue, a UART and the between-round service ----

std::string temp_path(const char *name)
{
    return testing::TempDir() + "hvsim_serial_" + std::to_string(getpid()) + "_" + name;
}

void write_file(const std::string &path, const std::string &data)
{
    FILE *f = fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    fwrite(data.data(), 1, data.size(), f);
    fclose(f);
}

class Line : public ::testing::Test {
protected:
    void SetUp() override
    {
        evq_init(&q);
        uart16550_init(&u, &q, nullptr, nullptr, nullptr);
        serial_in_init(&s, &u, &q);
    }
    void TearDown() override { serial_in_destroy(&s); }
    void use_file(const std::string &data)
    {
        std::string p = temp_path("line.in");
        write_file(p, data);
        char err[256];
        ASSERT_EQ(serial_in_use_file(&s, p.c_str(), err, sizeof err), 0) << err;
        remove(p.c_str());
    }
    // Advance to t and run the between-round service there, as the scheduler does.
    void round_at(uint64_t t)
    {
        evq_run_until(&q, t);
        serial_in_round_end(&s);
    }

    evq q;
    uart16550 u;
    serial_in s;
};

TEST_F(Line, WaitsForTheGuestToOpenThePortThenPacesOneCharacterTime) {
    use_file("abc");
    set_divisor(&u, 12);
    uart16550_write(&u, UART_FCR, UART_FCR_ENABLE);
    const uint64_t ct = 1041666666;                         // 9600 baud
    round_at(5 * PS_PER_MS);                                // DTR and RTS still off
    EXPECT_FALSE(s.open);
    EXPECT_EQ(evq_next(&q), UINT64_MAX);
    EXPECT_EQ(u.rx_count, 0u);
    uart16550_write(&u, UART_MCR, UART_MCR_DTR);
    const uint64_t t0 = 6 * PS_PER_MS;
    round_at(t0);                                           // the line opens here
    EXPECT_TRUE(s.open);
    EXPECT_EQ(evq_next(&q), t0 + ct);
    evq_run_until(&q, t0 + ct - 1);
    EXPECT_EQ(u.rx_count, 0u);
    evq_run_until(&q, t0 + ct);
    EXPECT_EQ(u.rx_count, 1u);
    evq_run_until(&q, t0 + 2 * ct - 1);
    EXPECT_EQ(u.rx_count, 1u);
    evq_run_until(&q, t0 + 3 * ct);
    EXPECT_EQ(u.rx_count, 3u);
    EXPECT_FALSE(s.rx_ev.queued);                           // nothing left to send
    EXPECT_EQ(uart16550_read(&u, UART_RBR), 'a');
    EXPECT_EQ(uart16550_read(&u, UART_RBR), 'b');
    EXPECT_EQ(uart16550_read(&u, UART_RBR), 'c');
    EXPECT_EQ(s.delivered, 3u);
    EXPECT_EQ(u.overruns, 0u);
}

TEST_F(Line, RtsAloneOpensTheLine) {
    use_file("z");
    uart16550_write(&u, UART_MCR, UART_MCR_RTS);
    round_at(0);
    EXPECT_TRUE(s.open);
    EXPECT_EQ(evq_next(&q), 86805555u);                     // divisor 0 counts as 1
}

TEST_F(Line, ByteWaitsWhileTheReceiverIsFullIn16450Mode) {
    use_file("xy");
    set_divisor(&u, 1);
    uart16550_write(&u, UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
    const uint64_t ct = 86805555;
    round_at(0);
    evq_run_until(&q, ct);                                  // 'x' in the RBR
    EXPECT_EQ(u.rx_count, 1u);
    evq_run_until(&q, 2 * ct);                              // 'y' completes: no room, it waits
    EXPECT_TRUE(s.waiting);
    EXPECT_EQ(s.waits, 1u);
    EXPECT_EQ(u.overruns, 0u);
    EXPECT_EQ(u.rx_count, 1u);
    EXPECT_EQ(evq_next(&q), UINT64_MAX);                    // no polling while it waits
    round_at(10 * ct);                                      // still full: still waiting
    EXPECT_TRUE(s.waiting);
    EXPECT_EQ(uart16550_read(&u, UART_RBR), 'x');           // the guest reads at 10 ct
    const uint64_t t1 = 10 * ct + 1000;
    round_at(t1);                                           // room: 'y' starts again
    EXPECT_FALSE(s.waiting);
    EXPECT_EQ(evq_next(&q), t1 + ct);
    evq_run_until(&q, t1 + ct);
    EXPECT_EQ(uart16550_read(&u, UART_LSR) & (UART_LSR_DR | UART_LSR_OE), UART_LSR_DR);
    EXPECT_EQ(uart16550_read(&u, UART_RBR), 'y');
    EXPECT_EQ(s.delivered, 2u);
}

TEST_F(Line, NothingIsLostWhenTheFifoFills) {
    std::string data;
    for (int k = 0; k < 40; k++)
        data.push_back(static_cast<char>('A' + k % 26));
    use_file(data);
    set_divisor(&u, 1);
    uart16550_write(&u, UART_FCR, UART_FCR_ENABLE);
    uart16550_write(&u, UART_MCR, UART_MCR_DTR);
    const uint64_t ct = 86805555;
    round_at(0);
    evq_run_until(&q, 17 * ct);                             // 16 stored, the 17th waits
    EXPECT_EQ(u.rx_count, 16u);
    EXPECT_TRUE(s.waiting);
    std::string got;
    uint64_t t = 17 * ct;
    // a slow guest: reads one byte every 5 character times
    while (got.size() < data.size() && t < 1000 * ct) {
        t += 5 * ct;
        round_at(t);
        if (uart16550_read(&u, UART_LSR) & UART_LSR_DR)
            got.push_back(static_cast<char>(uart16550_read(&u, UART_RBR)));
    }
    EXPECT_EQ(got, data);
    EXPECT_EQ(u.overruns, 0u);
    EXPECT_EQ(s.delivered, 40u);
    EXPECT_GE(s.waits, 1u);
}

TEST_F(Line, LoopbackHoldsTheLine) {
    use_file("q");
    uart16550_write(&u, UART_LCR, 0x03);                    // 8 bits (reset: 5)
    uart16550_write(&u, UART_MCR, UART_MCR_DTR | UART_MCR_LOOP);
    round_at(0);
    evq_run_until(&q, PS_PER_MS);
    EXPECT_TRUE(s.waiting);                                 // SIN disconnected: no room
    uart16550_write(&u, UART_MCR, UART_MCR_DTR);
    round_at(2 * PS_PER_MS);
    evq_run_until(&q, 2 * PS_PER_MS + 86805555);
    EXPECT_EQ(u.rx_count, 1u);
    EXPECT_EQ(uart16550_read(&u, UART_RBR), 'q');
}

// ---- the log ----

TEST(SerialLog, WriteThenParseGivesTheSameArrivals) {
    std::vector<std::pair<uint64_t, std::string>> in = {
        {0, "a"}, {10000000, std::string("\0\r\n\"\\\x7f\xff", 7)}, {10000000, "x"},
        {UINT64_MAX, std::string(70, 'z')},                // 70 bytes: three lines of <= 32
    };
    std::string all;
    for (int b = 0; b < 256; b++)
        all.push_back(static_cast<char>(b));
    in.insert(in.begin() + 3, {20000000, all});
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT_EQ(serial_log_write_header(f), 0);
    for (auto &a : in)
        ASSERT_EQ(serial_log_write_arrival(f, a.first,
                  reinterpret_cast<const uint8_t *>(a.second.data()), a.second.size()), 0);
    fclose(f);
    serial_log l;
    char err[256];
    ASSERT_EQ(serial_log_parse(buf, len, "mem", &l, err, sizeof err), 0) << err;
    // re-join lines with equal times to compare with what was written
    std::vector<std::pair<uint64_t, std::string>> out;
    size_t bytes = 0;
    for (size_t k = 0; k < l.n; k++) {
        std::string s(reinterpret_cast<const char *>(l.bytes + l.arr[k].off), l.arr[k].len);
        EXPECT_LE(l.arr[k].len, 32u);
        bytes += l.arr[k].len;
        if (!out.empty() && out.back().first == l.arr[k].t_ps)
            out.back().second += s;
        else
            out.push_back({l.arr[k].t_ps, s});
    }
    std::vector<std::pair<uint64_t, std::string>> want = {
        {0, "a"}, {10000000, std::string("\0\r\n\"\\\x7f\xff", 7) + "x"}, {20000000, all},
        {UINT64_MAX, std::string(70, 'z')},
    };
    EXPECT_EQ(out.size(), want.size());
    for (size_t k = 0; k < out.size() && k < want.size(); k++) {
        EXPECT_EQ(out[k].first, want[k].first) << k;
        EXPECT_EQ(out[k].second, want[k].second) << k;
    }
    EXPECT_EQ(bytes, 1u + 7 + 1 + 256 + 70);
    serial_log_free(&l);
    free(buf);
}

TEST(SerialLog, HandWrittenLogWithCommentsAndCrlf) {
    const char text[] = "hvsim-serial-log 1   # made by hand\r\n"
                        "\r\n"
                        "# a comment\n"
                        "  1000 41 42\t43 # \"ABC\"\n"
                        "1000 0a\n"
                        "2000 fF";                           // no final newline
    serial_log l;
    char err[256];
    ASSERT_EQ(serial_log_parse(text, sizeof text - 1, "hand", &l, err, sizeof err), 0) << err;
    ASSERT_EQ(l.n, 3u);
    EXPECT_EQ(l.arr[0].t_ps, 1000u);
    EXPECT_EQ(std::string(reinterpret_cast<char *>(l.bytes + l.arr[0].off), l.arr[0].len), "ABC");
    EXPECT_EQ(l.arr[1].t_ps, 1000u);
    EXPECT_EQ(l.bytes[l.arr[1].off], 0x0a);
    EXPECT_EQ(l.arr[2].t_ps, 2000u);
    EXPECT_EQ(l.bytes[l.arr[2].off], 0xff);
    serial_log_free(&l);
}

TEST(SerialLog, ParserErrorsNameTheLine) {
    const std::string hdr = "hvsim-serial-log 1\n";
    struct Case { std::string text, msg; };
    const std::vector<Case> cases = {
        {"", "log:1: expected the header 'hvsim-serial-log 1', the file is empty"},
        {"hello\n", "log:1: expected the header 'hvsim-serial-log 1' (not a serial replay log)"},
        {"hvsim-serial-log\n", "log:1: expected a version number"},
        {"hvsim-serial-log 2\n", "log:1: expected format version 1, got 2"},
        {"hvsim-serial-log 1x\n", "log:1: expected a version number"},
        {hdr + "10 41\nx 41\n", "log:3: expected a virtual time in picoseconds (decimal digits), got 'x'"},
        {hdr + "10\n", "log:2: expected at least one byte (two hex digits) after the time"},
        {hdr + "10 # only a comment\n", "log:2: expected at least one byte"},
        {hdr + "10 4\n", "log:2: expected a byte as two hex digits, got '4'"},
        {hdr + "10 414\n", "log:2: expected a byte as two hex digits, got '414'"},
        {hdr + "10 4g\n", "log:2: expected a byte as two hex digits, got '4g'"},
        {hdr + "10x 41\n", "log:2: expected a virtual time in picoseconds (decimal digits), got '10x'"},
        {hdr + "18446744073709551616 41\n", "log:2: expected a time in picoseconds below 2^64"},
        {hdr + "\n\n20 41\n19 42\n", "log:5: expected a time >= 20 (the previous arrival's), got 19"},
        {hdr + "1 41\n" + std::string(5000, ' ') + "\n", "log:3: expected a line of at most 4096 bytes"},
        {hdr + std::string("1 4\0 41\n", 8), "log:2: expected text, found a NUL byte"},
    };
    for (const Case &c : cases) {
        serial_log l;
        char err[256];
        EXPECT_EQ(serial_log_parse(c.text.data(), c.text.size(), "log", &l, err, sizeof err), -1)
            << c.text;
        EXPECT_EQ(std::string(err).substr(0, c.msg.size()), c.msg) << err;
        EXPECT_EQ(l.n, 0u);
        EXPECT_EQ(l.arr, nullptr);
        EXPECT_EQ(l.bytes, nullptr);
    }
    // too many bytes in one arrival
    std::string big = hdr + "5";
    for (int k = 0; k <= SERIAL_LOG_MAX_BYTES; k++)
        big += " 00";
    serial_log l;
    char err[256];
    // 1025 bytes make a 3 + 1025 * 3 byte line: under the line limit, over the byte limit
    EXPECT_EQ(serial_log_parse(big.data(), big.size(), "log", &l, err, sizeof err), -1);
    EXPECT_STREQ(err, "log:2: expected at most 1024 bytes in one arrival");
    // a missing file
    EXPECT_EQ(serial_log_load("/nonexistent/x.log", &l, err, sizeof err), -1);
    EXPECT_NE(std::string(err).find("/nonexistent/x.log: cannot open the serial replay log"), std::string::npos) << err;
}

// ---- record then replay, by hand: identical delivery times ----

struct Delivery { uint64_t t; uint8_t byte; };

// Run the line from 0 to `end` with a round every 10 us, as the scheduler does, with a guest
// that reads the receiver every 7 rounds; `feed` writes host input at given round indices.
// Returns every byte the guest read with the time the UART got it.
std::vector<Delivery> drive(serial_in *s, evq *q, uart16550 *u, int feed_fd,
                            const std::vector<std::pair<int, std::string>> &feed)
{
    std::vector<Delivery> got;
    const uint64_t round = 10 * PS_PER_US;
    uart16550_write(u, UART_LCR, 0x03);                     // 8N1 (the reset value is 5 bits)
    uart16550_write(u, UART_MCR, UART_MCR_DTR);
    uint64_t prev_rx = 0;
    for (int r = 1; r <= 1000; r++) {
        for (auto &f : feed) {
            if (f.first == r && feed_fd >= 0) {
                EXPECT_EQ(write(feed_fd, f.second.data(), f.second.size()),
                          static_cast<ssize_t>(f.second.size()));
            }
        }
        // fire the events of this round one by one to see when bytes land
        while (evq_next(q) <= r * round) {
            uint64_t t = evq_next(q);
            evq_run_until(q, t);
            if (u->rx_bytes != prev_rx) {
                prev_rx = u->rx_bytes;
                got.push_back({t, 0});
            }
        }
        evq_run_until(q, r * round);
        serial_in_round_end(s);
        if (r % 7 == 0)
            for (Delivery &d : got)
                if (d.byte == 0 && (uart16550_read(u, UART_LSR) & UART_LSR_DR))
                    d.byte = uart16550_read(u, UART_RBR);
    }
    return got;
}

TEST(SerialReplay, RecordThenReplayGivesIdenticalDeliveryTimes) {
    std::string log_path = temp_path("rt.log");
    std::vector<Delivery> live, replayed;
    {
        evq q;
        evq_init(&q);
        uart16550 u;
        uart16550_init(&u, &q, nullptr, nullptr, nullptr);
        serial_in s;
        serial_in_init(&s, &u, &q);
        int p[2];
        ASSERT_EQ(pipe(p), 0);
        FILE *log = fopen(log_path.c_str(), "w");
        ASSERT_NE(log, nullptr);
        char err[256];
        ASSERT_EQ(serial_in_use_live(&s, p[0], log, err, sizeof err), 0);
        live = drive(&s, &q, &u, p[1], {{3, "hi"}, {4, "!"}, {50, "0123456789abcdefghij"},
                                        {51, "\r"}, {300, "z"}});
        fclose(log);
        close(p[0]);
        close(p[1]);
        EXPECT_EQ(s.arrived, 25u);
        serial_in_destroy(&s);
    }
    {
        evq q;
        evq_init(&q);
        uart16550 u;
        uart16550_init(&u, &q, nullptr, nullptr, nullptr);
        serial_in s;
        serial_in_init(&s, &u, &q);
        char err[256];
        ASSERT_EQ(serial_in_use_replay(&s, log_path.c_str(), err, sizeof err), 0) << err;
        // the arrivals were stamped at the ends of rounds 3, 4, 50, 51 and 300
        ASSERT_EQ(s.replay.n, 5u);
        EXPECT_EQ(s.replay.arr[0].t_ps, 30 * PS_PER_US);
        EXPECT_EQ(s.replay.arr[2].t_ps, 500 * PS_PER_US);
        EXPECT_EQ(s.replay.arr[4].t_ps, 3000 * PS_PER_US);
        replayed = drive(&s, &q, &u, -1, {});
        serial_in_destroy(&s);
    }
    remove(log_path.c_str());
    ASSERT_EQ(live.size(), 25u);
    ASSERT_EQ(replayed.size(), live.size());
    for (size_t k = 0; k < live.size(); k++) {
        EXPECT_EQ(replayed[k].t, live[k].t) << k;
        EXPECT_EQ(replayed[k].byte, live[k].byte) << k;
    }
    // "hi" arrives at 30 us: 'h' lands one character time later, 'i' one after that
    EXPECT_EQ(live[0].t, 30 * PS_PER_US + 86805555);
    EXPECT_EQ(live[1].t, 30 * PS_PER_US + 2 * 86805555);
    EXPECT_EQ(live[0].byte, 'h');
    EXPECT_EQ(live[24].byte, 'z');
}

// ---- the scheduler's input hooks (sim/sched.h struct sched_input) ----

// A processor in STI; HLT, an interrupt line the test raises, and recording input hooks.
class SchedInput : public ::testing::Test, public cputest::CpuMachine {
protected:
    evq q{};
    sched s{};
    event timer{};
    bool line = false;
    int acks = 0;
    std::vector<uint64_t> round_ends, deadlines;    // deadlines: the hook's answers, in order
    size_t next_deadline = 0;
    std::vector<std::pair<sched_idle, uint64_t>> idle_script;   // what the idle hook answers
    size_t idle_calls = 0;
    std::vector<uint64_t> idle_at;

    SchedInput() : CpuMachine(1 << 20, nullptr, true) {}
    void SetUp() override {
        evq_init(&q);
        sched_init(&s, &q, c.model->tsc_hz);
        ASSERT_EQ(sched_add(&s, &c), 0);
        ASSERT_EQ(cpu_setup_gdt(&c, 0x6000), 0);
        cpu_setup_flat32(&c);
        c.gpr[R_RSP] = 0x9000;
        c.idtr = {0x5000, 0x7ff};
        uint32_t h = 0x2000;                           // vector 0x20 -> 0x2000
        uint64_t d = (h & 0xffff) | (0x28ull << 16) | (0x8e00ull << 32) | ((uint64_t)(h >> 16) << 48);
        wr(0x5000 + 8 * 0x20, d);
        load_at({0xff, 0x05, 0x00, 0x30, 0x00, 0x00, 0xcf}, 0x2000);   // inc dword [0x3000]; iret
        load_at({0xfb, 0xf4, 0xeb, 0xfd}, 0x1000);                      // sti; hlt; jmp hlt
        c.rip = 0x1000;
        c.irq.opaque = this;
        c.irq.pending = [](void *o) { return static_cast<SchedInput *>(o)->line; };
        c.irq.ack = [](void *o) {
            auto *t = static_cast<SchedInput *>(o);
            t->line = false;
            t->acks++;
            return (uint8_t)0x20;
        };
        event_init(&timer, [](void *, uint64_t) {}, nullptr, "far-timer");
        s.input.opaque = this;
        s.input.round_end = [](void *o) {
            auto *t = static_cast<SchedInput *>(o);
            t->round_ends.push_back(t->q.now);
            while (t->next_deadline < t->deadlines.size() &&
                   t->deadlines[t->next_deadline] <= t->q.now)
                t->next_deadline++;                     // this input was taken
        };
        s.input.deadline = [](void *o) {
            auto *t = static_cast<SchedInput *>(o);
            return t->next_deadline < t->deadlines.size() ? t->deadlines[t->next_deadline]
                                                          : UINT64_MAX;
        };
        s.input.idle = [](void *o, uint64_t *until) {
            auto *t = static_cast<SchedInput *>(o);
            t->idle_at.push_back(t->q.now);
            if (t->idle_calls >= t->idle_script.size())
                return SCHED_IDLE_STOP;
            auto a = t->idle_script[t->idle_calls++];
            if (a.first == SCHED_IDLE_AGAIN)
                t->line = true;                         // "input arrived": an interrupt
            *until = a.second;
            return a.first;
        };
    }
};

TEST_F(SchedInput, DeadlinesEndRoundsWhileHaltedBeforeAFarEvent) {
    evq_schedule(&q, &timer, 50 * PS_PER_MS);          // the next device event is far away
    deadlines = {3 * PS_PER_MS, 7 * PS_PER_MS};
    EXPECT_EQ(sched_run(&s, UINT64_MAX), SCHED_IDLE_FOREVER);
    // halted: skip to 3 ms, then 7 ms (the deadlines), then 50 ms (the event); then idle,
    // the idle hook says stop
    ASSERT_GE(round_ends.size(), 3u);
    EXPECT_EQ(round_ends[round_ends.size() - 3], 3 * PS_PER_MS);
    EXPECT_EQ(round_ends[round_ends.size() - 2], 7 * PS_PER_MS);
    EXPECT_EQ(round_ends.back(), 50 * PS_PER_MS);
    EXPECT_EQ(idle_at, std::vector<uint64_t>{50 * PS_PER_MS});
}

TEST_F(SchedInput, IdleHookCanSkipWakeOrStop) {
    // nothing queued: the idle hook is asked; it skips to 2 ms, then "input arrives" (an
    // interrupt: the handler runs once), then it stops the machine
    idle_script = {{SCHED_IDLE_SKIP, 2 * PS_PER_MS}, {SCHED_IDLE_AGAIN, 0}};
    EXPECT_EQ(sched_run(&s, UINT64_MAX), SCHED_IDLE_FOREVER);
    ASSERT_EQ(idle_at.size(), 3u);
    EXPECT_LT(idle_at[0], 2 * PS_PER_MS);               // after sti; hlt
    EXPECT_EQ(idle_at[1], 2 * PS_PER_MS);               // skipped there without executing
    EXPECT_GE(idle_at[2], 2 * PS_PER_MS);
    EXPECT_EQ(acks, 1);
    EXPECT_EQ(rd(0x3000, 4), 1u);
    EXPECT_EQ(c.ctr.insns, 2u + 4u);                    // sti, hlt; inc, iret, jmp, hlt
    EXPECT_GE(c.ctr.halt_cycles, sched_ps_to_cycles(2 * PS_PER_MS, s.hz) - 100);
}

TEST_F(SchedInput, InterruptsOffStopsWithoutAskingTheIdleHook) {
    load_at({0xf4}, 0x1000);                            // hlt with IF = 0: nothing can wake it
    idle_script = {{SCHED_IDLE_AGAIN, 0}};
    EXPECT_EQ(sched_run(&s, UINT64_MAX), SCHED_IDLE_FOREVER);
    EXPECT_TRUE(idle_at.empty());
}

// ---- end to end: the echo kernel on the machine ----

const char *kEcho = "tests/target/mb_echo.kernel";   // relative to the build directory

struct EchoRun {
    std::string serial, console;
    machine_stop why;
    uint64_t insns, cycles, now, delivered, waits, hz;
    uint32_t exit_value;
};

EchoRun run_echo(serial_in_mode mode, const char *path, int fd = -1, FILE *log = nullptr)
{
    machine_config cfg{};
    cfg.ram_size = 32u << 20;
    cfg.cpus = 1;
    cfg.kernel = kEcho;
    cfg.date = {2000, 1, 1, 0, 0, 0};
    cfg.serial_in_mode = mode;
    cfg.serial_in_path = path;
    cfg.serial_in_fd = fd;
    cfg.serial_log = log;
    char *sbuf = nullptr, *cbuf = nullptr;
    size_t slen = 0, clen = 0;
    cfg.serial = open_memstream(&sbuf, &slen);
    cfg.console = open_memstream(&cbuf, &clen);
    static machine m;
    char err[512];
    EchoRun r{};
    int rc = machine_init(&m, &cfg, err, sizeof err);
    EXPECT_EQ(rc, 0) << err;
    if (rc == 0) {
        r.why = machine_run(&m, 10000000);
        r.insns = m.cpus[0].ctr.insns;
        r.cycles = m.cpus[0].ctr.cycles;
        r.now = m.q.now;
        r.delivered = m.com1_in.delivered;
        r.waits = m.com1_in.waits;
        r.exit_value = m.dexit.value;
        r.hz = m.model.tsc_hz;
        machine_destroy(&m);
    }
    fclose(cfg.serial);
    fclose(cfg.console);
    r.serial.assign(sbuf, slen);
    r.console.assign(cbuf, clen);
    free(sbuf);
    free(cbuf);
    return r;
}

// The TSC values (cycles at the model's TSC frequency) the kernel logged per received byte, as
// picoseconds.
std::vector<uint64_t> stamps_ps(const EchoRun &r)
{
    const std::string &console = r.console;
    std::vector<uint64_t> v;
    size_t pos = 0;
    while (pos + 17 <= console.size()) {
        uint64_t tsc = std::stoull(console.substr(pos, 16), nullptr, 16);
        v.push_back(static_cast<uint64_t>(static_cast<unsigned __int128>(tsc) * PS_PER_S / r.hz));
        pos += 17;
    }
    return v;
}

TEST(SerialMachine, EchoKernelWithFileInput) {
    std::string in = temp_path("echo.in");
    write_file(in, std::string("hello, World 42\r\n\x04") + "ignored");
    EchoRun a = run_echo(SERIAL_IN_FILE, in.c_str());
    EXPECT_EQ(a.serial, "READY\nHELLO, WORLD 42\r\n\nBYE\n");
    EXPECT_EQ(a.why, MSTOP_EXIT_PORT);
    EXPECT_EQ(a.exit_value, 0u);
    EXPECT_GE(a.delivered, 18u);                            // up to the EOT at least
    // one TSC stamp per byte up to the EOT; consecutive bytes one character time apart
    std::vector<uint64_t> t = stamps_ps(a);
    ASSERT_GE(t.size(), 18u);
    for (size_t k = 1; k < 18; k++) {
        EXPECT_GE(t[k] - t[k - 1], 86805555u - 2 * PS_PER_US) << k;
        EXPECT_LE(t[k] - t[k - 1], 86805555u + 2 * PS_PER_US) << k;
    }
    EchoRun b = run_echo(SERIAL_IN_FILE, in.c_str());
    EXPECT_EQ(a.serial, b.serial);
    EXPECT_EQ(a.console, b.console);
    EXPECT_EQ(a.insns, b.insns);
    EXPECT_EQ(a.cycles, b.cycles);
    EXPECT_EQ(a.now, b.now);
    remove(in.c_str());
}

TEST(SerialMachine, InputUsedUpStopsHalted) {
    std::string in = temp_path("noeot.in");
    write_file(in, "abc");
    EchoRun a = run_echo(SERIAL_IN_FILE, in.c_str());
    EXPECT_EQ(a.serial, "READY\nABC");
    EXPECT_EQ(a.why, MSTOP_HALTED);                         // waits in HLT, nothing can come
    remove(in.c_str());
}

TEST(SerialMachine, LiveFromAPipeThenReplayIsIdentical) {
    std::string log_path = temp_path("live.log");
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    const std::string typed = "echo me\r\x04";
    ASSERT_EQ(write(p[1], typed.data(), typed.size()), static_cast<ssize_t>(typed.size()));
    close(p[1]);
    FILE *log = fopen(log_path.c_str(), "w");
    ASSERT_NE(log, nullptr);
    EchoRun live = run_echo(SERIAL_IN_LIVE, nullptr, p[0], log);
    fclose(log);
    close(p[0]);
    EXPECT_EQ(live.serial, "READY\nECHO ME\r\nBYE\n");
    EXPECT_EQ(live.why, MSTOP_EXIT_PORT);
    EchoRun replay = run_echo(SERIAL_IN_REPLAY, log_path.c_str());
    EXPECT_EQ(replay.serial, live.serial);
    EXPECT_EQ(replay.console, live.console);
    EXPECT_EQ(replay.insns, live.insns);
    EXPECT_EQ(replay.cycles, live.cycles);
    EXPECT_EQ(replay.now, live.now);
    remove(log_path.c_str());
}

// Typing with pauses: the kernel halts with nothing queued, so the simulator blocks on the
// pipe (the idle hook) and stamps each arrival with the virtual time it waited at. Whatever the
// host timing, the replay gives the same run.
TEST(SerialMachine, LiveWithPausesBlocksForInputThenReplaysIdentically) {
    std::string log_path = temp_path("pauses.log");
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    std::thread typist([w = p[1]] {
        const char *keys[] = {"a", "bc", "\x04"};
        for (const char *k : keys) {
            usleep(30000);
            if (write(w, k, strlen(k)) < 0)
                break;
        }
        close(w);
    });
    FILE *log = fopen(log_path.c_str(), "w");
    ASSERT_NE(log, nullptr);
    EchoRun live = run_echo(SERIAL_IN_LIVE, nullptr, p[0], log);
    typist.join();
    fclose(log);
    close(p[0]);
    EXPECT_EQ(live.serial, "READY\nABC\nBYE\n");
    serial_log l;
    char err[256];
    ASSERT_EQ(serial_log_load(log_path.c_str(), &l, err, sizeof err), 0) << err;
    EXPECT_GE(l.n, 2u);                                  // the pauses split the arrivals
    serial_log_free(&l);
    EchoRun replay = run_echo(SERIAL_IN_REPLAY, log_path.c_str());
    EXPECT_EQ(replay.serial, live.serial);
    EXPECT_EQ(replay.console, live.console);
    EXPECT_EQ(replay.insns, live.insns);
    EXPECT_EQ(replay.cycles, live.cycles);
    EXPECT_EQ(replay.now, live.now);
    remove(log_path.c_str());
}

TEST(SerialMachine, ReplayRespectsTheLoggedTimes) {
    // The kernel is halted waiting for input long before 1 ms: the machine skips to each
    // arrival, and each byte reaches the UART one character time (86.805555 us) after its
    // slot starts; the kernel's handler stamps it a few instructions later.
    std::string log_path = temp_path("hand.log");
    write_file(log_path, "hvsim-serial-log 1\n"
                         "1000000000 61          # 'a' at 1 ms\n"
                         "5000000000 62 63       # 'bc' at 5 ms\n"
                         "9000000000 04          # EOT at 9 ms\n");
    EchoRun r = run_echo(SERIAL_IN_REPLAY, log_path.c_str());
    EXPECT_EQ(r.serial, "READY\nABC\nBYE\n");
    std::vector<uint64_t> t = stamps_ps(r);
    ASSERT_EQ(t.size(), 4u);
    const uint64_t ct = 86805555, slack = 2 * PS_PER_US;
    const uint64_t want[4] = {1 * PS_PER_MS + ct, 5 * PS_PER_MS + ct, 5 * PS_PER_MS + 2 * ct,
                              9 * PS_PER_MS + ct};
    for (int k = 0; k < 4; k++) {
        EXPECT_GE(t[k], want[k]) << k;
        EXPECT_LE(t[k], want[k] + slack) << k;
    }
    // and a replay of a replay is the same run
    EchoRun again = run_echo(SERIAL_IN_REPLAY, log_path.c_str());
    EXPECT_EQ(again.console, r.console);
    EXPECT_EQ(again.cycles, r.cycles);
    remove(log_path.c_str());
}

TEST(SerialMachine, BadReplayLogStopsMachineInit) {
    std::string log_path = temp_path("bad.log");
    write_file(log_path, "hvsim-serial-log 1\n100 41\n50 42\n");
    machine_config cfg{};
    cfg.ram_size = 32u << 20;
    cfg.cpus = 1;
    cfg.kernel = kEcho;
    cfg.date = {2000, 1, 1, 0, 0, 0};
    cfg.serial_in_mode = SERIAL_IN_REPLAY;
    cfg.serial_in_path = log_path.c_str();
    static machine m;
    char err[512];
    EXPECT_EQ(machine_init(&m, &cfg, err, sizeof err), -1);
    EXPECT_EQ(std::string(err), log_path + ":3: expected a time >= 100 (the previous "
                                            "arrival's), got 50");
    cfg.serial_in_mode = SERIAL_IN_FILE;
    cfg.serial_in_path = "/nonexistent/input";
    EXPECT_EQ(machine_init(&m, &cfg, err, sizeof err), -1);
    EXPECT_NE(std::string(err).find("serial input /nonexistent/input: cannot open"),
              std::string::npos) << err;
    remove(log_path.c_str());
}

}  // namespace
