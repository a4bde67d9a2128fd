"""Per-unit and per-slice work through joblib.

The kernel's work splits into independent tasks (chunks of slices for the
intrastep kernel, chunks of units for the interstep kernel and the landmark
affinity).  :func:`parallel_map` runs them through :class:`joblib.Parallel`:

* ``n_jobs=1`` (and no active joblib configuration): in this thread, in order,
  with BLAS limited to one thread (threadpoolctl, restored afterwards): the
  tasks' matrix products are small blocks, for which a multi-threaded BLAS
  gains little and, on a busy machine, loses much (a ``32 x 4000 @ 4000 x 50``
  product took 150 ms with two OpenBLAS threads on a loaded 2-core machine,
  1 ms with one);
* ``n_jobs > 1`` or ``-1``: joblib's *threading* backend by default.  The tasks
  are numpy/BLAS-bound (distance blocks as matrix products, ``exp``,
  ``argpartition``), which release the GIL, and threads share the tensor
  instead of copying it to worker processes (loky would pickle or memory-map
  every chunk).  While threads run, BLAS is limited to one thread per worker
  with threadpoolctl, restored afterwards, so ``n_jobs`` workers use ``n_jobs``
  cores rather than ``n_jobs * cores``;
* inside ``joblib.parallel_config(backend=...)`` (e.g. ``"dask"`` with a
  ``dask.distributed`` client, or ``"loky"``): that backend, which takes
  precedence over the threading preference; with the default ``n_jobs=None``
  the configuration's ``n_jobs`` applies.

Tasks are defined independently of ``n_jobs`` (fixed chunking, seeds drawn
up front), so results do not depend on it.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from typing import Any

__all__ = ["parallel_map", "check_n_jobs", "MAX_JOBS"]

#: Most workers ``n_jobs`` may ask for (joblib refuses larger counts with its own error).
MAX_JOBS = 4096


def check_n_jobs(n_jobs: Any) -> int | None:
    """``n_jobs`` as given, if it is None or a non-zero integer within +-:data:`MAX_JOBS`."""
    from .._validate import InvalidParameterError, describe

    if n_jobs is None:
        return None
    if (
        not isinstance(n_jobs, numbers.Integral)
        or isinstance(n_jobs, bool)
        or n_jobs == 0
        or abs(int(n_jobs)) > MAX_JOBS
    ):
        raise InvalidParameterError(
            f"n_jobs must be a non-zero integer or None (-1: all cores; at most {MAX_JOBS} "
            f"workers); got {describe(n_jobs)}."
        )
    return int(n_jobs)


def _one_blas_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` with BLAS limited to one thread (restored afterwards)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return fn(*args)


def parallel_map(
    fn: Callable[..., Any],
    tasks: Sequence[tuple] | Iterable[tuple],
    n_jobs: int | None = 1,
    progress: Callable[[Any], None] | None = None,
) -> list[Any]:
    """``[fn(*args) for args in tasks]``, through joblib; results in task order.

    Parameters
    ----------
    fn : callable
    tasks : iterable of argument tuples
    n_jobs : int or None
        joblib's ``n_jobs``; ``None`` defers to an active ``joblib.parallel_config``
        (else 1).
    progress : optional callable, given each result as it arrives (in order)

    Returns
    -------
    list
    """
    from joblib import Parallel, delayed, effective_n_jobs
    from joblib.parallel import ThreadingBackend
    from threadpoolctl import threadpool_limits

    if effective_n_jobs(n_jobs) == 1:
        out = []
        with threadpool_limits(limits=1):  # see the module docstring; restored on exit
            for args in tasks:
                r = fn(*args)
                if progress is not None:
                    progress(r)
                out.append(r)
        return out
    par = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")
    limit: Any = nullcontext()
    if isinstance(par._backend, ThreadingBackend):
        limit = threadpool_limits(limits=1)  # one BLAS thread per worker; restored on exit
        calls = (delayed(fn)(*args) for args in tasks)
    else:
        # worker processes (loky, dask): limit BLAS inside each task, so that every task
        # computes exactly what it computes here (same blocking, same rounding)
        calls = (delayed(_one_blas_thread)(fn, *args) for args in tasks)
    out = []
    with limit:
        for r in par(calls):
            if progress is not None:
                progress(r)
            out.append(r)
    return out
