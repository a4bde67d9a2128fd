"""``to_pythreejs``: the embedding as a pythreejs scene (needs ``mmphate[pythreejs]``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from .._optional import require
from .._validate import check_choice, check_int, check_number, check_text
from ._assets import COLOR_MODES
from ._checks import ExplorerError
from ._colors import node_colors
from ._export import as_explorer

__all__ = ["to_pythreejs"]


def to_pythreejs(
    widget_or_source: Any,
    recording: Any = None,
    *,
    color_by: str | None = None,
    epoch: int | None = None,
    point_size: float = 3.0,
    background: str = "white",
    **explorer_kwargs: Any,
) -> Any:
    """The embedding as a ``pythreejs.Scene`` (a ``Points`` object with a ``BufferGeometry``).

    Parameters
    ----------
    widget_or_source : Explorer, fitted MMPHATE, or embedding array
    recording : Recording, optional
        With an embedding array.
    color_by : str, optional
        Colour mode (default: the explorer's).
    epoch : int, optional
        Only this epoch's nodes (epoch number); default all nodes.
    point_size : float
        Point size in pixels.
    background : str
        Scene background colour.
    **explorer_kwargs
        Further :class:`~mmphate.Explorer` arguments when ``widget_or_source`` is not an
        Explorer.

    Raises
    ------
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If ``epoch`` is not an integer, ``point_size``
        not a positive finite number, ``color_by`` not a colour mode or ``background`` not a
        string.
    ValueError
        If ``epoch`` is not in the recording.

    Returns
    -------
    pythreejs.Scene
        Children: the ``Points`` (named ``"mmphate-points"``) and an ambient light. 2-D
        embeddings get ``z = 0``.
    """
    epoch = check_int(epoch, "epoch", optional=True)
    point_size = check_number(point_size, "point_size", low=0, low_open=True)
    check_text(background, "background")
    check_choice(color_by, "color_by", COLOR_MODES, optional=True)
    p3 = require("pythreejs", "pythreejs", "to_pythreejs")
    explorer = as_explorer(widget_or_source, recording, explorer_kwargs)
    emb = explorer.embedding
    pos = np.zeros((emb.shape[0], 3), np.float32)
    pos[:, : emb.shape[1]] = emb
    colors = node_colors(explorer, color_by)
    if epoch is not None:
        epochs = explorer.recording.epochs.tolist()
        if int(epoch) not in epochs:
            raise ValueError(
                f"epoch {epoch} is not in the recording; recorded epochs: {epochs[:20]}"
            )
        E, T, U, _ = explorer.recording.shape
        i = epochs.index(int(epoch))
        sl = slice(i * T * U, (i + 1) * T * U)
        pos, colors = pos[sl], colors[sl]
    geometry = p3.BufferGeometry(
        attributes={
            "position": p3.BufferAttribute(array=np.ascontiguousarray(pos), normalized=False),
            "color": p3.BufferAttribute(array=np.ascontiguousarray(colors), normalized=False),
        }
    )
    material = p3.PointsMaterial(
        vertexColors="VertexColors", size=point_size, sizeAttenuation=False
    )
    points = p3.Points(geometry=geometry, material=material, name="mmphate-points")
    try:
        return p3.Scene(children=[points, p3.AmbientLight(intensity=1.0)], background=background)
    except traitlets.TraitError:
        raise ExplorerError(
            f"background must be an HTML colour (a name such as 'white', or '#rrggbb'); got "
            f"{background!r}."
        ) from None
