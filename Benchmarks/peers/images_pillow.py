"""Peer baseline for `make bench`: the best Python pipeline for the images stage, Pillow with
draft() (DCT scaling) + bilinear resize of the shorter side to 256 + centre crop 224, on one core.
Reads the files named one per line in a list file; prints images/s of the median of PASSES passes
(second argument, default 3; loom-bench runs one pass at a time between its own).
Install for the benchmark only: pip install pillow"""
import io
import sys
import time

from PIL import Image


def normalise(data):
    image = Image.open(io.BytesIO(data))
    if image.format == "JPEG":
        image.draft("RGB", (256, 256))
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        background.alpha_composite(image)
        image = background
    image = image.convert("RGB")
    width, height = image.size
    scale = 256 / min(width, height)
    size = (max(224, round(width * scale)), max(224, round(height * scale)))
    image = image.resize(size, Image.BILINEAR)
    left, top = (size[0] - 224) // 2, (size[1] - 224) // 2
    return image.crop((left, top, left + 224, top + 224)).tobytes()


def main():
    with open(sys.argv[1]) as handle:
        files = [line.strip() for line in handle if line.strip()]
    blobs = [open(path, "rb").read() for path in files]
    passes = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    times = []
    for _ in range(passes):
        started = time.perf_counter()
        for blob in blobs:
            normalise(blob)
        times.append(time.perf_counter() - started)
    times.sort()
    print(f"{len(blobs) / times[len(times) // 2]:.1f}")


if __name__ == "__main__":
    main()
