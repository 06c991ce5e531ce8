"""vLLM's --dtype follows the CPU: bfloat16 where it has bf16 instructions, float32 where it
has none (oneDNN's bf16 matmul fails there and vLLM's fallback is far slower)."""

from pathlib import Path

from smallbatch.models.server import VllmServer, served_dtype
from smallbatch.settings import VllmSettings

AVX2 = "flags\t\t: fpu sse sse2 avx avx2 fma\n"
AVX512_BF16 = "flags\t\t: fpu sse avx2 avx512f avx512_bf16\n"


def cpu(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(flags)
    return path


def test_auto_is_float32_on_a_cpu_without_bf16(tmp_path):
    assert served_dtype("auto", "cpu", cpu(tmp_path, AVX2)) == "float32"
    assert served_dtype("auto", "cpu", cpu(tmp_path, AVX512_BF16)) == "bfloat16"
    assert served_dtype("auto", "cpu", cpu(tmp_path, "flags: amx_bf16 amx_tile\n")) == "bfloat16"


def test_auto_is_bfloat16_off_the_cpu_and_a_setting_wins(tmp_path):
    assert served_dtype("auto", "cuda", cpu(tmp_path, AVX2)) == "bfloat16"
    assert served_dtype("auto", "cpu", tmp_path / "missing") == "bfloat16"
    assert served_dtype("bfloat16", "cpu", cpu(tmp_path, AVX2)) == "bfloat16"
    assert served_dtype("float32", "cpu", cpu(tmp_path, AVX512_BF16)) == "float32"


def test_the_command_carries_the_setting(tmp_path):
    server = VllmServer(tmp_path, "m", VllmSettings(dtype="float16"), tmp_path / "log")
    cmd = server.command()
    assert cmd[cmd.index("--dtype") + 1] == "float16"
