/* loaderr.h — the one error-message helper of the image loaders (ELF, Multiboot): every message
 * starts with the file's name, then says what is wrong and where ("FILE: segment 2 at offset
 * 0x40: ..."), as the project's rules for bad input require. */
#ifndef HVSIM_LOADERR_H
#define HVSIM_LOADERR_H

#include <stddef.h>

/* Write "NAME: <formatted text>" into err (if err and errlen) and return -1. */
int load_error(char *err, size_t errlen, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
