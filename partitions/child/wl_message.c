/* wl_message.c — the child's `message` workload (TLFS 11.10 "Message ports and connections"):
 * HvCallPostMessage of WL_MSG_COUNT messages (type WL_MSG_TYPE, a text payload) on the connection
 * the root created for it (`conn=ID` on the command line; the root's port delivers them to its
 * own SINT). HV_STATUS_INSUFFICIENT_BUFFERS (the root's queue is full) is retried after a PAUSE,
 * at most WL_MSG_RETRIES times; every final status is printed.
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"

#define WL_MSG_COUNT   3
#define WL_MSG_TYPE    0x100u           /* a partition-defined type: bit 31 clear (TLFS 11.10) */
#define WL_MSG_RETRIES 100000u

void wl_message(void)
{
    uint64_t conn = cmdline_num("conn", 0);
    if (!conn || conn > 0xFFFFFFFFull) {
        kcon_printf("child %s: message: no connection on the command line\n", child_name);
        return;
    }
    for (unsigned k = 1; k <= WL_MSG_COUNT; k++) {
        char text[64];
        int n = krt_snprintf(text, sizeof text, "message %u of %u from %s", k, WL_MSG_COUNT,
                                child_name);
        uint16_t st;
        unsigned tries = 0;
        while ((st = winhv_post_message((uint32_t)conn, WL_MSG_TYPE, text, (uint32_t)n + 1)) ==
                   HV_STATUS_INSUFFICIENT_BUFFERS && tries++ < WL_MSG_RETRIES)
            cpu_pause();
        kcon_printf("child %s: message: PostMessage %u on connection 0x%llx: %s\n", child_name, k,
                    (unsigned long long)conn, winhv_status_name(st));
    }
}
