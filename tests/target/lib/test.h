/* test.h — PASS/FAIL reporting for target test programs.
 *
 * Every check prints exactly one line starting with "PASS " or "FAIL " on the debug console;
 * the test command counts those lines. t_finish() prints a closing line and returns the value
 * main() should return: 0 if every check passed, 1 otherwise (exit status 1 or 3).
 */
#ifndef TARGET_TEST_H
#define TARGET_TEST_H

#include <stdint.h>

#include "rt.h"

void t_begin(const char *program);
/* One check: PASS "<name>" if ok, else FAIL "<name>: <details from fmt>". Returns ok. */
int t_check(int ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Equality check with a standard "got 0x.. want 0x.." message. */
int t_eq(const char *name, uint64_t got, uint64_t want);
int t_finish(void);

#endif
