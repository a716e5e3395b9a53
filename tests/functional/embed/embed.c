/* A program that embeds CPython, for test_embedding.py: linked against
 * libpython (shared or static), it starts the interpreter, says "ready",
 * then runs the code given as its argument.
 *
 * Only calls both 2.7 and 3.x have: Py_Initialize, PyRun_SimpleString and
 * Py_Finalize.  -DEMBED_NO_SITE skips the site module. */
#include <Python.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CODE\n", argc > 0 ? argv[0] : "embed");
        return 2;
    }
#ifdef EMBED_NO_SITE
    /* No "import site": 2.7's imports _locale, an extension module linked
     * against libpython2.7.so, which a program with the runtime linked in
     * statically must not load.  (Deprecated since 3.12.) */
    Py_NoSiteFlag = 1;
#endif
    Py_Initialize();
    printf("ready\n");
    fflush(stdout);
    int rc = PyRun_SimpleString(argv[1]);
    Py_Finalize();
    return rc == 0 ? 0 : 1;
}
