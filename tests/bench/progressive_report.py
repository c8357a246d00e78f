#!/usr/bin/python3
"""The table and figure of tests/bench/progressive_scaling.sh, from its runs' metrics files
(OUT/<variant>-seed<seed>.jsonl): final validation loss per variant over seeds, the share of the
scratch FLOPs each chain needs to reach the same seed's scratch final validation loss, and a PNG
of validation loss against FLOPs (seeds thin, mean thick)."""
import argparse
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts"))
from metrics_file import read_records, series  # noqa: E402


def first_reach(flops, losses, target):
    """The FLOPs at which the validation curve first reaches `target`, interpolated linearly
    between validation points; None when it never does."""
    for i, loss in enumerate(losses):
        if loss <= target:
            if i == 0:
                return flops[0]
            f0, f1, l0, l1 = flops[i - 1], flops[i], losses[i - 1], loss
            return f0 + (f1 - f0) * (l0 - target) / (l0 - l1)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seeds", nargs="+", required=True)
    parser.add_argument("--variants", nargs="+", required=True)
    parser.add_argument("--figure", required=True)
    args = parser.parse_args()

    curves = {}  # variant -> seed -> (flops, losses)
    for variant in args.variants:
        for seed in args.seeds:
            _, flops, losses, _ = series(
                read_records(f"{args.out}/{variant}-seed{seed}.jsonl"), "validation", "valid_loss")
            curves.setdefault(variant, {})[seed] = (flops, losses)
    if "scratch" not in curves:
        raise SystemExit("the variants must include scratch")

    print(f"{'run':34} {'final validation loss':>34}   {'share of scratch FLOPs to reach':>32}")
    print(f"{'':34} {'mean':>8} {'std':>8} {'min-max':>16}   {'mean':>8} {'seeds reaching':>16}")
    for variant, by_seed in curves.items():
        finals = [losses[-1] for _, losses in by_seed.values()]
        std = statistics.stdev(finals) if len(finals) > 1 else 0.0
        line = (f"{variant:34} {statistics.mean(finals):8.4f} {std:8.4f} "
                f"{min(finals):7.4f}-{max(finals):<8.4f}")
        if variant == "scratch":
            line += f"   {1:8.2f} {'(by definition)':>16}"
        else:
            shares = []
            for seed, (flops, losses) in by_seed.items():
                scratch_flops, scratch_losses = curves["scratch"][seed]
                reach = first_reach(flops, losses, scratch_losses[-1])
                if reach is not None:
                    shares.append(reach / scratch_flops[-1])
            mean = f"{statistics.mean(shares):8.2f}" if shares else f"{'-':>8}"
            line += f"   {mean} {f'{len(shares)} of {len(by_seed)}':>16}"
        print(line)

    fig, axes = plt.subplots(figsize=(9, 5.5))
    for index, (variant, by_seed) in enumerate(curves.items()):
        color = f"C{index}"
        for flops, losses in by_seed.values():
            axes.plot(flops, losses, color=color, alpha=0.3, linewidth=0.8)
        # Validation runs at the same steps in every seed, so the FLOPs line up.
        flops = next(iter(by_seed.values()))[0]
        mean = [statistics.mean(c[1][i] for c in by_seed.values()) for i in range(len(flops))]
        axes.plot(flops, mean, color=color, linewidth=2.5, label=f"{variant} (mean of {len(by_seed)})")
    axes.set_xscale("log")
    axes.set_xlabel("training FLOPs")
    axes.set_ylabel("validation loss (nats per byte)")
    axes.grid(alpha=0.3)
    axes.legend()
    axes.set_title("Brown Corpus, d 128, 4 layers: growth chain vs scratch")
    fig.tight_layout()
    fig.savefig(args.figure, dpi=110)
    print(f"figure: {args.figure}")


if __name__ == "__main__":
    main()
