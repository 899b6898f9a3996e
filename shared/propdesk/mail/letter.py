"""The one layout every e-mail shares: paragraphs, a table of facts, an optional link, the firm's sign-off.
Built once, rendered twice (plain text and HTML); every value is escaped for HTML here and nowhere else."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from propdesk.ports import EmailContent


@dataclass(frozen=True, slots=True)
class Template:
    """A template's name and version (bump the version when the wording changes)."""

    name: str
    version: int


@dataclass(frozen=True, slots=True)
class Firm:
    """Who sends: the firm's name (the sign-off) and, if it has one, the trader dashboard's address."""

    name: str
    dashboard_url: str | None = None


@dataclass(frozen=True, slots=True)
class _Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class _Facts:
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class _Link:
    label: str
    url: str


_Block = _Paragraph | _Facts | _Link


@dataclass
class Letter:
    template: Template
    subject: str
    blocks: list[_Block] = field(default_factory=list)

    def para(self, text: str) -> Letter:
        self.blocks.append(_Paragraph(text))
        return self

    def facts(self, rows: Sequence[tuple[str, str]]) -> Letter:
        self.blocks.append(_Facts(tuple(rows)))
        return self

    def link(self, label: str, url: str | None) -> Letter:
        if url:
            self.blocks.append(_Link(label, url))
        return self

    def render(self, firm: Firm) -> EmailContent:
        self.link("Your dashboard", firm.dashboard_url)
        return EmailContent(
            template=self.template.name,
            version=self.template.version,
            subject=self.subject,
            text=self._text(firm),
            html=self._html(firm),
        )

    def _text(self, firm: Firm) -> str:
        parts: list[str] = []
        for block in self.blocks:
            if isinstance(block, _Paragraph):
                parts.append(block.text)
            elif isinstance(block, _Facts):
                parts.append("\n".join(f"  {label}: {value}" for label, value in block.rows))
            else:
                parts.append(f"{block.label}: {block.url}")
        parts.append(f"-- \n{firm.name}")
        return "\n\n".join(parts) + "\n"

    def _html(self, firm: Firm) -> str:
        e = html.escape
        body: list[str] = []
        for block in self.blocks:
            if isinstance(block, _Paragraph):
                body.append(f"<p>{e(block.text)}</p>")
            elif isinstance(block, _Facts):
                rows = "".join(
                    f'<tr><th align="left" style="padding:2px 12px 2px 0">{e(label)}</th>'
                    f"<td>{e(value)}</td></tr>"
                    for label, value in block.rows
                )
                body.append(f'<table role="presentation" style="border-collapse:collapse">{rows}</table>')
            else:
                body.append(f'<p><a href="{e(block.url, quote=True)}">{e(block.label)}</a></p>')
        body.append(f'<p style="color:#555">{e(firm.name)}</p>')
        content = "\n".join(body)
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{e(self.subject)}</title></head>\n"
            f'<body style="font-family:sans-serif;line-height:1.5">\n{content}\n</body></html>\n'
        )
