"""The live view in a real browser (JupyterLab): a training loop runs in the notebook's kernel and
the explorer grows while the cell is still running; "Follow latest epoch" is a toggle; an update
that arrives during a drag waits for the drag, whose selection lands.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import expect
from uitools import ExplorerPage, JupyterServer, NotebookSession, ink_bbox

CELLS = [
    """\
import time
import torch
import mmphate

torch.manual_seed(0)

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.GRU(3, 6, batch_first=True)
        self.fc = torch.nn.Linear(6, 2)
    def forward(self, x):
        return self.fc(self.rnn(x)[0][:, -1])

net, x = Net(), torch.randn(8, 7, 3)
opt = torch.optim.SGD(net.parameters(), lr=0.2)
rec = mmphate.record.HiddenStateRecorder(net, "rnn", x)
model = mmphate.MMPHATE(n_components=2, n_landmark=60, random_state=0, verbose=0)
live = mmphate.view(rec, model=model, view="2d", height=300)
done_at = None

def train(epochs, start, pause):
    global done_at
    for e in range(start, start + epochs):
        loss = net(x).pow(2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
        rec.record(e, loss=loss.item())
        time.sleep(pause)
    done_at = time.time()

live
""",
]


def _reply(kernel, msg_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        msg = kernel.client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            assert msg["content"]["status"] == "ok", msg["content"]
            return msg


def test_live_view_grows_during_training(
    lab_server: JupyterServer, open_notebook: Callable[..., NotebookSession]
):
    nb = open_notebook(lab_server, "live.ipynb", CELLS)
    page, kernel = nb.page, nb.kernel
    ex = ExplorerPage(page, nb)
    ex.root.wait_for(state="attached", timeout=60_000)
    expect(ex.root).to_have_attribute("data-epochs", "0")
    expect(ex.root.locator(".mmphate-waiting")).to_contain_text("Waiting for the first")
    follow = ex.root.get_by_label("Follow latest epoch")
    expect(follow).to_be_checked()

    # --- six epochs, one a second, in a cell of their own: the view grows while it runs
    msg_id = kernel.client.execute("train(6, 0, 1.0)")
    seen: dict[str, float] = {}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        n = ex.attr("epochs") or "0"
        seen.setdefault(n, time.time())
        if n == "6":
            break
        time.sleep(0.05)
    _reply(kernel, msg_id)
    done_at = kernel.eval("done_at")
    grown = sorted(int(n) for n in seen if n != "0")
    assert grown[-1] == 6, f"the view never showed the sixth epoch (saw {grown})"
    assert len(grown) >= 3, f"the view did not grow epoch by epoch (saw {grown})"
    assert seen[str(grown[0])] < done_at, "the first epoch appeared only after training ended"
    ex.wait_ready()
    expect(ex.root).to_have_attribute("data-epoch", "5")  # followed the latest epoch
    chart = ex.root.locator("canvas.mmphate-chart")
    expect(chart).to_have_attribute("data-epochs", "6")
    assert "loss" in (chart.get_attribute("data-panels") or "")
    ink_bbox(ex.stable_pixels())  # points are drawn
    assert kernel.eval("live.epoch") == 5

    # --- follow off while training runs (the kernel hears of it only after the cell):
    # new epochs arrive and the view keeps the chosen epoch
    follow.uncheck()
    slider = ex.root.get_by_label("Epoch", exact=True)
    slider.focus()
    page.keyboard.press("Home")
    ex.wait_attr("epoch", "0")
    msg_id = kernel.client.execute("train(2, 6, 0.5)")
    ex.wait_attr("epochs", "8", timeout=60)
    _reply(kernel, msg_id)
    ex.wait_ready()
    assert ex.attr("epoch") == "0" and ex.attr("follow") == "false"
    expect(chart).to_have_attribute("data-epochs", "8")
    assert kernel.poll("live.follow_latest", lambda v: v is False) is False
    assert kernel.poll("live.epoch", lambda v: v == 0) == 0

    # --- an update during a drag waits for the drag; the drag's selection lands
    ex.use_tool("Box select")
    revision = int(ex.attr("revision") or 0)
    mouse = page.mouse
    ex.canvas.scroll_into_view_if_needed()
    mouse.move(*ex.to_page(0.01, 0.01))
    mouse.down()
    mouse.move(*ex.to_page(0.5, 0.5), steps=8)
    kernel.exec("train(1, 8, 0)")
    assert kernel.poll("live.wait(30) and live._revision", lambda v: v > revision) > revision
    time.sleep(1.0)
    assert int(ex.attr("revision") or 0) == revision, "the view redrew in the middle of a drag"
    assert ex.attr("epochs") == "8"
    mouse.move(*ex.to_page(0.99, 0.99), steps=8)
    mouse.up()
    assert len(kernel.poll("live.selected_units", lambda v: len(v) == 6)) == 6
    ex.wait_attr("epochs", "9", timeout=30)
    ex.wait_ready()
    assert int(ex.attr("revision")) > revision
    assert ex.attr("selected-units") == "6"  # the selection survives the redraw
