// test_devices.cc — devices/debugexit.c and devices/debugcon.c through the port bus.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "devices/debugcon.h"
#include "devices/debugexit.h"
#include "sim/bus.h"

namespace {

class DevicesTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(bus_init(&b, 1 << 20), 0); }
    void TearDown() override { bus_destroy(&b); }
    bus b;
};

void count_stop(void *opaque)
{
    ++*static_cast<int *>(opaque);
}

TEST_F(DevicesTest, DebugExitRecordsValueAndRequestsStop)
{
    debugexit d;
    int stops = 0;
    ASSERT_EQ(debugexit_init(&d, &b, DEBUGEXIT_PORT, count_stop, &stops), 0);
    EXPECT_FALSE(d.fired);
    bus_out(&b, 0xf4, 0x21, 1);
    EXPECT_TRUE(d.fired);
    EXPECT_EQ(d.value, 0x21u);
    EXPECT_EQ(stops, 1);
    EXPECT_EQ(debugexit_status(&d), (0x21 << 1) | 1);   // QEMU isa-debug-exit convention
}

TEST_F(DevicesTest, DebugExitZeroGivesStatusOne)
{
    debugexit d;
    ASSERT_EQ(debugexit_init(&d, &b, DEBUGEXIT_PORT, nullptr, nullptr), 0);
    bus_out(&b, 0xf4, 0, 4);
    EXPECT_EQ(debugexit_status(&d), 1);
}

TEST_F(DevicesTest, DebugExitFirstWriteWins)
{
    debugexit d;
    int stops = 0;
    ASSERT_EQ(debugexit_init(&d, &b, DEBUGEXIT_PORT, count_stop, &stops), 0);
    bus_out(&b, 0xf4, 3, 1);
    bus_out(&b, 0xf4, 5, 1);
    EXPECT_EQ(d.value, 3u);
    EXPECT_EQ(stops, 1);
}

TEST_F(DevicesTest, DebugExitCoversFourPortsAndTruncatesToWidth)
{
    debugexit d;
    ASSERT_EQ(debugexit_init(&d, &b, DEBUGEXIT_PORT, nullptr, nullptr), 0);
    bus_out(&b, 0xf7, 0x1ff, 1);   // last port of the range, byte-wide access
    EXPECT_TRUE(d.fired);
    EXPECT_EQ(d.value, 0xffu);
    EXPECT_EQ(bus_in(&b, 0xf4, 1), 0u);
    EXPECT_EQ(b.unclaimed, 0u);
    EXPECT_EQ(debugexit_init(&d, &b, DEBUGEXIT_PORT, nullptr, nullptr), -1);  // already mapped
}

TEST_F(DevicesTest, DebugconWritesBytesInOrder)
{
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT_NE(f, nullptr);
    debugcon d;
    ASSERT_EQ(debugcon_init(&d, &b, DEBUGCON_PORT, f), 0);
    for (const char *p = "PASS ok\n"; *p; p++)
        bus_out(&b, 0xe9, (uint8_t)*p, 1);
    bus_out(&b, 0xe9, 0x4241, 2);   // wider write: only the low byte is emitted
    fclose(f);
    EXPECT_EQ(std::string(buf, len), "PASS ok\nA");
    EXPECT_EQ(d.bytes, 9u);
    free(buf);
}

TEST_F(DevicesTest, DebugconReadsBackE9)
{
    debugcon d;
    ASSERT_EQ(debugcon_init(&d, &b, DEBUGCON_PORT, nullptr), 0);
    EXPECT_EQ(bus_in(&b, 0xe9, 1), 0xe9u);
    bus_out(&b, 0xe9, 'x', 1);   // NULL stream: discarded, still counted
    EXPECT_EQ(d.bytes, 1u);
}

} // namespace
