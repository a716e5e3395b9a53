/* --ready-fd (ready_fd.h). */
#include "ready_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

int ready_fd_check(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) {
        pf_error("--ready-fd %d: descriptor %d is not open: open it for writing in the "
                 "program that starts pyflame and leave it open across exec (Python: "
                 "subprocess.Popen(..., pass_fds=[%d]); a shell: %d>FILE)", fd, fd, fd, fd);
        return -1;
    }
    if ((flags & O_ACCMODE) == O_RDONLY) {
        pf_error("--ready-fd %d: descriptor %d is open for reading only: give one open for "
                 "writing, such as the write end of a pipe (os.pipe()[1])", fd, fd);
        return -1;
    }
    int fdflags = fcntl(fd, F_GETFD);
    if (fdflags >= 0)
        (void)fcntl(fd, F_SETFD, fdflags | FD_CLOEXEC);
    return 0;
}

void ready_fd_tell(int fd)
{
    static const char line[] = "ready\n";
    ssize_t n;
    do {
        n = write(fd, line, sizeof line - 1);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)(sizeof line - 1))
        pf_warn("could not tell --ready-fd %d that sampling began: %s", fd,
                n < 0 ? strerror(errno) : "a short write");
    close(fd);
}
