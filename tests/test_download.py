import dataclasses
import gzip
import hashlib
import struct

import numpy as np
import pytest

from gan.data import download
from gan.data.csv_files import read_csv
from gan.data.download import DownloadError, download_mnist, fetch, mirror_list, parse_idx


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def fake_mirror(tmp_path, monkeypatch):
    """A directory mirror with tiny IDX files; the expected MD5s are patched to match them."""
    rng = np.random.default_rng(0)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    contents = {}
    for prefix, count in (("train", 5), ("t10k", 3)):
        contents[f"{prefix}-images-idx3-ubyte.gz"] = idx_bytes(rng.integers(0, 256, (count, 28, 28)))
        contents[f"{prefix}-labels-idx1-ubyte.gz"] = idx_bytes(rng.integers(0, 10, count))
    for name, raw in contents.items():
        (mirror / name).write_bytes(gzip.compress(raw))
    files = {n: hashlib.md5(r).hexdigest() for n, r in contents.items()}
    monkeypatch.setattr(download, "MNIST", dataclasses.replace(download.MNIST, files=files))
    monkeypatch.delenv(download.MIRROR_ENV, raising=False)
    return mirror, contents


def test_a_directory_mirror_gives_verified_csvs(fake_mirror, tmp_path):
    mirror, contents = fake_mirror
    download_mnist(tmp_path / "d" / "train.csv", tmp_path / "d" / "test.csv", [str(mirror)], log=lambda m: None)
    labels, pixels = read_csv(tmp_path / "d" / "train.csv")
    expected = parse_idx(contents["train-images-idx3-ubyte.gz"], "images")
    assert pixels.numpy().tolist() == expected.tolist()
    assert labels.tolist() == parse_idx(contents["train-labels-idx1-ubyte.gz"], "labels").tolist()
    assert len(read_csv(tmp_path / "d" / "test.csv")[0]) == 3
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "test.csv",
        "train.csv",
    ]  # no temp files left


def test_a_file_url_mirror_works_too(fake_mirror):
    mirror, contents = fake_mirror
    assert (
        fetch("t10k-labels-idx1-ubyte.gz", [mirror.as_uri()], log=lambda m: None)
        == contents["t10k-labels-idx1-ubyte.gz"]
    )


def test_the_environment_mirror_is_tried_first(monkeypatch):
    monkeypatch.setenv(download.MIRROR_ENV, "/local/mnist")
    assert mirror_list(["https://a/", "/local/mnist"]) == ["/local/mnist", "https://a/"]


def test_a_failing_or_corrupt_mirror_falls_through_to_the_next(fake_mirror, tmp_path):
    mirror, contents = fake_mirror
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\0\0\x08\x01garbage"))
    said = []
    mirrors = [str(tmp_path / "missing"), str(corrupt), str(mirror)]
    assert fetch("t10k-labels-idx1-ubyte.gz", mirrors, log=said.append) == contents["t10k-labels-idx1-ubyte.gz"]
    assert "FileNotFoundError" in said[0] and "MD5 mismatch" in said[1]


def test_when_every_mirror_fails_the_error_lists_them_and_nothing_is_written(fake_mirror, tmp_path):
    with pytest.raises(DownloadError) as error:
        download_mnist(
            tmp_path / "d" / "train.csv",
            tmp_path / "d" / "test.csv",
            [str(tmp_path / "nowhere"), "file:///also/nowhere"],
            log=lambda m: None,
        )
    message = str(error.value)
    assert str(tmp_path / "nowhere") in message and "file:///also/nowhere" in message
    assert "MNIST_MIRROR" in message
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())


@pytest.fixture
def http_mirror(fake_mirror):
    """A local HTTP server on 127.0.0.1: /good/ serves the files, /corrupt/ flips bytes,
    /truncated/ cuts them,
    /missing/ answers 404. It stops when the test ends."""
    import http.server
    import threading

    _, contents = fake_mirror
    gz = {name: gzip.compress(raw) for name, raw in contents.items()}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            kind, _, name = self.path.strip("/").partition("/")
            if kind not in ("good", "corrupt", "truncated") or name not in gz:
                self.send_error(404)
                return
            body = gz[name]
            if kind == "corrupt":
                body = gzip.compress(bytes(b ^ 0xFF for b in contents[name]))
            elif kind == "truncated":
                body = body[: len(body) // 2]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_http_mirrors_that_fail_in_each_way_fall_through_to_a_good_one(http_mirror, tmp_path):
    import socket

    with socket.socket() as s:  # a port with nothing listening: connection refused
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    said = []
    mirrors = [
        dead,
        f"{http_mirror}/missing/",
        f"{http_mirror}/corrupt/",
        f"{http_mirror}/truncated/",
        f"{http_mirror}/good/",
    ]
    download_mnist(tmp_path / "d" / "train.csv", tmp_path / "d" / "test.csv", mirrors, log=said.append)
    assert len(read_csv(tmp_path / "d" / "train.csv")[0]) == 5
    failures = [line for line in said if "train-images" in line and "trying the next mirror" in line]
    assert len(failures) == 4
    assert "Connection refused" in failures[0] or "URLError" in failures[0]
    assert "404" in failures[1] and "MD5 mismatch" in failures[2] and "EOFError" in failures[3]


def test_all_http_mirrors_failing_names_each_and_its_reason(http_mirror, tmp_path):
    with pytest.raises(DownloadError) as error:
        fetch(
            "train-images-idx3-ubyte.gz",
            [f"{http_mirror}/corrupt/", f"{http_mirror}/missing/"],
            log=lambda m: None,
        )
    assert f"{http_mirror}/corrupt/: MD5" in str(error.value) and "404" in str(error.value)


def test_a_crash_while_writing_leaves_no_file(fake_mirror, tmp_path, monkeypatch):
    mirror, _ = fake_mirror

    def crash_midway(path, labels, images):
        with download.atomic_path(path) as tmp:
            tmp.write_text("5,0,0,0\n")  # half a file on disk...
            raise KeyboardInterrupt  # ...then the process is interrupted

    monkeypatch.setattr(download, "write_csv", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        download_mnist(tmp_path / "d" / "train.csv", tmp_path / "d" / "test.csv", [str(mirror)], log=lambda m: None)
    assert list((tmp_path / "d").iterdir()) == []
