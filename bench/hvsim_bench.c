/* hvsim_bench.c — simulated MIPS of hvsim's CPU against Unicorn on the same target code.
 *
 * For each workload ELF (built from bench/NAME.c with the target toolchain): the exec machine loads
 * it (identity page tables, long mode, sim/direct_boot.h); Unicorn gets a byte-identical copy of
 * that RAM and the same register state (CR0/CR3/CR4/EFER, RIP, RSP, RDI, RSI). Both run from the
 * entry to __target_exit (the instruction after `call main` in crt0):
 *   1. Unicorn with a code hook counts the instructions N (not timed);
 *   2. Unicorn without hooks runs to __target_exit (timed);
 *   3. hvsim runs exactly N instructions (timed, cycle model on), and must then be at
 *      __target_exit with the same RAX (main's result) as Unicorn.
 * Prints one line per workload: `bench: NAME hvsim_mips=X unicorn_mips=Y ratio=Z`
 * (ratio = hvsim / Unicorn). Exit status 1 if any run disagrees.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

#include "sim/exec_machine.h"

#define RAM_SIZE (64ull << 20)
#define REPEAT 3

struct run {
    uint64_t insns, rax, rip, cycles;
    double secs;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    char *out = strdup(s ? s + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot)
        *dot = 0;
    return out;
}

static struct exec_machine *load(const char *path)
{
    char err[512];
    struct exec_machine *m = malloc(sizeof *m);
    if (!m || exec_machine_init(m, RAM_SIZE, NULL, NULL, err, sizeof err) ||
        exec_machine_load(m, path, err, sizeof err)) {
        fprintf(stderr, "hvsim_bench: %s\n", m ? err : "out of memory");
        exit(2);
    }
    return m;
}

static void uc_check(uc_err e, const char *what)
{
    if (e != UC_ERR_OK) {
        fprintf(stderr, "hvsim_bench: unicorn %s: %s\n", what, uc_strerror(e));
        exit(2);
    }
}

/* A Unicorn engine in the state the exec machine's CPU starts in. */
static uc_engine *uc_from(struct exec_machine *m)
{
    const struct cpu *c = &m->cpu;
    uc_engine *uc;
    uc_check(uc_open(UC_ARCH_X86, UC_MODE_64, &uc), "open");
    uc_check(uc_mem_map(uc, 0, m->ram_size, UC_PROT_ALL), "mem_map");
    uc_check(uc_mem_write(uc, 0, m->bus.ram, m->ram_size), "mem_write");
    uint64_t v;
    uc_x86_msr efer = { 0xc0000080u, c->msr.efer };
    uc_check(uc_reg_write(uc, UC_X86_REG_CR3, &c->cr3), "CR3");
    uc_check(uc_reg_write(uc, UC_X86_REG_CR4, &c->cr4), "CR4");
    uc_check(uc_reg_write(uc, UC_X86_REG_MSR, &efer), "EFER");
    uc_check(uc_reg_write(uc, UC_X86_REG_CR0, &c->cr0), "CR0");
    v = c->gpr[R_RSP];
    uc_check(uc_reg_write(uc, UC_X86_REG_RSP, &v), "RSP");
    v = c->gpr[R_RDI];
    uc_check(uc_reg_write(uc, UC_X86_REG_RDI, &v), "RDI");
    v = c->gpr[R_RSI];
    uc_check(uc_reg_write(uc, UC_X86_REG_RSI, &v), "RSI");
    return uc;
}

static void count_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    (void)uc;
    (void)addr;
    (void)size;
    ++*(uint64_t *)user;
}

static struct run run_unicorn(const char *path, uint64_t exit_addr, int counting)
{
    struct exec_machine *m = load(path);
    uc_engine *uc = uc_from(m);
    struct run r = { 0 };
    uc_hook h;
    if (counting)
        uc_check(uc_hook_add(uc, &h, UC_HOOK_CODE, count_hook, &r.insns, 1, 0), "hook");
    double t0 = now();
    uc_check(uc_emu_start(uc, m->cpu.rip, exit_addr, 0, 0), "emu_start");
    r.secs = now() - t0;
    uc_reg_read(uc, UC_X86_REG_RAX, &r.rax);
    uc_reg_read(uc, UC_X86_REG_RIP, &r.rip);
    uc_close(uc);
    exec_machine_destroy(m);
    free(m);
    return r;
}

static struct run run_hvsim(const char *path, uint64_t n)
{
    struct exec_machine *m = load(path);
    struct cpu *c = &m->cpu;
    struct run r = { 0 };
    double t0 = now();
    while (c->ctr.insns < n) {
        cpu_run(c, n - c->ctr.insns);
        if (c->stop != STOP_NONE)
            break;
    }
    r.secs = now() - t0;
    r.insns = c->ctr.insns;
    r.cycles = c->ctr.cycles;
    r.rax = c->gpr[R_RAX];
    r.rip = c->rip;
    exec_machine_destroy(m);
    free(m);
    return r;
}

static int bench_one(const char *path)
{
    const char *name = base_name(path);
    char err[512];
    uint64_t exit_addr;
    if (elf_symbol(path, "__target_exit", &exit_addr, err, sizeof err)) {
        fprintf(stderr, "hvsim_bench: %s\n", err);
        return 1;
    }
    struct run ref = run_unicorn(path, exit_addr, 1);
    if (ref.rip != exit_addr) {
        fprintf(stderr, "hvsim_bench: %s: unicorn stopped at 0x%" PRIx64 ", not at __target_exit"
                " 0x%" PRIx64 "\n", name, ref.rip, exit_addr);
        return 1;
    }
    double uc_best = 1e30, hv_best = 1e30;
    struct run hv = { 0 };
    for (int k = 0; k < REPEAT; k++) {
        struct run u = run_unicorn(path, exit_addr, 0);
        if (u.secs < uc_best)
            uc_best = u.secs;
        hv = run_hvsim(path, ref.insns);
        if (hv.secs < hv_best)
            hv_best = hv.secs;
        if (hv.insns != ref.insns || hv.rip != exit_addr || hv.rax != ref.rax)
            break;
    }
    if (hv.insns != ref.insns || hv.rip != exit_addr || hv.rax != ref.rax) {
        printf("bench: %s MISMATCH hvsim insns=%" PRIu64 " rip=0x%" PRIx64 " rax=0x%" PRIx64
               "; unicorn insns=%" PRIu64 " rip=0x%" PRIx64 " rax=0x%" PRIx64 "\n", name,
               hv.insns, hv.rip, hv.rax, ref.insns, exit_addr, ref.rax);
        return 1;
    }
    double hv_mips = (double)ref.insns / hv_best / 1e6;
    double uc_mips = (double)ref.insns / uc_best / 1e6;
    printf("bench: %s hvsim_mips=%.1f unicorn_mips=%.1f ratio=%.3f\n", name, hv_mips, uc_mips,
           hv_mips / uc_mips);
    printf("#   %s: %" PRIu64 " instructions, result 0x%" PRIx64 " on both; hvsim %.3f s, "
           "%" PRIu64 " cycles (IPC %.2f); unicorn %.3f s; best of %d\n", name, ref.insns,
           ref.rax, hv_best, hv.cycles, hv.cycles ? (double)ref.insns / (double)hv.cycles : 0.0,
           uc_best, REPEAT);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hvsim_bench WORKLOAD.elf...\n");
        return 2;
    }
    int bad = 0;
    for (int k = 1; k < argc; k++)
        bad |= bench_one(argv[k]);
    return bad;
}
