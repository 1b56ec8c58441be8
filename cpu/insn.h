/* insn.h — the compact internal form of a decoded instruction, and the handler registry.
 *
 * The decoder (decode.c) turns Capstone's output into a struct insn once, on a decode-cache
 * miss; the run loop then calls insn->fn for every execution. Handlers are registered per
 * Capstone instruction id by the ops_*.c / sys_*.c files (see op_desc below).
 *
 * Invariants:
 *  - A struct insn depends only on the instruction bytes and the code size (16/32/64) it was
 *    decoded for, never on a virtual address, so a cached block serves every mapping of its
 *    physical page. RIP-relative operands are resolved at execution (c->rip is the next RIP).
 *  - At most one explicit memory operand; its address fields are base/index/scale/disp/seg.
 *  - `osz` is the operation size in bytes after prefixes and REX.W; `asz` the address size.
 */
#ifndef HVSIM_INSN_H
#define HVSIM_INSN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cpu;
struct insn;
typedef void (*insn_fn)(struct cpu *c, const struct insn *i);

/* Operand kinds. */
enum opk {
    OPK_NONE = 0,
    OPK_REG,    /* general register `reg`, `size` bytes (1 = low byte: AL..R15B incl. SPL..DIL) */
    OPK_REGH,   /* legacy high-byte register AH/CH/DH/BH: `reg` is 0..3 (RAX..RBX) */
    OPK_MEM,    /* the instruction's memory operand, `size` bytes */
    OPK_IMM,    /* insn->imm (or imm2 for the second immediate of ENTER), sign-extended */
    OPK_SEG,    /* segment register `reg` (enum seg) */
    OPK_CR,     /* control register `reg` */
    OPK_DR,     /* debug register `reg` */
    OPK_OTHER,  /* something the handler knows by itself (x87/SSE register, ...) */
};

struct opnd {
    uint8_t kind;  /* enum opk */
    uint8_t size;  /* bytes */
    uint8_t reg;
};

/* Prefix bits (pfx). */
#define PFX_LOCK   0x01
#define PFX_REP    0x02   /* F3 */
#define PFX_REPNE  0x04   /* F2 */
#define PFX_OPSIZE 0x08   /* 66 */
#define PFX_ADSIZE 0x10   /* 67 */
#define PFX_REX    0x20   /* any REX prefix present (changes 8-bit register naming) */
#define PFX_REXW   0x40
#define PFX_SEGOVR 0x80   /* an explicit segment override was given */

#define MEM_NOREG 0xff    /* base/index absent */
#define MEM_RIP   0x10    /* base is RIP (64-bit RIP-relative) */

/* Instruction classes of the cycle model (CYCLE-MODEL.md); costs come from the CPU model file. */
enum insn_class {
    CLS_NOP, CLS_ALU, CLS_MOV, CLS_LEA, CLS_MUL, CLS_DIV, CLS_BRANCH, CLS_CALLRET, CLS_STACK,
    CLS_STRING, CLS_BITSCAN, CLS_XCHG_LOCKED, CLS_SERIAL, CLS_SYSTEM, CLS_IO, CLS_FAR,
    CLS_INT, CLS_OTHER, CLS_COUNT,
    CLS_ANNOT = CLS_COUNT   /* the annotation instruction (traces/annot_abi.h): always 0 cycles,
                               not a model key */
};

struct insn {
    insn_fn fn;        /* handler */
    int64_t imm;       /* first immediate / relative branch displacement (sign-extended) */
    int64_t disp;      /* memory displacement (64-bit moffs in 64-bit mode fits here) */
    uint64_t imm2;     /* second immediate (ENTER level, far pointer selector) */
    uint16_t id;       /* Capstone x86_insn id, for disassembly and diagnostics */
    uint8_t len;       /* instruction length in bytes */
    uint8_t osz;       /* operation size: 1, 2, 4, 8 */
    uint8_t asz;       /* address size: 2, 4, 8 */
    uint8_t pfx;       /* PFX_* */
    uint8_t seg;       /* segment of the memory operand (default or override), enum seg */
    uint8_t base;      /* base register, MEM_RIP, or MEM_NOREG */
    uint8_t index;     /* index register or MEM_NOREG */
    uint8_t scale;     /* log2 of the scale factor */
    uint8_t cls;       /* enum insn_class */
    uint8_t nops;      /* number of explicit operands in op[] */
    uint8_t opc;       /* primary opcode byte (last opcode byte), for handlers that need it */
    uint8_t modrm;     /* ModRM byte (0 if none) */
    uint8_t aux;       /* handler-private (condition code, sub-operation, ...) */
    uint8_t rsvd;
    struct opnd op[3]; /* op[0] is the destination where there is one (Intel order) */
    uint32_t cum_cost; /* class cost of this and all earlier instructions of its block, for the
                          block's cost model (set by the run loop; see exec.c) */
};

/* How one Capstone instruction id executes. If `select` is set it is called after the generic
 * decode to specialise the instruction (pick fn by operand form, set aux); it returns 0, or -1 to
 * make the instruction #UD (e.g. an illegal operand form, LOCK where not allowed). */
struct op_desc {
    insn_fn fn;
    int (*select)(struct insn *i);
    uint8_t cls;
};

/* The registry: indexed by Capstone id (X86_INS_*). Filled by the ops_*_register() functions. */
extern struct op_desc op_table[];
extern const unsigned op_table_size;

/* Each handler file exposes one of these; decode_init() calls them all (see ops_register.c). */
void ops_register_all(void);

/* Handler for an encoding the CPU model does not implement: raises #UD. */
void op_ud(struct cpu *c, const struct insn *i);

#ifdef __cplusplus
}
#endif
#endif
