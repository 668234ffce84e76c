"""One entry point for every output format, chosen by file extension."""

from __future__ import annotations

from pathlib import Path

from cart_chain.domain.errors import UsageError
from cart_chain.domain.label_data import LabelData
from cart_chain.domain.label_layout import FORMATS, Layout
from cart_chain.labels.plan import plan


def format_of(path: str | Path) -> str:
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise UsageError(f"label file must end in .png, .pdf or .zpl, not {Path(path).name!r}")
    return ext


def render(layout: Layout, data: LabelData, fmt: str, dpi: int | None = None) -> bytes:
    p = plan(layout, data, dpi)
    if fmt == "png":
        from cart_chain.labels.png import render_png

        return render_png(p)
    if fmt == "pdf":
        from cart_chain.labels.pdf import render_pdf

        return render_pdf(p)
    if fmt == "zpl":
        from cart_chain.labels.zpl import render_zpl

        return render_zpl(p)
    raise UsageError(f"unknown label format {fmt!r}; use one of {', '.join(FORMATS)}")
