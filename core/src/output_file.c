/* The file a profile goes to (output_file.h). */
#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"

int output_file_open(struct output_file *f, const char *path)
{
    f->out = stdout;
    if (!path)
        return 0;
    f->name = path;
    struct stat st;
    f->created = stat(path, &st) != 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || !(f->out = fdopen(fd, "w"))) {
        pf_error("cannot write to %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        f->out = NULL;
        return -1;
    }
    return 0;
}

int output_file_defer(struct output_file *f, const char *format)
{
    if (access(".", W_OK | X_OK) != 0) {
        pf_error("cannot write the %s profile in the current directory: %s; give "
                 "-o FILE, or -o - for standard output", format, strerror(errno));
        return -1;
    }
    f->to_default = true;
    f->out = NULL; /* until the command's PID names the file */
    return 0;
}

int output_file_create(struct output_file *f, pid_t pid, const char *ext)
{
    for (int n = 1; n <= 100; n++) {
        if (n == 1)
            snprintf(f->default_name, sizeof f->default_name, "pyflame-%d.%.32s", (int)pid, ext);
        else
            snprintf(f->default_name, sizeof f->default_name, "pyflame-%d-%d.%.32s", (int)pid, n,
                     ext);
        int fd = open(f->default_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0 || !(f->out = fdopen(fd, "w"))) {
            pf_error("cannot write the profile to %s: %s; give -o FILE, or -o - for "
                     "standard output", f->default_name, strerror(errno));
            if (fd >= 0) {
                close(fd);
                unlink(f->default_name);
            }
            return -1;
        }
        f->name = f->default_name;
        f->created = true;
        return 0;
    }
    pf_error("cannot write the profile: pyflame-%d.%s and 99 more such names exist; "
             "give -o FILE", (int)pid, ext);
    return -1;
}

int output_file_claim(struct output_file *f)
{
    if (f->out != stdout && ftruncate(fileno(f->out), 0) != 0 && errno != EINVAL) {
        pf_error("cannot write to %s: %s", f->name, strerror(errno));
        return -1;
    }
    f->created = false;
    return 0;
}

int output_file_flush(struct output_file *f)
{
    return f->out != stdout && fflush(f->out) != 0 ? -1 : 0;
}

void output_file_discard(struct output_file *f)
{
    if (f->out == stdout)
        return;
    __fpurge(f->out);
    int fd = fileno(f->out);
    struct stat st, at_path;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    if (lstat(f->name, &at_path) == 0 && S_ISREG(at_path.st_mode) &&
        at_path.st_dev == st.st_dev && at_path.st_ino == st.st_ino)
        unlink(f->name);
    else if (ftruncate(fd, 0) != 0)
        return; /* nothing more can be done: the error is told already */
}

int output_file_close(struct output_file *f)
{
    int rc = (f->out != stdout ? fclose(f->out) : fflush(stdout)) != 0 ? -1 : 0;
    f->out = NULL;
    return rc;
}

void output_file_free(struct output_file *f)
{
    if (f->created)
        unlink(f->name); /* we made it, and wrote nothing */
    if (f->out && f->out != stdout)
        fclose(f->out);
    f->out = NULL;
}
