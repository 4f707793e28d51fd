"""Pictures as files a class can take away: PNGs stacked into one, frames into a GIF.

The app keeps the PNG bytes it already encoded for the screen; these functions turn them into
the downloads, in memory, without drawing anything again.

Examples
--------
>>> import io
>>> import numpy as np
>>> from PIL import Image
>>> from sim.viz.render import encode_png
>>> red = encode_png(np.full((10, 20, 4), (255, 0, 0, 255), np.uint8))
>>> blue = encode_png(np.full((5, 16, 4), (0, 0, 255, 255), np.uint8))
>>> Image.open(io.BytesIO(stack_pngs([red, blue]))).size
(20, 15)
>>> gif = gif_of([[red, blue], [blue, red]], fps=4)
>>> gif[:6], Image.open(io.BytesIO(gif)).n_frames
(b'GIF89a', 2)
>>> gif_of([[np.full((10, 20, 4), 255, np.uint8)]])[:6]
b'GIF89a'

"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

__all__ = ["gif_of", "stack_images", "stack_pngs"]


def stack_images(pngs: Sequence):
    """A PIL RGB image with the given PNGs one under the other, on white, left aligned.

    Each picture is PNG bytes or an RGBA (or RGB) uint8 array, as a renderer gives it: a GIF's
    frames skip encoding and decoding a PNG each.
    """
    from PIL import Image

    parts = [
        Image.fromarray(np.ascontiguousarray(p[..., :3]))
        if isinstance(p, np.ndarray)
        else Image.open(io.BytesIO(p)).convert("RGB")
        for p in pngs
    ]
    if not parts:
        raise ValueError("no pictures to stack")
    width = max(p.width for p in parts)
    out = Image.new("RGB", (width, sum(p.height for p in parts)), "white")
    y = 0
    for p in parts:
        out.paste(p, (0, y))
        y += p.height
    return out


def stack_pngs(pngs: Sequence[bytes]) -> bytes:
    """One PNG of the given PNGs one under the other."""
    out = io.BytesIO()
    stack_images(pngs).save(out, format="png", compress_level=6)
    return out.getvalue()


def gif_of(frames: Sequence[Sequence], *, fps: float = 6, shrink: int = 1) -> bytes:
    """A looping GIF, one frame per entry of ``frames`` (each a list of PNGs or RGBA arrays,
    stacked).

    Every frame gets a 128-colour palette of its own (fast octree: a few milliseconds a frame);
    ``shrink`` divides both sides (2: a quarter of the pixels, a GIF small enough to mail).
    """
    from PIL import Image

    if not frames:
        raise ValueError("no frames for the GIF")
    images = []
    for pngs in frames:
        im = stack_images(pngs)
        if shrink > 1:
            im = im.reduce(int(shrink))
        images.append(im.quantize(colors=128, method=Image.Quantize.FASTOCTREE))
    out = io.BytesIO()
    images[0].save(
        out,
        format="gif",
        save_all=True,
        append_images=images[1:],
        duration=round(1000 / fps),
        loop=0,
        disposal=1,
    )
    return out.getvalue()
