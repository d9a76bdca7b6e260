#include "loom_kernels.h"
#include "avx512_common.h"

// The LSTM cell in AVX-512 registers (16 lanes); the body is lstm_cell_body.h.

LOOM_AVX512 static inline __m512 load_lanes16(const float *p, size_t count) {
    return count == 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps((__mmask16)((1u << count) - 1), p);
}

LOOM_AVX512 static inline void store_lanes16(float *p, __m512 value, size_t count) {
    if (count == 16) _mm512_storeu_ps(p, value);
    else _mm512_mask_storeu_ps(p, (__mmask16)((1u << count) - 1), value);
}

#define CELL_ATTRIBUTE LOOM_AVX512
#define CELL_FORWARD loom_lstm_cell_forward_avx512
#define CELL_BACKWARD loom_lstm_cell_backward_avx512
#define VLANES 16
#define VFLOAT __m512
#define VINT __m512i
#define VSET _mm512_set1_ps
#define VISET _mm512_set1_epi32
#define VADD _mm512_add_ps
#define VSUB _mm512_sub_ps
#define VMUL _mm512_mul_ps
#define VDIV _mm512_div_ps
#define VNEG(x) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)))
#define VROUND(x) _mm512_roundscale_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VBLEND_IF_LESS(x, bound) _mm512_mask_blend_ps(_mm512_cmp_ps_mask((x), (bound), _CMP_LT_OQ), (x), (bound))
#define VBLEND_IF_GREATER(x, bound) _mm512_mask_blend_ps(_mm512_cmp_ps_mask((x), (bound), _CMP_GT_OQ), (x), (bound))
#define VASINT _mm512_castps_si512
#define VASFLOAT _mm512_castsi512_ps
#define VISUB _mm512_sub_epi32
#define VIADD _mm512_add_epi32
#define VISHIFT23(x) _mm512_slli_epi32((x), 23)
#define VLOAD load_lanes16
#define VSTORE store_lanes16

#include "lstm_cell_body.h"
