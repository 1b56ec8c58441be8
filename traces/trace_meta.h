/* trace_meta.h — the CTF 1.8 metadata (TSDL text) of an hvsim trace, generated from the event
 * table (trace_schema.h) and the layout (trace_fmt.h), with the run's inputs in the `env` block.
 *
 * Invariants:
 *  - The text depends only on the schema, the uuid and the env entries given: the same inputs
 *    give the same bytes.
 *  - Env keys are C identifiers (checked); values are strings, escaped for TSDL.
 */
#ifndef HVSIM_TRACE_META_H
#define HVSIM_TRACE_META_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct trace_env {
    const char *key;        /* identifier: [A-Za-z_][A-Za-z0-9_]* */
    const char *value;
};

/* The metadata text in a malloc'ed NUL-terminated string (*out, length *len); 0, or -1 with a
 * message (bad env key). */
int trace_meta_build(const uint8_t uuid[16], const struct trace_env *env, unsigned nenv,
                     char **out, size_t *len, char *err, size_t errlen);

/* The uuid in the 8-4-4-4-12 text form (37 bytes with the NUL). */
void trace_uuid_str(const uint8_t uuid[16], char out[37]);
/* A deterministic uuid derived from the env entries (FNV-1a, version-4 layout bits set). */
void trace_uuid_from_env(const struct trace_env *env, unsigned nenv, uint8_t uuid[16]);

#ifdef __cplusplus
}
#endif
#endif
