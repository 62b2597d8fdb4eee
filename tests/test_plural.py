from magnet.plural import counted


def test_one_is_singular_and_every_other_count_is_plural() -> None:
    assert counted(1, "member") == "1 member"
    assert [counted(n, "household") for n in (0, 2)] == ["0 households", "2 households"]
    assert counted(3, "person", "people") == "3 people"
    assert counted(1, "possible match", "possible matches") == "1 possible match"
