"""Writing files and folders atomically, and opening files to read them safely.

Every file mmphate writes (recordings, HTML pages, result folders, figures) goes through
:func:`atomic_write` or :func:`atomic_folder`:

* the data go to a temporary file (``.NAME.XXXXXXXX.tmp``) or folder in the *target's* folder,
  are flushed to disk, and then renamed over the target in one step, so a reader sees either the
  old file or the new one, and a failure part-way (a full disk, a character that cannot be
  encoded, an interrupt) leaves the old file intact and no temporary behind;
* a symbolic link is written *through*: its target is updated and the link stays a link;
* a new file gets the mode the umask gives (it is created with ``0o666`` and the kernel applies
  the umask, unlike :func:`tempfile.mkstemp`'s ``0o600``); a replaced file keeps its mode;
* only regular files are replaced: a FIFO, a device (``/dev/full``) or a folder in the way is
  refused with a one-line error, as is a missing parent folder (named in the message).

:func:`open_regular` opens a file for reading after checking that it is a regular file, so
that a FIFO is refused instead of blocking forever and a device is never read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ._validate import describe, printable

__all__ = [
    "target_path",
    "atomic_write",
    "atomic_write_text",
    "atomic_folder",
    "check_folder_target",
    "open_regular",
    "file_digest",
]

_REASONS = {
    errno.ENOSPC: "no space left on the device",
    getattr(errno, "EDQUOT", -1): "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EFBIG: "the file is too large for the file system",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ELOOP: "too many levels of symbolic links",
}


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _show(path: str) -> str:
    return printable(repr(path))


def _fspath(path: Any) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"a path must be a str or os.PathLike; got {describe(path)}.")
    raw = os.fspath(path)
    if isinstance(raw, bytes):
        raw = os.fsdecode(raw)
    if not raw:
        raise ValueError("the path is empty; give a file name.")
    if "\x00" in raw:
        raise ValueError(f"the path {_show(raw)} contains a NUL character.")
    return raw


def _os_error(exc: OSError, action: str, path: str, tail: str = "") -> OSError:
    """``exc`` again, as the same OSError subclass, with a one-line message naming ``path``."""
    reason = _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).rstrip(".")
    new = type(exc)(f"could not {action} {_show(path)}: {reason}{tail}.")
    new.errno = exc.errno
    return new


def _check_parent(raw: str, real: str) -> None:
    parent = os.path.dirname(real) or "."
    try:
        st = os.stat(parent)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"cannot write {_show(raw)}: the folder {_show(parent)} does not exist; create it first."
        ) from None
    except NotADirectoryError:
        raise NotADirectoryError(
            f"cannot write {_show(raw)}: a part of {_show(parent)} is a file, not a folder."
        ) from None
    except OSError as exc:
        raise _os_error(exc, "write", raw) from None
    if not stat.S_ISDIR(st.st_mode):
        kind = "a file" if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)
        raise NotADirectoryError(
            f"cannot write {_show(raw)}: {_show(parent)} is {kind}, not a folder."
        )


def target_path(path: Any) -> tuple[str, os.stat_result | None]:
    """Where a write to ``path`` lands (symbolic links resolved) and the stat of what is there.

    Raises
    ------
    TypeError
        If ``path`` is not a str or path-like.
    FileNotFoundError, NotADirectoryError
        If the parent folder is missing or is not a folder.
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If ``path`` is a FIFO, a device or a socket (mmphate writes regular files only).
    """
    raw = _fspath(path)
    real = os.path.realpath(raw)
    _check_parent(raw, real)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return real, None
    except OSError as exc:
        raise _os_error(exc, "write", raw) from None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"cannot write {_show(raw)}: it is a folder; give a file name.")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(
            f"cannot write {_show(raw)}: it is {_kind(st.st_mode)}, not a regular file; mmphate "
            "writes regular files only."
        )
    return real, st


def _temp_name(folder: str, base: str, suffix: str) -> str:
    return os.path.join(folder, f".{base[:80]}.{secrets.token_hex(4)}{suffix}")


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _adopt_mode(fd: int, old: os.stat_result | None) -> None:
    if old is None:
        return  # created with 0o666 & ~umask by os.open
    os.fchmod(fd, stat.S_IMODE(old.st_mode))
    if hasattr(os, "fchown") and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except OSError:
            pass  # not allowed to give it away: keep ours


def atomic_write(path: Any, write: Callable[[IO[bytes]], None]) -> str:
    """Write a file atomically: ``write(fh)`` fills a temporary binary file next to the target,
    which then replaces it (see the module docstring).  Returns the real path written.

    Raises
    ------
    OSError
        If the file cannot be written (no space, no permission, ...); the old file is unchanged.
        Also the errors of :func:`target_path`.
    """
    raw = _fspath(path)
    real, old = target_path(raw)
    folder, base = os.path.split(real)
    tmp = _temp_name(folder, base, ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
    except OSError as exc:
        raise _os_error(exc, "write", raw, "; nothing was changed") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            _adopt_mode(fh.fileno(), old)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, real)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _os_error(
                exc, "write", raw, "; the previous file, if any, is unchanged"
            ) from None
        raise
    _fsync_dir(folder)
    return real


def _encode(text: str, path: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = printable(text[exc.start : exc.start + 1])
        raise ValueError(
            f"cannot write {_show(path)}: the text holds a character UTF-8 cannot encode "
            f"({bad}, a lone surrogate, at position {exc.start}); nothing was changed."
        ) from None


def atomic_write_text(path: Any, text: str) -> str:
    """Write ``text`` as UTF-8 atomically (encoded first, so an unencodable character changes
    nothing).  Returns the real path written."""
    data = _encode(text, _fspath(path))
    return atomic_write(path, lambda fh: fh.write(data))


# --------------------------------------------------------------------------- folders
def check_folder_target(
    path: Any, *, replaceable: Callable[[str], bool], what: str
) -> tuple[str, os.stat_result | None, bool]:
    """Check that :func:`atomic_folder` may write ``path`` (before any long computation).

    Returns the real path, its stat (None if missing) and whether it is a non-empty folder
    that will be replaced.

    Raises
    ------
    FileExistsError
        If ``path`` is a file, or a folder holding files other than a previous ``what``.
    NotADirectoryError
        If a part of the parent path is a file.
    """
    raw = _fspath(path)
    real = os.path.realpath(raw)
    parent = os.path.dirname(real)
    probe = parent
    while probe and not os.path.lexists(probe):  # the first existing ancestor must be a folder
        probe = os.path.dirname(probe) if os.path.dirname(probe) != probe else ""
    if probe and not os.path.isdir(probe):
        raise NotADirectoryError(
            f"cannot write {what} {_show(raw)}: {_show(probe)} is a file, not a folder."
        )
    try:
        st: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        return real, None, False
    except OSError as exc:
        raise _os_error(exc, "write", raw) from None
    if not stat.S_ISDIR(st.st_mode):
        kind = "a file" if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)
        raise FileExistsError(
            f"cannot write {what} {_show(raw)}: it is {kind}; give the name of a new folder."
        )
    entries = os.listdir(real)
    if entries and not replaceable(real):
        shown = printable(", ".join(sorted(entries)[:5])) + (", ..." if len(entries) > 5 else "")
        raise FileExistsError(
            f"cannot write {what} {_show(raw)}: the folder holds other files ({shown}); "
            f"mmphate replaces only an empty folder or a previous {what}. Choose a new folder."
        )
    return real, st, bool(entries)


@contextmanager
def atomic_folder(path: Any, *, replaceable: Callable[[str], bool], what: str) -> Iterator[Path]:
    """Build a folder atomically: yields a temporary folder next to ``path`` to fill; on success
    it is renamed to ``path`` (an existing folder is replaced only if empty or if
    ``replaceable(real_path)`` says it is a previous folder of this kind); on failure it is
    removed and ``path`` is untouched.  Missing parent folders are created (and removed again
    if the write fails).

    Raises
    ------
    FileExistsError
        If ``path`` is a file, or a folder holding anything else.
    OSError
        If the folder cannot be written.
    """
    raw = _fspath(path)
    real, st, existing = check_folder_target(raw, replaceable=replaceable, what=what)
    parent, base = os.path.split(real)
    created = []  # parent folders made here, removed again if the write fails
    probe = parent
    while probe and not os.path.lexists(probe):
        created.append(probe)
        probe = os.path.dirname(probe) if os.path.dirname(probe) != probe else ""
    try:
        os.makedirs(parent, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(
            f"cannot write {_show(raw)}: {_show(parent)} is a file, not a folder."
        ) from None
    except NotADirectoryError:
        raise NotADirectoryError(
            f"cannot write {_show(raw)}: a part of {_show(parent)} is a file, not a folder."
        ) from None
    except OSError as exc:
        raise _os_error(exc, "create the folder for", raw) from None
    tmp = _temp_name(parent, base, ".tmp")
    try:
        os.mkdir(tmp, 0o777)  # the umask applies
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
    except OSError as exc:
        raise _os_error(exc, "write", raw, "; nothing was changed") from None
    try:
        yield Path(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        raise
    try:
        for name in os.listdir(tmp):
            _fsync_file(os.path.join(tmp, name))
        if existing:
            old = _temp_name(parent, base, ".old")
            os.rename(real, old)
            try:
                os.rename(tmp, real)
            except BaseException:
                os.rename(old, real)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, real)  # also replaces an empty folder, in one step
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        raise _os_error(exc, "write", raw, "; the previous folder, if any, is unchanged") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        raise
    _fsync_dir(parent)


def _remove_empty(folders: list[str]) -> None:
    for folder in folders:  # deepest first
        try:
            os.rmdir(folder)
        except OSError:
            return


def _fsync_file(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- reading
def open_regular(path: Any, what: str = "file") -> IO[bytes]:
    """Open ``path`` for binary reading, refusing anything but a regular file.

    A FIFO is refused without blocking (it is never opened for a blocking read), a device is
    never read.

    Raises
    ------
    FileNotFoundError
        If nothing is at ``path``.
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If ``path`` is a FIFO, a device or a socket.
    OSError
        If it cannot be opened (permissions, ...).
    """
    raw = _fspath(path)
    try:
        st = os.stat(raw)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such {what}: {_show(raw)}.") from None
    except OSError as exc:
        raise _os_error(exc, "read", raw) from None
    _check_regular(st, raw, what)
    try:  # O_NONBLOCK: should it have become a FIFO since, opening does not wait for a writer
        fd = os.open(raw, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _os_error(exc, "read", raw) from None
    try:
        _check_regular(os.fstat(fd), raw, what)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _check_regular(st: os.stat_result, raw: str, what: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"{_show(raw)} is a folder; expected a {what}.")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(
            f"{_show(raw)} is {_kind(st.st_mode)}, not a regular file; mmphate reads a {what} "
            "only from a regular file."
        )


def file_digest(fh: IO[bytes], chunk: int = 1 << 20) -> tuple[int, str]:
    """Size in bytes and SHA-256 (hex) of what remains in ``fh``."""
    h = hashlib.sha256()
    n = 0
    while True:
        block = fh.read(chunk)
        if not block:
            return n, h.hexdigest()
        n += len(block)
        h.update(block)
