/* serial_tty.c — raw-ish host terminal for live serial input (see serial_tty.h).
 *
 * Terminal modes as POSIX termios defines them: ICANON off (bytes are available at once, VMIN 1,
 * VTIME 0), ECHO off (the guest echoes), ICRNL/INLCR/IGNCR off (Enter arrives as CR, as from a
 * serial terminal), IXON off (Ctrl-S/Ctrl-Q reach the guest); ISIG stays on so Ctrl-C and
 * Ctrl-\ stop hvsim. Output settings are not touched.
 */
#include "sim/serial_tty.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int saved_fd = -1;
static bool hooks_installed;

void serial_tty_restore(void)
{
    if (saved_fd >= 0) {
        tcsetattr(saved_fd, TCSAFLUSH, &saved);
        saved_fd = -1;
    }
}

/* Restore the terminal, then die of the signal as if we had not caught it (async-signal-safe:
 * tcsetattr, signal and raise are). */
static void on_signal(int sig)
{
    if (saved_fd >= 0)
        tcsetattr(saved_fd, TCSAFLUSH, &saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

int serial_tty_raw(int fd)
{
    if (!isatty(fd) || saved_fd >= 0)
        return 0;
    struct termios t;
    if (tcgetattr(fd, &t))
        return -1;
    saved = t;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN);
    t.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR | IXON | ISTRIP);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (!hooks_installed) {
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
        for (unsigned k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
            if (signal(sigs[k], on_signal) == SIG_IGN)
                signal(sigs[k], SIG_IGN);       /* keep what the parent chose to ignore */
        atexit(serial_tty_restore);
        hooks_installed = true;
    }
    saved_fd = fd;
    if (tcsetattr(fd, TCSAFLUSH, &t)) {
        saved_fd = -1;
        return -1;
    }
    return 0;
}
