"""The recording file format: one NumPy ``.npz`` archive of plain arrays and JSON.

:func:`save_recording` writes the archive (``hidden`` float32, ``epochs``, ``timesteps``,
``valid``, ``sample_labels``, one array per metrics column) and JSON strings (format marker and
version, unit ids, class names, metrics column names and dtypes, metadata).
:func:`load_recording` reads it with ``allow_pickle=False``, so a file can never run code; a
foreign, truncated or corrupt file raises ``ValueError`` ("... is not an mmphate recording ...").

This module knows the layout of the file only; it builds no :class:`~mmphate.Recording` itself
(:meth:`Recording.load` passes the fields it returns to the constructor).
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import IO, Any

import numpy as np
import pandas as pd

__all__ = ["RECORDING_FORMAT", "RECORDING_VERSION", "save_recording", "load_recording"]

#: Format marker written into every saved recording.
RECORDING_FORMAT = "mmphate.recording"
#: Version of the file layout written by :func:`save_recording`.
RECORDING_VERSION = 1


def save_recording(
    rec: Any, path: str | os.PathLike[str] | IO[bytes], *, compress: bool = False
) -> None:
    """Write ``rec`` (a Recording) to ``path`` atomically (see :meth:`Recording.save`)."""
    arrays = _to_arrays(rec)
    writer = np.savez_compressed if compress else np.savez
    if hasattr(path, "write"):
        writer(path, **arrays)  # type: ignore[arg-type]
        return
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".mmphate-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_recording(path: str | os.PathLike[str] | IO[bytes]) -> dict[str, Any]:
    """Read a recording file; returns the keyword arguments of :class:`Recording`.

    Raises ``FileNotFoundError`` for a missing path and ``ValueError`` for anything that is not
    a complete mmphate recording (see :meth:`Recording.load`).
    """
    name = getattr(path, "name", None) if hasattr(path, "read") else os.fspath(path)
    if not hasattr(path, "read") and not os.path.exists(name):  # type: ignore[arg-type]
        raise FileNotFoundError(f"no such recording file: {name!r}")
    try:
        if hasattr(path, "read"):
            start = path.tell()  # type: ignore[union-attr]
            magic = path.read(4)  # type: ignore[union-attr]
            path.seek(start)  # type: ignore[union-attr]
        else:
            with open(path, "rb") as fh:  # type: ignore[arg-type]
                magic = fh.read(4)
        if magic[:2] != b"PK":
            raise _NotARecording("it is not a NumPy .npz archive")
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise _NotARecording("it holds a single array, not an archive")
            if "format" not in archive.files:
                raise _NotARecording("it has no mmphate format marker")
            header = json.loads(str(archive["format"][()]))
            if not isinstance(header, dict) or header.get("format") != RECORDING_FORMAT:
                raise _NotARecording(f"its format marker is {header!r}")
            version = header.get("version")
            if not isinstance(version, int) or version > RECORDING_VERSION or version < 1:
                raise _NotARecording(
                    f"it has format version {version!r}; this mmphate reads versions "
                    f"1..{RECORDING_VERSION}. Upgrade mmphate to read it"
                )
            # read every member now (checks each CRC) so that a truncated or
            # damaged file fails here, not later
            arrays = {key: archive[key] for key in archive.files}
        return _from_arrays(arrays, header)
    except _NotARecording as exc:
        raise ValueError(f"{name!r} is not an mmphate recording: {exc}.") from None
    except Exception as exc:  # BadZipFile, zlib/CRC errors, EOF, bad JSON, bad arrays
        raise ValueError(
            f"{name!r} is not an mmphate recording or is truncated/corrupt "
            f"({type(exc).__name__}: {exc})."
        ) from exc


def _to_arrays(rec: Any) -> dict[str, np.ndarray]:
    header = {
        "format": RECORDING_FORMAT,
        "version": RECORDING_VERSION,
        "shape": list(rec.shape),
    }
    from .._version import __version__

    header["written_by"] = f"mmphate {__version__}"
    columns, metric_arrays = _metrics_to_arrays(rec.metrics)
    try:
        metadata = json_dumps(rec.metadata)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"Recording.metadata must be JSON-serialisable to be saved ({exc}). "
            "Store numbers, strings, lists and dicts only."
        ) from exc
    labels = {
        "units": [str(u) for u in rec.units],
        "class_names": rec.class_names,
        "metrics": columns,
    }
    arrays: dict[str, np.ndarray] = {
        "format": np.array(json.dumps(header)),
        "hidden": rec.hidden,
        "epochs": rec.epochs,
        "timesteps": rec.timesteps,
        "labels": np.array(json.dumps(labels)),
        "metadata": np.array(metadata),
        "metrics_index": np.asarray(rec.metrics.index, dtype=np.int64),
        **metric_arrays,
    }
    if rec.valid is not None:
        arrays["valid"] = rec.valid
    if rec.sample_labels is not None:
        arrays["sample_labels"] = rec.sample_labels
    return arrays


def _from_arrays(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> dict[str, Any]:
    for key in ("hidden", "epochs", "timesteps", "labels", "metadata", "metrics_index"):
        if key not in arrays:
            raise ValueError(f"the archive lacks its {key!r} member")
    hidden = arrays["hidden"]
    if hidden.dtype != np.float32 or list(hidden.shape) != list(header.get("shape", [])):
        raise ValueError(
            f"hidden has dtype {hidden.dtype} and shape {hidden.shape}; the header says "
            f"float32 {header.get('shape')}"
        )
    labels = json.loads(str(arrays["labels"][()]))
    metrics = _metrics_from_arrays(labels["metrics"], arrays)
    return {
        "hidden": hidden,
        "epochs": arrays["epochs"],
        "timesteps": arrays["timesteps"],
        "units": labels["units"],
        "valid": arrays.get("valid"),
        "sample_labels": arrays.get("sample_labels"),
        "class_names": labels["class_names"],
        "metrics": metrics,
        "metadata": json.loads(str(arrays["metadata"][()])),
    }


class _NotARecording(Exception):
    pass


def json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable")


def json_dumps(obj: Any) -> str:
    return json.dumps(obj, default=json_default, sort_keys=True)


def _is_label(x: Any) -> bool:
    return isinstance(x, str | int | float | bool) or x is None


def _metrics_to_arrays(metrics: pd.DataFrame) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Describe the metrics table as JSON plus one plain array per column."""
    names = [c.item() if isinstance(c, np.generic) else c for c in metrics.columns]
    if not all(_is_label(c) for c in names):
        raise TypeError(
            f"metrics column names must be strings or numbers to be saved; got {names[:10]}."
        )
    columns: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for i, name in enumerate(names):
        series = metrics.iloc[:, i]
        dtype = series.dtype
        entry: dict[str, Any] = {"name": name, "dtype": str(dtype)}
        if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
            entry["kind"] = "numpy"
            arrays[f"metric_{i}"] = series.to_numpy()
        elif _is_string_column(series):
            entry["kind"] = "string"
            mask = series.isna().to_numpy()
            arrays[f"metric_{i}"] = np.array(
                ["" if m else str(v) for v, m in zip(series.tolist(), mask, strict=True)],
                dtype=str,
            ).reshape(-1)
            arrays[f"metric_{i}_mask"] = mask
            if len(series) == 0:
                arrays[f"metric_{i}"] = np.zeros(0, dtype="<U1")
        elif isinstance(getattr(dtype, "numpy_dtype", None), np.dtype):
            entry["kind"] = "masked"
            mask = series.isna().to_numpy()
            arrays[f"metric_{i}"] = series.to_numpy(dtype=dtype.numpy_dtype, na_value=0)
            arrays[f"metric_{i}_mask"] = mask
        else:
            raise TypeError(
                f"metrics column {name!r} has dtype {dtype}, which cannot be saved without "
                "pickling; convert it to numbers or strings first."
            )
        columns.append(entry)
    meta = {"columns": columns, "columns_name": metrics.columns.name}
    if not _is_label(meta["columns_name"]):
        meta["columns_name"] = str(meta["columns_name"])
    return meta, arrays


def _is_string_column(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.StringDtype):
        return True
    if series.dtype == object:
        return all(isinstance(v, str) or v is None or v is np.nan for v in series.tolist())
    return False


def _metrics_from_arrays(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    index = pd.Index(arrays["metrics_index"].astype(np.int64), name="epoch")
    data: dict[int, pd.Series] = {}
    for i, entry in enumerate(meta["columns"]):
        values = arrays[f"metric_{i}"]
        if values.shape != (len(index),):
            raise ValueError(f"metrics column {entry['name']!r} has {values.shape} values")
        kind, dtype = entry["kind"], entry["dtype"]
        if kind == "numpy":
            series = pd.Series(values, index=index, dtype=np.dtype(dtype))
        elif kind == "string":
            mask = arrays[f"metric_{i}_mask"]
            obj = values.astype(object)
            obj[mask] = None if dtype == "object" else np.nan
            series = pd.Series(obj, index=index, dtype=dtype)
        elif kind == "masked":
            mask = arrays[f"metric_{i}_mask"]
            series = pd.Series(values, index=index).astype(dtype)
            series[mask] = pd.NA
        else:
            raise ValueError(f"unknown metrics column kind {kind!r}")
        data[i] = series
    df = pd.DataFrame(data, index=index)
    df.columns = pd.Index([c["name"] for c in meta["columns"]], name=meta["columns_name"])
    if not len(meta["columns"]):
        df = pd.DataFrame(index=index)
        df.columns.name = meta["columns_name"]
    return df
