"""What the domains hand the engine at start-up, and the one place the engine looks it up.

The engine (event log, fold, hub, commands) knows no domain. Each domain exports plain data —
its event kinds, fold steps, commands, and the hooks below — as a `Domain`; the composition
root (`console.web.composition`) lists the domains explicitly, `compose` merges them into one
frozen `Registry` (a duplicate name or an event kind without a fold stops start-up), and
`install` makes it the registry the engine uses. Nothing registers itself on import.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from console.live.events import Body, Recorded, body_from_json

State = Any
"""A meetup's live state: a frozen dataclass with at least `meetup_id`, `seq` and `status`."""

FoldStep = Callable[[State, Recorded], State]
"""The state after one event of the kinds it is registered for (pure; never mutates)."""

Settle = Callable[[State], State]
"""Run after every fold step: keeps what depends on several domains' parts consistent."""

Effect = Callable[[Session, Recorded, State], None]
"""Writes to reference tables that must commit with the event; gets the event and the state
before it."""

Guard = Callable[[Session, State, Body], Body | None]
"""Asked by a command before it records `body`: another event to record instead, or None."""

AfterCommit = Callable[[Engine, int], None]
"""Run in a worker thread once an event of its kind is committed and published (not for a
retried command); gets the engine and the meetup id. A failure is logged, never raised."""


class Board(Protocol):
    """The live page the hub renders for each role: names, panels and frames."""

    def directory(self, db: Session, meetup_id: int) -> Any: ...
    def view(self, meetup: Any, state: State, role: str, directory: Any) -> Any: ...
    def changes_names(self, event: Recorded, directory: Any) -> bool: ...
    def history(self, db: Session, meetup_id: int, upto: int) -> tuple[list, list]: ...
    def events_frame(self, steps: list[tuple[Recorded, Any, State]], final: Any) -> str: ...
    def replay_frame(self, event: Recorded, view: Any) -> str: ...
    def resync_frame(self, view: Any, timeline: list, notes: list) -> str: ...
    def all_panels(self, view: Any) -> str: ...


@dataclass(frozen=True)
class Domain:
    """One domain's contribution to the engine. `commands` maps a command name to a
    `console.live.commands.Command`."""

    name: str
    events: Sequence[type[Body]] = ()
    folds: Mapping[str, FoldStep] = field(default_factory=dict)
    settle: Sequence[Settle] = ()
    commands: Mapping[str, Any] = field(default_factory=dict)
    reactions: Mapping[str, Sequence[Effect]] = field(default_factory=dict)
    guards: Mapping[str, Sequence[Guard]] = field(default_factory=dict)
    after_commit: Mapping[str, Sequence[AfterCommit]] = field(default_factory=dict)
    # Event kinds that record a refusal (e.g. a blocked participant turned away): the command
    # that appended one is answered with this Japanese message (or the message made from the
    # event's body) and 422.
    refusals: Mapping[str, str | Callable[[Body], str]] = field(default_factory=dict)


class RegistryError(Exception):
    """The domains do not fit together: start-up stops."""


@dataclass(frozen=True)
class Registry:
    new_state: Callable[[int], State]
    closed_status: str
    board: Board
    events: Mapping[str, type[Body]]
    folds: Mapping[str, FoldStep]
    settle: tuple[Settle, ...]
    commands: Mapping[str, Any]
    reactions: Mapping[str, tuple[Effect, ...]]
    guards: Mapping[str, tuple[Guard, ...]]
    after_commit: Mapping[str, tuple[AfterCommit, ...]]
    refusals: Mapping[str, str | Callable[[Body], str]]

    def body(self, type_: str, payload: str) -> Body:
        return body_from_json(self.events, type_, payload)

    def screen(self, db: Session, state: State, body: Body) -> Body | None:
        """The first event a guard puts in place of `body`, or None to record it as it is."""
        for guard in self.guards.get(body.type, ()):
            instead = guard(db, state, body)
            if instead is not None:
                return instead
        return None


def _merge_unique(domains: Sequence[Domain], part: str) -> dict:
    merged: dict = {}
    for domain in domains:
        for key, value in getattr(domain, part).items():
            if key in merged:
                raise RegistryError(f"{part}: {key!r} is registered twice ({domain.name})")
            merged[key] = value
    return merged


def _merge_lists(domains: Sequence[Domain], part: str) -> dict[str, tuple]:
    merged: dict[str, tuple] = {}
    for domain in domains:
        for key, values in getattr(domain, part).items():
            merged[key] = (*merged.get(key, ()), *values)
    return merged


def compose(
    domains: Sequence[Domain],
    *,
    new_state: Callable[[int], State],
    closed_status: str,
    board: Board,
) -> Registry:
    """One frozen registry from the domains, checked: every name once, every event kind
    folded, every hook about a registered kind."""
    events: dict[str, type[Body]] = {}
    for domain in domains:
        for kind in domain.events:
            if not (isinstance(kind, type) and issubclass(kind, Body)):
                raise RegistryError(f"{domain.name}: {kind!r} is not an event body")
            if kind.type in events:
                raise RegistryError(f"event kind {kind.type!r} is registered twice ({domain.name})")
            events[kind.type] = kind
    folds = _merge_unique(domains, "folds")
    reactions = _merge_lists(domains, "reactions")
    guards = _merge_lists(domains, "guards")
    after_commit = _merge_lists(domains, "after_commit")
    refusals = _merge_unique(domains, "refusals")
    if missing := sorted(set(events) - set(folds)):
        raise RegistryError(f"event kinds without a fold: {', '.join(missing)}")
    for part, keys in (
        ("folds", folds),
        ("reactions", reactions),
        ("guards", guards),
        ("after_commit", after_commit),
        ("refusals", refusals),
    ):
        if unknown := sorted(set(keys) - set(events)):
            raise RegistryError(f"{part} for unknown event kinds: {', '.join(unknown)}")
    frozen = MappingProxyType
    return Registry(
        new_state=new_state,
        closed_status=closed_status,
        board=board,
        events=frozen(events),
        folds=frozen(folds),
        settle=tuple(s for domain in domains for s in domain.settle),
        commands=frozen(_merge_unique(domains, "commands")),
        reactions=frozen(reactions),
        guards=frozen(guards),
        after_commit=frozen(after_commit),
        refusals=frozen(refusals),
    )


_installed: Registry | None = None


def install(registry: Registry) -> None:
    """Make `registry` the one the engine uses. Installing a second, different one is refused:
    the registries are fixed once start-up ends."""
    global _installed
    if _installed is not None and _installed is not registry:
        raise RegistryError("a different registry is already installed")
    _installed = registry


def current() -> Registry:
    if _installed is None:
        raise RegistryError(
            "no registry installed: call console.web.composition.bootstrap() at start-up"
        )
    return _installed
