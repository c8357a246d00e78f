"""TokenFormer for Hugging Face `transformers` (docs/checkpoints.md, "Export to Hugging Face").

`tf-export --format hf` copies configuration_tokenformer.py and modeling_tokenformer.py into the
exported directory, whose config.json names them in `auto_map`, so that

    AutoModelForCausalLM.from_pretrained(OUT, trust_remote_code=True)

needs nothing of this package installed. Importing the package registers the classes with the
Auto* factories for local use.
"""
from transformers import AutoConfig, AutoModelForCausalLM

from .configuration_tokenformer import TokenFormerConfig
from .modeling_tokenformer import TokenFormerForCausalLM, TokenFormerModel

AutoConfig.register("tokenformer", TokenFormerConfig)
AutoModelForCausalLM.register(TokenFormerConfig, TokenFormerForCausalLM)

__all__ = ["TokenFormerConfig", "TokenFormerForCausalLM", "TokenFormerModel"]
