"""``export_html``: an explorer (or anything :class:`Explorer` accepts) as one offline HTML file."""

from __future__ import annotations

import os
from typing import Any

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
    """
    explorer = as_explorer(widget_or_source, recording, explorer_kwargs)
    return write_html(explorer, path, title=title)
