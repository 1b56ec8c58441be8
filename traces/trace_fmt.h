/* trace_fmt.h — the binary layout of hvsim's CTF 1.8 stream files (docs/TRACE-FORMAT.md). The
 * metadata text (trace_meta.c) declares exactly this layout; the writer and the reader use these
 * constants.
 *
 * A stream file is a sequence of packets. Packet = header + context + events, all integers
 * little-endian and byte-aligned:
 *   header  (24 bytes): magic u32 = 0xC1FC1FC1, uuid u8[16] (the trace's), stream_id u32 = 0
 *   context (44 bytes): timestamp_begin u64, timestamp_end u64 (ps), content_size u64 and
 *                       packet_size u64 (bits, equal: packets carry no padding), packet_seq_num
 *                       u64 (0, 1, ... per stream), cpu_id u32 (logical processor, or
 *                       TRACE_CPU_MACHINE for the machine stream)
 *   event   header (10 bytes): id u16, timestamp u64 (virtual time, ps);
 *           context (12 bytes): cycles u64 (the processor's cycle count), partition u16, vp u16
 *           (TRACE_ID_NONE when not known); then the payload fields of the event (trace_schema.h).
 */
#ifndef HVSIM_TRACE_FMT_H
#define HVSIM_TRACE_FMT_H

#define TRACE_CTF_MAGIC      0xC1FC1FC1u
#define TRACE_PKT_HDR_SIZE   24u
#define TRACE_PKT_CTX_SIZE   44u
#define TRACE_PKT_PREAMBLE   (TRACE_PKT_HDR_SIZE + TRACE_PKT_CTX_SIZE)
#define TRACE_EV_HDR_SIZE    10u
#define TRACE_EV_CTX_SIZE    12u
#define TRACE_EV_FIXED       (TRACE_EV_HDR_SIZE + TRACE_EV_CTX_SIZE)
#define TRACE_PKT_MAX        (64u * 1024u)     /* the writer's packet size limit, bytes */
#define TRACE_CPU_MACHINE    0xffffffffu       /* cpu_id of the machine (device) stream */
#define TRACE_ID_NONE        0xffffu           /* partition / vp not known */
#define TRACE_CLOCK_FREQ     1000000000000ull  /* the clock counts picoseconds */
#define TRACE_META_MAX       (1u << 20)        /* the reader's limit for the metadata file */

#endif
