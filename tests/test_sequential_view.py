# ruff: noqa: F811 - the last test takes the fixtures imported from test_gui
"""The "Analyse what follows…" view, constructed directly and from the real window (pytest-qt).

Its numbers come from :mod:`synchrony_coder.sequential` (tested against brute force in
test_sequential.py); here: what it shows, its ranking and highlighting, and the editable window.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from synchrony_coder import load_scheme
from synchrony_coder.sequential import lag_table, window_table
from synchrony_coder.simulate import simulate_session

pytest.importorskip("PyQt6")

from synchrony_coder.gui.sequential_view import (  # noqa: E402
    COLUMNS,
    SequentialView,
    default_tiers,
)
from test_gui import folder, open_in, video, window  # noqa: E402, F401 - fixtures

SCHEME = load_scheme()


@pytest.fixture
def session() -> pd.DataFrame:
    events = simulate_session(session="s1", coder="ann", seed=4)
    # fuss is followed by soothe every time: a significant lag-1 cell
    fuss = events[(events["tier"] == "infant_bid") & (events["code"] == "fuss")]
    soothe = fuss.assign(tier="caregiver_response", code="soothe", onset_s=fuss["onset_s"] + 0.3)
    return pd.concat([events, soothe], ignore_index=True)


def test_lag_results_ranked_by_adjusted_residual_and_highlighted(qtbot, session):
    view = SequentialView(session, SCHEME, ("infant_bid", "fuss"))
    qtbot.addWidget(view)
    view.show()
    assert view.tiers == ["infant_bid", "caregiver_response"] == default_tiers(SCHEME, "infant_bid")
    table = view.lag_view
    assert [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())] == list(
        COLUMNS
    )
    oracle = lag_table(session, SCHEME, tiers=view.tiers, max_lag=3, pooled=False)
    lag1 = oracle[(oracle["lag"] == 1) & (oracle["given"] == "infant_bid:fuss")]
    assert table.rowCount() == len(lag1)
    assert table.item(0, 0).text().startswith("soothe")
    zs = [table.item(r, 4).text() for r in range(table.rowCount())]
    values = [float(z) for z in zs if z != "–"]
    assert values == sorted(values, reverse=True)
    best = lag1.set_index("target").loc["caregiver_response:soothe"]
    assert zs[0] == f"{best['adjusted_residual']:+.2f}" and best["adjusted_residual"] > 1.96
    assert table.item(0, 1).text() == str(int(best["count"]))
    assert table.item(0, 0).font().bold() and table.item(0, 4).background().color().green() > 0
    quiet = next(
        r
        for r in range(table.rowCount())
        if table.item(r, 4).text() != "–" and abs(float(table.item(r, 4).text())) < 1.96
    )
    assert not table.item(quiet, 0).font().bold()
    assert 0.0 <= float(table.item(0, 6).text()) <= 1.0  # a permutation p

    view.lag_tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: "At lag 3" in view.lag_note.text())
    lag3 = oracle[(oracle["lag"] == 3) & (oracle["given"] == "infant_bid:fuss")]
    top = lag3.sort_values("adjusted_residual", ascending=False).iloc[0]
    assert table.item(0, 4).text() == f"{top['adjusted_residual']:+.2f}"


def test_time_window_follows_the_editable_window(qtbot, session):
    view = SequentialView(session, SCHEME, ("infant_bid", "fuss"))
    qtbot.addWidget(view)
    assert view.target.currentData() == "caregiver_response:soothe"  # the best lag-1 target
    view.window_lo.setValue(0.5)
    view.window_hi.setValue(1.5)
    want = window_table(
        session,
        SCHEME,
        pairs=[("infant_bid:fuss", "caregiver_response:soothe")],
        window=(0.5, 1.5),
        pooled=False,
    ).iloc[0]
    qtbot.waitUntil(lambda: f"{want.given_units} after fuss" in view.window_counts.text())
    assert f"{want.joint_units} both" in view.window_counts.text()
    view.window_lo.setValue(0.0)
    # 3 fusses, 4 units with both: z is far above 1.96, but so few units are not a verdict
    qtbot.waitUntil(lambda: "so few" in view.window_verdict.text())
    z = window_table(
        session,
        SCHEME,
        pairs=[("infant_bid:fuss", "caregiver_response:soothe")],
        window=(0.0, 1.5),
        pooled=False,
    ).iloc[0]["adjusted_residual"]
    assert f"z {z:+.2f}" in view.window_stats.text() and not math.isnan(z)
    view.window_hi.setValue(0.0)
    qtbot.waitUntil(lambda: "end after its start" in view.window_verdict.text())
    i = view.target.findData("infant_engagement:positive")  # a state target
    view.window_hi.setValue(2.0)
    view.target.setCurrentIndex(i)
    qtbot.waitUntil(lambda: "with the target" in view.window_counts.text())


def test_the_events_tables_menu_opens_it_for_the_rows_code(window, qtbot, folder):
    """Right-click a row of the open session's table: the view of that row's code, over the
    session's events as they are on screen (oracle: ``lag_table`` of the same events)."""
    from PyQt6.QtCore import QTimer
    from PyQt6.QtGui import QContextMenuEvent
    from PyQt6.QtWidgets import QApplication

    rows = ["session,coder,tier,code,onset_s,offset_s", "s07,ann,phase,play,0.0,3.0"]
    for k in range(12):  # reach, then touch 0.1 s later; fuss, then nothing
        t = round(0.2 * k, 3)
        rows.append(f"s07,ann,infant_bid,{'reach' if k % 2 else 'fuss'},{t},")
        if k % 2:
            rows.append(f"s07,ann,caregiver_response,touch,{t + 0.1:.3f},")
    (folder / "coder_ann.csv").write_text("\n".join(rows) + "\n")
    doc = open_in(window, qtbot, folder)
    table = window.events_table
    row = next(r for r in range(table.model().rowCount())
               if doc.session.events[table.event_at(r)].code == "reach")  # fmt: skip
    doc.select(next(i for i, ev in doc.session.events.items() if ev.code == "fuss"))
    seen = []

    def choose() -> None:
        menu = QApplication.activePopupWidget()
        seen.append([a.text().replace("&", "") for a in menu.actions()])
        menu.actions()[0].trigger()
        menu.close()

    QTimer.singleShot(50, choose)
    rect = table.visualRect(table.model().index(row, 1))
    at = rect.center()  # the event Qt sends on a right click (offscreen, QTest's click sends none)
    menu_event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, at, table.viewport().mapToGlobal(at)
    )
    QApplication.sendEvent(table.viewport(), menu_event)
    qtbot.waitUntil(lambda: bool(window.findChildren(SequentialView)))
    assert seen == [["Analyse what follows reach…"]]
    (view,) = window.findChildren(SequentialView)
    assert view.isVisible() and view.isWindow() and view.given == "infant_bid:reach"
    oracle = lag_table(doc.session.frame(), SCHEME, tiers=view.tiers, max_lag=3, pooled=False)
    lag1 = oracle[(oracle["lag"] == 1) & (oracle["given"] == "infant_bid:reach")]
    best = lag1.sort_values("adjusted_residual", ascending=False).iloc[0]
    assert best["target"] == "caregiver_response:touch" and best["count"] == 6
    assert view.lag_view.item(0, 0).text().startswith("touch")
    assert view.lag_view.item(0, 1).text() == "6"
    # the Analysis menu does the same; on a phase it says why not, in the status bar
    doc.select(next(i for i, ev in doc.session.events.items() if ev.tier == "phase"))
    window.actions["analyse"].trigger()
    assert "phase tier" in window.statusBar().currentMessage()
    assert len(window.findChildren(SequentialView)) == 1


def _fuss_then_soothe(qtbot, rows) -> tuple[pd.DataFrame, SequentialView]:
    """Session s1 of coder ann from ``(tier, code, onset, offset)`` rows, and the view of what
    follows fuss, showing soothe as the time-window target."""
    events = pd.DataFrame(
        [
            {"session": "s1", "coder": "ann", "tier": t, "code": c, "onset_s": on, "offset_s": off}
            for t, c, on, off in rows
        ]
    )
    view = SequentialView(events, SCHEME, ("infant_bid", "fuss"))
    qtbot.addWidget(view)
    view.target.setCurrentIndex(view.target.findData("caregiver_response:soothe"))
    return events, view


def test_a_window_with_few_units_with_both_gets_the_caveat_not_the_verdict(qtbot):
    """One fuss followed by a soothe, 3 other fusses with nothing after them: the 2×2 table's z is
    far above 1.96 (oracle: ``window_table``) but rests on 1 unit with both, under ``FEW_GIVEN``;
    the view says so instead of "more often than chance"."""
    from synchrony_coder.gui.sequential_view import FEW_GIVEN

    rows = [("phase", "play", 0.0, 60.0), ("infant_bid", "fuss", 10.0, None),
            ("caregiver_response", "soothe", 10.3, None)]  # fmt: skip
    rows += [("infant_bid", "fuss", 20.0 + 12.0 * k, None) for k in range(3)]
    events, view = _fuss_then_soothe(qtbot, rows)
    view.window_lo.setValue(0.0)
    view.window_hi.setValue(2.0)
    oracle = window_table(
        events,
        SCHEME,
        pairs=[("infant_bid:fuss", "caregiver_response:soothe")],
        window=(0.0, 2.0),
        pooled=False,
    ).iloc[0]
    assert oracle["adjusted_residual"] > 1.96 and oracle["joint_units"] < FEW_GIVEN
    qtbot.waitUntil(lambda: "so few" in view.window_verdict.text())
    assert "more often than chance" not in view.window_verdict.text()
    assert f"from {oracle['joint_units']} unit with both" in view.window_verdict.text()
    # a soothe after each of 12 fusses: enough units with both for the verdict
    rows += [("caregiver_response", "soothe", 20.3 + 12.0 * k, None) for k in range(3)]
    rows += [
        (t, c, 0.5 + 3.0 * k + d, None)
        for k in range(8)
        for t, c, d in (("infant_bid", "fuss", 0.0), ("caregiver_response", "soothe", 0.3))
    ]
    events, view = _fuss_then_soothe(qtbot, rows)
    view.window_hi.setValue(1.0)
    qtbot.waitUntil(lambda: "more often than chance" in view.window_verdict.text())


def test_the_analysis_menu_names_the_code_the_selected_event_has_now(window, qtbot, folder):
    """Recoding the selected event (in the table, or by undo) renames Analysis ▸ Analyse what
    follows… at once; before, it kept the code the event had when it was selected."""
    rows = ["session,coder,tier,code,onset_s,offset_s", "s07,ann,phase,play,0.0,3.0",
            "s07,ann,infant_engagement,negative,0.4,1.2"]  # fmt: skip
    (folder / "coder_ann.csv").write_text("\n".join(rows) + "\n")
    doc = open_in(window, qtbot, folder)
    action = window.actions["analyse"]
    state = next(i for i, ev in doc.session.events.items() if ev.code == "negative")
    doc.select(state)
    assert action.text() == "&Analyse what follows negative…"
    model = window.events_table.model()
    assert model.setData(model.index(window.events_table.row_of(state), 1), "object")
    assert doc.selected == state and action.text() == "&Analyse what follows object…"
    doc.undo_stack.undo()
    assert action.text() == "&Analyse what follows negative…"


def test_the_window_is_as_wide_as_its_table(qtbot, session):
    """Every column of the lag table, "perm. p" last, shows whole when the window opens."""
    view = SequentialView(session, SCHEME, ("infant_bid", "fuss"))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    table, header = view.lag_view, view.lag_view.horizontalHeader()
    last = table.columnCount() - 1
    assert COLUMNS[last] == "perm. p"
    need = max(table.sizeHintForColumn(last), header.sectionSizeHint(last))
    qtbot.waitUntil(lambda: header.sectionSize(last) >= need)
    assert header.sectionViewportPosition(last) + need <= table.viewport().width()
