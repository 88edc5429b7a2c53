"""Where a check's claim comes from: a paper's figure, theorem, lemma, … as data, and its readable form.

A check cites one or more `Source`s: a kind from a closed set (`SOURCE_KINDS`), the number or label the paper gives
it ("5.3", "1a-b", "C.1"), an optional note, and, for a citation of another paper than the check's own, that paper.
The ledger and the report show them as a paper would ("Thm 5.3, Cor. 5.4"); which pipeline figure draws a claim is
a separate field of the check (`Check.drawn_by`), not something read out of this text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

__all__ = ["SOURCE_KINDS", "Source", "render_sources", "source_record"]

# kind -> (singular, plural) prefix of its readable form; an empty-label kind cites no numbered item
SOURCE_KINDS = {
    "figure": ("Fig.", "Figs."),
    "theorem": ("Thm", "Thms"),
    "lemma": ("Lemma", "Lemmas"),
    "proposition": ("Prop.", "Props."),
    "corollary": ("Cor.", "Cors."),
    "remark": ("Remark", "Remarks"),
    "example": ("Example", "Examples"),
    "definition": ("Definition", "Definitions"),
    "assumption": ("Assumption", "Assumptions"),
    "algorithm": ("Algorithm", "Algorithms"),
    "equation": ("eq.", "eqs."),
    "section": ("Sec.", "Secs."),
    "appendix": ("App.", "Apps."),
    "spec": ("spec §", "spec §§"),  # a section of this project's paper spec, where it reconstructs the paper
    "derived": ("derived", "derived"),  # this project's own prediction, not a statement of the paper
    "beyond": ("beyond the papers", "beyond the papers"),  # a study of this project beyond the papers
}
_UNNUMBERED = ("derived", "beyond")
# a paper's number or label: "5.3", "1a-b", "C.1", "4.1-4.3", "2.4(b)", "G"; no spaces or commas
_LABEL = re.compile(r"(?=[A-Z0-9])[A-Z]?\d*(?:\.\d+)*[a-z]?(?:\([a-z]\))?(?:-[A-Z]?\d*(?:\.\d+)*[a-z]?)?")


@dataclass(frozen=True)
class Source:
    """One item a check cites: `kind` (of `SOURCE_KINDS`), `label` as numbered in the paper (empty for "derived"
    and "beyond"), an optional `note`, and `paper` when the item belongs to another paper than the check's."""

    kind: str
    label: str = ""
    note: str = ""
    paper: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"source kind {self.kind!r} is not one of {list(SOURCE_KINDS)}")
        if self.kind in _UNNUMBERED:
            if self.label:
                raise ValueError(f"a {self.kind!r} source cites no numbered item; got label {self.label!r}")
        elif not self.label or not _LABEL.fullmatch(self.label):
            raise ValueError(f"{self.kind} source: label {self.label!r} is not a paper's number (e.g. 5.3, 1a-b, C.1)")
        if self.note != self.note.strip() or "\n" in self.note:
            raise ValueError(f"{self.kind} {self.label} source: note {self.note!r} has stray whitespace")

    @property
    def numbered(self) -> bool:
        return self.kind not in _UNNUMBERED

    def text(self) -> str:
        """Readable form without the paper: "Thm 5.3", "Lemma 6.1 (D.2)", "eq. (9)", "spec §2.4(b)"."""
        return _with_note(_prefix(self.kind, False) + _label_text(self), self.note)


def _prefix(kind: str, plural: bool) -> str:
    word = SOURCE_KINDS[kind][plural]
    return word if word.endswith("§") or kind in _UNNUMBERED else word + " "


def _label_text(s: Source) -> str:
    return f"({s.label})" if s.kind == "equation" else s.label


def _with_note(text: str, note: str) -> str:
    return f"{text} ({note})" if note else text


def render_sources(sources: Iterable[Source]) -> str:
    """The sources as a paper cites them: runs of one kind without notes share a plural prefix ("Thms 5.3, 6.3"),
    items of another paper follow its name, papers are separated by "; ":
    "beyond the papers; fan2025 Fig. 1, Thms 5.3, 6.3"."""
    parts = []
    for paper, of_paper in groupby(sources, key=lambda s: s.paper):
        items = []
        for (kind, bare), group in groupby(of_paper, key=lambda s: (s.kind, not s.note and s.numbered)):
            run = list(group)
            if bare and len(run) > 1:
                items.append(_prefix(kind, True) + ", ".join(_label_text(s) for s in run))
            else:
                items += [s.text() for s in run]
        parts.append((f"{paper} " if paper else "") + ", ".join(items))
    return "; ".join(parts)


def source_record(source: Source) -> dict:
    """A source in a check's JSON verdict: its fields, the empty ones left out."""
    return {k: v for k, v in vars(source).items() if v}
