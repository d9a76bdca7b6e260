// The LSTM cell, written once for both vector widths: lstm_cell.c includes it for AVX2 (8 lanes),
// lstm_cell_avx512.c for AVX-512 (16 lanes), each after defining the V* macros and CELL_ATTRIBUTE.
// Every lane runs the same IEEE operations in the same order as VectorMath (multiplies and adds
// kept apart, never fused; the same division), so both widths give the bits of the Swift code
// they replaced — tested lane for lane against VectorMath.

// e^x as VectorMath.exp: clamp to [−87, 88], x = n·ln2 + r, a degree-6 polynomial, 2ⁿ in the
// exponent bits.
CELL_ATTRIBUTE static inline VFLOAT cell_exp(VFLOAT x) {
    x = VBLEND_IF_LESS(x, VSET(-87.0f));
    x = VBLEND_IF_GREATER(x, VSET(88.0f));
    VFLOAT n = VROUND(VMUL(x, VSET(1.44269504f)));
    VFLOAT r = VSUB(x, VMUL(n, VSET(0.693359375f)));
    r = VADD(r, VMUL(n, VSET(2.1219444e-4f)));
    VFLOAT p = VSET(1.0f / 720.0f);
    p = VADD(VMUL(p, r), VSET(1.0f / 120.0f));
    p = VADD(VMUL(p, r), VSET(1.0f / 24.0f));
    p = VADD(VMUL(p, r), VSET(1.0f / 6.0f));
    p = VADD(VMUL(p, r), VSET(0.5f));
    p = VADD(VMUL(p, r), VSET(1.0f));
    p = VADD(VMUL(p, r), VSET(1.0f));
    VINT shifted = VISUB(VASINT(VADD(n, VSET(12582912.0f))), VISET(0x4B400000));
    return VMUL(p, VASFLOAT(VISHIFT23(VIADD(shifted, VISET(127)))));
}

// Asks for the cache line `floats` past `p` (address arithmetic on integers: it may lie past the
// buffer, where a prefetch is dropped).
CELL_ATTRIBUTE static inline void cell_prefetch(const float *p, size_t floats) {
    _mm_prefetch((const char *)((uintptr_t)p + floats * sizeof(float)), _MM_HINT_T0);
}

CELL_ATTRIBUTE static inline VFLOAT cell_sigmoid(VFLOAT x) {
    return VDIV(VSET(1.0f), VADD(VSET(1.0f), cell_exp(VNEG(x))));
}

CELL_ATTRIBUTE static inline VFLOAT cell_tanh(VFLOAT x) {
    return VSUB(VSET(1.0f), VDIV(VSET(2.0f), VADD(cell_exp(VADD(x, x)), VSET(1.0f))));
}

CELL_ATTRIBUTE void CELL_FORWARD(const float *recurrent, float *gates, const float *previous_cell, float *cell, float *state,
                                 size_t hidden, int keep_gates) {
    for (size_t unit = 0; unit < hidden; unit += VLANES) {
        const size_t lanes = hidden - unit < VLANES ? hidden - unit : VLANES;
        VFLOAT g[4];
        for (int index = 0; index < 4; index++) {
            const size_t offset = (size_t)index * hidden + unit;
            // The same place in the next row, where training keeps its rows one after another: the
            // forward cell spent a third of its time waiting on these loads.
            cell_prefetch(gates, 4 * hidden + offset);
            if (recurrent) cell_prefetch(recurrent, 4 * hidden + offset);
            g[index] = VLOAD(gates + offset, lanes);
            if (recurrent) g[index] = VADD(g[index], VLOAD(recurrent + offset, lanes));
        }
        const VFLOAT input_gate = cell_sigmoid(g[0]), forget_gate = cell_sigmoid(g[1]);
        const VFLOAT candidate = cell_tanh(g[2]), output_gate = cell_sigmoid(g[3]);
        if (keep_gates) {
            VSTORE(gates + unit, input_gate, lanes);
            VSTORE(gates + hidden + unit, forget_gate, lanes);
            VSTORE(gates + 2 * hidden + unit, candidate, lanes);
            VSTORE(gates + 3 * hidden + unit, output_gate, lanes);
        }
        const VFLOAT old_cell = previous_cell ? VLOAD(previous_cell + unit, lanes) : VSET(0.0f);
        const VFLOAT new_cell = VADD(VMUL(forget_gate, old_cell), VMUL(input_gate, candidate));
        VSTORE(cell + unit, new_cell, lanes);
        VSTORE(state + unit, VMUL(output_gate, cell_tanh(new_cell)), lanes);
    }
}

CELL_ATTRIBUTE void CELL_BACKWARD(const float *output_gradient, const float *recurrent, const float *gates, const float *cell,
                                  const float *previous_cell, float *cell_gradient, float *gate_gradient, size_t hidden) {
    const VFLOAT one = VSET(1.0f);
    for (size_t unit = 0; unit < hidden; unit += VLANES) {
        const size_t lanes = hidden - unit < VLANES ? hidden - unit : VLANES;
        const VFLOAT dh = VADD(VLOAD(output_gradient + unit, lanes), VLOAD(recurrent + unit, lanes));
        const VFLOAT i = VLOAD(gates + unit, lanes), f = VLOAD(gates + hidden + unit, lanes);
        const VFLOAT candidate = VLOAD(gates + 2 * hidden + unit, lanes), o = VLOAD(gates + 3 * hidden + unit, lanes);
        const VFLOAT tanh_cell = cell_tanh(VLOAD(cell + unit, lanes));
        const VFLOAT previous = previous_cell ? VLOAD(previous_cell + unit, lanes) : VSET(0.0f);
        const VFLOAT d_out = VMUL(dh, tanh_cell);
        const VFLOAT d_cell = VADD(VLOAD(cell_gradient + unit, lanes),
                                   VMUL(VMUL(dh, o), VSUB(one, VMUL(tanh_cell, tanh_cell))));
        VSTORE(gate_gradient + unit, VMUL(VMUL(VMUL(d_cell, candidate), i), VSUB(one, i)), lanes);
        VSTORE(gate_gradient + hidden + unit, VMUL(VMUL(VMUL(d_cell, previous), f), VSUB(one, f)), lanes);
        VSTORE(gate_gradient + 2 * hidden + unit, VMUL(VMUL(d_cell, i), VSUB(one, VMUL(candidate, candidate))), lanes);
        VSTORE(gate_gradient + 3 * hidden + unit, VMUL(VMUL(d_out, o), VSUB(one, o)), lanes);
        VSTORE(cell_gradient + unit, VMUL(d_cell, f), lanes);
    }
}
