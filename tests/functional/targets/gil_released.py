"""Threads busy in C code that releases the GIL, or blocked without it.
Runs on every supported CPython: python gil_released.py KIND SECONDS.

  hash     the main thread hashes 1 MiB blocks with BLAKE2b (3.6+: _blake2
           releases the GIL for 2048 bytes or more, whatever the build;
           hashlib.sha256 does only when it comes from OpenSSL, and 2.7
           has no hash that does without it)
  zlib     the main thread compresses a 1 MiB block with zlib.compress,
           which releases the GIL around each deflate() (2.7 too)
  sleep    the main thread sleeps in time.sleep()
  socket   the main thread blocks in recv() on a socketpair that never
           gets data, until an interval timer ends the program
  threads  a thread "compressor" compresses as in zlib, a thread "sleeper"
           sleeps, the main thread joins them

Prints "ready" once the work is under way: after the first block is hashed
or compressed (threads: by the compressor), just before the sleep or the
recv()."""
import hashlib
import os
import signal
import socket
import sys
import threading
import time
import zlib

clock = getattr(time, "monotonic", time.time)
KIND = sys.argv[1]
SECONDS = float(sys.argv[2])
# Random bytes: as costly to compress as to hash.
BLOCK = os.urandom(1 << 20)


def say_ready():
    sys.stdout.write("ready\n")
    sys.stdout.flush()


def hash_loop(deadline, started):
    digest = hashlib.blake2b()
    digest.update(BLOCK)
    started()
    while clock() < deadline:
        digest.update(BLOCK)  # HASH


def zlib_loop(deadline, started):
    zlib.compress(BLOCK)
    started()
    while clock() < deadline:
        zlib.compress(BLOCK)  # ZLIB


def sleep(seconds):
    time.sleep(seconds)  # SLEEP


def end(signum, frame):
    sys.exit(0)


def receive(seconds):
    ours, theirs = socket.socketpair()
    signal.signal(signal.SIGALRM, end)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    say_ready()
    ours.recv(1)  # RECV


def threads(seconds):
    compressing = threading.Event()
    workers = [threading.Thread(target=zlib_loop, name="compressor",
                                args=(clock() + seconds, compressing.set)),
               threading.Thread(target=sleep, name="sleeper", args=(seconds,))]
    for t in workers:
        t.start()
    # With a timeout: 2.7's wait() without one cannot be interrupted.
    while not compressing.wait(1.0):
        pass
    say_ready()
    for t in workers:
        t.join()  # JOIN


if KIND == "hash" and not hasattr(hashlib, "blake2b"):
    sys.exit("hash needs hashlib.blake2b (3.6+)")
if KIND == "hash":
    hash_loop(clock() + SECONDS, say_ready)
elif KIND == "zlib":
    zlib_loop(clock() + SECONDS, say_ready)
elif KIND == "sleep":
    say_ready()
    sleep(SECONDS)
elif KIND == "socket":
    receive(SECONDS)
elif KIND == "threads":
    threads(SECONDS)
else:
    sys.exit("unknown kind %r: hash, zlib, sleep, socket or threads" % KIND)
