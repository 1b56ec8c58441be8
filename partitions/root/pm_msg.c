/* pm_msg.c — the root's SynIC set-up and its handling of intercept messages (docs/HYPERVISOR.md
 * "The root partition kernel"; TLFS 11 SynIC, 11.10 message delivery).
 *
 * Set-up, on every root VP k for itself (the SynIC registers are per VP, TLFS 11.8): the local
 * APIC software-enabled (SVR, SDM Vol. 3 11.9) so SINT interrupts are delivered; SIMP and SIEFP
 * = VP k's own pages of the kernel (one pair per VP, like WinHv's per-VP hypercall pages),
 * SCONTROL enabled, SINT0 = PM_SINT_VECTOR unmasked (intercepts); on VP 0 also SINT
 * PM_PORT_SINT = PM_PORT_VECTOR (the children's message ports are VP 0's).
 * Messages are polled from the VP's own slots after every wake-up (the interrupt only ends the
 * HLT; isr.S sends the EOI). A message is consumed by writing its type back to HVMSG_NONE, then
 * EOM if the pending flag was set (TLFS 11.10.3), which lets the hypervisor deliver the next one.
 *
 * Which VP gets an intercept is the hypervisor's choice (hv/synic/intercept.c: the root VP on
 * the child VP's LP if its SynIC is ready, else VP 0); every VP handles any message the same
 * way, under pm_lock (pm.h), resuming the child VP with SetVpRegisters through its own WinHv
 * pages, and counts it in pm->handled[its index].
 *
 * Contract with the hypervisor (hvsim's, not in the TLFS text): the `sender` of an intercept
 * message is the intercepted partition's id; the VP resumes when the root writes
 * HvRegisterInterceptSuspend = 0 (after RIP/RAX with SetVpRegisters).
 *
 * A child ends by writing the debug-exit port (finished, with the value as its status); an MSR
 * intercept (HVMSG_X64_MSR_INTERCEPT) is completed (a read gives 0, a write is ignored) and
 * printed; a CPUID intercept (HVMSG_X64_CPUID_INTERCEPT, a `cpuid` child's brand-string
 * leaves) is answered with the brand string naming it (pm_cpuid.h); an intercepted INT3 (an
 * `int3` child's #BP) is skipped; an access to its device page (HVMSG_UNMAPPED_GPA at
 * MMIO_EMUL_GPA, mmio_emul.h) is emulated and completed (the destination register and RIP);
 * any other intercept (an access elsewhere outside its memory; any other exception, an
 * unsupported-feature message), or a device-page access mmio_emul refuses, stops it: its VP
 * stays suspended and the reason is kept for the summary. Nothing is deleted before every
 * child has ended (pm_shutdown). Messages on a port (sender = the port id, TLFS 11.10) are
 * printed as `pm: NAME: message K (type T): "text"`.
 */
#include "krt/krt.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"
#include "partitions/root/intercept.h"
#include "partitions/root/pm.h"
#include "partitions/root/pm_cpuid.h"

_Static_assert(PM_MAX_VPS == WINHV_MAX_VPS, "one SynIC page pair per VP WinHv serves");

static struct hv_message_page pm_simp[PM_MAX_VPS] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t pm_siefp[PM_MAX_VPS][HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t pm_vp_synic[PM_MAX_VPS];        /* VP k's SynIC enabled (written by VP k) */
static struct pm *pm_shared;                    /* pm_attach (release), read with acquire */
static struct krt_spinlock pm_lk = KRT_SPINLOCK_INIT;

#define LAPIC_BASE 0xFEE00000ull        /* the default IA32_APIC_BASE (SDM Vol. 3 11.4.1) */
#define LAPIC_SVR  0xF0

void pm_lock(void) { krt_lock(&pm_lk); }
void pm_unlock(void) { krt_unlock(&pm_lk); }

int pm_synic_init(uint32_t vp)
{
    if (vp >= PM_MAX_VPS)
        return -1;
    volatile uint32_t *svr = (volatile uint32_t *)(uintptr_t)(LAPIC_BASE + LAPIC_SVR);
    *svr = 0x100 | 0xFF;                /* APIC software enable, spurious vector 0xFF */
    wrmsr(HV_X64_MSR_SIMP, (uint64_t)(uintptr_t)&pm_simp[vp] | HV_SYNIC_SIMP_ENABLE);
    wrmsr(HV_X64_MSR_SIEFP, (uint64_t)(uintptr_t)pm_siefp[vp] | HV_SYNIC_SIEFP_ENABLE);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_CONTROL_ENABLE);
    wrmsr(HV_X64_MSR_SINT0 + HV_SYNIC_INTERCEPTION_SINT_INDEX, PM_SINT_VECTOR);
    if (vp == 0)
        wrmsr(HV_X64_MSR_SINT0 + PM_PORT_SINT, PM_PORT_VECTOR);
    uint64_t simp = rdmsr(HV_X64_MSR_SIMP);
    if (!(simp & HV_SYNIC_SIMP_ENABLE))
        return -1;
    __atomic_store_n(&pm_vp_synic[vp], 1, __ATOMIC_RELEASE);
    return 0;
}

bool pm_synic_ready(uint32_t vp)
{
    return vp < PM_MAX_VPS && __atomic_load_n(&pm_vp_synic[vp], __ATOMIC_ACQUIRE);
}

void pm_attach(struct pm *pm)
{
    __atomic_store_n(&pm_shared, pm, __ATOMIC_RELEASE);
}

static struct pm_child *child_of(struct pm *pm, uint64_t id)
{
    for (uint32_t k = 0; k < pm->n; k++)
        if (pm->child[k].id == id && pm->child[k].state == PM_RUNNING)
            return &pm->child[k];
    return 0;
}

/* The child has ended: it is deleted only in pm_shutdown (its VP stays suspended). On a VP
 * other than 0, VP 0 is woken to look at pm_all_done (pm.h). Under pm_lock. */
static void stop_child(struct pm_child *c, enum pm_state st, const char *why)
{
    c->state = st;
    krt_snprintf(c->why, sizeof c->why, "%s", why);
    if (winhv_self_vp() != 0) {
        uint16_t s = winhv_send_ipi(PM_WAKE_VECTOR, 1);         /* VP 0 */
        if (s != HV_STATUS_SUCCESS)
            kcon_printf("pm: waking VP 0 failed: %s\n", winhv_status_name(s));
    }
}

/* Complete the intercepted instruction of the child's VP `vp` and resume it: the n registers
 * regs[0..n) (its results), RIP = `rip` (past the instruction) and HvRegisterInterceptSuspend
 * = 0, in one SetVpRegisters (TLFS: the VP runs again when the call completes). regs has room
 * for n + 2 entries. A failure stops the child. */
#define PM_COMPLETE_MAX 6
static void complete(struct pm_child *c, uint32_t vp, struct hv_register_assoc *regs, unsigned n,
                     uint64_t rip)
{
    memset(&regs[n], 0, 2 * sizeof regs[0]);
    regs[n].name = HV_X64_REGISTER_RIP;
    regs[n++].value.reg64 = rip;
    regs[n].name = HV_REGISTER_INTERCEPT_SUSPEND;
    regs[n++].value.reg64 = 0;
    uint16_t st = winhv_set_vp_registers(c->id, vp, regs, n);
    if (st != HV_STATUS_SUCCESS) {
        kcon_printf("pm: %s: resuming VP %u failed: %s\n", c->cfg->name, vp,
                    winhv_status_name(st));
        stop_child(c, PM_FAILED, "could not be resumed");
    }
}

static void handle_io(struct pm *pm, struct pm_child *c, const struct hv_message *m)
{
    struct pm_io io;
    if (pm_io_decode((const uint8_t *)m->payload, m->header.payload_size, &io) < 0) {
        kcon_printf("pm: %s: malformed port-I/O intercept\n", c->cfg->name);
        stop_child(c, PM_FAILED, "malformed port-I/O intercept");
        return;
    }
    struct pm_io_result r;
    pm_io_handle(&c->com, &io, &r);
    char line[PM_LINE_MAX + 1];
    for (unsigned k = 0; k < r.nout; k++)
        if (pm_line_put(&c->line, r.out[k], line))
            kcon_printf("[%s] %s\n", c->cfg->name, line);
    if (r.action == PM_IO_FINISHED) {
        if (c->line.n && pm_line_put(&c->line, '\n', line))
            kcon_printf("[%s] %s\n", c->cfg->name, line);
        kcon_printf("pm: %s finished (status %u)\n", c->cfg->name, r.exit_status);
        c->exit_status = r.exit_status;
        stop_child(c, PM_FINISHED, "");
        return;
    }
    if (r.action == PM_IO_UNSUPPORTED) {
        kcon_printf("pm: %s: string I/O on port 0x%x is not emulated: stopped\n",
                    c->cfg->name, io.port);
        stop_child(c, PM_FAILED, "string I/O");
        return;
    }
    struct hv_register_assoc regs[PM_COMPLETE_MAX] = { 0 };
    unsigned n = 0;
    if (r.set_rax) {
        regs[n].name = HV_X64_REGISTER_RAX;
        regs[n++].value.reg64 = r.rax;
    }
    complete(c, io.vp, regs, n, r.rip);
    (void)pm;
}

/* HVMSG_X64_MSR_INTERCEPT: an MSR the hypervisor leaves to the root. No device model needs
 * one: a read returns 0 (RAX = RDX = 0), a write is ignored; RIP moves past the instruction.
 * One line per access: `[name] msr read 0xM` / `[name] msr write 0xM = 0xV`. */
static void handle_msr(struct pm_child *c, const struct hv_message *m)
{
    struct hv_x64_msr_intercept_message mi;
    memset(&mi, 0, sizeof mi);
    memcpy(&mi, m->payload, m->header.payload_size < sizeof mi ? m->header.payload_size
                                                                : sizeof mi);
    uint8_t len = mi.header.instruction_length_cr8 & 0xF;
    bool write = mi.header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE;
    if (m->header.payload_size < sizeof mi || len == 0 || mi.header.intercept_access_type > 1) {
        kcon_printf("pm: %s: malformed MSR intercept\n", c->cfg->name);
        stop_child(c, PM_FAILED, "malformed MSR intercept");
        return;
    }
    if (write)
        kcon_printf("[%s] msr write 0x%x = 0x%llx\n", c->cfg->name, mi.msr_number,
                    (unsigned long long)((mi.rdx << 32) | (uint32_t)mi.rax));
    else
        kcon_printf("[%s] msr read 0x%x\n", c->cfg->name, mi.msr_number);
    struct hv_register_assoc regs[PM_COMPLETE_MAX] = { 0 };
    unsigned n = 0;
    if (!write) {
        regs[n].name = HV_X64_REGISTER_RAX;
        regs[n++].value.reg64 = 0;
        regs[n].name = HV_X64_REGISTER_RDX;
        regs[n++].value.reg64 = 0;
    }
    complete(c, mi.header.vp_index, regs, n, mi.header.rip + len);
}

/* HVMSG_UNMAPPED_GPA in the child's device page (mmio_emul.h): decode the message's
 * instruction bytes, read the source register (a store) or the register to merge into (an 8/16-bit
 * load) with GetVpRegisters, perform the access, then SetVpRegisters of the destination register
 * (a load), RIP past the instruction and HvRegisterInterceptSuspend = 0. A DATA byte goes to the
 * child's console line like its COM1 output. Anything mmio_emul refuses stops the child. */
static void handle_mmio(struct pm_child *c, const struct hv_message *m)
{
    struct mmio_emul_req rq;
    struct mmio_emul_result res;
    char why[72];
    uint64_t reg = 0;
    if (mmio_emul_decode((const uint8_t *)m->payload, m->header.payload_size, &rq, why,
                         sizeof why) < 0)
        goto stop;
    if (rq.need_reg) {
        union hv_register_value v;
        uint16_t st = winhv_get_vp_registers(c->id, rq.vp, &rq.reg_name, &v, 1);
        if (st != HV_STATUS_SUCCESS) {
            krt_snprintf(why, sizeof why, "GetVpRegisters failed: %s", winhv_status_name(st));
            goto stop;
        }
        reg = v.reg64;
    }
    if (mmio_emul_access(&c->mmio, &rq, reg, &res, why, sizeof why) < 0)
        goto stop;
    char line[PM_LINE_MAX + 1];
    if (res.has_out && pm_line_put(&c->line, res.out, line))
        kcon_printf("[%s] %s\n", c->cfg->name, line);
    struct hv_register_assoc regs[PM_COMPLETE_MAX] = { 0 };
    unsigned n = 0;
    if (res.set_reg) {
        regs[n].name = rq.reg_name;
        regs[n++].value.reg64 = res.reg_value;
    }
    complete(c, rq.vp, regs, n, rq.next_rip);
    return;
stop:
    kcon_printf("pm: %s: device page: %s (VP %u, RIP 0x%llx): stopped\n", c->cfg->name, why,
                rq.vp, (unsigned long long)rq.rip);
    stop_child(c, PM_FAILED, why);
}

/* HVMSG_X64_CPUID_INTERCEPT: a leaf the root intercepts for a `cpuid` child (pm.c installs
 * 80000002H-80000004H): the brand string naming the child (pm_cpuid.h) in EAX, EBX, ECX, EDX
 * (each zero-extended into the 64-bit register, SDM Vol. 2A CPUID), RIP past the instruction,
 * and resume. Any other leaf gets the hypervisor's default result. */
static void handle_cpuid(struct pm_child *c, const struct hv_message *m)
{
    struct hv_x64_cpuid_intercept_message ci;
    memset(&ci, 0, sizeof ci);
    memcpy(&ci, m->payload, m->header.payload_size < sizeof ci ? m->header.payload_size
                                                                : sizeof ci);
    uint8_t len = ci.header.instruction_length_cr8 & 0xF;
    if (m->header.payload_size < sizeof ci || len == 0) {
        kcon_printf("pm: %s: malformed CPUID intercept\n", c->cfg->name);
        stop_child(c, PM_FAILED, "malformed CPUID intercept");
        return;
    }
    uint32_t r[4] = { (uint32_t)ci.default_result_rax, (uint32_t)ci.default_result_rbx,
                      (uint32_t)ci.default_result_rcx, (uint32_t)ci.default_result_rdx };
    pm_cpuid_brand(c->cfg->name, (uint32_t)ci.rax, r);     /* other leaves: r unchanged */
    static const uint32_t names[4] = { HV_X64_REGISTER_RAX, HV_X64_REGISTER_RBX,
                                       HV_X64_REGISTER_RCX, HV_X64_REGISTER_RDX };
    struct hv_register_assoc regs[PM_COMPLETE_MAX] = { 0 };
    for (unsigned k = 0; k < 4; k++) {
        regs[k].name = names[k];
        regs[k].value.reg64 = r[k];
    }
    complete(c, ci.header.vp_index, regs, 4, ci.header.rip + len);
}

/* HVMSG_X64_EXCEPTION_INTERCEPT: an exception the root intercepts (pm.c installs #BP for an
 * `int3` child). A software #BP (INT3, the header's instruction length 1..15) is skipped: RIP
 * past the instruction, resume, one line `pm: NAME: INT3 at RIP 0xR (VP v): skipped`; anything
 * else stops the child. */
static void handle_exception(struct pm_child *c, const struct hv_message *m)
{
    struct hv_x64_exception_intercept_message ex;
    memset(&ex, 0, sizeof ex);
    memcpy(&ex, m->payload, m->header.payload_size < sizeof ex ? m->header.payload_size
                                                                : sizeof ex);
    uint8_t len = ex.header.instruction_length_cr8 & 0xF;
    if (m->header.payload_size < sizeof ex || ex.exception_vector != 3 ||
        !(ex.exception_info & HV_X64_EXCEPTION_INFO_SOFTWARE) || len == 0) {
        char why[72];
        krt_snprintf(why, sizeof why, "exception %u intercepted at RIP 0x%llx",
                     ex.exception_vector, (unsigned long long)ex.header.rip);
        kcon_printf("pm: %s: %s: stopped\n", c->cfg->name, why);
        stop_child(c, PM_FAILED, why);
        return;
    }
    kcon_printf("pm: %s: INT3 at RIP 0x%llx (VP %u): skipped\n", c->cfg->name,
                (unsigned long long)ex.header.rip, ex.header.vp_index);
    struct hv_register_assoc regs[PM_COMPLETE_MAX] = { 0 };
    complete(c, ex.header.vp_index, regs, 0, ex.header.rip + len);
}

/* HVMSG_UNMAPPED_GPA / HVMSG_GPA_INTERCEPT: the child touched a GPA outside its RAM (its RAM is
 * all that is mapped). Its device page is emulated (handle_mmio); any other GPA stops it. */
static void handle_gpa(struct pm_child *c, const struct hv_message *m)
{
    struct hv_x64_memory_intercept_message mi;
    memset(&mi, 0, sizeof mi);
    memcpy(&mi, m->payload, m->header.payload_size < sizeof mi ? m->header.payload_size
                                                                : sizeof mi);
    if (m->header.message_type == HVMSG_UNMAPPED_GPA &&
        mmio_emul_owns(mi.guest_physical_address)) {
        handle_mmio(c, m);
        return;
    }
    static const char *const access[] = { "read", "write", "execute" };
    const char *a = mi.header.intercept_access_type < 3 ? access[mi.header.intercept_access_type]
                                                        : "access";
    char why[72];
    krt_snprintf(why, sizeof why, "%s of GPA 0x%llx outside its memory", a,
                 (unsigned long long)mi.guest_physical_address);
    kcon_printf("pm: %s: %s (VP %u, RIP 0x%llx): stopped\n", c->cfg->name, why,
                mi.header.vp_index, (unsigned long long)mi.header.rip);
    stop_child(c, PM_FAILED, why);
}

static struct pm_child *child_of_port(struct pm *pm, uint64_t port)
{
    for (uint32_t k = 0; k < pm->n; k++)
        if (pm->child[k].port_id && pm->child[k].port_id == (port & HV_PORT_ID_MASK))
            return &pm->child[k];
    return 0;
}

/* A message a child posted on its connection: print its payload as text (non-printable bytes as
 * '.', at most 80 characters). */
static void handle_port_message(struct pm *pm, const struct hv_message *m)
{
    struct pm_child *c = child_of_port(pm, m->header.sender);
    if (!c) {
        kcon_printf("pm: message type 0x%x on unknown port 0x%llx\n", m->header.message_type,
                    (unsigned long long)m->header.sender);
        return;
    }
    char text[81];
    const uint8_t *b = (const uint8_t *)m->payload;
    unsigned n = 0;
    for (; n < m->header.payload_size && n < 80 && b[n]; n++)
        text[n] = b[n] >= 0x20 && b[n] < 0x7F ? (char)b[n] : '.';
    text[n] = 0;
    c->messages++;
    kcon_printf("pm: %s: message %u on port 0x%x (type 0x%x, %u bytes): \"%s\"\n", c->cfg->name,
                c->messages, c->port_id, m->header.message_type, m->header.payload_size, text);
}

/* Take the message in `sint`'s slot, if any, into *m: clear the slot, then EOM if the pending
 * flag was set (TLFS 11.10.3). 0 if the slot was empty. */
static int take(uint32_t vp, unsigned sint, struct hv_message *m)
{
    volatile struct hv_message *slot = &pm_simp[vp].sint_message[sint];
    if (slot->header.message_type == HVMSG_NONE)
        return 0;
    memcpy(m, (const void *)slot, sizeof *m);       /* one copy: no double fetch */
    if (m->header.payload_size > HV_MESSAGE_PAYLOAD_BYTE_COUNT)
        m->header.payload_size = HV_MESSAGE_PAYLOAD_BYTE_COUNT;
    slot->header.message_type = HVMSG_NONE;
    __asm__ volatile("mfence" ::: "memory");
    if (slot->header.message_flags & HV_MESSAGE_FLAG_PENDING)
        wrmsr(HV_X64_MSR_EOM, 0);
    return 1;
}

/* One intercept message, under pm_lock. */
static void handle_intercept(struct pm *pm, uint32_t self, const struct hv_message *m)
{
    uint32_t type = m->header.message_type;
    pm->handled[self]++;
    struct pm_child *c = child_of(pm, m->header.sender);
    if (!c) {
        kcon_printf("pm: message 0x%x from unknown partition %llu\n", type,
                    (unsigned long long)m->header.sender);
    } else if (type == HVMSG_X64_IO_PORT_INTERCEPT) {
        handle_io(pm, c, m);
    } else if (type == HVMSG_UNMAPPED_GPA || type == HVMSG_GPA_INTERCEPT) {
        handle_gpa(c, m);
    } else if (type == HVMSG_X64_MSR_INTERCEPT) {
        handle_msr(c, m);
    } else if (type == HVMSG_X64_CPUID_INTERCEPT) {
        handle_cpuid(c, m);
    } else if (type == HVMSG_X64_EXCEPTION_INTERCEPT) {
        handle_exception(c, m);
    } else {
        char why[72];
        krt_snprintf(why, sizeof why, "intercept message 0x%x", type);
        kcon_printf("pm: %s: %s: stopped\n", c->cfg->name, why);
        stop_child(c, PM_FAILED, why);
    }
}

int pm_poll(struct pm *pm)
{
    uint32_t self = winhv_self_vp();
    if (self >= PM_MAX_VPS || !pm_synic_ready(self))
        return 0;
    struct hv_message m;
    if (self == 0 && take(0, PM_PORT_SINT, &m)) {
        pm_lock();
        handle_port_message(pm, &m);
        pm_unlock();
        return 1;
    }
    if (!take(self, HV_SYNIC_INTERCEPTION_SINT_INDEX, &m))
        return 0;
    pm_lock();
    handle_intercept(pm, self, &m);
    pm_unlock();
    return 1;
}

void pm_ap_loop(void)
{
    for (;;) {
        struct pm *pm = __atomic_load_n(&pm_shared, __ATOMIC_ACQUIRE);
        if (pm)
            while (pm_poll(pm))
                ;
        __asm__ volatile("sti; hlt; cli" ::: "memory");   /* STI's shadow covers the HLT */
    }
}

bool pm_all_done(struct pm *pm)
{
    bool done = true;
    pm_lock();
    for (uint32_t k = 0; k < pm->n; k++)
        if (pm->child[k].state == PM_RUNNING)
            done = false;
    pm_unlock();
    return done;
}

void pm_shutdown(struct pm *pm)
{
    pm_lock();
    for (uint32_t k = 0; k < pm->n; k++) {
        struct pm_child *c = &pm->child[k];
        if (!c->id)
            continue;
        uint16_t st = winhv_delete_partition(c->id);
        char what[96];
        if (c->state == PM_FINISHED)
            krt_snprintf(what, sizeof what, "finished, status %u", c->exit_status);
        else if (c->state == PM_FAILED && c->why[0])
            krt_snprintf(what, sizeof what, "stopped: %s", c->why);
        else
            krt_snprintf(what, sizeof what, "did not start");
        kcon_printf("root: summary: %s (partition %llu): %s; %u message%s; deleted: %s\n",
                    c->cfg->name, (unsigned long long)c->id, what, c->messages,
                    c->messages == 1 ? "" : "s", winhv_status_name(st));
        c->id = 0;
    }
    for (uint32_t v = 0; v < PM_MAX_VPS; v++)
        if (pm_synic_ready(v))
            kcon_printf("root: VP %u handled %u intercept%s\n", v, pm->handled[v],
                        pm->handled[v] == 1 ? "" : "s");
    pm_unlock();
}
