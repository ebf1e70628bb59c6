"""Write a tiny Hugging Face llama with random weights and a byte-level BPE tokenizer: `python tiny_hf.py OUT_DIR`.

Run with the vLLM cache's own Python (transformers, tokenizers and torch are there); the project does not import
it. Nothing is downloaded: the tokenizer is trained here on a few sentences, the weights are random. The text it
generates is gibberish by design. The chat template is ChatML.
"""

from __future__ import annotations

import sys

import torch  # type: ignore[import-not-found]
from tokenizers import ByteLevelBPETokenizer  # type: ignore[import-not-found]
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast  # type: ignore[import-not-found]

CORPUS = [
    "Count from one to twenty in words, separated by spaces.",
    "What is the weather and the local time in Paris and in Tokyo?",
    "Name the capital of France and its country. The answer is JSON.",
    '{"city": "Paris", "country": "France", "answer": true, "count": [1, 2, 3]}',
]
# <tool_call> and </tool_call>: vLLM's hermes tool parser looks them up in the vocabulary.
SPECIAL = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def write(out: str) -> None:
    torch.manual_seed(0)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS * 10, vocab_size=400, min_frequency=1, special_tokens=SPECIAL)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="</s>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.model_max_length = 1024
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,  # head_dim 64: vLLM's CPU attention has no kernel for smaller heads
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        torch_dtype="float32",
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


if __name__ == "__main__":
    write(sys.argv[1])
