"""Hypothesis settings for the property tests (tests/test_properties_*.py), and Keras' backend.

The ``ci`` profile (the default) is derandomized, so every run tries the same examples, with a
generous per-example deadline that catches hangs without flaking on a busy machine.  Scale the
number of examples with ``MMPHATE_HYPOTHESIS_SCALE`` (e.g. 10 for a long exploratory run) and
pick a profile with ``MMPHATE_HYPOTHESIS_PROFILE`` (``ci`` or ``explore``, which draws new
random examples each run).
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

# Keras reads its backend once, when it is first imported; the tests (and the documentation's
# examples they run) use the torch backend, so TensorFlow is not needed.  A backend chosen in
# the environment is respected.
os.environ.setdefault("KERAS_BACKEND", "torch")

_COMMON = dict(
    deadline=timedelta(seconds=30),
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
settings.register_profile("ci", derandomize=True, **_COMMON)
settings.register_profile("explore", derandomize=False, **_COMMON)
settings.load_profile(os.environ.get("MMPHATE_HYPOTHESIS_PROFILE", "ci"))
