"""The replication report (results/report.html): built from the verdict model, opened in a real headless browser.

The browser tests print the DOM with Debian's `chromium --headless --dump-dom` and check what a reader sees: every
figure (as an embedded data: image), every check, and nothing that would leave the file (no http(s) src/href, no
script, a CSP that allows only data: images). Chromium is installed with apt-get where missing and possible; the
tests skip, saying why, where it cannot be.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from implicit_bias.artifacts import load_json
from implicit_bias.checks import PAPERS, Artifacts, Check, Criterion, Source, checks_of, verdict_of
from implicit_bias.report import (
    DISPLAY_WIDTH,
    data_uri,
    display_png,
    docs_page,
    render,
    report_context,
    report_provenance,
    report_status,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workflow" / "templates" / "report.html.j2"


# ------------------------------------------------------------------------------------------------ the browser
def _find_chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable chromium, installed with apt-get if missing (root, Debian); else skip."""
    found = _find_chromium()
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("chromium is not installed and cannot be installed here (needs apt-get as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=900)
        if proc.returncode != 0:
            pytest.skip(f"chromium could not be installed ({' '.join(cmd)}: {proc.stderr.strip()[-300:]})")
    found = _find_chromium()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium binary is on PATH")
    return found


def dump_dom(chromium: str, html: Path, tmp: Path) -> str:
    """The DOM chromium builds from the file (after parsing and applying the CSP), as HTML text."""
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp / 'profile'}"]
    proc = subprocess.run(
        [*cmd, "--dump-dom", html.resolve().as_uri()], capture_output=True, text=True, check=False, timeout=180
    )
    assert proc.returncode == 0 and "<body" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


class _Elements(HTMLParser):
    """Every start tag of a document as (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))


def elements(dom: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(dom)
    return parser.elements


def assert_self_contained(els: list[tuple[str, dict]]) -> None:
    """No element would load anything from outside the file."""
    assert not [tag for tag, _ in els if tag in ("script", "iframe", "object", "embed", "link")], "external content"
    for tag, attrs in els:
        for key in ("src", "href", "srcset", "data", "action", "poster"):
            if key not in attrs:
                continue
            value = attrs[key].strip()
            assert not value.lower().startswith(("http:", "https:", "//", "file:")), (tag, key, value[:80])
            if key == "src":
                assert value.startswith("data:image/png;base64,"), (tag, value[:80])
            if key == "href":  # in-page anchors, each paper's docs page in the checkout and the full-resolution
                # figure files beside the report (links, not loads)
                assert (
                    value.startswith("#")
                    or re.fullmatch(r"\.\./docs/papers/\w+\.md", value)
                    or re.fullmatch(r"figures/\w+/\w+\.(png|pdf)", value)
                ), (tag, value)
    csp = [a["content"] for t, a in els if t == "meta" and a.get("http-equiv", "").lower() == "content-security-policy"]
    assert csp and "default-src 'none'" in csp[0] and "img-src data:" in csp[0], csp


# ----------------------------------------------------------------------------------------------- fake inputs
def tiny_png(path: Path) -> Path:
    """A valid 1x1 PNG (written by hand: no plotting library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0")) + chunk(b"IEND", b"")
    )
    return path


def _verdict(paper, name, source, measured, criteria, kind="claim", drawn_by=None):
    func = lambda art: (measured, criteria)  # noqa: E731
    sources = (Source(*source),)
    check = Check(f"claim {name}", (), (), func, kind=kind, sources=sources, drawn_by=drawn_by)
    return verdict_of(check, Artifacts(runs={}, metrics={}, data={}, refs={}), paper, name)


def fake_verdicts() -> list[dict]:
    cos = Criterion("cos", ">", 0.99, "the paper's pass level <b>")  # markup in a reason must be escaped
    return [
        _verdict("baek2025", "fig_two", ("figure", "2"), {"cos": 0.999, "extra": 3.0}, [cos], drawn_by="fig2"),
        _verdict("baek2025", "fig_ten", ("figure", "10"), {"cos": 0.98}, [cos], drawn_by="fig10"),
        _verdict("baek2025", "lemma", ("lemma", "D.1"), {"cos": 0.995}, [cos]),
        _verdict("baek2025", "unbuilt", ("figure", "7"), {"cos": 0.995}, [cos], drawn_by="fig7"),  # not configured
        _verdict("baek2025", "identity", ("figure", "2"), {"cos": 1.0}, [cos], kind="consistency", drawn_by="fig2"),
        _verdict(
            "fan2025", "nsd", ("remark", "5.5"), {"cos": [0.995, 0.98]}, [replace(cos, each=True)], drawn_by="fig_nsd"
        ),
    ]


def fake_figures(tmp: Path) -> list[str]:
    paths = []
    for paper, names in {"baek2025": ["fig2", "fig10", "fig1"], "fan2025": ["fig_nsd", "fig1"]}.items():
        (tmp / paper).mkdir(exist_ok=True)
        paths += [str(tiny_png(tmp / paper / f"{name}.png")) for name in names]
    return paths


# ---------------------------------------------------------------------------------------------------- units
def embedded_images(html: str) -> list:
    """The images a report embeds, decoded (PIL)."""
    from PIL import Image

    return [
        Image.open(io.BytesIO(base64.b64decode(b))) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    ]


def test_figures_are_embedded_at_display_size_and_the_same_file_gives_the_same_bytes(tmp_path):
    """A 150-dpi figure is embedded at DISPLAY_WIDTH pixels, aspect kept, as a palette PNG (a fraction of the
    file); a narrower one keeps its size; the bytes depend on the file only (the report is deterministic)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    wide = np.full((900, 3000, 3), 255, dtype=np.uint8)
    wide[::7] = rng.integers(0, 255, size=(1, 3000, 3), dtype=np.uint8)  # lines of many colours, as plots have
    wide[:, 1000:1100] = np.linspace(0, 255, 900, dtype=np.uint8)[:, None, None]  # a colour ramp, as heat maps
    Image.fromarray(wide).save(tmp_path / "wide.png")
    Image.fromarray(wide[:300, :640]).save(tmp_path / "narrow.png")
    shown = Image.open(io.BytesIO(display_png(tmp_path / "wide.png")))
    assert shown.size == (DISPLAY_WIDTH, round(900 * DISPLAY_WIDTH / 3000)) and shown.mode == "P"
    assert len(display_png(tmp_path / "wide.png")) < (tmp_path / "wide.png").stat().st_size / 3
    assert Image.open(io.BytesIO(display_png(tmp_path / "narrow.png"))).size == (640, 300)
    assert display_png(tmp_path / "wide.png") == display_png(tmp_path / "wide.png")
    assert base64.b64decode(data_uri(tmp_path / "wide.png").split(",", 1)[1]) == display_png(tmp_path / "wide.png")


def test_every_real_check_cites_a_source_and_is_drawn_by_a_figure_of_its_paper():
    """Every check cites at least one source (each a kind, a label as in the paper, another paper's name when it
    cites one), and the figure named as drawing it is one the default config builds for its paper; a check citing a
    figure of its own paper names the pipeline figure that draws it."""
    from implicit_bias.sources import render_sources
    from implicit_bias.targets import figures_of

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    figures = {paper: figures_of(paper, config) for paper in PAPERS}
    assert figures["fan2025"] == ["fig1", "fig1_gaps", "fig_nsd", "fig_losses", "fig1_v4", "fig2_v4", "fig3_net"]
    for paper in PAPERS:
        for name, check in checks_of(paper).items():
            assert check.sources and all(isinstance(s, Source) for s in check.sources), (paper, name)
            assert render_sources(check.sources), (paper, name)
            for s in check.sources:
                assert s.paper in ("", *PAPERS) and s.paper != paper, (paper, name, s)
            if check.drawn_by is not None:
                assert check.drawn_by in figures[paper], (paper, name, check.drawn_by)
            elif any(s.kind == "figure" and not s.paper for s in check.sources):
                raise AssertionError(f"{paper}/{name} cites a figure of its paper but names none that draws it")


def test_sections_group_claims_beside_their_figures_and_count_headlines(tmp_path):
    expected = {"baek2025/fig_ten": "known not to reproduce"}
    ctx = report_context(fake_verdicts(), fake_figures(tmp_path), expected, ["baek2025", "fan2025"])
    baek, fan = ctx["papers"]
    assert [f["name"] for f in baek["figures"]] == ["fig2", "fig10", "fig1"]  # the order given: the declared one
    cards = {f["name"]: f for f in baek["figures"]}
    assert [c["name"] for c in cards["fig2"]["claims"]] == ["fig_two"]
    assert cards["fig2"]["consistency"] == ["identity"]
    assert [c["name"] for c in cards["fig10"]["claims"]] == ["fig_ten"] and cards["fig1"]["claims"] == []
    assert [c["name"] for c in baek["unfigured"]] == ["lemma", "unbuilt"]  # fig7 is not among the figures built
    assert [c["name"] for c in baek["consistency"]] == ["identity"]
    assert (baek["n_claims_passed"], baek["n_claims"], baek["n_consistency_passed"]) == (3, 4, 1)
    assert cards["fig10"]["claims"][0]["status"] == "expected"
    assert fan["figures"][0]["claims"][0]["status"] == "fail"  # fig_nsd: an each-criterion fails on one seed
    assert fan["figures"][0]["claims"][0]["criteria"][0]["holds_on"] == "1 of 2"
    assert (ctx["n_claims_passed"], ctx["n_claims"]) == (3, 5)
    assert ctx["unexpected"] == ["fan2025/nsd"]


def test_each_paper_section_links_its_docs_page_and_the_page_exists(tmp_path):
    ctx = report_context(fake_verdicts(), fake_figures(tmp_path), {}, ["baek2025", "fan2025"])
    ctx["provenance"] = report_provenance({}, ROOT)
    html = render(ctx, TEMPLATE)
    links = re.findall(r'<a href="([^"]+)" data-docs="(\w+)">', html)
    assert [paper for _, paper in links] == ["baek2025", "fan2025"]
    for href, paper in links:
        assert href == docs_page(paper)
        # relative to results/report.html, where the report is written
        assert (ROOT / "results" / href).resolve() == ROOT / "docs" / "papers" / f"{paper}.md"
    for paper in PAPERS:  # every paper the report can show has its page
        assert (ROOT / "results" / docs_page(paper)).resolve().is_file(), paper


def test_provenance_names_commit_config_hash_and_versions():
    p = report_provenance({"b": 1, "a": [1, 2]}, ROOT)
    assert p["config_hash"] == report_provenance({"a": [1, 2], "b": 1}, ROOT)["config_hash"]
    assert p["config_hash"] != report_provenance({"a": [1, 3], "b": 1}, ROOT)["config_hash"]
    assert p["versions"]["numpy"] and p["versions"]["jinja2"]
    assert p["commit"]


def test_report_status_names_the_report_only_when_it_is_up_to_date(tmp_path):
    checks = []
    for v in fake_verdicts()[:2]:
        path = tmp_path / f"{v['check']}.json"
        path.write_text(json.dumps(v))
        checks.append(str(path))
    report = tmp_path / "report.html"
    assert report_status([*checks, str(tmp_path / "missing.json")], str(report), {}) == []  # a partial target
    lines = report_status(checks, str(report), {})
    assert lines[0].startswith("theorem checks: 1 of 2 passed") and "not built yet" in lines[1]
    report.write_text("x")
    assert report_status(checks, str(report), {})[1] == f"report: {report.resolve()}"


# -------------------------------------------------------------------------------------------------- browser
def test_report_in_a_browser_shows_every_figure_and_check_and_loads_nothing(tmp_path, chromium):
    verdicts = fake_verdicts()
    figures = fake_figures(tmp_path)
    ctx = report_context(verdicts, figures, {}, ["baek2025", "fan2025"])
    ctx["provenance"] = report_provenance({}, ROOT)
    html = tmp_path / "report.html"
    html.write_text(render(ctx, TEMPLATE), encoding="utf-8")
    dom = dump_dom(chromium, html, tmp_path)
    els = elements(dom)
    assert_self_contained(els)
    shown = {a["data-figure"] for t, a in els if t == "img" and "data-figure" in a}
    assert shown == {f"{Path(p).parent.name}-{Path(p).stem}" for p in figures}
    rows = {a["data-check"]: a["data-verdict"] for t, a in els if "data-check" in a}
    assert rows == {
        "baek2025-fig_two": "pass",
        "baek2025-fig_ten": "fail",
        "baek2025-lemma": "pass",
        "baek2025-unbuilt": "pass",
        "baek2025-identity": "pass",
        "fan2025-nsd": "fail",
    }
    assert "&lt;b&gt;" in dom and "<b>" not in dom  # a reason is text, not markup
    assert "3 of 5 claims reproduced" in dom and "config hash" in dom


@pytest.mark.pipeline
@pytest.mark.xdist_group("smoke")
def test_smoke_report_in_a_browser(smoke, chromium, tmp_path):
    """The default target builds results/report.html: every figure of every paper and every check, self-contained,
    with the verdicts of the check JSONs."""
    dom = dump_dom(chromium, smoke / "results" / "report.html", tmp_path)
    els = elements(dom)
    assert_self_contained(els)
    figures = {f"{p.parent.name}-{p.stem}" for p in (smoke / "results" / "figures").glob("*/*.png")}
    shown = [a["data-figure"] for t, a in els if t == "img" and "data-figure" in a]
    assert figures and sorted(shown) == sorted(figures)
    images = embedded_images((smoke / "results" / "report.html").read_text(encoding="utf-8"))
    assert len(images) == len(figures) and max(image.width for image in images) <= DISPLAY_WIDTH
    rows = {a["data-check"]: a["data-verdict"] for t, a in els if "data-check" in a}
    expected = {e["check"] for e in yaml.safe_load((smoke / "smoke_config.yaml").read_text())["expected_failures"]}
    want = {}
    for paper in PAPERS:
        for name in checks_of(paper):
            v = load_json(smoke / "results" / "checks" / paper / f"{name}.json")
            want[f"{paper}-{name}"] = "pass" if v["passed"] else "expected" if f"{paper}/{name}" in expected else "fail"
    assert rows == want


@pytest.mark.pipeline
@pytest.mark.xdist_group("smoke")
def test_report_job_alone_and_the_console_ends_with_verdicts_and_report(smoke, snakemake):
    """Re-rendering the report runs that one job (it reads verdicts and figures, re-runs nothing), and the last lines
    on the console are the verdict summary and the report's path (Snakefile `onsuccess`)."""
    proc = snakemake(smoke, "report", "--forcerun", "report")
    assert "1 of 1 steps (100%) done" in proc.stderr, proc.stderr[-3000:]
    tail = proc.stderr.strip().splitlines()[-2:]  # after Snakemake's own closing lines (log file, elapsed time)
    report = (smoke / "results" / "report.html").resolve()
    assert tail[0].startswith("theorem checks: ") and tail[1] == f"report: {report}", proc.stderr[-2000:]
