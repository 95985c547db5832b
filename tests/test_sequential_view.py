"""The "Analyse what follows…" view, constructed directly (pytest-qt, offscreen).

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
    qtbot.waitUntil(lambda: "more often than chance" in view.window_verdict.text())
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
