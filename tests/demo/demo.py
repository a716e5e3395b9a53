"""A small program with a few distinct hot spots, for the README's demo:
busy all the time, so that every box of its flame graph is Python code."""
import json
import random
import time


def primes_below(n):
    sieve = [True] * n
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = [False] * len(range(i * i, n, i))
    return [i for i in range(2, n) if sieve[i]]


def fibonacci(n):
    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)


def json_round_trip(records):
    return json.loads(json.dumps(records))


def make_records(count):
    return [{"id": i, "name": f"item-{i}", "score": random.random()} for i in range(count)]


def main(seconds=3.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        primes_below(200_000)
        fibonacci(22)
        json_round_trip(make_records(5_000))


if __name__ == "__main__":
    main()
