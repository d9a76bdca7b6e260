"""Peer baseline for `make bench`: tokenise one text per line with BERT WordPiece (uncased,
[CLS]/[SEP], truncation to 256) on one core, with HuggingFace tokenizers (Rust) or
flash-tokenizer (C++). Prints texts/s and the SHA-256 of all ids (one line of ids per text), so
the benchmark can check that every tokenizer gave identical ids.
Install for the benchmark only: pip install tokenizers flash-tokenizer"""
import hashlib
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main():
    which, vocab, path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path, encoding="utf-8") as handle:
        texts = handle.read().split("\n")
    if texts and texts[-1] == "":
        texts.pop()
    if which == "hf":
        from tokenizers import BertWordPieceTokenizer
        tokenizer = BertWordPieceTokenizer(vocab, lowercase=True)
        tokenizer.enable_truncation(256)
        encode = lambda batch: [encoding.ids for encoding in tokenizer.encode_batch(batch)]
    else:
        from flash_tokenizer import BertTokenizerFlash
        tokenizer = BertTokenizerFlash(vocab, do_lower_case=True, model_max_length=256)
        encode = lambda batch: tokenizer.tokenizer.batch_encode(batch, "longest", 256, False)
    encode(texts[:100])  # warm up
    best = None
    for _ in range(3):
        started = time.perf_counter()
        ids = encode(texts)
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    digest = hashlib.sha256()
    for row in ids:
        digest.update((" ".join(map(str, row)) + "\n").encode())
    print(f"{len(texts) / best:.1f} {digest.hexdigest()}")


if __name__ == "__main__":
    main()
