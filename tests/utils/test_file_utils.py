"""get_file against a local HTTP server on 127.0.0.1 (nothing leaves the machine)."""

import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from nbkeras.utils import get_file
from nbkeras.utils.file_utils import extract_archive, hash_file, validate_file

PAYLOAD = b"nbkeras test payload\n" * 100


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list = []

    def do_GET(self):  # noqa: N802
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "data.bin").write_bytes(PAYLOAD)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("pkg/hello.txt")
        info.size = len(PAYLOAD)
        tar.addfile(info, io.BytesIO(PAYLOAD))
    (root / "pkg.tar.gz").write_bytes(buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("inner/a.txt", "zip content")
    (root / "pkg.zip").write_bytes(buf.getvalue())
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    (root / "evil.tar").write_bytes(buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../escape.txt", "x")
    (root / "evil.zip").write_bytes(buf.getvalue())

    class Handler(_Handler):
        requests = []

        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", Handler.requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_download_caches_and_verifies_hash(server, tmp_path):
    url, requests = server
    cache = str(tmp_path / "cache")
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    path = get_file("data.bin", origin=url + "data.bin", file_hash=sha, cache_dir=cache)
    assert path == os.path.join(cache, "datasets", "data.bin")
    assert open(path, "rb").read() == PAYLOAD
    assert os.listdir(os.path.dirname(path)) == ["data.bin"]  # no temp files left behind
    again = get_file("data.bin", origin=url + "data.bin", file_hash=sha, cache_dir=cache)
    assert again == path and len(requests) == 1
    get_file("data.bin", origin=url + "data.bin", cache_dir=cache, force_download=True)
    assert len(requests) == 2


def test_fname_defaults_to_origin_basename_and_md5(server, tmp_path):
    url, _ = server
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    path = get_file(origin=url + "data.bin", md5_hash=md5, cache_dir=str(tmp_path), cache_subdir="x")
    assert path == os.path.join(str(tmp_path), "x", "data.bin")
    assert validate_file(path, md5) and validate_file(path, hashlib.sha256(PAYLOAD).hexdigest())
    assert hash_file(path) == hashlib.sha256(PAYLOAD).hexdigest()


def test_nbkeras_home_env(server, tmp_path, monkeypatch):
    url, _ = server
    monkeypatch.setenv("NBKERAS_HOME", str(tmp_path / "home"))
    path = get_file("d.bin", origin=url + "data.bin")
    assert path == os.path.join(str(tmp_path / "home"), "datasets", "d.bin")


def test_hash_mismatch_raises_and_leaves_nothing(server, tmp_path):
    url, _ = server
    with pytest.raises(ValueError, match="Incomplete or corrupted file downloaded from .*expected 0{64}"):
        get_file("data.bin", origin=url + "data.bin", file_hash="0" * 64, cache_dir=str(tmp_path))
    assert os.listdir(tmp_path / "datasets") == []


def test_stale_cached_file_is_redownloaded(server, tmp_path):
    url, requests = server
    cached = tmp_path / "datasets" / "data.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"truncated")
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    get_file("data.bin", origin=url + "data.bin", file_hash=sha, cache_dir=str(tmp_path))
    assert cached.read_bytes() == PAYLOAD and len(requests) == 1


def test_http_error_message(server, tmp_path):
    url, _ = server
    with pytest.raises(OSError, match=r"URL fetch failure on .*missing.bin: HTTP 404"):
        get_file("missing.bin", origin=url + "missing.bin", cache_dir=str(tmp_path))
    assert os.listdir(tmp_path / "datasets") == []


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="needs the `origin` argument"):
        get_file("x")
    with pytest.raises(ValueError, match="Paths are not accepted as the `fname` argument"):
        get_file("a/b.bin", origin="http://127.0.0.1:1/b.bin", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="Can't parse the file name"):
        get_file(origin="http://127.0.0.1:1/", cache_dir=str(tmp_path))


def test_extract_tar_and_zip(server, tmp_path):
    url, requests = server
    d = get_file("pkg.tar.gz", origin=url + "pkg.tar.gz", extract=True, cache_dir=str(tmp_path))
    assert d == os.path.join(str(tmp_path), "datasets", "pkg_extracted")
    assert open(os.path.join(d, "pkg", "hello.txt"), "rb").read() == PAYLOAD
    z = get_file(origin=url + "pkg.zip", extract=True, cache_dir=str(tmp_path))
    assert z == os.path.join(str(tmp_path), "datasets", "pkg.zip")
    assert open(os.path.join(z, "inner", "a.txt")).read() == "zip content"
    u = get_file("untarred", origin=url + "pkg.tar.gz", untar=True, cache_dir=str(tmp_path))
    assert os.path.isfile(os.path.join(u, "pkg", "hello.txt"))
    get_file("pkg.tar.gz", origin=url + "pkg.tar.gz", extract=True, cache_dir=str(tmp_path))
    assert len(requests) == 3  # cached archive and extraction are reused


@pytest.mark.parametrize("name", ["evil.tar", "evil.zip"])
def test_path_traversal_is_rejected(server, tmp_path, name):
    url, _ = server
    with pytest.raises(ValueError, match="Refusing to extract archive member .*escape.txt"):
        get_file(name, origin=url + name, extract=True, cache_dir=str(tmp_path / "c"))
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "c" / "escape.txt").exists()


def test_extract_archive_unknown_format(tmp_path):
    p = tmp_path / "plain.txt"
    p.write_text("hello")
    assert extract_archive(str(p), str(tmp_path / "out")) is False
