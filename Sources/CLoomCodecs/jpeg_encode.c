#include "loom_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
} loom_jpeg_error;

static void loom_jpeg_error_exit(j_common_ptr cinfo) {
    loom_jpeg_error *err = (loom_jpeg_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(err->message, LOOM_CODEC_MESSAGE_MAX, "%s", text);
    longjmp(err->jump, 1);
}

static void loom_jpeg_silent(j_common_ptr cinfo, int level) {
    (void)cinfo;
    (void)level;
}

/* Routes libjpeg's errors to `message` and a longjmp; warnings are not printed. */
static struct jpeg_error_mgr *loom_jpeg_errors(loom_jpeg_error *jerr, char *message) {
    message[0] = 0;
    struct jpeg_error_mgr *base = jpeg_std_error(&jerr->base);
    jerr->base.error_exit = loom_jpeg_error_exit;
    jerr->base.emit_message = loom_jpeg_silent;
    jerr->message = message;
    return base;
}

void loom_buffer_free(loom_buffer *buffer) {
    if (buffer == NULL) return;
    free(buffer->data);
    buffer->data = NULL;
    buffer->size = 0;
    buffer->capacity = 0;
}

int loom_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int quality, int progressive,
                         const uint8_t *app1, size_t app1_size, loom_buffer *out,
                         char message[LOOM_CODEC_MESSAGE_MAX]) {
    struct jpeg_compress_struct cinfo;
    loom_jpeg_error jerr;
    /* These locals have their address taken,
       so they live in memory and keep the values libjpeg wrote when we longjmp back here. */
    unsigned char *dest = NULL;
    unsigned long mem_size = 0;

    memset(out, 0, sizeof(*out));
    cinfo.err = loom_jpeg_errors(&jerr, message);
    if (setjmp(jerr.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(dest);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &dest, &mem_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    if (app1 != NULL && app1_size > 0) {
        jpeg_write_marker(&cinfo, JPEG_APP0 + 1, app1, (unsigned int)app1_size);
    }
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * (size_t)width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    /* jpeg_mem_dest may have reallocated while writing; `dest` holds the final pointer. */
    jpeg_destroy_compress(&cinfo);
    out->data = dest;
    out->size = mem_size;
    out->capacity = mem_size;
    return 0;
}

int loom_jpeg_read_header(const uint8_t *data, size_t size, int *width, int *height,
                          int *components, int *progressive, char message[LOOM_CODEC_MESSAGE_MAX]) {
    struct jpeg_decompress_struct cinfo;
    loom_jpeg_error jerr;

    cinfo.err = loom_jpeg_errors(&jerr, message);
    if (setjmp(jerr.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    *width = (int)cinfo.image_width;
    *height = (int)cinfo.image_height;
    *components = cinfo.num_components;
    *progressive = jpeg_has_multiple_scans(&cinfo) ? 1 : 0;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}
