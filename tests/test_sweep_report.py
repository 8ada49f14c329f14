"""The sweep report's pooled table: mean ± standard error over seeds, from run folders as Hydra writes them."""

import json
import re

import pytest
import yaml

from gan.evaluation.sweep_report import grouped_table, read_sweep


def _run(sweep, name, overrides, modes=None, kl=None, seconds=100.0, accuracy=0.99):
    run = sweep / name
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    if modes is not None:
        metrics = {"modes": modes, "possible_modes": 1000, "kl": kl, "confident": 0.5, "judge_fd": 10.0,
                   "class_share": {"0": 0.5, "1": 0.5}, "blends": {"4 & 9": 0.01}}  # as summary.json holds them
        summary = {"updates": 4000, "fit_seconds": seconds, "metrics": metrics, "metrics_per_epoch": [metrics]}
        summary |= {"dataset": "stacked_mnist", "judge": {"judge": "j.pt", "judge_accuracy": accuracy}}
        (run / "summary.json").write_text(json.dumps(summary))


def test_grouped_table_pools_seeds_with_mean_and_standard_error(tmp_path):
    for seed, modes, kl in ((0, 900, 1.0), (1, 950, 0.8), (2, 1000, 0.6)):
        _run(tmp_path, f"p1-{seed}", ["model.pack=1", f"seed={seed}"], modes, kl)
    _run(tmp_path, "p2-0", ["model.pack=2", "seed=0"], 1000, 0.05, seconds=200)
    _run(tmp_path, "p2-1", ["model.pack=2", "seed=1"])  # failed: no summary
    rows = grouped_table(read_sweep(tmp_path), over="seed").splitlines()
    assert rows[0].startswith("| model.pack | dataset (judge accuracy) | runs | updates | modes | KL |")
    unpacked = rows[2].split(" | ")
    # modes 900, 950, 1000: mean 950, sample standard deviation 50, standard error 50 / sqrt(3) = 28.9
    assert unpacked[1:6] == ["stacked_mnist (99.0%)", "3 of 3", "4000", "950.0 ± 28.9 / 1000", "0.800 ± 0.115"]
    packed = rows[3].split(" | ")
    assert packed[2:6] == ["1 of 2", "4000", "1000.0 / 1000", "0.050"] and packed[-1] == "200 |"


def test_a_judge_below_the_floor_is_flagged_in_both_tables(tmp_path):
    from gan.evaluation.sweep_report import markdown_table

    _run(tmp_path, "a", ["seed=0"], 10, 0.0, accuracy=0.098)
    for table in (grouped_table(read_sweep(tmp_path)), markdown_table(read_sweep(tmp_path))):
        assert "stacked_mnist (9.8%) **UNTRUSTWORTHY**" in table


def test_grouped_table_of_an_empty_setting_says_so(tmp_path):
    _run(tmp_path, "a", ["model.pack=1", "seed=0"])
    _run(tmp_path, "b", ["model.pack=2", "seed=0"])
    assert "| 1 | - | 0 of 1 | - | - |" in grouped_table(read_sweep(tmp_path))


@pytest.mark.parametrize("values", [[1.0], [2.0, 4.0]])
def test_mean_cell(values):
    from gan.evaluation.sweep_report import _mean_cell

    assert _mean_cell(values, 1) == ("1.0" if len(values) == 1 else "3.0 ± 1.0")


def test_a_damaged_summary_is_marked_and_the_other_runs_are_reported(tmp_path):
    from gan.evaluation.sweep_report import markdown_table

    _run(tmp_path, "a", ["seed=0"], 900, 1.0)
    _run(tmp_path, "b", ["seed=1"], 950, 0.8)
    (tmp_path / "b" / "summary.json").write_text('{"updates": 40')  # cut short
    runs = read_sweep(tmp_path)
    assert runs[0]["summary"]["metrics"]["modes"] == 900
    assert runs[1]["summary"] is None and runs[1]["status"].startswith("unreadable summary.json")
    table = markdown_table(runs)
    assert "900" in table and "unreadable summary.json" in table


def test_time_to_quality_tables_and_draws_each_epoch_against_images_and_minutes(tmp_path):
    from gan.evaluation.sweep_report import quality_figure, quality_table, read_run

    run = tmp_path / "model=dcgan"
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "overrides.yaml").write_text("- model=dcgan\n")
    epochs = [
        {"epoch": e, "updates": 100 * (e + 1), "images": 6400 * (e + 1), "seconds": 60.0 * (e + 1), "confident": c,
         "judge_is": 5.0 + e, "judge_fd": 50.0 - e, "precision": 0.5, "recall": 0.5, "modes": 10}
        for e, c in enumerate([0.4, 0.6])
    ]  # fmt: skip
    (run / "summary.json").write_text(json.dumps({"metrics_per_epoch": epochs}))
    table = quality_table([read_run(run)])
    assert "| model=dcgan | 2 | 12,800 | 2.0 | 60.0% | 6.00 | 49.0 | 0.50 | 0.50 |" in table
    figure = quality_figure([read_run(run)])
    assert len(figure.axes) == 10 and figure.axes[5].lines[0].get_xdata().tolist() == [1.0, 2.0]  # minutes


def test_time_to_quality_on_a_2d_mixture_shows_modes_and_high_quality(tmp_path):
    from gan.evaluation.sweep_report import quality_figure, quality_table, read_run

    run = tmp_path / "experiment=grid25"
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "overrides.yaml").write_text("- experiment=grid25\n")
    epochs = [
        {"epoch": e, "updates": 2000 * (e + 1), "images": 100000 * (e + 1), "seconds": 30.0 * (e + 1), "modes": m,
         "possible_modes": 25, "kl": 0.5 / (e + 1), "high_quality": q, "precision": 0.8, "recall": 0.7}
        for e, (m, q) in enumerate([(20, 0.5), (25, 0.9)])
    ]  # fmt: skip
    (run / "summary.json").write_text(json.dumps({"metrics_per_epoch": epochs}))
    table = quality_table([read_run(run)])
    assert "| modes | high_quality | kl |" in table
    assert "| experiment=grid25 | 2 | 200,000 | 1.0 | 25 | 90.0% | 0.250 | 0.80 | 0.70 |" in table
    figure = quality_figure([read_run(run)])
    assert len(figure.axes) == 10 and figure.axes[1].lines[0].get_ydata().tolist() == [0.5, 0.9]  # high quality


def test_a_run_that_kept_the_presets_value_is_labelled_with_it_not_a_blank(tmp_path):
    from gan.evaluation.sweep_report import markdown_table, quality_figure

    _run(tmp_path, "a", ["seed=0", "data.batch_size=100"], 10, 0.1)
    _run(tmp_path, "b", ["seed=0"], 12, 0.2)  # took the preset's batch: its config says which
    (tmp_path / "b" / ".hydra" / "config.yaml").write_text("data:\n  batch_size: 50\n  name: ${oc.env:HOME}\n")
    runs = read_sweep(tmp_path)
    assert [row.split(" | ")[0] for row in markdown_table(runs).splitlines()[2:]] == ["| 100", "| 50"]
    assert [r.split(" | ")[0] for r in grouped_table(runs).splitlines()[2:]] == ["| 100", "| 50"]
    for run in runs:
        run["summary"]["metrics_per_epoch"][0] |= {"epoch": 0, "images": 1000}
    labels = [line.get_label() for line in quality_figure(runs).axes[0].lines]
    assert labels == ["data.batch_size=100", "data.batch_size=50"]
    (tmp_path / "b" / ".hydra" / "config.yaml").write_text("data: [unclosed\n")  # damaged: a blank, no crash
    assert [r.split(" | ")[0] for r in markdown_table(read_sweep(tmp_path)).splitlines()[2:]] == ["| 100", "| "]


@pytest.mark.parametrize(
    ("name", "content", "damage"),
    [
        ("status.json", "{not json", "damaged: status.json"),
        ("status.json", "[1, 2]", "damaged: status.json (not a mapping)"),
        (".hydra/overrides.yaml", "{a: [", "damaged: .hydra/overrides.yaml"),
        (".hydra/overrides.yaml", "{seed: 1}", "damaged: .hydra/overrides.yaml (not a list"),
        ("progress.csv", "network,update,loss\nD,x,1.0\n", "damaged: progress.csv"),
        ("progress.csv", "update,loss\n1,1.0\n", "damaged: progress.csv"),
        ("summary.json", '{"updates": "many", "metrics": {}}', "unreadable summary.json (updates is not a number)"),
        ("summary.json", '{"metrics": {"modes": "x"}}', "unreadable summary.json (metrics is not"),
    ],
)
def test_a_damaged_or_crafted_file_marks_its_run_and_the_others_are_reported(tmp_path, name, content, damage):
    from gan.evaluation.sweep_report import markdown_table, quality_table, report_figure

    _run(tmp_path, "a", ["seed=0"], 900, 1.0)
    _run(tmp_path, "b", ["seed=1"], 950, 0.8)
    (tmp_path / "b" / name).write_text(content)
    runs = read_sweep(tmp_path)
    assert runs[1]["status"].startswith(damage), runs[1]["status"]
    for table in (markdown_table(runs), grouped_table(runs)):
        assert "900" in table
    quality_table(runs), report_figure(runs)  # drawn and tabled without a traceback


def test_override_values_and_summary_strings_are_escaped_in_the_report(tmp_path):
    from gan.evaluation.sweep_report import markdown_table

    _run(tmp_path, "a", ["seed=0", "data.name=x|y<script>alert(1)</script>"], 900, 1.0)
    _run(tmp_path, "b", ["seed=1", "data.name=<img src=http://evil/x.png>"], 950, 0.8)
    (tmp_path / "b" / "status.json").write_text(json.dumps({"status": "failed", "error": "a|b\n| c | [x](http://e)"}))
    summary = json.loads((tmp_path / "a" / "summary.json").read_text()) | {"dataset": "m|n <b>"}
    (tmp_path / "a" / "summary.json").write_text(json.dumps(summary))
    table = markdown_table(read_sweep(tmp_path))
    for line in table.splitlines():  # every row has the header's cells: no "|" split one
        assert line.replace("\\|", "").count("|") == table.splitlines()[0].count("|"), line
    assert "<script>" not in table and "<img" not in table and "<b>" not in table
    assert re.search(r"(?<!\\)\[", table) is None  # no link: every "[" escaped
    assert "&lt;script&gt;" in table and "x\\|y" in table
