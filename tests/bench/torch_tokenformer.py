#!/usr/bin/env python3
"""A plain PyTorch TokenFormer LM, the same math as core/ (docs/architecture.md), timed one
training step at a time, eager or under torch.compile (--compile: the model's forward and backward
through inductor; the optimizer stays eager): the side-by-side reference of
tests/bench/cpu_step_bench.sh (CPU, fp32 and bf16) and tests/gpu/run.sh (CUDA, bf16). Run it with
the project's Python environment (scripts/python-env.sh python), the PyTorch whose LibTorch
tf-launch is built against.

Prints two lines:
  `torch median step S s over N steps (threads T, BLAS_INFO=..., device D, precision P, mode M)`
  `torch tokens/s T peak_memory_gib M`
tokens/s is tokens per optimizer step over the median step. peak_memory_gib is
torch.cuda.max_memory_allocated() on cuda and the process's peak resident set on cpu.

bf16 is torch.autocast around forward and loss, as in a plain PyTorch training loop: parameters,
gradients and AdamW state stay fp32. As in core/pattention.cpp, the Pattention norm statistic and
activation are computed in fp32 and cast back to the activation dtype.
"""
import argparse
import math
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def pattention(x, keys, values, tau):
    """l2_norm_gelu: gelu(A * tau / ||A||) V with A = X K^T; the norm in fp32."""
    scores = x @ keys.t()
    a32 = scores.float()
    norm = torch.sqrt(a32.square().sum(-1, keepdim=True) + 1e-6)
    return F.gelu(a32 * (tau / norm)).to(scores.dtype) @ values


def rotary(x, dims):
    if dims == 0:
        return x
    seq = x.size(-2)
    inv_freq = 1.0 / torch.pow(10000.0, torch.arange(0, dims, 2, dtype=torch.float64) / dims)
    freqs = torch.outer(torch.arange(seq, dtype=torch.float32), inv_freq.float()).to(x.device)
    angles = torch.cat([freqs, freqs], -1)
    rot, keep = x[..., :dims], x[..., dims:]
    first, second = rot[..., : dims // 2], rot[..., dims // 2 :]
    rotated = torch.cat([-second, first], -1)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    return torch.cat([rot * cos + rotated * sin, keep], -1)


def causal_attention(q, k, v):
    """The fused causal attention tf-launch uses too (core/torch_ops.h)."""
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


class TokenFormer(torch.nn.Module):
    def __init__(self, d, layers, heads, qkv, proj, ffn, vocab, device):
        super().__init__()
        padded = (vocab + 127) // 128 * 128
        value_std = 2.0 / (layers * math.sqrt(d))
        self.heads = heads
        self.rotary_dims = int(0.25 * d // heads) // 2 * 2

        def normal(rows, std):
            return torch.nn.Parameter(torch.randn(rows, d, device=device) * std)

        self.embedding = normal(padded, 0.02)
        self.blocks = torch.nn.ModuleList()
        for _ in range(layers):
            block = torch.nn.ParameterDict()
            for name, n in (("q", qkv), ("k", qkv), ("v", qkv), ("o", proj), ("f", ffn)):
                block[name + "_keys"] = normal(n, 0.02)
                block[name + "_values"] = normal(n, value_std)
            self.blocks.append(block)
        self.norm_weight = torch.nn.Parameter(torch.ones(d, device=device))
        self.norm_bias = torch.nn.Parameter(torch.zeros(d, device=device))

    def forward(self, tokens):
        h = F.embedding(tokens, self.embedding)
        batch, seq, d = h.shape
        for b in self.blocks:
            def p(x, name):
                keys = b[name + "_keys"]
                return pattention(x, keys, b[name + "_values"], math.sqrt(keys.size(0)))

            def split(t):
                return t.reshape(batch, seq, self.heads, d // self.heads).transpose(1, 2)

            x = F.layer_norm(h, (d,), eps=1e-5)
            q = rotary(split(p(x, "q")), self.rotary_dims)
            k = rotary(split(p(x, "k")), self.rotary_dims)
            v = split(p(x, "v"))
            attended = causal_attention(q, k, v)
            h = h + p(attended.transpose(1, 2).reshape(batch, seq, d), "o")
            h = h + p(F.layer_norm(h, (d,), eps=1e-5), "f")
        h = F.layer_norm(h, (d,), self.norm_weight, self.norm_bias, eps=1e-5)
        return h @ self.embedding.t()


def make_optimizer(model, device):
    decay = [p for n, p in model.named_parameters() if not n.startswith("norm_")]
    groups = [{"params": decay, "weight_decay": 0.1},
              {"params": [model.norm_weight, model.norm_bias], "weight_decay": 0.0}]
    options = {"lr": 6e-4, "betas": (0.9, 0.95), "eps": 1e-8}
    # fused=True (one kernel for all parameters) is what a tuned PyTorch loop uses on CUDA.
    if device.type == "cuda":
        options["fused"] = True
    return torch.optim.AdamW(groups, **options)


def peak_memory_gib(device):
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 2**20


def main():
    parser = argparse.ArgumentParser()
    for name in ("hidden", "layers", "heads", "qkv", "proj", "ffn", "seq", "micro_batch",
                 "accumulation", "steps"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, required=True)
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads; 0: default")
    parser.add_argument("--vocab", type=int, default=257)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile the model (inductor); its compilation happens in the "
                             "first step, which --skip leaves out")
    parser.add_argument("--skip", type=int, default=2,
                        help="first steps left out of the median (when more than skip + 2 ran)")
    a = parser.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("torch_tokenformer.py: --device cuda, but torch sees no CUDA device")
    device = torch.device(a.device)
    torch.manual_seed(1234)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    model = TokenFormer(a.hidden, a.layers, a.heads, a.qkv, a.proj, a.ffn, a.vocab, device)
    optimizer = make_optimizer(model, device)
    forward = torch.compile(model) if a.compile else model
    samples = torch.randint(0, a.vocab, (a.accumulation, a.micro_batch, a.seq + 1)).to(device)
    autocast = torch.autocast(device_type=a.device, dtype=torch.bfloat16,
                              enabled=a.precision == "bf16")

    def sync():  # CUDA runs asynchronously: time only finished work
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    times = []
    for _ in range(a.steps):
        sync()
        start = time.perf_counter()
        optimizer.zero_grad()
        for micro in samples:
            with autocast:
                logits = forward(micro[:, :-1])
                loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(),
                                       micro[:, 1:].reshape(-1))
            (loss / a.accumulation).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        sync()
        times.append(time.perf_counter() - start)
    steady = times[a.skip:] if len(times) > a.skip + 2 else times
    median = statistics.median(steady)
    blas = torch.__config__.show().split("BLAS_INFO=")[1].split(",")[0]
    print(f"torch median step {median:.6f} s over {len(steady)} steps "
          f"(threads {torch.get_num_threads()}, BLAS_INFO={blas}, device {a.device}, "
          f"precision {a.precision}, mode {'compile' if a.compile else 'eager'})")
    tokens = a.accumulation * a.micro_batch * a.seq
    print(f"torch tokens/s {tokens / median:.0f} peak_memory_gib {peak_memory_gib(device):.2f}")


if __name__ == "__main__":
    main()
