#include "loom_kernels.h"

#include <immintrin.h>

// Copies of training's large matrices (packing, gathering rows): written past the caches when
// larger than them, since what reads them next reads them from memory anyway.

// Sixteen floats of a source row per k, as two 8-float moves; the column sums ride along in
// registers (eight lanes each, the same adds in the same order as LinearAlgebra.columnSums).
void loom_pack_strips(const float *b, size_t ldb, size_t depth, float *out, size_t strips, float *column_sums, int stream) {
    // Streaming stores need 32-byte aligned targets (packed storage is 64-byte aligned).
    stream = stream && ((uintptr_t)out & 31) == 0;
    for (size_t strip = 0; strip < strips; strip++) {
        const float *source = b + strip * 16;
        float *target = out + strip * depth * 16;
        __m256 low = column_sums ? _mm256_loadu_ps(column_sums + strip * 16) : _mm256_setzero_ps();
        __m256 high = column_sums ? _mm256_loadu_ps(column_sums + strip * 16 + 8) : _mm256_setzero_ps();
        for (size_t k = 0; k < depth; k++) {
            const __m256 first = _mm256_loadu_ps(source + k * ldb), second = _mm256_loadu_ps(source + k * ldb + 8);
            if (stream) {
                _mm256_stream_ps(target + k * 16, first);
                _mm256_stream_ps(target + k * 16 + 8, second);
            } else {
                _mm256_storeu_ps(target + k * 16, first);
                _mm256_storeu_ps(target + k * 16 + 8, second);
            }
            if (column_sums) {
                low = _mm256_add_ps(low, first);
                high = _mm256_add_ps(high, second);
            }
        }
        if (column_sums) {
            _mm256_storeu_ps(column_sums + strip * 16, low);
            _mm256_storeu_ps(column_sums + strip * 16 + 8, high);
        }
    }
    // Streamed stores are weakly ordered: fenced before another thread (the product) reads them.
    if (stream) _mm_sfence();
}

void loom_gather_rows(const float *source, const int32_t *index, size_t rows, size_t width, float *out, int stream) {
    // Streaming stores need whole, 32-byte aligned rows.
    stream = stream && width % 8 == 0 && ((uintptr_t)out & 31) == 0;
    for (size_t row = 0; row < rows; row++) {
        const float *from = source + (size_t)index[row] * width;
        float *to = out + row * width;
        if (stream) {
            for (size_t i = 0; i < width; i += 8) _mm256_stream_ps(to + i, _mm256_loadu_ps(from + i));
        } else {
            for (size_t i = 0; i < width; i++) to[i] = from[i];
        }
    }
    if (stream) _mm_sfence();
}
