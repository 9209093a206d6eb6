"""HfFileSystem (what `datasets` and `pandas` use for hf:// paths) through the
mirror: ls, info, glob, find and ranged reads, byte-compared."""

import hashlib

import pytest
from huggingface_hub import HfFileSystem


@pytest.fixture
def fs(mirror):
    # A fresh instance per test: fsspec caches instances and listings.
    return HfFileSystem(endpoint=mirror.url, skip_instance_cache=True)


def test_ls_info_glob_find(fs, manifest):
    files = manifest.files("model", "acme/tiny-model")
    assert sorted(fs.ls("acme/tiny-model", detail=False)) == [
        "acme/tiny-model/README.md",
        "acme/tiny-model/config.json",
        "acme/tiny-model/model.safetensors",
        "acme/tiny-model/tokenizer",
        "acme/tiny-model/weights",
    ]
    info = fs.info("acme/tiny-model/model.safetensors")
    assert info["type"] == "file"
    assert info["size"] == files["model.safetensors"]["size"]
    assert info["lfs"]["sha256"] == files["model.safetensors"]["sha256"]
    assert fs.info("acme/tiny-model/tokenizer")["type"] == "directory"
    assert sorted(fs.glob("acme/tiny-model/**/*.json")) == [
        "acme/tiny-model/config.json",
        "acme/tiny-model/tokenizer/tokenizer.json",
    ]
    dataset = manifest.files("dataset", "acme/tiny-dataset")
    assert sorted(fs.find("datasets/acme/tiny-dataset")) == sorted(
        "datasets/acme/tiny-dataset/" + p for p in dataset)
    assert fs.ls("acme/tiny-model@v1", detail=False)  # a revision in the path
    assert not fs.exists("acme/tiny-model/no-such-file")


def test_ranged_and_whole_reads(fs, manifest):
    files = manifest.files("model", "acme/tiny-model")
    with fs.open("acme/tiny-model/model.safetensors", "rb") as f:
        whole = f.read()
    assert hashlib.sha256(whole).hexdigest() == files["model.safetensors"]["sha256"]
    with fs.open("acme/tiny-model/model.safetensors", "rb", block_size=4096) as f:
        f.seek(1_000_000)
        part = f.read(10_000)
        f.seek(len(whole) - 5)
        tail = f.read(100)
    assert part == whole[1_000_000:1_010_000]
    assert tail == whole[-5:]
    with fs.open("datasets/acme/tiny-dataset/data/train.jsonl", "r") as f:
        first = f.readline()
    assert first.startswith('{"id": 0, "split": "train"')
    v1 = manifest.files("model", "acme/tiny-model", "v1")
    data = fs.read_bytes("acme/tiny-model@v1/config.json")
    assert hashlib.sha256(data).hexdigest() == v1["config.json"]["sha256"]
