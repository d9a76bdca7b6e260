#include "loom_kernels.h"

#include "avx512_common.h"

// SGEMM's AVX-512 tile: six rows of A against up to four consecutive 16-column strips of packed B
// (24 accumulators, one zmm per strip row). Each output element gets the same start value and the
// same fused multiply-adds, k ascending, as the AVX2 kernel in SGEMM.swift: the same bits.

LOOM_AVX512 __attribute__((always_inline)) static inline void tile(const float *a, size_t lda, size_t rows, const float *b,
                                                                   size_t strip_floats, const int strips, size_t depth, int start,
                                                                   const float *bias, float *out, size_t ldo, const int clamped,
                                                                   const int stream, float lower, float upper, const float *next_a,
                                                                   const float *next_out) {
    // Missing rows repeat the last one (same values, same stores), as in the AVX2 kernel.
    const float *ar[6];
    float *orow[6];
    for (int r = 0; r < 6; r++) {
        size_t row = (size_t)r < rows ? (size_t)r : rows - 1;
        ar[r] = a + row * lda;
        orow[r] = out + row * ldo;
    }
    __m512 c[6][4];
    for (int s = 0; s < strips; s++) {
        for (int r = 0; r < 6; r++) {
            c[r][s] = start == LOOM_START_ZERO ? _mm512_setzero_ps()
                    : start == LOOM_START_BIAS ? _mm512_loadu_ps(bias + 16 * s)
                    : _mm512_loadu_ps(orow[r] + 16 * s);
        }
    }
    // The next row tile's output, into L2 (a tile that starts from C would otherwise wait on memory
    // before its first multiply-add; one that only stores it, on the stores' reads).
    if (next_out)
        for (int r = 0; r < 6; r++)
            for (int s = 0; s < strips; s++) _mm_prefetch((const char *)(next_out + r * ldo + 16 * s), _MM_HINT_T1);
    for (size_t k0 = 0; k0 < depth; k0 += 16) {
        // The next row tile's A, a cache line of each row per 16 k: six rows read a line at a time
        // are streams too short for the hardware prefetcher to learn.
        if (next_a)
            for (int r = 0; r < 6; r++) _mm_prefetch((const char *)(next_a + r * lda + k0), _MM_HINT_T0);
        const size_t k1 = k0 + 16 < depth ? k0 + 16 : depth;
        for (size_t k = k0; k < k1; k++) {
            __m512 bv[4];
            for (int s = 0; s < strips; s++) bv[s] = _mm512_load_ps(b + s * strip_floats + 16 * k);
            for (int r = 0; r < 6; r++) {
                __m512 x = _mm512_set1_ps(ar[r][k]);
                for (int s = 0; s < strips; s++) c[r][s] = _mm512_fmadd_ps(x, bv[s], c[r][s]);
            }
        }
    }
    const __m512 lo = _mm512_set1_ps(lower), hi = _mm512_set1_ps(upper);
    for (int r = 0; r < 6; r++)
        for (int s = 0; s < strips; s++) {
            const __m512 v = clamped ? loom_clamp512(c[r][s], lo, hi) : c[r][s];
            if (stream) _mm512_stream_ps(orow[r] + 16 * s, v);
            else _mm512_storeu_ps(orow[r] + 16 * s, v);
        }
}

LOOM_AVX512 void loom_sgemm_tile_avx512(const float *a, size_t lda, size_t rows, const float *b, size_t strip_floats, size_t strips,
                                        size_t depth, int start, const float *bias, float *out, size_t ldo, float lower, float upper,
                                        int stream, const float *next_a, const float *next_out) {
    // One instance per strip count, clamp and store kind (always inlined), so each keeps its
    // accumulators in registers: a shared, non-inlined body spilled them to the stack at half the speed.
    const int clamped = !(lower == -__builtin_inff() && upper == __builtin_inff());
#define TILE(n, c, s) tile(a, lda, rows, b, strip_floats, n, depth, start, bias, out, ldo, c, s, lower, upper, next_a, next_out)
    switch ((strips - 1) * 4 + clamped * 2 + (stream != 0)) {
    case 0: TILE(1, 0, 0); break;
    case 1: TILE(1, 0, 1); break;
    case 2: TILE(1, 1, 0); break;
    case 3: TILE(1, 1, 1); break;
    case 4: TILE(2, 0, 0); break;
    case 5: TILE(2, 0, 1); break;
    case 6: TILE(2, 1, 0); break;
    case 7: TILE(2, 1, 1); break;
    case 8: TILE(3, 0, 0); break;
    case 9: TILE(3, 0, 1); break;
    case 10: TILE(3, 1, 0); break;
    case 11: TILE(3, 1, 1); break;
    case 12: TILE(4, 0, 0); break;
    case 13: TILE(4, 0, 1); break;
    case 14: TILE(4, 1, 0); break;
    default: TILE(4, 1, 1); break;
    }
#undef TILE
}

void loom_store_fence(void) { _mm_sfence(); }
