"""The look: calm, high-contrast, large controls that work with gloves.

One style sheet for the whole app, so every screen has the same sizes and
colours; red is reserved for errors and the wrong-patient alert.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication

INK = "#14212b"
PAPER = "#f3f6f8"
PANEL = "#ffffff"
ACCENT = "#0f5c7a"
ACCENT_DARK = "#0a4259"
MUTED = "#51606b"
LINE = "#c9d3da"
DANGER = "#b3001b"
DANGER_BG = "#fde8ea"
OK = "#1d6b3a"
OK_BG = "#e5f4ea"
WARN_BG = "#fff4d6"

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"

STYLE = f"""
QWidget {{ color: {INK}; font-size: 15px; }}
QMainWindow, QDialog, #Page {{ background: {PAPER}; }}
QLineEdit, QPlainTextEdit, QComboBox, QDoubleSpinBox, QSpinBox, QDateEdit {{
    background: {PANEL}; border: 1px solid {LINE}; border-radius: 6px;
    padding: 6px 8px; min-height: 30px;
}}
QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus, QSpinBox:focus, QDateEdit:focus,
QDoubleSpinBox:focus {{ border: 2px solid {ACCENT}; }}
QLineEdit#Scan {{ font-family: "DejaVu Sans Mono", monospace; font-size: 20px;
    min-height: 44px; border: 2px solid {ACCENT}; }}
QPushButton {{ background: {PANEL}; border: 1px solid {LINE}; border-radius: 6px;
    padding: 8px 16px; min-height: 30px; min-width: 90px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:focus {{ border: 2px solid {ACCENT}; }}
QPushButton:default, QPushButton#Primary {{ background: {ACCENT}; color: white;
    border: 1px solid {ACCENT_DARK}; font-weight: 600; }}
QPushButton:disabled {{ color: #8a969e; background: #e6ebee; border-color: {LINE}; }}
QToolBar {{ background: {ACCENT_DARK}; spacing: 6px; padding: 6px; border: none; }}
QToolBar QToolButton {{ color: white; font-size: 15px; padding: 8px 14px;
    border-radius: 6px; min-height: 28px; }}
QToolBar QToolButton:hover, QToolBar QToolButton:focus {{ background: {ACCENT}; }}
QToolBar QLabel {{ color: white; }}
QTableView, QTreeWidget, QListWidget {{ background: {PANEL}; border: 1px solid {LINE};
    alternate-background-color: #f7f9fa; selection-background-color: #cfe6f0;
    selection-color: {INK}; gridline-color: #e3e8ec; }}
QHeaderView::section {{ background: #e8eef2; padding: 6px; border: none;
    border-right: 1px solid {LINE}; font-weight: 600; }}
QGroupBox {{ background: {PANEL}; border: 1px solid {LINE}; border-radius: 8px;
    margin-top: 14px; padding: 12px 10px 10px 10px; font-weight: 600; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; }}
QTabWidget::pane {{ border: 1px solid {LINE}; background: {PANEL}; }}
QTabBar::tab {{ padding: 8px 16px; min-height: 24px; }}
QTabBar::tab:selected {{ background: {PANEL}; font-weight: 600; }}
QStatusBar {{ background: #e8eef2; color: {MUTED}; }}
QLabel#Title {{ font-size: 22px; font-weight: 700; }}
QLabel#Subtle {{ color: {MUTED}; }}
QLabel#Banner {{ background: {PANEL}; border: 1px solid {LINE}; border-radius: 8px;
    padding: 10px; }}
QLabel#Error {{ background: {DANGER_BG}; color: {DANGER}; border: 2px solid {DANGER};
    border-radius: 6px; padding: 8px; font-weight: 600; }}
QLabel#Success {{ background: {OK_BG}; color: {OK}; border: 1px solid {OK};
    border-radius: 6px; padding: 8px; font-weight: 600; }}
QLabel#Info {{ background: {WARN_BG}; border: 1px solid #e0c46c; border-radius: 6px;
    padding: 8px; }}
QProgressBar {{ border: 1px solid {LINE}; border-radius: 6px; text-align: center;
    min-height: 24px; background: {PANEL}; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 5px; }}
"""

#: The wrong-patient alert: unmistakable, nothing else on screen uses this.
WRONG_PATIENT_STYLE = f"""
QDialog#StopAlert {{ background: {DANGER}; }}
QDialog#StopAlert QLabel {{ color: white; font-size: 17px; font-weight: 600; }}
QDialog#StopAlert QLabel#StopTitle {{ font-size: 28px; font-weight: 800; }}
QDialog#StopAlert QLineEdit {{ font-size: 17px; min-height: 34px; }}
QDialog#StopAlert QPushButton {{ background: white; color: {DANGER}; font-size: 17px;
    font-weight: 700; min-height: 40px; min-width: 200px; border: 2px solid white; }}
"""


def app_icon() -> QIcon:
    """The application icon from the packaged SVG and PNG sizes (whatever is present)."""
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        png = ICON_DIR / f"cart-chain-{size}.png"
        if png.exists():
            icon.addFile(str(png))
    svg = ICON_DIR / "cart-chain.svg"
    if icon.isNull() and svg.exists():
        icon.addFile(str(svg))
    return icon


def apply(app: QApplication) -> None:
    """Style the whole application once."""
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")  # same look on every platform; the style sheet builds on it
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 11.0))
    app.setFont(font)
    app.setStyleSheet(STYLE)
    app.setWindowIcon(app_icon())
