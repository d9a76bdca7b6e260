/* Peer baseline for `make bench`: the decode-only floor of the images stage, in plain C with the
   system libjpeg-turbo and libpng (what the issue calls "the C decode-only floor"). JPEG: DCT
   scaling to the smallest 1/2, 1/4 or 1/8 whose shorter side still covers 256, RGB out. PNG: 8-bit
   RGB or RGBA out (palette and gray expanded, 16-bit stripped). No resize, no copy into another
   buffer. Reads the files named one per line in a list file into memory, decodes them all PASSES
   times (default 3) and prints images/s of the median pass. loom-bench builds it and runs one pass
   at a time between its own, so that drift on a shared machine hits both alike:
   cc -O2 decode_floor.c $(pkg-config --cflags --libs libjpeg libpng) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jpeglib.h>
#include <png.h>

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)length);
    *size = fread(data, 1, (size_t)length, file);
    fclose(file);
    return data;
}

static void decode_jpeg(const unsigned char *data, size_t size) {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    unsigned shorter = cinfo.image_width < cinfo.image_height ? cinfo.image_width : cinfo.image_height;
    cinfo.scale_num = 1;
    cinfo.scale_denom = 1;
    for (unsigned d = 8; d >= 2; d /= 2) {
        if ((shorter + d - 1) / d >= 256) { cinfo.scale_denom = d; break; }
    }
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * 3;
    unsigned char *pixels = malloc(stride * cinfo.output_height);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(pixels);
}

struct memory { const unsigned char *data; size_t size, offset; };

static void read_memory(png_structp png, png_bytep out, size_t length) {
    struct memory *source = png_get_io_ptr(png);
    if (source->offset + length > source->size) png_error(png, "read past the end");
    memcpy(out, source->data + source->offset, length);
    source->offset += length;
}

static void decode_png(const unsigned char *data, size_t size) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    struct memory source = {data, size, 0};
    png_set_read_fn(png, &source, read_memory);
    png_read_info(png, info);
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_read_update_info(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    size_t stride = png_get_rowbytes(png, info);
    unsigned char *pixels = malloc(stride * height);
    png_bytep *rows = malloc(sizeof(png_bytep) * height);
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + stride * y;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    free(pixels);
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) { fprintf(stderr, "usage: decode_floor LIST [PASSES]\n"); return 64; }
    int passes = argc == 3 ? atoi(argv[2]) : 3;
    if (passes < 1 || passes > 99) { fprintf(stderr, "decode_floor: PASSES must be 1-99\n"); return 64; }
    FILE *list = fopen(argv[1], "r");
    if (list == NULL) { perror(argv[1]); return 66; }
    unsigned char *files[4096];
    size_t sizes[4096];
    int count = 0;
    char path[4096];
    while (count < 4096 && fgets(path, sizeof path, list) != NULL) {
        path[strcspn(path, "\n")] = 0;
        if (path[0] == 0) continue;
        files[count] = read_file(path, &sizes[count]);
        if (files[count] == NULL) { perror(path); return 66; }
        count++;
    }
    fclose(list);
    double times[99];
    for (int pass = 0; pass < passes; pass++) {
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (int i = 0; i < count; i++) {
            if (sizes[i] >= 8 && memcmp(files[i], "\x89PNG", 4) == 0) decode_png(files[i], sizes[i]);
            else decode_jpeg(files[i], sizes[i]);
        }
        clock_gettime(CLOCK_MONOTONIC, &end);
        times[pass] = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    }
    /* Median pass: insertion sort of at most 99 values. */
    for (int i = 1; i < passes; i++) {
        double value = times[i];
        int j = i;
        for (; j > 0 && times[j - 1] > value; j--) times[j] = times[j - 1];
        times[j] = value;
    }
    printf("%.1f\n", count / times[passes / 2]);
    return 0;
}
