"""Peer baseline for `make bench`: read a catalog of JSON lines and extract the fields Loom's
ingest keeps (asin, title, description, brand, price, category, co-purchase lists, image URLs),
with the standard library's json or with orjson. Prints MB/s on stdout."""
import sys
import time


def main():
    parser_name, path = sys.argv[1], sys.argv[2]
    if parser_name == "orjson":
        import orjson
        loads = orjson.loads
    else:
        import json
        loads = json.loads
    started = time.perf_counter()
    size = 0
    kept = 0
    with open(path, "rb") as handle:
        for line in handle:
            size += len(line)
            try:
                record = loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            asin = record.get("asin") or record.get("parent_asin")
            if not asin:
                continue
            fields = (
                asin,
                record.get("title"),
                record.get("description"),
                record.get("brand") or record.get("store"),
                record.get("price"),
                record.get("category") or record.get("categories") or record.get("main_cat"),
                record.get("also_buy") or record.get("also_bought") or [],
                record.get("also_view") or record.get("also_viewed") or [],
                record.get("imageURLHighRes") or record.get("imageURL") or record.get("image") or [],
            )
            kept += 1 if fields[0] else 0
    seconds = time.perf_counter() - started
    print(f"{size / 1e6 / seconds:.1f} {kept}")


if __name__ == "__main__":
    main()
