// C side of Loom's image codecs. libjpeg and libpng report fatal errors by longjmp; every
// setjmp lives in this target, so Swift only ever sees a return code and a message.
#ifndef LOOM_CODECS_H
#define LOOM_CODECS_H

#include <stddef.h>
#include <stdint.h>

#define LOOM_CODEC_MESSAGE_MAX 200

/// A heap buffer owned by the caller after a successful call; release with loom_buffer_free.
typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} loom_buffer;

void loom_buffer_free(loom_buffer *buffer);

/// Encodes tightly packed RGB8 pixels as a JPEG (4:2:0). `app1` (may be NULL) is written as an
/// APP1 marker right after the header, for EXIF. Returns 0, or -1 with `message` filled.
int loom_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int quality, int progressive,
                         const uint8_t *app1, size_t app1_size, loom_buffer *out,
                         char message[LOOM_CODEC_MESSAGE_MAX]);

/// Reads only the JPEG header: dimensions and number of components. Returns 0 or -1.
int loom_jpeg_read_header(const uint8_t *data, size_t size, int *width, int *height,
                          int *components, int *progressive, char message[LOOM_CODEC_MESSAGE_MAX]);

/// Encodes tightly packed 8-bit pixels with `channels` 3 (RGB) or 4 (RGBA) as a PNG, with a
/// fixed compression level and no time chunk, so the bytes depend only on the pixels.
int loom_png_encode(const uint8_t *pixels, int width, int height, int channels, loom_buffer *out,
                    char message[LOOM_CODEC_MESSAGE_MAX]);

/// Why a decode failed, for the `rejects` reason code.
typedef enum {
    LOOM_DECODE_OK = 0,
    LOOM_DECODE_NOT_AN_IMAGE = 1,
    LOOM_DECODE_CORRUPT = 2,
    LOOM_DECODE_TRUNCATED = 3,
    LOOM_DECODE_TOO_LARGE = 4,
    LOOM_DECODE_UNSUPPORTED = 5,
    LOOM_DECODE_OUT_OF_MEMORY = 6
} loom_decode_status;

/// Decodes a PNG to RGBA8, as pypng's asRGBA8 defines it: palette expanded, tRNS to alpha,
/// sBIT honoured (samples shifted to the significant bits), every depth rescaled to 8 bits with
/// round(v * 255 / (2^depth - 1)), gray to RGB, opaque alpha added. Gamma is ignored. Images with
/// more than `max_pixels` pixels are refused before any pixel memory is allocated.
/// On success `out` holds width * height * 4 bytes.
loom_decode_status loom_png_decode_rgba8(const uint8_t *data, size_t size, uint64_t max_pixels, loom_buffer *out,
                                         int *width, int *height, char message[LOOM_CODEC_MESSAGE_MAX]);

/// The same pixels as RGB8 composited on white, c' = (c·a + 255·(255 − a) + 127) / 255 (the model
/// input's rule): what the images stage needs, without an RGBA8 copy of a photo in between.
/// On success `out` holds width * height * 3 bytes.
loom_decode_status loom_png_decode_rgb8_on_white(const uint8_t *data, size_t size, uint64_t max_pixels, loom_buffer *out,
                                                 int *width, int *height, char message[LOOM_CODEC_MESSAGE_MAX]);

/// A rectangle of a decoded image, in its (scaled) stored coordinates.
typedef struct {
    int x, y, width, height;
} loom_region;

/// Called once a JPEG's scaled size and EXIF orientation are known, with `region` set to the whole
/// image: narrowing it spares the decoder the inverse DCT and colour conversion of the rest.
typedef void (*loom_region_chooser)(void *context, int width, int height, int orientation, loom_region *region);

/// Decodes a JPEG to RGB8. `scale_denom` (1, 2, 4 or 8) asks libjpeg for DCT-domain scaling;
/// grayscale is replicated, Adobe CMYK/YCCK converted as Pillow does. `orientation` gets the EXIF
/// orientation (1-8, 1 when absent or unreadable). With `strict`, libjpeg warnings (corrupt data,
/// premature end) are errors, wherever in the file they are: rows outside the region are still
/// entropy-decoded. Images with more than `max_pixels` full-size pixels are refused before
/// decoding. `width` and `height` get the whole scaled size; `decoded` (when not NULL) the part
/// held in `out`: the whole image without `choose`, else the region chosen, which may start left
/// of it (libjpeg crops at whole iMCU columns). On success `out` holds
/// decoded->width * decoded->height * 3 bytes, rows top to bottom.
loom_decode_status loom_jpeg_decode_rgb8(const uint8_t *data, size_t size, int scale_denom, uint64_t max_pixels,
                                         int strict, loom_region_chooser choose, void *context, loom_region *decoded,
                                         loom_buffer *out, int *width, int *height, int *orientation,
                                         char message[LOOM_CODEC_MESSAGE_MAX]);

/// The EXIF orientation in an APP1 payload ("Exif\0\0" + TIFF), 1 when absent or malformed.
int loom_exif_orientation(const uint8_t *app1, size_t size);

#endif
