"""Label templates as data: one JSON file per label kind under ``resources/labels/``.

Templates are version-controlled, approved artefacts (FACT-JACIE print-on-demand
labelling), so the drawing code holds no positions: a template names its kind,
name, revision, physical size in millimetres, default printer resolution and a
list of elements placed in millimetres. Each print records the template's name,
revision and SHA-256, so a label can be traced to the exact template that made it.

A template is validated before anything is drawn: every element must lie on the
label, reference only fields `LabelData` provides, and the template must carry
the payload symbol and the bedside identifiers (name, date of birth, COI).
"""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cart_chain.domain.errors import InvalidValue

KINDS: tuple[str, ...] = ("bag", "transport", "tube", "container", "collection")
#: What each kind is called on the label itself.
KIND_TITLES: dict[str, str] = {
    "bag": "BAG LABEL",
    "transport": "TRANSPORT LABEL",
    "tube": "SAMPLE TUBE",
    "container": "CONTAINER LABEL",
    "collection": "COLLECTION LABEL",
}
#: Superseded templates, kept for the record (FACT-JACIE: 10 years) as
#: ``archive/<kind>@<revision>.json`` beside the current ``<kind>.json``.
ARCHIVE = "archive"
DPIS: tuple[int, ...] = (203, 300)
#: Output formats a label can be rendered to (by `cart_chain.labels.render`).
FORMATS: tuple[str, ...] = ("png", "pdf", "zpl")
SYMBOLOGIES = frozenset({"qr", "datamatrix", "code128"})
#: "biohazard" draws the biohazard symbol (21 CFR 1271.370) in its box.
ELEMENT_TYPES = frozenset({"text", "symbol", "line", "box", "biohazard"})

#: Fields a template may use in text (``{name}``) and as symbol data.
FIELDS = frozenset(
    {
        "payload",
        "coi",
        "coi_grouped",
        "coi_check",
        "coi_isbt",
        "unit",
        "unit_grouped",
        "unit_check",
        "unit_suffix",
        "bag",
        "product",
        "kind_title",
        "step",
        "printed_at",
        "printed_at_utc",
        "patient_name",
        "patient_dob",
        "serial",
        "reprint",
        "printed_by",
        "template",
        "din_barcode",
        "din_grouped",
        "din_check",
        "product_code_barcode",
        "product_code",
        "profile_name",
        "collection_facility",
        "facility_name",
        "facility_fin",
        "collection_end",
        "volume",
        "anticoagulant",
        "collection_storage",
        "product_storage",
        "expiry",
        "warnings",
        "checkpoint",
    }
)
#: A template without these is refused: staff compare them at the bedside.
REQUIRED_FIELDS = frozenset({"patient_name", "patient_dob", "coi_grouped"})


@dataclass(frozen=True, slots=True)
class Element:
    """One thing drawn on a label; geometry in millimetres from the top-left corner."""

    type: str
    x_mm: float = 0.0
    y_mm: float = 0.0
    w_mm: float = 0.0
    h_mm: float = 0.0
    # text
    text: str = ""
    size_mm: float = 3.0  # em height of the font
    min_size_mm: float = 0.0  # shrink down to this to fit w_mm; 0 means no shrinking
    max_lines: int = 1  # wrap at spaces onto this many lines (within h_mm) if shrinking fails
    bold: bool = False
    align: str = "left"
    inverse: bool = False  # white on black band of h_mm
    check: str = ""  # a check character field drawn in a box after the text
    # symbol
    symbology: str = ""
    data: str = ""
    # line / box
    x2_mm: float = 0.0
    y2_mm: float = 0.0
    stroke_mm: float = 0.3


@dataclass(frozen=True, slots=True)
class Layout:
    kind: str
    name: str
    revision: str
    width_mm: float
    height_mm: float
    dpi: int
    elements: tuple[Element, ...]
    sha256: str = ""
    description: str = field(default="", compare=False)

    @property
    def ref(self) -> str:
        """How a print refers to its template: ``kind@revision``."""
        return f"{self.kind}@{self.revision}"

    def px(self, mm: float, dpi: int) -> int:
        return round(mm / 25.4 * dpi)

    def size_px(self, dpi: int) -> tuple[int, int]:
        """Exact printer dots: a label rendered at another resolution comes out the wrong size."""
        return self.px(self.width_mm, dpi), self.px(self.height_mm, dpi)


def _fields_in(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _element(raw: dict[str, Any], where: str) -> Element:
    known = set(Element.__dataclass_fields__)
    extra = set(raw) - known
    if extra:
        raise InvalidValue(f"{where}: unknown keys {sorted(extra)}")
    try:
        el = Element(**raw)
    except TypeError as err:
        raise InvalidValue(f"{where}: {err}") from None
    if el.type not in ELEMENT_TYPES:
        raise InvalidValue(f"{where}: type {el.type!r} is not one of {sorted(ELEMENT_TYPES)}")
    if el.type == "symbol":
        if el.symbology not in SYMBOLOGIES:
            raise InvalidValue(f"{where}: symbology must be one of {sorted(SYMBOLOGIES)}")
        if el.data not in FIELDS:
            raise InvalidValue(f"{where}: symbol data {el.data!r} is not a label field")
    if el.type == "text":
        unknown = (_fields_in(el.text) | ({el.check} if el.check else set())) - FIELDS
        if unknown:
            raise InvalidValue(f"{where}: unknown fields {sorted(unknown)}")
        if el.align not in ("left", "center", "right"):
            raise InvalidValue(f"{where}: align must be left, center or right")
        if el.size_mm <= 0 or el.w_mm <= 0:
            raise InvalidValue(f"{where}: a text needs size_mm and w_mm")
    return el


def _check_bounds(layout: Layout) -> None:
    for i, el in enumerate(layout.elements):
        if el.type == "line":
            xs, ys = (el.x_mm, el.x2_mm), (el.y_mm, el.y2_mm)
        elif el.type == "text":
            xs, ys = (el.x_mm, el.x_mm + el.w_mm), (el.y_mm, el.y_mm + max(el.h_mm, el.size_mm))
        else:
            xs, ys = (el.x_mm, el.x_mm + el.w_mm), (el.y_mm, el.y_mm + el.h_mm)
        if min(xs) < 0 or min(ys) < 0 or max(xs) > layout.width_mm or max(ys) > layout.height_mm:
            raise InvalidValue(
                f"template {layout.ref}: element {i} ({el.type}) lies outside the "
                f"{layout.width_mm} x {layout.height_mm} mm label"
            )


def parse_layout(text: str, source: str = "template") -> Layout:
    """Parse and validate a template; raises `InvalidValue` saying what is wrong."""
    try:
        raw = json.loads(text)
    except ValueError as err:
        raise InvalidValue(f"{source} is not valid JSON: {err}") from None
    try:
        kind, name, revision = raw["kind"], raw["name"], str(raw["revision"])
        width, height, dpi = float(raw["width_mm"]), float(raw["height_mm"]), int(raw["dpi"])
        items = raw["elements"]
    except (KeyError, TypeError, ValueError) as err:
        raise InvalidValue(f"{source}: missing or invalid key {err}") from None
    if kind not in KINDS:
        raise InvalidValue(f"{source}: kind {kind!r} is not one of {', '.join(KINDS)}")
    if dpi not in DPIS:
        raise InvalidValue(f"{source}: dpi must be one of {DPIS}")
    if not (10 <= width <= 300 and 10 <= height <= 300):
        raise InvalidValue(f"{source}: label size {width} x {height} mm is not plausible")
    elements = tuple(_element(e, f"{source} element {i}") for i, e in enumerate(items))
    layout = Layout(
        kind,
        name,
        revision,
        width,
        height,
        dpi,
        elements,
        hashlib.sha256(text.encode()).hexdigest(),
        raw.get("description", ""),
    )
    _check_bounds(layout)
    used = set()
    for el in elements:
        if el.type == "text":
            used |= _fields_in(el.text)
            if el.check:
                used.add(el.check)
    missing = REQUIRED_FIELDS - used
    if missing:
        raise InvalidValue(f"{source}: the label must show {', '.join(sorted(missing))}")
    if not any(el.type == "symbol" and el.data == "payload" for el in elements):
        raise InvalidValue(f"{source}: the label must carry the payload as a symbol")
    return layout


def _shipped(*parts: str) -> Any:
    return resources.files("cart_chain").joinpath("resources", "labels", *parts)


def revisions(kind: str) -> tuple[str, ...]:
    """Every shipped revision of ``kind``: the archived ones, then the current one."""
    if kind not in KINDS:
        raise InvalidValue(f"label kind {kind!r} is not one of {', '.join(KINDS)}")
    folder = _shipped(ARCHIVE)
    archived = sorted(
        f.name[len(kind) + 1 : -len(".json")]
        for f in folder.iterdir()
        if f.name.startswith(f"{kind}@") and f.name.endswith(".json")
    )
    return (*archived, load_layout(kind).revision)


def load_layout(kind: str, path: str | Path | None = None, revision: str | None = None) -> Layout:
    """The shipped template for ``kind`` (a superseded ``revision`` from the archive),
    or a site's own template file."""
    if path is not None:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as err:
            raise InvalidValue(f"cannot read label template {p}: {err.strerror}") from None
        layout = parse_layout(text, str(p))
        if layout.kind != kind:
            raise InvalidValue(f"template {p} is for {layout.kind} labels, not {kind}")
        return layout
    if kind not in KINDS:
        raise InvalidValue(f"label kind {kind!r} is not one of {', '.join(KINDS)}")
    current = parse_layout(_shipped(f"{kind}.json").read_text(encoding="utf-8"), f"{kind}.json")
    if revision is None or revision == current.revision:
        return current
    name = f"{kind}@{revision}.json"
    res = _shipped(ARCHIVE, name)
    if "/" in revision or "\\" in revision or not res.is_file():
        raise InvalidValue(
            f"no {kind} label template revision {revision!r}; "
            f"shipped revisions: {', '.join(revisions(kind))}"
        )
    layout = parse_layout(res.read_text(encoding="utf-8"), f"{ARCHIVE}/{name}")
    if (layout.kind, layout.revision) != (kind, revision):
        raise InvalidValue(f"{ARCHIVE}/{name} holds {layout.ref}, not {kind}@{revision}")
    return layout
