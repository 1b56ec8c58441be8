// test_pm_acpi.cc — the root kernel's soft-off discovery (partitions/root/acpi_s5.c) run over the
// tables hvsim builds (sim/acpi.c, docs/ACPI.md): it must find the RSDP by scanning, the PM1a
// control block at ACPI_PM_BASE + ACPI_PM1_CNT_OFF and SLP_TYP = ACPI_PM_SLP_TYP_S5; and refuse
// tables with a bad checksum or no \_S5 without reading outside what it maps.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "devices/acpi_pm.h"
#include "partitions/root/acpi_s5.h"
#include "sim/acpi.h"
#include "sim/bus.h"
}

namespace {

const uint8_t *map_bus(uint64_t pa, uint64_t len, void *ctx)
{
    return bus_ram_ptr((bus *)ctx, pa, len);
}

struct PmAcpi : ::testing::Test {
    bus b{};
    uint64_t rsdp = 0;
    void SetUp() override
    {
        ASSERT_EQ(bus_init(&b, 16u << 20), 0);
        acpi_desc d;
        acpi_desc_pc(&d, 2);
        ASSERT_EQ(acpi_build(&b, &d, &rsdp), 0);
    }
    void TearDown() override { bus_destroy(&b); }
};

}  // namespace

TEST_F(PmAcpi, FindsHvsimSoftOff)
{
    acpi_s5 s;
    char err[96] = "";
    ASSERT_EQ(acpi_s5_find(map_bus, &b, 0, &s, err, sizeof err), 0) << err;
    EXPECT_EQ(s.rsdp, ACPI_AREA_BASE);
    EXPECT_EQ(s.pm1a_cnt, ACPI_PM_BASE + ACPI_PM1_CNT_OFF);
    EXPECT_EQ(s.pm1b_cnt, 0);
    EXPECT_EQ(s.slp_typa, ACPI_PM_SLP_TYP_S5);
    EXPECT_EQ(s.slp_typb, ACPI_PM_SLP_TYP_S5);
    // SLP_TYP 12:10, SLP_EN 13 (ACPI 6.3 4.8.3.2.1)
    EXPECT_EQ(acpi_s5_pm1_value(7), 0x3C00);
    EXPECT_EQ(acpi_s5_pm1_value(5), 0x3400);
    ASSERT_EQ(acpi_s5_find(map_bus, &b, rsdp, &s, err, sizeof err), 0) << err;
}

TEST_F(PmAcpi, RefusesBadTables)
{
    acpi_s5 s;
    char err[96] = "";
    uint8_t *r = bus_ram_ptr(&b, rsdp, 36);
    r[8] ^= 1;                                      // RSDP checksum broken: no RSDP anywhere
    EXPECT_EQ(acpi_s5_find(map_bus, &b, 0, &s, err, sizeof err), -1);
    EXPECT_STREQ(err, "acpi: no valid RSDP");
    r[8] ^= 1;
    // Break the DSDT's _S5_ name: found by its signature through the FADT.
    uint8_t *area = bus_ram_ptr(&b, ACPI_AREA_BASE, ACPI_AREA_END - ACPI_AREA_BASE);
    uint8_t *dsdt = (uint8_t *)memmem(area, ACPI_AREA_END - ACPI_AREA_BASE, "DSDT", 4);
    ASSERT_NE(dsdt, nullptr);
    uint8_t *s5 = (uint8_t *)memmem(dsdt, 64, "_S5_", 4);
    ASSERT_NE(s5, nullptr);
    s5[2] = '4';
    dsdt[9] = (uint8_t)(dsdt[9] + '5' - '4');       // keep the checksum right
    EXPECT_EQ(acpi_s5_find(map_bus, &b, 0, &s, err, sizeof err), -1);
    EXPECT_STREQ(err, "acpi: no \\_S5 package in the DSDT");
    s5[2] = '5';
    EXPECT_EQ(acpi_s5_find(map_bus, &b, 0, &s, err, sizeof err), -1) << "checksum now wrong";
    EXPECT_NE(std::string(err).find("bad DSDT"), std::string::npos) << err;
}
