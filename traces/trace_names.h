/* trace_names.h — human names of the values that trace fields carry: VM-exit reasons (SDM Vol. 3
 * Appendix C) as the CTF enumeration `exit_reason` and the tools print them. */
#ifndef HVSIM_TRACE_NAMES_H
#define HVSIM_TRACE_NAMES_H

#ifdef __cplusplus
extern "C" {
#endif

/* The name of basic exit reason r (bit 31, VM-entry failure, ignored), e.g. "CPUID", or NULL for
 * a number the SDM does not define. */
const char *trace_exit_reason_name(unsigned r);
/* One past the highest basic exit reason with a name. */
unsigned trace_exit_reason_count(void);

#ifdef __cplusplus
}
#endif
#endif
