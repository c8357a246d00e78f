#!/usr/bin/python3
"""Draws training and validation loss against FLOPs and against steps for one or more metrics
files (train.metrics_file), with stage boundaries marked, into a PNG.

    scripts/plot_runs.py RUN.jsonl [RUN.jsonl ...] --output loss.png [--title TEXT]
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics_file import read_records, series, stage_starts  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="metrics files (JSON Lines)")
    parser.add_argument("--output", required=True, help="the PNG to write")
    parser.add_argument("--title", default="")
    args = parser.parse_args()

    fig, (by_flops, by_steps) = plt.subplots(1, 2, figsize=(13, 5))
    for index, path in enumerate(args.files):
        records = read_records(path)
        if not records:
            raise SystemExit(f"{path}: no records")
        color = f"C{index % 10}"
        label = os.path.splitext(os.path.basename(path))[0]
        steps, flops, loss, _ = series(records, "train", "loss")
        by_flops.plot(flops, loss, color=color, alpha=0.35, linewidth=1)
        by_steps.plot(steps, loss, color=color, alpha=0.35, linewidth=1)
        steps, flops, valid, _ = series(records, "validation", "valid_loss")
        by_flops.plot(flops, valid, color=color, marker=".", label=f"{label} (validation)")
        by_steps.plot(steps, valid, color=color, marker=".", label=f"{label} (validation)")
        for step, spent, stage in stage_starts(records):
            by_flops.axvline(spent, color=color, linestyle=":", linewidth=1)
            by_steps.axvline(step, color=color, linestyle=":", linewidth=1)
            by_steps.annotate(stage, (step, 1), xycoords=("data", "axes fraction"),
                              rotation=90, va="top", fontsize=7, color=color)
    by_flops.set_xlabel("training FLOPs")
    by_steps.set_xlabel("step")
    for axes in (by_flops, by_steps):
        axes.set_ylabel("loss (thin: training, dots: validation)")
        axes.grid(alpha=0.3)
    by_flops.set_xscale("log")
    by_steps.legend(fontsize=8)
    fig.suptitle(args.title or "loss; dotted lines: stage boundaries")
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
