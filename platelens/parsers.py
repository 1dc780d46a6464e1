"""The one JSON parser of every API (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] and the views that list their
parsers): DRF's, with a nesting limit, so a hostile body is a 400 parse error and never a RecursionError deep
inside a view or serializer. Not in platelens.edge: DRF imports this module while it loads its own views,
and edge imports platelens.errors, which imports those views."""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32  # far deeper than any request body of ours or of the vendor APIs we mirror


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when `value` nests lists/objects more than `limit` levels (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")  # NaN and Infinity: DRF's strict mode refuses them too


def parse_json(raw: bytes | str, *, encoding: str = "utf-8") -> Any:
    """Decode a JSON body or field, or raise ParseError (bad encoding, bad syntax, nested too deep): a hostile
    body is a 400, never a RecursionError inside a view or serializer."""
    too_deep = f"JSON nested more than {MAX_JSON_DEPTH} levels deep is not accepted."
    try:
        text = raw if isinstance(raw, str) else codecs.decode(raw, encoding)
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ParseError(too_deep) from None
    except (ValueError, LookupError) as exc:
        raise ParseError(f"JSON parse error - {exc}") from None
    if json_depth_exceeds(value, MAX_JSON_DEPTH):
        raise ParseError(too_deep)
    return value


class JSONParser(parsers.JSONParser):
    """The JSON parser of every API (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] and the views that list
    parsers): DRF's, through parse_json."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        return parse_json(stream.read() if stream is not None else b"", encoding=encoding)
