#!/usr/bin/env python3
"""tf-data build against Hugging Face `tokenizers` on whole corpora: every document of each corpus
must get exactly the reference ids.

Usage: tokenizer_parity.py TF_DATA TOKENIZER_JSON WORK_DIR CORPUS...
A CORPUS ending in .jsonl is read as JSON Lines (one document per non-blank line, key "text"),
anything else as one text document. Prints a line per corpus (documents, tokens, seconds) and
exits 1 at the first corpus with a difference, naming the document, the position and both ids.
"""
import json
import os
import subprocess
import sys
import time

from tokenizers import Tokenizer

from mmidx import read_documents


def documents_of(path):
    if not path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            return [f.read()]
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def first_difference(ours, reference):
    for i, (a, b) in enumerate(zip(ours, reference)):
        if a != b:
            return i
    return min(len(ours), len(reference))


def main():
    tf_data, tokenizer_path, work = sys.argv[1:4]
    corpora = sys.argv[4:]
    tokenizer = Tokenizer.from_file(tokenizer_path)
    failed = False
    for corpus in corpora:
        name = os.path.basename(corpus)
        prefix = os.path.join(work, name)
        fmt = "jsonl" if corpus.endswith(".jsonl") else "text"
        start = time.perf_counter()
        subprocess.run([tf_data, "build", "--input", corpus, "--format", fmt, "--tokenizer",
                        tokenizer_path, "--output", prefix], check=True,
                       stdout=subprocess.DEVNULL)
        ours_seconds = time.perf_counter() - start
        ours = read_documents(prefix)
        texts = documents_of(corpus)
        start = time.perf_counter()
        reference = [e.ids for e in tokenizer.encode_batch(texts)]
        reference_seconds = time.perf_counter() - start
        if len(ours) != len(reference):
            print(f"FAIL {name}: tf-data wrote {len(ours)} documents, the corpus has "
                  f"{len(reference)}")
            failed = True
            continue
        tokens = sum(len(r) for r in reference)
        bad = [d for d in range(len(ours)) if ours[d] != reference[d]]
        if bad:
            d = bad[0]
            at = first_difference(ours[d], reference[d])
            print(f"FAIL {name}: {len(bad)} of {len(ours)} documents differ; the first is "
                  f"document {d} at token {at}: tf-data {ours[d][at:at + 5]} vs tokenizers "
                  f"{reference[d][at:at + 5]}")
            failed = True
        else:
            print(f"PASS {name}: {len(ours)} documents, {tokens} tokens, identical "
                  f"(tf-data build {ours_seconds:.1f} s, tokenizers encode_batch "
                  f"{reference_seconds:.1f} s)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
