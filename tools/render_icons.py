"""Render the SVG icon to PNGs with QSvgRenderer; run after editing the SVG (PNGs are committed)."""

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[1] / "cart_chain" / "resources" / "icons"
app = QGuiApplication(sys.argv[:1])
src = ICONS / "cart-chain.svg"
renderer = QSvgRenderer(str(src))
for size in (16, 32, 48, 64, 128, 256):
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(p)
    p.end()
    img.save(str(ICONS / f"cart-chain-{size}.png"))
