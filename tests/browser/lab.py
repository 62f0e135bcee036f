"""A JupyterLab 4 server from this virtual environment, a headless Chromium driven by Playwright, and the
steps a person takes in it: open a notebook, Run All, wait, look.

The server listens on 127.0.0.1 at a free port with a random token, serves a temporary folder, keeps its
settings and workspaces there too (nothing of the user's is read or written), and is stopped at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Without these, headless Chromium keeps trying to reach Google's services on a machine with no internet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]
# JupyterLab settings for a test run: every cell in the page (not only those scrolled into view, so outputs
# can be found), and no news or update checks (there is no network, and their toasts cover the page).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "scrollPastEnd": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
}
# A notebook's state for `wait_for_run_all`: cells, executed cells, queued or running cells, error outputs.
NOTEBOOK_STATE_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const cells = panel.content.widgets.filter((cell) => cell.model.type === "code");
  const errors = [];
  for (const cell of cells) {
    for (const output of cell.model.outputs.toJSON()) {
      if (output.output_type === "error") errors.push(`${output.ename}: ${output.evalue}`);
    }
  }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {
    cells: cells.length,
    executed: cells.filter((cell) => cell.model.executionCount !== null).length,
    pending: cells.filter((cell) => (cell.promptNode ? cell.promptNode.textContent : "").includes("*")).length,
    kernel: kernel ? kernel.status : "none",
    errors,
  };
}"""


def find_chromium() -> str | None:
    """The path of an installed Chromium (or Chrome), or None."""
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class JupyterLab:
    """A running JupyterLab server; `url(path)` gives a page's address with the token."""

    def __init__(self, root: Path, state: Path, log: Path) -> None:
        self.root, self.port, self.token = root, free_port(), secrets.token_hex(16)
        settings = state / "settings"
        for name, values in LAB_SETTINGS.items():
            target = settings / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={state / 'workspaces'}", "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.allow_root=True",
        ]
        # The kernels import the digitnet of the checkout under test, whatever else is installed.
        repo = str(Path(__file__).resolve().parents[2])
        python_path = os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": python_path, "TF_CPP_MIN_LOG_LEVEL": "3",
               "JUPYTER_CONFIG_DIR": str(state / "config"), "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
               "PYTHONUNBUFFERED": "1"}
        self.log = log.open("w")
        # A session of its own, so stopping it stops its kernels too.
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self._wait_until_ready(timeout=90)

    def url(self, path: str = "lab") -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?token={self.token}"

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with status {self.process.returncode}; see {self.log.name}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as response:
                    if response.status == 200:
                        return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s; see {self.log.name}")

    def stop(self) -> None:
        """Stop the server and its kernels (the whole process group it leads)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.close()


@contextlib.contextmanager
def running_lab(root: Path, state: Path, log: Path) -> Iterator[JupyterLab]:
    lab = JupyterLab(root, state, log)
    try:
        yield lab
    finally:
        lab.stop()


def open_notebook(page, lab: JupyterLab, name: str, timeout_s: float = 120) -> None:
    """Open `name` (relative to the server's root) in a workspace of its own and wait until its kernel is ready.

    A workspace of its own: in the server's default one JupyterLab would also reopen every notebook an earlier
    page opened, and a menu command can then act on one of those instead of on `name`."""
    workspace = f"{Path(name).stem}-{secrets.token_hex(4)}"
    page.goto(lab.url(f"lab/workspaces/{workspace}/tree/{name}"), wait_until="domcontentloaded",
              timeout=timeout_s * 1000)
    page.wait_for_function(
        """() => {
          const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
          const session = panel && panel.sessionContext;
          return !!(session && session.session && session.session.kernel
                    && session.session.kernel.status === "idle" && panel.content.widgets.length
                    && document.querySelectorAll(".jp-NotebookPanel").length === 1);
        }""",
        timeout=timeout_s * 1000, polling=250,
    )


def wait_until(condition, timeout_s: float, every_s: float = 0.25) -> bool:
    """Poll `condition()` until it is true (True) or `timeout_s` has passed (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every_s)
    return False


def run_all(page, started_within_s: float = 15) -> None:
    """Run > Run All Cells, through the menus as a person would, once the command is enabled, and check that a
    cell started: a click that ran nothing would otherwise only show as a timeout much later."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    enabled_item = page.locator(".lm-Menu-item:not(.lm-mod-disabled)", has_text="Run All Cells")
    if not wait_until(lambda: enabled_item.count() > 0, started_within_s):
        raise RuntimeError(f"Run All Cells stayed disabled for {started_within_s:.0f} s")
    enabled_item.first.click()
    state = None

    def started() -> bool:
        nonlocal state
        state = page.evaluate(NOTEBOOK_STATE_JS)
        return bool(state and (state["pending"] or state["executed"] or state["kernel"] != "idle"))

    if not wait_until(started, started_within_s):
        raise RuntimeError(f"Run All Cells started no cell within {started_within_s:.0f} s: {state}")


def wait_for_run_all(page, timeout_s: float) -> dict:
    """Wait until no cell is queued or running and all ran (or one failed); return the notebook's state."""
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(NOTEBOOK_STATE_JS)
        if state and not state["pending"] and state["kernel"] == "idle" and (
                state["executed"] == state["cells"] or state["errors"]):
            return state
        time.sleep(0.5)
    raise TimeoutError(f"Run All did not finish within {timeout_s:.0f} s: {state}")


def screenshot_notebook(page, path: Path, parts: dict[str, Path] | None = None, max_height: int = 16000) -> None:
    """A screenshot of the whole notebook, top to bottom: the window is made as tall as the notebook (at most
    `max_height`, Chromium's limit for one picture), then put back. `parts`: CSS selector -> path, screenshots
    of the first element each selects, taken while the whole notebook is in view."""
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("""() => {
      window.jupyterapp.shell.collapseLeft();  // the file browser only takes width from the notebook
      const panel = window.jupyterapp.shell.currentWidget;
      const scroller = panel.node.querySelector(".jp-WindowedPanel-outer") || panel.content.node;
      scroller.scrollTop = 0;
      return scroller.scrollHeight;
    }""")
    page.set_viewport_size({"width": size["width"], "height": min(max_height, size["height"] + height)})
    page.wait_for_timeout(500)  # let JupyterLab lay out the taller window
    page.evaluate("""() => {
      const panel = window.jupyterapp.shell.currentWidget;
      (panel.node.querySelector(".jp-WindowedPanel-outer") || panel.content.node).scrollTop = 0;
    }""")
    page.screenshot(path=str(path))
    for selector, part in (parts or {}).items():
        page.locator(selector).first.screenshot(path=str(part))
    page.set_viewport_size(size)
