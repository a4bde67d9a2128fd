"""The ``mmphate`` command line.

::

    mmphate demo                      train a small LSTM, embed, analyse, export, open JupyterLab
    mmphate demo --live               open the live notebook: train with the live view open
    mmphate embed REC.npz -o OUT/     embedding + entropy tables from a recording file
    mmphate export REC.npz|OUT/ -o explorer.html
    mmphate info REC.npz|OUT/         what a recording or result folder holds

Errors on bad input (options, files, output paths) print one line on stderr and exit with
status 2; an unexpected internal error prints one line and exits with status 1 (``--debug``
shows its traceback).  Text read from files (unit ids, metadata, column names) is printed with
control characters escaped, so a file cannot send escape sequences to the terminal.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ._optional import MissingDependencyError
from ._validate import printable
from ._version import __version__

EXIT_BAD_INPUT = 2

_DESCRIPTION = """\
mmphate: see how a recurrent network's hidden units evolve through training.

A *recording* is a file of hidden states (epochs x timesteps x units x trace
samples) plus per-epoch metrics, written by mmphate.Recording.save() or by the
recorders in mmphate.record.torch and mmphate.record.keras. The commands below
turn one into an MM-PHATE embedding with entropy analyses, and into an
interactive explorer (a single HTML file that works offline).
"""

_EPILOG = """\
examples:
  mmphate demo --no-server            run the whole pipeline on BasicMotions, no JupyterLab
  mmphate demo --live                 open the live notebook: train with the live view open
  mmphate embed run.npz -o result/    embed a recording; tables land in result/
  mmphate export result/ -o run.html  explorer from a result folder (no refit)
  mmphate export run.npz -o run.html  explorer straight from a recording (fits first)

Run 'mmphate COMMAND --help' for the options of each command.
"""


EXIT_INTERNAL = 1


class CLIError(Exception):
    """A problem with the user's input: reported on one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``mmphate embed: error: ...``), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            EXIT_BAD_INPUT,
            f"{self.prog}: error: {printable(message)} (see '{self.prog} --help')\n",
        )


def _int_option(minimum: int, maximum: int | None = None) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            top = f" and <= {maximum}" if maximum is not None else ""
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}{top}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def _float_option(
    low: float, high: float | None = None, *, open_low: bool = False, open_high: bool = False
) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        too_low = value < low or (open_low and value == low)
        too_high = high is not None and (value > high or (open_high and value == high))
        if too_low or too_high:
            lo, hi = "(" if open_low else "[", ")" if open_high else "]"
            span = (
                f"in {lo}{low:g}, {high:g}{hi}"
                if high is not None
                else (f"{'>' if open_low else '>='} {low:g}")
            )
            raise argparse.ArgumentTypeError(f"expected a number {span}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def _t_option(text: str) -> Any:
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a positive integer, got {value}")
    return value


_t_option.__name__ = "t"


# --------------------------------------------------------------------------- parser
def _add_estimator_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("MM-PHATE options (see help(mmphate.MMPHATE))")
    g.add_argument("--n-components", type=_int_option(2, 3), default=3, help="2 or 3 (default 3)")
    g.add_argument(
        "--intrastep-knn", type=_int_option(1), default=2, help="k of the intrastep kernel (2)"
    )
    g.add_argument(
        "--interstep-knn",
        type=_int_option(1),
        default=25,
        help="rank that sets the interstep bandwidth (25)",
    )
    g.add_argument(
        "--interstep-neighbors",
        type=_int_option(0),
        default=75,
        help="interstep edges per node of the scalable kernel (75)",
    )
    g.add_argument(
        "--decay", type=_float_option(0, open_low=True), default=5, help="alpha-decay exponent (5)"
    )
    g.add_argument(
        "--thresh",
        type=_float_option(0, 1, open_high=True),
        default=1e-4,
        help="kernel threshold, in [0, 1) (1e-4)",
    )
    g.add_argument(
        "--interstep",
        default="knn",
        choices=("knn", "exact"),
        help="'knn' (scalable, default) or 'exact' (the reference kernel; small recordings only)",
    )
    g.add_argument(
        "--t", type=_t_option, default="auto", help="diffusion time: 'auto' or an integer"
    )
    g.add_argument(
        "--gamma",
        type=_float_option(-1, 1),
        default=0,
        help="potential, in [-1, 1]: 0 = square root (default)",
    )
    g.add_argument("--padding", default="carry", choices=("carry", "zero"), help="variable lengths")
    g.add_argument("--random-state", type=_int_option(0, 2**32 - 1), default=0, help="seed (0)")
    g.add_argument(
        "--bins",
        type=_int_option(1, 1000),
        default=6,
        help="entropy grid cells per axis (6)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``mmphate`` command's argument parser, with its subcommands.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = _Parser(
        prog="mmphate",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mmphate {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

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
    d.add_argument("--epochs", type=_int_option(1), default=40, help="training epochs (40)")
    d.add_argument("--hidden-size", type=_int_option(1), default=32, help="hidden units (32)")
    d.add_argument("--seed", type=_int_option(0, 2**32 - 1), default=0)
    d.add_argument("--no-server", action="store_true", help="do not start JupyterLab")
    d.add_argument(
        "--live",
        action="store_true",
        help="instead, open the live notebook in JupyterLab, where an LSTM and a GRU train with "
        "the live view open (needs the server; --out/--kind/--epochs/--hidden-size/--seed "
        "do not apply)",
    )
    d.add_argument(
        "--port", type=_int_option(1, 65535), default=8888, help="JupyterLab port (8888)"
    )
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
def _say(*parts: Any, file: Any = None) -> None:
    """Print one line with control characters (from files) escaped."""
    print(printable(" ".join(str(p) for p in parts)), file=file or sys.stdout, flush=True)


def _progress(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        _say(f"[mmphate] {message}", file=sys.stderr)


def _estimator(args: argparse.Namespace) -> Any:
    from .engine import MMPHATE

    model = MMPHATE(
        n_components=args.n_components,
        intrastep_knn=args.intrastep_knn,
        interstep_knn=args.interstep_knn,
        interstep_neighbors=args.interstep_neighbors,
        decay=args.decay,
        thresh=args.thresh,
        interstep=args.interstep,
        t=args.t,
        gamma=args.gamma,
        padding=args.padding,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
    )
    model._check_params()  # options are refused before a recording is read
    return model


def _load_recording(path: Path) -> Any:
    from .record import Recording

    if not path.exists():
        raise CLIError(f"no such file: {path}")
    if path.is_dir():
        raise CLIError(f"{path} is a folder; expected a recording file written by Recording.save")
    return Recording.load(path)


def _fit_and_analyse(args: argparse.Namespace, recording: Any, model: Any) -> Any:
    from .pipeline import analyse

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
    from ._atomic import check_folder_target
    from .pipeline import _is_result_folder, write_result

    model = _estimator(args)
    check_folder_target(args.out, replaceable=_is_result_folder, what="result folder")
    recording = _load_recording(args.recording)
    analysis = _fit_and_analyse(args, recording, model)
    out = write_result(analysis, args.out)
    _progress(args, f"wrote {out}/")
    _say(out)
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


def _check_color_by(color_by: str, recording: Any) -> None:
    if color_by == "class" and recording.sample_labels is None:
        raise CLIError(
            "--color-by class needs a recording with sample labels (the class of each trace "
            "sample); this one has none. Choose another --color-by."
        )


def cmd_export(args: argparse.Namespace) -> int:
    from ._atomic import target_path
    from .explorer import export_html
    from .pipeline import read_result

    target_path(args.out)  # the output can be written (its folder exists, no folder or FIFO there)
    if args.input.is_dir():
        analysis = read_result(args.input)
        _check_color_by(args.color_by, analysis.recording)
    else:
        model = _estimator(args)
        recording = _load_recording(args.input)
        _check_color_by(args.color_by, recording)
        analysis = _fit_and_analyse(args, recording, model)
    if analysis.embedding.shape[1] == 2 and args.view == "3d":
        args.view = "2d"
    explorer = _explorer_from(analysis, args.color_by, args.view)
    export_html(explorer, args.out, title=args.title or _title(analysis.recording))
    _progress(args, f"wrote {args.out}")
    _say(args.out)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from .pipeline import read_result

    if args.input.is_dir():
        analysis = read_result(args.input)
        rec = analysis.recording
        _say(f"result folder {args.input}: {analysis.embedding.shape[1]}-D embedding of")
    else:
        rec = _load_recording(args.input)
        analysis = None
    _say(repr(rec))
    _say(f"epochs: {rec.epochs.tolist()[:12]}{' ...' if rec.n_epochs > 12 else ''}")
    _say(f"units: {rec.units.tolist()[:12]}{' ...' if rec.n_units > 12 else ''}")
    if rec.class_names:
        _say(f"classes: {rec.class_names}")
    for key, value in rec.metadata.items():
        _say(f"{key}: {value}")
    if analysis is not None and analysis.phases:
        _say(f"entropy change point: {analysis.phases.get('change_epoch')}")
    return 0


def _title(recording: Any) -> str:
    meta = recording.metadata
    parts = [str(meta[k]) for k in ("model", "kind", "dataset", "layer") if k in meta]
    return "mmphate explorer" + (": " + ", ".join(parts) if parts else "")


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo, run_live_demo

    if args.live:
        if args.no_server:
            raise CLIError(
                "--live trains in a notebook kernel, where the live view is shown: it needs "
                "JupyterLab; drop --no-server (or run the offline demo without --live)."
            )
        try:
            return run_live_demo(port=args.port, notebook=args.notebook, quiet=args.quiet)
        except RuntimeError as exc:
            raise CLIError(str(exc)) from None
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
    except BrokenPipeError:  # stdout closed early (| head): handled by run()
        raise
    except (CLIError, ValueError, TypeError, OSError, MissingDependencyError) as exc:
        # user errors: bad options, files, paths (missing, not writable, disk full, ...)
        _say(f"mmphate {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        _say(
            f"mmphate {args.command}: internal error ({type(exc).__name__}: {_one_line(exc)}); "
            "rerun with --debug for the traceback and report it.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:2000]


def run() -> None:
    """Console entry point: exit with :func:`main`'s status; a closed pipe is not an error."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. mmphate info run.npz | head -1
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
