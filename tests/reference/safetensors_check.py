#!/usr/bin/env python3
"""The project's safetensors files against the `safetensors` package, both ways.

Usage: safetensors_check.py TF_LAUNCH TF_EXPORT TF_SAFETENSORS_COPY CONFIG WORK_DIR

1. Ours there: a tiny model trained 4 steps with a checkpoint, and its export; `safetensors` loads
   the checkpoint's shard and the export. Every tensor of the shard has the name, dtype and shape
   its manifest.json gives, and every model tensor of the export is bit for bit a parameter
   tensor of the shard (the export renames them to the authors' layout).
2. Theirs here: `safetensors` writes a file with a tensor of every dtype the format and the
   project share (odd shapes, a scalar, an empty tensor, metadata); tf_safetensors_copy reads it
   with the project's reader and writes it again with its writer; `safetensors` loads the copy,
   which must hold the same names, dtypes, shapes, bytes and metadata.
3. Theirs here, in training: the export is perturbed, written by `safetensors`, and loaded by
   tf-launch as model.init_from; its first step's loss must differ from the unperturbed export's,
   and an unchanged export's must equal it.
Prints PASS/FAIL lines; exits 1 if any check failed.
"""
import json
import os
import re
import subprocess
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

failures = 0


def check(ok, what):
    global failures
    print(("PASS " if ok else "FAIL ") + what)
    failures += 0 if ok else 1


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def first_loss(tf_launch, config, *sets):
    out = subprocess.run([tf_launch, "--config", config, "--set", "train.steps=1",
                          "--set", "control.address=", "--set", "train.log_interval=1",
                          *[a for s in sets for a in ("--set", s)]],
                         check=True, capture_output=True, text=True).stdout
    return float(re.search(r"step +1/1 \| loss ([0-9.]+)", out).group(1))


def ours_there(tf_launch, tf_export, config, work):
    ckpt = os.path.join(work, "ckpt")
    subprocess.run([tf_launch, "--config", config, "--set", "train.steps=4",
                    "--set", "checkpoint.dir=" + ckpt, "--set", "checkpoint.interval=4",
                    "--set", "control.address="], check=True, capture_output=True)
    step = os.path.join(ckpt, "step_4")
    manifest = json.load(open(os.path.join(step, "manifest.json")))
    shard_path = os.path.join(step, "rank_00000.safetensors")
    shard = load_file(shard_path)
    expected = {name: (t["dtype"], t["shape"]) for name, t in manifest["tensors"].items()}
    names_ok = set(shard) == set(expected)
    check(names_ok, f"the shard loads in safetensors with the {len(expected)} tensors of its "
          f"manifest" + ("" if names_ok else f": {sorted(set(shard) ^ set(expected))[:5]}"))
    spelled = {torch.float32: "F32", torch.int64: "I64", torch.bfloat16: "BF16",
               torch.float16: "F16", torch.int32: "I32", torch.uint8: "U8", torch.float64: "F64"}
    wrong = [n for n, t in shard.items() if n in expected and
             (spelled.get(t.dtype), list(t.shape)) != (expected[n][0], expected[n][1])]
    check(not wrong, "every shard tensor has its manifest's dtype and shape" +
          ("" if not wrong else f": {wrong[:5]}"))

    export = os.path.join(work, "export")
    run(tf_export, "--checkpoint", step, "--output", export)
    exported = load_file(os.path.join(export, "model.safetensors"))
    parameters = [t for n, t in shard.items() if not n.startswith("optim.")]
    unmatched = [n for n, t in exported.items()
                 if not any(p.dtype == t.dtype and p.shape == t.shape and torch.equal(p, t)
                            for p in parameters)]
    check(exported and not unmatched,
          f"the export loads in safetensors; each of its {len(exported)} tensors is bit for bit "
          f"a parameter of the checkpoint" + ("" if not unmatched else f": not {unmatched[:5]}"))
    return os.path.join(export, "model.safetensors")


def theirs_here(copy_tool, work):
    generator = torch.Generator().manual_seed(7)
    tensors = {
        "f32": torch.randn(3, 5, generator=generator),
        "f64": torch.randn(7, generator=generator, dtype=torch.float64),
        "f16": torch.randn(2, 3, 4, generator=generator).half(),
        "bf16": torch.randn(9, 1, generator=generator).bfloat16(),
        "i64": torch.arange(-6, 6, dtype=torch.int64).reshape(3, 4),
        "i32": torch.tensor([2**31 - 1, -2**31, 0], dtype=torch.int32),
        "i16": torch.tensor([[-32768, 32767]], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 3], dtype=torch.int8),
        "u8": torch.arange(0, 256, dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.25),
        "empty": torch.zeros(0, 4),
    }
    metadata = {"format": "pt", "written_by": "safetensors"}
    theirs = os.path.join(work, "theirs.safetensors")
    copy = os.path.join(work, "copy.safetensors")
    save_file(tensors, theirs, metadata=metadata)
    run(copy_tool, theirs, copy)
    back = load_file(copy)
    with safe_open(copy, "pt") as f:
        back_metadata = f.metadata()
    same = set(back) == set(tensors) and all(
        back[n].dtype == t.dtype and back[n].shape == t.shape and torch.equal(back[n], t)
        for n, t in tensors.items() if n in back)
    check(same, f"a file safetensors wrote ({len(tensors)} tensors, every shared dtype) reads "
          f"here and, written again here, loads there unchanged")
    check(back_metadata == metadata, f"its metadata survives: {back_metadata}")


def theirs_in_training(tf_launch, config, export_file, work):
    original = load_file(export_file)
    perturbed = {n: (t * 0.5).contiguous() for n, t in original.items()}
    same_file = os.path.join(work, "same.safetensors")
    changed_file = os.path.join(work, "changed.safetensors")
    save_file(original, same_file)
    save_file(perturbed, changed_file)
    export_loss = first_loss(tf_launch, config, "model.init_from=" + export_file)
    same_loss = first_loss(tf_launch, config, "model.init_from=" + same_file)
    changed_loss = first_loss(tf_launch, config, "model.init_from=" + changed_file)
    check(same_loss == export_loss and changed_loss != export_loss,
          f"tf-launch trains from files safetensors wrote: first loss {same_loss} from a copy of "
          f"the export ({export_loss} from the export), {changed_loss} from its halved weights")


def main():
    tf_launch, tf_export, copy_tool, config, work = sys.argv[1:6]
    os.makedirs(work, exist_ok=True)
    export_file = ours_there(tf_launch, tf_export, config, work)
    theirs_here(copy_tool, work)
    theirs_in_training(tf_launch, config, export_file, work)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
