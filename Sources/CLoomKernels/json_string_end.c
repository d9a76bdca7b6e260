#include "loom_kernels.h"

#include <immintrin.h>

size_t loom_json_string_end(const uint8_t *text, size_t count) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    size_t i = 0;
    uint32_t carry = 0;   // 1 when the block's first byte is escaped by the previous block's last byte
    while (i + 32 <= count) {
        __m256i block = _mm256_loadu_si256((const __m256i *)(text + i));
        uint32_t quotes = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(block, quote));
        uint32_t backslashes = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(block, backslash));
        // Walk the backslashes that escape something (not those escaped themselves), marking
        // the byte after each; one that ends the block escapes the next block's first byte.
        uint32_t escaped = carry, pending = backslashes & ~carry;
        carry = 0;
        while (pending != 0) {
            uint32_t at = (uint32_t)__builtin_ctz(pending);
            if (at == 31) {
                carry = 1;
                break;
            }
            escaped |= 2u << at;
            pending &= ~(3u << at);
        }
        uint32_t closing = quotes & ~escaped;
        if (closing != 0) return i + (size_t)__builtin_ctz(closing);
        i += 32;
    }
    i += carry;
    while (i < count) {
        if (text[i] == '\\') {
            i += 2;
        } else if (text[i] == '"') {
            return i;
        } else {
            i++;
        }
    }
    return count;
}
