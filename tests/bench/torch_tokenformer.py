#!/usr/bin/python3
"""A plain PyTorch (eager) TokenFormer LM, the same math as core/ (SPEC.md sections 1-2), timed
one training step at a time: the side-by-side reference of tests/bench/cpu_step_bench.sh.

Prints one line: `torch median step S s over N steps (threads T, BLAS ...)`.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F


def pattention(x, keys, values, tau):
    """l2_norm_gelu: gelu(A * tau / ||A||) V with A = X K^T."""
    scores = x @ keys.t()
    norm = torch.sqrt(scores.square().sum(-1, keepdim=True) + 1e-6)
    return F.gelu(scores * (tau / norm)) @ values


def rotary(x, dims):
    if dims == 0:
        return x
    seq = x.size(-2)
    inv_freq = 1.0 / torch.pow(10000.0, torch.arange(0, dims, 2, dtype=torch.float64) / dims)
    freqs = torch.outer(torch.arange(seq, dtype=torch.float32), inv_freq.float())
    angles = torch.cat([freqs, freqs], -1)
    rot, keep = x[..., :dims], x[..., dims:]
    first, second = rot[..., : dims // 2], rot[..., dims // 2 :]
    rotated = torch.cat([-second, first], -1)
    return torch.cat([rot * angles.cos() + rotated * angles.sin(), keep], -1)


class TokenFormer(torch.nn.Module):
    def __init__(self, d, layers, heads, qkv, proj, ffn, vocab):
        super().__init__()
        padded = (vocab + 127) // 128 * 128
        value_std = 2.0 / (layers * math.sqrt(d))
        self.heads = heads
        self.rotary_dims = int(0.25 * d // heads) // 2 * 2
        self.embedding = torch.nn.Parameter(torch.randn(padded, d) * 0.02)

        def tokens(n):
            return (torch.nn.Parameter(torch.randn(n, d) * 0.02),
                    torch.nn.Parameter(torch.randn(n, d) * value_std))

        self.blocks = torch.nn.ModuleList()
        for _ in range(layers):
            block = torch.nn.ParameterDict()
            for name, n in (("q", qkv), ("k", qkv), ("v", qkv), ("o", proj), ("f", ffn)):
                block[name + "_keys"], block[name + "_values"] = tokens(n)
            self.blocks.append(block)
        self.norm_weight = torch.nn.Parameter(torch.ones(d))
        self.norm_bias = torch.nn.Parameter(torch.zeros(d))

    def forward(self, tokens):
        h = F.embedding(tokens, self.embedding)
        batch, seq, d = h.shape
        mask = torch.ones(seq, seq, dtype=torch.bool).triu(1)
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
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
            attended = torch.softmax(scores.masked_fill(mask, float("-inf")), -1) @ v
            h = h + p(attended.transpose(1, 2).reshape(batch, seq, d), "o")
            h = h + p(F.layer_norm(h, (d,), eps=1e-5), "f")
        h = F.layer_norm(h, (d,), self.norm_weight, self.norm_bias, eps=1e-5)
        return h @ self.embedding.t()


def main():
    parser = argparse.ArgumentParser()
    for name in ("hidden", "layers", "heads", "qkv", "proj", "ffn", "seq", "micro_batch",
                 "accumulation", "steps", "threads"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, required=True)
    parser.add_argument("--vocab", type=int, default=257)
    a = parser.parse_args()
    torch.manual_seed(1234)
    torch.set_num_threads(a.threads)
    model = TokenFormer(a.hidden, a.layers, a.heads, a.qkv, a.proj, a.ffn, a.vocab)
    decay = [p for n, p in model.named_parameters() if not n.startswith("norm_")]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1},
         {"params": [model.norm_weight, model.norm_bias], "weight_decay": 0.0}],
        lr=6e-4, betas=(0.9, 0.95), eps=1e-8)
    samples = torch.randint(0, a.vocab, (a.accumulation, a.micro_batch, a.seq + 1))
    times = []
    for _ in range(a.steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        for micro in samples:
            logits = model(micro[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), micro[:, 1:].reshape(-1))
            (loss / a.accumulation).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        times.append(time.perf_counter() - start)
    steady = times[2:] if len(times) > 4 else times
    blas = torch.__config__.show().split("BLAS_INFO=")[1].split(",")[0]
    print(f"torch median step {statistics.median(steady):.6f} s over {len(steady)} steps "
          f"(threads {a.threads}, BLAS_INFO={blas})")


if __name__ == "__main__":
    main()
