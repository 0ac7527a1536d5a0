"""The Message Batches flow as Anthropic's documentation writes it: create, poll, results,
cancel, delete, list. It reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL like any SDK program,
so it runs unchanged against the real API or against `batchdeck emulator`. It needs the SDK,
which batchdeck itself does not install (`pip install anthropic`, or batchdeck's test extra):

    batchdeck emulator --speed 600 &
    ANTHROPIC_BASE_URL=http://127.0.0.1:8765 ANTHROPIC_API_KEY=any python examples/batches_quickstart.py
"""

from __future__ import annotations

import os
import time

import anthropic
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from anthropic.types.messages.batch_create_params import Request

POLL_SECONDS = float(os.environ.get("POLL_SECONDS", "60"))
MODEL = os.environ.get("MODEL", "claude-haiku-4-5")

client = anthropic.Anthropic()

# 1. Create a batch of two requests.
message_batch = client.messages.batches.create(
    requests=[
        Request(
            custom_id="my-first-request",
            params=MessageCreateParamsNonStreaming(
                model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": "Hello, world"}]
            ),
        ),
        Request(
            custom_id="my-second-request",
            params=MessageCreateParamsNonStreaming(
                model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": "Hi again, friend"}]
            ),
        ),
    ]
)
print(f"created {message_batch.id}: {message_batch.processing_status}")

# 2. Poll until it has ended.
while True:
    message_batch = client.messages.batches.retrieve(message_batch.id)
    if message_batch.processing_status == "ended":
        break
    print(f"batch {message_batch.id} is still processing...")
    time.sleep(POLL_SECONDS)
print(f"ended: {message_batch.request_counts}")

# 3. Stream the results, matched by custom_id.
for result in client.messages.batches.results(message_batch.id):
    match result.result.type:
        case "succeeded":
            print(f"Success! {result.custom_id}: {result.result.message.content[0].text[:40]!r}")
        case "errored":
            if result.result.error.error.type == "invalid_request_error":
                print(f"Validation error {result.custom_id}")
            else:
                print(f"Server error {result.custom_id}")
        case "expired":
            print(f"Request expired {result.custom_id}")
        case "canceled":
            print(f"Request canceled {result.custom_id}")

# 4. Cancel a second batch, wait for the cancel to finish, then delete it.
second = client.messages.batches.create(
    requests=[Request(custom_id="to-cancel", params=MessageCreateParamsNonStreaming(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Never mind"}]))]
)
second = client.messages.batches.cancel(second.id)
print(f"canceling {second.id}: {second.processing_status}")
while second.processing_status != "ended":
    time.sleep(POLL_SECONDS)
    second = client.messages.batches.retrieve(second.id)
deleted = client.messages.batches.delete(second.id)
print(f"deleted {deleted.id} ({deleted.type})")

# 5. List every batch in the workspace (the SDK pages automatically).
for batch in client.messages.batches.list(limit=20):
    print(f"{batch.id} {batch.processing_status} created {batch.created_at:%Y-%m-%d %H:%M}")
