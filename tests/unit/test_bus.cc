// test_bus.cc — sim/bus.c: RAM accesses, unclaimed accesses, MMIO and port dispatch, overlaps.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "sim/bus.h"

namespace {

// A device that records every access and answers reads with a fixed pattern.
struct Recorder {
    struct Access {
        bool write;
        uint64_t offset, value;
        unsigned size;
    };
    std::vector<Access> log;
    uint64_t read_value = 0x1122334455667788ull;
};

uint64_t rec_read(void *opaque, uint64_t offset, unsigned size)
{
    auto *r = static_cast<Recorder *>(opaque);
    r->log.push_back({ false, offset, 0, size });
    return r->read_value;
}

void rec_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    auto *r = static_cast<Recorder *>(opaque);
    r->log.push_back({ true, offset, value, size });
}

const bus_ops rec_ops = { rec_read, rec_write };

class BusTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(bus_init(&b, 1 << 20), 0); }
    void TearDown() override { bus_destroy(&b); }
    bus b;
};

TEST_F(BusTest, RamStartsZeroed)
{
    for (uint64_t pa = 0; pa < (1 << 20); pa += 4096)
        EXPECT_EQ(bus_read(&b, pa, 8), 0u) << "pa " << pa;
}

TEST_F(BusTest, RamIsLittleEndianAtEverySize)
{
    bus_write(&b, 0x1000, 0x0807060504030201ull, 8);
    EXPECT_EQ(bus_read(&b, 0x1000, 1), 0x01u);
    EXPECT_EQ(bus_read(&b, 0x1001, 1), 0x02u);
    EXPECT_EQ(bus_read(&b, 0x1000, 2), 0x0201u);
    EXPECT_EQ(bus_read(&b, 0x1002, 4), 0x06050403u);
    EXPECT_EQ(bus_read(&b, 0x1000, 8), 0x0807060504030201ull);
    EXPECT_EQ(b.ram[0x1007], 0x08);
}

TEST_F(BusTest, NarrowWritesTouchOnlyTheirBytes)
{
    bus_write(&b, 0x2000, ~0ull, 8);
    bus_write(&b, 0x2002, 0xabcd, 2);
    EXPECT_EQ(bus_read(&b, 0x2000, 8), 0xffffffffabcdffffull);
    bus_write(&b, 0x2007, 0x00, 1);
    EXPECT_EQ(bus_read(&b, 0x2000, 8), 0x00ffffffabcdffffull);
}

TEST_F(BusTest, UnalignedAccessAcrossPageBoundary)
{
    bus_write(&b, 0x2ffe, 0xdeadbeef, 4);
    EXPECT_EQ(bus_read(&b, 0x2ffe, 2), 0xbeefu);
    EXPECT_EQ(bus_read(&b, 0x3000, 2), 0xdeadu);
}

TEST_F(BusTest, LastBytesOfRamAreRam)
{
    bus_write(&b, (1 << 20) - 8, 0x0123456789abcdefull, 8);
    EXPECT_EQ(bus_read(&b, (1 << 20) - 8, 8), 0x0123456789abcdefull);
    EXPECT_EQ(b.unclaimed, 0u);
}

TEST_F(BusTest, UnclaimedReadsReturnAllOnesAndAreCounted)
{
    EXPECT_EQ(bus_read(&b, 0x40000000, 1), 0xffu);
    EXPECT_EQ(bus_read(&b, 0x40000000, 2), 0xffffu);
    EXPECT_EQ(bus_read(&b, 0x40000000, 4), 0xffffffffu);
    EXPECT_EQ(bus_read(&b, 0x40000000, 8), ~0ull);
    EXPECT_EQ(b.unclaimed, 4u);
    EXPECT_EQ(b.last_unclaimed, 0x40000000u);
    EXPECT_FALSE(b.last_unclaimed_pio);
}

TEST_F(BusTest, AccessStraddlingEndOfRamIsUnclaimed)
{
    // 8 bytes starting 4 bytes before the end: not entirely RAM, no region: all ones.
    EXPECT_EQ(bus_read(&b, (1 << 20) - 4, 8), ~0ull);
    EXPECT_EQ(b.unclaimed, 1u);
}

TEST_F(BusTest, UnclaimedWritesAreIgnored)
{
    bus_write(&b, 0x50000000, 0x1234, 4);
    EXPECT_EQ(b.unclaimed, 1u);
    EXPECT_EQ(bus_read(&b, 0x50000000, 4), 0xffffffffu);
}

TEST_F(BusTest, UnclaimedPortsReadAllOnes)
{
    EXPECT_EQ(bus_in(&b, 0x80, 1), 0xffu);
    EXPECT_EQ(bus_in(&b, 0x80, 2), 0xffffu);
    EXPECT_EQ(bus_in(&b, 0x80, 4), 0xffffffffu);
    bus_out(&b, 0x81, 0x12, 1);
    EXPECT_EQ(b.unclaimed, 4u);
    EXPECT_EQ(b.last_unclaimed, 0x81u);
    EXPECT_TRUE(b.last_unclaimed_pio);
}

TEST_F(BusTest, MmioDispatchPassesOffsetValueAndSize)
{
    Recorder r;
    ASSERT_EQ(bus_map_mmio(&b, 0xfee00000, 0x1000, &rec_ops, &r, "rec"), 0);
    bus_write(&b, 0xfee000b0, 0xcafe, 4);
    ASSERT_EQ(r.log.size(), 1u);
    EXPECT_TRUE(r.log[0].write);
    EXPECT_EQ(r.log[0].offset, 0xb0u);
    EXPECT_EQ(r.log[0].value, 0xcafeu);
    EXPECT_EQ(r.log[0].size, 4u);
    // Reads are truncated to the access size.
    EXPECT_EQ(bus_read(&b, 0xfee00020, 2), 0x7788u);
    ASSERT_EQ(r.log.size(), 2u);
    EXPECT_FALSE(r.log[1].write);
    EXPECT_EQ(r.log[1].offset, 0x20u);
    EXPECT_EQ(r.log[1].size, 2u);
    EXPECT_EQ(b.unclaimed, 0u);
}

TEST_F(BusTest, MmioWriteValueIsTruncatedToSize)
{
    Recorder r;
    ASSERT_EQ(bus_map_mmio(&b, 0xfec00000, 0x100, &rec_ops, &r, "rec"), 0);
    bus_write(&b, 0xfec00010, 0xffffffff12345678ull, 2);
    ASSERT_EQ(r.log.size(), 1u);
    EXPECT_EQ(r.log[0].value, 0x5678u);
}

TEST_F(BusTest, MmioRegionEndIsExclusive)
{
    Recorder r;
    ASSERT_EQ(bus_map_mmio(&b, 0xfee00000, 0x1000, &rec_ops, &r, "rec"), 0);
    EXPECT_EQ(bus_read(&b, 0xfee01000, 4), 0xffffffffu);   // one past the end: unclaimed
    EXPECT_EQ(r.log.size(), 0u);
    bus_read(&b, 0xfee00fff, 1);
    EXPECT_EQ(r.log.size(), 1u);
}

TEST_F(BusTest, PortDispatchPassesOffsetWithinRange)
{
    Recorder r;
    r.read_value = 0xa5a5a5a5;
    ASSERT_EQ(bus_map_pio(&b, 0x3f8, 8, &rec_ops, &r, "uart"), 0);
    bus_out(&b, 0x3fb, 0x83, 1);
    EXPECT_EQ(bus_in(&b, 0x3fd, 1), 0xa5u);
    ASSERT_EQ(r.log.size(), 2u);
    EXPECT_TRUE(r.log[0].write);
    EXPECT_EQ(r.log[0].offset, 3u);
    EXPECT_EQ(r.log[0].value, 0x83u);
    EXPECT_EQ(r.log[1].offset, 5u);
    EXPECT_EQ(bus_in(&b, 0x400, 1), 0xffu);   // just past the range
    EXPECT_EQ(r.log.size(), 2u);
}

TEST_F(BusTest, TwoPortDevicesDispatchIndependently)
{
    Recorder a, c;
    ASSERT_EQ(bus_map_pio(&b, 0x60, 1, &rec_ops, &a, "a"), 0);
    ASSERT_EQ(bus_map_pio(&b, 0x20, 2, &rec_ops, &c, "c"), 0);
    bus_out(&b, 0x21, 0xff, 1);
    bus_out(&b, 0x60, 0x01, 1);
    ASSERT_EQ(a.log.size(), 1u);
    ASSERT_EQ(c.log.size(), 1u);
    EXPECT_EQ(a.log[0].value, 1u);
    EXPECT_EQ(c.log[0].offset, 1u);
}

TEST_F(BusTest, OverlappingRegionsAreRefused)
{
    Recorder r;
    ASSERT_EQ(bus_map_mmio(&b, 0xfee00000, 0x1000, &rec_ops, &r, "a"), 0);
    EXPECT_EQ(bus_map_mmio(&b, 0xfee00800, 0x1000, &rec_ops, &r, "b"), -1);  // tail overlap
    EXPECT_EQ(bus_map_mmio(&b, 0xfedff000, 0x1001, &rec_ops, &r, "c"), -1);  // head overlap
    EXPECT_EQ(bus_map_mmio(&b, 0xfee00100, 0x10, &rec_ops, &r, "d"), -1);    // inside
    EXPECT_EQ(bus_map_mmio(&b, 0xfee01000, 0x1000, &rec_ops, &r, "e"), 0);   // adjacent is fine
    EXPECT_EQ(bus_map_mmio(&b, 0xfedff000, 0x1000, &rec_ops, &r, "f"), 0);   // adjacent below
    EXPECT_EQ(b.n_mmio, 3);
}

TEST_F(BusTest, MmioOverlappingRamIsRefused)
{
    Recorder r;
    EXPECT_EQ(bus_map_mmio(&b, 0xff000, 0x2000, &rec_ops, &r, "ram-tail"), -1);
    EXPECT_EQ(bus_map_mmio(&b, 0x0, 0x1000, &rec_ops, &r, "low"), -1);
    EXPECT_EQ(bus_map_mmio(&b, 1 << 20, 0x1000, &rec_ops, &r, "after-ram"), 0);
}

TEST_F(BusTest, OverlappingPortsAreRefused)
{
    Recorder r;
    ASSERT_EQ(bus_map_pio(&b, 0xf4, 4, &rec_ops, &r, "exit"), 0);
    EXPECT_EQ(bus_map_pio(&b, 0xf7, 1, &rec_ops, &r, "x"), -1);
    EXPECT_EQ(bus_map_pio(&b, 0xf0, 5, &rec_ops, &r, "y"), -1);
    EXPECT_EQ(bus_map_pio(&b, 0xf8, 1, &rec_ops, &r, "z"), 0);
}

TEST_F(BusTest, PortRangePastFfffIsRefused)
{
    Recorder r;
    EXPECT_EQ(bus_map_pio(&b, 0xfffe, 4, &rec_ops, &r, "wrap"), -1);
    EXPECT_EQ(bus_map_pio(&b, 0xfffc, 4, &rec_ops, &r, "top"), 0);
}

TEST_F(BusTest, ZeroSizedRegionIsRefused)
{
    Recorder r;
    EXPECT_EQ(bus_map_mmio(&b, 0xfee00000, 0, &rec_ops, &r, "empty"), -1);
}

TEST_F(BusTest, CopyToAndFromRamChecksBounds)
{
    const char msg[] = "hello, bus";
    EXPECT_EQ(bus_copy_to(&b, 0x3000, msg, sizeof msg), 0);
    char back[sizeof msg] = {};
    EXPECT_EQ(bus_copy_from(&b, 0x3000, back, sizeof back), 0);
    EXPECT_STREQ(back, msg);
    EXPECT_EQ(bus_copy_to(&b, (1 << 20) - 4, msg, 8), -1);
    EXPECT_EQ(bus_copy_from(&b, (1 << 20) + 4, back, 1), -1);
    EXPECT_EQ(bus_read(&b, (1 << 20) - 4, 4), 0u);   // the refused copy wrote nothing
}

struct CodeWrites {
    std::vector<std::pair<uint64_t, uint64_t>> calls;
};

void code_write(void *opaque, uint64_t pa, uint64_t len)
{
    static_cast<CodeWrites *>(opaque)->calls.push_back({ pa, len });
}

TEST_F(BusTest, RamWritesCallTheCodeWriteHook)
{
    CodeWrites cw;
    b.code_write = code_write;
    b.code_write_opaque = &cw;
    bus_write(&b, 0x4000, 1, 4);
    uint8_t buf[100] = {};
    bus_copy_to(&b, 0x5000, buf, sizeof buf);
    bus_read(&b, 0x4000, 4);   // reads do not call it
    ASSERT_EQ(cw.calls.size(), 2u);
    EXPECT_EQ(cw.calls[0], std::make_pair(uint64_t{ 0x4000 }, uint64_t{ 4 }));
    EXPECT_EQ(cw.calls[1], std::make_pair(uint64_t{ 0x5000 }, uint64_t{ 100 }));
}

} // namespace
