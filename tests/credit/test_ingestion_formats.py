"""The streaming parsers: what a sender sees for each format and each broken file."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from credit.ingestion import textfiles
from credit.ingestion.formats import FileFormat, Layout, detect_format, open_rows
from credit.ingestion.layouts import RECORDS
from credit.kernel.errors import InvalidInput

LAYOUT = Layout(required=("subject_id", "item_code", "source_ref"), optional=("amount",))
HEADER = "subject_id,item_code,source_ref,amount\n"


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _rows(path: Path, file_format: FileFormat, **options: str) -> list[tuple[int, dict]]:
    with open_rows(path, file_format, LAYOUT, **options) as source:
        return list(source)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
def test_csv_with_or_without_bom_reads_the_same(tmp_path: Path, bom: bytes) -> None:
    text = HEADER + "7,ENF-38-SPLIT-ADMISSION,长医-001,1234.50\n\n8,AGR-INTERVIEW,长医-002,\n"
    path = _write(tmp_path, "records.csv", bom + text.encode())
    assert _rows(path, FileFormat.CSV) == [
        (2, {"subject_id": "7", "item_code": "ENF-38-SPLIT-ADMISSION", "source_ref": "长医-001",
             "amount": "1234.50"}),
        (4, {"subject_id": "8", "item_code": "AGR-INTERVIEW", "source_ref": "长医-002",
             "amount": None}),
    ]  # fmt: skip


def test_gbk_csv_is_refused_naming_the_line_and_the_way_out(tmp_path: Path) -> None:
    text = HEADER + "7,AGR-INTERVIEW,ref-1,1\n8,AGR-INTERVIEW,长医罚〔2025〕3号,2\n"
    path = _write(tmp_path, "gbk.csv", text.encode("gbk"))
    with pytest.raises(InvalidInput) as refused:
        open_rows(path, FileFormat.CSV, LAYOUT)
    assert refused.value.extra["line"] == 3
    assert "line 3 is not valid UTF-8" in refused.value.message
    assert "GBK" in refused.value.message
    assert "encoding=gb18030" in refused.value.message


def test_gbk_csv_reads_when_the_sender_names_gb18030(tmp_path: Path) -> None:
    text = HEADER + "8,AGR-INTERVIEW,长医罚〔2025〕3号,2\n"
    path = _write(tmp_path, "gbk.csv", text.encode("gbk"))
    assert _rows(path, FileFormat.CSV, encoding="gbk")[0][1]["source_ref"] == "长医罚〔2025〕3号"


def test_a_missing_required_column_is_named_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", b"subject_id,amount\n7,1\n8,2\n")
    with pytest.raises(InvalidInput) as refused:
        open_rows(path, FileFormat.CSV, LAYOUT)
    assert refused.value.field == "item_code"
    assert refused.value.extra["missing_columns"] == ["item_code", "source_ref"]
    assert "lacks the required column item_code, source_ref" in refused.value.message


def test_a_misspelt_column_is_refused_not_dropped(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", (HEADER.strip() + ",amout\n7,A,r,1,2\n").encode())
    with pytest.raises(InvalidInput, match="unknown column amout"):
        open_rows(path, FileFormat.CSV, LAYOUT)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf\n\n", "the file is empty"),
        (HEADER.encode(), "a header line but no rows"),
    ],
)
def test_an_empty_file_is_a_precise_error(tmp_path: Path, content: bytes, expected: str) -> None:
    path = _write(tmp_path, "r.csv", content)
    with pytest.raises(InvalidInput, match=expected):
        open_rows(path, FileFormat.CSV, LAYOUT)


def test_a_row_with_extra_cells_is_rejected_alone(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", (HEADER + "7,A,r1,1,surplus\n8,A,r2,2\n").encode())
    with open_rows(path, FileFormat.CSV, LAYOUT) as source:
        assert [line for line, _ in source] == [3]
        assert source.problems[0].line == 2
        assert source.problems[0].rule == "cell_count"


def test_a_sent_back_error_column_is_ignored(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", b"subject_id,item_code,source_ref,error\n7,A,r1,old reason\n")
    assert _rows(path, FileFormat.CSV) == [
        (2, {"subject_id": "7", "item_code": "A", "source_ref": "r1"})
    ]


def test_ndjson_keeps_amounts_exact_and_reports_broken_lines(tmp_path: Path) -> None:
    content = (
        '{"subject_id": 7, "item_code": "A", "source_ref": "r1", "amount": 0.1}\n'
        "\n"
        '{"subject_id": 8, "item_code": \n'
        '["not", "an", "object"]\n'
    )
    path = _write(tmp_path, "r.ndjson", content.encode())
    with open_rows(path, FileFormat.NDJSON, LAYOUT) as source:
        rows = list(source)
        assert rows == [(1, {"subject_id": 7, "item_code": "A", "source_ref": "r1",
                             "amount": Decimal("0.1")})]  # fmt: skip
        assert [(p.line, p.rule) for p in source.problems] == [(3, "json"), (4, "json_object")]
        assert source.problems[0].message.startswith("line 3 is not valid JSON")


def test_xlsx_rows_read_like_their_csv_export(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["subject_id", "item_code", "source_ref", "amount"])
    sheet.append([7, "ENF-38-SPLIT-ADMISSION", "长医-001", 1234.5])
    sheet.append([None, None, None, None])
    sheet.append([8, "AGR-INTERVIEW", 20250001, datetime(2025, 3, 1)])
    path = tmp_path / "records.xlsx"
    workbook.save(path)
    assert detect_format(path, filename="upload") is FileFormat.XLSX  # by its first bytes
    assert detect_format(path, media_type="text/csv", filename="r.csv") is FileFormat.XLSX
    assert _rows(path, FileFormat.XLSX) == [
        (2, {"subject_id": "7", "item_code": "ENF-38-SPLIT-ADMISSION", "source_ref": "长医-001",
             "amount": "1234.5"}),
        (4, {"subject_id": "8", "item_code": "AGR-INTERVIEW", "source_ref": "20250001",
             "amount": date(2025, 3, 1).isoformat()}),
    ]  # fmt: skip


def test_a_file_that_is_no_workbook_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(InvalidInput, match=r"not a readable \.xlsx workbook"):
        open_rows(path, FileFormat.XLSX, LAYOUT)


def test_legacy_xls_gets_a_way_out(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(InvalidInput, match=r"save the sheet as \.xlsx"):
        detect_format(path)


def test_records_layout_reads_the_responsible_cell_as_sent(tmp_path: Path) -> None:
    header = ",".join(RECORDS.columns)
    cells = {
        "subject_id": "7",
        "item_code": "AGR-INTERVIEW",
        "decided_on": "2025-03-01",
        "source_system": "hn",
        "source_ref": "r1",
        "responsible": "20231:主要;20232:important",
    }
    line = ",".join(cells.get(name, "") for name in RECORDS.columns)
    path = _write(tmp_path, "r.csv", f"{header}\n{line}\n".encode())
    with open_rows(path, FileFormat.CSV, RECORDS) as source:
        ((_, row),) = list(source)
    # The record schema parses `subject_id:tier;…` itself, for every channel alike.
    assert row["responsible"] == "20231:主要;20232:important"


@pytest.mark.parametrize("block", [7, 1 << 18], ids=["tiny-blocks", "default-blocks"])
def test_csv_lines_are_counted_across_quoted_newlines_and_read_blocks(
    tmp_path: Path, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(textfiles, "LINE_BLOCK", block)
    text = (
        HEADER.replace("\n", "\r\n")
        + '7,ENF-38-SPLIT-ADMISSION,"长医\r\n-001",1\r\n'
        + "\r\n"
        + "8,AGR-INTERVIEW,长医-002, 2 "  # the last line has no newline
    )
    path = _write(tmp_path, "records.csv", b"\xef\xbb\xbf" + text.encode())
    assert _rows(path, FileFormat.CSV) == [
        (2, {"subject_id": "7", "item_code": "ENF-38-SPLIT-ADMISSION",
             "source_ref": "长医\r\n-001", "amount": "1"}),
        (5, {"subject_id": "8", "item_code": "AGR-INTERVIEW", "source_ref": "长医-002",
             "amount": "2"}),
    ]  # fmt: skip


def test_an_overlong_csv_line_is_refused_with_its_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(textfiles, "MAX_LINE_BYTES", 40)
    monkeypatch.setattr(textfiles, "LINE_BLOCK", 16)
    text = HEADER + "7,AGR-INTERVIEW,r-1,1\n8,AGR-INTERVIEW," + "x" * 41 + ",2\n9,AGR,r-3,3\n"
    path = _write(tmp_path, "records.csv", text.encode())
    with pytest.raises(InvalidInput) as refused:
        _rows(path, FileFormat.CSV)
    assert refused.value.extra["line"] == 3
    assert refused.value.rule == "line_length"
