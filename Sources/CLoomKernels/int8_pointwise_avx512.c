#include "loom_kernels.h"

#include "avx512_common.h"
#include <string.h>

// loom_u8s8_tile with AVX-512 VNNI: one vpdpbusd multiplies four u8 activations by four s8
// weights for 16 columns and adds the four products to each column's sum. The sums are exact, as
// on AVX2, and the epilogue is the same operations 16 columns at a time: the same bits.

LOOM_AVX512 static inline void store16(__m512i sums, int32_t zero, float row_scale, const int32_t *col_sums, const float *col_scales,
                                       const float *bias, float *out, size_t valid, __m512 lower, __m512 upper) {
    __m512i corrected = _mm512_sub_epi32(sums, _mm512_mullo_epi32(_mm512_set1_epi32(zero), _mm512_loadu_si512(col_sums)));
    __m512 scale = _mm512_mul_ps(_mm512_set1_ps(row_scale), _mm512_loadu_ps(col_scales));
    __m512 y = loom_clamp512(_mm512_fmadd_ps(_mm512_cvtepi32_ps(corrected), scale, _mm512_loadu_ps(bias)), lower, upper);
    __mmask16 mask = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
    _mm512_mask_storeu_ps(out, mask, y);
}

// ROWS × STRIPS accumulators; constants at each call site, so the loops unroll into registers.
LOOM_AVX512 __attribute__((always_inline)) static inline void tile(const uint8_t *a, size_t lda, const int8_t *b, size_t strip_bytes, size_t groups,
                                    const size_t ROWS, const size_t STRIPS, __m512i acc[6][4]) {
    for (size_t r = 0; r < ROWS; r++) for (size_t s = 0; s < STRIPS; s++) acc[r][s] = _mm512_setzero_si512();
    for (size_t g = 0; g < groups; g++) {
        __m512i w[4];
        for (size_t s = 0; s < STRIPS; s++) w[s] = _mm512_load_si512(b + s * strip_bytes + 64 * g);
        for (size_t r = 0; r < ROWS; r++) {
            int32_t four;
            memcpy(&four, a + r * lda + 4 * g, 4);
            __m512i x = _mm512_set1_epi32(four);
            for (size_t s = 0; s < STRIPS; s++) acc[r][s] = _mm512_dpbusd_epi32(acc[r][s], x, w[s]);
        }
    }
}

LOOM_AVX512 void loom_u8s8_tile_avx512(const uint8_t *a, size_t lda, size_t rows, const int8_t *b, size_t strip_bytes, size_t strips,
                                       size_t groups, const float *row_scales, const int32_t *row_zeros, const int32_t *col_sums,
                                       const float *col_scales, const float *bias, size_t columns, float *out, size_t ldo,
                                       float lower, float upper) {
    const __m512 lower16 = _mm512_set1_ps(lower), upper16 = _mm512_set1_ps(upper);
    for (size_t s0 = 0; s0 < strips; s0 += 4) {
        size_t width = strips - s0 < 4 ? strips - s0 : 4;
        const int8_t *bs = b + s0 * strip_bytes;
        for (size_t r0 = 0; r0 < rows; r0 += 6) {
            size_t count = rows - r0 < 6 ? rows - r0 : 6;
            const uint8_t *ar = a + r0 * lda;
            __m512i acc[6][4];
            if (count == 6 && width == 4) tile(ar, lda, bs, strip_bytes, groups, 6, 4, acc);
            else if (count == 6 && width == 2) tile(ar, lda, bs, strip_bytes, groups, 6, 2, acc);
            else if (width == 4) tile(ar, lda, bs, strip_bytes, groups, count, 4, acc);
            else tile(ar, lda, bs, strip_bytes, groups, count, width, acc);
            for (size_t r = 0; r < count; r++) {
                size_t row = r0 + r;
                for (size_t s = 0; s < width; s++) {
                    size_t column = 16 * (s0 + s);
                    if (column >= columns) break;
                    store16(acc[r][s], row_zeros[row], row_scales[row], col_sums + column, col_scales + column, bias + column,
                            out + row * ldo + column, columns - column, lower16, upper16);
                }
            }
        }
    }
}
