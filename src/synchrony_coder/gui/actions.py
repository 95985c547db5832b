"""Every user action of the window as a ``QAction`` with its shortcut (menus, keys, help, tests).

One table: the menus, the keyboard, the transport buttons and the help overlay all use these
actions, and tests ``trigger()`` them, so each action has one code path (as in SLEAP's commands).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QWidget

from .icons import transport_icon


def menu_text(text: str) -> str:
    """``text`` (a coder's name, a path) as a button or menu shows it: Qt reads ``&`` as the
    mark of the next letter's shortcut (``alice & bob`` shows as "alice _bob"), ``&&`` as ``&``."""
    return text.replace("&", "&&")


@dataclass(frozen=True)
class Spec:
    name: str
    text: str
    keys: tuple[str, ...]
    menu: str  # "File", "Edit", "Playback", "Motion", "Analysis", "Help"
    icon: bool = False  # a transport button (icon from .icons)


SPECS = (
    Spec("open", "&Open session…", ("Ctrl+O",), "File"),
    Spec("open_study", "Open stud&y…", ("Ctrl+Shift+O",), "File"),
    Spec("compare", "&Compare with another coder…", ("Ctrl+K",), "File"),
    Spec("consensus", "Make co&nsensus of two coders…", (), "File"),
    Spec("save", "&Save", ("Ctrl+S",), "File"),
    Spec("export", "&Export CSV…", ("Ctrl+E",), "File"),
    Spec("proxy", "Make fast-seeking &proxies", ("Ctrl+Shift+P",), "File"),
    Spec("frame_memory", "&Memory for video frames…", (), "File"),
    Spec("quit", "&Quit", ("Ctrl+Q",), "File"),
    Spec("undo", "&Undo", ("Ctrl+Z",), "Edit"),
    Spec("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit"),
    Spec("delete", "&Delete selected event", ("Delete", "Backspace"), "Edit"),
    Spec("play", "Play / pause", ("Space",), "Playback", True),
    Spec("step_back", "◀ Previous frame", ("Left",), "Playback", True),
    Spec("step_forward", "Next frame ▶", ("Right",), "Playback", True),
    Spec("back_1s", "−1 s", ("Shift+Left",), "Playback", True),
    Spec("fwd_1s", "+1 s", ("Shift+Right",), "Playback", True),
    Spec("back_5s", "−5 s", ("Ctrl+Left",), "Playback", True),
    Spec("fwd_5s", "+5 s", ("Ctrl+Right",), "Playback", True),
    Spec("home", "Go to start", ("Home",), "Playback"),
    Spec("end", "Go to end", ("End",), "Playback"),
    Spec("goto", "&Go to frame or time…", ("Ctrl+G",), "Playback"),
    Spec("slower", "Slower", ("[",), "Playback"),
    Spec("faster", "Faster", ("]",), "Playback"),
    Spec("normal_speed", "Normal speed (1×)", ("\\",), "Playback"),
    Spec("draw_regions", "&Draw regions of interest", ("Ctrl+R",), "Motion"),
    Spec("show_regions", "&Show regions on the video", ("Ctrl+Shift+R",), "Motion"),
    Spec("movement_settings", "&Movement synchrony settings…", (), "Motion"),
    Spec("analyse", "&Analyse what follows…", (), "Analysis"),
    Spec("help", "Keyboard shortcuts", ("F1", "?"), "Help"),
)


def build_actions(
    parent: QWidget, handlers: dict[str, Callable[[], object]], specs: tuple[Spec, ...] = SPECS
) -> dict[str, QAction]:
    """One ``QAction`` per entry of ``specs`` (the window's :data:`SPECS`, or a mode's own),
    connected to ``handlers[name]``."""
    actions: dict[str, QAction] = {}
    for spec in specs:
        a = QAction(spec.text, parent)
        a.setShortcuts([QKeySequence(k) for k in spec.keys])
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.setAutoRepeat(spec.menu == "Playback")
        if spec.icon:
            a.setIcon(transport_icon(spec.name))
        keys = " or ".join(spec.keys)
        a.setToolTip(spec.text.replace("&", "") + (f" ({keys})" if keys else ""))
        handler = handlers[spec.name]
        a.triggered.connect(lambda _=False, h=handler: h())
        parent.addAction(a)
        actions[spec.name] = a
    return actions


def code_actions(parent: QWidget, scheme, press: Callable[[str, str], object]) -> list[QAction]:
    """One action per code key of the scheme (``press(tier, code)``)."""
    out = []
    for tier in scheme.tiers:
        for code in tier.codes:
            if not code.key:
                continue
            a = QAction(f"{tier.name}: {code.name}", parent)
            keys = [QKeySequence(code.key)]
            if code.key.isdigit():  # the numeric keypad codes too
                keys.append(QKeySequence(f"Num+{code.key}"))
            a.setShortcuts(keys)
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.setAutoRepeat(False)
            a.triggered.connect(lambda _=False, t=tier.name, c=code.name: press(t, c))
            parent.addAction(a)
            out.append(a)
    return out
