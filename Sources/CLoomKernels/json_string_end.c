#include "loom_kernels.h"

#include <immintrin.h>

/* Bit i set where byte i of the 64 bytes at `text` equals `value`. */
static inline uint64_t loom_byte_mask64(const uint8_t *text, __m256i value) {
    uint32_t low = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)text), value));
    uint32_t high = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(text + 32)), value));
    return (uint64_t)high << 32 | low;
}

/* Bit i set where byte i of the 64 bytes at `text` is a control character (below 0x20). */
static inline uint64_t loom_control_mask64(const uint8_t *text) {
    const __m256i highest = _mm256_set1_epi8(0x1F);
    __m256i low = _mm256_loadu_si256((const __m256i *)text), high = _mm256_loadu_si256((const __m256i *)(text + 32));
    uint32_t lowMask = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(low, highest), highest));
    uint32_t highMask = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(high, highest), highest));
    return (uint64_t)highMask << 32 | lowMask;
}

size_t loom_json_string_end(const uint8_t *text, size_t count, int *control) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    uint64_t controls = 0; /* any control byte met before the closing quote */
    const uint64_t even = 0x5555555555555555ull, odd = ~even;
    size_t i = 0;
    uint64_t carry = 0; /* 1 when the block's first byte is escaped by the previous block's last byte */
    /* 64 bytes a step, without a branch per backslash (these strings hold one every 10-20 bytes).
       A byte is escaped when the run of backslashes just before it has odd length. Adding a
       run's first bit to the run carries into the bit just past it; the run's length is odd
       exactly when that bit's position and the first bit's position differ in parity. So runs
       starting on even bits escape the odd bits their sums land on, and the other way round; a
       run starting on an odd bit that carries out of the block escapes the next block's first
       byte. */
    while (i + 64 <= count) {
        uint64_t quotes = loom_byte_mask64(text + i, quote);
        /* A first byte escaped by the previous block is neither an escape nor part of a run. */
        uint64_t backslashes = loom_byte_mask64(text + i, backslash) & ~carry;
        uint64_t starts = backslashes & ~(backslashes << 1);
        uint64_t even_ends = ((starts & even) + backslashes) & ~backslashes;
        uint64_t odd_ends;
        uint64_t carried = __builtin_add_overflow(starts & odd, backslashes, &odd_ends);
        odd_ends &= ~backslashes;
        uint64_t escaped = (even_ends & odd) | (odd_ends & even) | carry;
        uint64_t closing = quotes & ~escaped;
        uint64_t blockControls = control != NULL ? loom_control_mask64(text + i) : 0;
        if (closing != 0) {
            size_t at = (size_t)__builtin_ctzll(closing);
            if (control != NULL && ((controls | (blockControls & ((1ull << at) - 1))) != 0)) *control = 1;
            return i + at;
        }
        controls |= blockControls;
        carry = carried;
        i += 64;
    }
    if (control != NULL && controls != 0) *control = 1;
    /* A byte escaped across the block edge is passed over; it is a control byte all the same. */
    if (carry && control != NULL && i < count && text[i] < 0x20) *control = 1;
    i += carry;
    while (i < count) {
        if (control != NULL && text[i] < 0x20) *control = 1;
        if (text[i] == '\\') {
            if (control != NULL && i + 1 < count && text[i + 1] < 0x20) *control = 1;
            i += 2;
        } else if (text[i] == '"') {
            return i;
        } else {
            i++;
        }
    }
    return count;
}
