"""The machine the numbers were taken on, and its measured float32 matrix-multiply peak.

The description names the CPU model, core counts, memory, OS and library versions, never the host.
The peak is what numpy's BLAS achieves on large float32 matrix products with all cores: an achieved
ceiling for dense float32 work on this machine, against which the training and inference GFLOP/s of
our graph are judged (not the CPU's theoretical peak, which no real kernel reaches). OpenBLAS picks its
kernels for the processor it runs on unless ``OPENBLAS_CORETYPE`` names others: an environment that sets
``OPENBLAS_CORETYPE=Haswell`` holds numpy to AVX2 kernels even where the processor has AVX-512, which
TensorFlow's oneDNN uses regardless (results.md's machine table gives both rates). So where the variable is
set, the peak is also measured in a child process without it, and the higher rate counts; the benchmark's
worker processes get OpenBLAS's own choice too (`blas_own_choice`).
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from benchmarks import PROJECT_ROOT
from benchmarks.stats import summarize

CORETYPE = "OPENBLAS_CORETYPE"  # the variable that tells OpenBLAS which kernels to use, whatever the processor
LIBRARIES = ("tensorflow", "keras", "torch", "numpy", "pandas", "pillow", "matplotlib")


def _cpuinfo() -> list[dict[str, str]]:
    """/proc/cpuinfo as one dict per logical CPU ([] where there is no such file)."""
    path = Path("/proc/cpuinfo")
    if not path.exists():
        return []
    blocks = path.read_text(errors="replace").split("\n\n")
    return [{key.strip(): value.strip() for key, _, value in (line.partition(":") for line in block.splitlines())}
            for block in blocks if block.strip()]


def cpu_description() -> dict:
    """CPU model (with its family and model numbers: virtual machines often name every generation alike, as
    "AMD EPYC"), logical CPUs, physical cores and the vector extensions that matter for float32 math."""
    processors = _cpuinfo()
    first = processors[0] if processors else {}
    cores = {(p.get("physical id", "0"), p.get("core id", str(i))) for i, p in enumerate(processors)}
    flags = set(first.get("flags", "").split())
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count()
    return {
        "model": first.get("model name") or platform.processor() or "unknown",
        "family": first.get("cpu family"),
        "model_number": first.get("model"),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "physical_cores": len(cores) if processors else None,
        "vector_extensions": [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile") if f in flags],
    }


def memory_gib() -> float | None:
    """Total RAM in GiB from /proc/meminfo (None elsewhere)."""
    path = Path("/proc/meminfo")
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024**2, 1)
    return None


def os_description() -> str:
    """Distribution name from /etc/os-release plus the kernel release."""
    name = platform.system()
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                name = line.split("=", 1)[1].strip().strip('"')
    return f"{name}, kernel {platform.release()}"


def library_versions() -> dict[str, str]:
    """Installed versions, read from package metadata (no imports: torch may be absent)."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def blas_name() -> str:
    """The BLAS numpy was built with (e.g. scipy-openblas 0.3.x), for the peak's label."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # the label is informative only, and this dict differs across numpy versions
        return "unknown"


def describe_machine() -> dict:
    """Everything results.md says about the machine."""
    return {
        "cpu": cpu_description(),
        "memory_gib": memory_gib(),
        "os": os_description(),
        "versions": library_versions(),
        "numpy_blas": blas_name(),
    }


def _matmul_rates(sizes, repeats: int) -> dict[str, dict]:
    """Achieved float32 GFLOP/s of numpy ``a @ b`` (n x n, 2*n^3 FLOPs) per size: `summarize` dicts.

    One untimed product per size first, so thread start-up and page faults are not counted.
    """
    rng = np.random.default_rng(0)
    per_size = {}
    for n in sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        a @ b  # warm-up
        rates = []
        for _ in range(repeats):
            started = time.perf_counter()
            a @ b
            rates.append(2.0 * n**3 / (time.perf_counter() - started) / 1e9)
        per_size[str(n)] = summarize(rates, "GFLOP/s")
    return per_size


def openblas_kernels() -> str | None:
    """The kernel set numpy's OpenBLAS chose for this processor at run time (e.g. "Haswell", "SkylakeX"), or
    None when numpy's BLAS is not an OpenBLAS that says."""
    # numpy's wheels bundle their OpenBLAS in numpy.libs/, under a name of its own
    for path in sorted((Path(np.__file__).parent.parent / "numpy.libs").glob("*openblas*.so*")):
        try:
            blas = ctypes.CDLL(str(path))
        except OSError:
            continue
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_",
                     "openblas_get_corename"):
            function = getattr(blas, name, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                return function().decode()
    return None


def blas_own_choice(environment: dict[str, str]) -> dict[str, str]:
    """`environment` without ``OPENBLAS_CORETYPE``: for a child process whose OpenBLAS picks its kernels for
    the processor it runs on."""
    return {name: value for name, value in environment.items() if name != CORETYPE}


def _rates_in_child(sizes, repeats: int) -> tuple[str | None, dict[str, dict]] | str:
    """(the kernels chosen, `_matmul_rates`) in a child process with OpenBLAS's own choice of kernels (it
    reads ``OPENBLAS_CORETYPE`` once, when it loads); the child's error in words when it fails."""
    command = [sys.executable, "-m", "benchmarks.machine", json.dumps({"sizes": list(sizes), "repeats": repeats})]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=blas_own_choice(dict(os.environ)),
                              timeout=600, cwd=PROJECT_ROOT)
        if done.returncode != 0:
            return (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        kernels, rates = json.loads(done.stdout)
        return kernels, rates
    except (subprocess.TimeoutExpired, json.JSONDecodeError, ValueError) as error:
        return str(error)


def matmul_peak(sizes=(2048, 4096), repeats: int = 5) -> dict:
    """Best achieved float32 GFLOP/s of numpy ``a @ b``, per size and overall: with the kernels numpy's BLAS
    runs here and, where ``OPENBLAS_CORETYPE`` names them, also with those OpenBLAS picks itself.

    Best of `repeats` rather than the median, because a peak is what the hardware can do when nothing
    interferes. Returns {"gflops": the peak, "per_size": the faster kernels' figures per size, "kernels":
    {kernels: their best GFLOP/s, or why they could not be measured}, "blas", "method", "repeats"}.
    """
    here = openblas_kernels() or "numpy's BLAS"
    if CORETYPE not in os.environ:
        measured = {here: _matmul_rates(sizes, repeats)}
    else:
        measured = {f"{here} ({CORETYPE}={os.environ[CORETYPE]} in the environment)": _matmul_rates(sizes, repeats)}
        child = _rates_in_child(sizes, repeats)
        if isinstance(child, tuple):
            measured[f"{child[0] or 'its BLAS'} (OpenBLAS's own choice)"] = child[1]
        else:
            measured["OpenBLAS's own choice"] = child
    best = {name: max(stat["max"] for stat in rates.values()) for name, rates in measured.items()
            if isinstance(rates, dict)}
    fastest = max(best, key=best.get)
    kernels = {name: round(best[name], 1) if name in best else f"not measured: {rates}"
               for name, rates in measured.items()}
    return {"gflops": best[fastest], "per_size": measured[fastest], "repeats": repeats, "kernels": kernels,
            "blas": f"{blas_name()}, {fastest} kernels",
            "method": f"numpy float32 n x n matmul, n in {list(sizes)}, best of {repeats}, all cores"}


def best_peak(measurements: list[dict]) -> dict:
    """Combine peak measurements taken at different times of one run: the best one, plus every figure.

    The run measures the peak at its start and again at its end; a peak is what the machine can do, so
    the higher measurement wins (a neighbour's load can only ever lower it).
    """
    best = dict(max(measurements, key=lambda m: m["gflops"]))
    best["measurements_gflops"] = [m["gflops"] for m in measurements]
    best["method"] += f"; measured {len(measurements)} time(s) in the run (start, end), highest kept"
    return best


if __name__ == "__main__":  # the child of `_rates_in_child`: its kernels and matmul rates as JSON on stdout
    settings = json.loads(sys.argv[1])
    print(json.dumps([openblas_kernels(), _matmul_rates(settings["sizes"], settings["repeats"])]))
