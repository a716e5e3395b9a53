"""Work that pyflame is sure to sample, and work it must not show, for
the targets of the Python package's tests (region_api.py,
ipython_magic.py, django_site.py).

busy() runs until its thread has left the CPU `n` times of its own
accord (its voluntary context switches: each stop for a sample is one),
so that it is sampled whatever the machine's speed.  other_work() keeps
another thread busy hashing, which runs without the GIL: it keeps a CPU
busy without keeping the profiled thread from running."""
import hashlib


def switches():
    with open("/proc/thread-self/status") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])


def busy(n=30):
    start = switches()
    while switches() < start + n:
        for _ in range(20000): pass


def other_work(stop):
    data = b"x" * (1 << 20)
    while not stop:
        hashlib.sha256(data).digest()  # OTHER
