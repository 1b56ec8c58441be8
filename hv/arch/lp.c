/* lp.c — the logical processors' storage (hv/arch/lp.h): hv_lps, hv_nlps, and each LP's stack.
 *
 * Invariants: hv_lps[k] is LP k for k < hv_nlps (filled by hv/boot from the MADT, LP 0 = the
 * BSP); hv_lp_stacks[k] is LP k's stack, 16-byte aligned at its top (entry.S starts LP 0 on
 * hv_lp_stacks[0] and assumes HV_STACK_SIZE is 16384).
 */
#include "hv/arch/arch.h"

_Static_assert(HV_STACK_SIZE == 16384, "entry.S and trampoline.S assume a 16 KiB LP stack");

struct hv_lp hv_lps[HV_MAX_LPS];
uint32_t hv_nlps;

__attribute__((section(".bss.stacks"), aligned(4096)))
uint8_t hv_lp_stacks[HV_MAX_LPS][HV_STACK_SIZE];
