/* trace_meta.c — the TSDL metadata of an hvsim trace (CTF 1.8, "Common Trace Format v1.8.3",
 * sections 4-8). See trace_meta.h and docs/TRACE-FORMAT.md. */
#include "traces/trace_meta.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace_fmt.h"
#include "traces/trace_names.h"
#include "traces/trace_schema.h"

struct sbuf { char *p; size_t n, cap; int oom; };

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        size_t ncap = (b->cap + (size_t)k + 1) * 2;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

static int ident_ok(const char *s)
{
    if (!s || !*s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

/* A TSDL string literal: backslash and quote escaped, control bytes as \xHH-free octal. */
static void sb_string(struct sbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            sb_printf(b, "\\%03o", *p);
        else
            sb_printf(b, "%c", *p);
    }
    sb_printf(b, "\"");
}

void trace_uuid_str(const uint8_t u[16], char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
             u[13], u[14], u[15]);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    h ^= 0xff;      /* separator, so ("ab","c") and ("a","bc") differ */
    return h * 0x100000001b3ull;
}

void trace_uuid_from_env(const struct trace_env *env, unsigned nenv, uint8_t u[16])
{
    uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;
    for (unsigned k = 0; k < nenv; k++) {
        h1 = fnv1a(fnv1a(h1, env[k].key), env[k].value ? env[k].value : "");
        h2 = fnv1a(fnv1a(h2, env[k].value ? env[k].value : ""), env[k].key);
    }
    for (int k = 0; k < 8; k++) {
        u[k] = (uint8_t)(h1 >> (8 * k));
        u[8 + k] = (uint8_t)(h2 >> (8 * k));
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);     /* RFC 4122 version 4 layout */
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
}

static const char *int_type(unsigned size)
{
    return size == 1 ? "u8" : size == 2 ? "u16" : size == 4 ? "u32" : "u64";
}

int trace_meta_build(const uint8_t uuid[16], const struct trace_env *env, unsigned nenv,
                     char **out, size_t *len, char *err, size_t errlen)
{
    for (unsigned k = 0; k < nenv; k++) {
        if (!ident_ok(env[k].key) || strncmp(env[k].key, "hvsim_schema", 13) == 0) {
            snprintf(err, errlen, "trace env key '%s': expected an identifier other than "
                     "hvsim_schema", env[k].key ? env[k].key : "(null)");
            return -1;
        }
    }
    struct sbuf b = { 0 };
    char us[37];
    trace_uuid_str(uuid, us);
    sb_printf(&b, "/* CTF 1.8 */\n\n");
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    for (unsigned k = 0; k < 4; k++)
        sb_printf(&b, "typealias integer { size = %u; align = 8; signed = false; "
                  "byte_order = le; base = 10; } := %s;\n", sizes[k] * 8, int_type(sizes[k]));
    sb_printf(&b, "\ntrace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"%s\";\n\tbyte_order = le;\n"
              "\tpacket.header := struct {\n\t\tu32 magic;\n\t\tu8 uuid[16];\n"
              "\t\tu32 stream_id;\n\t};\n};\n\n", us);
    sb_printf(&b, "env {\n\thvsim_schema = %d;\n", TRACE_SCHEMA_VERSION);
    for (unsigned k = 0; k < nenv; k++) {
        sb_printf(&b, "\t%s = ", env[k].key);
        sb_string(&b, env[k].value ? env[k].value : "");
        sb_printf(&b, ";\n");
    }
    sb_printf(&b, "};\n\n");
    sb_printf(&b, "clock {\n\tname = virt;\n\tuuid = \"%s\";\n"
              "\tdescription = \"hvsim virtual time\";\n\tfreq = %llu;\n\tprecision = 1;\n"
              "\toffset_s = 0;\n\toffset = 0;\n\tabsolute = FALSE;\n};\n\n", us,
              (unsigned long long)TRACE_CLOCK_FREQ);
    sb_printf(&b, "typealias integer { size = 64; align = 8; signed = false; byte_order = le; "
              "map = clock.virt.value; } := u64_clock;\n\n");
    sb_printf(&b, "enum exit_reason : u32 {\n");
    for (unsigned r = 0; r < trace_exit_reason_count(); r++)
        if (trace_exit_reason_name(r))
            sb_printf(&b, "\t%s = %u,\n", trace_exit_reason_name(r), r);
    sb_printf(&b, "};\n\nenum irq_source : u8 {\n");
    for (unsigned s = 0; s < TRACE_SRC_NSOURCES; s++)
        sb_printf(&b, "\t%s = %u,\n", trace_irq_source_name(s), s);
    sb_printf(&b, "};\n\n");
    sb_printf(&b, "stream {\n\tid = 0;\n\tpacket.context := struct {\n"
              "\t\tu64_clock timestamp_begin;\n\t\tu64_clock timestamp_end;\n"
              "\t\tu64 content_size;\n\t\tu64 packet_size;\n\t\tu64 packet_seq_num;\n"
              "\t\tu32 cpu_id;\n\t};\n\tevent.header := struct {\n\t\tu16 id;\n"
              "\t\tu64_clock timestamp;\n\t};\n\tevent.context := struct {\n\t\tu64 cycles;\n"
              "\t\tu16 partition;\n\t\tu16 vp;\n\t};\n};\n");
    for (unsigned id = 0; id < TRACE_NEVENTS; id++) {
        const struct trace_event_desc *d = &trace_events[id];
        sb_printf(&b, "\nevent {\n\tname = \"%s\";\n\tid = %u;\n\tstream_id = 0;\n"
                  "\tfields := struct {\n", d->name, id);
        for (unsigned k = 0; k < d->nfields; k++) {
            if (d->f[k].enum_name)
                sb_printf(&b, "\t\tenum %s %s;\n", d->f[k].enum_name, d->f[k].name);
            else
                sb_printf(&b, "\t\t%s %s;\n", int_type(d->f[k].size), d->f[k].name);
        }
        sb_printf(&b, "\t};\n};\n");
    }
    if (b.oom) {
        free(b.p);
        snprintf(err, errlen, "trace metadata: out of memory");
        return -1;
    }
    *out = b.p;
    *len = b.n;
    return 0;
}
