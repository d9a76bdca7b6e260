#include "loom_kernels.h"

#include <immintrin.h>

// The LSTM cell in AVX2 registers (8 lanes); the body is lstm_cell_body.h.

// Lanes past `count` load as zeros and are not stored.
static inline __m256i lane_mask(size_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline __m256 load_lanes(const float *p, size_t count) {
    return count == 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lane_mask(count));
}

static inline void store_lanes(float *p, __m256 value, size_t count) {
    if (count == 8) _mm256_storeu_ps(p, value);
    else _mm256_maskstore_ps(p, lane_mask(count), value);
}

#define CELL_ATTRIBUTE
#define CELL_FORWARD loom_lstm_cell_forward
#define CELL_BACKWARD loom_lstm_cell_backward
#define VLANES 8
#define VFLOAT __m256
#define VINT __m256i
#define VSET _mm256_set1_ps
#define VISET _mm256_set1_epi32
#define VADD _mm256_add_ps
#define VSUB _mm256_sub_ps
#define VMUL _mm256_mul_ps
#define VDIV _mm256_div_ps
#define VNEG(x) _mm256_xor_ps((x), _mm256_set1_ps(-0.0f))
#define VROUND(x) _mm256_round_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VBLEND_IF_LESS(x, bound) _mm256_blendv_ps((x), (bound), _mm256_cmp_ps((x), (bound), _CMP_LT_OQ))
#define VBLEND_IF_GREATER(x, bound) _mm256_blendv_ps((x), (bound), _mm256_cmp_ps((x), (bound), _CMP_GT_OQ))
#define VASINT _mm256_castps_si256
#define VASFLOAT _mm256_castsi256_ps
#define VISUB _mm256_sub_epi32
#define VIADD _mm256_add_epi32
#define VISHIFT23(x) _mm256_slli_epi32((x), 23)
#define VLOAD load_lanes
#define VSTORE store_lanes

#include "lstm_cell_body.h"
