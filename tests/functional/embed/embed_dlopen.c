/* A program that loads a CPython runtime with dlopen, for
 * test_embedding.py: embed_dlopen LIBRARY CODE loads LIBRARY (a libpython
 * under any name), starts the interpreter, says "ready", then runs CODE.
 * It needs no Python headers and links no libpython. */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void (*initialize_fn)(void);
typedef int (*run_string_fn)(const char *);

/* A function from the library: dlsym returns a void *, which C converts to
 * a function pointer only by copying its bytes. */
static int find(void *lib, const char *name, void *fn, size_t size)
{
    void *sym = dlsym(lib, name);
    if (!sym) {
        fprintf(stderr, "embed_dlopen: no %s: %s\n", name, dlerror());
        return -1;
    }
    memcpy(fn, &sym, size);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s LIBRARY CODE\n", argc > 0 ? argv[0] : "embed_dlopen");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        fprintf(stderr, "embed_dlopen: %s\n", dlerror());
        return 2;
    }
    initialize_fn initialize;
    run_string_fn run_string;
    if (find(lib, "Py_Initialize", &initialize, sizeof initialize) != 0 ||
        find(lib, "PyRun_SimpleString", &run_string, sizeof run_string) != 0)
        return 2;
    initialize();
    printf("ready\n");
    fflush(stdout);
    /* Py_Finalize is not called: the test kills the program. */
    return run_string(argv[2]) == 0 ? 0 : 1;
}
