"""Whether two exported models (tf-export's model.safetensors) hold the same tensors, each element
within an absolute tolerance: prints the largest gap and exits 1 when a name, a shape or a value
differs.

usage: same_weights.py A/model.safetensors B/model.safetensors ATOL
"""
import sys

from safetensors.numpy import load_file


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    a, b, atol = load_file(sys.argv[1]), load_file(sys.argv[2]), float(sys.argv[3])
    if a.keys() != b.keys():
        sys.exit(f"tensor names differ: only in the first {sorted(a.keys() - b.keys())}, "
                 f"only in the second {sorted(b.keys() - a.keys())}")
    worst, where = 0.0, ""
    for name in sorted(a):
        if a[name].shape != b[name].shape:
            sys.exit(f"{name}: shape {a[name].shape} against {b[name].shape}")
        gap = float(abs(a[name].astype("float64") - b[name].astype("float64")).max(initial=0.0))
        if gap > worst:
            worst, where = gap, name
    print(f"{len(a)} tensors, largest absolute gap {worst:.3g} (in {where or 'none'})")
    sys.exit(1 if worst > atol else 0)


if __name__ == "__main__":
    main()
