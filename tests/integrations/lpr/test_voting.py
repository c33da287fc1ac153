"""Votes across one vehicle pass, fed to the voting unit directly."""

from __future__ import annotations

from hub.integrations.lpr.reader import PlateRead
from hub.integrations.lpr.voting import PassVoter


def read(text: str, confidence: float, fmt: str = "in") -> PlateRead:
    return PlateRead(text, confidence, (10, 20, 100, 30), text, fmt)


def test_two_agreeing_reads_decide_despite_a_slip() -> None:
    voter = PassVoter()
    assert voter.add(read("KA01AB1284", 0.6), 1.0) is None  # one unsure read waits
    assert voter.add(read("KA01AB1234", 0.7), 1.2) is None
    vote = voter.add(read("KA01AB1234", 0.8), 1.4)
    assert vote is not None
    assert vote.plate == "KA01AB1234"
    assert vote.votes == 2
    assert vote.confidence == 0.75
    assert vote.first_at == 1.0
    assert vote.at == 1.4
    assert [c.as_dict() for c in vote.candidates] == [
        {"plate": "KA01AB1284", "confidence": 0.6, "votes": 1}
    ]


def test_one_very_confident_read_in_a_lot_format_decides_at_once() -> None:
    voter = PassVoter()
    vote = voter.add(read("KA01AB1234", 0.97), 1.0)
    assert vote is not None
    assert vote.plate == "KA01AB1234"
    assert vote.votes == 1


def test_a_read_of_digits_alone_waits_for_a_second() -> None:
    voter = PassVoter()
    assert voter.add(read("8031245", 0.95, fmt="number"), 1.0) is None  # never alone
    vote = voter.add(read("8031245", 0.49, fmt="number"), 1.2)
    assert vote is not None
    assert vote.plate == "8031245"


def test_a_confident_read_of_the_catch_all_format_waits_for_a_second() -> None:
    voter = PassVoter()
    assert voter.add(read("XYZ123", 0.99, fmt="any"), 1.0) is None
    vote = voter.add(read("XYZ123", 0.95, fmt="any"), 1.2)
    assert vote is not None
    assert vote.plate == "XYZ123"


def test_the_same_car_is_reported_once_per_pass() -> None:
    voter = PassVoter()
    assert voter.add(read("KA01AB1234", 0.97), 1.0) is not None
    for at in (1.2, 1.4, 1.6):
        assert voter.add(read("KA01AB1234", 0.98), at) is None
        assert voter.add(read("KA01A81234", 0.7), at) is None  # a slip of the same plate
    assert voter.fired == "KA01AB1234"
    assert voter.close() is None  # reported already: nothing at the end either


def test_another_car_in_the_same_pass_needs_agreeing_reads() -> None:
    voter = PassVoter()
    assert voter.add(read("KA01AB1234", 0.97), 1.0) is not None
    assert voter.add(read("HD53HSG", 0.99, fmt="uk"), 5.0) is None  # one stray read
    vote = voter.add(read("HD53HSG", 0.98, fmt="uk"), 5.2)
    assert vote is not None
    assert vote.plate == "HD53HSG"
    assert vote.votes == 2


def test_more_reads_beat_one_confident_outlier_when_the_pass_ends() -> None:
    voter = PassVoter()
    voter.add(read("MH12DE1433", 0.55), 1.0)
    voter.add(read("MH12DE1438", 0.52), 1.1)
    voter.add(read("DL3CAB1234", 0.8, fmt="any"), 1.2)
    # Two reads one character apart are one plate with two votes against one.
    vote = voter.close()
    assert vote is not None
    assert vote.plate in {"MH12DE1433", "MH12DE1438"}
    assert {c.plate for c in vote.candidates} >= {"DL3CAB1234"}
    assert not voter.is_open


def test_a_pass_of_unbelievable_reads_reports_nothing() -> None:
    voter = PassVoter()
    voter.add(read("AB12", 0.3, fmt="any"), 1.0)
    assert voter.close() is None
    assert PassVoter().close() is None


def test_a_cut_plate_needs_a_sure_read_or_a_whole_one() -> None:
    # A car driving into view: its plate's bottom edge is cut, and a cut E reads as F.
    voter = PassVoter()
    assert voter.add(read("YM26FUU", 0.935, fmt="uk"), 1.0, cut=True) is None
    assert voter.add(read("YM26FUU", 0.97, fmt="uk"), 1.1, cut=True) is None  # agreeing, cut
    vote = voter.add(read("YM26EUU", 0.93, fmt="uk"), 1.2)  # the whole plate
    assert vote is not None
    assert vote.plate == "YM26EUU"
    assert vote.candidates[0].plate == "YM26FUU"


def test_a_sure_read_of_a_cut_plate_decides_at_once() -> None:
    voter = PassVoter()
    assert voter.add(read("YM26FUU", 0.997, fmt="uk"), 1.0, cut=True) is None  # seen once
    vote = voter.add(read("YM26EUU", 0.9995, fmt="uk"), 1.1, cut=True)
    assert vote is not None
    assert vote.plate == "YM26EUU"


def test_agreeing_reads_decide_once_one_shows_the_whole_plate() -> None:
    voter = PassVoter()
    assert voter.add(read("XYZ123", 0.8, fmt="any"), 1.0, cut=True) is None
    vote = voter.add(read("XYZ123", 0.8, fmt="any"), 1.1)
    assert vote is not None
    assert vote.votes == 2
    assert vote.at == 1.1  # the snapshot is the whole plate's frame
