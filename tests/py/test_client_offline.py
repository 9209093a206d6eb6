"""HF_HUB_OFFLINE=1: what the client fetched through the mirror is found in
its own cache with no server at all (the mirror's X-Repo-Commit, etags and
refs must be what the client's cache layout expects)."""

from conftest import run_python

CODE = """
import hashlib, os
from huggingface_hub import hf_hub_download, snapshot_download
for rev in ["main", "v1", "refs/pr/1"]:
    p = hf_hub_download("acme/tiny-model", "config.json", revision=rev)
    print(rev, hashlib.sha256(open(p, "rb").read()).hexdigest())
folder = snapshot_download("acme/tiny-dataset", repo_type="dataset")
print("dataset", sorted(os.listdir(os.path.join(folder, "data"))))
"""


def test_cache_filled_through_the_mirror_serves_offline(mirror, manifest, hf_home):
    online = run_python(CODE, mirror.url, hf_home)
    offline = run_python(CODE, "http://127.0.0.1:9", hf_home, offline=True)
    assert offline == online
    lines = dict(line.split(" ", 1) for line in online.strip().splitlines())
    for rev in ["main", "v1", "refs/pr/1"]:
        assert lines[rev] == manifest.files("model", "acme/tiny-model", rev)["config.json"]["sha256"]
