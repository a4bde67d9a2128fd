"""Run one benchmark target in a fresh subprocess; report wall time and peak memory.

Parent side: :func:`measure` starts ``<python> benchmarks/_measure.py <spec>``
with BLAS / OpenMP / numba thread counts set through the environment, an
optional address-space cap (``RLIMIT_AS``) and a timeout, polls the child's
peak resident set size (``VmHWM`` in ``/proc/<pid>/status``) and returns a
dict with ``status`` ("ok", "out of memory", "timeout", "error"), ``wall_s``
(the target's own timing of the work, data generation excluded),
``process_s`` (child lifetime), ``peak_rss_mb`` and whatever the target
returned.  A target is ``"path/to/file.py:function"``; it is called with the
spec's keyword arguments and returns a dict (numpy arrays in it are saved to
``.npy`` files next to the spec and replaced by their paths).

Child side (``__main__``): limits threads with threadpoolctl as well, calls the
target, prints one JSON line prefixed with ``@@RESULT@@``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

MARK = "@@RESULT@@"
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(
    target: str,
    kwargs: dict[str, Any],
    *,
    python: str = sys.executable,
    threads: int = 1,
    mem_limit_gb: float | None = None,
    timeout_s: float | None = None,
    workdir: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Run ``target(**kwargs)`` in a child process and measure it (see module docstring)."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="mmphate-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path = workdir / f"spec-{time.time_ns()}.json"
    spec_path.write_text(json.dumps({"target": target, "kwargs": kwargs, "threads": threads}))
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env["PYTHONUNBUFFERED"] = "1"

    def limit() -> None:  # runs in the child before exec
        if mem_limit_gb:
            cap = int(mem_limit_gb * 1024**3)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [python, str(Path(__file__).resolve()), str(spec_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=limit,
    )
    peak = [0]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _vm_hwm_kb(proc.pid))
            done.wait(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    status = None
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        status = "timeout"
    done.set()
    poller.join()
    process_s = time.perf_counter() - t0
    result: dict[str, Any] = {}
    for line in out.splitlines():
        if line.startswith(MARK):
            result = json.loads(line[len(MARK) :])
    child_peak_kb = int(result.pop("_maxrss_kb", 0))
    res: dict[str, Any] = {
        "target": target,
        "kwargs": kwargs,
        "threads": threads,
        "mem_limit_gb": mem_limit_gb,
        "timeout_s": timeout_s,
        "process_s": process_s,
        "peak_rss_mb": max(peak[0], child_peak_kb) / 1024,
        "returncode": proc.returncode,
        "loadavg_1min": [load_start, os.getloadavg()[0]],
    }
    if status is None:
        if result.get("_error"):
            err_type = result["_error"].split(":", 1)[0]
            status = "out of memory" if "MemoryError" in err_type else "error"
            res["error"] = result.pop("_error")
        elif proc.returncode != 0 or not result:
            oom = proc.returncode in (-9, 137) or "MemoryError" in err
            status = "out of memory" if oom else "error"
            res["error"] = err.strip().splitlines()[-1] if err.strip() else f"rc={proc.returncode}"
        else:
            status = "ok"
    res["status"] = status
    res.update(result)
    return res


def _child(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    file, func = spec["target"].rsplit(":", 1)
    sys.path.insert(0, str(Path(file).resolve().parent))
    import importlib.util

    from threadpoolctl import threadpool_info, threadpool_limits

    mod_spec = importlib.util.spec_from_file_location("_bench_target", file)
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    out: dict[str, Any] = {}
    try:
        with threadpool_limits(limits=spec["threads"]):
            result = getattr(module, func)(**spec["kwargs"]) or {}
            out["blas"] = sorted(
                {f"{i['internal_api']}={i['num_threads']}" for i in threadpool_info()}
            )
        import numpy as np

        for key, val in list(result.items()):
            if isinstance(val, np.ndarray):
                path = Path(spec_path).with_name(Path(spec_path).stem + f"-{key}.npy")
                np.save(path, val)
                result[key] = str(path)
        out.update(result)
    except BaseException as exc:  # report, including MemoryError under RLIMIT_AS
        out["_error"] = f"{type(exc).__name__}: {exc}"[:500]
    out["_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(MARK + json.dumps(out), flush=True)


if __name__ == "__main__":
    _child(sys.argv[1])
