/* intercept.h — the root's handling of a child's port-I/O intercept (TLFS 11.10.3, message type
 * HVMSG_X64_IO_PORT_INTERCEPT on SINT0): decode the message payload, emulate the access (COM1
 * through com_emul, the debug-exit port as "finished", any other port: IN reads all ones, OUT is
 * dropped), and say which registers to write back before the VP resumes. Also the per-child
 * line buffer that turns its COM1 bytes into "[name] text" lines. Pure C: host unit tests.
 *
 * Payload layout (Linux include/hyperv/hvhdk.h, packed): header {u32 vp_index; u8
 * instruction_length:4, cr8:4; u8 intercept_access_type (0 read, 1 write); u16 execution_state;
 * 16-byte CS; u64 rip; u64 rflags} (40 bytes), then u16 port_number; u8 access_info (size 2:0,
 * string 3, rep 4); u8 instruction_byte_count; u32 reserved; u64 rax; u8 instruction_bytes[16];
 * DS, ES; u64 rcx, rsi, rdi (128 bytes in all).
 *
 * Invariants: pm_io_decode reads only payload[0, len) and refuses sizes other than 1, 2, 4 and an
 * instruction length of 0; IN results follow the SDM (IN: an 8- or 16-bit destination keeps the
 * rest of RAX, a 32-bit one zero-extends, Vol. 1 3.4.1.1); string I/O is not emulated (the child
 * is stopped).
 */
#ifndef INTERCEPT_H
#define INTERCEPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "partitions/root/com_emul.h"

#define PM_IO_MSG_SIZE 128
#define PM_DEBUG_EXIT_PORT 0xF4         /* the child's "finished" port (isa-debug-exit) */
#define PM_LINE_MAX 120

struct pm_io {
    uint32_t vp;
    uint8_t insn_len;
    bool write;
    bool string, rep;
    uint16_t port;
    uint8_t size;                       /* 1, 2 or 4 */
    uint64_t rip, rax;
};

enum pm_io_action { PM_IO_RESUME, PM_IO_FINISHED, PM_IO_UNSUPPORTED };

struct pm_io_result {
    enum pm_io_action action;
    uint64_t rip;                       /* the RIP to resume at (past the instruction) */
    uint64_t rax;                       /* RAX to write back (IN only) */
    bool set_rax;
    uint8_t exit_status;                /* PM_IO_FINISHED: the value written */
    uint8_t out[4];                     /* bytes the child sent to its COM1 */
    unsigned nout;
};

/* 0, or -1 if the payload is not a valid port-I/O intercept. */
int pm_io_decode(const uint8_t *payload, size_t len, struct pm_io *io);
void pm_io_handle(struct com_emul *com, const struct pm_io *io, struct pm_io_result *r);

/* A child's console line: bytes accumulate until '\n' (or PM_LINE_MAX characters, or a '\r' is
 * dropped); returns 1 when `line` holds a complete NUL-terminated line to print. Non-printable
 * bytes become '.' so a child cannot send control sequences to the real console. */
struct pm_linebuf { char buf[PM_LINE_MAX + 1]; unsigned n; };
int pm_line_put(struct pm_linebuf *lb, uint8_t byte, char line[PM_LINE_MAX + 1]);

#endif
