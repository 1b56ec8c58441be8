/* serial_tty.h — the host terminal as COM1's live input (`hvsim run --serial-in stdio`): while
 * the simulator runs, a terminal on stdin sends each key as it is typed (no line editing, no
 * echo, Enter as CR, Ctrl-S/Ctrl-Q passed through), as a serial terminal would; Ctrl-C still
 * stops hvsim.
 *
 * Invariants: the terminal is changed only if the descriptor is a tty, and its saved settings
 * are put back by serial_tty_restore, at exit, and on SIGINT, SIGTERM, SIGHUP and SIGQUIT
 * (the signal is then re-raised with its default action). Nothing here reaches simulated state.
 */
#ifndef HVSIM_SERIAL_TTY_H
#define HVSIM_SERIAL_TTY_H

#ifdef __cplusplus
extern "C" {
#endif

/* Put fd into the raw-ish mode above if it is a terminal (else do nothing). 0, or -1 if the
 * terminal could not be set up (it is left unchanged). */
int serial_tty_raw(int fd);
/* Put the terminal's saved settings back (nothing if serial_tty_raw changed nothing). */
void serial_tty_restore(void);

#ifdef __cplusplus
}
#endif
#endif
