#!/usr/bin/env bash
# Usage: tests/bench/tokenizer_throughput.sh [BUILD_DIR] [RUNS]
# tf-data build with the GPT-NeoX BPE against Hugging Face `tokenizers` (the project's Python
# environment) on the same corpora at the same thread count, side by side: MB of text per second
# for each (tf-data's own figure, which includes reading the corpus and writing the dataset;
# tokenizers' encode_batch, and encode_batch_fast, which skips the offsets, on the documents
# already in memory, RAYON_NUM_THREADS threads) and the ratios tf-data / tokenizers (above 1:
# tf-data is faster). Best of RUNS runs (default 3). The ids are the same (ctest
# reference_tokenizer). Not run by ctest: timings need a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
runs=${2:-3}
python=$(scripts/python-env.sh python)
tokenizer=../shared/data/gpt-neox-20b-tokenizer.json
corpora=(../shared/data/brown.jsonl ../shared/data/tinyshakespeare.txt)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The best MB/s of `tokenizers`' encode_batch and encode_batch_fast over the runs, at THREADS
# threads, for CORPUS: two numbers.
reference() {
  RAYON_NUM_THREADS=$2 "$python" - "$tokenizer" "$1" "$runs" <<'PY'
import json, sys, time
from tokenizers import Tokenizer
path, corpus, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
if corpus.endswith(".jsonl"):
    texts = [json.loads(l)["text"] for l in open(corpus, encoding="utf-8") if l.strip()]
else:
    texts = [open(corpus, encoding="utf-8").read()]
megabytes = sum(len(t.encode()) for t in texts) / 1e6
tokenizer = Tokenizer.from_file(path)
for encode in (tokenizer.encode_batch, tokenizer.encode_batch_fast):
    best = 0.0
    for _ in range(runs):
        start = time.perf_counter()
        encode(texts)
        best = max(best, megabytes / (time.perf_counter() - start))
    print(f"{best:.2f}", end=" ")
print()
PY
}

echo "tokenizers $("$python" -c 'import tokenizers; print(tokenizers.__version__)'), $(nproc) cores, best of $runs runs"
printf '%-22s %7s %13s %13s %13s %8s %8s\n' corpus threads "tf-data MB/s" "batch MB/s" \
  "fast MB/s" /batch /fast
for corpus in "${corpora[@]}"; do
  format=text
  [[ $corpus == *.jsonl ]] && format=jsonl
  for threads in 1 2; do
    best=0
    for ((run = 0; run < runs; ++run)); do
      rate=$("$build/launcher/tf-data" build --input "$corpus" --format "$format" \
        --tokenizer "$tokenizer" --output "$work/out" --workers "$threads" 2>&1 |
        sed -n 's/.*done: .*(\([0-9.]*\) MB\/s).*/\1/p')
      best=$(awk -v a="$best" -v b="$rate" 'BEGIN { print (b > a) ? b : a }')
    done
    read -r batch fast <<<"$(reference "$corpus" "$threads")"
    awk -v c="$(basename "$corpus")" -v t="$threads" -v a="$best" -v b="$batch" -v f="$fast" \
      'BEGIN { printf "%-22s %7d %13.2f %13.2f %13.2f %8.2f %8.2f\n", c, t, a, b, f, a / b, a / f }'
  done
done
