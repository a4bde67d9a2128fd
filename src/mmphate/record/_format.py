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
import re
import reprlib
import zipfile
import zlib
from typing import IO, Any

import numpy as np
import pandas as pd

from .._atomic import atomic_write, open_regular
from .._validate import check_bool, printable

_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60

__all__ = ["RECORDING_FORMAT", "RECORDING_VERSION", "save_recording", "load_recording"]

#: Format marker written into every saved recording.
RECORDING_FORMAT = "mmphate.recording"
#: Version of the file layout written by :func:`save_recording`.
RECORDING_VERSION = 1


def save_recording(
    rec: Any, path: str | os.PathLike[str] | IO[bytes], *, compress: bool = False
) -> None:
    """Write ``rec`` (a Recording) to ``path`` atomically (see :meth:`Recording.save`)."""
    compress = check_bool(compress, "compress")
    hidden = rec.hidden
    if (
        not isinstance(hidden, np.ndarray)
        or hidden.dtype != np.float32
        or hidden.shape != tuple(rec.shape)
        or not np.isfinite(hidden).all()
    ):
        raise ValueError(
            "Recording.hidden must stay a finite float32 array to be saved (it was changed "
            "after the Recording was made); build a new Recording from the data instead."
        )
    arrays = _to_arrays(rec)
    writer = np.savez_compressed if compress else np.savez
    if hasattr(path, "write"):
        writer(path, **arrays)  # type: ignore[arg-type]
        return
    atomic_write(path, lambda fh: writer(fh, **arrays))


# Members of a version-1 file and what bounds their size.
_MEMBER = re.compile(
    r"^(format|hidden|epochs|timesteps|labels|metadata|metrics_index|valid|sample_labels"
    r"|metric_(\d{1,5})(_mask)?)\.npy$"
)
_MAX_FORMAT_BYTES = 1 << 16  # the format marker is ~150 bytes
_MAX_TEXT_BYTES = 1 << 26  # a JSON member (unit ids, metadata): 16 M characters
_MAX_CELL_CHARS = 1 << 16  # one text value of a metrics column
_NPY_HEADER = 1 << 16


def load_recording(path: str | os.PathLike[str] | IO[bytes]) -> dict[str, Any]:
    """Read a recording file; returns the keyword arguments of :class:`Recording`.

    Only a regular file is read (a FIFO or a device is refused without blocking).  Before any
    array is inflated, every member of the archive is checked against the layout: no member the
    format does not have, and each array's size exactly what its header and the recording's
    shape say, so a small file cannot expand into a large allocation.

    Raises ``FileNotFoundError`` for a missing path and ``ValueError`` for anything that is not
    a complete mmphate recording (see :meth:`Recording.load`).
    """
    if hasattr(path, "read"):
        fh = path
        name = getattr(path, "name", None) or "<file object>"
        own = False
    else:
        fh = open_regular(path, "recording file")  # checks the path's type first
        name = os.fspath(path)  # type: ignore[arg-type]
        own = True
    shown = printable(repr(name))
    try:
        start = fh.tell()  # type: ignore[union-attr]
        magic = fh.read(4)  # type: ignore[union-attr]
        fh.seek(start)  # type: ignore[union-attr]
        if magic != b"PK\x03\x04":
            raise _NotARecording("it is empty" if not magic else "it is not a NumPy .npz archive")
        header = _inspect_archive(fh)
        fh.seek(start)  # type: ignore[union-attr]
        with np.load(fh, allow_pickle=False) as archive:
            # read every member now (checks each CRC) so that a damaged file fails here
            arrays = {key: archive[key] for key in archive.files}
        return _from_arrays(arrays, header)
    except _NotARecording as exc:
        raise ValueError(f"{shown} is not an mmphate recording: {exc}.") from None
    except Exception as exc:  # zip, zlib, CRC and EOF errors of a truncated or damaged file
        raise ValueError(
            f"{shown} is not an mmphate recording or is truncated/corrupt: {_reason(exc)}."
        ) from exc
    finally:
        if own:
            fh.close()  # type: ignore[union-attr]


def _reason(exc: BaseException) -> str:
    """Our words for why reading failed (never NumPy's advice about pickles)."""
    if isinstance(exc, zipfile.BadZipFile):
        text = str(exc).lower()
        if "crc" in text:
            return "a member fails its CRC check (the data changed after it was written)"
        return "its zip structure is broken (a truncated or partly written file?)"
    if isinstance(exc, (EOFError, zlib.error)):
        return "a member ends early or its compressed data are damaged"
    if isinstance(exc, MemoryError):
        return "its arrays do not fit in memory"
    if isinstance(exc, json.JSONDecodeError):
        return "a JSON member is not valid JSON"
    return f"a member could not be read ({type(exc).__name__})"


def _inspect_archive(fh: Any) -> dict[str, Any]:
    """Check the members' names and sizes before reading them; return the format header."""
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _NotARecording(
            "its zip directory is missing or broken (a truncated or partly written file?)"
        ) from exc
    with zf:
        infos = {}
        for info in zf.infolist():
            m = _MEMBER.match(info.filename)
            if m is None:
                raise _NotARecording(
                    f"it holds a member {printable(repr(info.filename[:80]))} that mmphate "
                    "recordings do not have"
                )
            if info.filename in infos:
                raise _NotARecording(f"it holds the member {info.filename!r} twice")
            infos[info.filename] = info
        fmt = infos.get("format.npy")
        if fmt is None:
            raise _NotARecording("it has no mmphate format marker")
        if fmt.file_size > _MAX_FORMAT_BYTES:
            raise _NotARecording(
                f"its format marker is {fmt.file_size:,} bytes; a marker needs a few hundred"
            )
        with zf.open(fmt) as member:
            marker = np.lib.format.read_array(member, allow_pickle=False)
        try:
            header = json.loads(str(marker[()]))
        except (json.JSONDecodeError, IndexError, TypeError, ValueError):
            raise _NotARecording("its format marker is not JSON") from None
        if not isinstance(header, dict) or header.get("format") != RECORDING_FORMAT:
            raise _NotARecording(f"its format marker is {printable(_SHORT.repr(header))}")
        version = header.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version:
            raise _NotARecording(f"it has an invalid format version {version!r}")
        if version > RECORDING_VERSION:
            raise _NotARecording(
                f"it has format version {version}; this mmphate reads versions "
                f"1..{RECORDING_VERSION}. Upgrade mmphate to read it"
            )
        shape = header.get("shape")
        if (
            not isinstance(shape, list)
            or len(shape) != 4
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in shape)
        ):
            raise _NotARecording(f"its header gives the shape {printable(_SHORT.repr(shape))}")
        E, T, U, S = shape
        n_metrics = None
        for fname, info in infos.items():
            key = fname[:-4]
            with zf.open(info) as member:
                arr_shape, dtype, offset = _npy_header(member, key)
            nbytes = offset + int(np.prod(arr_shape, dtype=object)) * dtype.itemsize
            if nbytes != info.file_size:
                raise _NotARecording(
                    f"its member {key!r} holds {info.file_size:,} bytes, but its header "
                    f"describes {nbytes:,}"
                )
            want = _expected(key, E, T, U, S)
            if key.startswith("metric"):
                if len(arr_shape) != 1 or arr_shape[0] > E:
                    raise _NotARecording(
                        f"its member {key!r} has shape {arr_shape}; metrics have at most one "
                        f"row per epoch ({E})"
                    )
                if n_metrics is None:
                    n_metrics = arr_shape[0]
                elif arr_shape[0] != n_metrics:
                    raise _NotARecording(
                        f"its metrics members have {n_metrics} and {arr_shape[0]} rows"
                    )
                ok_dtype = (
                    dtype.kind == "b"
                    if key.endswith("_mask")
                    else dtype.kind in "iu"
                    if key == "metrics_index"
                    else dtype.kind in "biufcmM"
                    or (dtype.kind == "U" and dtype.itemsize <= 4 * _MAX_CELL_CHARS)
                )
                if not ok_dtype:
                    raise _NotARecording(f"its member {key!r} has dtype {dtype}")
            elif want is not None:
                w_shape, kinds = want
                if (
                    tuple(arr_shape) != w_shape
                    or dtype.kind not in kinds
                    or (key == "hidden" and dtype != np.float32)
                ):
                    raise _NotARecording(
                        f"its member {key!r} has dtype {dtype} and shape {tuple(arr_shape)}; "
                        f"the header's shape {tuple(shape)} needs {w_shape}"
                    )
            else:  # a 0-d JSON string
                cap = _MAX_FORMAT_BYTES if key == "format" else _MAX_TEXT_BYTES
                if arr_shape != () or dtype.kind != "U" or dtype.itemsize > cap:
                    raise _NotARecording(
                        f"its member {key!r} is not a JSON text of at most {cap // 4:,} "
                        f"characters (dtype {dtype}, shape {tuple(arr_shape)})"
                    )
    return header


def _expected(key: str, E: int, T: int, U: int, S: int) -> tuple[tuple[int, ...], str] | None:
    return {
        "hidden": ((E, T, U, S), "f"),
        "epochs": ((E,), "iu"),
        "timesteps": ((T,), "iu"),
        "valid": ((T, S), "b"),
        "sample_labels": ((S,), "iu"),
    }.get(key)


def _npy_header(member: Any, key: str) -> tuple[tuple[int, ...], np.dtype, int]:
    """Shape, dtype and data offset of an ``.npy`` member, read without reading its data."""
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(version)
    except ValueError as exc:  # not the .npy magic, or an unreadable header
        raise _NotARecording(f"its member {key!r} is not a plain NumPy array") from exc
    offset = member.tell()
    if offset > _NPY_HEADER or dtype.hasobject:
        raise _NotARecording(f"its member {key!r} holds Python objects or an oversized header")
    return tuple(int(v) for v in shape), dtype, offset


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
            raise _NotARecording(f"the archive lacks its {key!r} member")
    hidden = arrays["hidden"]
    if hidden.dtype != np.float32 or list(hidden.shape) != list(header.get("shape", [])):
        raise _NotARecording(
            f"hidden has dtype {hidden.dtype} and shape {hidden.shape}; the header says "
            f"float32 {header.get('shape')}"
        )
    labels = _json_member(arrays, "labels")
    if (
        not isinstance(labels, dict)
        or not isinstance(labels.get("units"), list)
        or not isinstance(labels.get("metrics"), dict)
        or not isinstance(labels.get("metrics", {}).get("columns"), list)
        or not (labels.get("class_names") is None or isinstance(labels["class_names"], list))
    ):
        raise _NotARecording("its labels member does not list units, classes and metrics")
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
        "metadata": _json_member(arrays, "metadata"),
    }


def _json_member(arrays: dict[str, np.ndarray], key: str) -> Any:
    try:
        return json.loads(str(arrays[key][()]))
    except (json.JSONDecodeError, IndexError, TypeError, ValueError):
        raise _NotARecording(f"its {key!r} member is not valid JSON") from None


class _NotARecording(Exception):
    """Why a file is not (or no longer) a recording, in our words."""


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
        if not isinstance(entry, dict) or not {"name", "kind", "dtype"} <= set(entry):
            raise _NotARecording(f"its metrics column {i} is not described")
        if f"metric_{i}" not in arrays:
            raise _NotARecording(f"the archive lacks the member of metrics column {i}")
        values = arrays[f"metric_{i}"]
        if values.shape != (len(index),):
            raise _NotARecording(f"metrics column {entry['name']!r} has {values.shape} values")
        kind, dtype = entry["kind"], entry["dtype"]
        if kind in ("string", "masked") and f"metric_{i}_mask" not in arrays:
            raise _NotARecording(f"the archive lacks the mask of metrics column {i}")
        try:
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
                raise _NotARecording(f"unknown metrics column kind {kind!r}")
        except (TypeError, ValueError):
            raise _NotARecording(
                f"metrics column {printable(repr(entry['name']))} has an unusable dtype "
                f"{printable(repr(dtype))}"
            ) from None
        data[i] = series
    df = pd.DataFrame(data, index=index)
    df.columns = pd.Index([c["name"] for c in meta["columns"]], name=meta.get("columns_name"))
    if not len(meta["columns"]):
        df = pd.DataFrame(index=index)
        df.columns.name = meta.get("columns_name")
    return df
