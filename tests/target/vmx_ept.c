/* vmx_ept.c — EPT from the inside: every combination of the read/write/execute permissions of a
 * 4 KiB leaf against a read, a write and an instruction fetch (EPT violations with their
 * qualification, misconfigurations for write-without-read and for execute-only when it is not
 * supported), 2 MiB and 1 GiB pages (translation to a different host page, permissions),
 * misconfigurations by reserved memory types and reserved bits of a non-leaf entry, an EPT
 * violation round trip (fix the entry, INVEPT, the access is retried), INVEPT single-context and
 * all-context making a remapping visible, accessed and dirty flags, and EPTP switching with
 * VMFUNC.
 *
 * The matrix is run for 4 KiB, 2 MiB and (if offered) 1 GiB pages.
 *
 * Expected values (SDM Vol. 3, edition with the EPT chapter 28): 28.2.2 (entry formats; a leaf
 * with bit 1 set and bit 0 clear, or bits 2:0 = 100b without execute-only support (A.10 bit 0),
 * or memory type 2, 3 or 7, or reserved bits in a non-leaf entry, is misconfigured: exit 49);
 * 28.2.3.2 (an access not allowed by the AND of the permissions along the walk: exit 48); 27.2.1
 * Table 27-7 (EPT-violation qualification: bit 0 read, 1 write, 2 fetch, bits 5:3 = the R/W/X of
 * the translation, bit 7 guest-linear address valid, bit 8 the access was to the translated
 * address; bits 9-11 only with advanced information, not checked); the guest-physical address
 * and guest-linear address fields (27.2.1); 28.3.3.4 / 30.3 INVEPT; 28.2.4 (A/D flags with EPTP
 * bit 6); 25.5.6.3 (EPTP switching: VMFUNC leaf 0 loads EPTP-list entry ECX, an ECX >= 512 is a
 * VM exit 59). The guest reaches every test page through the identity map of its own page
 * tables, so its guest-physical address equals the linear address.
 */
#include "lib/pt64.h"
#include "lib/vmx_lib.h"

extern char g_read[], g_read_end[], g_write[], g_write_end[], g_exec[], g_exec_end[];
extern char g_vmfunc[], g_vmfunc_end[], g_vmfunc_bad[], g_vmfunc_bad_end[];
__asm__(".text\n"
        "g_read:\n\tmov (%rbx), %rax\ng_read_end:\n\tvmcall\n"
        "g_write:\n\tmovq $0x55, (%rbx)\ng_write_end:\n\tvmcall\n"
        "g_exec:\n\tcall *%rbx\ng_exec_end:\n\tvmcall\n"
        "g_vmfunc:\n\txor %eax, %eax\n\tmov $1, %ecx\n\tvmfunc\n\tmov (%rbx), %rax\n"
        "g_vmfunc_end:\n\tvmcall\n"
        "g_vmfunc_bad:\n\txor %eax, %eax\n\tmov $512, %ecx\n\tvmfunc\ng_vmfunc_bad_end:\n\tvmcall\n");

#define PERM_BASE 0x800000ull           /* 24 test pages: permissions x accesses */
#define BIG2M_GPA 0x1000000ull
#define BIG2M_HPA 0x2000000ull
#define MISC_GPA  0x1200000ull
#define INV_GPA   0x1400000ull
#define INV_HPA_A 0x2400000ull
#define INV_HPA_B 0x2401000ull
#define AD_GPA    0x1500000ull
#define SW_GPA    0x1600000ull
#define SW_HPA    0x2600000ull

enum { A_READ, A_WRITE, A_EXEC };
static const char *const acc_name[] = { "read", "write", "fetch" };
static uint64_t cap;
static volatile uint64_t marker_1g = 0x1616161616161616ull;

static uint64_t run_access(int a, uint64_t addr)
{
    static char *const start[] = { g_read, g_write, g_exec };
    vmwrite(F_G_RIP, va_pa(start[a]));
    vmwrite(F_G_RSP, va_pa(VMX_GUEST_STACK_TOP) - 64);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
    vmx_gregs.rbx = addr;
    return vmx_run();
}

static uint64_t end_of(int a) { return va_pa(a == A_READ ? g_read_end : a == A_WRITE ? g_write_end : g_exec_end); }

/* An access with the given outcome: 0 allowed, 48 violation (perms for bits 5:3), 49 misconfig */
static void expect_access(const char *name, int a, uint64_t addr, unsigned outcome,
                          unsigned perms)
{
    uint64_t run = run_access(a, addr);
    if (outcome == 0) {
        if (vmx_expect_exit(name, run, EXIT_VMCALL, VMX_ANY) && vmread(F_G_RIP) != end_of(a))
            t_check(0, name, "VMCALL at 0x%llx, not after the access",
                    (unsigned long long)vmread(F_G_RIP));
        return;
    }
    if (run >> 32 || (uint32_t)run != outcome) {
        vmx_expect_exit(name, run, outcome, VMX_ANY);
        return;
    }
    uint64_t gpa = vmread(F_GUEST_PHYS), q = vmread(F_EXIT_QUAL);
    uint64_t rip = vmread(F_G_RIP);
    uint64_t want_rip = a == A_EXEC ? addr : va_pa(a == A_READ ? g_read : g_write);
    if (gpa != addr)
        t_check(0, name, "guest-physical address 0x%llx, want 0x%llx", (unsigned long long)gpa,
                (unsigned long long)addr);
    else if (rip != want_rip)
        t_check(0, name, "guest RIP 0x%llx, want 0x%llx", (unsigned long long)rip,
                (unsigned long long)want_rip);
    else if (outcome == EXIT_EPT_VIOLATION) {
        uint64_t want = (1u << a) | ((uint64_t)perms << 3) | (1u << 7) | (1u << 8);
        if ((q & 0x1ff) != want)
            t_check(0, name, "qualification 0x%llx (bits 8:0), want 0x%llx",
                    (unsigned long long)(q & 0x1ff), (unsigned long long)want);
        else if (vmread(F_GUEST_LINEAR) != addr)
            t_check(0, name, "guest-linear address 0x%llx, want 0x%llx",
                    (unsigned long long)vmread(F_GUEST_LINEAR), (unsigned long long)addr);
        else
            t_check(1, name, "%s", "");
    } else {
        t_check(1, name, "%s", "");
    }
}

/* The permission matrix on one page size: level 1 (4 KiB, identity), 2 (2 MiB pages at 1 GiB +
 * k * 2 MiB, all mapped to host BIG2M_HPA), 3 (1 GiB pages at (4 + k) GiB, all mapped to host 0,
 * accessed at offset BIG2M_HPA). Each (permissions, access) pair gets its own page, so no
 * translation cached by an earlier access can matter. */
static void perms_matrix(int level)
{
    static const char *const lvl[] = { "", "EPT 4 KiB page ", "EPT 2 MiB page ",
                                       "EPT 1 GiB page " };
    static const char *const pn[] = { "---", "R--", "-W-", "RW-", "--X", "R-X", "-WX", "RWX" };
    int xo = (int)(cap & 1);
    for (unsigned p = 0; p < 8; p++)
        for (int a = 0; a < 3; a++) {
            unsigned idx = p * 3 + (unsigned)a;
            uint64_t gpa, off;
            if (level == 1) {
                gpa = PERM_BASE + idx * 4096ull;
                off = 0;
                uint8_t *hp = phys_ptr(gpa);
                memset(hp, 0, 4096);
                hp[0] = 0xc3;                               /* RET, for the fetch */
                ept_map4k(gpa, gpa, p ? (p | EPT_WB) : 0);
            } else if (level == 2) {
                gpa = (1ull << 30) + idx * (2ull << 20);
                off = 0;
                *ept_entry(gpa, 2) = p ? (BIG2M_HPA | EPT_PS | EPT_WB | p) : 0;
            } else {
                gpa = (4ull + idx) << 30;
                off = BIG2M_HPA;
                *ept_entry(gpa, 3) = p ? (0 | EPT_PS | EPT_WB | p) : 0;
            }
            uint64_t addr = gpa + off + (a == A_EXEC ? 0 : a == A_READ ? 0x80 : 0x100);
            int misconfig = (p & 3) == 2 || (p == 4 && !xo);
            int allowed = (p >> a) & 1;
            unsigned outcome = misconfig ? EXIT_EPT_MISCONFIG : allowed ? 0 : EXIT_EPT_VIOLATION;
            const char *res = misconfig ? "misconfiguration (49)" : allowed ? "allowed"
                                                                             : "violation (48)";
            static char name[96];
            unsigned k = 0;
            const char *parts[] = { lvl[level], pn[p], " ", acc_name[a], ": ", res };
            for (unsigned j = 0; j < 6; j++)
                for (const char *q = parts[j]; *q && k + 1 < sizeof name; q++)
                    name[k++] = *q;
            name[k] = 0;
            expect_access(name, a, addr, outcome, p);
        }
}

int main(void)
{
    t_begin("vmx_ept");
    cap = rdmsr(MSR_VMX_EPT_VPID_CAP);
    /* the guest shares these page tables: identity for 4 GiB, plus 1 GiB pages for linear
     * 4 GiB - 28 GiB (the 1 GiB EPT matrix), so guest-physical = linear everywhere */
    pt_init();
    for (uint64_t g = 4; g < 28; g++)
        *pt_entry(g << 30, 3) = (g << 30) | PT_P | PT_W | PT_PS;
    write_cr3(read_cr3());
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))g_read, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    if (!vmx_ctl_can(F_PROC2, PROC2_EPT)) {
        tprintf("# EPT not offered: nothing to test\n");
        return t_finish();
    }
    ept_init();
    vmx_ctl_set(F_PROC2, PROC2_EPT);
    vmwrite(F_EPTP, ept_eptp());
    expect_access("identity EPT: the guest reads its own data", A_READ, va_pa(&marker_1g), 0, 0);
    t_eq("... and gets the value", vmx_gregs.rax, marker_1g);

    perms_matrix(1);
    uint8_t *big = phys_ptr(BIG2M_HPA);
    memset(big, 0, 4096);
    big[0] = 0xc3;
    perms_matrix(2);
    if ((cap >> 17) & 1)
        perms_matrix(3);

    /* 2 MiB page, read-only, mapped to another host region */
    *(volatile uint64_t *)phys_ptr(BIG2M_HPA + 0x1238) = 0x2222222222222222ull;
    *ept_entry(BIG2M_GPA, 2) = BIG2M_HPA | EPT_PS | EPT_WB | EPT_R;
    expect_access("2 MiB page: read allowed", A_READ, BIG2M_GPA + 0x1238, 0, 0);
    t_eq("2 MiB page: translated to the host region", vmx_gregs.rax, 0x2222222222222222ull);
    expect_access("2 MiB page R--: write is a violation", A_WRITE, BIG2M_GPA + 0x1238,
                  EXIT_EPT_VIOLATION, 1);
    /* 1 GiB page: guest-physical 1 GiB -> host 0, read + execute */
    if ((cap >> 17) & 1) {
        *ept_entry(1ull << 30, 3) = 0 | EPT_PS | EPT_WB | EPT_R | EPT_X;
        uint64_t g = (1ull << 30) + va_pa(&marker_1g);
        expect_access("1 GiB page: read allowed", A_READ, g, 0, 0);
        t_eq("1 GiB page: GPA 1 GiB + x reads host x", vmx_gregs.rax, marker_1g);
        expect_access("1 GiB page R-X: write is a violation", A_WRITE, g, EXIT_EPT_VIOLATION, 5);
    } else {
        tprintf("# 1 GiB EPT pages not offered\n");
    }

    /* misconfigurations: reserved memory types, reserved bits of a non-leaf entry */
    static const unsigned bad_mt[] = { 2, 3, 7 };
    for (unsigned k = 0; k < 3; k++) {
        uint64_t page = MISC_GPA + k * 4096ull;
        ept_map4k(page, page, EPT_RWX | ((uint64_t)bad_mt[k] << 3));
        expect_access(k == 0 ? "leaf with memory type 2: misconfiguration"
                      : k == 1 ? "leaf with memory type 3: misconfiguration"
                               : "leaf with memory type 7: misconfiguration",
                      A_READ, page, EXIT_EPT_MISCONFIG, 0);
    }
    ept_map4k(MISC_GPA + 0x100000, MISC_GPA + 0x100000, EPT_RWX | EPT_WB);
    *ept_entry(MISC_GPA + 0x100000, 2) |= 1ull << 3;        /* non-leaf PDE: bit 3 reserved */
    expect_access("non-leaf PDE with reserved bit 3: misconfiguration", A_READ,
                  MISC_GPA + 0x100000, EXIT_EPT_MISCONFIG, 0);

    /* violation round trip: fix the entry, INVEPT, resume: the write is retried */
    uint64_t page = PERM_BASE + 30 * 4096ull;
    ept_map4k(page, page, EPT_R | EPT_WB);
    expect_access("write to a read-only page: violation", A_WRITE, page + 0x100,
                  EXIT_EPT_VIOLATION, 1);
    ept_map4k(page, page, EPT_R | EPT_W | EPT_WB);
    t_eq("INVEPT after making the page writable", (uint64_t)invept_all(), VMX_OK);
    uint64_t run = vmx_run();
    vmx_expect_exit("VMRESUME retries the write, which now completes", run, EXIT_VMCALL,
                    VMX_ANY);
    t_eq("... the guest's value is in memory", *(volatile uint64_t *)phys_ptr(page + 0x100),
         0x55);

    /* INVEPT: a remapping becomes visible after the invalidation */
    *(volatile uint64_t *)phys_ptr(INV_HPA_A) = 0x11;
    *(volatile uint64_t *)phys_ptr(INV_HPA_B) = 0x22;
    ept_map4k(INV_GPA, INV_HPA_A, EPT_RWX | EPT_WB);
    expect_access("INVEPT: read through mapping A", A_READ, INV_GPA, 0, 0);
    t_eq("... value of A", vmx_gregs.rax, 0x11);
    struct inv_desc d = { ept_eptp(), 0 };
    if ((cap >> 25) & 1) {
        ept_map4k(INV_GPA, INV_HPA_B, EPT_RWX | EPT_WB);
        t_eq("INVEPT single-context succeeds", (uint64_t)invept_r(1, &d), VMX_OK);
        expect_access("INVEPT single-context: read after remapping to B", A_READ, INV_GPA, 0, 0);
        t_eq("... value of B", vmx_gregs.rax, 0x22);
    }
    if ((cap >> 26) & 1) {
        ept_map4k(INV_GPA, INV_HPA_A, EPT_RWX | EPT_WB);
        t_eq("INVEPT all-context succeeds", (uint64_t)invept_r(2, &d), VMX_OK);
        expect_access("INVEPT all-context: read after remapping back to A", A_READ, INV_GPA, 0,
                      0);
        t_eq("... value of A", vmx_gregs.rax, 0x11);
    }
    struct inv_desc bad = { ept_eptp() | (1ull << 7), 0 };
    if ((cap >> 25) & 1)
        vmx_expect_error("INVEPT single-context with an invalid EPTP (bit 7): error 28",
                         invept_r(1, &bad), 28);

    /* accessed and dirty flags */
    if ((cap >> 21) & 1) {
        ept_map4k(AD_GPA, AD_GPA, EPT_RWX | EPT_WB);
        invept_all();
        vmwrite(F_EPTP, ept_eptp() | (1u << 6));
        expect_access("A/D enabled: read", A_READ, AD_GPA, 0, 0);
        uint64_t e = *ept_entry(AD_GPA, 1);
        t_check((e & EPT_A) && !(e & EPT_D), "EPT A/D: a read sets the accessed flag only",
                "leaf 0x%llx", (unsigned long long)e);
        expect_access("A/D enabled: write", A_WRITE, AD_GPA, 0, 0);
        e = *ept_entry(AD_GPA, 1);
        t_check((e & EPT_A) && (e & EPT_D), "EPT A/D: a write sets the dirty flag", "leaf 0x%llx",
                (unsigned long long)e);
        t_check(*ept_entry(AD_GPA, 2) & EPT_A, "EPT A/D: the PDE's accessed flag is set",
                "PDE 0x%llx", (unsigned long long)*ept_entry(AD_GPA, 2));
        vmwrite(F_EPTP, ept_eptp());
    }

    /* EPTP switching (VM function 0) */
    if (vmx_ctl_can(F_PROC2, PROC2_VMFUNC) && (rdmsr(MSR_VMX_VMFUNC) & 1)) {
        /* a second hierarchy: the same tables but for GPA SW_GPA's 2 MiB page */
        static uint64_t pml4b[512] __attribute__((aligned(4096)));
        static uint64_t pdptb[512] __attribute__((aligned(4096)));
        static uint64_t pdb[512] __attribute__((aligned(4096)));
        static uint64_t list[512] __attribute__((aligned(4096)));
        uint64_t *pml4a = phys_ptr(ept_eptp() & EPT_ADDR);
        uint64_t *pdpta = phys_ptr(pml4a[0] & EPT_ADDR);
        uint64_t *pda = phys_ptr(*ept_entry(SW_GPA, 3) & EPT_ADDR);
        memcpy(pml4b, pml4a, 4096);
        memcpy(pdptb, pdpta, 4096);
        memcpy(pdb, pda, 4096);
        pml4b[0] = va_pa(pdptb) | EPT_RWX;
        pdptb[0] = va_pa(pdb) | EPT_RWX;
        pdb[(SW_GPA >> 21) & 511] = SW_HPA | EPT_PS | EPT_WB | EPT_RWX;
        uint64_t eptp_b = va_pa(pml4b) | (3u << 3) | 6u;
        memset(list, 0, sizeof list);
        list[0] = ept_eptp();
        list[1] = eptp_b;
        *(volatile uint64_t *)phys_ptr(SW_GPA + 0x40) = 0xaaaa;
        *(volatile uint64_t *)phys_ptr(SW_HPA + 0x40) = 0xbbbb;
        vmx_ctl_set(F_PROC2, PROC2_VMFUNC);
        vmwrite(F_VMFUNC_CTRL, 1);
        vmwrite(F_EPTP_LIST, va_pa(list));
        vmwrite(F_EPTP, ept_eptp());
        vmwrite(F_G_RIP, va_pa(g_vmfunc));
        vmx_gregs.rbx = SW_GPA + 0x40;
        run = vmx_run();
        vmx_expect_exit("VMFUNC 0 (EPTP switching) to entry 1: no exit", run, EXIT_VMCALL,
                        VMX_ANY);
        t_eq("... the guest reads through the new EPT", vmx_gregs.rax, 0xbbbb);
        t_eq("... the EPTP field holds entry 1", vmread(F_EPTP), eptp_b);
        vmwrite(F_G_RIP, va_pa(g_vmfunc_bad));
        run = vmx_run();
        vmx_expect_exit("VMFUNC 0 with ECX = 512: exit 59", run, EXIT_VMFUNC, VMX_ANY);
        t_eq("... guest RIP at the VMFUNC", vmread(F_G_RIP), va_pa(g_vmfunc_bad_end) - 3);
    }
    (void)g_vmfunc_end;
    return t_finish();
}
