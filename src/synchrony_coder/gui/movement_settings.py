"""The settings of movement synchrony in the app: window, step and largest lag, and θ.

rMEA's defaults (Kleinbub & Ramseyer, 2020; SCIENCE.md §6) until the coder changes them; kept in
the app's settings (:func:`~.settings.movement_settings`).
"""

from __future__ import annotations

from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel

from . import theme


class MovementSettings(QDialog):
    """Window, step and maximum lag of movement synchrony, and the motion threshold θ."""

    FIELDS = (
        ("window_s", "Window (s)", 2.0, 600.0, 1.0, "rMEA's winSec; default 60"),
        ("increment_s", "Step between windows (s)", 0.5, 600.0, 0.5, "rMEA's incSec; default 30"),
        ("lag_s", "Largest lag (s)", 0.0, 60.0, 0.5, "rMEA's lagSec; default 5"),
        ("threshold", "Motion threshold θ (luma levels)", 0.0, 254.0, 1.0, "default 10"),
    )

    def __init__(self, values: dict[str, float], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Movement synchrony settings")
        form = QFormLayout(self)
        intro = QLabel(
            "Windowed lagged cross-correlation of the infant's and the caregiver's motion "
            "energy (SCIENCE.md §6, as rMEA). A phase needs a window plus the largest lag of "
            "video to have a value; short Still-Face phases need shorter windows.",
            self,
        )
        intro.setWordWrap(True)
        intro.setStyleSheet(f"color: {theme.MUTED}")
        form.addRow(intro)
        self.boxes = {}
        for name, label, lo, hi, step, tip in self.FIELDS:
            box = QDoubleSpinBox(self)
            box.setRange(lo, hi)
            box.setSingleStep(step)
            box.setDecimals(1)
            box.setValue(values[name])
            box.setToolTip(tip)
            form.addRow(label, box)
            self.boxes[name] = box
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, float]:
        return {name: float(box.value()) for name, box in self.boxes.items()}
