"""Term packs: a prepopulated Word and PDF form for every child of a cohort, in one zip.

The engine under `pep-docs pack` and the service's pack jobs; it knows nothing of HTTP or Redis.
Three steps, each a function of files on disk, so they can run in one process, in a process pool
(`build_pack`) or as queued jobs on many machines:

1. `plan_pack` reads the cohort once (`pep_docs.cohort`), writes each good row's partial PEP as
   one JSON line to `<workdir>/children.jsonl` and returns a `PackPlan`: per child its row,
   identity, folder and file names, form id and where its data sits in that file; the rows that
   cannot be made with their problems; and the chunks. The plan is plain JSON
   (`to_dict`/`from_dict`), small (no child's data in it) and fixes everything a rerun must
   repeat (form ids, generation time), so rendering a chunk twice gives the same forms.
2. `render_chunk(plan, start, stop, chunk_path)` renders children `[start, stop)` into a chunk
   zip (the members under their final names plus `rows.json`) and returns their manifest rows.
3. `assemble(plan, chunk_paths, out)` streams the members of every chunk into the pack and adds
   `manifest.csv` and `manifest.json`. Members are copied compressed, as they are: nothing is
   inflated or deflated twice, and no form is held in memory (`pep_docs.zipwriter` writes the
   zips: `zipfile` has no public way to copy a compressed member). Every entry is dated from the
   plan's `generated_at`, never the clock, so a retried chunk gives the same bytes.

Order: children are grouped by (authority, phase), so that a chunk needs one compiled template
(compiling a Word template costs about half a second; a warm render costs milliseconds), and
within a group sorted by school, then surname, first name and child id. The manifest lists
every child by school, then name; rows that could not be made come last, by row number.

Paths: each school gets one folder, its name made safe (`safe_name`: no separators, control or
format characters, reserved names or leading dots; at most 80 characters; two schools whose safe
names clash get " (2)"), and each child's files are `<child id> <first> <last>.docx|.pdf`, also
made safe. Nothing a cohort says reaches a path unchecked.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import tempfile
import threading
import unicodedata
import uuid
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pep_docs.cohort import LIMITS, CohortLimits, read_cohort
from pep_docs.errors import DocumentError, PepDocsError
from pep_docs.forms import FormSpec, prepare
from pep_docs.render import FORMATS, render
from pep_docs.schema import load_model
from pep_docs.zipwriter import DateTime, SharedPrefix, ZipWriter, copy_member

PLAN_VERSION = 1
DEFAULT_CHUNK_SIZE = 50
MANIFEST_CSV = "manifest.csv"
MANIFEST_JSON = "manifest.json"
ROWS_MEMBER = "rows.json"
# form ids: uuid5 of the pack id and the child id in this namespace (uuid5 of the DNS name).
FORM_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "pack.pep-docs.invalid")
# Deflate level per member: a .docx is already a deflated zip (stored); a PDF from the renderer
# deflates to about 45% (level 1: level 6 takes twice as long for 3% less); manifests level 6.
_LEVEL: dict[str, int | None] = {"docx": None, "pdf": 1}
_MANIFEST_LEVEL = 6
# The parts of a .docx made for each child (its body, above all): level 1 takes half the time
# of level 6 and makes the .docx about a quarter bigger (33 kB to 41 kB; a PDF is 200 kB).
_DOCX_LEVEL = 1
_MODE = 0o600  # children's data: owner only when extracted
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}  # fmt: skip
_RESERVED_AT_ROOT = {MANIFEST_CSV, MANIFEST_JSON}
_UNSAFE = set('/\\:*?"<>|')

Progress = Callable[[int, int], None]


# -- names ---------------------------------------------------------------------------------


def safe_name(text: str, fallback: str, max_length: int = 80) -> str:
    """One path component from untrusted text: readable, and unable to leave its folder."""
    text = unicodedata.normalize("NFC", text)
    # Category C: controls, format characters (bidi overrides that disguise an extension),
    # surrogates, private use and unassigned code points.
    text = "".join(
        " " if c in _UNSAFE or unicodedata.category(c).startswith("C") else c for c in text
    )
    text = " ".join(text.split()).strip(" .")[:max_length].rstrip(" .")
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text += "_"
    return text or fallback


def _is_safe(component: str) -> bool:
    return bool(component) and safe_name(component, "") == component


# -- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedChild:
    """One child to make: who, where their files go, and where their data is."""

    row: int
    child_id: str
    child_name: str
    school: str
    authority: str
    phase: str
    folder: str
    stem: str
    form_id: str
    sort_key: tuple[str, ...]
    offset: int
    length: int


@dataclass(frozen=True)
class Chunk:
    """Children `[start, stop)` of the plan, all of one authority and phase."""

    start: int
    stop: int
    authority: str
    phase: str

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass
class PackPlan:
    """Everything needed to make a pack, as plain JSON; no child's data is in it."""

    pack_id: str
    authority: str | None
    term: str | None
    formats: tuple[str, ...]
    source: str
    generated_at: str
    schema_id: str
    data_path: str
    children: list[PlannedChild]
    chunks: list[Chunk]
    not_made: list[dict[str, Any]] = field(default_factory=list)

    def member(self, child: PlannedChild, fmt: str) -> str:
        """The path of a child's form inside the pack."""
        return f"{child.folder}/{child.stem}.{fmt}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["version"] = PLAN_VERSION
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PackPlan:
        if data.get("version") != PLAN_VERSION:
            raise DocumentError(
                f"the pack plan is version {data.get('version')!r}, not {PLAN_VERSION}",
                hint="plan the pack again with this version of pep-docs",
            )
        values = {k: v for k, v in data.items() if k != "version"}
        values["formats"] = tuple(values["formats"])
        values["children"] = [
            PlannedChild(**{**c, "sort_key": tuple(c["sort_key"])}) for c in values["children"]
        ]
        values["chunks"] = [Chunk(**c) for c in values["chunks"]]
        return cls(**values)

    def render_order(self) -> list[int]:
        """Chunk numbers in the order to render them: the biggest (authority, phase) group
        first, so a pool's workers finish together; a group's chunks one after another, so a
        worker's compiled template stays in use."""
        sizes: dict[tuple[str, str], int] = {}
        for chunk in self.chunks:
            sizes[(chunk.authority, chunk.phase)] = sizes.get((chunk.authority, chunk.phase), 0)
            sizes[(chunk.authority, chunk.phase)] += chunk.size
        return sorted(
            range(len(self.chunks)),
            key=lambda i: (-sizes[(self.chunks[i].authority, self.chunks[i].phase)], i),
        )


def _name(data: Mapping[str, Any]) -> tuple[str, str]:
    child = data.get("child") or {}
    return str(child.get("first_name") or ""), str(child.get("last_name") or "")


def _school(data: Mapping[str, Any]) -> str:
    return " ".join(str((data.get("education_setting") or {}).get("name") or "").split())


def plan_pack(
    cohort_source: Path | str | IO[bytes],
    authority: str | None,
    term: str | None,
    formats: Sequence[str] = FORMATS,
    *,
    workdir: Path | str,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    pack_id: str | None = None,
    generated_at: str | None = None,
    limits: CohortLimits = LIMITS,
) -> PackPlan:
    """Read a cohort and plan its pack; the children's data goes to `<workdir>/children.jsonl`.

    `authority` and `term` (either may be None) fill in or must agree with the cohort's
    columns. Rows with problems are not planned; they are kept with their problems in
    `plan.not_made`. Raises `DocumentError` when the file itself cannot be read.
    """
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if not formats or unknown:
        raise DocumentError(
            f"unknown form format(s): {', '.join(unknown) or 'none given'}",
            hint=f"choose from {', '.join(FORMATS)}",
        )
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    pack_id = pack_id or str(uuid.uuid4())
    generated_at = generated_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    workdir = Path(workdir)
    data_path = (workdir / "children.jsonl").resolve()
    planned: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    not_made: list[dict[str, Any]] = []
    source_name = Path(str(getattr(cohort_source, "name", cohort_source) or "cohort")).name
    fd = os.open(data_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        for row in read_cohort(cohort_source, authority=authority, term=term, limits=limits):
            first, last = _name(row.data)
            school = _school(row.data)
            if row.problems:
                not_made.append(
                    {
                        "row": row.number,
                        "child_id": str(row.data.get("child_id") or ""),
                        "child_name": " ".join(p for p in (first, last) if p),
                        "school": school,
                        "problems": [str(p) for p in row.problems],
                    }
                )
                continue
            line = json.dumps(row.data, ensure_ascii=False, separators=(",", ":")).encode()
            offset = out.tell()
            out.write(line + b"\n")
            key = tuple(s.casefold() for s in (school, last, first, row.data["child_id"]))
            planned.append(
                (
                    key,
                    {
                        "row": row.number,
                        "child_id": row.data["child_id"],
                        "child_name": " ".join(p for p in (first, last) if p),
                        "school": school,
                        "authority": row.data["authority"],
                        "phase": row.data["phase"],
                        "term": row.data["term"],
                        "offset": offset,
                        "length": len(line),
                    },
                )
            )
    folders = _folders(info["school"] for _, info in planned)
    children: list[PlannedChild] = []
    for key, info in sorted(planned, key=lambda p: (p[1]["authority"], p[1]["phase"], p[0])):
        stem = safe_name(f"{info['child_id']} {info['child_name']}", "child")
        children.append(
            PlannedChild(
                row=info["row"],
                child_id=info["child_id"],
                child_name=info["child_name"],
                school=info["school"],
                authority=info["authority"],
                phase=info["phase"],
                folder=folders[_school_key(info["school"])],
                stem=stem,
                form_id=str(uuid.uuid5(FORM_ID_NAMESPACE, f"{pack_id}/{info['child_id']}")),
                sort_key=key,
                offset=info["offset"],
                length=info["length"],
            )
        )
    terms = {info["term"] for _, info in planned}
    return PackPlan(
        pack_id=pack_id,
        authority=authority,
        term=term or (terms.pop() if len(terms) == 1 else None),
        formats=formats,
        source=source_name,
        generated_at=generated_at,
        schema_id=load_model().id,
        data_path=str(data_path),
        children=children,
        chunks=_chunks(children, chunk_size),
        not_made=not_made,
    )


def _school_key(school: str) -> str:
    return " ".join(school.casefold().split())


def _folders(schools: Iterable[str]) -> dict[str, str]:
    """One safe folder per school (same school whatever its case and spacing); clashing safe
    names, and names of the pack's own files, get a number."""
    folders: dict[str, str] = {}
    taken = {n.casefold() for n in _RESERVED_AT_ROOT}
    for school in sorted(set(schools), key=lambda s: (_school_key(s), s)):
        key = _school_key(school)
        if key in folders:
            continue
        base = safe_name(school, "No setting recorded")
        name, n = base, 1
        while name.casefold() in taken:
            n += 1
            name = f"{base} ({n})"
        taken.add(name.casefold())
        folders[key] = name
    return folders


def _chunks(children: list[PlannedChild], size: int) -> list[Chunk]:
    """Runs of one (authority, phase), cut into pieces of at most `size`, evened out."""
    chunks: list[Chunk] = []
    start = 0
    while start < len(children):
        group = (children[start].authority, children[start].phase)
        stop = start
        while stop < len(children) and (children[stop].authority, children[stop].phase) == group:
            stop += 1
        pieces = math.ceil((stop - start) / size)
        bounds = [start + round(i * (stop - start) / pieces) for i in range(pieces + 1)]
        chunks.extend(Chunk(a, b, *group) for a, b in zip(bounds, bounds[1:], strict=False))
        start = stop
    return chunks


# -- rendering a chunk ---------------------------------------------------------------------


def _zip_time(plan: PackPlan) -> DateTime:
    moment = datetime.fromisoformat(plan.generated_at)
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, 0)


def manifest_row(
    plan: PackPlan, child: PlannedChild, files: Mapping[str, str], problems: list[str]
) -> dict[str, Any]:
    """A child's row of the manifest: who, where, which form, each file's SHA-256."""
    return {
        "row": child.row,
        "child_id": child.child_id,
        "child_name": child.child_name,
        "school": child.school,
        "authority": child.authority,
        "phase": child.phase,
        "folder": child.folder,
        "form_id": child.form_id,
        "files": {
            fmt: {"path": plan.member(child, fmt), "sha256": files[fmt]}
            for fmt in plan.formats
            if fmt in files
        },
        "status": "made" if not problems else "not made",
        "problems": problems,
    }


def _read_child(data: IO[bytes], child: PlannedChild) -> dict[str, Any]:
    data.seek(child.offset)
    return json.loads(data.read(child.length))


def render_chunk(
    plan: PackPlan, start: int, stop: int, chunk_path: Path | str
) -> list[dict[str, Any]]:
    """Render children `[start, stop)` of the plan into the zip `chunk_path`; their manifest rows.

    Idempotent: the same plan and range give the same forms (form ids and the generation time
    are the plan's). The chunk appears under its name only when complete. A child whose form
    cannot be made gets a row saying why; the others are made.
    """
    if not 0 <= start < stop <= len(plan.children):
        raise ValueError(f"[{start}, {stop}) is not a range of the plan's children")
    chunk_path = Path(chunk_path)
    tmp = chunk_path.with_name(f".{chunk_path.name}.part")
    rows: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    try:
        when = _zip_time(plan)
        with open(plan.data_path, "rb") as data, open(tmp, "wb") as fh, ZipWriter(fh) as zw:
            for index in range(start, stop):
                child = plan.children[index]
                files: dict[str, str] = {}
                problems: list[str] = []
                try:
                    spec = prepare(
                        data=_read_child(data, child),
                        form_id=child.form_id,
                        generated_at=plan.generated_at,
                        check=False,  # plan_pack validated every planned row
                    )
                    forms = {fmt: _render_parts(spec, fmt) for fmt in plan.formats}
                except PepDocsError as exc:
                    problems.append(f"row {child.row}: {exc}")
                else:
                    for fmt, (shared, rest) in forms.items():
                        files[fmt] = _write_form(zw, plan.member(child, fmt), fmt, shared, rest,
                                                 when)  # fmt: skip
                results.append({"index": index, "files": files, "problems": problems})
                rows.append(manifest_row(plan, child, files, problems))
            header = {"pack_id": plan.pack_id, "start": start, "stop": stop, "children": results}
            zw.write(ROWS_MEMBER, json.dumps(header).encode(), level=_MANIFEST_LEVEL,
                     date_time=when, mode=_MODE)  # fmt: skip
        os.replace(tmp, chunk_path)
    finally:
        tmp.unlink(missing_ok=True)
    return rows


def _render_parts(spec: FormSpec, fmt: str) -> tuple[bytes | None, bytes]:
    """A form as (bytes shared with other children of its layout, or None; its own bytes)."""
    # Imported here, as `pep_docs.render` does: every `pep-docs` command imports this module.
    if fmt == "pdf":
        from pep_docs.render.pdf import render_pdf_parts

        return render_pdf_parts(spec)
    if fmt == "docx":
        from pep_docs.render.docx import renderer_for

        return None, renderer_for(spec.profile, spec.phase).render(spec, level=_DOCX_LEVEL)
    return None, render(spec, fmt)


# Per worker: the shared part of each PDF layout, deflated and hashed once (keyed by the
# bytes object itself, which the renderer's layout cache keeps and this cache holds on to).
# An entry holds about 0.5 MB (the bytes and the compressor's state); a chunk is one authority
# and phase, whose children mostly share a handful of layouts.
_SHARED: OrderedDict[int, tuple[SharedPrefix, Any]] = OrderedDict()
_SHARED_MAX = 16
_SHARED_LOCK = threading.Lock()


def _write_form(
    zw: ZipWriter, name: str, fmt: str, shared: bytes | None, rest: bytes, when: DateTime
) -> str:
    """Add one form to a chunk; its SHA-256."""
    level = _LEVEL[fmt]
    if shared is None or level is None:
        content = rest if shared is None else shared + rest
        zw.write(name, content, level=level, date_time=when, mode=_MODE)
        return hashlib.sha256(content).hexdigest()
    with _SHARED_LOCK:  # the service's embedded jobs render chunks in threads
        cached = _SHARED.get(id(shared))
        if cached is None or cached[0].prefix is not shared:
            cached = _SHARED[id(shared)] = (SharedPrefix(shared, level), hashlib.sha256(shared))
            while len(_SHARED) > _SHARED_MAX:
                _SHARED.popitem(last=False)
        _SHARED.move_to_end(id(shared))
    prefix, digest = cached
    prefix.write(zw, name, rest, date_time=when, mode=_MODE)
    digest = digest.copy()
    digest.update(rest)
    return digest.hexdigest()


# -- assembling the pack -------------------------------------------------------------------


@dataclass(frozen=True)
class PackSummary:
    """What a pack holds."""

    children: int
    made: int
    not_made: int
    files: int
    folders: int
    problems: tuple[str, ...] = ()


MANIFEST_COLUMNS = ("row", "child_id", "child_name", "school", "authority", "phase", "folder",
                    "form_id")  # fmt: skip


def _csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting = + - @ or a control gets a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_row(plan: PackPlan, row: Mapping[str, Any]) -> list[Any]:
    cells = [row.get(c, "") for c in MANIFEST_COLUMNS]
    for fmt in plan.formats:
        file = row.get("files", {}).get(fmt)
        cells.extend([file["path"], file["sha256"]] if file else ["", ""])
    cells.extend([row["status"], "; ".join(row["problems"])])
    return [_csv_cell(c) for c in cells]


def assemble(
    plan: PackPlan, chunk_paths: Sequence[Path | str], out_stream: IO[bytes]
) -> PackSummary:
    """Stream every chunk's forms into the pack zip written to `out_stream`, with the manifest.

    `chunk_paths[i]` is the chunk `render_chunk` made for `plan.chunks[i]`. Memory holds the
    plan and a few hundred bytes per child, never a form: members are copied as compressed.
    """
    if len(chunk_paths) != len(plan.chunks):
        raise ValueError(f"{len(chunk_paths)} chunk files for {len(plan.chunks)} chunks")
    results: dict[int, tuple[dict[str, str], list[str]]] = {}
    files = 0
    when = _zip_time(plan)
    with ZipWriter(out_stream) as pack:
        for chunk, path in zip(plan.chunks, chunk_paths, strict=True):
            with open(path, "rb") as fh, zipfile.ZipFile(fh) as zf:
                header = json.loads(zf.read(ROWS_MEMBER))
                if (header["pack_id"], header["start"], header["stop"]) != (
                    plan.pack_id,
                    chunk.start,
                    chunk.stop,
                ):
                    raise DocumentError(
                        f"the chunk file is not children [{chunk.start}, {chunk.stop}) of "
                        f"pack {plan.pack_id}",
                        where=str(path),
                        hint="render the chunk again",
                    )
                for result in header["children"]:
                    child = plan.children[result["index"]]
                    if not (_is_safe(child.folder) and _is_safe(child.stem)):
                        raise DocumentError(
                            f"unsafe file name in the plan: {child.folder!r}/{child.stem!r}",
                            hint="plan the pack again",
                        )
                    for fmt in result["files"]:
                        try:
                            copy_member(pack, zf, fh, plan.member(child, fmt))
                        except (KeyError, ValueError) as exc:
                            raise DocumentError(
                                f"the chunk's member {plan.member(child, fmt)} cannot be "
                                f"copied: {exc}",
                                where=str(path),
                                hint="render the chunk again",
                            ) from exc
                        files += 1
                    results[result["index"]] = (result["files"], result["problems"])
        rows = _manifest_rows(plan, results)
        pack.stream(MANIFEST_CSV, _csv_lines(plan, rows), level=_MANIFEST_LEVEL,
                    date_time=when, mode=_MODE)  # fmt: skip
        made = sum(1 for f, p in results.values() if not p)
        problems = [p for row in rows() for p in row["problems"]]
        summary = PackSummary(
            children=len(plan.children) + len(plan.not_made),
            made=made,
            not_made=len(plan.children) + len(plan.not_made) - made,
            files=files,
            folders=len({c.folder for i, c in enumerate(plan.children) if not results[i][1]}),
            problems=tuple(problems),
        )
        pack.stream(MANIFEST_JSON, _json_lines(plan, summary, rows), level=_MANIFEST_LEVEL,
                    date_time=when, mode=_MODE)  # fmt: skip
    return summary


def _csv_lines(plan: PackPlan, rows: Callable[[], Iterable[dict[str, Any]]]) -> Iterator[bytes]:
    """manifest.csv, one encoded line at a time (UTF-8 with a byte order mark, for Excel)."""
    text = io.StringIO()
    writer = csv.writer(text)
    header_row = list(MANIFEST_COLUMNS)
    for fmt in plan.formats:
        header_row.extend([fmt, f"{fmt}_sha256"])
    writer.writerow([*header_row, "status", "problems"])
    yield "\ufeff".encode() + text.getvalue().encode()
    for row in rows():
        text.seek(0)
        text.truncate()
        writer.writerow(_csv_row(plan, row))
        yield text.getvalue().encode()


def _json_lines(
    plan: PackPlan, summary: PackSummary, rows: Callable[[], Iterable[dict[str, Any]]]
) -> Iterator[bytes]:
    """manifest.json, one child's row at a time."""
    head = {
        "pack_id": plan.pack_id,
        "authority": plan.authority,
        "term": plan.term,
        "formats": list(plan.formats),
        "source": plan.source,
        "generated_at": plan.generated_at,
        "schema_id": plan.schema_id,
        **{k: v for k, v in asdict(summary).items() if k != "problems"},
    }
    yield b'{"pack": ' + json.dumps(head, ensure_ascii=False).encode() + b",\n"
    yield b'"children": ['
    for i, row in enumerate(rows()):
        yield (",\n" if i else "\n").encode() + json.dumps(row, ensure_ascii=False).encode()
    yield b"\n]}\n"


def _manifest_rows(
    plan: PackPlan, results: Mapping[int, tuple[dict[str, str], list[str]]]
) -> Callable[[], Iterable[dict[str, Any]]]:
    """The manifest's rows, made one at a time: by school then name, the rows not made last."""
    missing = [i for i in range(len(plan.children)) if i not in results]
    if missing:
        raise ValueError(f"no chunk rendered children {missing[:5]}")
    order = sorted(range(len(plan.children)), key=lambda i: plan.children[i].sort_key)

    def rows() -> Iterable[dict[str, Any]]:
        for i in order:
            files, problems = results[i]
            yield manifest_row(plan, plan.children[i], files, problems)
        for bad in sorted(plan.not_made, key=lambda r: r["row"]):
            yield {
                "row": bad["row"],
                "child_id": bad["child_id"],
                "child_name": bad["child_name"],
                "school": bad["school"],
                "authority": "",
                "phase": "",
                "folder": "",
                "form_id": "",
                "files": {},
                "status": "not made",
                "problems": bad["problems"],
            }

    return rows


# -- the whole pack in one call ------------------------------------------------------------


@dataclass
class PackResult:
    """What `build_pack` made: the plan, the summary (None when nothing could be made) and
    every problem, rows not made first."""

    plan: PackPlan
    summary: PackSummary | None
    problems: list[str] = field(default_factory=list)


_worker_plan: PackPlan | None = None


def _worker_start(plan_json: str) -> None:
    global _worker_plan
    _worker_plan = PackPlan.from_dict(json.loads(plan_json))


def _worker_render(start: int, stop: int, chunk_path: str) -> int:
    assert _worker_plan is not None
    render_chunk(_worker_plan, start, stop, chunk_path)
    return stop - start


def build_pack(
    cohort: Path | str | IO[bytes],
    authority: str | None,
    term: str | None,
    out_path: Path | str,
    formats: Sequence[str] = FORMATS,
    workers: int | None = None,
    progress: Progress | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    pack_id: str | None = None,
    generated_at: str | None = None,
    limits: CohortLimits = LIMITS,
) -> PackResult:
    """Make the pack of a cohort at `out_path` (written atomically, mode 0600).

    Chunks run on a pool of `workers` processes (default: every CPU; 1 renders in this
    process); each worker keeps its compiled templates from chunk to chunk. `progress(done,
    total)` is called with 0 first, then after each chunk, in children. When no child can be
    made nothing is written and `summary` is None; the problems say why.
    """
    out_path = Path(out_path)
    workers = workers or len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="pep-docs-pack-") as work:
        plan = plan_pack(
            cohort,
            authority,
            term,
            formats,
            workdir=work,
            chunk_size=chunk_size,
            pack_id=pack_id,
            generated_at=generated_at,
            limits=limits,
        )
        problems = [p for bad in plan.not_made for p in bad["problems"]]
        if not plan.children:
            return PackResult(plan, None, problems)
        chunk_paths = [str(Path(work) / f"chunk-{i:05d}.zip") for i in range(len(plan.chunks))]
        _render_all(plan, chunk_paths, workers, progress)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".part")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as out:
                summary = assemble(plan, chunk_paths, out)
            os.replace(tmp, out_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return PackResult(plan, summary, list(summary.problems))


def _render_all(
    plan: PackPlan, chunk_paths: list[str], workers: int, progress: Progress | None
) -> None:
    total = len(plan.children)
    done = 0
    if progress:
        progress(0, total)
    order = plan.render_order()
    if workers <= 1 or len(order) == 1:
        for i in order:
            chunk = plan.chunks[i]
            render_chunk(plan, chunk.start, chunk.stop, chunk_paths[i])
            done += chunk.size
            if progress:
                progress(done, total)
        return
    with ProcessPoolExecutor(
        max_workers=min(workers, len(order)),
        initializer=_worker_start,
        initargs=(json.dumps(plan.to_dict()),),
    ) as pool:
        pending: set[Future[int]] = set()
        try:
            for i in order:
                chunk = plan.chunks[i]
                pending.add(pool.submit(_worker_render, chunk.start, chunk.stop, chunk_paths[i]))
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    done += future.result()
                    if progress:
                        progress(done, total)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


__all__ = [
    "Chunk",
    "PackPlan",
    "PackResult",
    "PackSummary",
    "PlannedChild",
    "assemble",
    "build_pack",
    "manifest_row",
    "plan_pack",
    "render_chunk",
    "safe_name",
]
