"""The five seed documents come out as ../shared/seeds/README.md describes.

Gold labels come from our hand labels in labeled/seeds/; the raw text is read
from ../shared/seeds (the tests skip where it is absent, and fail under CI=true).
"""
from pathlib import Path

import pytest
from conftest import SHARED_SEEDS, needs_shared

from noisecut import Cleaner
from noisecut.labeled import read
from noisecut.labels import Label

ROOT = Path(__file__).resolve().parents[1]

# README: the noise that must be gone, by seed.
MUST_DROP = {
    "000": ["Must read", "Recent News", "0", "Advertisement",
            "Delayed but Not Denied: Names of 25 persons who are convicted in May 9...",
            "US imposes further sanctions on Pakistan"],
    "001": [" date 2021-04-07 World"],
    "002": ["Share", "-", "- ECP releases total number of registered voters in Pakistan01:32 PM | 7 Apr, 2021",
            "- Katrina Kaif tests positive for Covid-1905:45 PM | 6 Apr, 2021"],
    "003": ["Comments", "comments"],
    "004": ["LAST NEWS"],
}
MUST_DROP_CONTAINING = {
    "002": ["https://t.co/"],
    "003": ["Also Read:", "Read More:", "pic.twitter.com"],
    "004": ["Azerbaijan Army conduct live-fire exercises"],
}


def seed_path(number: str) -> Path:
    needs_shared(SHARED_SEEDS, "../shared/seeds")
    return next(SHARED_SEEDS.glob(f"{number}_*.txt"))


@pytest.fixture(scope="module", params=[None, "fast"], ids=["default", "fast"])
def cleaner(request):
    return Cleaner(request.param)  # a shipped model: the default, and -m fast


@pytest.mark.parametrize("number", sorted(MUST_DROP))
def test_seed_noise_is_gone_and_body_kept(cleaner, number):
    raw = seed_path(number).read_bytes()
    out_lines = cleaner.clean_bytes(raw).decode("utf-8").splitlines()
    out = set(out_lines)
    labeled = read(ROOT / "labeled" / "seeds" / f"{number}.lines")
    body = [line for line, label in zip(labeled.doc.lines, labeled.labels) if label in (Label.BODY, Label.HEADING)]
    missing = [line[:80] for line in body if line not in out]
    assert not missing, f"body lines dropped: {missing}"
    for line in MUST_DROP[number]:
        assert line not in out, f"noise line kept: {line!r}"
    for fragment in MUST_DROP_CONTAINING.get(number, []):
        assert not [line for line in out_lines if fragment in line], f"noise containing {fragment!r} kept"


def test_seed_000_ends_with_the_article(cleaner):
    out = cleaner.clean_bytes(seed_path("000").read_bytes()).decode("utf-8").rstrip("\n").splitlines()
    assert out[-1].startswith("Besides his meeting with Shah Mahmood Qureshi")


def test_seed_004_repeated_standfirst_appears_once_and_heading_stays(cleaner):
    out = cleaner.clean_bytes(seed_path("004").read_bytes()).decode("utf-8").splitlines()
    standfirst = [line for line in out if line.startswith("Russia's foreign minister met the Pakistani prime minister")]
    assert len(standfirst) == 1
    assert "Meeting with army chief" in out


def test_kept_seed_lines_are_byte_identical_and_in_order(cleaner):
    for number in MUST_DROP:
        raw = seed_path(number).read_bytes()
        out = cleaner.clean_bytes(raw)
        labeled = read(ROOT / "labeled" / "seeds" / f"{number}.lines")
        body = {line for line, label in zip(labeled.doc.lines, labeled.labels) if label in (Label.BODY, Label.HEADING)}
        assert len(out.splitlines()) >= len(body) > 0, f"seed {number}: fewer lines kept than it has distinct body lines"
        raw_lines = raw.splitlines(keepends=False)
        position = 0
        for line in out.splitlines():
            position = raw_lines.index(line, position) + 1  # raises if not a later input line


def test_missing_shared_data_skips_locally_and_fails_under_ci(tmp_path, monkeypatch):
    absent = tmp_path / "absent"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="absent"):
        needs_shared(absent, "absent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        needs_shared(absent, "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(pytest.fail.Exception):
        needs_shared(tmp_path / "empty", "empty")
    (tmp_path / "empty" / "x.txt").write_text("x")
    needs_shared(tmp_path / "empty", "not empty")  # present: returns
