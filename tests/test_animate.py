"""The animation writer (GIF, MP4 where ffmpeg exists) and the stills of the teaching guide."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from conftest import docs_images
from PIL import Image

from sim.config import load_config
from sim.model import AgoraModel
from sim.viz.animation import ffmpeg_available, write_animation, write_still

ROOT = Path(__file__).resolve().parent.parent
TINY = {"org": {"size": 30}, "stakeholders": {"count": 5}, "steps": 4}


def load_cli():
    spec = importlib.util.spec_from_file_location("animate_cli", ROOT / "experiments/animate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            out.append(np.asarray(im.convert("RGB")))
        return out


@pytest.mark.parametrize(("steps", "every", "n_frames", "run"), [(4, 1, 5, 4), (5, 2, 3, 4)])
def test_gif_has_one_frame_per_shown_step(tmp_path, steps, every, n_frames, run):
    model = AgoraModel(TINY, seed=3)
    paths = write_animation(
        model, tmp_path / "run.gif", steps=steps, every=every, mp4=False, dpi=30, fps=5
    )
    assert paths == [tmp_path / "run.gif"]
    shots = frames(paths[0])
    assert len(shots) == n_frames
    assert model.current_step == run
    # Frames differ (the model moved) and nothing temporary is left behind.
    assert not np.array_equal(shots[0], shots[-1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.gif"]


def test_mp4_where_ffmpeg_exists(tmp_path):
    model = AgoraModel(TINY, seed=3)
    if ffmpeg_available():
        paths = write_animation(model, tmp_path / "run.gif", steps=2, dpi=30)
        assert [p.suffix for p in paths] == [".gif", ".mp4"]
        assert paths[1].stat().st_size > 1000
    else:
        with pytest.raises(RuntimeError, match="no ffmpeg"):
            write_animation(model, tmp_path / "run.gif", steps=2, mp4=True, dpi=30)
        assert write_animation(model, tmp_path / "run.gif", steps=2, dpi=30) == [
            tmp_path / "run.gif"
        ]


def test_cli_writes_the_requested_file(tmp_path, capsys):
    cli = load_cli()
    out = tmp_path / "slides" / "conv.gif"
    code = cli.main(
        [
            "regime=conversational",
            "org.size=30",
            "stakeholders.count=5",
            "steps=3",
            "--out",
            str(out),
            "--no-mp4",
            "--quiet",
            "--dpi",
            "30",
            "--color-by",
            "engagement",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert len(frames(out)) == 4


def test_cli_names_a_bad_override(capsys):
    assert load_cli().main(["hierarchy.relay=2", "--quiet"]) == 2
    assert "hierarchy.relay=2" in capsys.readouterr().err


def test_refuses_nonsense(tmp_path):
    with pytest.raises(ValueError, match="every=0"):
        write_animation(AgoraModel(TINY), tmp_path / "x.gif", every=0)


# The stills of docs/teaching.md (animations for slides): the two regime ends after 60 steps.
STILLS = {
    "broadcast": ["regime=broadcast"],
    "conversational": ["regime=conversational"],
}


def test_teaching_stills(tmp_path):
    written = {}
    for name, overrides in STILLS.items():
        model = AgoraModel(load_config([*overrides, "steps=60"]))
        model.run()
        path = write_still(model, docs_images(tmp_path) / f"{name}.png", dpi=70)
        with Image.open(path) as im:
            assert im.size == (910, 455)
            written[name] = np.asarray(im.convert("RGB"))
    assert not np.array_equal(written["broadcast"], written["conversational"])
