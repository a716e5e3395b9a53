"""Keeps starting short-lived threads that start threads themselves."""
import sys
import threading
import time


def child():
    t = threading.Thread(target=time.sleep, args=(0.001,))
    t.start()
    t.join()


print("ready", flush=True)
deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    threads = [threading.Thread(target=child) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
