// test_hv_port.cc — ports and connections (hv/hcall/hc_port.c, hv/synic/port.c) against TLFS
// 11.11 and the per-call pages (HvCallCreatePort, ConnectPort, DeletePort, DisconnectPort,
// PostMessage, SignalEvent): a child posts to the root through a message port and signals an
// event port; every bad input returns the status the TLFS names; a partition can only use its
// own connections. Input layouts are Linux hvhdk.h's (hv/abi/tlfs.h). Fakes: hv_fakes.h.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

constexpr uint64_t SIMP_GPA = 0x200000, SIEFP_GPA = 0x201000;


struct Child {
    uint64_t id = 0, src = 0;
    struct hv_vp *vp = nullptr;
};

class HvPort : public ::testing::Test {
protected:
    struct hv_vp *root = nullptr;
    Child a, b;
    void SetUp() override
    {
        hvf_reset();
        root = hvf_root_vp();
        synic_vp_init(root);
        ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SIMP, SIMP_GPA | 1), 0);
        ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SIEFP, SIEFP_GPA | 1), 0);
        ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SCONTROL, 1), 0);
        ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SINT0 + 2, 0x52), 0);
        ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SINT0 + 3, 0x53), 0);
        a = child("a");
        b = child("b");
    }
    Child child(const char *name)
    {
        Child c;
        c.id = hvf_make_child(name, 16);
        c.src = hvf_take_pages(2);
        uint64_t in[5] = { c.id, 0, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, c.src >> 12,
                           (c.src >> 12) + 1 };
        EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_MAP_GPA_PAGES, 0, 2, 0), in,
                                sizeof(in)),
                  (uint64_t)HV_STATUS_SUCCESS | (2ull << 32));
        struct hv_input_create_vp cv;
        std::memset(&cv, 0, sizeof(cv));
        cv.partition_id = c.id;
        EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_CREATE_VP, 0, 0, 0), &cv, sizeof(cv)),
                  (uint64_t)HV_STATUS_SUCCESS);
        c.vp = hv_part_get(c.id)->vp[0];
        return c;
    }
    // a memory-form call from a child: input at its GPA 0x1000
    uint64_t child_call(const Child &c, uint16_t code, const void *in, size_t len)
    {
        std::memcpy(hvf_ptr(c.src + 0x1000), in, len);
        uint64_t input = hv_hypercall_input(code, 0, 0, 0);
        return hvf_call(c.vp, &input, 0x1000, 0, nullptr);
    }
    uint64_t root_call(uint16_t code, const void *in, size_t len)
    {
        return hvf_root_call(hv_hypercall_input(code, 0, 0, 0), in, (unsigned)len);
    }
    static struct hv_input_create_port port_in(uint64_t part, uint32_t id, uint32_t type,
                                               uint32_t sint, uint64_t conn_part)
    {
        struct hv_input_create_port in;
        std::memset(&in, 0, sizeof(in));
        in.port_partition_id = part;
        in.port_id = id;
        in.connection_partition_id = conn_part;
        in.port_info.port_type = type;
        in.port_info.message_port_info.target_sint = sint;   // same offsets for events
        in.port_info.message_port_info.target_vp = 0;
        return in;
    }
    static struct hv_input_connect_port conn_in(uint64_t part, uint32_t id, uint64_t port_part,
                                                uint32_t port, uint32_t type)
    {
        struct hv_input_connect_port in;
        std::memset(&in, 0, sizeof(in));
        in.connection_partition_id = part;
        in.connection_id = id;
        in.port_partition_id = port_part;
        in.port_id = port;
        in.connection_info.port_type = type;
        return in;
    }
    static struct hv_input_post_message post_in(uint32_t conn, uint32_t type, uint32_t size)
    {
        struct hv_input_post_message in;
        std::memset(&in, 0, sizeof(in));
        in.connection_id = conn;
        in.message_type = type;
        in.payload_size = size;
        for (unsigned i = 0; i < HV_MESSAGE_PAYLOAD_QWORD_COUNT; i++)
            in.payload[i] = 0x0101010101010101ull * (i + 1);
        return in;
    }
    // the root's message port 5 on SINT 2 for child a, and a's connection 9 to it
    void message_port()
    {
        auto p = port_in(1, 5, HV_PORT_TYPE_MESSAGE, 2, a.id);
        ASSERT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)), (uint64_t)HV_STATUS_SUCCESS);
        auto c = conn_in(a.id, 9, 1, 5, HV_PORT_TYPE_MESSAGE);
        ASSERT_EQ(root_call(HVCALL_CONNECT_PORT, &c, sizeof(c)), (uint64_t)HV_STATUS_SUCCESS);
    }
    uint8_t *slot(unsigned k) { return (uint8_t *)hvf_ptr(SIMP_GPA + 256 * k); }
};

TEST_F(HvPort, InputLayoutsMatchTlfs)
{
    // TLFS HvCallCreatePort: PortInfo at 24, ProximityDomainInfo at 48 (56 bytes);
    // HvCallConnectPort: PortPartition 16, PortId 24, ConnectionInfo 32, proximity 64
    EXPECT_EQ(offsetof(struct hv_input_create_port, connection_partition_id), 16u);
    EXPECT_EQ(offsetof(struct hv_input_create_port, proximity_domain_info), 48u);
    EXPECT_EQ(offsetof(struct hv_input_connect_port, port_partition_id), 16u);
    EXPECT_EQ(offsetof(struct hv_input_connect_port, port_id), 24u);
    EXPECT_EQ(offsetof(struct hv_input_connect_port, proximity_domain_info), 64u);
    EXPECT_EQ(offsetof(struct hv_input_post_message, payload), 16u);
    EXPECT_EQ(offsetof(struct hv_input_signal_event, flag_number), 4u);
}

TEST_F(HvPort, ChildPostsToTheRootsPort)
{
    message_port();
    auto m = post_in(9, 0x1234, 12);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)), (uint64_t)HV_STATUS_SUCCESS);
    uint32_t type;
    uint64_t sender, p0, p1;
    std::memcpy(&type, slot(2), 4);
    std::memcpy(&sender, slot(2) + 8, 8);
    std::memcpy(&p0, slot(2) + 16, 8);
    std::memcpy(&p1, slot(2) + 24, 8);
    EXPECT_EQ(type, 0x1234u);
    EXPECT_EQ(slot(2)[4], 12);
    EXPECT_EQ(sender, 5u);                          // the port id
    EXPECT_EQ(p0, 0x0101010101010101ull);
    EXPECT_EQ(p1, 0x02020202ull);                   // bytes 8..11 only, the rest zero
    EXPECT_EQ(hvf_last_irq_vector, 0x52);
    // the trace annotation (annot_abi.h kind 5): the root (partition 1) VP 0, SINT 2, vector
    // 0x52, not queued; type 0x1234; sender = the port id 5
    EXPECT_EQ(hvf_annot_kind, 5u);
    EXPECT_EQ(hvf_annot_args[0], 1u);
    EXPECT_EQ(hvf_annot_args[1], (uint64_t)root->index | 2ull << 32 | 0x52ull << 40);
    EXPECT_EQ((uint32_t)hvf_annot_args[2], 0x1234u);
    EXPECT_EQ(hvf_annot_args[3], 5u);
    // the slot is busy: the next one waits
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(synic_queued(root), 1u);
}

TEST_F(HvPort, PostMessageBadInputs)
{
    message_port();
    auto m = post_in(9, 0, 8);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);           // type 0
    m = post_in(9, 0x80000001u, 8);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);           // MSB set: hypervisor types
    m = post_in(9, 1, 241);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    m = post_in(9, 1, 8);
    m.reserved = 1;
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    m = post_in(10, 1, 8);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_CONNECTION_ID);
    m = post_in(9 | 0x01000000u, 1, 8);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_CONNECTION_ID);
    EXPECT_EQ(hvf_irq_count, 0u);
}

TEST_F(HvPort, ChildCannotUseAnotherPartitionsConnection)
{
    message_port();
    auto m = post_in(9, 1, 8);
    EXPECT_EQ(child_call(b, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_CONNECTION_ID);
    // nor can it connect itself to a port that names a
    auto c = conn_in(HV_PARTITION_ID_SELF, 9, 1, 5, HV_PORT_TYPE_MESSAGE);
    EXPECT_EQ(child_call(b, HVCALL_CONNECT_PORT, &c, sizeof(c)),
              (uint64_t)HV_STATUS_ACCESS_DENIED);
    // nor name a as the connection's partition
    c = conn_in(a.id, 11, 1, 5, HV_PORT_TYPE_MESSAGE);
    EXPECT_EQ(child_call(b, HVCALL_CONNECT_PORT, &c, sizeof(c)),
              (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    // a child connects itself where the port names it
    c = conn_in(HV_PARTITION_ID_SELF, 12, 1, 5, HV_PORT_TYPE_MESSAGE);
    EXPECT_EQ(child_call(a, HVCALL_CONNECT_PORT, &c, sizeof(c)), (uint64_t)HV_STATUS_SUCCESS);
}

TEST_F(HvPort, PrivilegesAreChecked)
{
    message_port();
    auto p = port_in(HV_PARTITION_ID_SELF, 6, HV_PORT_TYPE_MESSAGE, 2, 0);
    EXPECT_EQ(child_call(a, HVCALL_CREATE_PORT, &p, sizeof(p)),
              (uint64_t)HV_STATUS_ACCESS_DENIED);       // children lack CreatePort
    hv_part_get(a.id)->privileges &= ~HV_PRIV_POST_MESSAGES;
    auto m = post_in(9, 1, 8);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_ACCESS_DENIED);
}

TEST_F(HvPort, CreatePortBadInputs)
{
    auto p = port_in(1, 5, HV_PORT_TYPE_MESSAGE, 0, 0);
    EXPECT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);   // SINT 0 is the intercept SINT
    p = port_in(1, 5, HV_PORT_TYPE_MONITOR, 2, 0);
    EXPECT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    p = port_in(1, 5, HV_PORT_TYPE_MESSAGE, 2, 0);
    p.port_vtl = 1;
    EXPECT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    p = port_in(1, 0x01000005, HV_PORT_TYPE_MESSAGE, 2, 0);
    EXPECT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);   // bits 31:24 of the id
    p = port_in(1, 5, HV_PORT_TYPE_MESSAGE, 2, 0);
    p.port_info.message_port_info.target_vp = 64;
    EXPECT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)),
              (uint64_t)HV_STATUS_INVALID_VP_INDEX);
    p = port_in(99, 5, HV_PORT_TYPE_MESSAGE, 2, 0);
    EXPECT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)),
              (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    p = port_in(1, 5, HV_PORT_TYPE_EVENT, 3, 0);
    p.port_info.event_port_info.base_flag_number = 2040;
    p.port_info.event_port_info.flag_count = 9;        // 2040 + 9 > 2048
    EXPECT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    p = port_in(1, 5, HV_PORT_TYPE_MESSAGE, 2, 0);
    EXPECT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)),
              (uint64_t)HV_STATUS_INVALID_PORT_ID);     // the id is taken
}

TEST_F(HvPort, ConnectPortBadInputs)
{
    auto p = port_in(1, 5, HV_PORT_TYPE_MESSAGE, 2, a.id);
    ASSERT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)), (uint64_t)HV_STATUS_SUCCESS);
    auto c = conn_in(a.id, 9, 1, 6, HV_PORT_TYPE_MESSAGE);
    EXPECT_EQ(root_call(HVCALL_CONNECT_PORT, &c, sizeof(c)), (uint64_t)HV_STATUS_INVALID_PORT_ID);
    c = conn_in(b.id, 9, 1, 5, HV_PORT_TYPE_MESSAGE);
    EXPECT_EQ(root_call(HVCALL_CONNECT_PORT, &c, sizeof(c)), (uint64_t)HV_STATUS_ACCESS_DENIED);
    c = conn_in(a.id, 9, 1, 5, HV_PORT_TYPE_EVENT);
    EXPECT_EQ(root_call(HVCALL_CONNECT_PORT, &c, sizeof(c)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    c = conn_in(a.id, 9, 1, 5, HV_PORT_TYPE_MESSAGE);
    c.rsvdz1 = 1;
    EXPECT_EQ(root_call(HVCALL_CONNECT_PORT, &c, sizeof(c)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    c = conn_in(a.id, 9, 1, 5, HV_PORT_TYPE_MESSAGE);
    EXPECT_EQ(root_call(HVCALL_CONNECT_PORT, &c, sizeof(c)), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(root_call(HVCALL_CONNECT_PORT, &c, sizeof(c)),
              (uint64_t)HV_STATUS_INVALID_CONNECTION_ID);   // the id is taken in a
}

TEST_F(HvPort, SignalEventSetsTheFlagAboveTheBase)
{
    auto p = port_in(1, 7, HV_PORT_TYPE_EVENT, 3, a.id);
    p.port_info.event_port_info.base_flag_number = 10;
    p.port_info.event_port_info.flag_count = 4;
    ASSERT_EQ(root_call(HVCALL_CREATE_PORT, &p, sizeof(p)), (uint64_t)HV_STATUS_SUCCESS);
    auto c = conn_in(a.id, 11, 1, 7, HV_PORT_TYPE_EVENT);
    ASSERT_EQ(root_call(HVCALL_CONNECT_PORT, &c, sizeof(c)), (uint64_t)HV_STATUS_SUCCESS);
    // fast form: RDX = connection id | flag number << 32
    uint64_t input = hv_hypercall_input(HVCALL_SIGNAL_EVENT, 1, 0, 0);
    EXPECT_EQ(hvf_call(a.vp, &input, 11 | (2ull << 32), 0, nullptr), (uint64_t)HV_STATUS_SUCCESS);
    uint32_t w;
    std::memcpy(&w, hvf_ptr(SIEFP_GPA + 3 * 256), 4);
    EXPECT_EQ(w, 1u << 12);                         // base 10 + flag 2
    EXPECT_EQ(hvf_last_irq_vector, 0x53);
    // the trace annotation: partition 1's VP, SINT 3, vector 0x53, flag 12 (annot_abi.h)
    EXPECT_EQ(hvf_annot_kind, 6u);
    EXPECT_EQ(hvf_annot_args[0], 1u);
    EXPECT_EQ(hvf_annot_args[1] >> 32, 3u | 0x53u << 8);
    EXPECT_EQ(hvf_annot_args[2], 12u);
    EXPECT_EQ(hvf_call(a.vp, &input, 11 | (4ull << 32), 0, nullptr),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);    // flag count 4
    EXPECT_EQ(hvf_call(a.vp, &input, 11 | (1ull << 48), 0, nullptr),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);    // RsvdZ
    EXPECT_EQ(hvf_call(b.vp, &input, 11, 0, nullptr), (uint64_t)HV_STATUS_INVALID_CONNECTION_ID);
    // a message connection is not an event port, and the reverse
    message_port();
    EXPECT_EQ(hvf_call(a.vp, &input, 9, 0, nullptr), (uint64_t)HV_STATUS_INVALID_PORT_ID);
    auto m = post_in(11, 1, 8);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_PORT_ID);
}

TEST_F(HvPort, DeleteAndDisconnect)
{
    message_port();
    auto m = post_in(9, 1, 8);
    uint64_t input = hv_hypercall_input(HVCALL_DELETE_PORT, 1, 0, 0);
    EXPECT_EQ(hvf_call(root, &input, 1, 6, nullptr), (uint64_t)HV_STATUS_INVALID_PORT_ID);
    EXPECT_EQ(hvf_call(root, &input, 1, 5, nullptr), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_PORT_ID);     // the port was deleted
    input = hv_hypercall_input(HVCALL_DISCONNECT_PORT, 1, 0, 0);
    EXPECT_EQ(hvf_call(root, &input, a.id, 9 | (1ull << 32), nullptr),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);    // is_doorbell
    EXPECT_EQ(hvf_call(root, &input, a.id, 9, nullptr), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_CONNECTION_ID);
}

TEST_F(HvPort, DeletedPartitionLosesItsConnections)
{
    message_port();
    ASSERT_EQ(root_call(HVCALL_DELETE_PARTITION, &a.id, 8), (uint64_t)HV_STATUS_SUCCESS);
    Child c = child("c");                   // takes a's id again
    ASSERT_EQ(c.id, a.id);
    auto m = post_in(9, 1, 8);
    EXPECT_EQ(child_call(c, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_CONNECTION_ID);
}

TEST_F(HvPort, PostToADisabledSynicIsInvalidState)
{
    message_port();
    ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SCONTROL, 0), 0);
    auto m = post_in(9, 1, 8);
    EXPECT_EQ(child_call(a, HVCALL_POST_MESSAGE, &m, sizeof(m)),
              (uint64_t)HV_STATUS_INVALID_SYNIC_STATE);
}

} // namespace
