/* hvept_host.c — hv/mm/ept.c (the hypervisor's EPT code) compiled for the host unit tests
 * (tests/unit/test_hvept.cc). Its global names are renamed with the preprocessor so they do not
 * clash with the EPT fake of tests/unit/hv_fakes.c (used by the hypercall-layer tests) or with
 * hvsim's own vmx_* symbols; the page pool and hv_hpa_ptr are the fakes' (a malloc'ed physical
 * memory). INVEPT and the IPIs of ept_flush are not reachable from these tests (ept_flush needs
 * an LP: GS base), so the stand-ins below only satisfy the linker.
 *
 * Invariants: nothing here changes the code under test; only names change.
 */
#define ept_init hvept_init
#define ept_map hvept_map
#define ept_map_type hvept_map_type
#define ept_map_2m hvept_map_2m
#define ept_unmap hvept_unmap
#define ept_lookup hvept_lookup
#define ept_flush hvept_flush
#define ept_flush_service hvept_flush_service
#define ept_destroy hvept_destroy
#define vmx_caps hvept_vmx_caps
#define vmx_invept hvept_vmx_invept
#define lapic_send_ipi hvept_lapic_send_ipi
#define hv_lps hvept_lps

#include "hv/mm/ept.c"

struct vmx_caps vmx_caps;
struct hv_lp hv_lps[HV_MAX_LPS];

void vmx_invept(uint64_t type, uint64_t eptp)
{
    (void)type;
    (void)eptp;
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    (void)apic_id;
    (void)vector;
}
