/* diff_uc.cc — the Unicorn 2.0.1 side of the differential tests (the reference).
 *
 * Unicorn runs its own flat 32-bit or 64-bit mode (no page tables needed); the code, data and
 * stack areas are mapped at the addresses of diff_case.h. Exceptions: the interrupt hook records
 * the vector and stops; UC_ERR_INSN_INVALID is #UD — except for POPCNT and MOVBE, which Unicorn
 * 2.0.1 rejects because its CPUID feature set lacks them (upstream issue #1787: x86_reg_reset
 * hard-codes CPUID.1:ECX). Those two are executed here from their SDM definitions and the run
 * continues (documented in docs/DIFFERENTIAL-TESTING.md).
 *
 * Invariant: each run rewrites code, data, stack and all registers and drops Unicorn's
 * translation cache for the code area, so runs are independent.
 */
#include "tests/diff/diff_run.h"

#include <capstone/capstone.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include <stdexcept>

namespace diff {

static const int uc_gpr64[16] = {
    UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX, UC_X86_REG_RSP,
    UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_R8, UC_X86_REG_R9,
    UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
    UC_X86_REG_R15,
};
static const int uc_gpr32[8] = {
    UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX, UC_X86_REG_ESP,
    UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI,
};

uint64_t ref_popcnt(uint64_t v)
{
    uint64_t n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

uint64_t ref_bswap(uint64_t v, int size)
{
    uint64_t r = 0;
    for (int i = 0; i < size; i++)
        r |= ((v >> (8 * i)) & 0xff) << (8 * (size - 1 - i));
    return r;
}

struct UcRunner::Impl {
    int mode = 8;
    uc_engine *uc = nullptr;
    uc_hook intr_hook = 0;
    int fault = -1;             /* of the current (or last) run */
    csh cs = 0;
    std::vector<uint8_t> zeros;

    int gpr_id(int r) const { return mode == 8 ? uc_gpr64[r] : uc_gpr32[r]; }
    uint64_t get(int r)
    {
        uint64_t v = 0;
        uc_reg_read(uc, gpr_id(r), &v);
        return mode == 8 ? v : (uint32_t)v;
    }
    void set(int r, uint64_t v) { uc_reg_write(uc, gpr_id(r), &v); }

    /* Capstone register -> (GPR, byte offset, size). */
    bool cs_reg(unsigned reg, int *gpr, int *shift, int *size)
    {
        const char *n = cs_reg_name(cs, reg);
        static const char *const r8[] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil" };
        static const char *const r8h[] = { "ah", "ch", "dh", "bh" };
        static const char *const r16[] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
        if (!n)
            return false;
        *shift = 0;
        for (int i = 0; i < 8; i++) {
            if (!strcmp(n, r8[i])) { *gpr = i; *size = 1; return true; }
            if (!strcmp(n, r16[i])) { *gpr = i; *size = 2; return true; }
            if (n[0] == 'e' && !strcmp(n + 1, r16[i])) { *gpr = i; *size = 4; return true; }
            if (n[0] == 'r' && !strcmp(n + 1, r16[i])) { *gpr = i; *size = 8; return true; }
        }
        for (int i = 0; i < 4; i++)
            if (!strcmp(n, r8h[i])) { *gpr = i; *size = 1; *shift = 8; return true; }
        if (n[0] == 'r' && n[1] >= '0' && n[1] <= '9') {
            int k = atoi(n + 1);
            const char *suf = n + 1 + (k >= 10 ? 2 : 1);
            *gpr = k;
            *size = !*suf ? 8 : *suf == 'd' ? 4 : *suf == 'w' ? 2 : 1;
            return true;
        }
        return false;
    }
    uint64_t read_reg(unsigned reg)
    {
        int g, sh, sz;
        if (!cs_reg(reg, &g, &sh, &sz))
            throw std::runtime_error("unknown register");
        uint64_t v = get(g) >> sh;
        return sz == 8 ? v : v & ((1ull << (8 * sz)) - 1);
    }
    void write_reg(unsigned reg, uint64_t v)
    {
        int g, sh, sz;
        if (!cs_reg(reg, &g, &sh, &sz))
            throw std::runtime_error("unknown register");
        uint64_t old = get(g);
        if (sz == 4)                                /* 32-bit writes zero-extend */
            old = v & 0xffffffff;
        else if (sz == 8)
            old = v;
        else {
            uint64_t m = ((1ull << (8 * sz)) - 1) << sh;
            old = (old & ~m) | ((v << sh) & m);
        }
        set(g, old);
    }
    uint64_t ea(const cs_x86_op &op, const cs_insn *in)
    {
        uint64_t a = (uint64_t)op.mem.disp;
        if (op.mem.base == X86_REG_RIP || op.mem.base == X86_REG_EIP)
            a += in->address + in->size;
        else if (op.mem.base != X86_REG_INVALID)
            a += read_reg(op.mem.base);
        if (op.mem.index != X86_REG_INVALID)
            a += read_reg(op.mem.index) * (uint64_t)op.mem.scale;
        int asz = in->detail->x86.addr_size;
        return asz == 8 ? a : a & ((1ull << (8 * asz)) - 1);   /* flat segments: base 0 */
    }

    /* Execute POPCNT or MOVBE at rip (SDM Vol. 2). Returns false if it is something else. */
    bool emulate(uint64_t rip)
    {
        uint8_t buf[16];
        if (uc_mem_read(uc, rip, buf, sizeof buf) != UC_ERR_OK)
            return false;
        cs_insn *in = nullptr;
        if (cs_disasm(cs, buf, sizeof buf, rip, 1, &in) != 1)
            return false;
        bool ok = true;
        const cs_x86 &x = in->detail->x86;
        if (in->id == X86_INS_POPCNT) {
            const cs_x86_op &d = x.operands[0], &s = x.operands[1];
            uint64_t v;
            if (s.type == X86_OP_REG) {
                v = read_reg(s.reg);
            } else {
                v = 0;
                uc_mem_read(uc, ea(s, in), &v, s.size);
            }
            write_reg(d.reg, ref_popcnt(v));
            uint64_t fl = 0;
            uc_reg_read(uc, UC_X86_REG_EFLAGS, &fl);
            fl &= ~(uint64_t)0x8d5;                 /* OF SF ZF AF PF CF cleared ... */
            if (v == 0)
                fl |= 0x40;                         /* ... ZF = (source == 0) */
            uc_reg_write(uc, UC_X86_REG_EFLAGS, &fl);
        } else if (in->id == X86_INS_MOVBE) {
            const cs_x86_op &d = x.operands[0], &s = x.operands[1];
            if (d.type == X86_OP_REG) {
                uint64_t v = 0;
                uc_mem_read(uc, ea(s, in), &v, s.size);
                write_reg(d.reg, ref_bswap(v, s.size));
            } else {
                uint64_t v = ref_bswap(read_reg(s.reg), d.size);
                uc_mem_write(uc, ea(d, in), &v, d.size);
            }
        } else {
            ok = false;
        }
        if (ok) {
            uint64_t next = rip + in->size;
            uc_reg_write(uc, mode == 8 ? UC_X86_REG_RIP : UC_X86_REG_EIP, &next);
        }
        cs_free(in, 1);
        return ok;
    }
};

static void on_intr(uc_engine *uc, uint32_t intno, void *user)
{
    UcRunner::Impl *p = (UcRunner::Impl *)user;
    if (p->fault < 0)
        p->fault = (int)intno;
    uc_emu_stop(uc);
}

/* A fresh engine. Needed after every exception too: Unicorn 2.0.1 stops inside the delivery
 * (our hook), so QEMU's "exception in progress" state survives and the next #DE/#GP in the same
 * engine is escalated to #DF (vector 8). */
static void uc_fresh(UcRunner::Impl &p)
{
    if (p.uc)
        uc_close(p.uc);
    p.uc = nullptr;
    if (uc_open(UC_ARCH_X86, p.mode == 8 ? UC_MODE_64 : UC_MODE_32, &p.uc) != UC_ERR_OK)
        throw std::runtime_error("uc_open failed");
    uc_mem_map(p.uc, DATA_BASE, DATA_SIZE + STACK_SIZE, UC_PROT_ALL);
    uc_mem_map(p.uc, CODE_BASE, CODE_SIZE, UC_PROT_ALL);
    uc_hook_add(p.uc, &p.intr_hook, UC_HOOK_INTR, (void *)on_intr, &p, 1, 0);
}

UcRunner::UcRunner(int mode) : p_(new Impl)
{
    p_->mode = mode;
    uc_fresh(*p_);
    if (cs_open(CS_ARCH_X86, mode == 8 ? CS_MODE_64 : CS_MODE_32, &p_->cs) != CS_ERR_OK)
        throw std::runtime_error("cs_open failed");
    cs_option(p_->cs, CS_OPT_DETAIL, CS_OPT_ON);
    p_->zeros.assign(CODE_SIZE, 0);
}

UcRunner::~UcRunner()
{
    if (p_->uc)
        uc_close(p_->uc);
    if (p_->cs)
        cs_close(&p_->cs);
}

State UcRunner::run(const Case &c)
{
    Impl &p = *p_;
    if (p.fault >= 0)
        uc_fresh(p);
    uc_engine *uc = p.uc;
    State s;
    const int ripreg = p.mode == 8 ? UC_X86_REG_RIP : UC_X86_REG_EIP;

    uc_mem_write(uc, CODE_BASE, p.zeros.data(), CODE_SIZE);
    std::vector<uint8_t> code = c.code;
    for (const auto &pt : c.uc_patch)
        code.at(pt.first) = pt.second;
    uc_mem_write(uc, CODE_BASE, code.data(), code.size());
    uc_ctl_remove_cache(uc, CODE_BASE, CODE_BASE + CODE_SIZE);
    uc_mem_write(uc, DATA_BASE, c.init.data.data(), DATA_SIZE);
    uc_mem_write(uc, STACK_BASE, c.init.stack.data(), STACK_SIZE);
    for (int r = 0; r < (p.mode == 8 ? 16 : 8); r++)
        p.set(r, c.init.gpr[r]);
    uint64_t rip = c.init.rip, fl = c.init.rflags;
    uc_reg_write(uc, ripreg, &rip);
    uc_reg_write(uc, UC_X86_REG_EFLAGS, &fl);
    p.fault = -1;

    uint64_t pc = c.init.rip;
    const uint64_t count = c.sdm_fault >= 0 ? c.uc_count : c.count;
    for (int resumes = 0;; resumes++) {
        if (count == 0)
            break;
        uc_err err = uc_emu_start(uc, pc, 0, 0, count);
        if (err == UC_ERR_INSN_INVALID && p.fault < 0) {
            uint64_t at = 0;
            uc_reg_read(uc, ripreg, &at);
            if (resumes < 64 && p.emulate(at)) {
                uc_reg_read(uc, ripreg, &pc);
                continue;
            }
            p.fault = 6;
            break;
        }
        if (err != UC_ERR_OK)
            s.error = std::string("unicorn: ") + uc_strerror(err);
        break;
    }

    for (int r = 0; r < (p.mode == 8 ? 16 : 8); r++)
        s.gpr[r] = p.get(r);
    uc_reg_read(uc, ripreg, &s.rip);
    if (p.mode == 4)
        s.rip = (uint32_t)s.rip;
    uint64_t f = 0;
    uc_reg_read(uc, UC_X86_REG_EFLAGS, &f);
    s.rflags = (uint32_t)f;
    s.data.resize(DATA_SIZE);
    s.stack.resize(STACK_SIZE);
    uc_mem_read(uc, DATA_BASE, s.data.data(), DATA_SIZE);
    uc_mem_read(uc, STACK_BASE, s.stack.data(), STACK_SIZE);
    s.fault = p.fault;
    if (c.sdm_fault >= 0 && s.fault < 0)
        s.fault = c.sdm_fault;      /* documented deviation: the SDM is the reference here */
    return s;
}

} // namespace diff
