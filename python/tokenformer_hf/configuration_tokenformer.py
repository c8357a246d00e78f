"""The configuration of a TokenFormer exported by `tf-export --format hf` (docs/checkpoints.md).

Every size is a plain field of config.json, under the names `transformers` uses where it has one:

    vocab_size            rows of the tied embedding (the vocabulary padded to a multiple of 128)
    tokenizer_vocab_size  the vocabulary the model was trained on (`model.vocab_size`)
    hidden_size, num_hidden_layers, num_attention_heads
    qkv_tokens, proj_tokens, ffn_tokens
                          parameter tokens of every Q/K/V, output and FFN Pattention (after any
                          growth: the counts of the stage the checkpoint was written in)
    pattention_norm       l2_norm_gelu | gelu_l2_norm | softmax
    pattention_scales     null, or one scale per Pattention (5 per layer: query, key, value, proj,
                          mlp), 0 meaning the default (sqrt(n), or n for softmax); a growth with
                          the `preserve` policy freezes them
    rotary_pct, rotary_emb_base, max_position_embeddings (the training sequence length)
    layer_norm_eps, pattention_eps
"""
from transformers import PreTrainedConfig

NORMS = ("l2_norm_gelu", "gelu_l2_norm", "softmax")


class TokenFormerConfig(PreTrainedConfig):
    model_type = "tokenformer"

    vocab_size: int = 384
    tokenizer_vocab_size: int | None = None
    hidden_size: int = 64
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    qkv_tokens: int = 64
    proj_tokens: int = 64
    ffn_tokens: int = 256
    pattention_norm: str = "l2_norm_gelu"
    pattention_scales: list[float] | None = None
    rotary_pct: float = 0.25
    rotary_emb_base: float = 10000.0
    max_position_embeddings: int = 2048
    layer_norm_eps: float = 1e-5
    pattention_eps: float = 1e-6
    tie_word_embeddings: bool = True
    use_cache: bool = False
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    pad_token_id: int | None = None

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        self.validate_architecture()

    def validate_architecture(self):
        if self.pattention_norm not in NORMS:
            raise ValueError(f"pattention_norm {self.pattention_norm!r}: expected one of {NORMS}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"hidden_size {self.hidden_size} is not a multiple of "
                             f"num_attention_heads {self.num_attention_heads}")
        scales = self.pattention_scales
        if scales is not None and len(scales) != 5 * self.num_hidden_layers:
            raise ValueError(f"pattention_scales has {len(scales)} entries, "
                             f"expected 5 per layer ({5 * self.num_hidden_layers})")


__all__ = ["TokenFormerConfig"]
