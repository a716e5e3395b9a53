"""Spins forever on one known line, for the embedding programs of
test_embedding.py, which run it with exec() from PyRun_SimpleString.

It imports nothing: a program with the runtime linked in statically must
not load an extension module, which may link a libpython of its own (the
test checks that none is mapped)."""


def hot_leaf():
    while True: pass  # HOT


def main():
    hot_leaf()  # CALL


main()
