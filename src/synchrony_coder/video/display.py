"""How a decoded picture is shown: upright (display matrix), deinterlaced, with its pixel aspect.

Phones store video as the sensor sees it and say in a *display matrix* how to turn it upright;
camcorders record interlaced video (two fields per frame, 1/50 or 1/60 s apart) that shows combs
on anything moving unless it is deinterlaced; DV and many broadcast formats have non-square pixels
(a *sample aspect ratio*). Players apply all three; so does every frame this library hands out:

- rotation: the picture is turned by the matrix's angle (counter-clockwise, in steps of 90°), so
  ``frame()``, ``frame -o``, proxies and the app's view are upright;
- interlacing: a frame flagged interlaced is deinterlaced on its own with FFmpeg's *yadif*
  (Fischer, 2006, *Yet Another DeInterlacing Filter*, FFmpeg ``libavfilter/vf_yadif.c``) through
  PyAV's filter graph, one output per coded frame, so frame numbers stay those of the file. Each
  frame is deinterlaced from its own two fields (yadif's first-frame case: the previous and next
  frames are the frame itself): in still areas the woven lines are kept, where the fields
  disagree (motion) the missing lines are interpolated from their field. Every access path
  (playing, stepping, seeking) therefore gives the same pixels for a frame, which temporal
  deinterlacing from neighbouring frames would not (they differ after a seek);
- pixel aspect: kept as coded; :attr:`Display.pixel_aspect` says how wide a pixel is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

# FFmpeg's AVFieldOrder: tt/bb/tb/bt = which field is coded first and which shown first;
# reported by the field shown first, as a viewer sees it
_FIELD_ORDERS = {2: "top first", 3: "bottom first", 4: "bottom first", 5: "top first"}
_DEINTERLACE = "mode=send_frame:parity=auto:deint=interlaced"
_CV_ROTATE = {90: "ROTATE_90_COUNTERCLOCKWISE", 180: "ROTATE_180", 270: "ROTATE_90_CLOCKWISE"}


@dataclass(frozen=True)
class Display:
    """What it takes to show a video's decoded pictures as a player does.

    Attributes
    ----------
    coded_width, coded_height : size of the decoded pictures.
    rotation : degrees (0, 90, 180 or 270) the picture is turned counter-clockwise to be upright.
    interlaced : the pictures are interlaced (flagged so by the codec), and are deinterlaced.
    field_order : ``"top first"``, ``"bottom first"``, ``"unknown"`` (interlaced) or
        ``"progressive"``.
    sample_aspect : width of a coded pixel over its height (1 for square pixels).
    """

    coded_width: int
    coded_height: int
    rotation: int = 0
    interlaced: bool = False
    field_order: str = "progressive"
    sample_aspect: Fraction = Fraction(1)

    @property
    def turned(self) -> bool:
        return self.rotation in (90, 270)

    @property
    def width(self) -> int:
        """Width of the upright picture in pixels."""
        return self.coded_height if self.turned else self.coded_width

    @property
    def height(self) -> int:
        return self.coded_width if self.turned else self.coded_height

    @property
    def pixel_aspect(self) -> Fraction:
        """Width over height of one pixel of the upright picture (a quarter turn inverts it)."""
        return 1 / self.sample_aspect if self.turned else self.sample_aspect


def rotation_of(frame) -> int:
    """The display matrix's counter-clockwise turn of a decoded frame, in 0, 90, 180 or 270."""
    return int(round((frame.rotation or 0) / 90.0)) % 4 * 90


def display_of(stream, frame) -> Display:
    """The :class:`Display` of ``stream`` (a PyAV video stream) from its first decoded ``frame``."""
    ctx = stream.codec_context
    order = int(ctx.field_order or 0)
    interlaced = order in _FIELD_ORDERS or bool(frame.interlaced_frame)
    sar = ctx.sample_aspect_ratio or stream.sample_aspect_ratio
    sar = Fraction(sar) if sar and sar.numerator > 0 and sar.denominator > 0 else Fraction(1)
    return Display(
        coded_width=int(frame.width),
        coded_height=int(frame.height),
        rotation=rotation_of(frame),
        interlaced=interlaced,
        field_order=_FIELD_ORDERS.get(order, "unknown") if interlaced else "progressive",
        sample_aspect=sar,
    )


def read_display(decoder) -> Display:
    """The :class:`Display` of ``decoder``'s video from the first frame that decodes: frame 0,
    else the first frame of a later seek point (moves the decoder). None decodes at all: the
    codec cannot be decoded here (:class:`.VideoError` naming it)."""
    from .index import VideoError, undecodable

    index = decoder.index
    for k in np.unique(np.linspace(0, len(index.seek_pts) - 1, 4).astype(int)):
        first = index.first_frame_of_seek_point(int(k))
        for _, frame in decoder.frames(first, first + 1):
            if frame is not None:
                return display_of(decoder.stream, frame)
    raise VideoError(decoder.path, undecodable(decoder.stream.codec_context.name))


def deinterlaced(frame):
    """``frame`` deinterlaced from its own two fields (yadif) if it is flagged interlaced, else
    ``frame`` itself."""
    return _filtered(frame, [("yadif", _DEINTERLACE)]) if frame.interlaced_frame else frame


def shown(frame, width: int | None = None, height: int | None = None):
    """``frame`` as a player shows it, as a new PyAV frame: deinterlaced, upright, and scaled to
    ``width`` x ``height`` (of the upright picture) if given."""
    filters = [("yadif", _DEINTERLACE)] if frame.interlaced_frame else []
    filters += _TURNS[rotation_of(frame)]
    if width and height:
        filters.append(("scale", f"{width}:{height}:flags=bicubic"))
    return _filtered(frame, filters) if filters else frame


_TURNS = {
    0: [],
    90: [("transpose", "cclock")],
    180: [("hflip", ""), ("vflip", "")],
    270: [("transpose", "clock")],
}


def _filtered(frame, filters: list[tuple[str, str]]):
    """Run one frame through a chain of FFmpeg filters (a new graph: yadif keeps state)."""
    import av
    from av.filter import Graph

    graph = Graph()
    graph.threads = 2  # (the default, one per core, costs ~5 ms to start each time)
    time_base = frame.time_base or Fraction(1, 1000)
    node = graph.add_buffer(
        width=frame.width, height=frame.height, format=frame.format.name, time_base=time_base
    )
    for name, args in filters:
        nxt = graph.add(name, args) if args else graph.add(name)
        node.link_to(nxt)
        node = nxt
    sink = graph.add("buffersink")
    node.link_to(sink)
    graph.configure()
    pts = frame.pts
    graph.vpush(frame)
    graph.vpush(None)  # end of stream: yadif takes the frame as its own neighbours
    try:
        out = graph.vpull()
    except (av.BlockingIOError, av.EOFError):  # (not expected: every filter answers at the end)
        raise RuntimeError(f"filters {filters} returned no frame") from None
    out.pts, out.time_base = pts, frame.time_base
    return out


def upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """``image`` (height, width[, channels]) turned ``rotation`` degrees counter-clockwise."""
    if not rotation:
        return image
    import cv2

    return cv2.rotate(image, getattr(cv2, _CV_ROTATE[rotation]))


def luma(frame) -> np.ndarray:
    """The luma (Y) plane of a decoded PyAV frame as shown: deinterlaced, upright, uint8.

    Deeper samples are scaled to 8 bits (10-bit values divided by 4, rounding down); a frame
    without a luma plane (RGB) is converted with BT.601 weights. Returns a new C-contiguous
    (height, width) array of the upright picture.
    """
    rotation = rotation_of(frame)
    frame = deinterlaced(frame)
    fmt = frame.format
    comp = fmt.components[0]
    if fmt.name.startswith(("yuv", "nv", "gray")) and comp.plane == 0:
        plane = frame.planes[0]
        wide = comp.bits > 8
        row = np.frombuffer(plane, np.uint16 if wide else np.uint8)
        y = row.reshape(plane.height, -1)[:, : plane.width]
        y = (y >> (comp.bits - 8)).astype(np.uint8) if wide else y
    else:
        y = frame.to_ndarray(format="gray")
    return np.ascontiguousarray(upright(y, rotation))


class FrameStore:
    """Turns decoded frames into compact arrays for the cache and those into RGB for the caller.

    Frames in 8-bit 4:2:0 (nearly every camera file) are kept as their I420 planes, half the size
    of RGB and copied without conversion; they become RGB in :meth:`rgb` with OpenCV's
    BT.601 conversion, which matches FFmpeg's default ``swscale`` conversion and runs in the
    caller's thread, in parallel with decoding. Any other pixel format is converted to RGB once.
    Interlaced frames are deinterlaced before they are kept (:func:`deinterlaced`); the picture
    is turned upright in :meth:`rgb`.
    """

    def __init__(self, display: Display, pix_fmt: str | None) -> None:
        self.display = display
        width, height = display.coded_width, display.coded_height
        self.width, self.height = width, height
        self.compact = pix_fmt == "yuv420p" and width % 2 == 0 and height % 2 == 0
        self.frame_bytes = frame_nbytes(width, height, self.compact)

    def keep(self, frame) -> np.ndarray:
        frame = deinterlaced(frame)
        if (
            self.compact
            and frame.format.name == "yuv420p"
            and frame.width == self.width
            and frame.height == self.height
        ):
            return frame.to_ndarray(format="yuv420p")
        return frame.to_ndarray(format="rgb24", width=self.width, height=self.height)

    def rgb(self, stored: np.ndarray) -> np.ndarray:
        """A new C-contiguous (height, width, 3) uint8 RGB array of the upright picture."""
        if stored.ndim == 2:
            import cv2

            rgb = cv2.cvtColor(stored, cv2.COLOR_YUV2RGB_I420)
        else:
            rgb = stored
        turned = upright(rgb, self.display.rotation)
        if turned is stored:
            return np.array(stored, copy=True, order="C")
        return np.ascontiguousarray(turned)


def frame_nbytes(width: int, height: int, compact: bool) -> int:
    """Bytes one cached frame takes: I420 planes (1.5 bytes/pixel) or RGB (3 bytes/pixel)."""
    return width * height * 3 // 2 if compact else width * height * 3
