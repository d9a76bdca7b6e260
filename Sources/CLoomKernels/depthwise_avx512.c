#include "loom_kernels.h"

#include "avx512_common.h"

// The depthwise convolution's AVX-512 row: sixteen channels per register, each output value the
// same operations in the same order as DepthwiseConvolution.swift's eight-channel code — one
// partial sum per window row (the top one from the bias, the others from their first product;
// taps left to right, padding skipped), then (top + middle) + bottom, then the clamp.

// A lower window row's sum, from its first tap inside the image; `row` is the window's middle
// column, `step` floats from its neighbours.
LOOM_AVX512 static inline __m512 row_sum(const float *row, size_t step, int left, int right, __m512 w_left, __m512 w_middle,
                                         __m512 w_right) {
    __m512 sum;
    if (left) {
        sum = _mm512_mul_ps(_mm512_loadu_ps(row - step), w_left);
        sum = _mm512_fmadd_ps(_mm512_loadu_ps(row), w_middle, sum);
    } else {
        sum = _mm512_mul_ps(_mm512_loadu_ps(row), w_middle);
    }
    if (right) sum = _mm512_fmadd_ps(_mm512_loadu_ps(row + step), w_right, sum);
    return sum;
}

LOOM_AVX512 void loom_depthwise_row16_avx512(const float *above, const float *middle, const float *below, int top, int bottom,
                                             size_t width, size_t in_stride, size_t out_width, size_t stride, const float *weights,
                                             size_t channels, const float *bias, float *out, size_t out_stride, float lower, float upper) {
    __m512 w[9];
    for (int tap = 0; tap < 9; tap++) w[tap] = _mm512_loadu_ps(weights + (size_t)tap * channels);
    const __m512 b = _mm512_loadu_ps(bias), lo = _mm512_set1_ps(lower), hi = _mm512_set1_ps(upper);
    for (size_t ox = 0; ox < out_width; ox++) {
        // The window's middle column (ox·stride) is always inside the image.
        const size_t ix = ox * stride, at = ix * in_stride, s = in_stride;
        const int left = ix >= 1, right = ix + 1 < width;
        const float *m = middle + at;
        __m512 result;
        if (top && bottom && left && right) {
            const float *a = above + at, *d = below + at;
            __m512 up = _mm512_fmadd_ps(_mm512_loadu_ps(a - s), w[0], b);
            up = _mm512_fmadd_ps(_mm512_loadu_ps(a), w[1], up);
            up = _mm512_fmadd_ps(_mm512_loadu_ps(a + s), w[2], up);
            __m512 centre = _mm512_mul_ps(_mm512_loadu_ps(m - s), w[3]);
            centre = _mm512_fmadd_ps(_mm512_loadu_ps(m), w[4], centre);
            centre = _mm512_fmadd_ps(_mm512_loadu_ps(m + s), w[5], centre);
            __m512 down = _mm512_mul_ps(_mm512_loadu_ps(d - s), w[6]);
            down = _mm512_fmadd_ps(_mm512_loadu_ps(d), w[7], down);
            down = _mm512_fmadd_ps(_mm512_loadu_ps(d + s), w[8], down);
            result = _mm512_add_ps(_mm512_add_ps(up, centre), down);
        } else {
            __m512 up = b, down = _mm512_setzero_ps();
            if (top) {
                const float *a = above + at;
                if (left) up = _mm512_fmadd_ps(_mm512_loadu_ps(a - s), w[0], up);
                up = _mm512_fmadd_ps(_mm512_loadu_ps(a), w[1], up);
                if (right) up = _mm512_fmadd_ps(_mm512_loadu_ps(a + s), w[2], up);
            }
            __m512 centre = row_sum(m, s, left, right, w[3], w[4], w[5]);
            if (bottom) down = row_sum(below + at, s, left, right, w[6], w[7], w[8]);
            result = _mm512_add_ps(_mm512_add_ps(up, centre), down);
        }
        _mm512_storeu_ps(out + ox * out_stride, loom_clamp512(result, lo, hi));
    }
}
