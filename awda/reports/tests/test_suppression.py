"""Small-cell suppression, worked by hand."""

from __future__ import annotations

from awda.reports.selectors import Cell
from awda.reports.suppression import group, suppressed


def test_small_counts_are_hidden_and_zeros_are_not():
    assert suppressed({"a": 0, "b": 1, "c": 4, "d": 5}, []) == {"b", "c"}


def test_a_total_would_give_a_lone_small_cell_away_so_a_second_cell_is_hidden():
    values = {"total": 19, "hol": 16, "roj": 3}
    hidden = suppressed(values, [group("total", ["hol", "roj"])])
    # 19 - 16 = 3: the camp with 16 must go too.
    assert hidden == {"hol", "roj"}


def test_the_smallest_other_cell_is_the_one_hidden():
    values = {"t": 40, "a": 20, "b": 7, "c": 10, "d": 3}
    assert suppressed(values, [group("t", ["a", "b", "c", "d"])]) == {"b", "d"}


def test_a_pair_that_still_pins_the_small_cell_hides_more():
    # 1 + 5 = 6: "<5" and "≥5" leave only 1 and 5, so the total is hidden as well.
    values = {"t": 6, "a": 5, "b": 1}
    assert suppressed(values, [group("t", ["a", "b"])]) == {"t", "a", "b"}


def test_two_small_cells_protect_each_other_unless_their_sum_pins_them():
    fine = {"t": 25, "a": 20, "b": 2, "c": 3}  # b + c = 5: 1+4, 2+3, 3+2, 4+1
    assert suppressed(fine, [group("t", ["a", "b", "c"])]) == {"b", "c"}
    pinned = {"t": 22, "a": 20, "b": 1, "c": 1}  # b + c = 2: both are 1
    assert suppressed(pinned, [group("t", ["a", "b", "c"])]) == {"a", "b", "c"}


def test_a_total_shared_by_two_breakdowns_is_protected_in_both():
    # Camps: 16 and 3; governorates: 10 and 9. Hiding the camps is not enough when the
    # total is shown; the governorates give it, and the camps' table must still not pin 3.
    values = {"t": 19, "hol": 16, "roj": 3, "g1": 10, "g2": 9}
    groups = [group("t", ["hol", "roj"]), group("t", ["g1", "g2"])]
    hidden = suppressed(values, groups)
    assert {"hol", "roj"} <= hidden
    assert "g1" not in hidden and "g2" not in hidden and "t" not in hidden


def test_a_small_total_hides_itself_and_its_parts():
    values = {"t": 3, "a": 3, "b": 0}
    assert suppressed(values, [group("t", ["a", "b"])]) == {"t", "a"}


def test_cells_say_under_5_or_at_least_5():
    assert str(Cell(3)) == "<5" and Cell(3).value is None
    assert str(Cell(12, hidden=True)) == "≥5" and Cell(12, hidden=True).value is None
    assert str(Cell(3, hidden=False)) == "3" and Cell(3, hidden=False).value == 3
    assert str(Cell(0)) == "0" and Cell(0).value == 0
