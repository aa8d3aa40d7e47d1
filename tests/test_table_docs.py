"""lakehouse.table_docs: docs/tables.md is generated from the TableSpecs and current."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.table_docs import COMMAND, DEFAULT_OUT, collect, main, render


def test_docs_tables_md_is_current() -> None:
    current = DEFAULT_OUT.read_text(encoding="utf-8") if DEFAULT_OUT.exists() else ""
    assert current == render(collect()), f"docs/tables.md is not current: run `{COMMAND}`"


def test_every_gold_and_silver_table_is_documented_with_its_columns() -> None:
    from lakehouse.gold import recon_items
    from lakehouse.silver import ledger_entries

    docs = {doc.spec.qualified_name: doc for doc in collect()}
    assert {"gold.recon_items", "gold.recon_matches", "silver.ledger_entries"} <= set(docs)
    assert {"bronze._manifest", "bronze.<feed>_quarantine", "silver._refine_state"} <= set(docs)
    text = render([docs["gold.recon_items"], docs["silver.ledger_entries"]])
    for spec in (recon_items.SPEC, ledger_entries.SPEC):
        for field in spec.schema.fields:
            assert f"| `{field.name}` |" in text, (spec.name, field.name)
    assert "| `entry_id_present` | drop | `entry_id IS NOT NULL AND entry_id <> ''` |" in text


def test_check_fails_on_a_stale_file_and_write_makes_it_current(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "tables.md"
    out.write_text("# stale\n")
    assert main(["--out", str(out), "--check"]) == 1
    assert f"{out} is not current; run `{COMMAND}`" in capsys.readouterr().err
    assert main(["--out", str(out)]) == 0
    assert main(["--out", str(out), "--check"]) == 0


def test_the_cli_command_writes_and_checks(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from lakehouse import cli

    out = tmp_path / "tables.md"
    for argv, code in (
        (["docs", "tables", "--out", str(out), "--check"], 1),
        (["docs", "tables", "--out", str(out)], 0),
        (["docs", "tables", "--out", str(out), "--check"], 0),
    ):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == code, argv
    assert out.read_text(encoding="utf-8") == render(collect())
