"""Embedded fonts for the PDF form: a TrueType font as a Type0 / CIDFontType2 (Identity-H) font.

Why not the 14 standard fonts: they are Latin-1 only, so `Łukasz`, `Nguyễn` or `Ștefan` cannot be
shown. Why a fixed subset: embedding the whole font costs 250 kB or more per form, subsetting per
child costs time. The engine embeds one subset per font file, made once per process, that covers
the Latin, Greek and Cyrillic scripts, combining marks and common punctuation and symbols, so it
serves every value and is also the `/DR` font a viewer uses when a person types. Glyph ids are
written as 2-byte codes (`Identity-H`) and a `/ToUnicode` map makes the text searchable and
extractable (`pdftotext` of a flattened form gives back the values).

The font file comes from the authority profile's font family (`fc-match`), falling back to DejaVu
Sans when the family is not installed or is not a TrueType-outline font.
"""

from __future__ import annotations

import io
import re
import subprocess
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from pep_docs.errors import TemplateError
from pep_docs.render.pdf_objects import Name, Ref, serialize, stream

FALLBACK = {
    False: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    True: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
}

# Unicode blocks kept in the embedded subset (inclusive ranges).
SUBSET_RANGES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x02B0, 0x036F),  # spacing modifiers, combining diacritical marks
    (0x0370, 0x052F),  # Greek, Cyrillic
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x2000, 0x206F),  # General Punctuation
    (0x20A0, 0x20CF),  # currency symbols
    (0x2100, 0x215F),  # letterlike symbols, number forms
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators
    (0x25A0, 0x25FF),  # geometric shapes
    (0x2700, 0x27BF),  # dingbats (check marks)
    (0xFFFD, 0xFFFD),  # replacement character
)


@cache
def font_file(family: str, bold: bool = False) -> Path:
    """The TrueType file of a font family (via fontconfig), or DejaVu Sans."""
    style = "Bold" if bold else "Regular"
    try:
        found = subprocess.run(
            ["fc-match", "--format=%{file}", f"{family}:style={style}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    path = Path(found) if found else FALLBACK[bold]
    if path.suffix.lower() != ".ttf" or not path.is_file():
        path = FALLBACK[bold]
    if not path.is_file():
        raise TemplateError(
            f"no font file for {family!r} and no DejaVu Sans",
            hint="install fonts-dejavu-core or fonts-liberation2",
        )
    return path


@dataclass(frozen=True, eq=False)
class EmbeddedFont:
    """A subset TrueType font ready to embed, with its metrics and encoding."""

    path: Path
    base_name: str
    program: bytes  # the subset TrueType file
    codes: dict[str, str]  # character -> 4 hex digits (glyph id)
    widths: dict[str, float]  # character -> advance in 1/1000 em
    gid_widths: dict[int, float]
    gid_unicode: dict[int, int]
    ascent: float
    descent: float
    cap_height: float
    bbox: tuple[float, float, float, float]
    italic_angle: float
    num_glyphs: int

    def covers(self, text: str) -> bool:
        return all(c in self.codes for c in prepare_text(text) if c != "\n")

    def width(self, text: str, size: float) -> float:
        return sum(map(self.widths.__getitem__, text)) * size / 1000.0

    def encode(self, text: str) -> str:
        """Hex glyph codes for a `<...> Tj` string; characters without a glyph show .notdef."""
        return "".join(map(self.codes.__getitem__, text))

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        """Greedy word wrap to `width` points; explicit newlines kept; long words broken."""
        lines: list[str] = []
        w = self.widths
        measure = w.__getitem__
        limit = width * 1000.0 / size
        space = w[" "]
        for paragraph in prepare_text(text).split("\n"):
            line: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                ww = sum(map(measure, word))
                extra = ww + (space if line else 0.0)
                if used + extra <= limit:
                    line.append(word)
                    used += extra
                    continue
                if line:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                while ww > limit and len(word) > 1:
                    cut, acc = 0, 0.0
                    while cut < len(word) and acc + w[word[cut]] <= limit:
                        acc += w[word[cut]]
                        cut += 1
                    cut = max(cut, 1)
                    lines.append(word[:cut])
                    word = word[cut:]
                    ww = sum(map(measure, word))
                line, used = [word], ww
            lines.append(" ".join(line))
        return lines

    def objects(self, first: int, resource: str) -> list[bytes]:
        """Bodies of objects first..first+4: Type0 font, CIDFont, descriptor, file, ToUnicode."""
        type0, cid, desc, program, tounicode = (first + i for i in range(5))
        return [
            serialize(
                {
                    "Type": Name("Font"),
                    "Subtype": Name("Type0"),
                    "BaseFont": Name(self.base_name),
                    "Encoding": Name("Identity-H"),
                    "DescendantFonts": [Ref(cid)],
                    "ToUnicode": Ref(tounicode),
                }
            ),
            serialize(
                {
                    "Type": Name("Font"),
                    "Subtype": Name("CIDFontType2"),
                    "BaseFont": Name(self.base_name),
                    "CIDSystemInfo": {
                        "Registry": "Adobe",
                        "Ordering": "Identity",
                        "Supplement": 0,
                    },
                    "FontDescriptor": Ref(desc),
                    "DW": 1000,
                    "W": _compact_widths(self.gid_widths, self.num_glyphs),
                    "CIDToGIDMap": Name("Identity"),
                }
            ),
            serialize(
                {
                    "Type": Name("FontDescriptor"),
                    "FontName": Name(self.base_name),
                    "Flags": 32,
                    "FontBBox": list(self.bbox),
                    "ItalicAngle": self.italic_angle,
                    "Ascent": self.ascent,
                    "Descent": self.descent,
                    "CapHeight": self.cap_height,
                    "StemV": 80,
                    "FontFile2": Ref(program),
                }
            ),
            stream({"Length1": len(self.program)}, self.program, compress=True),
            stream({}, _to_unicode_cmap(self.gid_unicode), compress=True),
        ]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def prepare_text(text: str) -> str:
    """Text as drawn: composed (NFC), tabs as spaces, other control characters dropped."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if "\r" in text or "\t" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub("", text)


class _Codes(dict):
    """Glyph codes by character; a character without a glyph shows .notdef (code 0)."""

    def __missing__(self, key: str) -> str:
        return "0000"


class _Widths(dict):
    """Advance widths by character; a character without a glyph has the .notdef width."""

    def __init__(self, values: dict[str, float], missing: float) -> None:
        super().__init__(values)
        self.missing = missing

    def __missing__(self, key: str) -> float:
        return self.missing


def _compact_widths(gid_widths: dict[int, float], count: int) -> list[object]:
    return [0, [round(gid_widths.get(g, 0.0)) for g in range(count)]]


def _to_unicode_cmap(gid_unicode: dict[int, int]) -> bytes:
    """A ToUnicode CMap in ranges: viewers parse it for every font use, so short is fast."""
    runs: list[list[int]] = []  # [first gid, last gid, first code point]
    for gid, code in sorted(gid_unicode.items()):
        last = runs[-1] if runs else None
        if (
            last is not None
            and gid == last[1] + 1
            and code == last[2] + gid - last[0]
            and gid & 0xFF
            and code & 0xFF
            and code <= 0xFFFF
        ):
            last[1] = gid
        else:
            runs.append([gid, gid, code])
    chunks = []
    for i in range(0, len(runs), 100):
        part = runs[i : i + 100]
        body = "\n".join(f"<{a:04X}> <{b:04X}> <{_utf16_hex(u)}>" for a, b, u in part)
        chunks.append(f"{len(part)} beginbfrange\n{body}\nendbfrange")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(chunks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


def _utf16_hex(codepoint: int) -> str:
    return chr(codepoint).encode("utf-16-be").hex().upper()


_LOAD_LOCK = threading.Lock()


def load_font(path: Path) -> EmbeddedFont:
    """The subset of a TrueType file, made once per process (once, whichever thread asks)."""
    with _LOAD_LOCK:
        return _load_font(path)


@cache
def _load_font(path: Path) -> EmbeddedFont:
    # recalcTimestamp=False: the subset keeps the font file's own `head.modified`, never the
    # clock's, so every process embeds the same bytes (a pack's forms are the same whichever
    # worker made them, and a retried chunk is byte-identical).
    try:
        full = TTFont(str(path), lazy=False, recalcTimestamp=False)
    except Exception as exc:  # fontTools raises many kinds on a bad file
        raise TemplateError(f"cannot read the font: {exc}", where=str(path)) from exc
    if "glyf" not in full:
        raise TemplateError("only TrueType-outline fonts can be embedded", where=str(path))
    available = full.getBestCmap()
    wanted = [u for a, b in SUBSET_RANGES for u in range(a, b + 1) if u in available]
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "kern"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(full)
    buffer = io.BytesIO()
    full.save(buffer)
    program = buffer.getvalue()
    font = TTFont(io.BytesIO(program))
    scale = 1000.0 / font["head"].unitsPerEm
    order = font.getGlyphOrder()
    gid_of = {g: i for i, g in enumerate(order)}
    hmtx = font["hmtx"].metrics
    gid_widths = {i: hmtx[g][0] * scale for i, g in enumerate(order)}
    codes: dict[str, str] = _Codes()
    widths: dict[str, float] = _Widths({}, gid_widths[0])
    gid_unicode: dict[int, int] = {}
    for codepoint, glyph in sorted(font.getBestCmap().items()):
        gid = gid_of[glyph]
        ch = chr(codepoint)
        codes[ch] = f"{gid:04X}"
        widths[ch] = gid_widths[gid]
        gid_unicode.setdefault(gid, codepoint)
    # A no-break space draws as a space; extraction gives a plain space back.
    if " " in codes:
        gid_unicode[int(codes[" "], 16)] = 0x20
    head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
    ps_name = font["name"].getDebugName(6) or path.stem
    tag = "PEPDOC" if "Bold" not in ps_name else "PEPDOB"
    return EmbeddedFont(
        path=path,
        base_name=f"{tag}+{ps_name}",
        program=program,
        codes=codes,
        widths=widths,
        gid_widths=gid_widths,
        gid_unicode=gid_unicode,
        ascent=round(hhea.ascent * scale),
        descent=round(hhea.descent * scale),
        cap_height=round(getattr(os2, "sCapHeight", 0) * scale) or round(hhea.ascent * scale * 0.7),
        bbox=tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)),
        italic_angle=float(font["post"].italicAngle),
        num_glyphs=len(order),
    )
