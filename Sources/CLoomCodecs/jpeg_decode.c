#include "loom_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
    int error_code;
    int warnings;
    int premature_end;
} loom_jpeg_decode_error;

static void loom_jpeg_decode_error_exit(j_common_ptr cinfo) {
    loom_jpeg_decode_error *err = (loom_jpeg_decode_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(err->message, LOOM_CODEC_MESSAGE_MAX, "%s", text);
    err->error_code = cinfo->err->msg_code;
    longjmp(err->jump, 1);
}

/* What libjpeg cannot decode (a precision, process, colour conversion or feature it lacks),
   by its message code, as opposed to damaged data. */
static int loom_jpeg_unsupported(int code) {
    switch (code) {
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_SOF_UNSUPPORTED:
    case JERR_UNKNOWN_MARKER:
    case JERR_ARITH_NOTIMPL:
    case JERR_CCIR601_NOTIMPL:
    case JERR_FRACT_SAMPLE_NOTIMPL:
        return 1;
    default:
        return 0;
    }
}

/* Warnings are counted (and the first one kept) so the caller can refuse damaged data. */
static void loom_jpeg_decode_message(j_common_ptr cinfo, int level) {
    loom_jpeg_decode_error *err = (loom_jpeg_decode_error *)cinfo->err;
    if (level >= 0) return;
    if (err->warnings == 0) {
        char text[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, text);
        snprintf(err->message, LOOM_CODEC_MESSAGE_MAX, "%s", text);
    }
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) err->premature_end = 1;
    err->warnings++;
}

static unsigned loom_read16(const uint8_t *p, int little) {
    return little ? (unsigned)(p[0] | p[1] << 8) : (unsigned)(p[0] << 8 | p[1]);
}

static unsigned long loom_read32(const uint8_t *p, int little) {
    return little ? (unsigned long)p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24
                  : (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | (unsigned long)p[3];
}

int loom_exif_orientation(const uint8_t *app1, size_t size) {
    if (size < 14 || memcmp(app1, "Exif\0\0", 6) != 0) return 1;
    const uint8_t *tiff = app1 + 6;
    size_t length = size - 6;
    int little;
    if (tiff[0] == 'I' && tiff[1] == 'I') little = 1;
    else if (tiff[0] == 'M' && tiff[1] == 'M') little = 0;
    else return 1;
    unsigned long ifd = loom_read32(tiff + 4, little);
    if (ifd + 2 > length) return 1;
    unsigned entries = loom_read16(tiff + ifd, little);
    for (unsigned i = 0; i < entries; i++) {
        size_t entry = ifd + 2 + (size_t)i * 12;
        if (entry + 12 > length) return 1;
        if (loom_read16(tiff + entry, little) == 0x0112) {
            unsigned type = loom_read16(tiff + entry + 2, little);
            unsigned value = type == 3 ? loom_read16(tiff + entry + 8, little) : (unsigned)loom_read32(tiff + entry + 8, little);
            return value >= 1 && value <= 8 ? (int)value : 1;
        }
    }
    return 1;
}

/* Pillow's CMYK to RGB: with nk = 255 - k, r = nk - round(c * nk / 255) (its MULDIV255). */
static inline uint8_t loom_cmyk_channel(int c, int k) {
    int nk = 255 - k;
    int t = c * nk + 128;
    int value = nk - (((t >> 8) + t) >> 8);
    return (uint8_t)(value < 0 ? 0 : value);
}

loom_decode_status loom_jpeg_decode_rgb8(const uint8_t *data, size_t size, int scale_denom, uint64_t max_pixels,
                                         int strict, loom_region_chooser choose, void *context, loom_region *decoded,
                                         loom_buffer *out, int *width, int *height, int *orientation,
                                         char message[LOOM_CODEC_MESSAGE_MAX]) {
    struct jpeg_decompress_struct cinfo;
    loom_jpeg_decode_error jerr;
    /* Changed after setjmp and used after a longjmp: volatile. */
    JSAMPLE *volatile row = NULL;

    memset(out, 0, sizeof(*out));
    message[0] = 0;
    *orientation = 1;
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8) {
        snprintf(message, LOOM_CODEC_MESSAGE_MAX, "not a JPEG (no SOI marker)");
        return LOOM_DECODE_NOT_AN_IMAGE;
    }
    cinfo.err = jpeg_std_error(&jerr.base);
    jerr.base.error_exit = loom_jpeg_decode_error_exit;
    jerr.base.emit_message = loom_jpeg_decode_message;
    jerr.message = message;
    jerr.error_code = 0;
    jerr.warnings = 0;
    jerr.premature_end = 0;
    if (setjmp(jerr.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(row);
        loom_buffer_free(out);
        return loom_jpeg_unsupported(jerr.error_code) ? LOOM_DECODE_UNSUPPORTED : LOOM_DECODE_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    for (jpeg_saved_marker_ptr marker = cinfo.marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1) {
            int value = loom_exif_orientation(marker->data, marker->data_length);
            if (value != 1 || (marker->data_length >= 4 && memcmp(marker->data, "Exif", 4) == 0)) {
                *orientation = value;
                break;
            }
        }
    }
    if ((uint64_t)cinfo.image_width * cinfo.image_height > max_pixels) {
        snprintf(message, LOOM_CODEC_MESSAGE_MAX, "%ux%u pixels is over the limit of %llu", cinfo.image_width,
                 cinfo.image_height, (unsigned long long)max_pixels);
        jpeg_destroy_decompress(&cinfo);
        return LOOM_DECODE_TOO_LARGE;
    }
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned)(scale_denom == 2 || scale_denom == 4 || scale_denom == 8 ? scale_denom : 1);
    jpeg_start_decompress(&cinfo);

    unsigned full_width = cinfo.output_width, full_height = cinfo.output_height;
    loom_region region = {0, 0, (int)full_width, (int)full_height};
    if (choose != NULL) {
        choose(context, (int)full_width, (int)full_height, *orientation, &region);
        /* Anything outside the image or empty: the whole image. */
        if (region.x < 0 || region.y < 0 || region.width <= 0 || region.height <= 0 ||
            (unsigned)region.x + (unsigned)region.width > full_width ||
            (unsigned)region.y + (unsigned)region.height > full_height) {
            region = (loom_region){0, 0, (int)full_width, (int)full_height};
        }
    }
    if ((unsigned)region.width < full_width) {
        /* libjpeg moves the left edge to a whole iMCU column and widens the width to match. */
        JDIMENSION x = (JDIMENSION)region.x, crop_width = (JDIMENSION)region.width;
        jpeg_crop_scanline(&cinfo, &x, &crop_width);
        region.x = (int)x;
        region.width = (int)cinfo.output_width;
    }
    unsigned w = (unsigned)region.width, end_row = (unsigned)(region.y + region.height);
    int components = cinfo.output_components;
    size_t bytes = (size_t)w * (size_t)region.height * 3;
    out->data = malloc(bytes);
    row = malloc((size_t)w * (size_t)components);
    if (out->data == NULL || row == NULL) {
        snprintf(message, LOOM_CODEC_MESSAGE_MAX, "out of memory for %ux%d pixels", w, region.height);
        jpeg_destroy_decompress(&cinfo);
        free(row);
        loom_buffer_free(out);
        return LOOM_DECODE_OUT_OF_MEMORY;
    }
    out->size = out->capacity = bytes;
    /* Adobe CMYK is stored inverted; Pillow inverts it back before converting. */
    int inverted = cmyk && cinfo.saw_Adobe_marker;
    if (region.y > 0) jpeg_skip_scanlines(&cinfo, (JDIMENSION)region.y);
    while (cinfo.output_scanline < end_row) {
        unsigned y = cinfo.output_scanline;
        uint8_t *target = out->data + (size_t)(y - (unsigned)region.y) * w * 3;
        if (components == 3) {
            /* RGB rows land in place, as many per call as the decoder has ready (one at a time
               makes libjpeg copy through its spare row when chroma is subsampled). */
            JSAMPROW rows[16];
            unsigned count = end_row - y < 16 ? end_row - y : 16;
            for (unsigned i = 0; i < count; i++) rows[i] = target + (size_t)i * w * 3;
            jpeg_read_scanlines(&cinfo, rows, count);
            continue;
        }
        JSAMPROW rows[1] = {row};
        jpeg_read_scanlines(&cinfo, rows, 1);
        if (components == 4) {
            for (unsigned x = 0; x < w; x++) {
                int c = row[4 * x], m = row[4 * x + 1], ye = row[4 * x + 2], k = row[4 * x + 3];
                if (inverted) { c = 255 - c; m = 255 - m; ye = 255 - ye; k = 255 - k; }
                target[3 * x] = loom_cmyk_channel(c, k);
                target[3 * x + 1] = loom_cmyk_channel(m, k);
                target[3 * x + 2] = loom_cmyk_channel(ye, k);
            }
        } else {
            for (unsigned x = 0; x < w; x++) target[3 * x] = target[3 * x + 1] = target[3 * x + 2] = row[x];
        }
    }
    /* The rows below are entropy-decoded (so their damage is reported) but not converted. Not
       skipped to the very end: libjpeg would stop reading there and a truncated tail would pass. */
    if (cinfo.output_scanline + 1 < full_height) jpeg_skip_scanlines(&cinfo, full_height - 1 - cinfo.output_scanline);
    while (cinfo.output_scanline < full_height) {
        JSAMPROW rows[1] = {row};
        jpeg_read_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    row = NULL;
    if (strict && jerr.warnings > 0) {
        loom_buffer_free(out);
        return jerr.premature_end ? LOOM_DECODE_TRUNCATED : LOOM_DECODE_CORRUPT;
    }
    *width = (int)full_width;
    *height = (int)full_height;
    if (decoded != NULL) *decoded = region;
    return LOOM_DECODE_OK;
}
