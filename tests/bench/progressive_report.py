#!/usr/bin/python3
"""The table and figure of tests/bench/progressive_scaling.sh, from its runs' metrics files
(OUT/<variant>-seed<seed>.jsonl): final validation loss per variant over seeds, the share of the
scratch FLOPs each chain needs to reach the same seed's scratch final validation loss, the seeds
that reach it, the validation-loss jump at each growth (mean over seeds), and a PNG of validation
loss against cumulative FLOPs (seeds thin, mean thick). With --best it prints instead the recipe
that combines every single change (variants named as in the script) that lowered the mean final
loss below the paper's recipe, seed by seed, by more than the standard error of the difference."""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts"))
from metrics_file import read_records, series  # noqa: E402

# What each single change of the script sets, against `paper` (growth=normal optimizer=reset
# peak=1 noise=0 freeze=0).
CHANGES = {"zero": "growth", "preserve": "growth", "carry": "optimizer", "low-peak": "peak",
           "noise": "noise", "freeze": "freeze"}


def first_reach(flops, losses, target):
    """The FLOPs at which the validation curve first reaches `target`, interpolated linearly
    between validation points; None when it never does."""
    for i, loss in enumerate(losses):
        if loss <= target:
            if i == 0:
                return flops[0]
            f0, f1, l0, l1 = flops[i - 1], flops[i], losses[i - 1], loss
            return f0 + (f1 - f0) * (l0 - target) / (l0 - l1) if l0 != l1 else f1
    return None


def load(out, variants, seeds):
    """variant -> seed -> {flops, losses, jumps, total_flops}."""
    runs = {}
    for variant in variants:
        for seed in seeds:
            records = read_records(f"{out}/{variant}-seed{seed}.jsonl")
            _, flops, losses, _ = series(records, "validation", "valid_loss")
            jumps = [r["growth_jump"] for r in records
                     if r.get("kind") == "validation" and "growth_jump" in r]
            runs.setdefault(variant, {})[seed] = {
                "flops": flops, "losses": losses, "jumps": jumps, "total": flops[-1]}
    return runs


def summary(runs):
    """variant -> (mean, std, min, max of final losses, shares reaching, seeds, mean jumps)."""
    rows = {}
    for variant, by_seed in runs.items():
        finals = [r["losses"][-1] for r in by_seed.values()]
        shares = []
        if variant != "scratch":
            for seed, run in by_seed.items():
                scratch = runs["scratch"][seed]
                reach = first_reach(run["flops"], run["losses"], scratch["losses"][-1])
                if reach is not None:
                    shares.append(reach / scratch["total"])
        growths = max((len(r["jumps"]) for r in by_seed.values()), default=0)
        jumps = [statistics.mean(r["jumps"][g] for r in by_seed.values() if len(r["jumps"]) > g)
                 for g in range(growths)]
        spent = statistics.mean(r["total"] for r in by_seed.values())
        rows[variant] = {
            "mean": statistics.mean(finals),
            "std": statistics.stdev(finals) if len(finals) > 1 else 0.0,
            "min": min(finals), "max": max(finals), "shares": shares, "seeds": len(by_seed),
            "jumps": jumps, "spent": spent / statistics.mean(
                r["total"] for r in runs["scratch"].values())}
    return rows


def paired_gain(runs, variant):
    """Mean over seeds of (variant's final loss - paper's) and its standard error."""
    diffs = [runs[variant][seed]["losses"][-1] - runs["paper"][seed]["losses"][-1]
             for seed in runs[variant]]
    error = statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else float("inf")
    return statistics.mean(diffs), error


def best_recipe(runs):
    """The paper's recipe with every single change that lowered the final loss, seed by seed
    against the paper's, by more than the standard error of that difference (for the growth
    policy, the one of zero and preserve that lowered it most, if any)."""
    chosen = {"growth": "normal", "optimizer": "reset", "peak": "1", "noise": "0", "freeze": "0"}
    values = {"zero": "zero", "preserve": "preserve", "carry": "carry", "low-peak": "$LOW_PEAK",
              "noise": "$NOISE", "freeze": "$FREEZE"}
    best_growth = 0.0
    for variant, key in CHANGES.items():
        if variant not in runs:
            continue
        gain, error = paired_gain(runs, variant)
        if gain >= 0 or -gain <= error:
            continue
        if key == "growth":
            if gain < best_growth:
                best_growth = gain
                chosen["growth"] = variant
        else:
            chosen[key] = values[variant]
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seeds", nargs="+", required=True)
    parser.add_argument("--variants", nargs="+", required=True)
    parser.add_argument("--figure")
    parser.add_argument("--best", action="store_true")
    parser.add_argument("--recipes", default="", help="one 'variant: recipe' line per variant")
    args = parser.parse_args()

    runs = load(args.out, args.variants, args.seeds)
    if "scratch" not in runs:
        raise SystemExit("the variants must include scratch")
    rows = summary(runs)
    if args.best:
        print(" ".join(f"{k}={v}" for k, v in best_recipe(runs).items()))
        return

    print("| run | final validation loss: mean | std | min-max | share of scratch FLOPs to reach "
          "the scratch loss: mean (min-max) | seeds reaching it | FLOPs spent (x scratch) | "
          "jump at each growth (mean) | against the paper's recipe, same seed (mean ± s.e.) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for variant, row in rows.items():
        if variant == "scratch":
            reach, seeds, jumps = "1.00", "(by definition)", "-"
        else:
            shares = row["shares"]
            reach = (f"{statistics.mean(shares):.2f} ({min(shares):.2f}-{max(shares):.2f})"
                     if shares else "-")
            seeds = f"{len(row['shares'])} of {row['seeds']}"
            jumps = " / ".join(f"{j:+.3f}" if abs(j) >= 5e-4 else "0.000"
                               for j in row["jumps"]) or "-"
        paired = "-"
        if variant not in ("scratch", "paper") and "paper" in runs:
            gain, error = paired_gain(runs, variant)
            paired = f"{gain:+.4f} ± {error:.4f}"
        print(f"| {variant} | {row['mean']:.4f} | {row['std']:.4f} | "
              f"{row['min']:.4f}-{row['max']:.4f} | {reach} | {seeds} | {row['spent']:.2f} | "
              f"{jumps} | {paired} |")
    if args.recipes:
        print("\nrecipes:\n" + args.recipes)

    if not args.figure:
        return
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(figsize=(10, 6))
    for index, (variant, by_seed) in enumerate(runs.items()):
        color = f"C{index % 10}"
        style = "--" if index >= 10 else "-"
        for run in by_seed.values():
            axes.plot(run["flops"], run["losses"], color=color, alpha=0.2, linewidth=0.7,
                      linestyle=style)
        # Validation runs at the same steps in every seed, so the FLOPs line up.
        first = next(iter(by_seed.values()))
        mean = [statistics.mean(r["losses"][i] for r in by_seed.values())
                for i in range(len(first["flops"]))]
        axes.plot(first["flops"], mean, color=color, linewidth=2, linestyle=style,
                  label=f"{variant} (mean of {len(by_seed)})")
    axes.set_xscale("log")
    axes.set_xlabel("cumulative training FLOPs")
    axes.set_ylabel("validation loss (nats per byte)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    axes.set_title("Brown Corpus, d 64, 4 layers: growth chains vs scratch")
    fig.tight_layout()
    fig.savefig(args.figure, dpi=110)
    print(f"figure: {args.figure}")


if __name__ == "__main__":
    main()
