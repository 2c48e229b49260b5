"""A small hardware catalogue for roofline estimates: peak arithmetic rate per
dtype (FLOP/s, a multiply-add counted as 2) and memory bandwidth (bytes/s).

Figures are the vendors' published peaks for dense arithmetic (no structured
sparsity).  `float32` is the plain FP32 rate (CUDA cores), not TF32 tensor-core
throughput; `float16`/`bfloat16`/`int8` are tensor-core (GPU) or vector
(CPU) rates with FP32 accumulation where the vendor distinguishes.  A dtype a
device has no fast path for is absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArchError, suggest

T = 1e12
G = 1e9


@dataclass(frozen=True)
class Device:
    name: str
    title: str
    peak: dict[str, float]  # dtype -> FLOP/s (int8: operations/s)
    bandwidth: float  # bytes/s of the main memory
    source: str

    def peak_for(self, dtype: str) -> float:
        if dtype not in self.peak:
            raise ArchError(f"{self.title} has no {dtype} rate in the catalogue; "
                            f"known: {', '.join(self.peak)}", argument="dtype")
        return self.peak[dtype]


DEVICES: dict[str, Device] = {d.name: d for d in (
    # NVIDIA A100 Tensor Core GPU datasheet (SXM4 80GB column): FP32 19.5 TFLOPS,
    # FP16/BF16 Tensor Core 312 TFLOPS, INT8 624 TOPS, HBM2e 2,039 GB/s
    Device("a100", "NVIDIA A100 SXM4 80GB",
           {"float32": 19.5 * T, "float16": 312 * T, "bfloat16": 312 * T, "int8": 624 * T},
           2039 * G, "NVIDIA A100 datasheet, SXM4 80GB"),
    # NVIDIA H100 Tensor Core GPU datasheet (SXM5): FP32 67 TFLOPS, FP16/BF16 Tensor
    # Core 1,979 TFLOPS with sparsity = 989.5 dense, INT8 3,958 TOPS sparse = 1,979 dense,
    # HBM3 3.35 TB/s
    Device("h100", "NVIDIA H100 SXM5 80GB",
           {"float32": 67 * T, "float16": 989.5 * T, "bfloat16": 989.5 * T, "int8": 1979 * T},
           3350 * G, "NVIDIA H100 datasheet, SXM5"),
    # NVIDIA L4 datasheet: FP32 30.3 TFLOPS, FP16/BF16 Tensor Core 242 TFLOPS sparse
    # = 121 dense, INT8 485 TOPS sparse = 242.5 dense, GDDR6 300 GB/s
    Device("l4", "NVIDIA L4",
           {"float32": 30.3 * T, "float16": 121 * T, "bfloat16": 121 * T, "int8": 242.5 * T},
           300 * G, "NVIDIA L4 datasheet"),
    # NVIDIA Ada GPU architecture whitepaper, GeForce RTX 4090: FP32 82.6 TFLOPS,
    # FP16/BF16 tensor with FP32 accumulate 165.2 TFLOPS dense, INT8 660.6 TOPS dense,
    # GDDR6X 1,008 GB/s
    Device("rtx4090", "NVIDIA GeForce RTX 4090",
           {"float32": 82.6 * T, "float16": 165.2 * T, "bfloat16": 165.2 * T, "int8": 660.6 * T},
           1008 * G, "NVIDIA Ada Lovelace architecture whitepaper, appendix A"),
    # AMD EPYC 9654 (Zen 4): 96 cores at 2.4 GHz base; two 256-bit FMA pipes per core
    # = 32 FP32 FLOP/cycle: 96 x 2.4e9 x 32 = 7.37 TFLOPS; AVX-512 BF16 dot products
    # (VDPBF16PS) twice that; VNNI int8 four times; no FP16 arithmetic.
    # 12 channels of DDR5-4800 x 8 bytes = 460.8 GB/s.  AMD product page and Zen 4 ISA.
    Device("epyc9654", "AMD EPYC 9654 (96 cores)",
           {"float32": 96 * 2.4 * G * 32, "bfloat16": 96 * 2.4 * G * 64, "int8": 96 * 2.4 * G * 128},
           12 * 4800e6 * 8, "AMD EPYC 9654 product page; 12 x DDR5-4800"),
)}


def get_device(name: str) -> Device:
    key = name.lower().replace("-", "").replace(" ", "")
    if key not in DEVICES:
        raise ArchError(f"unknown device '{name}'; known: {', '.join(DEVICES)}",
                        hint=suggest(key, DEVICES), argument="device")
    return DEVICES[key]
