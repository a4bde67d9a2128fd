"""Point selection, filters and chunked transfer of the explorer, without a browser."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
import traitlets
from ipywidgets.widgets.widget import _remove_buffers

from mmphate.explorer import Explorer, standalone_html
from mmphate.explorer._transfer import CHUNK_THRESHOLD, plan
from mmphate.record import Recording

E, T, U = 3, 4, 5
EPOCHS = [1, 5, 10]
STEPS = [0, 10, 20, 30]


@pytest.fixture
def w() -> Explorer:
    rng = np.random.default_rng(0)
    rec = Recording(
        rng.normal(size=(E, T, U, 3)).astype(np.float32),
        epochs=EPOCHS,
        timesteps=STEPS,
        units=[f"u{i}" for i in range(U)],
    )
    return Explorer(rng.normal(size=(rec.n_nodes, 2)), rec)


def node(e: int, t: int, u: int) -> int:
    return (e * T + t) * U + u


def test_selected_points_coercion_and_errors(w):
    assert w.selected_points.tolist() == [] and w.selected_points.dtype == np.int64
    w.selected_points = [7, 3, 3, 59]
    assert w.selected_points.tolist() == [3, 7, 59]
    assert not w.selected_points.flags.writeable
    mask = np.zeros(E * T * U, bool)
    mask[[2, 40]] = True
    w.selected_points = mask
    assert w.selected_points.tolist() == [2, 40]
    w.selected_points = np.array([4.0, 1.0])
    assert w.selected_points.tolist() == [1, 4]
    with pytest.raises(traitlets.TraitError, match=r"outside \[0, 60\): \[60\]"):
        w.selected_points = [1, 60]
    with pytest.raises(traitlets.TraitError, match="one value per node"):
        w.selected_points = np.ones(3, bool)
    with pytest.raises(traitlets.TraitError, match="integers"):
        w.selected_points = [0.5]
    assert w.selected_points.tolist() == [1, 4]  # a bad write keeps the old value
    w.selected_points = None
    assert w.selected_points.tolist() == []


def test_selected_points_cross_as_uint32_both_ways(w):
    w.selected_points = [5, 9]
    state, paths, buffers = _remove_buffers(w.get_state(["selected_points"]))
    assert paths == [["selected_points"]]
    assert np.frombuffer(bytes(buffers[0]), np.uint32).tolist() == [5, 9]
    # what the front end sends back: a binary buffer of uint32 node indices
    changes = []
    w.observe(lambda c: changes.append(c["new"].tolist()), "selected_points")
    w.set_state({"selected_points": memoryview(np.array([11, 2], np.uint32).tobytes())})
    assert w.selected_points.tolist() == [2, 11]
    w.set_state({"selected_points": memoryview(np.array([2, 11], np.uint32).tobytes())})
    assert changes == [[2, 11]], "an unchanged selection does not notify again"


def test_selection_mode_and_selected_nodes(w):
    with pytest.raises(traitlets.TraitError, match="'units' or 'points'"):
        w.selection_mode = "nodes"
    w.selected_units = ["u1"]
    w.selected_points = [node(2, 3, 4), node(0, 1, 1)]
    assert len(w.selected_nodes()) == E * T  # units mode: every node of u1
    w.selection_mode = "POINTS"
    assert w.selection_mode == "points"
    nodes = w.selected_nodes()
    assert nodes["node"].tolist() == [node(0, 1, 1), node(2, 3, 4)]
    assert nodes[["epoch", "timestep", "unit"]].values.tolist() == [[1, 10, "u1"], [10, 30, "u4"]]
    np.testing.assert_allclose(nodes[["x", "y"]].to_numpy(float), w.embedding[nodes["node"]])
    assert w.selected_hidden().units.tolist() == ["u1", "u4"]
    w.selected_points = []
    with pytest.raises(ValueError, match="nothing is selected"):
        w.selected_hidden()


def test_filters_default_reset_and_errors(w):
    assert (w.epoch_range, w.timestep_range) == ((1, 10), (0, 30))
    w.epoch_range = [5, 10]
    w.timestep_range = (5, 25)  # bounds need not be recorded labels
    assert (w.epoch_range, w.timestep_range) == ((5, 10), (5, 25))
    assert w.get_state(["epoch_range"])["epoch_range"] == (5, 10)
    mask = w.filter_mask().reshape(E, T, U)
    assert mask[1:, 1:3].all() and not mask[0].any() and not mask[:, [0, 3]].any()
    # units mode: the selected units' nodes inside the filters only
    w.selected_units = ["u2"]
    assert w.selected_nodes()["node"].tolist() == sorted(
        node(e, t, 2) for e in (1, 2) for t in (1, 2)
    )
    for bad, match in [
        ((10, 5), "first <= last"),
        ((2, 4), "contains no recorded epoch"),
        ("x", "pair"),
    ]:
        with pytest.raises(traitlets.TraitError, match=match):
            w.epoch_range = bad
    w.epoch_range = None
    assert w.epoch_range == (1, 10)
    with pytest.raises(traitlets.TraitError, match="timestep_range"):
        Explorer(w.embedding, w.recording, timestep_range=(31, 40))


def test_large_payloads_are_planned_in_chunks():
    big = {"_positions": b"\0" * (CHUNK_THRESHOLD + 1), "_clusters": b"\1" * 8, "_labels": {}}
    traits, manifest, streamed = plan(big)
    assert traits["_positions"] == b"" and traits["_clusters"] == b"\1" * 8
    assert manifest["arrays"] == {"_positions": CHUNK_THRESHOLD + 1}
    assert manifest["chunk_bytes"] == 4 * 2**20
    assert plan({"_positions": b"\0" * 100})[1] == {}
    with pytest.raises(ValueError, match="at least 1024"):
        plan(big, chunk_bytes=10)


def test_chunks_answer_a_request_and_reassemble():
    rec = Recording(np.zeros((E, T, 40, 1), np.float32))
    emb = np.random.default_rng(3).normal(size=(rec.n_nodes, 2))
    w = Explorer(emb, rec)
    c = Explorer(emb, rec, chunk_bytes=1024, intrastep=np.ones((E, T)))
    assert not w.chunked
    assert c.chunked and c._positions == b"" and len(c._intrastep) == E * T * 4
    assert c.payload_bytes == w.payload_bytes + E * T * 4
    sent = []
    c.send = lambda content, buffers=None: sent.append((content, bytes(buffers[0])))
    c._on_front_end_message(c, {"type": "mmphate:request", "id": "someone else"}, [])
    c._on_front_end_message(c, {"type": "other"}, [])
    assert sent == []
    c._on_front_end_message(c, {"type": "mmphate:request", "id": c._chunked["id"]}, [])
    total = len(w.embedding.astype(np.float32).tobytes())
    assert len(sent) == -(-total // 1024) and all(len(b) <= 1024 for _, b in sent)
    out = bytearray(total)
    for content, buf in sent:
        assert content["type"] == "mmphate:chunk" and content["name"] == "_positions"
        out[content["offset"] : content["offset"] + len(buf)] = buf
    np.testing.assert_array_equal(np.frombuffer(bytes(out), np.float32).reshape(-1, 2), c.embedding)
    # the offline page carries the whole payload inline, never chunked
    page = standalone_html(c)
    m = re.search(r'id="mmphate-state">(.*?)</script>', page, re.S)
    state = json.loads(m.group(1))
    assert "_chunked" not in state
    assert base64.b64decode(state["_positions"]["$b64"]) == bytes(out)
