"""`smallbatch ask "QUESTION"`: one cited answer from the knowledge base's published snapshot, in
this process (rag's assembler and the small model) or through a running server (--api URL)."""

from __future__ import annotations

import asyncio
import json

from smallbatch.errors import UserError
from smallbatch.settings import Settings


def ask(args, s: Settings) -> int:
    if args.api:
        return _ask_api(args, s)
    from openai import APIConnectionError

    from rag.assemble import current_snapshot, open_answerer
    from smallbatch.commands import role_endpoint

    ep = role_endpoint(s, "small")
    answerer, snapshot = open_answerer(s, current_snapshot(s, s.kb), ep)
    try:
        ans = asyncio.run(answerer.answer(args.question))
    except APIConnectionError as e:
        raise UserError(f"the small model does not answer at {ep.base_url}: start it with "
                        f"`smallbatch models serve small`, or set SMALLBATCH_SMALL__BASE_URL") from e
    finally:
        snapshot.close()
    citations = [c.to_json() for c in ans.citations]
    print_answer(ans.text, citations,
                 {"kb": s.kb, "snapshot": snapshot.id, "abstained": ans.abstained})
    if args.json:
        print(json.dumps({"answer": ans.text, "citations": citations}))
    return 0


def _ask_api(args, s: Settings) -> int:
    from openai import APIConnectionError, APIStatusError, OpenAI

    client = OpenAI(base_url=args.api, api_key=args.api_key, timeout=600)
    try:
        resp = client.chat.completions.create(
            model=s.kb, messages=[{"role": "user", "content": args.question}])
    except APIConnectionError as e:
        raise UserError(f"no server answers at {args.api}: start one with `smallbatch serve`, "
                        f"or give its address with --api") from e
    except APIStatusError as e:
        raise UserError(f"the server at {args.api} refused the question ({e.status_code}): "
                        f"{e.message}") from e
    extra = resp.model_extra or {}
    print_answer(resp.choices[0].message.content or "", extra.get("citations", []),
                 extra.get("smallbatch", {}))
    return 0


def print_answer(text: str, citations: list[dict], meta: dict) -> None:
    print(text.strip())
    if citations:
        print("\nSources:")
        for c in citations:
            span = c.get("span") or []
            where = f"{c['source_path']} [{span[0]}:{span[1]}]" if len(span) == 2 else c["source_path"]
            print(f"  [{c['number']}] {where} ({c['method']})")
            print(f"      {c['text'][:160].strip()}{'…' if len(c['text']) > 160 else ''}")
    if meta:
        print(f"\n(kb {meta.get('kb')}, snapshot {meta.get('snapshot')}"
              f"{', abstained' if meta.get('abstained') else ''})")
