"""The widgets in a real browser: JupyterLab + Playwright + Debian's chromium (`make browser-test`).

Starts JupyterLab on a free loopback port with no token, in a temporary folder that holds a copy of
notebooks/00_start_here.ipynb and a one-cell notebook showing gh.widgets.gan_lab(); runs all cells of
each through the Run menu, then clicks the lab's play button and checks that the step counter
advances, that pause holds it still and that no output shows "Error displaying widget" or a traceback.
Screenshots go to reports/browser/.

Skipped, with the reason, when playwright or chromium is missing (.ci/run installs both when it can).
Playwright's own browser download does not work offline, so the system chromium is launched by path:
$GAN_CHROMIUM, else `chromium` / `chromium-browser` on PATH. GAN_BROWSER_TEST=0 skips it on purpose;
GAN_BROWSER_LAB_SOURCE replaces the lab cell (to check by hand that a lab which never trains fails).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports" / "browser"
START_HERE = ROOT / "notebooks" / "00_start_here.ipynb"
LAB_SOURCE = "import gan_helpers as gh\n\ngh.widgets.gan_lab()"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
BAD_OUTPUT = ("Error displaying widget", "Traceback")
STEP = re.compile(r"step (\d+) ·")


def find_chromium() -> str | None:
    """The chromium executable: $GAN_CHROMIUM if set (even to a missing path), else one on PATH."""
    if "GAN_CHROMIUM" in os.environ:
        path = os.environ["GAN_CHROMIUM"]
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return None


def skip_reason() -> str | None:
    """Why the browser test cannot run here (None when it can)."""
    if os.environ.get("GAN_BROWSER_TEST", "1") == "0":
        return "GAN_BROWSER_TEST=0"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install playwright; make browser-test installs it)"
    if find_chromium() is None:
        where = os.environ.get("GAN_CHROMIUM") or "chromium on PATH"
        return f"no chromium browser ({where} not found; apt-get install -y chromium)"
    return None


# --------------------------------------------------------------------------- the skip logic itself


def test_skips_with_a_reason_when_chromium_is_absent(monkeypatch):
    monkeypatch.setenv("GAN_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("GAN_BROWSER_TEST", raising=False)
    assert find_chromium() is None
    reason = skip_reason()
    assert reason is not None and ("chromium" in reason or "playwright" in reason)
    if importlib.util.find_spec("playwright") is not None:
        assert reason == "no chromium browser (/nonexistent/chromium not found; apt-get install -y chromium)"


def test_skips_when_chromium_is_not_on_path(monkeypatch, tmp_path):
    monkeypatch.delenv("GAN_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() is None
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_chromium() == str(fake)


def test_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("GAN_BROWSER_TEST", "0")
    assert skip_reason() == "GAN_BROWSER_TEST=0"


# --------------------------------------------------------------------------- JupyterLab server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(path: Path, source: str | None = None) -> None:
    """Write a copy of START_HERE (or a one-cell notebook with source) that opens on the venv's kernel."""
    if source is None:
        nb = json.loads(START_HERE.read_text(encoding="utf-8"))
        for cell in nb["cells"]:  # a fresh run: no stored outputs or numbers to mistake for new ones
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        nb["metadata"].pop("widgets", None)
    else:
        nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "lab", "metadata": {},
                         "outputs": [], "source": source}],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    nb["metadata"]["kernelspec"] = KERNELSPEC  # no "Select Kernel" dialog
    path.write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 (no token) whose root holds the two notebooks."""
    if reason := skip_reason():
        pytest.skip(f"browser test skipped: {reason}")
    root = tmp_path_factory.mktemp("browser-lab")
    work, settings = root / "notebooks", root / "settings"
    work.mkdir()
    _notebook(work / "00_start_here.ipynb")
    _notebook(work / "gan_lab.ipynb", os.environ.get("GAN_BROWSER_LAB_SOURCE", LAB_SOURCE))
    # Render every cell (no windowing), so the page text holds every output.
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / "config"), JUPYTER_RUNTIME_DIR=str(root / "runtime"))
    env.pop("MPLBACKEND", None)  # an Agg backend would hide the inline figures
    shared = ROOT.parent / "shared" / "data"
    if "GAN_DATA_DIR" not in env and (shared / "MNIST" / "raw").is_dir():
        env["GAN_DATA_DIR"] = str(shared)  # as .ci/run does
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
           "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={work}",
           f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={root / 'workspaces'}"]
    log = (root / "jupyter.log").open("w")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + (root / "jupyter.log").read_text()) from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def page(lab_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(60_000)
        yield pg
        browser.close()


# --------------------------------------------------------------------------- driving the notebooks


def open_and_run_all(page, lab_url: str, name: str, timeout_s: float = 180) -> None:
    """Open notebook `name`, wait for its kernel, run all cells from the Run menu, wait until idle."""
    page.goto(f"{lab_url}/lab/tree/{name}?reset")  # ?reset: a fresh workspace, this notebook alone
    panel = page.locator(".jp-NotebookPanel")
    panel.locator(".jp-Notebook").wait_for()
    assert panel.count() == 1, f"expected {name} alone in the workspace, found {panel.count()} notebooks"
    _wait_idle(lab_url, timeout_s=180)  # the kernel has started (slow on a loaded CPU)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    n_code = panel.locator(".jp-CodeCell").count()
    deadline = time.monotonic() + timeout_s
    while True:  # every code cell has an execution number and the kernel is idle
        prompts = panel.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        done = sum(bool(re.fullmatch(r"\s*\[\d+\]:\s*", t)) for t in prompts)
        if done == n_code and _kernel_idle(lab_url):
            break
        assert time.monotonic() < deadline, f"{name}: {done}/{n_code} cells ran in {timeout_s:.0f} s"
        time.sleep(0.5)
    page.wait_for_timeout(1000)  # let the widget views render


def _kernel_idle(lab_url: str) -> bool:
    """Every kernel the server runs has started and is idle (asked over the server's REST API)."""
    try:
        kernels = json.loads(urllib.request.urlopen(f"{lab_url}/api/kernels", timeout=5).read())
    except OSError:  # the server is busy starting a kernel: ask again
        return False
    return bool(kernels) and all(k["execution_state"] == "idle" for k in kernels)


def _wait_idle(lab_url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not _kernel_idle(lab_url):
        assert time.monotonic() < deadline, "the kernel did not become idle"
        time.sleep(0.25)


def assert_clean_outputs(page, name: str) -> list[str]:
    texts = page.locator(".jp-NotebookPanel .jp-OutputArea-output").all_inner_texts()
    for text in texts:
        for bad in BAD_OUTPUT:
            assert bad not in text, f"{name}: an output shows {bad!r}:\n{text[:2000]}"
    return texts


def lab_step(page) -> int:
    """The step count in the lab's status line ('step N · D loss ...')."""
    text = page.locator(".widget-html code", has_text="step ").first.inner_text()
    match = STEP.search(text)
    assert match, f"no step counter in the lab's status line: {text!r}"
    return int(match.group(1))


# --------------------------------------------------------------------------- the test


def test_widgets_in_jupyterlab(page, lab_url):
    REPORTS.mkdir(parents=True, exist_ok=True)
    for old in REPORTS.glob("failure*.png"):
        old.unlink()
    # One retry: on a loaded 2-core machine the browser, the server and two kernels compete, and a
    # first attempt has (rarely) timed out inside the full suite while passing alone. A retry that
    # passes is reported as a warning, with the first failure's screenshot kept.
    for attempt in (1, 2):
        try:
            check_widgets(page, lab_url)
            return
        except Exception as err:
            page.screenshot(path=str(REPORTS / f"failure-{attempt}.png"), full_page=True)
            if attempt == 2:
                raise
            warnings.warn(f"browser test: attempt 1 failed ({type(err).__name__}: {err}); retrying once; "
                          f"screenshot {REPORTS.relative_to(ROOT)}/failure-1.png", stacklevel=1)


def check_widgets(page, lab_url: str) -> None:
    t0 = time.monotonic()
    open_and_run_all(page, lab_url, "00_start_here.ipynb")
    texts = assert_clean_outputs(page, "00_start_here")
    page.screenshot(path=str(REPORTS / "00_start_here.png"), full_page=True)
    panel = page.locator(".jp-NotebookPanel")
    assert panel.locator(".widget-slider").count() >= 1, "00's test slider did not render"
    assert any("4 squared is 16" in t for t in texts), "00's slider label did not render"
    t_00 = time.monotonic() - t0

    open_and_run_all(page, lab_url, "gan_lab.ipynb")
    assert_clean_outputs(page, "gan_lab")
    play = panel.locator(".widget-play button").first
    play.wait_for()
    start = lab_step(page)
    page.screenshot(path=str(REPORTS / "gan_lab_ready.png"))

    play.click()  # play: the browser's Play model ticks, the kernel trains steps_per_frame steps per tick
    deadline = time.monotonic() + 60
    while (playing := lab_step(page)) <= start:
        assert time.monotonic() < deadline, f"the step counter stayed at {start} for 60 s after play"
        time.sleep(0.25)
    page.wait_for_timeout(3000)
    later = lab_step(page)
    assert later > playing, f"the step counter stopped at {playing} while playing"
    page.screenshot(path=str(REPORTS / "gan_lab_playing.png"))

    panel.locator(".widget-play button:has(i.fa-pause)").click()  # the same button, now pause
    paused, deadline = lab_step(page), time.monotonic() + 20
    while True:  # a tick already sent may still finish: wait until two reads 1 s apart agree
        page.wait_for_timeout(1000)
        if (now := lab_step(page)) == paused:
            break
        paused = now
        assert time.monotonic() < deadline, f"the step counter still moved ({now}) 20 s after pause"
    page.wait_for_timeout(2500)
    assert lab_step(page) == paused, f"the step counter moved from {paused} after pause"
    assert panel.locator(".widget-play button:has(i.fa-play)").count() == 1, "play button did not come back"
    page.screenshot(path=str(REPORTS / "gan_lab_paused.png"))
    assert_clean_outputs(page, "gan_lab")
    print(f"\nbrowser test: 00 ran in {t_00:.0f} s; the lab trained {paused - start} steps; "
          f"{time.monotonic() - t0:.0f} s in all; "
          f"screenshots in {REPORTS.relative_to(ROOT)}/")
