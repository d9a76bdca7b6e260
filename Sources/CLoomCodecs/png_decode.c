#include "loom_codecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *message;
    loom_decode_status status;
} loom_png_source;

static void loom_png_read_error(png_structp png, png_const_charp text) {
    loom_png_source *source = (loom_png_source *)png_get_error_ptr(png);
    snprintf(source->message, LOOM_CODEC_MESSAGE_MAX, "%s", text);
    if (source->status == LOOM_DECODE_OK) {
        source->status = strstr(text, "Not a PNG") || strstr(text, "PNG file corrupted by ASCII") ? LOOM_DECODE_NOT_AN_IMAGE
                                                                                                   : LOOM_DECODE_CORRUPT;
    }
    png_longjmp(png, 1);
}

/* Strict by default: a warning (libpng reports damaged ancillary chunks, bad CRCs it skips and
   other "benign" errors this way) rejects the image, except the few that leave every pixel as the
   file means it: an sRGB profile libpng knows to be slightly off, padding after the image data,
   a tRNS colour outside the bit depth (it then matches no pixel), a second colour profile. */
static const char *const loom_png_harmless[] = {
    "known incorrect sRGB profile", "Extra compressed data", "out-of-range samples for bit_depth", "too many profiles", NULL,
};

static void loom_png_read_warning(png_structp png, png_const_charp text) {
    for (int i = 0; loom_png_harmless[i] != NULL; i++) {
        if (strstr(text, loom_png_harmless[i]) != NULL) return;
    }
    loom_png_source *source = (loom_png_source *)png_get_error_ptr(png);
    if (source->status == LOOM_DECODE_OK) source->status = LOOM_DECODE_CORRUPT;
    snprintf(source->message, LOOM_CODEC_MESSAGE_MAX, "%s", text);
    png_longjmp(png, 1);
}

static void loom_png_read(png_structp png, png_bytep target, size_t length) {
    loom_png_source *source = (loom_png_source *)png_get_io_ptr(png);
    if (source->offset + length > source->size) {
        source->status = LOOM_DECODE_TRUNCATED;
        png_error(png, "unexpected end of file (truncated PNG)");
    }
    memcpy(target, source->data + source->offset, length);
    source->offset += length;
}

/* round(v * 255 / max) for 0 <= v <= max; exact because no value lands on a tie. */
static inline uint8_t loom_rescale(uint32_t v, uint32_t max) {
    return (uint8_t)((v * 510u + max) / (2u * max));
}

/* c over white with alpha a: the same rounding as ImageNormalizer.compositedOnWhite (a = 255
   gives c back). */
static inline uint8_t loom_on_white(uint32_t c, uint32_t a) {
    return (uint8_t)((c * a + 255u * (255u - a) + 127u) / 255u);
}

/* One row of RGBA8 composited on white, as RGB8: a plain loop over fixed strides that the
   compiler vectorises (this target is built for AVX2); it runs over every pixel of RGBA photos. */
static void loom_rgba8_row_on_white(const uint8_t *restrict rgba, png_uint_32 w, uint8_t *restrict out) {
    for (png_uint_32 x = 0; x < w; x++) {
        uint32_t a = rgba[4 * x + 3];
        out[3 * x] = loom_on_white(rgba[4 * x], a);
        out[3 * x + 1] = loom_on_white(rgba[4 * x + 1], a);
        out[3 * x + 2] = loom_on_white(rgba[4 * x + 2], a);
    }
}

/* 8-bit samples with nothing to rescale or mask (most photos): a straight expansion to RGBA8, or
   to RGB8 composited on white. */
static void loom_png_expand_rows(png_bytep *rows, png_uint_32 w, png_uint_32 h, int channels, int on_white, uint8_t *data) {
    const size_t out_channels = on_white ? 3 : 4;
    for (png_uint_32 y = 0; y < h; y++) {
        const png_byte *row = rows[y];
        uint8_t *target = data + (size_t)y * w * out_channels;
        if (channels == 4 && !on_white) {
            memcpy(target, row, (size_t)w * 4);
        } else if (channels == 3 && on_white) {
            memcpy(target, row, (size_t)w * 3);
        } else if (channels == 4 && on_white) {
            loom_rgba8_row_on_white(row, w, target);
        } else {
            for (png_uint_32 x = 0; x < w; x++) {
                const png_byte *pixel = row + (size_t)x * channels;
                uint32_t r = pixel[0], g = channels >= 3 ? pixel[1] : r, b = channels >= 3 ? pixel[2] : r;
                uint32_t a = channels == 4 ? pixel[3] : channels == 2 ? pixel[1] : 255;
                uint8_t *out = target + (size_t)x * out_channels;
                if (on_white) {
                    out[0] = loom_on_white(r, a);
                    out[1] = loom_on_white(g, a);
                    out[2] = loom_on_white(b, a);
                } else {
                    out[0] = (uint8_t)r;
                    out[1] = (uint8_t)g;
                    out[2] = (uint8_t)b;
                    out[3] = (uint8_t)a;
                }
            }
        }
    }
}

/* Any other case: each sample (1-16 bits, after the sBIT shift) rescaled to 8 bits as pypng
   does, with the tRNS colour made transparent. */
static void loom_png_rescale_rows(png_bytep *rows, png_uint_32 w, png_uint_32 h, int channels, int out_depth, int gray,
                                  int add_trns_alpha, png_color_16p trans_color, int shift, uint32_t native_max,
                                  uint32_t max, uint8_t *data) {
    for (png_uint_32 y = 0; y < h; y++) {
        const png_byte *row = rows[y];
        uint8_t *target = data + (size_t)y * w * 4;
        for (png_uint_32 x = 0; x < w; x++) {
            uint32_t s[4] = {0, 0, 0, 0};
            for (int c = 0; c < channels; c++) {
                size_t i = (size_t)x * channels + c;
                s[c] = out_depth == 16 ? ((uint32_t)row[2 * i] << 8 | row[2 * i + 1]) : row[i];
            }
            uint32_t r, g, b, a;
            if (gray) {
                r = g = b = s[0];
                a = channels == 2 ? s[1] : native_max;
                if (add_trns_alpha && s[0] == trans_color->gray) a = 0;
            } else {
                r = s[0]; g = s[1]; b = s[2];
                a = channels == 4 ? s[3] : native_max;
                if (add_trns_alpha && r == trans_color->red && g == trans_color->green && b == trans_color->blue) a = 0;
            }
            target[4 * x + 0] = loom_rescale(r >> shift, max);
            target[4 * x + 1] = loom_rescale(g >> shift, max);
            target[4 * x + 2] = loom_rescale(b >> shift, max);
            target[4 * x + 3] = loom_rescale(a >> shift, max);
        }
    }
}

/* What the rows hold after libpng's transforms, and what becomes of them. */
typedef struct {
    int channels, out_depth, gray, add_trns_alpha, shift, on_white;
    /* 8-bit samples with nothing to rescale or mask. */
    int plain;
    uint32_t native_max, max;
    png_color_16p trans_color;
} loom_png_format;

/* `h` rows of libpng's output to RGBA8, or to RGB8 on white (then through `scratch`, one RGBA8
   row, when the samples need rescaling). */
static void loom_png_convert_rows(png_bytep *rows, png_uint_32 w, png_uint_32 h, const loom_png_format *format,
                                  uint8_t *scratch, uint8_t *out) {
    if (format->plain) {
        loom_png_expand_rows(rows, w, h, format->channels, format->on_white, out);
        return;
    }
    for (png_uint_32 y = 0; y < h; y++) {
        uint8_t *rgba = format->on_white ? scratch : out + (size_t)y * w * 4;
        loom_png_rescale_rows(rows + y, w, 1, format->channels, format->out_depth, format->gray, format->add_trns_alpha,
                              format->trans_color, format->shift, format->native_max, format->max, rgba);
        if (format->on_white) loom_rgba8_row_on_white(rgba, w, out + (size_t)y * w * 3);
    }
}

static loom_decode_status loom_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, int on_white,
                                          loom_buffer *out, int *width, int *height, char message[LOOM_CODEC_MESSAGE_MAX]) {
    memset(out, 0, sizeof(*out));
    message[0] = 0;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(message, LOOM_CODEC_MESSAGE_MAX, "not a PNG (bad signature)");
        return LOOM_DECODE_NOT_AN_IMAGE;
    }
    loom_png_source source = {data, size, 0, message, LOOM_DECODE_OK};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, loom_png_read_error, loom_png_read_warning);
    if (png == NULL) {
        snprintf(message, LOOM_CODEC_MESSAGE_MAX, "png_create_read_struct failed");
        return LOOM_DECODE_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    /* Locals changed after setjmp and read after a longjmp must be volatile. */
    png_bytep volatile raw = NULL;
    png_bytepp volatile rows = NULL;
    uint8_t *volatile scratch = NULL;
    if (info == NULL || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(raw);
        free(rows);
        free(scratch);
        loom_buffer_free(out);
        if (message[0] == 0) snprintf(message, LOOM_CODEC_MESSAGE_MAX, "png_create_info_struct failed");
        return source.status == LOOM_DECODE_OK ? LOOM_DECODE_CORRUPT : source.status;
    }
    png_set_read_fn(png, &source, loom_png_read);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_chunk_malloc_max(png, 64u << 20);
    png_read_info(png, info);

    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0, interlace = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    if ((uint64_t)w * (uint64_t)h > max_pixels) {
        snprintf(message, LOOM_CODEC_MESSAGE_MAX, "%ux%u pixels is over the limit of %llu", w, h,
                 (unsigned long long)max_pixels);
        png_destroy_read_struct(&png, &info, NULL);
        return LOOM_DECODE_TOO_LARGE;
    }

    /* What pypng does to each sample happens below; libpng only unpacks, expands the palette and
       keeps 16-bit samples big-endian. */
    int palette = color == PNG_COLOR_TYPE_PALETTE;
    png_bytep trans_alpha = NULL;
    int trans_count = 0;
    png_color_16p trans_color = NULL;
    int has_trns = png_get_tRNS(png, info, &trans_alpha, &trans_count, &trans_color) != 0;
    png_color_8p sbit = NULL;
    int has_sbit = png_get_sBIT(png, info, &sbit) != 0;
    if (palette) {
        png_set_palette_to_rgb(png);
        if (has_trns) png_set_tRNS_to_alpha(png);
    } else if (depth < 8) {
        png_set_packing(png);
    }
    if (interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
    png_read_update_info(png, info);

    loom_png_format format;
    format.channels = png_get_channels(png, info);
    format.out_depth = png_get_bit_depth(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);

    /* Depth of the samples after palette expansion, and the sBIT shift pypng applies (an sBIT out
       of range is refused once the pixels have been read, so that damaged data is reported first). */
    int sample_depth = palette ? 8 : depth;
    format.gray = !palette && (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA);
    int alpha_in_data = format.channels == 2 || format.channels == 4;
    format.add_trns_alpha = !palette && has_trns && !alpha_in_data;
    format.trans_color = trans_color;
    format.shift = 0;
    int sbit_out_of_range = 0;
    if (has_sbit) {
        int significant = 0;
        int entries[5] = {0, 0, 0, 0, 0};
        int count = 0;
        if (format.gray) entries[count++] = sbit->gray; else { entries[count++] = sbit->red; entries[count++] = sbit->green; entries[count++] = sbit->blue; }
        if (color & PNG_COLOR_MASK_ALPHA) entries[count++] = sbit->alpha;
        for (int i = 0; i < count; i++) {
            if (entries[i] <= 0 || entries[i] > sample_depth) sbit_out_of_range = 1;
            if (entries[i] > significant) significant = entries[i];
        }
        format.shift = sbit_out_of_range ? 0 : sample_depth - significant;
    }
    format.max = ((1u << (sample_depth - format.shift)) - 1u);
    format.native_max = (1u << sample_depth) - 1u;
    format.on_white = on_white;
    format.plain = format.out_depth == 8 && format.max == 255 && !format.add_trns_alpha;

    const size_t out_channels = on_white ? 3 : 4;
    const size_t out_stride = (size_t)w * out_channels;
    out->data = malloc(out_stride * h);
    if (out->data == NULL) {
        source.status = LOOM_DECODE_OUT_OF_MEMORY;
        png_error(png, "out of memory for pixels");
    }
    out->size = out->capacity = out_stride * h;
    /* Samples that need rescaling reach RGB on white through one RGBA8 row. */
    int needs_scratch = !format.plain && on_white;
    scratch = needs_scratch ? malloc((size_t)w * 4) : NULL;
    if (needs_scratch && scratch == NULL) {
        source.status = LOOM_DECODE_OUT_OF_MEMORY;
        png_error(png, "out of memory for pixels");
    }
    if (interlace == PNG_INTERLACE_NONE) {
        /* Row by row through one row buffer that stays in cache, or straight into the output when
           libpng's rows already are the output's (8-bit RGB on white, 8-bit RGBA). */
        int direct = format.plain && rowbytes == out_stride && format.channels == (int)out_channels;
        raw = direct ? NULL : malloc(rowbytes);
        if (!direct && raw == NULL) {
            source.status = LOOM_DECODE_OUT_OF_MEMORY;
            png_error(png, "out of memory for pixels");
        }
        for (png_uint_32 y = 0; y < h; y++) {
            png_bytep target = out->data + out_stride * y;
            png_bytep row = direct ? target : raw;
            png_read_row(png, row, NULL);
            if (!direct) loom_png_convert_rows(&row, w, 1, &format, scratch, target);
        }
    } else {
        /* Interlaced: every pass lands in the whole image first. */
        raw = malloc(rowbytes * h);
        rows = malloc(sizeof(png_bytep) * h);
        if (raw == NULL || rows == NULL) {
            source.status = LOOM_DECODE_OUT_OF_MEMORY;
            png_error(png, "out of memory for pixels");
        }
        for (png_uint_32 y = 0; y < h; y++) rows[y] = raw + rowbytes * y;
        png_read_image(png, rows);
        loom_png_convert_rows(rows, w, h, &format, scratch, out->data);
    }
    png_read_end(png, NULL);
    if (sbit_out_of_range) {
        source.status = LOOM_DECODE_CORRUPT;
        png_error(png, "sBIT chunk out of range for the bit depth");
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(raw);
    free(rows);
    free(scratch);
    *width = (int)w;
    *height = (int)h;
    return LOOM_DECODE_OK;
}

loom_decode_status loom_png_decode_rgba8(const uint8_t *data, size_t size, uint64_t max_pixels, loom_buffer *out,
                                         int *width, int *height, char message[LOOM_CODEC_MESSAGE_MAX]) {
    return loom_png_decode(data, size, max_pixels, 0, out, width, height, message);
}

loom_decode_status loom_png_decode_rgb8_on_white(const uint8_t *data, size_t size, uint64_t max_pixels, loom_buffer *out,
                                                 int *width, int *height, char message[LOOM_CODEC_MESSAGE_MAX]) {
    return loom_png_decode(data, size, max_pixels, 1, out, width, height, message);
}
