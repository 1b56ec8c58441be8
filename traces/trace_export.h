/* trace_export.h — converting an hvsim trace for other tools (`hvsim trace export`,
 * docs/TRACE-FORMAT.md "Exporting"): the Chrome/Perfetto JSON Trace Event Format for the Perfetto
 * UI (ui.perfetto.dev) or chrome://tracing, and CSV for scripts and spreadsheets.
 *
 * Invariants:
 *  - The output is a function of the events only (reader order): no host time, locale, pointers
 *    or floating point; times are printed from the picosecond clock with integer arithmetic.
 *  - JSON output is valid JSON whatever the trace holds: every string is escaped, 64-bit values
 *    that a double cannot hold exactly (addresses, bit fields) are written as "0x..." strings.
 *  - Perfetto mapping: pid 0 ("machine") holds the events whose partition is not known, with
 *    tid = logical processor, and the machine's devices as tid EXPORT_TID_DEVICES; partition P is
 *    pid P+1 with tid = virtual processor (or EXPORT_TID_LP_BASE + lp when the VP is not known).
 *  - Pairing: a VM exit becomes a slice ending at the next vm_entry on the same logical processor
 *    (as trace_stats); an interrupt raise (irq_raise with a target, a fixed IPI to one processor
 *    by physical destination or to itself) gets a flow arrow to the first irq_deliver of that
 *    vector on that processor; raises before a delivery coalesce into the first (as in the IRR).
 *  - CSV: a fixed header (ts_ps, cpu, cycles, partition, vp, event, then one column per distinct
 *    field name of the schema, in schema order); one row per event; decimal values; an empty cell
 *    for a field the event does not have or an unknown partition/vp.
 */
#ifndef HVSIM_TRACE_EXPORT_H
#define HVSIM_TRACE_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "traces/trace_reader.h"

#ifdef __cplusplus
extern "C" {
#endif

enum trace_export_format { TRACE_EXPORT_PERFETTO, TRACE_EXPORT_CSV };

#define TRACE_EXPORT_FORMATS "perfetto, csv"
#define EXPORT_TID_LP_BASE 100000u      /* partition pid, VP unknown: tid = this + lp */
#define EXPORT_TID_DEVICES 1000000u     /* pid 0: the machine stream's devices */

/* "perfetto" (or "json") / "csv": 0, or -1 for another name. */
int trace_export_format_parse(const char *s, enum trace_export_format *out);

/* Read every event of r and write it to f in format fmt. 0; -1 with a message in err (the
 * reader's error, naming file and offset, or a write error / out of memory). */
int trace_export(struct trace_reader *r, enum trace_export_format fmt, FILE *f, char *err,
                 size_t errlen);

/* The parts, for tests. */
int trace_export_csv(struct trace_reader *r, FILE *f, char *err, size_t errlen);
int trace_export_perfetto(struct trace_reader *r, FILE *f, char *err, size_t errlen);

/* Picoseconds as microseconds with 6 decimals ("12.345678"): exact, integer arithmetic. */
void trace_export_print_us(FILE *f, uint64_t ps);
/* s as a JSON string literal (quotes included), escaping '"', '\\' and control bytes; bytes
 * >= 0x80 are written as \u00XX (Latin-1), so the output is ASCII and valid JSON for any input. */
void trace_export_json_string(FILE *f, const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
