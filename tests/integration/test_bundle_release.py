"""The bundle builder's `release` source, run for real against a local mirror (no internet needed).

The release tree is laid out from roles/artifacts/vars/main.yml through the builder's own recipe reader: every
release URL, archive member and checksum location comes from the recipes, and the bytes are the binaries of the
warm bundle ($KUBEBIN_CACHE/bundle, `make bundle`). A stdlib HTTP server on 127.0.0.1 serves it, and
`hack/bundle.sh --source release --mirror https://<host>/=http://127.0.0.1:<port>/<host>/` builds a new bundle into
a temporary KUBEBIN_CACHE. Plain binaries are hard links into the warm bundle; archives are real gzip tarballs
written with compression level 0 (stored deflate blocks: the same format, a fraction of the time). flannel and
cri-dockerd publish no checksum file, so their sha256 is pinned with --release-sha256, as a user pins it.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import tarfile
import threading
import time

import pytest

PROJECT = pathlib.Path(__file__).resolve().parents[2]
BUNDLE_SH = PROJECT / "hack" / "bundle.sh"
WARM = pathlib.Path(os.environ.get("KUBEBIN_CACHE") or "/var/cache/kubebin")
SOURCE = WARM / "bundle"
_spec = importlib.util.spec_from_file_location("kubebin_bundle", PROJECT / "hack" / "bundle" / "bundle.py")
builder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builder)


def release_files():
    """{upstream URL: {"members": {archive member or None: binary}, "sha256_url": ..., "sums_url": ...}}."""
    defaults, rvars = builder.load_config()
    files = {}
    for comp in rvars["_artifacts_components"].values():
        rel = comp["release"]
        for binary in comp["binaries"]:
            ph = {**builder.placeholders(comp["version"], defaults["kubebin_arch"]), "binary": binary}
            url = rel["url"].format(**ph)
            sums = {k: rel[k].format(**{**rel, **ph, "url": url}) for k in ("sha256_url", "sums_url") if k in rel}
            entry = files.setdefault(url, {"members": {}, **sums})
            entry["members"][rel["member"].format(**ph) if rel.get("member") else None] = binary
    return files


def sha256(path):
    return builder.sha256_file(str(path))


def link_or_copy(src, dest):
    try:
        os.link(src, dest)
    except OSError:  # another filesystem
        shutil.copyfile(src, dest)


class Tree:
    """The upstream-shaped release tree: root/<host>/<path> for every release and checksum URL."""

    def __init__(self, root):
        self.root = root
        self.files = release_files()
        sums = (SOURCE / "SHA256SUMS").read_text()
        self.source = {rel: digest for digest, rel in (line.split() for line in sums.splitlines())}
        self.pins, lists = {}, {}
        for url, f in self.files.items():
            path = self.path(url)
            path.parent.mkdir(parents=True, exist_ok=True)
            if None in f["members"]:
                link_or_copy(SOURCE / "bin" / f["members"][None], path)
                digest = self.source["bin/" + f["members"][None]]
            elif url.endswith((".tar.gz", ".tgz")):
                with tarfile.open(path, "w:gz", compresslevel=0) as tf:
                    for member, binary in f["members"].items():
                        tf.add(SOURCE / "bin" / binary, arcname=member)
                digest = sha256(path)
            else:
                pytest.fail(f"{url}: the test knows no archive format for this release file")
            name = url.rsplit("/", 1)[1]
            if "sha256_url" in f:
                self.path(f["sha256_url"]).write_text(f"{digest}  {name}\n")
            elif "sums_url" in f:
                lists.setdefault(f["sums_url"], []).append(f"{digest}  {name}\n")
            else:
                self.pins[name] = digest
        for url, lines in lists.items():
            self.path(url).write_text("".join(lines))
        self.served = sorted("/" + str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        self.hosts = sorted({p.split("/")[1] for p in self.served})

    def path(self, url, root=None):
        assert url.startswith("https://"), f"{url}: release URLs are expected to be https"
        return (root or self.root) / url[len("https://"):]


class Mirror:
    """A stdlib HTTP server on 127.0.0.1 (random port) serving a hard-linked copy of the tree, logging requests."""

    def __init__(self, tree, root):
        shutil.copytree(tree.root, root, copy_function=os.link)
        self.root, self.requests = root, []
        mirror = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_request(self, code="-", size="-"):
                mirror.requests.append((self.path, int(code)))

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                pass  # requests are recorded by log_request; keep pytest's output clean

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      functools.partial(Handler, directory=str(root)))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def flags(self, tree):
        port = self.server.server_address[1]
        flags = []
        for host in tree.hosts:
            flags += ["--mirror", f"https://{host}/=http://127.0.0.1:{port}/{host}/"]
        for name, digest in sorted(tree.pins.items()):
            flags += ["--release-sha256", f"{name}={digest}"]
        return flags

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    wanted = [b for f in release_files().values() for b in f["members"].values()]
    missing = [b for b in wanted if not (SOURCE / "bin" / b).is_file()]
    if missing or not (SOURCE / "SHA256SUMS").is_file():
        pytest.fail(f"the warm bundle {SOURCE} is missing or incomplete (no {', '.join(missing) or 'SHA256SUMS'}): "
                    "run `make bundle` first")
    started = time.monotonic()
    t = Tree(tmp_path_factory.mktemp("upstream"))
    print(f"release tree: {len(t.served)} files in {time.monotonic() - started:.1f}s")
    return t


@pytest.fixture
def mirror(tree, tmp_path):
    m = Mirror(tree, tmp_path / "served")
    yield m
    m.close()


def build(cache, flags):
    env = {**os.environ, "KUBEBIN_CACHE": str(cache), "no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1",
           # the two images are built with Go; the warm build cache makes that a link step
           "GOCACHE": os.environ.get("GOCACHE") or str(WARM / "go" / "build")}
    started = time.monotonic()
    run = subprocess.run([str(BUNDLE_SH), "--source", "release", *flags], env=env, capture_output=True,
                         text=True, timeout=900, check=False)
    return run.returncode, run.stdout + run.stderr, time.monotonic() - started


def leftovers(cache):
    """Temporary or partial files anywhere in the new cache's bundle and downloads."""
    return [str(p) for d in ("bundle", "downloads") for p in (cache / d).rglob("*")
            if p.name.startswith(".tmp-") or p.name.endswith(".part")]


def test_release_bundle_through_a_mirror(tree, mirror, tmp_path):
    cache = tmp_path / "cache"
    rc, out, first = build(cache, mirror.flags(tree))
    assert rc == 0, out[-4000:]
    # Every release file and checksum file was fetched from the mirror exactly once (an archive holding several
    # binaries too), and nothing else: an unmirrored URL would have gone to the internet and failed.
    assert sorted(p for p, _code in mirror.requests) == tree.served, out[-4000:]
    assert {code for _p, code in mirror.requests} == {200}
    bundle = cache / "bundle"
    got = {f"bin/{p.name}": sha256(p) for p in (bundle / "bin").iterdir()}
    want = {rel: digest for rel, digest in tree.source.items() if rel.startswith("bin/")}
    assert got == want, "the release bundle's binaries differ from the warm bundle's"
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["source"] == "release"
    assert not leftovers(cache)

    mirror.requests.clear()
    rc, out, second = build(cache, mirror.flags(tree))
    print(f"first run {first:.1f}s, second run {second:.1f}s")
    assert rc == 0, out[-4000:]
    assert mirror.requests == [], "the second run downloaded again"
    assert out.count(": up to date") == len(manifest["files"]), out
    assert second < first / 2, f"the second run took {second:.1f}s, the first {first:.1f}s"


def first_archive_with_several_binaries(tree):
    return next(u for u, f in tree.files.items() if len(f["members"]) > 1 and ("sha256_url" in f or "sums_url" in f))


def test_tampered_checksum_is_refused(tree, mirror, tmp_path):
    url = first_archive_with_several_binaries(tree)
    f, name = tree.files[url], url.rsplit("/", 1)[1]
    checksum = tree.path(f.get("sha256_url") or f["sums_url"], mirror.root)
    bad = hashlib.sha256(b"tampered").hexdigest()
    text = checksum.read_text()
    checksum.unlink()  # a hard link into the shared tree: replace it, never write through it
    checksum.write_text("".join(f"{bad}  {name}\n" if line.split()[1] == name else line + "\n"
                                for line in text.splitlines()))
    cache = tmp_path / "cache"
    rc, out, took = build(cache, mirror.flags(tree))
    print(f"failed run {took:.1f}s")
    assert rc != 0
    assert f"{name}: downloaded from " in out and "does not match the published checksum" in out, out[-2000:]
    assert bad in out, out[-2000:]
    binaries = set(f["members"].values())
    landed = {p.name for p in (cache / "bundle" / "bin").iterdir()}
    assert not landed & binaries, f"{sorted(landed & binaries)} landed in bin/ from an archive that did not verify"
    assert not list((cache / "downloads").rglob(name)), "the archive that did not verify was kept"
    assert not leftovers(cache)
    # The components before it did land, whole.
    for binary in landed:
        assert (cache / "bundle" / "bin" / binary).stat().st_size == (SOURCE / "bin" / binary).stat().st_size


def test_missing_release_file_names_the_url(tree, mirror, tmp_path):
    url = next(iter(tree.files))  # the first release file the builder asks for
    tree.path(url, mirror.root).unlink()
    cache = tmp_path / "cache"
    rc, out, _took = build(cache, mirror.flags(tree))
    port = mirror.server.server_address[1]
    served = f"http://127.0.0.1:{port}/" + url.split("://", 1)[1]
    assert rc != 0
    assert f"download failed: {served} (mirror of {url}): HTTP Error 404" in out, out[-2000:]
    assert not leftovers(cache)


def test_mirror_table(capsys):
    table = builder.mirror_table({"https://github.com/": "https://m.example/gh/"},
                                 ["https://github.com/etcd-io/=http://127.0.0.1:1/etcd/",
                                  "https://dl.k8s.io/=https://m.example/k8s/"])
    assert builder.mirrored(table, "https://github.com/etcd-io/etcd/x.tgz") == "http://127.0.0.1:1/etcd/etcd/x.tgz"
    assert builder.mirrored(table, "https://github.com/a/b") == "https://m.example/gh/a/b"
    assert builder.mirrored(table, "https://dl.k8s.io/release/v1/k") == "https://m.example/k8s/release/v1/k"
    assert builder.mirrored(table, "https://example.org/x") == "https://example.org/x"
    for configured, flags, says in [
        ({}, ["https://github.com/=ftp://m.example/"], "must start with http:// or https://"),
        ({"github.com/": "https://m.example/"}, [], "the upstream prefix must start with http://"),
        ({}, ["https://github.com/"], "expected NAME=VALUE"),
        (["https://github.com/"], [], "must be a dict"),
    ]:
        with pytest.raises(SystemExit):
            builder.mirror_table(configured, flags)
        assert says in capsys.readouterr().err
