"""The main thread busy in Python, four threads asleep in time.sleep()
without the GIL.  Prints "ready" once they all sleep.  Runs on every
supported CPython.  With "own-gil" after the seconds (3.12+), a fifth
thread is busy too, in a subinterpreter that has a GIL of its own; with
"asleep", the main thread sleeps too, so that nobody holds the GIL."""
import sys
import threading
import time

clock = getattr(time, "monotonic", time.time)
SECONDS = float(sys.argv[1])


OWN_GIL_BUSY = """
import time
deadline = time.monotonic() + %r
while time.monotonic() < deadline: pass
"""


def in_own_gil_interpreter(code):
    try:
        import _interpreters as interpreters  # 3.13
    except ImportError:
        import _xxsubinterpreters as interpreters  # 3.12
    interpreters.run_string(interpreters.create(), code)  # isolated by default


sleepers = [threading.Thread(target=time.sleep, args=(SECONDS,)) for _ in range(4)]
if sys.argv[2:] == ["own-gil"]:
    sleepers.append(threading.Thread(target=in_own_gil_interpreter,
                                     args=(OWN_GIL_BUSY % SECONDS,)))
for t in sleepers:
    t.daemon = True
    t.start()
time.sleep(0.1)
sys.stdout.write("ready\n")
sys.stdout.flush()
if sys.argv[2:] == ["asleep"]:
    time.sleep(SECONDS)
deadline = clock() + SECONDS
while clock() < deadline: pass  # BUSY
