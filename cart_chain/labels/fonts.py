"""Fonts shipped with cart-chain and the choice of font per character.

Identifiers are set in DejaVu Sans Mono: its zero is dotted and its one and
capital I differ, as ISBT 128 requires for eye-readable text. Characters the
mono font lacks (a patient's name in another script) fall back to DejaVu Sans,
then Droid Sans Fallback (CJK). A character no shipped font has is refused: a
patient name printed as empty boxes cannot be compared at the bedside.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from cart_chain.domain.errors import InvalidValue

_FILES = {
    "mono": "DejaVuSansMono.ttf",
    "mono-bold": "DejaVuSansMono-Bold.ttf",
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "cjk": "DroidSansFallbackFull.ttf",
}
#: Font keys tried in order for each character.
CHAINS = {
    False: ("mono", "sans", "cjk"),
    True: ("mono-bold", "sans-bold", "cjk"),
}


def font_path(key: str) -> Path:
    return Path(str(resources.files("cart_chain").joinpath("resources", "fonts", _FILES[key])))


@cache
def coverage(key: str) -> frozenset[int]:
    """Code points the font has a glyph for (read once from its cmap)."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    return frozenset(TTFontFile(str(font_path(key))).charToGlyph)


def runs(text: str, bold: bool, what: str = "text") -> list[tuple[str, str]]:
    """Split ``text`` into (run, font key) pieces, each run set in one font."""
    out: list[tuple[str, str]] = []
    for ch in text:
        if ch == " " and out:
            key = out[-1][1]
        else:
            for key in CHAINS[bold]:
                if ord(ch) in coverage(key):
                    break
            else:
                raise InvalidValue(
                    f"the {what} contains {ch!r} (U+{ord(ch):04X}), which no label font can "
                    "print; a label must show it exactly"
                )
        if out and out[-1][1] == key:
            out[-1] = (out[-1][0] + ch, key)
        else:
            out.append((ch, key))
    return out
