"""The embeddings scenarios of the benchmark: requests, the check of an answer, and their table.

Four scenarios, each one answer of 2,048 vectors of 1,536 numbers (`EMBEDDING_COUNT` x
`EMBEDDING_DIMENSIONS` in `apps/callbacks.py`): `encoding_format` `float` or `base64`, the callback's
vectors given as lists of Python floats or as a 2-D float32 numpy array. 1.4.0 has no embeddings, so
this project is compared with the floor app only, which builds the same bytes by hand (numpy's
`tobytes` or `array.array`, `base64.b64encode`, orjson). Target: at most 1.5x the floor's CPU.
"""

import base64
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "apps"))

from callbacks import EMBEDDING_COUNT, EMBEDDING_DIMENSIONS, embedding_matrix

PATH = "/v1/embeddings"
TARGET = 1.5
FORMATS = ("float", "base64")
KINDS = ("lists", "numpy")


def scenarios() -> list[tuple[str, tuple[Any, ...]]]:
    """(label, spec) of the embeddings scenarios."""
    shape = f"{EMBEDDING_COUNT:,}x{EMBEDDING_DIMENSIONS:,}"
    return [(f"embeddings {fmt} {kind} {shape}", ("embeddings", fmt, kind)) for fmt in FORMATS for kind in KINDS]


def request_body(fmt: str, kind: str) -> dict[str, Any]:
    """The request: 2,048 short texts; the model name tells the callback how to return the vectors."""
    texts = [f"document {index}: the quick brown fox jumps over the lazy dog" for index in range(EMBEDDING_COUNT)]
    return {"model": kind, "input": texts, "encoding_format": fmt}


def check_answer(body: bytes, fmt: str, kind: str) -> list[str]:
    """Problems with one answer: it must carry exactly the callback's vectors, in order."""
    import numpy  # noqa: PLC0415 - the benchmark environment has it

    answer = json.loads(body)
    expected = embedding_matrix()
    data = answer["data"]
    if [item["index"] for item in data] != list(range(EMBEDDING_COUNT)):
        return [f"embeddings {fmt} {kind}: indexes out of order"]
    if fmt == "base64":
        got = numpy.stack([numpy.frombuffer(base64.b64decode(item["embedding"]), dtype="<f4") for item in data])
    else:
        got = numpy.array([item["embedding"] for item in data], dtype="float64")
    if got.shape != expected.shape or not numpy.array_equal(got, expected.astype("float64")):
        return [f"embeddings {fmt} {kind}: the vectors differ from the callback's"]
    if answer["model"] != kind or answer["object"] != "list":
        return [f"embeddings {fmt} {kind}: wrong envelope {answer['object']!r} {answer['model']!r}"]
    return []


def table(
    results: dict[tuple[str, str], list[Any]], sizes: dict[tuple[str, str], int], plan: Any, ours: str, floor: str
) -> tuple[list[str], bool]:
    """The Markdown table of the embeddings scenarios and whether every target was met."""
    lines = [
        "",
        f"Embeddings: {plan.rounds} rounds of {plan.embedding_requests} requests per server and scenario "
        "(one connection, one request at a time); each answer 2,048 vectors of 1,536 numbers. "
        "1.4.0 has no embeddings endpoint.",
        "",
        "| scenario | answer MB | ours req/s | floor req/s | ours CPU ms | floor CPU ms | CPU ours/floor | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    met = True
    for label, (_, fmt, kind) in scenarios():
        if (label, ours) not in results:
            continue
        mine, theirs = results[label, ours], results[label, floor]
        ratio = statistics.median([a.cpu_us / b.cpu_us for a, b in zip(mine, theirs, strict=True)])
        ok = ratio <= TARGET
        met = met and ok
        size = sizes[fmt, kind] / 1e6
        lines.append(
            f"| {label} | {size:.1f} | {statistics.median([s.rate for s in mine]):.1f} "
            f"| {statistics.median([s.rate for s in theirs]):.1f} "
            f"| {statistics.median([s.cpu_us for s in mine]) / 1000:.1f} "
            f"| {statistics.median([s.cpu_us for s in theirs]) / 1000:.1f} "
            f"| {ratio:.2f} | ≤ {TARGET} | {'met' if ok else '**missed**'} |"
        )
    return lines, met
