"""Documents parsed and validated once: the web app sends the same few documents over and over.

Parsing and validating cost more than the rest of a cached answer (a 15-township query: about 1 and
3 ms; a full ``statistics`` document: 2 and 4 ms). ``CachedDocuments`` keeps each document it parsed
(keyed by its text and the parse options, such as the token limit of ``RequestLimits``) with the sets
of validation rules it passed: the rules differ by caller (anonymous callers in production validate
with introspection off, ``yimi.graphql.limits.hides_schema``), so a document valid for a member of
staff is validated again for the public. A document that failed validation is not marked valid and
is validated every time, so its errors are always reported.

Bounded: at most ``MAX_DOCUMENTS`` documents of at most ``MAX_DOCUMENT_CHARS`` characters and
``MAX_TOTAL_CHARS`` in all (a parsed document takes about 90 bytes per character), least recently
used first out, so that endless distinct documents cannot grow memory without bound.

Whatever else is worked out once per document (the depth, alias and cost checks of
``yimi.graphql.limits``) hangs on the ``KnownDocument`` too (``memo``), so it goes with it.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql import DocumentNode

MAX_DOCUMENTS = 512
MAX_DOCUMENT_CHARS = 16_384
MAX_TOTAL_CHARS = 400_000  # about 36 MB of parsed documents
MAX_MEMO = 16  # results memoised per document and operation (its shape, its root fields)
# Costs memoised per document, by operation and variables, least recently used first out: a dashboard opens
# the panels of hundreds of enterprises with one document (64 of them computed each cost again).
MAX_COSTS = 256

DocumentKey = tuple[str, frozenset[tuple[str, object]]]


@dataclass
class KnownDocument:
    document: DocumentNode
    valid_with: set[tuple[Any, ...]] = field(default_factory=set)  # validation rule sets it passed
    memo: OrderedDict[Any, Any] = field(default_factory=OrderedDict)

    # (operation name, variables digest) → (the list sizes it was worked out with, the cost)
    costs: OrderedDict[tuple[str | None, bytes], tuple[Any, Any]] = field(default_factory=OrderedDict)

    def remember(self, key: Any, value: Any) -> None:
        self.memo[key] = value
        if len(self.memo) > MAX_MEMO:
            self.memo.popitem(last=False)

    def cost(self, key: tuple[str | None, bytes], sizes: Any) -> Any | None:
        """The cost remembered for these variables, if it was worked out with the same list sizes."""
        entry = self.costs.get(key)
        if entry is None or entry[0] != sizes:
            return None
        self.costs.move_to_end(key)
        return entry[1]

    def remember_cost(self, key: tuple[str | None, bytes], sizes: Any, cost: Any) -> None:
        self.costs[key] = (sizes, cost)
        self.costs.move_to_end(key)
        if len(self.costs) > MAX_COSTS:
            self.costs.popitem(last=False)


class Documents:
    """Parsed documents, least recently used first out, bounded in number and in characters."""

    def __init__(self, max_entries: int = MAX_DOCUMENTS, max_chars: int = MAX_TOTAL_CHARS) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._entries: OrderedDict[DocumentKey, KnownDocument] = OrderedDict()
        self._chars = 0

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self._chars = 0

    def get(self, key: DocumentKey) -> KnownDocument | None:
        known = self._entries.get(key)
        if known is not None:
            self._entries.move_to_end(key)
        return known

    def parsed(self, key: DocumentKey, document: DocumentNode) -> KnownDocument:
        known = self._entries.get(key)
        if known is None or known.document is not document:
            if known is not None:
                self._drop(key)
            known = self._entries[key] = KnownDocument(document)
            self._chars += len(key[0])
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries or self._chars > self.max_chars:
            self._drop(next(iter(self._entries)))
        return known

    def _drop(self, key: DocumentKey) -> None:
        self._entries.pop(key)
        self._chars -= len(key[0])


documents = Documents()


def document_key(query: str | None, parse_options: Mapping[str, object]) -> DocumentKey | None:
    if not query or len(query) > MAX_DOCUMENT_CHARS:
        return None
    try:
        options = frozenset(parse_options.items())
        hash(options)
    except TypeError:
        return None
    return query, options


def known_document(execution_context: Any) -> KnownDocument | None:
    """The cached entry of the request's document, when it is the one being executed."""
    key = getattr(execution_context, "yimi_document_key", None)
    if key is None or execution_context.graphql_document is None:
        return None
    known = documents.get(key)
    return known if known is not None and known.document is execution_context.graphql_document else None


class CachedDocuments(SchemaExtension):
    """Reuses parsed documents and skips validation already passed with the same rules, as
    Strawberry's ``ParserCache`` and ``ValidationCache`` would, but bounded and aware of the rules."""

    def on_parse(self):
        ec = self.execution_context
        key = document_key(ec.query, ec.parse_options) if ec.graphql_document is None else None
        ec.yimi_document_key = key  # type: ignore[attr-defined]
        known = documents.get(key) if key is not None else None
        if known is not None:
            ec.graphql_document = known.document  # Strawberry then does not parse
        yield
        if key is not None and known is None and ec.graphql_document is not None and not ec.pre_execution_errors:
            documents.parsed(key, ec.graphql_document)

    def on_validate(self):
        ec = self.execution_context
        known = known_document(ec)
        rules = tuple(ec.validation_rules)
        if known is not None and ec.pre_execution_errors is None and rules in known.valid_with:
            ec.pre_execution_errors = []  # validated before with these rules: Strawberry skips validation
            yield
            return
        yield
        if known is not None and ec.pre_execution_errors == []:
            known.valid_with.add(rules)


def variables_digest(execution_context: Any) -> bytes:
    """A digest of ``variables_key``: what memos keep (the variables of one request can reach a megabyte)."""
    digest = getattr(execution_context, "yimi_variables_digest", None)
    if digest is None:
        digest = hashlib.sha256(variables_key(execution_context).encode(errors="surrogatepass")).digest()
        execution_context.yimi_variables_digest = digest
    return digest


def variables_key(execution_context: Any) -> str:
    """The request's variables as canonical JSON (worked out once per request)."""
    key = getattr(execution_context, "yimi_variables_key", None)
    if key is None:
        key = json.dumps(execution_context.variables or {}, sort_keys=True, separators=(",", ":"), default=str)
        execution_context.yimi_variables_key = key
    return key
