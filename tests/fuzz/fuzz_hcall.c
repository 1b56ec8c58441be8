/* fuzz_hcall.c — fuzz target for the hypercall layer (hv/hcall, hv/part, hv/synic, hv/vapic)
 * over the fakes of the hypervisor core (tests/unit/hv_fakes.c): every input value, input block
 * and GPA a partition puts in RCX/RDX/R8 is untrusted (docs/HYPERVISOR.md "Hypercalls").
 *
 * The fake machine of each input: the root (VP 0) and one child "fz" (partition 2: 32 pages
 * deposited, initialized, 4 root pages mapped read/write at its GPA 0-3FFFH, VP 0 created). The
 * input is a list of records, each a hypercall:
 *   u8 who (bit 0: 0 = the root's VP 0, 1 = the child's VP 0), u64 the input value (RCX),
 *   u16 in_off, u16 out_off (the input/output GPA = the caller's first page + offset & 3FFFH:
 *   misaligned, page-crossing and unmapped addresses included), u16 n, then n bytes (n & 0xFFF)
 *   written at the start of the caller's input page first.
 * A call that asks for a continuation is re-issued (at most 64 times) as the guest would.
 * Checked after each call: the status is one the TLFS defines (hv/abi/tlfs.h HV_STATUS_*), and
 * the reps completed never exceed the rep count. Checked at the end: no page of the hypervisor's
 * pool is mapped in the root's EPT, and the child's EPT maps its GPAs only to root RAM. Any
 * address outside the fake memory aborts in hv_hpa_ptr (the layer computed a wild pointer); the
 * sanitizer build catches out-of-bounds accesses.
 * Built as a normal program by `make check` (corpus_main.c replays tests/fuzz/corpus/hcall,
 * written by tests/fuzz/gen_hcall_corpus.py). HVSIM_FUZZ_TRACE=1 in the environment prints each
 * call's caller, code and result (to see what a seed reaches).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/abi/tlfs.h"
#include "hv/part/partition.h"
#include "tests/unit/hv_fakes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_RECORDS_MAX 64
#define FZ_CHILD_PAGES 4
#define FZ_CONTINUE_MAX 64

static const uint16_t known_status[] = {
    HV_STATUS_SUCCESS, HV_STATUS_INVALID_HYPERCALL_CODE, HV_STATUS_INVALID_HYPERCALL_INPUT,
    HV_STATUS_INVALID_ALIGNMENT, HV_STATUS_INVALID_PARAMETER, HV_STATUS_ACCESS_DENIED,
    HV_STATUS_INVALID_PARTITION_STATE, HV_STATUS_OPERATION_DENIED, HV_STATUS_UNKNOWN_PROPERTY,
    HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE, HV_STATUS_INSUFFICIENT_MEMORY,
    HV_STATUS_INVALID_PARTITION_ID, HV_STATUS_INVALID_VP_INDEX, HV_STATUS_NOT_FOUND,
    HV_STATUS_INVALID_PORT_ID, HV_STATUS_INVALID_CONNECTION_ID, HV_STATUS_INSUFFICIENT_BUFFERS,
    HV_STATUS_NOT_ACKNOWLEDGED, HV_STATUS_INVALID_VP_STATE, HV_STATUS_INVALID_SYNIC_STATE,
    HV_STATUS_NO_RESOURCES,
};

static bool status_known(uint16_t st)
{
    for (size_t i = 0; i < sizeof known_status / sizeof known_status[0]; i++)
        if (known_status[i] == st)
            return true;
    return false;
}

static struct hv_vp *fz_child_vp;
static bool trace;
static uint64_t fz_child_src;   /* root GPA of the child's GPA 0 */

static void setup(void)
{
    hvf_reset();
    uint64_t id = hvf_make_child("fz", 32);
    if (id != 2)
        abort();
    fz_child_src = hvf_take_pages(FZ_CHILD_PAGES);
    uint64_t map[3 + FZ_CHILD_PAGES] = { id, 0, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE };
    for (unsigned i = 0; i < FZ_CHILD_PAGES; i++)
        map[3 + i] = (fz_child_src >> 12) + i;
    if (hvf_root_call(hv_hypercall_input(HVCALL_MAP_GPA_PAGES, 0, FZ_CHILD_PAGES, 0), map,
                      sizeof map) != (HV_STATUS_SUCCESS | (uint64_t)FZ_CHILD_PAGES << 32))
        abort();
    struct hv_input_create_vp vp;
    memset(&vp, 0, sizeof vp);
    vp.partition_id = id;
    if (hvf_root_call(hv_hypercall_input(HVCALL_CREATE_VP, 0, 0, 0), &vp, sizeof vp) !=
        HV_STATUS_SUCCESS)
        abort();
    fz_child_vp = hv_part_get(id)->vp[0];
    if (!fz_child_vp)
        abort();
}

static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void one_call(bool child, uint64_t input, uint64_t in_gpa, uint64_t out_gpa)
{
    struct hv_vp *vp = child ? fz_child_vp : hvf_root_vp();
    uint32_t count = (uint32_t)((input & HV_HYPERCALL_REP_COMP_MASK) >>
                                HV_HYPERCALL_REP_COMP_OFFSET);
    for (unsigned k = 0; k < FZ_CONTINUE_MAX; k++) {
        bool advance = true;
        uint64_t r = hvf_call(vp, &input, in_gpa, out_gpa, &advance);
        if (trace)
            fprintf(stderr, "%s call %#x: status %#x, %u reps%s\n", child ? "child" : "root",
                    (unsigned)(input & 0xFFFF), (unsigned)(r & 0xFFFF),
                    (unsigned)((r >> 32) & 0xFFF), advance ? "" : " (continues)");
        if (!status_known((uint16_t)r))
            abort();
        if (((r >> 32) & 0xFFF) > count)
            abort();
        /* the root may delete partition 2, or create it again: child calls come from its VP 0,
         * whatever it is now */
        struct hv_partition *p2 = hv_part_get(2);
        fz_child_vp = p2 && p2->state != HV_PART_FREE ? p2->vp[0] : NULL;
        if (advance || (child && fz_child_vp != vp))
            return;
    }
}

static void check_memory(void)
{
    const struct hv_partition *root = hvf_root();
    for (uint64_t a = HVF_POOL_BASE; a < HVF_POOL_END; a += 4096)
        if (ept_lookup(&root->ept, a, NULL, NULL) == 0)
            abort();
    const struct hv_partition *c = hv_part_get(2);
    if (c && (c->state == HV_PART_INITIALIZED || c->state == HV_PART_FINALIZED)) {
        for (uint64_t g = 0; g < 64 * 4096ull; g += 4096) {
            uint64_t hpa;
            if (ept_lookup(&c->ept, g, &hpa, NULL) == 0 && hpa >= HVF_RAM_END)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trace = getenv("HVSIM_FUZZ_TRACE") != NULL;
    setup();
    size_t pos = 0;
    for (unsigned n = 0; n < FZ_RECORDS_MAX && size >= 15 && pos <= size - 15; n++) {
        bool child = data[pos] & 1;
        uint64_t input = rd(data + pos + 1, 8);
        uint64_t in_off = rd(data + pos + 9, 2) & 0x3FFF, out_off = rd(data + pos + 11, 2) & 0x3FFF;
        size_t len = rd(data + pos + 13, 2) & 0xFFF;
        pos += 15;
        if (len > size - pos)
            len = size - pos;
        if (child && !fz_child_vp)
            child = false;
        /* the caller's pages: the root's HVF_IN_GPA.., the child's GPA 0.. (root GPA src) */
        uint64_t base = child ? 0 : HVF_IN_GPA;
        uint64_t page_hpa = child ? fz_child_src : HVF_IN_GPA;
        memcpy(hvf_ptr(page_hpa), data + pos, len);
        pos += len;
        one_call(child, input, base + in_off, base + out_off);
    }
    check_memory();
    return 0;
}
