/* winhv.c — WinHv, the guest side of the TLFS hypercall interface (see winhv.h for the
 * conventions and invariants; TLFS 3 "Hypercall Interface", 2.4 CPUID, 2.6 guest OS identity). */
#include "partitions/lib/winhv.h"

#include "krt/krt.h"

/* The hypercall page (TLFS 3.13): the hypervisor writes its calling code here when the hypercall
 * MSR is enabled with this page's GPA; it must not be used for anything else. */
static uint8_t winhv_hcall_page[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
/* Each VP's input and output pages (TLFS 3.7: 8-byte aligned, not crossing a page), indexed by
 * VP index; slot 0 is the boot VP's. */
static uint8_t winhv_pages[WINHV_MAX_VPS][2][HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
/* Slot k's owner (k >= 1): its stack range, published by `ready` (release/acquire). */
static struct {
    uintptr_t stack_lo, stack_hi;
    uint32_t ready;
} winhv_slot[WINHV_MAX_VPS];

static bool winhv_ready;
static uint64_t winhv_self_id = HV_PARTITION_ID_SELF;
static winhv_deposit_fn winhv_deposit;
static void *winhv_deposit_ctx;

/* ---------------------------------------------------------------- detection (TLFS 2.4) */

void winhv_detect(struct winhv_cpuid *c)
{
    uint32_t r[4];
    *c = (struct winhv_cpuid){ 0 };
    cpuid(1, 0, r);
    c->present = r[2] & HYPERV_HYPERVISOR_PRESENT_BIT;
    if (!c->present)
        return;
    cpuid(HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS, 0, r);
    c->max_leaf = r[0];
    c->microsoft_hv = r[1] == HYPERV_CPUID_SIGNATURE_EBX && r[2] == HYPERV_CPUID_SIGNATURE_ECX &&
                      r[3] == HYPERV_CPUID_SIGNATURE_EDX;
    if (!c->microsoft_hv || c->max_leaf < HYPERV_CPUID_FEATURES)
        return;
    cpuid(HYPERV_CPUID_INTERFACE, 0, r);
    c->hv1 = r[0] == HYPERV_CPUID_INTERFACE_HV1;
    cpuid(HYPERV_CPUID_FEATURES, 0, r);
    c->privileges = (uint64_t)r[0] | (uint64_t)r[1] << 32;
}

bool winhv_usable(const struct winhv_cpuid *c)
{
    return c->present && c->microsoft_hv && c->hv1 &&
           (c->privileges & HV_MSR_HYPERCALL_AVAILABLE);
}

/* ---------------------------------------------------------------- set-up (TLFS 3.13) */

int winhv_init(uint32_t os)
{
    wrmsr(HV_X64_MSR_GUEST_OS_ID, WINHV_GUEST_OS_ID(os));
    uint64_t gpa = (uint64_t)(uintptr_t)winhv_hcall_page;
    wrmsr(HV_X64_MSR_HYPERCALL, gpa | HV_X64_MSR_HYPERCALL_ENABLE);
    uint64_t back = rdmsr(HV_X64_MSR_HYPERCALL);
    if (!(back & HV_X64_MSR_HYPERCALL_ENABLE) ||
        (back & HV_X64_MSR_HYPERCALL_PAGE_ADDRESS_MASK) != gpa)
        return -1;
    winhv_ready = true;
    uint64_t id;
    if (winhv_get_partition_id(&id) == HV_STATUS_SUCCESS)
        winhv_self_id = id;
    return 0;
}

#ifdef WINHV_HOST_TEST
uint64_t winhv_test_vp_index(void);
#define winhv_read_vp_index winhv_test_vp_index
#else
static uint64_t winhv_read_vp_index(void) { return rdmsr(HV_X64_MSR_VP_INDEX); }
#endif

int winhv_init_vp(const void *stack_lo, const void *stack_hi)
{
    uintptr_t lo = (uintptr_t)stack_lo, hi = (uintptr_t)stack_hi;
    if (!winhv_ready || lo >= hi)
        return -1;
    uint64_t k = winhv_read_vp_index();             /* TLFS 2.4: HV_X64_MSR_VP_INDEX */
    if (k == 0 || k >= WINHV_MAX_VPS || __atomic_load_n(&winhv_slot[k].ready, __ATOMIC_ACQUIRE))
        return -1;
    winhv_slot[k].stack_lo = lo;
    winhv_slot[k].stack_hi = hi;
    __atomic_store_n(&winhv_slot[k].ready, 1, __ATOMIC_RELEASE);
    return (int)k;
}

uint32_t winhv_self_vp(void)
{
    volatile char here = 0;
    uintptr_t sp = (uintptr_t)&here;
    for (uint32_t k = 1; k < WINHV_MAX_VPS; k++)
        if (__atomic_load_n(&winhv_slot[k].ready, __ATOMIC_ACQUIRE) &&
            sp >= winhv_slot[k].stack_lo && sp < winhv_slot[k].stack_hi)
            return k;
    return 0;
}

void winhv_set_deposit(winhv_deposit_fn fn, void *ctx)
{
    winhv_deposit = fn;
    winhv_deposit_ctx = ctx;
}

/* ---------------------------------------------------------------- raw calls (TLFS 3.7) */

#ifdef WINHV_HOST_TEST
/* Host unit tests (tests/unit/test_pm_winhv_host.c): a fake hypervisor answers the calls, and
 * the set-up that needs MSRs is skipped. */
uint64_t winhv_test_raw(uint64_t input, uint64_t rdx, uint64_t r8);
void winhv_test_ready(uint64_t self_id);
void winhv_test_ready(uint64_t self_id)
{
    winhv_ready = true;
    winhv_self_id = self_id;
    memset(winhv_slot, 0, sizeof winhv_slot);
}
#define hv_raw winhv_test_raw
#else
/* Call through the hypercall page: RCX input value, RDX and R8 the GPAs or fast inputs, result
 * in RAX. The page's code follows the x64 calling convention: RCX, RDX, R8-R11 are volatile. */
static uint64_t hv_raw(uint64_t input, uint64_t rdx, uint64_t r8v)
{
    uint64_t rax;
    register uint64_t r8 __asm__("r8") = r8v;
    __asm__ volatile("call *%[page]"
                     : "=a"(rax), "+c"(input), "+d"(rdx), "+r"(r8)
                     : [page] "r"(winhv_hcall_page)
                     : "r9", "r10", "r11", "memory", "cc");
    return rax;
}
#endif

static uint64_t gpa_of(const void *p) { return (uint64_t)(uintptr_t)p; }

/* The calling VP's input and output pages. */
static uint8_t *page_in(void) { return winhv_pages[winhv_self_vp()][0]; }
static uint8_t *page_out(uint8_t *in) { return in + HV_PAGE_SIZE; }

uint64_t winhv_call(uint16_t code, const void *in, size_t in_size, void *out, size_t out_size)
{
    if (!winhv_ready || in_size > HV_PAGE_SIZE || out_size > HV_PAGE_SIZE)
        return WINHV_STATUS_NOT_READY;
    uint8_t *pin = page_in(), *pout = page_out(pin);
    if (in_size)
        memcpy(pin, in, in_size);
    uint64_t r = hv_raw(hv_hypercall_input(code, 0, 0, 0), gpa_of(pin), gpa_of(pout));
    if (out_size && winhv_status(r) == HV_STATUS_SUCCESS)
        memcpy(out, pout, out_size);
    return r;
}

uint64_t winhv_call_fast(uint16_t code, uint64_t in0, uint64_t in1)
{
    if (!winhv_ready)
        return WINHV_STATUS_NOT_READY;
    return hv_raw(hv_hypercall_input(code, 1, 0, 0), in0, in1);
}

/* A plain call that deposits and retries on INSUFFICIENT_MEMORY. */
static uint16_t call_deposit(uint16_t code, const void *in, size_t in_size, void *out,
                             size_t out_size, uint64_t deposit_id)
{
    for (unsigned tries = 0;; tries++) {
        uint16_t st = winhv_status(winhv_call(code, in, in_size, out, out_size));
        if (st != HV_STATUS_INSUFFICIENT_MEMORY || !deposit_id || !winhv_deposit ||
            tries == WINHV_DEPOSIT_RETRIES || winhv_deposit(deposit_id, winhv_deposit_ctx) < 0)
            return st;
    }
}

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* One batch of a rep call, already in the input page: issue it from rep start 0 until every
 * element is done (TLFS 3.7.2: a success with reps completed < rep count is re-issued from
 * there), depositing on INSUFFICIENT_MEMORY. Output elements are copied as they complete. */
static uint16_t rep_batch(uint8_t *pin, uint16_t code, uint32_t n, uint8_t *out_elems,
                          size_t out_elem_size, uint64_t deposit_id, uint32_t *done)
{
    uint8_t *pout = page_out(pin);
    uint32_t start = 0;
    unsigned deposits = 0, stalls = 0;
    while (start < n) {
        uint64_t r = hv_raw(hv_hypercall_input(code, 0, n, start), gpa_of(pin), gpa_of(pout));
        uint16_t st = winhv_status(r);
        uint32_t comp = (uint32_t)((r & HV_HYPERCALL_REP_DONE_MASK) >> HV_HYPERCALL_REP_DONE_OFFSET);
        if (comp > start && comp <= n) {
            if (out_elem_size)
                memcpy(out_elems + (size_t)start * out_elem_size,
                       pout + (size_t)start * out_elem_size,
                       (size_t)(comp - start) * out_elem_size);
            *done += comp - start;
            start = comp;
            stalls = 0;
        } else if (st == HV_STATUS_SUCCESS && ++stalls > WINHV_DEPOSIT_RETRIES) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;   /* success without progress: give up */
        }
        if (st == HV_STATUS_SUCCESS)
            continue;
        if (st == HV_STATUS_INSUFFICIENT_MEMORY && deposit_id && winhv_deposit &&
            deposits++ < WINHV_DEPOSIT_RETRIES && winhv_deposit(deposit_id, winhv_deposit_ctx) == 0)
            continue;
        return st;
    }
    return HV_STATUS_SUCCESS;
}

uint16_t winhv_call_rep(uint16_t code, const void *hdr, size_t hdr_size, const void *elems,
                        size_t elem_size, void *out_elems, size_t out_elem_size, uint32_t count,
                        uint64_t deposit_id, uint32_t *done)
{
    *done = 0;
    if (!winhv_ready || hdr_size > HV_PAGE_SIZE - (elem_size ? elem_size : 0) ||
        out_elem_size > HV_PAGE_SIZE)
        return WINHV_STATUS_NOT_READY;
    uint32_t per = 0xFFF;                               /* the rep count field's width */
    if (elem_size)
        per = min_u32(per, (uint32_t)((HV_PAGE_SIZE - hdr_size) / elem_size));
    if (out_elem_size)
        per = min_u32(per, (uint32_t)(HV_PAGE_SIZE / out_elem_size));
    uint8_t *pin = page_in();
    while (*done < count) {
        uint32_t n = min_u32(per, count - *done);
        memcpy(pin, hdr, hdr_size);
        if (elem_size)
            memcpy(pin + hdr_size, (const uint8_t *)elems + (size_t)*done * elem_size,
                   (size_t)n * elem_size);
        uint8_t *out = out_elem_size ? (uint8_t *)out_elems + (size_t)*done * out_elem_size : 0;
        uint16_t st = rep_batch(pin, code, n, out, out_elem_size, deposit_id, done);
        if (st != HV_STATUS_SUCCESS)
            return st;
    }
    return HV_STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- typed wrappers */

uint16_t winhv_get_partition_id(uint64_t *id)
{
    struct hv_output_get_partition_id out;
    uint16_t st = winhv_status(winhv_call(HVCALL_GET_PARTITION_ID, 0, 0, &out, sizeof out));
    if (st == HV_STATUS_SUCCESS)
        *id = out.partition_id;
    return st;
}

uint16_t winhv_create_partition(uint64_t flags, const char *name, uint64_t *id)
{
    struct hv_input_create_partition in = { .flags = flags };
    for (size_t k = 0; name && name[k] && k < sizeof in.name - 1; k++)
        in.name[k] = name[k];
    struct hv_output_create_partition out;
    /* the new partition's objects are charged to its parent: deposit into ourselves */
    uint16_t st = call_deposit(HVCALL_CREATE_PARTITION, &in, sizeof in, &out, sizeof out,
                               winhv_self_id);
    if (st == HV_STATUS_SUCCESS)
        *id = out.partition_id;
    return st;
}

static uint16_t partition_op(uint16_t code, uint64_t id)
{
    struct hv_input_partition_id in = { id };
    return call_deposit(code, &in, sizeof in, 0, 0, id);
}

uint16_t winhv_initialize_partition(uint64_t id)
{
    return partition_op(HVCALL_INITIALIZE_PARTITION, id);
}
uint16_t winhv_finalize_partition(uint64_t id) { return partition_op(HVCALL_FINALIZE_PARTITION, id); }
uint16_t winhv_delete_partition(uint64_t id)
{
    struct hv_input_partition_id in = { id };
    return winhv_status(winhv_call(HVCALL_DELETE_PARTITION, &in, sizeof in, 0, 0));
}

uint16_t winhv_deposit_memory(uint64_t id, const uint64_t *pfns, uint32_t count)
{
    struct hv_input_deposit_memory hdr = { id };
    uint32_t done;
    return winhv_call_rep(HVCALL_DEPOSIT_MEMORY, &hdr, sizeof hdr, pfns, sizeof *pfns, 0, 0,
                          count, 0, &done);
}

uint16_t winhv_map_gpa_pages(uint64_t target, uint64_t gpa_page, uint32_t flags,
                             const uint64_t *src_pfns, uint32_t count)
{
    uint32_t done = 0;
    uint16_t st = HV_STATUS_SUCCESS;
    /* each batch needs its own target page number: loop here rather than in winhv_call_rep */
    while (done < count && st == HV_STATUS_SUCCESS) {
        uint32_t n = min_u32(count - done, 0xFFF), got = 0;
        struct hv_input_map_gpa_pages hdr = { target, gpa_page + done, flags, 0 };
        n = min_u32(n, (uint32_t)((HV_PAGE_SIZE - sizeof hdr) / sizeof(uint64_t)));
        st = winhv_call_rep(HVCALL_MAP_GPA_PAGES, &hdr, sizeof hdr, src_pfns + done,
                            sizeof *src_pfns, 0, 0, n, target, &got);
        done += got;
    }
    return st;
}

uint16_t winhv_unmap_gpa_pages(uint64_t target, uint64_t gpa_page, uint32_t count)
{
    uint32_t done = 0;
    uint16_t st = HV_STATUS_SUCCESS;
    while (done < count && st == HV_STATUS_SUCCESS) {
        uint32_t n = min_u32(count - done, 0xFFF), got = 0;
        struct hv_input_unmap_gpa_pages hdr = { target, gpa_page + done, 0, 0 };
        st = winhv_call_rep(HVCALL_UNMAP_GPA_PAGES, &hdr, sizeof hdr, 0, 0, 0, 0, n, 0, &got);
        done += got;
    }
    return st;
}

uint16_t winhv_create_vp(uint64_t id, uint32_t vp_index)
{
    struct hv_input_create_vp in = { .partition_id = id, .vp_index = vp_index };
    return call_deposit(HVCALL_CREATE_VP, &in, sizeof in, 0, 0, id);
}

uint16_t winhv_get_vp_registers(uint64_t id, uint32_t vp_index, const uint32_t *names,
                                union hv_register_value *values, uint32_t count)
{
    struct hv_input_vp_registers hdr = { .partition_id = id, .vp_index = vp_index };
    uint32_t done;
    return winhv_call_rep(HVCALL_GET_VP_REGISTERS, &hdr, sizeof hdr, names, sizeof *names,
                          values, sizeof *values, count, 0, &done);
}

uint16_t winhv_set_vp_registers(uint64_t id, uint32_t vp_index,
                                const struct hv_register_assoc *regs, uint32_t count)
{
    struct hv_input_vp_registers hdr = { .partition_id = id, .vp_index = vp_index };
    uint32_t done;
    return winhv_call_rep(HVCALL_SET_VP_REGISTERS, &hdr, sizeof hdr, regs, sizeof *regs, 0, 0,
                          count, 0, &done);
}

uint16_t winhv_start_vp(uint64_t id, uint32_t vp_index, const struct hv_initial_vp_context *ctx)
{
    struct hv_input_start_vp in = { .partition_id = id, .vp_index = vp_index };
    in.vp_context = *ctx;
    return call_deposit(HVCALL_START_VP, &in, sizeof in, 0, 0, id);
}

/* HvCallPostMessage input (TLFS 11.10.7). */
struct winhv_post_message_input {
    uint32_t connection_id;
    uint32_t reserved;
    uint32_t message_type;
    uint32_t payload_size;
    uint8_t payload[HV_MESSAGE_PAYLOAD_BYTE_COUNT];
} __attribute__((packed));
HV_STATIC_ASSERT(sizeof(struct winhv_post_message_input) == 256, "post message input");

uint16_t winhv_post_message(uint32_t connection_id, uint32_t type, const void *payload,
                            uint32_t size)
{
    if (size > HV_MESSAGE_PAYLOAD_BYTE_COUNT)
        return HV_STATUS_INVALID_PARAMETER;
    struct winhv_post_message_input in = { connection_id, 0, type, size, { 0 } };
    memcpy(in.payload, payload, size);
    return winhv_status(winhv_call(HVCALL_POST_MESSAGE, &in, sizeof in, 0, 0));
}

/* HvCallCreatePort (0x0095) and HvCallConnectPort (0x0096), TLFS 11.10 "Ports and
 * connections": the inputs of hv/abi/tlfs.h (Linux include/hyperv/hvhdk.h layouts). */
uint16_t winhv_create_port(uint64_t port_partition, uint32_t port_id, uint64_t conn_partition,
                           uint32_t target_sint, uint32_t target_vp)
{
    struct hv_input_create_port in;
    memset(&in, 0, sizeof in);
    in.port_partition_id = port_partition;
    in.port_id = port_id;
    in.connection_partition_id = conn_partition;
    in.port_info.port_type = HV_PORT_TYPE_MESSAGE;
    in.port_info.message_port_info.target_sint = target_sint;
    in.port_info.message_port_info.target_vp = target_vp;
    return call_deposit(HVCALL_CREATE_PORT, &in, sizeof in, 0, 0, port_partition);
}

uint16_t winhv_connect_port(uint64_t conn_partition, uint32_t connection_id,
                            uint64_t port_partition, uint32_t port_id)
{
    struct hv_input_connect_port in;
    memset(&in, 0, sizeof in);
    in.connection_partition_id = conn_partition;
    in.connection_id = connection_id;
    in.port_partition_id = port_partition;
    in.port_id = port_id;
    in.connection_info.port_type = HV_PORT_TYPE_MESSAGE;
    return call_deposit(HVCALL_CONNECT_PORT, &in, sizeof in, 0, 0, conn_partition);
}

/* HvCallSignalEvent, fast form (TLFS 11.10.8): connection id 31:0, flag number 47:32. */
uint16_t winhv_signal_event(uint32_t connection_id, uint16_t flag)
{
    return winhv_status(winhv_call_fast(HVCALL_SIGNAL_EVENT,
                                        (uint64_t)connection_id | (uint64_t)flag << 32, 0));
}

/* HvCallSendSyntheticClusterIpi, fast form: the 16-byte input in RDX (vector 31:0, target VTL
 * 39:32 = 0, reserved 63:40) and R8 (processor mask; Linux struct hv_send_ipi). */
uint16_t winhv_send_ipi(uint32_t vector, uint64_t vp_mask)
{
    return winhv_status(winhv_call_fast(HVCALL_SEND_IPI, vector, vp_mask));
}

/* ---------------------------------------------------------------- diagnostics */

static const struct {
    uint16_t status;
    const char *name;
} winhv_status_names[] = {
    { HV_STATUS_SUCCESS, "SUCCESS" },
    { HV_STATUS_INVALID_HYPERCALL_CODE, "INVALID_HYPERCALL_CODE" },
    { HV_STATUS_INVALID_HYPERCALL_INPUT, "INVALID_HYPERCALL_INPUT" },
    { HV_STATUS_INVALID_ALIGNMENT, "INVALID_ALIGNMENT" },
    { HV_STATUS_INVALID_PARAMETER, "INVALID_PARAMETER" },
    { HV_STATUS_ACCESS_DENIED, "ACCESS_DENIED" },
    { HV_STATUS_INVALID_PARTITION_STATE, "INVALID_PARTITION_STATE" },
    { HV_STATUS_OPERATION_DENIED, "OPERATION_DENIED" },
    { HV_STATUS_INSUFFICIENT_MEMORY, "INSUFFICIENT_MEMORY" },
    { HV_STATUS_INVALID_PARTITION_ID, "INVALID_PARTITION_ID" },
    { HV_STATUS_INVALID_VP_INDEX, "INVALID_VP_INDEX" },
    { HV_STATUS_NOT_FOUND, "NOT_FOUND" },
    { HV_STATUS_INVALID_PORT_ID, "INVALID_PORT_ID" },
    { HV_STATUS_INVALID_CONNECTION_ID, "INVALID_CONNECTION_ID" },
    { HV_STATUS_INSUFFICIENT_BUFFERS, "INSUFFICIENT_BUFFERS" },
    { HV_STATUS_NOT_ACKNOWLEDGED, "NOT_ACKNOWLEDGED" },
    { HV_STATUS_INVALID_VP_STATE, "INVALID_VP_STATE" },
    { HV_STATUS_INVALID_SYNIC_STATE, "INVALID_SYNIC_STATE" },
    { HV_STATUS_NO_RESOURCES, "NO_RESOURCES" },
    { WINHV_STATUS_NOT_READY, "NOT_READY (winhv)" },
};

const char *winhv_status_name(uint16_t status)
{
    for (size_t k = 0; k < sizeof winhv_status_names / sizeof winhv_status_names[0]; k++)
        if (winhv_status_names[k].status == status)
            return winhv_status_names[k].name;
    return "?";
}
