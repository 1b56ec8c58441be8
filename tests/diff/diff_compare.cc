/* diff_compare.cc — comparing the hvsim end state with Unicorn's, and the failure report.
 *
 * Compared (normal case): GPRs (low 32 bits in 32-bit mode), RIP, RFLAGS under the case's
 * flag_mask (undefined flags removed, diff_flags.h), the data area and the stack area.
 * Fault case (expect_fault): the vector, GPRs except rSP, the arithmetic flags and DF under the
 * mask, and the data area; RIP, rSP and the stack hold the exception frame, which Unicorn does
 * not build.
 */
#include <stdio.h>

#include "tests/diff/diff_flags.h"
#include "tests/diff/diff_run.h"
#include "tests/diff/diff_x86.h"

namespace diff {

static const char *const reg64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                       "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const reg32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

static std::string hex(uint64_t v, int digits)
{
    char b[32];
    snprintf(b, sizeof b, "%0*llx", digits, (unsigned long long)v);
    return b;
}

static std::string flag_names(uint64_t f)
{
    static const struct { uint32_t bit; const char *n; } names[] = {
        { 1u << 0, "CF" }, { 1u << 2, "PF" }, { 1u << 4, "AF" }, { 1u << 6, "ZF" },
        { 1u << 7, "SF" }, { 1u << 8, "TF" }, { 1u << 9, "IF" }, { 1u << 10, "DF" },
        { 1u << 11, "OF" }, { 3u << 12, "IOPL" }, { 1u << 14, "NT" }, { 1u << 16, "RF" },
        { 1u << 17, "VM" }, { 1u << 18, "AC" }, { 1u << 19, "VIF" }, { 1u << 20, "VIP" },
        { 1u << 21, "ID" },
    };
    std::string s;
    for (auto &n : names)
        if (f & n.bit)
            s += (s.empty() ? "" : "|") + std::string(n.n);
    return s.empty() ? "-" : s;
}

static void mem_diff(Diff &d, const char *what, uint64_t base, const std::vector<uint8_t> &h,
                     const std::vector<uint8_t> &u)
{
    int shown = 0, total = 0;
    for (size_t i = 0; i < h.size() && i < u.size(); i++) {
        if (h[i] == u[i])
            continue;
        total++;
        if (shown < 16) {
            d.lines.push_back(std::string(what) + " byte at 0x" + hex(base + i, 5) + ": hvsim " +
                              hex(h[i], 2) + ", unicorn " + hex(u[i], 2));
            shown++;
        }
    }
    if (total > shown)
        d.lines.push_back(std::string(what) + ": " + std::to_string(total - shown) +
                          " more differing bytes");
}

Diff compare(const Case &c, const State &hv, const State &uc)
{
    Diff d;
    if (!uc.error.empty())
        d.lines.push_back("reference failed to run the case: " + uc.error);
    if (!hv.error.empty())
        d.lines.push_back(hv.error);
    const bool fault = c.expect_fault;
    if (hv.fault != uc.fault) {
        d.lines.push_back("exception: hvsim " + (hv.fault < 0 ? std::string("none") :
                          "vector " + std::to_string(hv.fault)) + ", unicorn " +
                          (uc.fault < 0 ? std::string("none") : "vector " +
                          std::to_string(uc.fault)));
    } else if (fault && hv.fault < 0) {
        d.lines.push_back("harness: the case should raise an exception but neither side did");
    } else if (!fault && hv.fault >= 0) {
        d.lines.push_back("both raised vector " + std::to_string(hv.fault) +
                          " in a case generated not to fault (generator problem)");
    }
    const int n = c.mode == 8 ? 16 : 8;
    const uint64_t m = c.mode == 8 ? ~0ull : 0xffffffffull;
    for (int r = 0; r < n; r++) {
        if (fault && r == RSP)
            continue;
        if ((hv.gpr[r] & m) != (uc.gpr[r] & m)) {
            d.regs = true;
            d.lines.push_back(std::string(c.mode == 8 ? reg64[r] : reg32[r]) + ": hvsim " +
                              hex(hv.gpr[r] & m, c.mode * 2) + ", unicorn " +
                              hex(uc.gpr[r] & m, c.mode * 2));
        }
    }
    if (!fault && hv.rip != uc.rip) {
        d.regs = true;
        d.lines.push_back("rip: hvsim " + hex(hv.rip, c.mode * 2) + ", unicorn " +
                          hex(uc.rip, c.mode * 2));
    }
    uint64_t fm = c.flag_mask & (fault ? (FL_ARITH | FL_DF) : ~0u);
    uint64_t fd = (hv.rflags ^ uc.rflags) & fm;
    if (fd) {
        d.regs = true;
        d.lines.push_back("rflags (" + flag_names(fd) + " differ): hvsim " + hex(hv.rflags, 8) +
                          " [" + flag_names(hv.rflags) + "], unicorn " + hex(uc.rflags, 8) + " [" +
                          flag_names(uc.rflags) + "], compared " + flag_names(fm & FL_ARITH) +
                          (fm & FL_DF ? "|DF" : "") + "+system");
    }
    mem_diff(d, "data", DATA_BASE, hv.data, uc.data);
    if (!fault)
        mem_diff(d, "stack", STACK_BASE, hv.stack, uc.stack);
    return d;
}

std::string listing(const Case &c)
{
    std::string s;
    for (const InsnInfo &ii : c.insns) {
        std::string bytes;
        for (int i = 0; i < ii.len; i++)
            bytes += hex(c.code[ii.off + i], 2);
        char line[256];
        snprintf(line, sizeof line, "  %s %08llx  %-30s %s\n", ii.setup ? "  " : "=>",
                 (unsigned long long)(CODE_BASE + ii.off), bytes.c_str(), ii.text.c_str());
        s += line;
    }
    return s;
}

static std::string regs_line(const Case &c, const State &st, const State *other)
{
    std::string s;
    const int n = c.mode == 8 ? 16 : 8;
    const uint64_t m = c.mode == 8 ? ~0ull : 0xffffffffull;
    for (int r = 0; r < n; r++) {
        bool diff = other && (st.gpr[r] & m) != (other->gpr[r] & m);
        s += std::string(diff ? "*" : " ") + (c.mode == 8 ? reg64[r] : reg32[r]) + "=" +
             hex(st.gpr[r] & m, c.mode * 2) + ((r % 4 == 3) ? "\n" : " ");
    }
    bool rd = other && st.rip != other->rip;
    bool fd = other && ((st.rflags ^ other->rflags) & c.flag_mask);
    s += std::string(rd ? "*" : " ") + "rip=" + hex(st.rip, c.mode * 2) + (fd ? " *" : "  ") +
         "rflags=" + hex(st.rflags, 8) + " [" + flag_names(st.rflags) + "]";
    if (st.fault >= 0)
        s += "  exception vector " + std::to_string(st.fault);
    return s + "\n";
}

/* Memory the run changed on either side: 8-byte rows, initial / hvsim / unicorn. */
static std::string mem_changes(const std::vector<uint8_t> &init, const std::vector<uint8_t> &h,
                               const std::vector<uint8_t> &u, uint64_t base)
{
    std::string s;
    int rows = 0;
    for (size_t r = 0; r + 8 <= init.size() && rows < 12; r += 8) {
        bool ch = false;
        for (size_t i = r; i < r + 8; i++)
            ch |= (i < h.size() && h[i] != init[i]) || (i < u.size() && u[i] != init[i]);
        if (!ch)
            continue;
        rows++;
        auto row = [&](const std::vector<uint8_t> &v) {
            uint64_t x = 0;
            for (int i = 7; i >= 0; i--)
                x = x << 8 | (r + i < v.size() ? v[r + i] : 0);
            return hex(x, 16);
        };
        s += "  [" + hex(base + r, 5) + "] initial " + row(init) + "  hvsim " + row(h) +
             "  unicorn " + row(u) + (row(h) != row(u) ? "  *" : "") + "\n";
    }
    return s;
}

std::string report(const Case &c, const State &hv, const State &uc, const Diff &d)
{
    std::string s;
    s += "group " + c.group + ", " + (c.mode == 8 ? "64" : "32") + "-bit, seed 0x" +
         hex(c.seed, 16) + ", " + (c.term == Term::Count ? "stop after " +
         std::to_string(c.count) + " instructions" : std::string("stop at HLT")) +
         (c.expect_fault ? ", expects an exception" : "") + "\n";
    s += "code (=> instruction under test):\n" + listing(c);
    s += "initial state:\n" + regs_line(c, c.init, nullptr);
    s += "hvsim final:\n" + regs_line(c, hv, &uc);
    s += "unicorn final (reference):\n" + regs_line(c, uc, &hv);
    std::string mc = mem_changes(c.init.data, hv.data, uc.data, DATA_BASE) +
                     mem_changes(c.init.stack, hv.stack, uc.stack, STACK_BASE);
    if (!mc.empty())
        s += "memory written (little-endian qwords):\n" + mc;
    s += "RFLAGS compared under mask " + hex(c.flag_mask, 8) + " (undefined: " +
         flag_names(~c.flag_mask & 0x8d5) + ")\n";
    s += "differences:\n";
    for (const std::string &l : d.lines)
        s += "  " + l + "\n";
    return s;
}

} // namespace diff
