"""Plain-text tables and DynamoDB attribute values as text (numbers exactly as stored, never via float)."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Mapping, Sequence
from typing import Any

# The body attributes of an event item (lambda_src/webhook/raw_body.py writes them; the CLIs
# run without the function's code on the path, so the one-line restore is repeated here and
# tests/cli/test_tables_gzip.py checks it against the function's own encoder).
TEXT_ATTRIBUTE = "rawEvent"
GZIP_ATTRIBUTE = "rawEventGzip"

Item = Mapping[str, Mapping[str, Any]]  # a low-level DynamoDB item: name -> {"S": ...} / {"N": ...} / ...


def plain(attribute: Mapping[str, Any] | None) -> str:
    """A DynamoDB attribute value as text: S and N as stored (N keeps every digit), BOOL as true/false."""
    if not attribute:
        return ""
    for kind in ("S", "N"):
        if kind in attribute:
            return str(attribute[kind])
    if "BOOL" in attribute:
        return "true" if attribute["BOOL"] else "false"
    if "NULL" in attribute:
        return "null"
    if "B" in attribute:  # binary as DynamoDB JSON shows it
        return base64.b64encode(bytes(attribute["B"])).decode("ascii")
    return json.dumps(attribute, sort_keys=True)


def plain_item(item: Item) -> dict[str, str]:
    """Every attribute as text; a gzip-stored body (``rawEventGzip``) restored as ``rawEvent``."""
    plain_values = {name: plain(value) for name, value in item.items() if name != GZIP_ATTRIBUTE}
    if GZIP_ATTRIBUTE in item:
        plain_values[TEXT_ATTRIBUTE] = gzip.decompress(bytes(item[GZIP_ATTRIBUTE]["B"])).decode(
            "utf-8", "surrogatepass"
        )
    return plain_values


def format_table(titles: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    """Aligned lines: a title row, a rule, the rows (columns in ``right`` right-aligned)."""
    widths = [max([len(title)] + [len(row[i]) for row in rows]) for i, title in enumerate(titles)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(titles), "  ".join("-" * width for width in widths), *(line(row) for row in rows)]
