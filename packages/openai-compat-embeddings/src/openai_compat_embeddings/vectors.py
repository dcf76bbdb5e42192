"""What `run_embeddings` returns, turned into checked vectors: one per input, all of one length.

Everything is duck-typed; numpy, torch and Haystack are never imported:

- a list (or tuple) of vectors, each a list or tuple of numbers, an `array.array`, a 1-D array (anything
  with the buffer protocol) or an object with `tolist()`; one flat list of numbers for one input;
- a 2-D array: anything with the buffer protocol (numpy arrays) or with `tolist()` (tensors);
- Haystack's shapes: `{"embedding": [...]}`, `{"embeddings": [...]}`, `{"documents": [...]}` (documents
  carry `.embedding`), a list of documents, and a pipeline's `{"component": {...}}` around any of them;
  token usage is read from `meta["usage"]` or `usage`;
- an `EmbeddingResult`, or any object with `.embeddings` (and `.usage`, optional).

The vectors are kept as they came and converted once, for the encoding the request asked for: a
C-contiguous little-endian float32 array is base64-encoded straight from its memory, without one
Python float.
"""

import math
import struct
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from openai_compat_core.chunks import extract_usage, to_chat_usage
from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_embeddings.models import EmbeddingResult

# memoryview formats of little-endian float32 (native ones only on a little-endian machine).
_FLOAT32_LE = frozenset({"<f", "f", "=f", "@f"} if sys.byteorder == "little" else {"<f"})
_HAYSTACK_KEYS = ("embeddings", "embedding", "documents")


def bad_vectors(message: str) -> OpenAIHTTPException:
    """The 500 for a callback whose vectors cannot be answered; the SDKs are told not to retry."""
    return OpenAIHTTPException(500, message, type="server_error", headers={"x-should-retry": "false"})


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _is_number(value: Any) -> bool:
    if isinstance(value, (int, float)):
        return not isinstance(value, bool)
    # numpy scalars and the like: convertible to float, not a container.
    return hasattr(value, "__float__") and not hasattr(value, "__len__")


def _float32_le(view: memoryview) -> bool:
    return view.format in _FLOAT32_LE and view.c_contiguous


def _as_float32(source: Any) -> memoryview | None:
    """`source` as C-contiguous little-endian float32 memory, converted by its own `astype` if needed; or None."""
    try:
        view = memoryview(source)
    except TypeError:
        return None
    if _float32_le(view):
        return view
    astype = getattr(source, "astype", None)
    if astype is None:
        return None
    try:
        view = memoryview(astype("<f4"))
    except (TypeError, ValueError):
        return None
    return view if _float32_le(view) else None


def _tolist(source: Any, view: memoryview | None) -> Any:
    tolist = getattr(source, "tolist", None)
    if callable(tolist):
        return tolist()
    if view is not None:
        return view.tolist()
    raise TypeError(source)


class Vectors:
    """The checked vectors of one answer: `count` vectors of `dimensions` numbers each.

    Build them with `vectors_from_result`. `float32_rows()` gives each vector's little-endian float32
    bytes (for `base64`), `number_rows()` each vector as a sequence of numbers (for `float`).
    """

    __slots__ = ("_matrix", "_rows", "count", "dimensions")

    def __init__(self, count: int, dimensions: int, *, rows: list[Any] | None = None, matrix: Any = None) -> None:
        self.count = count
        self.dimensions = dimensions
        self._rows = rows  # each a list or tuple of numbers, a 1-D memoryview, or another sequence of numbers
        self._matrix = matrix  # a 2-D array-like (buffer protocol or tolist())

    def float32_rows(self) -> list[Any]:
        """Each vector as little-endian float32 bytes (bytes-like objects; slices of the array's own memory if it can).

        Raises:
            OpenAIHTTPException: 500 naming the vector that holds something else than numbers, or a number
                too large for float32.
        """
        if self._matrix is not None:
            view = _as_float32(self._matrix)
            if view is not None:
                flat = view.cast("B")
                size = self.dimensions * 4
                return [flat[start : start + size] for start in range(0, self.count * size, size)]
            return [_pack_float32(index, row, self.dimensions) for index, row in enumerate(self.number_rows())]
        rows = self._rows or []
        return [_row_float32(index, row, self.dimensions) for index, row in enumerate(rows)]

    def number_rows(self) -> list[Any]:
        """Each vector as a sequence of numbers (Python floats for arrays), for the JSON answer."""
        if self._matrix is not None:
            view: memoryview | None
            try:
                view = memoryview(self._matrix)
            except TypeError:
                view = None
            rows: list[Any] = _tolist(self._matrix, view)
            return rows
        return [row.tolist() if isinstance(row, memoryview) else row for row in self._rows or []]

    def shortened(self, dimensions: int) -> "Vectors":
        """Cut every vector to its first `dimensions` numbers and scale it back to unit length (L2).

        What OpenAI's shortened embeddings are. A vector of length zero after the cut is kept as it is.

        Raises:
            OpenAIHTTPException: 500 naming a vector that holds something else than numbers.
        """
        rows = []
        for index, row in enumerate(self.number_rows()):
            try:
                head = [float(value) for value in row[:dimensions]]
            except (TypeError, ValueError):
                raise bad_vectors(
                    f"run_embeddings returned vector {index} holding something that is not a number."
                ) from None
            norm = math.hypot(*head)
            if norm and math.isfinite(norm):
                head = [value / norm for value in head]
            rows.append(head)
        return Vectors(self.count, dimensions, rows=rows)


def _pack_float32(index: int, row: Any, dimensions: int) -> bytes:
    try:
        return struct.pack(f"<{dimensions}f", *row)
    except OverflowError:
        raise bad_vectors(f"run_embeddings returned vector {index} holding a number too large for float32.") from None
    except (struct.error, TypeError):
        raise bad_vectors(f"run_embeddings returned vector {index} holding something that is not a number.") from None


def _row_float32(index: int, row: Any, dimensions: int) -> Any:
    if isinstance(row, memoryview):
        if _float32_le(row):
            return row.cast("B")
        return _pack_float32(index, row.tolist(), dimensions)
    if not isinstance(row, (list, tuple)):
        view = _as_float32(row)
        if view is not None:
            return view.cast("B")
    return _pack_float32(index, row, dimensions)


def _row(index: int, row: Any) -> Any:
    """One vector as a list/tuple, a 1-D memoryview, or another sized sequence; 500 for anything else."""
    if type(row) is list or type(row) is tuple:
        return row
    if row is None or isinstance(row, (str, bytes, Mapping)):
        raise bad_vectors(f"run_embeddings returned {type(row).__name__} as vector {index}, not a list of numbers.")
    embedding = getattr(row, "embedding", None)
    if embedding is not None and not isinstance(row, Sequence):
        return _row(index, embedding)  # a Haystack Document, or anything carrying its vector
    try:
        view = memoryview(row)
    except TypeError:
        view = None
    if view is not None:
        if view.ndim != 1:
            raise bad_vectors(f"run_embeddings returned vector {index} with {view.ndim} dimensions instead of 1.")
        return view
    tolist = getattr(row, "tolist", None)
    if callable(tolist):
        return _row(index, tolist())
    if isinstance(row, Sequence) or hasattr(row, "__len__"):
        return row
    raise bad_vectors(f"run_embeddings returned {type(row).__name__} as vector {index}, not a list of numbers.")


def _from_rows(rows: Sequence[Any], count: int) -> Vectors:
    if len(rows) != count:
        raise bad_vectors(
            f"run_embeddings returned {_plural(len(rows), 'vector')} for {_plural(count, 'input')}; "
            "it must return one vector per input, in input order."
        )
    checked = [_row(index, row) for index, row in enumerate(rows)]
    lengths = [len(row) for row in checked]
    dimensions = lengths[0] if lengths else 0
    for index, length in enumerate(lengths):
        if length == 0:
            raise bad_vectors(f"run_embeddings returned an empty vector {index}.")
        if length != dimensions:
            raise bad_vectors(
                "run_embeddings returned vectors of different lengths: "
                f"vector 0 has {_plural(dimensions, 'number')}, vector {index} has {length}."
            )
    return Vectors(count, dimensions, rows=checked)


def _from_array(source: Any, view: memoryview, count: int) -> Vectors:
    if view.ndim == 1:
        return _from_rows([view], count)
    if view.ndim != 2:
        raise bad_vectors(
            f"run_embeddings returned an array with {view.ndim} dimensions; expected 2 (one row per input)."
        )
    rows, dimensions = view.shape or (0, 0)
    if rows != count:
        raise bad_vectors(
            f"run_embeddings returned {_plural(rows, 'vector')} for {_plural(count, 'input')}; "
            "it must return one vector per input, in input order."
        )
    if dimensions == 0:
        raise bad_vectors("run_embeddings returned empty vectors.")
    return Vectors(count, dimensions, matrix=source)


def _vectors(result: Any, count: int) -> Vectors:
    if type(result) is list or type(result) is tuple:
        if result and _is_number(result[0]):
            return _from_rows([result], count)  # one flat vector: one input
        return _from_rows(result, count)
    if result is None or isinstance(result, (str, bytes)):
        raise bad_vectors(f"Unsupported result type from run_embeddings: {type(result).__name__}.")
    try:
        view = memoryview(result)
    except TypeError:
        view = None
    if view is not None:
        return _from_array(result, view, count)
    tolist = getattr(result, "tolist", None)
    if callable(tolist):
        return _vectors(tolist(), count)
    if isinstance(result, Sequence):
        return _vectors(list(result), count)
    raise bad_vectors(f"Unsupported result type from run_embeddings: {type(result).__name__}.")


def _unwrap(result: Any) -> tuple[Any, dict[str, Any] | None]:
    """The vectors inside a result (Haystack output, `EmbeddingResult`, ...) and the usage it reports."""
    if isinstance(result, EmbeddingResult):
        usage = None
        if result.prompt_tokens is not None or result.total_tokens is not None:
            prompt = result.prompt_tokens if result.prompt_tokens is not None else result.total_tokens
            usage = {"prompt_tokens": prompt, "total_tokens": result.total_tokens}
        return result.embeddings, usage
    if isinstance(result, Mapping):
        if not any(key in result for key in _HAYSTACK_KEYS) and len(result) == 1:
            # A pipeline's output: {"embedder": {"embedding": [...], "meta": {...}}}.
            (inner,) = result.values()
            if isinstance(inner, Mapping):
                return _unwrap(inner)
        meta = result.get("meta")
        usage = result.get("usage") or (meta.get("usage") if isinstance(meta, Mapping) else None)
        usage = dict(usage) if isinstance(usage, Mapping) else None
        if "embeddings" in result:
            return result["embeddings"], usage
        if "embedding" in result:
            return [result["embedding"]], usage
        if "documents" in result:
            return result["documents"], usage
        raise bad_vectors(
            "run_embeddings returned a dict without 'embeddings', 'embedding' or 'documents': "
            f"{sorted(map(str, result))[:5]}."
        )
    if not isinstance(result, Sequence) and hasattr(result, "embeddings"):
        return result.embeddings, extract_usage(result)
    if not isinstance(result, Sequence) and getattr(result, "embedding", None) is not None:
        return [result.embedding], extract_usage(result)
    return result, None


def vectors_from_result(result: Any, count: int) -> tuple[Vectors, dict[str, int] | None]:
    """Check what `run_embeddings` returned for `count` inputs; return its vectors and the usage it reported.

    Returns:
        The `Vectors`, and `{"prompt_tokens", "total_tokens"}` when the result carried usage, else None.

    Raises:
        OpenAIHTTPException: 500 (`x-should-retry: false`) naming the problem: an unsupported type, not one
            vector per input, vectors of different lengths, an empty vector.
    """
    embeddings, usage = _unwrap(result)
    vectors = _vectors(embeddings, count)
    if usage is None:
        return vectors, None
    chat = to_chat_usage(usage)
    return vectors, {"prompt_tokens": chat["prompt_tokens"], "total_tokens": chat["total_tokens"]}


__all__ = ["Vectors", "bad_vectors", "vectors_from_result"]
