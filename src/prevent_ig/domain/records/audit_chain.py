"""The audit log's hash chain: canonical bytes, hashing and verification, with no I/O.

Each event's hash is SHA-256 over the canonical JSON of its fields plus the previous event's hash
(keys sorted, UTF-8, no insignificant white space). Changing, removing or reordering any event
changes every hash after it, so a chain head written down outside the system (an anchor) exposes a
rewrite. The first event chains from ``GENESIS_HASH``, the SHA-256 of the ASCII text
``prevent-ig audit chain v1``.

Personal data never enters an event: what changed is represented by an HMAC digest keyed with a
secret, so nobody can confirm a guess ("was this NHS number in the change?") from the log alone.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

GENESIS_HASH = hashlib.sha256(b"prevent-ig audit chain v1").hexdigest()
CHAINED_FIELDS = ("seq", "at", "actor", "event", "case_id", "entity", "digest", "prev_hash")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int
    at: str
    """UTC time, ISO 8601 with microseconds and a trailing Z."""
    actor: str
    event: str
    """``source:subject:action``, e.g. ``case:disclosure:create``."""
    case_id: int | None
    entity: str | None
    """What the event is about, by id only, e.g. ``consent:12``."""
    digest: str | None
    """HMAC-SHA256 (hex) of the canonical form of what changed; None for reads."""
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (*CHAINED_FIELDS, "hash")}


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """JSON with sorted keys, no white space, UTF-8; dates as ISO 8601 text."""
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_iso
    ).encode()


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in an audit digest")


def event_hash(
    *,
    seq: int,
    at: str,
    actor: str,
    event: str,
    case_id: int | None,
    entity: str | None,
    digest: str | None,
    prev_hash: str,
) -> str:
    fields = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "event": event,
        "case_id": case_id,
        "entity": entity,
        "digest": digest,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_bytes(fields)).hexdigest()


def change_digest(key: bytes, change: dict[str, Any]) -> str:
    """Keyed digest of a change, so the log proves *what* changed without containing it."""
    return hmac.new(key, canonical_bytes(change), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Anchor:
    """A chain head recorded outside the system: the hash of event number ``count``."""

    hash: str
    count: int

    @classmethod
    def parse(cls, text: str) -> "Anchor":
        head, sep, count = text.partition(":")
        if not sep or len(head) != 64 or not count.isdigit():
            raise ValueError("an anchor is HASH:COUNT, e.g. 3f5a…e1:1204 (from `prevent-ig audit head`)")
        try:
            int(head, 16)
        except ValueError:
            raise ValueError("the anchor's hash must be 64 hexadecimal characters") from None
        return cls(hash=head.lower(), count=int(count))


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    count: int
    head: str
    first_broken_seq: int | None = None
    problem: str | None = None


def verify_chain(events: Iterable[AuditEvent], anchor: Anchor | None = None) -> Verification:
    """Check sequence numbers, links and hashes in order; report the first broken event."""
    prev = GENESIS_HASH
    count = 0
    anchor_seen = anchor is None
    for expected_seq, e in enumerate(events, start=1):
        problem = _problem(e, expected_seq, prev)
        if problem is not None:
            return Verification(False, count, prev, e.seq, problem)
        if anchor is not None and e.seq == anchor.count:
            if e.hash != anchor.hash:
                return Verification(
                    False, count, prev, e.seq, "does not match the anchor: the chain was rewritten"
                )
            anchor_seen = True
        prev = e.hash
        count = expected_seq
    if not anchor_seen:
        assert anchor is not None
        return Verification(
            False, count, prev, None, f"the anchored event {anchor.count} is missing (chain has {count})"
        )
    return Verification(True, count, prev)


def _problem(e: AuditEvent, expected_seq: int, prev: str) -> str | None:
    if e.seq != expected_seq:
        return f"expected event {expected_seq} here: events are missing or out of order"
    if e.prev_hash != prev:
        return "does not link to the event before it"
    recomputed = event_hash(
        seq=e.seq,
        at=e.at,
        actor=e.actor,
        event=e.event,
        case_id=e.case_id,
        entity=e.entity,
        digest=e.digest,
        prev_hash=e.prev_hash,
    )
    if recomputed != e.hash:
        return "its content does not match its hash: it was altered"
    return None


def events_from_json_lines(lines: Iterable[str]) -> Iterator[AuditEvent]:
    """Read an export (one JSON object per line) back into events, for offline verification."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            yield AuditEvent(**{name: data[name] for name in (*CHAINED_FIELDS, "hash")})
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"line {number}: not an audit event ({error})") from None
