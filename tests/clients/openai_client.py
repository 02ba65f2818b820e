"""Drives `rlmq serve` with the official `openai` Python package.

Usage: RLMQ_SERVE_KEY=... python openai_client.py BASE_URL
The server runs against the scripted model server: the root model greets a
request that starts with "Say hello", and otherwise greps the context for
"magic number is N" and answers "The magic number is N". Prints one line per
check and exits non-zero on the first failure.
"""

import concurrent.futures
import os
import sys

import openai

BASE = sys.argv[1]
KEY = os.environ["RLMQ_SERVE_KEY"]
client = openai.OpenAI(base_url=BASE, api_key=KEY, max_retries=0, timeout=120)


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def document(number, lines=400):
    filler = "".join(f"line {i}: nothing to see here, keep reading.\n" for i in range(lines))
    return f"{filler}the magic number is {number}\n{filler}"


def ask(number, **kw):
    return client.chat.completions.create(
        model="rlm:mock-root",
        messages=[{"role": "user", "content": document(number) + "\n\nWhat is the magic number?"}],
        **kw,
    )


models = [m.id for m in client.models.list().data]
check("rlm:mock-root" in models, f"models listed: {models}")

raw = client.chat.completions.with_raw_response.create(
    model="rlm:mock-root", messages=[{"role": "user", "content": "Say hello"}]
)
plain = raw.parse()
check(plain.choices[0].message.content == "Hello from the root model.", "a short request is passed through")
check(plain.model_extra["rlmq"]["mode"] == "passthrough", "it says it was passed through")
check(raw.headers.get("x-rlmq-trace-id") == plain.id, "the trace id is in a header and the id")
check(plain.usage.total_tokens > 0, "usage of a passed-through completion")

answer = ask(4217)
check(answer.choices[0].message.content == "The magic number is 4217", "a long request is answered by a session")
check(answer.choices[0].finish_reason == "stop", "the session called final")
extra = answer.model_extra["rlmq"]
check(extra["mode"] == "session" and extra["turns"] == 2, f"two turns of a session: {extra}")
check(answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0, "usage of the whole session")
check(answer.usage.prompt_tokens_details.cached_tokens >= 0, "usage has cached tokens")

content, reasoning, usage, finish = "", "", None, None
for chunk in ask(5150, stream=True, stream_options={"include_usage": True}):
    if chunk.usage is not None:
        usage = chunk.usage
    for c in chunk.choices:
        content += c.delta.content or ""
        reasoning += (c.delta.model_extra or {}).get("reasoning_content") or ""
        finish = c.finish_reason or finish
check(content == "The magic number is 5150", f"the streamed answer: {content!r}")
check("a session with root model mock-root" in reasoning, f"progress streamed beside the content: {reasoning!r}")
check(finish == "stop" and usage is not None and usage.total_tokens > 0, "the stream ends with its finish reason and usage")

numbers = list(range(1000, 1008))
with concurrent.futures.ThreadPoolExecutor(len(numbers)) as pool:
    replies = list(pool.map(lambda n: ask(n).choices[0].message.content, numbers))
check(replies == [f"The magic number is {n}" for n in numbers], "concurrent requests each get their own session")

try:
    client.chat.completions.create(model="rlm:mock-root", messages=[{"role": "user", "content": "Say hello"}], extra_body={"bogus": 1})
    check(False, "an unknown field is refused")
except openai.BadRequestError as e:
    check(e.status_code == 400 and "unknown field `bogus`" in e.message, f"an unknown field is refused: {e.message}")

try:
    ask(77, extra_body={"rlmq": {"max_llm_calls": 1}})
    check(False, "a request over its limit fails")
except openai.BadRequestError as e:
    check(e.code == "limit_exceeded", f"a request over its own limit gets limit_exceeded: {e.message}")

try:
    client.chat.completions.create(model="rlm:mock-root", messages=[{"role": "assistant", "content": "hi"}])
    check(False, "a request with no question fails")
except openai.BadRequestError as e:
    check("last message must be the user's" in e.message, "a request with no question is refused")

try:
    openai.OpenAI(base_url=BASE, api_key="wrong", max_retries=0).models.list()
    check(False, "a wrong key is refused")
except openai.AuthenticationError as e:
    check(e.status_code == 401 and KEY not in str(e.body), "a wrong key gets 401")

check(ask(31337).choices[0].message.content == "The magic number is 31337", "the server goes on after errors")
print("all checks passed", flush=True)
