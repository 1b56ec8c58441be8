/* cmd.h — the subcommands of the `hvsim` program; main.c dispatches argv[1] to them.
 *
 * Each takes the arguments after the subcommand name (argv[0] is the subcommand) and returns the
 * process exit status.
 */
#ifndef HVSIM_CMD_H
#define HVSIM_CMD_H

int cmd_exec(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_trace(int argc, char **argv);

#endif
