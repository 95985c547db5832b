"""Regions of interest over a camera view: labelled outlines, and drawing, naming, moving, resizing.

A :class:`RoiOverlay` is a transparent child covering one :class:`~.player.FrameView`. It always
paints the camera's regions as labelled outlines (unless hidden); in drawing mode it also takes the
mouse: drag on the picture to draw a region (then name it: infant, caregiver or another name), drag
a region to move it, its edge or corner to resize it, right-click or double-click it to rename or
delete it. Regions are in pixels of the displayed (upright) frame (SCIENCE.md §6); the widget and
the frame are related by one mapping, :class:`FrameMap`, built from :func:`picture_rect`, the
rectangle the view draws its picture in. Every change is an undoable edit of :mod:`.regions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PyQt6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PyQt6.QtGui import QColor, QPainter, QPen
from PyQt6.QtWidgets import QInputDialog, QMenu, QWidget

from ..motion.energy import Roi, RoiError
from ..session.rois import add_roi, move_roi, remove_roi, rename_roi
from .regions import PARTNERS, Regions, region_colour

GRAB_PX = 6  # how near an edge or corner the pointer grabs it (widget pixels)
HINT_TOP_PX = 24  # the drawing hint sits this far under the picture's top (its corner labels)
CLICK_PX = 4  # a drag shorter than this draws nothing
PENDING = "name it…"  # the label of a region drawn, waiting for its name
HINT = (
    "Drag to draw a region · drag a region to move it, its edge to resize · "
    "right-click: rename, delete · Esc: done"
)


def picture_rect(
    width: float, height: float, frame_w: int, frame_h: int, pixel_aspect: float = 1.0
) -> QRectF:
    """Where a ``frame_w × frame_h`` picture is drawn in a ``width × height`` view: as large as
    fits (a pixel ``pixel_aspect`` times as wide as tall), centred, black bars elsewhere."""
    shown_w = frame_w * pixel_aspect
    scale = min(width / shown_w, height / frame_h)
    w, h = shown_w * scale, frame_h * scale
    return QRectF((width - w) / 2, (height - h) / 2, w, h)


@dataclass(frozen=True)
class FrameMap:
    """Widget ↔ frame pixels of one view: the picture's rectangle and the frame's size."""

    rect: QRectF
    frame_w: int
    frame_h: int

    def to_frame(self, x: float, y: float) -> tuple[float, float]:
        r = self.rect
        return (x - r.left()) * self.frame_w / r.width(), (y - r.top()) * self.frame_h / r.height()

    def to_widget(self, x: float, y: float, w: float = 0.0, h: float = 0.0) -> QRectF:
        r = self.rect
        sx, sy = r.width() / self.frame_w, r.height() / self.frame_h
        return QRectF(r.left() + x * sx, r.top() + y * sy, w * sx, h * sy)

    def corner(self, x: float, y: float) -> tuple[int, int]:
        """The pixel corner of the frame nearest the widget point (inside the frame)."""
        fx, fy = self.to_frame(x, y)
        return min(max(round(fx), 0), self.frame_w), min(max(round(fy), 0), self.frame_h)


@dataclass
class _Drag:
    kind: str  # "new", "move" or "resize"
    name: str  # the region moved or resized ("" for a new one)
    press: tuple[float, float]  # widget point
    box: tuple[int, int, int, int]  # the region now (frame pixels)
    start: tuple[int, int, int, int]  # ... and when pressed
    edges: str = ""  # of a resize: some of "l", "r", "t", "b"


class RoiOverlay(QWidget):
    """Camera ``k``'s regions over its view (see the module docstring)."""

    def __init__(
        self,
        view: QWidget,
        k: int,
        regions: Regions,
        frame_size: Callable[[], tuple[int, int]],
        on_select: Callable[[int, str | None], None] = lambda k, name: None,
    ) -> None:
        super().__init__(view)
        self.view, self.k, self.regions = view, k, regions
        self.frame_size, self.on_select = frame_size, on_select
        self.drawing = False
        self.outlines = True
        self.selected: str | None = None
        self._drag: _Drag | None = None
        self._pending: tuple[int, int, int, int] | None = None  # drawn, waiting for its name
        self.setMouseTracking(True)
        self.setGeometry(view.rect())
        view.installEventFilter(self)
        regions.changed.connect(self._changed)
        self._set_drawing(False)
        self.show()

    # -- state ----------------------------------------------------------------------------------
    def mapping(self) -> FrameMap:
        w, h = self.frame_size()
        return FrameMap(
            picture_rect(self.width(), self.height(), w, h, self.view.pixel_aspect), w, h
        )

    def set_drawing(self, on: bool) -> None:
        self._set_drawing(on)
        self.update()

    def _set_drawing(self, on: bool) -> None:
        self.drawing = on
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, not on)
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        if not on:
            self._drag = None

    def set_outlines(self, on: bool) -> None:
        self.outlines = on
        self.update()

    def select(self, name: str | None) -> None:
        if name != self.selected:
            self.selected = name
            self.update()

    def _changed(self, k: int) -> None:
        if k == self.k:
            if self.selected not in {r.name for r in self.regions.rois(k)}:
                self.selected = None
            self.update()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.view and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.view.rect())
        return False

    # -- painting -------------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        if not (self.outlines or self.drawing):
            return
        p = QPainter(self)
        m = self.mapping()
        drag = self._drag
        for roi in self.regions.rois(self.k):
            box = drag.box if drag is not None and drag.name == roi.name else roi.rect
            self._paint_region(p, m, roi.name, box, roi.name == self.selected)
        if drag is not None and drag.kind == "new":
            self._paint_region(p, m, "", drag.box, True)
        if self._pending is not None:
            self._paint_region(p, m, PENDING, self._pending, True)
        if self.drawing and drag is None:  # out of the way while a region is dragged
            self._paint_hint(p)
        p.end()

    def _paint_region(self, p: QPainter, m: FrameMap, name: str, box, selected: bool) -> None:
        colour = region_colour(name) if name and name != PENDING else QColor("#ffffff")
        rect = m.to_widget(*box)
        if selected and self.drawing:
            fill = QColor(colour)
            fill.setAlpha(40)
            p.fillRect(rect, fill)
        pen = QPen(colour, 3 if selected else 2)
        if not name:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect)
        if name:
            text = name.replace("_", " ")
            tw = p.fontMetrics().horizontalAdvance(text) + 10
            label = QRectF(rect.left(), rect.top(), tw, 18)
            if rect.top() >= 18:  # above the outline, where it hides nothing of the region
                label.moveBottom(rect.top())
            p.fillRect(label, colour)
            p.setPen(QColor("#111111"))
            p.drawText(label, Qt.AlignmentFlag.AlignCenter, text)
        if selected and self.drawing and name and name != PENDING:  # its handles
            p.setPen(QPen(QColor("#111111"), 1))
            p.setBrush(colour)
            for hx in (rect.left(), rect.center().x(), rect.right()):
                for hy in (rect.top(), rect.center().y(), rect.bottom()):
                    if (hx, hy) != (rect.center().x(), rect.center().y()):
                        p.drawRect(QRectF(hx - 3, hy - 3, 6, 6))

    def hint_rect(self, p: QPainter | None = None) -> QRectF:
        """Where the drawing hint goes: across the top of the picture, under the corner labels
        (the camera's name), clear of the bottom where the picture shows its timecode."""
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        picture = self.mapping().rect
        area = QRectF(picture.left() + 8, 0, picture.width() - 16, self.height())
        metrics = p.fontMetrics() if p is not None else self.fontMetrics()
        h = metrics.boundingRect(area.toRect(), flags, HINT).height() + 8
        return QRectF(picture.left(), picture.top() + HINT_TOP_PX, picture.width(), h)

    def _paint_hint(self, p: QPainter) -> None:
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        box = self.hint_rect(p)
        p.fillRect(box, QColor(0, 0, 0, 150))
        p.setPen(QColor("#ffffff"))
        p.drawText(box.adjusted(8, 0, -8, 0), flags, HINT)

    # -- hit testing ----------------------------------------------------------------------------
    def hit(self, x: float, y: float) -> tuple[str, str] | None:
        """``(region, edges)`` under the pointer: edges like ``"lt"`` (a corner), ``""`` inside.
        The selected region first, then the smallest one under the pointer."""
        m = self.mapping()
        rois = sorted(self.regions.rois(self.k), key=lambda r: (r.name != self.selected, r.w * r.h))
        for roi in rois:
            rect = m.to_widget(*roi.rect)
            grown = rect.adjusted(-GRAB_PX, -GRAB_PX, GRAB_PX, GRAB_PX)
            if not grown.contains(QPointF(x, y)):
                continue
            edges = "".join(
                e
                for e, near in (
                    ("l", abs(x - rect.left()) <= GRAB_PX),
                    ("r", abs(x - rect.right()) <= GRAB_PX),
                    ("t", abs(y - rect.top()) <= GRAB_PX),
                    ("b", abs(y - rect.bottom()) <= GRAB_PX),
                )
                if near
            )
            if edges or rect.contains(QPointF(x, y)):
                return roi.name, edges
        return None

    # -- mouse ----------------------------------------------------------------------------------
    def mousePressEvent(self, e) -> None:
        x, y = e.position().x(), e.position().y()
        found = self.hit(x, y)
        name = found[0] if found else None
        self.select(name)
        self.on_select(self.k, name)
        if e.button() == Qt.MouseButton.RightButton:
            if name is not None:
                self._menu(e.globalPosition().toPoint(), name)
            return
        if e.button() != Qt.MouseButton.LeftButton:
            return
        if found is None:
            cx, cy = self.mapping().corner(x, y)
            self._drag = _Drag("new", "", (x, y), (cx, cy, 0, 0), (cx, cy, 0, 0))
        else:
            box = next(r for r in self.regions.rois(self.k) if r.name == name).rect
            kind = "resize" if found[1] else "move"
            self._drag = _Drag(kind, name, (x, y), box, box, found[1])

    def mouseMoveEvent(self, e) -> None:
        x, y = e.position().x(), e.position().y()
        drag = self._drag
        if drag is None:
            found = self.hit(x, y)
            self.setCursor(_cursor(found[1] if found else None))
            return
        m = self.mapping()
        x0, y0, w0, h0 = drag.start
        if drag.kind == "new":
            cx, cy = m.corner(x, y)
            drag.box = (min(x0, cx), min(y0, cy), abs(cx - x0), abs(cy - y0))
        elif drag.kind == "move":
            fx, fy = m.to_frame(x, y)
            px, py = m.to_frame(*drag.press)
            nx = min(max(x0 + round(fx - px), 0), m.frame_w - w0)
            ny = min(max(y0 + round(fy - py), 0), m.frame_h - h0)
            drag.box = (nx, ny, w0, h0)
        else:
            cx, cy = m.corner(x, y)
            left, top, right, bottom = x0, y0, x0 + w0, y0 + h0
            left = min(cx, right - 1) if "l" in drag.edges else left
            right = max(cx, left + 1) if "r" in drag.edges else right
            top = min(cy, bottom - 1) if "t" in drag.edges else top
            bottom = max(cy, top + 1) if "b" in drag.edges else bottom
            drag.box = (left, top, right - left, bottom - top)
        self.update()

    def mouseReleaseEvent(self, e) -> None:
        drag, self._drag = self._drag, None
        if drag is None or e.button() != Qt.MouseButton.LeftButton:
            return
        self.update()
        if drag.kind != "new":
            if drag.box != drag.start:
                self.regions.edit(self.k, move_roi, drag.name, drag.box, self.frame_size())
            return
        moved = max(abs(e.position().x() - drag.press[0]), abs(e.position().y() - drag.press[1]))
        if moved < CLICK_PX or drag.box[2] < 1 or drag.box[3] < 1:
            return
        self._pending = drag.box
        self._name_menu(e.globalPosition().toPoint(), None, lambda n, b=drag.box: self._add(n, b))

    def mouseDoubleClickEvent(self, e) -> None:
        found = self.hit(e.position().x(), e.position().y())
        if found is not None:
            self._name_menu(e.globalPosition().toPoint(), found[0], self._rename(found[0]))

    # -- naming ---------------------------------------------------------------------------------
    def _name_menu(self, at, current: str | None, chosen: Callable[[str], None]) -> QMenu:
        """A popup of names (the partners first; taken ones greyed) calling ``chosen(name)``."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        taken = {r.name for r in self.regions.rois(self.k)} - {current}
        menu.addSection("Name this region" if current is None else f"Rename {current}")
        for name in PARTNERS:
            a = menu.addAction(name + ("  (on this camera already)" if name in taken else ""))
            a.setEnabled(name not in taken)
            a.setCheckable(name == current)
            a.setChecked(name == current)
            a.triggered.connect(lambda _=False, n=name: chosen(n))
        other = menu.addAction("Other name…")
        other.triggered.connect(lambda: self._ask_name(current, chosen))
        menu.aboutToHide.connect(self._menu_closed)
        menu.popup(at)
        return menu

    def _menu_closed(self) -> None:
        QTimer.singleShot(0, self._unless_asking)  # Qt hides a menu before it triggers

    def _unless_asking(self) -> None:
        if self._pending is not None and not self._asking:
            self._pending = None
            self.update()

    _asking = False

    def _ask_name(self, current: str | None, chosen: Callable[[str], None]) -> None:
        dialog = QInputDialog(self.window())
        dialog.setWindowTitle("Region name")
        dialog.setLabelText(
            "Name (letters, digits, '_' or '-'; it names a column of the motion table):"
        )
        dialog.setTextValue(current or "")
        dialog.textValueSelected.connect(lambda text: chosen(text.strip()))
        dialog.finished.connect(self._asked)
        self._asking = True
        dialog.open()

    def _asked(self, _result: int) -> None:
        self._asking = False
        self._pending = None
        self.update()

    def _add(self, name: str, box: tuple[int, int, int, int]) -> None:
        self._pending = None
        self.update()
        try:
            roi = Roi(name, *box)
        except RoiError as exc:  # a name typed by hand
            self.regions.document.problem.emit(str(exc))
            return
        if self.regions.edit(self.k, add_roi, roi, self.frame_size()):
            self.select(name)
            self.on_select(self.k, name)

    def _rename(self, old: str) -> Callable[[str], None]:
        def rename(new: str) -> None:
            if new and new != old and self.regions.edit(self.k, rename_roi, old, new):
                self.select(new)
                self.on_select(self.k, new)

        return rename

    def _menu(self, at, name: str) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        rename = menu.addAction("Rename…")
        rename.triggered.connect(lambda: self._name_menu(at, name, self._rename(name)))
        delete = menu.addAction("Delete region")
        delete.triggered.connect(lambda: self.delete(name))
        menu.popup(at)

    def delete(self, name: str) -> bool:
        return self.regions.edit(self.k, remove_roi, name)


def _cursor(edges: str | None) -> Qt.CursorShape:
    if edges is None:
        return Qt.CursorShape.CrossCursor
    if not edges:
        return Qt.CursorShape.SizeAllCursor
    if edges in ("lt", "rb"):
        return Qt.CursorShape.SizeFDiagCursor
    if edges in ("lb", "rt"):
        return Qt.CursorShape.SizeBDiagCursor
    return Qt.CursorShape.SizeHorCursor if edges in ("l", "r") else Qt.CursorShape.SizeVerCursor
