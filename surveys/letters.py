"""The printable invitation letter: one HTML file per creation unit, one A4 page per
agency it rates, for the Association to print or send. Each page names the unit, the
agency, the year and the closing date, gives both ways in (the web link with its QR
code, which WeChat scans, and the Telegram link) and the help contact. The QR code is
an inline SVG, so the file needs nothing beside it; the texts come from the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import segno
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from markupsafe import Markup

from surveys.errors import survey_texts


@dataclass(frozen=True)
class LetterPage:
    """One invitation as its letter page shows it."""

    year: int
    district: str
    unit: str
    agency: str
    closes: date
    web_link: str
    telegram_link: str

    @property
    def qr_svg(self) -> Markup:
        """The web link's QR code as inline SVG (about 4.5 cm square when printed)."""
        svg = segno.make(self.web_link, error="m").svg_inline(scale=5, border=4)
        return Markup(svg)  # segno's own markup of the URL it encoded


@cache
def _template() -> Template:
    environment = Environment(
        loader=FileSystemLoader(str(__file__).rsplit("/", 1)[0]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("letter.html")


def letter_html(pages: list[LetterPage], language: str = "zh") -> str:
    """The letter of one unit: a page per invitation, in `language`."""

    def t(key: str, /, **params: object) -> str:
        return survey_texts.text(f"survey.letter.{key}", language, **params)

    lang = "zh-CN" if language == "zh" else language
    return _template().render(pages=pages, t=t, lang=lang)
