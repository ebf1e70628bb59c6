"""Differential conformance: replay recorded exchanges against a server and compare the answers by shape.

    recording   our recordings format (JSON Lines, docs/replay.md): read, write, check
    importers   the FauxpenAI files of ../shared/recordings, and a run's exchanges.jsonl (`oai-conformance record`)
    shape       what an answer is made of (key paths, types, nulls, enum values, fixed lengths, a stream's structure)
    compare     one recorded answer against the server's: the differences, by kind
    tolerate    the differences (and recordings) the comparison tolerates, each with its reason
    run         send the recordings through the suite's client: sampling, features, model mapping
    report      the replay document (replay.json), its Markdown report and JUnit
"""

from conformance.replay.compare import KINDS, Difference, compare
from conformance.replay.importers import load_recordings
from conformance.replay.recording import Answer, Recording, write_recordings

__all__ = ["KINDS", "Answer", "Difference", "Recording", "compare", "load_recordings", "write_recordings"]
