// test_hv_synic.cc — the hypervisor CPUID leaves (hv/synic/cpuid.c) and the synthetic MSRs
// (hv/synic/msr.c) against the TLFS: signature and interface, privilege masks, limits,
// GUEST_OS_ID / HYPERCALL (page contents 0F 01 C1 C3), VP_INDEX, TIME_REF_COUNT, the reference
// TSC page, privilege-gated access and #GP for unknown MSRs, SynIC register storage.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

class HvSynic : public ::testing::Test {
protected:
    void SetUp() override { hvf_reset(); }
    struct hv_vp *vp() { return hvf_root_vp(); }
    void cpuid(uint32_t leaf, uint32_t out[4], struct hv_vp *v = nullptr)
    {
        ASSERT_EQ(synic_cpuid(v ? v : vp(), leaf, 0, out), 1);
    }
    uint64_t rd(uint32_t msr, int expect = 0)
    {
        uint64_t v = 0xDEAD;
        EXPECT_EQ(synic_rdmsr(vp(), msr, &v), expect) << std::hex << msr;
        return v;
    }
    int wr(uint32_t msr, uint64_t v) { return synic_wrmsr(vp(), msr, v); }
};

TEST_F(HvSynic, CpuidSignatureAndInterface)
{
    uint32_t r[4];
    cpuid(0x40000000, r);
    EXPECT_EQ(r[0], 0x40000006u);
    char sig[13] = {};
    std::memcpy(sig, &r[1], 4);
    std::memcpy(sig + 4, &r[2], 4);
    std::memcpy(sig + 8, &r[3], 4);
    EXPECT_STREQ(sig, "Microsoft Hv");
    cpuid(0x40000001, r);
    EXPECT_EQ(std::memcmp(&r[0], "Hv#1", 4), 0);
    EXPECT_EQ(r[1] | r[2] | r[3], 0u);
}

TEST_F(HvSynic, CpuidPrivilegesPerPartition)
{
    uint32_t r[4];
    cpuid(0x40000003, r);
    // EAX: TimeRefCount 1, SynIC 2, SynTimers 3, AccessApicMsrs 4, hypercall MSRs 5, VP index
    // 6, reference TSC 9, frequency MSRs 11
    EXPECT_EQ(r[0], 0xA7Eu);
    // EBX: CreatePartitions 0, AccessPartitionId 1, AccessMemoryPool 2, PostMessages 4,
    // SignalEvents 5, CreatePort 6, ConnectPort 7, CpuManagement 12
    EXPECT_EQ(r[1], 0x10F7u);
    // EDX: bit 19, synthetic timers in direct mode; bit 8, frequency MSRs available (TLFS 2.4.4
    // feature identification)
    EXPECT_EQ(r[3], (1u << 19) | (1u << 8));
    uint64_t id = hvf_make_child("c", 16);
    struct hv_input_create_vp in;
    std::memset(&in, 0, sizeof(in));
    in.partition_id = id;
    ASSERT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_CREATE_VP, 0, 0, 0), &in, sizeof(in)),
              (uint64_t)HV_STATUS_SUCCESS);
    cpuid(0x40000003, r, hv_part_get(id)->vp[0]);
    EXPECT_EQ(r[0], 0xA7Eu);
    EXPECT_EQ(r[1], 0xB2u);      // AccessPartitionId, PostMessages, SignalEvents, ConnectPort
    EXPECT_FALSE((r[1] & 1) && (r[1] & (1u << 12)));
}

TEST_F(HvSynic, CpuidOtherLeaves)
{
    uint32_t r[4];
    cpuid(0x40000002, r);
    EXPECT_EQ(r[1], 0x00010000u);       // version 1.0
    cpuid(0x40000004, r);
    EXPECT_EQ(r[0], (1u << 9) | (1u << 3));   // AutoEOI deprecated, use the APIC MSRs
    EXPECT_EQ(r[1], 0xFFFFFFFFu);       // never notify long spin waits
    cpuid(0x40000005, r);
    EXPECT_EQ(r[0], (uint32_t)HV_MAX_VPS);
    EXPECT_EQ(r[1], (uint32_t)HV_MAX_LPS);
    cpuid(0x40000006, r);
    EXPECT_EQ(r[0], (1u << 1) | (1u << 3));   // MSR bitmaps, SLAT
    cpuid(0x40000080, r);
    EXPECT_EQ(r[0] | r[1] | r[2] | r[3], 0u);
    uint32_t o[4];
    EXPECT_EQ(synic_cpuid(vp(), 0x3FFFFFFF, 0, o), 0);
    EXPECT_EQ(synic_cpuid(vp(), 0x40000100, 0, o), 0);
    EXPECT_EQ(synic_cpuid(vp(), 1, 0, o), 0);
}

TEST_F(HvSynic, HypercallPageNeedsGuestOsId)
{
    const uint64_t page = 0x500000;
    std::memset(hvf_ptr(page), 0xCC, 16);
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, page | 1), 0);
    EXPECT_EQ(rd(HV_X64_MSR_HYPERCALL), page);             // enable reads back 0
    EXPECT_EQ(((uint8_t *)hvf_ptr(page))[0], 0xCC);         // nothing written
    EXPECT_EQ(wr(HV_X64_MSR_GUEST_OS_ID, 0x8100000000000000ull), 0);
    EXPECT_EQ(rd(HV_X64_MSR_GUEST_OS_ID), 0x8100000000000000ull);
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, page | 1), 0);
    EXPECT_EQ(rd(HV_X64_MSR_HYPERCALL), page | 1);
    const uint8_t code[] = { 0x0F, 0x01, 0xC1, 0xC3 };    // VMCALL; RET
    EXPECT_EQ(std::memcmp(hvf_ptr(page), code, 4), 0);
    EXPECT_EQ(((uint8_t *)hvf_ptr(page))[4], 0xCC);
    // clearing the OS ID disables the page
    EXPECT_EQ(wr(HV_X64_MSR_GUEST_OS_ID, 0), 0);
    EXPECT_EQ(rd(HV_X64_MSR_HYPERCALL), page);
}

TEST_F(HvSynic, HypercallMsrRejectsBadPagesAndReservedBits)
{
    EXPECT_EQ(wr(HV_X64_MSR_GUEST_OS_ID, 1), 0);
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, HVF_RAM_END | 1), -1);     // not mapped
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, HVF_POOL_BASE | 1), -1);   // hypervisor memory
    ASSERT_EQ(ept_map(&hvf_root()->ept, 0x600000, 0x600000, EPT_R | EPT_X), 0);
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, 0x600000 | 1), -1);        // read-only
    ASSERT_EQ(ept_map(&hvf_root()->ept, 0x700000, HVF_POOL_END, EPT_R | EPT_W), 0);
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, 0x700000 | 1), -1);        // device MMIO, not RAM
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, 0x500000 | 0x4), -1);      // reserved bit 2
    EXPECT_EQ(rd(HV_X64_MSR_HYPERCALL), 0u);
}

TEST_F(HvSynic, LockedHypercallMsrIgnoresWrites)
{
    EXPECT_EQ(wr(HV_X64_MSR_GUEST_OS_ID, 1), 0);
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, 0x500000 | 3), 0);
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, 0x501000 | 1), 0);
    EXPECT_EQ(rd(HV_X64_MSR_HYPERCALL), 0x500000u | 3);
}

TEST_F(HvSynic, PageMsrsWaitForTheHypercallLock)
{
    // the hypercall and reference TSC page writes are ordered with DepositMemory by the
    // hypercall lock: while another LP holds it the write changes nothing and asks for the
    // instruction to run again
    const uint64_t page = 0x500000;
    std::memset(hvf_ptr(page), 0xCC, 16);
    EXPECT_EQ(wr(HV_X64_MSR_GUEST_OS_ID, 1), 0);
    ASSERT_TRUE(hc_lock_try());
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, page | 1), SYNIC_MSR_RETRY);
    EXPECT_EQ(wr(HV_X64_MSR_REFERENCE_TSC, 0x501000 | 1), SYNIC_MSR_RETRY);
    EXPECT_EQ(rd(HV_X64_MSR_HYPERCALL), 0u);
    EXPECT_EQ(rd(HV_X64_MSR_REFERENCE_TSC), 0u);
    EXPECT_EQ(((uint8_t *)hvf_ptr(page))[0], 0xCC);
    hc_lock_release();
    EXPECT_EQ(wr(HV_X64_MSR_HYPERCALL, page | 1), 0);
    EXPECT_EQ(rd(HV_X64_MSR_HYPERCALL), page | 1);
    EXPECT_EQ(((uint8_t *)hvf_ptr(page))[0], 0x0F);
    EXPECT_TRUE(hc_lock_try());                           // released again after the write
    hc_lock_release();
}

TEST_F(HvSynic, VpIndexIsReadOnly)
{
    EXPECT_EQ(rd(HV_X64_MSR_VP_INDEX), 0u);
    EXPECT_EQ(wr(HV_X64_MSR_VP_INDEX, 5), -1);
    uint64_t v = 0;
    EXPECT_EQ(synic_rdmsr(hvf_root()->vp[1], HV_X64_MSR_VP_INDEX, &v), 0);
    EXPECT_EQ(v, 1u);
}

TEST_F(HvSynic, TimeRefCountTicksAt100ns)
{
    hvf_tsc_hz = 2500000000ull;                      // 2.5 GHz: 250 TSC ticks per 100 ns
    hvf_tsc = 5000000000ull;                         // 2 s
    EXPECT_EQ(rd(HV_X64_MSR_TIME_REF_COUNT), 20000000u);
    hvf_tsc = 3 * 2500000000ull + 250 + 249;         // 3 s + 100 ns + less than one tick
    EXPECT_EQ(rd(HV_X64_MSR_TIME_REF_COUNT), 30000001u);
    hvf_tsc = 1ull << 62;                            // no overflow: 2^62 / 250 = 18446744073709551
    EXPECT_EQ(rd(HV_X64_MSR_TIME_REF_COUNT), 18446744073709551ull);
    EXPECT_EQ(wr(HV_X64_MSR_TIME_REF_COUNT, 0), -1);
}

TEST_F(HvSynic, ReferenceTscPage)
{
    hvf_tsc_hz = 2500000000ull;
    // scale = floor(2^64 * 10^7 / 2.5e9) = floor(2^64 / 250)
    EXPECT_EQ(synic_tsc_scale(2500000000ull), 73786976294838206ull);
    EXPECT_EQ(synic_tsc_scale(10000000ull), 0u);    // 10 MHz: the scale would be 2^64
    const uint64_t page = 0x502000;
    std::memset(hvf_ptr(page), 0xFF, 24);
    EXPECT_EQ(wr(HV_X64_MSR_REFERENCE_TSC, page | 1), 0);
    EXPECT_EQ(rd(HV_X64_MSR_REFERENCE_TSC), page | 1);
    hv_reference_tsc_page pg;
    std::memcpy(&pg, hvf_ptr(page), sizeof(pg));
    EXPECT_EQ((uint32_t)pg.tsc_sequence, 1u);
    EXPECT_EQ((uint64_t)pg.tsc_scale, 73786976294838206ull);
    EXPECT_EQ((int64_t)pg.tsc_offset, 0);
    // the page and the MSR agree: ((tsc * scale) >> 64) + offset
    hvf_tsc = 123456789012ull;
    unsigned __int128 t = (unsigned __int128)hvf_tsc * (uint64_t)pg.tsc_scale;
    uint64_t page_time = (uint64_t)(t >> 64);
    uint64_t msr_time = rd(HV_X64_MSR_TIME_REF_COUNT);
    EXPECT_LE(msr_time - page_time, 1u);
    EXPECT_EQ(wr(HV_X64_MSR_REFERENCE_TSC, page | 2), -1);        // reserved bit 1
    EXPECT_EQ(wr(HV_X64_MSR_REFERENCE_TSC, HVF_RAM_END | 1), -1);  // not mapped
    EXPECT_EQ(wr(HV_X64_MSR_REFERENCE_TSC, 0), 0);                 // disable: always fine
    EXPECT_EQ(rd(HV_X64_MSR_REFERENCE_TSC), 0u);
}

TEST_F(HvSynic, UnknownAndNonSyntheticMsrs)
{
    uint64_t v;
    EXPECT_EQ(synic_rdmsr(vp(), HV_X64_MSR_RESET, &v), -1);
    EXPECT_EQ(synic_wrmsr(vp(), 0x400000FF, 0), -1);
    EXPECT_EQ(synic_rdmsr(vp(), HV_X64_MSR_VP_ASSIST_PAGE, &v), -1);
    EXPECT_EQ(synic_rdmsr(vp(), 0x40000100, &v), 1);
    EXPECT_EQ(synic_rdmsr(vp(), 0x3FFFFFFF, &v), 1);
    EXPECT_EQ(synic_wrmsr(vp(), 0x10, 0), 1);
    EXPECT_EQ(rd(HV_X64_MSR_TSC_FREQUENCY), hvf_tsc_hz);
}

TEST_F(HvSynic, MsrAccessFollowsThePrivilegeMask)
{
    hvf_root()->privileges &= ~(uint64_t)(HV_MSR_HYPERCALL_AVAILABLE | HV_MSR_VP_INDEX_AVAILABLE |
                                          HV_MSR_SYNIC_AVAILABLE);
    uint64_t v;
    EXPECT_EQ(synic_rdmsr(vp(), HV_X64_MSR_GUEST_OS_ID, &v), -1);
    EXPECT_EQ(synic_wrmsr(vp(), HV_X64_MSR_HYPERCALL, 0), -1);
    EXPECT_EQ(synic_rdmsr(vp(), HV_X64_MSR_VP_INDEX, &v), -1);
    EXPECT_EQ(synic_rdmsr(vp(), HV_X64_MSR_SCONTROL, &v), -1);
    EXPECT_EQ(synic_rdmsr(vp(), HV_X64_MSR_TIME_REF_COUNT, &v), 0);
}

TEST_F(HvSynic, SynicRegistersAreStored)
{
    synic_vp_init(vp());
    EXPECT_EQ(rd(HV_X64_MSR_SVERSION), 1u);
    EXPECT_EQ(wr(HV_X64_MSR_SVERSION, 2), -1);
    for (uint32_t i = 0; i < 16; i++)
        EXPECT_EQ(rd(HV_X64_MSR_SINT0 + i), 0x10000u);       // masked after reset
    EXPECT_EQ(wr(HV_X64_MSR_SINT0 + 2, 0x05), -1);            // vector 5 unmasked
    EXPECT_EQ(wr(HV_X64_MSR_SINT0 + 2, 0x10005), 0);          // masked: any vector
    EXPECT_EQ(wr(HV_X64_MSR_SINT0 + 2, 0xF3), 0);
    EXPECT_EQ(rd(HV_X64_MSR_SINT0 + 2), 0xF3u);
    EXPECT_EQ(wr(HV_X64_MSR_SINT0, 1ull << 18), -1);          // reserved (polling) bit
    EXPECT_EQ(wr(HV_X64_MSR_SIMP, 0x503000 | 1), 0);
    EXPECT_EQ(rd(HV_X64_MSR_SIMP), 0x503001u);
    EXPECT_EQ(wr(HV_X64_MSR_SIEFP, 0x504000 | 2), -1);
    EXPECT_EQ(wr(HV_X64_MSR_SCONTROL, 1), 0);
    EXPECT_EQ(rd(HV_X64_MSR_SCONTROL), 1u);
    EXPECT_EQ(wr(HV_X64_MSR_SCONTROL, 3), -1);
    EXPECT_EQ(wr(HV_X64_MSR_EOM, 0), 0);
    EXPECT_EQ(wr(HV_X64_MSR_STIMER0_CONFIG + 2, 0x20001), 0); // STIMER1_CONFIG
    EXPECT_EQ(rd(HV_X64_MSR_STIMER0_CONFIG + 2), 0x20001u);
    EXPECT_EQ(rd(HV_X64_MSR_STIMER0_COUNT), 0u);
    EXPECT_EQ(rd(0x40000086, -1), 0xDEADu);                   // a hole in the SynIC range
}

} // namespace
