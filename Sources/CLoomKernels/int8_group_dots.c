#include "loom_kernels.h"

#include <immintrin.h>
#include <string.h>

// How far ahead (in pairs of groups, 4 KB each at dim 256) a lone query's scan asks for its codes:
// without it the scan ran at 10 GB/s, well under what the float kernel streams.
enum { prefetch_distance = 4 };

// The query's codes of pair p, both in one 32-bit lane, repeated across the register.
static inline __m256i query_pair(const int16_t *query, size_t p) {
    int32_t both;
    memcpy(&both, query + 2 * p, sizeof both);
    return _mm256_set1_epi32(both);
}

// The 16 codes of one group's pair p widened to 16 bits, times the query's pair, each row's two
// products added: 8 partial sums, one per row.
static inline __m256i pair_sums(const int8_t *group, size_t p, __m256i q) {
    __m128i codes = _mm_loadu_si128((const __m128i *)(group + 16 * p));
    return _mm256_madd_epi16(_mm256_cvtepi8_epi16(codes), q);
}

void loom_int8_group_dots(const int8_t *codes, size_t pairs, size_t groups, const int16_t *query, int32_t *out) {
    const size_t group_bytes = pairs * 16;
    size_t g = 0;
    // Two groups at a time share each broadcast of the query; two sums per group keep the adds
    // of consecutive pairs independent.
    for (; g + 2 <= groups; g += 2) {
        const int8_t *a = codes + g * group_bytes, *b = a + group_bytes;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, b0 = a0, b1 = a0;
        size_t p = 0;
        const char *ahead = (const char *)a + prefetch_distance * 2 * group_bytes;
        for (; p + 2 <= pairs; p += 2) {
            _mm_prefetch(ahead + 32 * p, _MM_HINT_T0);
            __m256i q0 = query_pair(query, p), q1 = query_pair(query, p + 1);
            a0 = _mm256_add_epi32(a0, pair_sums(a, p, q0));
            b0 = _mm256_add_epi32(b0, pair_sums(b, p, q0));
            a1 = _mm256_add_epi32(a1, pair_sums(a, p + 1, q1));
            b1 = _mm256_add_epi32(b1, pair_sums(b, p + 1, q1));
        }
        if (p < pairs) {
            __m256i q = query_pair(query, p);
            a0 = _mm256_add_epi32(a0, pair_sums(a, p, q));
            b0 = _mm256_add_epi32(b0, pair_sums(b, p, q));
        }
        _mm256_storeu_si256((__m256i *)(out + 8 * g), _mm256_add_epi32(a0, a1));
        _mm256_storeu_si256((__m256i *)(out + 8 * g + 8), _mm256_add_epi32(b0, b1));
    }
    for (; g < groups; g++) {
        const int8_t *a = codes + g * group_bytes;
        __m256i sum = _mm256_setzero_si256();
        for (size_t p = 0; p < pairs; p++) sum = _mm256_add_epi32(sum, pair_sums(a, p, query_pair(query, p)));
        _mm256_storeu_si256((__m256i *)(out + 8 * g), sum);
    }
}

