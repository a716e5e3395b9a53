"""Writes the location tables of real code objects, with the line CPython
itself gives every instruction, for test_linetable.

    python3.X gen_linetables.py OUTPUT

Compiles a corpus of Python source (here, so it needs no extra files) and
writes, for every code object it produces:

    code QUALNAME FIRSTLINENO NUNITS HEX
    lines L0 L1 ... L(NUNITS-1)

where HEX is co_linetable and Li the line co_lines() gives byte offset 2*i
(0 for None).  The corpus is compiled twice: normally and under
-X no_debug_ranges (a child interpreter), which makes the compiler emit
the column-less entry kind.
"""

import os
import subprocess
import sys
import textwrap

from gen_old_linetables import long_function

# 3.12+ inline comprehensions, so they produce fewer code objects than 3.11.
MIN_CODE_OBJECTS = 25


def gap_function(name, gap):
    """Two statements `gap` lines apart: a large positive delta."""
    return (f"def {name}():\n    a = 1\n" + "\n" * gap +
            "    b = 2\n    return a + b\n")


CORPUS = [
    textwrap.dedent('''
        import os

        GLOBAL = [x * 2 for x in range(10) if x % 3]

        def multiline(a,
                      b,
                      c=3):
            value = (a +
                     b *
                     c)
            call = os.path.join(
                "a",
                "b",
            )
            return value, call

        def loops(n):
            total = 0
            for i in range(n):
                if i % 2:
                    continue
                total += i
            else:
                total -= 1
            while n > 0:
                n -= 1
                if n == 7:
                    break
            return total

        def exceptions(x):
            try:
                y = 1 / x
            except ZeroDivisionError as e:
                y = None
                del e
            except (TypeError, ValueError):
                raise
            else:
                y = y + 1
            finally:
                x = 0
            try:
                pass
            finally:
                return y

        def nested(a):
            def inner(b):
                def innermost(c):
                    return a + b + c
                return innermost
            f = lambda q: (q,
                           a)
            g = {k: v for k, v in zip("ab", "cd")}
            s = {i for i in range(3)}
            h = (i * i for i in range(a))
            m = [[j for j in range(i)] for i in range(a)]
            return inner, f, g, s, h, m

        class Klass:
            attr = 1

            def method(self):
                return self.attr

            @staticmethod
            def static(x): return x

            @property
            def prop(self):
                return (
                    self.attr
                )

        async def coroutine(x):
            async with x as y:
                async for z in y:
                    await z
            return [w async for w in x]

        def generator(n):
            for i in range(n):
                yield i
            yield from range(n)

        def with_and_match(path, v):
            with open(path) as f, open(path) as g:
                data = f.read() + g.read()
            match v:
                case [a, b]:
                    return a
                case {"k": c}:
                    return c
                case int() | float() if v > 0:
                    return v
                case _:
                    return data

        def fstrings(a, b):
            return f"{a!r:>10} and {b + 1:{a}}" f"""
        {a}"""

        def walrus(seq):
            if (n := len(seq)) > 10:
                return n
            return [y for x in seq if (y := x * 2)]

        def long_columns(a):
            return a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + (a)

        def one_liner(): return 1
    '''),
    long_function("long_loop", 400, 2600),
    long_function("short_loop", 40, 0),
    gap_function("gap_small", 40),
    gap_function("gap_large", 5000),
    # Starts at line 1501 after the padding below.
    "\n" * 1500 + textwrap.dedent('''
        def late(a, b):
            try:
                return [a for _ in
                        range(b)]
            except Exception:
                return (lambda:
                        None)
        late_lambda = lambda x: (
            x)
    '''),
]


def walk(code):
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_lines"):
            yield from walk(const)


def emit(out):
    count = 0
    for i, source in enumerate(CORPUS):
        module = compile(source, f"corpus{i}.py", "exec")
        for code in walk(module):
            nunits = len(code.co_code) // 2
            lines = [0] * nunits
            covered = [False] * nunits
            for start, end, line in code.co_lines():
                for unit in range(start // 2, end // 2):
                    lines[unit] = line if line is not None else 0
                    covered[unit] = True
            if not all(covered):
                sys.exit(f"{code.co_qualname}: co_lines() leaves offsets out")
            name = code.co_qualname.replace(" ", "_")
            out.write(f"code {name} {code.co_firstlineno} {nunits} "
                      f"{code.co_linetable.hex() or '-'}\n")
            out.write("lines " + " ".join(map(str, lines)) + "\n")
            count += 1
    return count


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--emit":
        emit(sys.stdout)
        return
    if len(sys.argv) != 2:
        sys.exit("usage: gen_linetables.py OUTPUT")
    output = sys.argv[1]
    tmp = output + ".tmp"
    if os.path.exists(output):
        os.remove(output)  # never leave stale data behind a failed run
    try:
        with open(tmp, "w") as out:
            out.write(f"# {sys.version.split()[0]}\n")
            count = emit(out)
            out.flush()
            subprocess.run(
                [sys.executable, "-X", "no_debug_ranges", __file__, "--emit"],
                stdout=out, check=True)
        if count < MIN_CODE_OBJECTS:
            sys.exit(f"only {count} code objects: the corpus is broken")
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f"{output}: {count} code objects (x2)")


if __name__ == "__main__":
    main()
