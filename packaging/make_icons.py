"""Make the icon files the packages need from the drawn icon: PNG sizes and a Windows .ico.

    python packaging/make_icons.py           # only what is missing
    python packaging/make_icons.py --force   # remake the .ico (PNGs are remade only if missing)

The app icon is drawn once as ``cart_chain/resources/icons/cart-chain.svg``, with
hand-checked PNG renderings ``cart-chain-{16..256}.png``. Windows wants one
``.ico`` holding every size (Explorer, taskbar, Start menu and the installer
each pick another), and the Linux icon theme wants the PNG sizes. Rather than
let Pillow scale one large image down (small sizes turn to mush), each size of
the .ico is the PNG drawn for that size. A missing PNG is rendered from the SVG
with Qt's SVG renderer, else scaled from the largest PNG.
"""

from __future__ import annotations

import argparse
import os
import sys
from io import BytesIO
from pathlib import Path

from PIL import Image

ICONS = Path(__file__).resolve().parent.parent / "cart_chain" / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)
#: Sizes kept as PNG files (24 only lives inside the .ico, where Windows uses it for lists).
PNG_SIZES = (16, 32, 48, 64, 128, 256)


def png_path(icons: Path, size: int) -> Path:
    return icons / f"cart-chain-{size}.png"


def render_svg(svg: Path, size: int) -> Image.Image | None:
    """Render ``svg`` at ``size`` with QtSvg (offscreen); None when Qt cannot."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
        from PySide6.QtGui import QImage, QPainter
        from PySide6.QtSvg import QSvgRenderer
        from PySide6.QtWidgets import QApplication
    except ImportError:
        return None
    # A QApplication, not the lighter QGuiApplication: whatever else runs in this process
    # later may need widgets, and Qt allows one application object per process.
    _app = QApplication.instance() or QApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        return None
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    buf.close()
    return Image.open(BytesIO(bytes(data.data()))).convert("RGBA")


def image_for(icons: Path, size: int) -> Image.Image:
    """The icon at ``size``: its own PNG, else the SVG rendered, else the largest PNG scaled."""
    if png_path(icons, size).exists():
        return Image.open(png_path(icons, size)).convert("RGBA")
    svg = icons / "cart-chain.svg"
    if svg.exists():
        rendered = render_svg(svg, size)
        if rendered is not None:
            return rendered
    largest = max((s for s in PNG_SIZES if png_path(icons, s).exists()), default=None)
    if largest is None:
        raise SystemExit(f"no cart-chain.svg or cart-chain-*.png in {icons} to make icons from")
    return Image.open(png_path(icons, largest)).convert("RGBA").resize((size, size), Image.LANCZOS)


def make(force: bool = False, icons: Path = ICONS) -> list[Path]:
    """Write what is missing in ``icons`` (the .ico again with ``force``); returns them."""
    written = []
    for size in PNG_SIZES:
        if not png_path(icons, size).exists():
            image_for(icons, size).save(png_path(icons, size))
            written.append(png_path(icons, size))
    ico = icons / "cart-chain.ico"
    if force or not ico.exists():
        images = [image_for(icons, size) for size in SIZES]
        images[-1].save(
            ico,
            format="ICO",
            sizes=[(s, s) for s in SIZES],
            append_images=images[:-1],
        )
        written.append(ico)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="remake the .ico")
    parser.add_argument(
        "--icons", type=Path, default=ICONS, help="icon folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    for path in make(args.force, args.icons):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
