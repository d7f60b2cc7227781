#!/usr/bin/env python3
"""Refresh prices/litellm.json from LiteLLM's price table.

The table is LiteLLM's `model_prices_and_context_window.json`; the litellm package on PyPI ships
a copy as `litellm/model_prices_and_context_window_backup.json`. This keeps the chat models of
the APIs tooleval asks (OpenAI, Anthropic, Gemini) and the four prices it uses, in dollars per
token as the source writes them, with the source and the date.

    pip download litellm --no-deps -d /tmp/litellm
    python3 scripts/refresh-prices.py /tmp/litellm/litellm-*.whl
"""
import datetime
import json
import sys
import zipfile

PROVIDERS = {"openai", "anthropic", "gemini", "vertex_ai-language-models"}
FIELDS = [
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
]


def main(wheel):
    with zipfile.ZipFile(wheel) as z:
        name = "litellm/model_prices_and_context_window_backup.json"
        table = json.loads(z.read(name))
        version = next(
            (
                n.split("/")[0].removesuffix(".dist-info").split("-")[1]
                for n in z.namelist()
                if n.endswith(".dist-info/METADATA")
            ),
            "unknown",
        )
    models = {}
    for key, row in sorted(table.items()):
        if not isinstance(row, dict) or row.get("mode") != "chat":
            continue
        if row.get("litellm_provider") not in PROVIDERS:
            continue
        prices = {f: row[f] for f in FIELDS if isinstance(row.get(f), (int, float))}
        if "input_cost_per_token" in prices and "output_cost_per_token" in prices:
            models[key] = prices
    out = {
        "source": "LiteLLM model_prices_and_context_window.json, as shipped in the litellm "
        f"{version} wheel (litellm/model_prices_and_context_window_backup.json); "
        "https://github.com/BerriAI/litellm",
        "taken": datetime.date.today().isoformat(),
        "unit": "US dollars per token",
        "refresh": "scripts/refresh-prices.py",
        "models": models,
    }
    with open("prices/litellm.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")
    print(f"prices/litellm.json: {len(models)} models from litellm {version}")


if __name__ == "__main__":
    main(sys.argv[1])
