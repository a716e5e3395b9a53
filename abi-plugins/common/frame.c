#include "frame.h"

#include <string.h>

#include "remote.h"

/* --nonblocking: bytes of a frame's live slots the check compares, at
 * most: its first locals, where what changes as it runs mostly is. */
#define SLOTS_MAX 128

/* A hash of len bytes (a multiple of 8): FNV-1a over words. */
static uint64_t hash_words(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t word;
        memcpy(&word, p + i, 8);
        h = (h ^ word) * 0x100000001b3ull;
    }
    return h;
}

/* --nonblocking: the live slots of frame f[] at fp (locals, cells and the
 * value stack), as a hash into v.  A caller's stay as they are while it
 * waits on its callee: a caller read twice with other slots ran between
 * the reads.  Its position alone cannot tell that: a target that goes
 * round a loop calls the same functions from the same places, but its
 * loop variable, its iterator's state on the value stack, move on.  The
 * slots of a running frame (3.12+: stacktop -1) are not kept and not read;
 * slots that cannot be read hash to a value of their own. */
static void read_slots(const struct py_layout *l, const pyflame_host *h, uint64_t fp,
                       const uint8_t *f, struct frame_view *v)
{
    int64_t n = -1;
    int32_t base = 0;
    if (l->frame_model == PY_FRAMES_OBJECTS && l->frame.localsplus >= 0) {
        base = l->frame.localsplus;
        n = field_i64(f, l->object.ob_size);
    } else if (l->frame_model == PY_FRAMES_INTERPRETER && l->iframe.slots >= 0) {
        base = l->iframe.size;
        n = field_i32(f, l->iframe.slots);
    } else if (l->frame_model == PY_FRAMES_INTERPRETER && l->iframe.stackpointer >= 0) {
        /* 3.14+: the slots end where the stack pointer points. */
        base = l->iframe.size;
        uint64_t sp = field_ptr(f, l->iframe.stackpointer), first = fp + (uint64_t)base;
        n = sp >= first && sp - first < (1u << 20) ? (int64_t)((sp - first) / 8) : -1;
    }
    if (n <= 0)
        return;
    size_t len = n > SLOTS_MAX / 8 ? SLOTS_MAX : (size_t)n * 8;
    uint8_t buf[SLOTS_MAX];
    if (remote_read(h, fp + (uint64_t)base, buf, len) != 0) {
        v->slots = 1;
        return;
    }
    v->slots = hash_words(buf, len) ^ (uint64_t)n;
    v->extent = (size_t)base + len;
}

/* Copies of a code object's bytecode a thread may run (free-threaded
 * 3.14+): an array of them, the first the code object's own.  Where the
 * copy numbered `index` begins, into *first (left as it is for the first).
 * 0, or -1 if it cannot be read or is out of the array. */
#define MAX_BYTECODE_COPIES 65536

static int bytecode_copy(const struct py_layout *l, const pyflame_host *h, uint64_t code,
                         int32_t index, uint64_t *first)
{
    uint64_t array, count;
    if (index == 0)
        return 0;
    if (index < 0 || index >= MAX_BYTECODE_COPIES ||
        remote_read_ptr(h, code + (uint64_t)l->code.tlbc, &array) != 0 ||
        remote_read_ptr(h, array, &count) != 0 || (uint64_t)index >= count)
        return -1;
    return remote_read_ptr(h, array + (uint64_t)l->code.tlbc_entries + 8 * (uint64_t)index,
                           first);
}

int pyflame_frame_read(const struct py_layout *l, size_t frame_size, const pyflame_host *h,
                       uint64_t fp, struct frame_view *v, bool slots)
{
    v->slots = 0;
    v->extent = frame_size;
    uint8_t f[MAX_STRUCT_READ];
    if (frame_size > sizeof f || remote_read(h, fp, f, frame_size) != 0)
        return PYFLAME_ERR_READ;
    if (l->frame_model == PY_FRAMES_OBJECTS) {
        /* A frame object returned from is kept for reuse with no
         * references, its f_back linking the free list: read while the
         * target returns, it would end the stack early. */
        if (field_i64(f, PY_OB_REFCNT) <= 0)
            return PYFLAME_ERR_READ;
        int32_t lasti = field_i32(f, l->frame.lasti);
        v->code = field_ptr(f, l->frame.code);
        v->offset = lasti < 0 ? -1 : (long)lasti * l->frame.lasti_unit;
        v->next = field_ptr(f, l->frame.back);
        v->skip = false;
        v->running = false;
        if (slots)
            read_slots(l, h, fp, f, v);
        return PYFLAME_OK;
    }
    v->code = field_ptr(f, l->iframe.code);
    v->skip = l->iframe.owner_not_python >= 0 &&
              (int)(signed char)f[l->iframe.owner] >= l->iframe.owner_not_python;
    if (l->iframe.code_tag_bits) {
        /* A tagged reference (3.14+): a tagged int or NULL is no code. */
        uint64_t tag = v->code & (uint64_t)l->iframe.code_tag_bits;
        v->code &= ~(uint64_t)l->iframe.code_tag_bits;
        if (tag == (uint64_t)l->iframe.code_int_tag || !v->code)
            v->skip = true;
    }
    /* The instruction pointer counts from the first code unit; before
     * the first instruction it points one unit before it (3.11, 3.12). */
    uint64_t instr = field_ptr(f, l->iframe.instr), first = v->code + (uint64_t)l->code.code;
    if (l->iframe.tlbc_index >= 0 && !v->skip &&
        bytecode_copy(l, h, v->code, field_i32(f, l->iframe.tlbc_index), &first) != 0)
        return PYFLAME_ERR_READ;
    v->offset = instr < first ? -1 : (long)(instr - first);
    v->next = field_ptr(f, l->iframe.previous);
    v->running = l->iframe.stacktop >= 0 && field_i32(f, l->iframe.stacktop) < 0;
    if (slots)
        read_slots(l, h, fp, f, v);
    return PYFLAME_OK;
}

int pyflame_frame_running(const struct py_layout *l, const pyflame_host *h, uint64_t *fp)
{
    int32_t cframe_frame = l->tstate.cframe_frame;
    if (cframe_frame >= 0 && *fp &&
        remote_read_ptr(h, *fp + (uint64_t)cframe_frame, fp) != 0)
        return PYFLAME_ERR_READ;
    return PYFLAME_OK;
}
