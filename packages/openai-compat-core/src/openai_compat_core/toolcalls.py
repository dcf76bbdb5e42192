"""Assembling streamed tool-call fragments into calls: one set of grouping rules for every API."""

from dataclasses import dataclass, field
from typing import NamedTuple

from openai_compat_core.chunks import ToolCallFragment, new_call_id


@dataclass(slots=True, eq=False)
class ToolCall:
    """One tool call being assembled from its fragments.

    `position` counts the calls of a stream in order of appearance (0, 1, ...); `call_id` is the
    producer's id, or one made up when its first fragment had none; `arguments` holds the pieces of
    the arguments text received so far.
    """

    position: int
    call_id: str
    name: str | None
    source_index: int | None
    source_id: str | None
    arguments: list[str] = field(default_factory=list)
    closed: bool = False

    @property
    def arguments_text(self) -> str:
        """The arguments received so far, joined."""
        return "".join(self.arguments)


class ToolCallStep(NamedTuple):
    """What one fragment did: the call it belongs to, whether it started it or gave it its name, what it closed."""

    call: ToolCall
    started: bool
    named: bool
    closed: list[ToolCall]


class ToolCallAssembler:
    """Groups tool-call fragments into calls, whatever numbering the producer uses.

    A fragment belongs to:

    1. the open call with its id, when it has one that is known;
    2. else, when it has an `index`, the open call with that index, unless both have ids and
       they differ: then it starts a new call and the old one is closed (producers that number
       every call 0, or agent loops reusing indexes);
    3. else, when it has only an unknown id, a new call; the previous call is closed if it had no
       index (calls without index come one after another);
    4. else (neither id nor index), the last call, or a new one if there is none.

    Calls with different indexes may interleave (parallel calls).
    """

    __slots__ = ("_by_id", "_by_index", "_last", "calls")

    def __init__(self) -> None:
        self.calls: list[ToolCall] = []
        self._by_id: dict[str, ToolCall] = {}
        self._by_index: dict[int, ToolCall] = {}
        self._last: ToolCall | None = None

    def add(self, fragment: ToolCallFragment) -> ToolCallStep:
        """Add one fragment; return what it did."""
        closed: list[ToolCall] = []
        call = self._by_id.get(fragment.call_id) if fragment.call_id is not None else None
        if call is not None:
            if fragment.index is not None and call.source_index is None:
                call.source_index = fragment.index
                self._by_index[fragment.index] = call
        elif fragment.index is not None:
            same = self._by_index.get(fragment.index)
            if same is not None and (fragment.call_id is None or same.source_id is None):
                call = same
                if fragment.call_id is not None:
                    same.source_id = fragment.call_id
                    self._by_id[fragment.call_id] = same
            elif same is not None:
                closed.append(self._close(same))
        elif fragment.call_id is not None:
            last = self._last
            if last is not None and not last.closed and last.source_index is None:
                closed.append(self._close(last))
        else:
            call = self._last if self._last is not None and not self._last.closed else None

        started = named = False
        if call is None:
            call = self._open(fragment)
            started = True
        elif fragment.name and call.name is None:
            call.name = fragment.name
            named = True
        if fragment.arguments:
            call.arguments.append(fragment.arguments)
        self._last = call
        return ToolCallStep(call, started, named, closed)

    def close_all(self) -> list[ToolCall]:
        """Close every open call; return them in order of position."""
        return [self._close(call) for call in self.calls if not call.closed]

    def _open(self, fragment: ToolCallFragment) -> ToolCall:
        call = ToolCall(
            position=len(self.calls),
            call_id=fragment.call_id or new_call_id(),
            name=fragment.name or None,
            source_index=fragment.index,
            source_id=fragment.call_id,
        )
        self.calls.append(call)
        if fragment.index is not None:
            self._by_index[fragment.index] = call
        if fragment.call_id is not None:
            self._by_id[fragment.call_id] = call
        return call

    def _close(self, call: ToolCall) -> ToolCall:
        call.closed = True
        if call.source_index is not None and self._by_index.get(call.source_index) is call:
            del self._by_index[call.source_index]
        if call.source_id is not None and self._by_id.get(call.source_id) is call:
            del self._by_id[call.source_id]
        return call


__all__ = ["ToolCall", "ToolCallAssembler", "ToolCallStep"]
