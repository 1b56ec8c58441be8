/* trace_names.h — human names of the values that trace fields carry: VM-exit reasons (SDM Vol. 3
 * Appendix C) as the CTF enumeration `exit_reason` and the tools print them; hypercall call codes
 * and statuses, SynIC message types (Hyper-V TLFS). */
#ifndef HVSIM_TRACE_NAMES_H
#define HVSIM_TRACE_NAMES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The name of basic exit reason r (bit 31, VM-entry failure, ignored), e.g. "CPUID", or NULL for
 * a number the SDM does not define. */
const char *trace_exit_reason_name(unsigned r);
/* One past the highest basic exit reason with a name. */
unsigned trace_exit_reason_count(void);
/* The TLFS name of hypercall call code `code` (e.g. 0x0002 "HvCallFlushVirtualAddressSpace"), or
 * NULL for a code without a name here. */
const char *trace_hcall_name(unsigned code);
/* The TLFS name of hypercall status `status` (e.g. 2 "HV_STATUS_INVALID_HYPERCALL_CODE"), or
 * NULL. */
const char *trace_hv_status_name(unsigned status);

/* The TLFS name of SynIC message type `type` (e.g. 0x80000010 "HVMSG_TIMER_EXPIRED"), or NULL
 * (a type partitions chose, such as 0x100). */
const char *trace_hvmsg_name(unsigned type);
/* The name, or "message type 0x100" for a type without one. */
void trace_hvmsg_label(unsigned type, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
