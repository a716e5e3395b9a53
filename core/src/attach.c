/* Attaching to a running process, and why the kernel refused (attach.h). */
#include "attach.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "tracee.h"

#define YAMA_SCOPE "/proc/sys/kernel/yama/ptrace_scope"

/* Yama's kernel.yama.ptrace_scope, or -1 when the kernel has no Yama. */
static int yama_scope(void)
{
    FILE *f = fopen(YAMA_SCOPE, "r");
    int scope = -1;
    if (f) {
        if (fscanf(f, "%d", &scope) != 1)
            scope = -1;
        fclose(f);
    }
    return scope;
}

/* Yama is named only where the kernel has Yama, and another user's
 * process as such. */
void permission_error(pid_t pid)
{
    int scope = yama_scope();
    if (scope >= 3) {
        pf_error("not permitted to trace process %d: Yama's kernel.yama.ptrace_scope is %d, "
                 "which forbids all tracing, even by root, until the next boot",
                 (int)pid, scope);
        return;
    }
    if (geteuid() == 0) {
        /* Root was refused: the usual advice would not help. */
        pf_error("not permitted to trace process %d, even as root: the target "
                 "holds capabilities pyflame lacks, lives in a user namespace "
                 "above pyflame's, or a security module (SELinux, AppArmor) forbids it; "
                 "run pyflame with the target's privileges, e.g. in its namespace", (int)pid);
        return;
    }
    long owner = tracee_status_field(pid, "Uid"); /* the real uid */
    if (owner >= 0 && (uid_t)owner != getuid()) {
        pf_error("not permitted to trace process %d: it belongs to another user (uid %ld; "
                 "you are uid %u), whose processes only root may trace: run pyflame as "
                 "root (sudo) or with CAP_SYS_PTRACE (containers: --cap-add SYS_PTRACE)",
                 (int)pid, owner, (unsigned)getuid());
        return;
    }
    if (scope == 1) {
        pf_error("not permitted to trace process %d: Yama's kernel.yama.ptrace_scope is 1, "
                 "which lets you trace only your own children: start the program with "
                 "pyflame -t, run pyflame as root or with CAP_SYS_PTRACE, or allow it with "
                 "sysctl -w kernel.yama.ptrace_scope=0 (as root)", (int)pid);
        return;
    }
    if (scope == 2) {
        pf_error("not permitted to trace process %d: Yama's kernel.yama.ptrace_scope is 2, "
                 "which lets only CAP_SYS_PTRACE trace: run pyflame as root or with "
                 "CAP_SYS_PTRACE (containers: --cap-add SYS_PTRACE)", (int)pid);
        return;
    }
    pf_error("not permitted to trace process %d, though it is yours: it runs with "
             "privileges you lack (a setuid or setgid program, capabilities, or "
             "prctl PR_SET_DUMPABLE 0), or a security module forbids it; run pyflame "
             "as root or with CAP_SYS_PTRACE (containers: --cap-add SYS_PTRACE)", (int)pid);
}

/* A thread of pid that another process traces (a debugger, strace -p
 * TID): its id, and the tracer's in *tracer; 0 when there is none. */
static pid_t thread_traced_by_another(pid_t pid, pid_t *tracer)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    pid_t found = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        pid_t tid = (pid_t)atoi(e->d_name);
        pid_t t = tid > 0 ? tracee_tracer_of(tid) : 0;
        if (t && t != getpid()) {
            found = tid;
            *tracer = t;
        }
    }
    closedir(d);
    return found;
}

/* The name of process pid (its comm), or "?" when it cannot be read. */
static void name_of(pid_t pid, char *name, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "re");
    snprintf(name, len, "?");
    if (f) {
        if (fgets(name, (int)len, f))
            name[strcspn(name, "\n")] = '\0';
        fclose(f);
    }
}

int attach_process(struct tracee *t, pid_t pid)
{
    if (tracee_seize(t, pid) == 0)
        return 0;
    int e = errno;
    pid_t tracer = tracee_tracer_of(pid), thread;
    if (e == ESRCH)
        pf_error("no process with PID %d", (int)pid);
    else if (e == EPERM && tracer)
        pf_error("process %d is already traced by process %d (a debugger or "
                 "another profiler); detach that first", (int)pid, (int)tracer);
    else if (e == EPERM && (thread = thread_traced_by_another(pid, &tracer))) {
        char name[64];
        name_of(tracer, name, sizeof name);
        pf_error("thread %d of process %d is already traced by process %d (%s): "
                 "detach that debugger first", (int)thread, (int)pid, (int)tracer, name);
    } else if (e == EPERM)
        permission_error(pid);
    else
        pf_error("cannot trace process %d: %s", (int)pid, strerror(e));
    return -1;
}

int attach_check_threads(pid_t pid, const pid_t *tids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%d/task/%d", (int)pid, (int)tids[i]);
        if (stat(path, &st) == 0)
            continue;
        long owner = tracee_status_field(tids[i], "Tgid");
        if (owner > 0 && owner != pid)
            pf_error("--tid %d is a thread of process %ld, not of process %d: give threads of "
                     "process %d, as /proc/%d/task lists them", (int)tids[i], owner, (int)pid,
                     (int)pid, (int)pid);
        else
            pf_error("--tid %d: process %d has no thread %d (it exited, or never was one of "
                     "its threads): give threads of process %d, as /proc/%d/task lists them",
                     (int)tids[i], (int)pid, (int)tids[i], (int)pid, (int)pid);
        return -1;
    }
    return 0;
}
