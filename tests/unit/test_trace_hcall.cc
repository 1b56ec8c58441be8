// test_trace_hcall.cc — hypercall events (traces/tracer_hcall.c): the TLFS input value decoded at
// a VMCALL exit (RCX for a 64-bit caller, EDX:EAX otherwise), paired with the next entry to the
// same VMCS, whose RAX / EDX:EAX is the result value; rep continuation (entry at the VMCALL's RIP)
// and dropped calls. Expected values are composed by hand from the TLFS bit layout
// (../shared/design/HYPERV-REFERENCE.md "Hypercalls": input code 15:0, fast 16, rep count 43:32,
// rep start 59:48; result status 15:0, reps completed 43:32).
#include "tests/unit/test_ops_harness.h"

#include <dirent.h>
#include <unistd.h>

#include <string>
#include <vector>

extern "C" {
#include "cpu/vmx_exit.h"
#include "traces/trace_fmt.h"
#include "traces/trace_names.h"
#include "traces/trace_reader.h"
#include "traces/tracer.h"
}

using namespace opstest;

namespace {

constexpr uint64_t IA32E_GUEST = 1u << 9;          // VM-entry control "IA-32e mode guest"
constexpr uint64_t CS_AR_64 = 0xa09b;              // code, present, L = 1 (bit 13)
constexpr uint64_t CS_AR_32 = 0xc09b;              // code, present, D/B = 1, L = 0
constexpr uint64_t VMCS_A = 0x31000, VMCS_B = 0x32000;

struct Hc {
    uint64_t code, fast, rep_count, rep_start, status, reps_done, latency, completed;
    uint64_t cycles;
    unsigned partition;
};

// A recorder on one processor; exit()/entry() set the architectural state the hooks read.
struct Rec {
    std::string dir;
    tracer tr;
    Machine m;
    bool open = false;

    explicit Rec(uint32_t cats = TRACE_CAT_DEFAULT)
    {
        char t[] = "/tmp/hvsim-hcall-XXXXXX";
        EXPECT_NE(mkdtemp(t), nullptr);
        dir = t;
        char err[256];
        EXPECT_EQ(tracer_open(&tr, dir.c_str(), 1, cats, 2400000000ull, nullptr, nullptr,
                              nullptr, 0, err, sizeof err), 0) << err;
        open = true;
        m.c.trace = &tr;
    }
    ~Rec()
    {
        if (open)
            close();
        if (DIR *dp = opendir(dir.c_str())) {
            while (dirent *de = readdir(dp))
                if (de->d_name[0] != '.')
                    unlink((dir + "/" + de->d_name).c_str());
            closedir(dp);
        }
        rmdir(dir.c_str());
    }
    void mode(bool ia32e, uint64_t cs_ar)
    {
        m.c.vmx.vmcs[VMCS_ENTRY_CONTROLS] = ia32e ? IA32E_GUEST : 0;
        m.c.vmx.vmcs[VMCS_GUEST_CS_AR] = cs_ar;
    }
    // A VM exit with `reason` at cycle `cy`, guest RIP `rip`, of VMCS `vmcs`.
    void exit(uint64_t cy, uint64_t vmcs, uint32_t reason, uint64_t rip)
    {
        m.c.ctr.cycles = cy;
        m.c.vmx.vmcs_ptr = vmcs;
        m.c.vmx.vmcs[VMCS_EXIT_REASON] = reason;
        m.c.vmx.vmcs[VMCS_GUEST_RIP] = rip;
        m.c.vmx.nonroot = false;
        tracer_vm_exit(&tr, &m.c);
    }
    void entry(uint64_t cy, uint64_t vmcs, uint64_t rip, int launch = 0, uint64_t inject = 0)
    {
        m.c.ctr.cycles = cy;
        m.c.vmx.vmcs_ptr = vmcs;
        m.c.vmx.vmcs[VMCS_GUEST_RIP] = rip;
        m.c.vmx.vmcs[VMCS_ENTRY_INTR_INFO] = inject;
        m.c.vmx.nonroot = true;
        tracer_vm_entry(&tr, &m.c, launch);
    }
    void close()
    {
        char err[256];
        m.c.trace = nullptr;
        EXPECT_EQ(tracer_close(&tr, err, sizeof err), 0) << err;
        open = false;
    }
    // Close the trace and read its hypercall events back with the reader.
    std::vector<Hc> calls()
    {
        close();
        std::vector<Hc> out;
        char err[256];
        trace_reader *r = trace_reader_open(dir.c_str(), err, sizeof err);
        EXPECT_NE(r, nullptr) << err;
        if (!r)
            return out;
        trace_event ev;
        while (trace_reader_next(r, &ev) == 1)
            if (ev.id == TEV_HYPERCALL)
                out.push_back({ ev.v[0], ev.v[1], ev.v[2], ev.v[3], ev.v[4], ev.v[5], ev.v[6],
                                ev.v[7], ev.cycles, ev.partition });
        trace_reader_close(r);
        return out;
    }
};

} // namespace

TEST(TraceHcall, DecodersFollowTheTlfsLayout)
{
    // input: code 0x004B, fast, rep count 0xABC, rep start 0x123, variable header 0x3FF and
    // nested (bits 26:17, 31) set to show they do not leak into the other fields
    uint64_t in = 0x004bull | (1ull << 16) | (0x3ffull << 17) | (1ull << 31) | (0xabcull << 32) |
                  (0x123ull << 48);
    EXPECT_EQ(tracer_hc_code(in), 0x4bu);
    EXPECT_EQ(tracer_hc_fast(in), 1u);
    EXPECT_EQ(tracer_hc_rep_count(in), 0xabcu);
    EXPECT_EQ(tracer_hc_rep_start(in), 0x123u);
    EXPECT_EQ(tracer_hc_fast(0xffffull), 0u);
    // result: status 0x000B (INSUFFICIENT_MEMORY), 7 reps completed; bits 31:16, 63:44 ignored
    uint64_t res = 0xbull | (0xffffull << 16) | (7ull << 32) | (0xfffffull << 44);
    EXPECT_EQ(tracer_hc_status(res), 0xbu);
    EXPECT_EQ(tracer_hc_reps_done(res), 7u);
}

TEST(TraceHcall, SlowCall64FromRcxAndRax)
{
    Rec rec;
    rec.mode(true, CS_AR_64);
    rec.m.r(R_RCX) = 0x0046;                    // GetPartitionId, memory form
    rec.m.r(R_RDX) = 0x5000;                    // input GPA
    rec.m.r(R_R8) = 0x6000;                     // output GPA
    rec.m.r(R_RAX) = 0xdeadbeef;                // not the input in 64-bit mode
    rec.exit(10000, VMCS_A, VMX_EXIT_VMCALL, 0x401000);
    rec.m.r(R_RAX) = 0;                         // the hypervisor: HV_STATUS_SUCCESS
    rec.m.r(R_RCX) = 0xffffffffffffffffull;     // the result is not read from RCX
    rec.entry(10750, VMCS_A, 0x401003);
    std::vector<Hc> hc = rec.calls();
    ASSERT_EQ(hc.size(), 1u);
    EXPECT_EQ(hc[0].code, 0x46u);
    EXPECT_EQ(hc[0].fast, 0u);
    EXPECT_EQ(hc[0].rep_count, 0u);
    EXPECT_EQ(hc[0].rep_start, 0u);
    EXPECT_EQ(hc[0].status, 0u);
    EXPECT_EQ(hc[0].reps_done, 0u);
    EXPECT_EQ(hc[0].latency, 750u);             // 10750 - 10000
    EXPECT_EQ(hc[0].completed, 1u);
    EXPECT_EQ(hc[0].cycles, 10750u);            // written at the entry
}

TEST(TraceHcall, FastCall64WithAFailureStatus)
{
    Rec rec;
    rec.mode(true, CS_AR_64);
    rec.m.r(R_RCX) = 0x005d | (1ull << 16);     // SignalEvent, fast
    rec.exit(200, VMCS_A, VMX_EXIT_VMCALL, 0x2000);
    rec.m.r(R_RAX) = 0x0012;                    // HV_STATUS_INVALID_CONNECTION_ID
    rec.entry(260, VMCS_A, 0x2003);
    std::vector<Hc> hc = rec.calls();
    ASSERT_EQ(hc.size(), 1u);
    EXPECT_EQ(hc[0].code, 0x5du);
    EXPECT_EQ(hc[0].fast, 1u);
    EXPECT_EQ(hc[0].status, 0x12u);
    EXPECT_EQ(hc[0].latency, 60u);
    EXPECT_EQ(hc[0].completed, 1u);
}

TEST(TraceHcall, RepCallWithStartIndex)
{
    Rec rec;
    rec.mode(true, CS_AR_64);
    // FlushVirtualAddressList, 6 reps starting at element 2
    rec.m.r(R_RCX) = 0x0003 | (6ull << 32) | (2ull << 48);
    rec.exit(1000, VMCS_A, VMX_EXIT_VMCALL, 0x3000);
    rec.m.r(R_RAX) = 6ull << 32;                // success, reps completed 6
    rec.entry(1400, VMCS_A, 0x3003);
    std::vector<Hc> hc = rec.calls();
    ASSERT_EQ(hc.size(), 1u);
    EXPECT_EQ(hc[0].code, 3u);
    EXPECT_EQ(hc[0].rep_count, 6u);
    EXPECT_EQ(hc[0].rep_start, 2u);
    EXPECT_EQ(hc[0].status, 0u);
    EXPECT_EQ(hc[0].reps_done, 6u);
    EXPECT_EQ(hc[0].latency, 400u);
    EXPECT_EQ(hc[0].completed, 1u);
}

TEST(TraceHcall, Legacy32BitCallerUsesEdxEax)
{
    Rec rec;
    rec.mode(false, CS_AR_32);                  // 32-bit protected-mode guest
    rec.m.r(R_RDX) = 0xaaaaaaaa00000004ull;     // bits 63:32 of RDX are not part of EDX
    rec.m.r(R_RAX) = 0x5555555500010048ull;     // DepositMemory, fast bit 16 set
    rec.m.r(R_RCX) = 0x0002;                    // RCX is the input GPA (low) in 32-bit mode
    rec.exit(500, VMCS_A, VMX_EXIT_VMCALL, 0x7000);
    rec.m.r(R_RDX) = 3;                         // reps completed 3 (result bits 43:32)
    rec.m.r(R_RAX) = 0x000b;                    // HV_STATUS_INSUFFICIENT_MEMORY
    rec.entry(530, VMCS_A, 0x7003);
    // compatibility mode (IA-32e mode guest, CS.L = 0) is a 32-bit caller too
    rec.mode(true, CS_AR_32);
    rec.m.r(R_RDX) = 0;
    rec.m.r(R_RAX) = 0x0002;
    rec.m.r(R_RCX) = 0x0046;
    rec.exit(600, VMCS_A, VMX_EXIT_VMCALL, 0x7100);
    rec.m.r(R_RDX) = 0;
    rec.m.r(R_RAX) = 0;
    rec.entry(700, VMCS_A, 0x7103);
    std::vector<Hc> hc = rec.calls();
    ASSERT_EQ(hc.size(), 2u);
    EXPECT_EQ(hc[0].code, 0x48u);
    EXPECT_EQ(hc[0].fast, 1u);
    EXPECT_EQ(hc[0].rep_count, 4u);
    EXPECT_EQ(hc[0].status, 0xbu);
    EXPECT_EQ(hc[0].reps_done, 3u);
    EXPECT_EQ(hc[0].latency, 30u);
    EXPECT_EQ(hc[1].code, 2u);                  // EAX, not RCX
    EXPECT_EQ(hc[1].latency, 100u);
}

TEST(TraceHcall, RepContinuationThenCompletion)
{
    Rec rec;
    rec.mode(true, CS_AR_64);
    uint64_t in = 0x0048 | (8ull << 32);        // DepositMemory, 8 reps from 0
    rec.m.r(R_RCX) = in;
    rec.exit(1000, VMCS_A, VMX_EXIT_VMCALL, 0x5000);
    // the hypervisor did 3 reps: RIP unchanged, rep start index 3 in the input value
    rec.m.r(R_RCX) = in | (3ull << 48);
    rec.m.r(R_RAX) = 0x1234;                    // garbage: no result value on a continuation
    rec.entry(1100, VMCS_A, 0x5000);
    // the guest re-issues the call
    rec.exit(1150, VMCS_A, VMX_EXIT_VMCALL, 0x5000);
    rec.m.r(R_RAX) = 8ull << 32;                // success, 8 reps completed
    rec.entry(1300, VMCS_A, 0x5003);
    std::vector<Hc> hc = rec.calls();
    ASSERT_EQ(hc.size(), 2u);
    EXPECT_EQ(hc[0].code, 0x48u);
    EXPECT_EQ(hc[0].rep_count, 8u);
    EXPECT_EQ(hc[0].rep_start, 0u);
    EXPECT_EQ(hc[0].completed, 0u);
    EXPECT_EQ(hc[0].status, 0u);
    EXPECT_EQ(hc[0].reps_done, 3u);             // from the new rep start index
    EXPECT_EQ(hc[0].latency, 100u);
    EXPECT_EQ(hc[1].rep_count, 8u);
    EXPECT_EQ(hc[1].rep_start, 3u);
    EXPECT_EQ(hc[1].completed, 1u);
    EXPECT_EQ(hc[1].reps_done, 8u);
    EXPECT_EQ(hc[1].latency, 150u);
}

TEST(TraceHcall, ReturnPairsWithItsOwnVmcsWhateverRanBetween)
{
    Rec rec;
    rec.mode(true, CS_AR_64);
    // VMCS A calls GetPartitionId (0x46); the hypervisor runs VMCS B (which makes a call of its
    // own, 0x5c, returned at once) before resuming A: A's return still pairs with A's call
    rec.m.r(R_RCX) = 0x0046;
    rec.exit(100, VMCS_A, VMX_EXIT_VMCALL, 0x1000);
    rec.m.r(R_RCX) = 0x005c;
    rec.m.r(R_RAX) = 0x11;                      // B's result: status 0x11
    rec.entry(200, VMCS_B, 0x9000);
    rec.exit(300, VMCS_B, VMX_EXIT_VMCALL, 0x9000);
    rec.entry(350, VMCS_B, 0x9003);
    rec.m.r(R_RAX) = 0;                         // A's result: success
    rec.entry(400, VMCS_A, 0x1003);
    std::vector<Hc> hc = rec.calls();
    ASSERT_EQ(hc.size(), 2u);
    EXPECT_EQ(hc[0].code, 0x5cu);               // B's call returned first
    EXPECT_EQ(hc[0].status, 0x11u);
    EXPECT_EQ(hc[0].latency, 50u);
    EXPECT_EQ(hc[1].code, 0x46u);
    EXPECT_EQ(hc[1].status, 0u);
    EXPECT_EQ(hc[1].latency, 300u);
}

TEST(TraceHcall, LaunchOrInjectedEventDropsThePendingCall)
{
    Rec rec;
    rec.mode(true, CS_AR_64);
    rec.m.r(R_RCX) = 0x0002;
    // VMLAUNCH (the VMCS was cleared since the call) drops it
    rec.exit(500, VMCS_A, VMX_EXIT_VMCALL, 0x1003);
    rec.entry(600, VMCS_A, 0x1006, 1);
    // an entry that keeps RIP to inject #UD (hardware exception, vector 6) is no return
    rec.exit(700, VMCS_A, VMX_EXIT_VMCALL, 0x1006);
    rec.entry(800, VMCS_A, 0x1006, 0, (1u << 31) | (3u << 8) | 6);
    rec.entry(900, VMCS_A, 0x1009);             // and nothing is left for a later entry
    std::vector<Hc> hc = rec.calls();
    EXPECT_EQ(hc.size(), 0u);
}

TEST(TraceHcall, OnlyVmcallExitsAndOnlyWithTheHcallCategory)
{
    {
        Rec rec;
        rec.mode(true, CS_AR_64);
        rec.m.r(R_RCX) = 0x0002;
        rec.exit(100, VMCS_A, VMX_EXIT_CPUID, 0x1000);     // not a hypercall
        rec.entry(200, VMCS_A, 0x1002);
        rec.exit(300, VMCS_A, VMX_EXIT_VMCALL | VMX_EXIT_REASON_ENTRY_FAIL, 0x1002);
        rec.entry(400, VMCS_A, 0x1005);
        EXPECT_EQ(rec.calls().size(), 0u);
    }
    {
        Rec rec(TRACE_CAT_VMX);                 // hcall off: vm_exit/vm_entry only
        rec.mode(true, CS_AR_64);
        rec.m.r(R_RCX) = 0x0002;
        rec.exit(100, VMCS_A, VMX_EXIT_VMCALL, 0x1000);
        rec.entry(200, VMCS_A, 0x1003);
        EXPECT_EQ(rec.calls().size(), 0u);
    }
}

// Names from the TLFS "Hypercall Reference" and "Hypercall Status Codes" tables.
TEST(TraceHcallNames, CallCodesAndStatuses)
{
    EXPECT_STREQ(trace_hcall_name(0x0002), "HvCallFlushVirtualAddressSpace");
    EXPECT_STREQ(trace_hcall_name(0x0003), "HvCallFlushVirtualAddressList");
    EXPECT_STREQ(trace_hcall_name(0x0046), "HvCallGetPartitionId");
    EXPECT_STREQ(trace_hcall_name(0x005c), "HvCallPostMessage");
    EXPECT_STREQ(trace_hcall_name(0x0001), "HvCallSwitchVirtualAddressSpace");   // first
    EXPECT_STREQ(trace_hcall_name(0x8001), "HvExtCallQueryCapabilities");        // last
    EXPECT_EQ(trace_hcall_name(0x0000), nullptr);
    EXPECT_EQ(trace_hcall_name(0x0007), nullptr);        // reserved
    EXPECT_EQ(trace_hcall_name(0xffff), nullptr);
    EXPECT_STREQ(trace_hv_status_name(0), "HV_STATUS_SUCCESS");
    EXPECT_STREQ(trace_hv_status_name(2), "HV_STATUS_INVALID_HYPERCALL_CODE");
    EXPECT_STREQ(trace_hv_status_name(0x0b), "HV_STATUS_INSUFFICIENT_MEMORY");
    EXPECT_EQ(trace_hv_status_name(1), nullptr);
    EXPECT_EQ(trace_hv_status_name(0xffff), nullptr);
}
