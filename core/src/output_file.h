/* The file a profile goes to: standard output, -o FILE, or (-t without -o,
 * a format that is one document) pyflame-PID.EXTENSION, named by us.  An
 * existing file is emptied only once the run has started, and a profile
 * that could not be written whole is taken back: no half-written file is
 * left at the path. */
#ifndef PYFLAME_OUTPUT_FILE_H
#define PYFLAME_OUTPUT_FILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct output_file {
    FILE *out;        /* NULL until opened, and once closed */
    const char *name; /* the file written: -o FILE, default_name; NULL: stdout */
    bool created;     /* name did not exist before we opened it */
    bool to_default;  /* the file is named by us (output_file_create) */
    char default_name[64]; /* pyflame-PID.EXTENSION */
};

/* Opens -o `path` without emptying it yet (a run that fails before it
 * starts leaves an existing file alone); NULL: standard output.  Returns
 * 0, or -1 with the error told. */
int output_file_open(struct output_file *f, const char *path);

/* The profile, of the format called `format`, goes to a file that
 * output_file_create names once the command's PID is known, in the
 * current directory, which must let it.  Returns 0, or -1 with the error
 * told. */
int output_file_defer(struct output_file *f, const char *format);

/* Creates pyflame-PID.EXTENSION in the current directory, or, when that
 * exists (a PID used again), pyflame-PID-2.EXTENSION and so on: never
 * another file, nor through a symbolic link.  Returns 0, or -1 with the
 * error told. */
int output_file_create(struct output_file *f, pid_t pid, const char *extension);

/* Empties -o FILE: the run has started and will write it.  Returns 0, or
 * -1 with the error told. */
int output_file_claim(struct output_file *f);

/* Flushes what stdio holds of a file (not of standard output).  Returns 0,
 * or -1 with errno set. */
int output_file_flush(struct output_file *f);

/* Takes back a profile that could not be written whole: what stdio still
 * holds goes, and the regular file that -o named is removed when the path
 * is that very file, else (the path a link to it, /dev/stdout redirected
 * to it) emptied, never removing anything else. */
void output_file_discard(struct output_file *f);

/* Closes the file (flushes standard output).  Returns 0, or -1 with errno
 * set. */
int output_file_close(struct output_file *f);

/* The end of a run that did not close the file: closes it, and removes it
 * if we made it and wrote nothing. */
void output_file_free(struct output_file *f);

#endif
