"""The data directory and checked downloads.

Files live in ``$MLPKIT_DATA/<dataset>/`` (default ``~/.cache/mlpkit``). A
missing file is downloaded from its mirror into ``<file>.partial``, checked
against the SHA-256 pinned here, and only then renamed into place, so a
half-downloaded or tampered file is never used. A file already on disk is
checked against the same pin the first time a process uses it. Set ``MLPKIT_OFFLINE=1`` to
never try the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ChecksumError", "DataNotFoundError", "RemoteFile", "data_dir", "fetch", "sha256_of"]

_CHUNK = 1 << 20


class DataNotFoundError(FileNotFoundError):
    """A data file is absent and could not be downloaded."""


class ChecksumError(ValueError):
    """A downloaded file did not match its pinned SHA-256."""


@dataclass(frozen=True)
class RemoteFile:
    """A file of a dataset: its name, pinned SHA-256 and where to get it."""

    name: str
    sha256: str
    url: str


def data_dir() -> Path:
    """``$MLPKIT_DATA`` if set, else ``~/.cache/mlpkit``.

    Raises
    ------
    NotADirectoryError
        ``MLPKIT_DATA`` names a file.
    """
    configured = os.environ.get("MLPKIT_DATA")
    if not configured:
        return Path.home() / ".cache" / "mlpkit"
    folder = Path(configured).expanduser()
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(
            f"MLPKIT_DATA={configured} is a file; set it to the folder that holds the data sets"
        )
    return folder


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


#: Files found to match their pins in this process, by (path, size, mtime, inode).
_VERIFIED: set[tuple[str, int, int, int]] = set()


def _check_on_disk(path: Path, remote: RemoteFile) -> None:
    """Compare a file already on disk with its pinned SHA-256, once per process and version.

    A file that was swapped or damaged after its download would otherwise
    be trained on silently. The check is remembered for the file's size,
    modification time and inode, so a changed file is checked again.
    """
    status = path.stat()
    key = (str(path.resolve()), status.st_size, status.st_mtime_ns, status.st_ino)
    if key in _VERIFIED:
        return
    actual = sha256_of(path)
    if actual != remote.sha256:
        raise ChecksumError(
            f"{path} has SHA-256 {actual[:16]}..., not the pinned {remote.sha256[:16]}... of "
            f"{remote.name}: it was changed or damaged; delete it (it will be downloaded "
            f"again) or put the original from {remote.url} there"
        )
    _VERIFIED.add(key)


def fetch(
    folder: Path,
    remote: RemoteFile,
    *,
    download: bool = True,
    timeout: float = 30.0,
    deadline: float = 600.0,
) -> Path:
    """Return the path of ``remote`` in ``folder``, downloading it if it is missing.

    ``timeout`` bounds each wait for the server; ``deadline`` the whole
    download (seconds), so that a server trickling bytes cannot hang a run.

    Raises
    ------
    DataNotFoundError
        The file is missing and downloading is off or failed; the message
        names the folder and the file to put there.
    ChecksumError
        The download's SHA-256 differs from the pinned one (the partial file
        is deleted).
    """
    path = folder / remote.name
    if path.is_file():
        _check_on_disk(path, remote)
        return path
    if path.exists():  # a folder or a device: not missing, and not to download over
        raise DataNotFoundError(
            f"{path} is a folder or special file, not the data file {remote.name}; "
            "move it away and put the file there"
        )
    offline = os.environ.get("MLPKIT_OFFLINE", "") not in ("", "0")
    if not download or offline:
        raise DataNotFoundError(
            f"{remote.name} is not in {folder}; put it there (from {remote.url}) or allow downloads"
        )
    import http.client  # imported here: urllib costs 30 ms at import time
    import urllib.error

    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        _download(remote.url, partial, timeout, deadline)
    except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException) as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, urllib.error.HTTPError):
            reason = f"HTTP {error.code} {error.reason}"
        else:
            reason = str(getattr(error, "reason", error))
        raise DataNotFoundError(
            f"{remote.name} is not in {folder} and downloading it from {remote.url} "
            f"failed ({reason}); put the file there by hand"
        ) from error
    actual = sha256_of(partial)
    if actual != remote.sha256:
        partial.unlink()
        raise ChecksumError(
            f"the download of {remote.name} from {remote.url} has SHA-256 {actual[:16]}..., "
            f"expected {remote.sha256[:16]}...; the partial file was deleted"
        )
    os.replace(partial, path)
    return path


def _download(url: str, partial: Path, timeout: float, deadline: float) -> None:
    """Copy ``url`` into ``partial`` within ``deadline`` seconds in all, or raise.

    A socket timeout bounds only each wait, and a server sending a byte now and
    then (in its headers as well as its body) never trips it; so a timer shuts
    the connection's socket at the deadline, which ends whatever read is blocked.
    """
    import http.client
    import socket
    import threading
    import urllib.request

    sockets: list[socket.socket] = []

    class _Recorded(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            sockets.append(self.sock)

    class _RecordedTLS(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            sockets.append(self.sock)

    class _Handler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(_Recorded, req)

    class _TLSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(_RecordedTLS, req)

    expired = threading.Event()

    def _expire() -> None:
        expired.set()
        for sock in sockets:
            # the plain socket's shutdown, also under TLS: it unblocks any recv at once
            with contextlib.suppress(OSError):  # already closed
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    timer = threading.Timer(deadline, _expire)
    timer.daemon = True
    timer.start()
    opener = urllib.request.build_opener(_Handler, _TLSHandler)
    try:
        with opener.open(url, timeout=timeout) as response, open(partial, "wb") as handle:
            while (chunk := response.read1(_CHUNK)) and not expired.is_set():
                handle.write(chunk)
    except (OSError, http.client.HTTPException):
        if not expired.is_set():
            raise
    finally:
        timer.cancel()
    if expired.is_set():
        raise TimeoutError(f"not finished after {deadline:g} s")
