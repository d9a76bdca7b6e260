#ifndef LOOM_AVX512_COMMON_H
#define LOOM_AVX512_COMMON_H

#include <immintrin.h>

// What the AVX-512 kernels share. Each is compiled for AVX-512 by this attribute alone (the
// target builds for x86-64-v3); Swift calls them only where CPUFeatures.isa says the CPU has it.
#define LOOM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

// An activation's clamp to [lower, upper], as Swift's compare-and-select writes it: a value is
// replaced only where the comparison holds, so a NaN stays NaN and −0 stays −0.
LOOM_AVX512 static inline __m512 loom_clamp512(__m512 x, __m512 lower, __m512 upper) {
    x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, lower, _CMP_LT_OQ), x, lower);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, upper, _CMP_GT_OQ), x, upper);
}

#endif
