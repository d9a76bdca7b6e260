#include "loom_kernels.h"

#include <immintrin.h>

// Kept apart: a fused multiply-add would round differently from the scalar update.
#pragma clang fp contract(off)

// Adam on whole rows of a table (the token embedding's live rows; a dense tensor's part as one
// row): eight values at a time, each lane the scalar update's multiplies, adds, square root and
// divisions in its order (no fused multiply-add), so the bits of one value at a time
// (value -= step·m / (√v / √correction + ε); checked in AdamOptimizerTests). The embedding's rows
// lie anywhere in four tables of 15 MB each: the next rows' lines are asked for ahead, which the
// hardware prefetcher, following addresses inside a page, cannot guess.
void loom_adam_rows(float *value, const float *gradient, float *first, float *second, const int64_t *rows, size_t count,
                    size_t width, const float *constants) {
    const __m256 clip = _mm256_set1_ps(constants[0]), beta1 = _mm256_set1_ps(constants[1]);
    const __m256 beta2 = _mm256_set1_ps(constants[2]), one_minus_beta1 = _mm256_set1_ps(constants[3]);
    const __m256 one_minus_beta2 = _mm256_set1_ps(constants[4]), step_size = _mm256_set1_ps(constants[5]);
    const __m256 root_correction2 = _mm256_set1_ps(constants[6]), epsilon = _mm256_set1_ps(constants[7]);
    const size_t ahead = 2;
    for (size_t j = 0; j < count; j++) {
        if (j + ahead < count) {
            const size_t next = (size_t)rows[j + ahead] * width;
            for (size_t i = 0; i < width; i += 16) {
                _mm_prefetch((const char *)(value + next + i), _MM_HINT_T0);
                _mm_prefetch((const char *)(gradient + next + i), _MM_HINT_T0);
                _mm_prefetch((const char *)(first + next + i), _MM_HINT_T0);
                _mm_prefetch((const char *)(second + next + i), _MM_HINT_T0);
            }
        }
        const size_t base = (size_t)rows[j] * width;
        size_t i = 0;
        for (; i + 8 <= width; i += 8) {
            const __m256 g = _mm256_mul_ps(_mm256_loadu_ps(gradient + base + i), clip);
            const __m256 m = _mm256_add_ps(_mm256_mul_ps(beta1, _mm256_loadu_ps(first + base + i)), _mm256_mul_ps(one_minus_beta1, g));
            const __m256 v = _mm256_add_ps(_mm256_mul_ps(beta2, _mm256_loadu_ps(second + base + i)),
                                           _mm256_mul_ps(_mm256_mul_ps(one_minus_beta2, g), g));
            const __m256 step = _mm256_div_ps(_mm256_mul_ps(step_size, m),
                                              _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(v), root_correction2), epsilon));
            _mm256_storeu_ps(first + base + i, m);
            _mm256_storeu_ps(second + base + i, v);
            _mm256_storeu_ps(value + base + i, _mm256_sub_ps(_mm256_loadu_ps(value + base + i), step));
        }
        for (; i < width; i++) {
            const float g = gradient[base + i] * constants[0];
            const float m = constants[1] * first[base + i] + constants[3] * g;
            const float v = constants[2] * second[base + i] + constants[4] * g * g;
            first[base + i] = m;
            second[base + i] = v;
            value[base + i] -= constants[5] * m / (__builtin_sqrtf(v) / constants[6] + constants[7]);
        }
    }
}
