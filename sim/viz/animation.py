"""Animations of a run for slides: the network beside the metrics, one frame per step.

Frames are grabbed with matplotlib's animation writers (:class:`~matplotlib.animation.PillowWriter`
for the GIF, :class:`~matplotlib.animation.FFMpegWriter` for the MP4 where ``ffmpeg`` is on
the PATH) while the model runs, so the model steps exactly once per frame whatever the number
of files written. Each file is written under a temporary name and renamed when complete.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from PIL import Image
>>> from sim.model import AgoraModel
>>> model = AgoraModel({"org": {"size": 20}, "stakeholders": {"count": 4}}, seed=1)
>>> with tempfile.TemporaryDirectory() as d:
...     paths = write_animation(model, Path(d) / "run.gif", steps=3, mp4=False, dpi=40)
...     [p.name for p in paths], Image.open(paths[0]).n_frames, model.current_step
(['run.gif'], 4, 3)
"""

from __future__ import annotations

import os
import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import cast

from sim.viz.drawing import DEFAULT_METRICS, MetricsPlot, NetworkPlot, new_figure

__all__ = ["animation_figure", "ffmpeg_available", "write_animation", "write_still"]


def ffmpeg_available() -> bool:
    """True when matplotlib can write MP4 (an ``ffmpeg`` executable is on the PATH)."""
    from matplotlib import animation

    return shutil.which("ffmpeg") is not None and animation.writers.is_available("ffmpeg")


def animation_figure(
    model,
    *,
    color_by: str = "knowledge",
    metrics=DEFAULT_METRICS,
    horizon: int | None = None,
    dpi: float = 80,
):
    """One wide figure: the network on the left, the metrics (two columns) on the right.

    Returns the figure and its :class:`NetworkPlot` and :class:`MetricsPlot`.
    """
    fig = new_figure(13.0, 6.5, dpi)
    grid = fig.add_gridspec(
        1, 2, width_ratios=(1.0, 1.0), left=0.0, right=0.98, wspace=0.12, top=0.89, bottom=0.08
    )
    net_ax = fig.add_subplot(grid[0, 0])
    nrows = -(-len(metrics) // 2)
    sub = grid[0, 1].subgridspec(nrows, 2, hspace=0.7, wspace=0.3)
    axes = [fig.add_subplot(sub[i // 2, i % 2]) for i in range(len(metrics))]
    network = NetworkPlot(model, color_by=color_by, ax=net_ax)
    plots = MetricsPlot(metrics, axes=axes, ncols=2, horizon=horizon or max(10, model.cfg.steps))
    fig.suptitle(_title(model), fontsize=11, x=0.02, ha="left")
    return fig, network, plots


def _title(model) -> str:
    c = model.cfg
    regime = c.regime.name + (f" (mix {c.regime.mix:g})" if c.regime.name == "hybrid" else "")
    return (
        f"Agora: {regime} regime, {c.org.count} x {c.org.size} people in "
        f"{c.hierarchy.depth} levels ({c.hierarchy.routing}), {c.stakeholders.count} "
        f"stakeholders, openness {c.openness.peer:g}/{c.openness.internal:g}/"
        f"{c.openness.external:g}, seed {c.seed}"
    )


def _temporary(path: Path) -> Path:
    # Same directory (so the rename is atomic) and same suffix (writers pick the format by it).
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def write_animation(
    model,
    path: str | os.PathLike,
    *,
    steps: int | None = None,
    every: int = 1,
    fps: float = 8,
    color_by: str = "knowledge",
    metrics=DEFAULT_METRICS,
    mp4: bool | None = None,
    dpi: float = 80,
    progress: bool = False,
) -> list[Path]:
    """Run ``model`` for ``steps`` steps and write a GIF (and an MP4 beside it).

    Parameters
    ----------
    model
        The model to run, in its current state (frame 0 shows it before any further step).
    path
        The GIF to write; the MP4 gets the same name with ``.mp4``.
    steps
        Steps to run (default: ``model.cfg.steps``); there are ``steps // every + 1`` frames.
    every
        Steps between two frames.
    mp4
        Also write an MP4: True requires ffmpeg, None writes one when ffmpeg exists.
    progress
        Show a progress bar on stderr.

    Returns
    -------
    list of Path
        The files written, GIF first.
    """
    from matplotlib.animation import AbstractMovieWriter, FFMpegWriter, PillowWriter

    if every < 1:
        raise ValueError(f"every={every} must be at least 1")
    steps = model.cfg.steps if steps is None else int(steps)
    if steps < 0:
        raise ValueError(f"steps={steps} must be at least 0")
    have_ffmpeg = ffmpeg_available()
    if mp4 and not have_ffmpeg:
        raise RuntimeError("mp4=True but no ffmpeg on the PATH: install ffmpeg or pass mp4=False")
    mp4 = have_ffmpeg if mp4 is None else mp4

    gif = Path(path)
    gif.parent.mkdir(parents=True, exist_ok=True)
    # matplotlib's stubs type fps as an int; its writers use it as a number (the GIF's frame
    # duration 1000 / fps, ffmpeg's -framerate), so a fractional rate works.
    rate = cast(int, fps)
    targets: list[tuple[Path, AbstractMovieWriter]] = [(gif, PillowWriter(fps=rate))]
    if mp4:
        targets.append((gif.with_suffix(".mp4"), FFMpegWriter(fps=rate, bitrate=2400)))

    n_frames = steps // every + 1
    fig, network, plots = animation_figure(
        model, color_by=color_by, metrics=metrics, horizon=model.current_step + steps, dpi=dpi
    )
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_frames, desc=f"frames -> {gif.name}", unit="frame")
    temporaries = [_temporary(p) for p, _ in targets]
    try:
        with ExitStack() as stack:
            for (_, writer), tmp in zip(targets, temporaries, strict=True):
                stack.enter_context(writer.saving(fig, str(tmp), dpi))
            for frame in range(n_frames):
                if frame:
                    model.run(every)
                network.update(model)
                plots.update(model.metrics_frame())
                for _, writer in targets:
                    writer.grab_frame()
                if bar is not None:
                    bar.update(1)
        for (final, _), tmp in zip(targets, temporaries, strict=True):
            os.replace(tmp, final)
    finally:
        if bar is not None:
            bar.close()
        for tmp in temporaries:
            if tmp.exists():
                tmp.unlink()
    return [p for p, _ in targets]


def write_still(
    model,
    path: str | os.PathLike,
    *,
    color_by: str = "knowledge",
    metrics=DEFAULT_METRICS,
    dpi: float = 80,
) -> Path:
    """One frame of :func:`write_animation` (the model's current state) as a PNG, for slides.

    The time axis spans the steps run so far; the file is written atomically.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, network, plots = animation_figure(
        model, color_by=color_by, metrics=metrics, horizon=max(10, model.current_step), dpi=dpi
    )
    network.update(model)
    plots.update(model.metrics_frame())
    tmp = _temporary(path)
    try:
        fig.savefig(tmp, format="png", dpi=dpi)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
