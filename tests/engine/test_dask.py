"""The per-unit work on a dask.distributed cluster (joblib's dask backend)."""

from __future__ import annotations

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")

from mmphate.engine import MMPHATE  # noqa: E402


def _tensor():
    rng = np.random.default_rng(0)
    X = np.cumsum(rng.normal(scale=0.5, size=(6, 10, 6, 12)), axis=1)
    X += np.cumsum(rng.normal(scale=0.3, size=(6, 1, 6, 12)), axis=0)
    return np.tanh(X).astype(np.float32)


def test_embedding_on_a_local_cluster_equals_the_local_one():
    X = _tensor()
    local = MMPHATE(n_landmark=60, random_state=0, verbose=0).fit(X)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        workers = set(client.scheduler_info()["workers"])
        with distributed.get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
            remote = MMPHATE(n_landmark=60, random_state=0, verbose=0).fit(X)
        ran_on = {t["worker"] for t in stream.data}
    assert stream.data, "no task ran on the cluster"
    assert ran_on <= workers and len(ran_on) >= 1
    np.testing.assert_array_equal(remote.embedding_, local.embedding_)
    # the same entries; values up to the last bit (arrays unpickled on a worker may sit at
    # another alignment, which changes NumPy's SIMD summation order)
    a, b = remote.kernel_, local.kernel_
    assert a.nnz == b.nnz and (abs(a - b) > 1e-6 * abs(b).max()).nnz == 0
    np.testing.assert_array_equal(a.indices, b.indices)
