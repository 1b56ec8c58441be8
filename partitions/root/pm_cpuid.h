/* pm_cpuid.h — the brand string the root gives a child with the `cpuid` workload through CPUID
 * intercepts (docs/HYPERVISOR.md "The scenario, the child workloads..."; SDM Vol. 2A CPUID,
 * leaves 80000002H-80000004H "Processor Brand String").
 *
 * The string is "hvsim child NAME" (NAME: the partition's name, 1-23 characters), NUL-padded
 * to 48 bytes, so always NUL-terminated. Leaf 80000002H + k gives bytes 16k..16k+15: EAX bytes
 * 0-3, EBX 4-7, ECX 8-11, EDX 12-15, each register little-endian (the first character in bits
 * 7:0). Pure C: compiled for the root and for the host unit tests (PmCpuid*).
 */
#ifndef PARTITIONS_ROOT_PM_CPUID_H
#define PARTITIONS_ROOT_PM_CPUID_H

#include <stdint.h>

#define PM_CPUID_BRAND_FIRST 0x80000002u
#define PM_CPUID_BRAND_LAST  0x80000004u
#define PM_CPUID_BRAND_PREFIX "hvsim child "

/* out = EAX, EBX, ECX, EDX of brand leaf `leaf` for a partition named `name`. 0, or -1 for a
 * leaf outside 80000002H-80000004H (out untouched). */
int pm_cpuid_brand(const char *name, uint32_t leaf, uint32_t out[4]);

#endif
