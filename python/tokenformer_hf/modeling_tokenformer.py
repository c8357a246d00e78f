"""TokenFormer for `transformers`: the model `tf-export --format hf` writes (docs/checkpoints.md).

It computes what the project's C++ model computes (docs/model.md), op for op in the same order,
so that fp32 logits on the CPU agree to rounding:

- Pattention: A = X K^T (no 1/sqrt(d) factor), S = Θ(A) row by row, O = S V, where Θ is
  `l2_norm_gelu` gelu(a * s / sqrt(Σ a² + ε)), `gelu_l2_norm` gelu(a) * s / sqrt(Σ gelu(a)² + ε)
  or `softmax` s * exp(a - max a) / Σ exp(a - max a); the scale s is sqrt(n) (n for softmax) for
  a layer of n parameter tokens unless config.pattention_scales sets it. Θ runs in fp32 at least.
- A pre-norm decoder block: LayerNorms without weight or bias; Q, K and V Pattentions over the
  normed input; rotary embedding on the first rotary_pct of every head's dimensions, in GPT-NeoX's
  rotate-half layout (the two halves of the rotated part are the pairs, not interleaved
  neighbours); causal attention; the output projection and the FFN are Pattentions too.
- A final LayerNorm with weight and bias, and the head tied to the embedding.

There is no key/value cache: `generate` runs the whole sequence at every step, which is exact and
fine for short continuations. Attention masks with padding are refused.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn
from transformers import GenerationMixin, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput, CausalLMOutput

from .configuration_tokenformer import TokenFormerConfig


def plain_layer_norm(x, eps):
    return F.layer_norm(x, (x.size(-1),), None, None, eps)


def at_least_fp32(x):
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


class Pattention(nn.Module):
    """Attention of the input over n parameter tokens: keys [n, d_in], values [n, d_out]."""

    def __init__(self, d_in, d_out, tokens, norm, scale, eps):
        super().__init__()
        self.key_tokens = nn.Parameter(torch.zeros(tokens, d_in))
        self.value_tokens = nn.Parameter(torch.zeros(tokens, d_out))
        self.norm = norm
        default = float(tokens) if norm == "softmax" else math.sqrt(tokens)
        self.scale = scale if scale else default
        self.eps = eps

    def forward(self, x):
        a = torch.matmul(x, self.key_tokens.to(x.dtype).t())
        a32 = at_least_fp32(a)
        if self.norm == "l2_norm_gelu":
            total = a32.square().sum(-1, keepdim=True)
            s = F.gelu(a32 * (self.scale / torch.sqrt(total + self.eps)))
        elif self.norm == "gelu_l2_norm":
            total = F.gelu(a32).square().sum(-1, keepdim=True)
            s = F.gelu(a32) * (self.scale / torch.sqrt(total + self.eps))
        else:  # softmax
            shifted = torch.exp(a32 - a32.detach().max(-1, keepdim=True)[0])
            s = shifted * (self.scale / shifted.sum(-1, keepdim=True))
        s = s.to(a.dtype)
        return torch.matmul(s, self.value_tokens.to(s.dtype))


class Rotary(nn.Module):
    """Rotary embedding of the first `dims` dimensions of every head, rotate-half layout."""

    def __init__(self, head_dim, rotary_pct, base):
        super().__init__()
        dims = int(math.floor(head_dim * rotary_pct))
        self.dims = dims - dims % 2
        self.base = base

    def forward(self, x):  # x: [batch, heads, seq, head_dim]
        if self.dims == 0:
            return x
        # Computed here rather than kept as a buffer: from_pretrained builds modules on the meta
        # device and would leave a non-persistent buffer unset.
        exponents = torch.arange(0, self.dims, 2, dtype=torch.float64) / self.dims
        inv_freq = (1.0 / torch.pow(self.base, exponents)).float()
        positions = torch.arange(x.size(-2), dtype=torch.float32)
        freqs = torch.outer(positions, inv_freq)
        angles = torch.cat([freqs, freqs], -1)
        cos = angles.cos().to(x.device, x.dtype)
        sin = angles.sin().to(x.device, x.dtype)
        half = self.dims // 2
        rot, rest = x[..., :self.dims], x[..., self.dims:]
        rotated = torch.cat([-rot[..., half:], rot[..., :half]], -1)
        return torch.cat([rot * cos + rotated * sin, rest], -1)


class TokenFormerBlock(nn.Module):
    def __init__(self, config, index):
        super().__init__()
        d = config.hidden_size
        scales = config.pattention_scales or [0.0] * (5 * config.num_hidden_layers)
        names = ("query", "key", "value", "proj", "mlp")
        counts = (config.qkv_tokens,) * 3 + (config.proj_tokens, config.ffn_tokens)
        for k, (name, tokens) in enumerate(zip(names, counts)):
            layer = Pattention(d, d, tokens, config.pattention_norm, scales[5 * index + k],
                               config.pattention_eps)
            self.add_module(name, layer)
        self.heads = config.num_attention_heads
        self.eps = config.layer_norm_eps

    def forward(self, x, rotary):
        batch, seq, d = x.shape

        def heads(t):
            return t.reshape(batch, seq, self.heads, d // self.heads).transpose(1, 2)

        normed = plain_layer_norm(x, self.eps)
        q = rotary(heads(self.query(normed)))
        k = rotary(heads(self.key(normed)))
        v = heads(self.value(normed))
        attended = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0, is_causal=True)
        h = x + self.proj(attended.transpose(1, 2).reshape(batch, seq, d))
        return h + self.mlp(plain_layer_norm(h, self.eps))


class TokenFormerPreTrainedModel(PreTrainedModel):
    config_class = TokenFormerConfig
    base_model_prefix = "model"
    _no_split_modules = ["TokenFormerBlock"]

    def _init_weights(self, module):
        # The project's initialisation (docs/model.md); loading a checkpoint overwrites it.
        if isinstance(module, Pattention):
            d = self.config.hidden_size
            value_std = 2.0 / (self.config.num_hidden_layers * math.sqrt(d))
            nn.init.normal_(module.key_tokens, 0.0, 0.02)
            nn.init.normal_(module.value_tokens, 0.0, value_std)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, 0.02)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class TokenFormerModel(TokenFormerPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(
            TokenFormerBlock(config, i) for i in range(config.num_hidden_layers))
        self.final_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.rotary = Rotary(config.hidden_size // config.num_attention_heads, config.rotary_pct,
                             config.rotary_emb_base)
        self.post_init()

    def get_input_embeddings(self):
        return self.embed_tokens

    def set_input_embeddings(self, value):
        self.embed_tokens = value

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, **kwargs):
        if attention_mask is not None and not bool(attention_mask.all()):
            raise ValueError("TokenFormer: attention masks with padding are not supported; "
                             "run sequences of equal length or one at a time")
        h = self.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds
        for layer in self.layers:
            h = layer(h, self.rotary)
        return BaseModelOutput(last_hidden_state=self.final_norm(h))


class TokenFormerForCausalLM(TokenFormerPreTrainedModel, GenerationMixin):
    _tied_weights_keys = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config):
        super().__init__(config)
        self.model = TokenFormerModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self):
        return self.model.embed_tokens

    def set_input_embeddings(self, value):
        self.model.embed_tokens = value

    def get_output_embeddings(self):
        return self.lm_head

    def set_output_embeddings(self, value):
        self.lm_head = value

    def prepare_inputs_for_generation(self, input_ids, attention_mask=None, **kwargs):
        # No cache: every step sees the whole sequence.
        return {"input_ids": input_ids, "attention_mask": attention_mask}

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, labels=None,
                **kwargs):
        h = self.model(input_ids, attention_mask=attention_mask,
                       inputs_embeds=inputs_embeds).last_hidden_state
        logits = torch.matmul(h, self.lm_head.weight.to(h.dtype).t()).float()
        loss = None
        if labels is not None:
            # Mean next-token cross entropy over all positions, as the project's loss.
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)),
                                   labels[:, 1:].reshape(-1), ignore_index=-100)
        return CausalLMOutput(loss=loss, logits=logits)


__all__ = ["TokenFormerConfig", "TokenFormerForCausalLM", "TokenFormerModel",
           "TokenFormerPreTrainedModel"]
