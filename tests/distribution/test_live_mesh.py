"""The live view shows the mesh and the per-device batch of a distributed fit."""

from nbkeras import distribution as D
from nbkeras.distribution.placement import Placement
from nbkeras.notebook.progress import Progress
from nbkeras.notebook.render import render_html, render_text


def test_progress_record_renders_the_mesh():
    mesh = {"devices": 8, "axes": {"batch": 2, "model": 4}, "batch_axis": "batch",
            "processes": 2, "platform": "cpu", "per_device_batch": 16}
    p = Progress(mode="train", phase="training", epochs=2, steps=10, done=3, mesh=mesh)
    expected = "8 cpu devices (mesh batch 2 x model 4) on 2 processes · 16 samples per device"
    assert expected in render_text(p)
    assert expected in render_html(p) and 'class="nbk-mesh"' in render_html(p)
    one = Progress(mode="train", phase="training", epochs=2, steps=10, done=3)
    assert "devices" not in render_text(one) and "nbk-mesh" not in render_html(one)


def test_placement_describe_feeds_the_record():
    info = Placement(D.DataParallel(devices=["cpu:0"]), "m").describe(batch_size=12)
    assert info["axes"] == {"batch": 1} and info["per_device_batch"] == 12
    text = render_text(Progress(mode="train", phase="training", mesh=info))
    assert "1 cpu device (mesh batch 1) · 12 samples per device" in text
