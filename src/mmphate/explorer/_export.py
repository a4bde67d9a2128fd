"""``export_html``: an explorer (or anything :class:`Explorer` accepts) as one offline HTML file."""

from __future__ import annotations

import os
from typing import Any

from .._atomic import target_path
from .._validate import check_text
from ._page import write_html
from ._widget import Explorer

__all__ = ["export_html", "as_explorer"]


def as_explorer(widget_or_source: Any, recording: Any, kwargs: dict[str, Any]) -> Explorer:
    if isinstance(widget_or_source, Explorer):
        if recording is not None or kwargs:
            raise TypeError(
                "pass either an Explorer, or a source with Explorer arguments; "
                f"got an Explorer plus {sorted(kwargs) + (['recording'] if recording is not None else [])}."
            )
        return widget_or_source
    return Explorer(widget_or_source, recording, **kwargs)


def export_html(
    widget_or_source: Any,
    path: str | os.PathLike[str],
    recording: Any = None,
    *,
    title: str | None = None,
    **explorer_kwargs: Any,
) -> os.PathLike[str] | str:
    """Write the explorer as one standalone HTML file that works offline (also from ``file://``).

    Parameters
    ----------
    widget_or_source : Explorer, fitted MMPHATE, or embedding array
        An existing widget (its current epoch, colour mode and selection are kept) or anything
        :class:`~mmphate.Explorer` accepts.
    path : path-like
        Output file (``.html``).
    recording : Recording, optional
        With an embedding array, the recording it was computed from.
    title : str, optional
        Page title (shown as text; never interpreted as HTML).
    **explorer_kwargs
        Further :class:`~mmphate.Explorer` arguments (``intrastep``, ``clusters``, ``color_by``,
        ...) when ``widget_or_source`` is not an Explorer.

    Returns
    -------
    path : the path written.

    Raises
    ------
    TypeError
        If ``path`` is not a path, ``title`` not a string, or the source or an Explorer argument
        has the wrong type.
    FileNotFoundError, NotADirectoryError
        If the folder of ``path`` does not exist (it is never created) or is not a folder.
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If ``path`` is a FIFO or a device, ``title`` holds a NUL or a lone surrogate, or an
        Explorer argument is invalid (see :class:`~mmphate.Explorer`).
    OSError
        If writing fails (e.g. no space left); a previous file at ``path`` is unchanged.

    Notes
    -----
    The page is written atomically: to a temporary file in the same folder, then renamed over
    ``path``; a symbolic link at ``path`` is written through to its target.
    """
    target_path(path)
    check_text(title, "title", optional=True)
    explorer = as_explorer(widget_or_source, recording, explorer_kwargs)
    return write_html(explorer, path, title=title)
