// test_sysports.cc — port 0x80 (POST code latch) and port 0x92 (System Control Port A): A20
// always reads enabled, bits 7:2 read back, bit 0 requests one reset.
#include <gtest/gtest.h>

#include "devices/sysports.h"
#include "sim/bus.h"

namespace {

TEST(SysPorts, PostCodeAndPort92) {
    bus b{};
    ASSERT_EQ(bus_init(&b, 1 << 20), 0);
    sysports s;
    int resets = 0;
    ASSERT_EQ(sysports_init(&s, &b, [](void *o) { ++*static_cast<int *>(o); }, &resets), 0);
    EXPECT_EQ(bus_in(&b, 0x80, 1), 0xffu);             // nothing written yet
    bus_out(&b, 0x80, 0x55, 1);
    bus_out(&b, 0x80, 0xaa, 1);
    EXPECT_EQ(bus_in(&b, 0x80, 1), 0xaau);
    EXPECT_EQ(s.post_writes, 2u);
    EXPECT_EQ(bus_in(&b, 0x92, 1), 0x02u);             // A20 enabled
    bus_out(&b, 0x92, 0xf0, 1);                        // clears A20: no effect, counted
    EXPECT_EQ(bus_in(&b, 0x92, 1), 0xf2u);
    EXPECT_EQ(s.a20_disable_attempts, 1u);
    EXPECT_EQ(resets, 0);
    bus_out(&b, 0x92, 0x03, 1);                        // fast reset
    bus_out(&b, 0x92, 0x03, 1);                        // a second one is the same request
    EXPECT_EQ(resets, 1);
    EXPECT_TRUE(s.reset_requested);
    EXPECT_EQ(bus_in(&b, 0x92, 1) & 1u, 0u);
    sysports again;
    EXPECT_EQ(sysports_init(&again, &b, nullptr, nullptr), -1);   // ports already taken
    bus_destroy(&b);
}

}  // namespace
