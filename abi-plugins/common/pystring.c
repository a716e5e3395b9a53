#include "pystring.h"

#include <stdlib.h>
#include <string.h>

#include "remote.h"

size_t pyflame_utf8_encode(uint32_t cp, char *out)
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* PyASCIIObject.state bits, where the layout says. */
#define STATE_KIND(l, s) (((s) >> (l)->unicode.kind_shift) & 7)
#define STATE_COMPACT(l, s) (((s) >> (l)->unicode.compact_shift) & 1)
#define STATE_ASCII(l, s) (((s) >> (l)->unicode.ascii_shift) & 1)

/* Reads the first `len` bytes of the object at `addr` into `head`, and
 * checks its type when `type` is known. */
static int read_head(const pyflame_host *host, const struct py_layout *l, uint64_t addr,
                     uint64_t type, uint8_t *head, size_t len, size_t room)
{
    if (len > room || remote_read(host, addr, head, len) != 0)
        return -1;
    return type && field_ptr(head, l->object.ob_type) != type ? -1 : 0;
}

char *pyflame_py_read_string(const pyflame_host *host, const struct py_layout *layout,
                             uint64_t str_type, uint64_t addr)
{
    const struct py_layout *l = layout;
    uint8_t head[PY_STR_HEAD_MAX];
    if (read_head(host, l, addr, str_type, head, (size_t)l->unicode.compact_data,
                  sizeof head) != 0)
        return NULL;

    int64_t length = field_i64(head, l->unicode.length);
    uint32_t state = (uint32_t)field_i32(head, l->unicode.state);
    unsigned kind = STATE_KIND(l, state);
    if (length < 0 || (kind != 1 && kind != 2 && kind != 4))
        return NULL;
    if (length > PY_STRING_MAX_CHARS)
        length = PY_STRING_MAX_CHARS;

    uint64_t data;
    if (STATE_COMPACT(l, state))
        data = addr + (uint64_t)(STATE_ASCII(l, state) ? l->unicode.ascii_data
                                                    : l->unicode.compact_data);
    else if (remote_read_ptr(host, addr + (uint64_t)l->unicode.data_ptr, &data) != 0)
        return NULL;

    size_t nbytes = (size_t)length * kind;
    uint8_t *raw = malloc(nbytes ? nbytes : 1);
    char *out = malloc((size_t)length * 4 + 1);
    if (!raw || !out || (nbytes && remote_read(host, data, raw, nbytes) != 0)) {
        free(raw);
        free(out);
        return NULL;
    }
    size_t o = 0;
    for (int64_t i = 0; i < length; i++) {
        uint32_t cp;
        if (kind == 1) {
            cp = raw[i];
        } else if (kind == 2) {
            uint16_t u;
            memcpy(&u, raw + i * 2, 2);
            cp = u;
        } else {
            memcpy(&cp, raw + i * 4, 4);
        }
        o += pyflame_utf8_encode(cp, out + o);
    }
    out[o] = '\0';
    free(raw);
    return out;
}

uint8_t *pyflame_py_read_bytes(const pyflame_host *host, const struct py_layout *layout,
                               uint64_t bytes_type, uint64_t addr, size_t max_len,
                               size_t *len)
{
    uint8_t head[PY_BYTES_HEAD_MAX];
    if (read_head(host, layout, addr, bytes_type, head, (size_t)layout->bytes.data,
                  sizeof head) != 0)
        return NULL;
    int64_t size = field_i64(head, layout->bytes.size);
    if (size < 0 || (uint64_t)size > max_len)
        return NULL;
    uint8_t *buf = malloc(size ? (size_t)size : 1);
    if (!buf)
        return NULL;
    if (size && remote_read(host, addr + (uint64_t)layout->bytes.data, buf,
                            (size_t)size) != 0) {
        free(buf);
        return NULL;
    }
    *len = (size_t)size;
    return buf;
}

/* Length of the valid UTF-8 sequence at p[0..n), 0 if there is none. */
static size_t utf8_sequence(const uint8_t *p, size_t n)
{
    uint8_t b = p[0];
    size_t len;
    uint32_t cp, min;
    if (b >= 0x01 && b < 0x80)
        return 1;
    if ((b & 0xE0) == 0xC0) {
        len = 2, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        len = 3, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        len = 4, cp = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

char *pyflame_utf8_sanitize(const uint8_t *bytes, size_t len)
{
    char *out = malloc(len * 3 + 1); /* each bad byte becomes 3 */
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence(bytes + i, len - i);
        if (n) {
            memcpy(out + o, bytes + i, n);
            o += n;
            i += n;
        } else {
            o += pyflame_utf8_encode(0xFFFD, out + o);
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

char *pyflame_py_read_text(const pyflame_host *host, const struct py_layout *layout,
                           uint64_t str_type, uint64_t addr)
{
    if (layout->string_model == PY_STRINGS_UNICODE)
        return pyflame_py_read_string(host, layout, str_type, addr);
    size_t len;
    uint8_t *raw = pyflame_py_read_bytes(host, layout, str_type, addr, 1u << 20, &len);
    if (!raw)
        return NULL;
    char *text = pyflame_utf8_sanitize(raw, len < PY_STRING_MAX_CHARS ? len : PY_STRING_MAX_CHARS);
    free(raw);
    return text;
}

int pyflame_py_text_equals(const pyflame_host *host, const struct py_layout *layout,
                           uint64_t str_type, uint64_t addr, const char *ascii)
{
    const struct py_layout *l = layout;
    size_t want = strlen(ascii);
    uint8_t head[PY_STR_HEAD_MAX], text[64];
    int64_t length;
    uint64_t data;
    if (want > sizeof text)
        return 0;
    if (l->string_model == PY_STRINGS_UNICODE) {
        if (read_head(host, l, addr, str_type, head, (size_t)l->unicode.ascii_data,
                      sizeof head) != 0)
            return 0;
        uint32_t state = (uint32_t)field_i32(head, l->unicode.state);
        /* An equal str is ASCII, and CPython keeps those compact. */
        if (!STATE_COMPACT(l, state) || !STATE_ASCII(l, state))
            return 0;
        length = field_i64(head, l->unicode.length);
        data = addr + (uint64_t)l->unicode.ascii_data;
    } else {
        if (read_head(host, l, addr, str_type, head, (size_t)l->bytes.data, sizeof head) != 0)
            return 0;
        length = field_i64(head, l->bytes.size);
        data = addr + (uint64_t)l->bytes.data;
    }
    return length == (int64_t)want &&
           (want == 0 || (remote_read(host, data, text, want) == 0 &&
                          memcmp(text, ascii, want) == 0));
}
