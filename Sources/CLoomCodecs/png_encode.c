#include "loom_codecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    loom_buffer *out;
    char *message;
    int out_of_memory;
} loom_png_state;

static void loom_png_error(png_structp png, png_const_charp text) {
    loom_png_state *state = (loom_png_state *)png_get_error_ptr(png);
    snprintf(state->message, LOOM_CODEC_MESSAGE_MAX, "%s", text);
    png_longjmp(png, 1);
}

static void loom_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void loom_png_write(png_structp png, png_bytep data, size_t length) {
    loom_png_state *state = (loom_png_state *)png_get_io_ptr(png);
    loom_buffer *out = state->out;
    if (out->size + length > out->capacity) {
        size_t capacity = out->capacity ? out->capacity : 65536;
        while (capacity < out->size + length) capacity *= 2;
        uint8_t *grown = realloc(out->data, capacity);
        if (grown == NULL) {
            state->out_of_memory = 1;
            png_error(png, "out of memory while writing PNG");
        }
        out->data = grown;
        out->capacity = capacity;
    }
    memcpy(out->data + out->size, data, length);
    out->size += length;
}

static void loom_png_flush(png_structp png) { (void)png; }

int loom_png_encode(const uint8_t *pixels, int width, int height, int channels, loom_buffer *out,
                    char message[LOOM_CODEC_MESSAGE_MAX]) {
    memset(out, 0, sizeof(*out));
    message[0] = 0;
    if (channels != 3 && channels != 4) {
        snprintf(message, LOOM_CODEC_MESSAGE_MAX, "unsupported channel count %d", channels);
        return -1;
    }
    loom_png_state state = {out, message, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, loom_png_error,
                                              loom_png_warning);
    if (png == NULL) {
        snprintf(message, LOOM_CODEC_MESSAGE_MAX, "png_create_write_struct failed");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        loom_buffer_free(out);
        if (message[0] == 0) snprintf(message, LOOM_CODEC_MESSAGE_MAX, "png_create_info_struct failed");
        return -1;
    }
    png_set_write_fn(png, &state, loom_png_write, loom_png_flush);
    png_set_compression_level(png, 6);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * (size_t)width * (size_t)channels));
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}
