/* intercept.c — decode and emulate a child's port-I/O intercept (see intercept.h). */
#include "partitions/root/intercept.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

int pm_io_decode(const uint8_t *p, size_t len, struct pm_io *io)
{
    if (len < PM_IO_MSG_SIZE)
        return -1;
    uint8_t info = p[42];
    *io = (struct pm_io){
        .vp = rd32(p),
        .insn_len = p[4] & 0xF,
        .write = p[5] == 1,
        .rip = rd64(p + 24),
        .port = rd16(p + 40),
        .size = info & 7,
        .string = info & 8,
        .rep = info & 16,
        .rax = rd64(p + 48),
    };
    if ((io->size != 1 && io->size != 2 && io->size != 4) || io->insn_len == 0 || p[5] > 1)
        return -1;
    return 0;
}

void pm_io_handle(struct com_emul *com, const struct pm_io *io, struct pm_io_result *r)
{
    *r = (struct pm_io_result){ .action = PM_IO_RESUME, .rip = io->rip + io->insn_len };
    if (io->string) {
        r->action = PM_IO_UNSUPPORTED;
        r->rip = io->rip;
        return;
    }
    uint32_t mask = io->size == 4 ? 0xFFFFFFFFu : (1u << (8 * io->size)) - 1;
    if (io->write && io->port == PM_DEBUG_EXIT_PORT) {
        r->action = PM_IO_FINISHED;
        r->exit_status = (uint8_t)io->rax;
        return;
    }
    uint32_t value = 0xFFFFFFFFu;                   /* nothing there: the bus floats high */
    bool com1 = (uint32_t)io->port + io->size > com->base && io->port < com->base + 8;
    if (com1)
        value = com_emul_access(com, io->port, io->size, io->write, (uint32_t)io->rax & mask,
                                r->out, &r->nout);
    if (io->write)
        return;
    r->set_rax = true;
    if (io->size == 4)
        r->rax = value;                             /* a 32-bit destination zero-extends */
    else
        r->rax = (io->rax & ~(uint64_t)mask) | (value & mask);
}

int pm_line_put(struct pm_linebuf *lb, uint8_t byte, char line[PM_LINE_MAX + 1])
{
    if (byte == '\r')
        return 0;
    if (byte != '\n') {
        lb->buf[lb->n++] = (byte >= 0x20 && byte < 0x7F) || byte == '\t' ? (char)byte : '.';
        if (lb->n < PM_LINE_MAX)
            return 0;
    }
    for (unsigned k = 0; k < lb->n; k++)
        line[k] = lb->buf[k];
    line[lb->n] = 0;
    lb->n = 0;
    return 1;
}
