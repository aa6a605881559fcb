"""The HTML report and the model explorer, opened in a real browser (headless Chromium via selenium).

One fresh report run on the bundled sample is shared by the module; ``index.html`` and every
notebook page it links to are loaded once each (``file://``) and what the browser saw is kept:
console messages, links, images and figures with their rendered sizes, headings. The tests then
compare that with the run's manifest and with the markdown headings of the source notebooks.

The explorer part serves ``notebooks/explorer/explorer.ipynb`` with voila on a free port, fits the
starting model, adds the top modification index, fits again and checks that the fit table changed
the way a direct :func:`sqlib.fit` of the new syntax says. With ``SQLIB_SCREENSHOT=1`` it saves the
page as ``docs/explorer.png`` (the README shows it).

Everything here skips, with the reason, where Chromium, its driver or selenium are not installed
(Debian: ``apt-get install chromium chromium-driver``; ``.ci/run`` does that when it can).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from sqlib import config
from sqlib.report.runner import load_params, run_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)
DRIVER_FALLBACKS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
EXPLORER_NOTEBOOK = config.PROJECT_ROOT / "notebooks" / "explorer" / "explorer.ipynb"
SCREENSHOT = config.PROJECT_ROOT / "docs" / "explorer.png"
pytestmark = pytest.mark.browser

PAGE_SECONDS = 60
VOILA_START_SECONDS = 180
FIT_SECONDS = 300

#: What the page tells the test, collected in one pass after it loaded.
COLLECT_JS = """
const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
const text = e => e.textContent.replace(/\\u00b6/g, '').replace(/\\s+/g, ' ').trim();
return {
  title: document.title,
  headings: Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map(
      h => ({level: Number(h.tagName[1]), text: text(h), size: box(h)})),
  links: Array.from(document.querySelectorAll('a[href]')).map(
      a => ({raw: a.getAttribute('href'), url: a.href, text: text(a)})),
  sources: Array.from(document.querySelectorAll('[src], link[href]')).map(
      e => ({tag: e.tagName.toLowerCase(), url: e.src || e.href})),
  images: Array.from(document.images).map(
      i => ({src: i.src.slice(0, 60), complete: i.complete, natural: [i.naturalWidth, i.naturalHeight],
             size: box(i)})),
  svgs: Array.from(document.querySelectorAll('.jp-RenderedSVG svg')).map(s => ({size: box(s)})),
  ids: Array.from(document.querySelectorAll('[id],a[name]')).map(e => e.id || e.getAttribute('name')),
};
"""


# ------------------------------------------------------------------ the browser
def find_program(names, fallbacks=()) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return next((path for path in fallbacks if Path(path).is_file()), None)


def start_chromium(width: int = 1400, height: int = 1000):
    """A headless Chromium driven by the system chromedriver, or a skip saying what is missing."""
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is not installed (it is in the dev extras: make setup)")
    from selenium.webdriver.chrome.service import Service

    browser = find_program(BROWSERS)
    driver_path = find_program(DRIVERS, DRIVER_FALLBACKS)
    if browser is None or driver_path is None:
        missing = " and ".join(n for n, p in (("chromium", browser), ("chromedriver", driver_path)) if p is None)
        pytest.skip(f"no headless browser: {missing} not found; on Debian/Ubuntu run "
                    "`apt-get install --no-install-recommends chromium chromium-driver` (.ci/run does this as root)")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--hide-scrollbars", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # the system driver by path: selenium never downloads one (no selenium-manager lookup)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(PAGE_SECONDS)
    return driver


@pytest.fixture(scope="module")
def browser():
    driver = start_chromium()
    try:
        yield driver
    finally:
        driver.quit()


def severe_messages(driver) -> list[str]:
    """Console errors since the last call (JavaScript exceptions, console.error, failed loads)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


# ------------------------------------------------------------------ the report
@pytest.fixture(scope="module")
def report_run(browser, tmp_path_factory) -> Path:
    """A fresh run of the default report suite (the browser fixture first: no browser, no run)."""
    return run_report(config.DEFAULT_PARAMS, output_root=tmp_path_factory.mktemp("browser_reports"))


@pytest.fixture(scope="module")
def manifest(report_run) -> dict:
    return json.loads((report_run / "manifest.json").read_text(encoding="utf-8"))


def visit(driver, page: Path) -> dict:
    driver.get_log("browser")  # drop what an earlier page left
    driver.get(page.as_uri())
    seen = driver.execute_script(COLLECT_JS)
    seen["errors"] = severe_messages(driver)
    seen["path"] = page
    return seen


def local_target(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


@pytest.fixture(scope="module")
def pages(browser, report_run) -> dict[str, dict]:
    """What the browser saw on ``index.html`` and on every local HTML page it links to, by file name."""
    index = visit(browser, report_run / "index.html")
    seen = {"index.html": index}
    for link in index["links"]:
        target = local_target(link["url"])
        if target is not None and target.suffix == ".html" and target.is_file() and target.name not in seen:
            seen[target.name] = visit(browser, target)
    return seen


def notebook_pages(pages: dict) -> dict[str, dict]:
    return {name: seen for name, seen in pages.items() if name != "index.html"}


def markdown_headings(notebook: Path) -> list[tuple[int, str]]:
    """(level, text) of every ATX heading in the markdown cells, inline markup removed."""
    headings = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            fenced ^= line.lstrip().startswith("```")
            match = None if fenced else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if match:
                headings.append((len(match.group(1)), plain_text(match.group(2))))
    return headings


def plain_text(markdown: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)  # links and images: their text
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return re.sub(r"\s+", " ", text).strip()


def in_order(expected: list, shown: list) -> bool:
    """Whether ``expected`` appears in ``shown`` in the same order (other entries may come between)."""
    remaining = iter(shown)
    return all(any(item == other for other in remaining) for item in expected)


def figure_outputs(executed: Path) -> int:
    """Image outputs (PNG, JPEG, SVG) the executed notebook holds: each must show as a figure."""
    count = 0
    for cell in nbformat.read(executed, as_version=4).cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            count += any(kind in data for kind in ("image/png", "image/jpeg", "image/svg+xml"))
    return count


# ------------------------------------------------------------------ report tests
def test_the_fresh_run_succeeded_and_index_links_every_notebook_page(pages, manifest):
    assert manifest["status"] == "succeeded", [r.get("reason") for r in manifest["notebooks"]]
    assert [r["notebook"] for r in manifest["notebooks"]] == load_params(config.DEFAULT_PARAMS)["notebooks"]
    expected = {Path(r["html"]).name for r in manifest["notebooks"]}
    assert expected == set(notebook_pages(pages)), "index.html does not link every notebook page"


def test_every_local_link_and_source_exists_and_every_anchor_is_on_its_page(pages):
    broken = []
    for name, seen in pages.items():
        for link in seen["links"]:
            target = local_target(link["url"])
            if target is None:
                continue  # web links (documentation the notebooks cite) are not the report's files
            if not target.exists():
                broken.append(f"{name}: link {link['raw']!r} -> {target} does not exist")
            fragment = urlparse(link["url"]).fragment
            # as browsers do: the fragment as written names the element, else its percent-decoded form
            if fragment and target == seen["path"] and not {fragment, unquote(fragment)} & set(seen["ids"]):
                broken.append(f"{name}: anchor {link['raw']!r} has no element with that id")
        for source in seen["sources"]:
            target = local_target(source["url"])
            if target is not None and not target.exists():
                broken.append(f"{name}: <{source['tag']}> {source['url']} does not exist")
    assert not broken, "\n".join(broken)


def test_every_section_heading_has_an_in_page_anchor(pages, manifest):
    """nbconvert links each markdown heading to itself; those are the anchors the link test resolves."""
    for record in manifest["notebooks"]:
        seen = pages[Path(record["html"]).name]
        anchors = [link for link in seen["links"] if link["raw"].startswith("#")]
        assert len(anchors) >= len(markdown_headings(Path(record["source"]))) > 0, record["notebook"]


def test_pages_open_offline_without_scripts_or_styles_from_the_web(pages):
    remote = [f"{name}: <{s['tag']}> {s['url']}" for name, seen in pages.items() for s in seen["sources"]
              if urlparse(s["url"]).scheme in ("http", "https")]
    assert not remote, "the report needs the network:\n" + "\n".join(remote)


def test_no_console_errors(pages):
    errors = {name: seen["errors"] for name, seen in pages.items() if seen["errors"]}
    assert not errors, json.dumps(errors, indent=1)


def test_no_broken_images(pages):
    broken = [f"{name}: {image['src']}... natural size {image['natural']}"
              for name, seen in pages.items() for image in seen["images"]
              if not image["complete"] or min(image["natural"]) <= 0]
    assert not broken, "\n".join(broken)


def test_every_figure_is_shown_with_a_nonzero_size(pages, manifest):
    for record in manifest["notebooks"]:
        seen = pages[Path(record["html"]).name]
        figures = seen["images"] + seen["svgs"]
        expected = figure_outputs(Path(record["executed"])) if record["status"] == "succeeded" else 0
        assert len(figures) >= expected, f"{record['notebook']}: {len(figures)} figures shown, {expected} made"
        flat = [figure["size"] for figure in figures if min(figure["size"]) <= 0]
        assert not flat, f"{record['notebook']}: figures rendered with zero size {flat}"
    assert sum(len(seen["images"]) for seen in pages.values()) >= 10  # the suite draws figures


def test_every_section_heading_of_every_notebook_is_shown(pages, manifest):
    for record in manifest["notebooks"]:
        seen = pages[Path(record["html"]).name]
        shown = [(h["level"], h["text"]) for h in seen["headings"] if min(h["size"]) > 0]
        if record["status"] != "succeeded":  # a skipped section is one heading and its reason
            assert [level for level, _ in shown] == [1], record["notebook"]
            continue
        expected = markdown_headings(Path(record["source"]))
        assert len(expected) >= 4, f"{record['source']} has too few headings to check"
        missing = [heading for heading in expected if heading not in shown]
        assert not missing, f"{record['notebook']}: headings not shown {missing}"
        assert in_order(expected, shown), f"{record['notebook']}: headings out of order"


def test_index_has_one_linked_heading_per_notebook_and_every_page_a_title(pages, manifest):
    index = pages["index.html"]
    assert [h["level"] for h in index["headings"]] == [1] + [2] * len(manifest["notebooks"])
    linked = [link["text"] for link in index["links"] if link["raw"].endswith(".html")]
    assert linked == [h["text"] for h in index["headings"][1:]]
    assert "manifest.json" in [link["raw"] for link in index["links"]]
    for record in manifest["notebooks"]:
        page = pages[Path(record["html"]).name]
        assert page["title"] and page["title"] != "Notebook", f"{record['notebook']}: page has no title"


# ------------------------------------------------------------------ the explorer under voila
def explorer_skip_reason() -> str | None:
    if not EXPLORER_NOTEBOOK.is_file():
        return (f"the model explorer page ({EXPLORER_NOTEBOOK.relative_to(config.PROJECT_ROOT)}, "
                "`make explore`) is not on this branch yet")
    import importlib.util

    for module in ("voila", "ipywidgets"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (make setup installs it with the explorer)"
    import sqlib

    if not hasattr(sqlib, "explore"):
        return "sqlib.explore is not available"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"voila exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"voila did not answer at {url} within {seconds} s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def voila_page(tmp_path_factory):
    """The explorer served by voila on a free port with `make explore`'s command and settings; stopped afterwards."""
    reason = explorer_skip_reason()
    if reason:
        pytest.skip(reason)
    driver = start_chromium(1500, 800)
    folder = tmp_path_factory.mktemp("explorer")
    port, log = free_port(), folder / "voila.log"
    env = dict(os.environ, SQLIB_DATA=str(config.SAMPLE_DATA), SQLIB_CODEBOOK=str(config.SAMPLE_CODEBOOK),
               SQLIB_EXPORT_DIR=str(folder / "export"), MPLBACKEND="Agg")
    command = [sys.executable, "-m", "voila", str(EXPLORER_NOTEBOOK), "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1", "--show_tracebacks=True"]
    with open(log, "w", encoding="utf-8") as handle:
        process = subprocess.Popen(command, cwd=EXPLORER_NOTEBOOK.parent, env=env, stdout=handle,
                                   stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, process, log, VOILA_START_SECONDS)
        yield driver, url, log
    finally:
        driver.quit()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def wait_until(driver, condition, seconds: float, what: str, log: Path | None = None):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.5).until(condition)
    except TimeoutException:
        tail = log.read_text(errors="replace")[-3000:] if log is not None else ""
        raise AssertionError(f"timed out after {seconds} s waiting for {what}\n{tail}") from None


def button(driver, label: str):
    """The visible widget button whose text is ``label`` (ipywidgets put an icon before it)."""
    from selenium.webdriver.common.by import By

    for candidate in driver.find_elements(By.CSS_SELECTOR, "button.jupyter-button"):
        if candidate.text.strip() == label and candidate.is_displayed():
            return candidate
    return None


def open_tab(driver, title: str) -> None:
    from selenium.webdriver.common.by import By

    tabs = driver.find_elements(By.CSS_SELECTOR, ".lm-TabBar-tab, .p-TabBar-tab")
    matching = [tab for tab in tabs if tab.text.strip() == title]
    assert matching, f"no tab {title!r} among {[tab.text for tab in tabs]}"
    matching[0].click()


def fit_table(driver) -> dict[str, str]:
    """The explorer's fit-measure table (one row, a column per measure) as {measure: value text}."""
    cells = driver.execute_script("""
        const tables = Array.from(document.querySelectorAll('table.sqlib-table'));
        const fit = tables.find(t => Array.from(t.querySelectorAll('th')).some(th => th.textContent.trim() === 'chisq'));
        if (!fit) return null;
        const head = Array.from(fit.querySelectorAll('thead th')).map(th => th.textContent.trim());
        const row = fit.querySelector('tbody tr');
        return row ? [head, Array.from(row.querySelectorAll('td')).map(td => td.textContent.trim())] : null;
    """)
    return dict(zip(*cells)) if cells else {}


def editor_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, ".widget-textarea textarea").get_attribute("value")


def split_offline(messages: list[str], served: str) -> tuple[list[str], list[str]]:
    """(errors, failed loads of web resources from another host because this machine is offline)."""
    offline_failure = re.compile(r"^(https?://\S+) - Failed to load resource: "
                                 r"net::ERR_(NAME_NOT_RESOLVED|INTERNET_DISCONNECTED|PROXY_CONNECTION_FAILED)")
    errors, offline = [], []
    for message in messages:
        match = offline_failure.match(message)
        external = match is not None and urlparse(match.group(1)).netloc != urlparse(served).netloc
        (offline if external else errors).append(message)
    return errors, offline


def test_voila_explorer_fits_adds_a_modification_index_and_refits(voila_page):
    import sqlib
    from sqlib.report.explorer import ModelExplorer

    driver, url, log = voila_page
    driver.get(url)
    fit = wait_until(driver, lambda d: button(d, "Fit"), VOILA_START_SECONDS, "the Fit button", log)
    start_syntax = editor_text(driver)
    assert "=~" in start_syntax  # the codebook's model is in the editor
    fit.click()
    wait_until(driver, lambda d: "chisq" in fit_table(d) and button(d, "Fit").is_enabled(), FIT_SECONDS,
               "the first fit's table", log)
    first = fit_table(driver)

    open_tab(driver, "modification indices")
    add = wait_until(driver, lambda d: button(d, "add"), 60, "an 'add' button next to a modification index", log)
    add.click()
    wait_until(driver, lambda d: editor_text(d) != start_syntax, 30, "the modification in the editor", log)
    syntax = editor_text(driver)
    added = [line for line in syntax.splitlines() if line not in start_syntax.splitlines()]
    assert len(added) == 1, added

    open_tab(driver, "fit")
    button(driver, "Fit").click()
    wait_until(driver, lambda d: fit_table(d).get("df") not in (None, first["df"]), FIT_SECONDS,
               "the fit table of the modified model", log)
    second = fit_table(driver)
    assert float(second["df"]) == float(first["df"]) - 1
    assert float(second["chisq"]) < float(first["chisq"])

    # the page shows what a direct sqlib.fit of the editor's syntax gives (the page's default options)
    data = ModelExplorer.from_files(config.SAMPLE_DATA, config.SAMPLE_CODEBOOK).data
    direct = sqlib.fit(syntax, data, missing="listwise").fit_measures
    assert float(second["chisq"]) == pytest.approx(direct["chisq"], abs=1e-3)

    open_tab(driver, "history")
    history = driver.find_elements("css selector", ".widget-html-content b")
    assert sum("Comparison" == h.text for h in history) == 1
    assert len([b for b in driver.find_elements("css selector", "button.jupyter-button")
                if b.text.strip() == "go back" and b.is_displayed()]) == 2

    errors, offline = split_offline(severe_messages(driver), url)
    assert not errors, errors
    if offline:  # voila's own page template links Font Awesome on a CDN: only the button icons are missing
        print("offline, not loaded:", *offline, sep="\n  ")
    if os.environ.get("SQLIB_SCREENSHOT") == "1":  # the modified model's fit, for the README
        open_tab(driver, "fit")
        SCREENSHOT.parent.mkdir(exist_ok=True)
        assert driver.save_screenshot(str(SCREENSHOT)) and SCREENSHOT.stat().st_size > 10_000
