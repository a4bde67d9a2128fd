"""Render the published benchmark results as Markdown tables (docs and README).

The published results are JSON files committed under ``benchmarks/results/``, one per
benchmark: ``bench_engine.json``, ``bench_widget.json``, ``bench_recording.json``.  A benchmark
run writes a timestamped file (``bench_<name>-<YYYYmmdd-HHMMSS>.json``, git-ignored); to publish
it, copy it over ``benchmarks/results/bench_<name>.json`` and run::

    python benchmarks/render.py --update-readme     # rewrite the README's generated blocks
    python benchmarks/render.py                     # print every table
    python benchmarks/render.py --out docs/_generated   # write bench_<name>.md files

The documentation build calls :func:`write_markdown` itself, and ``tests/test_docs.py`` checks
that the README's blocks (between ``<!-- bench:<name>:start -->`` and
``<!-- bench:<name>:end -->``) equal what this script renders from the committed JSON.

The JSON contract (what the renderer reads; anything else is kept but ignored)
----------------------------------------------------------------------------
Every file: ``machine``, an object with ``cpus``, ``platform``, ``python``, ``threads`` (BLAS /
OpenMP threads of the measured processes) and ``loadavg_start`` / ``loadavg_end`` (the
1/5/15-minute load averages when the run started and ended); optionally ``date`` and
``command`` (the command line that produced the file).

``bench_engine.json``: every other top-level object that has ``nodes`` is a configuration:
``shape`` ([E, T, U, S]), ``nodes``, ``data`` (the generator), and any number of
*implementations*: objects with a ``status`` ("ok", "out of memory", "timeout", "error", or a
sentence saying why it was not run), ``wall_s``, ``cpu_s``, ``peak_rss_mb``, and for failures
``mem_limit_gb``, ``timeout_s``, ``process_s``, ``error``.  One row per implementation, in file
order; when an implementation named ``reference`` succeeded, every other row gets its ratios
against it (time, CPU time, memory).  Any other object without ``status`` (e.g. ``fidelity``)
becomes a two-column table of its numeric entries; keys like ``overlap[a,b]`` read
"overlap, a vs b".  A new implementation, configuration or fidelity entry therefore appears
without changing this script; :data:`LABELS` only gives known keys a readable name.

``bench_widget.json``: ``rows`` (one object per size: ``points``, ``shape``,
``bytes_per_point``, ``html_mb``, ``python_s``, ``load_s``, ``first_frame_s``,
``scrub_ms_median``, ``scrub_ms_p90``, ``scrub_fps``, ``play_ms_median``, ``orbit_ms_median``),
optionally ``lab`` (``points``, ``explorer_call_s``, ``first_frame_s``), and ``browser``.

``bench_recording.json``: ``model`` (what was trained), ``epochs``, ``repeats`` and
``summary`` with ``seconds_recording``, ``seconds_none`` (median training times), ``ratio``,
``peak_rss_mb_recording``, ``peak_rss_mb_none``, ``recording_shape``, ``recording_mb`` and
``val_accuracy``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE.parent / "README.md"
NAMES = ("engine", "widget", "recording")

#: Readable names of known implementation keys of ``bench_engine.json`` (others show as-is).
LABELS = {
    "reference": "reference `m_phate.M_PHATE`",
    "exact": '`MMPHATE(interstep="exact")`',
    "exact_seed1": '`MMPHATE(interstep="exact", random_state=1)`',
    "scalable": "`MMPHATE()` (scalable kernel)",
    "scalable_seed1": "`MMPHATE(random_state=1)` (scalable kernel)",
    "scalable_matched": '`MMPHATE(n_landmark=4000, mds_solver="smacof")`',
}


# ----------------------------------------------------------------------------- formatting
def _num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def _memory(mb: float | None) -> str:
    if mb is None:
        return "-"
    return f"{mb / 1024:.2f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def _mass(mass: Any) -> str:
    if not isinstance(mass, dict) or mass.get("median") is None:
        return "-"
    how = "" if mass.get("exact") else " (sampled)"
    return f"{mass['median']:.3f} / {mass['p01']:.3f}{how}"


def _ratio(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.1f}x" if value < 100 else f"{value:.0f}x"


def _load(value: Any) -> str:
    if isinstance(value, list | tuple) and value:
        return f"{max(value):.1f}"
    return "-" if value is None else f"{value:.1f}"


def _table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """A pipe table; ``align`` is one of 'l'/'r' per column."""
    align = align or "l" * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def machine_line(data: dict[str, Any]) -> str:
    """One sentence: the machine, its load and the thread setting of a run."""
    m = data.get("machine", {})
    parts = []
    if m.get("cpus"):
        parts.append(f"{m['cpus']} CPUs")
    if m.get("memory_gb"):
        parts.append(f"{m['memory_gb']:.0f} GB RAM")
    if m.get("platform"):
        parts.append(m["platform"])
    if m.get("python"):
        parts.append(f"Python {m['python']}")
    text = "Measured on " + ", ".join(parts) if parts else "Machine not recorded"
    if m.get("threads") is not None:
        t = m["threads"]
        text += f"; {t} BLAS/OpenMP thread{'s' if t != 1 else ''} per process"
    loads = [m.get("loadavg_start"), m.get("loadavg_end")]
    loads = [load[0] if isinstance(load, list | tuple) else load for load in loads]
    if loads[0] is not None:
        text += f"; load average {loads[0]:.2f} at the start"
        if loads[1] is not None:
            text += f", {loads[1]:.2f} at the end"
    if m.get("date"):
        text += f"; {m['date']}"
    text += "."
    if data.get("command"):
        text += f" Command: `{data['command']}`."
    return text


# ----------------------------------------------------------------------------- engine
def _is_measurement(value: Any) -> bool:
    return isinstance(value, dict) and "status" in value


def _status_text(r: dict[str, Any]) -> str:
    status = str(r.get("status", "?"))
    if status == "timeout" and r.get("timeout_s"):
        return f"did not finish in {r['timeout_s']:.0f} s"
    if status == "out of memory":
        cap = f" (cap {r['mem_limit_gb']:.0f} GB)" if r.get("mem_limit_gb") else ""
        after = f" after {r['process_s']:.0f} s" if r.get("process_s") else ""
        return f"out of memory{cap}{after}"
    if status == "error":
        return f"error: {str(r.get('error', '?'))[:80]}"
    return status


#: Readable names of known entries of the extra tables (e.g. ``fidelity``); others show as-is.
MEASURES = {
    "k": "neighbours `k`",
    "overlap": "k-NN overlap",
    "procrustes": "Procrustes disparity",
    "overlap_scalable_vs_exact_mean": "k-NN overlap, scalable vs exact (mean of both exact seeds)",
    "ratio": "scalable-vs-exact overlap / exact-vs-exact overlap",
}


def _pretty_key(key: str) -> str:
    m = re.fullmatch(r"(\w+)\[(\w+),(\w+)\]", key)
    if m:
        name, a, b = m.groups()
        return f"{MEASURES.get(name, name.replace('_', ' '))}, {a} vs {b}"
    return MEASURES.get(key, key.replace("_", " "))


def render_engine(data: dict[str, Any]) -> str:
    """The engine tables: one row per (configuration, implementation), extra tables after."""
    header = [
        "recording (E x T x U x S)",
        "nodes",
        "implementation",
        "time",
        "CPU time",
        "peak memory",
        "load",
        "speed-up (time / CPU)",
        "memory ratio",
        "interstep mass (median / p1)",
    ]
    rows, extras, data_kinds, fid_rows = [], [], set(), []
    for cfg_name, cfg in data.items():
        if not (isinstance(cfg, dict) and "nodes" in cfg):
            continue
        shape = " x ".join(str(v) for v in cfg.get("shape", [])) or cfg_name
        if cfg.get("data"):
            data_kinds.add(cfg["data"])
        ref = cfg.get("reference")
        ref_ok = _is_measurement(ref) and ref.get("status") == "ok"
        for key, r in cfg.items():
            if _is_measurement(r):
                ok = r.get("status") == "ok"
                speed = mem = ""
                if ok and ref_ok and key != "reference":
                    t = _ratio(ref["wall_s"] / r["wall_s"]) if r.get("wall_s") else "-"
                    c = (
                        _ratio(ref["cpu_s"] / r["cpu_s"])
                        if r.get("cpu_s") and ref.get("cpu_s")
                        else "-"
                    )
                    speed = f"{t} / {c}"
                    if r.get("peak_rss_mb") and ref.get("peak_rss_mb"):
                        mem = _ratio(ref["peak_rss_mb"] / r["peak_rss_mb"])
                rows.append(
                    [
                        f"{shape} ({cfg_name})",
                        _num(cfg["nodes"]),
                        LABELS.get(key, f"`{key}`"),
                        _seconds(r.get("wall_s")) if ok else _status_text(r),
                        _seconds(r.get("cpu_s")) if ok else "-",
                        _memory(r.get("peak_rss_mb")) if ok else "-",
                        _load(r.get("loadavg_1min")),
                        speed or "-",
                        mem or "-",
                        _mass(r.get("interstep_mass")) if ok else "-",
                    ]
                )
            elif isinstance(r, dict) and "overlap_ratio" in r:
                fid_rows.append(
                    [
                        f"{cfg_name}: {cfg.get('data', '')}",
                        _num(cfg["nodes"]),
                        f"{_num(r.get('mass_median'), 3)} / {_num(r.get('mass_p01'), 3)}",
                        _num(r.get("overlap[exact_seed1,exact]"), 3),
                        _num(r.get("overlap[scalable_seed1,exact]"), 3),
                        _num(r.get("overlap_ratio"), 3),
                        _num(r.get("spearman[exact_seed1,exact]"), 3),
                        _num(r.get("spearman[scalable_seed1,exact]"), 3),
                        _num(r.get("spearman_ratio"), 3),
                    ]
                )
            elif isinstance(r, dict):
                items = [(k, v) for k, v in r.items() if isinstance(v, int | float)]
                if items:
                    extras.append(
                        f"**{key.replace('_', ' ').capitalize()}** ({shape}, {_num(cfg['nodes'])}"
                        " nodes):\n\n"
                        + _table(
                            ["measure", "value"],
                            [[_pretty_key(k), _num(v, 3)] for k, v in items],
                            "lr",
                        )
                    )
    out = [machine_line(data)]
    if data_kinds:
        seed = data.get("args", {}).get("seed")
        gens = ", ".join(f"`{d}`" for d in sorted(data_kinds))
        out[0] += f" Data: {gens}" + (f" (seed {seed})." if seed is not None else ".")
    out.append(_table(header, rows, "lrlrrrrrrr"))
    out.append(
        "Time: wall time of `fit_transform` (data loading excluded); CPU time: of the process "
        "meanwhile; peak memory: peak resident memory of the whole process; load: the 1-minute "
        "load average while the row ran (the larger of start and end; above the thread count, "
        "other work shared the CPUs, and CPU time is the fairer measure); ratios: the "
        "reference divided by the row, from the same run; interstep mass: the share of each "
        "node's exact interstep affinity the operator represents (`MMPHATE.interstep_mass_`)."
    )
    if fid_rows:
        out.append(
            "**Fidelity per data family** (embeddings with different seeds; k-NN overlap with "
            "k = 10 over all nodes, Spearman correlation of pairwise distances on a seeded sample "
            "of 1,500 nodes; ratio: scalable-vs-exact over exact-vs-exact):\n\n"
            + _table(
                [
                    "family",
                    "nodes",
                    "interstep mass (median / p1)",
                    "overlap exact vs exact",
                    "overlap scalable vs exact",
                    "overlap ratio",
                    "distance Spearman exact vs exact",
                    "distance Spearman scalable vs exact",
                    "Spearman ratio",
                ],
                fid_rows,
                "lrrrrrrrr",
            )
        )
    out.extend(extras)
    return "\n\n".join(out) + "\n"


# ----------------------------------------------------------------------------- widget
def render_widget(data: dict[str, Any]) -> str:
    """Payload size, time to first frame and frame times of the explorer in a browser."""
    rows = [
        [
            _num(r["points"]),
            r.get("shape", "-"),
            _num(r.get("bytes_per_point"), 1),
            f"{_num(r.get('html_mb'), 1)} MB",
            _seconds(r.get("python_s")),
            _seconds(r.get("load_s")),
            _seconds(r.get("first_frame_s")),
            f"{_num(r.get('scrub_ms_median'), 1)} / {_num(r.get('scrub_ms_p90'), 1)} ms",
            _num(r.get("scrub_fps"), 0),
            f"{_num(r.get('play_ms_median'), 1)} ms",
            f"{_num(r.get('orbit_ms_median'), 1)} ms",
        ]
        for r in data.get("rows", [])
    ]
    header = [
        "points",
        "E x T x U",
        "bytes / point",
        "HTML file",
        "Python (build + write HTML)",
        "page load",
        "first frame",
        "scrub frame (median / p90)",
        "scrub fps",
        "play frame",
        "orbit frame",
    ]
    out = [machine_line(data)]
    if data.get("browser"):
        out[0] += f" Browser: {data['browser']}."
    out.append(_table(header, rows, "lrrrrrrrrrr"))
    out.append(
        "Standalone HTML page (`export_html`); first frame = Python + page load until the "
        "explorer reports `data-ready`. Scrub: the Epoch slider moved once per frame, every "
        "epoch drawn (current + faint context), each frame forced to finish (`readPixels`); "
        "play: the timestep animation; orbit: a camera drag."
    )
    lab = data.get("lab") or []
    if lab:
        out.append(
            "In JupyterLab 4, from the Python call `Explorer(...)` to the first drawn frame:"
        )
        out.append(
            _table(
                ["points", "`Explorer(...)` call", "first frame", "4 MiB chunks"],
                [
                    [
                        _num(r["points"]),
                        _seconds(r["explorer_call_s"]),
                        _seconds(r["first_frame_s"]),
                        _num(r["chunks"]) if r.get("chunks") else "-",
                    ]
                    for r in lab
                ],
                "rrrr",
            )
        )
    return "\n\n".join(out) + "\n"


# ----------------------------------------------------------------------------- recording
def render_recording(data: dict[str, Any]) -> str:
    """Training time with and without recording every epoch."""
    s = data["summary"]
    overhead = 100 * (s["ratio"] - 1)
    shape = " x ".join(str(v) for v in s.get("recording_shape") or [])
    rows = [
        [
            "every epoch",
            _seconds(s["seconds_recording"]),
            _memory(s.get("peak_rss_mb_recording")),
        ],
        ["none", _seconds(s["seconds_none"]), _memory(s.get("peak_rss_mb_none"))],
    ]
    out = [
        machine_line(data),
        f"{data.get('model', 'model')}, {data.get('epochs')} epochs, median of "
        f"{data.get('repeats')} runs each (alternating order, each in its own process):",
        _table(["recording", "training time", "peak memory"], rows, "lrr"),
        f"Recording costs **{overhead:+.1f} %** of the training time (ratio {s['ratio']:.3f}); "
        f"the recorded tensor ({shape}, float32) takes {s.get('recording_mb', 0):.1f} MB; "
        f"final validation accuracy {s.get('val_accuracy', float('nan')):.3f}.",
    ]
    return "\n\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "engine": render_engine,
    "widget": render_widget,
    "recording": render_recording,
}


# ----------------------------------------------------------------------------- files
def load(name: str, results: Path = RESULTS) -> dict[str, Any]:
    """The published results of benchmark ``name`` (``results/bench_<name>.json``)."""
    path = results / f"bench_{name}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"no published results for the {name} benchmark: expected {path}; run "
            f"benchmarks/bench_{name}.py and copy its JSON there"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def render(name: str, results: Path = RESULTS) -> str:
    """Markdown of the published results of benchmark ``name``."""
    return RENDERERS[name](load(name, results))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_markdown(out: Path, results: Path = RESULTS) -> list[Path]:
    """Write ``bench_<name>.md`` for every benchmark into ``out``; unchanged files are kept."""
    paths = []
    for name in NAMES:
        path = out / f"bench_{name}.md"
        text = render(name, results)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            _write_atomic(path, text)
        paths.append(path)
    return paths


def _block_re(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- bench:{name}:start -->\n)(.*?)(<!-- bench:{name}:end -->)", flags=re.DOTALL
    )


def readme_blocks(text: str) -> dict[str, str]:
    """The generated blocks of a README, by benchmark name."""
    found = {}
    for name in NAMES:
        m = _block_re(name).search(text)
        if m:
            found[name] = m.group(2)
    return found


def update_readme(readme: Path = README, results: Path = RESULTS) -> bool:
    """Replace the README's generated blocks; returns whether anything changed."""
    text = readme.read_text(encoding="utf-8")
    new = text
    for name in NAMES:
        pattern = _block_re(name)
        if not pattern.search(new):
            raise ValueError(
                f"{readme} has no block for the {name} benchmark; add the lines "
                f"<!-- bench:{name}:start --> and <!-- bench:{name}:end --> where it goes"
            )
        body = render(name, results)
        new = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(3), new)
    if new != text:
        _write_atomic(readme, new)
    return new != text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", type=Path, default=RESULTS, help="folder of bench_<name>.json")
    p.add_argument("--update-readme", action="store_true", help="rewrite the README's blocks")
    p.add_argument("--out", type=Path, help="write bench_<name>.md files into this folder")
    args = p.parse_args(argv)
    try:
        if args.update_readme:
            changed = update_readme(README, args.results)
            print(f"{README}: {'updated' if changed else 'already up to date'}")
        if args.out:
            for path in write_markdown(args.out, args.results):
                print(f"wrote {path}")
        if not (args.update_readme or args.out):
            for name in NAMES:
                print(f"## {name}\n\n{render(name, args.results)}")
    except (FileNotFoundError, ValueError, KeyError) as exc:
        print(f"render.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
