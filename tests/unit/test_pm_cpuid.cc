// test_pm_cpuid.cc — the brand string the root answers a `cpuid` child's leaves
// 80000002H-80000004H with (partitions/root/pm_cpuid.c). Expected registers are the ASCII
// bytes of "hvsim child NAME" packed little-endian four per register in the order EAX, EBX,
// ECX, EDX (SDM Vol. 2A CPUID, "Processor Brand String"), written out by hand.
#include <gtest/gtest.h>

extern "C" {
#include "partitions/root/pm_cpuid.h"
}

TEST(PmCpuid, BrandOfAShortName)
{
    uint32_t r[4];
    ASSERT_EQ(pm_cpuid_brand("cp", 0x80000002u, r), 0);
    EXPECT_EQ(r[0], 0x69737668u);   // "hvsi"
    EXPECT_EQ(r[1], 0x6863206Du);   // "m ch"
    EXPECT_EQ(r[2], 0x20646C69u);   // "ild "
    EXPECT_EQ(r[3], 0x00007063u);   // "cp\0\0"
    ASSERT_EQ(pm_cpuid_brand("cp", 0x80000003u, r), 0);
    EXPECT_EQ(r[0] | r[1] | r[2] | r[3], 0u);
    ASSERT_EQ(pm_cpuid_brand("cp", 0x80000004u, r), 0);
    EXPECT_EQ(r[0] | r[1] | r[2] | r[3], 0u);
}

TEST(PmCpuid, LongestNameStaysTerminated)
{
    // 23 characters: bytes 12..34, byte 35 and the rest NUL
    const char *name = "abcdefghijklmnopqrstuvw";
    uint32_t r[4];
    ASSERT_EQ(pm_cpuid_brand(name, 0x80000002u, r), 0);
    EXPECT_EQ(r[3], 0x64636261u);   // "abcd"
    ASSERT_EQ(pm_cpuid_brand(name, 0x80000003u, r), 0);
    EXPECT_EQ(r[0], 0x68676665u);   // "efgh"
    EXPECT_EQ(r[3], 0x74737271u);   // "qrst"
    ASSERT_EQ(pm_cpuid_brand(name, 0x80000004u, r), 0);
    EXPECT_EQ(r[0], 0x00777675u);   // "uvw\0"
    EXPECT_EQ(r[1] | r[2] | r[3], 0u);
}

TEST(PmCpuid, OtherLeavesRefused)
{
    uint32_t r[4] = { 1, 2, 3, 4 };
    EXPECT_EQ(pm_cpuid_brand("x", 0x80000001u, r), -1);
    EXPECT_EQ(pm_cpuid_brand("x", 0x80000005u, r), -1);
    EXPECT_EQ(pm_cpuid_brand("x", 0, r), -1);
    EXPECT_EQ(r[0], 1u);
}
