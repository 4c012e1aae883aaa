"""Sections, rows and targets; the printed table and the JSON document."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

HEADINGS = ("Measure", "Value", "Target", "Met")
MAX_LABEL = 58


@dataclass(frozen=True)
class Row:
    """One line of the table: what was measured, the figure, and its target if any."""

    label: str
    value: str
    target: str = ""
    met: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("ok" if self.met else "MISSED")


@dataclass
class Section:
    """One benchmark section: its table rows, notes, and the raw figures for JSON."""

    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, label: str, value: str, target: str = "", met: bool | None = None) -> None:
        self.rows.append(Row(label, value, target, met))

    def missed(self) -> list[Row]:
        return [row for row in self.rows if row.met is False]


def _widths(sections: list[Section]) -> tuple[int, int, int]:
    rows = [row for s in sections for row in s.rows]
    label = min(MAX_LABEL, max([len(HEADINGS[0])] + [len(r.label) + 2 for r in rows]))
    value = max([len(HEADINGS[1])] + [len(r.value) for r in rows])
    target = max([len(HEADINGS[2])] + [len(r.target) for r in rows])
    return label, value, target


def render_table(sections: list[Section], machine: dict[str, Any]) -> str:
    """Every section in one aligned text table, the machine on top."""
    wl, wv, wt = _widths(sections)
    rule = "-" * (wl + wv + wt + 6 + 6)
    lines = [
        f"Machine: {machine['cpu_model']}, {machine['cores']} cores, "
        f"Python {machine['python']}, requests {machine['requests']}, {machine['date']}",
        rule,
        f"{HEADINGS[0]:<{wl}}  {HEADINGS[1]:>{wv}}  {HEADINGS[2]:<{wt}}  {HEADINGS[3]}",
        rule,
    ]
    for section in sections:
        lines.append(section.title)
        for row in section.rows:
            label = "  " + row.label
            lines.append(f"{label:<{wl}}  {row.value:>{wv}}  {row.target:<{wt}}  {row.verdict}")
        lines += [f"    * {note}" for note in section.notes]
    lines.append(rule)
    missed = [(s.title, r) for s in sections for r in s.missed()]
    if missed:
        lines += [f"MISSED: {title.split('.')[0]}. {r.label}: {r.value}" for title, r in missed]
    else:
        lines.append("Every target met.")
    return "\n".join(lines)


def to_document(
    sections: list[Section], machine: dict[str, Any], run: dict[str, Any]
) -> dict[str, Any]:
    """The JSON document: run settings, machine, and per section its rows and figures."""
    return {
        "run": run,
        "machine": machine,
        "targets_missed": [
            {"section": s.key, **asdict(r)} for s in sections for r in s.rows if r.met is False
        ],
        "sections": {
            s.key: {
                "title": s.title,
                "rows": [asdict(r) for r in s.rows],
                "notes": s.notes,
                "data": s.data,
            }
            for s in sections
        },
    }
