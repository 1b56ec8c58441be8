/* mmio_emul.h — the device page the root emulates for each child (docs/HYPERVISOR.md "The
 * child's device page"): one 4 KiB page at GPA MMIO_EMUL_GPA, above every child's RAM (at most
 * 1 GiB) and below the local APIC page, in no child's EPT, so each access is an
 * HVMSG_UNMAPPED_GPA intercept (TLFS 11.10) the root completes from the message's instruction
 * bytes (krt/x86_mov.h). Pure C: the state machine, the decoding of a message and the register
 * arithmetic are host-tested (tests/unit/test_pm_mmio.cc); partitions/root/pm_msg.c does the
 * GetVpRegisters / SetVpRegisters around them.
 *
 * Registers (offsets in the page; little-endian; an access of 1, 2, 4 or 8 bytes at an offset
 * that is a multiple of its size reads or writes those bytes of the register file):
 *   0x00  ID       32-bit, read-only: MMIO_EMUL_ID (bytes 0x04-0x07 read 0); writes ignored
 *   0x08  DATA     write-only: the byte written at offset 0x08 (the low byte of a wider write)
 *                  is one byte of the child's console output, printed like its COM1 output
 *                  (`[name] text` lines, the same line buffer); reads 0
 *   0x10  SCRATCH  64-bit read/write, per child, 0 at the child's creation; a narrower access
 *                  reads or writes only its bytes
 *   any other offset: reads 0, writes ignored (reserved)
 * The child is stopped (the root prints why) for: an access whose offset is not a multiple of
 * its size (this also covers every access that would cross the page's end), an instruction
 * that is not one of krt_mov_decode's MOV forms or whose bytes the message does not hold in
 * full, a fetch from the page, and a message whose access type (read / write) disagrees with the
 * decoded instruction.
 *
 * Completion (SDM Vol. 1 3.4.1.1): a load into a 32-bit register zero-extends into the 64-bit
 * register; an 8- or 16-bit load keeps the register's other bits (AH..BH: bits 15:8); a 64-bit
 * load replaces it. RIP = the message's RIP + the instruction's length (truncated to 32 bits
 * outside 64-bit mode).
 *
 * Invariants: nothing here performs I/O or reads past the buffers it is given; the device's
 * only state is `scratch`.
 */
#ifndef MMIO_EMUL_H
#define MMIO_EMUL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"
#include "krt/x86_mov.h"

#define MMIO_EMUL_GPA     0xF0000000ull
#define MMIO_EMUL_SIZE    0x1000ull
#define MMIO_EMUL_ID      0x4D4D5648u     /* its bytes at 0x00-0x03 spell "HVMM" */
#define MMIO_EMUL_REG_ID      0x00u
#define MMIO_EMUL_REG_DATA    0x08u
#define MMIO_EMUL_REG_SCRATCH 0x10u

struct mmio_emul {
    uint64_t scratch;
};

/* One access, decoded from an intercept message (mmio_emul_decode). */
struct mmio_emul_req {
    uint32_t vp;                /* the child's VP */
    uint32_t offset;            /* in the page */
    uint64_t rip;               /* of the instruction */
    uint64_t next_rip;          /* past it */
    struct krt_mov mov;
    uint32_t reg_name;          /* HV_X64_REGISTER_RAX + mov.reg, if mov.reg >= 0 */
    bool need_reg;              /* the register's value is needed (a store of a register, or
                                 * an 8/16-bit load that keeps its other bits) */
};

struct mmio_emul_result {
    bool set_reg;               /* write reg_value to req.reg_name (a load) */
    uint64_t reg_value;
    bool has_out;               /* a console byte (a DATA write) */
    uint8_t out;
};

void mmio_emul_reset(struct mmio_emul *d);

/* gpa is in the device page. */
bool mmio_emul_owns(uint64_t gpa);

/* Check and decode the payload of an HVMSG_UNMAPPED_GPA message whose GPA is in the page;
 * 0, or -1 with a one-line reason in why (the child is then stopped). */
int mmio_emul_decode(const uint8_t *payload, size_t len, struct mmio_emul_req *r, char *why,
                     size_t whylen);

/* Perform the access: `reg` is the register's value (if need_reg; else ignored). 0, or -1 with
 * a reason (an unaligned access). */
int mmio_emul_access(struct mmio_emul *d, const struct mmio_emul_req *r, uint64_t reg,
                     struct mmio_emul_result *res, char *why, size_t whylen);

/* x86 register write-back of a `size`-byte load of `value` into a register holding `old`
 * (SDM Vol. 1 3.4.1.1; high8: bits 15:8). */
uint64_t mmio_emul_merge(uint64_t old, uint64_t value, unsigned size, bool high8);

#endif
