"""Serve ZORA task types from Python.

A :class:`Worker` registers its task types with the engine, claims their tasks under a
lease (long-polling), beats while a function runs, and completes or fails each task.
"""

from zora_worker.errors import Fail, LeaseLost, Retry, ZoraError
from zora_worker.task import Task
from zora_worker.worker import Worker

__all__ = ["Fail", "LeaseLost", "Retry", "Task", "Worker", "ZoraError"]
