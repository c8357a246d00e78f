#!/usr/bin/env python3
"""The Hugging Face export (tf-export --format hf) against `transformers` itself.

Usage: hf_parity.py TF_LAUNCH TF_EXPORT CONFIG_DIR WORK_DIR GPT_NEOX_TOKENIZER_JSON

1. Parity. Tiny models trained a few steps (each Pattention norm; and a two-stage run whose growth
   `preserve` froze the scales), exported and loaded with
   AutoModelForCausalLM.from_pretrained(OUT, trust_remote_code=True), fp32 on the CPU: their
   logits on a prompt equal tf-launch generate --logits's within 1e-5 of the largest logit, the
   loss agrees to 1e-5 relative, and generate(do_sample=False, max_new_tokens=20) gives our greedy
   continuation.
2. The GPT-NeoX tokenizer: the export holds it, AutoTokenizer loads it and encodes as tf-launch
   generate --text does, and the greedy continuations of the text agree.
3. Round trip: model.init_from of an export, 0 training steps, exported again: model.safetensors
   and config.json are byte for byte the first export's.
4. Bad input: a missing tensor, a wrong shape and config.json fields that contradict the weights
   or the run are refused with exit status 2 and a message naming the file and key.
Prints PASS/FAIL lines and the largest differences seen; exits 1 if any check failed.
"""
import json
import os
import re
import shutil
import subprocess
import sys

# transformers copies the modeling files of a trust_remote_code directory into a module cache,
# by directory name: one of the run's own, so that no earlier run's copy is used.
if __name__ == "__main__":
    os.environ["HF_MODULES_CACHE"] = os.path.join(sys.argv[4] + "_modules")

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

failures = 0
worst = {"logits": 0.0, "loss": 0.0}


def check(ok, what):
    global failures
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    failures += 0 if ok else 1


def run(*command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stdout}{done.stderr}")
    return done.stdout


def train(tf_launch, config, ckpt, *sets):
    run(tf_launch, "--config", config, "--set", "checkpoint.dir=" + ckpt,
        "--set", "control.address=", *[a for s in sets for a in ("--set", s)])
    steps = [int(n[5:]) for n in os.listdir(ckpt) if re.fullmatch(r"step_\d+", n)]
    return os.path.join(ckpt, f"step_{max(steps)}")


def ours(tf_launch, config, step, prompt, work, *sets):
    """Our loss, greedy continuation and logits of `prompt` (ids or text)."""
    logits_file = os.path.join(work, "logits.safetensors")
    given = ["--text", prompt] if isinstance(prompt, str) else \
        ["--prompt", " ".join(map(str, prompt))]
    out = run(tf_launch, "generate", "--config", config, "--checkpoint", step, *given,
              "--tokens", "20", "--logits", logits_file, *[a for s in sets for a in ("--set", s)])
    loss = float(re.search(r"loss ([-0-9.e+]+)", out).group(1))
    generated = [int(t) for t in re.search(r"generated: ([0-9 ]+)", out).group(1).split()]
    return loss, generated, load_file(logits_file)["logits"]


def theirs(export, ids):
    model = AutoModelForCausalLM.from_pretrained(export, trust_remote_code=True,
                                                 dtype=torch.float32)
    model.eval()
    tokens = torch.tensor([ids])
    with torch.no_grad():
        out = model(tokens, labels=tokens)
        generated = model.generate(tokens, attention_mask=torch.ones_like(tokens),
                                   do_sample=False, max_new_tokens=20)
    return out.loss.item(), generated[0, len(ids):].tolist(), out.logits[0]


def parity(label, tf_launch, tf_export, config, step, work, prompt, sets=()):
    export = os.path.join(work, label + "_hf")
    run(tf_export, "--format", "hf", "--checkpoint", step, "--output", export)
    our_loss, our_tokens, our_logits = ours(tf_launch, config, step, prompt, work, *sets)
    ids = prompt
    if isinstance(prompt, str):
        ids = AutoTokenizer.from_pretrained(export, trust_remote_code=True)(prompt)["input_ids"]
    their_loss, their_tokens, their_logits = theirs(export, ids)
    scale = our_logits.abs().max().item()
    largest = (their_logits - our_logits).abs().max().item()
    relative = largest / scale
    loss_diff = abs(their_loss - our_loss) / abs(our_loss)
    worst["logits"] = max(worst["logits"], relative)
    worst["loss"] = max(worst["loss"], loss_diff)
    check(their_logits.shape == our_logits.shape and relative <= 1e-5,
          f"{label}: transformers' logits {tuple(their_logits.shape)} equal ours: largest "
          f"difference {largest:.3g} = {relative:.3g} of the largest logit {scale:.3g}")
    check(loss_diff <= 1e-5, f"{label}: loss {their_loss:.9g} vs ours {our_loss:.9g} "
          f"(relative difference {loss_diff:.3g})")
    check(their_tokens == our_tokens and len(our_tokens) == 20,
          f"{label}: generate's 20 greedy tokens are ours: {their_tokens}" +
          ("" if their_tokens == our_tokens else f" vs {our_tokens}"))
    return export


def round_trip(label, tf_launch, tf_export, config, export, work, *sets):
    ckpt = os.path.join(work, label + "_reimported")
    step = train(tf_launch, config, ckpt, "model.init_from=" + export, "train.steps=0", *sets)
    again = os.path.join(work, label + "_hf_again")
    run(tf_export, "--format", "hf", "--checkpoint", step, "--output", again)
    for name in ("model.safetensors", "config.json"):
        same = open(os.path.join(export, name), "rb").read() == \
            open(os.path.join(again, name), "rb").read()
        check(same, f"{label}: export -> init_from -> export gives the same {name}, byte for byte")


def refused(tf_launch, config, bad, wanted, what):
    done = subprocess.run([tf_launch, "--config", config, "--set", "model.init_from=" + bad,
                           "--set", "train.steps=0", "--set", "control.address="],
                          capture_output=True, text=True)
    text = done.stdout + done.stderr
    check(done.returncode == 2 and all(w in text for w in wanted),
          f"refused: {what} (exit {done.returncode}): " +
          (next((l for l in text.splitlines() if "error" in l), text.strip()[-300:])))


def bad_inputs(tf_launch, config, export, work):
    def variant(name, change_weights=None, change_config=None):
        path = os.path.join(work, "bad_" + name)
        shutil.copytree(export, path)
        if change_weights:
            weights = load_file(os.path.join(path, "model.safetensors"))
            change_weights(weights)
            save_file(weights, os.path.join(path, "model.safetensors"), metadata={"format": "pt"})
        if change_config:
            config_json = json.load(open(os.path.join(path, "config.json")))
            change_config(config_json)
            json.dump(config_json, open(os.path.join(path, "config.json"), "w"))
        return path

    key = "model.layers.1.mlp.value_tokens"
    refused(tf_launch, config, variant("missing", lambda w: w.pop(key)),
            ["model.safetensors", key, "missing"], "a missing tensor")
    narrow = "model.layers.0.proj.key_tokens"
    refused(tf_launch, config,
            variant("shape", lambda w: w.update({narrow: w[narrow][:, :32].contiguous()})),
            ["model.safetensors", narrow, "[64, 32]", "config.json"], "a wrong shape")
    refused(tf_launch, config, variant("tokens", change_config=lambda c: c.update(qkv_tokens=32)),
            ["model.safetensors", "model.layers.0.", "has shape [64, 64]", "qkv_tokens 32",
             "config.json", "says [32, 64]"], "config.json's qkv_tokens against the weights")
    refused(tf_launch, config,
            variant("layers", change_config=lambda c: c.update(num_hidden_layers=1)),
            ["model.safetensors", "model.layers.1.", "config.json", "num_hidden_layers 1"],
            "config.json's num_hidden_layers against the weights")
    refused(tf_launch, config,
            variant("heads", change_config=lambda c: c.update(num_attention_heads=8)),
            ["config.json", "num_attention_heads", "model.num_heads"],
            "config.json's num_attention_heads against the run's")
    refused(tf_launch, config,
            variant("missing_field", change_config=lambda c: c.pop("ffn_tokens")),
            ["config.json", "ffn_tokens", "missing"], "a field missing from config.json")


def main():
    tf_launch, tf_export, configs, work, tokenizer = sys.argv[1:6]
    for old in (work, work + "_modules"):
        shutil.rmtree(old, ignore_errors=True)
    os.makedirs(work)
    torch.manual_seed(0)
    tiny = os.path.join(configs, "tiny.yaml")
    prompt = torch.randint(0, 257, (24,)).tolist()
    short = ["train.steps=6", "train.warmup_steps=2", "train.eval_interval=0"]

    exports = {}
    for norm in ("l2_norm_gelu", "gelu_l2_norm", "softmax"):
        sets = ["model.norm=" + norm]
        step = train(tf_launch, tiny, os.path.join(work, norm), *short, *sets)
        exports[norm] = parity(norm, tf_launch, tf_export, tiny, step, work, prompt, sets)

    # Two stages: the growth `preserve` freezes the scales, which config.json must carry.
    stages = os.path.join(work, "stages.yaml")
    grown = os.path.join(work, "grown.yaml")
    base = open(tiny).read().split("train:")[0]
    counts = re.compile(r"^  (qkv|proj|ffn)_tokens:.*\n", re.M)
    open(stages, "w").write(counts.sub("", base) + """train: {global_batch: 8, micro_batch: 8, eval_interval: 0}
stages:
  - {name: small, qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 64, steps: 3, lr: 3.0e-3,
     warmup_steps: 1}
  - {name: large, qkv_tokens: 32, proj_tokens: 48, ffn_tokens: 128, steps: 3, lr: 2.0e-3,
     warmup_steps: 1, growth: preserve}
""")
    open(grown, "w").write(counts.sub("", base).replace(
        "model:\n", "model:\n  qkv_tokens: 32\n  proj_tokens: 48\n  ffn_tokens: 128\n") +
        "train: {global_batch: 8, micro_batch: 8, eval_interval: 0}\n")
    step = train(tf_launch, stages, os.path.join(work, "stages"))
    export = parity("growth", tf_launch, tf_export, grown, step, work, prompt)
    authors = os.path.join(work, "growth_authors")
    run(tf_export, "--checkpoint", step, "--output", authors)  # the frozen scales stay behind
    check(os.path.exists(os.path.join(authors, "model.safetensors")),
          "growth: the authors' layout is written too, without the frozen scales")
    scales = json.load(open(os.path.join(export, "config.json")))["pattention_scales"]
    check(scales is not None and scales[0] == 4.0,
          f"growth: config.json carries the frozen scales (sqrt(16) = 4 for Q): "
          f"{scales and scales[:5]}")

    # The GPT-NeoX tokenizer: its files go with the export.
    neox = ["data.tokenizer=" + tokenizer, "model.vocab_size=50277", "train.global_batch=2",
            "train.micro_batch=2", "train.steps=2", "train.warmup_steps=1",
            "train.eval_interval=0"]
    step = train(tf_launch, tiny, os.path.join(work, "neox"), *neox)
    text = "The quick brown fox jumps over the lazy dog."
    export = parity("neox", tf_launch, tf_export, tiny, step, work, text, neox)
    ids = AutoTokenizer.from_pretrained(export, trust_remote_code=True)(text)["input_ids"]
    reference = json.load(open(tokenizer))
    check(os.path.exists(os.path.join(export, "tokenizer_config.json")) and
          open(os.path.join(export, "tokenizer.json")).read() == open(tokenizer).read(),
          f"neox: the export holds tokenizer.json and tokenizer_config.json; "
          f"AutoTokenizer encodes the text as {len(ids)} tokens ({reference['model']['type']})")

    round_trip("l2_norm_gelu", tf_launch, tf_export, tiny, exports["l2_norm_gelu"], work)
    round_trip("growth", tf_launch, tf_export, grown, export_of(work, "growth"), work)
    bad_inputs(tf_launch, tiny, exports["l2_norm_gelu"], work)
    print(f"largest logit difference {worst['logits']:.3g} of the largest logit, largest loss "
          f"difference {worst['loss']:.3g} relative")
    return 1 if failures else 0


def export_of(work, label):
    return os.path.join(work, label + "_hf")


if __name__ == "__main__":
    sys.exit(main())
