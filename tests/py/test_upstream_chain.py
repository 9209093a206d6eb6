"""Upstream chains: a hubmirror whose upstream is another hubmirror (child ->
parent -> fake hub), and an ordered `upstreams` list that goes on to the next
upstream when the first is gone."""

import re
import urllib.request

from huggingface_hub import HfApi, snapshot_download

from conftest import FakeHub, Mirror, assert_tree_matches

REPOS = [("model", "acme/tiny-model", "main"), ("model", "acme/tiny-model", "v1"),
         ("dataset", "acme/tiny-dataset", "main")]


def download_all(url, cache):
    return {(t, r, v): snapshot_download(r, repo_type=t, revision=v, endpoint=url, cache_dir=cache)
            for t, r, v in REPOS}


def test_child_of_a_parent_mirror(tmp_path, manifest):
    hub = FakeHub(tmp_path, "--page-size", "3", name="fakehub-chain")
    parent = Mirror(tmp_path, tmp_path / "parent", [hub.url], name="parent")
    child = Mirror(tmp_path, tmp_path / "child", [parent.url], name="child")
    try:
        for key, folder in download_all(child.url, tmp_path / "cache1").items():
            assert_tree_matches(folder, manifest.files(*key))
        api = HfApi(endpoint=child.url)
        assert [t.name for t in api.list_repo_refs("acme/tiny-model").tags] == ["v1"]
        assert len(api.list_repo_commits("acme/tiny-model")) == 2

        # A second child with an empty store: everything comes from the
        # parent's store, nothing from the fake hub.
        hub.reset_stats()
        second = Mirror(tmp_path, tmp_path / "child2", [parent.url], name="child2")
        try:
            for key, folder in download_all(second.url, tmp_path / "cache2").items():
                assert_tree_matches(folder, manifest.files(*key))
            stats = hub.stats()
            assert (stats["api_requests"], stats["cdn_requests"]) == (0, 0), stats["requests"]
        finally:
            second.stop()
    finally:
        for server in (child, parent, hub):
            server.stop()


def metric(url, name, upstream):
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    match = re.search(r'^%s\{upstream="%s"\} (\S+)$' % (name, re.escape(upstream)), text, re.M)
    return float(match.group(1)) if match else None


def test_second_upstream_serves_when_the_first_is_stopped(tmp_path, manifest):
    hub = FakeHub(tmp_path, "--page-size", "3", name="fakehub-list")
    first = Mirror(tmp_path, tmp_path / "first", [hub.url], name="first-upstream")
    config = tmp_path / "chain.toml"
    config.write_text(
        "[[upstreams]]\n"
        f'url = "{first.url}"\n'
        "max_attempts = 1\n"
        "connect_timeout_ms = 2000\n"
        "[[upstreams]]\n"
        f'url = "{hub.url}"\n')
    mirror = Mirror(tmp_path, tmp_path / "store", [], "--config", str(config), name="chained")
    try:
        assert metric(mirror.url, "hubmirror_upstream_serving", first.url) == 1
        first.stop()
        for key, folder in download_all(mirror.url, tmp_path / "cache").items():
            assert_tree_matches(folder, manifest.files(*key))
        assert metric(mirror.url, "hubmirror_upstream_serving", hub.url) == 1
        assert metric(mirror.url, "hubmirror_upstream_serving", first.url) == 0
        assert metric(mirror.url, "hubmirror_upstream_failovers_total", first.url) >= 1
    finally:
        for server in (mirror, first, hub):
            server.stop()
