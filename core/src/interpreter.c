/* The target's Python: runtime, ABI plugin, search (interpreter.h). */
#include "interpreter.h"

#include <stdio.h>
#include <string.h>

#include "abi_name.h"
#include "attach.h"
#include "diag.h"
#include "memory.h"
#include "pacing.h"
#include "proc_maps.h"
#include "sampler.h"
#include "tracee.h"

/* A forced --abi that contradicts the target: an error when the target
 * told its version itself, a warning when it was inferred. */
static int check_forced_abi(const struct interpreter *in, const char *name)
{
    const struct python_runtime *rt = &in->rt;
    char found[16];
    abi_name_of(found, sizeof found, rt->major, rt->minor, rt->free_threaded);
    if (!rt->major || strcmp(found, name) == 0)
        return 0;
    if (rt->version_certain) {
        pf_error("--abi=%s does not match process %d, which runs CPython %d.%d%s "
                 "(told by %s); leave --abi out", in->opt->abi, (int)in->tracee->pid,
                 rt->major, rt->minor,
                 rt->free_threaded ? ", free-threaded"
                 : strchr(name, 't') ? ", built with the GIL" : "",
                 rt->version_source);
        return -1;
    }
    pf_warn("process %d looks like CPython %d.%d (from %s), not --abi=%s",
            (int)in->tracee->pid, rt->major, rt->minor, rt->version_source, in->opt->abi);
    return 0;
}

/* Picks and loads the ABI plugin for the runtime found: --abi's, else the
 * one of the version the runtime told. */
static int load_abi(struct interpreter *in)
{
    char name[16], err[512], supported[256];
    pid_t pid = in->tracee->pid;
    const char *forced = in->opt->abi;
    if (forced) {
        /* 26 was Pyflame's name for the 2.6/2.7 ABI. */
        snprintf(name, sizeof name, "%s", strcmp(forced, "26") ? forced : "27");
    } else if (in->rt.major) {
        abi_name_of(name, sizeof name, in->rt.major, in->rt.minor, in->rt.free_threaded);
    } else {
        plugin_supported_versions(in->dirs, supported, sizeof supported);
        pf_error("cannot tell which CPython version process %d (%s) runs; "
                 "name it with --abi (supported: %s)", (int)pid, in->rt.path, supported);
        return -1;
    }
    if (plugin_load_abi(in->dirs, name, &in->abi, err, sizeof err) == 0)
        return forced ? check_forced_abi(in, name) : 0;
    if (!forced && strstr(err, "no ABI plugin")) {
        /* A version this pyflame was built for names the package of its
         * plugin (a distribution's split), if the build says one. */
        char package[128], install[256] = "";
        plugin_package_hint(name, package, sizeof package);
        if (package[0])
            snprintf(install, sizeof install, "; install the package %s, which reads it", package);
        plugin_supported_versions(in->dirs, supported, sizeof supported);
        pf_error("process %d runs CPython %d.%d%s, which this pyflame cannot read%s; "
                 "supported versions: %s%s", (int)pid, in->rt.major, in->rt.minor,
                 in->rt.free_threaded ? " (free-threaded)" : "", install, supported,
                 install[0] ? "" : "; a newer pyflame, or its plugin package for that "
                 "version, may read it");
    } else {
        pf_error("%s", err);
    }
    return -1;
}

/* --nonblocking needs a plugin that can tell a torn sample from a good one. */
static int check_nonblocking(const struct interpreter *in)
{
    if (!in->opt->nonblocking || (plugin_abi_features(&in->abi) & PYFLAME_ABI_DETECTS_TORN))
        return 0;
    pf_error("--nonblocking needs an ABI plugin that detects torn samples, and %s "
             "(plugin API %u) does not: leave out --nonblocking, or use a plugin "
             "that sets PYFLAME_ABI_DETECTS_TORN", in->abi.path, in->abi.api_version);
    return -1;
}

/* --gil asks which thread holds the GIL: a free-threaded build has none. */
static int check_gil(const struct interpreter *in)
{
    if (!in->opt->gil || !in->rt.free_threaded)
        return 0;
    pf_error("--gil has no meaning for process %d: it runs a free-threaded build of "
             "CPython %d.%d, whose threads run Python without a GIL; leave --gil out "
             "(a thread then counts as running when the kernel says it runs)",
             (int)in->tracee->pid, in->rt.major, in->rt.minor);
    return -1;
}

int interpreter_find(struct interpreter *in, bool quiet_if_absent)
{
    char err[512];
    memory_pin(in->mem);
    enum runtime_status st = python_runtime_find(in->tracee->pid, in->mem, &in->rt,
                                                 err, sizeof err);
    /* -t: a program that exits or calls exec while it is looked at is no
     * error; the exit or the exec comes next. */
    if (st != RUNTIME_FOUND && quiet_if_absent &&
        (st == RUNTIME_NOT_PYTHON || memory_gone(in->mem)))
        return 0;
    if (st == RUNTIME_NO_PERMISSION) {
        permission_error(in->tracee->pid);
        return -1;
    }
    if (st != RUNTIME_FOUND) {
        pf_error("%s", err);
        return -1;
    }
    in->found = in->ever_found = true;
    if (!in->abi.handle && (load_abi(in) != 0 || check_nonblocking(in) != 0 ||
                            check_gil(in) != 0))
        return -1;
    return 1;
}

/* The program runs on, never stopped, while it is searched.  Its code
 * mappings are compared with those of the last search, at intervals that
 * double from SEARCH_GAP_MIN_NS to SEARCH_GAP_MAX_NS while they stay the
 * same; only a change (a library or program mapped, an exec) searches
 * again, which reads every ELF file mapped as code. */
#define SEARCH_GAP_MIN_NS 1000000ull
#define SEARCH_GAP_MAX_NS 50000000ull

int interpreter_search(struct interpreter *in)
{
    uint64_t now = now_ns(CLOCK_MONOTONIC), code;
    if (now < in->search_next_ns)
        return 0;
    if (maps_code_signature(in->tracee->pid, &code) != 0 ||
        (in->searched && code == in->code_maps)) {
        /* Unchanged, or no maps: the exit or the exec comes next. */
        in->search_gap_ns = in->search_gap_ns ? in->search_gap_ns * 2 : SEARCH_GAP_MIN_NS;
        if (in->search_gap_ns > SEARCH_GAP_MAX_NS)
            in->search_gap_ns = SEARCH_GAP_MAX_NS;
        in->search_next_ns = now + in->search_gap_ns;
        return 0;
    }
    /* Changed: a loader maps one library after another, so look again
     * at the next tick. */
    in->search_gap_ns = in->search_next_ns = 0;
    in->searched = true;
    in->code_maps = code;
    return interpreter_find(in, true);
}

int interpreter_open(struct interpreter *in)
{
    int status;
    if (sampler_open(in->sampler, in->abi.u.abi, plugin_abi_features(&in->abi), &status,
                     in->last_error, sizeof in->last_error)) {
        in->opened = true;
        return 1;
    }
    /* Not ready, or it read a program that exited or called exec since. */
    if (status == PYFLAME_ERR_NOT_READY || status == PYFLAME_ERR_READ ||
        memory_gone(in->mem))
        return 0;
    pf_error("cannot read process %d with the CPython %s plugin: %s",
             (int)in->tracee->pid, in->abi.u.abi->name, in->last_error);
    return -1;
}

void interpreter_forget(struct interpreter *in)
{
    sampler_close(in->sampler);
    if (!in->opt->abi)
        plugin_unload(&in->abi);
    python_runtime_close(&in->rt);
    in->found = false;
    /* An open /proc/PID/mem still shows the memory from before the exec. */
    memory_close(in->mem);
    in->searched = false;
    in->search_gap_ns = in->search_next_ns = 0;
}

void interpreter_free(struct interpreter *in)
{
    python_runtime_close(&in->rt);
    plugin_unload(&in->abi);
}
