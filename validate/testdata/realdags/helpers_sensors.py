"""Shared sensors and callbacks; this module defines no DAG."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass
class Retry:
    attempts: int = 3
    delay: float = 1.5
    codes: tuple[int, ...] = (429, 500, 502, 503)
    seen: list[int] = field(default_factory=list)

    def should_retry(self, code: int) -> bool:
        self.seen.append(code)
        return code in self.codes and len(self.seen) < self.attempts


def with_retry(fn: Callable[[], int], policy: Optional[Retry] = None) -> int:
    policy = policy or Retry()
    while True:
        code = fn()
        if not policy.should_retry(code):
            return code
        time.sleep(policy.delay)


class Notifier:
    """Posts a message; subclasses choose where."""

    def __init__(self, channel: str, *, dry_run: bool = False) -> None:
        self.channel = channel
        self.dry_run = dry_run

    def __call__(self, context: dict) -> None:
        ti = context.get("task_instance")
        msg = self.format(ti.dag_id if ti else "?", ti.task_id if ti else "?")
        if self.dry_run:
            print(msg)
        else:
            self.send(msg)

    @staticmethod
    def format(dag_id: str, task_id: str) -> str:
        return f":red_circle: {dag_id}.{task_id} failed"

    def send(self, msg: str) -> None:
        raise NotImplementedError


def wait_for(predicate, timeout=60, poll=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except (ConnectionError, TimeoutError) as exc:
            print(f"retrying after {exc}")
            continue
        finally:
            time.sleep(poll)
    return False
