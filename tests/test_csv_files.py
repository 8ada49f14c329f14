"""gan.data.csv_files: a CSV's rows as written, a bad row named by file and line, the parsed cache; and the property
that a CSV loads exactly its rows when every row is valid, else raises one CsvFormatError naming the first bad line
(never another exception, never a silently dropped row)."""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gan.data import csv_files
from gan.data.csv_files import COLUMNS, CsvFormatError, load_csv, read_csv
from tests.conftest import synthetic, write_csv

HEADER = "label," + ",".join(f"pixel{i}" for i in range(784))


@st.composite
def valid_row(draw):
    label = draw(st.integers(0, 9))
    # mostly zeros like MNIST, with a few drawn pixels: 784 drawn integers per row would be slow
    pixels = [0] * 784
    for index, value in draw(st.lists(st.tuples(st.integers(0, 783), st.integers(0, 255)), max_size=8)):
        pixels[index] = value
    return [str(label), *map(str, pixels)]


@st.composite
def malformed_row(draw, is_first_line: bool, is_last: bool):
    cells = draw(valid_row())
    kinds = ["columns", "non_numeric", "label", "pixel"]
    kinds += ([] if is_first_line else ["header"]) + (["truncated"] if is_last else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "columns":
        count = draw(st.integers(1, 2 * COLUMNS).filter(lambda n: n != COLUMNS))
        cells = (cells * 2)[:count]
    elif kind == "non_numeric":
        cells[draw(st.integers(0, COLUMNS - 1))] = draw(st.text("abcxyz_ ", min_size=1, max_size=5))
    elif kind == "label":
        cells[0] = str(draw(st.one_of(st.integers(10, 10_000), st.integers(-10_000, -1))))
    elif kind == "pixel":
        cells[draw(st.integers(1, 784))] = str(draw(st.one_of(st.integers(256, 10**6), st.integers(-999, -1))))
    elif kind == "header":
        cells = HEADER.split(",")
    else:  # a truncated last line: the file stops partway through the row
        cells = cells[: draw(st.integers(1, COLUMNS - 1))]
    return cells


@st.composite
def csv_file(draw):
    header = draw(st.booleans())
    count = draw(st.integers(1, 6))
    bad = draw(st.none() | st.integers(0, count - 1))
    rows = [
        draw(malformed_row(i == 0 and not header, i == count - 1)) if i == bad else draw(valid_row())
        for i in range(count)
    ]
    text = (HEADER + "\n" if header else "") + "\n".join(",".join(r) for r in rows)
    ends_with_newline = draw(st.booleans()) and not (bad == count - 1 and len(rows[bad]) < COLUMNS)
    return text + ("\n" if ends_with_newline else ""), header, rows, bad


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=csv_file())
def test_loads_exactly_the_valid_rows_or_names_the_first_bad_line(tmp_path, case):
    text, header, rows, bad = case
    path = tmp_path / "case.csv"
    path.write_text(text)
    if bad is None:
        labels, pixels = read_csv(path)
        assert labels.tolist() == [int(r[0]) for r in rows]
        assert pixels.tolist() == [[int(v) for v in r[1:]] for r in rows]
    else:
        try:
            read_csv(path)
        except CsvFormatError as error:
            assert error.line == bad + 1 + header, str(error)
            assert str(path) in str(error)
        else:
            raise AssertionError(f"row {bad + 1 + header} is malformed but the file loaded")


def test_a_header_row_in_the_wrong_place_says_so(tmp_path):
    path = tmp_path / "two_headers.csv"
    path.write_text(HEADER + "\n" + ",".join(["1"] + ["0"] * 784) + "\n" + HEADER + "\n")
    with pytest.raises(CsvFormatError, match="header row is allowed only on line 1") as error:
        read_csv(path)
    assert error.value.line == 3


def test_a_truncated_last_line_says_so(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text(",".join(["1"] + ["0"] * 784) + "\n" + ",".join(["2"] + ["0"] * 300))
    with pytest.raises(CsvFormatError, match="truncated last line") as error:
        read_csv(path)
    assert error.value.line == 2


def test_read_csv_returns_labels_and_pixels_as_written(tmp_path):
    labels, pixels = synthetic(5)
    got_labels, got_pixels = read_csv(write_csv(tmp_path / "a.csv", labels, pixels))
    assert got_labels.tolist() == labels.tolist()
    assert torch.equal(got_pixels, torch.tensor(pixels, dtype=torch.uint8))


def test_a_header_row_is_skipped_not_read_as_data(tmp_path):
    labels, pixels = synthetic(4)
    plain = read_csv(write_csv(tmp_path / "plain.csv", labels, pixels))
    headed = read_csv(write_csv(tmp_path / "headed.csv", labels, pixels, header=True))
    assert torch.equal(plain[0], headed[0]) and torch.equal(plain[1], headed[1])


def test_the_csv_is_parsed_once_then_loaded_from_the_cache(tiny_csv, tmp_path, monkeypatch):
    first = load_csv(tiny_csv, tmp_path / "cache")
    monkeypatch.setattr(csv_files, "read_csv", lambda path: pytest.fail("parsed the CSV again"))
    second = load_csv(tiny_csv, tmp_path / "cache")
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


def test_a_changed_csv_is_parsed_again(tmp_path):
    path = write_csv(tmp_path / "a.csv", *synthetic(3))
    load_csv(path, tmp_path / "cache")
    labels, pixels = synthetic(6, seed=1)
    write_csv(path, labels, pixels)
    assert load_csv(path, tmp_path / "cache")[0].tolist() == labels.tolist()


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("3," + ",".join(["0"] * 783), "784 columns, expected 785"),
        ("12," + ",".join(["0"] * 784), "label 12 is outside 0..9"),
        ("3," + ",".join(["0"] * 783) + ",256", "pixel 256 is outside 0..255"),
        ("3," + ",".join(["0"] * 783) + ",x", "'x' is not an integer"),
    ],
)
def test_a_bad_row_is_reported_with_file_and_line(tmp_path, line, problem):
    path = write_csv(tmp_path / "bad.csv", *synthetic(3))
    with open(path, "a") as f:
        f.write(line + "\n")
    with pytest.raises(CsvFormatError, match=problem) as error:
        read_csv(path)
    assert error.value.line == 4 and str(path) in str(error.value)


def test_missing_and_empty_files_say_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such CSV file"):
        read_csv(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(CsvFormatError, match="empty"):
        read_csv(tmp_path / "empty.csv")


def test_a_cache_with_the_wrong_shapes_is_made_again(tiny_csv, tmp_path):
    labels, pixels = load_csv(tiny_csv, tmp_path / "cache")
    (cache,) = (tmp_path / "cache").glob("*.pt")
    saved = torch.load(cache, weights_only=True)
    torch.save({**saved, "pixels": saved["pixels"][:, :10]}, cache)  # the right source, the wrong shape
    again = load_csv(tiny_csv, tmp_path / "cache")
    assert torch.equal(again[1], pixels) and torch.equal(again[0], labels)


def test_a_broken_cache_that_cannot_be_moved_aside_is_left_and_the_csv_parsed(tiny_csv, tmp_path, monkeypatch):
    import gan.file_safety

    pixels = load_csv(tiny_csv, tmp_path / "cache")[1]
    (cache,) = (tmp_path / "cache").glob("*.pt")
    cache.write_bytes(b"broken")

    def read_only(*_):  # a read-only cache folder (root ignores chmod, so the refusal is simulated)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(gan.file_safety.os, "replace", read_only)
    with pytest.warns(UserWarning, match="cannot write the CSV cache"):
        assert torch.equal(load_csv(tiny_csv, tmp_path / "cache")[1], pixels)


def test_a_csv_too_large_for_the_memory_is_refused_before_it_is_parsed(tiny_csv, monkeypatch):
    monkeypatch.setattr(csv_files, "available_memory", lambda: 1000)
    with pytest.raises(CsvFormatError, match=r"200 rows need 0 MiB as uint8, but 0 MiB of memory are available"):
        read_csv(tiny_csv)


def test_the_parse_walks_its_chunks_into_one_uint8_array(tiny_csv, monkeypatch):
    whole = read_csv(tiny_csv)
    monkeypatch.setattr(csv_files, "CHUNK_ROWS", 7)  # 200 rows: 28 chunks of 7 and one of 4
    chunked = read_csv(tiny_csv)
    assert torch.equal(whole[0], chunked[0]) and torch.equal(whole[1], chunked[1])
    assert chunked[1].dtype == torch.uint8 and chunked[1].shape == (200, 784)


@pytest.mark.parametrize("cell", ["1_0", "\u0661\u0662", "0x1f"])
def test_a_cell_that_int_half_accepts_is_named_by_line_and_column(tmp_path, cell):
    labels, pixels = synthetic(3)
    path = write_csv(tmp_path / "odd.csv", labels, pixels)
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[5] = cell
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CsvFormatError, match=rf"line 2: column 6: '{cell}' is not an integer"):
        read_csv(path)
