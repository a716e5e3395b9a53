"""Calls two chains of functions in turn, as fast as it can: "ab" runs
a0 -> a1 -> a2 then b0 -> b1 -> b2, "deep" two chains ten deep, c0 -> ...
-> c9 then d0 -> ... -> d9.  Each function only calls the next one of its
own chain, on its one line (marked with its name), so every stack the
target ever has is <module>, main() at a MAIN_ line, then a prefix of one
chain.  Both chains occupy the same frames (3.11+: the same addresses of
the thread's data stack) a fraction of a microsecond apart: a reader that
mixes two moments prints a chain that jumps from one to the other."""
import sys
import time

clock = getattr(time, "monotonic", time.time)


def a0(): return a1()  # A0
def a1(): return a2()  # A1
def a2(): return 0  # A2
def b0(): return b1()  # B0
def b1(): return b2()  # B1
def b2(): return 0  # B2


def c0(): return c1()  # C0
def c1(): return c2()  # C1
def c2(): return c3()  # C2
def c3(): return c4()  # C3
def c4(): return c5()  # C4
def c5(): return c6()  # C5
def c6(): return c7()  # C6
def c7(): return c8()  # C7
def c8(): return c9()  # C8
def c9(): return 0  # C9
def d0(): return d1()  # D0
def d1(): return d2()  # D1
def d2(): return d3()  # D2
def d3(): return d4()  # D3
def d4(): return d5()  # D4
def d5(): return d6()  # D5
def d6(): return d7()  # D6
def d7(): return d8()  # D7
def d8(): return d9()  # D8
def d9(): return 0  # D9


# Now and then a tower of calls, descended and climbed again: a walk of it
# takes long enough for the stack to change under it nearly every time, so
# some samples are torn three times and counted as failed.
TOWER = 60


def tower(n):
    if n:
        return tower(n - 1)  # TOWER
    return 0


def main(kind, seconds):
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = clock() + seconds
    if kind == "ab":
        while clock() < deadline:
            for _ in range(1000):
                a0()  # MAIN_A
                b0()  # MAIN_B
            tower(TOWER)  # MAIN_TA
    else:
        while clock() < deadline:
            for _ in range(1000):
                c0()  # MAIN_C
                d0()  # MAIN_D
            tower(TOWER)  # MAIN_TD


main(sys.argv[1], float(sys.argv[2]))  # MODULE
