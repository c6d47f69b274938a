"""Files taken in as returns: each file of an upload, and each file in an uploaded zip of forms.

`keep` stores one file as a return (the same bytes twice are one return) and `queue` puts it on
the queue to be read. The web upload and the job that unpacks a zip both use them, so a file is
taken in the same way however it came. `unpack` is that job's step: schools often send a term's
forms at once as a zip, and each form in it becomes a return of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pep_docs import files
from pep_docs.db import DONE, FAILED, QUEUED, Return, ZipMember, audit, session_scope
from pep_docs.errors import FormReadError
from pep_docs.extractors import sniff
from pep_docs.extractors.safety import (
    RESEND_FORMS,
    Limits,
    SafeZip,
    made_by_the_system,
    zipped_forms,
)
from pep_docs.jobs import QueueUnavailable, dispatcher_for
from pep_docs.settings import Settings

# Read by the extractor, which says exactly what an OLE file is (an old .doc, or a
# password-protected .docx); anything else is kept unread with this reason.
READ_KINDS = ("docx", "pdf", "ole")
NOT_A_FORM = ("this is not a Word (.docx) or PDF file, so it is kept but not read: ask the "
              "school for the PEP form")  # fmt: skip
QUEUE_DOWN = ("the queue is not reachable just now; the file is kept and will be read when it "
              "is back")  # fmt: skip
_MB = 1024 * 1024


@dataclass
class Received:
    record: Return
    duplicate: bool
    note: str | None = None


def keep(
    db: Session,
    settings: Settings,
    data: bytes,
    name: str | None,
    *,
    authority: str,
    user_id: int,
    action: str = "return.upload",
    detail: str | None = None,
    remote: str | None = None,
) -> Received:
    """Store `data` as a new return of `authority`, or find the return with the same bytes.

    A file that is not a Word, PDF or old Office file is kept for a person to look at, failed
    with its reason, and never parsed. Nothing is committed: `queue` does that.

    The same file kept twice at the same moment (two officers, a double-click, two zips
    unpacked at once) is one return: both find none, and the database's unique index refuses
    the second insert. That insert is made in a savepoint, so only it is undone, and the session
    goes on (an unpacked zip keeps many files in one); its stored file is removed, and it is
    answered with the first return, as a duplicate."""
    digest = files.sha256(data)
    existing = _same_file(db, authority, digest)
    if existing is not None:
        return Received(existing, duplicate=True)
    kind = sniff(data[:2048]) if data else "unknown"
    record = Return(
        authority=authority,
        uploaded_by=user_id,
        original_name=files.display_name(name),
        stored_name=files.store(settings, "uploads", data),
        sha256=digest,
        size=len(data),
        kind=kind if kind in READ_KINDS else "other",
    )
    if kind not in READ_KINDS:
        record.status, record.error = FAILED, NOT_A_FORM
    try:
        with db.begin_nested():
            db.add(record)
    except IntegrityError:
        files.path_of(settings, "uploads", record.stored_name).unlink(missing_ok=True)
        existing = _same_file(db, authority, digest)
        if existing is None:  # refused for another reason (an unknown user): not a duplicate
            raise
        return Received(existing, duplicate=True)
    said = f"{record.size} bytes" + (f", {detail}" if detail else "")
    audit(db, action, user_id=user_id, object_type="return", object_id=record.id, detail=said,
          remote=remote)  # fmt: skip
    return Received(record, duplicate=False)


def _same_file(db: Session, authority: str, digest: str) -> Return | None:
    # The first of the copies kept before migration 0002 (copy 0), when there are several.
    return db.scalar(select(Return).where(Return.authority == authority, Return.sha256 == digest)
                     .order_by(Return.copy_number).limit(1))  # fmt: skip


def queue(db: Session, settings: Settings, item: Received) -> None:
    """Commit, then queue a new return to be read (its id only). If the queue cannot be reached
    the return stays queued, with a note, and `jobs.maintain` queues it later."""
    db.commit()
    if item.duplicate or item.record.status != QUEUED:
        return
    try:
        dispatcher_for(settings).submit("read_return", item.record.id)
    except QueueUnavailable:
        item.note = item.record.error = QUEUE_DOWN
        db.commit()


def read_again(
    db: Session, settings: Settings, record: Return, *, user_id: int, remote: str | None = None
) -> Received:
    """Queue a return that could not be read to be read once more, audited.

    The same file uploaded again is the same return, and is not read twice: without this, a
    file whose reading failed for a reason outside it (the service stopped, or was too busy to
    finish in time) could never be read. A file that failed for what it is fails again, with
    the same reason."""
    record.status, record.error, record.attempts = QUEUED, None, 0
    audit(db, "return.again", user_id=user_id, object_type="return", object_id=record.id,
          remote=remote)  # fmt: skip
    item = Received(record, duplicate=False)
    queue(db, settings, item)
    return item


def zip_limits(settings: Settings) -> Limits:
    """The extractor's limits for an uploaded zip, except its size: any upload the service took
    (`MAX_UPLOAD_MB`) is opened, though a single form is read only up to `max_file_bytes`."""
    limits = Limits()
    return replace(limits, max_file_bytes=max(limits.max_file_bytes, settings.MAX_UPLOAD_MB * _MB))


def unpack(settings: Settings, zip_id: str, path: Path) -> str | None:
    """Make each file in a zip of forms a return of its own and queue the forms to be read;
    the zip's own return says what was in it and links to them. The return's new status, or
    None when the file is not a zip of forms (the extractor reads it, or says why not).

    Every file in the zip becomes a return, a form or not (a covering letter, a scan, a zip in
    the zip): kept with its reason, as the same file uploaded on its own would be, so the
    officer finds each one in the list and can download it alone, and one rule holds for a file
    however it came. A zip that is damaged, hostile (`SafeZip`'s limits) or over the upload
    limits is refused whole rather than read in part, so nobody has to work out which of its
    forms were read: it is failed with the reason (which names the file or the limit) and kept
    as it came, so nothing in it is lost. The files a computer adds to a zip
    (`made_by_the_system`: a Mac's copies, Windows' thumbnails, Word's lock files) and
    folders are not files a person made, and are left out without a word.

    Idempotent: a second run finds each file's return by its bytes and its link by its place.
    """
    url = settings.database_url
    with session_scope(url) as s:
        row = s.get(Return, zip_id)
        where, authority, user_id = row.original_name, row.authority, row.uploaded_by
        inside = s.scalar(select(ZipMember.zip_id).where(ZipMember.return_id == zip_id).limit(1))
    data, limits = path.read_bytes(), zip_limits(settings)
    # The zip's directory is read here, outside the sandbox, so only when it is small: every
    # entry starts with this signature, so a zip has no more entries than it occurs. (Python's
    # zipfile took 2.5 s and 350 MB for a 32 MB directory of 600,000 entries.) A bigger one is
    # left to the extractor, in its sandbox, which refuses it.
    if data.count(b"PK\x01\x02") > limits.max_entries:
        return None
    try:
        package = SafeZip(data, where, limits)
        if not zipped_forms(package.names):
            return None
        _set(url, zip_id, kind="zip")  # not a Word document: says so in lists and the API
        if inside is not None:
            # Zips in zips are not unpacked: each level could multiply the files (42.zip).
            raise FormReadError(
                "this is a zip inside another zip, and only the zip uploaded is unpacked",
                where=where,
                hint="unzip it and upload the forms in it",
            )
        entries = [(position, info) for position, info in enumerate(package.infos)
                   if not info.is_dir() and not made_by_the_system(info.filename)]  # fmt: skip
        _within_upload_limits(settings, package, len(entries), where)
        # Read before anything is stored: a damaged entry fails the zip and makes no return.
        # By entry, not by name: two entries of one name are two files.
        members = [(position, info.filename, package.read(info)) for position, info in entries]
    except FormReadError as exc:  # its UnsafeInputError too
        if exc.hint == RESEND_FORMS:  # SafeZip refused a zip it saw was a zip of forms
            _set(url, zip_id, kind="zip")
        _finish(url, zip_id, FAILED, str(exc))
        return FAILED
    made: list[tuple[Received, bool]] = []
    with session_scope(url) as s:
        for position, name, data in members:
            shown = files.display_name(name)
            item = keep(s, settings, data, f"{where} › {shown}", authority=authority,
                        user_id=user_id, action="return.unpack", detail=f"from the zip {zip_id}")  # fmt: skip
            linked = s.get(ZipMember, (zip_id, position))
            if linked is None:
                s.add(ZipMember(zip_id=zip_id, position=position, return_id=item.record.id,
                                name=shown))  # fmt: skip
            queue(s, settings, item)
            # Made by an earlier run of this job (it stopped half-way): not "uploaded before".
            made.append((item, item.duplicate and linked is None))
        message = unpacked_message(made)
        audit(s, "return.unpack", user_id=user_id, object_type="return", object_id=zip_id,
              detail=message)  # fmt: skip
    _finish(url, zip_id, DONE, message)
    return DONE


def _within_upload_limits(settings: Settings, package: SafeZip, count: int, where: str) -> None:
    """A zip is unpacked only if its files could have been uploaded at once (the same limits)."""
    limit = settings.MAX_FILES_PER_UPLOAD
    if count > limit:
        raise FormReadError(
            f"this zip holds {count} files, more than the {limit} read from one upload, so none "
            "of them was read",
            where=where,
            hint=f"split it into zips of up to {limit} files and upload each",
        )
    # Declared sizes: a part never inflates past its declared size (zipfile stops there).
    total = sum(i.file_size for i in package.infos if not made_by_the_system(i.filename))
    if total > settings.MAX_UPLOAD_MB * _MB:
        raise FormReadError(
            f"the files in this zip come to {total / _MB:.0f} MB unzipped, more than the "
            f"{settings.MAX_UPLOAD_MB} MB of one upload, so none of them was read",
            where=where,
            hint="split it into smaller zips and upload each",
        )


def unpacked_message(made: list[tuple[Received, bool]]) -> str:
    """What a zip held, in words: "a zip of 2 forms: each is read as its own return ..."."""
    total = len(made)
    forms = sum(item.record.kind in READ_KINDS for item, _ in made)
    others = total - forms
    if not others:
        text = f"a zip of {_count(forms, 'form')}: {'each' if forms > 1 else 'it'} is read as "
        text += "its own return (listed below)"
    elif not forms:
        text = (f"a zip of {_count(total, 'file')}, none of them a Word (.docx) or PDF form: "
                "each is kept as its own return, but not read (listed below)")  # fmt: skip
    else:
        not_forms = "file that is not" if others == 1 else "files that are not"
        each = "each " if forms > 1 else ""
        text = (f"a zip of {total} files: {_count(forms, 'form')}, {each}read as its own return, "
                f"and {others} {not_forms} a Word or PDF form, kept but not read "
                "(listed below)")  # fmt: skip
    again = sum(before for _, before in made)
    if again:
        text += f"; {again} had been uploaded before and {_are(again)} not read twice"
    return text


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


def _finish(url: str, return_id: str, status: str, message: str) -> None:
    _set(url, return_id, status=status, error=message)


def _set(url: str, return_id: str, **values: str) -> None:
    with session_scope(url) as s:
        row = s.get(Return, return_id)
        for key, value in values.items():
            setattr(row, key, value)
