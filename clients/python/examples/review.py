"""A worker serving `review_accessibility`: run it beside `zora serve` (see README.md)."""

import os

from zora_worker import Fail, Task, Worker

worker = Worker(
    os.environ.get("ZORA_URL", "http://127.0.0.1:8787"),
    token=os.environ["ZORA_WORKER_TOKEN"],
    name="py-review-1",
)


@worker.task(
    "review_accessibility",
    agent_id="SAM",
    description="Review a page for accessibility",
    payload_schema={
        "type": "object",
        "required": ["url"],
        "properties": {"url": {"type": "string", "description": "The page to review"}},
    },
)
def review(task: Task) -> dict:
    url = task.payload["url"]
    if not url.startswith("https://"):
        raise Fail(f"{url} is not an https page")
    findings = []  # a real audit goes here; key its side effects by task.id
    task.journal("Reviewed a page for accessibility", details={"url": url})
    task.summary = f"{len(findings)} finding(s) on {url}"
    return {"findings": findings}


if __name__ == "__main__":
    worker.run(concurrency=4)
