/* ept.h — extended page tables (SDM Vol. 3 29.3): EPT pointer checks, the EPT walk from guest-
 * physical to host-physical addresses, EPT violations and misconfigurations, the exit
 * qualification bits of EPT violations (28.2.1, Table 28-7) and of APIC-access exits (Table 28-6).
 *
 * Invariants:
 *  - Everything is a function of the CPU model's IA32_VMX_EPT_VPID_CAP and of guest memory; no
 *    host state.
 *  - ept_walk never raises anything: it reports a violation or misconfiguration to its caller,
 *    which turns it into the VM exit (mmu/mmu.c) or ignores it (debug translation).
 */
#ifndef HVSIM_EPT_H
#define HVSIM_EPT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cpu;
struct cpu_model;

/* EPTP fields (SDM Vol. 3 24.6.11, Table 24-8). */
#define EPTP_MEMTYPE(e)   ((unsigned)(e) & 7u)
#define EPTP_WALK_LEN(e)  ((unsigned)((e) >> 3) & 7u)   /* page-walk length minus 1 */
#define EPTP_AD           (1ull << 6)
#define EPTP_RSVD_LOW     0xf80ull                     /* bits 11:7 reserved */

/* IA32_VMX_EPT_VPID_CAP bits (SDM Vol. 3 A.10). */
#define EPTCAP_XO        (1ull << 0)
#define EPTCAP_WALK4     (1ull << 6)
#define EPTCAP_UC        (1ull << 8)
#define EPTCAP_WB        (1ull << 14)
#define EPTCAP_2M        (1ull << 16)
#define EPTCAP_1G        (1ull << 17)
#define EPTCAP_INVEPT    (1ull << 20)
#define EPTCAP_AD        (1ull << 21)
#define EPTCAP_INVEPT_SINGLE (1ull << 25)
#define EPTCAP_INVEPT_ALL    (1ull << 26)
#define EPTCAP_INVVPID   (1ull << 32)
#define EPTCAP_INVVPID_ADDR   (1ull << 40)
#define EPTCAP_INVVPID_SINGLE (1ull << 41)
#define EPTCAP_INVVPID_ALL    (1ull << 42)
#define EPTCAP_INVVPID_SINGLE_NG (1ull << 43)

/* An EPTP is valid for VM entry (27.2.1.1), INVEPT and EPTP switching (29.5.5.3) if: memory
 * type UC (0) or WB (6) and supported by the capability MSR, page-walk length 4 (value 3),
 * bit 6 only if accessed/dirty flags are supported, bits 11:7 zero, no bit at or above MAXPHYADDR
 * (max_phys_bits). */
bool ept_eptp_valid(const struct cpu_model *m, uint64_t eptp);

/* EPT paging-structure entries (SDM Vol. 3 29.3.2, Tables 29-1 to 29-6). */
#define EPTE_R      (1ull << 0)
#define EPTE_W      (1ull << 1)
#define EPTE_X      (1ull << 2)             /* supervisor execute (execute: no MBEC) */
#define EPTE_RWX    7ull
#define EPTE_MT(e)  ((unsigned)((e) >> 3) & 7u)     /* leaf: EPT memory type */
#define EPTE_IPAT   (1ull << 6)
#define EPTE_PS     (1ull << 7)             /* PDPTE: 1 GiB page, PDE: 2 MiB page */
#define EPTE_A      (1ull << 8)             /* accessed (EPTP[6] = 1) */
#define EPTE_D      (1ull << 9)             /* dirty, leaf only (EPTP[6] = 1) */
#define EPTP_ADDR(e) ((e) & 0x000ffffffffff000ull)  /* EPT PML4 table address (EPTRTA) */

/* Access kinds of an EPT walk, laid out as bits 2:0 of the EPT-violation qualification. A guest
 * paging-structure access with EPTP[6] = 1 is READ | WRITE (29.3.3.2: treated as a write; the
 * qualification then reports both bits). */
#define EPTA_READ   1u
#define EPTA_WRITE  2u
#define EPTA_FETCH  4u

/* EPT-violation exit qualification (SDM Vol. 3 28.2.1, Table 28-7). */
#define EPTQ_ACCESS(a)   ((uint64_t)(a) & 7u)       /* bits 2:0: read / write / fetch */
#define EPTQ_PERM(p)     (((uint64_t)(p) & 7u) << 3) /* bits 5:3: readable / writable / executable */
#define EPTQ_GLA_VALID   (1ull << 7)                /* guest linear-address field is valid */
#define EPTQ_GLA_XLATE   (1ull << 8)                /* (bit 7 = 1) access to the translated linear
                                                     * address, not to a paging-structure entry */

/* APIC-access exit qualification (SDM Vol. 3 28.2.1, Table 28-6): bits 11:0 the page offset,
 * bits 15:12 the access type. */
enum apic_access_type {
    APIC_ACC_LIN_READ = 0, APIC_ACC_LIN_WRITE = 1, APIC_ACC_LIN_FETCH = 2, APIC_ACC_LIN_EVENT = 3,
    APIC_ACC_GPA_EVENT = 10, APIC_ACC_GPA_FETCH_EXEC = 15,
};

/* Result of an EPT walk. */
enum ept_status { EPT_OK = 0, EPT_VIOLATION = 1, EPT_MISCONFIG = 2 };

/* Walk flags. */
#define EPTW_COUNT  1u  /* count the walk (ept_walks) and its reads (ept_refs), charge ept_walk_ref */
#define EPTW_COMMIT 2u  /* on success with EPTP[6] = 1: set A in every entry used, D in the leaf
                         * for a write (29.3.5) */
#define EPTW_NOPERM 4u  /* do not check the access rights (debug translation) */

struct ept_out {
    uint64_t hpa;       /* host-physical address of the guest-physical address (EPT_OK) */
    uint8_t shift;      /* page size of the leaf: 12, 21, 30 (EPT_OK) */
    uint8_t perm;       /* AND of bits 2:0 over the entries used (0 if one was not present) */
    uint8_t memtype;    /* EPT memory type of the leaf (EPT_OK) */
    bool dirty;         /* the leaf's dirty flag is set, or EPTP[6] = 0 (EPT_OK) */
};

/* Translate guest-physical `gpa` through the EPT paging structures of `eptp` for an access of
 * kind `acc` (EPTA_*), SDM Vol. 3 29.3.2-29.3.5: 4-level walk, 1 GiB and 2 MiB leaves if the
 * capability MSR allows them, misconfigurations (29.3.3.1) checked on every present entry from
 * the top, violations (29.3.3.2) for a not-present entry or missing rights. On a violation
 * o->perm holds the combined rights for the qualification. The entries are read from host-
 * physical memory through the bus. */
enum ept_status ept_walk(struct cpu *c, uint64_t eptp, uint64_t gpa, unsigned acc,
                         unsigned flags, struct ept_out *o);

#ifdef __cplusplus
}
#endif
#endif
