"""Regenerate ``data/reviews.npz``: synthetic movie reviews for the text tutorials.

Run once (``python -m nbkeras.datasets._make_reviews``); the output is committed.  Every
sentence is built here from the word lists below (written for nbkeras, no third-party
text), so the data set is free of licence questions.

A review is two to four clauses such as "the plot was not very clever"; each clause is
positive or negative, "not"/"never" flip it, and a clause after "but" counts twice.  The
label is 1 when the weighted sum is positive.  Word order matters (negation, "but"), so
a sequence model beats a bag of words on it, which is what the tutorial shows.
"""

from __future__ import annotations

import os

import numpy as np

SUBJECTS = ["the acting", "the plot", "the music", "the ending", "the dialogue", "the cast",
            "this film", "the story", "the pacing", "the script", "the effects",
            "the camera work", "the lead actor", "the villain", "the humour", "the sequel"]
VERBS = ["was", "felt", "seemed", "is", "looked"]
POSITIVE = ["great", "wonderful", "moving", "brilliant", "clever", "funny", "charming",
            "gripping", "beautiful", "superb", "fresh", "touching", "sharp", "delightful"]
NEGATIVE = ["dull", "boring", "clumsy", "awful", "flat", "predictable", "messy", "tedious",
            "weak", "bland", "silly", "forgettable", "slow", "painful"]
INTENSIFIERS = ["", "", "really", "very", "quite", "truly", "rather"]
NEGATIONS = ["not", "never"]
OPENERS = ["", "", "", "i watched it last night and", "honestly", "to be fair",
           "overall", "in my opinion", "after the first hour"]
CONNECTIVES = ["and", "and", "but", "while"]
SEED = 20261201
N_REVIEWS = 4000


def _clause(rng) -> tuple[str, int]:
    positive = rng.random() < 0.5
    adjective = rng.choice(POSITIVE if positive else NEGATIVE)
    negated = rng.random() < 0.3
    words = [rng.choice(SUBJECTS), rng.choice(VERBS)]
    if negated:
        words.append(rng.choice(NEGATIONS))
    intensifier = rng.choice(INTENSIFIERS)
    words += [intensifier, adjective] if intensifier else [adjective]
    return " ".join(words), (1 if positive else -1) * (-1 if negated else 1)


def review(rng) -> tuple[str, int]:
    """One review and its label, or a retry (label None) when the clauses cancel out."""
    while True:
        text, score = _clause(rng)
        opener = rng.choice(OPENERS)
        if opener:
            text = f"{opener} {text}"
        for _ in range(int(rng.integers(1, 4))):
            connective = rng.choice(CONNECTIVES)
            clause, s = _clause(rng)
            text += f" {connective} {clause}"
            score += 2 * s if connective == "but" else s
        if score != 0:
            return text, int(score > 0)


def main(path: str | None = None) -> str:
    """Write ``reviews.npz``: UTF-8 texts joined by newlines (uint8) and labels (uint8)."""
    rng = np.random.default_rng(SEED)
    texts, labels = zip(*(review(rng) for _ in range(N_REVIEWS)))
    blob = np.frombuffer("\n".join(texts).encode("utf-8"), dtype=np.uint8)
    path = path or os.path.join(os.path.dirname(__file__), "data", "reviews.npz")
    np.savez_compressed(path, text=blob, y=np.asarray(labels, dtype=np.uint8))
    return path


if __name__ == "__main__":
    print(main())
