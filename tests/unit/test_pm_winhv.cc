// test_pm_winhv.cc — WinHv's call logic (partitions/lib/winhv.c) against a fake hypervisor: the
// TLFS input value of each call (code, fast bit, rep count 43:32, rep start 59:48: TLFS 3.7),
// the input page contents, batching of long rep lists to what fits a page, re-issue after a
// partial completion, INSUFFICIENT_MEMORY -> deposit into the right partition -> retry, output
// elements copied back, and the fast SignalEvent encoding.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <thread>
#include <vector>

extern "C" {
#include "partitions/lib/winhv.h"
void winhv_test_ready(uint64_t self_id);
uint64_t winhv_test_raw(uint64_t input, uint64_t rdx, uint64_t r8);
}

namespace {

struct Call {
    uint64_t input;
    std::vector<uint8_t> in;        // the input page as the hypervisor saw it
    uint64_t rdx, r8;
};

std::vector<Call> calls;
// answer(call index, input value, input page, output page) -> result value
std::function<uint64_t(size_t, uint64_t, const uint8_t *, uint8_t *)> answer;

uint16_t code_of(uint64_t in) { return (uint16_t)(in & 0xFFFF); }
uint32_t reps_of(uint64_t in) { return (uint32_t)((in >> 32) & 0xFFF); }
uint32_t start_of(uint64_t in) { return (uint32_t)((in >> 48) & 0xFFF); }
uint64_t result(uint16_t st, uint32_t done) { return st | (uint64_t)done << 32; }
uint64_t rd64(const std::vector<uint8_t> &b, size_t off)
{
    uint64_t v;
    memcpy(&v, &b[off], 8);
    return v;
}

std::vector<uint64_t> deposits;     // partition ids the callback was asked for
int deposit_fails = 0;
int deposit(uint64_t id, void *)
{
    deposits.push_back(id);
    return deposit_fails ? -1 : 0;
}

struct PmWinhv : ::testing::Test {
    void SetUp() override
    {
        calls.clear();
        deposits.clear();
        deposit_fails = 0;
        answer = [](size_t, uint64_t in, const uint8_t *, uint8_t *) {
            return result(0, reps_of(in));
        };
        winhv_test_ready(1);
        winhv_set_deposit(deposit, nullptr);
    }
};

}  // namespace

uint64_t fake_vp_index;             // what HV_X64_MSR_VP_INDEX reads (winhv_init_vp)
extern "C" uint64_t winhv_test_vp_index(void);
extern "C" uint64_t winhv_test_vp_index(void) { return fake_vp_index; }

extern "C" uint64_t winhv_test_raw(uint64_t input, uint64_t rdx, uint64_t r8)
{
    Call c{ input, {}, rdx, r8 };
    if (!(input & (1ull << 16)))
        c.in.assign((const uint8_t *)(uintptr_t)rdx, (const uint8_t *)(uintptr_t)rdx + 4096);
    calls.push_back(c);
    uint8_t *out = (input & (1ull << 16)) ? nullptr : (uint8_t *)(uintptr_t)r8;
    return answer(calls.size() - 1, input, (const uint8_t *)(uintptr_t)rdx, out);
}

TEST_F(PmWinhv, PlainCallAndPages)
{
    answer = [](size_t, uint64_t, const uint8_t *, uint8_t *out) {
        uint64_t id = 7;
        memcpy(out, &id, 8);
        return result(0, 0);
    };
    uint64_t id = 0;
    EXPECT_EQ(winhv_get_partition_id(&id), HV_STATUS_SUCCESS);
    EXPECT_EQ(id, 7u);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].input, (uint64_t)HVCALL_GET_PARTITION_ID);   // no fast bit, no reps
    EXPECT_EQ(calls[0].rdx % 4096, 0u);                            // page-aligned input page
    EXPECT_EQ(calls[0].r8 % 4096, 0u);
    EXPECT_NE(calls[0].rdx, calls[0].r8);
    // a failing call leaves the output alone
    answer = [](size_t, uint64_t, const uint8_t *, uint8_t *) { return result(6, 0); };
    id = 99;
    EXPECT_EQ(winhv_get_partition_id(&id), HV_STATUS_ACCESS_DENIED);
    EXPECT_EQ(id, 99u);
}

TEST_F(PmWinhv, MapGpaPagesBatches)
{
    std::vector<uint64_t> pfns(600);
    for (size_t k = 0; k < pfns.size(); k++)
        pfns[k] = 0x1000 + k;
    EXPECT_EQ(winhv_map_gpa_pages(5, 0x10, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, pfns.data(),
                                  600),
              HV_STATUS_SUCCESS);
    // header 24 bytes + 8 per page: (4096 - 24) / 8 = 509 pages per call
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(code_of(calls[0].input), HVCALL_MAP_GPA_PAGES);
    EXPECT_EQ(reps_of(calls[0].input), 509u);
    EXPECT_EQ(start_of(calls[0].input), 0u);
    EXPECT_EQ(rd64(calls[0].in, 0), 5u);                 // target partition
    EXPECT_EQ(rd64(calls[0].in, 8), 0x10u);              // target GPA page
    EXPECT_EQ(rd64(calls[0].in, 16), 3u);                // flags R|W, padding 0
    EXPECT_EQ(rd64(calls[0].in, 24), 0x1000u);
    EXPECT_EQ(rd64(calls[0].in, 24 + 508 * 8), 0x1000u + 508);
    EXPECT_EQ(reps_of(calls[1].input), 91u);
    EXPECT_EQ(rd64(calls[1].in, 8), 0x10u + 509);        // the second batch's first page
    EXPECT_EQ(rd64(calls[1].in, 24), 0x1000u + 509);
}

TEST_F(PmWinhv, PartialCompletionIsReissued)
{
    answer = [](size_t n, uint64_t in, const uint8_t *, uint8_t *) {
        return n == 0 ? result(0, 3) : result(0, reps_of(in));
    };
    uint64_t pfns[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    EXPECT_EQ(winhv_deposit_memory(4, pfns, 10), HV_STATUS_SUCCESS);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(reps_of(calls[1].input), 10u);
    EXPECT_EQ(start_of(calls[1].input), 3u);             // from the reps completed
    EXPECT_TRUE(deposits.empty());
}

TEST_F(PmWinhv, InsufficientMemoryDepositsAndRetries)
{
    answer = [](size_t n, uint64_t in, const uint8_t *, uint8_t *) {
        return n == 0 ? result(HV_STATUS_INSUFFICIENT_MEMORY, 2) : result(0, reps_of(in));
    };
    uint64_t pfns[5] = { 1, 2, 3, 4, 5 };
    EXPECT_EQ(winhv_map_gpa_pages(9, 0, 1, pfns, 5), HV_STATUS_SUCCESS);
    ASSERT_EQ(deposits.size(), 1u);
    EXPECT_EQ(deposits[0], 9u);                          // the target partition
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(start_of(calls[1].input), 2u);
    // CreatePartition deposits into the caller (self id 1 here)
    calls.clear();
    deposits.clear();
    answer = [](size_t n, uint64_t, const uint8_t *, uint8_t *out) {
        uint64_t id = 2;
        memcpy(out, &id, 8);
        return result(n == 0 ? HV_STATUS_INSUFFICIENT_MEMORY : 0, 0);
    };
    uint64_t id = 0;
    EXPECT_EQ(winhv_create_partition(0, "child1", &id), HV_STATUS_SUCCESS);
    EXPECT_EQ(id, 2u);
    ASSERT_EQ(deposits.size(), 1u);
    EXPECT_EQ(deposits[0], 1u);
    EXPECT_STREQ((const char *)&calls[0].in[24], "child1");   // hvsim's name field
    // a deposit that fails ends the call with INSUFFICIENT_MEMORY; a hypervisor that never has
    // enough memory is given up on after WINHV_DEPOSIT_RETRIES deposits
    calls.clear();
    deposits.clear();
    answer = [](size_t, uint64_t, const uint8_t *, uint8_t *) {
        return result(HV_STATUS_INSUFFICIENT_MEMORY, 0);
    };
    deposit_fails = 1;
    EXPECT_EQ(winhv_create_vp(3, 0), HV_STATUS_INSUFFICIENT_MEMORY);
    EXPECT_EQ(deposits.size(), 1u);
    deposit_fails = 0;
    deposits.clear();
    EXPECT_EQ(winhv_map_gpa_pages(3, 0, 1, pfns, 5), HV_STATUS_INSUFFICIENT_MEMORY);
    EXPECT_EQ(deposits.size(), (size_t)WINHV_DEPOSIT_RETRIES);
}

TEST_F(PmWinhv, GetVpRegistersCopiesOutputs)
{
    answer = [](size_t n, uint64_t in, const uint8_t *, uint8_t *out) {
        uint32_t start = start_of(in), done = n == 0 ? 1 : reps_of(in);
        for (uint32_t k = start; k < done; k++) {
            uint64_t v = 0xAA00 + k;
            memcpy(out + 16 * k, &v, 8);
        }
        return result(0, done);
    };
    uint32_t names[3] = { HV_X64_REGISTER_RIP, HV_X64_REGISTER_RAX, HV_X64_REGISTER_CR0 };
    hv_register_value vals[3];
    memset(vals, 0, sizeof vals);
    EXPECT_EQ(winhv_get_vp_registers(2, 0, names, vals, 3), HV_STATUS_SUCCESS);
    EXPECT_EQ(vals[0].reg64, 0xAA00u);
    EXPECT_EQ(vals[1].reg64, 0xAA01u);
    EXPECT_EQ(vals[2].reg64, 0xAA02u);
    // the names follow the 16-byte header as u32s
    uint32_t n1;
    memcpy(&n1, &calls[0].in[16 + 4], 4);
    EXPECT_EQ(n1, (uint32_t)HV_X64_REGISTER_RAX);
}

TEST_F(PmWinhv, FastAndMessages)
{
    EXPECT_EQ(winhv_signal_event(0x1234, 5), HV_STATUS_SUCCESS);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].input, (uint64_t)HVCALL_SIGNAL_EVENT | 1ull << 16);
    EXPECT_EQ(calls[0].rdx, 0x0000000500001234ull);
    EXPECT_EQ(calls[0].r8, 0u);
    uint8_t payload[241] = { 1, 2, 3 };
    EXPECT_EQ(winhv_post_message(7, 1, payload, 241), HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(calls.size(), 1u);                          // refused before any call
    EXPECT_EQ(winhv_post_message(7, 1, payload, 3), HV_STATUS_SUCCESS);
    EXPECT_EQ(rd64(calls[1].in, 0), 7u);                  // connection id, reserved
    EXPECT_EQ(rd64(calls[1].in, 8), 1u | 3ull << 32);     // message type, payload size
    EXPECT_EQ(calls[1].in[16 + 2], 3);
    EXPECT_STREQ(winhv_status_name(HV_STATUS_INSUFFICIENT_MEMORY), "INSUFFICIENT_MEMORY");
    EXPECT_STREQ(winhv_status_name(0x77), "?");
}

// One input/output page pair per VP (winhv.h "Per-VP pages"): a VP that registered its stack
// calls through its own pages, others through slot 0's; registration reads the VP index once
// and refuses index 0, indexes >= WINHV_MAX_VPS, a taken slot and an empty range.
TEST_F(PmWinhv, PerVpPages)
{
    uint64_t id;
    ASSERT_EQ(winhv_get_partition_id(&id), HV_STATUS_SUCCESS);
    uint64_t in0 = calls.back().rdx, out0 = calls.back().r8;
    EXPECT_EQ(winhv_self_vp(), 0u);
    uint64_t in3 = 0, out3 = 0;
    int k = -2, again = -2;
    uint32_t self3 = 99;
    std::thread vp3([&] {
        char here[64] = { 0 };
        uintptr_t sp = (uintptr_t)here;
        const void *lo = (const void *)(sp - 65536), *hi = (const void *)(sp + sizeof here);
        fake_vp_index = 3;
        k = winhv_init_vp(lo, hi);
        self3 = winhv_self_vp();
        winhv_get_partition_id(&id);
        in3 = calls.back().rdx;
        out3 = calls.back().r8;
        again = winhv_init_vp(lo, hi);
    });
    vp3.join();
    EXPECT_EQ(k, 3);
    EXPECT_EQ(self3, 3u);
    EXPECT_EQ(again, -1);
    EXPECT_EQ(in3 % 4096, 0u);
    EXPECT_EQ(out3 % 4096, 0u);
    for (uint64_t a : { in0, out0 })
        for (uint64_t b : { in3, out3 })
            EXPECT_NE(a, b);
    EXPECT_NE(in3, out3);
    // the main thread's stack is not VP 3's: slot 0 again
    EXPECT_EQ(winhv_self_vp(), 0u);
    winhv_get_partition_id(&id);
    EXPECT_EQ(calls.back().rdx, in0);
    // refusals
    char here[16] = { 0 };
    uintptr_t sp = (uintptr_t)here;
    const void *lo = (const void *)(sp - 4096), *hi = (const void *)(sp + sizeof here);
    fake_vp_index = 0;
    EXPECT_EQ(winhv_init_vp(lo, hi), -1);
    fake_vp_index = WINHV_MAX_VPS;
    EXPECT_EQ(winhv_init_vp(lo, hi), -1);
    fake_vp_index = 5;
    EXPECT_EQ(winhv_init_vp(hi, hi), -1);
    EXPECT_EQ(winhv_self_vp(), 0u);
}

// HvCallSendSyntheticClusterIpi, fast: vector in the first input register (target VTL 0), the
// processor mask in the second (Linux struct hv_send_ipi; TLFS "Virtual interrupts").
TEST_F(PmWinhv, SendIpiFast)
{
    EXPECT_EQ(winhv_send_ipi(0x51, 0x6), HV_STATUS_SUCCESS);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].input, (uint64_t)HVCALL_SEND_IPI | 1ull << 16);
    EXPECT_EQ(calls[0].rdx, 0x51u);
    EXPECT_EQ(calls[0].r8, 0x6u);
}
