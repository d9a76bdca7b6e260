#ifndef LOOM_KERNELS_H
#define LOOM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// Kernels that Swift's SIMD types cannot express well (widening multiply-adds, byte masks, 512-bit
// registers): compiled for AVX2 in every build configuration; the `_avx512` variants carry their
// own target attribute (avx512_common.h) and are called only where `CPUFeatures.isa == .avx512`.

/// Integer dot products of one query with groups of 8 rows of 8-bit codes (the layout of
/// `QuantizedVectors`: per group, per pair of dimensions, 16 codes — rows 0-7, two each).
/// `query` holds 2 * pairs 16-bit codes. Writes 8 sums per group to `out`.
/// Written with AVX2 intrinsics: Swift's SIMD types have no widening multiply-add, and the
/// generic conversions between them compile to calls.
void loom_int8_group_dots(const int8_t *codes, size_t pairs, size_t groups, const int16_t *query, int32_t *out);

/// The same with AVX-512 VNNI (`vpdpwssd` in 256-bit lanes; call only where the CPU has
/// AVX-512 F/BW/VL/VNNI). Integer sums: the same results.
void loom_int8_group_dots_avx512(const int8_t *codes, size_t pairs, size_t groups, const int16_t *query, int32_t *out);

/// Where a JSON string's closing quote is: `text` starts right after the opening quote; the
/// result is the quote's offset, or `count` when the string does not end within `count` bytes.
/// A backslash escapes the byte after it. 64 bytes at a time, without a branch per backslash:
/// catalog lines carry long HTML strings full of \" and \n, and a search per quote was a tenth of
/// ingest's time. When `control` is not NULL, sets it to 1 if a control character (a byte below
/// 0x20, which strict JSON does not allow raw in a string) comes before the quote; leaves it as it
/// was otherwise.
size_t loom_json_string_end(const uint8_t *text, size_t count, int *control);

/// Length of the run at the start of `text` that HTMLText copies unchanged: plain bytes (not
/// whitespace, a control character, '<', '&', or a lead byte of non-ASCII whitespace) and single
/// spaces between two of them; 0 when the first byte is not plain. 32 bytes at a time:
/// descriptions are cleaned at catalog scale.
size_t loom_plain_text_run(const uint8_t *text, size_t count);

/// SGEMM's packing of `strips` full 16-column strips of a row-major B (`depth` rows, `ldb` floats
/// apart) into `out` (strip after strip, 16 floats per k, 32-byte aligned); with `column_sums`
/// (not NULL), each column's values are added to it row by row in order. With `stream`, the
/// packed copy bypasses the caches (a gradient larger than the L3, read back from memory anyway,
/// then costs no read of its destination).
void loom_pack_strips(const float *b, size_t ldb, size_t depth, float *out, size_t strips, float *column_sums, int stream);

/// Row `r` of `out` (`width` floats, rows one after another) = row `index[r]` of `source`, for
/// `rows` rows; with `stream`, written past the caches (a copy larger than them, read back from
/// memory anyway).
void loom_gather_rows(const float *source, const int32_t *index, size_t rows, size_t width, float *out, int stream);

/// Adam on the rows `rows[0..<count]` (`width` floats each) of a table (a dense tensor's part: one
/// row, `rows` = {0}, `width` its length): `constants` are clip, β1, β2, 1 − β1, 1 − β2, the step
/// size, √(bias correction 2) and ε. The bits of the scalar update; the next rows are prefetched.
void loom_adam_rows(float *value, const float *gradient, float *first, float *second, const int64_t *rows, size_t count,
                    size_t width, const float *constants);

/// `dst` (columns rows, `ldd` ≥ rows floats apart) = transpose of `src` (rows × columns, dense). 8×8 blocks through
/// AVX registers: training transposes activations of tens of thousands of rows every step, and
/// an element at a time that was a few percent of a step.
void loom_transpose_f32(const float *src, size_t rows, size_t columns, float *dst, size_t ldd);

/// Where SGEMM's accumulators start: zero, the bias, or what the output holds (later depth blocks).
enum { LOOM_START_ZERO = 0, LOOM_START_BIAS = 1, LOOM_START_OUTPUT = 2 };

/// SGEMM's AVX-512 micro-kernel (call only where the CPU has AVX-512 F/BW/VL/VNNI): a tile of
/// `rows` ≤ 6 rows of A (`lda` apart) times `strips` (1-4) consecutive full 16-column strips of
/// packed B (`strip_floats` apart, 64-byte aligned) over `depth` k, into `out` (rows `ldo` apart),
/// each result clamped to [lower, upper]. The same bits as the AVX2 kernel. With `stream`, the
/// results are written past the caches (`out` and `ldo` 64-byte aligned; `loom_store_fence` before
/// another thread reads them). `next_a` and `next_out` (either may be null) are the next row
/// tile's A (`lda` apart) and output (`ldo` apart), asked for ahead (prefetches only: addresses
/// past the matrices are harmless).
void loom_sgemm_tile_avx512(const float *a, size_t lda, size_t rows, const float *b, size_t strip_floats, size_t strips,
                            size_t depth, int start, const float *bias, float *out, size_t ldo, float lower, float upper,
                            int stream, const float *next_a, const float *next_out);

/// Orders the streamed stores before it ahead of every later store (`sfence`).
void loom_store_fence(void);

/// One output row of the 3×3 depthwise convolution (padding 1), sixteen channels, AVX-512 (call
/// only where the CPU has it). `above`, `middle`, `below`: the window rows' first pixel at the
/// group's first channel (`above` read only when `top`, `below` only when `bottom`); pixels
/// `in_stride` / `out_stride` floats apart; tap t's weights at `weights + t * channels`. The same
/// bits as DepthwiseConvolution's eight-channel code.
void loom_depthwise_row16_avx512(const float *above, const float *middle, const float *below, int top, int bottom,
                                 size_t width, size_t in_stride, size_t out_width, size_t stride, const float *weights,
                                 size_t channels, const float *bias, float *out, size_t out_stride, float lower, float upper);

/// Four neighbouring output pixels × 32 output channels of a full 3×3 convolution whose windows
/// are inside the image, AVX-512 (call only where the CPU has it): `input` at the first window's
/// corner (NHWC, `width` pixels a row), `weights` [tap][in][out] and `bias` at the 32-channel
/// group, `out` at the first pixel's group; results clamped to [lower, upper]. The same bits as
/// DirectConvolution's AVX2 code.
void loom_direct3x3_quad_avx512(const float *input, size_t width, size_t in_channels, size_t stride, const float *weights,
                                const float *bias, size_t out_channels, float *out, float lower, float upper);

/// Quantizes `rows` rows of `k` floats (`ldx` apart) to u8, each row with its own affine map:
/// x ≈ scales[r] · (q − zeros[r]), the range [min(0, row min), max(0, row max)] over 0-255 (so 0
/// is exact), rounded to nearest even. Rows of `q` are `ldq` bytes apart.
void loom_quantize_rows_u8(const float *x, size_t ldx, size_t rows, size_t k, uint8_t *q, size_t ldq, float *scales,
                           int32_t *zeros);

/// A 1×1 convolution's 8-bit product: for `rows` rows of u8 activations `a` (`lda` bytes apart,
/// k = 4·groups bytes each) and `strips` 16-column strips of s8 weights `b` (`strip_bytes` apart,
/// 64-byte aligned; per group of 4 k, 64 bytes: column-major, 4 weights of a column together),
/// out[r][c] = clamp((Σ a·b − zeros[r]·col_sums[c]) · (row_scales[r] · col_scales[c]) + bias[c])
/// to [lower, upper], for the first `columns` columns (col_sums, col_scales and bias hold whole
/// strips). AVX2 (vpmaddwd on widened bytes); exact integer sums.
void loom_u8s8_tile(const uint8_t *a, size_t lda, size_t rows, const int8_t *b, size_t strip_bytes, size_t strips, size_t groups,
                    const float *row_scales, const int32_t *row_zeros, const int32_t *col_sums, const float *col_scales,
                    const float *bias, size_t columns, float *out, size_t ldo, float lower, float upper);

/// The same with AVX-512 VNNI (`vpdpbusd`; call only where the CPU has AVX-512 F/BW/VL/VNNI):
/// the same bits.
void loom_u8s8_tile_avx512(const uint8_t *a, size_t lda, size_t rows, const int8_t *b, size_t strip_bytes, size_t strips,
                           size_t groups, const float *row_scales, const int32_t *row_zeros, const int32_t *col_sums,
                           const float *col_scales, const float *bias, size_t columns, float *out, size_t ldo,
                           float lower, float upper);

/// One LSTM cell step over `hidden` units (any count): the gate row `gates` (4 × hidden: input,
/// forget, candidate, output pre-activations) plus `recurrent` (the same shape, or NULL) is
/// activated (σ, σ, tanh, σ) and, when `keep_gates`, written back over `gates`; then
/// c = σ(f)·c_prev + σ(i)·tanh(g) into `cell` (`previous_cell` NULL means zeros; it may be `cell`
/// itself) and h = σ(o)·tanh(c) into `state`. The bits of VectorMath's eight-lane Swift code.
void loom_lstm_cell_forward(const float *recurrent, float *gates, const float *previous_cell, float *cell, float *state,
                            size_t hidden, int keep_gates);
/// The same with 16 AVX-512 lanes (call only where the CPU has AVX-512): the same bits.
void loom_lstm_cell_forward_avx512(const float *recurrent, float *gates, const float *previous_cell, float *cell, float *state,
                                   size_t hidden, int keep_gates);

/// One step back through the cell: dh = `output_gradient` + `recurrent` (from step t+1); from the
/// activated `gates`, `cell` (c_t) and `previous_cell` (c_{t−1}, NULL for zeros) writes the
/// pre-activation gate gradients to `gate_gradient` (4 × hidden) and replaces `cell_gradient`
/// (dc from step t+1) with dc_{t−1}.
void loom_lstm_cell_backward(const float *output_gradient, const float *recurrent, const float *gates, const float *cell,
                             const float *previous_cell, float *cell_gradient, float *gate_gradient, size_t hidden);
/// The same with 16 AVX-512 lanes (call only where the CPU has AVX-512): the same bits.
void loom_lstm_cell_backward_avx512(const float *output_gradient, const float *recurrent, const float *gates, const float *cell,
                                    const float *previous_cell, float *cell_gradient, float *gate_gradient, size_t hidden);

#endif
