#include "loom_kernels.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

// The 8-bit path of a 1×1 convolution (QuantizedDenseLayer): rows of activations quantized to
// u8 each with its own scale and zero point, weights s8 per output channel, integer dot
// products, then one float epilogue. AVX2 here; int8_pointwise_avx512.c does the dot products
// with VNNI. The integer sums are exact on both, and the epilogue is the same operations in the
// same order, so both give the same bits.

void loom_quantize_rows_u8(const float *x, size_t ldx, size_t rows, size_t k, uint8_t *q, size_t ldq, float *scales,
                           int32_t *zeros) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * ldx;
        __m256 lo8 = _mm256_setzero_ps(), hi8 = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 8 <= k; i += 8) {
            __m256 v = _mm256_loadu_ps(row + i);
            lo8 = _mm256_min_ps(lo8, v);
            hi8 = _mm256_max_ps(hi8, v);
        }
        float lanes_lo[8], lanes_hi[8];
        _mm256_storeu_ps(lanes_lo, lo8);
        _mm256_storeu_ps(lanes_hi, hi8);
        float lo = 0, hi = 0;
        for (int l = 0; l < 8; l++) {
            lo = lanes_lo[l] < lo ? lanes_lo[l] : lo;
            hi = lanes_hi[l] > hi ? lanes_hi[l] : hi;
        }
        for (; i < k; i++) {
            lo = row[i] < lo ? row[i] : lo;
            hi = row[i] > hi ? row[i] : hi;
        }
        // The range always holds 0, so a zero activation (padding, ReLU's floor) is exact.
        float scale = (hi - lo) / 255.0f;
        if (!(scale > 0)) scale = 1;
        float inverse = 1.0f / scale;
        int zero = (int)nearbyintf(-lo * inverse);
        zero = zero < 0 ? 0 : (zero > 255 ? 255 : zero);
        scales[r] = scale;
        zeros[r] = zero;
        uint8_t *out = q + r * ldq;
        const __m256 inv8 = _mm256_set1_ps(inverse);
        const __m256i zero8 = _mm256_set1_epi32(zero);
        i = 0;
        for (; i + 16 <= k; i += 16) {
            __m256i a = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + i), inv8)), zero8);
            __m256i b = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + i + 8), inv8)), zero8);
            // Saturating packs clamp to 0-255; the shuffle puts the dwords back in order.
            __m256i words = _mm256_packs_epi32(a, b);
            __m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
            bytes = _mm_shuffle_epi32(bytes, _MM_SHUFFLE(3, 1, 2, 0));
            _mm_storeu_si128((__m128i *)(out + i), bytes);
        }
        for (; i < k; i++) {
            int value = (int)nearbyintf(row[i] * inverse) + zero;
            out[i] = (uint8_t)(value < 0 ? 0 : (value > 255 ? 255 : value));
        }
    }
}

// Four columns' pairs of partial sums (a0·b0 + a1·b1, a2·b2 + a3·b3) → one sum per column, for
// eight columns held in two registers.
static inline __m256i column_sums8(__m256i low, __m256i high) {
    return _mm256_permute4x64_epi64(_mm256_hadd_epi32(low, high), _MM_SHUFFLE(3, 1, 2, 0));
}

static inline __m256 clamp8(__m256 x, __m256 lower, __m256 upper) {
    x = _mm256_blendv_ps(x, lower, _mm256_cmp_ps(x, lower, _CMP_LT_OQ));
    return _mm256_blendv_ps(x, upper, _mm256_cmp_ps(x, upper, _CMP_GT_OQ));
}

/// Eight columns of one row: the float epilogue shared (in its operations) with the AVX-512 kernel.
static inline void store8(__m256i sums, int32_t zero, float row_scale, const int32_t *col_sums, const float *col_scales,
                          const float *bias, float *out, size_t valid, __m256 lower, __m256 upper) {
    __m256i corrected = _mm256_sub_epi32(sums, _mm256_mullo_epi32(_mm256_set1_epi32(zero), _mm256_loadu_si256((const __m256i *)col_sums)));
    __m256 scale = _mm256_mul_ps(_mm256_set1_ps(row_scale), _mm256_loadu_ps(col_scales));
    __m256 y = clamp8(_mm256_fmadd_ps(_mm256_cvtepi32_ps(corrected), scale, _mm256_loadu_ps(bias)), lower, upper);
    if (valid >= 8) {
        _mm256_storeu_ps(out, y);
    } else {
        float lanes[8];
        _mm256_storeu_ps(lanes, y);
        memcpy(out, lanes, valid * sizeof(float));
    }
}

void loom_u8s8_tile(const uint8_t *a, size_t lda, size_t rows, const int8_t *b, size_t strip_bytes, size_t strips, size_t groups,
                    const float *row_scales, const int32_t *row_zeros, const int32_t *col_sums, const float *col_scales,
                    const float *bias, size_t columns, float *out, size_t ldo, float lower, float upper) {
    const __m256 lower8 = _mm256_set1_ps(lower), upper8 = _mm256_set1_ps(upper);
    for (size_t s = 0; s < strips; s++) {
        const int8_t *strip = b + s * strip_bytes;
        size_t first = 16 * s;
        for (size_t r0 = 0; r0 < rows; r0 += 4) {
            size_t count = rows - r0 < 4 ? rows - r0 : 4;
            // Per row, four registers of four columns' pair sums (16 columns).
            __m256i acc[4][4];
            for (size_t r = 0; r < 4; r++) for (int c = 0; c < 4; c++) acc[r][c] = _mm256_setzero_si256();
            for (size_t g = 0; g < groups; g++) {
                const int8_t *w = strip + 64 * g;
                __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w));
                __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 16)));
                __m256i w2 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 32)));
                __m256i w3 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 48)));
                for (size_t r = 0; r < count; r++) {
                    uint32_t four;
                    memcpy(&four, a + (r0 + r) * lda + 4 * g, 4);
                    __m256i x = _mm256_cvtepu8_epi16(_mm_set1_epi32((int)four));
                    acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(w0, x));
                    acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(w1, x));
                    acc[r][2] = _mm256_add_epi32(acc[r][2], _mm256_madd_epi16(w2, x));
                    acc[r][3] = _mm256_add_epi32(acc[r][3], _mm256_madd_epi16(w3, x));
                }
            }
            for (size_t r = 0; r < count; r++) {
                size_t row = r0 + r;
                float *o = out + row * ldo + first;
                for (int half = 0; half < 2; half++) {
                    size_t column = first + 8 * half;
                    if (column >= columns) break;
                    __m256i sums = column_sums8(acc[r][2 * half], acc[r][2 * half + 1]);
                    store8(sums, row_zeros[row], row_scales[row], col_sums + column, col_scales + column, bias + column, o + 8 * half,
                           columns - column, lower8, upper8);
                }
            }
        }
    }
}
