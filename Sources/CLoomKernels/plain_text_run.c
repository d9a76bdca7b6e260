#include "loom_kernels.h"

#include <immintrin.h>

/* Bytes HTMLText copies as they are: not whitespace or a control character, not '<' or '&',
   not a lead byte that can start a non-ASCII whitespace character (0xC2, 0xE1-0xE3). */
static inline int loom_is_plain(uint8_t byte) {
    return !(byte <= 0x20 || byte == '<' || byte == '&' || byte == 0x7F || byte == 0xC2 || (byte >= 0xE1 && byte <= 0xE3));
}

/* 0xFF in each lane whose byte is not plain. */
static inline __m256i loom_not_plain(__m256i v) {
    const __m256i space = _mm256_set1_epi8(0x20);
    __m256i low = _mm256_cmpeq_epi8(_mm256_max_epu8(v, space), space); /* v <= 0x20 */
    __m256i marks = _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('<')), _mm256_cmpeq_epi8(v, _mm256_set1_epi8('&')));
    __m256i lead = _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8((char)0x7F)), _mm256_cmpeq_epi8(v, _mm256_set1_epi8((char)0xC2)));
    /* 0xE1-0xE3: v - 0xE1 is 0, 1 or 2 (unsigned). */
    __m256i offset = _mm256_sub_epi8(v, _mm256_set1_epi8((char)0xE1));
    __m256i three = _mm256_cmpeq_epi8(_mm256_min_epu8(offset, _mm256_set1_epi8(2)), offset);
    return _mm256_or_si256(_mm256_or_si256(low, marks), _mm256_or_si256(lead, three));
}

size_t loom_plain_text_run(const uint8_t *text, size_t count) {
    if (count == 0 || !loom_is_plain(text[0])) return 0;
    /* Byte i ends the run unless it is plain, or a space (i > 0) followed by a plain byte.
       32 bytes a step, with the byte after each read through a second load one byte on. */
    size_t i = 1;
    const __m256i space = _mm256_set1_epi8(0x20);
    while (i + 33 <= count) {
        __m256i here = _mm256_loadu_si256((const __m256i *)(text + i));
        __m256i next = _mm256_loadu_si256((const __m256i *)(text + i + 1));
        __m256i spaced = _mm256_andnot_si256(loom_not_plain(next), _mm256_cmpeq_epi8(here, space));
        uint32_t ends = (uint32_t)_mm256_movemask_epi8(_mm256_andnot_si256(spaced, loom_not_plain(here)));
        if (ends != 0) return i + (size_t)__builtin_ctz(ends);
        i += 32;
    }
    while (i < count) {
        if (loom_is_plain(text[i])) {
            i += 1;
        } else if (text[i] == 0x20 && i + 1 < count && loom_is_plain(text[i + 1])) {
            i += 2;
        } else {
            break;
        }
    }
    return i;
}
