"""transformers loads a model's config and tokenizer through the mirror (it
reads HF_ENDPOINT itself, so it runs in a subprocess), and then again from the
cache alone with HF_HUB_OFFLINE=1."""

import transformers  # noqa: F401  (pinned in both venvs: its absence is a failure)

from conftest import run_python

LOAD = """
from transformers import AutoConfig, AutoTokenizer
config = AutoConfig.from_pretrained("acme/tiny-bert")
tokenizer = AutoTokenizer.from_pretrained("acme/tiny-bert")
print(type(config).__name__, config.hidden_size, tokenizer("hello mirror world")["input_ids"])
"""


def test_auto_config_and_tokenizer(mirror, hf_home):
    out = run_python(LOAD, mirror.url, hf_home)
    assert out.strip().splitlines()[-1] == "BertConfig 8 [2, 4, 3]"
    offline = run_python(LOAD, "http://127.0.0.1:9", hf_home, offline=True)
    assert offline.strip().splitlines()[-1] == "BertConfig 8 [2, 4, 3]"
