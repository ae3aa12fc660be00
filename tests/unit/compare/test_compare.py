"""compare(): rows and verdicts, the default gate, exit codes, mismatches and the stale hint."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vmmonbench.compare import (
    Comparison,
    ConfigurationPair,
    Row,
    Verdict,
    compare,
    exit_code,
    parse_rules,
)
from vmmonbench.errors import EXIT_FAILED, EXIT_OK, BadInputError
from vmmonbench.result_records import Consistency, CycleKind, StatementRecord
from vmmonbench.results import Results, RunStatus
from vmmonbench.units import Unit

from .conftest import (
    FIXTURES,
    LEGACY,
    OPTIMIZED,
    statement,
    with_run,
    with_statement,
    without_runs,
)


def _rows(comparison: Comparison, subject: str, config: str = OPTIMIZED) -> list[Row]:
    return [r for r in comparison.rows if r.subject == subject and r.configuration == config]


def _row(comparison: Comparison, subject: str, config: str = OPTIMIZED) -> Row:
    rows = _rows(comparison, subject, config)
    assert len(rows) == 1, f"{subject}: {rows}"
    return rows[0]


def test_identical_results_pass_with_every_row_unchanged(smoke: Results) -> None:
    comparison = compare(smoke, smoke)
    assert exit_code(comparison) == EXIT_OK
    assert not comparison.regressed
    assert comparison.default_rules
    assert comparison.checks
    assert all(not check.failed for check in comparison.checks)
    assert {row.verdict for row in comparison.rows} == {Verdict.UNCHANGED}
    assert comparison.stale_hint is None
    assert comparison.mismatches == ()
    labels = [pair.label for pair in comparison.configurations]
    assert labels == [run.label for run in smoke.runs]


def test_rows_cover_summary_metrics_and_statements(smoke: Results) -> None:
    comparison = compare(smoke, smoke)
    subjects = {row.subject for row in comparison.rows if row.configuration == OPTIMIZED}
    for metric in (
        "statements_per_stats_cycle",
        "db_time_per_stats_cycle_s",
        "db_time_s",
        "rows_written",
        "rpc_calls",
        "rpc_bytes",
        "stats_cycles",
        "effective_stats_period_s",
        "utilization",
        "command_wait_p99_s",
        "divergent_vms",
        "UpdateVmDynamic calls",
        "UpdateVmDynamic calls_per_stats_cycle",
        "UpdateVmDynamic rows",
        "UpdateVmDynamic rows_per_stats_cycle",
        "UpdateVmDynamic total_s",
        "UpdateVmDynamic mean_s",
    ):
        assert metric in subjects
    row = _row(comparison, "UpdateVmDynamic calls")
    assert row.sql is not None
    assert row.sql.startswith("UPDATE vm_dynamic")


def test_more_calls_of_a_statement_is_a_regression_named_in_one_line(smoke: Results) -> None:
    new = with_statement(smoke, "UpdateVmDynamic", calls=58)
    comparison = compare(smoke, new)
    assert exit_code(comparison) == EXIT_FAILED
    total = _row(comparison, "UpdateVmDynamic calls")
    assert total.verdict is Verdict.REGRESSED
    assert (total.change, total.change_ratio) == (29.0, 1.0)
    assert not total.failed  # the default gate counts per statistics cycle
    row = _row(comparison, "UpdateVmDynamic calls_per_stats_cycle")
    assert (row.baseline, row.new) == (29 / 4, 58 / 4)
    assert row.verdict is Verdict.REGRESSED
    assert [check.explanation for check in comparison.failures] == [
        f"{OPTIMIZED}: UpdateVmDynamic calls_per_stats_cycle 7.25 -> 14.5 (+100%) exceeds +0"
    ]
    assert row.failures == (comparison.failures[0].explanation,)
    assert comparison.ordered_rows()[0] == row


def test_fewer_calls_is_an_improvement_and_the_baseline_looks_stale(smoke: Results) -> None:
    new = with_statement(smoke, "UpdateVmDynamic", calls=3)
    comparison = compare(smoke, new)
    assert exit_code(comparison) == EXIT_OK
    assert _row(comparison, "UpdateVmDynamic calls").verdict is Verdict.IMPROVED
    assert comparison.stale == (
        f"{OPTIMIZED}: UpdateVmDynamic calls_per_stats_cycle 7.25 -> 0.75 (-90%)",
    )
    hint = comparison.stale_hint
    assert hint is not None
    assert "baseline looks stale" in hint
    assert "UpdateVmDynamic calls_per_stats_cycle 7.25 -> 0.75" in hint


def test_a_new_statement_is_new_and_its_calls_fail_the_gate(smoke: Results) -> None:
    run = smoke.run(OPTIMIZED)
    assert run is not None
    added = StatementRecord(
        label="GetNumaNodeByVmId",
        sql="SELECT * FROM vm_numa_node WHERE vm_id = ?",
        calls=89,
        rows=0,
        total_s=0.01,
        mean_s=0.0001,
    )
    new = with_run(smoke, OPTIMIZED, statements=(*run.statements, added))
    comparison = compare(smoke, new)
    rows = _rows(comparison, "GetNumaNodeByVmId calls")
    assert [r.verdict for r in rows] == [Verdict.NEW]
    assert rows[0].baseline is None
    assert exit_code(comparison) == EXIT_FAILED
    assert [c.explanation for c in comparison.failures] == [
        f"{OPTIMIZED}: GetNumaNodeByVmId calls_per_stats_cycle 0 -> 22.25 (from 0) exceeds +0"
    ]


def _without_update_vm_dynamic(smoke: Results) -> Results:
    run = smoke.run(OPTIMIZED)
    assert run is not None
    kept = tuple(s for s in run.statements if s.label != "UpdateVmDynamic")
    return with_run(smoke, OPTIMIZED, statements=kept)


def test_a_statement_gone_fails_the_gate_and_is_no_improvement(smoke: Results) -> None:
    comparison = compare(smoke, _without_update_vm_dynamic(smoke))
    for metric in ("calls", "calls_per_stats_cycle", "rows", "total_s", "mean_s"):
        assert _row(comparison, f"UpdateVmDynamic {metric}").verdict is Verdict.GONE
    assert exit_code(comparison) == EXIT_FAILED
    assert [c.explanation for c in comparison.failures] == [
        f"{OPTIMIZED}: statement UpdateVmDynamic gone from the new results"
    ]
    assert comparison.stale == ()  # gone is not beaten: no "refresh the baseline" hint


def test_a_statement_gone_passes_when_gone_ones_are_allowed(smoke: Results) -> None:
    comparison = compare(smoke, _without_update_vm_dynamic(smoke), allow_gone=True)
    assert exit_code(comparison) == EXIT_OK
    assert _row(comparison, "UpdateVmDynamic calls").verdict is Verdict.GONE
    assert comparison.allow_gone


def test_a_changed_sql_text_under_the_same_label_is_the_same_statement(smoke: Results) -> None:
    old_sql = statement(smoke, "base", "UpdateVmDynamic").sql
    sql = old_sql.replace("UPDATE vm_dynamic SET", "UPDATE vm_dynamic SET x=?,")
    new = with_statement(smoke, "UpdateVmDynamic", sql=sql)
    comparison = compare(smoke, new)
    row = _row(comparison, "UpdateVmDynamic calls")
    assert row.verdict is Verdict.UNCHANGED
    assert "SQL text changed" in row.explanation
    assert row.sql == sql
    assert exit_code(comparison) == EXIT_OK


def test_configurations_on_one_side_are_new_or_gone(smoke: Results) -> None:
    base = without_runs(smoke, LEGACY)
    new = without_runs(smoke, "host-lock+polling-only+3.6")
    comparison = compare(base, new)
    assert ConfigurationPair(None, LEGACY) in comparison.configurations
    assert ConfigurationPair("host-lock+polling-only+3.6", None) in comparison.configurations
    new_row = _row(comparison, "configuration", LEGACY)
    gone_row = _row(comparison, "configuration", "host-lock+polling-only+3.6")
    assert (new_row.verdict, gone_row.verdict) == (Verdict.NEW, Verdict.GONE)
    assert len(_rows(comparison, "statements", LEGACY)) == 0
    # a configuration the baseline had and the new results lost fails; a new one does not
    assert exit_code(comparison) == EXIT_FAILED
    assert [c.explanation for c in comparison.failures] == [
        "host-lock+polling-only+3.6: configuration gone from the new results"
    ]
    assert gone_row.failed
    assert exit_code(compare(base, new, allow_gone=True)) == EXIT_OK


def test_a_figure_the_new_results_lack_fails_and_is_no_improvement(smoke: Results) -> None:
    unchecked = Consistency(checked=False, reason="run stopped before the end")
    new = with_run(smoke, OPTIMIZED, consistency=unchecked)
    comparison = compare(smoke, new)
    row = _row(comparison, "divergent_vms")
    assert (row.baseline, row.new, row.verdict) == (0.0, None, Verdict.GONE)
    assert exit_code(comparison) == EXIT_FAILED
    assert [c.explanation for c in comparison.failures] == [
        f"{OPTIMIZED}: divergent_vms 0 -> missing in the new results"
    ]
    assert comparison.stale == ()


def test_the_only_unmatched_configurations_on_the_same_axes_are_paired(smoke: Results) -> None:
    label = "per-vm-lock+event-plus-stats+vm-numa-skip"
    new = with_run(with_statement(smoke, "UpdateVmDynamic", calls=100), OPTIMIZED, label=label)
    comparison = compare(smoke, new)
    assert ConfigurationPair(OPTIMIZED, label) in comparison.configurations
    assert any(
        "compared per-vm-lock+event-plus-stats+4.1 (baseline)" in n for n in comparison.notes
    )
    assert _row(comparison, "UpdateVmDynamic calls", label).verdict is Verdict.REGRESSED
    assert exit_code(comparison) == EXIT_FAILED


def test_explicit_rules_replace_the_defaults(smoke: Results) -> None:
    new = with_statement(smoke, "UpdateVmDynamic", calls=58)
    new = with_statement(new, "UpdateVmStatistics", calls=5)
    only_statistics = parse_rules(["statement[UpdateVmStatistics].calls:+50%"])
    comparison = compare(smoke, new, only_statistics)
    assert not comparison.default_rules
    assert exit_code(comparison) == EXIT_OK  # +25 % is within +50 %; UpdateVmDynamic not gated
    assert f"{OPTIMIZED}: UpdateVmStatistics calls 4 -> 5 (+25%) within +50%" in [
        c.explanation for c in comparison.checks
    ]
    assert len(comparison.checks) == len(smoke.runs)  # one UpdateVmStatistics per configuration
    strict = compare(smoke, new, parse_rules(["config[*4.1].statement[Update*].calls:+10%"]))
    assert sorted(c.subject for c in strict.failures) == [
        "UpdateVmDynamic calls",
        "UpdateVmStatistics calls",
    ]


def test_a_decrease_rule_fails_when_a_count_drops(smoke: Results) -> None:
    run = smoke.run(OPTIMIZED)
    assert run is not None
    stats = [c for c in run.cycles if c.kind is CycleKind.STATS]
    kept = tuple(c for c in run.cycles if c not in stats[2:])
    new = with_run(smoke, OPTIMIZED, cycles=kept)
    comparison = compare(smoke, new, parse_rules(["stats_cycles:-10%"]))
    assert [c.explanation for c in comparison.failures] == [
        f"{OPTIMIZED}: stats_cycles 4 -> 2 (-50%) drops beyond -10%"
    ]
    assert _row(comparison, "stats_cycles").verdict is Verdict.REGRESSED  # more cycles is better


def test_statement_times_have_no_samples_and_are_gated_on_the_limit_alone(smoke: Results) -> None:
    total_s = statement(smoke, "base", "UpdateVmDynamic").total_s
    new = with_statement(smoke, "UpdateVmDynamic", total_s=total_s * 3)
    comparison = compare(smoke, new, parse_rules(["statement[UpdateVmDynamic].total_s:+10%"]))
    row = _row(comparison, "UpdateVmDynamic total_s")
    assert row.verdict is Verdict.NOT_SIGNIFICANT
    assert "no raw samples" in row.explanation
    assert exit_code(comparison) == EXIT_FAILED
    assert comparison.failures[0].explanation.endswith("(+200%) exceeds +10%")


@pytest.mark.parametrize(
    ("rule", "scope"),
    [
        ("statement[NoSuchStatement].calls:+0", "no statement matching 'NoSuchStatement'"),
        ("config[no-such-*].db_time_s:+10%", "configurations matching 'no-such-*'"),
    ],
)
def test_a_rule_matching_nothing_is_bad_input_naming_it(
    smoke: Results, rule: str, scope: str
) -> None:
    with pytest.raises(BadInputError) as caught:
        compare(smoke, smoke, parse_rules([rule]))
    assert caught.value.message.startswith(f"rule {rule!r} matches nothing in these results")
    assert scope in caught.value.message
    assert caught.value.exit_code == 2


def test_different_workloads_are_refused_unless_allowed(smoke: Results) -> None:
    new = replace(smoke, workload={**smoke.workload, "vms": 26, "seed": 8})
    with pytest.raises(BadInputError) as caught:
        compare(smoke, new, base_name="base.json", new_name="new.json")
    message = caught.value.message
    assert message.startswith("base.json and new.json are not comparable: workload differs in ")
    assert "seed 7 vs 8" in message
    assert "vms 25 vs 26" in message
    allowed = compare(smoke, new, allow_mismatch=True)
    assert allowed.mismatches == ("workload differs in seed 7 vs 8, vms 25 vs 26",)


def test_cosmetic_workload_keys_do_not_matter(smoke: Results) -> None:
    renamed = {"name": "smoke-copy", "description": "the same workload under another name"}
    new = replace(smoke, workload={**smoke.workload, **renamed})
    assert compare(smoke, new).mismatches == ()


def test_a_different_database_or_an_incomplete_run_is_a_mismatch(smoke: Results) -> None:
    new = replace(
        smoke,
        environment=replace(smoke.environment, db_dialect="postgresql"),
        status=RunStatus.INTERRUPTED,
    )
    with pytest.raises(
        BadInputError, match="database sqlite vs postgresql; new is not a complete run"
    ):
        compare(smoke, new)
    assert len(compare(smoke, new, allow_mismatch=True).mismatches) == 2


def test_no_configuration_in_common_is_bad_input_even_when_allowed(
    smoke: Results, stable: Results
) -> None:
    only_optimized = replace(smoke, runs=tuple(r for r in smoke.runs if r.label == OPTIMIZED))
    only_first = replace(stable, runs=stable.runs[:1])
    assert only_first.runs[0].label == "host-lock+polling-only+3.6"
    with pytest.raises(BadInputError, match="no configuration in common"):
        compare(only_optimized, only_first, allow_mismatch=True)


def test_two_real_runs_of_the_gate_workload_have_identical_counts(
    gate_runs: tuple[Results, Results],
) -> None:
    first, second = gate_runs
    comparison = compare(first, second, machine_independent=True)  # no work recorded then
    assert exit_code(comparison) == EXIT_OK
    counts = [row for row in comparison.rows if row.unit is Unit.COUNT]
    assert len(counts) > 200
    assert {row.verdict for row in counts} == {Verdict.UNCHANGED}
    assert comparison.stale == ()


def test_work_wobbling_under_load_passes_the_machine_independent_gate() -> None:
    first, second = (
        Results.load(FIXTURES / "compare" / f"gate-loaded-run{n}.json") for n in (1, 2)
    )
    comparison = compare(first, second, machine_independent=True)
    assert exit_code(comparison) == EXIT_OK, [c.explanation for c in comparison.failures]
    assert comparison.rules_text == "default machine-independent rules"
    work = [row for row in comparison.rows if row.unit is Unit.BLOCKS]
    assert {row.metric for row in work} == {"work", "work_per_stats_cycle"}
    moved = [row for row in work if row.baseline != row.new]
    assert moved  # the runs did differ, by less than the rules allow
    assert {row.verdict for row in work} == {Verdict.UNCHANGED}
    checked = [c for c in comparison.checks if "work_per_stats_cycle" in c.rule]
    assert len(checked) > 50


def test_more_work_per_statement_fails_naming_the_statement() -> None:
    base = Results.load(FIXTURES / "compare" / "gate-loaded-run1.json")
    entry = statement(base, "base", "GetVmNetworkInterfaceViewByVmId", LEGACY)
    assert entry.work is not None
    heavier = replace(entry.work, shared_blks_hit=entry.work.shared_blks_hit * 2)
    new = with_statement(base, "GetVmNetworkInterfaceViewByVmId", LEGACY, work=heavier)
    comparison = compare(base, new, machine_independent=True)
    assert exit_code(comparison) == EXIT_FAILED
    lines = [c.explanation for c in comparison.failures]
    assert any(
        line.startswith(f"{LEGACY}: GetVmNetworkInterfaceViewByVmId work_per_stats_cycle ")
        and line.endswith("exceeds +5%")
        for line in lines
    ), lines
    assert any(f"{LEGACY}: work_per_stats_cycle " in line for line in lines), lines
    # the count rules alone do not see it: calls and rows are the same
    assert exit_code(compare(base, new, counts_only=True)) == EXIT_OK


def test_results_without_work_compare_as_before(smoke: Results) -> None:
    comparison = compare(smoke, smoke, machine_independent=True)
    assert not [row for row in comparison.rows if row.unit is Unit.BLOCKS]
    with pytest.raises(BadInputError, match="matches nothing"):
        compare(smoke, smoke, parse_rules(["statement[*].work:+5%"]))
    with pytest.raises(BadInputError, match="choose different rules"):
        compare(smoke, smoke, counts_only=True, machine_independent=True)


def test_verdict_counts_and_ordering(smoke: Results) -> None:
    new = with_statement(smoke, "UpdateVmDynamic", calls=58)
    new = with_statement(new, "UpdateVmStatistics", calls=3)
    comparison = compare(smoke, new)
    counts = comparison.verdict_counts()
    assert set(counts) == set(Verdict)
    assert counts[Verdict.REGRESSED] == 2
    assert counts[Verdict.IMPROVED] == 2
    assert sum(counts.values()) == len(comparison.rows)
    changed = comparison.ordered_rows(changed_only=True)
    assert [r.subject for r in changed] == [
        "UpdateVmDynamic calls_per_stats_cycle",  # failed the gate: first
        "UpdateVmDynamic calls",
        "UpdateVmStatistics calls",
        "UpdateVmStatistics calls_per_stats_cycle",
    ]


def test_a_run_of_another_vmmonbench_version_is_a_warning_not_a_failure(smoke: Results) -> None:
    new = replace(smoke, vmmonbench_version="9.9.9")
    comparison = compare(smoke, new, base_name="base.json", new_name="new.json")
    assert exit_code(comparison) == EXIT_OK
    assert comparison.warnings == (
        f"base.json was written by vmmonbench {smoke.vmmonbench_version} and new.json by 9.9.9: "
        "a change of the tool can move figures too",
    )
    assert compare(smoke, smoke).warnings == ()


def test_a_configuration_that_did_not_complete_is_a_mismatch(smoke: Results) -> None:
    new = with_run(smoke, OPTIMIZED, status=RunStatus.FAILED)
    with pytest.raises(BadInputError, match="configurations that did not complete"):
        compare(smoke, new)
