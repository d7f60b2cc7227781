"""The thinnest client that asks a model to choose a tool: what `tooleval bench --compare-with`
sets tooleval's CPU time against.

It sends one chat-completions request per task (the task's prompt and the whole tool list, as
tooleval sends them), BENCH_CONCURRENCY at a time over keep-alive connections, reads each reply
and takes the tool calls out of it. Nothing else: no MCP server, no scoring, no report. Standard
library only (asyncio streams and json), so it measures the interpreter and the requests.

Environment: BENCH_URL (the mock's base URL, ending in /v1), BENCH_TASKS, BENCH_CONCURRENCY,
BENCH_TOOLS (a JSON file of MCP tool definitions). Prints the number of replies with a call.
"""

import asyncio
import json
import os
import sys
from urllib.parse import urlsplit


def openai_tools(path):
    with open(path, encoding="utf-8") as f:
        tools = json.load(f)
    return [
        {
            "type": "function",
            "function": {
                "name": t["name"],
                "description": t.get("description", ""),
                "parameters": t.get("inputSchema", {"type": "object"}),
            },
        }
        for t in tools
    ]


async def read_reply(reader):
    """One HTTP/1.1 response: its status and body (Content-Length or chunked)."""
    status = await reader.readline()
    length, chunked = None, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    else:
        body = await reader.readexactly(length or 0)
    return int(status.split()[1]), body


async def worker(url, jobs, tools, counts):
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    path = parts.path.rstrip("/") + "/chat/completions"
    host = f"{parts.hostname}:{parts.port}"
    while True:
        try:
            i = jobs.get_nowait()
        except asyncio.QueueEmpty:
            break
        body = json.dumps(
            {
                "model": "bench",
                "messages": [{"role": "user", "content": f"Fetch record x for task {i}."}],
                "tools": tools,
            }
        ).encode()
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer bench\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        status, reply = await read_reply(reader)
        if status != 200:
            raise SystemExit(f"task {i}: HTTP {status}")
        message = json.loads(reply)["choices"][0]["message"]
        calls = [c["function"]["name"] for c in message.get("tool_calls") or []]
        if calls:
            counts["called"] += 1
    writer.close()


async def main():
    url = os.environ["BENCH_URL"]
    tasks = int(os.environ["BENCH_TASKS"])
    concurrency = int(os.environ["BENCH_CONCURRENCY"])
    tools = openai_tools(os.environ["BENCH_TOOLS"])
    jobs = asyncio.Queue()
    for i in range(tasks):
        jobs.put_nowait(i)
    counts = {"called": 0}
    await asyncio.gather(
        *(worker(url, jobs, tools, counts) for _ in range(min(concurrency, tasks)))
    )
    print(counts["called"])
    return 0 if counts["called"] == tasks else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
