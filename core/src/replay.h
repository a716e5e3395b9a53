/* --input: a profile recorded before, read back and written in the format
 * of -f, as if it were being sampled again.
 *
 * It reads the two text formats pyflame writes, as Uber's Pyflame wrote
 * them too:
 *   folded       one line per stack: frames root first joined by ';', a
 *                space, the number of samples (flamegraph.pl's input)
 *   timestamped  per sample, a line of its time in microseconds since the
 *                epoch, then a line per thread shown: its frames root
 *                first, each followed by ';' (or the line (idle), (failed))
 * Frames are FILE:FUNCTION:LINE or FILE:FUNCTION; a frame without ':' is
 * one pyflame adds ("(no GIL)", "(idle)"), as is "thread NAME (TID)".
 * Only timestamped input has the times of its samples, which formats that
 * write each sample (chrome, speedscope, timestamped) need.
 *
 * The input is read whole and checked to its end before the output is
 * touched: a file that is not a profile leaves -o FILE as it was. */
#ifndef PYFLAME_REPLAY_H
#define PYFLAME_REPLAY_H

#include "options.h"

/* Runs pyflame --input.  Returns the exit status: 0, or 1 with the error
 * told. */
int replay_run(const struct options *opt);

#endif
