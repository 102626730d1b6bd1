"""Build or download the kubebin offline artifact bundle.

Reads roles/kubebin/defaults/main.yml (versions, image names, arch: the cluster-wide values),
roles/artifacts/defaults/main.yml (release mirrors and pinned checksums) and roles/artifacts/vars/main.yml (what
each component is made of) and produces, under $KUBEBIN_CACHE/bundle: bin/, images/, SHA256SUMS and manifest.json.

Sources: `source` (default) builds every binary from its upstream Go module through the Go module proxy, with the
version stamped the way upstream does; `release` downloads the official release files and checks them against
the checksums published next to them, through the mirrors of artifacts_release_mirrors and --mirror when set.
Our own images (hack/images) are always built locally.

Each finished file is recorded in manifest.json with a key (its recipe, source and, for what is built, the Go
version) and its sha256; a later run skips a file whose key matches and which still hashes the same.
Files are written to a temporary name and renamed, so an interrupted run resumes cleanly.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(REPO, "roles", "artifacts")
VALUES = os.path.join(REPO, "roles", "kubebin", "defaults", "main.yml")
IMAGES_SRC = os.path.join(REPO, "hack", "images")


def log(msg):
    sys.stdout.write(f"==> [bundle] {msg}\n")
    sys.stdout.flush()


def die(msg):
    sys.stderr.write(f"==> [bundle] ERROR: {msg}\n")
    sys.exit(1)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def copy_hashed(src, dest):
    """Copy the file object `src` into the file `dest`; return the sha256 of what was written."""
    h = hashlib.sha256()
    with open(dest, "wb") as f:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            h.update(chunk)
            f.write(chunk)
    return h.hexdigest()


def write_atomic(path, data, mode=0o644):
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def load_config(overrides=None):
    """Values from the kubebin and artifacts defaults (then `overrides`), recipes from the artifacts vars;
    '{{ name }}' references to a plain string value are resolved, any other Jinja is refused (this is not Ansible: it
    would build something else)."""
    defaults = {}
    for path in (VALUES, os.path.join(ROLE, "defaults", "main.yml")):
        with open(path) as f:
            defaults.update(yaml.safe_load(f) or {})
    defaults.update(overrides or {})
    with open(os.path.join(ROLE, "vars", "main.yml")) as f:
        rvars = yaml.safe_load(f)
    rvars = {k: v for k, v in rvars.items() if k in ("_artifacts_components", "_artifacts_image_files")}

    def resolve(value, where):
        if isinstance(value, str):
            def sub(m):
                name = m.group(1)
                if name not in defaults or not isinstance(defaults[name], str) or "{" in defaults[name]:
                    die(f"{where}: cannot resolve '{{{{ {name} }}}}': the bundle builder resolves only references to "
                        f"plain string values of roles/kubebin/defaults/main.yml or roles/artifacts/defaults/main.yml")
                return defaults[name]
            out = re.sub(r"\{\{\s*(\w+)\s*\}\}", sub, value)
            if "{{" in out or "{%" in out:
                die(f"{where}: '{value}' uses Jinja the bundle builder cannot resolve (only '{{{{ name }}}}' of a plain "
                    f"value); write the value itself in roles/artifacts/vars/main.yml")
            return out
        if isinstance(value, dict):
            return {k: resolve(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    return defaults, {k: resolve(v, k) for k, v in rvars.items()}


def tree_hash(top, skip=None):
    """sha256 over the names and contents of every file below `top`, leaving out the subdirectories (and what they
    hold) for which skip(directory) is true."""
    h = hashlib.sha256()
    files = []
    for d, dirs, fs in os.walk(top):
        dirs[:] = sorted(x for x in dirs if not (skip and skip(os.path.join(d, x))))
        files += [os.path.join(d, f) for f in fs]
    for path in sorted(files):
        h.update(path[len(top):].encode())
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def local_copy(path):
    """Where the wrapper module keeps its copy of a local_replaces tree (`path`, relative to the repository). The
    replace directive names this relative path, so the binary's build info (`go version -m`) does not carry the
    checkout's location and the same sources give the same binary from any checkout."""
    return "./local/" + os.path.basename(path.rstrip("/"))


def sync_tree(src, dest):
    """Make `dest` an exact copy of the tree `src`, replacing it whole when any name or content differs."""
    if os.path.isdir(dest) and tree_hash(dest) == tree_hash(src):
        return
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest)


def placeholders(version, arch):
    m = re.match(r"v?(\d+)\.(\d+)", version)
    return {
        "version": version,
        "v": version.lstrip("v"),
        "arch": arch,
        "major": m.group(1) if m else "",
        "minor": m.group(2) if m else "",
        # Fixed per version, so that rebuilding gives the same bytes (upstream uses the commit date).
        "date": "1970-01-01T00:00:00Z",
    }


def pairs(flags, option):
    """Repeated `--option NAME=VALUE` flags as a dict (a later flag wins)."""
    out = {}
    for flag in flags:
        name, sep, value = flag.partition("=")
        if not sep or not name or not value:
            die(f"{option} {flag!r}: expected NAME=VALUE")
        out[name] = value
    return out


def mirror_table(configured, flags):
    """{upstream URL prefix: replacement prefix} from artifacts_release_mirrors, extended and overridden by the
    --mirror FROM=TO flags. Both sides must be http(s) URLs."""
    if not isinstance(configured, dict):
        die("artifacts_release_mirrors (roles/artifacts/defaults/main.yml) must be a dict "
            "{upstream URL prefix: mirror URL prefix}")
    table = {**configured, **pairs(flags, "--mirror")}
    for upstream, mirror in table.items():
        for what, url in (("upstream prefix", upstream), ("replacement", mirror)):
            if not isinstance(url, str) or not re.match(r"https?://[^/\s]+", url):
                die(f"release mirror {upstream!r} -> {mirror!r}: the {what} must start with http:// or https:// "
                    "and a host, e.g. https://github.com/=https://mirror.example.org/github/")
    return table


def mirrored(mirrors, url):
    """`url` with its longest matching upstream prefix replaced by that prefix's mirror."""
    prefix = max((p for p in mirrors if url.startswith(p)), key=len, default="")
    return mirrors[prefix] + url[len(prefix):] if prefix else url


class Builder:
    def __init__(self, args):
        self.args = args
        kube = args.kubernetes_version
        if kube and not re.fullmatch(r"v\d+\.\d+\.\d+", kube):
            die(f"--kubernetes-version {kube!r}: expected a release tag such as v1.36.3")
        self.defaults, self.vars = load_config({"kubebin_kubernetes_version": kube} if kube else None)
        self.arch = self.defaults["kubebin_arch"]
        self.cache = os.path.abspath(args.cache)
        # Another Kubernetes release goes into a bundle of its own (bundle-<version>), beside the default one; its
        # other files are taken from the default bundle when that one holds the same build (same key).
        self.bundle = os.path.join(self.cache, f"bundle-{kube}" if kube else "bundle")
        self.primary = os.path.join(self.cache, "bundle") if kube else None
        self.work = os.path.join(self.cache, "work")
        self.manifest_path = os.path.join(self.bundle, "manifest.json")
        try:
            with open(self.manifest_path) as f:
                self.manifest = json.load(f)
        except (OSError, ValueError):
            self.manifest = {}
        self.manifest.setdefault("files", {})
        self.mirrors = mirror_table(self.defaults.get("artifacts_release_mirrors") or {}, args.mirror)
        pins = self.defaults.get("artifacts_release_sha256") or {}
        if not isinstance(pins, dict):
            die("artifacts_release_sha256 (roles/artifacts/defaults/main.yml) must be a dict {archive name: sha256}")
        self.pins = {**pins, **pairs(args.release_sha256, "--release-sha256")}
        self.env = dict(os.environ)
        self.env.update({
            "GOMODCACHE": self.env.get("GOMODCACHE") or os.path.join(self.cache, "go", "mod"),
            "GOCACHE": self.env.get("GOCACHE") or os.path.join(self.cache, "go", "build"),
            "GOFLAGS": "-modcacherw -buildvcs=false",
            "GOTOOLCHAIN": "local",
            "CGO_ENABLED": "0",
            "GOOS": "linux",
            "GOARCH": self.arch,
        })
        self._go_version = None

    # --- helpers ---------------------------------------------------------------------------------------------
    def go(self, *argv, cwd=None, capture=False, cgo=False):
        cmd = ["go", *argv]
        env = {**self.env, "CGO_ENABLED": "1" if cgo else "0"}
        if capture:
            return subprocess.run(cmd, cwd=cwd, env=env, check=True, text=True, stdout=subprocess.PIPE).stdout
        r = subprocess.run(cmd, cwd=cwd, env=env, check=False)
        if r.returncode != 0:
            die(f"failed ({r.returncode}): {' '.join(cmd)} (in {cwd})")
        return ""

    def go_version(self):
        if self._go_version is None:
            if not shutil.which("go"):
                die("`go` is not on PATH (Go >= 1.26 is needed for the `source` bundle; /usr/local/go/bin?)")
            self._go_version = self.go("env", "GOVERSION", capture=True).strip()
        return self._go_version

    def key(self, recipe, go=True):
        """Build key of one file: what it is made from. A file whose key changed is made again."""
        blob = json.dumps({"recipe": recipe, "source": self.args.source, "arch": self.arch,
                           "go": self.go_version() if go else None}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def up_to_date(self, rel, key):
        entry = self.manifest["files"].get(rel)
        if (not entry or entry.get("key") != key) and self.primary:
            entry = self.from_primary(rel, key)
        if not entry or entry.get("key") != key:
            return False
        path = os.path.join(self.bundle, rel)
        if not os.path.isfile(path) or sha256_file(path) != entry.get("sha256"):
            log(f"{rel} is missing or changed, making it again")
            return False
        return True

    def from_primary(self, rel, key):
        """The default bundle's manifest entry for `rel` after copying its file here, when it has the same build."""
        try:
            with open(os.path.join(self.primary, "manifest.json")) as f:
                entry = json.load(f)["files"].get(rel)
        except (OSError, ValueError, KeyError):
            return None
        src = os.path.join(self.primary, rel)
        if not entry or entry.get("key") != key or not os.path.isfile(src):
            return None
        dest = os.path.join(self.bundle, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        tmp = os.path.join(os.path.dirname(dest), f".tmp-{os.path.basename(rel)}")
        shutil.copy2(src, tmp)
        os.replace(tmp, dest)
        self.manifest["files"][rel] = entry
        self.save_manifest()
        log(f"{rel}: the same build as the default bundle's, copied from it")
        return entry

    def record(self, rel, key, component, version, sha256=None):
        self.manifest["files"][rel] = {"key": key, "component": component, "version": version,
                                       "sha256": sha256 or sha256_file(os.path.join(self.bundle, rel))}
        self.save_manifest()

    def save_manifest(self):
        write_atomic(self.manifest_path, json.dumps(self.manifest, indent=2, sort_keys=True) + "\n")

    def check_version(self, path, args, expect):
        """Run the binary's version command; its output must contain the declared version."""
        env = {"PATH": "/usr/bin:/bin"}
        try:
            r = subprocess.run([path, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            die(f"{os.path.basename(path)}: cannot run version check: {e}")
        out = r.stdout.strip()
        if expect not in out:
            die(f"{os.path.basename(path)} {' '.join(args)} says {out[:200]!r}, expected it to contain {expect!r}")
        return next(line.strip() for line in out.splitlines() if expect in line)

    # --- Go wrapper modules -----------------------------------------------------------------------------------
    def module_dir(self, module, version):
        out = self.go("mod", "download", "-json", f"{module}@{version}", capture=True)
        info = json.loads(out)
        if info.get("Error"):
            die(f"go mod download {module}@{version}: {info['Error']}")
        return info["Dir"]

    @staticmethod
    def parse_replaces(gomod_text):
        """Return (module-replaces, local-path-replaces) of a go.mod as lists of (old, new) strings."""
        reps, local = [], []
        in_block = False
        for raw in gomod_text.splitlines():
            line = raw.split("//")[0].strip()
            if line.startswith("replace ("):
                in_block = True
                continue
            if in_block and line == ")":
                in_block = False
                continue
            if line.startswith("replace "):
                line = line[len("replace "):]
            elif not in_block:
                continue
            if "=>" not in line:
                continue
            old, new = (s.strip() for s in line.split("=>", 1))
            (local if new.startswith(".") or new.startswith("/") else reps).append((old, new))
        return reps, local

    def wrapper(self, name, comp, ph):
        """Create (or reuse) $KUBEBIN_CACHE/work/<name>-<version>: a module requiring the upstream module(s)."""
        version = comp["version"]
        modules = [comp["module"], *comp.get("extra_modules", [])]
        main_dir = self.module_dir(comp["module"], version)
        with open(os.path.join(main_dir, "go.mod")) as f:
            upstream = f.read()
        go_line = re.search(r"^go\s+(\S+)", upstream, re.M)
        reps, local = self.parse_replaces(upstream)
        for extra in comp.get("extra_modules", []):
            with open(os.path.join(self.module_dir(extra, version), "go.mod")) as f:
                more = self.parse_replaces(f.read())[0]
            reps += [r for r in more if r not in reps]
        if comp.get("staging"):
            staging_version = "v0.%s.%s" % (ph["minor"], version.split(".")[2])
            for old, new in local:
                if new.startswith("./staging/"):
                    reps.append((old, f"{old} {staging_version}"))
        wdir = os.path.join(self.work, f"{name}-{version}")
        for old, path in comp.get("local_replaces", {}).items():
            sync_tree(os.path.join(REPO, path), os.path.join(wdir, local_copy(path)))
            reps.append((old, local_copy(path)))
        lines = [f"module kubebin.local/bundle/{name}", "", f"go {go_line.group(1) if go_line else '1.26'}", "",
                 "require ("]
        lines += [f"\t{m} {version}" for m in modules]
        lines += [")", ""]
        if reps:
            lines += ["replace ("] + [f"\t{o} => {n}" for o, n in reps] + [")", ""]
        gomod = "\n".join(lines)
        pkgs = sorted({b["package"] for b in comp["binaries"].values()})
        tools = "//go:build tools\n\npackage tools\n\nimport (\n" + "".join(f'\t_ "{p}"\n' for p in pkgs) + ")\n"
        stamp = hashlib.sha256((gomod + tools).encode()).hexdigest()
        stamp_path = os.path.join(wdir, ".tidy-stamp")
        try:
            with open(stamp_path) as f:
                if f.read().strip() == stamp:
                    return wdir
        except OSError:
            pass
        os.makedirs(wdir, exist_ok=True)
        write_atomic(os.path.join(wdir, "go.mod"), gomod)
        write_atomic(os.path.join(wdir, "tools.go"), tools)
        log(f"{name}: resolving dependencies of {comp['module']}@{version} (go mod tidy)")
        # -e: some upstream modules' test-only dependencies are ambiguous or not served; the build of the
        # commands themselves (next step) still fails loudly if anything it needs is missing.
        self.go("mod", "tidy", "-e", cwd=wdir)
        write_atomic(stamp_path, stamp + "\n")
        return wdir

    # --- components -------------------------------------------------------------------------------------------
    def build_source(self, name, comp, todo):
        ph = placeholders(comp["version"], self.arch)
        wdir = self.wrapper(name, comp, ph)
        ldflags = " ".join(comp.get("ldflags", "").format(**ph).split())
        for binary, step in todo:
            b = comp["binaries"][binary]
            log(f"{step}/{self.total} {binary}: building {b['package']}@{comp['version']}")
            tags = b.get("tags", comp.get("tags", []))
            out = os.path.join(self.bundle, "bin", f".tmp-{binary}")
            started = time.time()
            self.go("build", "-p", str(self.args.jobs), "-trimpath", "-ldflags", ldflags,
                    *(["-tags", ",".join(tags)] if tags else []), "-o", out, b["package"], cwd=wdir,
                    cgo=comp.get("cgo", False))
            # A local directory in the build info (a replace by absolute path) would make the binary differ per checkout.
            local = re.findall(r"^\s*=>\s+(/\S+)", self.go("version", "-m", out, capture=True), re.M)
            if local:
                os.unlink(out)
                die(f"{binary}: its build info names local directories {local}; replace them by paths inside the "
                    "wrapper module (see local_copy) so the binary is the same from any checkout")
            os.chmod(out, 0o755)
            os.replace(out, os.path.join(self.bundle, "bin", binary))
            log(f"{step}/{self.total} {binary}: built in {time.time() - started:.0f}s")

    def download(self, url, dest=None):
        """GET `url` through the mirrors: the body, or (with `dest`) its sha256 after streaming it into dest."""
        real = mirrored(self.mirrors, url)
        via = f" (mirror of {url})" if real != url else ""
        try:
            with urllib.request.urlopen(real, timeout=60) as r:
                if dest is None:
                    return r.read()
                log(f"downloading {real}{via}")
                return copy_hashed(r, dest)
        except OSError as e:  # HTTP errors, unreachable hosts and timeouts are all OSErrors
            if dest and os.path.exists(dest):
                os.unlink(dest)
            die(f"download failed: {real}{via}: {e}")
        return ""

    def published_sha256(self, rel, url, filename):
        """(sha256, where it comes from) that the project publishes for `url`: a .sha256 file, a SHA256SUMS list,
        or a pin (artifacts_release_sha256 / --release-sha256) for projects that publish none."""
        ph = {**rel, "url": url}
        if rel.get("sha256_url") or rel.get("sums_url"):
            where = (rel.get("sha256_url") or rel["sums_url"]).format(**ph)
            text = self.download(where).decode(errors="replace")
            if rel.get("sha256_url"):
                found = text.split()[:1]
            else:
                found = [p[0] for p in (line.split() for line in text.splitlines())
                         if len(p) == 2 and p[1].lstrip("*").rsplit("/", 1)[-1] == filename]
                if not found:
                    die(f"{filename} is not listed in {mirrored(self.mirrors, where)}")
            where = mirrored(self.mirrors, where)
        else:
            where = f"artifacts_release_sha256['{filename}']"
            found = [self.pins[filename]] if filename in self.pins else []
            if not found:
                die(f"{url}: the project publishes no checksum; pin one as artifacts_release_sha256['{filename}'] "
                    f"in roles/artifacts/defaults/main.yml or pass --release-sha256 {filename}=<sha256>")
        if not found or not re.fullmatch(r"[0-9a-fA-F]{64}", found[0]):
            die(f"{where} holds no sha256 for {filename}")
        return found[0].lower(), where

    def release_file(self, rel, ph, url, dl):
        """The release file `url` in the download directory `dl`, downloaded only when it is missing or differs
        from the published checksum; a download that does not match is deleted, never kept."""
        filename = url.rsplit("/", 1)[1]
        local = os.path.join(dl, filename)
        want, where = self.published_sha256({**rel, **ph}, url, filename)
        if os.path.isfile(local) and sha256_file(local) == want:
            return local, want
        part = local + ".part"
        got = self.download(url, part)
        if got != want:
            os.unlink(part)
            die(f"{filename}: downloaded from {mirrored(self.mirrors, url)}, its sha256 {got} does not match the "
                f"published checksum {want} ({where})")
        os.replace(part, local)
        return local, want

    def build_release(self, name, comp, todo):
        ph = placeholders(comp["version"], self.arch)
        rel = comp["release"]
        dl = os.path.join(self.cache, "downloads", f"{name}-{comp['version']}")
        os.makedirs(dl, exist_ok=True)
        files = {}  # url -> (verified local file, sha256): an archive of several binaries is fetched once
        made = {}  # binary -> sha256
        for binary, step in todo:
            bph = {**ph, "binary": binary}
            url = rel["url"].format(**bph)
            if url not in files:
                files[url] = self.release_file(rel, bph, url, dl)
            local, made[binary] = files[url]
            log(f"{step}/{self.total} {binary}: from {os.path.basename(local)}")
            out = os.path.join(self.bundle, "bin", f".tmp-{binary}")
            if rel.get("member"):
                member = rel["member"].format(**bph)
                try:
                    with tarfile.open(local) as tf:
                        src = tf.extractfile(member)  # KeyError when missing, None when not a regular file
                        if src is None:
                            raise KeyError(f"{member} is not a regular file")
                        with src:
                            made[binary] = copy_hashed(src, out)
                except (KeyError, tarfile.TarError) as e:
                    if os.path.exists(out):
                        os.unlink(out)
                    die(f"{os.path.basename(local)} has no file {member}: {e}")
            else:
                shutil.copyfile(local, out)
            os.chmod(out, 0o755)
            os.replace(out, os.path.join(self.bundle, "bin", binary))
        return made

    # --- images -----------------------------------------------------------------------------------------------
    @staticmethod
    def image_spec(key):
        """How hack/images/<key> is built. A directory with its own go.mod is a module of its own (an image built
        from an upstream Go module: its go.sum pins every dependency); the others are packages of the shared module
        hack/images. An optional build.json says what differs from the defaults: `package` (what `go build` builds:
        "." of the own module, else ./<key>), `ldflags` (added to -s -w; placeholders {version} and {v} from the
        image tag), `ports` (ExposedPorts of the image, e.g. "53/udp")."""
        src = os.path.join(IMAGES_SRC, key)
        own = os.path.isfile(os.path.join(src, "go.mod"))
        spec = {"package": "." if own else f"./{key}", "ldflags": "", "ports": []}
        build_json = os.path.join(src, "build.json")
        if os.path.isfile(build_json):
            with open(build_json) as f:
                spec.update(json.load(f))
        spec["dir"] = src if own else IMAGES_SRC
        return spec

    @staticmethod
    def check_image_module(key, image, spec):
        if not spec.get("module"):
            return
        tag = image.rsplit(":", 1)[1]
        with open(os.path.join(spec["dir"], "go.mod")) as f:
            gomod = f.read()
        if not re.search(rf"^\s*(require\s+)?{re.escape(spec['module'])}\s+v?{re.escape(tag.lstrip('v'))}\s*$", gomod, re.M):
            die(f"{image}: hack/images/{key}/go.mod does not require {spec['module']} at the tag's version {tag}; "
                f"change both together (cd hack/images/{key} && go get {spec['module']}@v{tag.lstrip('v')} && "
                "go mod tidy)")

    def build_image(self, key, image, step):
        spec = self.image_spec(key)
        self.check_image_module(key, image, spec)
        rel = f"images/{key}.tar"
        # Made again when its own sources change: its module (own go.mod) or the shared module without the others.
        sources = (tree_hash(spec["dir"]) if spec["dir"] != IMAGES_SRC
                   else tree_hash(IMAGES_SRC, skip=lambda d: os.path.isfile(os.path.join(d, "go.mod"))))
        rk = self.key({"image": image, "sources": sources})
        if self.up_to_date(rel, rk):
            log(f"{step}/{self.total} {image}: up to date")
            return rel
        log(f"{step}/{self.total} {image}: building {spec['package']} in {spec['dir']}")
        started = time.time()
        tag = image.rsplit(":", 1)[1]
        ldflags = " ".join(["-s -w", spec["ldflags"].format(version=tag, v=tag.lstrip("v"))]).strip()
        with tempfile.TemporaryDirectory() as tmp:
            binpath = os.path.join(tmp, key)
            self.go("build", "-trimpath", "-ldflags", ldflags, "-o", binpath, spec["package"], cwd=spec["dir"])
            if spec.get("version_args") is not None:
                said = self.check_version(binpath, spec["version_args"], tag.lstrip("v"))
                log(f"{image}: version check ok: {said}")
            with open(binpath, "rb") as f:
                program = f.read()
        write_atomic(os.path.join(self.bundle, rel), docker_archive(image, key, program, self.arch, spec["ports"]))
        self.record(rel, rk, f"image-{key}", image)
        log(f"{image}: built in {time.time() - started:.1f}s")
        return rel

    # --- main -------------------------------------------------------------------------------------------------
    def run(self):
        started = time.time()
        source = self.args.source
        os.makedirs(os.path.join(self.bundle, "bin"), exist_ok=True)
        comps = self.vars["_artifacts_components"]
        images = self.vars["_artifacts_image_files"]
        self.total = sum(len(c["binaries"]) for c in comps.values()) + len(images)
        log(f"source={source} cache={self.cache} ({self.total} artifacts)")
        if source == "release":
            for upstream, mirror in sorted(self.mirrors.items()):
                log(f"mirror: {upstream} -> {mirror}")
        wanted, step = [], 0
        for name, comp in comps.items():
            ph = placeholders(comp["version"], self.arch)
            base = ({k: v for k, v in comp.items() if k not in ("release", "binaries")} if source == "source"
                    else {"version": comp["version"], "release": comp["release"]})
            if source == "source" and comp.get("local_replaces"):
                base["local_copies"] = {local_copy(p): tree_hash(os.path.join(REPO, p))
                                        for p in comp["local_replaces"].values()}
            todo, keys = [], {}
            for binary, b in comp["binaries"].items():
                step += 1
                rel = f"bin/{binary}"
                wanted.append(rel)
                keys[binary] = self.key({**base, "binary": binary, "spec": b if source == "source" else {}},
                                        go=source == "source")
                if self.up_to_date(rel, keys[binary]):
                    log(f"{step}/{self.total} {binary} {comp['version']}: up to date")
                else:
                    todo.append((binary, step))
            if not todo:
                continue
            made = (self.build_source if source == "source" else self.build_release)(name, comp, todo) or {}
            for binary, _step in todo:
                said = self.check_version(os.path.join(self.bundle, "bin", binary),
                                          comp["binaries"][binary]["version_args"], ph["v"])
                log(f"{binary}: version check ok: {said}")
                self.record(f"bin/{binary}", keys[binary], name, comp["version"], made.get(binary))
        for key, image in images.items():
            step += 1
            wanted.append(self.build_image(key, image, step))
        # Forget (and delete) files that are no longer part of the bundle.
        for stale in set(self.manifest["files"]) - set(wanted):
            del self.manifest["files"][stale]
            if os.path.exists(os.path.join(self.bundle, stale)):
                os.unlink(os.path.join(self.bundle, stale))
        self.manifest["source"] = source
        self.manifest["arch"] = self.arch
        self.manifest["versions"] = {k: v for k, v in self.defaults.items()
                                     if k.endswith("_version") or k.endswith("_image")}
        self.save_manifest()
        sums = "".join(f"{self.manifest['files'][rel]['sha256']}  {rel}\n" for rel in sorted(wanted))
        write_atomic(os.path.join(self.bundle, "SHA256SUMS"), sums)
        log(f"done in {time.time() - started:.1f}s: {len(wanted)} files in {self.bundle} (SHA256SUMS, manifest.json)")

    def verify_versions(self):
        """Run every binary's version command again; each must report the declared version."""
        for name, comp in self.vars["_artifacts_components"].items():
            v = placeholders(comp["version"], self.arch)["v"]
            for binary, b in comp["binaries"].items():
                said = self.check_version(os.path.join(self.bundle, "bin", binary), b["version_args"], v)
                log(f"{binary} {' '.join(b['version_args'])}: {said}")


def docker_archive(image, key, program, arch, ports=()):
    """A `docker save`-format tarball with one layer holding /<key>; both `docker load` and `ctr images import`
    accept it. Every timestamp is 0 and every owner root, so the bytes depend on the program only."""

    def tar_bytes(entries):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
            for path, data, mode in entries:
                ti = tarfile.TarInfo(path)
                ti.size, ti.mode, ti.mtime, ti.uid, ti.gid = len(data), mode, 0, 0, 0
                tf.addfile(ti, io.BytesIO(data))
        return buf.getvalue()

    layer = tar_bytes([(key, program, 0o755)])
    layer_id = hashlib.sha256(layer).hexdigest()
    cfg = {
        "architecture": arch, "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {"Entrypoint": [f"/{key}"], "Env": ["PATH=/"], "WorkingDir": "/",
                   **({"ExposedPorts": {p: {} for p in ports}} if ports else {})},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_id}"]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": f"kubebin hack/images/{key}"}],
    }
    cfg_bytes = json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()
    cfg_id = hashlib.sha256(cfg_bytes).hexdigest()
    repo, tag = image.rsplit(":", 1)
    manifest = [{"Config": f"{cfg_id}.json", "RepoTags": [image], "Layers": [f"{layer_id}/layer.tar"]}]
    return tar_bytes([
        (f"{layer_id}/VERSION", b"1.0", 0o644),
        (f"{layer_id}/json", json.dumps({"id": layer_id, "created": "1970-01-01T00:00:00Z"}).encode(), 0o644),
        (f"{layer_id}/layer.tar", layer, 0o644),
        (f"{cfg_id}.json", cfg_bytes, 0o644),
        ("manifest.json", json.dumps(manifest).encode(), 0o644),
        ("repositories", json.dumps({repo: {tag: layer_id}}).encode(), 0o644),
    ])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", choices=["source", "release"],
                   default=os.environ.get("KUBEBIN_BUNDLE_SOURCE", "source"))
    p.add_argument("--cache", default=os.environ.get("KUBEBIN_CACHE") or "/var/cache/kubebin")
    p.add_argument("--jobs", type=int, default=int(os.environ.get("KUBEBIN_BUNDLE_JOBS", "2")))
    p.add_argument("--mirror", action="append", default=[], metavar="FROM=TO",
                   help="release source: fetch URLs starting with FROM from TO instead (repeatable; extends and "
                        "overrides artifacts_release_mirrors)")
    p.add_argument("--release-sha256", action="append", default=[], metavar="FILE=SHA256",
                   help="release source: the sha256 of a release archive whose project publishes no checksum "
                        "(repeatable; extends and overrides artifacts_release_sha256)")
    p.add_argument("--kubernetes-version", metavar="VERSION",
                   help="build the bundle for another Kubernetes release (e.g. the previous minor, for an upgrade) "
                        "into $KUBEBIN_CACHE/bundle-VERSION; the other components are those of the default bundle")
    p.add_argument("--verify-versions", action="store_true",
                   help="only run each bundled binary's version command and compare with the declared version")
    args = p.parse_args()
    builder = Builder(args)
    if args.verify_versions:
        builder.verify_versions()
    else:
        builder.run()


if __name__ == "__main__":
    main()
