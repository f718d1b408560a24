"""The client's reply decoder: depth is measured without recursion, and one bad array item stays alone."""

from __future__ import annotations

import json

import pytest

from controlroom.client import boundedjson
from controlroom.client.boundedjson import ReplyTooDeep, ReplyTooLarge, Undecodable


def _nested(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


def test_a_reply_nested_beyond_the_limit_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(ReplyTooDeep, match="nested 100000 levels"):
        boundedjson.loads(_nested(100_000))


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"s": "[[[[{{{{" * 100, "q": 'a "quoted" \\" [ {', "list": [1, [2, [3]]]})
    assert boundedjson.loads(text, max_depth=4) == json.loads(text)  # the object, then three lists
    with pytest.raises(ReplyTooDeep):
        boundedjson.loads(text, max_depth=3)


def test_a_reply_above_the_size_limit_is_refused() -> None:
    with pytest.raises(ReplyTooLarge):
        boundedjson.loads(b"[" + b"1," * 100 + b"1]", max_bytes=50)


def test_one_deep_item_of_an_array_is_undecodable_and_the_others_decode() -> None:
    good = {"lease_token": "11111111-1111-1111-1111-111111111111", "params": {"x": [1, "]"]}}
    bad = '{"run_id": "r-2", "lease_token": "2222", "params": ' + _nested(1000) + ', "after": "x,}"}'
    text = "[" + json.dumps(good) + ", " + bad + " , " + json.dumps(good) + "]"
    items = boundedjson.loads_items(text)
    assert items[0] == good
    assert items[2] == good
    assert isinstance(items[1], Undecodable)
    assert "levels deep" in items[1].reason
    # The shallow members stay readable, so the run can be failed by its lease.
    assert items[1].fields == {"run_id": "r-2", "lease_token": "2222", "after": "x,}"}


def test_an_empty_array_and_a_scalar_decode() -> None:
    assert boundedjson.loads_items("[]") == []
    assert boundedjson.loads_items(" [ ] ") == []
    assert boundedjson.loads_items('{"a": 1}') == {"a": 1}
