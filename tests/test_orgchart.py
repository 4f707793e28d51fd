"""Bring your own organization: org charts and observed networks, good files and bad ones."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from sim.config import ConfigError, to_config
from sim.model import AgoraModel
from sim.org.network import CROSS_UNIT, PEER, REPORTS_TO
from sim.org.orgchart import OrgChartError, load_comm_network, load_org_chart
from sim.preflight import check

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "data" / "sample_orgchart.csv"
NETWORK = ROOT / "data" / "sample_network.csv"


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_chart_reproduces_its_reporting_lines_exactly():
    rows = _rows(CHART)
    chart = load_org_chart(CHART)
    assert 200 <= chart.size == len(rows) <= 500
    assert list(chart.ids) == [r["id"] for r in rows]
    assert chart.manager_ids() == tuple(r["manager_id"] or None for r in rows)
    assert chart.tree.level.tolist() == [int(r["level"]) for r in rows]
    assert [chart.units[u] if u >= 0 else "" for u in chart.tree.unit] == [r["unit"] for r in rows]
    assert list(chart.kinds) == [r["kind"] for r in rows]
    assert set(chart.units) == {
        "Sales",
        "Engineering",
        "Operations",
        "Finance",
        "HR",
        "Customer Support",
    }
    # Rows come in id order, not chart order: some managers come after their reports.
    assert (chart.tree.manager > np.arange(chart.size)).any()


def test_a_model_on_the_chart_has_exactly_its_reporting_lines_and_observed_ties():
    rows = _rows(CHART)
    model = AgoraModel({"steps": 2, "org": {"chart": str(CHART), "network": str(NETWORK)}}, seed=3)
    net, ids = model.network, [r["id"] for r in rows]
    assert net.n_individuals == len(rows)
    reports = net.edges[net.edge_type == REPORTS_TO]
    got = {(ids[a], ids[b]) for a, b in reports}
    assert got == {(r["id"], r["manager_id"]) for r in rows if r["manager_id"]}

    unit = {r["id"]: r["unit"] for r in rows}
    observed = {frozenset((e["source"], e["target"])) for e in _rows(NETWORK)}
    lines = {frozenset(p) for p in got}
    talk = net.edges[(net.edge_type == PEER) | (net.edge_type == CROSS_UNIT)]
    kinds = net.edge_type[(net.edge_type == PEER) | (net.edge_type == CROSS_UNIT)]
    ties = {frozenset((ids[a], ids[b])): k for (a, b), k in zip(talk, kinds)}
    # The observed network replaces the generated ties; a tie on a reporting line stays one.
    assert set(ties) == observed - lines
    for pair, kind in ties.items():
        a, b = sorted(pair)
        same = unit[a] == unit[b] and unit[a] != ""
        assert kind == (PEER if same else CROSS_UNIT)
    model.run(2)
    assert len(model.metrics_frame()) == 3


def test_row_order_does_not_matter(tmp_path):
    rows = _rows(CHART)
    shuffled = [rows[i] for i in np.random.default_rng(5).permutation(len(rows))]
    path = tmp_path / "shuffled.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(shuffled)
    a, b = load_org_chart(CHART), load_org_chart(path)
    pairs = {(i, m) for i, m in zip(a.ids, a.manager_ids())}
    assert pairs == {(i, m) for i, m in zip(b.ids, b.manager_ids())}
    level_a = dict(zip(a.ids, a.tree.level.tolist()))
    assert level_a == dict(zip(b.ids, b.tree.level.tolist()))


def test_graphml_network_equals_the_csv_edge_list(tmp_path):
    chart = load_org_chart(CHART)
    g = nx.Graph()
    g.add_edges_from((e["source"], e["target"]) for e in _rows(NETWORK))
    path = tmp_path / "net.graphml"
    nx.write_graphml(g, path)
    u1, v1 = load_comm_network(NETWORK, chart)
    u2, v2 = load_comm_network(path, chart)
    assert np.array_equal(u1, u2) and np.array_equal(v1, v2)
    assert (u1 < v1).all() and len(u1) == g.number_of_edges()


def test_loads_are_cached_until_the_file_changes(tmp_path):
    path = _write(tmp_path, "c.csv", "id,manager_id,unit\na,,\nb,a,X\n")
    first = load_org_chart(path)
    assert load_org_chart(path) is first
    path.write_text("id,manager_id,unit\na,,\nb,a,X\nc,a,Y\n", encoding="utf-8")
    os.utime(path, ns=(1, first_mtime := path.stat().st_mtime_ns + 10**9))
    assert path.stat().st_mtime_ns == first_mtime
    assert load_org_chart(path).size == 3


def test_a_relative_path_is_found_from_the_project_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    chart = load_org_chart("data/sample_orgchart.csv")
    assert chart.path == CHART.resolve()
    cfg = to_config({"org": {"chart": "data/sample_orgchart.csv"}})
    assert cfg.org.chart == "data/sample_orgchart.csv"


HEADER = "id,manager_id,unit\n"
BAD_CHARTS = [
    ("", r"the file is empty"),
    ("\n\n", r"the file is empty"),
    (HEADER, r"a header but no rows"),
    ("id,unit\nceo,\n", r"line 1: missing column 'manager_id'"),
    ("id,manager_id\nceo,\n", r"line 1: missing column 'unit'"),
    (
        HEADER + "ceo,,\nann,ceo,Sales\nbob,zed,Sales\n",
        r"line 4: id 'bob' reports to manager_id 'zed', which is not an id in the file",
    ),
    (
        HEADER + "ceo,,\nann,ceo,Sales\nann,ceo,Ops\n",
        r"line 4: duplicate id 'ann' \(first on line 3\)",
    ),
    (
        HEADER + "ceo,,\nann,,Sales\nbob,ann,Sales\n",
        r"line 3: several roots: 2 people have no manager_id \('ceo' \(line 2\), 'ann' \(line 3\)\)",
    ),
    (
        HEADER + "ceo,,\nann,bob,Sales\nbob,cy,Sales\ncy,ann,Sales\n",
        r"line 3: a cycle in the reporting chain: 'ann' -> 'bob' -> 'cy' -> 'ann'",
    ),
    (
        HEADER + "ceo,,\nann,ann,Sales\n",
        r"line 3: a cycle in the reporting chain: 'ann' is their own manager",
    ),
    (
        HEADER + "ann,bob,Sales\nbob,ann,Sales\n",
        r"line 2: a cycle in the reporting chain: 'ann' -> 'bob' -> 'ann'",
    ),
    (HEADER + "ceo,,\n,ceo,Sales\n", r"line 3: empty id"),
    (
        "id,manager_id,unit,level\nceo,,,0\nann,ceo,Sales,2\n",
        r"line 3: level 2 given for id 'ann', but the reporting chain puts them at level 1 "
        r"\(ceo -> ann\)",
    ),
    (
        "id,manager_id,unit,level\nceo,,,0\nann,ceo,Sales,two\n",
        r"line 3: level 'two' is not a whole number",
    ),
    (
        HEADER + "ceo,,\nann,ceo,Sales\nbob,ann,\n",
        r"line 4: id 'bob' has no unit but reports to 'ann' in unit 'Sales'",
    ),
    (HEADER + "ceo,,\nann,ceo,\n", r"the unit column is empty on every row"),
    (HEADER + "ceo,,\nann,ceo,Sales,extra\n", r"line 3: 4 cells but the header has 3"),
]


@pytest.mark.parametrize("text,match", BAD_CHARTS)
def test_each_bad_chart_gives_its_error_before_anything_runs(tmp_path, text, match):
    path = _write(tmp_path, "chart.csv", text)
    with pytest.raises(OrgChartError, match=match) as err:
        check(to_config({"org": {"chart": str(path)}}))
    assert isinstance(err.value, ConfigError)
    assert str(path) in str(err.value), "the error names the file"


GOOD = HEADER + "ceo,,\nann,ceo,Sales\nbob,ann,Sales\ncy,ceo,Ops\n"
BAD_NETWORKS = [
    ("net.csv", "", r"the file is empty"),
    ("net.csv", "source,target\n", r"a header but no rows"),
    ("net.csv", "from,to\nann,bob\n", r"line 1: missing column 'source'"),
    (
        "net.csv",
        "source,target\nann,bob\nbob,zed\n",
        r"line 3: id 'zed' is not an id in the org chart",
    ),
    ("net.csv", "source,target\nann,bob\ncy,cy\n", r"line 3: a self-loop \('cy' to itself\)"),
    (
        "net.graphml",
        '<?xml version="1.0"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        '<graph edgedefault="undirected">\n<node id="ann"/>\n<node id="zed"/>\n'
        '<edge source="ann" target="zed"/>\n</graph>\n</graphml>\n',
        r"line 5: node id 'zed' is not an id in the org chart",
    ),
    (
        "net.graphml",
        '<?xml version="1.0"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        '<graph edgedefault="undirected">\n<edge source="ann" target="ann"/>\n</graph>\n'
        "</graphml>\n",
        r"line 4: a self-loop",
    ),
    (
        "net.graphml",
        '<?xml version="1.0"?>\n<graphml>\n<graph>\n<edge source="ann"\n',
        r"line \d+: not well-formed GraphML",
    ),
]


@pytest.mark.parametrize("name,text,match", BAD_NETWORKS)
def test_each_bad_network_gives_its_error_before_anything_runs(tmp_path, name, text, match):
    chart = _write(tmp_path, "chart.csv", GOOD)
    net = _write(tmp_path, name, text)
    with pytest.raises(ConfigError, match=match):
        AgoraModel({"org": {"chart": str(chart), "network": str(net)}})


def test_missing_files_and_a_network_without_chart():
    with pytest.raises(ConfigError, match="org chart nowhere.csv: no such file"):
        to_config({"org": {"chart": "nowhere.csv"}})
    with pytest.raises(ConfigError, match="org.network needs org.chart"):
        to_config({"org": {"network": str(NETWORK)}})
