/* smc.c — self-modifying and cross-mapped code: every store into bytes that are later
 * executed must be seen by the fetch (SDM Vol. 3 8.1.3), whatever path the store takes (plain
 * MOV, REP MOVSB, another linear address of the same physical page) and wherever the code is
 * (same block, other block, instruction crossing a page boundary). */
#include "lib/pt64.h"
#include "lib/test.h"
#include "lib/trap64.h"
#include "lib/x86.h"

#define ALIAS_VA 0x40000000ull

int smc_next_insn(int v);
int smc_ahead(int v);
int smc_loop(int n);
void smc_rep_movsb(void *dst, const void *src, unsigned long n);

typedef uint32_t (*ret_fn)(void);

/* Emit "mov $imm, %eax; ret" at p. */
static void emit_mov_ret(uint8_t *p, uint32_t imm)
{
    p[0] = 0xb8;
    memcpy(p + 1, &imm, 4);
    p[5] = 0xc3;
}

static void rewrite_buffer(uint8_t *code)
{
    ret_fn f = (ret_fn)(uintptr_t)code;
    emit_mov_ret(code, 1);
    t_eq("generated code runs", f(), 1);
    unsigned bad = 0;
    for (uint32_t k = 2; k < 200; k++) {
        memcpy(code + 1, &k, 4);
        if (f() != k)
            bad++;
    }
    t_check(bad == 0, "198 rewrites of an immediate are each seen by the next call",
            "%u stale results", bad);
}

static void same_block(void)
{
    t_eq("store into the next instruction of the same block", (uint64_t)smc_next_insn(0x42), 0x42);
    t_eq("... and again with another value", (uint64_t)smc_next_insn(0x99), 0x99);
    t_eq("store three instructions ahead in the same block", (uint64_t)smc_ahead(0x5a5a5a5a),
         0x5a5a5a5a);
    t_eq("loop rewriting an already-executed instruction of its own block",
         (uint64_t)smc_loop(100), 5049);   /* 2 + ... + 100 */
    t_eq("... second run", (uint64_t)smc_loop(10), 54);
}

static void string_store(uint8_t *code)
{
    ret_fn f = (ret_fn)(uintptr_t)code;
    uint8_t fresh[6];
    emit_mov_ret(code, 0x1111);
    t_eq("before REP MOVSB", f(), 0x1111);
    emit_mov_ret(fresh, 0x2222);
    smc_rep_movsb(code, fresh, sizeof fresh);
    t_eq("REP MOVSB over code is seen by the next fetch", f(), 0x2222);
}

static void alias(uint8_t *code)
{
    ret_fn f = (ret_fn)(uintptr_t)code;
    pt_map4k(ALIAS_VA, (uint64_t)(uintptr_t)code, PT_P | PT_W);
    emit_mov_ret(code, 0x3333);
    t_eq("before the alias store", f(), 0x3333);
    uint32_t v = 0x4444;
    memcpy((uint8_t *)(uintptr_t)ALIAS_VA + 1, &v, 4);
    t_eq("store through another linear address of the code page is seen", f(), 0x4444);
    ret_fn g = (ret_fn)(uintptr_t)ALIAS_VA;
    t_eq("the same code runs through the alias", g(), 0x4444);
    v = 0x5555;
    memcpy(code + 1, &v, 4);
    t_eq("store through the original address is seen through the alias", g(), 0x5555);
}

static void page_crossing(uint8_t *two_pages)
{
    uint8_t *p = two_pages + 4096 - 3;   /* B8 | imm32 split 2+2 across the boundary | C3 */
    ret_fn f = (ret_fn)(uintptr_t)p;
    emit_mov_ret(p, 0x01020304);
    t_eq("instruction crossing a page boundary", f(), 0x01020304);
    two_pages[4096] = 0xee;              /* immediate byte 2 (0x02), in the second page */
    t_eq("store into the second page of a crossing instruction is seen", f(), 0x01ee0304);
    two_pages[4095] = 0xdd;              /* immediate byte 1 (0x03), in the first page */
    t_eq("store into the first page of a crossing instruction is seen", f(), 0x01eedd04);
}

int main(void)
{
    t_begin("smc");
    sys64_init();
    pt_init();
    uint8_t *code = pt_alloc_page();
    uint8_t *two = pt_alloc_page();
    uint8_t *two_b = pt_alloc_page();
    rewrite_buffer(code);
    same_block();
    string_store(code);
    alias(code);
    if (two_b == two + 4096)
        page_crossing(two);
    else
        t_check(0, "page-crossing setup", "pool pages not contiguous");
    return t_finish();
}
