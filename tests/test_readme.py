"""The README runs as written: every shell block of its quick start, DAM, search and compatible-API sections,
in order, in one bash session against a live `manage.py serve` on `fixtures/cars/`; each `# -> STATUS {...}`
line under a command is checked against that command's answer (the status, and the JSON fields shown).

Only the host and port are substituted. Blocks after a `<!-- readme-test: skip (why) -->` line are not run."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.dam.processes import ROOT, Project

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

README = ROOT / "README.md"
SECTIONS = ("dam", "search", "compat")  # plus the quick start (up to "## Configuration")
SKIP = re.compile(r"^<!-- readme-test: skip \((.+)\) -->$")
EXPECT = re.compile(r"^#\s*->\s*(\d{3})(?:\s+(.*))?$")
README_URLS = ("http://127.0.0.1:8000", "http://localhost:8000")
COMMAND_TIMEOUT = 240  # the first recognition loads the models on 2 busy cores
RETRY_FOR = 120  # a read whose answer depends on the worker (recognition, search indexing) is retried
WRITES = re.compile(r"\s(-X|-F|-d|--data\S*)\s")

# Records the status and body of the last curl call while still printing the body (pipes and $(...) work).
CURL_RECORDER = r"""
curl() {
  local body status rc
  body=$(mktemp)
  status=$(command curl -sS -o "$body" -w '%{http_code}' "$@"); rc=$?
  printf '%s' "$status" > "$README_RUN/last.status"; cp "$body" "$README_RUN/last.body"
  cat "$body"; rm -f "$body"
  return $rc
}
set -o pipefail
"""


@dataclass
class Command:
    text: str
    line: int
    status: int | None = None
    fields: object = None

    @property
    def retryable(self) -> bool:
        """A read (curl without a body or method) may be repeated until the worker has caught up."""
        return "curl" in self.text and not WRITES.search(f" {self.text} ")


@dataclass
class Block:
    section: str
    line: int
    commands: list[Command] = field(default_factory=list)
    skipped: str = ""


def _sections(lines: list[str]) -> list[str | None]:
    """Per line, the README part it belongs to: "quickstart", one of SECTIONS, or None (not run)."""
    parts: list[str | None] = []
    quickstart, section = False, None
    for line in lines:
        text = line.strip()
        if text.startswith("## "):
            quickstart = text.startswith("## Quick start")
        opening = re.match(r"^<!-- section:(\w+) -->$", text)
        if opening:
            section = opening.group(1)
        elif text.startswith("<!-- /section:"):
            section = None
        parts.append(section if section in SECTIONS else "quickstart" if quickstart else None)
    return parts


def _commands(body: list[tuple[int, str]]) -> list[Command]:
    """Logical commands (continued by a trailing backslash or pipe) with their `# -> ...` expectations."""
    commands: list[Command] = []
    pending: list[str] = []
    start = 0
    for number, raw in body:
        text = raw.rstrip()
        if not pending:
            stripped = text.strip()
            expect = EXPECT.match(stripped)
            if expect:
                assert commands, f"README line {number}: an expectation without a command above it"
                commands[-1].status = int(expect.group(1))
                commands[-1].fields = json.loads(expect.group(2)) if expect.group(2) else None
                continue
            if not stripped or stripped.startswith("#"):
                continue
            start = number
        pending.append(text)
        if not (text.endswith("\\") or text.endswith("|")):
            commands.append(Command("\n".join(pending), start))
            pending = []
    assert not pending, f"README line {start}: a command continues past the end of its block"
    return commands


def readme_blocks(text: str) -> list[Block]:
    lines = text.splitlines()
    sections = _sections(lines)
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != "```bash":
            index += 1
            continue
        end = lines.index("```", index + 1)
        section = sections[index]
        if section is not None:
            previous = next((lines[i].strip() for i in range(index - 1, -1, -1) if lines[i].strip()), "")
            skip = SKIP.match(previous)
            body = [(number + 1, lines[number]) for number in range(index + 1, end)]
            blocks.append(Block(section, index + 1, _commands(body), skipped=skip.group(1) if skip else ""))
        index = end + 1
    return blocks


def contains(actual, expected) -> bool:
    """Whether `actual` has every field of `expected` (dicts: a subset; lists: the same length, item by item)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and contains(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return actual == expected


class Shell:
    """One bash session: variables (TOKEN, BASE, UUID, ...) carry from one command to the next."""

    def __init__(self, env: dict[str, str], run_dir: Path):
        self.run_dir = run_dir
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=ROOT,
            env={**env, "README_RUN": str(run_dir)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.run(CURL_RECORDER)

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def run(self, command: str) -> tuple[int, str]:
        marker = f"__readme_done_{uuid.uuid4().hex}"
        for name in ("last.status", "last.body"):
            (self.run_dir / name).unlink(missing_ok=True)
        self.process.stdin.write(f"{command}\nprintf '\\n{marker} %s\\n' $?\n")
        self.process.stdin.flush()
        output: list[str] = []
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty as exc:
                raise AssertionError(f"timed out after {COMMAND_TIMEOUT}s:\n{command}") from exc
            if marker in line:
                return int(line.split(marker, 1)[1]), "".join(output)
            output.append(line)

    def last(self) -> tuple[int | None, bytes]:
        status_file, body_file = self.run_dir / "last.status", self.run_dir / "last.body"
        status = int(status_file.read_text()) if status_file.exists() else None
        return status, body_file.read_bytes() if body_file.exists() else b""

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def check(command: Command, status: int | None, body: bytes) -> str:
    """'' when the answer is the one the README shows, else what differs."""
    if status != command.status:
        return f"status {status}, the README shows {command.status}"
    if command.fields is None:
        return ""
    try:
        answer = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:300]!r}"
    if not contains(answer, command.fields):
        return f"the answer {json.dumps(answer)[:1500]} lacks {json.dumps(command.fields)}"
    return ""


def test_readme_blocks_are_found_and_every_skip_says_why():
    blocks = readme_blocks(README.read_text())
    run = [b for b in blocks if not b.skipped]
    assert {b.section for b in run} == {"quickstart", "dam", "search", "compat"}
    assert sum(1 for b in run for c in b.commands if c.status) >= 15
    assert all(b.skipped.strip() for b in blocks if b.skipped)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """`manage.py serve` on a fresh database (SDK mode on, as the README's SDK example says to start it)."""
    project = Project(tmp_path_factory.mktemp("readme"), PLATELENS_SDK_MODE="true")
    project.manage("migrate", "--noinput")
    base = project.start_server()
    yield project, base
    project.close()


def test_readme_runs_as_written(live, tmp_path):
    project, base = live
    text = README.read_text()
    for url in README_URLS:
        text = text.replace(url, base)
    shell = Shell({**project.env, "PATH": os.environ["PATH"]}, tmp_path)
    checked = 0
    try:
        for block in readme_blocks(text):
            if block.skipped:
                continue
            for command in block.commands:
                where = f"README line {command.line} ({block.section})"
                rc, output = shell.run(command.text)
                assert rc == 0, f"{where} exited {rc}:\n{command.text}\n{output}"
                if command.status is None:
                    continue
                problem = check(command, *shell.last())
                deadline = time.monotonic() + RETRY_FOR
                while problem and command.retryable and time.monotonic() < deadline:
                    time.sleep(1)
                    shell.run(command.text)
                    problem = check(command, *shell.last())
                assert not problem, f"{where}:\n{command.text}\n{problem}"
                checked += 1
    finally:
        shell.close()
    assert checked >= 15
