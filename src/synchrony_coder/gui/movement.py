"""Movement synchrony in the app (SCIENCE.md §6): regions on the videos, motion tracks, metrics.

:class:`SessionMotion` ties together, for one open session:

- the regions of each camera (:mod:`.regions`), drawn and shown by a :class:`~.roi_overlay.
  RoiOverlay` over each camera view (Motion ▸ Draw regions, Ctrl+R);
- their motion energy, measured in the background (:mod:`.motion_meter`, cached beside each
  video, progress in the status bar) whenever a camera's regions change;
- a :class:`~.tracks.MotionTrack` per region under the tiers of the timeline;
- rows of the metrics panel: per phase, the movement synchrony of the regions named ``infant``
  and ``caregiver`` (the first camera having each, in the session's order; on two cameras they
  are paired by :func:`~synchrony_coder.movement.cameras.dyad_motion`), computed by
  :func:`~synchrony_coder.movement.session_ccf` and :func:`~synchrony_coder.movement.summarise`
  on the session's phases, with the window, step and lag of Motion ▸ Movement synchrony
  settings (rMEA's 60, 30 and 5 s by default; Kleinbub & Ramseyer, 2020). A phase shorter than
  a window plus the lag has no window: the panel says so instead of a number.
"""

from __future__ import annotations

import pandas as pd
from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import QDialog, QLabel, QProgressBar

from ..errors import DataError
from ..motion.table import motion_table
from ..movement import (
    CcfSettings,
    Dyad,
    MovementError,
    dyads,
    phase_intervals,
    session_ccf,
    window_samples,
)
from ..movement.cameras import dyad_motion
from ..movement.ccf import count_windows
from ..movement.sync import SUMMARY_COLUMNS, summarise
from ..scheme import Scheme
from . import settings
from .document import Document
from .metrics_panel import MetricRows
from .motion_meter import MotionMeter
from .movement_settings import MovementSettings
from .regions import PARTNERS, Regions, region_colour
from .roi_overlay import RoiOverlay
from .tracks import MotionTrack

DRAWING = (
    "Drawing regions: drag on the video; name them infant and caregiver for movement synchrony. "
    "Ctrl+R or Esc: done"
)
ROWS = (
    ("grand_average", "movement synchrony", "{:.2f}"),
    ("lag_zero", "· at lag 0", "{:.2f}"),
    ("infant_leads", "· infant leads", "{:.2f}"),
    ("caregiver_leads", "· caregiver leads", "{:.2f}"),
    ("windows", "· windows", "{}"),
)


class SessionMotion(QObject):
    """Regions, motion tracks and movement rows of one open session (see the module docstring)."""

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.regions = Regions(document, self)
        self.meter = MotionMeter(self)
        self.motion: dict = {}  # camera -> VideoMotion of its regions (by rectangle)
        self.failed: dict[int, str] = {}  # camera -> why its regions could not be measured
        self.values = settings.movement_settings()
        self.dyad: Dyad | None = None  # the infant and caregiver series, when both are measured
        self.used = ""  # which cameras' regions, when on two cameras
        self._sizes: dict[int, tuple[int, int]] = {}  # camera → original's upright frame size
        self.rows = MetricRows(self._compute, ROWS)
        self.window = None
        self.overlays: list[RoiOverlay] = []
        self._ccf = None  # (dyad, settings, SessionCcf or None): the metrics worker's last one
        self.regions.changed.connect(self._regions_changed)
        self.meter.measured.connect(self._measured)
        self.meter.failed.connect(self._failed)
        self.meter.progress.connect(self._progress)
        self.meter.busy.connect(lambda busy: busy or self._done())

    @property
    def ccf_settings(self) -> CcfSettings:
        v = self.values
        return CcfSettings(lag_s=v["lag_s"], window_s=v["window_s"], increment_s=v["increment_s"])

    # -- wiring ---------------------------------------------------------------------------------
    def attach(self, window) -> None:
        """Put the overlays on the window's camera views, the tracks on its timeline, the
        progress in its status bar, and start measuring what is not cached yet."""
        self.window = window
        for k, view in enumerate(window.player.views):
            self.overlays.append(
                RoiOverlay(view, k, self.regions, lambda k=k: self.frame_size(k), self._selected)
            )
        self.label = QLabel(window)
        self.bar = QProgressBar(window)
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        window.statusBar().addPermanentWidget(self.label)
        window.statusBar().addPermanentWidget(self.bar)
        self._done()
        draw, shown = window.actions["draw_regions"], window.actions["show_regions"]
        draw.setCheckable(True)
        shown.setCheckable(True)
        shown.setChecked(True)
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
        self.escape.activated.connect(lambda: self.set_drawing(False))
        self.escape.setEnabled(False)
        for k in range(len(self.document.videos)):
            self._measure(k)
        self._show_tracks()

    def detach(self) -> None:
        """Stop measuring (waits for the chunk being decoded) and take the status widgets away."""
        self.meter.close()
        if self.window is not None:
            for widget in (self.label, self.bar):
                self.window.statusBar().removeWidget(widget)
                widget.deleteLater()
            self.escape.setEnabled(False)
            self.escape.deleteLater()
            self.window.actions["draw_regions"].setChecked(False)
        self.deleteLater()

    def frame_size(self, k: int) -> tuple[int, int]:
        """Camera ``k``'s displayed (upright) frame size in the original video's pixels, also while
        a proxy plays in its place (a coding proxy of a 4K file is smaller): regions and motion
        energy are in the original's pixels."""
        if k not in self._sizes:
            src, original = self.document.videos[k][0], self.regions.video(k).path
            if src.path == original:
                self._sizes[k] = (src.display.width, src.display.height)
            else:
                from ..video.archive import describe

                facts = describe(original)
                self._sizes[k] = (int(facts["width"]), int(facts["height"]))
        return self._sizes[k]

    # -- actions --------------------------------------------------------------------------------
    def set_drawing(self, on: bool) -> None:
        """Drawing mode on every camera view (Motion ▸ Draw regions, Ctrl+R; Esc ends it)."""
        if self.window is None:
            return
        spec = self.document.session.spec
        if on and spec.prefix:  # bare video files: no session.toml to keep regions in
            self.document.problem.emit(
                "Regions are kept in a session folder's session.toml: put the video in a folder "
                "of its own and open the folder"
            )
            on = False
        self.window.actions["draw_regions"].setChecked(on)
        self.escape.setEnabled(on)
        if on:
            self.set_outlines(True)
        for overlay in self.overlays:
            overlay.set_drawing(on)
        bar = self.window.statusBar()
        if on:
            bar.showMessage(DRAWING)  # until drawing ends (or another message comes)
        elif bar.currentMessage() == DRAWING:
            bar.clearMessage()

    def toggle_drawing(self) -> None:
        self.set_drawing(not (self.overlays and self.overlays[0].drawing))

    def set_outlines(self, on: bool) -> None:
        self.window.actions["show_regions"].setChecked(on)
        for overlay in self.overlays:
            overlay.set_outlines(on)

    def toggle_outlines(self) -> None:
        self.set_outlines(not (self.overlays and self.overlays[0].outlines))

    def delete_selected(self) -> bool:
        """Delete the selected region while drawing (the Delete key); False: none selected."""
        for overlay in self.overlays:
            if overlay.drawing and overlay.selected is not None:
                return overlay.delete(overlay.selected)
        return False

    def _selected(self, k: int, name: str | None) -> None:
        for overlay in self.overlays:
            if overlay.k != k:
                overlay.select(None)

    def choose_settings(self) -> None:
        """Ask for the window, step and lag of movement synchrony and the motion threshold."""
        dialog = MovementSettings(self.values, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values = dialog.values()
        threshold_changed = values["threshold"] != self.values["threshold"]
        self.values = values
        settings.set_movement_settings(values)
        if threshold_changed:
            self.motion.clear()
            for k in range(len(self.document.videos)):
                self._measure(k)
            self._show_tracks()
        self._update_dyad()

    # -- measuring ------------------------------------------------------------------------------
    def _measure(self, k: int) -> None:
        self.failed.pop(k, None)
        rois = self.regions.rois(k)
        if not rois:
            self.meter.forget(k)
            self.motion.pop(k, None)
            return
        src = self.document.videos[k][0]
        path = self.regions.video(k).path  # the original, also when its proxy plays
        index = src.index if src.path == path else None
        self.meter.measure(k, path, rois, self.values["threshold"], index)

    def _regions_changed(self, k: int) -> None:
        self._measure(k)
        self._show_tracks()
        self._update_dyad()

    def _measured(self, k: int, motion, note: str) -> None:
        if motion.threshold != self.values["threshold"]:
            return  # measured before θ changed
        self.motion[k] = motion
        if note and self.window is not None:
            self.window.statusBar().showMessage(note, 8000)
        self._show_tracks()
        self._update_dyad()

    def _failed(self, k: int, message: str) -> None:
        self.failed[k] = message
        self.document.problem.emit(f"Motion energy of {self.regions.video(k).path.name}: {message}")
        self._show_tracks()

    def _progress(self, k: int, name: str, done: int, total: int) -> None:
        if self.window is None:
            return
        self.label.setText(f"Motion energy of {name}")
        self.label.show()
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.bar.show()

    def _done(self) -> None:
        if self.window is not None:
            self.label.hide()
            self.bar.hide()

    def series(self, k: int, roi) -> tuple | None:
        """``(times on the events' clock, values)`` of one region, None while measuring."""
        motion = self.motion.get(k)
        boxes = [] if motion is None else [r.rect for r in motion.rois]
        if roi.rect not in boxes:
            return None
        videos = self.document.videos
        table = motion_table(
            self.document.session.session_id,
            motion.times_ms,
            motion.values[:, [boxes.index(roi.rect)]],
            [roi.name],
            videos[k][1] - videos[0][1],  # the events are on the first camera's clock
        )
        return table["time_s"].to_numpy(), table[roi.name].to_numpy()

    # -- timeline -------------------------------------------------------------------------------
    def _show_tracks(self) -> None:
        if self.window is None:
            return
        refs = self.document.session.spec.videos
        several = sum(bool(ref.rois) for ref in refs) > 1  # then say whose camera
        tracks = []
        for k, ref in enumerate(refs):
            camera = (ref.view or ref.path.stem) if several else ""
            for roi in ref.rois:
                found = self.series(k, roi)
                times, values = found if found is not None else (None, None)
                note = f"not measured: {self.failed[k]}" if k in self.failed else "measuring…"
                colour = region_colour(roi.name)
                label = f"{roi.name} motion"
                tracks.append(MotionTrack(label, colour, times, values, note, camera))
        self.window.timeline.canvas.set_extra_tracks(tracks)

    # -- metrics --------------------------------------------------------------------------------
    def partners(self) -> dict[str, tuple[int, object]]:
        """``{"infant": (camera, roi), "caregiver": ...}``: the first camera having each."""
        found: dict[str, tuple[int, object]] = {}
        for k, ref in enumerate(self.document.session.spec.videos):
            for roi in ref.rois:
                if roi.name in PARTNERS and roi.name not in found:
                    found[roi.name] = (k, roi)
        return found

    def _update_dyad(self) -> None:
        """The infant and caregiver series for the metrics worker (None until both exist)."""
        found = self.partners()
        series = {p: self.series(*found[p]) for p in PARTNERS if p in found}
        dyad = None
        if len(series) == 2 and None not in series.values():
            session = self.document.session.session_id
            try:
                table = dyad_motion(session, series["infant"], series["caregiver"])
                dyad = dyads(table)[0]
            except DataError as exc:
                self.document.problem.emit(f"Movement synchrony: {exc}")
        self.dyad = dyad
        cameras = {found[p][0] for p in found}
        if len(cameras) > 1:  # say which camera each partner's region is on
            refs = self.document.session.spec.videos
            self.used = " of " + " × ".join(
                f"{p} ({refs[found[p][0]].view or refs[found[p][0]].path.name})" for p in PARTNERS
            )
        else:
            self.used = ""
        if self.window is not None:
            self.window.metrics.refresh()

    def _compute(self, events: pd.DataFrame, scheme: Scheme) -> pd.DataFrame | None:
        """The metrics worker's part: movement synchrony per phase (see the module docstring)."""
        dyad, ccf_settings = self.dyad, self.ccf_settings
        if dyad is None:
            return None
        cached = self._ccf
        if cached is not None and cached[0] is dyad and cached[1] == ccf_settings:
            ccf, problem = cached[2:]
        else:
            ccf, problem = None, ""
            try:
                w, lag, inc = window_samples(ccf_settings, dyad.fps)
                if count_windows(len(dyad.infant), w, lag, inc) > 0:  # else: too short
                    ccf = session_ccf(dyad, ccf_settings)
            except MovementError as exc:
                problem = str(exc)
            self._ccf = (dyad, ccf_settings, ccf, problem)
        tier = scheme.roles.phase
        phases = phase_intervals(events, tier) if tier else None
        table = movement_table(ccf, phases, ccf_settings, self.used)
        if problem:
            table["grand_average"] = "–"
            table.attrs["note"] = f"Movement synchrony: {problem}"
        return table


def movement_table(
    ccf, phases: pd.DataFrame | None, ccf_settings: CcfSettings, used: str = ""
) -> pd.DataFrame:
    """The panel's movement rows: :func:`summarise`'s columns per phase, ``windows`` as
    "n × W s", and "too short" where a phase holds no window; ``attrs["note"]`` says which
    regions and settings were used, and why a phase is too short."""
    if ccf is None:
        names = ["all"] + ([] if phases is None else list(dict.fromkeys(phases["phase"])))
        table = pd.DataFrame({"phase": names, "n_windows": 0})
        for column in SUMMARY_COLUMNS[3:]:
            table[column] = float("nan")
    else:
        table = summarise([ccf], phases).drop(columns="session")
    s = ccf_settings
    table["grand_average"] = table["grand_average"].astype(object)
    short = table["n_windows"] == 0
    table.loc[short, "grand_average"] = "too short"
    table["windows"] = [f"{n} × {s.window_s:g} s" for n in table["n_windows"]]
    note = f"Movement synchrony{used}: {s.describe()}."
    if short.any():
        names = ", ".join(str(p).replace("_", " ") for p in table.loc[short, "phase"])
        note += (
            f" Too short for {s.window_s:g}-s windows ({s.window_s + s.lag_s:g} s with the lags):"
            f" {names}. Motion ▸ Movement synchrony settings sets shorter ones."
        )
    table.attrs["note"] = note
    return table
