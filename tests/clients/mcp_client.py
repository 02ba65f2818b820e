"""Drives `rlmq mcp` over stdio with the official `mcp` Python SDK.

Usage: python mcp_client.py RLMQ_BINARY -- ARGS...   (ARGS go to `rlmq mcp`)
Checks: the tools are listed with descriptions that teach rlq; code run twice
keeps a variable; an error comes back as data; the builtin table is a
resource; and, when `ask` is offered, a whole session answers. Prints one
line per check and exits non-zero on the first failure.
"""

import asyncio
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def text_of(result):
    return "".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def main():
    binary = sys.argv[1]
    args = sys.argv[sys.argv.index("--") + 1 :]
    params = StdioServerParameters(command=binary, args=["mcp", *args], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(init.server_info.name == "rlmq", "the server names itself rlmq")

            tools = {t.name: t for t in (await session.list_tools()).tools}
            check({"rlq", "describe_context"} <= set(tools), f"tools listed: {sorted(tools)}")
            check("rlmq://docs/builtins" in tools["rlq"].description, "the rlq tool points to the builtin table")

            first = await session.call_tool("rlq", {"code": 'let hits = grep(context, re"magic number is (\\d+)")\nprint(len(hits))'})
            check(not first.is_error and text_of(first).strip() == "1", f"first call prints 1: {text_of(first)!r}")
            second = await session.call_tool("rlq", {"code": "print(hits[0].groups[0])"})
            check(text_of(second).strip() == "4217", f"the variable persisted: {text_of(second)!r}")

            bad = await session.call_tool("rlq", {"code": "print(hitz)"})
            check(bad.is_error, "an rlq error is flagged")
            check("hitz" in text_of(bad) and "did you mean" in text_of(bad), f"the error comes back as data with a hint: {text_of(bad)!r}")
            check(bad.structured_content["error"] is not None and bad.structured_content["turn"] == 3, "the structured reply has the error and the turn")
            after = await session.call_tool("rlq", {"code": "print(len(hits))"})
            check(text_of(after).strip() == "1", "variables survive the error")

            described = await session.call_tool("describe_context", {})
            check("hits" in described.structured_content["variables"], "describe_context lists the variables")
            check(described.structured_content["total"]["documents"] >= 1, "describe_context counts the documents")

            resources = {str(r.uri) for r in (await session.list_resources()).resources}
            check("rlmq://docs/builtins" in resources, "the builtin table is a resource")
            table = await session.read_resource("rlmq://docs/builtins")
            check("| `grep(" in table.contents[0].text, "the builtin table lists grep")
            prompt = await session.get_prompt("rlq_guide")
            check("rlq" in prompt.messages[0].content.text, "the rlq guide prompt")

            if "ask" in tools:
                answer = await session.call_tool("ask", {"question": "What is the magic number?"})
                check(not answer.is_error, f"ask answered: {text_of(answer)!r}")
                check(answer.structured_content["status"] == "final", "the session called final")
                check("4217" in text_of(answer), "the session found the number")
            else:
                print("ok: no model configured, so no ask tool", flush=True)


asyncio.run(main())
