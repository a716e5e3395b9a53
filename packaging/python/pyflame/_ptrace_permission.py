"""Letting the profiler, a child process, trace its parent.

Linux's Yama security module sets who may ptrace whom, in
kernel.yama.ptrace_scope: 0, any process of the same user; 1 (Ubuntu's
and Fedora's default), only one's descendants, so a child may not trace
its parent unless the parent names it with prctl(PR_SET_PTRACER, pid);
2, only a process with CAP_SYS_PTRACE; 3, nobody until the next boot.
Without Yama the classic rule alone applies: the same user, or
CAP_SYS_PTRACE.  Never PR_SET_PTRACER_ANY: exactly one process is
allowed, the profiler."""
import ctypes
import errno
import os

SCOPE_FILE = "/proc/sys/kernel/yama/ptrace_scope"
PR_SET_PTRACER = 0x59616d61
CAP_SYS_PTRACE = 19

FIXES = ("run the program as root, give the native pyflame the capability "
         "(setcap cap_sys_ptrace+ep %s), or lower kernel.yama.ptrace_scope "
         "(sysctl kernel.yama.ptrace_scope=1)")


class Refused(PermissionError):
    """The kernel will not let pyflame trace this process; the message
    says why and what an administrator can do."""


def scope():
    """Yama's ptrace_scope, or None without Yama."""
    try:
        with open(SCOPE_FILE) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _capable(native):
    """Whether the profiler will have CAP_SYS_PTRACE: inherited from this
    process, or given to the native binary as a file capability."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:") and int(line.split()[1], 16) >> CAP_SYS_PTRACE & 1:
                    return True
    except (OSError, ValueError):
        pass
    try:
        return bool(os.getxattr(native, "security.capability"))
    except (OSError, AttributeError):
        return False


def check(native):
    """Before the profiler starts: raises Refused when it could not trace
    this process; returns whether allow() must name it: under scope 1,
    unless it will have CAP_SYS_PTRACE, which Yama lets trace anything."""
    s = scope()
    if s is None or s == 0:
        return False
    if s >= 3:
        raise Refused("pyflame cannot profile this process: kernel.yama.ptrace_scope is %d, "
                      "which forbids ptrace to every process, root too, until the next boot; "
                      "an administrator can boot with a lower scope" % s)
    capable = _capable(native)
    if s == 2 and not capable:
        raise Refused("pyflame cannot profile this process: kernel.yama.ptrace_scope is 2, "
                      "which lets only a process with CAP_SYS_PTRACE trace another; an "
                      "administrator can " + FIXES % native)
    return s == 1 and not capable


def _prctl(option, arg):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0),
                  ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        return ctypes.get_errno()
    return 0


def allow(pid, native):
    """Lets process `pid`, and it alone, trace this process (scope 1)."""
    err = _prctl(PR_SET_PTRACER, pid)
    if err:
        raise Refused("pyflame cannot profile this process: kernel.yama.ptrace_scope is 1 and "
                      "the kernel refused to let pyflame trace its parent "
                      "(prctl(PR_SET_PTRACER): %s); an administrator can %s"
                      % (os.strerror(err) or errno.errorcode.get(err, err), FIXES % native))


def revoke():
    """Takes back what allow() gave."""
    _prctl(PR_SET_PTRACER, 0)
