#include "loom_kernels.h"

#include "avx512_common.h"

// The first layer's 3×3 convolution, AVX-512: four neighbouring output pixels × 32 output
// channels in eight zmm accumulators. Each value is summed as in DirectConvolution.swift — bias,
// then taps row by row, left to right, input channel by channel, one fused multiply-add each —
// so the same bits as its AVX2 code.

LOOM_AVX512 __attribute__((always_inline)) static inline void quad(const float *input, size_t width, const size_t in_channels,
                                                                   size_t stride, const float *weights, const float *bias,
                                                                   size_t out_channels, float *out, float lower, float upper) {
    __m512 acc[4][2];
    const __m512 b0 = _mm512_loadu_ps(bias), b1 = _mm512_loadu_ps(bias + 16);
    for (int p = 0; p < 4; p++) { acc[p][0] = b0; acc[p][1] = b1; }
    const size_t next = stride * in_channels;   // one output pixel's window to the next
    for (size_t ky = 0; ky < 3; ky++) {
        const float *line = input + ky * width * in_channels;
        for (size_t kx = 0; kx < 3; kx++) {
            const float *pixel = line + kx * in_channels;
            const float *tap = weights + (ky * 3 + kx) * in_channels * out_channels;
            for (size_t c = 0; c < in_channels; c++) {
                const __m512 w0 = _mm512_loadu_ps(tap + c * out_channels), w1 = _mm512_loadu_ps(tap + c * out_channels + 16);
                for (int p = 0; p < 4; p++) {
                    const __m512 x = _mm512_set1_ps(pixel[p * next + c]);
                    acc[p][0] = _mm512_fmadd_ps(x, w0, acc[p][0]);
                    acc[p][1] = _mm512_fmadd_ps(x, w1, acc[p][1]);
                }
            }
        }
    }
    const __m512 lo = _mm512_set1_ps(lower), hi = _mm512_set1_ps(upper);
    for (int p = 0; p < 4; p++) {
        _mm512_storeu_ps(out + p * out_channels, loom_clamp512(acc[p][0], lo, hi));
        _mm512_storeu_ps(out + p * out_channels + 16, loom_clamp512(acc[p][1], lo, hi));
    }
}

LOOM_AVX512 void loom_direct3x3_quad_avx512(const float *input, size_t width, size_t in_channels, size_t stride, const float *weights,
                                            const float *bias, size_t out_channels, float *out, float lower, float upper) {
    // RGB as a constant: the 27 taps unroll completely.
    if (in_channels == 3) quad(input, width, 3, stride, weights, bias, out_channels, out, lower, upper);
    else quad(input, width, in_channels, stride, weights, bias, out_channels, out, lower, upper);
}
