"""Coding schemes: the bundled ones load and match SCIENCE.md §2; bad files give one clear error."""

from __future__ import annotations

import pytest

from synchrony_coder import SchemeError, load_scheme
from synchrony_coder.scheme import scheme_names


def test_default_scheme_matches_science_md():
    s = load_scheme()
    assert s.tier_names == (
        "infant_engagement",
        "caregiver_engagement",
        "infant_bid",
        "caregiver_response",
        "phase",
    )
    assert s.tier("infant_engagement").code_names == (
        "negative",
        "withdrawn",
        "object",
        "monitor",
        "positive",
    )
    assert s.tier("caregiver_engagement").code_names == (
        "negative",
        "disengaged",
        "object",
        "monitor",
        "positive",
    )
    assert s.tier("phase").code_names == ("play", "still_face", "reunion")
    assert s.matched_pairs == (
        ("object", "object"),
        ("monitor", "monitor"),
        ("positive", "positive"),
    )
    assert [s.valence("infant_engagement", c) for c in s.tier("infant_engagement").code_names] == [
        -1,
        0,
        1,
        1,
        2,
    ]
    assert s.valence("caregiver_engagement", "disengaged") == 0
    assert not s.tier("infant_bid").is_state and s.tier("phase").exclusive
    assert len(s.key_map()) == 23


def test_every_bundled_scheme_loads():
    assert {"default", "contingency"} <= set(scheme_names())
    for name in scheme_names():
        assert load_scheme(name).tiers


@pytest.mark.parametrize(
    "body, field",
    [
        ("not toml [", "file"),
        ("name='x'", "tiers"),
        ("[[tiers]]\nname='a'\nkind='blob'\ncodes=[{name='x',key='1'}]", "a.kind"),
        (
            "[[tiers]]\nname='a'\nkind='point'\ncodes=[{name='x',key='1'},{name='y',key='1'}]",
            "a.codes[1].key",
        ),
        (
            "[roles]\nbid='nope'\n[[tiers]]\nname='a'\nkind='point'\ncodes=[{name='x',key='1'}]",
            "roles.bid",
        ),
        (
            "[[tiers]]\nname='a'\nkind='point'\ncodes=[{name='x',key='1',color='red'}]",
            "a.codes[0].color",
        ),
    ],
)
def test_bad_scheme_names_file_and_field(tmp_path, body, field):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    assert info.value.field == field
    assert str(path) in str(info.value)


def test_missing_scheme():
    with pytest.raises(SchemeError, match="no such scheme"):
        load_scheme("no_such_scheme")
