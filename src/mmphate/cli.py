"""The ``mmphate`` command line.

::

    mmphate demo                      train a small LSTM, embed, analyse, export, open JupyterLab
    mmphate embed REC.npz -o OUT/     embedding + entropy tables from a recording file
    mmphate export REC.npz|OUT/ -o explorer.html
    mmphate info REC.npz|OUT/         what a recording or result folder holds

Errors on bad input print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._optional import MissingDependencyError
from ._version import __version__

EXIT_BAD_INPUT = 2

_DESCRIPTION = """\
mmphate: see how a recurrent network's hidden units evolve through training.

A *recording* is a file of hidden states (epochs x timesteps x units x trace
samples) plus per-epoch metrics, written by mmphate.Recording.save() or by the
PyTorch recorder in mmphate.record.torch. The commands below turn one into an MM-PHATE
embedding with entropy analyses, and into an interactive explorer (a single
HTML file that works offline).
"""

_EPILOG = """\
examples:
  mmphate demo --no-server            run the whole pipeline on BasicMotions, no JupyterLab
  mmphate embed run.npz -o result/    embed a recording; tables land in result/
  mmphate export result/ -o run.html  explorer from a result folder (no refit)
  mmphate export run.npz -o run.html  explorer straight from a recording (fits first)

Run 'mmphate COMMAND --help' for the options of each command.
"""


class CLIError(Exception):
    """A problem with the user's input: reported on one line, exit status 2."""


# --------------------------------------------------------------------------- parser
def _add_estimator_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("MM-PHATE options (see help(mmphate.MMPHATE))")
    g.add_argument("--n-components", type=int, default=3, choices=(2, 3), help="2 or 3 (default 3)")
    g.add_argument("--intrastep-knn", type=int, default=2, help="k of the intrastep kernel (2)")
    g.add_argument(
        "--interstep-knn", type=int, default=25, help="rank that sets the interstep bandwidth (25)"
    )
    g.add_argument(
        "--interstep-neighbors",
        type=int,
        default=75,
        help="interstep edges per node of the scalable kernel (75)",
    )
    g.add_argument("--decay", type=float, default=5, help="alpha-decay exponent (5)")
    g.add_argument("--thresh", type=float, default=1e-4, help="kernel threshold (1e-4)")
    g.add_argument(
        "--interstep",
        default="knn",
        choices=("knn", "exact"),
        help="'knn' (scalable, default) or 'exact' (the reference kernel; small recordings only)",
    )
    g.add_argument("--t", default="auto", help="diffusion time: 'auto' or an integer")
    g.add_argument("--gamma", type=float, default=0, help="potential: 0 = square root (default)")
    g.add_argument("--padding", default="carry", choices=("carry", "zero"), help="variable lengths")
    g.add_argument("--random-state", type=int, default=0, help="seed (0)")
    g.add_argument("--bins", type=int, default=10, help="histogram bins per axis for entropy (10)")


def build_parser() -> argparse.ArgumentParser:
    """The ``mmphate`` command's argument parser, with its subcommands.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="mmphate",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mmphate {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser(
        "demo",
        help="train a small LSTM on BasicMotions, embed, analyse, export, open JupyterLab",
        description="Train a small recurrent classifier on BasicMotions (accelerometer + "
        "gyroscope, 4 activities) while recording its hidden units every epoch, compute "
        "MM-PHATE and the entropy analyses, write a standalone HTML explorer, then open the "
        "quickstart notebook in JupyterLab.",
    )
    d.add_argument("--out", type=Path, default=Path("mmphate-demo"), help="output folder")
    d.add_argument("--kind", default="lstm", choices=("lstm", "gru", "rnn"))
    d.add_argument("--epochs", type=int, default=40, help="training epochs (40)")
    d.add_argument("--hidden-size", type=int, default=32, help="hidden units (32)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--no-server", action="store_true", help="do not start JupyterLab")
    d.add_argument("--port", type=int, default=8888, help="JupyterLab port (8888)")
    d.add_argument(
        "--notebook",
        type=Path,
        default=None,
        help="notebook to open (default: notebooks/quickstart.ipynb when run from the repository)",
    )

    e = sub.add_parser(
        "embed",
        help="embed a recording and write the embedding and entropy tables",
        description="Fit MM-PHATE on a recording file and write a result folder: "
        "embedding.csv (epoch, timestep, unit, x, y, z), intrastep_entropy.csv, "
        "interstep_entropy.csv, clusters.csv, entropy_vs_performance.csv (when the recording "
        "has metrics), recording.npz and result.json.",
    )
    e.add_argument("recording", type=Path, help="recording file (Recording.save)")
    e.add_argument("-o", "--out", type=Path, required=True, help="result folder to write")
    _add_estimator_options(e)

    x = sub.add_parser(
        "export",
        help="write a standalone offline HTML explorer",
        description="Write the explorer as one HTML file that works offline (also from "
        "file://). INPUT is a result folder from 'mmphate embed' (no refit) or a recording "
        "file (fitted first with the options below).",
    )
    x.add_argument("input", type=Path, help="result folder or recording file")
    x.add_argument("-o", "--out", type=Path, required=True, help="HTML file to write")
    x.add_argument("--title", default=None, help="page title")
    x.add_argument(
        "--color-by",
        default="epoch",
        choices=(
            "epoch",
            "timestep",
            "unit",
            "cluster",
            "intrastep_entropy",
            "interstep_entropy",
            "class",
        ),
    )
    x.add_argument("--view", default="3d", choices=("2d", "3d"))
    _add_estimator_options(x)

    i = sub.add_parser("info", help="describe a recording file or result folder")
    i.add_argument("input", type=Path, help="recording file or result folder")
    return parser


# --------------------------------------------------------------------------- commands
def _progress(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(f"[mmphate] {message}", file=sys.stderr, flush=True)


def _estimator(args: argparse.Namespace) -> Any:
    from .engine import MMPHATE

    t: Any = args.t
    if t != "auto":
        try:
            t = int(t)
        except ValueError:
            raise CLIError(f"--t must be 'auto' or a positive integer; got {args.t!r}") from None
    return MMPHATE(
        n_components=args.n_components,
        intrastep_knn=args.intrastep_knn,
        interstep_knn=args.interstep_knn,
        interstep_neighbors=args.interstep_neighbors,
        decay=args.decay,
        thresh=args.thresh,
        interstep=args.interstep,
        t=t,
        gamma=args.gamma,
        padding=args.padding,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
    )


def _load_recording(path: Path) -> Any:
    from .record import Recording

    if not path.exists():
        raise CLIError(f"no such file: {path}")
    if path.is_dir():
        raise CLIError(f"{path} is a folder; expected a recording file written by Recording.save")
    return Recording.load(path)


def _fit_and_analyse(args: argparse.Namespace, recording: Any) -> Any:
    from .pipeline import analyse

    model = _estimator(args)
    _progress(args, f"fitting MM-PHATE on {recording.n_nodes:,} nodes ({recording!r})")
    embedding = model.fit_transform(recording)
    _progress(args, "entropy, phases, statistics and unit clusters")
    return analyse(
        embedding,
        recording,
        bins=args.bins,
        random_state=args.random_state,
        params=model.get_params(),
    )


def cmd_embed(args: argparse.Namespace) -> int:
    from .pipeline import write_result

    recording = _load_recording(args.recording)
    analysis = _fit_and_analyse(args, recording)
    out = write_result(analysis, args.out)
    _progress(args, f"wrote {out}/")
    print(out)
    return 0


def _explorer_from(analysis: Any, color_by: str, view: str) -> Any:
    from .explorer import Explorer

    return Explorer(
        analysis.embedding,
        recording=analysis.recording,
        intrastep=analysis.intrastep,
        interstep=analysis.interstep,
        clusters=analysis.clusters["cluster"].to_numpy(),
        color_by=color_by,
        view=view,
    )


def cmd_export(args: argparse.Namespace) -> int:
    from .explorer import export_html
    from .pipeline import read_result

    if args.input.is_dir():
        analysis = read_result(args.input)
    else:
        analysis = _fit_and_analyse(args, _load_recording(args.input))
    if analysis.embedding.shape[1] == 2 and args.view == "3d":
        args.view = "2d"
    explorer = _explorer_from(analysis, args.color_by, args.view)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export_html(explorer, args.out, title=args.title or _title(analysis.recording))
    _progress(args, f"wrote {args.out}")
    print(args.out)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from .pipeline import read_result

    if args.input.is_dir():
        analysis = read_result(args.input)
        rec = analysis.recording
        print(f"result folder {args.input}: {analysis.embedding.shape[1]}-D embedding of")
    else:
        rec = _load_recording(args.input)
        analysis = None
    print(repr(rec))
    print(f"epochs: {rec.epochs.tolist()[:12]}{' ...' if rec.n_epochs > 12 else ''}")
    print(f"units: {rec.units.tolist()[:12]}{' ...' if rec.n_units > 12 else ''}")
    if rec.class_names:
        print(f"classes: {rec.class_names}")
    for key, value in rec.metadata.items():
        print(f"{key}: {value}")
    if analysis is not None and analysis.phases:
        print(f"entropy change point: {analysis.phases.get('change_epoch')}")
    return 0


def _title(recording: Any) -> str:
    meta = recording.metadata
    parts = [str(meta[k]) for k in ("model", "kind", "dataset", "layer") if k in meta]
    return "mmphate explorer" + (": " + ", ".join(parts) if parts else "")


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(
        out=args.out,
        kind=args.kind,
        epochs=args.epochs,
        hidden_size=args.hidden_size,
        seed=args.seed,
        server=not args.no_server,
        port=args.port,
        notebook=args.notebook,
        quiet=args.quiet,
    )


COMMANDS = {"demo": cmd_demo, "embed": cmd_embed, "export": cmd_export, "info": cmd_info}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mmphate`` command line; errors in the input are one line on stderr.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 for bad input, 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    log = logging.getLogger("mmphate")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[mmphate] %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.WARNING if args.quiet else logging.INFO)
    try:
        return COMMANDS[args.command](args)
    except (
        CLIError,
        ValueError,
        TypeError,
        FileNotFoundError,
        IsADirectoryError,
        MissingDependencyError,
    ) as exc:
        print(f"mmphate {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
