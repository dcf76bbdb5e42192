"""The tool-call assembler: one set of grouping rules for every API."""

from openai_compat_core.chunks import ToolCallFragment
from openai_compat_core.toolcalls import ToolCallAssembler


def fragment(
    index: int | None = None, call_id: str | None = None, name: str | None = None, arguments: str | None = None
) -> ToolCallFragment:
    return ToolCallFragment(index=index, call_id=call_id, name=name, arguments=arguments)


def assemble(*fragments: ToolCallFragment) -> list[tuple[str, str | None, str, bool]]:
    assembler = ToolCallAssembler()
    for piece in fragments:
        assembler.add(piece)
    return [(call.call_id, call.name, call.arguments_text, call.closed) for call in assembler.calls]


def test_parallel_calls_by_index_may_interleave() -> None:
    calls = assemble(
        fragment(0, "a", "f", "{"), fragment(1, "b", "g", "["), fragment(0, arguments="}"), fragment(1, arguments="]")
    )
    assert calls == [("a", "f", "{}", False), ("b", "g", "[]", False)]


def test_a_known_id_continues_its_call_whatever_its_index() -> None:
    assembler = ToolCallAssembler()
    assembler.add(fragment(None, "a", "f", "{"))
    step = assembler.add(fragment(3, "a", None, "}"))
    assert not step.started
    assert step.call.source_index == 3
    # From now on, index 3 alone names it.
    assert not assembler.add(fragment(3, None, None, " ")).started
    assert assembler.calls[0].arguments_text == "{} "


def test_the_same_index_with_another_id_is_a_new_call_and_closes_the_old_one() -> None:
    assembler = ToolCallAssembler()
    first = assembler.add(fragment(0, "a", "f", "{}")).call
    step = assembler.add(fragment(0, "b", "g", "[]"))
    assert step.started
    assert step.closed == [first]
    assert first.closed
    assert [call.position for call in assembler.calls] == [0, 1]


def test_an_index_first_without_id_then_with_an_id_keeps_one_call() -> None:
    assembler = ToolCallAssembler()
    assembler.add(fragment(0, None, "f", "{"))
    step = assembler.add(fragment(0, "late_id", None, "}"))
    assert not step.started
    assert len(assembler.calls) == 1
    # The made-up id it was given first stays (clients have seen it); the late one finds the call too.
    assert assembler.calls[0].call_id.startswith("call_")
    assert not assembler.add(fragment(None, "late_id", None, " ")).started


def test_calls_without_index_come_one_after_another() -> None:
    calls = assemble(fragment(None, "a", "f", "{"), fragment(None, "b", "g", "["), fragment(None, "a", None, "}"))
    # b closes a; a seen again after it was closed is a new call.
    assert calls == [("a", "f", "{", True), ("b", "g", "[", True), ("a", None, "}", False)]


def test_a_fragment_with_neither_continues_the_last_call_or_starts_one() -> None:
    assembler = ToolCallAssembler()
    step = assembler.add(fragment(arguments="{"))
    assert step.started
    assert step.call.call_id.startswith("call_")
    assert not assembler.add(fragment(arguments="}")).started
    assert assembler.calls[0].arguments_text == "{}"


def test_a_name_arriving_later_is_reported_once() -> None:
    assembler = ToolCallAssembler()
    assembler.add(fragment(0, "a", None, "{"))
    assert assembler.add(fragment(0, None, "f", "")).named
    assert not assembler.add(fragment(0, None, "other", "}")).named
    assert assembler.calls[0].name == "f"


def test_close_all_closes_the_open_calls_in_order() -> None:
    assembler = ToolCallAssembler()
    assembler.add(fragment(0, "a", "f"))
    assembler.add(fragment(0, "b", "g"))
    assembler.add(fragment(1, "c", "h"))
    assert [call.call_id for call in assembler.close_all()] == ["b", "c"]
    assert all(call.closed for call in assembler.calls)
